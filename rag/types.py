"""Small frozen types at the boundaries of the library: Chunk, Passage, Citation, ShortAnswer, Answer.

Chroma records and LangChain documents are converted to and from these at the edge (`rag.store`,
`rag.retrieve`), so the answerers, the CLI, the UI and the eval runner only ever see these types.
Offsets are character offsets into the document's extracted text: `text[start:end] == chunk.text`.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A piece of one document, with where it sits in the document's extracted text."""

    id: str
    text: str
    source: str
    start: int
    end: int
    title: str = ""
    page: int | None = None
    sentences: tuple[tuple[int, int], ...] = ()  # absolute (start, end) of each sentence in the chunk
    section: str = ""  # the heading path the chunk sits under ("Causes", "History › Causes"); "" when none
    page_breaks: tuple[tuple[int, int], ...] = ()  # (start offset, page number) of each page that begins inside it
    kinds: tuple[str, ...] = ()  # each sentence's block kind (list_item, table_row, ...); () when all are paragraphs
    ocr: bool = False  # some of its text was read from an image by OCR
    context: str = ""  # the caption of the table its rows belong to, when its text does not hold it (embedded with it)

    def embedded_text(self) -> str:
        """The text its vectors are computed from (`embedded_text`)."""
        return embedded_text(self.text, self.context)

    # each sentence's vector computed in context at ingest, packed by `rag.sentence_vectors` ("" when not stored)
    sentence_vectors: str = field(default="", repr=False, compare=False)

    def page_at(self, offset: int) -> int | None:
        """The page the character at document offset `offset` (inside the chunk) is on; None without pages."""
        page = self.page
        for start, number in self.page_breaks:
            if start <= offset:
                page = number
        return page

    def kind_of(self, index: int) -> str:
        """The block kind of sentence number `index` ("paragraph" for prose)."""
        return self.kinds[index] if index < len(self.kinds) else "paragraph"

    def sentence_texts(self) -> list[tuple[int, int, str]]:
        """Each sentence of the chunk as (start, end, text), offsets absolute in the document."""
        spans = self.sentences or ((self.start, self.end),)
        return [(s, e, self.text[s - self.start : e - self.start]) for s, e in spans]


def embedded_text(text: str, context: str = "") -> str:
    """A chunk's text as it is embedded and searched: after the caption of its table (`context`) when it holds rows
    of a table whose caption is in an earlier chunk.

    Example:
        >>> embedded_text("Ashby — Built: 1911", "Table 2: Reservoirs")
        'Table 2: Reservoirs\\nAshby — Built: 1911'
    """
    return f"{context}\n{text}" if context else text


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its fused score and the dense similarity it was found with (if any)."""

    chunk: Chunk
    score: float
    similarity: float | None = None


@dataclass(frozen=True)
class Citation:
    """One `[n]` of an answer: the sentence quoted, exactly as it stands at `start:end` of `source`."""

    n: int
    source: str
    start: int
    end: int
    quote: str
    page: int | None = None
    chunk_id: str = ""
    section: str = ""  # the heading path of the cited text, shown beside it ("page 2 · Causes")
    ocr: bool = False  # the quote was read from a scanned page or image by OCR


@dataclass(frozen=True)
class ShortAnswer:
    """The phrase that answers the question (a name, a date, a figure), quoted verbatim from citation `n`:
    `document_text[start:end] == text`."""

    text: str
    n: int
    start: int
    end: int


@dataclass(frozen=True)
class Answer:
    """What `answer()` returns: the text with `[n]` markers, its citations, and how it got there."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()
    confidence: float = 0.0
    mode: str = "extractive"
    timings: dict[str, float] = field(default_factory=dict)
    generated: int = 0  # LLM modes: sentences the model wrote
    kept: int = 0  # ... of which the claim check kept (each cites a sentence that supports it)
    repaired: int = 0  # ... of the kept, those re-pointed to a sentence other than the evidence the model gave
    unsupported: tuple[tuple[str, str], ...] = ()  # (sentence, why) of those removed or flagged
    notice: str = ""  # what the user should know about how this answer came about (a fallback, a model error)
    short: ShortAnswer | None = None  # the asked-for phrase itself, when the question asks for one and it is found

    def nearest(self, count: int = 3) -> list[tuple[int, Passage]]:
        """The passages to offer as the nearest text of an abstention, best first, with their index in `passages`:
        up to `count`, a passage with the same words as one already offered (the same report as .md and .pdf) left
        out.

        Example:
            >>> p = lambda source, text: Passage(Chunk(source, text, source, 0, len(text)), 1.0)
            >>> passages = (p("a.md", "## Tides: high."), p("a.pdf", "Tides high"), p("b.txt", "Low."))
            >>> a = Answer("q", "", True, passages=passages)
            >>> [(i, passage.chunk.source) for i, passage in a.nearest()]
            [(0, 'a.md'), (2, 'b.txt')]
        """
        seen: set[str] = set()
        found = []
        for index, passage in enumerate(self.passages):
            if len(found) == count:
                break
            key = word_key(passage.chunk.text)
            if key not in seen:
                seen.add(key)
                found.append((index, passage))
        return found

    def to_dict(self) -> dict[str, Any]:
        """Plain data, with the field names of this class (what `rag ask --json` prints)."""
        data = asdict(self)
        for passage in data["passages"]:
            passage["chunk"]["sentences"] = [list(s) for s in passage["chunk"]["sentences"]]
            del passage["chunk"]["sentence_vectors"]  # model internals, not for readers of the answer
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


def word_key(text: str) -> str:
    """A text's words, lower-cased, without spacing, punctuation and markup: the same text read from two formats
    (a PDF's line breaks and hyphens, a .docx's curly quotes, Markdown's `#`) gives the same key."""
    return " ".join(re.findall(r"\w+", text.lower()))
