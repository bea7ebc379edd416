"""A killed ingest or removal never leaves a half-indexed document behind an "unchanged".

Each case runs the real `rag` command in a subprocess, SIGKILLs it at a chosen write (tests/kill_at.py), looks at
what a reader sees in between, runs the command again, and compares the index with a clean ingest of the same
files into a fresh data folder: the same chunk ids and counts, no duplicates, one version per document, nothing
stored beyond the live versions, and every citation equal to the document text at its offsets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from rag import Assistant, Settings
from rag.cli import main
from tests.conftest import ROOT, SEED, ctrl_c_as_at_a_terminal

BATCH = 4  # chunks per write: the big file takes a dozen batches
QUESTIONS = ["Who signed the agreement on behalf of Ukraine?", "Which colour was lighthouse 17 painted?"]


def big_text(version: int) -> str:
    colours = ["red", "green", "blue", "white", "black", "amber", "violet"]
    paragraphs = [
        f"Lighthouse {n} stands on the {['north', 'south', 'east', 'west'][n % 4]} cape. "
        f"Lighthouse {n} was painted {colours[(n + version) % len(colours)]} in {1800 + n + version}. "
        f"Its keeper in that year wrote {n * 3 + version} letters about the weather and the ships."
        for n in range(1, 121)
    ]
    return "\n\n".join(paragraphs) + "\n"


def make_corpus(folder: Path, version: int = 1) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "seed.txt").write_bytes(SEED.read_bytes())
    (folder / "big.txt").write_text(big_text(version), encoding="utf-8")
    return folder


def settings(data: Path, **extra) -> Settings:
    return Settings(data_dir=data, corpus_dir=data / "no-corpus", batch_size=BATCH, **extra)


def run_killed(method: str, calls: int, *args: str) -> subprocess.CompletedProcess:
    """The `rag` command killed by SIGKILL right after its `calls`th Chroma `method` call."""
    env = {**os.environ, "RAG_BATCH_SIZE": str(BATCH), "HF_HUB_OFFLINE": "1", "RAG_CORPUS_DIR": "/nonexistent"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.kill_at", method, str(calls), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    return done


def snapshot(assistant: Assistant) -> dict:
    store = assistant.store
    chunks = store.chunks()
    return {
        "ids": sorted(c.id for c in chunks),
        "count": len(chunks),
        "stored": store.stored_count(),
        "places": Counter((c.source, c.start, c.end) for c in chunks),
        "documents": {s: (i.fingerprint, i.chunks) for s, i in assistant.sources().items()},
    }


def check_consistent(assistant: Assistant, reference: dict) -> None:
    got = snapshot(assistant)
    assert got["ids"] == reference["ids"]
    assert got["count"] == reference["count"] == got["stored"]  # nothing stored beyond the live versions
    assert max(got["places"].values()) == 1  # no duplicate (source, start, end)
    assert got["documents"] == reference["documents"]  # one version (fingerprint) per document
    gens = {m["gen"] for m in assistant.store.collection.get(include=["metadatas"])["metadatas"]}
    assert gens == {i.gen for i in assistant.sources().values()}
    for question in QUESTIONS:
        answer = assistant.answer(question)
        assert answer.citations, question
        for c in answer.citations:
            assert assistant.document_text(c.source)[c.start : c.end] == c.quote


@pytest.fixture(scope="module")
def references(tmp_path_factory, embeddings) -> dict[int, dict]:
    """Clean ingests, into fresh data folders, of the corpus with version 1 and version 2 of the big file."""
    found = {}
    for version in (1, 2):
        base = tmp_path_factory.mktemp(f"reference-{version}")
        assistant = Assistant(settings(base / "data"), embeddings=embeddings)
        assistant.ingest([make_corpus(base / "docs", version)])
        found[version] = snapshot(assistant)
    assert found[1]["count"] > 6 * BATCH
    return found


def reader(data: Path, embeddings) -> Assistant:
    return Assistant(settings(data), embeddings=embeddings)


@pytest.mark.slow
@pytest.mark.parametrize("calls", [1, 5], ids=["after-first-batch", "mid-file"])
def test_killed_first_ingest(tmp_path, embeddings, references, calls):
    folder, data = make_corpus(tmp_path / "docs"), tmp_path / "data"
    run_killed("upsert", calls, "ingest", str(folder), "--data-dir", str(data))

    between = reader(data, embeddings)
    assert "big.txt" not in between.sources()  # the half-written document is not visible
    assert all(c.source != "big.txt" for c in between.store.chunks())

    assert main(["ingest", str(folder), "--data-dir", str(data)]) == 0
    after = reader(data, embeddings)
    assert snapshot(after)["documents"]["big.txt"][1] == references[1]["documents"]["big.txt"][1]
    check_consistent(after, references[1])
    again = after.ingest([folder])
    assert {f.status for f in again.files} == {"unchanged"} and again.chunks_embedded == 0


@pytest.mark.slow
@pytest.mark.parametrize(("method", "calls"), [("upsert", 2), ("delete", 1)], ids=["writing-new", "deleting-old"])
def test_killed_reingest_of_a_changed_file(tmp_path, embeddings, references, method, calls):
    folder, data = make_corpus(tmp_path / "docs"), tmp_path / "data"
    reader(data, embeddings).ingest([folder])
    make_corpus(folder, version=2)
    run_killed(method, calls, "ingest", str(folder), "--data-dir", str(data))

    between = reader(data, embeddings)
    expected = 1 if method == "upsert" else 2  # the old version until the new one is complete, then the new one
    assert between.sources()["big.txt"].fingerprint == references[expected]["documents"]["big.txt"][0]
    assert sorted(c.id for c in between.store.chunks()) == references[expected]["ids"]

    code = main(["ingest", str(folder), "--data-dir", str(data)])
    assert code == 0
    check_consistent(reader(data, embeddings), references[2])


@pytest.mark.slow
def test_killed_remove(tmp_path, embeddings, references, capsys):
    folder, data = make_corpus(tmp_path / "docs"), tmp_path / "data"
    reader(data, embeddings).ingest([folder])
    run_killed("delete", 1, "remove", "big.txt", "--data-dir", str(data))

    between = reader(data, embeddings)
    assert "big.txt" not in between.sources()  # hidden at once, although its chunks are not all deleted yet
    assert all(c.source != "big.txt" for c in between.store.chunks())
    assert between.store.stored_count() > between.store.count()

    assert main(["ingest", str(folder), "--data-dir", str(data)]) == 0
    assert "repaired: finished removing" in capsys.readouterr().err
    check_consistent(reader(data, embeddings), references[1])


@pytest.mark.slow
def test_ctrl_c_ends_with_one_line_and_the_next_run_finishes(tmp_path, embeddings, references):
    folder, data = make_corpus(tmp_path / "docs"), tmp_path / "data"
    env = {**os.environ, "RAG_BATCH_SIZE": "1", "HF_HUB_OFFLINE": "1", "RAG_CORPUS_DIR": "/nonexistent"}
    # A real SIGINT, sent by the process to itself right after its 5th upsert (`tests.kill_at`): mid-ingest at a
    # known point, where polling from outside could miss the run on a busy machine.
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.kill_at", "upsert", "5", "ingest", str(folder), "--data-dir", str(data)],
        cwd=ROOT,
        env={**env, "KILL_AT_SIGNAL": "SIGINT"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "interrupted; run `rag ingest` again to finish"

    assert main(["ingest", str(folder), "--data-dir", str(data)]) == 0
    check_consistent(reader(data, embeddings), references[1])
