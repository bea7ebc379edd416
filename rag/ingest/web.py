"""HTML: a page's article as blocks (`rag.ingest.blocks`), with the page's boilerplate left out.

Owns reading a web page with BeautifulSoup (lxml's parser) in three steps. First what is taken out before any
text is read (`strip_boilerplate`): scripts and styles, hidden elements, and navigation, menus, the page's header
and footer, sidebars, tables of contents, language lists, "edit" links, navigation boxes, comments, reference
backlinks and reference marks, known by their tag, ARIA role, or a word of their class or id. Then the walk that
turns the rest into blocks in document order (`_Page`): h1-h6 are headings (their level is the tag's), p and
the loose text of other block elements paragraphs, each li (and dt/dd) a list item, each table row a line beside
its column headers (an infobox, a table of th/td rows, gives "Label — value" lines, a th across it a new caption;
a table used for layout is read as text), pre code, figcaption and caption captions, a formula its TeX. Last, the
blocks that are no part of the main text (related links, bylines, calls to action...) are dropped as trafilatura
judges the page (`judge`), but for the date line under the h1 ("Posted on 3 March 2024 by Ellen Firth").
Reference marks in the text ("[12]", "[citation needed]") are removed. The title is the page's <title>, or its
h1 when the <title> is that h1 with the site's name added ("Mozilla - Wikipedia"), with its author when it names one.
Leaves out everything not particular to HTML (`loaders`), images, and the page's encoding (UTF-8 or a BOM).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import IngestError
from rag.ingest.blocks import TextBuilder, clean, flatten_header
from rag.ingest.loaders import Extracted, Limits, decode
from rag.table_rows import ROW_LABEL

_NO_TEXT = ("script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "head")
_GONE = (*_NO_TEXT, "button", "select", "input", "textarea", "nav", "aside", "footer", "menu", "dialog")
_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"})
_WORDS = frozenset(
    {"nav", "navbar", "navigation", "navbox", "navlinks", "menu", "menubar", "breadcrumb", "breadcrumbs", "toc"}
    | {"sidebar", "footer", "masthead", "jump", "skip", "noprint", "editsection", "catlinks", "interlanguage"}
    | {"languages", "lang", "share", "sharing", "social", "cookie", "cookies", "banner", "related", "comments"}
    | {"subscribe", "newsletter", "advert", "advertisement", "ads", "promo", "sponsored", "hatnote", "sistersitebox"}
    | {"printfooter", "sitesub", "contentsub", "indicators", "backlink", "toolbar", "portal", "pagination"}
)
"""Words of a class or id that mark an element as no part of the article ("mw-navigation", "vector-toc")."""
_STEMS = re.compile(
    r"comment|sidebar|related|share|sharing|social|cookie|consent|newsletter|subscri|breadcrumb|pager|pagination"
    r"|copyright|footer|masthead|advert|sponsor|popup|modal|promo|rating|reply|respond"
)
"""Parts of a class or id that mark an element as no part of the article wherever they stand ("commentlist")."""
_MODIFIERS = ("no-", "no_", "has-", "has_", "with-", "with_", "without-")
"""A class that starts so describes the element ("no-sidebar"), it does not name it."""
_CLASSES = frozenset({"sr-only", "screen-reader-text", "visually-hidden", "mw-empty-elt", "mw-panel", "metadata"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_WORD = re.compile(r"[\s_-]+")
KEEP_SHARE = 0.5
"""An element that looks like boilerplate but holds more than this share of the page's text is kept: it is the page."""

_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LISTS = ("ul", "ol", "dl")
_BLOCKS = frozenset(
    {"address", "article", "blockquote", "body", "center", "details", "div", "fieldset", "figure", "form", "header"}
    | {"hgroup", "hr", "html", "li", "main", "p", "section", "summary", "dt", "dd", "tr", "td", "th", "tbody"}
)
_REFERENCE_MARK = re.compile(
    r"\s*\[(?:\d{1,4}|[a-z]|note \d+|nb \d+|citation needed|clarification needed|when\?|who\?|by whom\?|which\?"
    r"|according to whom\?|dubious(?: – discuss)?|failed verification|better source needed|page needed|edit)\]",
    re.IGNORECASE,
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v\xa0]*\n\s*")  # two <br> in a row: a new paragraph
MAX_SPAN = 64  # a cell's colspan or rowspan is read as at most this
MAX_DEPTH = 256  # elements nested deeper are no page a person wrote (libxml2 stops at the same depth by default)


