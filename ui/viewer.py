"""The document viewer of the chat page: the whole extracted text of one document, with its cited sentences
highlighted, scrolled to the one whose source card was clicked.

Every source card carries an "Open document" button (`open_button`) naming its card: "<turn>:<n>" for the card of
citation [n] of answer <turn>, "<turn>:p<i>" for the i-th passage offered as the nearest text of an abstention.
`VIEWER_JS` (the viewer component's js_on_load) sends that name to the server when the button is clicked;
`ChatPage.open_document` finds the card in the session's turns (`target`), reads the document's text once and
renders it here (`document_html`): all of it escaped, each cited sentence of that answer in that document in a
`<mark>`, the clicked one marked `focus`, under a head with the document's name, title and where the quote sits
(page, paragraph, section; the offsets in a tooltip). The script then scrolls the viewer to the focused quote.
Closing (the button, or Escape) empties the viewer in the browser.

Also owns how a text with highlights is shown, here and in the sources panel's cards (`marked_html`): the table rows
and list items of its chunks (`Chunk.kinds`) as an HTML table (a column per header of the row lines, the label
first, a caption right before the rows as its caption) and a list, a cited row or item highlighted like a cited
sentence; everything else as escaped text. Leaves out reading documents (`rag`) and the sources panel itself
(`ui.render`).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from rag.conversation import Turn, location, offsets, paragraph_number, passage_start
from rag.table_rows import row_cells
from rag.types import Answer, Chunk

_KEY = re.compile(r"(\d{1,6}):(p?)(\d{1,6})")
_OPENED = itertools.count(1)  # every rendering differs, so reopening the same quote scrolls to it again
LINE_KINDS = ("table_row", "list_item", "caption")  # the sentence kinds `marked_html` shows as tables and lists


@dataclass(frozen=True)
class Span:
    """A stretch of the document to highlight: document offsets, its `[n]` label ("" for a nearest passage), and
    the text it must hold (a span whose text differs, the document having changed since, is not highlighted)."""

    start: int
    end: int
    label: str
    quote: str


@dataclass(frozen=True)
class Target:
    """What an "Open document" button opens: the document, the spans to highlight, which one to scroll to, and
    where that one sits (its page and section, as the answer knew them)."""

    source: str
    spans: tuple[Span, ...]
    focus: int
    page: int | None = None
    section: str = ""
    chunks: tuple[Chunk, ...] = ()  # the answer's passages from that document: where its tables and lists are


def card_key(turn: int, n: int) -> str:
    """The name of the card of citation `n` of answer `turn`."""
    return f"{turn}:{n}"


def nearest_key(turn: int, index: int) -> str:
    """The name of the card of passage `index` offered as the nearest text of answer `turn`."""
    return f"{turn}:p{index}"


def open_button(key: str, source: str) -> str:
    """The "Open document" button of a source card (`key` from `card_key` or `nearest_key`)."""
    label = html.escape(f"Open {source}: the whole document, scrolled to this text")
    return (
        f'<button type="button" class="open-doc" data-doc="{html.escape(key)}" title="{label}" '
        f'aria-label="{label}">Open document</button>'
    )


def target(turns: Sequence[Turn], key: str) -> Target | None:
    """What the card named `key` opens, from the conversation `turns`; None when there is no such card (a name
    from another conversation, or made up).

    A cited card opens its document with every sentence of that answer cited from it highlighted, scrolled to
    citation [n]; a nearest-text card opens its document with that passage highlighted (from its first sentence).

    Example:
        >>> from rag.types import Answer, Citation
        >>> c = Citation(2, "a.txt", 10, 20, "Quote here")
        >>> t = target([Turn("q?", Answer("q?", "Quote here [2]", False, (c,)))], "0:2")
        >>> t.source, t.spans[t.focus]
        ('a.txt', Span(start=10, end=20, label='2', quote='Quote here'))
        >>> target([], "0:2") is None
        True
    """
    match = _KEY.fullmatch(key or "")
    if not match:
        return None
    number, nearest, index = int(match.group(1)), bool(match.group(2)), int(match.group(3))
    if number >= len(turns) or turns[number].answer is None:
        return None
    answer = turns[number].answer
    if nearest:
        if not answer.abstained or index >= len(answer.passages):
            return None
        chunk = answer.passages[index].chunk
        start = passage_start(chunk)
        span = Span(start, chunk.end, "", chunk.text[start - chunk.start :])
        return Target(chunk.source, (span,), 0, chunk.page_at(start), chunk.section, _chunks(answer, chunk.source))
    cited = next((c for c in answer.citations if c.n == index), None)
    if cited is None:
        return None
    same = sorted((c for c in answer.citations if c.source == cited.source), key=lambda c: (c.start, c.n))
    spans = tuple(Span(c.start, c.end, str(c.n), c.quote) for c in same)
    return Target(cited.source, spans, same.index(cited), cited.page, cited.section, _chunks(answer, cited.source))


def _chunks(answer: Answer, source: str) -> tuple[Chunk, ...]:
    """The chunks of the answer's passages from `source`."""
    return tuple(p.chunk for p in answer.passages if p.chunk.source == source)


