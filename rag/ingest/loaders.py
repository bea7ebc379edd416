"""Loaders: one file in, its extracted text out, or an `IngestError` whose message is a one-line reason.

Owns the supported formats (.txt, .md, .html, .pdf, .docx; text in UTF-8, or UTF-16/32 with a byte-order mark),
the checks that turn bad input into a clear reason (empty, binary, not UTF-8, UTF-16 without a byte-order mark,
corrupt or password-protected PDF, over the size cap, unknown type), the bounds on extraction (`max_chars` of
text, checked while extracting so that a small compressed .docx or PDF cannot unpack into gigabytes; `max_pages`
per PDF), and page offsets for PDFs. It keeps pypdf's own warnings off stderr (they go to this module's debug
log). The extracted text is the reference for every offset in the index: chunks and citations point into it.

Headings the markup declares (HTML h1-h6, .docx Title and Heading styles or outline levels) and the title and
heading lines of a PDF (a short line without closing punctuation that follows the end of a sentence, on a line of
its own) come out as blocks of their own, a blank line either side, never glued to the next sentence, and are
listed in `LoadedDocument.headings` with their level. HTML block elements (p, div, li, ...) become paragraphs
and lines; the whitespace inside them is collapsed as a browser does. Markdown and plain text are taken as they
are: their headings are read from the text by the splitter. A document's title is its metadata title (PDF, .docx,
HTML <title>, a Markdown `#` heading) unless that is a placeholder ("Untitled", "Document", "Section 1"), else its
first heading, else its first line, shortened (`choose_title`).
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
from collections.abc import Callable, Sequence
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
    """A document's extracted text; `pages` holds (start offset, page number) for each PDF page, `headings`
    (start, end, level) for each heading the format marks as one (level 1 is the top; a title may be 0)."""

    source: str
    text: str
    title: str = ""
    pages: tuple[tuple[int, int], ...] = ()
    headings: tuple[tuple[int, int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page number the character at `offset` is on, or None for formats without pages."""
        index = bisect.bisect_right(self._page_starts, offset)
        return self.pages[index - 1][1] if index else None

    @cached_property
    def _page_starts(self) -> list[int]:
        return [start for start, _ in self.pages]


@dataclass(frozen=True)
class _Extracted:
    """What a format's loader hands back: the text and what it knows about its structure."""

    text: str
    title: str = ""
    pages: tuple[tuple[int, int], ...] = ()
    headings: tuple[tuple[int, int, int], ...] = ()


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
    loaded = loader(data, path, limits)
    text = loaded.text
    limits.check_text(len(text))
    if not text.strip():
        msg = "no text could be extracted (empty, or a scanned PDF without a text layer); OCR a scan first (ocrmypdf)"
        raise IngestError(msg)
    headings = [text[start:end] for start, end, level in sorted(loaded.headings, key=lambda h: h[2] > 1)]
    title = choose_title(loaded.title, headings, text, path.stem, shorten=False)
    return LoadedDocument(source, text, title, loaded.pages, loaded.headings)


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


TITLE_CHARS = 100  # a title shown from a longer line is shortened to this, at a word
TITLE_LINE_CHARS = 120  # a longer first line is no title to index (the file name is)
_PLACEHOLDER_TITLE = re.compile(
    r"\(?(?:untitled|anonymous|no title|title|document|new document|untitled document|blank document)\)?"
    r"|(?:untitled|document|section|chapter|part|page|slide|heading|title)\s*[-#.:]?\s*(?:\d+|[ivxlc]+)\.?"
    r"|microsoft (?:word|powerpoint|excel)(?:\s*-.*)?"
    r"|[\W\d_]*",  # nothing but digits and punctuation: "1.", "---", "* * *"
    re.IGNORECASE,
)


def is_placeholder_title(title: str) -> bool:
    """A title that says nothing about the document: "Untitled", "Document", "Section 1", "Microsoft Word - x.doc",
    a number.

    Example:
        >>> [is_placeholder_title(t) for t in ("Untitled", "Section 1", "Chapter IV", "Flood Report", "Part 2 Aims")]
        [True, True, True, False, False]
    """
    return bool(_PLACEHOLDER_TITLE.fullmatch(" ".join(title.split())))


def choose_title(metadata: str, headings: Sequence[str], text: str, fallback: str = "", shorten: bool = True) -> str:
    """A document's title: its metadata title unless that is a placeholder (`is_placeholder_title`); else its
    first heading that is not one; else its first line of text that is not one (Markdown's `#` left out),
    shortened to `TITLE_CHARS` at a word; else `fallback` (the file name's stem).

    With `shorten` False (the title indexed with every chunk, which retrieval reads too) nothing is shortened,
    and a first line over `TITLE_LINE_CHARS` gives `fallback`: it is a sentence, not a title (`shown_title` shows it
    shortened).

    Example:
        >>> choose_title("Untitled", ["Section 1", "Flood Report"], "Section 1\\n\\nThe river rose.")
        'Flood Report'
        >>> choose_title("", [], "Section 1\\n\\nThe river rose in May.", "notes")
        'The river rose in May.'
    """
    cut = _shorten_title if shorten else str
    for candidate in (metadata, *headings):
        candidate = " ".join(candidate.split())
        if candidate and not is_placeholder_title(candidate):
            return cut(candidate)
    for line in text[:20_000].splitlines():
        line = " ".join(line.strip().lstrip("#").split())
        if line and not is_placeholder_title(line):
            return cut(line) if shorten or len(line) <= TITLE_LINE_CHARS else fallback
    return fallback


