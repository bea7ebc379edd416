"""Chunking keeps exact offsets, respects headings and paragraphs, and never cuts a sentence."""

import itertools

from rag.ingest.loaders import LoadedDocument, load_file
from rag.ingest.splitter import chunk_id, split_document
from tests.conftest import SEED


def assert_offsets(doc: LoadedDocument, chunks) -> None:
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            assert doc.text[start:end] == doc.text[start:end].strip()


def test_seed_article_offsets_and_sentences():
    doc = load_file(SEED)
    chunks = split_document(doc, chunk_size=900, overlap=1)
    assert len(chunks) >= 4
    assert_offsets(doc, chunks)
    # every sentence of the article ends up whole in some chunk
    sentences = {doc.text[s:e] for c in chunks for s, e in c.sentences}
    wanted = (
        "However, the agreement reportedly does not include concrete security guarantees, "
        "another of Kyiv’s original demands."
    )
    assert wanted in sentences


def test_headings_start_a_new_chunk():
    text = "# Intro\n\nFirst part. Still first.\n\n## Second\n\nAnother part here."
    chunks = split_document(LoadedDocument("a.md", text), chunk_size=500)
    assert [c.text for c in chunks] == ["# Intro\n\nFirst part. Still first.", "## Second\n\nAnother part here."]


def test_long_paragraph_is_cut_between_sentences_with_overlap():
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(40)]
    doc = LoadedDocument("long.txt", " ".join(sentences))
    chunks = split_document(doc, chunk_size=200, overlap=1)
    assert len(chunks) > 5
    assert_offsets(doc, chunks)
    for chunk in chunks:
        assert chunk.text.endswith(".") and chunk.text[0].isupper()
        assert len(chunk.text) <= 200
    for previous, following in itertools.pairwise(chunks):
        assert previous.sentences[-1] == following.sentences[0]  # one sentence of overlap


def test_small_paragraphs_are_packed_together():
    doc = LoadedDocument("p.txt", "One para.\n\nTwo para.\n\nThree para.")
    chunks = split_document(doc, chunk_size=500)
    assert len(chunks) == 1 and chunks[0].text == doc.text


def test_sentence_longer_than_twice_the_size_is_cut_between_words():
    doc = LoadedDocument("w.txt", " ".join(["word"] * 400))
    chunks = split_document(doc, chunk_size=100)
    assert_offsets(doc, chunks)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)


def test_pages_are_kept_for_pdf_like_documents():
    doc = LoadedDocument("d.pdf", "Page one text.\n\nPage two text.", pages=((0, 1), (16, 2)))
    chunks = split_document(doc, chunk_size=15)
    assert [c.page for c in chunks] == [1, 2]


def test_chunk_ids_are_deterministic():
    doc = load_file(SEED)
    assert [c.id for c in split_document(doc)] == [c.id for c in split_document(doc)]
    assert chunk_id("a.txt", 0, "x") != chunk_id("b.txt", 0, "x")
