""".docx: the body's paragraphs, with the Title and Heading styles (or outline levels) as headings, read by
python-docx after the package was unpacked as a stream within the text cap.

Leaves out everything not particular to .docx (`loaders`).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from rag.errors import IngestError
from rag.ingest.loaders import Extracted, Limits

DOCX_ALLOWANCE = 5_000_000
"""Bytes a .docx may unpack to beyond that, for the parts every package has (styles, theme, fonts, thumbnail)."""
_BLOCK = 1 << 20  # bytes of a .docx member unpacked at a time
_DOCX_BODY = "word/document.xml"
_W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"


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
    parts, headings, length = [], [], 0
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        start = length + 2 if parts else 0
        level = _docx_heading_level(paragraph)
        if level is not None:
            headings.append((start, start + len(text), level))
        parts.append(text)
        length = start + len(text)
    title = document.core_properties.title or ""
    return Extracted("\n\n".join(parts), title, (), tuple(headings))


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
