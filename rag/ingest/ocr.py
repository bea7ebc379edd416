"""OCR: the lines of text in a page image (`ocr_lines`), and a scanned page written as blocks (`read_page_image`).

The engine is Tesseract 5 (Debian's `tesseract-ocr` with `tesseract-ocr-eng`, its fast English LSTM model), run as
a subprocess per page, one thread (`OMP_THREAD_LIMIT=1`: on a shared 2-core machine its OpenMP threads tripled the
wall time), page segmentation with orientation detection (`--psm 1`), so a page scanned sideways or upside down is
read too; hOCR output gives each line's box, its words' confidences and its text size. Chosen by measurement
(`.venv/bin/python -m bench.ocr`: one A4 page of known text, 2 cores, no GPU) against RapidOCR
(`rapidocr-onnxruntime` 1.4.4, whose PP-OCRv4 models ship inside its wheel and run on the installed onnxruntime with
nothing downloaded):
- accuracy: Tesseract 99.7% at 300 dpi, at 200 dpi and on a greyed, blurred, noisy 300-dpi copy (its one misread
  "Ml" → "MI"; a bullet read as "¢" is put right here); RapidOCR at best 99.3%, 98.8% and 96.1%, with its
  text-direction classifier off (on, it read a line upside down and lost three at 300 dpi: 78%). Its Chinese-English
  model drops spaces ("megalitreswhen", "atAshby") and reads "£" as "f", which hurts search and quotes more than
  its score shows.
- speed: Tesseract 1.3–1.7 CPU-seconds a page (0.44 pages/s on the shared machine); RapidOCR 6.1–6.7 (0.11 pages/s).
- install: Tesseract is one apt-get line; RapidOCR pulls opencv-python (80 MB), shapely and pyclipper.

`ocr_lines` returns the engine's lines in its reading order (columns one after the other), each with a confidence.
`read_page_image` keeps the confident ones (`MIN_CONFIDENCE`) and writes them through a `TextBuilder` with `ocr=True`:
lines are grouped into paragraphs by the space between them, a change of left edge or of text size, and a short
closed line; a block of one or two short lines whose text is clearly larger than the page's body text is a heading
(level 1 at 1.5 times the body size, else 2); lines that start with a bullet ("•", "-", "*", a dot the engine
misreads) or a number or letter ("1.", "2)", "(a)") are list items, their wrapped lines joined to them; a word
hyphenated at a line's end is joined again ("catch-" + "ment" → "catchment"); a page number alone at the page's top
or foot is left out.
Leaves out rendering PDF pages and starting each page (the PDF loader calls `builder.page(n)` first), opening image
files (`rag.ingest.image`), tables (a scanned table comes out as lines of text), bold-only headings (the text size
is all the engine tells), languages other than English, and handwriting.
"""

from __future__ import annotations

import functools
import io
import itertools
import logging
import os
import re
import shutil
import statistics
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from rag.errors import IngestError
from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import CLOSING, looks_like_heading_line

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

ENGINE = "tesseract"
LANGUAGE = "eng"
INSTALL = (
    "OCR needs Tesseract and its English model (Debian's tesseract-ocr and tesseract-ocr-eng): "
    "run `bash scripts/install.sh`, or `apt-get install tesseract-ocr tesseract-ocr-eng`"
)
PAGE_TIMEOUT = 180  # seconds for one page; a 300-dpi A4 page takes about 2 on one core
MIN_CONFIDENCE = 0.5  # lines the engine is less sure of than this are left out
SMALL_IMAGE = 1600  # an image whose longer side is shorter (a screenshot, a photo of a note) is read at twice its size
NO_TEXT = "OCR read no text"
BLANK_CONTRAST = 32  # a page whose darkest and lightest grey are closer than this is blank

_BULLET_GLYPHS = frozenset("•·●○◦▪■□‣⁃∙*-–—¢«»°©®")  # a bullet as printed, or as the engine misreads "•"
_BULLET = "•"
_LIST_MARK = re.compile(r"(?:•|\d{1,3}[.)]|\(?[a-zA-Z]\)|\([ivx]{1,4}\))\s")
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_PAGE_NUMBER = re.compile(r"[-–—\s]*(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?[-–—\s]*", re.IGNORECASE)


