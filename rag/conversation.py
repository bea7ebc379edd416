"""A conversation as the chat page keeps it: its turns, the feedback log and the Markdown export.

Owns `Turn` (one question with its `Answer`, or the error it raised), the history that `Assistant.answer` takes
for follow-ups, the thumbs-up/down log (one JSON object a line in `feedback.jsonl` in the data directory), the
Markdown export of a conversation with its sources, and how a citation's location is written: in words (page,
paragraph, section), its character offsets kept for tooltips and the export. Paragraph numbers are counted in the
document's extracted text (blocks between blank lines) and kept per turn. Pure functions and small classes; leaves
out answering (`rag.chain`) and any HTML or Gradio (`ui/`).
"""

from __future__ import annotations

import bisect
import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rag.errors import RagError
from rag.types import Answer, Chunk, Citation

Paragraphs = Mapping[tuple[str, int], int]
"""(source, document offset) -> number of the paragraph holding that offset (from 1): see `paragraphs_of`."""

FEEDBACK_FILE = "feedback.jsonl"


@dataclass(frozen=True)
class Turn:
    """One exchange: the question, and its answer or the readable error that took its place."""

    question: str
    answer: Answer | None = None
    error: str = ""
    paragraphs: Paragraphs = field(default_factory=dict)  # where its quotes sit, for locations in words


def history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """The (question, answer text) pairs `Assistant.answer(history=...)` takes; failed turns are left out.

    Example:
        >>> history([Turn("Q?", error="boom")])
        []
    """
    return [(t.question, t.answer.text) for t in turns if t.answer is not None]


def location(
    source: str,
    start: int,
    end: int,
    page: int | None = None,
    paragraph: int | None = None,
    section: str = "",
    ocr: bool = False,
) -> str:
    """Where a passage or quote sits, in words: its page (PDFs), paragraph and section, as far as they are known;
    its character offsets (`offsets`) only when none is. Text read by OCR says so after its page.

    Example:
        >>> location("a.txt", 917, 1118, paragraph=14)
        'paragraph 14'
        >>> location("b.pdf", 10, 40, page=2, paragraph=3, section="Causes")
        'page 2 · paragraph 3 · Causes'
        >>> location("a.txt", 917, 1118)
        'chars 917–1118'
        >>> location("scan.pdf", 0, 40, page=2, ocr=True)
        'page 2, OCR'
    """
    read = ", OCR" if ocr else ""
    parts = (
        f"page {page}{read}" if page else read.lstrip(", "),
        f"paragraph {paragraph}" if paragraph else "",
        section,
    )
    return " · ".join(part for part in parts if part) or offsets(start, end)


def offsets(start: int, end: int) -> str:
    """Character offsets into the document's extracted text, as a tooltip or the export shows them.

    Example:
        >>> offsets(917, 1118)
        'chars 917–1118'
    """
    return f"chars {start}–{end}"


def citation_location(citation: Citation, paragraphs: Paragraphs | None = None, section: bool = True) -> str:
    """Where a cited quote sits, in words ("page 2 · paragraph 3 · Causes"); without its section if `section` is
    False. `paragraphs` (from `paragraphs_of`) holds the paragraph numbers."""
    paragraph = (paragraphs or {}).get((citation.source, citation.start))
    return location(
        citation.source,
        citation.start,
        citation.end,
        citation.page,
        paragraph,
        citation.section if section else "",
        citation.ocr,
    )


def passage_start(chunk: Chunk) -> int:
    """Where a passage's text begins: its first sentence (a heading over it is left out)."""
    sentences = chunk.sentences or ((chunk.start, chunk.end),)
    return sentences[0][0]


def passage_location(chunk: Chunk, paragraphs: Paragraphs | None = None) -> str:
    """Where a passage offered as the nearest text sits, in words (from its first sentence)."""
    start = passage_start(chunk)
    paragraph = (paragraphs or {}).get((chunk.source, start))
    return location(chunk.source, chunk.start, chunk.end, chunk.page_at(start), paragraph, chunk.section, chunk.ocr)


def with_offsets(where: str, start: int, end: int) -> str:
    """A location in words followed by its character offsets (the Markdown export), each given once.

    Example:
        >>> with_offsets("page 2 · Causes", 10, 40), with_offsets("chars 10–40", 10, 40)
        ('page 2 · Causes, chars 10–40', 'chars 10–40')
    """
    chars = offsets(start, end)
    return where if where == chars else f"{where}, {chars}"


_BLANK_LINES = re.compile(r"\n[^\S\n]*\n\s*")
_STARTS: OrderedDict[tuple[str, int], list[int]] = OrderedDict()
_STARTS_LOCK = threading.Lock()
_STARTS_KEPT = 64  # documents whose paragraph starts are kept


def paragraph_starts(text: str) -> list[int]:
    """Where each paragraph of `text` starts: a paragraph is a block of text between blank lines.

    Example:
        >>> paragraph_starts("\\nTitle\\n\\nFirst one.\\nStill first.\\n \\n\\nSecond.\\n")
        [1, 8, 35]
    """
    first = len(text) - len(text.lstrip())
    if first == len(text):
        return []
    return [first] + [m.end() for m in _BLANK_LINES.finditer(text, first) if m.end() < len(text)]


