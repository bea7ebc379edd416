"""The chat page's first view in a real browser (headless Chromium) at 1400x900: the indexed documents at a glance
(count and names) near the title and three example questions under the question box, all above the fold; an
example asks itself and gets a cited answer; both follow an upload and a removal; an abstention's bubble says the
nearest text is in the Sources panel; with nothing indexed, no example is shown.

Screenshots go to tests/screenshots/<test name>/.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import SEED
from tests.test_ui_browser import ask, last_answer
from tests.test_ui_browser import browser_page as browser_page  # the fixture
from tests.test_ui_errors_browser import seed_app as seed_app  # the fixture
from tests.ui_fixtures import SCREENSHOTS, running_app, write_fact_document

WIDTH, HEIGHT = 1400, 900
EXAMPLES = "#examples button.example:visible"


def shots_for(request) -> Path:
    shots = SCREENSHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    return shots


def above_the_fold(page: Page, selector: str) -> None:
    """The element is shown whole inside the 1400x900 viewport, without scrolling."""
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (selector, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, (selector, box)


def test_first_view_shows_documents_and_examples_that_ask(browser_page: Page, seed_app, tmp_path, request):
    shots = shots_for(request)
    assistant, url = seed_app
    questions = [e.question for e in assistant.examples()]
    assert len(questions) == 3
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.goto(url)

    overview = page.locator("#overview")
    expect(overview).to_contain_text(f"1 document: {SEED.name}")
    expect(page.locator(EXAMPLES)).to_have_count(3)
    expect(page.locator(EXAMPLES)).to_have_text(questions)
    page.wait_for_timeout(300)  # settle the layout for the boxes and the screenshot
    for selector in ("#overview", "#question", *(f"#example-{i}" for i in range(3))):
        above_the_fold(page, selector)
    page.screenshot(path=shots / "01-first-view.png")

    # An example goes into the question box and is asked: a cited answer appears.
    page.click("#example-1")
    expect(page.locator("#sources details")).to_have_count(1)
    expect(page.locator('#chat [data-testid="user"]').last).to_have_text(questions[1])
    expect(last_answer(page).locator("a.cite")).not_to_have_count(0)
    expect(page.locator("#sources details[open] .src-card mark").first).to_be_visible()
    expect(page.locator("#sources details[open] .src-card").first).to_contain_text(SEED.name)
    page.screenshot(path=shots / "02-example-asked.png")

    # An abstention says where the nearest text is.
    ask(page, "What is the capital of Australia?")
    expect(last_answer(page)).to_contain_text("The nearest text found is in the Sources panel")
    expect(page.locator("#sources details[open]")).to_contain_text("Nearest text found")
    page.screenshot(path=shots / "03-abstention.png")

    # An upload is counted, named and offers its example first; its removal takes them away.
    page.set_input_files("#upload input[type=file]", str(write_fact_document(tmp_path / "upload")))
    expect(page.locator("#upload-results tr", has_text="port-zephyr.md")).to_contain_text("added")
    expect(overview).to_contain_text("2 documents:")
    expect(overview).to_contain_text("Port Zephyr")
    expect(page.locator(EXAMPLES).first).to_have_text("What is Port Zephyr?")
    expect(page.locator(EXAMPLES)).to_have_count(3)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=shots / "04-after-upload.png")

    page.click("#remove-choice input")
    page.keyboard.type("port-zephyr.md")
    page.locator("ul[role=listbox] li", has_text="port-zephyr.md").first.click()
    page.click("#remove")
    page.click("#remove-confirm")
    expect(page.locator("#doc-status")).to_contain_text("Removed uploads/port-zephyr.md")
    expect(overview).to_contain_text(f"1 document: {SEED.name}")
    expect(page.locator(EXAMPLES)).to_have_text(questions)


def test_with_nothing_indexed_no_example_is_shown(browser_page: Page, make_assistant, request):
    shots = shots_for(request)
    assistant = make_assistant()
    page = browser_page
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    with running_app(assistant) as url:
        page.goto(url)
        expect(page.locator("#overview")).to_contain_text("No documents are indexed yet")
        above_the_fold(page, "#overview")
        page.wait_for_timeout(500)  # the page's load events have run
        expect(page.locator(EXAMPLES)).to_have_count(0)
        page.screenshot(path=shots / "empty.png")
