""".docx: the body as blocks (`rag.ingest.blocks`) in document order, read by python-docx after the package was
unpacked as a stream within the text cap.

Owns the reading of a Word body: paragraphs and tables in their order (content controls opened), the Title style
as the title, Heading N styles or an outline level as headings, list paragraphs (numbered by the paragraph or its
style, or a "List ..." style) as list items, one list per run of them, code styles as code, a Caption-style
paragraph as the caption of the table under it, and each table row as a line beside the first row's column names
(a merged cell counted once across, repeated down; a table inside a cell read as text of that cell). Any other
paragraph is a paragraph, however short: a one-line quote or bullet is never taken for a heading. Text in tracked
insertions, hyperlinks, fields and text boxes is read; tracked deletions and tables of contents are left out.
Leaves out everything not particular to .docx (`loaders`), headers, footers, footnotes, comments and images.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import IngestError
from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import Extracted, Limits

DOCX_ALLOWANCE = 5_000_000
"""Bytes a .docx may unpack to beyond that, for the parts every package has (styles, theme, fonts, thumbnail)."""
_BLOCK = 1 << 20  # bytes of a .docx member unpacked at a time
_DOCX_BODY = "word/document.xml"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_T = f"{{{_W}}}t"
_NS = {"w": _W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
_RUN_PIECES = (
    ".//w:r[not(ancestor::mc:Fallback) and not(ancestor::w:moveFrom)]/*[self::w:t or self::w:tab or self::w:br"
    " or self::w:cr or self::w:noBreakHyphen]"
)
_PIECE_TEXT = {f"{{{_W}}}tab": "\t", f"{{{_W}}}br": "\n", f"{{{_W}}}cr": "\n", f"{{{_W}}}noBreakHyphen": "-"}
_CODE_STYLES = ("code", "preformatted", "macro text")
_STYLE_DEPTH = 10  # styles followed up their base styles at most this far


def load_docx(data: bytes, path: Path, limits: Limits) -> Extracted:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml import etree

    unreadable = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)  # zip: bad, encrypted
    try:
        _check_docx_unpacked(data, limits)
        document = docx.Document(io.BytesIO(data))
    except (*unreadable, PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        msg = f"corrupt or unreadable .docx ({type(exc).__name__}); open and re-save it in a word processor"
        raise IngestError(msg) from None
    builder = TextBuilder(limits.check_text)
    _Body(builder).read(document)
    return Extracted.built(builder, document.core_properties.title or "")


def body_items(document: Any) -> Iterator[Any]:
    """The body's paragraphs and tables (python-docx objects) in document order, content controls opened."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    def walk(element: Any) -> Iterator[Any]:
        for child in element.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                yield Paragraph(child, document._body)
            elif tag == "tbl":
                yield Table(child, document._body)
            elif tag in ("sdt", "sdtContent", "customXml", "ins"):
                yield from walk(child)

    yield from walk(document.element.body)


def paragraph_text(paragraph: Any) -> str:
    """The paragraph's text: its runs, also those in tracked insertions, hyperlinks, fields, content controls and
    text boxes; tabs and line breaks as such; tracked deletions left out."""
    from lxml import etree

    pieces = etree.XPath(_RUN_PIECES, namespaces=_NS)(paragraph._p)
    return "".join(piece.text or "" if piece.tag == _W_T else _PIECE_TEXT[piece.tag] for piece in pieces)


def paragraph_kind(paragraph: Any) -> tuple[str, int]:
    """The block kind of a paragraph and a heading's level: ("title", 0), ("heading", N), ("list_item", 0),
    ("code", 0), ("caption", 0), ("skip", 0) for a table of contents' lines, else ("paragraph", 0)."""
    style = paragraph.style
    name = (style.name or "").lower() if style is not None else ""
    level = _docx_heading_level(paragraph)
    if level is not None:
        return ("title", 0) if level == 0 else ("heading", level)
    if re.fullmatch(r"toc (?:[1-9]|heading)", name):
        return "skip", 0
    if name == "caption":
        return "caption", 0
    if any(word in name for word in _CODE_STYLES):
        return "code", 0
    if name.startswith("list") or _numbered(paragraph._p) or any(_numbered(s.element) for s in _styles(style)):
        return "list_item", 0
    return "paragraph", 0


def _styles(style: Any) -> Iterator[Any]:
    """The style and the styles it is based on."""
    for _ in range(_STYLE_DEPTH):
        if style is None:
            return
        yield style
        style = style.base_style


def _numbered(element: Any) -> bool:
    """The paragraph or style element carries list numbering (a numId other than 0, which switches it off)."""
    found = element.xpath("./w:pPr/w:numPr/w:numId/@w:val")
    return bool(found) and found[0] != "0"


