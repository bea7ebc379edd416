"""What every answerer shares: the interface, the abstention text, and turning chosen sentences into citations.

Leaves out how sentences are chosen (each answerer's own module).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rag.types import Answer, Citation, Passage

# Location-neutral: each surface says where it shows the nearest text (`abstention_text`).
ABSTAIN_TEXT = "The documents don't say. The nearest text found does not answer the question."


def abstention_text(answer: Answer, where: str) -> str:
    """The answer's text as a surface shows it: an abstention with nearest text says where that text is ("listed
    below", "in the Sources panel"); any other answer is returned as it is.

    Example:
        >>> from rag.types import Chunk
        >>> a = Answer("q", ABSTAIN_TEXT, True, (), (Passage(Chunk("c", "Near.", "a.txt", 0, 5), 0.2),))
        >>> abstention_text(a, "listed below")
        "The documents don't say. The nearest text found is listed below, but it does not answer the question."
    """
    if not (answer.abstained and answer.passages and answer.text == ABSTAIN_TEXT):
        return answer.text
    return f"The documents don't say. The nearest text found is {where}, but it does not answer the question."


class Answerer(Protocol):
    """An answer mode: question and passages in, `Answer` out."""

    name: str

    def __call__(self, question: str, passages: Sequence[Passage]) -> Answer: ...


def cite(picks: Sequence[tuple[Passage, int, int]]) -> tuple[str, tuple[Citation, ...]]:
    """Answer text and citations for chosen sentences, each given as (passage, start, end) in its document.

    Each sentence is quoted exactly and followed by its marker; a sentence quoted twice keeps one number. A
    citation carries the page of the quoted sentence and the section (heading path) of its chunk.

    Example:
        >>> from rag.types import Chunk
        >>> p = Passage(Chunk("c1", "Kyiv won. It was late.", "a.txt", 10, 32), 1.0)
        >>> cite([(p, 10, 19)])[0]
        'Kyiv won. [1]'
    """
    citations: list[Citation] = []
    parts = []
    for passage, start, end in picks:
        chunk = passage.chunk
        quote = chunk.text[start - chunk.start : end - chunk.start]
        match = next((c for c in citations if (c.source, c.start, c.end) == (chunk.source, start, end)), None)
        if match is None:
            page = chunk.page_at(start)  # the page of the cited sentence, not of the chunk's start
            match = Citation(
                len(citations) + 1, chunk.source, start, end, quote, page, chunk.id, chunk.section, chunk.ocr
            )
            citations.append(match)
        parts.append(f"{' '.join(quote.split())} [{match.n}]")
    return " ".join(parts), tuple(citations)
