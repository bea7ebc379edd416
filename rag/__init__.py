"""A chat assistant over your documents that answers with verifiable citations, offline.

Example:
    >>> from rag import answer
    >>> a = answer("Who signed the minerals agreement?")  # doctest: +SKIP
    >>> print(a.text)  # doctest: +SKIP

The names below are imported on first use, so `import rag` (and the `rag` command's start) stays cheap: the
embedding model, Chroma and LangChain load only when something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rag.errors import ConfigError, EmptyIndexError, IngestError, RagError, StoreError, UnknownSourceError

if TYPE_CHECKING:
    from rag.chain import Assistant, answer
    from rag.config import Settings
    from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer

# The subpackage `rag.answer` is imported first, because importing it binds `rag.answer` to the subpackage; that
# binding is dropped at once so that `rag.answer` is the function `answer` (from `rag.chain`), as it always was.
importlib.import_module("rag.answer")
del globals()["answer"]

_LAZY = {
    "Assistant": "rag.chain",
    "answer": "rag.chain",
    "Settings": "rag.config",
    "Answer": "rag.types",
    "Chunk": "rag.types",
    "Citation": "rag.types",
    "Passage": "rag.types",
    "ShortAnswer": "rag.types",
}

__all__ = [
    "Answer",
    "Assistant",
    "Chunk",
    "Citation",
    "ConfigError",
    "EmptyIndexError",
    "IngestError",
    "Passage",
    "RagError",
    "Settings",
    "ShortAnswer",
    "StoreError",
    "UnknownSourceError",
    "answer",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'rag' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
