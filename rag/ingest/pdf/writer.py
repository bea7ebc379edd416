"""The pages' elements written as blocks through one `TextBuilder`, with what carries over from page to page.

Owns `Writer`. A paragraph left mid-sentence at a page's foot goes on at the next page's head, and the page's
footnotes (`footnote` blocks after its body) follow it. Each table row becomes one `table_row` line beside its
header; a table that opens a page with as many columns as the one that closed the last, and no header of its own,
keeps that header. Leaves out composing a page (`compose`), the block model (`rag.ingest.blocks`), and scanned pages,
which `rag.ingest.pdf` renders and `rag.ingest.ocr` writes.
"""

from __future__ import annotations

from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import CLOSING
from rag.ingest.pdf.compose import Element, goes_on
from rag.ingest.pdf.tables import Table, column_names, header_rows, holds_data
from rag.ingest.pdf.words import join


class Writer:
    """Writes the pages' elements through one `TextBuilder`. A paragraph left open at a page's end waits for the
    next page, whose first paragraph may carry on its sentence: they become one paragraph, and the page's
    footnotes follow it, so that no footnote or page break lands inside a sentence. A table that opens a page with
    as many columns as the one that closed the previous page, and no header of its own, goes on under the
    previous header."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.held: Element | None = None
        self.notes: list[str] = []
        self.open_table: tuple[list[str], int] | None = None  # header and columns of a table ending a page

    def page(self, number: int, elements: list[Element], notes: list[str]) -> None:
        rest = self._carry_on(elements)
        if rest is None:  # the page held nothing but the held paragraph's end: it may go on again
            self.notes += notes
            return
        self.flush()
        self.builder.page(number)
        previous, self.open_table = self.open_table, None
        self._write(rest, notes, previous)

    def _carry_on(self, elements: list[Element]) -> list[Element] | None:
        """The page's elements once a first paragraph that carries on the held one's sentence has joined it; None
        when nothing is left."""
        held, first = self.held, elements[0] if elements else None
        if held is None or first is None or first.kind != "paragraph" or not goes_on(held.text, first.text):
            return elements
        held.text = join([held.text, first.text])
        return elements[1:] or None

    def _write(self, elements: list[Element], notes: list[str], previous: tuple[list[str], int] | None) -> None:
        i = 0
        while i < len(elements):
            element, last = elements[i], i == len(elements) - 1
            if last and element.kind == "paragraph" and not element.text.endswith(CLOSING):
                self.held, self.notes = element, notes  # it may go on at the next page's head
                return
            if element.kind == "list_item":
                end = next((k for k in range(i, len(elements)) if elements[k].kind != "list_item"), len(elements))
                self.builder.add_list([e.text for e in elements[i:end]])
                i = end
                continue
            if element.table is not None:
                header = self._table(element.table, element.caption, previous if i == 0 else None)
                self.open_table = (header, element.table.columns) if last else None
            else:
                self.builder.add(element.kind, element.text, level=element.level)
            i += 1
        self._notes(notes)

    def _table(self, table: Table, caption: str, previous: tuple[list[str], int] | None) -> list[str]:
        """Write a table; its header (the previous page's when it goes on under it)."""
        rows = table.rows
        if previous and previous[1] == table.columns and holds_data(rows[0]) and not caption:
            header, body = previous[0], rows
        else:
            count = header_rows(rows)
            header, body = column_names(rows[:count], table.ruled), rows[count:]
        if not body:
            header, body = [], rows
        self.builder.add_table(header, body, caption=caption)
        return header

    def flush(self) -> None:
        if self.held is not None:
            self.builder.add("paragraph", self.held.text)
            self.held = None
        self._notes(self.notes)
        self.notes = []

    def _notes(self, notes: list[str]) -> None:
        for note in notes:
            self.builder.add("footnote", note)

    def close(self) -> None:
        self.flush()
