"""A page's reading order: its segments and tables column by column, and segments side by side made lines.

Owns `Line`, `reading_order` and `into_lines`. Lines across most of the page cut it into bands; a band with columns
(found by their gutters: strips no segment crosses, lines of prose ending on one side and starting on the other) is
read column by column, between the elements in it that span its columns; any other band top to bottom. Segments on
one row of one column make a line (a note in the margin does not join the line it stands by). Leaves out what lines
make (paragraphs, headings, footnotes: `compose`) and a table's own columns (`tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from rag.ingest.pdf.tables import Table
from rag.ingest.pdf.words import Seg


@dataclass
class Line:
    segments: list[Seg]
    column: int  # -1: across the columns

    @property
    def x0(self) -> float:
        return self.segments[0].x0

    @property
    def x1(self) -> float:
        return self.segments[-1].x1

    @property
    def top(self) -> float:
        return min(s.top for s in self.segments)

    @property
    def bottom(self) -> float:
        return max(s.bottom for s in self.segments)

    @property
    def size(self) -> float:
        return max(self.segments, key=lambda s: len(s.text)).size

    @property
    def bold(self) -> bool:
        return all(s.bold for s in self.segments)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)


Item = Seg | Table


def reading_order(items: list[Item], body: float) -> list[tuple[int, Item]]:
    """The page's segments and tables in reading order, each with its column (-1: across the columns). Lines
    across most of the page cut it into bands; a band with columns (`_gutters`) is read column by column, between
    the elements in it that span its columns; any other top to bottom."""
    if not items:
        return []
    left, right = min(i.x0 for i in items), max(i.x1 for i in items)
    wide = 0.6 * (right - left)
    out: list[tuple[int, Item]] = []
    band: list[Item] = []
    for item in sorted(items, key=lambda i: (i.top, i.x0)):
        if item.x1 - item.x0 >= wide:
            out += _band_order(band, body, left, right)
            out.append((0, item))
            band = []
        else:
            band.append(item)
    return out + _band_order(band, body, left, right)


def _band_order(items: list[Item], body: float, left: float, right: float) -> list[tuple[int, Item]]:
    gutters = _gutters(items, body, left, right) if len(items) >= 8 else []
    if not gutters:
        return [(0, item) for item in items]
    middles = [(a + b) / 2 for a, b in gutters]

    def spans(item: Item) -> bool:
        return any(item.x0 < a - 1 and item.x1 > b + 1 for a, b in gutters)

    def column(item: Item) -> int:
        return 1 + sum(1 for m in middles if (item.x0 + item.x1) / 2 > m)

    across = [i for i in items if spans(i)]
    rest = [i for i in items if not spans(i)]
    out: list[tuple[int, Item]] = []
    for wide in [*across, None]:
        above = [i for i in rest if wide is None or i.middle < wide.middle]
        rest = [i for i in rest if not (wide is None or i.middle < wide.middle)]
        out += sorted(((column(i), i) for i in above), key=lambda p: (p[0], p[1].top, p[1].x0))
        if wide is not None:
            out.append((-1, wide))
    return out


def _gutters(items: list[Item], body: float, left: float, right: float) -> list[tuple[float, float]]:
    """The gaps between text columns: vertical strips, away from the page's edges, that (almost) no segment
    crosses, with lines of prose ending on their left and starting on their right side by side."""
    span = right - left
    if span <= 0:
        return []
    size = int(span) + 2
    cover = [0] * (size + 1)
    for item in items:
        cover[max(0, int(item.x0 - left))] += 1
        cover[min(size, int(item.x1 - left) + 1)] -= 1
    allow, running, start, gutters = max(1, len(items) // 25), 0, None, []
    for x in range(size):
        running += cover[x]
        if running <= allow and 0.12 * span <= x <= 0.88 * span:
            start = x if start is None else start
            continue
        if start is not None and x - start >= max(6.0, 0.6 * body):
            gutters.append((left + start, left + x))
        start = None
    return [g for g in gutters if _columns_beside(g, items, span, body)][:3]


def _columns_beside(gutter: tuple[float, float], narrow: list[Item], span: float, body: float) -> bool:
    a, b = gutter
    before = [i for i in narrow if a - 0.4 * span <= i.x1 <= a + 1 and isinstance(i, Seg)]
    after = [i for i in narrow if b - 1 <= i.x0 <= b + 0.05 * span and isinstance(i, Seg)]
    if len(before) < 4 or len(after) < 4:
        return False
    overlap = min(max(i.bottom for i in before), max(i.bottom for i in after)) - max(
        min(i.top for i in before), min(i.top for i in after)
    )
    prose = median(len(i.text.split()) for i in before) >= 3 and median(len(i.text.split()) for i in after) >= 3
    return prose and overlap >= 3 * body


def into_lines(order: list[tuple[int, Item]]) -> list[Line | Table]:
    """Segments side by side in one column joined into lines; tables as they are."""
    lines: list[Line | Table] = []
    for column, item in order:
        last = lines[-1] if lines else None
        if isinstance(item, Table):
            lines.append(item)
        elif isinstance(last, Line) and last.column == column >= 0 and _same_row(last, item):
            last.segments.append(item)
            last.segments.sort(key=lambda s: s.x0)
        else:
            lines.append(Line([item], column))
    return lines


def _same_row(line: Line, seg: Seg) -> bool:
    """Whether `seg` goes on `line`: beside it on the same row, not far off (a note in the margin is no part of
    the line it stands by)."""
    height = min(line.bottom - line.top, seg.bottom - seg.top)
    gap = max(seg.x0 - line.x1, line.x0 - seg.x1)
    return min(line.bottom, seg.bottom) - max(line.top, seg.top) >= 0.5 * height and gap < 3 * max(seg.size, 1.0)
