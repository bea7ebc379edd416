"""Structure-aware chunking with exact offsets, and the heading structure of a document.

Owns the cut of a document's text into chunks: headings start a new chunk, whole paragraphs are kept together
while they fit, a paragraph too long for one chunk is cut between sentences (sentencex finds them) with a small
overlap of sentences, and only a "sentence" longer than twice the chunk size is cut between words. Every chunk and
every sentence carries offsets into the document text, so `text[chunk.start:chunk.end] == chunk.text` always.

Headings are metadata, never sentences. A heading is a line the loader marked as one (`LoadedDocument.headings`:
HTML h1-h6, .docx heading styles, PDF title lines), a markdown `#` line or underlined (`===`, `---`) line, a
block that is one short line without closing punctuation, or the short first line of a block when it is clearly
narrower than the lines under it (a title directly over its paragraph; the first line of hard-wrapped text is as
wide as the rest, so it stays text). Each heading is a unit of its own: it starts a new chunk and stays in the
chunk's text (it helps retrieval), but `Chunk.sentences` lists only the sentences of the text under it, so no
answerer can quote a heading. `Chunk.section` is the path of headings the chunk sits under ("History › Causes"),
leaving out the document's title.
When the loader read the document's structure (`LoadedDocument.blocks`, see `rag.ingest.blocks`), the blocks
are taken as they are instead: heading blocks are headings, a paragraph, caption or footnote is cut into
sentences, and each list item and table row is one quotable unit that no chunk cuts. The rows of a table stay in
one chunk while they fit; a longer table is cut between rows, and each of its chunks carries the table's caption
in its section ("Reservoirs › Table 2: Capacity") and, when the caption is in an earlier chunk, in its `context`,
which is embedded with its text. `Chunk.kinds` gives each sentence's block kind.
Leaves out reading files (`loaders`) and storing chunks (`indexer`).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass, replace

from sentencex import segment

from rag.ingest.blocks import HEADING_KINDS, LINE_KINDS, clean
from rag.ingest.loaders import LoadedDocument, looks_like_heading_line
from rag.types import Chunk

SPLITTER_VERSION = "7"  # 7: a web page keeps its date line and carries its author in its title
SECTION_SEPARATOR = " › "
LEAD_WIDTH = 0.6
"""A block's first line is taken as its heading when at most this share of the widest line under it."""
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LINE = re.compile(r"[^\n]+")
_ATX = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")  # a markdown heading line: 1-6 `#`, then a space or the line's end
_ATX_CLOSE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT = re.compile(r" {0,3}(?:={3,}|-{3,})[ \t]*")
_SPACES = re.compile(r"\s*")  # `\s` is exactly `str.isspace`, so this skips what `lstrip()` would


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    heading: bool = False
    level: int | None = None  # a heading's level (1 is the top); None when only its looks make it a heading
    name: str = ""  # a heading's text, without markup
    section: str = ""  # the heading path in effect at this unit
    kind: str = "paragraph"  # the kind of block it comes from
    context: str = ""  # the caption of the table it belongs to
    ocr: bool = False  # read from an image


def chunk_id(source: str, start: int, text: str) -> str:
    """Deterministic id of a chunk: the same source, place and text always give the same id."""
    return hashlib.sha1(f"{source}\0{start}\0{text}".encode()).hexdigest()[:32]