def document_html(target: Target, text: str, title: str = "", chunks: Iterable[Chunk] = ()) -> str:
    """The viewer showing `text`, the whole extracted text of `target.source`, escaped, with the target's spans
    highlighted (those that hold their quote, without overlaps) and the focused one marked to scroll to; its head
    names the document, its title, and where the focused text sits in words (the offsets in a tooltip).

    The table rows and list items of the document's `chunks` and of the target's (those that still hold their
    text) are shown as tables and lists (`marked_html`).

    Example:
        >>> t = Target("a<b>.txt", (Span(7, 13, "1", "<b>ye."),), 0)
        >>> body = document_html(t, "Hello. <b>ye. End.")
        >>> body[body.index('tabindex="0">') :]
        'tabindex="0">Hello. <mark class="doc-mark focus" data-n="1">&lt;b&gt;ye.</mark> End.</div></section>'
    """
    shown, last = [], 0
    for number, span in sorted(enumerate(target.spans), key=lambda item: item[1].start):
        if span.quote and span.start >= last and text[span.start : span.end] == span.quote:
            shown.append((number, span))
            last = span.end
    marks = [_doc_mark(span, number == target.focus) for number, span in shown]
    current = [c for c in (*target.chunks, *chunks) if text[c.start : c.end] == c.text]
    body = marked_html(text, marks, lines_of(current))
    focused = next((span for number, span in shown if number == target.focus), None)
    if focused is not None:
        paragraph = paragraph_number(target.source, text, focused.start)
        where = location(target.source, focused.start, focused.end, target.page, paragraph, target.section)
        where_html = f'<span class="where" title="{offsets(focused.start, focused.end)}">{html.escape(where)}</span>'
    else:
        where_html = '<span class="where">the quoted text is no longer where it was: the document changed since</span>'
    return _viewer(target.source, title, where_html, f'<div class="doc-text" tabindex="0">{body}</div>')


def _doc_mark(span: Span, focus: bool) -> Mark:
    """How the viewer highlights a span: `[n]` after its label, lighter for a nearest passage, outlined in focus."""
    flags = ("" if span.label else " near") + (" focus" if focus else "")
    label = f' data-n="{html.escape(span.label)}"' if span.label else ""
    return Mark(
        span.start, span.end, f' class="doc-mark{flags}"{label}', "", f' class="doc-mark{flags}"', f"cited{flags}"
    )


def error_html(source: str, message: str) -> str:
    """The viewer saying why a document cannot be shown (removed since the answer, its text gone)."""
    return _viewer(source, "", "", f'<p class="error">{html.escape(message)}</p>')


def _viewer(source: str, title: str, where_html: str, body: str) -> str:
    name = html.escape(source)
    shown_title = f'<span class="doc-title">{html.escape(title)}</span>' if title and title != source else ""
    return (
        f'<section class="doc-viewer" aria-label="Document {name}" data-opened="{next(_OPENED)}">'
        f'<div class="doc-head"><div class="doc-name"><b>{name}</b>{shown_title}</div>{where_html}'
        '<button type="button" class="close-doc" title="Close the document (Esc)">Close</button></div>'
        f"{body}</section>"
    )


