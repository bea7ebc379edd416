"""PDF: each page's text by pypdf, with title and heading lines set off as blocks of their own, and page offsets.

Leaves out everything not particular to PDF (`loaders`).
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from pathlib import Path

from rag.errors import IngestError
from rag.ingest.loaders import CLOSING, Extracted, Limits, is_placeholder_title, looks_like_heading_line

log = logging.getLogger(__name__)


class _PypdfToDebug(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.debug("pypdf %s: %s", record.levelname.lower(), record.getMessage())


class _QuietPypdf:
    """While a PDF loads, pypdf's log ('EOF marker not found', 'incorrect startxref pointer') goes to our debug
    log instead of up to the root logger, whose last-resort handler prints it on stderr. Counted under a lock, so
    loads in several threads leave the `pypdf` logger as they found it."""

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


def load_pdf(data: bytes, path: Path, limits: Limits) -> Extracted:
    from pypdf.errors import DependencyError, PdfReadError

    try:
        with _QUIET_PYPDF, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _read_pdf(data, limits)
    except DependencyError:
        msg = "AES-encrypted PDF, which needs the `cryptography` package: install it, or `qpdf --decrypt` the file"
        raise IngestError(msg) from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, NotImplementedError) as exc:
        reason = f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:80]})"
        msg = f"{reason}; repair it (e.g. `qpdf`) or re-save it from a PDF viewer, then ingest it again"
        raise IngestError(msg) from None


def _read_pdf(data: bytes, limits: Limits) -> Extracted:
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:  # "" opens owner-only PDFs
        raise IngestError("encrypted PDF; remove the password (e.g. `qpdf --decrypt`) and ingest it again")
    limits.check_pages(len(reader.pages))
    title = str((reader.metadata or {}).get("/Title") or "").strip()
    title = "" if is_placeholder_title(title) else title
    parts, pages, headings, offset = [], [], [], 0
    for number, page in enumerate(reader.pages, start=1):
        page_text, page_headings = _pdf_page((page.extract_text() or "").strip(), title, first=number == 1)
        pages.append((offset, number))
        headings += [(offset + start, offset + end, level) for start, end, level in page_headings]
        parts.append(page_text)
        offset += len(page_text) + 2
        limits.check_text(offset - 2)  # stop at the page that crosses the cap
    text = "\n\n".join(parts)
    if not title and headings and headings[0][2] == 1:
        title = text[headings[0][0] : headings[0][1]]
    return Extracted(text, title, tuple(pages), tuple(headings))


_PDF_HEADING_WIDTH = 0.7  # a heading line is at most this share of the page's longest line
_PDF_PARAGRAPH_END = 0.8  # a line ending a sentence this much narrower than the longest line ends its paragraph


def _pdf_page(text: str, title: str, first: bool) -> tuple[str, list[tuple[int, int, int]]]:
    """A page's text with each heading line and each paragraph set off by blank lines, and the (start, end,
    level) of each heading in it. pypdf puts a title or heading on a line of its own but only a newline after it,
    so without this the splitter would read "Report Title The lighthouse was built..." as one sentence; and it
    runs paragraphs together, which the blank lines after their (short, closed) last lines undo."""
    lines = text.split("\n")
    widest = max(len(line.strip()) for line in lines)
    out, headings, length, apart = [], [], 0, False
    for i, line in enumerate(lines):
        level = _pdf_heading_level(lines, i, widest, title, first)
        piece = line.strip() if level else line
        joint = "" if not i else "\n\n" if level or apart else "\n"
        if level:
            headings.append((length + len(joint), length + len(joint) + len(piece), level))
        out.append(joint + piece)
        length += len(joint) + len(piece)
        closed = piece.rstrip().endswith(CLOSING) and len(piece.strip()) < _PDF_PARAGRAPH_END * widest
        apart = bool(level) or closed
    return "".join(out), headings


def _pdf_heading_level(lines: list[str], i: int, widest: int, title: str, first: bool) -> int:
    """1 for the document's title line, 2 for another heading line, 0 for a line of text.

    A heading line: the metadata title on the first page (on later pages it is a running header, left to the
    splitter), or a short line without closing punctuation, not the page's last, that starts a paragraph (the
    page's first line, or one after a sentence's end) and is clearly narrower than the page's running text."""
    line = lines[i].strip()
    if title and " ".join(line.split()).lower() == " ".join(title.split()).lower():
        return int(first)
    if i + 1 >= len(lines) or not looks_like_heading_line(line) or len(line) > _PDF_HEADING_WIDTH * widest:
        return 0
    before = lines[i - 1].strip() if i else ""
    if before and not before.endswith(CLOSING) and not looks_like_heading_line(before):
        return 0
    return 1 if first and i == 0 else 2
