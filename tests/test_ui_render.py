"""What the chat page shows, without a server: escaping of document text, the highlighted sentence, locations,
the Markdown export and the feedback log (pure functions of `ui.render` and `rag.conversation`)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import gradio as gr
import pytest

from rag.conversation import (
    FeedbackLog,
    Turn,
    history,
    location,
    paragraph_number,
    paragraph_starts,
    paragraphs_of,
    to_markdown,
)
from rag.errors import RagError
from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer
from ui import render, viewer
from ui.app import ChatPage

TEXT = "Intro line. <script>alert('x')</script> **Bold** claim [2] here. Last one."
HOSTILE = "<script>alert('x')</script> **Bold** claim [2] here."


def hostile_answer(page: int | None = None) -> Answer:
    """An answer quoting a sentence full of HTML and Markdown, from a chunk starting at offset 100."""
    chunk = Chunk("c1", TEXT, "evil <doc>.pdf", 100, 100 + len(TEXT), page=page)
    start = 100 + TEXT.index(HOSTILE)
    citation = Citation(1, chunk.source, start, start + len(HOSTILE), HOSTILE, page, "c1")
    return Answer("q?", f"{HOSTILE} [1]", False, (citation,), (Passage(chunk, 1.0),))


def test_document_text_is_escaped_everywhere():
    answer = hostile_answer()
    bubble = render.answer_markdown(answer, 3)
    assert "<script>" not in bubble and "&lt;script&gt;" in bubble
    assert "\\*\\*Bold\\*\\*" in bubble and "\\[2\\]" in bubble  # literal, not Markdown, and not a citation
    assert bubble.count("<a ") == 1 and 'href="#src-3-1"' in bubble and 'title="evil &lt;doc&gt;.pdf' in bubble
    panel = render.sources_html([Turn("<b>q</b>?", answer)])
    assert "<script>" not in panel and "<b>q</b>" not in panel and "evil &lt;doc&gt;.pdf" in panel
    assert render.documents_html({}).startswith("<p") and "<img" not in render.upload_results_html(
        [("<img src=x>.txt", "failed", "<b>")]
    )


def test_the_cited_sentence_is_highlighted_inside_its_passage():
    answer = hostile_answer(page=4)
    panel = render.sources_html([Turn("q?", answer)])
    assert '<span class="where" title="chars 112–164">page 4</span>' in panel
    assert (
        'Intro line. <sup class="n">[1]</sup><mark id="src-0-1">&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; '
        "**Bold** claim [2] here.</mark> Last one." in panel
    )


def test_sentences_cited_from_one_passage_share_its_card():
    text = "First sentence here. " + "Filler words go on. " * 60 + "Second cited one. The end."
    chunk = Chunk("c1", text, "a.txt", 1000, 1000 + len(text))
    first, second = "First sentence here.", "Second cited one."
    citations = (
        Citation(1, "a.txt", 1000 + text.index(second), 1000 + text.index(second) + len(second), second, None, "c1"),
        Citation(2, "a.txt", 1000, 1000 + len(first), first, None, "c1"),
    )
    answer = Answer("q?", f"{second} [1] {first} [2]", False, citations, (Passage(chunk, 1.0),))
    panel = render.sources_html([Turn("q?", answer)])
    assert panel.count('class="src-card"') == 1 and panel.count("<mark") == 2
    assert panel.index('id="src-0-2"') < panel.index('id="src-0-1"')  # in the order of the text
    assert "[1] chars 2221–2238 · [2] chars 1000–1020" in panel
    assert panel.count("Filler words go on.") < 60 and "… " in panel  # long stretches between marks are cut


def test_a_quote_that_does_not_match_its_passage_is_still_shown():
    chunk = Chunk("c1", "Something else entirely.", "a.txt", 0, 24)
    citation = Citation(1, "a.txt", 500, 510, "The quote.", None, "c1")
    assert render.highlighted_passage(Passage(chunk, 1.0), [citation]) == ""
    answer = Answer("q?", "The quote. [1]", False, (citation,), (Passage(chunk, 1.0),))
    panel = render.sources_html([Turn("q?", answer)])
    assert '<mark id="src-0-1">The quote.</mark>' in panel


def test_the_newest_answer_is_open_and_earlier_ones_are_folded():
    answer = hostile_answer()
    panel = render.sources_html([Turn("first?", answer), Turn("second?", error="boom"), Turn("third?", answer)])
    assert panel.index('id="turn-2" open') < panel.index('id="turn-1"') < panel.index('id="turn-0"')
    assert 'id="turn-0" open' not in panel and "boom" in panel
    assert 'id="src-0-1"' in panel and 'id="src-2-1"' in panel  # every [n] in the chat has its card


def test_chat_messages_pair_each_question_with_its_answer():
    messages = render.chat_messages([Turn("a?", hostile_answer()), Turn("b?", error="no index")], pending="c?")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert messages[3]["content"].startswith("**Error:**") and messages[-1]["content"] == "…" + render.NO_RATING


def test_locations_and_history():
    assert location("a.txt", 3, 9) == "chars 3–9"  # nothing else known
    assert location("a.pdf", 3, 9, page=2) == "page 2"
    assert location("a.pdf", 3, 9, page=2, paragraph=3, section="Causes") == "page 2 · paragraph 3 · Causes"
    answer = hostile_answer()
    assert history([Turn("q?", answer), Turn("x?", error="e")]) == [("q?", answer.text)]


def test_markdown_export_lists_sources_and_nearest_text():
    chunk = Chunk("c9", "Nearby text\nthat does not answer.", "b.md", 10, 42)
    abstained = Answer("Capital?", "The documents don't say.", True, (), (Passage(chunk, 0.2),))
    text = to_markdown([Turn("q?", hostile_answer(page=4)), Turn("Capital?", abstained), Turn("z?", error="bad")])
    assert "## 1. q?" in text and "- [1] evil &lt;doc&gt;.pdf (page 4, chars " in text
    assert "Nearest text found" in text and "- b.md (chars 10–42): “Nearby text that does not answer.”" in text
    assert "## 3. z?\n\nError: bad" in text


def test_markdown_export_escapes_a_documents_html():
    chunk = Chunk("c1", "Before <script>alert(1)</script> after.", "x.html", 0, 39)
    quoted = Citation(1, "x.html", 0, 39, chunk.text, None, "c1")
    answer = Answer("q?", "Before <script>alert(1)</script> after. [1]", False, (quoted,), (Passage(chunk, 0.9),))
    text = to_markdown([Turn("<b>q</b>?", answer)])
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_feedback_log_appends_whole_lines_from_many_threads(tmp_path):
    log = FeedbackLog.in_data_dir(tmp_path / "data")
    answer = hostile_answer()
    threads = [threading.Thread(target=log.record, args=(answer, "up")) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = log.read()
    assert len(records) == 20 and all(r["citations"][0]["quote"] == HOSTILE for r in records)
    assert (tmp_path / "data" / "feedback.jsonl").exists()


def test_the_short_answer_is_bold_at_the_start_and_inside_its_sentence():
    text = "Before. Ukraine’s minister Yulia <Svyrydenko> signed the deal. After."
    chunk = Chunk("c1", text, "a.txt", 50, 50 + len(text))
    quote = "Ukraine’s minister Yulia <Svyrydenko> signed the deal."
    start = 50 + text.index(quote)
    name = "Yulia <Svyrydenko>"
    short = ShortAnswer(name, 1, 50 + text.index(name), 50 + text.index(name) + len(name))
    citation = Citation(1, "a.txt", start, start + len(quote), quote, None, "c1")
    answer = Answer("Who?", f"{name} — {quote} [1]", False, (citation,), (Passage(chunk, 1.0),), short=short)

    bubble = render.answer_markdown(answer, 2)
    assert bubble.startswith("**Yulia &lt;Svyrydenko&gt;** — Ukraine’s minister")
    assert bubble.count("Yulia &lt;Svyrydenko&gt;") == 2  # once in bold, once inside the quoted sentence
    panel = render.sources_html([Turn("Who?", answer)])
    assert "signed the deal." in panel
    assert '<mark id="src-0-1">Ukraine’s minister <b class="short">Yulia &lt;Svyrydenko&gt;</b> signed' in panel


# -- locations in words, and the document viewer ------------------------------------------------------------------

DOC = "Title line\n\nFirst paragraph. It goes on.\n\n\n  Second <one> & more. Cited here.\nSame paragraph.\n\nLast."


def doc_answer() -> tuple[Answer, Citation]:
    """An answer citing "Cited here." (paragraph 3 of `DOC`) from a passage holding the second paragraph."""
    start = DOC.index("Second")
    chunk = Chunk("c1", DOC[start : DOC.index("\n\nLast")], "notes <1>.txt", start, DOC.index("\n\nLast"))
    quote_at = DOC.index("Cited here.")
    cited = Citation(1, chunk.source, quote_at, quote_at + len("Cited here."), "Cited here.", None, "c1", "Causes")
    return Answer("q?", "Cited here. [1]", False, (cited,), (Passage(chunk, 1.0),)), cited


def test_paragraphs_are_blocks_between_blank_lines_counted_from_the_stored_text():
    assert paragraph_starts(DOC) == [0, 12, DOC.index("Second"), DOC.index("Last")]
    assert [paragraph_number("doc.txt", DOC, DOC.index(word)) for word in ("Title", "It goes", "Same", "Last")] == [
        1,
        2,
        3,
        4,
    ]
    assert paragraph_number("doc.txt", DOC, DOC.index("\n\n\n") + 1) == 2  # the blank lines count with the one before
    assert paragraph_starts("") == [] and paragraph_number("empty.txt", "", 0) == 1
    changed = "New first.\n\n" + DOC  # another length: computed afresh, not the cached starts
    assert paragraph_number("doc.txt", changed, changed.index("Last")) == 5
    answer, cited = doc_answer()
    calls = []

    def text_of(source: str) -> str:
        calls.append(source)
        return DOC

    assert paragraphs_of(answer, text_of) == {(cited.source, cited.start): 3, (cited.source, DOC.index("Second")): 3}
    assert calls == [cited.source]  # each document's text read once

    def gone(source: str) -> str:
        raise RagError(f"{source}: not indexed")

    assert paragraphs_of(answer, gone) == {}


def test_locations_are_in_words_with_the_offsets_in_tooltips_and_the_export():
    answer, cited = doc_answer()
    turn = Turn("q?", answer, paragraphs=paragraphs_of(answer, lambda _: DOC))
    panel = render.sources_html([turn])
    offsets = f"chars {cited.start}–{cited.end}"
    assert f'<span class="where" title="{offsets}">paragraph 3 · Causes</span>' in panel
    bubble = render.turn_markdown(turn, 0)
    assert f'title="notes &lt;1&gt;.txt, paragraph 3 · Causes, {offsets}"' in bubble
    assert f"- [1] notes &lt;1&gt;.txt (paragraph 3 · Causes, {offsets}): “Cited here.”" in to_markdown([turn])
    assert 'class="where" title="chars 112–164">page 4</span>' in render.sources_html([Turn("q?", hostile_answer(4))])
    # Two quotes of one passage in different paragraphs: each after its [n], one tooltip with both offsets.
    text = "A one.\n\nB two."
    chunk = Chunk("c1", text, "a.txt", 0, len(text))
    two = (Citation(1, "a.txt", 0, 6, "A one.", None, "c1"), Citation(2, "a.txt", 8, 14, "B two.", None, "c1"))
    answer = Answer("q?", "A one. [1] B two. [2]", False, two, (Passage(chunk, 1.0),))
    panel = render.sources_html([Turn("q?", answer, paragraphs=paragraphs_of(answer, lambda _: text))])
    assert (
        '<span class="where" title="[1] chars 0–6 · [2] chars 8–14">[1] paragraph 1 · [2] paragraph 2</span>' in panel
    )


def test_every_source_card_offers_its_whole_document():
    answer, _ = doc_answer()
    panel = render.sources_html([Turn("first?", hostile_answer()), Turn("q?", answer)])
    assert panel.count('class="open-doc"') == 2
    assert 'data-doc="1:1"' in panel and 'data-doc="0:1"' in panel
    assert 'title="Open evil &lt;doc&gt;.pdf: the whole document' in panel  # names are escaped everywhere
    chunk = Chunk("c9", "Nearby text.\n\nMore.", "b.md", 10, 29, sentences=((10, 22), (24, 29)), section="Causes")
    other = Chunk("c10", "Other text.", "b.md", 40, 51, sentences=((40, 51),), section="Causes")
    abstained = Answer("Capital?", "The documents don't say.", True, (), (Passage(chunk, 0.2), Passage(other, 0.1)))
    turn = Turn("Capital?", abstained, paragraphs={("b.md", 10): 2})
    panel = render.sources_html([turn])
    assert 'data-doc="0:p0"' in panel and 'data-doc="0:p1"' in panel
    assert '<span class="where" title="chars 10–29">paragraph 2 · Causes</span>' in panel
    assert "- b.md (paragraph 2 · Causes, chars 10–29): “Nearby text. More.”" in to_markdown([turn])


def test_a_card_key_names_its_document_and_quotes():
    answer, cited = doc_answer()
    other = Citation(2, cited.source, 12, 28, "First paragraph.", None, "c0")
    elsewhere = Citation(3, "other.txt", 0, 4, "Else", None, "c7")
    answer = Answer("q?", "… [1] [2] [3]", False, (cited, other, elsewhere), answer.passages)
    turns = [Turn("q?", answer), Turn("bad?", error="boom")]
    target = viewer.target(turns, "0:1")
    assert target.source == cited.source and [s.label for s in target.spans] == ["2", "1"]  # in document order
    assert target.spans[target.focus].label == "1" and target.section == "Causes"
    assert viewer.target(turns, "0:3").spans == (viewer.Span(0, 4, "3", "Else"),)  # only its own document's
    for key in ("0:9", "1:1", "5:1", "0:p0", "x", "", "0:1:2", "-1:1"):
        assert viewer.target(turns, key) is None, key
    chunk = Chunk("c9", "# Head\nNearby text.", "b.md", 10, 29, sentences=((17, 29),), page=2)
    abstained = Answer("Capital?", "The documents don't say.", True, (), (Passage(chunk, 0.2),))
    near = viewer.target([Turn("Capital?", abstained)], "0:p0")
    assert near.spans == (viewer.Span(17, 29, "", "Nearby text."),) and near.page == 2


def test_the_viewer_shows_the_whole_document_escaped_with_the_quotes_highlighted():
    answer, cited = doc_answer()
    other = Citation(2, cited.source, 12, 28, "First paragraph.", None, "c0")
    stale = Citation(3, cited.source, 0, 5, "Moved", None, "c0")  # no longer where its offsets say
    answer = Answer("q?", "…", False, (cited, other, stale), answer.passages)
    target = viewer.target([Turn("q?", answer)], "0:1")
    page = viewer.document_html(target, DOC, title="A <b>title</b>")
    body = page[page.index('<div class="doc-text"') :]
    assert "<one>" not in page and "Second &lt;one&gt; &amp; more." in body and "&lt;b&gt;title" in page
    assert body.count("<mark") == 2 and '<mark class="doc-mark" data-n="2">First paragraph.</mark>' in body
    assert '<mark class="doc-mark focus" data-n="1">Cited here.</mark>' in body
    assert html_text(body) == DOC  # the whole text, once, character for character
    assert '<span class="where" title="chars ' in page and ">paragraph 3 · Causes</span>" in page
    assert 'class="close-doc"' in page and "notes &lt;1&gt;.txt" in page and "<1>" not in page
    assert viewer.document_html(target, DOC) != viewer.document_html(target, DOC)  # reopening scrolls again
    moved = viewer.document_html(viewer.target([Turn("q?", answer)], "0:3"), DOC)
    assert "focus" not in moved and "the document changed since" in moved  # the others are still highlighted
    assert "&lt;script&gt;" in viewer.error_html("<script>.txt", "gone") and "<script>" not in viewer.error_html(
        "<script>.txt", "gone"
    )


def test_a_400_kb_document_is_rendered_once_and_fast():
    paragraph = "Filler <words> & more filler words for the survey notes of the harbour, day after day. "
    text = "\n\n".join(paragraph * 3 for _ in range(1600)) + "\n\nThe keeper is Orla Quin. End."
    assert len(text) > 400_000
    at = text.index("The keeper")
    cited = Citation(1, "big.txt", at, at + len("The keeper is Orla Quin."), "The keeper is Orla Quin.", None, "c")
    target = viewer.target([Turn("q?", Answer("q?", "… [1]", False, (cited,)))], "0:1")
    began = time.perf_counter()
    page = viewer.document_html(target, text)
    assert time.perf_counter() - began < 2
    assert page.count("Filler &lt;words&gt;") == 3 * 1600  # the text once, no copies
    assert html_text(page[page.index('<div class="doc-text"') :]) == text
    assert (
        ">paragraph 1601</span>" in page and '<mark class="doc-mark focus" data-n="1">The keeper is Orla Quin.' in page
    )


def html_text(fragment: str) -> str:
    """The text a browser shows for a fragment of our HTML (tags dropped, entities decoded)."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


