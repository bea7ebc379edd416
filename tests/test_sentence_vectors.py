"""Sentence vectors from the ingest pass: packed per chunk, read back at answer time instead of embedding the
candidate sentences again (`rag.sentence_vectors`)."""

from __future__ import annotations

import json

import numpy as np

from rag.sentence_vectors import pack, span_vector, unpack
from rag.types import Chunk

SENTENCES = [
    "The harbor lighthouse was built in 1874 by the town council.",
    "Its lamp burned whale oil until 1902.",
    "She also noted that the keeper's cottage was rebuilt after the storm of 1938.",
    "Fishing boats still use the light to find the channel at night.",
]
STORY = " ".join(SENTENCES)


def test_packing_keeps_counts_and_means_to_int8_precision():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, 384)).astype(np.float32)
    counts = np.array([5, 0, 70000])
    unpacked = unpack(pack(means, counts))
    assert unpacked is not None
    got, got_counts = unpacked
    assert got_counts.tolist() == [5, 0, 65535]
    cosines = (got * means).sum(axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(means, axis=1)
    assert cosines.min() > 0.999
    assert unpack("") is None and unpack("v0:AAAA") is None  # no vectors, or a format this version cannot read


def test_each_question_finds_its_sentence_by_the_vectors_read_in_context(embeddings):
    spans = [(STORY.index(s), STORY.index(s) + len(s)) for s in SENTENCES]
    chunk = Chunk("c", STORY, "a.txt", 0, len(STORY), sentences=tuple(spans))
    vector, packed = embeddings.embed_chunks([chunk])[0]
    stored = Chunk("c", STORY, "a.txt", 0, len(STORY), sentences=tuple(spans), sentence_vectors=packed)

    questions = [
        "When was the harbor lighthouse built?",
        "What fuel did the lamp burn?",
        "When was the cottage rebuilt?",
        "What do fishing boats use the light for?",
    ]
    in_context = np.stack([span_vector(stored, s, e) for s, e in spans])
    asked = np.asarray(embeddings.encode(questions))
    assert (np.argmax(asked @ in_context.T, axis=1) == np.arange(len(spans))).all()
    whole = np.asarray(embeddings.embed_documents([STORY])[0])
    assert np.allclose(vector, whole, atol=1e-5)  # the chunk's own vector is unchanged by the pooling

    both = span_vector(stored, spans[1][0], spans[2][1])  # a sentence quoted with the one before it
    assert both is not None and abs(float(np.linalg.norm(both)) - 1) < 1e-5
    assert span_vector(Chunk("c", STORY, "a.txt", 0, len(STORY), sentences=tuple(spans)), *spans[0]) is None


def test_sentences_past_the_models_length_have_no_vector(embeddings):
    text = " ".join(f"Sentence number {i} talks about harbor number {i}." for i in range(60))
    spans, at = [], 0
    for piece in text.split(". "):
        end = at + len(piece) + (0 if piece.endswith(".") else 1)
        spans.append((at, end))
        at = end + 1
    chunk = Chunk("c", text, "a.txt", 0, len(text), sentences=tuple(spans))
    _, packed = embeddings.embed_chunks([chunk])[0]
    stored = Chunk("c", text, "a.txt", 0, len(text), sentences=tuple(spans), sentence_vectors=packed)
    assert span_vector(stored, *spans[0]) is not None
    assert span_vector(stored, *spans[-1]) is None  # beyond 256 tokens: embedded at answer time instead


def answer_recording_embeddings(assistant, question, monkeypatch):
    """The answer to a question, and the lists of texts the answerer embedded for it."""
    embedded: list[list[str]] = []
    answerer = assistant.answerer_for("extractive")
    embed = answerer.embed
    monkeypatch.setattr(answerer, "embed", lambda texts: embedded.append(texts) or embed(texts))
    return assistant.answer(question), embedded


def test_answers_embed_no_sentence_of_an_index_with_vectors(make_assistant, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lighthouse.txt").write_text(STORY + "\n\nThe museum opens at nine in the morning.\n")
    assistant = make_assistant()
    assistant.ingest([docs])
    chunks = assistant.store.chunks()
    assert chunks and all(c.sentence_vectors.startswith("v1:") for c in chunks)

    answer, embedded = answer_recording_embeddings(assistant, "When was the harbor lighthouse built?", monkeypatch)
    assert not answer.abstained and "1874" in answer.text
    assert embedded and all(texts == ["When was the harbor lighthouse built?"] for texts in embedded)
    assert "sentence_vectors" not in json.dumps(answer.to_dict())


def test_an_index_without_sentence_vectors_still_answers(make_assistant, tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lighthouse.txt").write_text(STORY + "\n")
    assistant = make_assistant()

    def without_sentence_vectors(chunks):
        return [(vector, "") for vector in assistant.embeddings.embed_documents([c.text for c in chunks])]

    monkeypatch.setattr(assistant.store, "embed", without_sentence_vectors)
    assistant.ingest([docs])
    assert all(not c.sentence_vectors for c in assistant.store.chunks())

    answer, embedded = answer_recording_embeddings(assistant, "When was the harbor lighthouse built?", monkeypatch)
    assert not answer.abstained and "1874" in answer.text
    assert any(len(texts) > 1 for texts in embedded)  # the candidate sentences were embedded at answer time


def test_an_edited_document_keeps_the_sentence_vectors_of_its_unchanged_chunks(make_assistant, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    paragraphs = [f"Paragraph {i} says the harbor light was painted in {1900 + i} by crew {i}. " * 6 for i in range(8)]
    (docs / "long.txt").write_text("\n\n".join(paragraphs))
    assistant = make_assistant()
    assistant.ingest([docs])
    before = {c.text: c.sentence_vectors for c in assistant.store.chunks()}
    assistant.embeddings.texts_embedded = 0

    (docs / "long.txt").write_text("\n\n".join([*paragraphs, "A new closing paragraph about the harbor."]))
    assistant.ingest([docs])
    after = assistant.store.chunks()
    reused = [c for c in after if c.text in before]
    assert reused and all(c.sentence_vectors == before[c.text] and c.sentence_vectors for c in reused)
    assert assistant.embeddings.texts_embedded < len(after)
    assert all(c.sentence_vectors for c in after)
