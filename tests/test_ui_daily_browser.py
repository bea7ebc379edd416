"""The chat page as a daily tool, in a real browser (headless Chromium): no stale state (an old export, a hidden
restriction, a removal without asking), no visual glitches (copy buttons under questions, thumbs where there is no
answer, a label over the messages, new answers hidden when scrolled up, heavy table borders), and a phone width
without horizontal scrolling; the light and the dark theme.

Screenshots go to tests/screenshots/<test name>/; the README's docs/screenshot.png and docs/screenshot-dark.png are
written when missing or when RAG_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.test_ui_browser import SEED_QUESTION, ask, last_answer
from tests.test_ui_browser import browser_page as browser_page  # the fixture
from tests.test_ui_errors_browser import CLICKABLE, luminance, shots_for
from tests.test_ui_errors_browser import seed_app as seed_app  # the fixture
from tests.ui_fixtures import write_fact_document

UNANSWERABLE = "What is the capital of Peru?"
VISIBLE = ":visible"


_SCROLLER = """first => {
  let e = first.parentElement;
  while (e && !(e.scrollHeight > e.clientHeight && /(auto|scroll)/.test(getComputedStyle(e).overflowY))) {
    e = e.parentElement;
  }
  return e;
}"""
NEWEST_SHOWN = f"""first => {{
  const box = ({_SCROLLER})(first);
  return {{top: first.getBoundingClientRect().top, height: window.innerHeight,
           box: box ? box.getBoundingClientRect().top : null}};
}}"""  # where the newest answer's sources are in the window, and the top of the panel's scrolled view


def pick(page: Page, dropdown: str, name: str) -> None:
    """Choose `name` in a Gradio dropdown."""
    page.click(f"{dropdown} input", timeout=CLICKABLE)
    page.keyboard.type(name)
    page.locator("ul[role=listbox] li", has_text=name).first.click()


def test_no_stale_export_restriction_or_unasked_removal(browser_page: Page, seed_app, tmp_path, request):
    shots = shots_for(request)
    assistant, url = seed_app
    page = browser_page
    page.goto(url)
    page.set_input_files("#upload input[type=file]", str(write_fact_document(tmp_path / "upload")))
    expect(page.locator("#upload-results tr", has_text="port-zephyr.md")).to_contain_text("added")
    ask(page, SEED_QUESTION)

    # An export goes once the conversation moves on: after a new question, and after "New conversation".
    exported = page.locator("#exported")
    page.click("#export")
    expect(exported).to_be_visible()
    ask(page, "What does the agreement reportedly not include?")
    expect(exported).to_be_hidden()
    page.click("#export")
    expect(exported).to_be_visible()
    page.click("#new")
    expect(exported).to_be_hidden()

    # A restriction is shown next to the question box even with Search settings folded.
    page.click("#settings")
    pick(page, "#restrict", "uploads/port-zephyr.md")
    page.keyboard.press("Escape")
    page.click("#settings")  # folded again
    expect(page.locator("#active-filter")).to_contain_text("Searching only uploads/port-zephyr.md")
    page.screenshot(path=shots / "01-restricted.png")

    # Remove asks first; Cancel keeps the document.
    pick(page, "#remove-choice", "uploads/port-zephyr.md")
    page.click("#remove")
    question = page.locator("#remove-question")
    expect(question).to_contain_text("Remove uploads/port-zephyr.md (1 chunk) from the index?")
    page.screenshot(path=shots / "02-confirm-removal.png", full_page=True)
    page.click("#remove-cancel")
    expect(question).to_be_hidden()
    assert "uploads/port-zephyr.md" in assistant.sources()
    page.click("#remove")
    page.click("#remove-confirm", timeout=CLICKABLE)
    expect(page.locator("#doc-status")).to_contain_text("Removed uploads/port-zephyr.md")
    expect(question).to_be_hidden()
    expect(page.locator("#active-filter")).not_to_contain_text("port-zephyr")  # the restriction went with it
    assert "uploads/port-zephyr.md" not in assistant.sources()
    page.screenshot(path=shots / "03-removed.png", full_page=True)


def test_chat_without_visual_glitches(browser_page: Page, seed_app, request):
    shots = shots_for(request)
    _, url = seed_app
    page = browser_page
    page.goto(url)
    expect(page.locator("#chat [data-testid=block-label]" + VISIBLE)).to_have_count(0)  # no label over messages
    page.click("#question textarea")
    page.keyboard.press("Enter")  # a mistake: a warning, and the question box keeps its placeholder
    expect(page.locator("[data-testid=toast-body].warning", has_text="Type a question first.")).to_be_visible()
    expect(page.locator("#question textarea")).to_have_attribute("placeholder", "Your question")
    ask(page, SEED_QUESTION)
    ask(page, UNANSWERABLE)
    # Gradio puts each message's buttons right after its row: on the right for questions, on the left for answers.
    expect(page.locator("#chat .bot-row")).to_have_count(2)
    under_questions = page.locator('#chat .message-buttons-right button[aria-label="Copy message"]')
    expect(under_questions).to_have_count(2)
    expect(page.locator('#chat .message-buttons-right button[aria-label="Copy message"]' + VISIBLE)).to_have_count(0)
    under_answers = page.locator("#chat .message-buttons-left")
    expect(under_answers).to_have_count(2)
    expect(under_answers.nth(0).locator('button[aria-label="Like"]' + VISIBLE)).to_have_count(1)  # an answer is rated
    expect(under_answers.nth(0).locator('button[aria-label="Copy message"]' + VISIBLE)).to_have_count(1)
    expect(under_answers.nth(1).locator('button[aria-label="Like"]' + VISIBLE)).to_have_count(0)  # a refusal is not
    expect(under_answers.nth(1).locator('button[aria-label="Dislike"]' + VISIBLE)).to_have_count(0)
    border = page.eval_on_selector("table.docs td", "cell => getComputedStyle(cell).borderTopWidth")
    assert border == "1px"

    # Scrolled up, a new question still shows its answer, not a "scroll down" button over it.
    for _ in range(3):
        ask(page, SEED_QUESTION)
    page.wait_for_timeout(1000)  # the last answer has settled
    page.hover("#chat .bubble-wrap")
    page.mouse.wheel(0, -5000)  # the reader scrolls up to an earlier answer
    expect(page.locator('#chat button[aria-label="Scroll down"]' + VISIBLE)).to_have_count(1)
    assert page.eval_on_selector("#chat .bubble-wrap", "log => log.scrollTop") < 50
    for link in reversed(page.locator('#chat .bot-row a[href^="#src-"]').all()):  # earlier answers' sources opened,
        link.click()  # the first answer's quote (far down the panel) clicked last
        page.wait_for_timeout(300)
    page.wait_for_timeout(800)  # the smooth scroll to the last quote clicked
    before = page.eval_on_selector("#sources details.turn-sources", NEWEST_SHOWN)
    assert before["top"] < -100, f"the sources panel should be scrolled down to an earlier quote ({before})"
    ask(page, "What does the agreement reportedly not include?")
    page.wait_for_timeout(1000)
    newest = last_answer(page)
    expect(newest).to_contain_text("[1]")
    shown = page.eval_on_selector("#sources details.turn-sources", NEWEST_SHOWN)
    assert 0 <= shown["top"] < shown["height"], f"the new answer's sources are out of sight: {shown}"
    assert shown["box"] is None or abs(shown["top"] - shown["box"]) < 5, f"the panel stayed scrolled: {shown}"
    expect(page.locator("#sources details.turn-sources").first).to_contain_text("reportedly not include")
    top, height, shown = page.eval_on_selector(
        "#chat .bubble-wrap", "log => [log.scrollTop, log.scrollHeight, log.clientHeight]"
    )
    assert top + shown >= height - 5, f"the chat stayed scrolled up ({top} of {height - shown})"
    expect(page.locator('#chat button[aria-label="Scroll down"]' + VISIBLE)).to_have_count(0)
    expect(page.locator("#question textarea")).to_have_attribute("placeholder", "Your question")
    page.screenshot(path=shots / "01-chat.png")


def test_phone_width_has_no_horizontal_scroll(browser_page: Page, seed_app, request):
    shots = shots_for(request)
    _, url = seed_app
    page = browser_page
    page.set_viewport_size({"width": 420, "height": 860})
    page.goto(url)
    ask(page, SEED_QUESTION)
    ask(page, UNANSWERABLE)
    page.screenshot(path=shots / "01-phone.png", full_page=True)
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
    wider = page.evaluate(
        """() => [...document.querySelectorAll("#chat *, #sources *, #documents *")]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + "." + e.className).slice(0, 5)"""
    )
    assert not wider, f"these stick out to the right: {wider}"


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_light_and_dark_pages(browser_page: Page, seed_app, theme, request):
    shots = shots_for(request)
    _, url = seed_app
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{url}?__theme={theme}")
    ask(page, SEED_QUESTION)
    expect(last_answer(page)).to_contain_text("[1]")
    expect(page.locator("#sources details[open] .src-card mark").first).to_be_visible()
    background = page.evaluate("() => getComputedStyle(document.querySelector('gradio-app')).backgroundColor")
    assert (luminance(background) < 0.1) == (theme == "dark"), background
    page.wait_for_timeout(500)
    page.screenshot(path=shots / f"{theme}.png")
    readme = ROOT / "docs" / ("screenshot.png" if theme == "light" else "screenshot-dark.png")
    if not readme.exists() or os.environ.get("RAG_UPDATE_SCREENSHOT") == "1":
        readme.parent.mkdir(exist_ok=True)
        page.screenshot(path=readme)


def test_the_lists_follow_an_ingest_by_another_process(browser_page: Page, seed_app, tmp_path, request):
    """A `rag ingest` in another process while a question is being typed: within a few seconds the header, the
    documents table and the remove and restrict choices name the new document, and the typed text is intact."""
    from tests.test_two_processes import rag

    shots = shots_for(request)
    assistant, url = seed_app
    page = browser_page
    page.goto(url)
    expect(page.locator("#overview")).not_to_contain_text("Port Zephyr")
    page.click("#question textarea")
    page.keyboard.type("Who keeps the lamp at")
    folder = write_fact_document(tmp_path / "elsewhere").parent
    done = rag("ingest", str(folder), "--data-dir", str(assistant.settings.data_dir))
    assert done.returncode == 0, done.stderr
    expect(page.locator("#overview")).to_contain_text("Port Zephyr", timeout=15_000)
    expect(page.locator("#documents")).to_contain_text("port-zephyr.md")
    assert page.input_value("#question textarea") == "Who keeps the lamp at"
    pick(page, "#remove-choice", "port-zephyr")  # the remove choices know it
    page.keyboard.press("Escape")
    page.click("#settings")
    pick(page, "#restrict", "port-zephyr")  # and so do the restrict choices
    page.keyboard.press("Escape")
    expect(page.locator("#active-filter")).to_contain_text("port-zephyr.md")
    page.screenshot(path=shots / "01-followed.png")