class FakeAssistant:
    """Just what `ChatPage.open_document` asks of an assistant."""

    def __init__(self, tmp_path, texts: dict[str, str]) -> None:
        self.settings = SimpleNamespace(data_dir=tmp_path, ask_burst=5, ask_per_second=1.0)
        self.texts = texts

    def document_text(self, source: str) -> str:
        if source not in self.texts:
            raise RagError(f"{source}: not indexed, or its file is gone; ingest it again")
        return self.texts[source]

    def document(self, source: str):
        return SimpleNamespace(title="notes <1>" if source in self.texts else "")

    def document_chunks(self, source: str) -> list:
        return []


def test_chat_page_opens_a_card_document(tmp_path):
    answer, _ = doc_answer()
    page = ChatPage(FakeAssistant(tmp_path, {"notes <1>.txt": DOC}))
    shown = page.open_document([Turn("q?", answer)], "0:1")
    assert '<mark class="doc-mark focus" data-n="1">Cited here.</mark>' in shown
    assert '<span class="doc-title">Title line</span>' in shown  # the file name is no title: its first line is
    with pytest.warns(UserWarning, match="not in this conversation"):
        assert page.open_document([Turn("q?", answer)], "3:1") == gr.skip()  # the viewer is left as it was
    gone = ChatPage(FakeAssistant(tmp_path, {})).open_document([Turn("q?", answer)], "0:1")
    assert 'class="error"' in gone and "Cannot show notes &lt;1&gt;.txt: notes &lt;1&gt;.txt: not indexed" in gone
    clicked = page.show_document([Turn("q?", answer)], SimpleNamespace(_data={"doc": "0:1"}))  # what the JS sends
    assert '<mark class="doc-mark focus" data-n="1">Cited here.</mark>' in clicked
    assert ChatPage.close_document() == ""
