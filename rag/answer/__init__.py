"""Answerers: turn a question and retrieved passages into an `Answer` with `[n]` citations.

`ANSWERERS` is the registry of answer modes; each entry builds an answerer from the settings and the embeddings.
"""

from rag.answer.base import ABSTAIN_TEXT, Answerer, cite
from rag.answer.extractive import ExtractiveAnswerer

ANSWERERS = {"extractive": ExtractiveAnswerer}

__all__ = ["ABSTAIN_TEXT", "ANSWERERS", "Answerer", "ExtractiveAnswerer", "cite"]