def split_document(doc: LoadedDocument, chunk_size: int = 900, overlap: int = 1) -> list[Chunk]:
    """Cut a document into chunks of about `chunk_size` characters, never inside a sentence.

    Example:
        >>> doc = LoadedDocument("a.md", "# Title\\n## Causes\\nOne sentence. Another one.\\n\\nA new paragraph.")
        >>> [(c.text, c.section, len(c.sentences)) for c in split_document(doc, chunk_size=50)]
        [('# Title\\n## Causes\\nOne sentence. Another one.', 'Causes', 2), ('A new paragraph.', 'Causes', 1)]
    """
    chunks: list[Chunk] = []

    def emit(units: list[_Unit]) -> None:
        start, end = units[0].start, units[-1].end
        text = doc.text[start:end]
        body = [u for u in units if not u.heading]
        lead = body[0] if body else units[-1]
        context = next((u.context for u in body if u.context), "")
        kinds = tuple(u.kind for u in body)
        chunks.append(
            Chunk(
                id=chunk_id(doc.source, start, text),
                text=text,
                source=doc.source,
                start=start,
                end=end,
                title=doc.title,
                page=doc.page_at(start),
                sentences=tuple((u.start, u.end) for u in body),
                section=SECTION_SEPARATOR.join(part for part in (lead.section, context) if part),
                page_breaks=tuple((s, number) for s, number in doc.pages if start < s < end),
                kinds=kinds if any(kind != "paragraph" for kind in kinds) else (),
                ocr=any(u.ocr for u in units),
                context=context if context and not any(u.kind == "caption" for u in body) else "",
            )
        )

    current: list[_Unit] = []
    for paragraph in _paragraphs(doc, chunk_size):
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
    if current and chunks and all(u.heading for u in current):
        _extend(doc, chunks, current[-1].end)  # headings with no text after them: kept, in the last chunk's text
    elif current:
        emit(current)
    return chunks


def _extend(doc: LoadedDocument, chunks: list[Chunk], end: int) -> None:
    last = chunks[-1]
    text = doc.text[last.start : end]
    chunks[-1] = replace(last, id=chunk_id(doc.source, last.start, text), text=text, end=end)


def _paragraphs(doc: LoadedDocument, chunk_size: int) -> list[list[_Unit]]:
    """The text's paragraphs, each as its list of sentences, and each heading as a paragraph of its own."""
    if doc.blocks:
        return _with_sections(_block_paragraphs(doc, chunk_size), doc)
    text, marked = doc.text, sorted(doc.headings)
    paragraphs: list[list[_Unit]] = []
    position = 0
    for match in [*_BLOCK_BREAK.finditer(text), None]:
        block_end = match.start() if match else len(text)
        raw = text[position:block_end]
        start = position + len(raw) - len(raw.lstrip())
        end = position + len(raw.rstrip())
        if end > start:
            paragraphs += _block(text, start, end, marked, chunk_size)
        if match:
            position = match.end()
    return _with_sections(paragraphs, doc)


def _block_paragraphs(doc: LoadedDocument, chunk_size: int) -> list[list[_Unit]]:
    """The paragraphs of a document whose loader gave its blocks: a heading is a paragraph of its own, the
    sentences of a paragraph (caption, footnote) one, and the rows or items of one table or list together one, with
    each row or item a single unit; a table's units carry its caption as their context."""
    text = doc.text
    paragraphs: list[list[_Unit]] = []
    captions: dict[int, str] = {}
    last_group = 0
    for block in doc.blocks:
        kind, span = block.kind, (block.start, block.end)
        if kind in HEADING_KINDS:
            name = clean(text[block.start : block.end])
            paragraphs.append([_Unit(*span, True, block.level, name, kind=kind, ocr=block.ocr)])
            last_group = 0
            continue
        if kind == "caption" and block.group:
            captions[block.group] = clean(text[block.start : block.end])
        context = captions.get(block.group, "") if kind in ("table_row", "caption") else ""
        if kind in LINE_KINDS or kind == "code":
            units = _cut_long(text, _Unit(*span, kind=kind, context=context, ocr=block.ocr), chunk_size)
        else:
            units = [replace(u, kind=kind, context=context, ocr=block.ocr) for u in _sentences(text, *span, chunk_size)]
        if block.group and block.group == last_group:
            paragraphs[-1].extend(units)
        else:
            paragraphs.append(units)
        last_group = block.group
    return paragraphs


def _block(text: str, start: int, end: int, marked: list[tuple[int, int, int]], chunk_size: int) -> list[list[_Unit]]:
    """One block (text between blank lines): its heading lines as paragraphs of their own, the text between them
    as paragraphs of sentences."""
    lines = [_strip(text, m.start(), m.end()) for m in _LINE.finditer(text, start, end)]
    lines = [line for line in lines if line[1] > line[0]]
    paragraphs: list[list[_Unit]] = []
    body: int | None = None  # where the text since the last heading starts
    i = 0
    while i < len(lines):
        heading, used = _heading(text, lines, i, body is None, marked)
        if heading is None:
            body = lines[i][0] if body is None else body
            i += 1
            continue
        if body is not None:
            paragraphs.append(_sentences(text, body, lines[i - 1][1], chunk_size))
            body = None
        paragraphs.append([heading])
        i += used
    if body is not None:
        paragraphs.append(_sentences(text, body, lines[-1][1], chunk_size))
    return paragraphs


