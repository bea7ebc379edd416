"""Loaders: one file in, its extracted text out, or an `IngestError` whose message is a one-line reason.

Owns the supported formats (.txt, .md, .html, .pdf, .docx; text in UTF-8, or UTF-16/32 with a byte-order mark),
the checks that turn bad input into a clear reason (empty, binary, not UTF-8, UTF-16 without a byte-order mark,
corrupt or password-protected PDF, over the size cap, unknown type), the bounds on extraction (`max_chars` of
text, checked while extracting so that a small compressed .docx or PDF cannot unpack into gigabytes; `max_pages`
per PDF), and page offsets for PDFs. It keeps pypdf's own warnings off stderr (they go to this module's debug
log). The extracted text is the reference for every offset in the index: chunks and citations point into it.
Leaves out chunking, anything about the store, and where the caps come from (the indexer passes the settings).
"""

from __future__ import annotations

import bisect
import codecs
import io
import logging
import re
import threading
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rag.errors import IngestError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".html", ".htm", ".pdf", ".docx")

MARKUP_PER_CHAR = 10
"""HTML markup, and a .docx's unpacked bytes, may be this many times the text cap before they are refused unread."""
DOCX_ALLOWANCE = 5_000_000
"""Bytes a .docx may unpack to beyond that, for the parts every package has (styles, theme, fonts, thumbnail)."""
_BLOCK = 1 << 20  # bytes of a .docx member unpacked at a time
_DOCX_BODY = "word/document.xml"
_W_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: FF FE 00 00 also starts with the UTF-16 LE mark
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY = "binary data, not text (it holds NUL bytes); give the file its real extension"


@dataclass(frozen=True)
class LoadedDocument:
    """A document's extracted text; `pages` holds (start offset, page number) for each PDF page."""

    source: str
    text: str
    title: str = ""
    pages: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page number the character at `offset` is on, or None for formats without pages."""
        index = bisect.bisect_right(self._page_starts, offset)
        return self.pages[index - 1][1] if index else None

    @cached_property
    def _page_starts(self) -> list[int]:
        return [start for start, _ in self.pages]


@dataclass(frozen=True)
class _Limits:
    """The bounds of one extraction; None leaves a bound off."""

    chars: int | None = None
    pages: int | None = None

    def check_text(self, length: int) -> None:
        """Refuse once `length` characters of text are over the cap."""
        if self.chars is not None and length > self.chars:
            msg = f"the document holds more than {_amount(self.chars, 'characters')} of text (RAG_MAX_TEXT_MB caps it)"
            raise IngestError(f"{msg}; split it into smaller files")

    def check_unpacked(self, size: int, what: str, unit: str, allowance: int = 0) -> None:
        """Refuse markup or unpacked bytes over `MARKUP_PER_CHAR` times the text cap (plus `allowance`)."""
        if self.chars is not None and size > MARKUP_PER_CHAR * self.chars + allowance:
            bound = _amount(MARKUP_PER_CHAR * self.chars + allowance, unit)
            cap = _amount(self.chars, "characters")
            msg = f"{what} more than {bound}, too much for the {cap} text cap (RAG_MAX_TEXT_MB)"
            raise IngestError(f"{msg}; split it into smaller files")

    def check_pages(self, count: int) -> None:
        if self.pages is not None and count > self.pages:
            msg = f"the PDF has {count} pages, over the {self.pages}-page cap (RAG_MAX_PDF_PAGES)"
            raise IngestError(f"{msg}; split it into smaller files")


def load_file(
    path: Path,
    source: str | None = None,
    max_bytes: int | None = None,
    data: bytes | None = None,
    max_chars: int | None = None,
    max_pages: int | None = None,
) -> LoadedDocument:
    """Read one file into a `LoadedDocument`; `data`, when given, is the file's bytes already read (the indexer
    fingerprints and extracts the same bytes, so a file changing in between cannot get a stale fingerprint).

    `max_chars` caps the extracted text and is checked while extracting: a .docx is unpacked as a stream and
    refused before python-docx inflates it, a PDF stops at the page that crosses it. `max_pages` caps a PDF's
    pages. Left at None (as for showing an indexed document), a bound is off.

    Example:
        >>> doc = load_file(Path("corpus/us-ukraine-minerals-agreement.txt"))
        >>> doc.text.startswith("The United States and Ukraine")
        True
    """
    source = source or path.name
    suffix = path.suffix.lower()
    loader = _LOADERS.get(suffix)
    if loader is None:
        msg = f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        raise IngestError(msg)
    if data is None:
        check_size(path, max_bytes)
        data = path.read_bytes()
    limits = _Limits(max_chars, max_pages)
    text, title, pages = loader(data, path, limits)
    limits.check_text(len(text))
    if not text.strip():
        msg = "no text could be extracted (empty, or a scanned PDF without a text layer); OCR a scan first (ocrmypdf)"
        raise IngestError(msg)
    return LoadedDocument(source=source, text=text, title=title or _title_from_text(text, path), pages=pages)


def check_size(path: Path, max_bytes: int | None) -> None:
    """Refuse an empty file, and a file over `max_bytes`, before reading it."""
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        msg = f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB cap (raise RAG_MAX_FILE_MB to allow it)"
        raise IngestError(msg)
    if size == 0:
        raise IngestError("empty file")


def _amount(count: int, unit: str) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count:,} {unit}"


def _title_from_text(text: str, path: Path) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120] if len(line) <= 120 else path.stem
    return path.stem


def _decode(data: bytes) -> str:
    """UTF-8 (a UTF-8 byte-order mark is dropped), or UTF-16/32 when the file starts with their byte-order mark."""
    wide = next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)
    if wide:
        return _decode_wide(data, wide)
    if b"\x00" in data:
        if _looks_like_utf16(data[:1024]):
            raise IngestError("looks like UTF-16 text without a byte-order mark; re-save it as UTF-8")
        raise IngestError(_BINARY)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8"
        raise IngestError(msg) from None


def _decode_wide(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding)  # the codec reads the byte order from the mark and drops it
    except UnicodeDecodeError as exc:
        msg = f"not valid {encoding.upper()} text (bad bytes at offset {exc.start}); re-save it as UTF-8"
        raise IngestError(msg) from None
    if "\x00" in text:
        raise IngestError(_BINARY)
    return text


def _looks_like_utf16(head: bytes) -> bool:
    """Text in UTF-16 without a byte-order mark: (nearly) every other byte is NUL, the bytes between are not."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 2:
        return False
    shares = sorted((even.count(0) / len(even), odd.count(0) / len(odd)))
    return shares[1] >= 0.75 and shares[0] <= 0.1


