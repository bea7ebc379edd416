"""The document model between the loaders and the splitter: an ordered list of blocks over the extracted text.

Owns `Block` (a kind, its offsets in the extracted text, a heading's level, its page, whether OCR read it),
`TextBuilder`, which every structured loader writes its blocks through so that the text and the offsets cannot
drift apart, and `flatten_header` (a header of several rows made one name per column). A table row goes into the
text in the one form `rag.table_rows.table_row_line` writes: its label, then each cell beside its column header
("Millbeck — Capacity (Ml): 6,200; Full: 100%; Built: 1902"), so a row is a quotable line that answers on its own.

Block kinds (`KINDS`): title, heading, paragraph, list_item, table_row, caption (a table's caption or header
line), footnote, code. Blocks are joined by a blank line; the rows of one table and the items of one list by a
newline. Whitespace inside a block is collapsed to single spaces (code keeps its lines), so a quote never shows
a PDF's line breaks.
Leaves out reading any format (the loaders) and cutting the text into chunks (the splitter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.table_rows import clean, table_row_line

__all__ = ["KINDS", "Block", "TextBuilder", "clean", "flatten_header"]

KINDS = ("title", "heading", "paragraph", "list_item", "table_row", "caption", "footnote", "code")
HEADING_KINDS = ("title", "heading")
LINE_KINDS = ("list_item", "table_row")
"""Kinds that are one quotable unit each, never cut between sentences."""


@dataclass(frozen=True)
class Block:
    """One structural piece of a document: `text[start:end]` of the extracted text is its content.

    `level` is a heading's level (0 for the title, 1 the top heading); `group` numbers the table or list a row or
    item belongs to, so the splitter can keep its caption with it; `ocr` marks text read from an image."""

    kind: str
    start: int
    end: int
    level: int = 0
    page: int | None = None
    group: int = 0
    ocr: bool = False


def flatten_header(rows: Sequence[Sequence[str]]) -> list[str]:
    """One name per column from a header of several rows: each column's cells from top to bottom, an empty cell
    taking the one to its left in a row above (a spanning cell), joined with spaces and repeats dropped.

    Example:
        >>> flatten_header([["", "2023", "", "2024", ""], ["State", "Permits", "Total", "Permits", "Total"]])
        ['State', '2023 Permits', '2023 Total', '2024 Permits', '2024 Total']
    """
    width = max((len(row) for row in rows), default=0)
    filled = []
    for row in rows:
        cells = [clean(c) for c in row] + [""] * (width - len(row))
        spread, last = [], ""
        for i, cell in enumerate(cells):
            last = cell or (last if i and row is not rows[-1] else "")
            spread.append(last)
        filled.append(spread)
    names = []
    for column in range(width):
        parts: list[str] = []
        for row in filled:
            if row[column] and row[column] not in parts:
                parts.append(row[column])
        names.append(" ".join(parts))
    return names


class TextBuilder:
    """Writes a document's text block by block and records each block's offsets and each page's start; `check`,
    when given, is called with the text's length after each block (a loader's text cap: `Limits.check_text`).

    Example:
        >>> b = TextBuilder()
        >>> b.page(1)
        >>> _ = b.add("heading", "Reservoirs", level=1)
        >>> _ = b.add_table(["Name", "Built"], [["Millbeck", "1902"], ["Ashby", "1911"]], caption="Table 1")
        >>> b.text
        'Reservoirs\\n\\nTable 1\\nMillbeck — Built: 1902\\nAshby — Built: 1911'
        >>> [(k.kind, b.text[k.start:k.end]) for k in b.blocks][2]
        ('table_row', 'Millbeck — Built: 1902')
    """

    def __init__(self, check: Callable[[int], None] | None = None) -> None:
        self._check = check
        self._parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.pages: list[tuple[int, int]] = []
        self._page: int | None = None
        self._page_open = False  # the page's start is recorded at its first block
        self._groups = 0

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def page(self, number: int) -> None:
        """Start page `number`: blocks added from now on are on it (a page without text gets no start)."""
        self._page, self._page_open = number, True

    def add(
        self, kind: str, text: str, *, level: int = 0, joint: str = "\n\n", group: int = 0, ocr: bool = False
    ) -> Block | None:
        """Append one block (its whitespace collapsed, but for code); None when it holds no text."""
        if kind not in KINDS:
            msg = f"unknown block kind {kind!r}; one of {', '.join(KINDS)}"
            raise ValueError(msg)
        content = text.strip("\n").rstrip() if kind == "code" else clean(text)
        if not content:
            return None
        joint = joint if self.length else ""
        start = self.length + len(joint)
        if self._page_open and self._page is not None:
            self.pages.append((start, self._page))
            self._page_open = False
        self._parts.append(joint + content)
        self.length = start + len(content)
        block = Block(kind, start, self.length, level, self._page, group, ocr)
        self.blocks.append(block)
        if self._check is not None:
            self._check(self.length)
        return block

    def new_group(self) -> int:
        """A fresh number for the rows of one table or the items of one list."""
        self._groups += 1
        return self._groups

    def add_list(self, items: Sequence[str], *, ocr: bool = False) -> None:
        """A list: each item a `list_item` block on a line of its own."""
        group = self.new_group()
        first = True
        for item in items:
            if self.add("list_item", item, joint="\n\n" if first else "\n", group=group, ocr=ocr):
                first = False

    def add_table(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], *, caption: str = "", ocr: bool = False
    ) -> None:
        """A table: its caption (if any) as a `caption` block, then each row as a `table_row` line carrying the
        column headers (`table_row_line`). A table without a header row gets its header line as the caption, so
        that nothing of it is lost."""
        group = self.new_group()
        first = True
        if caption:
            first = not self.add("caption", caption, group=group, ocr=ocr)
        for row in rows:
            line = table_row_line(header, row)
            if line and self.add("table_row", line, joint="\n\n" if first else "\n", group=group, ocr=ocr):
                first = False

    def headings(self) -> tuple[tuple[int, int, int], ...]:
        """(start, end, level) of the title and heading blocks, as `LoadedDocument.headings` lists them."""
        return tuple((b.start, b.end, b.level) for b in self.blocks if b.kind in HEADING_KINDS)
