"""What the chat page shows, without a server: escaping of document text, the highlighted sentence, locations,
the Markdown export and the feedback log (pure functions of `ui.render` and `rag.conversation`)."""

from __future__ import annotations

import threading

from rag.conversation import FeedbackLog, Turn, history, location, to_markdown
from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer
from ui import render

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
    assert "[1] page 4, chars" in panel
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
    assert messages[3]["content"].startswith("**Error:**") and messages[-1]["content"] == "…"


def test_locations_and_history():
    assert location("a.txt", 3, 9) == "chars 3–9"
    assert location("a.pdf", 3, 9, page=2) == "page 2, chars 3–9"
    answer = hostile_answer()
    assert history([Turn("q?", answer), Turn("x?", error="e")]) == [("q?", answer.text)]


def test_markdown_export_lists_sources_and_nearest_text():
    chunk = Chunk("c9", "Nearby text\nthat does not answer.", "b.md", 10, 42)
    abstained = Answer("Capital?", "The documents don't say.", True, (), (Passage(chunk, 0.2),))
    text = to_markdown([Turn("q?", hostile_answer(page=4)), Turn("Capital?", abstained), Turn("z?", error="bad")])
    assert "## 1. q?" in text and "- [1] evil <doc>.pdf (page 4, chars " in text
    assert "Nearest text found" in text and "- b.md (chars 10–42): “Nearby text that does not answer.”" in text
    assert "## 3. z?\n\nError: bad" in text


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
    assert 'signed the deal.' in panel
    assert '<mark id="src-0-1">Ukraine’s minister <b class="short">Yulia &lt;Svyrydenko&gt;</b> signed' in panel
