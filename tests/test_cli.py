"""The `rag` command: default folders relative to the current folder, never the checkout; light commands that
import nothing heavy; unknown sources as usage errors; the nearest text of a refusal shown as text."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from rag.cli import main
from rag.config import Settings
from tests.conftest import ROOT, SEED, ctrl_c_as_at_a_terminal

HEAVY = ("gradio", "torch", "transformers", "sentence_transformers", "langchain_openai", "xllamacpp", "matplotlib")
SEARCH = "chromadb"  # what `rag ask` imports, to show that the probe does see imports
NEVER_FOR_ASK = ("gradio", "langchain_openai", "xllamacpp", "matplotlib")
SKIPPED = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
# Run `rag.cli.main` in a fresh process and report, on its last stderr line, which heavy modules it imported.
PROBE = (
    "import json, sys; from rag.cli import main; code = main(sys.argv[1:]); "
    f"print(json.dumps(sorted(m for m in {(*HEAVY, SEARCH)!r} if m in sys.modules)), file=sys.stderr); sys.exit(code)"
)


def checkout_files() -> dict[str, int]:
    """Every file of the checkout (without virtualenv, git and caches) with its modification time."""
    files = {}
    for folder, dirs, names in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in names:
            path = Path(folder, name)
            files[str(path.relative_to(ROOT))] = path.lstat().st_mtime_ns
    return files


def run_rag(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    """`rag ARGS` in a process of its own in `cwd`, without RAG_* variables; also the heavy modules it imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env |= {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    lines = done.stderr.strip().splitlines()
    return done, json.loads(lines[-1]) if lines and lines[-1].startswith("[") else []


@pytest.fixture(scope="module")
def asked_elsewhere(tmp_path_factory):
    """`rag ask` in a folder outside the checkout that holds a corpus/ folder, with the checkout's files before and
    after."""
    here = tmp_path_factory.mktemp("elsewhere")
    (here / "corpus").mkdir()
    (here / "corpus" / "bridge.txt").write_text("The Harbour Bridge was painted red in 1990.\n", encoding="utf-8")
    before = checkout_files()
    done, imported = run_rag(["ask", "When was the Harbour Bridge painted red?"], here)
    return here, done, imported, before, checkout_files()


def test_ask_in_another_folder_writes_nothing_into_the_checkout(asked_elsewhere):
    _, done, _, before, after = asked_elsewhere
    assert done.returncode == 0, done.stderr  # it did index and answer
    # Others may edit ui/ and tests/ meanwhile, and (only if the checkout already has an index) use it with
    # `rag serve`: those are left out of the listing; the checkout's index is checked for the document instead.
    ignored = ("ui/", "tests/", ".rag-data/") if any(p.startswith(".rag-data/") for p in before) else ("ui/", "tests/")
    changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert {p for p in changed if not p.startswith(ignored)} == set()
    assert "bridge.txt" not in indexed_sources(ROOT / ".rag-data")


def test_ask_in_another_folder_indexes_its_corpus_into_its_data_folder(asked_elsewhere):
    here, done, _, _, _ = asked_elsewhere
    assert done.returncode == 0, done.stderr
    assert "1990" in done.stdout and "bridge.txt" in done.stdout
    assert indexed_sources(here / ".rag-data") == {"bridge.txt"}  # ./corpus into ./.rag-data


def indexed_sources(data_dir: Path) -> set[str]:
    """Every source the manifest of a data folder records (none when there is no manifest)."""
    path = data_dir / "manifest.sqlite3"
    if not path.is_file():
        return set()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT source FROM generations")}


def test_ask_loads_neither_the_page_nor_the_llm_libraries(asked_elsewhere):
    _, done, imported, _, _ = asked_elsewhere
    assert done.returncode == 0, done.stderr
    assert SEARCH in imported  # the index is searched: the probe does see imports
    assert "sentence_transformers" not in imported and "torch" not in imported  # rag.embed_fast embeds the question
    assert not set(imported) & set(NEVER_FOR_ASK)


def test_sources_imports_nothing_heavy_and_creates_nothing(tmp_path):
    done, imported = run_rag(["sources"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"No documents are indexed in {tmp_path / '.rag-data'}" in done.stdout
    assert imported == []
    assert list(tmp_path.iterdir()) == []  # looking created nothing


def test_ask_without_an_index_or_a_corpus_says_so_and_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_DATA_DIR", raising=False)
    monkeypatch.delenv("RAG_CORPUS_DIR", raising=False)
    assert main(["ask", "Who signed it?"]) == 2
    err = capsys.readouterr().err
    assert f"nothing is indexed in {tmp_path / '.rag-data'}" in err and "rag ingest" in err
    assert list(tmp_path.iterdir()) == []


def test_default_folders_are_in_the_current_folder_as_the_help_says(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_DATA_DIR", raising=False)
    monkeypatch.delenv("RAG_CORPUS_DIR", raising=False)
    settings = Settings()
    assert (settings.data_dir, settings.corpus_dir) == (tmp_path / ".rag-data", tmp_path / "corpus")
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert ".rag-data in the current folder" in help_text and "./corpus" in help_text


@pytest.fixture
def seeded(seed_assistant) -> list[str]:
    """Options that point `rag` at the session's index of the shipped corpus."""
    return ["--data-dir", str(seed_assistant.settings.data_dir), "--corpus", str(ROOT / "corpus")]


def test_ask_with_an_unknown_source_is_a_usage_error_naming_the_closest(seeded, capsys):
    assert main(["ask", "Who signed the agreement?", "--source", "minerals-agreement.txt", *seeded]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err.strip()
        == f"error: 'minerals-agreement.txt' is not indexed; the closest indexed: {SEED.name} (`rag sources`)"
    )
    assert main(["ask", "Who signed the agreement?", "--source", "nope.pdf", "--json", *seeded]) == 2
    assert f"'nope.pdf' is not indexed; the indexed documents are: {SEED.name}" in capsys.readouterr().err


def test_a_refusal_shows_the_nearest_text_with_its_document_not_offsets(seeded, capsys):
    assert main(["ask", "What is the capital of Australia?", *seeded]) == 0
    out = capsys.readouterr().out
    nearest = out.split("Nearest text found (it does not answer the question):\n")[1].splitlines()
    assert 1 <= len(nearest) <= 3
    for line in nearest:
        assert line.startswith(f"  - {SEED.name}")
        assert not re.search(r"\[\d+:\d+\]", line)
        quote = re.search(r": “(.+)”$", line)
        assert quote and 40 <= len(quote.group(1)) <= 102
        words = quote.group(1).removesuffix(" …").split()
        assert " ".join(words) in " ".join(SEED.read_text(encoding="utf-8").split())  # the document's own words


def test_the_embedding_model_loads_only_when_a_text_is_embedded(seed_assistant):
    from rag.chain import Assistant
    from rag.store import LocalEmbeddings

    embeddings = LocalEmbeddings(seed_assistant.settings.embedding_model_path())
    assistant = Assistant(seed_assistant.settings, embeddings=embeddings)
    assert assistant.sync_corpus().count("unchanged") == 1 and SEED.name in assistant.sources()
    assert embeddings._model is None  # building, checking the corpus and listing embed nothing
    assert not assistant.answer("Who signed the agreement on behalf of Ukraine?").abstained
    assert embeddings._model is not None


def test_ingest_names_the_parts_of_a_document_it_left_out(tmp_path, capsys):
    """A PDF whose second page is a scan of nothing: indexed from its first page, and the run says page 2 was left
    out and why, instead of dropping it silently."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    blank = tmp_path / "blank.png"
    Image.new("L", (1700, 2200), 255).save(blank)
    (tmp_path / "docs").mkdir()
    pdf = canvas.Canvas(str(tmp_path / "docs" / "notes.pdf"))
    pdf.drawString(72, 720, "The harbour wall was rebuilt in 1931 after the winter storms.")
    pdf.showPage()
    pdf.drawImage(ImageReader(str(blank)), 0, 0, width=612, height=792)
    pdf.showPage()
    pdf.save()
    code = main(["ingest", "--data-dir", str(tmp_path / "data"), str(tmp_path / "docs")])
    captured = capsys.readouterr()
    assert code == 0 and "1 added" in captured.out
    assert "left out of notes.pdf: page 2: OCR read no text" in captured.err


def test_rag_sources_into_a_pipe_closed_early_ends_quietly(tmp_path):
    """`rag sources | head -1` on a large index: exit 141 (as SIGPIPE would), no traceback (#30)."""
    from rag.manifest import Manifest

    data = tmp_path / "data"
    Manifest(data).close()
    with sqlite3.connect(data / "manifest.sqlite3") as db:
        rows = [(f"g{i}", f"document-{i:05}.txt", "live", "f", "A title", "", "", 3, 100) for i in range(5000)]
        db.executemany("INSERT INTO generations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "sources", "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    assert process.stdout.readline().startswith(b"document-00000.txt")
    process.stdout.close()  # the reader goes, as `head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, err
    assert err == ""


def test_ctrl_c_stops_rag_serve_at_once(tmp_path):
    """Ctrl-C ends `rag serve` with the CLI's one line and exit code 130. (The serve loop is our own so that the
    interrupt reaches the CLI's immediate exit rather than Gradio's shutdown, which waits for the uploads in flight,
    #30; this test has none in flight, so it checks the exit, not that wait.)"""
    import signal
    import socket

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The Orchid Bridge is 740 metres long.", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {"HF_HUB_OFFLINE": "1"}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "rag.cli", "serve", "--port", port, "--corpus", str(corpus), "--data-dir", "data"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )
    try:
        seen = []
        while not seen or ("The chat page is at" not in seen[-1] and seen[-1]):  # up, or ended
            seen.append(process.stderr.readline())
        assert "The chat page is at" in seen[-1], "".join(seen)
        process.send_signal(signal.SIGINT)
        err = process.communicate(timeout=30)[1]
    finally:
        process.kill()  # a server that did not stop must not outlive the test
        process.wait()
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "interrupted" and "Traceback" not in err
