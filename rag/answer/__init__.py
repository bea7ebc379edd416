"""Answerers: turn a question and retrieved passages into an `Answer` with `[n]` citations.

`ANSWERERS` is the registry of answer modes; each entry builds an answerer from the settings and the lexical and
embedding helpers: `extractive` (quotes sentences), and the LLM modes `gguf` (a local GGUF model) and `openai` (an
OpenAI-compatible server), whose generated sentences are each checked against the evidence sentences they cite.
Each mode's module is imported when its first answerer is built, so the extractive mode never loads LangChain's chat
models.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rag.answer.base import ABSTAIN_TEXT, Answerer, abstention_text, cite

if TYPE_CHECKING:
    from rag.answer.extractive import ExtractiveAnswerer
    from rag.answer.generative import GenerativeAnswerer


def _extractive(*args: Any, **kwargs: Any) -> ExtractiveAnswerer:
    from rag.answer.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(*args, **kwargs)


def _generative(*args: Any, **kwargs: Any) -> GenerativeAnswerer:
    from rag.answer.generative import GenerativeAnswerer

    return GenerativeAnswerer(*args, **kwargs)


ANSWERERS = {
    "extractive": _extractive,
    "gguf": partial(_generative, mode="gguf"),
    "openai": partial(_generative, mode="openai"),
}
LLM_MODES = ("gguf", "openai")

__all__ = [
    "ABSTAIN_TEXT",
    "ANSWERERS",
    "LLM_MODES",
    "Answerer",
    "ExtractiveAnswerer",
    "GenerativeAnswerer",
    "abstention_text",
    "cite",
]


def __getattr__(name: str) -> Any:
    """`ExtractiveAnswerer` and `GenerativeAnswerer`, imported on first access (PEP 562)."""
    if name == "ExtractiveAnswerer":
        from rag.answer.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer
    if name == "GenerativeAnswerer":
        from rag.answer.generative import GenerativeAnswerer

        return GenerativeAnswerer
    msg = f"module 'rag.answer' has no attribute {name!r}"
    raise AttributeError(msg)
