"""Answerers: turn a question and retrieved passages into an `Answer` with `[n]` citations.

`ANSWERERS` is the registry of answer modes; each entry builds an answerer from the settings and the lexical and
embedding helpers: `extractive` (quotes sentences), and the LLM modes `gguf` (a local GGUF model) and `openai` (an
OpenAI-compatible server), whose generated sentences are each checked against the passage they cite.
"""

from functools import partial

from rag.answer.base import ABSTAIN_TEXT, Answerer, cite
from rag.answer.extractive import ExtractiveAnswerer
from rag.answer.generative import GenerativeAnswerer

ANSWERERS = {
    "extractive": ExtractiveAnswerer,
    "gguf": partial(GenerativeAnswerer, mode="gguf"),
    "openai": partial(GenerativeAnswerer, mode="openai"),
}
LLM_MODES = ("gguf", "openai")

__all__ = ["ABSTAIN_TEXT", "ANSWERERS", "LLM_MODES", "Answerer", "ExtractiveAnswerer", "GenerativeAnswerer", "cite"]
