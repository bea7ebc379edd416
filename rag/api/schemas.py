"""The API's JSON shapes: requests as pydantic models (validated, with their limits), and the answer, passages and
documents converted from the library's frozen types at this edge.

Owns the field names other programs see (they are the library's: `text`, `abstained`, `short`, `citations` with
`source`, `page`, `section`, `start`, `end`, `quote`) and the conversions. Leaves out the routes (`rag.api.routes`)
and the OpenAI-compatible shapes (`rag.api.completions`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from rag.store import DocumentInfo
from rag.types import Answer, Citation, Passage


class Turn(BaseModel):
    """An earlier turn of the conversation, for a follow-up question."""

    question: str
    answer: str


class AnswerRequest(BaseModel):
    """A question, with what the page lets one choose."""

    question: str = Field(min_length=1, examples=["Who signed the agreement on behalf of Ukraine?"])
    history: list[Turn] = Field(default=[], description="Earlier turns, oldest first, for a follow-up question.")
    sources: list[str] = Field(default=[], description="Answer from these indexed documents only.")
    k: int | None = Field(default=None, ge=1, le=50, description="Passages handed to the answerer.")
    mode: str | None = Field(default=None, description="An answer mode of GET /v1/models; the configured one if unset.")

    def turns(self) -> list[tuple[str, str]]:
        """`history` as `Assistant.answer` takes it: (question, answer) pairs."""
        return [(turn.question, turn.answer) for turn in self.history]


class SearchRequest(BaseModel):
    """A query for the passages the answerer would read."""

    question: str = Field(min_length=1)
    sources: list[str] = []
    k: int | None = Field(default=None, ge=1, le=50)


class CitationOut(BaseModel):
    """One `[n]` of an answer: `quote` is the document's text at `start:end` (see GET /v1/documents/{name}/text)."""

    model_config = ConfigDict(from_attributes=True)

    n: int
    source: str
    start: int
    end: int
    quote: str
    page: int | None = None
    section: str = ""
    ocr: bool = False

    @classmethod
    def of(cls, citation: Citation) -> CitationOut:
        return cls.model_validate(citation)


class ShortOut(BaseModel):
    """The asked-for phrase, verbatim from citation `n`, at `start:end` of its document."""

    model_config = ConfigDict(from_attributes=True)

    text: str
    n: int
    start: int
    end: int


class AnswerOut(BaseModel):
    """The answer: its text with `[n]` markers, or an abstention, with every citation and the timings in ms."""

    question: str
    text: str
    abstained: bool
    mode: str
    short: ShortOut | None = None
    citations: list[CitationOut] = []
    notice: str = ""
    timings: dict[str, float] = {}

    @classmethod
    def of(cls, answer: Answer) -> AnswerOut:
        short = answer.short
        return cls(
            question=answer.question,
            text=answer.text,
            abstained=answer.abstained,
            mode=answer.mode,
            short=ShortOut.model_validate(short) if short else None,
            citations=[CitationOut.of(c) for c in answer.citations],
            notice=answer.notice,
            timings=dict(answer.timings),
        )


class PassageOut(BaseModel):
    """A retrieved passage: its text at `start:end` of `source`, with its fused score (higher is better)."""

    source: str
    start: int
    end: int
    text: str
    score: float
    similarity: float | None = None
    page: int | None = None
    section: str = ""

    @classmethod
    def of(cls, passage: Passage) -> PassageOut:
        chunk = passage.chunk
        return cls(
            source=chunk.source,
            start=chunk.start,
            end=chunk.end,
            text=chunk.text,
            score=passage.score,
            similarity=passage.similarity,
            page=chunk.page,
            section=chunk.section,
        )


class DocumentOut(BaseModel):
    """An indexed document."""

    name: str
    title: str
    chunks: int
    chars: int

    @classmethod
    def of(cls, info: DocumentInfo) -> DocumentOut:
        return cls(name=info.source, title=info.title, chunks=info.chunks, chars=info.chars)


class DocumentText(BaseModel):
    """A document's extracted text from `start` to `end` (the text every offset of the index points into)."""

    name: str
    start: int
    end: int
    length: int = Field(description="The whole text's length in characters.")
    text: str
