"""Glyphs into words, words into segments: the runs of text on one baseline the layout analysis works with.

Owns `Word` and `Seg`. Words from glyphs: a space or a gap breaks them; glyphs in another direction (a sideways
label, a diagonal watermark) and glyphs drawn twice at one place (fake bold, shadows) are left out, a ligature read
as two letters in one box is mended. Segments from words: runs on one baseline without a wide gap (a narrower one
between two values, `CELL_VALUE`, as between table cells). A raised smaller footnote reference ("reports⁷",
"reports ⁷ of") is dropped, one that opens a segment kept as its marker; dot leaders are taken out. Also segments
grouped into rows by baseline (`by_baseline`) and lines joined into running text, a word hyphenated at a line's end
mended (`join`). Leaves out where the glyphs come from (`glyphs`) and what the segments make: table cells
(`tables`), lines, paragraphs, headings (`columns`, `compose`).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rag.ingest.pdf.glyphs import BREAK, HINT, Font, Frame

_SPACE_GAP = 0.25  # a gap wider than this share of the type size between two glyphs breaks a word
_HINTED_GAP = 0.08  # ... or wider than this where pdfium saw a space
_SEGMENT_GAP = 1.0  # a gap wider than this many type sizes between two words splits a line into segments
_NUMBER_GAP = 0.5  # ... or this many between two numbers (table cells)
_SUPER_SIZE = 0.9  # a superscript's type is smaller than this share of its line's...
_SUPER_RISE = 0.15  # ...and its foot is higher by this share of the line's type size
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\x02": "-",
        "\xad": "-",
        "\ufffe": "-",
    }
)
_MARKER = re.compile(r"\d{1,3}|[*†‡§¶]{1,3}|[a-z]")
"""The text of a footnote reference: a number, a symbol or a letter."""
_LEADER = re.compile(r"\s*(?:\.\s?){4,}\s*|\s+\.{2,}(?=\s|$)|\s*…{2,}\s*")
_UNIT_POWER = re.compile(r"(?:.*\W)?(?:[mk]?m|cm|ft|in|yd|mi|s|sq)", re.IGNORECASE)
CELL_VALUE = re.compile(r"[(\[]?[-−–+]?[$£€¥]?\d[\d,.]*(?:\s?%)?[)\]]?[*†‡]?|[-−–—]|n/?a", re.IGNORECASE)
"""A word that is a table value on its own: a number, an amount, a percentage, a dash for nothing."""


@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    mono: bool
    lead: bool = False  # it opens with a raised marker ("¹Leakage")


@dataclass(slots=True)
class Seg:
    """A run of words on one line with no wide gap: a line of a column, a table cell, a running header."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool
    mono: bool
    marker: str = ""  # a raised footnote marker that opens it ("1" of "¹ Leakage is...")
    words: list[Word] = field(default_factory=list)  # kept while the page's tables are found
    ends: tuple[float, float] = (0.0, 0.0)  # the type size of its first and last word (a run-in head differs)
    leader: bool = False  # it held dot leaders (a table of contents' entry)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def page_words(glyphs: list[tuple], frame: Frame) -> list[Word]:
    """The words of the page in the text's direction; glyphs in another direction (a sideways label, a diagonal
    watermark) and glyphs drawn twice at the same place (fake bold, shadows) are left out. (The loop every glyph
    goes through: kept flat, the last glyph's box in locals.)"""
    words: list[Word] = []
    run: list[tuple] = []
    hinted, uniform = False, None  # uniform: the font of every glyph in the run, if they share one
    px0 = px1 = ptop = pbottom = psize = 0.0
    seen: set[tuple[str, int, int]] = set()
    angle, left, page_top, box = frame.angle, frame.left, frame.top, frame.box
    for glyph in glyphs:
        if len(glyph) == 1:
            if glyph is BREAK and run:
                _add_word(words, run, uniform)
                run = []
            hinted = hinted or glyph is HINT
            continue
        font = glyph[5]
        if font.angle != angle:
            continue
        if angle == 0:
            x0, x1, top, bottom = glyph[1] - left, glyph[3] - left, page_top - glyph[4], page_top - glyph[2]
        else:
            x0, x1, top, bottom = box(glyph[1], glyph[2], glyph[3], glyph[4])
        ligature = bool(run) and px0 == x0 and px1 == x1  # "fi" read as "f", "i" in one box
        key = (glyph[0], int(x0 + 0.5), int(top + 0.5))
        if key in seen and not ligature:
            continue
        seen.add(key)
        if run and not ligature:
            size = psize if psize > font.size else font.size
            overlap = (pbottom if pbottom < bottom else bottom) - (ptop if ptop > top else top)
            height = pbottom - ptop if pbottom - ptop < bottom - top else bottom - top
            gap = x0 - px1
            if (
                overlap < 0.3 * height
                or gap > _SPACE_GAP * size
                or x0 < px0 - 0.1 * size
                or (hinted and gap > _HINTED_GAP * size)
            ):
                _add_word(words, run, uniform)
                run = []
        if not run:
            uniform = font
        elif font is not uniform:
            uniform = None
        hinted = False
        run.append((glyph[0], x0, x1, top, bottom, font))
        px0, px1, ptop, pbottom, psize = x0, x1, top, bottom, font.size
    if run:
        _add_word(words, run, uniform)
    return words


