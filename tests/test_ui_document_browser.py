"""The document viewer in a real browser (headless Chromium): "Open document" on a source card shows the whole
extracted text of its document, scrolled to the cited sentence, which is highlighted (readable in the light and the
dark theme) under the document's name and where the quote sits in words (the page of a PDF); a nearest-text card
opens its passage; a 400 KB document opens at a quote near its end; Close empties the viewer.

Screenshots go to tests/screenshots/<test name>/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.documents import write_pdf
from tests.test_pdf_pages import PAGES
from tests.test_ui_browser import SEED_QUESTION, ask
from tests.test_ui_browser import browser_page as browser_page  # the fixture
from tests.test_ui_errors_browser import COLOURS, contrast, shots_for
from tests.test_ui_errors_browser import seed_app as seed_app  # the fixture
from tests.ui_fixtures import FACT, FACT_QUESTION, running_app

SEED = "us-ukraine-minerals-agreement.txt"
VIEWER = "#doc-viewer .doc-viewer"
FOCUS = "#doc-viewer .doc-text mark.focus"

# True once the focused quote lies inside the viewer's scrolling text and inside the window.
QUOTE_IN_VIEW = """() => {
  const mark = document.querySelector("#doc-viewer .doc-text mark.focus");
  const text = document.querySelector("#doc-viewer .doc-text");
  if (!mark || !text) return false;
  const m = mark.getBoundingClientRect(), t = text.getBoundingClientRect();
  return m.height > 0 && m.top >= t.top && m.bottom <= t.bottom && m.top >= 0 && m.bottom <= window.innerHeight;
}"""


def open_document(page: Page, card: Locator) -> Locator:
    """Click the card's "Open document" and wait until the viewer shows its quote in view; returns the viewer."""
    card.locator("button.open-doc").click()
    viewer = page.locator(VIEWER)
    expect(viewer).to_be_visible()
    page.wait_for_function(QUOTE_IN_VIEW)
    return viewer


def assert_quote_in_view(page: Page) -> None:
    """The focused quote's box lies inside the scrolling text's box, which lies in the window."""
    mark, text = page.locator(FOCUS).bounding_box(), page.locator("#doc-viewer .doc-text").bounding_box()
    window = page.viewport_size
    assert text["y"] <= mark["y"] and mark["y"] + mark["height"] <= text["y"] + text["height"], (mark, text)
    assert mark["y"] >= 0 and mark["y"] + mark["height"] <= window["height"], (mark, window)
    assert page.evaluate("document.querySelector('#doc-viewer .doc-text').scrollHeight") > text["height"]


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_open_document_shows_the_whole_text_at_the_cited_quote(browser_page: Page, seed_app, theme, request):
    shots = shots_for(request)
    assistant, url = seed_app
    citations = assistant.answer(SEED_QUESTION).citations
    cited = next(c for c in citations if "Svyrydenko" in c.quote)
    quoted_here = {(c.start, c.end) for c in citations if c.source == SEED}
    page = browser_page
    page.emulate_media(color_scheme=theme)
    page.goto(url)
    expect(page.locator("#documents")).to_contain_text(SEED)
    ask(page, SEED_QUESTION)
    card = page.locator("#sources details[open] .src-card").filter(has=page.locator("mark", has_text="Svyrydenko"))
    expect(card.locator(".where")).to_have_text(re.compile(r"^paragraph \d+$"))
    viewer = open_document(page, card)

    assert page.locator("#doc-viewer .doc-text").text_content() == assistant.document_text(SEED)  # all of it
    assert page.locator(FOCUS).inner_text() == cited.quote
    assert_quote_in_view(page)
    expect(viewer.locator(".doc-name")).to_contain_text(SEED)
    expect(viewer.locator(".doc-title")).to_have_text(re.compile(r"^The United States and Ukraine on Wednesday .*…$"))
    where = viewer.locator(".doc-head .where")
    expect(where).to_have_text("paragraph 4")
    expect(where).to_have_attribute("title", f"chars {cited.start}–{cited.end}")
    expect(viewer.locator("mark")).to_have_count(len(quoted_here))  # every sentence the answer cites from it
    text, background = page.evaluate(COLOURS, FOCUS)
    assert contrast(text, background) >= 4.5, (theme, text, background)
    page.screenshot(path=shots / f"01-open-{theme}.png")

    viewer.locator("button.close-doc").click()
    expect(page.locator(VIEWER)).to_have_count(0)
    expect(page.locator("#sources .src-card mark", has_text="Svyrydenko")).to_be_visible()  # the sources stay
    page.screenshot(path=shots / f"02-closed-{theme}.png")