def paragraph_number(source: str, text: str, offset: int) -> int:
    """The number (from 1) of the paragraph of `text`, the extracted text of `source`, that holds `offset`. The
    paragraph starts of a document are computed once per source and text length, and kept for the next call.

    Example:
        >>> paragraph_number("a.txt", "Title\\n\\nFirst one.\\n\\nSecond.", 20)
        3
    """
    key = (source, len(text))
    with _STARTS_LOCK:
        starts = _STARTS.get(key)
        if starts is not None:
            _STARTS.move_to_end(key)
    if starts is None:
        starts = paragraph_starts(text)
        with _STARTS_LOCK:
            _STARTS[key] = starts
            while len(_STARTS) > _STARTS_KEPT:
                _STARTS.popitem(last=False)
    return max(1, bisect.bisect_right(starts, offset))


def paragraphs_of(answer: Answer, text_of: Callable[[str], str]) -> dict[tuple[str, int], int]:
    """The paragraph number of each cited quote and each passage of `answer`, keyed by (source, offset): the
    `paragraphs` of its `Turn`. `text_of` gives a document's extracted text (`Assistant.document_text`); a document
    whose text cannot be read is left out (its locations fall back to what else is known)."""
    wanted: dict[str, set[int]] = {}
    for citation in answer.citations:
        wanted.setdefault(citation.source, set()).add(citation.start)
    for passage in answer.passages:
        wanted.setdefault(passage.chunk.source, set()).add(passage_start(passage.chunk))
    numbers: dict[tuple[str, int], int] = {}
    for source, starts in wanted.items():
        try:
            text = text_of(source)
        except (RagError, OSError, ValueError):
            continue
        numbers.update({(source, start): paragraph_number(source, text, start) for start in starts})
    return numbers


class FeedbackLog:
    """Appends ratings of answers to a JSONL file, one record a line; safe to call from several threads.

    Each record holds `time` (UTC, ISO 8601), `question`, `answer` (the text with its `[n]` markers),
    `citations` (n, source, start, end, quote, page, chunk_id), `abstained`, `mode` and `notice` (how the answer
    came about) and `rating` ("up", "down", or whatever other feedback option the page offered).

    Example:
        >>> log = FeedbackLog.in_data_dir(Path("/tmp/rag-demo"))  # doctest: +SKIP
        >>> log.record(answer, "up")  # doctest: +SKIP
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackLog:
        return cls(Path(data_dir) / FEEDBACK_FILE)

    def record(self, answer: Answer, rating: str) -> dict:
        """Append one rating of `answer`; returns the record written."""
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "question": answer.question,
            "answer": answer.text,
            "abstained": answer.abstained,
            "citations": [asdict(c) for c in answer.citations],
            "mode": answer.mode,
            "notice": answer.notice,
            "rating": rating,
        }
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        return entry

    def read(self) -> list[dict]:
        """Every record so far (an empty list when nothing was rated)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def to_markdown(turns: Sequence[Turn], title: str = "Conversation") -> str:
    """The conversation as Markdown: each question, its answer with `[n]` markers, and the sources it cites.

    An abstention lists the nearest passages found, marked as not being an answer.

    Example:
        >>> print(to_markdown([Turn("Who?", error="nothing is indexed yet")]))
        # Conversation
        <BLANKLINE>
        ## 1. Who?
        <BLANKLINE>
        Error: nothing is indexed yet
        <BLANKLINE>
    """
    lines = [f"# {_one_line(title)}", ""]
    for number, turn in enumerate(turns, start=1):
        lines += [f"## {number}. {_one_line(turn.question)}", ""]
        answer = turn.answer
        if answer is None:
            lines += [f"Error: {turn.error}", ""]
            continue
        lines += [_one_line(answer.text), ""]
        if answer.notice:
            lines += [f"_{_one_line(answer.notice)}_", ""]
        if answer.abstained:
            if answer.passages:
                lines += ["Nearest text found (it does not answer the question):", ""]
                for _, passage in answer.nearest():
                    chunk = passage.chunk
                    where = with_offsets(passage_location(chunk, turn.paragraphs), chunk.start, chunk.end)
                    lines.append(f"- {_one_line(chunk.source)} ({where}): “{_shorten(chunk.text)}”")
                lines.append("")
            continue
        lines += ["Sources:", ""]
        lines += [
            f"- [{c.n}] {_one_line(c.source)} ({with_offsets(citation_location(c, turn.paragraphs), c.start, c.end)}): "
            f"“{_one_line(c.quote)}”"
            for c in answer.citations
        ]
        lines.append("")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    """The text on one line with `<`, `>` and `&` escaped: a document's `<script>` stays text in any Markdown viewer."""
    return html.escape(" ".join(text.split()), quote=False)


def _shorten(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return _one_line(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")