def _add_word(words: list[Word], run: list[tuple], uniform: Font | None) -> None:
    """One word from its glyphs. Raised smaller glyphs after its letters that read as a footnote reference
    ("reports⁷", "day¹,") are dropped, punctuation after them kept; raised glyphs that open it (a footnote's own
    marker, "¹Leakage") are kept, set off by a space."""
    if uniform is not None:  # one font on one baseline (most words): no superscript
        text = "".join([g[0] for g in run]).translate(_LIGATURES)
        first = run[0]
        words.append(Word(text, first[1], run[-1][2], first[3], first[4], uniform.size, uniform.bold, uniform.mono))
        return
    big = max(g[5].size for g in run)
    main = [g for g in run if g[5].size >= _SUPER_SIZE * big]
    foot = max(g[4] for g in main)

    def raised(g: tuple) -> bool:
        return g[5].size < _SUPER_SIZE * big and g[4] < foot - _SUPER_RISE * big

    end = len(run)
    while end > 1 and not run[end - 1][0].isalnum() and not raised(run[end - 1]):
        end -= 1
    stop = end
    while stop > 1 and raised(run[stop - 1]):
        stop -= 1
    marker = "".join(g[0] for g in run[stop:end])
    stem = "".join(g[0] for g in run[:stop])
    if marker and _MARKER.fullmatch(marker) and not (marker in "23" and _UNIT_POWER.fullmatch(stem)):
        run = run[:stop] + run[end:]
    start = 0
    while start < len(run) - 1 and raised(run[start]):
        start += 1
    body = "".join(g[0] for g in run[start:]).translate(_LIGATURES)
    lead = "".join(g[0] for g in run[:start])
    text = f"{lead} {body}" if lead else body
    bold = sum(g[5].bold for g in main) * 2 > len(main)
    mono = sum(g[5].mono for g in main) * 2 > len(main)
    top = min(g[3] for g in main)
    words.append(Word(text, run[0][1], run[-1][2], top, foot, big, bold, mono, bool(lead)))


def by_baseline(items: Sequence[Any]) -> list[list[Any]]:
    """Segments grouped into rows by their baselines (within a quarter of the smaller type size)."""
    rows: list[list[Any]] = []
    for item in sorted(items, key=lambda s: s.bottom):
        row = rows[-1] if rows else None
        if row and item.bottom - row[0].bottom <= 0.25 * min(item.size, row[0].size):
            row.append(item)
        else:
            rows.append([item])
    return rows


class _Run:
    """A segment being built: its words, its baseline and type size (those of its first full-size word)."""

    __slots__ = ("bottom", "size", "words")

    def __init__(self, word: Word) -> None:
        self.words, self.bottom, self.size = [word], word.bottom, word.size