def load_html(data: bytes, path: Path, limits: Limits) -> Extracted:
    markup = decode(data)
    limits.check_unpacked(len(markup), "the page's HTML is", "characters")  # its parse tree is many times its size
    builder, title = read_page(markup, limits)
    return Extracted.built(builder, title)


def read_page(markup: str, limits: Limits) -> tuple[TextBuilder, str]:
    """The blocks of a page's article, and its title: every block of the page once its boilerplate is stripped,
    less those the judge leaves out (`judge`)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup.replace(_MATH_OPEN, "").replace(_MATH_CLOSE, ""), "lxml")
    if (deepest := nesting(soup)) > MAX_DEPTH:
        msg = f"the page's elements are nested {deepest} deep, over the {MAX_DEPTH} this reader follows; not indexed"
        raise IngestError(msg)
    title = _title(soup)
    strip_boilerplate(soup)
    draft = TextBuilder()  # the markup's size bounds it; the cap is for what is kept
    page = _Page(draft)
    page.walk(soup)
    page.flush()
    return _rebuild(draft, judge(markup, draft, page.sources), limits), _with_author(markup, title)


def nesting(soup: Any) -> int:
    """How deep the page's elements are nested, in one pass (the walks after it recurse once a level)."""
    depth, deepest = {id(soup): 0}, 0
    for node in soup.descendants:
        if getattr(node, "name", None) is not None:
            depth[id(node)] = level = depth[id(node.parent)] + 1
            deepest = max(deepest, level)
    return deepest


def _with_author(markup: str, title: str) -> str:
    """The title with the page's author after it ("What a year of cycling to work taught me — Ellen Firth"), as
    trafilatura reads it from the byline or the page's metadata: a blog's "I" is its author, and every passage of
    the page carries its title."""
    import trafilatura

    author = trafilatura.extract_metadata(markup).author if title else None
    return f"{title} — {author}" if author and author not in title else title