def test_a_nearest_text_card_opens_its_passage(browser_page: Page, seed_app, request):
    shots = shots_for(request)
    assistant, url = seed_app
    nearest = assistant.answer("What is the capital of Australia?").passages[0].chunk
    page = browser_page
    page.goto(url)
    expect(page.locator("#documents")).to_contain_text(SEED)
    ask(page, "What is the capital of Australia?")
    cards = page.locator("#sources details[open] .src-card.nearest")
    expect(cards.first).to_be_visible()
    open_document(page, cards.first)
    start = nearest.sentences[0][0] if nearest.sentences else nearest.start
    assert page.locator(FOCUS).inner_text() == nearest.text[start - nearest.start :]
    expect(page.locator(FOCUS)).to_have_class(re.compile(r"\bnear\b"))
    assert_quote_in_view(page)
    page.screenshot(path=shots / "open-nearest.png")


def test_a_quote_on_page_two_of_a_pdf_says_page_2(browser_page: Page, make_assistant, tmp_path, request):
    shots = shots_for(request)
    (tmp_path / "corpus").mkdir()
    write_pdf(tmp_path / "corpus" / "log.pdf", PAGES)
    assistant = make_assistant(corpus_dir=tmp_path / "corpus")
    assistant.sync_corpus()
    question = "When was the lighthouse lamp replaced with an LED unit?"
    cited = next(c for c in assistant.answer(question).citations if "LED unit" in c.quote)
    assert cited.page == 2
    page = browser_page
    with running_app(assistant) as url:
        page.goto(url)
        expect(page.locator("#documents")).to_contain_text("log.pdf")
        ask(page, question)
        card = page.locator("#sources details[open] .src-card").filter(has=page.locator("mark", has_text="LED unit"))
        expect(card.locator(".where")).to_contain_text("page 2")
        viewer = open_document(page, card)
        expect(viewer.locator(".doc-head .where")).to_have_text(re.compile(r"^page 2 · paragraph \d+$"))
        assert page.locator(FOCUS).inner_text() == cited.quote
        assert page.locator("#doc-viewer .doc-text").text_content() == assistant.document_text("log.pdf")
        page.screenshot(path=shots / "pdf-page-2.png")


def test_a_400_kb_document_opens_at_a_quote_near_its_end(browser_page: Page, make_assistant, tmp_path, request):
    shots = shots_for(request)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraphs = [
        f"Report {i}. The survey team walked sector {i % 97} and counted {i * 7 % 311} fence posts along the dry "
        f"canal. Weather on day {i} was mild, and the notes list {i % 13} broken gates near the mill."
        for i in range(1, 2400)
    ]
    paragraphs.insert(
        2100, f"Port Zephyr is a small harbour. {FACT} She has kept its lamp burning for nineteen winters."
    )
    (corpus / "big-survey.txt").write_text("Survey Notes\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    assistant = make_assistant(corpus_dir=corpus)
    assistant.sync_corpus()
    text = assistant.document_text("big-survey.txt")
    assert len(text) > 400_000
    cited = next(c for c in assistant.answer(FACT_QUESTION).citations if "Orla Quin" in c.quote)
    page = browser_page
    with running_app(assistant) as url:
        page.goto(url)
        ask(page, FACT_QUESTION)
        card = page.locator("#sources details[open] .src-card").filter(has=page.locator("mark", has_text="Orla Quin"))
        viewer = open_document(page, card)
        assert page.locator(FOCUS).inner_text() == cited.quote
        assert_quote_in_view(page)
        assert page.evaluate("document.querySelector('#doc-viewer .doc-text').textContent.length") == len(text)
        expect(viewer.locator(".doc-head .where")).to_have_text("paragraph 2102")
        expect(viewer.locator(".doc-title")).to_have_text("Survey Notes")
        page.screenshot(path=shots / "big-document.png")