def shown_title(title: str, text: str, source: str) -> str:
    """The title to show for an indexed document (`title` as indexed, `text` its extracted text): the indexed title
    unless it is a placeholder or only the file name, else one chosen from the text (`choose_title`), shortened.

    Example:
        >>> shown_title("notes", "The river rose in May, and the town council met on the first of June.", "notes.txt")
        'The river rose in May, and the town council met on the first of June.'
    """
    stem = Path(source).stem
    if title and title != stem and not is_placeholder_title(title):
        return _shorten_title(" ".join(title.split()))
    return choose_title("", (), text, stem)


def _shorten_title(title: str) -> str:
    if len(title) <= TITLE_CHARS:
        return title
    cut = title.rfind(" ", 0, TITLE_CHARS)
    return title[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS].rstrip(" ,;:-–—") + "…"


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


def _load_text(data: bytes, path: Path, limits: _Limits) -> _Extracted:
    text = _decode(data)
    limits.check_text(len(text))
    title = ""
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
        title = heading.group(1).strip() if heading else ""
    return _Extracted(text, title)


def _load_html(data: bytes, path: Path, limits: _Limits) -> _Extracted:
    from bs4 import BeautifulSoup

    markup = _decode(data).translate(_NO_MARKS)
    limits.check_unpacked(len(markup), "the page's HTML is", "characters")  # its parse tree is many times its size
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    _mark_html_structure(soup)
    text, headings = _unmark(soup.get_text())
    return _Extracted(text, title, (), headings)


_PARAGRAPH, _LINE, _CELL, _CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"
_OPEN = {chr(0xE010 + level): level for level in range(1, 7)}  # the start of an <h1>..<h6>
_NO_MARKS = dict.fromkeys(range(0xE000, 0xE020))  # the marks are private-use characters: the page's own are dropped
_MARK = re.compile(f"([{_PARAGRAPH}{_LINE}{_CELL}{_CLOSE}{''.join(_OPEN)}])")
_HTML_BLOCKS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "details", "dialog", "div", "dl", "fieldset"}
    | {"figcaption", "figure", "footer", "form", "header", "hr", "main", "nav", "ol", "p", "pre", "section"}
    | {"summary", "table", "ul"}
)
_HTML_LINES = ("br", "li", "tr", "dt", "dd")


def _mark_html_structure(soup: Any) -> None:
    """Put marks where the page's structure breaks the text: paragraphs (block elements and headings), lines
    (br, li, tr, ...), table cells, and the ends of headings. `<pre>` keeps its line breaks."""
    for pre in soup.find_all("pre"):
        for string in pre.find_all(string=True):
            string.replace_with(string.replace("\n", _LINE))
    for tag in soup.find_all(True):
        name = tag.name.lower()
        if re.fullmatch(r"h[1-6]", name):
            tag.insert(0, chr(0xE010 + int(name[1])))
            tag.append(_CLOSE)
        elif name in _HTML_BLOCKS or name in _HTML_LINES or name in ("td", "th"):
            mark = _PARAGRAPH if name in _HTML_BLOCKS else _LINE if name in _HTML_LINES else _CELL
            tag.insert_before(mark)
            tag.insert_after(mark)


def _unmark(marked: str) -> tuple[str, tuple[tuple[int, int, int], ...]]:
    """The page's text from its marked text: whitespace collapsed, a blank line between paragraphs and around
    headings, a newline between lines; and (start, end, level) of each heading."""
    breaks = {_PARAGRAPH: "\n\n", _LINE: "\n", _CELL: " ", _CLOSE: "\n\n", **dict.fromkeys(_OPEN, "\n\n")}
    out: list[str] = []
    length, pending, headings = 0, "", []
    level, start = 0, None  # the heading being read, and where its text starts
    for piece in _MARK.split(" ".join(marked.split())):
        if piece in breaks:
            if piece == _CLOSE and level and start is not None:
                headings.append((start, length, level))
            if piece == _CLOSE or piece in _OPEN:
                level, start = _OPEN.get(piece, 0), None
            pending = max(pending, breaks[piece], key=len)
        elif piece := piece.strip():
            joint = pending if length else ""
            if level and start is None:
                start = length + len(joint)
            out.append(joint + piece)
            length += len(joint) + len(piece)
            pending = ""
    return "".join(out), tuple(headings)


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


def _load_pdf(data: bytes, path: Path, limits: _Limits) -> _Extracted:
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


def _read_pdf(data: bytes, limits: _Limits) -> _Extracted:
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
    return _Extracted(text, title, tuple(pages), tuple(headings))


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
        closed = piece.rstrip().endswith(_CLOSING) and len(piece.strip()) < _PDF_PARAGRAPH_END * widest
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
    if before and not before.endswith(_CLOSING) and not looks_like_heading_line(before):
        return 0
    return 1 if first and i == 0 else 2


_CLOSING = tuple('.?!:;"”’)')
_OPEN_ENDED = (",", "-", "–", "—", "/", "&", "+")


def looks_like_heading_line(line: str) -> bool:
    """One short line that reads as a heading or title: at most 12 words and 100 characters, starting with a capital
    or a digit, and ending without the punctuation that closes a sentence or carries it on to the next line."""
    line = line.strip()
    return (
        bool(line)
        and "\n" not in line
        and len(line) <= 100
        and len(line.split()) <= 12
        and (line[0].isupper() or line[0].isdigit())
        and not line.endswith(_CLOSING + _OPEN_ENDED)
    )


def _load_docx(data: bytes, path: Path, limits: _Limits) -> _Extracted:
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
    return _Extracted("\n\n".join(parts), title, (), tuple(headings))


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


_LOADERS: dict[str, Callable[[bytes, Path, _Limits], _Extracted]] = {
    **{suffix: _load_text for suffix in TEXT_SUFFIXES},
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