# -- a text with highlights, its tables and lists shown as such (the viewer and the source cards) ---------------------


@dataclass(frozen=True)
class Mark:
    """A stretch of a text to highlight (offsets into that text) and how: `attrs` of its `<mark>` (an id, classes),
    `lead` before it (a `[n]` label), `cell_attrs` of the `<mark>` of each further cell when it is a table row,
    `row_class` of that row, and `bold`, a stretch of it in bold (the short answer), if any."""

    start: int
    end: int
    attrs: str
    lead: str = ""
    cell_attrs: str = ""
    row_class: str = "cited"
    bold: tuple[int, int] | None = None


@dataclass(frozen=True)
class Line:
    """A table row, list item or table caption sentence of a text: its offsets and its kind."""

    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Group:
    """Lines shown together: a table (its caption lines, then its rows) or a list (its items)."""

    kind: str  # "table" or "list"
    lines: tuple[Line, ...]

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end


def lines_of(chunks: Iterable[Chunk], offset: int = 0) -> list[Line]:
    """The table rows, list items and captions among the sentences of `chunks`, each once, in text order; their
    offsets less `offset` (a chunk's start, to place them in its text).

    Example:
        >>> chunk = Chunk("c", "Intro.\\n\\nA — B: 1\\nC — B: 2", "a.md", 5, 30,
        ...               sentences=((5, 11), (13, 21), (22, 30)), kinds=("paragraph", "table_row", "table_row"))
        >>> lines_of([chunk], offset=5)
        [Line(start=8, end=16, kind='table_row'), Line(start=17, end=25, kind='table_row')]
    """
    kinds = {}
    for chunk in chunks:
        for index, span in enumerate(chunk.sentences if chunk.kinds else ()):
            if chunk.kind_of(index) in LINE_KINDS:
                kinds[span] = chunk.kind_of(index)
    return [Line(start - offset, end - offset, kind) for (start, end), kind in sorted(kinds.items())]


_FOLLOWS = {("caption", "caption"), ("caption", "table_row"), ("table_row", "table_row"), ("list_item", "list_item")}


def groups(text: str, lines: Sequence[Line]) -> list[Group]:
    """The tables and lists that `lines` of `text` make: runs of lines of one table or list, with nothing but
    spaces and at most one line break between them (blocks are a blank line apart); captions without rows are none.

    Example:
        >>> text = "Table 1\\nA — x: 1\\nB — x: 2\\n\\n- one"
        >>> lines = [Line(0, 7, "caption"), Line(8, 16, "table_row"), Line(17, 25, "table_row")]
        >>> lines.append(Line(27, 32, "list_item"))
        >>> [(g.kind, len(g.lines)) for g in groups(text, lines)]
        [('table', 3), ('list', 1)]
    """
    runs: list[list[Line]] = []
    for line in lines:
        if not 0 <= line.start < line.end <= len(text) or (runs and line.start < runs[-1][-1].end):
            continue
        previous = runs[-1][-1] if runs else None
        gap = text[previous.end : line.start] if previous else ""
        if previous and (previous.kind, line.kind) in _FOLLOWS and not gap.strip() and gap.count("\n") <= 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    found = []
    for run in runs:
        if run[-1].kind != "caption":
            found.append(Group("list" if run[-1].kind == "list_item" else "table", tuple(run)))
    return found


