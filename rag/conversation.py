"""A conversation as the chat page keeps it: its turns, the feedback log and the Markdown export.

Owns `Turn` (one question with its `Answer`, or the error it raised), the history that `Assistant.answer` takes
for follow-ups, the thumbs-up/down log (one JSON object a line in `feedback.jsonl` in the data directory), the
Markdown export of a conversation with its sources, and how a citation's location is written. Pure functions and
small classes; leaves out answering (`rag.chain`) and any HTML or Gradio (`ui/`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag.types import Answer, Citation

FEEDBACK_FILE = "feedback.jsonl"


@dataclass(frozen=True)
class Turn:
    """One exchange: the question, and its answer or the readable error that took its place."""

    question: str
    answer: Answer | None = None
    error: str = ""


def history(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """The (question, answer text) pairs `Assistant.answer(history=...)` takes; failed turns are left out.

    Example:
        >>> history([Turn("Q?", error="boom")])
        []
    """
    return [(t.question, t.answer.text) for t in turns if t.answer is not None]


def location(source: str, start: int, end: int, page: int | None = None) -> str:
    """Where a passage or quote sits: the page for PDFs (with the offsets), character offsets otherwise.

    Example:
        >>> location("a.txt", 917, 1118)
        'chars 917–1118'
        >>> location("b.pdf", 10, 40, page=3)
        'page 3, chars 10–40'
    """
    chars = f"chars {start}–{end}"
    return f"page {page}, {chars}" if page else chars


def citation_location(citation: Citation) -> str:
    return location(citation.source, citation.start, citation.end, citation.page)


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
    lines = [f"# {title}", ""]
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
                for passage in answer.passages[:3]:
                    chunk = passage.chunk
                    where = location(chunk.source, chunk.start, chunk.end, chunk.page)
                    lines.append(f"- {chunk.source} ({where}): “{_shorten(chunk.text)}”")
                lines.append("")
            continue
        lines += ["Sources:", ""]
        lines += [f"- [{c.n}] {c.source} ({citation_location(c)}): “{_one_line(c.quote)}”" for c in answer.citations]
        lines.append("")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int = 300) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
