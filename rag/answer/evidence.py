"""What the LLM modes show the model, and what they accept back.

Owns
- the evidence offered: the best `cap` sentences of the retrieved passages by the extractive answerer's ranking (its
  reranked best first, then the next by its cheap score), overlapping spans joined, each with a short id (`S1`…`Sn`)
  in document order, and how strong it is as evidence for the question relative to the best (`Offered.relevance`);
- showing them: grouped under their document and section, fenced as quoted data (`render`);
- the reply's JSON schema, `{"answerable", "answer": [{"text", "evidence"}], "short"}`, whose evidence ids are an
  enum of the ids offered, so that a schema-constrained decoder cannot write an id that does not exist
  (`reply_schema`);
- reading a reply leniently (`ReplyReader`): the answer items as they complete while the reply streams, the first
  JSON object of the whole text (a server that ignores the schema may wrap it in prose or a code fence), and what a
  reply cut off by the token limit still holds.
Leaves out checking the reply (`rag.answer.claims`) and calling the model (`rag.answer.generative`, `rag.llm`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rag.answer.extractive import Candidate

MAX_SENTENCES = 3  # answer items a reply may hold (the schema's maxItems): one or two are asked for
MAX_EVIDENCE = 3  # evidence ids an item may list
MAX_TEXT, MAX_SHORT = 300, 80  # characters of an answer sentence and of the short answer (no endless loops)
_DECODER = json.JSONDecoder()
_FENCE = re.compile(r"</?\s*documents", re.IGNORECASE)
_ANSWER_ARRAY = re.compile(r'"answer"\s*:\s*\[')
_ANSWERABLE = re.compile(r'"answerable"\s*:\s*(true|false)')
_SEPARATOR = re.compile(r"\s*,?\s*")
_ID = re.compile(r"^\s*\[?\s*S?\s*(\d+)\s*\]?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Offered:
    """One evidence sentence shown to the model: its id, the sentence (exact span of its passage) and its evidence
    score for the question as a share of the best score of the same ranking (1.0 for the best sentence)."""

    id: str
    sentence: Candidate
    relevance: float


@dataclass(frozen=True)
class Item:
    """One sentence of a reply's `answer`: its text and the ids it gives as evidence (as written)."""

    text: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Reply:
    """A model's reply as read: `answerable` (None when it did not say), the answer items, the short answer, and
    whether the whole JSON object was read (False: cut off, only the items completed before the cut)."""

    answerable: bool | None
    items: tuple[Item, ...]
    short: str
    complete: bool


def offer(ranked: Sequence[Candidate], cheap: Sequence[Candidate], cap: int) -> list[Offered]:
    """The evidence sentences to show: the extractive ranking's best (`ranked`, reranked with embeddings), then the
    next ones of its cheap ranking (`cheap`, every sentence), `cap` in all; in document order, overlapping spans of
    one chunk joined, numbered `S1`…`Sn`.

    Example:
        >>> from rag.types import Chunk, Passage
        >>> p = Passage(Chunk("c", "Kyiv won. It rained. Lviv lost.", "a.txt", 0, 31), 1.0)
        >>> ranked = [Candidate(p, 21, 31, "Lviv lost.", 0.8), Candidate(p, 0, 9, "Kyiv won.", 0.4)]
        >>> [(o.id, o.sentence.text, o.relevance) for o in offer(ranked, ranked, 5)]
        [('S1', 'Kyiv won.', 0.5), ('S2', 'Lviv lost.', 1.0)]
    """
    chosen: dict[tuple[str, int, int], tuple[Candidate, float]] = {}
    for ranking in (ranked, cheap):
        best = max((c.score for c in ranking[:1]), default=0.0)
        for candidate in ranking:
            if len(chosen) >= cap:
                break
            key = (candidate.passage.chunk.source, candidate.start, candidate.end)
            if key not in chosen:
                chosen[key] = (candidate, round(candidate.score / best, 4) if best > 0 else 0.0)
    joined: list[tuple[Candidate, float]] = []
    for candidate, relevance in sorted(chosen.values(), key=lambda row: (row[0].passage.chunk.source, row[0].start)):
        if (
            joined
            and joined[-1][0].passage.chunk.id == candidate.passage.chunk.id
            and candidate.start < joined[-1][0].end
        ):
            before, strength = joined[-1]
            start, end = before.start, max(before.end, candidate.end)
            chunk = candidate.passage.chunk
            text = chunk.text[start - chunk.start : end - chunk.start]
            score = max(before.score, candidate.score)
            joined[-1] = (replace(before, end=end, text=text, score=score), max(strength, relevance))
        else:
            joined.append((candidate, relevance))
    return [Offered(f"S{n}", candidate, relevance) for n, (candidate, relevance) in enumerate(joined, start=1)]