def _docx_heading_level(paragraph: Any) -> int | None:
    """0 for the Title style, N for "Heading N", else the outline level the paragraph or its style sets (1 is the
    top), else None: the paragraph is text."""
    style = paragraph.style
    name = (style.name or "").lower() if style is not None else ""
    if name == "title":
        return 0
    if match := re.fullmatch(r"heading ([1-9])", name):
        return int(match.group(1))
    elements = [paragraph._p] + ([style.element] if style is not None else [])
    for element in elements:
        found = element.xpath("./w:pPr/w:outlineLvl/@w:val")
        if found and found[0].isdigit() and int(found[0]) < 9:  # 9 is "body text"
            return int(found[0]) + 1
    return None


def table_rows(table: Any) -> list[list[str]]:
    """Each row's cell texts; a cell merged across columns counted once (the columns it spans empty), a cell
    merged down rows repeated in each, a table inside a cell read into that cell's text."""
    rows = []
    for row in table.rows:
        texts, last = [], None
        for cell in row.cells:
            texts.append("" if cell._tc is last else cell_text(cell))
            last = cell._tc
        rows.append(texts)
    return rows


def cell_text(cell: Any) -> str:
    """A cell's paragraphs, and the rows of the tables inside it, on one line."""
    parts = []
    for item in cell.iter_inner_content():
        if hasattr(item, "rows"):
            parts += ["; ".join(" ".join(filter(None, row)) for row in table_rows(item) if any(row))]
        else:
            parts.append(paragraph_text(item))
    return " ".join(part for part in parts if part.strip())


class _Body:
    """Writes a document's blocks; runs of list items or of code lines are gathered until something else comes."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.run: list[str] = []
        self.run_kind = ""
        self.caption = ""  # a Caption-style paragraph, for the table that may follow it

    def read(self, document: Any) -> None:
        for item in body_items(document):
            if hasattr(item, "rows"):
                self.flush()
                self.table(item)
            else:
                self.paragraph(item)
        self.flush()

    def paragraph(self, paragraph: Any) -> None:
        kind, level = paragraph_kind(paragraph)
        text = paragraph_text(paragraph)
        if kind == "skip" or not text.strip():
            return
        if kind in ("list_item", "code"):
            if kind != self.run_kind:
                self.flush()
            self.run.append(text)
            self.run_kind = kind
            return
        self.flush()
        if kind == "caption":
            self.caption = text
        else:
            self.builder.add(kind, text, level=level)

    def table(self, table: Any) -> None:
        rows = [row for row in table_rows(table) if any(cell.strip() for cell in row)]
        header = rows.pop(0) if len(rows) > 1 else []
        caption, self.caption = self.caption, ""
        if header and max(len(row) for row in rows) == 1:  # one column: its name is the caption
            caption, header = " ".join(filter(None, (caption, *header))), []
        self.builder.add_table(header, rows, caption=caption)

    def flush(self) -> None:
        """Write what is gathered: the pending caption, then the run of list items or code lines."""
        if self.caption:
            self.builder.add("caption", self.caption)
            self.caption = ""
        run, kind, self.run, self.run_kind = self.run, self.run_kind, [], ""
        if kind == "list_item":
            self.builder.add_list(run)
        elif kind == "code":
            self.builder.add("code", "\n".join(run))


def _check_docx_unpacked(data: bytes, limits: Limits) -> None:
    """Unpack every member as a stream before python-docx reads the package whole: a small .docx can hold a
    gigabyte of compressed XML. Counts the bytes that come out (not the sizes the zip claims), and the text of the
    `<w:t>` runs of the document body with a parser that builds no tree, so memory stays flat."""
    if limits.chars is None:
        return
    unpacked = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            body = _run_text_parser() if info.filename == _DOCX_BODY else None
            with archive.open(info) as member:
                while block := member.read(_BLOCK):
                    unpacked += len(block)
                    limits.check_unpacked(unpacked, "the .docx unpacks to", "bytes", DOCX_ALLOWANCE)
                    if body:
                        body.feed(block)
                        limits.check_text(body.target.chars)
            if body:
                body.close()


def _run_text_parser() -> Any:
    from lxml import etree

    return etree.XMLParser(target=_RunText(), resolve_entities=False, no_network=True, huge_tree=True)


class _RunText:
    """lxml parser target: counts the characters inside `<w:t>` elements and keeps nothing else."""

    def __init__(self) -> None:
        self.chars = 0
        self._inside = 0

    def start(self, tag: str, attrib: object) -> None:
        self._inside += tag == _W_T

    def end(self, tag: str) -> None:
        self._inside -= tag == _W_T

    def data(self, text: str) -> None:
        if self._inside:
            self.chars += len(text)

    def close(self) -> int:
        return self.chars
