"""Markdown (.md, .markdown): the document as blocks (`rag.ingest.blocks`), parsed by markdown-it-py (CommonMark,
with GitHub's pipe tables and strikethrough).

Owns the reading of Markdown: ATX and setext headings as headings of their level (the first level-1 heading is
the title, else a `title:` in YAML front matter), paragraphs and block quotes as paragraphs of their inline text
as it reads when rendered (a link's text kept, its URL dropped; images and badges dropped entirely, so a line of
badges leaves nothing; emphasis marks and backticks dropped; an autolink's text is its URL), each list item a
list item (the items of a nested list follow their parent's), pipe tables as rows beside their header, fenced
and indented code as code, and HTML blocks read as HTML (`web.write_fragment`: a `<p align="center">` of images
leaves nothing, an `<h1>` is a heading).
Leaves out everything not particular to Markdown (`loaders`), link reference definitions and front matter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import Extracted, Limits, decode

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_FRONT_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)


def load_markdown(data: bytes, path: Path, limits: Limits) -> Extracted:
    source = decode(data)
    limits.check_text(len(source))  # the text is never longer than its source
    source, meta_title = front_matter(source)
    builder = TextBuilder(limits.check_text)
    _Writer(builder).write(_parser().parse(source))
    return Extracted.built(builder, _title(builder) or meta_title)


def _title(builder: TextBuilder) -> str:
    """The text of the first level-1 heading, "" when there is none."""
    text = builder.text
    return next((text[b.start : b.end] for b in builder.blocks if b.kind == "heading" and b.level == 1), "")


@cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def front_matter(source: str) -> tuple[str, str]:
    """The source without its YAML front matter, and the front matter's `title:` ("" when none).

    Example:
        >>> front_matter("---\\ntitle: Flood Report\\ndate: 2024\\n---\\n# Causes\\n")
        ('# Causes\\n', 'Flood Report')
    """
    match = _FRONT_MATTER.match(source)
    if not match:
        return source, ""
    title = _FRONT_TITLE.search(match.group(1))
    return source[match.end() :], title.group(1).strip("\"'") if title else ""


def inline_text(token: Any) -> str:
    """The text of an inline token as it reads when rendered: text and code spans, a link's text (its URL left
    out; an autolink's text is its URL), no images, no HTML tags (a <br> is a space).

    Example:
        >>> tokens = _parser().parse("[![CI](https://x/b.svg)](https://x) **Bold** `code` [docs](https://d/)")
        >>> inline_text(tokens[1])
        ' Bold code docs'
    """
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (
            child.type == "html_inline" and _BREAK_TAG.fullmatch(child.content)
        ):
            parts.append(" ")
    return "".join(parts)


def _close(tokens: Sequence[Any], start: int) -> int:
    """The index of the token that closes the one at `start`."""
    opening = tokens[start]
    closing = opening.type.replace("_open", "_close")
    for index in range(start + 1, len(tokens)):
        if tokens[index].type == closing and tokens[index].level == opening.level:
            return index
    return len(tokens) - 1


def list_items(tokens: Sequence[Any]) -> list[str]:
    """The items of a list's tokens in order, each as one line: an item's paragraphs and code together, the items
    of a list inside it after it."""
    items: list[list[str]] = []
    open_items: list[list[str]] = []
    for token in tokens:
        if token.type == "list_item_open":
            items.append([])
            open_items.append(items[-1])
        elif token.type == "list_item_close" and open_items:
            open_items.pop()
        elif open_items and token.type == "inline":
            open_items[-1].append(inline_text(token))
        elif open_items and token.type in ("fence", "code_block", "html_block"):
            open_items[-1].append(_html_text(token.content) if token.type == "html_block" else token.content)
    return [" ".join(parts) for parts in items]


def table_cells(tokens: Sequence[Any]) -> tuple[list[str], list[list[str]]]:
    """A pipe table's header and body rows."""
    header: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    in_head = False
    for token in tokens:
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            row.append("")
        elif token.type == "inline" and row:
            row[-1] = inline_text(token)
        elif token.type == "tr_close":
            if in_head:
                header = row
            else:
                rows.append(row)
    return header, rows


def _html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(markup, "lxml").get_text(" ")


class _Writer:
    """Writes the blocks of a token stream; container tokens (block quotes, rules) only hold others."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder

    def write(self, tokens: Sequence[Any]) -> None:
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "heading_open":
                self.add("heading", inline_text(tokens[index + 1]), level=int(token.tag[1]))
            elif token.type == "paragraph_open":
                self.add("paragraph", inline_text(tokens[index + 1]))
            elif token.type in ("fence", "code_block"):
                self.add("code", token.content)
            elif token.type == "html_block":
                self.html(token.content)
            elif token.type in ("bullet_list_open", "ordered_list_open", "table_open"):
                end = _close(tokens, index)
                self.container(token.type, tokens[index : end + 1])
                index = end
            index += 1

    def container(self, kind: str, tokens: Sequence[Any]) -> None:
        if kind == "table_open":
            header, rows = table_cells(tokens)
            self.builder.add_table(header, rows)
        else:
            self.builder.add_list(list_items(tokens))

    def html(self, markup: str) -> None:
        from rag.ingest.web import write_fragment

        write_fragment(markup, self.builder)

    def add(self, kind: str, text: str, level: int = 0) -> None:
        self.builder.add(kind, text, level=level)