def segments(words: Iterable[Word]) -> list[Seg]:
    """Words joined, left to right, into segments: runs on one baseline without a wide gap (a gap wider than a
    type size, or half of one between two numbers, as between table cells). A smaller raised word (a
    footnote reference set apart, "reports ⁷ of") joins the run it is raised above. Runs are kept in buckets
    by their baseline, so that each word looks at a few runs only."""
    buckets: dict[int, list[_Run]] = defaultdict(list)
    runs: list[_Run] = []
    for word in sorted(words, key=lambda w: w.x0):
        best, best_gap = None, math.inf
        base = int(word.bottom)
        for keys in (range(base - 1, base + 2), range(base + 2, base + 2 + int(0.8 * word.size / _SUPER_SIZE))):
            for key in keys:  # its own baseline first; a line it could be raised above only if none
                for run in buckets.get(key, ()):
                    gap = word.x0 - run.words[-1].x1
                    if gap < best_gap and _extends(run, word, gap):
                        best, best_gap = run, gap
            if best is not None:
                break
        if best is None:
            best = _Run(word)
            runs.append(best)
            buckets[int(word.bottom)].append(best)
        else:
            best.words.append(word)
    return [_segment(run.words) for run in runs]


def _extends(run: _Run, word: Word, gap: float) -> bool:
    size = max(run.size, word.size)
    before = run.words[-1]
    numbers = CELL_VALUE.fullmatch(before.text) and CELL_VALUE.fullmatch(word.text)
    if gap < -0.5 * size or gap > _SEGMENT_GAP * size or (numbers and gap > _NUMBER_GAP * size):
        return False
    if abs(word.bottom - run.bottom) <= 0.25 * min(word.size, run.size):
        return True
    raised = word.size < _SUPER_SIZE * run.size and word.bottom < run.bottom - _SUPER_RISE * run.size
    return raised and word.bottom > run.bottom - run.size  # a superscript over this run's line


def _segment(words: list[Word]) -> Seg:
    """A segment from its words: its type size is that of most of its characters; a raised marker inside it
    (a footnote reference set as a word of its own, "reports ⁷ of") is dropped, one that opens it kept aside."""
    sizes: Counter[float] = Counter()
    for word in words:
        sizes[round(word.size, 1)] += len(word.text)
    size = sizes.most_common(1)[0][0]
    foot = max((w.bottom for w in words if w.size >= _SUPER_SIZE * size), default=words[0].bottom)
    kept, marker = [], ""
    for i, word in enumerate(words):
        raised = word.size < _SUPER_SIZE * size and word.bottom < foot - _SUPER_RISE * size
        if raised and _MARKER.fullmatch(word.text):
            if i == 0 and len(words) > 1:
                marker = word.text
            continue
        kept.append(word)
    kept = kept or words
    chars = sum(len(w.text) for w in kept)
    bold = all(w.bold for w in kept if any(c.isalnum() for c in w.text))  # all bold: a bold lead-in is not
    mono = sum(len(w.text) for w in kept if w.mono) * 2 > chars
    text = " ".join(w.text for w in kept)
    leader = ".." in text or ". . . ." in text or "……" in text
    if leader:  # dot leaders ("Total ........ 6,205") are no text
        text = _LEADER.sub(" ", text).strip() or text
    if marker or kept[0].lead:
        marker = marker or kept[0].text.split(" ", 1)[0]
    if marker and not text.startswith(marker):
        text = f"{marker} {text}"
    top = min(w.top for w in kept)
    ends = (kept[0].size, kept[-1].size)
    return Seg(text, words[0].x0, words[-1].x1, top, foot, size, bold, mono, marker, kept, ends, leader)


def join(parts: Sequence[str]) -> str:
    """Lines joined into running text with spaces; a word broken at a line's end ("restor-" "ation") is mended,
    a hyphen between two words kept ("Anglo-" "Saxon" gives "Anglo-Saxon")."""
    out = parts[0] if parts else ""
    for part in parts[1:]:
        if re.search(r"[a-z]-$", out) and part[:1].islower():
            out = out[:-1] + part
        elif re.search(r"(?:\w[-–]|[/@])$", out):
            out += part
        else:
            out += " " + part
    return out
