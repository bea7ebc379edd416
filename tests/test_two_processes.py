"""Two processes on one data folder: `rag serve` running while the `rag` command indexes into the same folder.

The page must answer from what the other process indexed without a restart and without an error reaching the
user; its own next write must not undo the other process's work; what the other process removes stops being cited;
a second writer is told who holds the lock.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from rag import Assistant, Settings
from rag.manifest import WriterLock
from tests.conftest import ROOT
from tests.ui_fixtures import FACT_QUESTION, rag_serve, write_fact_document

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "RAG_CORPUS_DIR": "/nonexistent"}


def rag(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300
    )


def write_second_document(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "quarry.md"
    path.write_text(
        "# Quarry\n\nThe Dunmore quarry closed in 1962 after the granite ran out. Its last foreman was Idris Bell.\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_the_page_answers_from_a_document_the_cli_indexed_meanwhile(tmp_path):
    data, log = tmp_path / "data", tmp_path / "server.log"
    with rag_serve(data, ROOT / "corpus", log) as url:
        client = Client(url, verbose=False)
        assert "Svyrydenko" in str(client.predict("Who signed the agreement on behalf of Ukraine?", api_name="/chat"))

        done = rag("ingest", str(write_fact_document(tmp_path / "cli")), "--data-dir", str(data))
        assert done.returncode == 0, done.stderr
        assert "1 added" in done.stdout

        began, answered = time.monotonic(), ""
        while time.monotonic() - began < 20 and "Orla Quin" not in answered:
            answered = str(client.predict(FACT_QUESTION, restrict=["port-zephyr.md"], api_name="/chat"))
        assert "Orla Quin" in answered and "port-zephyr.md" in answered

        # the page writes next (an upload): it must load the other process's writes first, not overwrite them
        table = client.predict([handle_file(str(write_second_document(tmp_path / "page")))], api_name="/upload")[0]
        assert "added" in table
        check_a_fresh_process_sees_all_three(data)

        # the CLI removes a document: the page's next answer must not cite it (nor fail on its missing vectors)
        gone = rag("remove", "port-zephyr.md", "--data-dir", str(data))
        assert gone.returncode == 0, gone.stderr
        _, history, sources = client.predict(FACT_QUESTION, api_name="/chat")
        newest = str(history[-1]["content"]) + sources.split("</details>")[0]  # the panel lists the newest first
        assert "The documents don't say" in newest.replace("\\'", "'")  # the repr of the content escapes the '
        assert "port-zephyr.md" not in newest and "Orla Quin" not in newest
    server_log = log.read_text()
    assert "Traceback" not in server_log and "Something went wrong" not in server_log
    assert "The chat page is at http://127.0.0.1:" in server_log and "share=True" not in server_log


def check_a_fresh_process_sees_all_three(data: Path) -> None:
    """Another reader of the data folder finds every document, by its records, its vectors and its citations."""
    after = Assistant(Settings(data_dir=data, corpus_dir=ROOT / "corpus"))
    assert set(after.sources()) == {"us-ukraine-minerals-agreement.txt", "port-zephyr.md", "uploads/quarry.md"}
    for question, source in [
        (FACT_QUESTION, "port-zephyr.md"),
        ("When did the Dunmore quarry close?", "uploads/quarry.md"),
        ("Who signed the agreement on behalf of Ukraine?", "us-ukraine-minerals-agreement.txt"),
    ]:
        answer = after.answer(question)
        assert answer.citations and answer.citations[0].source == source, question
        dense = after.store.dense_search(after.embeddings.embed_query(question), 3)
        assert source in {chunk.source for chunk, _ in dense}  # the vectors are there, not only the records
        for c in answer.citations:
            assert after.document_text(c.source)[c.start : c.end] == c.quote


@pytest.mark.slow
def test_a_second_writer_is_told_who_holds_the_lock(tmp_path):
    data = tmp_path / "data"
    document = write_fact_document(tmp_path / "in")
    with WriterLock(data).hold():
        busy = rag("ingest", str(document), "--data-dir", str(data))
    assert busy.returncode == 2
    assert f"another `rag` process is indexing {data} (pid {os.getpid()})" in busy.stderr
    assert "Traceback" not in busy.stderr
    done = rag("ingest", str(document), "--data-dir", str(data))
    assert done.returncode == 0 and "1 added" in done.stdout