def render(offered: Sequence[Offered]) -> str:
    """The offered sentences as the prompt shows them: one a line after its id, under a line naming their document
    (and section); fenced in `<documents>`, whose tags a sentence cannot write (any `<documents` in it is defused).
    A sentence is one line: its own line breaks become spaces, so it cannot start a line with a fake id."""
    lines = ["<documents>"]
    heading = None
    for o in offered:
        chunk = o.sentence.passage.chunk
        if (chunk.source, chunk.section) != heading:
            heading = (chunk.source, chunk.section)
            section = f', section "{_plain(chunk.section)}"' if chunk.section else ""
            lines.append(f'Document "{_plain(chunk.source)}"{section}:')
        lines.append(f"{o.id}: {_plain(o.sentence.text)}")
    return "\n".join([*lines, "</documents>"])


def _plain(text: str) -> str:
    return _FENCE.sub(lambda m: m.group().replace("<", "‹"), " ".join(text.split())).replace('"', "'")


def reply_schema(ids: Sequence[str]) -> dict[str, Any]:
    """The JSON schema of a reply; the evidence ids must be ones offered (`ids`), at least one per answer item.

    Example:
        >>> reply_schema(["S1", "S2"])["properties"]["answer"]["items"]["properties"]["evidence"]["items"]
        {'type': 'string', 'enum': ['S1', 'S2']}
    """
    evidence = {"type": "array", "items": {"type": "string", "enum": list(ids)}, "minItems": 1}
    item = {
        "type": "object",
        "properties": {
            "text": {"type": "string", "maxLength": MAX_TEXT},
            "evidence": {**evidence, "maxItems": MAX_EVIDENCE},
        },
        "required": ["text", "evidence"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "answerable": {"type": "boolean"},
            "answer": {"type": "array", "items": item, "maxItems": MAX_SENTENCES},
            "short": {"type": "string", "maxLength": MAX_SHORT},
        },
        "required": ["answerable", "answer", "short"],
        "additionalProperties": False,
    }


class ReplyReader:
    """Reads a reply as it streams: `feed(text)` returns the answer items that text completed; `reply()` reads
    the whole text once it has arrived, or None when it holds no reply at all.

    Example:
        >>> reader = ReplyReader()
        >>> reader.feed('{"answerable": true, "answer": [{"text": "Kyiv won.", "evi')
        []
        >>> reader.feed('dence": ["S2"]}, {"text": "It')
        [Item(text='Kyiv won.', evidence=('S2',))]
        >>> reader.reply()
        Reply(answerable=True, items=(Item(text='Kyiv won.', evidence=('S2',)),), short='', complete=False)
    """

    def __init__(self) -> None:
        self.raw = ""
        self.items: list[Item] = []
        self._at: int | None = None  # where the next item of the answer array may begin

    def feed(self, text: str) -> list[Item]:
        self.raw += text
        if self._at is None:
            found = _ANSWER_ARRAY.search(self.raw)
            if found is None:
                return []
            self._at = found.end()
        new = []
        while True:
            at = _SEPARATOR.match(self.raw, self._at).end()
            if at >= len(self.raw) or self.raw[at] != "{":
                break
            try:
                value, end = _DECODER.raw_decode(self.raw, at)
            except json.JSONDecodeError:
                break  # not complete yet
            self._at = end
            item = _item(value)
            if item is not None:
                new.append(item)
        self.items += new
        return new

    def reply(self) -> Reply | None:
        """The first JSON object of the text that has an `answer` or `answerable`, read leniently; else, when the
        text was cut off inside one, the items completed before the cut (None when there are none)."""
        for start in (m.start() for m in re.finditer(r"\{", self.raw)):
            try:
                value, _ = _DECODER.raw_decode(self.raw, start)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict) and ("answer" in value or "answerable" in value):
                return _reply(value)
        if not self.items:
            return None
        said = _ANSWERABLE.search(self.raw)
        return Reply(said.group(1) == "true" if said else None, tuple(self.items), "", complete=False)


def _reply(value: dict[str, Any]) -> Reply:
    answerable = value.get("answerable")
    answer = value.get("answer")
    raw_items = answer if isinstance(answer, list) else [answer] if isinstance(answer, str | dict) else []
    items = tuple(item for item in map(_item, raw_items) if item is not None)
    short = value.get("short")
    return Reply(
        answerable if isinstance(answerable, bool) else None,
        items,
        short.strip() if isinstance(short, str) else "",
        complete=True,
    )


def _item(value: Any) -> Item | None:
    """An answer item read leniently: a bare string is a sentence without evidence; ids may be "S3", "[3]", 3."""
    if isinstance(value, str):
        value = {"text": value}
    if not isinstance(value, dict) or not isinstance(value.get("text"), str) or not value["text"].strip():
        return None
    evidence = value.get("evidence", ())
    if isinstance(evidence, str | int):
        evidence = [evidence]
    ids = []
    for raw in evidence if isinstance(evidence, list) else ():
        found = _ID.match(str(raw)) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
        if found:
            ids.append(f"S{int(found.group(1))}")
    return Item(value["text"].strip(), tuple(dict.fromkeys(ids)))