def _load_text(data: bytes, path: Path, limits: _Limits) -> tuple[str, str, tuple]:
    text = _decode(data)
    limits.check_text(len(text))
    title = ""
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = heading.group(1).strip() if heading else ""
    return text, title, ()


def _load_html(data: bytes, path: Path, limits: _Limits) -> tuple[str, str, tuple]:
    from bs4 import BeautifulSoup

    markup = _decode(data)
    limits.check_unpacked(len(markup), "the page's HTML is", "characters")  # its parse tree is many times its size
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    lines = (" ".join(line.split()) for line in soup.get_text("\n").splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, title, ()


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


def _load_pdf(data: bytes, path: Path, limits: _Limits) -> tuple[str, str, tuple]:
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


def _read_pdf(data: bytes, limits: _Limits) -> tuple[str, str, tuple]:
    from pypdf import PasswordType, PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:  # "" opens owner-only PDFs
        raise IngestError("encrypted PDF; remove the password (e.g. `qpdf --decrypt`) and ingest it again")
    limits.check_pages(len(reader.pages))
    parts, pages, offset = [], [], 0
    for number, page in enumerate(reader.pages, start=1):
        page_text = (page.extract_text() or "").strip()
        pages.append((offset, number))
        parts.append(page_text)
        offset += len(page_text) + 2
        limits.check_text(offset - 2)  # stop at the page that crosses the cap
    title = str((reader.metadata or {}).get("/Title") or "")
    return "\n\n".join(parts), title, tuple(pages)


def _load_docx(data: bytes, path: Path, limits: _Limits) -> tuple[str, str, tuple]:
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
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    title = document.core_properties.title or ""
    return "\n\n".join(paragraphs), title, ()


def _check_docx_unpacked(data: bytes, limits: _Limits) -> None:
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


_LOADERS: dict[str, Callable[[bytes, Path, _Limits], tuple[str, str, tuple]]] = {
    **{suffix: _load_text for suffix in TEXT_SUFFIXES},
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
