"""Uploads index in the background: questions are answered from the index as it is while an upload indexes, and
the upload's row shows its progress in chunks stored / total with the time left.

The handler-level tests drive `ChatPage` from threads as Gradio does; the browser test asks in a real page while a
~200 KB file indexes (screenshots under tests/screenshots/<test name>/).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from rag.indexing import IndexJob, time_left
from tests.test_ui_browser import SEED_QUESTION, WAIT, ask, last_answer
from tests.test_ui_browser import browser_page as browser_page  # the fixture
from tests.test_ui_errors_browser import seed_app as seed_app  # the fixture
from tests.test_ui_errors_browser import shots_for
from tests.ui_fixtures import ask as ask_page
from ui.app import ChatPage

PROGRESS = re.compile(r"indexing: (\d+) of (\d+) chunks")


def write_big_document(folder: Path, kilobytes: int, name: str = "harbour-log.txt") -> Path:
    """A plain-text harbour log of about `kilobytes` KB, every paragraph different (so every chunk is embedded)."""
    folder.mkdir(parents=True, exist_ok=True)
    paragraphs, size, day = [], 0, 0
    while size < kilobytes * 1000:
        day += 1
        paragraph = (
            f"Day {day} of the harbour log. The ferry Marigold {day % 7 + 2} left pier {day % 12 + 1} with "
            f"{day * 3 % 97 + 11} passengers and {day * 7 % 53 + 4} tonnes of cargo. The wind blew from the "
            f"{['north', 'south', 'east', 'west'][day % 4]} at {day % 30 + 5} knots, and the tide peaked at "
            f"{day % 9 + 1}.{day % 10} metres. Harbour master note {day}: nets mended, lamps checked."
        )
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    path = folder / name
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return path


def rows_of(html: str) -> list[list[str]]:
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html)[1:]]


def test_progress_rows_and_time_left():
    job = IndexJob([("a.txt", "waiting", ""), ("b.exe", "failed", "not accepted")])
    job.chunks(0, 3, 40, now=10.0)  # 3 stored by an interrupted run: not part of the speed
    assert job.rows()[0][1] == "indexing: 3 of 40 chunks"
    job.chunks(0, 13, 40, now=15.0)  # 10 chunks in 5 s: 27 more take about 14 s
    assert job.rows() == [("a.txt", "indexing: 13 of 40 chunks, about 14 s left", ""), job.rows()[1]]
    assert time_left(10, 600, 5.0) == ", about 5 min left"


def test_a_question_is_answered_while_an_upload_indexes(make_assistant, tmp_path):
    page = ChatPage(make_assistant(corpus_dir=Path(__file__).resolve().parent.parent / "corpus", batch_size=16))
    ask_page(page, SEED_QUESTION)  # the corpus is indexed and the models are loaded
    document = write_big_document(tmp_path / "in", kilobytes=60)
    tables: list[str] = []
    uploading = threading.Thread(target=lambda: tables.extend(y[0] for y in page.upload([str(document)])))
    uploading.start()
    deadline = time.monotonic() + 300
    while not any(PROGRESS.search(t) and int(PROGRESS.search(t).group(1)) > 0 for t in tables):
        assert uploading.is_alive() and time.monotonic() < deadline, tables[-3:]
        time.sleep(0.05)

    _, turns = ask_page(page, SEED_QUESTION)
    still_indexing = uploading.is_alive()
    uploading.join(timeout=300)

    assert "Svyrydenko" in turns[-1].answer.text
    assert still_indexing, "the answer waited for the upload to finish"
    stored = [int(m.group(1)) for t in tables if (m := PROGRESS.search(t))]
    totals = {int(m.group(2)) for t in tables if (m := PROGRESS.search(t))}
    assert len(set(stored)) >= 3 and stored == sorted(stored), stored  # it advanced, batch by batch
    assert len(totals) == 1 and max(stored) <= totals.pop()
    assert any("s left" in t for t in tables)
    final = rows_of(tables[-1])
    assert final[0][:2] == ["harbour-log.txt", "added"]
    assert page.assistant.document("uploads/harbour-log.txt").chunks == int(final[0][2].split()[0])


def test_uploads_take_turns_and_each_is_reported(make_assistant, tmp_path):
    page = ChatPage(make_assistant())
    first = write_big_document(tmp_path / "a", kilobytes=8, name="first.txt")
    second = write_big_document(tmp_path / "b", kilobytes=8, name="second.txt")
    results: dict[str, list] = {}
    threads = [
        threading.Thread(target=lambda f=f: results.setdefault(f.name, list(page.upload([str(f)]))))
        for f in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for name in ("first.txt", "second.txt"):
        assert rows_of(results[name][-1][0])[0][:2] == [name, "added"]
    assert set(page.assistant.sources()) == {"uploads/first.txt", "uploads/second.txt"}


def answer_seconds(page: Page, question: str) -> float:
    began = time.perf_counter()
    ask(page, question)
    return time.perf_counter() - began


def test_the_page_answers_while_a_200_kb_upload_indexes(browser_page: Page, seed_app, tmp_path, request):
    shots = shots_for(request)
    _, url = seed_app
    page = browser_page
    page.goto(url)
    ask(page, SEED_QUESTION)  # warm: models loaded, corpus indexed
    lone = min(answer_seconds(page, SEED_QUESTION) for _ in range(2))

    document = write_big_document(tmp_path / "upload", kilobytes=200)
    page.set_input_files("#upload input[type=file]", str(document))
    row = page.locator("#upload-results tr", has_text="harbour-log.txt")
    expect(row).to_contain_text(re.compile(r"indexing: [1-9]\d* of \d+ chunks"), timeout=WAIT)
    first = row.inner_text()
    page.screenshot(path=shots / "01-indexing.png", full_page=True)

    during = answer_seconds(page, "What does the agreement reportedly not include?")
    after = row.inner_text()
    expect(last_answer(page)).to_contain_text("[1]")
    page.screenshot(path=shots / "02-answered-while-indexing.png", full_page=True)
    assert "indexing" in after, f"the upload finished before the answer came: {after}"
    assert during <= lone + 2.0, f"alone {lone:.2f} s, while indexing {during:.2f} s"

    expect(row).not_to_contain_text(first, timeout=WAIT)  # the progress moved on
    expect(row).to_contain_text("added", timeout=600_000)
    page.screenshot(path=shots / "03-added.png", full_page=True)
    (shots / "timings.txt").write_text(f"alone {lone:.2f} s; while a 200 KB upload indexed {during:.2f} s\n")
