"""The BM25 index kept on disk (#10 item 4): loaded memory-mapped after a restart without reading the chunks again,
in step with adds and removes (in this process and in another one), and never taken from a stale or broken copy."""

from __future__ import annotations

import json

import numpy as np

from rag.lexical import LexicalIndex, open_persisted
from rag.store import Store
from rag.types import Chunk

CHUNKS = [
    Chunk("a", "Rare earth minerals are mined in the north.", "one.txt", 0, 44),
    Chunk("b", "The harbor lighthouse was built in 1874.", "two.txt", 0, 40),
    Chunk("c", "Lighthouse keepers logged every storm.", "two.txt", 41, 79),
]


def write_docs(folder, **texts):
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def test_saved_copy_scores_like_the_built_one(tmp_path):
    built = LexicalIndex(CHUNKS)
    built.save(tmp_path / "copy", "s1")
    loaded = LexicalIndex.load(tmp_path / "copy", fetch=lambda ids: [c for c in CHUNKS if c.id in ids])
    for query in ("lighthouse storm", "rare minerals", "built 1874"):
        assert [(c.id, round(s, 6)) for c, s in loaded.search(query, 3)] == [
            (c.id, round(s, 6)) for c, s in built.search(query, 3)
        ]
    assert sorted(c.id for c, _ in loaded.search("lighthouse", 3, sources=["two.txt"])) == ["b", "c"]
    assert loaded.search("lighthouse", 3, sources=["one.txt"]) == []
    assert loaded.idf("lighthous") == built.idf("lighthous") < loaded.idf("unseen")
    assert isinstance(loaded._bm25.scores["data"], np.memmap)


def test_a_stale_stamp_or_a_broken_copy_is_rebuilt(tmp_path):
    folder = tmp_path / "lexical"
    calls = []

    def chunks():
        calls.append(1)
        return CHUNKS

    def fetch(ids):
        return [c for c in CHUNKS if c.id in ids]

    open_persisted(folder, "v1", chunks, fetch)
    assert open_persisted(folder, "v1", chunks, fetch).search("storm", 1)[0][0].id == "c"
    assert len(calls) == 1  # the second open read the saved copy
    open_persisted(folder, "v2", chunks, fetch)
    assert len(calls) == 2  # another stamp: rebuilt
    assert len(list(folder.glob("copy-*"))) == 1  # the old copy went
    current = folder / (folder / "current").read_text()
    (current / "index.json").write_text("{not json")  # a damaged copy
    assert open_persisted(folder, "v2", chunks, fetch).search("storm", 1)[0][0].id == "c"
    assert len(calls) == 3
    (folder / "current").write_text("copy-gone")  # a pointer to a missing copy
    open_persisted(folder, "v2", chunks, fetch)
    assert len(calls) == 4
    assert json.loads((folder / (folder / "current").read_text() / "index.json").read_text())["stamp"] == "v2"


def test_the_index_survives_a_restart_without_reading_the_chunks(make_assistant, tmp_path, monkeypatch):
    docs = write_docs(
        tmp_path / "docs",
        harbor="The Harbor Lighthouse was built in 1874 by the port authority.",
        mines="Rare earth minerals are mined in the northern provinces.",
    )
    first = make_assistant()
    first.ingest([docs])
    before = [(c.id, s) for c, s in first.retriever.lexical.search("lighthouse built", 5)]
    del first

    def no_chunk_reads(self, source=None):
        if source is None:
            raise AssertionError("the lexical index was rebuilt from the store on restart")
        return original(self, source)

    original = Store.chunks
    monkeypatch.setattr(Store, "chunks", no_chunk_reads)
    again = make_assistant()
    assert [(c.id, s) for c, s in again.retriever.lexical.search("lighthouse built", 5)] == before
    answer = again.answer("When was the Harbor Lighthouse built?")
    assert "1874" in answer.text and answer.citations[0].source == "harbor.txt"


def test_the_index_follows_adds_and_removes_here_and_in_another_process(make_assistant, tmp_path):
    docs = write_docs(tmp_path / "docs", harbor="The Harbor Lighthouse was built in 1874 by the port authority.")
    serving = make_assistant()
    serving.ingest([docs])
    writer = make_assistant()  # stands for another process on the same data dir (its own manifest view)
    write_docs(docs, mill="The old windmill grinds barley every autumn.")
    writer.ingest([docs])
    assert [c.source for c, _ in writer.retriever.lexical.search("windmill barley", 3)] == ["mill.txt"]

    assert serving.refresh()  # sees the other's change and loads the copy it saved
    assert [c.source for c, _ in serving.retriever.lexical.search("windmill barley", 3)] == ["mill.txt"]
    assert "windmill" in serving.answer("What does the windmill grind?").text

    serving.remove("mill.txt")
    assert serving.retriever.lexical.search("windmill barley", 3) == []
    assert writer.refresh()
    assert writer.retriever.lexical.search("windmill barley", 3) == []
    restarted = make_assistant()
    assert restarted.retriever.lexical.search("windmill barley", 3) == []
    assert [c.source for c, _ in restarted.retriever.lexical.search("lighthouse", 3)] == ["harbor.txt"]


def test_document_chunks_come_from_the_store(make_assistant, tmp_path):
    source = "harbor.txt"
    docs = write_docs(tmp_path / "docs", harbor="First sentence here. " * 200, mines="Other text. " * 50)
    assistant = make_assistant()
    assistant.ingest([docs])
    chunks = assistant.document_chunks(source)
    assert chunks and all(c.source == source for c in chunks)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
