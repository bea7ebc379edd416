"""HTML and Markdown for the chat page: answers with linked `[n]` markers, the sources panel, the documents list
and upload results.

Owns presentation only, and escapes every piece of document text, file name and message it shows. Each `[n]` of
an answer links to `#src-<turn>-<n>`: its cited sentence, highlighted inside its passage in the sources panel (one
card per passage, however many of its sentences are cited). Leaves out answering, citations and storage (`rag`),
and Gradio wiring (`ui.app`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

from rag.conversation import Turn, citation_location, location
from rag.types import Answer, Citation, Passage, ShortAnswer

_MARKER = re.compile(r"\[(\d+)\]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$])")
_LIST_START = re.compile(r"^(\s*\d+)([.)])")
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


def answer_markdown(answer: Answer, turn: int) -> str:
    """The chat bubble of an answer: its text escaped, each known `[n]` a link to its card in the sources panel,
    and its notice (how it came about, in LLM modes) in small print."""
    body = _answer_body(answer, turn)
    return f"{body}\n\n<small>{escape_markdown(answer.notice)}</small>" if answer.notice else body


def _answer_body(answer: Answer, turn: int) -> str:
    if answer.abstained:
        return f"_{escape_markdown(answer.text)}_"
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
        title = html.escape(f"{known[n].source}, {cited_where(known[n])}")
        parts.append(f' <a class="cite" href="#{anchor(turn, n)}" title="{title}">[{n}]</a> ')
        last = match.end()
    parts.append(escape_markdown(answer.text[last:]))
    return "".join(parts).strip()


def cited_where(citation: Citation) -> str:
    """Where a quote sits, with the section it is under: "page 2, chars 10–40 · Causes".

    Example:
        >>> cited_where(Citation(1, "a.md", 5, 20, "The river rose.", section="History › Causes"))
        'chars 5–20 · History › Causes'
    """
    return " · ".join(part for part in (citation_location(citation), citation.section) if part)


def turn_markdown(turn: Turn, number: int) -> str:
    """The chat bubble of a turn: its answer, or its error."""
    if turn.answer is not None:
        return answer_markdown(turn.answer, number)
    return f"**Error:** {escape_markdown(turn.error)}"


def chat_messages(turns: Sequence[Turn], pending: str | None = None, partial: str = "") -> list[dict]:
    """The chatbot's messages: a user and an assistant message per turn, then the question being answered."""
    messages: list[dict] = []
    for number, turn in enumerate(turns):
        messages.append({"role": "user", "content": escape_markdown(turn.question)})
        messages.append({"role": "assistant", "content": turn_markdown(turn, number)})
    if pending is not None:
        messages.append({"role": "user", "content": escape_markdown(pending)})
        messages.append({"role": "assistant", "content": escape_markdown(partial) if partial else "…"})
    return messages


def highlighted_passage(
    passage: Passage, citations: Sequence[Citation], turn: int = 0, short: ShortAnswer | None = None
) -> str:
    """The passage's text around its cited sentences, each sentence in `<mark id="src-<turn>-<n>">` after an
    `[n]` label, all escaped; beyond `CONTEXT` characters either side of the marks the text is cut at a space.
    The short answer, if given, is in bold inside its sentence's mark.
    Returns "" when no citation's quote sits where its offsets say.

    Example:
        >>> from rag.types import Chunk
        >>> p = Passage(Chunk("c1", "Kyiv won. It was <late>.", "a.txt", 10, 34), 1.0)
        >>> highlighted_passage(p, [Citation(1, "a.txt", 20, 34, "It was <late>.", None, "c1")])
        'Kyiv won. <sup class="n">[1]</sup><mark id="src-0-1">It was &lt;late&gt;.</mark>'
    """
    text, spans = passage.chunk.text, []
    for citation in sorted(citations, key=lambda c: c.start):
        at = citation.start - passage.chunk.start
        end = at + len(citation.quote)
        if at >= 0 and text[at:end] == citation.quote and (not spans or at >= spans[-1][1]):
            spans.append((at, end, citation.n))
    if not spans:
        return ""
    pieces, position = [], 0
    for at, end, n in spans:
        pieces.append(html.escape(_context(text[position:at], first=position == 0)))
        quote = _with_short(text, at, end, passage.chunk.start, short if short and short.n == n else None)
        pieces.append(f'<sup class="n">[{n}]</sup><mark id="{anchor(turn, n)}">{quote}</mark>')
        position = end
    pieces.append(html.escape(_context(text[position:], last=True)))
    return "".join(pieces)


def _with_short(text: str, at: int, end: int, offset: int, short: ShortAnswer | None) -> str:
    """`text[at:end]` escaped, with the short answer (document offsets; the passage starts at `offset`) in bold."""
    if short is None or not at <= short.start - offset < short.end - offset <= end:
        return html.escape(text[at:end])
    s, e = short.start - offset, short.end - offset
    bold = f'<b class="short">{html.escape(text[s:e])}</b>'
    return html.escape(text[at:s]) + bold + html.escape(text[e:end])


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


def _cited_cards(answer: Answer, turn: int) -> str:
    """One card per cited passage, in the order of the citations; a passage cited twice is shown once."""
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
        where = " · ".join(f"[{c.n}] {citation_location(c)}" for c in citations)
        where += f" · {citations[0].section}" if citations[0].section else ""  # one card, one passage, one section
        cards.append(
            f'<div class="src-card" id="card-{turn}-{citations[0].n}"><div class="src-head">'
            f"<b>{html.escape(citations[0].source)}</b> "
            f'<span class="where">{html.escape(where)}</span></div>'
            f'<div class="passage">{body}</div></div>'
        )
    return "".join(cards)


def _answer_sources(answer: Answer, turn: int) -> str:
    if not answer.abstained:
        return _cited_cards(answer, turn)
    if not answer.passages:
        return '<p class="muted">No passage came close.</p>'
    cards = []
    for passage in answer.passages[:NEAREST_SHOWN]:
        chunk = passage.chunk
        where = location(chunk.source, chunk.start, chunk.end, chunk.page)
        cards.append(
            f'<div class="src-card nearest"><div class="src-head"><b>{html.escape(chunk.source)}</b> '
            f'<span class="where">{html.escape(where)}</span></div>'
            f'<div class="passage">{html.escape(chunk.text)}</div></div>'
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
            body = _answer_sources(turn.answer, number)
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


def error_html(message: str) -> str:
    """A real error shown in place of a panel's content (never a traceback)."""
    return f'<p class="error">{html.escape(message)}</p>'


def upload_results_html(rows: Iterable[tuple[str, str, str]]) -> str:
    """Per-file upload results as a table; each row is (file name, status, detail)."""
    body = "".join(
        f'<tr class="{html.escape(status.split()[0])}"><td>{html.escape(name)}</td>'
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
  quote.classList.remove("flash");
  void quote.offsetWidth;
  quote.classList.add("flash");
}, true);
</script>
"""