def write_fragment(markup: str, builder: TextBuilder) -> None:
    """Write the blocks of a piece of HTML (as Markdown holds) to `builder` (which checks its own cap): no page, so
    nothing is boilerplate but scripts and styles."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_NO_TEXT):
        tag.decompose()
    page = _Page(builder)
    page.walk(soup)
    page.flush()


def _title(soup: Any) -> str:
    """The <title>, or the page's one h1 when the <title> is it with more (the site's name) around it."""
    tag = next((found for found in soup.find_all("title") if not found.find_parent("svg")), None)
    title = clean(tag.get_text(" ")) if tag else ""
    h1 = [clean(tag.get_text(" ")) for tag in soup.find_all("h1")]
    h1 = [text for text in h1 if text and text in title]
    return h1[0] if len(h1) == 1 else title


def strip_boilerplate(soup: Any) -> None:
    """Take out of the parsed page all that is not its article (see the module's docstring); math is kept as its
    TeX. An element whose class or id alone marks it is kept when it holds the article (`_is_stripped`)."""
    _math_as_tex(soup)
    for tag in soup.find_all(_NO_TEXT):
        if tag.name != "noscript":
            tag.decompose()
    total = len(soup.get_text())
    wraps = _ancestors(soup.find_all(["main", "article"]) + soup.find_all(role="main"))
    holds = wraps | _ancestors(soup.find_all("h1"))
    doomed = [tag for tag in soup.find_all(True) if _is_stripped(tag, total, wraps, holds)]
    marked = {id(tag) for tag in doomed}
    for tag in [tag for tag in doomed if not any(id(parent) in marked for parent in tag.parents)]:
        tag.decompose()  # and with it the doomed inside it


def _is_stripped(tag: Any, total: int, wraps: set[int], holds: set[int]) -> bool:
    """Whether `tag` goes: marked as boilerplate and not wrapped around the article (`wraps`: the ids of the
    elements around a main or article element), or named as boilerplate and not holding the article (`holds`: the
    same and those around an h1; or more than `KEEP_SHARE` of the page's text)."""
    if tag.name == "noscript":
        return len(tag.get_text()) <= KEEP_SHARE * total  # else a broken page put itself in it
    if _is_boilerplate(tag):
        return id(tag) not in wraps
    return _is_named_boilerplate(tag) and id(tag) not in holds and len(tag.get_text()) <= KEEP_SHARE * total


def _ancestors(tags: list[Any]) -> set[int]:
    return {id(parent) for tag in tags for parent in tag.parents}


def _is_boilerplate(tag: Any) -> bool:
    """Marked as no part of the article by its tag, its ARIA role, or as hidden."""
    name, attrs = tag.name, tag.attrs
    if name in _GONE or (name == "header" and not tag.find_parent(["article", "main"])):
        return True
    if name == "sup" and "reference" in attrs.get("class", ()):
        return True
    if "hidden" in attrs or attrs.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(attrs.get("style", "")):
        return True
    return attrs.get("role") in _ROLES


def _is_named_boilerplate(tag: Any) -> bool:
    """Marked as no part of the article by a word of its class or id."""
    classes = tag.attrs.get("class", [])
    if isinstance(classes, str):
        classes = classes.split()
    if _CLASSES.intersection(classes):
        return True
    for value in [*classes, tag.attrs.get("id", "")]:
        value = value.lower() if isinstance(value, str) else ""
        if value.startswith(_MODIFIERS):
            continue
        if not _WORDS.isdisjoint(_WORD.split(value)) or _STEMS.search(value):
            return True
    return False


def _math_as_tex(soup: Any) -> None:
    """Each <math> with a TeX annotation (Wikipedia's formulas) replaced by that TeX, its image fallback dropped."""
    for annotation in soup.find_all("annotation", encoding="application/x-tex"):
        math = annotation.find_parent("math")
        if math is None:
            continue
        tex = annotation.get_text().strip()
        if tex.startswith("{\\displaystyle") and tex.endswith("}"):
            tex = tex[len("{\\displaystyle") : -1].strip()
        holder = math.find_parent(class_="mwe-math-element") or math
        for image in holder.find_all("img"):
            image.decompose()
        holder.replace_with(f" {_MATH_OPEN}{tex}{_MATH_CLOSE} ")


def _strings(node: Any) -> Iterator[str]:
    """The text under `node` in order: a <br> is a newline, a block element or cell is set apart by spaces."""
    from bs4.element import NavigableString, PreformattedString

    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, CDATA, doctype
                yield str(child)
        elif child.name == "br":
            yield "\n"
        elif child.name in _BLOCKS or child.name in _LISTS or child.name in ("table", "caption", "pre"):
            yield " "
            yield from _strings(child)
            yield " "
        else:
            yield from _strings(child)


def inline_text(node: Any) -> str:
    """The text of `node` on one line, reference marks removed."""
    return strip_marks(clean("".join(_strings(node))))


_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def strip_marks(text: str) -> str:
    """`text` without the reference marks of an encyclopedia ("[12]", "[a]", "[citation needed]").

    Example:
        >>> strip_marks("Revenue was $68.7 billion.[155] It grew [citation needed] fast.")
        'Revenue was $68.7 billion. It grew fast.'
    """
    return _REFERENCE_MARK.sub("", _ZERO_WIDTH.sub("", text)).strip()


def judge(markup: str, draft: TextBuilder, sources: list[Any]) -> list[bool]:
    """Which blocks of the draft to keep, as trafilatura judges the page's main text (it weighs link density, text
    density and the page's layout, and beats rules on class names on pages of every kind; its own output loses an
    infobox's rows, formulas and the order of a table's headers, so the blocks stay ours).

    A block is kept when trafilatura kept its text (`AGREE` of its word trigrams); a list when it kept more than
    `LIST_AGREE` of its items (any); a table when it kept `TABLE_AGREE` of its words. Headings, captions
    (`REGION_KINDS`) and formulas (which trafilatura drops) are kept inside the page's content region (the deepest
    element that holds `REGION_MASS` of the kept text), and the first h1 anywhere. When trafilatura finds no main
    text, every block is kept. The figures were measured on trafilatura's own benchmark and changed little."""
    import trafilatura

    found = trafilatura.extract(markup, include_tables=True, include_comments=False, deduplicate=False) or ""
    words = _WORDS_OF.findall(found.lower())
    if len(words) < MIN_JUDGED_WORDS:
        return [True] * len(draft.blocks)
    agreed = _agreed(draft, _trigrams(words), " ".join(words))
    region = _region(sources, [b.end - b.start if keep else 0 for b, keep in zip(draft.blocks, agreed)])
    first_h1 = next((i for i, b in enumerate(draft.blocks) if b.kind == "heading" and b.level == 1), None)
    dateline = _dateline(draft, first_h1)
    kept = []
    for index, (block, source, agree) in enumerate(zip(draft.blocks, sources, agreed)):
        in_region = region is not None and source is not None and _within(source, region)
        undecided = agree is None or (block.kind in REGION_KINDS and not block.group)
        kept.append(bool(agree) or index in (first_h1, dateline) or (in_region and undecided))
    return kept


def _dateline(draft: TextBuilder, first_h1: int | None) -> int | None:
    """The index of the page's date line, the short paragraph right under its h1 that dates it or names its author
    ("Posted on 3 March 2024 by Ellen Firth"), which trafilatura drops as a byline; or None."""
    if first_h1 is None or first_h1 + 1 >= len(draft.blocks):
        return None
    block = draft.blocks[first_h1 + 1]
    text = draft.text[block.start : block.end]
    if block.kind == "paragraph" and len(text) <= DATELINE_CHARS and _DATED.search(text):
        return first_h1 + 1
    return None


AGREE = 0.5
TABLE_AGREE = 0.3
LIST_AGREE = 0.0
REGION_MASS = 0.9
REGION_KINDS = ("heading", "caption")
MIN_JUDGED_WORDS = 20
DATELINE_CHARS = 160
_DATED = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\bby\s+[A-Z]", re.IGNORECASE
)
_WORDS_OF = re.compile(r"\w+")
_MATH_OPEN, _MATH_CLOSE = "\ue000", "\ue001"  # around a formula's TeX in the draft, so the judge can set it aside
_MATH = re.compile(f"{_MATH_OPEN}[^{_MATH_CLOSE}]*{_MATH_CLOSE}")


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _agreed(draft: TextBuilder, trigrams: set[tuple[str, ...]], joined: str) -> list[bool | None]:
    """Per block, whether trafilatura kept its text (None: a formula, which it cannot tell); the rows of a table
    and the items of a list decided together."""
    text = draft.text
    kept: list[bool | None] = []
    members: dict[int, list[tuple[str, bool | None, list[str]]]] = {}
    for block in draft.blocks:
        piece = text[block.start : block.end]
        words = _WORDS_OF.findall(_MATH.sub(" ", piece).lower())
        if len(words) < 3 and _MATH_OPEN in piece:
            agree = None
        elif len(words) < 3:
            agree = bool(words) and f" {' '.join(words)} " in f" {joined} "
        else:
            grams = _trigrams(words)
            agree = len(grams & trigrams) >= AGREE * len(grams)
        kept.append(agree)
        if block.group:
            members.setdefault(block.group, []).append((block.kind, agree, words))
    vocabulary = set(joined.split())
    groups = {group: _group_agreed(found, vocabulary) for group, found in members.items()}
    return [groups[b.group] if b.group else agree for b, agree in zip(draft.blocks, kept)]


def _group_agreed(members: list[tuple[str, bool | None, list[str]]], vocabulary: set[str]) -> bool | None:
    if not any(kind == "table_row" for kind, _, _ in members):
        if all(agree is None for _, agree, _ in members):
            return None
        return sum(bool(agree) for _, agree, _ in members) > LIST_AGREE * len(members)
    words = [word for _, _, found in members for word in found]
    return sum(word in vocabulary for word in words) >= TABLE_AGREE * max(1, len(words))


def _region(sources: list[Any], weights: list[int]) -> Any:
    """The deepest element under which `REGION_MASS` of the weight of the blocks lies, or None."""
    under: dict[int, int] = {}
    for source, weight in zip(sources, weights):
        node = source if weight else None
        while node is not None:
            under[id(node)] = under.get(id(node), 0) + weight
            node = node.parent
    total = sum(weights)
    root = next((source for source in sources if source is not None), None)
    if not total or root is None:
        return None
    while root.parent is not None:
        root = root.parent
    node = root
    while heavy := [c for c in node.find_all(True, recursive=False) if under.get(id(c), 0) >= REGION_MASS * total]:
        node = heavy[0]
    return node


def _within(node: Any, region: Any) -> bool:
    while node is not None:
        if node is region:
            return True
        node = node.parent
    return False


def _rebuild(draft: TextBuilder, keep: list[bool], limits: Limits) -> TextBuilder:
    """A builder with the kept blocks of the draft, in order, their lists and tables kept together."""
    builder = TextBuilder(limits.check_text)
    groups: dict[int, int] = {}
    last_group = 0
    text = draft.text
    for block, kept in zip(draft.blocks, keep):
        if not kept:
            continue
        if block.group and block.group not in groups:
            groups[block.group] = builder.new_group()
        group = groups.get(block.group, 0)
        joint = "\n" if group and group == last_group else "\n\n"
        piece = text[block.start : block.end].replace(_MATH_OPEN, "").replace(_MATH_CLOSE, "")
        builder.add(block.kind, piece, level=block.level, joint=joint, group=group)
        last_group = group
    return builder


class _Page:
    """Walks a cleaned page in document order, writing its blocks; loose text gathers until a block ends it.
    `sources` holds, for each block written, the element it was read from."""

    def __init__(self, builder: TextBuilder) -> None:
        self.builder = builder
        self.loose: list[str] = []
        self.sources: list[Any] = []
        self.container: Any = None  # the block element whose loose text is gathering

    def walk(self, node: Any) -> None:
        from bs4.element import NavigableString, PreformattedString

        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):
                    self.loose.append(str(child))
            elif child.name == "br":
                self.loose.append("\n")
            else:
                self._element(child)

    def _element(self, tag: Any) -> None:
        name = tag.name
        if name in _HEADINGS:
            self.flush()
            self.add("heading", inline_text(tag), tag, level=_HEADINGS[name])
        elif name in _LISTS:
            self.flush()
            self.add_list(list_items(tag), tag)
        elif name == "table":
            self.flush()
            self._table(tag)
        elif name == "pre":
            self.flush()
            self.add("code", _ZERO_WIDTH.sub("", "".join(_strings(tag))), tag)
        elif name in ("figcaption", "caption") or (name in _BLOCKS and _is_caption(tag)):
            self.flush()
            self.add("caption", inline_text(tag), tag)
        elif name in _BLOCKS:
            self.flush()
            outer, self.container = self.container, tag
            self.walk(tag)
            self.flush()
            self.container = outer
        else:
            self.walk(tag)  # inline: its text joins the loose text

    def _table(self, table: Any) -> None:
        if _is_layout(table):
            for cell in table.find_all(["td", "th"]):
                if cell.find_parent("table") is table:
                    outer, self.container = self.container, cell
                    self.walk(cell)
                    self.flush()
                    self.container = outer
            return
        for caption, header, rows in read_table(table):
            self.builder.add_table(header, rows, caption=caption)
            self._record(table)

    def flush(self) -> None:
        """The loose text gathered so far as paragraphs (two <br> in a row part them)."""
        text, self.loose = "".join(self.loose), []
        for paragraph in _PARAGRAPH_BREAK.split(text):
            self.add("paragraph", strip_marks(clean(paragraph)), self.container)

    def add(self, kind: str, text: str, source: Any, level: int = 0) -> None:
        self.builder.add(kind, text, level=level)
        self._record(source)

    def add_list(self, items: list[str], source: Any) -> None:
        self.builder.add_list(items)
        self._record(source)

    def _record(self, source: Any) -> None:
        self.sources += [source] * (len(self.builder.blocks) - len(self.sources))


