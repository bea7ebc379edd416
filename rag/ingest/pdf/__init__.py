"""PDF: each page's layout read from its glyphs and rules, rebuilt as blocks (`rag.ingest.blocks`).

Owns reading a PDF into structure, from end to end: `load_pdf`, which `rag.ingest.loaders` dispatches to. pypdf
opens the file (encryption, page count, metadata title, and the reasons a broken file is refused, as before; its log
goes to our debug log); pypdfium2 reads every page's glyphs (text, box, size, bold) and path segments, a few times
faster than pdfplumber's own parsing (`bench/pdf_pages.py`), whose table geometry is used instead (its edge snapping,
intersection and cell finding, fed with pdfium's rules). The layout analysis runs in two passes: pass one reads each
page on its own (`page`), pass two knows what the pages share (body size, heading sizes, running heads: `style`),
composes each page (`compose`) and writes it (`writer`). A scanned page (almost no text, an image over most of it)
is rendered here at 300 dpi and read by `rag.ingest.ocr`; what is left out goes into `skipped` with why.
pdfium is not thread-safe: every call to it holds one lock, `_PDFIUM`, owned here (pass one runs with it held).
The modules, in the order a page goes through them: `glyphs` (pdfium's glyphs and fonts, the page's frame), `words`
(words and line segments), `rules` (ruling lines, images), `tables`, `page` (one page, read), `style` (what the pages
share), `columns` (reading order, lines), `compose` (footnotes, paragraphs, headings, captions), `writer` (blocks).
Leaves out everything not particular to PDF (`loaders`), the block model (`blocks`), OCR itself (`ocr`), figures and
charts (their labels are text), and text drawn sideways or skewed across the page.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from pathlib import Path
from typing import Any

from rag.errors import IngestError
from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import Extracted, Limits, is_placeholder_title
from rag.ingest.pdf.compose import compose
from rag.ingest.pdf.page import Page, read_page_safely
from rag.ingest.pdf.style import DocStyle
from rag.ingest.pdf.writer import Writer

log = logging.getLogger(__name__)


class _PypdfToDebug(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.debug("pypdf %s: %s", record.levelname.lower(), record.getMessage())


class _QuietPypdf:
    """While a PDF loads, pypdf's log ('EOF marker not found', 'incorrect startxref pointer') goes to our debug
    log instead of up to the root logger, whose last-resort handler prints it on stderr. Counted under a lock, so
    loads in several threads leave the `pypdf` logger as they found it. (pdfium, which reads the pages, logs
    nothing; pdfplumber's parser, pdfminer, is never run: only its table geometry is used.)"""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._propagate = True
        self._handler = _PypdfToDebug()

    def __enter__(self) -> None:
        with self._lock:
            if self._users == 0:
                logger = logging.getLogger("pypdf")
                self._propagate, logger.propagate = logger.propagate, False
                logger.addHandler(self._handler)
            self._users += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                logger = logging.getLogger("pypdf")
                logger.removeHandler(self._handler)
                logger.propagate = self._propagate


_QUIET_PYPDF = _QuietPypdf()
_PDFIUM = threading.RLock()
"""Held around every pdfium call: pdfium is not thread-safe, not even across documents, and loads may run in
several threads (the app indexes in the background)."""


def load_pdf(data: bytes, path: Path, limits: Limits) -> Extracted:
    from pypdf.errors import DependencyError, PdfReadError
    from pypdfium2 import PdfiumError

    try:
        with _QUIET_PYPDF, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            count, title = _open(data)
        limits.check_pages(count)
        return _read_pdf(data, title, limits)
    except DependencyError:
        msg = "AES-encrypted PDF, which needs the `cryptography` package: install it, or `qpdf --decrypt` the file"
        raise IngestError(msg) from None
    except (PdfReadError, PdfiumError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        reason = f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:80]})"
        msg = f"{reason}; repair it (e.g. `qpdf`) or re-save it from a PDF viewer, then ingest it again"
        raise IngestError(msg) from None


def _open(data: bytes) -> tuple[int, str]:
    """The page count and the metadata title (empty when a placeholder), read by pypdf, which also refuses a file
    that is encrypted with a password or too broken to read."""
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:  # "" opens owner-only PDFs
        raise IngestError("encrypted PDF; remove the password (e.g. `qpdf --decrypt`) and ingest it again")
    title = " ".join(str((reader.metadata or {}).get("/Title") or "").split())
    return len(reader.pages), "" if is_placeholder_title(title) else title


def _read_pdf(data: bytes, title: str, limits: Limits) -> Extracted:
    """Pass one reads every page on its own (`read_page_safely`); what the pages share (body size, running headers,
    heading sizes, the title) is then known (`DocStyle`), and pass two composes and writes each page."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        pdf = pdfium.PdfDocument(data)
        count = len(pdf)
    try:
        pages, chars = [], 0
        for index in range(count):
            with _PDFIUM:  # a page at a time: loads in other threads take turns
                pages.append(read_page_safely(pdf, index))
            chars += pages[-1].chars
            limits.check_text(chars)  # the glyphs read so far bound the text: stop at the page that crosses the cap
            limits.page_read(index + 1, count)
        builder, skipped = _write_pages(pdf, pages, limits)
    finally:
        with _PDFIUM:
            pdf.close()
    title = title or next((builder.text[b.start : b.end] for b in builder.blocks if b.kind == "title"), "")
    return Extracted.built(builder, title, skipped)


def _write_pages(pdf: Any, pages: list[Page], limits: Limits) -> tuple[TextBuilder, list[str]]:
    """Pass two: each page's elements written in order, scans read by OCR; the parts left out, with why. Each scan
    read is one more step of the progress after the pages of pass one (OCR takes seconds a page)."""
    style = DocStyle.of(pages)
    builder, skipped, failure = TextBuilder(), [], None
    writer = Writer(builder)
    scans = sum(page.scanned for page in pages)
    read = 0
    for page in pages:
        if page.scanned:
            read += 1
            try:
                missed = _read_scan(writer, pdf, page)
            except IngestError as exc:  # OCR cannot run: the page is left out, with why
                missed, failure = [f"page {page.number}: {exc}"], failure or exc
            if missed and page.segments:  # what little text layer the scan has is better than nothing
                writer.page(page.number, *compose(page, style))
            skipped += missed
            limits.page_read(len(pages) + read, len(pages) + scans)
        else:
            writer.page(page.number, *compose(page, style))
        limits.check_text(builder.length)
    writer.close()
    if failure is not None and not builder.length:
        raise failure  # nothing but scans, and OCR could not read them: its reason is the document's
    return builder, skipped


def _read_scan(writer: Writer, pdf: Any, page: Page) -> list[str]:
    """A scanned page rendered at 300 dpi and read by OCR; what was left out, with why."""
    try:
        from rag.ingest.ocr import read_page_image
    except ImportError:
        return [f"page {page.number}: scanned, no text layer (OCR unavailable)"]
    scale = min(300 / 72, 5000 / max(page.width, page.height, 1.0))
    with _PDFIUM:
        handle = pdf[page.number - 1]
        try:
            bitmap = handle.render(scale=scale)
            image = bitmap.to_pil().copy()  # its own pixels: the bitmap is freed here, under the lock
            bitmap.close()
        finally:
            handle.close()
    writer.flush()
    writer.open_table = None
    writer.builder.page(page.number)
    reason = read_page_image(writer.builder, image, page.number)
    return [f"page {page.number}: {reason}"] if reason else []
