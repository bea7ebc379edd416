"""The one form a table row takes in a document's extracted text, written and read back.

A row is one line that carries its column headers: its label, then each cell beside its column's header
("Millbeck — Capacity (Ml): 6,200; Full: 100%; Built: 1902"), so that it is a quotable line that answers on its
own. The loaders write rows with `table_row_line` (through `rag.ingest.blocks.TextBuilder.add_table`); the
answerer (`rag.answer.tables`) and the page (`ui.viewer`) read them back with `row_cells`. Imports nothing: the
page and the answerer must not load the ingest stack to read a row.
Leaves out finding tables in documents (the loaders) and deciding which cell answers a question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

ROW_LABEL = " — "
CELL_SEPARATOR = "; "
HEADER_SEPARATOR = ": "
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Text with its whitespace collapsed: line breaks, tabs and runs of spaces become one space."""
    return _SPACES.sub(" ", text).strip()


def table_row_line(header: Sequence[str], row: Sequence[str]) -> str:
    """A table row as one line that carries its column headers.

    The first cell is the row's label; every other non-empty cell follows as "header: value" (the value alone
    when its column has no header). A row whose first cell is empty starts with its first filled cell.

    Example:
        >>> table_row_line(["Reservoir", "Capacity (Ml)", "Full", "Built"], ["Millbeck", "6,200", "100%", "1902"])
        'Millbeck — Capacity (Ml): 6,200; Full: 100%; Built: 1902'
        >>> table_row_line(["Leave type", "Entitlement"], ["Annual leave", "27 days"])
        'Annual leave — Entitlement: 27 days'
        >>> table_row_line([], ["a", "b"])
        'a — b'
    """
    cells = [clean(cell) for cell in row]
    names = [clean(name) for name in header] + [""] * max(0, len(cells) - len(header))
    filled = [(name, cell) for name, cell in zip(names, cells) if cell]
    if not filled:
        return ""
    (_, label), rest = filled[0], filled[1:]
    pairs = CELL_SEPARATOR.join(
        f"{name}{HEADER_SEPARATOR}{cell}" if name and name != cell else cell for name, cell in rest
    )
    return f"{label}{ROW_LABEL}{pairs}" if pairs else label


def row_cells(row: str) -> tuple[tuple[int, int], list[tuple[str, int, int]]] | None:
    """A row line read back: the (start, end) of its label, and (header, start, end) of each cell's value within
    the line ("" for a value without a header); None for a line that is no row.

    Example:
        >>> row = "Millbeck — Capacity (Ml): 6,200; 100%"
        >>> label, cells = row_cells(row)
        >>> row[slice(*label)], [(name, row[s:e]) for name, s, e in cells]
        ('Millbeck', [('Capacity (Ml)', '6,200'), ('', '100%')])
    """
    cut = row.find(ROW_LABEL)
    if cut < 0:
        return None
    cells, position = [], cut + len(ROW_LABEL)
    for part in row[position:].split(CELL_SEPARATOR):
        name, separator, _ = part.partition(HEADER_SEPARATOR)
        name = name if separator else ""
        cells.append((name, position + len(name) + len(separator), position + len(part)))
        position += len(part) + len(CELL_SEPARATOR)
    return (0, cut), cells
