"""What the pages share, known once pass one has read them all: body size, heading sizes, furniture, title.

Owns `DocStyle`. The body size is the type most characters are set in. Page furniture, left out: lines in the top or
bottom tenth that repeat, digits aside, at the same height on at least half the pages (both of two) or on four pages
in a row, and bare page numbers there. Heading sizes are those clearly larger than the body, largest first (levels
by size; bold at body size comes under them). The title is the largest line near the top of the first page with
text (level 0). Also what text can be a heading (`heading_text`). Leaves out which lines of a page are headings
(`compose`).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from statistics import median

from rag.ingest.pdf.page import Page
from rag.ingest.pdf.words import Seg

_BAND = 0.1  # running headers and footers sit in the top or bottom tenth of the page
_BAND_DRIFT = 0.025  # ... at the same height (this share of the page) from page to page
LARGER = 1.15  # heading type is at least this share of the body size
SMALL = 0.85  # footnote type is under this share of the body size
_PAGE_NUMBER = re.compile(
    r"(?:page\s*)?(?:\d{1,4}|[ivxlc]{1,7})(?:\s*(?:of|/)\s*\d{1,4})?|[-–—]\s*\d{1,4}\s*[-–—]", re.IGNORECASE
)
_SENTENCE_END = tuple(".!?;:,")
_OPEN_END = ("-", "–", "—", "/", "&", "+")


def _band(seg: Seg, height: float) -> str:
    if seg.middle < _BAND * height:
        return "top"
    return "bottom" if seg.middle > (1 - _BAND) * height else ""


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


@dataclass
class DocStyle:
    body: float
    furniture: dict[tuple[str, str], float]  # (band, text with digits as #) → its usual height, as a share
    heading_sizes: list[float]  # the distinct sizes of headings larger than the body, largest first
    title: set[int]  # id() of the title's segments
    bold_headings: bool  # bold at body size marks a heading (the body itself is not bold)
    font_headings: bool  # the document marks headings by their type

    @classmethod
    def of(cls, pages: list[Page]) -> DocStyle:
        sizes: Counter[float] = Counter()
        bold = 0
        for page in pages:
            for seg in page.segments:
                sizes[round(seg.size * 2) / 2] += len(seg.text)
                bold += len(seg.text) if seg.bold else 0
        body = sizes.most_common(1)[0][0] if sizes else 10.0
        style = cls(body, _furniture(pages), [], set(), bold * 3 < sum(sizes.values()), False)
        style.title = _title(pages, style)
        headings = [
            s
            for page in pages
            for s in page.segments
            if id(s) not in style.title and not style.is_furniture(s, page.height) and heading_text(s.text)
        ]
        style.heading_sizes = sorted({round(s.size * 2) / 2 for s in headings if s.size >= LARGER * body}, reverse=True)
        style.font_headings = bool(style.heading_sizes or style.title) or (
            style.bold_headings and any(s.bold and s.size >= 0.95 * body for s in headings)
        )
        return style

    def is_furniture(self, seg: Seg, height: float) -> bool:
        band = _band(seg, height)
        if not band:
            return False
        if _PAGE_NUMBER.fullmatch(seg.text.strip()):
            return True
        usual = self.furniture.get((band, _furniture_key(seg.text)))
        return usual is not None and abs(seg.middle / height - usual) <= _BAND_DRIFT

    def level(self, size: float) -> int:
        """A heading's level: 1 for the largest heading type, one more for each size above it; bold at body
        size comes under all of them."""
        if size < LARGER * self.body:
            return len(self.heading_sizes) + 1
        return 1 + sum(1 for s in self.heading_sizes if s > size + 0.25)


_RUN = 4  # a line repeated at the same place on this many pages in a row is furniture too (a chapter's running head)


def _furniture(pages: list[Page]) -> dict[tuple[str, str], float]:
    """The running headers and footers: lines in the top or bottom band that repeat, digits aside, at the same
    height on at least half the pages (both pages of a two-page document), or on `_RUN` pages in a row."""
    found_on: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    with_text = [page for page in pages if page.segments]
    for page in with_text:
        found: dict[tuple[str, str], float] = {}
        for seg in page.segments:
            band = _band(seg, page.height)
            if band:
                found.setdefault((band, _furniture_key(seg.text)), seg.middle / page.height)
        for key, height in found.items():
            found_on[key].append((page.number, height))
    count = len(with_text)
    if count < 2:
        return {}
    need = 2 if count == 2 else max(2, math.ceil(count / 2))
    out = {}
    for key, places in found_on.items():
        usual = median(h for _, h in places)
        numbers = [number for number, h in places if abs(h - usual) <= _BAND_DRIFT]
        if len(numbers) >= need or _longest_run(numbers) >= _RUN:
            out[key] = usual
    return out


def _longest_run(numbers: list[int]) -> int:
    longest = run = 0
    for i, number in enumerate(numbers):
        run = run + 1 if i and number == numbers[i - 1] + 1 else 1
        longest = max(longest, run)
    return longest


def heading_text(text: str) -> bool:
    """Text that can be a heading: short, with letters, not opening in lower case, not closed like a sentence."""
    text = text.strip()
    return (
        bool(text)
        and len(text) <= 200
        and len(text.split()) <= 25
        and bool(re.search(r"[^\W\d_]{2}", text))
        and not text[0].islower()
        and not text.endswith(_SENTENCE_END + _OPEN_END)
    )


def _title(pages: list[Page], style: DocStyle) -> set[int]:
    """The title's segments: the largest type in the top part of the first page with text, when it is clearly
    larger than the body, on up to three lines one under the other."""
    first = next((page for page in pages if page.segments), None)
    if first is None:
        return set()
    candidates = [
        s
        for s in first.segments
        if s.top < 0.45 * first.height
        and s.size >= LARGER * style.body
        and not style.is_furniture(s, first.height)
        and re.search(r"[^\W\d_]{2}", s.text)
    ]
    if not candidates:
        return set()
    big = max(s.size for s in candidates)
    lines = sorted((s for s in candidates if s.size >= big - 0.5), key=lambda s: (s.top, s.x0))
    title = [lines[0]]
    for seg in lines[1:]:
        if seg.top - title[-1].bottom > 0.8 * big:
            break
        if seg.top >= title[-1].bottom - 0.3 * big:  # one line under the other, not pieces side by side
            title.append(seg)
    text = " ".join(s.text for s in title)
    return {id(s) for s in title} if len(title) <= 3 and len(text.split()) <= 30 else set()
