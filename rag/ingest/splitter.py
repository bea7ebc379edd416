"""Structure-aware chunking with exact offsets.

Owns the cut of a document's text into chunks: headings start a new chunk, whole paragraphs are kept together
while they fit, a paragraph too long for one chunk is cut between sentences (sentencex finds them) with a small
overlap of sentences, and only a "sentence" longer than twice the chunk size is cut between words. Every chunk and
every sentence carries offsets into the document text, so `text[chunk.start:chunk.end] == chunk.text` always.
Leaves out reading files (`loaders`) and storing chunks (`indexer`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sentencex import segment

from rag.ingest.loaders import LoadedDocument
from rag.types import Chunk

SPLITTER_VERSION = "3"
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n\s*")
_TERMINAL = tuple('.?!:;"”’)')
_SPACES = re.compile(r"\s*")  # `\s` is exactly `str.isspace`, so this skips what `lstrip()` would


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    heading: bool = False


def chunk_id(source: str, start: int, text: str) -> str:
    """Deterministic id of a chunk: the same source, place and text always give the same id."""
    return hashlib.sha1(f"{source}\0{start}\0{text}".encode()).hexdigest()[:32]


def split_document(doc: LoadedDocument, chunk_size: int = 900, overlap: int = 1) -> list[Chunk]:
    """Cut a document into chunks of about `chunk_size` characters, never inside a sentence.

    Example:
        >>> doc = LoadedDocument("a.txt", "# Title\\n\\nOne sentence. Another one.\\n\\nA new paragraph.")
        >>> [c.text for c in split_document(doc, chunk_size=40)]
        ['# Title\\n\\nOne sentence. Another one.', 'A new paragraph.']
    """
    chunks: list[Chunk] = []

    def emit(units: list[_Unit]) -> None:
        start, end = units[0].start, units[-1].end
        text = doc.text[start:end]
        chunks.append(
            Chunk(
                id=chunk_id(doc.source, start, text),
                text=text,
                source=doc.source,
                start=start,
                end=end,
                title=doc.title,
                page=doc.page_at(start),
                sentences=tuple((u.start, u.end) for u in units),
            )
        )

    current: list[_Unit] = []
    for paragraph in _paragraphs(doc.text, chunk_size):
        only_headings = all(u.heading for u in current)
        new_section = paragraph[0].heading
        too_long = bool(current) and paragraph[-1].end - current[0].start > chunk_size
        if current and not only_headings and (new_section or too_long):
            emit(current)
            current = []
        if paragraph[-1].end - (current or paragraph)[0].start <= chunk_size:
            current.extend(paragraph)
            continue
        for unit in paragraph:  # a paragraph too long for one chunk: cut between sentences
            if current and not all(u.heading for u in current) and unit.end - current[0].start > chunk_size:
                emit(current)
                kept = current[-overlap:] if overlap else []
                current = [u for u in kept if not u.heading and unit.end - u.start <= chunk_size]
                if current and unit.end - current[0].start > chunk_size:
                    current = []
            current.append(unit)
    if current:
        emit(current)
    return chunks


def _paragraphs(text: str, chunk_size: int) -> list[list[_Unit]]:
    """The text's paragraphs (blocks between blank lines), each as its list of sentences."""
    paragraphs = []
    position = 0
    for match in [*_BLOCK_BREAK.finditer(text), None]:
        block_end = match.start() if match else len(text)
        raw = text[position:block_end]
        start = position + len(raw) - len(raw.lstrip())
        end = position + len(raw.rstrip())
        if end > start:
            paragraphs.append(_sentences(text, start, end, chunk_size))
        if match:
            position = match.end()
    return paragraphs


def is_heading(block: str) -> bool:
    """A block that reads as a heading: a markdown `#` line, or one short line without closing punctuation."""
    if block.startswith("#"):
        return True
    return "\n" not in block and len(block) <= 100 and not block.endswith(_TERMINAL) and len(block.split()) <= 12


def _sentences(text: str, start: int, end: int, chunk_size: int) -> list[_Unit]:
    block = text[start:end]
    if is_heading(block):
        return [_Unit(start, end, heading=True)]
    units, cursor = [], 0
    for sentence in segment("en", block):
        piece = sentence.strip()
        found = block.find(piece, cursor) if piece else -1
        if found < 0:
            continue
        units.append(_Unit(start + found, start + found + len(piece)))
        cursor = found + len(piece)
    if not units or units[-1].end < end:  # whatever sentencex did not hand back stays in the last sentence
        tail_start = units[-1].end if units else start
        units.append(_Unit(_skip_spaces(text, tail_start, end), end))
    return [piece for unit in units for piece in _cut_long(text, unit, chunk_size)]


def _cut_long(text: str, unit: _Unit, chunk_size: int) -> list[_Unit]:
    """A 'sentence' over twice the chunk size (a table, a list without stops) is cut between words."""
    if unit.end - unit.start <= 2 * chunk_size:
        return [unit]
    pieces, start = [], unit.start
    while unit.end - start > chunk_size:
        cut = text.rfind(" ", start + chunk_size // 2, start + chunk_size)
        cut = cut if cut > start else start + chunk_size
        pieces.append(_Unit(start, cut))
        start = _skip_spaces(text, cut, unit.end)
    pieces.append(_Unit(start, unit.end))
    return [p for p in pieces if p.end > p.start]


def _skip_spaces(text: str, start: int, end: int) -> int:
    """The first offset from `start` (at most `end`) that is not whitespace, without copying the text: slicing
    `text[start:end]` for every cut made cutting a long unbroken line quadratic in its length."""
    return _SPACES.match(text, start, end).end()
