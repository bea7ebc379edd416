"""HTML and Markdown for the chat page: answers with linked `[n]` markers, the sources panel, the documents list
and upload results.

Owns presentation only, and escapes every piece of document text, file name and message it shows. Each `[n]` of
an answer links to `#src-<turn>-<n>`: its cited sentence, highlighted inside its passage in the sources panel (one
card per passage, however many of its sentences are cited; its table rows and list items shown as a table and a
list, a cited row highlighted whole). A card says where its text sits in words (page, paragraph, section; the
character offsets in a tooltip) and offers its whole document ("Open document", shown by `ui.viewer`). Leaves out
answering, citations and storage (`rag`), and Gradio wiring (`ui.page`, `ui.app`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

from rag.answer.base import abstention_text
from rag.conversation import Paragraphs, Turn, citation_location, offsets, passage_location, with_offsets
from rag.types import Answer, Citation, Passage, ShortAnswer
from ui.viewer import Mark, card_key, lines_of, marked_html, nearest_key, open_button

_MARKER = re.compile(r"\[(\d+)\]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$])")
_LIST_START = re.compile(r"^(\s*\d+)([.)])")
NO_RATING = '<span class="no-rating"></span>'  # in a chat message that offers no thumbs up/down
NEAREST_SHOWN = 3  # passages offered as "nearest text found" when the answer abstains
CONTEXT = 400  # characters of a passage shown either side of its cited sentences


def escape_markdown(text: str) -> str:
    """Text shown literally by a Markdown renderer that also accepts HTML (the chatbot's).

    Example:
        >>> escape_markdown("1. *a* <b>")
        '1\\\\. \\\\*a\\\\* &lt;b&gt;'
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    text = _LIST_START.sub(r"\1\\\2", text)
    return html.escape(text, quote=False)


def anchor(turn: int, n: int) -> str:
    """The id of citation `n`'s card of answer `turn` in the sources panel."""
    return f"src-{turn}-{n}"


def answer_markdown(answer: Answer, turn: int, paragraphs: Paragraphs | None = None) -> str:
    """The chat bubble of an answer: its text escaped, each known `[n]` a link to its card in the sources panel
    (its tooltip says where the quote sits; `paragraphs` as in `Turn`), and its notice (how it came about, in LLM
    modes) in small print."""
    body = _answer_body(answer, turn, paragraphs)
    return f"{body}\n\n<small>{escape_markdown(answer.notice)}</small>" if answer.notice else body


def _answer_body(answer: Answer, turn: int, paragraphs: Paragraphs | None = None) -> str:
    if answer.abstained:  # the nearest text is in the Sources panel: beside the chat, or below it on a narrow screen
        return f"_{escape_markdown(abstention_text(answer, 'in the Sources panel'))}_"
    known = {c.n: c for c in answer.citations}
    parts, last = [], 0
    short = answer.short
    if short is not None and short.n in known and answer.text.startswith(f"{short.text} — "):
        parts.append(f"**{escape_markdown(short.text)}** ")  # the asked-for phrase in bold; the text as streamed
        last = len(short.text) + 1
    for match in _MARKER.finditer(answer.text):
        n = int(match.group(1))
        if n not in known:
            continue
        parts.append(escape_markdown(answer.text[last : match.start()]))
        c = known[n]
        title = html.escape(f"{c.source}, {with_offsets(cited_where(c, paragraphs), c.start, c.end)}")
        parts.append(f' <a class="cite" href="#{anchor(turn, n)}" title="{title}">[{n}]</a> ')
        last = match.end()
    parts.append(escape_markdown(answer.text[last:]))
    return "".join(parts).strip()


def cited_where(citation: Citation, paragraphs: Paragraphs | None = None) -> str:
    """Where a quote sits in words, with the section it is under: "page 2 · paragraph 3 · Causes".

    Example:
        >>> cited_where(Citation(1, "a.md", 5, 20, "The river rose.", section="History › Causes"), {("a.md", 5): 3})
        'paragraph 3 · History › Causes'
    """
    return citation_location(citation, paragraphs)


def turn_markdown(turn: Turn, number: int) -> str:
    """The chat bubble of a turn: its answer, or its error."""
    if turn.answer is not None:
        return answer_markdown(turn.answer, number, turn.paragraphs)
    return f"**Error:** {escape_markdown(turn.error)}"


def chat_messages(turns: Sequence[Turn], pending: str | None = None, partial: str = "") -> list[dict]:
    """The chatbot's messages: a user and an assistant message per turn, then the question being answered.

    A message that is not an answer to rate (the one being written, a refusal, an error) carries `NO_RATING`,
    which hides its thumbs (see `CSS`)."""
    messages: list[dict] = []
    for number, turn in enumerate(turns):
        rated = turn.answer is not None and not turn.answer.abstained
        messages.append({"role": "user", "content": escape_markdown(turn.question)})
        messages.append({"role": "assistant", "content": turn_markdown(turn, number) + ("" if rated else NO_RATING)})
    if pending is not None:
        messages.append({"role": "user", "content": escape_markdown(pending)})
        messages.append({"role": "assistant", "content": (escape_markdown(partial) if partial else "…") + NO_RATING})
    return messages


def highlighted_passage(
    passage: Passage, citations: Sequence[Citation], turn: int = 0, short: ShortAnswer | None = None
) -> str:
    """The passage's text around its cited sentences, each sentence in `<mark id="src-<turn>-<n>">` after an
    `[n]` label, all escaped; beyond `CONTEXT` characters either side of the marks the text is cut at a space.
    The short answer, if given, is in bold inside its sentence's mark. The chunk's table rows and list items are
    shown as a table and a list (`ui.viewer.marked_html`): a cited row has its label's `<mark>` carry the id and
    every cell highlighted, and a cited item is a `<li>` holding its mark.
    Returns "" when no citation's quote sits where its offsets say.

    Example:
        >>> from rag.types import Chunk
        >>> p = Passage(Chunk("c1", "Kyiv won. It was <late>.", "a.txt", 10, 34), 1.0)
        >>> highlighted_passage(p, [Citation(1, "a.txt", 20, 34, "It was <late>.", None, "c1")])
        'Kyiv won. <sup class="n">[1]</sup><mark id="src-0-1">It was &lt;late&gt;.</mark>'
    """
    chunk = passage.chunk
    text, spans = chunk.text, []
    for citation in sorted(citations, key=lambda c: c.start):
        at = citation.start - chunk.start
        end = at + len(citation.quote)
        if at >= 0 and text[at:end] == citation.quote and (not spans or at >= spans[-1][1]):
            spans.append((at, end, citation.n))
    if not spans:
        return ""
    marks = [_card_mark(at, end, n, turn, chunk.start, short) for at, end, n in spans]
    return marked_html(text, marks, lines_of([chunk], chunk.start), _context)


def _card_mark(at: int, end: int, n: int, turn: int, offset: int, short: ShortAnswer | None) -> Mark:
    """How a card highlights citation `n` at `at:end` of its passage (which starts at document offset `offset`):
    after its `[n]` label, with its id, the short answer in bold when it is this citation's."""
    bold = (short.start - offset, short.end - offset) if short is not None and short.n == n else None
    return Mark(at, end, f' id="{anchor(turn, n)}"', f'<sup class="n">[{n}]</sup>', bold=bold)


def _context(text: str, first: bool = False, last: bool = False) -> str:
    """The text around marks, cut to `CONTEXT` characters next to each mark, with "…" where it was cut."""
    if first:
        return text if len(text) <= CONTEXT else f"… {_tail(text)}"
    if last:
        return text if len(text) <= CONTEXT else f"{_head(text)} …"
    return text if len(text) <= 2 * CONTEXT else f"{_head(text)} … {_tail(text)}"


def _head(text: str) -> str:
    """At most `CONTEXT` characters from the start of `text`, cut at a space."""
    if len(text) <= CONTEXT:
        return text
    cut = text.rfind(" ", 0, CONTEXT)
    return text[: cut if cut > 0 else CONTEXT]


def _tail(text: str) -> str:
    """At most `CONTEXT` characters from the end of `text`, cut at a space."""
    if len(text) <= CONTEXT:
        return text
    cut = text.find(" ", len(text) - CONTEXT)
    return text[cut + 1 if cut >= 0 else len(text) - CONTEXT :]


def _cited_cards(answer: Answer, turn: int, paragraphs: Paragraphs | None = None) -> str:
    """One card per cited passage, in the order of the citations; a passage cited twice is shown once. Its head
    says where it sits in words (the offsets in a tooltip) and offers the whole document."""
    groups: dict[str, list[Citation]] = {}
    for citation in answer.citations:
        known = any(p.chunk.id == citation.chunk_id for p in answer.passages)
        groups.setdefault(citation.chunk_id if known else f"quote-{citation.n}", []).append(citation)
    cards = []
    for key, citations in groups.items():
        passage = next((p for p in answer.passages if p.chunk.id == key), None)
        body = highlighted_passage(passage, citations, turn, answer.short) if passage else ""
        shown = set(re.findall(r'<mark id="src-\d+-(\d+)"', body))
        body += "".join(  # a quote that is not where its offsets say is still shown, on its own
            f'<p><sup class="n">[{c.n}]</sup><mark id="{anchor(turn, c.n)}">{html.escape(c.quote)}</mark></p>'
            for c in citations
            if str(c.n) not in shown
        )
        where, tooltip = _card_where(citations, paragraphs)
        source = citations[0].source
        cards.append(
            f'<div class="src-card" id="card-{turn}-{citations[0].n}"><div class="src-head">'
            f"<b>{html.escape(source)}</b> "
            f'<span class="where" title="{html.escape(tooltip)}">{html.escape(where)}</span>'
            f"{open_button(card_key(turn, citations[0].n), source)}</div>"
            f'<div class="passage">{body}</div></div>'
        )
    return "".join(cards)


def _card_where(citations: Sequence[Citation], paragraphs: Paragraphs | None) -> tuple[str, str]:
    """Where a card's quotes sit in words (once when they share it, else each after its `[n]`), then the section
    of its passage; and their character offsets, for its tooltip.

    Example:
        >>> cited = [Citation(1, "a.md", 5, 20, "x", section="Causes"), Citation(2, "a.md", 21, 30, "y")]
        >>> _card_where(cited, {("a.md", 5): 2, ("a.md", 21): 2})
        ('paragraph 2 · Causes', '[1] chars 5–20 · [2] chars 21–30')
    """
    places = [citation_location(c, paragraphs, section=False) for c in citations]
    if len(set(places)) == 1:
        where = places[0]
    else:
        where = " · ".join(f"[{c.n}] {place}" for c, place in zip(citations, places, strict=True))
    if len(citations) == 1:
        tooltip = offsets(citations[0].start, citations[0].end)
    else:
        tooltip = " · ".join(f"[{c.n}] {offsets(c.start, c.end)}" for c in citations)
    section = citations[0].section  # one card, one passage, one section
    return (f"{where} · {section}" if section else where), tooltip


def _answer_sources(answer: Answer, turn: int, paragraphs: Paragraphs | None = None) -> str:
    if not answer.abstained:
        return _cited_cards(answer, turn, paragraphs)
    if not answer.passages:
        return '<p class="muted">No passage came close.</p>'
    cards = []
    for index, passage in answer.nearest(NEAREST_SHOWN):
        chunk = passage.chunk
        where, tooltip = passage_location(chunk, paragraphs), offsets(chunk.start, chunk.end)
        cards.append(
            f'<div class="src-card nearest"><div class="src-head"><b>{html.escape(chunk.source)}</b> '
            f'<span class="where" title="{tooltip}">{html.escape(where)}</span>'
            f"{open_button(nearest_key(turn, index), chunk.source)}</div>"
            f'<div class="passage">{marked_html(chunk.text, (), lines_of([chunk], chunk.start))}</div></div>'
        )
    return (
        '<p class="abstain-note">No answer in the documents. <b>Nearest text found</b> '
        "(it does not answer the question, so nothing is cited):</p>" + "".join(cards)
    )


def sources_html(turns: Sequence[Turn]) -> str:
    """The sources panel: the newest answer's sources open, the earlier ones folded, each under its question."""
    if not turns:
        return '<div class="sources"><p class="muted">Sources of the answers appear here.</p></div>'
    sections = []
    for number in range(len(turns) - 1, -1, -1):
        turn = turns[number]
        if turn.answer is None:
            body = f'<p class="error">{html.escape(turn.error)}</p>'
        else:
            body = _answer_sources(turn.answer, number, turn.paragraphs)
        is_open = " open" if number == len(turns) - 1 else ""
        sections.append(
            f'<details class="turn-sources" id="turn-{number}"{is_open}>'
            f"<summary>{number + 1}. {html.escape(turn.question)}</summary>{body}</details>"
        )
    return f'<div class="sources">{"".join(sections)}</div>'


def documents_html(documents: Mapping[str, object]) -> str:
    """The indexed documents as a table (name, title, chunks); `documents` maps a source to its `DocumentInfo`."""
    if not documents:
        return '<p class="muted" id="no-documents">No documents are indexed. Upload some above.</p>'
    rows = "".join(
        f"<tr><td>{html.escape(info.source)}</td><td>{html.escape(info.title or '')}</td><td>{info.chunks}</td></tr>"
        for info in documents.values()
    )
    return f'<table class="docs"><tr><th>document</th><th>title</th><th>chunks</th></tr>{rows}</table>'


OVERVIEW_NAMES = 4  # documents named at the top of the page; the others are counted ("and 3 more")


def overview_html(documents: Mapping[str, object]) -> str:
    """The indexed documents at a glance, for the top of the page: "3 documents: A, B and C", each by its title
    (its file name when it has none, and in its tooltip), at most `OVERVIEW_NAMES` named, the rest counted.

    Example:
        >>> from types import SimpleNamespace as Info
        >>> overview_html({"a.md": Info(source="a.md", title="Alpha")})
        '<p class="overview"><b>1 document:</b> <span class="doc-name" title="a.md">Alpha</span></p>'
    """
    if not documents:
        return '<p class="overview muted">No documents are indexed yet: upload some under <b>Documents</b>.</p>'
    infos = sorted(documents.values(), key=lambda info: (_overview_name(info).casefold(), info.source))
    names = [
        f'<span class="doc-name" title="{html.escape(info.source)}">{html.escape(_overview_name(info))}</span>'
        for info in infos[:OVERVIEW_NAMES]
    ]
    more = len(infos) - len(names)
    if more:
        names.append(f"{more} more")
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    count = f"{len(infos)} document{'' if len(infos) == 1 else 's'}"
    return f'<p class="overview"><b>{count}:</b> {listed}</p>'


def _overview_name(info: object) -> str:
    """A document's title, or its file name when the title is only the file's stem (or missing), shortened."""
    title = " ".join((info.title or "").split())
    stem = info.source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return _shortened(title if title and title != stem else info.source)


def _shortened(text: str, width: int = 60) -> str:
    """Text on one line, cut at a word to about `width` characters."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[: cut if cut > width // 2 else width].rstrip(" ,;:") + "…"


def error_html(message: str) -> str:
    """A real error shown in place of a panel's content (never a traceback)."""
    return f'<p class="error">{html.escape(message)}</p>'


def upload_results_html(rows: Iterable[tuple[str, str, str]]) -> str:
    """Per-file upload results as a table; each row is (file name, status, detail)."""
    body = "".join(
        f'<tr class="{html.escape(status.split()[0].strip(":"))}"><td>{html.escape(name)}</td>'
        f"<td>{html.escape(status)}</td><td>{html.escape(detail)}</td></tr>"
        for name, status, detail in rows
    )
    return f'<table class="uploads"><tr><th>file</th><th>result</th><th>detail</th></tr>{body}</table>'


CSS = """
.sources { font-size: 0.92em; }
.sources details { margin-bottom: 0.6em; }
.sources summary { cursor: pointer; font-weight: 600; }
.src-card { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0.5em 0.7em;
            margin: 0.5em 0; }
.sources .flash { animation: flash 1.8s ease-out; }
@keyframes flash { from { box-shadow: 0 0 0 4px #f5a623; } to { box-shadow: 0 0 0 4px transparent; } }
.src-head { margin-bottom: 0.3em; }
.src-head .where, .muted { color: var(--body-text-color-subdued); }
/* The highlight keeps dark text in both themes: light text on yellow would be unreadable in dark mode. */
.src-card mark { background: #ffe566; color: #1f1f1f; padding: 0 1px; }
.dark .src-card mark { background: #f2d54e; }
.src-card mark b.short { color: inherit; }
.error { color: var(--error-text-color); }
.src-card sup.n { color: var(--link-text-color); font-weight: 600; margin-right: 1px; }
.abstain-note { font-style: italic; }
.passage { white-space: pre-wrap; }
table.docs, table.uploads { width: 100%; font-size: 0.9em; }
table.uploads tr.failed td { color: #b00020; }
.dark table.uploads tr.failed td { color: #ff8a8a; }
table.uploads tr.removed td { color: var(--body-text-color-subdued); }
a.cite { text-decoration: none; font-weight: 600; color: var(--link-text-color); }
/* "Open document" on each source card, and the document viewer it opens (ui/viewer.py). */
.src-head { display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 0.4em; }
.src-head button.open-doc, .doc-head button.close-doc {
  margin-left: auto; padding: 0 0.6em; font-size: 0.85em; line-height: 1.6; cursor: pointer; border-radius: 4px;
  border: 1px solid var(--border-color-primary); background: var(--button-secondary-background-fill);
  color: var(--button-secondary-text-color); }
.src-head button.open-doc:hover, .doc-head button.close-doc:hover {
  background: var(--button-secondary-background-fill-hover); }
.doc-viewer { border: 1px solid var(--border-color-primary); border-radius: 6px; margin-top: 0.8em;
              font-size: 0.92em; background: var(--block-background-fill); }
.doc-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2em 0.8em; padding: 0.5em 0.7em;
            border-bottom: 1px solid var(--border-color-primary); }
.doc-name { overflow-wrap: anywhere; }
.doc-title { margin-left: 0.6em; font-style: italic; }
.doc-head .where { color: var(--body-text-color-subdued); }
.doc-text { white-space: pre-wrap; overflow-wrap: anywhere; overflow-y: auto; max-height: 60vh;
            padding: 0.6em 0.8em; }
.doc-text:focus { outline: none; }
/* Same highlight as the cards: dark text on yellow in both themes. */
.doc-viewer mark { background: #ffe566; color: #1f1f1f; padding: 0 1px; }
.dark .doc-viewer mark { background: #f2d54e; }
.doc-viewer mark.near { background: #fff0a8; }
.dark .doc-viewer mark.near { background: #eadb8f; }
.doc-viewer mark.focus { outline: 2px solid #f5a623; outline-offset: 1px; }
.doc-viewer mark[data-n]::before { content: "[" attr(data-n) "] "; font-size: 0.8em; font-weight: 600; }
/* The chat: no copy button under questions, no thumbs where there is no answer to rate (NO_RATING). */
#chat .user-row + .message-buttons { display: none; }
#chat .bot-row:has(.no-rating) + .message-buttons button[aria-label="Like"],
#chat .bot-row:has(.no-rating) + .message-buttons button[aria-label="Dislike"] { display: none; }
table.docs, table.uploads { border-collapse: collapse; }
table.docs th, table.docs td, table.uploads th, table.uploads td {
  border: 1px solid var(--border-color-primary); padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
table.docs th, table.uploads th { font-weight: 600; background: var(--background-fill-secondary); }
table.docs td, table.uploads td { overflow-wrap: anywhere; }
table.uploads td:nth-child(2) { overflow-wrap: normal; word-break: keep-all; }  /* "removed", never "remove/d" */
#active-filter { font-size: 0.9em; color: var(--body-text-color-subdued); }
/* Tables and lists in a card or the viewer (ui.viewer.marked_html): a wide table scrolls inside its card; a cited
   row is highlighted whole, like a cited sentence (dark text on yellow in both themes). */
.rag-table-wrap { overflow-x: auto; max-width: 100%; margin: 0.3em 0; white-space: normal; }
table.rag-table { border-collapse: collapse; width: auto; margin: 0; font-size: inherit; overflow-wrap: normal; }
table.rag-table caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.2em; }
table.rag-table th, table.rag-table td { border: 1px solid var(--border-color-primary); padding: 0.2em 0.5em;
  text-align: left; vertical-align: top; background: transparent; color: inherit; font-size: inherit; }
table.rag-table thead th { font-weight: 600; background: var(--background-fill-secondary); }
table.rag-table tbody th { font-weight: 600; }
table.rag-table tr.cited > * { background: #ffe566; color: #1f1f1f; }
.dark table.rag-table tr.cited > * { background: #f2d54e; }
table.rag-table tr.cited sup.n { color: #1f1f1f; }
.doc-viewer table.rag-table tr.near > * { background: #fff0a8; }
.dark .doc-viewer table.rag-table tr.near > * { background: #eadb8f; }
.doc-viewer table.rag-table tr.focus { outline: 2px solid #f5a623; outline-offset: -1px; }
.doc-viewer table.rag-table mark.focus { outline: none; }
.sources table.rag-table tr.flash > * { animation: flash 1.8s ease-out; }
ul.rag-list { margin: 0.3em 0; padding-left: 1.4em; list-style: disc; white-space: normal; }
ul.rag-list li { margin: 0.1em 0; }
/* The first view: the documents at a glance under the title, example questions as chips under the question box. */
#overview .overview { margin: 0; font-size: 0.95em; }
#overview .doc-name { font-style: italic; }
#examples { gap: 0.4em; flex-wrap: wrap; align-items: center; }
#examples::before { content: "Try:"; font-size: 0.9em; color: var(--body-text-color-subdued); }
#examples button.example { flex: 0 1 auto; min-width: 0; width: auto; border-radius: 999px; font-weight: 400;
  white-space: normal; text-align: left; }
"""

# Jump from a `[n]` in the chat to its quote: unfold that answer's sources, scroll to the quote and flash it.
HEAD = """
<script>
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="#src-"]');
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  const quote = document.getElementById(link.getAttribute("href").slice(1));
  if (!quote) return;
  const folded = quote.closest("details");
  if (folded) folded.open = true;
  quote.scrollIntoView({behavior: "smooth", block: "center"});
  const shown = quote.closest("table.rag-table tr") || quote;  // a cited table row flashes whole
  shown.classList.remove("flash");
  void shown.offsetWidth;
  shown.classList.add("flash");
}, true);
// Asking shows the newest messages even when the chat was scrolled up (the chat follows only when at the bottom).
function showNewest() {
  const log = document.querySelector("#chat .bubble-wrap");
  if (log) log.scrollTop = log.scrollHeight;
}
function askedSoon() { for (const ms of [50, 300, 800]) setTimeout(showNewest, ms); }
// A new answer's sources (the panel's first section) are scrolled into its view, wherever a citation click left it.
function scroller(element) {
  for (let e = element.parentElement; e; e = e.parentElement) {
    if (e.scrollHeight > e.clientHeight && /(auto|scroll)/.test(getComputedStyle(e).overflowY)) return e;
  }
  return null;
}
let newestSources = null;
new MutationObserver(() => {
  const first = document.querySelector("#sources details.turn-sources");
  const key = first && first.id + ":" + first.querySelector("summary").textContent;
  if (!first || key === newestSources) return;
  newestSources = key;
  const box = scroller(first);
  if (box) box.scrollTop += first.getBoundingClientRect().top - box.getBoundingClientRect().top;
  const chat = document.querySelector("#chat"), top = first.getBoundingClientRect().top;
  const beside = chat && first.getBoundingClientRect().left >= chat.getBoundingClientRect().right - 1;
  if (beside && top < 0) window.scrollBy(0, top - 8);  // beside the chat (not below it, on a phone): in sight
}).observe(document.documentElement, {childList: true, subtree: true});
document.addEventListener("click", (event) => {
  if (event.target.closest && event.target.closest("#ask")) askedSoon();
}, true);
document.addEventListener("keydown", (event) => {
  const inQuestion = event.target.closest && event.target.closest("#question");
  if (event.key === "Enter" && !event.shiftKey && inQuestion) askedSoon();
}, true);
</script>
"""