@dataclass(frozen=True)
class OcrLine:
    """One line of text read from an image: its box in the image's pixels (top-left origin, as the page stands
    upright), the engine's confidence (0 to 1, the words' mean weighted by length), and `size`, the text's height
    (ascender to descender) in pixels, the same for a line with or without capitals and descenders."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float
    size: float = 0.0


def ocr_lines(image: Image.Image) -> list[OcrLine]:
    """The lines of text the engine reads in `image`, in its reading order; [] for an image without text.

    Raises `IngestError` when the engine is not installed, fails, or takes over `PAGE_TIMEOUT` seconds."""
    binary = _engine()
    page = _greyscale(image)
    darkest, lightest = page.getextrema()
    if lightest - darkest < BLANK_CONTRAST:
        return []  # one flat colour: nothing to read, no need to start the engine
    scale = 2 if max(page.size) < SMALL_IMAGE else 1
    if scale != 1:
        from PIL import Image as PILImage

        page = page.resize((page.width * scale, page.height * scale), PILImage.Resampling.LANCZOS)
    hocr = _run(binary, page)
    parser = _HocrParser()
    parser.feed(hocr)
    parser.close()
    lines = [_line(raw, page.width, page.height) for raw in parser.lines]
    return [_scaled(line, 1 / scale) for line in lines if line is not None]


def read_page_image(builder: TextBuilder, image: Image.Image, page_number: int) -> str:
    """Write the text OCR reads in `image` (a scanned page) to `builder` as blocks marked `ocr=True`; "" when it
    wrote some, else the reason why not ("OCR read no text"). The caller has started the page
    (`builder.page(page_number)`); the number only goes into the log."""
    lines = ocr_lines(image)
    kept = _without_page_number([line for line in lines if line.confidence >= MIN_CONFIDENCE and _has_word(line.text)])
    log.debug("page %d: OCR read %d lines, kept %d", page_number, len(lines), len(kept))
    before = len(builder.blocks)
    write_lines(builder, kept)
    if len(builder.blocks) > before:
        return ""
    unsure = len(lines) - len(kept)
    return f"{NO_TEXT} it was sure of ({unsure} line(s) below {MIN_CONFIDENCE:.0%} confidence)" if unsure else NO_TEXT


def write_lines(builder: TextBuilder, lines: Sequence[OcrLine]) -> None:
    """`lines` (one page's, in reading order) as paragraphs, headings and lists, all marked `ocr=True`."""
    groups = _groups(lines)
    body = _body_size(lines)
    index = 0
    while index < len(groups):
        group = groups[index]
        if group.item:
            items = []
            while index < len(groups) and groups[index].item:
                items.append(_item_text(join_lines([line.text for line in groups[index].lines])))
                index += 1
            builder.add_list(items, ocr=True)
            continue
        text = join_lines([line.text for line in group.lines])
        level = _heading_level(group, body, last=index == len(groups) - 1)
        if level:
            builder.add("heading", text, level=level, ocr=True)
        else:
            builder.add("paragraph", text, ocr=True)
        index += 1


def join_lines(texts: Sequence[str]) -> str:
    """Lines of one block as one text: joined by spaces, a word hyphenated at a line's end joined again.

    Example:
        >>> join_lines(["The board expects the catch-", "ment to recover.", "A well-", "Known name."])
        'The board expects the catchment to recover. A well- Known name.'
    """
    text = ""
    for line in texts:
        line = line.strip()
        if text and _HYPHENATED.search(text) and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


# Layout: lines into groups (a paragraph, a heading, a list item).


@dataclass
class _Group:
    lines: list[OcrLine] = field(default_factory=list)
    item: bool = False  # a list item


def _groups(lines: Sequence[OcrLine]) -> list[_Group]:
    pitch = _line_pitch(lines)
    widest = max((line.x1 - line.x0 for line in lines), default=0.0)
    groups: list[_Group] = []
    for line in lines:
        item = bool(_LIST_MARK.match(line.text))
        current = groups[-1] if groups else None
        if current is None or item or _starts_block(current, line, pitch, widest):
            groups.append(_Group([line], item))
        else:
            current.lines.append(line)
    return groups


BLOCK_LINE = 0.6  # a line under this share of the page's widest, before a capital, ends its block
_OPEN_END = re.compile(r"\b(the|of|and|or|to|a|an|in|for|with|on|by|at|from|as)$|[-–—]$", re.I)  # "Report of the"


def _starts_block(group: _Group, line: OcrLine, pitch: float, widest: float) -> bool:
    """Whether `line` starts a new block after `group` rather than carrying it on."""
    last, first = group.lines[-1], group.lines[0]
    size = max(line.size, last.size, 1.0)
    if not 0.85 <= line.size / max(last.size, 1.0) <= 1.18:
        return True  # a change of text size: a heading before or after
    step = line.top - last.top
    if step <= 0.3 * size or step > pitch + 0.4 * size:
        return True  # a line above (the next column) or a gap wider than the lines' spacing
    if line.x1 < last.x0 or line.x0 > last.x1:
        return True  # beside, not under: another column
    closed = last.text.endswith(CLOSING) and last.x1 - last.x0 < 0.8 * widest
    if group.item:
        hanging = line.x0 > first.x0 + 0.5 * size  # a wrapped item's text lines up after its mark
        return not (hanging or (abs(line.x0 - first.x0) < 0.5 * size and not closed))
    if line.x0 > last.x0 + 0.8 * size:
        return True  # indented: a new paragraph's first line
    if line.x0 < last.x0 - 0.8 * size:
        return len(group.lines) > 1  # to the left: on after an indented first line, else after an indented block
    if last.x1 - last.x0 < BLOCK_LINE * widest and line.text[:1].isupper() and not _OPEN_END.search(last.text):
        return True  # a line of an address or a letter's head ("Our ref: …", "4 March 2024"): not a wrapped one
    return closed  # a short line that ends a sentence ends its paragraph


def _line_pitch(lines: Sequence[OcrLine]) -> float:
    """The usual distance from one line's top to the next one's in running text, in pixels."""
    steps = [
        b.top - a.top
        for a, b in itertools.pairwise(lines)
        if 0.85 <= b.size / max(a.size, 1.0) <= 1.18 and 0.3 * a.size < b.top - a.top < 2.5 * a.size
    ]
    if steps:
        return statistics.median(steps)
    return 1.25 * _body_size(lines)


def _body_size(lines: Sequence[OcrLine]) -> float:
    """The size of the page's running text: the median size over its characters."""
    sizes = sorted((line.size, len(line.text)) for line in lines)
    half, seen = sum(count for _, count in sizes) / 2, 0
    for size, count in sizes:
        seen += count
        if seen >= half:
            return size
    return 0.0


def _heading_level(group: _Group, body: float, last: bool) -> int:
    """1 or 2 for a heading (one or two lines, short, not closed like a sentence, larger than the body text), else 0;
    never the page's last block (a footer, or a paragraph that goes on over the page)."""
    if len(group.lines) > 2 or last or not body:
        return 0
    if not looks_like_heading_line(join_lines([line.text for line in group.lines])):
        return 0
    ratio = min(line.size for line in group.lines) / body
    return 1 if ratio >= 1.5 else 2 if ratio >= 1.18 else 0


def _item_text(text: str) -> str:
    """A list item's text: its bullet dropped, a number or letter kept ("1. Inspect")."""
    return text[1:].lstrip() if text.startswith(_BULLET) else text


def _has_word(text: str) -> bool:
    return any(char.isalnum() for char in text)


def _without_page_number(lines: list[OcrLine]) -> list[OcrLine]:
    """`lines` less a page number ("7", "Page 7", "7 of 12", "- 7 -") that is the first or last of them."""
    if lines and _PAGE_NUMBER.fullmatch(lines[-1].text):
        lines = lines[:-1]
    if lines and _PAGE_NUMBER.fullmatch(lines[0].text):
        lines = lines[1:]
    return lines


# The engine: Tesseract found once, run per page, its hOCR read.


_ENGINE_LOCK = threading.Lock()


def _engine() -> str:
    """The tesseract binary, checked once (with its English model); IngestError when missing, checked again then."""
    with _ENGINE_LOCK:
        return _find_engine()


@functools.cache
def _find_engine() -> str:
    binary = shutil.which("tesseract")
    if binary is None:
        raise IngestError(INSTALL)
    try:
        listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        msg = f"OCR engine {binary} does not run ({type(exc).__name__}); {INSTALL}"
        raise IngestError(msg) from None
    if LANGUAGE not in listed.stdout.split():
        msg = f"{INSTALL} (tesseract is there, its {LANGUAGE!r} model is not)"
        raise IngestError(msg)
    return binary


def _greyscale(image: Image.Image) -> Image.Image:
    """`image` as 8-bit grey on white: transparency over white (else it reads as black), 16-bit scaled down."""
    from PIL import Image as PILImage

    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        image = image.convert("I").point(lambda value: value * (1 / 256))
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = PILImage.alpha_composite(PILImage.new("RGBA", rgba.size, "white"), rgba)
    return image.convert("L")


def _run(binary: str, page: Image.Image) -> str:
    """Tesseract's hOCR for `page` (sent as an uncompressed PGM on stdin)."""
    data = io.BytesIO()
    page.save(data, "PPM")
    command = [binary, "stdin", "stdout", "-l", LANGUAGE, "--psm", "1", "hocr"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(command, input=data.getvalue(), capture_output=True, timeout=PAGE_TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        msg = f"OCR took over {PAGE_TIMEOUT} s on one page; scan it at 300 dpi or less, or ingest a PDF with text"
        raise IngestError(msg) from None
    except OSError as exc:
        msg = f"OCR engine {binary} does not run ({exc.strerror}); {INSTALL}"
        raise IngestError(msg) from None
    if done.returncode != 0:
        last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        msg = f"OCR failed (tesseract exit {done.returncode}: {last[:120]})"
        raise IngestError(msg)
    return done.stdout.decode("utf-8", errors="replace")


@dataclass
class _RawLine:
    box: tuple[int, int, int, int]
    size: float
    angle: int
    words: list[tuple[str, tuple[int, int, int, int], float]] = field(default_factory=list)


_LINE_CLASSES = frozenset(("ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"))
_BBOX = re.compile(r"bbox (\d+) (\d+) (\d+) (\d+)")


def _title_number(title: str, name: str) -> float | None:
    found = re.search(rf"\b{name} (-?[\d.]+)", title)
    return float(found.group(1)) if found else None


def _bbox(title: str) -> tuple[int, int, int, int]:
    found = _BBOX.search(title)
    return (int(found[1]), int(found[2]), int(found[3]), int(found[4])) if found else (0, 0, 0, 0)


class _HocrParser(HTMLParser):
    """The lines of Tesseract's hOCR: each line's box, size and text angle, and its words with their confidence."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[_RawLine] = []
        self._word: list[str] | None = None
        self._word_title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind, title = attributes.get("class") or "", attributes.get("title") or ""
        if kind in _LINE_CLASSES:
            box = _bbox(title)
            size = _title_number(title, "x_size") or float(box[3] - box[1])
            self.lines.append(_RawLine(box, size, int(_title_number(title, "textangle") or 0)))
        elif kind == "ocrx_word":
            self._word, self._word_title = [], title

    def handle_data(self, data: str) -> None:
        if self._word is not None:
            self._word.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._word is not None:
            text = "".join(self._word).strip()
            if text and self.lines:
                confidence = (_title_number(self._word_title, "x_wconf") or 0.0) / 100
                self.lines[-1].words.append((text, _bbox(self._word_title), confidence))
            self._word = None


def _line(raw: _RawLine, width: int, height: int) -> OcrLine | None:
    """One hOCR line as an `OcrLine` in the upright page's pixels; None when it holds no word."""
    if not raw.words:
        return None
    texts = [text for text, _, _ in raw.words]
    if len(texts) > 1 and _is_bullet(texts[0], raw.words[0][1], raw.size):
        texts[0] = _BULLET
    weights = [len(text) for text, _, _ in raw.words]
    confidence = sum(c * w for (_, _, c), w in zip(raw.words, weights)) / sum(weights)
    x0, top, x1, bottom = (float(edge) for edge in _upright(raw.box, raw.angle, width, height))
    return OcrLine(" ".join(texts), x0, top, x1, bottom, round(confidence, 3), raw.size)


def _is_bullet(text: str, box: tuple[int, int, int, int], size: float) -> bool:
    """A line's first word is a bullet: a bullet's glyph, or a mark no taller or wider than 0.4 of the text's size
    (a dot the engine read as "e" or "°")."""
    return text in _BULLET_GLYPHS or (len(text) <= 2 and max(box[2] - box[0], box[3] - box[1]) <= 0.4 * size)


def _upright(box: tuple[int, int, int, int], angle: int, width: int, height: int) -> tuple[int, int, int, int]:
    """A box in an image the page lies in turned by `angle` degrees (as Tesseract's textangle), as it stands upright."""
    left, top, right, bottom = box
    if angle == 90:
        return height - bottom, left, height - top, right
    if angle == 180:
        return width - right, height - bottom, width - left, height - top
    if angle == 270:
        return top, width - right, bottom, width - left
    return box


def _scaled(line: OcrLine, factor: float) -> OcrLine:
    if factor == 1:
        return line
    box = {name: getattr(line, name) * factor for name in ("x0", "top", "x1", "bottom", "size")}
    return replace(line, **box)
