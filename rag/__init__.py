"""A chat assistant over your documents that answers with verifiable citations, offline.

Example:
    >>> from rag import answer
    >>> a = answer("Who signed the minerals agreement?")  # doctest: +SKIP
    >>> print(a.text)  # doctest: +SKIP
"""

from rag.chain import Assistant, answer
from rag.config import Settings
from rag.errors import ConfigError, EmptyIndexError, IngestError, RagError, StoreError
from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer

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
    "answer",
]
