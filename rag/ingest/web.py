"""HTML: a page's text, its paragraphs, lines and headings (h1-h6), from BeautifulSoup's parse.

HTML block elements (p, div, li, ...) become paragraphs and lines; the whitespace inside them is collapsed as a
browser does; headings come out as blocks of their own. Leaves out everything not particular to HTML (`loaders`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rag.ingest.loaders import Extracted, Limits, decode


def load_html(data: bytes, path: Path, limits: Limits) -> Extracted:
    from bs4 import BeautifulSoup

    markup = decode(data).translate(_NO_MARKS)
    limits.check_unpacked(len(markup), "the page's HTML is", "characters")  # its parse tree is many times its size
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.title:
        soup.title.decompose()
    _mark_html_structure(soup)
    text, headings = _unmark(soup.get_text())
    return Extracted(text, title, (), headings)


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