def _is_caption(tag: Any) -> bool:
    """A block whose class calls it a caption ("thumbcaption", "wp-caption-text")."""
    return any("caption" in name.lower() for name in tag.get("class", ()) if isinstance(name, str))


def list_items(node: Any) -> list[str]:
    """Each item of a list as one line, in order; an item's own list follows it (its items flattened in)."""
    items: list[str] = []
    for item in node.find_all(["li", "dt", "dd"]):
        if item.find_parent(_LISTS) is not node:
            continue
        nested = [n for n in item.find_all(_LISTS) if n.find_parent(["li", "dt", "dd"]) is item]
        for inner in nested:
            inner.extract()
        items.append(inline_text(item))
        for inner in nested:
            items += list_items(inner)
    return items


def _is_layout(table: Any) -> bool:
    """A table that lays out a page rather than holding data: it holds headings, or a cell of paragraphs."""
    if table.get("role") == "presentation" or table.find(list(_HEADINGS)):
        return True
    return any(len(cell.find_all("p")) > 1 for cell in table.find_all(["td", "th"]))


def read_table(table: Any) -> list[tuple[str, list[str], list[list[str]]]]:
    """A table as (caption, column names, body rows) sections. The header is its leading rows of th cells (or its
    <thead>); a row that is one cell across the table is a caption: the table's own when it comes first and the
    table has none, else, a th, it starts a new section under it ("New Zealand — Government"). A table without a header
    (an infobox: a th and a td a row) gives rows that start with their label."""
    caption_tag = table.find("caption")
    caption = inline_text(caption_tag) if caption_tag and caption_tag.find_parent("table") is table else ""
    grid = _grid(table)
    if len(grid) > 1 and grid[0].across and not caption:
        caption, grid = grid[0].cells[0], grid[1:]
    count = 0
    while count < len(grid) - 1 and grid[count].head and not grid[count].across:
        count += 1
    header = flatten_header([row.cells for row in grid[:count]]) if count else []
    width = max((len(row.cells) for row in grid), default=0)
    if width == 1 and header:
        caption, header = " ".join(part for part in (caption, *header) if part), []
    sections = [(caption, header, [])]
    for row in grid[count:]:
        if row.across and row.head and width > 1:
            sections.append((f"{caption}{ROW_LABEL}{row.cells[0]}" if caption else row.cells[0], header, []))
        else:
            sections[-1][2].append(row.cells)
    return [section for section in sections if section[2]]


