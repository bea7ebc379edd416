"""Mistakes and themes on the chat page in a real browser (headless Chromium): a mistake is a warning toast that
leaves the page as it was and usable (no error badge over a component), removing an upload updates what the page
says about it, and the highlighted quote is readable in the light and the dark theme (WCAG contrast >= 4.5).

Screenshots go to tests/screenshots/<test name>/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ROOT
from tests.test_ui_browser import SEED_QUESTION, ask, last_answer
from tests.test_ui_browser import browser_page as browser_page  # the fixture
from tests.ui_fixtures import SCREENSHOTS, running_app, write_fact_document

CLICKABLE = 10_000  # ms; a click that an overlay intercepts fails within this
ERROR_BADGES = "[data-testid=status-tracker] span.error:visible"  # Gradio's red "Error" over a failed output

# The text colour, and the first non-transparent background behind it, of the element matched by a selector.
COLOURS = """(selector) => {
  const element = document.querySelector(selector);
  let back = element;
  while (back && getComputedStyle(back).backgroundColor.replace(/\\s/g, "").endsWith(",0)")) back = back.parentElement;
  return [getComputedStyle(element).color, back ? getComputedStyle(back).backgroundColor : "rgb(255, 255, 255)"];
}"""


def shots_for(request) -> Path:
    shots = SCREENSHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    return shots


def luminance(css: str) -> float:
    """WCAG relative luminance of a CSS `rgb(r, g, b)` or `rgba(r, g, b, a)` colour (alpha ignored)."""
    channels = [float(x) / 255 for x in css[css.index("(") + 1 : css.index(")")].replace(",", " ").split()[:3]]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_formula():
    assert contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)") == pytest.approx(21)
    assert contrast("rgba(119, 119, 119, 1)", "rgb(255, 255, 255)") == pytest.approx(4.48, abs=0.01)
    assert contrast("rgb(250, 250, 250)", "rgb(255, 229, 102)") < 1.5  # near-white on the yellow highlight


@pytest.fixture
def seed_app(make_assistant):
    """The chat page over its own index of the seed corpus; yields (assistant, url)."""
    assistant = make_assistant(corpus_dir=ROOT / "corpus")
    assistant.sync_corpus()
    with running_app(assistant) as url:
        yield assistant, url


UNBROKEN_LINES = """selector => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector(selector));
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""  # how many lines a cell's text takes


def warning(page: Page, text: str):
    """The warning toast showing `text` (a warning, not an error toast), once it has slid in."""
    toast = page.locator("[data-testid=toast-body].warning", has_text=text)
    expect(toast).to_be_visible()
    page.wait_for_timeout(400)  # its entry animation, for the screenshot
    return toast


def test_an_empty_question_warns_and_the_page_stays_usable(browser_page: Page, seed_app, request):
    shots = shots_for(request)
    _, url = seed_app
    page = browser_page
    page.goto(url)
    ask(page, SEED_QUESTION)
    chat, sources = page.inner_html("#chat .bubble-wrap"), page.inner_text("#sources")

    page.click("#question textarea")
    page.keyboard.press("Enter")
    expect(warning(page, "Type a question first.")).to_be_visible()
    page.screenshot(path=shots / "01-warning.png")
    expect(page.locator(ERROR_BADGES)).to_have_count(0)
    assert page.inner_html("#chat .bubble-wrap") == chat and page.inner_text("#sources") == sources

    page.click("#question textarea", timeout=CLICKABLE)  # no overlay in the way
    page.keyboard.type("What does the agreement reportedly not include?")
    page.keyboard.press("Enter")
    expect(page.locator("#sources details")).to_have_count(2)
    expect(last_answer(page)).to_contain_text("[1]")
    expect(page.locator(ERROR_BADGES)).to_have_count(0)
    page.screenshot(path=shots / "02-answer-after.png")


