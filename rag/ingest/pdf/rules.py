"""A page's ruling lines and images, from its path and image objects.

Owns walking the page's objects (into forms, two deep, with their matrices), the horizontal and vertical path
segments as pdfplumber edges (`page_edges`; none on a page drawn with too many, a map or a chart), and the share of
the page its largest image covers (`image_cover`, which tells a scan). Runs with the package's pdfium lock held by
its caller. Leaves out what the rules make (`tables`), curves and fills, and what the images show (a scan is read by
OCR: `rag.ingest.pdf`, `rag.ingest.ocr`).
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterable
from typing import Any

from rag.ingest.pdf.glyphs import Calls, Frame, address

_MAX_PATH_SEGMENTS = 20_000  # a page drawn with more (a map, a chart) is not searched for ruled tables
_MAX_EDGES = 1_500


def page_edges(calls: Calls, page: Any, frame: Frame) -> list[dict]:
    """The page's horizontal and vertical path segments (rules, box sides) as pdfplumber edges, in `frame`."""
    edges: list[dict] = []
    budget = [_MAX_PATH_SEGMENTS]
    for handle, matrix in _objects(calls, address(page.raw), _PATH):
        _path_edges(calls, handle, matrix, frame, edges, budget)
        if budget[0] <= 0 or len(edges) > _MAX_EDGES:
            return []
    return edges


_PATH, _IMAGE, _FORM = 2, 3, 5
_Matrix = tuple[float, float, float, float, float, float]


def _objects(calls: Calls, page: int, kind: int) -> Iterable[tuple[int, _Matrix]]:
    """The page's objects of `kind`, with the matrix of the forms they sit in, looking into forms (two deep)."""
    stack: list[tuple[int, bool, _Matrix, int]] = [(page, False, (1, 0, 0, 1, 0, 0), 0)]
    while stack:
        parent, is_form, outer, depth = stack.pop()
        count = calls.count_form_objects(parent) if is_form else calls.count_objects(parent)
        for i in range(max(count, 0)):
            handle = calls.form_object(parent, i) if is_form else calls.page_object(parent, i)
            if not handle:
                continue
            kind_of = calls.object_type(handle)
            if kind_of == kind:
                yield handle, outer
            elif kind_of == _FORM and depth < 2:
                stack.append((handle, True, _compose_matrix(_object_matrix(calls, handle), outer), depth + 1))


def _object_matrix(calls: Calls, handle: int) -> _Matrix:
    m = (ctypes.c_float * 6)()
    if not calls.object_matrix(handle, ctypes.addressof(m)):
        return (1, 0, 0, 1, 0, 0)
    return (m[0], m[1], m[2], m[3], m[4], m[5])


def _compose_matrix(inner: _Matrix, outer: _Matrix) -> _Matrix:
    a, b, c, d, e, f = inner
    p, q, r, s, t, u = outer
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _path_edges(calls: Calls, handle: int, outer: _Matrix, frame: Frame, edges: list[dict], budget: list[int]) -> None:
    a, b, c, d, e, f = _compose_matrix(_object_matrix(calls, handle), outer)
    count = calls.count_segments(handle)
    budget[0] -= max(count, 0)
    if count <= 0 or budget[0] <= 0:
        return
    x, y = ctypes.c_float(), ctypes.c_float()
    px, py = ctypes.addressof(x), ctypes.addressof(y)
    start = current = None
    for i in range(count):
        segment = calls.segment(handle, i)
        if not segment or not calls.segment_point(segment, px, py):
            continue
        point = frame.point(a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = calls.segment_type(segment)
        if kind == 0 and current is not None:  # a line to here
            add_edge(edges, current, point)
        if kind == 2 or start is None:  # a move starts a new subpath
            start = point
        current = point
        if calls.segment_close(segment) and start is not None:
            add_edge(edges, current, start)
            current = start


def add_edge(edges: list[dict], p: tuple[float, float], q: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = sorted((p, q))
    if abs(y1 - y0) < 1 and x1 - x0 >= 3:
        top = (y0 + y1) / 2
        edges.append(
            {
                "x0": x0,
                "x1": x1,
                "top": top,
                "bottom": top,
                "doctop": top,
                "width": x1 - x0,
                "height": 0,
                "orientation": "h",
                "object_type": "line",
            }
        )
    elif abs(x1 - x0) < 1 and abs(y1 - y0) >= 3:
        top, bottom = min(y0, y1), max(y0, y1)
        edges.append(
            {
                "x0": x0,
                "x1": x0,
                "top": top,
                "bottom": bottom,
                "doctop": top,
                "width": 0,
                "height": bottom - top,
                "orientation": "v",
                "object_type": "line",
            }
        )


def image_cover(calls: Calls, page: Any, frame: Frame) -> float:
    """The share of the page the largest image covers."""
    width, height = frame.size
    area, best = max(width * height, 1.0), 0.0
    bounds = (ctypes.c_float * 4)()
    left, bottom, right, top = (ctypes.addressof(bounds) + 4 * i for i in range(4))
    for handle, outer in _objects(calls, address(page.raw), _IMAGE):
        if calls.object_bounds(handle, left, bottom, right, top):
            corners = [_apply(outer, bounds[i], bounds[j]) for i, j in ((0, 1), (2, 3))]
            (x0, y0), (x1, y1) = corners
            best = max(best, abs(x1 - x0) * abs(y1 - y0) / area)
    return min(best, 1.0)


def _apply(m: _Matrix, x: float, y: float) -> tuple[float, float]:
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]
