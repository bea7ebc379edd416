"""Ingestion into a real Chroma store: idempotent, replaces changed files, removes gone ones, survives bad input."""

import builtins
import io
import shutil
from collections import Counter
from pathlib import Path

from rag.cli import main
from rag.ingest.indexer import ADDED, REMOVED, UNCHANGED, UPDATED
from tests.conftest import SEED
from tests.documents import write_docx, write_html, write_pdf


def make_folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    (folder / "notes.md").write_text("# Notes\n\nThe quarterly review is on Friday.", encoding="utf-8")
    write_html(folder / "page.html", "Page", "<p>The lighthouse keeper is named Orla.</p>")
    write_pdf(folder / "report.pdf", ["The budget was 41 million euros.", "Page two mentions penguins."])
    write_docx(folder / "memo.docx", "Memo", ["The office moves to Leeds in May."])
    return folder


def statuses(report):
    return {f.source: f.status for f in report.files}


def test_ingest_is_idempotent_and_embeds_nothing_twice(tmp_path, make_assistant):
    folder = make_folder(tmp_path)
    assistant = make_assistant()
    first = assistant.ingest([folder])
    assert set(statuses(first).values()) == {ADDED} and len(first.files) == 5
    count = assistant.store.count()
    assert first.chunks_embedded == count > 5
    second = assistant.ingest([folder])
    assert set(statuses(second).values()) == {UNCHANGED}
    assert second.chunks_embedded == 0
    assert assistant.store.count() == count
    assert "0 added, 5 unchanged" in second.summary()
    listed = assistant.sources()
    assert all(assistant.document(source) == info for source, info in listed.items())
    assert assistant.document("missing.txt") is None


def test_changed_file_is_replaced_and_gone_file_removed(tmp_path, make_assistant):
    folder = make_folder(tmp_path)
    assistant = make_assistant()
    assistant.ingest([folder])
    (folder / "notes.md").write_text("# Notes\n\nThe quarterly review moved to Tuesday.", encoding="utf-8")
    (folder / "memo.docx").unlink()
    report = assistant.ingest([folder])
    assert statuses(report) == {
        "seed.txt": UNCHANGED,
        "notes.md": UPDATED,
        "page.html": UNCHANGED,
        "report.pdf": UNCHANGED,
        "memo.docx": REMOVED,
    }
    texts = " ".join(c.text for c in assistant.store.chunks())
    assert "Tuesday" in texts and "Friday" not in texts and "Leeds" not in texts
    assert "memo.docx" not in assistant.sources()
    answer = assistant.answer("When is the quarterly review?")
    assert "Tuesday" in answer.text and answer.citations[0].source == "notes.md"


def test_bad_files_fail_alone_and_lose_nothing(tmp_path, make_assistant):
    folder = make_folder(tmp_path)
    assistant = make_assistant(max_file_mb=0.05)
    assistant.ingest([folder])
    before = {c.id for c in assistant.store.chunks()}
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    write_pdf(folder / "locked.pdf", ["secret"], password="pw")
    (folder / "huge.md").write_text("word " * 20000, encoding="utf-8")
    (folder / "table.xlsx").write_bytes(b"PK")
    (folder / "notes.md").write_bytes(b"\xff\xfe broken now")  # an indexed file turns bad: its chunks stay
    report = assistant.ingest([folder])
    failed = {f.source: f.reason for f in report.failed}
    assert set(failed) == {
        "empty.txt",
        "binary.txt",
        "latin.txt",
        "broken.pdf",
        "locked.pdf",
        "huge.md",
        "table.xlsx",
        "notes.md",
    }
    assert all(reason and "\n" not in reason for reason in failed.values())
    assert {c.id for c in assistant.store.chunks()} == before
    assert "8 failed" in report.summary()


def test_cli_ingest_exit_code_and_summary(tmp_path, capsys, monkeypatch):
    folder = make_folder(tmp_path)
    (folder / "bad.txt").write_bytes(b"\x00\x00")
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path / "none"))
    code = main(["ingest", str(folder), "--data-dir", str(tmp_path / "data")])
    out, err = capsys.readouterr()
    assert code == 1
    assert "5 added, 0 unchanged, 0 updated, 0 removed, 1 failed" in out
    assert "failed: bad.txt: binary data" in err
    (folder / "bad.txt").unlink()
    assert main(["ingest", str(folder), "--data-dir", str(tmp_path / "data")]) == 0
    assert "0 added, 5 unchanged, 0 updated, 1 removed" not in capsys.readouterr().out  # bad.txt was never indexed


def test_writes_go_in_batches(tmp_path, make_assistant):
    folder = make_folder(tmp_path)
    assistant = make_assistant(batch_size=2)
    calls = []
    collection = assistant.store.collection
    original = collection.upsert
    collection.upsert = lambda ids, **kw: calls.append(len(ids)) or original(ids=ids, **kw)
    assistant.ingest([folder / "seed.txt"])
    assert calls and max(calls) <= 2 and sum(calls) == assistant.store.count()


def test_single_file_and_remove(tmp_path, make_assistant):
    assistant = make_assistant()
    assistant.ingest([SEED])
    assert list(assistant.sources()) == [SEED.name]
    assert assistant.remove(SEED.name) > 0
    assert assistant.sources() == {} and assistant.store.count() == 0
    assert assistant.remove(SEED.name) == 0


def test_each_file_is_read_once_per_ingest(tmp_path, make_assistant, monkeypatch):
    """The bytes that are fingerprinted are the bytes that are extracted: one read a file, whatever its format."""
    folder = make_folder(tmp_path)
    assistant = make_assistant()
    reads: Counter[str] = Counter()
    real_open = io.open

    def counting_open(file, *args, **kwargs):
        if isinstance(file, (str, Path)) and Path(file).parent == folder:
            reads[Path(file).name] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", counting_open)
    monkeypatch.setattr(builtins, "open", counting_open)
    assistant.ingest([folder])
    assert reads == {name: 1 for name in ("seed.txt", "notes.md", "page.html", "report.pdf", "memo.docx")}


def test_an_index_from_before_versioning_is_dropped_with_a_line_naming_its_documents(tmp_path, make_assistant):
    """Records without a version cannot be told complete from half-written: they are re-indexed, never trusted."""
    assistant = make_assistant()
    vector = assistant.embeddings.embed_query("old text")
    assistant.store.collection.add(
        ids=["old-1", "old-2"],
        embeddings=[vector, vector],
        documents=["old text one", "old text two"],
        metadatas=[{"source": "old-notes.txt", "start": 0, "end": 12}, {"source": "old-notes.txt", "start": 13}],
    )
    report = assistant.ingest([SEED])
    assert report.repaired == [
        "dropped the index of 1 document(s) built by an older version (old-notes.txt); the corpus folder is indexed "
        "again now, run `rag ingest` again for the other files"
    ]
    assert list(assistant.sources()) == [SEED.name]
    assert assistant.store.stored_count() == assistant.store.count()
