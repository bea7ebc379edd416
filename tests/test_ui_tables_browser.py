"""Tables in a real browser (headless Chromium): an answer quoting a row of a Markdown pipe table shows, in the
Sources panel, the table with the cited row highlighted (readable in the light and the dark theme), its `[n]` flashes
that row, "Open document" shows the table with the row in focus, and at a phone's 420 px a wide table scrolls
inside its card instead of widening the page.

Screenshots go to tests/screenshots/<test name>/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_ui_browser import ask, last_answer
from tests.test_ui_browser import browser_page as browser_page  # the fixture
from tests.test_ui_errors_browser import COLOURS, contrast, shots_for
from tests.ui_fixtures import running_app

HANDBOOK = """# Staff handbook

Every employee has paid leave each year; the table lists the days.

| Leave type | Days |
|---|---|
| Annual leave | 27 days |
| Sick leave | 12 days |

| Office | Monday opening hours | Tuesday opening hours | Wednesday opening hours | Thursday opening hours |
|---|---|---|---|---|
| Harbour street office | 08:00 to 18:00 | 08:00 to 18:00 | 08:00 to 20:00 | 08:00 to 18:00 |

- Ask your manager before booking leave.
- Record leave in the HR system.
"""
QUESTION = "How many days of annual leave?"
CARD = "#sources details[open] .src-card"
CITED_ROW = f"{CARD} table.rag-table tr.cited"


@pytest.fixture
def handbook_app(make_assistant, tmp_path):
    """The chat page over an index of the handbook only; yields (assistant, url)."""
    path = tmp_path / "docs" / "handbook.md"
    path.parent.mkdir()
    path.write_text(HANDBOOK, encoding="utf-8")
    assistant = make_assistant()
    assistant.ingest([path])
    with running_app(assistant) as url:
        yield assistant, url


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_cited_table_row_is_a_highlighted_row_of_its_table(browser_page: Page, handbook_app, theme, request):
    shots = shots_for(request)
    _, url = handbook_app
    page = browser_page
    page.emulate_media(color_scheme=theme)
    page.goto(url)
    ask(page, QUESTION)
    expect(last_answer(page)).to_contain_text("27 days")

    table = page.locator(f"{CARD} table.rag-table").first
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(["Days"])
    expect(table.locator("tbody tr")).to_have_count(2)
    row = page.locator(CITED_ROW)
    expect(row).to_have_count(1)
    expect(row.locator("th, td")).to_have_text(["[1]Annual leave", "27 days"])
    expect(row.locator("mark#src-0-1")).to_have_text("Annual leave")
    expect(page.locator(f"{CARD} ul.rag-list li")).to_have_count(2)
    for cell in ("th", "td"):
        text, background = page.evaluate(COLOURS, f"{CITED_ROW} > {cell}")
        assert contrast(text, background) >= 4.5, (theme, cell, text, background)
    page.locator(CARD).first.scroll_into_view_if_needed()
    page.screenshot(path=shots / "01-sources-table.png")

    last_answer(page).locator("a.cite").first.click()  # its [1] flashes the whole row
    expect(row).to_have_class(re.compile(r"\bflash\b"))

    page.locator(f"{CARD} button.open-doc").first.click()
    viewer = page.locator("#doc-viewer .doc-viewer")
    expect(viewer.locator("table.rag-table tr.cited.focus")).to_have_count(1)
    expect(viewer.locator("tr.focus mark.focus[data-n='1']")).to_have_text("Annual leave")
    expect(viewer.locator("table.rag-table")).to_have_count(2)
    viewer.screenshot(path=shots / "02-document-viewer.png")


def test_a_wide_table_scrolls_inside_its_card_at_420_px(browser_page: Page, handbook_app, request):
    shots = shots_for(request)
    _, url = handbook_app
    page = browser_page
    page.set_viewport_size({"width": 420, "height": 900})
    page.goto(url)
    ask(page, QUESTION)
    expect(page.locator(CITED_ROW)).to_have_count(1)
    wide = page.locator(f"{CARD} .rag-table-wrap").nth(1)
    wide.scroll_into_view_if_needed()
    sizes = wide.evaluate("(e) => [e.scrollWidth, e.clientWidth, getComputedStyle(e).overflowX]")
    assert sizes[0] > sizes[1] and sizes[2] == "auto", sizes  # wider than its card: it scrolls there
    assert page.evaluate("document.documentElement.scrollWidth") <= 420  # and the page does not
    card = page.locator(CARD).first.bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= 420, card
    page.screenshot(path=shots / "01-narrow.png")
