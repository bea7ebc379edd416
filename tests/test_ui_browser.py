"""The chat page in a real browser (Playwright for Python, headless Chromium): a streamed answer with `[1]` and its
highlighted sentence, a citation link, feedback, export, an upload that answers, and its removal (mistakes,
refused files and the dark theme: test_ui_errors_browser.py).

Screenshots go to tests/screenshots/<test name>/ (the README's: test_ui_daily_browser.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.ui_fixtures import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FACT_QUESTION,
    SCREENSHOTS,
    running_app,
    write_fact_document,
)

WAIT = 120_000  # ms; only a guard against hanging, never a performance limit
SEED_QUESTION = "Who signed the agreement on behalf of Ukraine?"

# Records each distinct text of the newest answer bubble, to see the answer grow.
WATCH_STREAM = """() => {
  window.seen = [];
  new MutationObserver(() => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    if (!bots.length) return;
    const text = bots[bots.length - 1].innerText;
    if (window.seen[window.seen.length - 1] !== text) window.seen.push(text);
  }).observe(document.querySelector("#chat"), {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(WAIT)
            yield page
        finally:
            browser.close()


def ask(page: Page, question: str) -> None:
    """Ask in the page and wait until the answer's sources section is shown."""
    before = page.locator("#sources details").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    expect(page.locator("#sources details")).to_have_count(before + 1)
    expect(page.locator("#question textarea")).to_have_value("")


def last_answer(page: Page):
    return page.locator('#chat [data-testid="bot"]').last


def test_chat_page_in_a_browser(browser_page: Page, make_assistant, tmp_path, request):
    shots = SCREENSHOTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    assistant = make_assistant(corpus_dir=ROOT / "corpus")
    assistant.sync_corpus()
    page = browser_page
    with running_app(assistant) as url:
        page.goto(url)
        expect(page.locator("#documents")).to_contain_text("us-ukraine-minerals-agreement.txt")

        # A question about the seed article: the answer streams in, carries [1], its sentence is highlighted.
        page.evaluate(WATCH_STREAM)
        ask(page, SEED_QUESTION)
        answer = last_answer(page)
        expect(answer).to_contain_text("[1]")
        # Parts of the answer were shown before the whole (test_ui_server checks every streamed message).
        seen = page.evaluate("window.seen")
        partial = [text.strip() for text in seen if text.strip() not in ("", "…") and "[1]" not in text]
        assert partial and all(seen[-1].startswith(text) for text in partial), seen
        marks = page.locator("#sources details[open] .src-card mark")
        expect(marks.filter(has_text="Svyrydenko")).to_have_count(1)
        card = page.locator("#sources .src-card").filter(has=page.locator("mark", has_text="Svyrydenko"))
        expect(card).to_contain_text("us-ukraine-minerals-agreement.txt")
        expect(card.locator(".where")).to_have_text(re.compile(r"^paragraph \d+$"))  # in words
        expect(card.locator(".where")).to_have_attribute("title", re.compile(r"^chars \d+–\d+$"))  # offsets: tooltip
        page.screenshot(path=shots / "01-answer.png")

        # Each [n] links to its card in the sources panel; following it flashes the card.
        link = answer.locator("a.cite").first
        target = link.get_attribute("href")
        assert re.fullmatch(r"#src-0-1", target)
        link.click()
        expect(page.locator(target)).to_have_class(re.compile(r"\bflash\b"))

        # Thumbs up on that answer is stored with the question, the answer and its citations.
        answer.hover()
        page.locator("#chat button[aria-label='Like']").last.click()
        feedback = assistant.settings.data_dir / "feedback.jsonl"
        expect(page.locator("body")).to_contain_text("feedback was saved")
        record = json.loads(feedback.read_text().splitlines()[-1])
        assert record["rating"] == "up" and record["question"] == SEED_QUESTION and record["citations"]

        # An abstention is shown as such, with the nearest text offered, not cited.
        ask(page, "What is the capital of Australia?")
        expect(last_answer(page)).to_contain_text("The documents don")
        expect(page.locator("#sources details[open]")).to_contain_text("Nearest text found")
        expect(page.locator("#sources details[open] mark")).to_have_count(0)

        # Export the conversation as Markdown with its sources.
        page.click("#export")
        exported = page.locator("#exported a").first
        expect(exported).to_be_visible()
        text = page.request.get(exported.get_attribute("href")).text()
        assert f"## 1. {SEED_QUESTION}" in text and "Sources:" in text and "Svyrydenko" in text

        # Upload a small document and get an answer cited to it.
        document = write_fact_document(tmp_path / "upload")
        page.set_input_files("#upload input[type=file]", str(document))
        results = page.locator("#upload-results")
        expect(results.locator("tr", has_text="port-zephyr.md")).to_contain_text("added")
        expect(page.locator("#documents")).to_contain_text("port-zephyr.md")
        page.screenshot(path=shots / "02-uploaded.png", full_page=True)
        ask(page, FACT_QUESTION)
        expect(last_answer(page)).to_contain_text("Orla Quin")
        expect(last_answer(page)).to_contain_text("[1]")
        cited = page.locator("#sources details[open] .src-card").first
        expect(cited).to_contain_text("port-zephyr.md")
        expect(cited.locator("mark")).to_contain_text("Orla Quin")
        page.screenshot(path=shots / "03-answer-from-upload.png", full_page=True)

        # Remove it: the same question no longer finds the fact.
        page.click("#remove-choice input")
        page.keyboard.type("port-zephyr.md")
        page.locator("ul[role=listbox] li", has_text="port-zephyr.md").first.click()
        page.click("#remove")
        expect(page.locator("#remove-question")).to_contain_text("Remove uploads/port-zephyr.md (1 chunk)")
        page.click("#remove-confirm")
        expect(page.locator("#doc-status")).to_contain_text("Removed uploads/port-zephyr.md")
        expect(page.locator("#documents")).not_to_contain_text("port-zephyr.md")
        ask(page, FACT_QUESTION)
        expect(last_answer(page)).not_to_contain_text("Orla Quin")
        expect(page.locator("#sources details[open]")).not_to_contain_text("port-zephyr.md")
        page.screenshot(path=shots / "04-after-removal.png", full_page=True)
    assert "port-zephyr.md" not in assistant.sources()
