"""A time budget per file (`RAG_MAX_SECONDS_PER_FILE`): a file whose reading takes longer is stopped, not indexed,
with a reason, and the run (or the page's indexing worker) goes on with the next file.

The slow file is a real one: a three-page 300 dpi scan, which Tesseract reads in several seconds a page; a budget
of one second stops it in its first page. Nothing is faked: the reader process, its kill and the tesseract it
started are real.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from bench.ocr import page_lines, render
from rag.errors import IngestError
from rag.ingest import budget
from rag.ingest.budget import load_within
from tests.test_background_indexing import rows_of
from tests.test_disk_full import rag
from ui.app import ChatPage

NOTE = "The lighthouse keeper logs the lamp hours in the red ledger."
OVER_BUDGET = r"reading it took longer than 1 s \(RAG_MAX_SECONDS_PER_FILE\); not indexed"


@pytest.fixture(scope="module")
def slow_scan(tmp_path_factory) -> Path:
    page = render(page_lines(), 300)
    path = tmp_path_factory.mktemp("scan") / "scanned-report.pdf"
    page.save(path, "PDF", resolution=300, save_all=True, append_images=[page.copy(), page.copy()])
    return path


def note(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lighthouse-note.txt"
    path.write_text(NOTE + "\n", encoding="utf-8")
    return path


def in_session(session: int) -> list[str]:
    """The live processes of a session (the reader and what it started run in a session of their own), after
    a moment for the kill to land; zombies waiting for their parent to reap them are dead."""
    for _ in range(50):
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(stat.read_text())
        if not found:
            return []
        time.sleep(0.1)
    return found


def test_a_file_over_its_budget_is_stopped_with_everything_it_started(slow_scan):
    budget.warm()
    reader = budget._READER._process.pid
    began = time.perf_counter()
    with pytest.raises(IngestError, match=OVER_BUDGET):
        load_within(1, slow_scan, slow_scan.name, slow_scan.read_bytes())
    assert time.perf_counter() - began < 10  # one second of budget, and the kill: not three pages of OCR
    assert in_session(reader) == []  # the reader and its tesseract are gone
    text = note(slow_scan.parent / "next")
    assert load_within(1, text, text.name, text.read_bytes()).text.strip() == NOTE  # a fresh reader reads on


def test_a_reader_that_dies_loses_that_file_only(slow_scan):
    budget.warm()
    reader = budget._READER._process.pid
    threading.Timer(0.5, lambda: os.kill(reader, 9)).start()
    with pytest.raises(IngestError, match=r"the reader stopped without a result \(exit code -9\); not indexed"):
        load_within(60, slow_scan, slow_scan.name, slow_scan.read_bytes())
    text = note(slow_scan.parent / "after-death")
    assert load_within(60, text, text.name, text.read_bytes()).text.strip() == NOTE


def test_rag_ingest_skips_the_slow_file_with_its_reason_and_indexes_the_rest(tmp_path, slow_scan):
    folder = tmp_path / "docs"
    note(folder)
    (folder / slow_scan.name).write_bytes(slow_scan.read_bytes())
    data = tmp_path / "index" / "data"
    ingest = rag(data, "ingest", str(folder), RAG_MAX_SECONDS_PER_FILE="1")
    out = ingest.stdout + ingest.stderr
    assert "Traceback" not in out
    assert "scanned-report.pdf" in out and "took longer than 1 s (RAG_MAX_SECONDS_PER_FILE)" in out
    ask = rag(data, "ask", "Where does the lighthouse keeper log the lamp hours?")
    assert ask.returncode == 0 and "red ledger" in ask.stdout


def test_an_upload_over_its_budget_fails_with_its_reason_and_the_next_indexes(make_assistant, tmp_path, slow_scan):
    page = ChatPage(make_assistant(max_seconds_per_file=1))
    rows = rows_of(list(page.upload([str(slow_scan)]))[-1][0])
    assert rows[0][:2] == ["scanned-report.pdf", "failed"]
    assert "took longer than 1 s" in " ".join(rows[0])
    rows = rows_of(list(page.upload([str(note(tmp_path / "up"))]))[-1][0])
    assert rows[0][:2] == ["lighthouse-note.txt", "added"]
    assert "red ledger" in page.assistant.answer("Where does the lighthouse keeper log the lamp hours?").text
