"""A page's tables, found as rows of cell texts, and the names their header rows give their columns.

Owns finding tables. Ruled ones from the lattice of their rules (pdfplumber's edge snapping, intersection and cell
finding; the sides a government table leaves undrawn closed first), rows cut again at the text's lines when rules
come every few rows, columns the rules leave out found in the gaps between values; unruled ones from three or more
rows of aligned cells with values. Header rows without values are flattened, a group header given to each column it
spans (`header_rows`, `column_names`); what reads as a value (`is_data`). Leaves out where a table stands in the
reading order and its caption (`columns`, `compose`), and writing it: each row one `table_row` line beside its
header, a header carried over a page break (`writer`).
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from rag.ingest.blocks import flatten_header
from rag.ingest.pdf.rules import add_edge
from rag.ingest.pdf.words import Seg, Word, by_baseline, join, segments

_VALUE_START = re.compile(r"[(\[]?[-−–+]?[$£€¥]?\d")
_AMOUNT = re.compile(r"[$£€¥]\s?\d|\d\s?%")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_TABLE_SNAP = 3  # points within which pdfplumber snaps and joins rules, and finds their crossings


@dataclass(slots=True)
class Table:
    x0: float
    x1: float
    top: float
    bottom: float
    rows: list[list[str]]
    size: float
    ruled: bool = False  # its header cells span exactly the columns their rules show

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def columns(self) -> int:
        return len(self.rows[0]) if self.rows else 0


def is_data(text: str) -> bool:
    """A cell that holds a value ("6,200", "99.97%", "£1.1 billion", "(3.2)", "Up to $3,790"), not a bare year
    or words."""
    text = text.strip()
    if _YEAR.fullmatch(text):
        return False
    return (bool(_VALUE_START.match(text)) and len(text.split()) <= 3) or bool(_AMOUNT.search(text))


def holds_data(row: Sequence[str]) -> bool:
    return any(is_data(cell) for cell in row)


def lattice_tables(edges: list[dict], words: list[Word]) -> tuple[list[Table], list[Word]]:
    """Tables drawn with rules or cell backgrounds: pdfplumber finds their cells from the page's edges; the
    words inside each table are taken out of the page's text (but for a title or notes box across its top or
    foot, which go back to it)."""
    if len(edges) < 4 or not words:
        return [], words
    from pdfplumber.table import cells_to_tables, edges_to_intersections, intersections_to_cells, merge_edges

    snap = _TABLE_SNAP
    merged = [e for e in merge_edges(edges, snap, snap, snap, snap) if max(e["width"], e["height"]) >= snap]
    merged = merge_edges(_close_frames(merged), snap, snap, snap, snap)
    groups = cells_to_tables(intersections_to_cells(edges_to_intersections(merged, snap, snap)))
    tables, used = [], set()
    for cells in groups:
        by_cell = _words_by_cell(cells, [w for w in words if id(w) not in used])
        table, taken = _grid_table(cells, by_cell)
        if table:
            tables.append(table)
            used.update(id(w) for w in taken)
    return tables, [w for w in words if id(w) not in used]


def _close_frames(edges: list[dict]) -> list[dict]:
    """Edges with the sides a table leaves undrawn (a government table: rules across, rules between its columns,
    none at its outer sides, none under a part cut by a page break): for rules across of the same span that
    rules down join, a rule down at each end, and a rule across where two or more rules down end together below
    the last of them."""
    down = [e for e in edges if e["orientation"] == "v"]
    spans: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for edge in edges:
        if edge["orientation"] == "h":
            spans[(round(edge["x0"] / _TABLE_SNAP), round(edge["x1"] / _TABLE_SNAP))].append(edge)
    added: list[dict] = []
    for rules in spans.values():
        rules.sort(key=lambda r: r["top"])
        x0, x1 = rules[0]["x0"], rules[0]["x1"]
        inside = [d for d in down if x0 - 1 <= d["x0"] <= x1 + 1]
        run = [rules[0]]
        for rule in [*rules[1:], None]:
            if rule is not None and any(
                d["top"] <= run[-1]["top"] + 3 and d["bottom"] >= rule["top"] - 3 for d in inside
            ):
                run.append(rule)
                continue
            if len(run) >= 2:
                _frame_run(run[0]["top"], run[-1]["top"], x0, x1, inside, added)
            run = [rule] if rule is not None else []
    return edges + added


def _frame_run(top: float, bottom: float, x0: float, x1: float, inside: list[dict], added: list[dict]) -> None:
    below = Counter(round(d["bottom"]) for d in inside if d["top"] <= bottom + 1 and d["bottom"] > bottom + 3)
    if below and below.most_common(1)[0][1] >= 2:  # its columns' rules go on below the last rule across
        bottom = float(below.most_common(1)[0][0])
        add_edge(added, (x0, bottom), (x1, bottom))
    add_edge(added, (x0, top), (x0, bottom))
    add_edge(added, (x1, top), (x1, bottom))


_Cell = tuple[float, float, float, float]  # x0, top, x1, bottom


def _words_by_cell(cells: list[_Cell], words: list[Word]) -> dict[_Cell, list[Word]]:
    """The words whose middle lies in each cell (cells looked up by the band of rows they start in)."""
    tops = sorted({c[1] for c in cells})
    by_top: dict[float, list[_Cell]] = defaultdict(list)
    for cell in cells:
        by_top[cell[1]].append(cell)
    bottom = max(c[3] for c in cells)
    out: dict[_Cell, list[Word]] = defaultdict(list)
    for word in words:
        x, y = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        if y < tops[0] or y > bottom:
            continue
        for top in reversed(tops[: bisect.bisect_right(tops, y)]):
            cell = next((c for c in by_top[top] if c[0] <= x <= c[2] and y <= c[3]), None)
            if cell is not None:
                out[cell].append(word)
                break
    return out


def _grid_table(cells: list[_Cell], by_cell: dict[_Cell, list[Word]]) -> tuple[Table | None, list[Word]]:
    """A table from its lattice cells, and the words it takes. Rows are the bands between rules across, cut
    again at the text's own lines when a band holds several rows of values; columns are the rules down, and
    more inside a ruled column where its values stand apart (a table ruled between rows only)."""
    left, right = min(c[0] for c in cells), max(c[2] for c in cells)
    cuts = sorted({round(c[0], 1) for c in cells if c[0] > left + 1})
    bands: dict[float, list[_Cell]] = defaultdict(list)
    for cell in by_cell:
        bands[round(cell[1], 1)].append(cell)
    order = sorted(bands)
    boxed = [top for top in order if _boxed(bands[top], left, right)]  # a title or notes box across the table
    while order and order[0] in boxed:
        order.pop(0)
    while order and order[-1] in boxed:
        order.pop()
    rows: list[list[_Placed]] = []
    for top in order:
        placed = [placed for cell in bands[top] for placed in _place(cell, by_cell[cell], cuts)]
        rows += _band_rows(placed)
    taken = [w for top in order for cell in bands[top] for w in by_cell[cell]]
    kept = [cell for top in order for cell in bands[top]] or cells
    bbox = (left, right, min(c[1] for c in kept), max(c[3] for c in kept))
    table = _build_table(rows, len(cuts) + 1, bbox) if rows else None
    if table:
        table.ruled = True
    return table, taken if table else []


def _boxed(cells: list[_Cell], left: float, right: float) -> bool:
    return len(cells) == 1 and cells[0][2] - cells[0][0] >= 0.8 * (right - left)


_Placed = tuple[int, Seg, int]  # a cell's segment with its column and the last column it spans


def _place(cell: _Cell, words: list[Word], cuts: list[float]) -> list[_Placed]:
    """The cell's segments, each with its column: a segment alone on its line in a cell across several columns
    (a group header over its columns) spans them all; others take the column they stand in."""
    first = sum(1 for c in cuts if c <= cell[0] + 1)
    inner = [c for c in cuts if cell[0] + 1 < c < cell[2] - 1]
    placed = []
    for line in by_baseline(segments(words)):
        for seg in line:
            if len(line) == 1:
                placed.append((first, seg, first + len(inner)))
            else:
                column = first + _column_of(seg, inner)
                placed.append((column, seg, column))
    return placed


def _band_rows(placed: list[_Placed]) -> list[list[_Placed]]:
    """A band's cells as one row, or as one row per line of text when two or more of its lines fill two or more
    columns (rules drawn every few rows); a line filling one column then belongs to the row above it."""
    where = {id(p[1]): p for p in placed}
    lines = sorted(by_baseline([p[1] for p in placed]), key=lambda line: min(s.top for s in line))
    wide = [line for line in lines if len({where[id(s)][0] for s in line}) >= 2]
    if len(wide) < 2:
        return [placed]
    rows: list[list[_Placed]] = []
    for line in lines:
        cells = [where[id(s)] for s in sorted(line, key=lambda s: s.x0)]
        if rows and len({c[0] for c in cells}) < 2:
            rows[-1] += cells
        else:
            rows.append(cells)
    return rows


def _build_table(rows: list[list[_Placed]], columns: int, bbox: tuple[float, ...]) -> Table | None:
    """A table from its rows of placed segments: each column is cut again where the gaps between its data cells
    line up (`_separators`); cells of one row and column are joined in reading order, and a cell that spans
    columns gives its text to each of them."""
    splits: list[list[float]] = []
    for column in range(columns):
        within = [[p[1] for p in row if p[0] == column] for row in rows]
        splits.append(_separators([cells for cells in within if cells]))
    offsets = [0]
    for cuts in splits:
        offsets.append(offsets[-1] + len(cuts) + 1)
    grid: list[list[list[str]]] = [[[] for _ in range(offsets[-1])] for _ in rows]
    spans = []
    for r, row in enumerate(rows):
        for column, seg, last in sorted(row, key=lambda p: (p[1].top, p[1].x0)):
            at = offsets[column] + (0 if last > column else _column_of(seg, splits[column]))
            grid[r][at].append(seg.text)
            if last > column:
                spans.append((r, at, offsets[last + 1] - 1))
    texts = [[join(parts) if parts else "" for parts in cells] for cells in grid]
    for r, start, end in spans:
        if not holds_data(texts[r]):  # a group header over its columns: each of them gets its name
            for k in range(start + 1, end + 1):
                texts[r][k] = texts[r][k] or texts[r][start]
    keep = [i for i in range(offsets[-1]) if any(row[i] for row in texts)]
    texts = [[row[i] for i in keep] for row in texts if any(row[i] for i in keep)]
    sizes = [p[1].size for row in rows for p in row]
    x0, x1, top, bottom = bbox
    table = Table(x0, x1, top, bottom, texts, median(sizes) if sizes else 0.0)
    return table if _is_table(table) else None


def _separators(rows: list[list[Seg]]) -> list[float]:
    """Column boundaries in the gaps that no cell of a data row crosses (all rows when under two hold data),
    between runs of cells that at least two rows fill."""
    data = [row for row in rows if any(is_data(s.text) for s in row)]
    use = data if len(data) >= 2 else rows
    runs: list[list[float]] = []  # [x0, x1, rows that fill it]
    for x0, x1, row in sorted((s.x0, s.x1, i) for i, r in enumerate(use) for s in r):
        if runs and x0 <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], x1)
            runs[-1][2].add(row)
        else:
            runs.append([x0, x1, {row}])
    need = 2 if len(use) >= 2 else 1
    runs = [r for r in runs if len(r[2]) >= need]
    return [(a[1] + b[0]) / 2 for a, b in itertools.pairwise(runs)]


def _column_of(seg: Seg, separators: list[float]) -> int:
    """The column a cell goes in: the leftmost it covers a good part of (a header centred over two columns takes
    the first, which `flatten_header` spreads to the right), else the one it overlaps most."""
    bounds = [-math.inf, *separators, math.inf]
    width = max(seg.x1 - seg.x0, 0.1)
    overlaps = [min(seg.x1, hi) - max(seg.x0, lo) for lo, hi in itertools.pairwise(bounds)]
    for i, overlap in enumerate(overlaps):
        if overlap >= 0.35 * width:
            return i
    return max(range(len(overlaps)), key=overlaps.__getitem__)


def _is_table(table: Table) -> bool:
    """Rows of short cells over at least two columns: not a box drawn round a paragraph, not a page frame, not
    columns of text between rules (their lines run on from one "row" to the next)."""
    rows = table.rows
    if len(rows) < 2 or table.columns < 2 or sum(sum(1 for c in row if c) >= 2 for row in rows) < 2:
        return False
    words = [len(c.split()) for row in rows for c in row if c]
    pairs = [(a, b) for upper, lower in itertools.pairwise(rows) for a, b in zip(upper, lower) if a and b]
    flowing = sum(1 for a, b in pairs if a[-1].isalpha() and b[0].islower())
    return median(words) <= 12 and not (len(pairs) >= 4 and flowing > 0.4 * len(pairs))


def text_tables(segments: list[Seg]) -> tuple[list[Table], list[Seg]]:
    """Tables without rules: three or more rows in a row of two or more cells with values, under up to three
    header rows without values; the columns come from the gaps between the cells."""
    rows = sorted((sorted(r, key=lambda s: s.x0) for r in by_baseline(segments)), key=lambda r: min(s.top for s in r))
    cells = [_tabular(row) for row in rows]
    tables, used = [], set()
    i = 0
    while i < len(rows):
        j = i
        while cells[i] and j + 1 < len(rows) and cells[j + 1] and _near(cells[j], cells[j + 1]):
            j += 1
        if cells[i] and j - i >= 2:
            h = i
            while h > 0 and i - h < 3 and _header_row(rows[h - 1]) and _near(rows[h - 1], cells[h] or rows[h]):
                h -= 1
            body = [rows[k] for k in range(h, i)] + [cells[k] for k in range(i, j + 1)]
            table = _text_table(body)
            if table:
                tables.append(table)
                used.update(id(s) for row in body for s in row)
        i = j + 1
    return tables, [s for s in segments if id(s) not in used]


def _tabular(row: list[Seg]) -> list[Seg] | None:
    """The cells of a row that reads as a table row (two or more short cells, a value after the first)."""
    cells = [s for s in row if len(s.text.split()) < 8 or is_data(s.text)]
    return cells if len(cells) >= 2 and any(is_data(s.text) for s in cells[1:]) else None


def _header_row(row: list[Seg]) -> bool:
    return len(row) >= 2 and all(len(s.text.split()) < 8 and not is_data(s.text) for s in row)


def _near(upper: list[Seg], lower: list[Seg]) -> bool:
    size = max(s.size for s in upper + lower)
    return min(s.top for s in lower) - max(s.bottom for s in upper) <= 1.5 * size


def _text_table(rows: list[list[Seg]]) -> Table | None:
    x0, x1 = min(s.x0 for r in rows for s in r), max(s.x1 for r in rows for s in r)
    top, bottom = min(s.top for r in rows for s in r), max(s.bottom for r in rows for s in r)
    return _build_table([[(0, s, 0) for s in row] for row in rows], 1, (x0, x1, top, bottom))


def column_names(rows: list[list[str]], ruled: bool) -> list[str]:
    """One name per column from a table's header rows (`flatten_header`). In a ruled table a group header
    already fills each column it spans, so an empty cell over a column means no group: it takes the name below
    it rather than the group to its left."""
    if len(rows) == 1:
        return list(rows[0])
    if ruled:
        rows = [list(row) for row in rows]
        for upper, lower in zip(reversed(rows[:-1]), reversed(rows[1:])):
            for i, cell in enumerate(upper):
                upper[i] = cell or (lower[i] if i < len(lower) else "")
    return flatten_header(rows)


def header_rows(rows: list[list[str]]) -> int:
    """How many of a table's first rows make its header: all of the first rows that hold no values when there
    are two or more of them, else the first row alone."""
    lead = 0
    for row in rows[:4]:
        if holds_data(row):
            break
        lead += 1
    return lead if 2 <= lead < len(rows) else 1
