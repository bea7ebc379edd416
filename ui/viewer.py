"""The document viewer of the chat page: the whole extracted text of one document, with its cited sentences
highlighted, scrolled to the one whose source card was clicked.

Every source card carries an "Open document" button (`open_button`) naming its card: "<turn>:<n>" for the card of
citation [n] of answer <turn>, "<turn>:p<i>" for the i-th passage offered as the nearest text of an abstention.
`VIEWER_JS` (the viewer component's js_on_load) sends that name to the server when the button is clicked;
`ChatPage.open_document` finds the card in the session's turns (`target`), reads the document's text once and
renders it here (`document_html`): all of it escaped, each cited sentence of that answer in that document in a
`<mark>`, the clicked one marked `focus`, under a head with the document's name, title and where the quote sits
(page, paragraph, section; the offsets in a tooltip). The script then scrolls the viewer to the focused quote.
Closing (the button, or Escape) empties the viewer in the browser. Leaves out reading documents (`rag`) and the
sources panel itself (`ui.render`).
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.conversation import Turn, location, offsets, paragraph_number, passage_start

_KEY = re.compile(r"(\d{1,6}):(p?)(\d{1,6})")
_OPENED = itertools.count(1)  # every rendering differs, so reopening the same quote scrolls to it again


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
        return Target(chunk.source, (span,), 0, chunk.page_at(start), chunk.section)
    cited = next((c for c in answer.citations if c.n == index), None)
    if cited is None:
        return None
    same = sorted((c for c in answer.citations if c.source == cited.source), key=lambda c: (c.start, c.n))
    spans = tuple(Span(c.start, c.end, str(c.n), c.quote) for c in same)
    return Target(cited.source, spans, same.index(cited), cited.page, cited.section)


def document_html(target: Target, text: str, title: str = "") -> str:
    """The viewer showing `text`, the whole extracted text of `target.source`, escaped, with the target's spans
    highlighted (those that hold their quote, without overlaps) and the focused one marked to scroll to; its head
    names the document, its title, and where the focused text sits in words (the offsets in a tooltip).

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
    pieces, position = [], 0
    for number, span in shown:
        classes = "doc-mark" + ("" if span.label else " near") + (" focus" if number == target.focus else "")
        label = f' data-n="{html.escape(span.label)}"' if span.label else ""
        pieces.append(html.escape(text[position : span.start]))
        pieces.append(f'<mark class="{classes}"{label}>{html.escape(text[span.start : span.end])}</mark>')
        position = span.end
    pieces.append(html.escape(text[position:]))
    focused = next((span for number, span in shown if number == target.focus), None)
    if focused is not None:
        paragraph = paragraph_number(target.source, text, focused.start)
        where = location(target.source, focused.start, focused.end, target.page, paragraph, target.section)
        where_html = f'<span class="where" title="{offsets(focused.start, focused.end)}">{html.escape(where)}</span>'
    else:
        where_html = '<span class="where">the quoted text is no longer where it was: the document changed since</span>'
    return _viewer(target.source, title, where_html, f'<div class="doc-text" tabindex="0">{"".join(pieces)}</div>')


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
