"""Hybrid retrieval: fusion, no overlapping passages, source filter, lexical hits dense search misses."""

import numpy as np

from rag.retrieve import document_to_passage, drop_overlaps, fuse, passage_to_document
from rag.store import HNSW
from rag.types import Chunk, Passage
from tests.conftest import SEED


def chunk(cid, start, end, source="a.txt"):
    return Chunk(cid, "x" * (end - start), source, start, end)


def test_rrf_rewards_agreement_between_rankings():
    a, b, c = chunk("a", 0, 5), chunk("b", 10, 15), chunk("c", 20, 25)
    fused = fuse([[a, b, c], [b]], rrf_k=60)
    assert [x.id for x, _ in fused] == ["b", "a", "c"]
    assert fused[0][1] == 1 / 62 + 1 / 61


def test_rrf_weights_scale_each_ranking():
    a, b = chunk("a", 0, 5), chunk("b", 10, 15)
    fused = dict((x.id, s) for x, s in fuse([[a, b], [b]], rrf_k=60, weights=[0.5, 2.0]))
    assert fused == {"a": 0.5 / 61, "b": 0.5 / 62 + 2.0 / 61}


def test_overlapping_chunks_of_one_document_are_dropped():
    ranked = [(chunk("a", 0, 100), 3.0), (chunk("b", 90, 200), 2.0), (chunk("c", 90, 200, "other.txt"), 1.0)]
    assert [c.id for c, _ in drop_overlaps(ranked)] == ["a", "c"]


def test_passage_document_round_trip():
    passage = Passage(Chunk("id1", "Some text.", "s.txt", 5, 15, "T", 2, ((5, 15),)), 0.5, 0.7)
    assert document_to_passage(passage_to_document(passage)) == passage


def test_hybrid_search_finds_rare_codes_and_filters_sources(tmp_path, make_assistant):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "parts.txt").write_text(
        "Inventory notes.\n\nThe replacement valve carries the part code ZX-4471 in the catalogue.", encoding="utf-8"
    )
    (docs / "seed.txt").write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    assistant = make_assistant(chunk_size=300)
    assistant.ingest([docs])
    passages = assistant.retriever.search("ZX-4471", k=3)
    assert passages[0].chunk.source == "parts.txt"
    assert all(p.similarity is not None for p in passages)
    only_seed = assistant.retriever.search("ZX-4471 minerals", k=5, sources=["seed.txt"])
    assert only_seed and {p.chunk.source for p in only_seed} == {"seed.txt"}
    many = assistant.retriever.search("Ukraine minerals agreement fund", k=10)
    spans = [(p.chunk.source, p.chunk.start, p.chunk.end) for p in many]
    for i, (source, start, end) in enumerate(spans):
        for other_source, other_start, other_end in spans[i + 1 :]:
            assert source != other_source or end <= other_start or other_end <= start


def test_langchain_retriever_interface(seed_assistant):
    documents = seed_assistant.retriever.invoke("Who signed the deal?", k=2)
    assert len(documents) == 2
    assert documents[0].metadata["source"] == SEED.name


def test_question_searched_with_is_not_embedded_again_for_the_answerer(embeddings, monkeypatch):
    question, sentence = "Who signed the agreement?", "Bessent signed it."
    vector = embeddings.embed_query(question)
    real = embeddings.model.encode
    sent: list[str] = []
    monkeypatch.setattr(embeddings.model, "encode", lambda texts, **kw: sent.extend(texts) or real(texts, **kw))
    out = embeddings.encode([question, sentence])
    assert sent == [sentence]
    assert np.allclose(out[0], vector, atol=1e-6)
    assert np.allclose(out[1], real([sentence], normalize_embeddings=True)[0], atol=1e-6)
    assert embeddings.encode([question]).shape == (1, len(vector))
    sent.clear()
    embeddings.encode(["Another question?", sentence])
    assert sent == ["Another question?", sentence]


def test_an_index_made_with_chromas_default_search_breadth_is_searched_wider(tmp_path, make_assistant):
    """Collections are made with `HNSW`'s search breadth; one made before (Chroma's default, 100) is widened when
    opened, its records untouched, so the nearest chunks are found whichever build made the index."""
    assistant = make_assistant()
    assistant.ingest([SEED])
    assert assistant.store.collection.configuration["hnsw"]["ef_search"] == HNSW["ef_search"]
    count = assistant.store.collection.count()
    assistant.store.collection.modify(configuration={"hnsw": {"ef_search": 100}})  # as an older version made it

    reopened = make_assistant()
    assert reopened.store.collection.configuration["hnsw"]["ef_search"] == HNSW["ef_search"]
    assert reopened.store.collection.count() == count
    assert reopened.answer("Who signed the agreement on behalf of Ukraine?").citations