def _heading(
    text: str, lines: list[tuple[int, int]], i: int, first: bool, marked: list[tuple[int, int, int]]
) -> tuple[_Unit | None, int]:
    """The heading that starts at line `i` and the number of lines it takes, or (None, 0). `first`: line `i` is
    the first of its block, or follows a heading."""
    start, end = lines[i]
    line = text[start:end]
    if span := _marked_at(marked, start):
        used = sum(1 for s, _ in lines[i:] if s < span[1])
        end = lines[i + used - 1][1]
        return _Unit(start, end, True, span[2], " ".join(text[start:end].split())), used
    if atx := _ATX.match(line):
        name = _ATX_CLOSE.sub("", line[atx.end() :]).strip()
        return _Unit(start, end, True, len(atx.group(1)), name), 1
    if not first or not looks_like_heading_line(line):
        return None, 0
    under = [text[s:e] for s, e in lines[i + 1 :]]
    if under and _SETEXT.fullmatch(under[0]):
        return _Unit(start, lines[i + 1][1], True, 1 if "=" in under[0] else 2, line), 2
    if not under or len(line) <= LEAD_WIDTH * max(map(len, under)):
        return _Unit(start, end, True, None, line), 1
    return None, 0


def _marked_at(marked: list[tuple[int, int, int]], offset: int) -> tuple[int, int, int] | None:
    """The heading the loader marked that holds `offset`, if any."""
    index = bisect.bisect_right(marked, (offset, float("inf"), 0)) - 1
    return marked[index] if index >= 0 and marked[index][0] <= offset < marked[index][1] else None


def _with_sections(paragraphs: list[list[_Unit]], doc: LoadedDocument) -> list[list[_Unit]]:
    """Each unit with the heading path it sits under, leaving out the document's title: its own title, and a
    heading that opens the document with no other heading at its level or above."""
    headings = [p[0] for p in paragraphs if p[0].heading]
    levels = _levels(headings)
    titles = {_key(doc.title)}
    opening = headings[0] if headings and headings[0].start == _SPACES.match(doc.text).end() else None
    if opening and all(level > levels[0] for level in levels[1:]):
        titles.add(_key(opening.name))
    stack: list[tuple[int, str]] = []  # (level, name) of the headings in effect
    path, out, number = "", [], 0
    for paragraph in paragraphs:
        if paragraph[0].heading:
            while stack and stack[-1][0] >= levels[number]:
                stack.pop()
            stack.append((levels[number], paragraph[0].name))
            path = SECTION_SEPARATOR.join(name for _, name in stack if name and _key(name) not in titles)
            number += 1
        out.append([replace(u, section=path) for u in paragraph] if path else paragraph)
    return out


def _levels(headings: list[_Unit]) -> list[int]:
    """Each heading's level. One known only by its looks is a sibling of the heading before it when that one was
    too, else one level below it (the first is at the top)."""
    levels: list[int] = []
    for i, heading in enumerate(headings):
        if heading.level is not None:
            levels.append(heading.level)
        else:
            levels.append(1 if not i else levels[-1] + (headings[i - 1].level is not None))
    return levels


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def is_heading(block: str) -> bool:
    """A text that reads as a heading: a markdown `#` line, or one short line without closing punctuation."""
    return bool(_ATX.match(block)) or looks_like_heading_line(block)


def _sentences(text: str, start: int, end: int, chunk_size: int) -> list[_Unit]:
    block = text[start:end]
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
        pieces.append(replace(unit, start=start, end=cut))
        start = _skip_spaces(text, cut, unit.end)
    pieces.append(replace(unit, start=start))
    return [p for p in pieces if p.end > p.start]


def _skip_spaces(text: str, start: int, end: int) -> int:
    """The first offset from `start` (at most `end`) that is not whitespace, without copying the text: slicing
    `text[start:end]` for every cut made cutting a long unbroken line quadratic in its length."""
    return _SPACES.match(text, start, end).end()


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """`start, end` moved inwards past whitespace."""
    start = _skip_spaces(text, start, end)
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
