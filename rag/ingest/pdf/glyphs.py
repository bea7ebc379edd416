"""A page's glyphs as pdfium reads them, and the frame they are read in.

Owns the pdfium calls made per glyph or page object (`Calls`, bound once through ctypes), each glyph's text, box and
font (size, bold, monospaced, direction), the real and the inferred spaces between glyphs (`BREAK`, `HINT`), and the
`Frame` that turns page coordinates so that the text reads left to right, top to bottom. Runs with the package's
pdfium lock held by its caller. Leaves out what glyphs make (words, segments: `words`), paths and images (`rules`),
and which direction a page is read in (`page`).
"""

from __future__ import annotations

import ctypes
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

BREAK = ("break",)  # a real space between glyphs
HINT = ("hint",)  # a space or line break pdfium inferred from the layout


@dataclass(frozen=True, slots=True)
class Font:
    size: float  # the glyph's size on the page: the font size scaled by the text matrix
    bold: bool
    mono: bool
    angle: int | None  # the text's direction, 0/90/180/270 degrees, None when skewed


class Calls:
    """The pdfium calls made per glyph or path segment, bound once with plain pointer arguments: through
    pypdfium2's typed bindings each costs about three times as much, which a page of 5,000 glyphs feels."""

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        vp, num, ulong = ctypes.c_void_p, ctypes.c_int, ctypes.c_ulong

        def bind(name: str, restype: Any, *argtypes: Any) -> Callable[..., Any]:
            address = ctypes.cast(getattr(raw, name), ctypes.c_void_p).value
            return ctypes.CFUNCTYPE(restype, *argtypes)(address)

        self.count_chars = bind("FPDFText_CountChars", num, vp)
        self.char_box = bind("FPDFText_GetLooseCharBox", num, vp, num, vp)
        self.text_object = bind("FPDFText_GetTextObject", vp, vp, num)
        self.generated = bind("FPDFText_IsGenerated", num, vp, num)
        self.font_size = bind("FPDFText_GetFontSize", ctypes.c_double, vp, num)
        self.char_matrix = bind("FPDFText_GetMatrix", num, vp, num, vp)
        self.font_info = bind("FPDFText_GetFontInfo", ulong, vp, num, vp, ulong, vp)
        self.font_weight = bind("FPDFText_GetFontWeight", num, vp, num)
        self.unicode = bind("FPDFText_GetUnicode", ctypes.c_uint, vp, num)
        self.count_objects = bind("FPDFPage_CountObjects", num, vp)
        self.page_object = bind("FPDFPage_GetObject", vp, vp, num)
        self.count_form_objects = bind("FPDFFormObj_CountObjects", num, vp)
        self.form_object = bind("FPDFFormObj_GetObject", vp, vp, ulong)
        self.object_type = bind("FPDFPageObj_GetType", num, vp)
        self.object_matrix = bind("FPDFPageObj_GetMatrix", num, vp, vp)
        self.object_bounds = bind("FPDFPageObj_GetBounds", num, vp, vp, vp, vp, vp)
        self.count_segments = bind("FPDFPath_CountSegments", num, vp)
        self.segment = bind("FPDFPath_GetPathSegment", vp, vp, num)
        self.segment_point = bind("FPDFPathSegment_GetPoint", num, vp, vp, vp)
        self.segment_type = bind("FPDFPathSegment_GetType", num, vp)
        self.segment_close = bind("FPDFPathSegment_GetClose", num, vp)


_CALLS: Calls | None = None
_CALLS_LOCK = threading.Lock()


def pdfium_calls() -> Calls:
    global _CALLS
    with _CALLS_LOCK:
        if _CALLS is None:
            _CALLS = Calls()
        return _CALLS


def address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


_BOLD_NAME = re.compile(r"bold|black|heavy|demi|semibold|[-,]bd\b", re.IGNORECASE)
_MONO_NAME = re.compile(r"mono|courier|consol|menlo|code", re.IGNORECASE)
_FORCE_BOLD, _FIXED_PITCH = 1 << 18, 1


def _font(calls: Calls, textpage: int, index: int) -> Font:
    """The size, weight, pitch and direction of the glyph at `index` (the same for every glyph of its text
    object, so looked up once per object)."""
    matrix = (ctypes.c_float * 6)()
    calls.char_matrix(textpage, index, ctypes.addressof(matrix))
    a, b, c, d = matrix[0], matrix[1], matrix[2], matrix[3]
    size = calls.font_size(textpage, index) * (math.hypot(c, d) or 1.0)
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    calls.font_info(textpage, index, ctypes.addressof(name), 128, ctypes.addressof(flags))
    font = name.value.decode("latin-1", "replace")
    bold = bool(_BOLD_NAME.search(font)) or bool(flags.value & _FORCE_BOLD) or calls.font_weight(textpage, index) >= 600
    mono = bool(flags.value & _FIXED_PITCH) or bool(_MONO_NAME.search(font))
    angle = math.degrees(math.atan2(b, a)) % 360
    nearest = round(angle / 90) % 4 * 90
    skew = min(abs(angle - nearest), 360 - abs(angle - nearest))
    return Font(round(size, 2), bold, mono, nearest if skew < 3 else None)


def page_glyphs(calls: Calls, textpage: Any) -> list[tuple]:
    """The page's glyphs in content order as (char, left, bottom, right, top, font) in PDF space, with `BREAK`
    for a real space and `HINT` where pdfium inferred one."""
    handle = address(textpage.raw)
    count = calls.count_chars(handle)
    if count <= 0:
        return []
    text = textpage.get_text_range(0, count)
    if len(text) != count:  # characters outside the BMP: read them one by one
        text = "".join(chr(calls.unicode(handle, i)) for i in range(count))
    box = (ctypes.c_float * 4)()  # FS_RECTF: left, top, right, bottom
    at = ctypes.addressof(box)
    fonts: dict[int, Font] = {}
    glyphs: list[tuple] = []
    for i, char in enumerate(text):
        if char.isspace() or (char < " " and char != "\x02"):
            glyphs.append(HINT if calls.generated(handle, i) else BREAK)
            continue
        key = calls.text_object(handle, i) or 0
        font = fonts.get(key) if key else None
        if font is None:
            font = fonts[key] = _font(calls, handle, i)
        calls.char_box(handle, i, at)
        glyphs.append((char, box[0], box[3], box[2], box[1], font))
    return glyphs


@dataclass(frozen=True)
class Frame:
    """Page coordinates turned so that the text reads left to right, top to bottom: x grows to the right, y
    downwards, both from the crop box's corner. The text's own direction decides, not /Rotate: a table set
    sideways on an upright page is read along its lines."""

    angle: int
    left: float
    bottom: float
    right: float
    top: float

    @property
    def size(self) -> tuple[float, float]:
        width, height = self.right - self.left, self.top - self.bottom
        return (width, height) if self.angle in (0, 180) else (height, width)

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, float, float, float]:
        """(x0, x1, top, bottom) of a box given in PDF space."""
        if self.angle == 0:
            return left - self.left, right - self.left, self.top - top, self.top - bottom
        if self.angle == 90:
            return bottom - self.bottom, top - self.bottom, left - self.left, right - self.left
        if self.angle == 180:
            return self.right - right, self.right - left, bottom - self.bottom, top - self.bottom
        return self.top - top, self.top - bottom, self.right - right, self.right - left

    def point(self, x: float, y: float) -> tuple[float, float]:
        x0, _, top, _ = self.box(x, y, x, y)
        return x0, top