def marked_html(
    text: str, marks: Sequence[Mark], lines: Sequence[Line] = (), cut: Callable[..., str] | None = None
) -> str:
    """`text` escaped, each of `marks` highlighted, and the tables and lists its `lines` make (`groups`) shown as
    an HTML table and list, their highlighted rows and items as the marks say. A table or list that a mark overlaps
    without being one of its lines is shown as text. `cut(text, first=, last=)` shortens the text between marks
    and tables (`first`: before the first of them, `last`: after the last), if given.

    Example:
        >>> text = "Bring:\\n\\ntea <hot>\\ncake"
        >>> marked_html(text, [Mark(18, 22, ' id="m1"', "[1]")], [Line(8, 17, "list_item"), Line(18, 22, "list_item")])
        'Bring:<ul class="rag-list"><li>tea &lt;hot&gt;</li><li>[1]<mark id="m1">cake</mark></li></ul>'
    """
    marks = sorted(marks, key=lambda mark: mark.start)
    shown = [g for g in groups(text, lines) if _whole_lines(g, marks)]
    anchors = sorted(
        [*shown, *(m for m in marks if not any(g.start <= m.start < g.end for g in shown))],
        key=lambda anchor: anchor.start,
    )
    pieces, position, after_group = [], 0, False
    for anchor in anchors:
        is_group = isinstance(anchor, Group)
        gap = _trimmed(text[position : anchor.start], after_group, is_group)
        pieces.append(html.escape(cut(gap, first=position == 0) if cut else gap))
        pieces.append(_group_html(text, anchor, marks) if is_group else mark_html(text, anchor))
        position, after_group = anchor.end, is_group
    rest = _trimmed(text[position:], after_group, False)
    pieces.append(html.escape(cut(rest, last=True) if cut else rest))
    return "".join(pieces)


def _trimmed(gap: str, after_group: bool, before_group: bool) -> str:
    """The text between two pieces without the line breaks next to a table or list (a block of its own)."""
    gap = gap.lstrip("\n") if after_group else gap
    return gap.rstrip("\n") if before_group else gap


def _whole_lines(group: Group, marks: Sequence[Mark]) -> bool:
    """Whether every mark that overlaps `group` is one of its lines."""
    spans = {(line.start, line.end) for line in group.lines}
    return all((m.start, m.end) in spans for m in marks if m.start < group.end and group.start < m.end)


def mark_html(text: str, mark: Mark) -> str:
    """The highlighted stretch: its lead, then its text escaped in a `<mark>`, its bold stretch in bold."""
    return f"{mark.lead}<mark{mark.attrs}>{_bolded(text, mark.start, mark.end, mark.bold)}</mark>"


def _bolded(text: str, start: int, end: int, bold: tuple[int, int] | None) -> str:
    """`text[start:end]` escaped, with `bold` (offsets in `text`) in bold when it lies inside."""
    if bold is None or not start <= bold[0] < bold[1] <= end:
        return html.escape(text[start:end])
    s, e = bold
    return f'{html.escape(text[start:s])}<b class="short">{html.escape(text[s:e])}</b>{html.escape(text[e:end])}'


def _inline(text: str, start: int, end: int, marks: Sequence[Mark]) -> str:
    """`text[start:end]` escaped, with the marks inside it highlighted (no cuts, no tables)."""
    pieces, position = [], start
    for mark in marks:
        if start <= mark.start and mark.end <= end:
            pieces += [html.escape(text[position : mark.start]), mark_html(text, mark)]
            position = mark.end
    pieces.append(html.escape(text[position:end]))
    return "".join(pieces)


def _group_html(text: str, group: Group, marks: Sequence[Mark]) -> str:
    """A list as `<ul>`, or a table as a `<table>` (in a wrapper that scrolls sideways), marks highlighted."""
    if group.kind == "list":
        items = "".join(f"<li>{_inline(text, line.start, line.end, marks)}</li>" for line in group.lines)
        return f'<ul class="rag-list">{items}</ul>'
    captions = [line for line in group.lines if line.kind == "caption"]
    rows = [(_row_cells(text, line), _mark_at(marks, line)) for line in group.lines if line.kind == "table_row"]
    columns = _columns([cells for cells, _ in rows])
    caption = f"<caption>{_inline(text, captions[0].start, captions[-1].end, marks)}</caption>" if captions else ""
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name, _ in columns)
    head = f"<thead><tr><td></td>{head}</tr></thead>" if any(name for name, _ in columns) else ""
    body = "".join(_row_html(text, cells, columns, mark) for cells, mark in rows)
    return f'<div class="rag-table-wrap"><table class="rag-table">{caption}{head}<tbody>{body}</tbody></table></div>'


