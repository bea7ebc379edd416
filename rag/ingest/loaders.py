"""Loaders: one file in, its extracted text and structure out, or an `IngestError` whose message is a one-line reason.

Owns the choice of loader per format (each format's reader lives in a module of its own: `pdf`, `word`, `web`,
`markdown`, images through `ocr`; plain text here), the checks that turn bad input into a clear reason (empty,
binary, not UTF-8, UTF-16 without a byte-order mark, over the size cap, unknown type), the bounds on extraction
(`max_chars` of text, checked while extracting so that a small compressed .docx or PDF cannot unpack into
gigabytes; `max_pages` per PDF), and the choice of a document's title. The extracted text is the reference for
every offset in the index: chunks and citations point into it.

A loader that reads the document's structure hands back its blocks (`rag.ingest.blocks`: headings, paragraphs,
list items, table rows, captions, footnotes, code) with their offsets; plain text has none, and its headings are
read from the text by the splitter. A document's title is its metadata title (PDF, .docx, HTML <title>, a
Markdown `#` heading) unless that is a placeholder ("Untitled", "Document", "Section 1"), else its first heading,
else its first line, shortened (`choose_title`).
Leaves out chunking, anything about the store, and where the caps come from (the indexer passes the settings).
"""

from __future__ import annotations

import bisect
import codecs
import importlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from rag.errors import IngestError
from rag.ingest.blocks import Block, TextBuilder

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUPPORTED_SUFFIXES = (*TEXT_SUFFIXES, ".html", ".htm", ".pdf", ".docx", *IMAGE_SUFFIXES)

MARKUP_PER_CHAR = 10
"""HTML markup, and a .docx's unpacked bytes, may be this many times the text cap before they are refused unread."""
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
    blocks: tuple[Block, ...] = ()  # the structure, when the loader reads one (`rag.ingest.blocks`)
    skipped: tuple[str, ...] = ()  # parts of the file left out, each with why ("page 3: OCR read no text")

    def page_at(self, offset: int) -> int | None:
        """The page number the character at `offset` is on, or None for formats without pages."""
        index = bisect.bisect_right(self._page_starts, offset)
        return self.pages[index - 1][1] if index else None

    @cached_property
    def _page_starts(self) -> list[int]:
        return [start for start, _ in self.pages]


@dataclass(frozen=True)
class Extracted:
    """What a format's loader hands back: the text and what it knows about its structure."""

    text: str
    title: str = ""
    pages: tuple[tuple[int, int], ...] = ()
    headings: tuple[tuple[int, int, int], ...] = ()
    blocks: tuple[Block, ...] = ()
    skipped: tuple[str, ...] = ()

    @classmethod
    def built(cls, builder: TextBuilder, title: str = "", skipped: Sequence[str] = ()) -> Extracted:
        """What a loader that wrote its blocks through `builder` hands back."""
        blocks = tuple(builder.blocks)
        return cls(builder.text, title, tuple(builder.pages), builder.headings(), blocks, tuple(skipped))


@dataclass(frozen=True)
class Limits:
    """The bounds of one extraction (None leaves a bound off), and whom to tell of each page read."""

    chars: int | None = None
    pages: int | None = None
    on_page: Callable[[int, int], None] | None = None  # (pages read, pages in all), for progress

    def page_read(self, done: int, total: int) -> None:
        """A paged format's loader calls this after each page."""
        if self.on_page is not None:
            self.on_page(done, total)

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
    on_page: Callable[[int, int], None] | None = None,
) -> LoadedDocument:
    """Read one file into a `LoadedDocument`; `data`, when given, is the file's bytes already read (the indexer
    fingerprints and extracts the same bytes, so a file changing in between cannot get a stale fingerprint).

    `max_chars` caps the extracted text and is checked while extracting: a .docx is unpacked as a stream and
    refused before python-docx inflates it, a PDF stops at the page that crosses it. `max_pages` caps a PDF's
    pages. Left at None (as for showing an indexed document), a bound is off. `on_page(done, total)` is called
    after each page of a paged format (PDF) is read.

    Example:
        >>> doc = load_file(Path("corpus/us-ukraine-minerals-agreement.txt"))
        >>> doc.text.startswith("The United States and Ukraine")
        True
    """
    source = source or path.name
    suffix = path.suffix.lower()
    loader = _loader(suffix)
    if loader is None:
        msg = f"unsupported file type {suffix or '(none)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        raise IngestError(msg)
    if data is None:
        check_size(path, max_bytes)
        data = path.read_bytes()
    limits = Limits(max_chars, max_pages, on_page)
    try:
        loaded = loader(data, path, limits)
    except RecursionError as exc:  # a structure nested deeper than a reader's walk can follow
        msg = "the file's structure is nested too deep to read; not indexed"
        raise IngestError(msg) from exc
    text = loaded.text
    limits.check_text(len(text))
    if not text.strip():
        raise IngestError(_no_text(suffix, loaded.pages or loaded.skipped))
    headings = [text[start:end] for start, end, level in sorted(loaded.headings, key=lambda h: h[2] > 1)]
    title = choose_title(loaded.title, headings, text, path.stem, shorten=False)
    return LoadedDocument(source, text, title, loaded.pages, loaded.headings, loaded.blocks, loaded.skipped)


def _no_text(suffix: str, pages: object) -> str:
    """Why a file gave no text: the OCR hint only for a PDF or image, whose pages can be pictures of text (`pages`:
    any page read or left out)."""
    if suffix == ".pdf" and not pages:
        return "no text: the PDF has no pages"
    if suffix in {".pdf", *IMAGE_SUFFIXES}:
        return "no text could be extracted (only images OCR could not read); check that the file shows text"
    return "no text: the file holds only blank space, markup or scripts"


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


def decode(data: bytes) -> str:
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


def load_text(data: bytes, path: Path, limits: Limits) -> Extracted:
    """Plain text as it is: its headings are read from the text by the splitter."""
    text = decode(data)
    limits.check_text(len(text))
    return Extracted(text)


CLOSING = tuple('.?!:;"”’)')
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
        and not line.endswith(CLOSING + _OPEN_ENDED)
    )


_LOADERS: dict[str, str] = {
    ".txt": "rag.ingest.loaders:load_text",
    **dict.fromkeys((".md", ".markdown"), "rag.ingest.markdown:load_markdown"),
    ".html": "rag.ingest.web:load_html",
    ".htm": "rag.ingest.web:load_html",
    ".pdf": "rag.ingest.pdf:load_pdf",
    ".docx": "rag.ingest.word:load_docx",
    **dict.fromkeys(IMAGE_SUFFIXES, "rag.ingest.image:load_image"),
}
"""Each format's loader, as "module:function", imported when a file of its kind is first read."""


def _loader(suffix: str) -> Callable[[bytes, Path, Limits], Extracted] | None:
    name = _LOADERS.get(suffix)
    if name is None:
        return None
    module, function = name.split(":")
    return getattr(importlib.import_module(module), function)