def test_remove_with_nothing_chosen_warns_and_a_removal_updates_the_page(
    browser_page: Page, seed_app, tmp_path, request
):
    shots = shots_for(request)
    assistant, url = seed_app
    page = browser_page
    page.goto(url)
    expect(page.locator("#documents")).to_contain_text("us-ukraine-minerals-agreement.txt")
    table = page.inner_text("#documents table")

    page.click("#remove")
    expect(warning(page, "Choose a document to remove first.")).to_be_visible()
    expect(page.locator(ERROR_BADGES)).to_have_count(0)
    assert page.inner_text("#documents table") == table
    page.screenshot(path=shots / "01-warning.png", full_page=True)

    # The picker still works: upload a document, search only it, then remove it.
    page.set_input_files("#upload input[type=file]", str(write_fact_document(tmp_path / "upload")))
    row = page.locator("#upload-results tr", has_text="port-zephyr.md")
    expect(row).to_contain_text("added")
    page.click("#settings")
    page.click("#restrict input", timeout=CLICKABLE)
    page.locator("ul[role=listbox] li", has_text="uploads/port-zephyr.md").first.click()
    page.keyboard.press("Escape")
    page.click("#remove-choice input", timeout=CLICKABLE)
    page.keyboard.type("port-zephyr")
    page.locator("ul[role=listbox] li", has_text="uploads/port-zephyr.md").first.click()
    page.click("#remove")
    page.click("#remove-confirm", timeout=CLICKABLE)
    status = page.locator("#doc-status")
    expect(status).to_contain_text("Removed uploads/port-zephyr.md")
    expect(status).to_contain_text("questions now search all documents")
    expect(row).to_contain_text("removed from the index")
    expect(row).not_to_contain_text("added")
    expect(page.locator("#restrict")).not_to_contain_text("port-zephyr")
    page.screenshot(path=shots / "02-removed.png", full_page=True)
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 800})  # the result's word stays whole on a small phone
    lines = page.evaluate(UNBROKEN_LINES, "#upload-results tr.removed td:nth-child(2)")
    page.set_viewport_size(size)
    assert lines == 1, lines

    # The status line goes once the user moves on (here: picks another document to remove).
    page.click("#remove-choice input", timeout=CLICKABLE)
    page.locator("ul[role=listbox] li", has_text="us-ukraine").first.click()
    expect(status).not_to_contain_text("Removed")
    assert "uploads/port-zephyr.md" not in assistant.sources()


def test_an_unsupported_upload_is_a_warning_and_a_table_row(browser_page: Page, seed_app, tmp_path, request):
    shots = shots_for(request)
    assistant, url = seed_app
    before = (assistant.store.count(), sorted(assistant.sources()))
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ" + b"\0" * 100)
    page = browser_page
    page.goto(url)
    expect(page.locator("#documents")).to_contain_text("us-ukraine-minerals-agreement.txt")
    page.set_input_files("#upload input[type=file]", str(tool))
    expect(warning(page, "tool.exe was refused: .exe files are not accepted")).to_be_visible()
    expect(page.locator("#upload-results tr", has_text="tool.exe")).to_contain_text("failed")
    expect(page.locator(ERROR_BADGES)).to_have_count(0)
    page.screenshot(path=shots / "refused.png")
    assert (assistant.store.count(), sorted(assistant.sources())) == before


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_highlighted_quote_is_readable(browser_page: Page, seed_app, theme, request):
    shots = shots_for(request)
    _, url = seed_app
    page = browser_page
    page.emulate_media(color_scheme=theme)
    page.goto(url)
    expect(page.locator("#documents")).to_contain_text("us-ukraine-minerals-agreement.txt")
    dark = (
        expect(page.locator("body")).to_have_class
        if theme == "dark"
        else expect(page.locator("body")).not_to_have_class
    )
    dark(re.compile(r"\bdark\b"))  # Gradio follows the browser's colour scheme
    ask(page, SEED_QUESTION)
    mark = "#sources details[open] .src-card mark"
    expect(page.locator(f"{mark} b.short")).to_have_count(1)  # the short answer, bold inside the highlight
    page.locator(mark).first.scroll_into_view_if_needed()
    page.screenshot(path=shots / f"{theme}.png")
    page_colours = page.evaluate(COLOURS, "#sources")
    assert (luminance(page_colours[1]) < 0.1) == (theme == "dark"), page_colours  # the theme really is applied
    for selector in (mark, f"{mark} b.short"):
        text, background = page.evaluate(COLOURS, selector)
        assert contrast(text, background) >= 4.5, (selector, text, background)
