"""Pass one: a page read on its own into its segments and tables, or known as a scan.

Owns `Page` and reading it (`read_page_safely`): the page's frame (the direction most of its text runs), its words,
its tables (ruled, then unruled) and the segments left; a page with almost no text and an image over most of it is
a scan (its few words kept, should OCR not read it). Should the layout analysis fail on an odd page, its plain text
is used, a line a segment (logged: a bug to fix, not a reason to refuse the document). Runs with the package's
pdfium lock held by its caller. Leaves out what needs the other pages (`style`), composing the page (`compose`), and
reading a scan (`rag.ingest.pdf`, `rag.ingest.ocr`).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rag.ingest.pdf.glyphs import Frame, page_glyphs, pdfium_calls
from rag.ingest.pdf.rules import image_cover, page_edges
from rag.ingest.pdf.tables import Table, lattice_tables, text_tables
from rag.ingest.pdf.words import Seg, page_words, segments

log = logging.getLogger("rag.ingest.pdf")  # the package's logger, which a failed page has always logged to

_SCAN_CHARS = 20  # a page with fewer characters of text...
_SCAN_COVER = 0.5  # ...and an image over at least this share of it is a scan


@dataclass
class Page:
    number: int
    width: float
    height: float
    segments: list[Seg]
    tables: list[Table]
    chars: int
    scanned: bool = False


def _read_page(pdf: Any, index: int) -> Page:
    """A page's segments and tables (pass one: what needs no knowledge of the other pages)."""
    calls = pdfium_calls()
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            glyphs = page_glyphs(calls, textpage)
        finally:
            textpage.close()
        frame = _frame(page, glyphs)
        width, height = frame.size
        words = page_words(glyphs, frame)
        chars = sum(len(w.text) for w in words)
        if chars < _SCAN_CHARS and image_cover(calls, page, frame) >= _SCAN_COVER:  # its few words: a fallback
            return Page(index + 1, width, height, segments(words), [], chars, scanned=True)
        tables, words = lattice_tables(page_edges(calls, page, frame), words) if words else ([], words)
        more, rest = text_tables(segments(words))
        for seg in rest:
            seg.words = []
        return Page(index + 1, width, height, rest, sorted(tables + more, key=lambda t: t.top), chars)
    finally:
        page.close()


def read_page_safely(pdf: Any, index: int) -> Page:
    """`_read_page`, or, should the layout analysis fail on an odd page, the page's lines as pdfium reads them,
    each a segment of its own (logged: a bug to fix, not a reason to refuse the document)."""
    from pypdfium2 import PdfiumError

    try:
        return _read_page(pdf, index)
    except PdfiumError:
        raise
    except Exception:
        log.warning("page %d: layout analysis failed; its plain text is used", index + 1, exc_info=True)
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        textpage.close()
        width, height = page.get_size()
    finally:
        page.close()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    size = 10.0
    plain = [
        Seg(line, 0, width / 2, height * 0.2 + i, height * 0.2 + i + 0.9, size, False, False)
        for i, line in enumerate(lines)
    ]
    return Page(index + 1, width, height, plain, [], sum(map(len, lines)))


def _frame(page: Any, glyphs: list[tuple]) -> Frame:
    """The page's frame in the direction most of its text runs."""
    angles = Counter(g[5].angle for g in glyphs[::7] if len(g) > 1 and g[5].angle is not None)
    angle = angles.most_common(1)[0][0] if angles else 0
    left, bottom, right, top = page.get_cropbox()
    return Frame(angle, left, bottom, right, top)
