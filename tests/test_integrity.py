"""An index that lost or corrupted a part says so and repairs; it never answers "the documents don't say" about
documents it lists, and never shows a traceback (issue #30).

Each damage is done to a copy of one index built from three small documents, on the real Chroma store and the real
embedding model, and every command runs as a user runs it: `rag` in a process of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = {
    "bridge.txt": "The Orchid Bridge opened to traffic in 1998 after four years of construction. The Orchid Bridge is "
    "740 metres long and carries two railway tracks.\n",
    "canal.md": "# The Hebble Canal\n\nThe Hebble Canal climbs through 27 locks between Halden and Mirefield. It was "
    "engineered by Thomas Hallworth in 1794.\n\n## Trade\n\nCoal and wool were the main cargoes until the railway "
    "arrived in 1841.\n",
    "leave.md": "# Leave policy\n\n| Leave type | Days |\n|---|---|\n| Annual leave | 25 days |\n"
    "| Sick leave | 12 days on full pay |\n",
}
QUESTIONS = ("How many locks does the Hebble Canal have?", "How long is the Orchid Bridge?")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}
DROP_ONE_CHUNK = """
import sys, chromadb
from chromadb.config import Settings
client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
collection = client.get_collection(client.list_collections()[0].name)
ids = collection.get(where={"source": "canal.md"}, include=[])["ids"]
collection.delete(ids=ids[:1])
"""


def rag(data: Path, *args: str) -> subprocess.CompletedProcess:
    """`rag ARGS --data-dir DATA` in a process of its own, answering from the index alone (no corpus folder)."""
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args, "--data-dir", str(data)],
        cwd=data.parent,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )


def ask(data: Path, question: str) -> subprocess.CompletedProcess:
    return rag(data, "ask", question, "--json", "--corpus", str(data.parent / "no-corpus"))


def answered(done: subprocess.CompletedProcess) -> tuple[str, list[tuple[str, str]]]:
    assert done.returncode == 0, done.stderr
    value = json.loads(done.stdout)
    return value["text"], [(c["source"], c["quote"]) for c in value["citations"]]


def assert_refused(done: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2 with one line that names the damage and the command that repairs it, and no traceback."""
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert all(w in lines[0] for w in words), lines[0]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, Path, dict[str, tuple]]:
    """A built index (its data folder and corpus) and its answers to `QUESTIONS`."""
    root = tmp_path_factory.mktemp("pristine")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    data = root / "data"
    done = rag(data, "ingest", str(corpus))
    assert done.returncode == 0, done.stderr
    answers = {q: answered(ask(data, q)) for q in QUESTIONS}
    assert "27 locks" in answers[QUESTIONS[0]][0]
    return data, corpus, answers


@pytest.fixture
def damaged(pristine, tmp_path):
    """A copy of the built index (beside a copy of its corpus, so that the recorded file paths hold)."""
    data, corpus, answers = pristine
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    return copy, corpus, answers


def assert_like_clean(data: Path, answers: dict[str, tuple]) -> None:
    done = rag(data, "check")
    assert done.returncode == 0 and "ok: 3 document(s), 4 chunks" in done.stdout, done.stdout + done.stderr
    question = QUESTIONS[0]
    assert answered(ask(data, question)) == answers[question]


def scribble(path: Path, at: int = 8192, size: int = 64 * 1024) -> None:
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(os.urandom(size))


# Damages that `rag ingest` repairs from what is intact: the questions are refused until then.
LOST = {
    "chroma deleted": lambda d: shutil.rmtree(d / "chroma"),
    "chroma emptied": lambda d: (d / "chroma" / "chroma.sqlite3").write_bytes(b""),
    "chunks missing": lambda d: subprocess.run([sys.executable, "-c", DROP_ONE_CHUNK, str(d / "chroma")], check=True),
    "manifest zeroed": lambda d: (d / "manifest.sqlite3").write_bytes(b""),
    "manifest deleted": lambda d: (d / "manifest.sqlite3").unlink(),
}


@pytest.mark.parametrize("damage", list(LOST))
def test_a_lost_part_is_named_and_rag_ingest_repairs_it(damaged, damage):
    data, corpus, answers = damaged
    LOST[damage](data)
    assert_refused(ask(data, QUESTIONS[0]), "run `rag ingest`")
    check = rag(data, "check")
    assert_refused(check, "rag ingest")
    if damage.startswith("manifest"):
        assert_refused(rag(data, "sources"), "manifest", "rag ingest")
    else:
        assert rag(data, "sources").stdout.count("chunks") == 3  # listed, and refused above: never "don't say"
    repair = rag(data, "ingest", str(corpus))
    assert repair.returncode == 0 and "Traceback" not in repair.stderr, repair.stderr
    assert "repaired: " in repair.stderr and "0 added, 3 unchanged" in repair.stdout, repair.stderr
    assert_like_clean(data, answers)


