"""Pass two for one page: its lines composed into elements (title, headings, paragraphs, list items, tables with
their captions), and its footnotes.

Owns `compose` and `Element`. Small type at the foot of a page, opening with a marker, becomes the page's footnotes.
Lines join into paragraphs: breaks at wider gaps, type changes, first-line indents, bullets, a short line that closes
a sentence; a paragraph left mid-sentence at a column's foot goes on after the few lines in other type at the next
column's head. Headings by their type (clearly larger, bold at body size, numbered capitals; levels by size), or, in
a document whose type marks none, by their looks; the title's lines make the title; bulleted lines and
table-of-contents entries are list items. A short line just above a table (or "Table 2: ..." just below) is its
caption. Also whether a text goes on with the sentence another leaves open (`goes_on`). Leaves out the reading order
(`columns`), what the pages share (`style`), and what carries over from page to page (`writer`).
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass
from statistics import median

from rag.ingest.loaders import CLOSING, looks_like_heading_line
from rag.ingest.pdf.columns import Line, into_lines, reading_order
from rag.ingest.pdf.page import Page
from rag.ingest.pdf.style import LARGER, SMALL, DocStyle, heading_text
from rag.ingest.pdf.tables import Table, is_data
from rag.ingest.pdf.words import Seg, join

_NOTE_START = re.compile(r"(?:\d{1,3}|[*†‡§¶]{1,3})(?:[.)]?\s+|(?=[A-Z]))")
_BULLET = re.compile(r"[•◦▪▫●○■□‣⁃∙➢➤►✓✔\ue000-\uf8ff]\s*")  # the private-use area: Symbol and Wingdings glyphs
_SECTION_NUMBER = re.compile(r"(?:[IVX]{1,5}|\d{1,2}(?:\.\d{1,2})*|[A-Z])\.?\s+(?=\S)")
_CAPTION = re.compile(r"(?:table|tab\.|exhibit)\s*[\dIVXivx]+[a-z]?\b", re.IGNORECASE)
_SENTENCE_CLOSE = re.compile(r"[.!?][\"”’)\]]*$")


@dataclass
class Element:
    kind: str  # title, heading, paragraph, list_item, table
    text: str = ""
    level: int = 0
    lines: int = 1
    top: float = 0.0
    bottom: float = 0.0
    table: Table | None = None
    caption: str = ""
    span: tuple[float, float] = (0.0, 0.0)  # its left and right edge


def compose(page: Page, style: DocStyle) -> tuple[list[Element], list[str]]:
    """A page's elements in reading order and its footnotes (pass two)."""
    segments = [s for s in page.segments if not style.is_furniture(s, page.height)]
    notes, segments = _footnotes(segments, style.body, page.height)
    order = reading_order([*segments, *page.tables], style.body)
    return _with_captions(_elements(into_lines(order), style)), notes


def _footnotes(segments: list[Seg], body: float, height: float) -> tuple[list[str], list[Seg]]:
    """The footnotes at the foot of the page: lines in small type below the top third with no larger type under
    them, at least one of which opens with a marker; read column by column, each marker opens a note."""
    large = [s for s in segments if s.size >= SMALL * body]
    foot = [
        s
        for s in segments
        if s.size < SMALL * body
        and s.top > height / 3
        and not any(b.top >= s.bottom - 1 and b.x0 < s.x1 and s.x0 < b.x1 for b in large)
    ]
    lines = [line for line in into_lines(reading_order(foot, body)) if isinstance(line, Line)]
    if not any(line.segments[0].marker or _NOTE_START.match(line.text) for line in lines):
        return [], segments
    notes: list[str] = []
    number = None  # the last note's number
    for line in lines:
        start = _NOTE_START.match(line.text)
        marker = line.segments[0].marker or (start.group(0).strip(" .)") if start else "")
        following = number is None or not marker.isdigit() or int(marker) == number + 1
        if (marker and (line.segments[0].marker or following)) or not notes:
            notes.append(line.text)
            number = int(marker) if marker.isdigit() else number
        else:
            notes[-1] = join([notes[-1], line.text])
    gone = {id(s) for s in foot}
    return notes, [s for s in segments if id(s) not in gone]


@dataclass
class _Column:
    """Where a column's lines usually start and end, and their usual vertical gap."""

    left: float
    right: float
    gap: float