def _mark_at(marks: Sequence[Mark], line: Line) -> Mark | None:
    """The mark of exactly `line`, if any."""
    return next((m for m in marks if (m.start, m.end) == (line.start, line.end)), None)


Cell = tuple[tuple[str, int], int, int]  # (column key: its header and which of that name in the row), start, end


def _row_cells(text: str, line: Line) -> list[Cell]:
    """The cells of a table row line: its label first (key ("", -1)), then each "header: value" (a value alone is
    in a column without header). A line without a label is one cell.

    Example:
        >>> row = "Millbeck — Capacity (Ml): 6,200; 100%"
        >>> [(key, row[s:e]) for key, s, e in _row_cells(row, Line(0, len(row), "table_row"))]
        [(('', -1), 'Millbeck'), (('Capacity (Ml)', 0), '6,200'), (('', 0), '100%')]
    """
    read = row_cells(text[line.start : line.end])
    if read is None:
        return [(("", -1), line.start, line.end)]
    (_, cut), found = read
    cells: list[Cell] = [(("", -1), line.start, line.start + cut)]
    seen: dict[str, int] = {}
    for name, start, end in found:
        seen[name] = seen.get(name, -1) + 1
        cells.append(((name, seen[name]), line.start + start, line.start + end))
    return cells


def _columns(rows: Sequence[Sequence[Cell]]) -> list[tuple[str, int]]:
    """The columns of a table's rows, in order of first appearance; a column a row adds goes after the one before
    it in that row (rows without some cells keep the others in place)."""
    columns: list[tuple[str, int]] = []
    for cells in rows:
        at = 0
        for key, _, _ in cells[1:]:
            if key in columns:
                at = columns.index(key) + 1
            else:
                columns.insert(at, key)
                at += 1
    return columns


def _row_html(text: str, cells: Sequence[Cell], columns: Sequence[tuple[str, int]], mark: Mark | None) -> str:
    """One table row: its label as the row's header, each value under its column; all highlighted when marked."""
    values = {key: (start, end) for key, start, end in cells[1:]}
    _, start, end = cells[0]
    label = mark_html(text, replace(mark, start=start, end=end)) if mark else html.escape(text[start:end])
    row = [f'<th scope="row">{label}</th>']
    for key in columns:
        start, end = values.get(key, (0, 0))
        if mark and end > start:
            cell = f"<mark{mark.cell_attrs}>{_bolded(text, start, end, mark.bold)}</mark>"
        else:
            cell = html.escape(text[start:end])
        row.append(f"<td>{cell}</td>")
    classes = f' class="{mark.row_class}"' if mark else ""
    return f"<tr{classes}>{''.join(row)}</tr>"


# The viewer's js_on_load: a click on any card's "Open document" asks the server for that card's document; once it
# is shown, the viewer is scrolled into sight and its text to the focused quote; Close or Escape empties it.
VIEWER_JS = """
const open = (event) => {
  const button = event.target.closest && event.target.closest("button.open-doc");
  if (!button) return;
  event.preventDefault();
  event.stopPropagation();
  trigger("click", {doc: button.dataset.doc || ""});
};
if (window.ragOpenDocument) document.removeEventListener("click", window.ragOpenDocument, true);
window.ragOpenDocument = open;
document.addEventListener("click", open, true);
const close = () => { props.value = ""; };
element.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest("button.close-doc")) close();
});
element.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && element.querySelector(".doc-viewer")) close();
});
watch("value", () => {
  const viewer = element.querySelector(".doc-viewer");
  if (!viewer) return;
  const body = viewer.querySelector(".doc-text");
  viewer.scrollIntoView({block: "start"});
  if (!body) return;
  const focus = body.querySelector("mark.focus");
  if (focus) {
    const top = focus.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop;
    body.scrollTop = Math.max(0, top - (body.clientHeight - focus.getBoundingClientRect().height) / 2);
  } else {
    body.scrollTop = 0;
  }
  body.focus({preventScroll: true});
});
"""