# Damages that make a file unreadable: every command refuses in one line until `rag check --repair`.
CORRUPT = {
    "chroma half-truncated": ("chroma/chroma.sqlite3", lambda p: os.truncate(p, p.stat().st_size // 2)),
    "chroma scribbled": ("chroma/chroma.sqlite3", scribble),
    "manifest half-truncated": ("manifest.sqlite3", lambda p: os.truncate(p, p.stat().st_size // 2)),
    "manifest scribbled": ("manifest.sqlite3", lambda p: scribble(p, at=0, size=4096)),
}


@pytest.mark.parametrize("damage", list(CORRUPT))
def test_an_unreadable_file_is_refused_in_one_line_and_check_repair_rebuilds_it(damaged, damage):
    data, corpus, answers = damaged
    name, spoil = CORRUPT[damage]
    spoil(data / name)
    part = "manifest" if name.startswith("manifest") else "vector store"
    assert_refused(ask(data, QUESTIONS[0]), part, "rag check --repair")
    assert_refused(rag(data, "ingest", str(corpus)), part, "rag check --repair")
    assert_refused(rag(data, "remove", "bridge.txt"), part, "rag check --repair")
    assert_refused(rag(data, "check"), part, "rag check --repair")
    if part == "manifest":
        assert_refused(rag(data, "sources"), part, "rag check --repair")
    repair = rag(data, "check", "--repair")
    assert repair.returncode == 0 and "Traceback" not in repair.stderr, repair.stdout + repair.stderr
    assert f"set the unreadable {part} aside" in repair.stdout
    assert list(data.glob(f"{Path(name).name if part == 'manifest' else 'chroma'}.damaged-*"))  # kept, not deleted
    assert_like_clean(data, answers)


@pytest.mark.parametrize("damage", ["lexical deleted", "lexical scribbled", "texts deleted"])
def test_derived_parts_are_rebuilt_without_refusing_questions(damaged, damage):
    data, corpus, answers = damaged
    if damage == "lexical deleted":
        shutil.rmtree(data / "lexical")
    elif damage == "lexical scribbled":
        for path in (data / "lexical").rglob("*"):
            if path.is_file():
                path.write_bytes(os.urandom(200))
    else:
        shutil.rmtree(data / "texts")
    question = QUESTIONS[1]
    done = ask(data, question)
    assert "Traceback" not in done.stderr
    assert answered(done) == answers[question]
    if damage == "texts deleted":
        assert_refused(rag(data, "check"), "text missing", "rag ingest")
        assert "restored the text of canal.md" in rag(data, "ingest", str(corpus)).stderr
    assert_like_clean(data, answers)


def test_a_document_whose_file_is_gone_is_named_until_it_is_removed(tmp_path):
    """Chunks lost by a document whose file is gone cannot be re-embedded: the repair says so, questions stay
    refused (never answered from the rest as if it were not listed) until it is removed or ingested again."""
    corpus, data = tmp_path / "corpus", tmp_path / "data"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    assert rag(data, "ingest", str(corpus)).returncode == 0
    shutil.rmtree(data / "chroma")
    (corpus / "canal.md").unlink()
    repair = rag(data, "ingest", str(corpus / "bridge.txt"), str(corpus / "leave.md"))
    assert "Traceback" not in repair.stderr
    assert "could not repair canal.md (2 of 2 chunks missing from the vector store): its file" in repair.stderr
    assert_refused(ask(data, QUESTIONS[1]), "canal.md (2 of 2 chunks missing")
    assert rag(data, "remove", "canal.md").returncode == 0
    assert "740 metres" in answered(ask(data, QUESTIONS[1]))[0]


UPLOAD = """
import sys
from pathlib import Path
from rag import Assistant
from rag.indexing import ingest_upload
path = Path(sys.argv[2])
print(ingest_upload(Assistant(data_dir=sys.argv[1], corpus_dir=sys.argv[3]), path, path.name))
"""


def test_an_index_that_lost_its_manifest_and_vector_store_says_so_and_gets_its_uploads_back(damaged, tmp_path):
    """Both the manifest and Chroma gone: kept texts remain without their names. Never an empty index, nor
    "the documents don't say": every command names the loss; `rag ingest` indexes the named folders and the kept
    uploads again."""
    data, corpus, answers = damaged
    note = tmp_path / "ferry-note.md"
    note.write_text("# Ferry\n\nThe Halden ferry is skippered by Agnes Moorcroft.\n", encoding="utf-8")
    uploaded = subprocess.run(
        [sys.executable, "-c", UPLOAD, str(data), str(note), str(tmp_path / "no-corpus")],
        env=ENV, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "'added'" in uploaded.stdout, uploaded.stderr
    (data / "manifest.sqlite3").unlink()
    shutil.rmtree(data / "chroma")
    lost = ("lost both its manifest and its vector store", "texts of 4 document(s) remain", "rag ingest FOLDER")
    assert_refused(ask(data, QUESTIONS[0]), *lost)
    assert_refused(rag(data, "sources"), *lost)
    repair = rag(data, "ingest", str(corpus))
    assert repair.returncode == 0 and "Traceback" not in repair.stderr, repair.stderr
    assert "indexing again the 1 uploaded file(s) kept in uploads/" in repair.stderr
    assert "4 added" in repair.stdout
    assert "uploads/ferry-note.md" in rag(data, "sources").stdout
    assert "Agnes Moorcroft" in answered(ask(data, "Who skippers the Halden ferry?"))[0]
    assert answered(ask(data, QUESTIONS[0])) == answers[QUESTIONS[0]]
