"""Loaders: one file in, its extracted text out, or an `IngestError` whose message is a one-line reason.

Owns the supported formats (.txt, .md, .html, .pdf, .docx), the checks that turn bad input into a clear reason
(empty, binary, not UTF-8, corrupt or encrypted PDF, over the size cap, unknown type), and page offsets for PDFs.
The extracted text is the reference for every offset in the index: chunks and citations point into it.
Leaves out chunking and anything about the store.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.errors import IngestError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class LoadedDocument:
    """A document's extracted text; `pages` holds (start offset, page number) for each PDF page."""

    source: str
    text: str
    title: str = ""
    pages: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page number the character at `offset` is on, or None for formats without pages."""
        page = None
        for start, number in self.pages:
            if start > offset:
                break
            page = number
        return page


def load_file(
    path: Path, source: str | None = None, max_bytes: int | None = None, data: bytes | None = None
) -> LoadedDocument:
    """Read one file into a `LoadedDocument`; `data`, when given, is the file's bytes already read (the indexer
    fingerprints and extracts the same bytes, so a file changing in between cannot get a stale fingerprint).

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
    text, title, pages = loader(data, path)
    if not text.strip():
        raise IngestError("no text could be extracted (empty, or a scanned PDF without a text layer)")
    return LoadedDocument(source=source, text=text, title=title or _title_from_text(text, path), pages=pages)


def check_size(path: Path, max_bytes: int | None) -> None:
    """Refuse an empty file, and a file over `max_bytes`, before reading it."""
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        msg = f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB cap (raise RAG_MAX_FILE_MB to allow it)"
        raise IngestError(msg)
    if size == 0:
        raise IngestError("empty file")


def _title_from_text(text: str, path: Path) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:120] if len(line) <= 120 else path.stem
    return path.stem


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise IngestError("binary data, not text (it holds NUL bytes); give the file its real extension")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8"
        raise IngestError(msg) from None


def _load_text(data: bytes, path: Path) -> tuple[str, str, tuple]:
    text = _decode(data)
    title = ""
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = heading.group(1).strip() if heading else ""
    return text, title, ()


def _load_html(data: bytes, path: Path) -> tuple[str, str, tuple]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    lines = (" ".join(line.split()) for line in soup.get_text("\n").splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, title, ()


def _load_pdf(data: bytes, path: Path) -> tuple[str, str, tuple]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError("encrypted PDF; remove the password (e.g. `qpdf --decrypt`) and ingest it again")
        parts, pages, offset = [], [], 0
        for number, page in enumerate(reader.pages, start=1):
            page_text = (page.extract_text() or "").strip()
            pages.append((offset, number))
            parts.append(page_text)
            offset += len(page_text) + 2
        title = str((reader.metadata or {}).get("/Title") or "")
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        msg = f"corrupt or unreadable PDF ({type(exc).__name__}: {str(exc)[:80]})"
        raise IngestError(msg) from None
    return "\n\n".join(parts), title, tuple(pages)


def _load_docx(data: bytes, path: Path) -> tuple[str, str, tuple]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        msg = f"corrupt or unreadable .docx ({type(exc).__name__}); open and re-save it in a word processor"
        raise IngestError(msg) from None
    paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
    title = document.core_properties.title or ""
    return "\n\n".join(paragraphs), title, ()


_LOADERS: dict[str, Callable[[bytes, Path], tuple[str, str, tuple]]] = {
    **{suffix: _load_text for suffix in TEXT_SUFFIXES},
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