@dataclass(frozen=True)
class _Row:
    cells: list[str]
    head: bool  # all th, or in <thead>
    across: bool  # one cell across the table


def _grid(table: Any) -> list[_Row]:
    """The rows of `table` (not of tables inside it) as cell texts with spans filled in (a colspan's other
    columns empty, a rowspan's cell repeated below)."""
    grid: list[_Row] = []
    carried: dict[int, tuple[str, int]] = {}  # column -> (text, rows still to fill)
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        cells = row.find_all(["td", "th"], recursive=False)
        texts: list[str] = []
        for cell in cells:
            _fill_carried(texts, carried)
            text, span, down = inline_text(cell), _span(cell, "colspan"), _span(cell, "rowspan")
            for offset in range(span):
                if down > 1:
                    carried[len(texts)] = (text if not offset else "", down - 1)
                texts.append(text if not offset else "")
        _fill_carried(texts, carried, to_end=True)
        head = bool(cells) and (all(c.name == "th" for c in cells) or row.find_parent("thead") is not None)
        if any(texts):
            grid.append(_Row(texts, head, len(cells) == 1 and len(texts) > 1))
    return grid


def _fill_carried(texts: list[str], carried: dict[int, tuple[str, int]], to_end: bool = False) -> None:
    while len(texts) in carried or (to_end and any(column >= len(texts) for column in carried)):
        column = len(texts)
        text, left = carried.pop(column, ("", 0))
        if left > 1:
            carried[column] = (text, left - 1)
        texts.append(text)


def _span(cell: Any, name: str) -> int:
    value = str(cell.get(name, "1")).strip()
    return max(1, min(int(value), MAX_SPAN)) if value.isdigit() else 1