def _column_metrics(lines: list[Line | Table], body: float) -> dict[int, _Column]:
    by_column: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        if isinstance(line, Line):
            by_column[line.column].append(line)
    metrics = {}
    for column, members in by_column.items():
        lefts = sorted(line.x0 for line in members)
        rights = sorted(line.x1 for line in members)
        gaps = [
            b.top - a.bottom
            for a, b in itertools.pairwise(members)
            if abs(a.size - b.size) < 0.5 and 0 <= b.top - a.bottom < 2 * b.size
        ]
        metrics[column] = _Column(
            lefts[len(lefts) // 10], rights[len(rights) * 9 // 10], median(gaps) if gaps else 0.25 * body
        )
    return metrics


def _elements(lines: list[Line | Table], style: DocStyle) -> list[Element]:
    """The page's lines grouped into paragraphs, each classed as title, heading, list item or paragraph."""
    metrics = _column_metrics(lines, style.body)
    lone = _lone_headings(lines, metrics) if not style.font_headings else set()
    groups: list[list[int]] = []  # each paragraph's lines, by index; a table alone
    for i, line in enumerate(lines):
        last = groups[-1] if groups else None
        after = lines[i + 1] if i + 1 < len(lines) and isinstance(lines[i + 1], Line) else None
        joins = (
            isinstance(line, Line)
            and last is not None
            and isinstance(lines[last[-1]], Line)
            and i not in lone
            and last[-1] not in lone
            and not _breaks(lines[last[-1]], line, after, metrics)  # type: ignore[arg-type]
        )
        if joins and last is not None:
            last.append(i)
        else:
            groups.append([i])
    _mend_interrupted(groups, lines)
    out = []
    for group in groups:
        first = lines[group[0]]
        if isinstance(first, Table):
            out.append(Element("table", top=first.top, bottom=first.bottom, table=first, span=(first.x0, first.x1)))
        else:
            members = [lines[i] for i in group]
            out.append(_paragraph(members, style, group[0] in lone))  # type: ignore[arg-type]
    return out


def _mend_interrupted(groups: list[list[int]], lines: list[Line | Table]) -> None:
    """A paragraph left mid-sentence at a column's foot that goes on a few short lines later, after lines in
    other type (a masthead or label at the next column's head): the two parts joined, those lines after them."""
    i = 0
    while i < len(groups):
        last = lines[groups[i][-1]]
        words = sum(len(lines[k].text.split()) for k in groups[i] if isinstance(lines[k], Line))
        if isinstance(last, Line) and words >= 8 and not last.text.endswith(CLOSING):
            for skip in range(1, 4):
                if i + skip + 1 >= len(groups):
                    break
                between = [lines[k] for g in groups[i + 1 : i + skip + 1] for k in g]
                if any(not isinstance(b, Line) or abs(b.size - last.size) < 0.5 for b in between) or len(between) > 4:
                    break
                first = lines[groups[i + skip + 1][0]]
                if isinstance(first, Line) and abs(first.size - last.size) < 0.5 and first.text[:1].islower():
                    groups[i] += groups.pop(i + skip + 1)
                    break
        i += 1


def _lone_headings(lines: list[Line | Table], metrics: dict[int, _Column]) -> set[int]:
    """Headings known by their looks alone, in a document whose type marks none: a short line that could be a
    heading, after a closed sentence, over a line of running text in its column."""
    lone = set()
    for i, line in enumerate(lines):
        if not isinstance(line, Line) or i + 1 >= len(lines):
            continue
        before, after, column = lines[i - 1] if i else None, lines[i + 1], metrics[line.column]
        width = column.right - column.left
        if (
            isinstance(after, Line)
            and after.column == line.column
            and looks_like_heading_line(line.text)
            and line.x1 - line.x0 <= 0.7 * width
            and after.x1 - after.x0 > 0.7 * width
            and (not isinstance(before, Line) or before.text.endswith(CLOSING) or i - 1 in lone)
        ):
            lone.add(i)
    return lone


def _breaks(before: Line, line: Line, after: Line | None, metrics: dict[int, _Column]) -> bool:
    """Whether `line` starts a new paragraph after `before`."""
    end, start = before.segments[-1].ends[1], line.segments[0].ends[0]
    if before.column != line.column:  # a new column: the paragraph goes on only mid-sentence
        return not (goes_on(before.text, line.text) and abs(end - start) < 0.5)
    size = max(before.size, line.size)
    if abs(before.size - line.size) > max(0.6, 0.06 * size) and abs(end - start) > max(0.6, 0.06 * size):
        return True  # the type changes (not only for a run-in head in a line of text)
    if before.bold != line.bold and (heading_text(before.text) or heading_text(line.text)):
        return True
    column = metrics[line.column]
    gap = line.top - before.bottom
    if gap > column.gap + 0.45 * size or gap < -0.5 * size or _BULLET.match(line.text):
        return True
    short = before.x1 < column.right - max(0.12 * (column.right - column.left), 2 * size)
    if short and _SENTENCE_CLOSE.search(before.text):
        return True
    if before.segments[-1].leader:  # an entry of a table of contents
        return True
    indent = line.x0 - column.left
    return (  # a first line set in, between lines that are not (a list item's lines hang: not this)
        indent > 0.8 * size
        and not _BULLET.match(before.text)
        and before.x0 - column.left < 0.5 * size
        and after is not None
        and after.column == line.column
        and after.x0 - column.left < 0.5 * size
    )


def goes_on(text: str, following: str) -> bool:
    """Whether `following` carries on the sentence `text` leaves open (across a column or page break)."""
    if not text or not following or text.endswith(CLOSING):
        return False
    return following[0].islower() or following[0].isdigit() or text[-1] in ",-–—(" or text[-1].islower()


def _paragraph(lines: list[Line], style: DocStyle, lone: bool) -> Element:
    texts = [_line_text(line, i) for i, line in enumerate(lines)]
    text = join([t for t in texts if t])
    top, bottom = lines[0].top, lines[-1].bottom
    span = (min(line.x0 for line in lines), max(line.x1 for line in lines))
    element = Element("paragraph", text, 0, len(lines), top, bottom, span=span)
    if any(id(s) in style.title for line in lines for s in line.segments):
        element.kind, style.title = "title", set()  # one title: lines of it set apart come out as text
    elif len(lines) == 1 and lines[0].segments[-1].leader:  # an entry of a table of contents
        element.kind = "list_item"
    elif lone or _is_heading(lines, text, style):
        element.kind, element.level = "heading", 1 if lone else style.level(lines[0].size)
    elif _BULLET.match(text):
        element.kind = "list_item"
    if element.kind in ("heading", "list_item") and (bullet := _BULLET.match(text)):
        element.text = text[bullet.end() :]
    return element


def _line_text(line: Line, index: int) -> str:
    """A line's text; a raised marker that opens a line inside a paragraph is a footnote reference: dropped."""
    text = line.text
    marker = line.segments[0].marker
    if index and marker and text.startswith(marker):
        text = text[len(marker) :].lstrip()
    return text


def _is_heading(lines: list[Line], text: str, style: DocStyle) -> bool:
    """A heading by its type: clearly larger than the body, or bold at about the body size (when the body is not
    bold), or a numbered line in capitals ("II. BASICS OF MACHINE LEARNING", set in small capitals)."""
    size = lines[0].size
    if len(lines) > 3 or not heading_text(text):
        return False
    if any(len(line.segments) > 1 and any(is_data(s.text) for s in line.segments) for line in lines):
        return False  # a row of a table not found as one ("Total   28,310   91%")
    if size >= LARGER * style.body:
        return True
    if size < 0.95 * style.body:
        return False
    numbered = len(lines) == 1 and (number := _SECTION_NUMBER.match(text)) and text[number.end() :].isupper()
    return bool(numbered) or (style.bold_headings and all(line.bold for line in lines))


def _with_captions(elements: list[Element]) -> list[Element]:
    """Each table with its caption: a short line just above it (read just before it, or, on a page of columns,
    wherever its column put it), or a "Table 2: ..." line just below."""
    taken: set[int] = set()
    for i, element in enumerate(elements):
        table = element.table
        if element.kind != "table" or table is None:
            continue
        above = [k for k, e in enumerate(elements) if k not in taken and _caption(e, table, above=True)]
        after = i + 1 if i + 1 < len(elements) and _caption(elements[i + 1], table, above=False) else None
        if above:
            k = max(above, key=lambda k: (elements[k].bottom, k == i - 1))
            element.caption, taken = elements[k].text, taken | {k}
        elif after is not None and after not in taken:
            element.caption, taken = elements[after].text, taken | {after}
    return [e for k, e in enumerate(elements) if k not in taken]


def _caption(element: Element, table: Table, above: bool) -> bool:
    gap = table.top - element.bottom if above else element.top - table.bottom
    if element.kind not in ("paragraph", "heading") or element.lines > 2 or not -2 <= gap <= 3 * table.size:
        return False
    if element.span[1] < table.x0 or element.span[0] > table.x1:  # not over the table
        return False
    if _CAPTION.match(element.text):
        return True
    return (
        above and element.kind == "paragraph" and len(element.text.split()) <= 12 and not element.text.endswith(CLOSING)
    )
