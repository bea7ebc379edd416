"""Hybrid retrieval as a LangChain retriever.

Owns the query path from text to ranked passages: dense search in Chroma and BM25 search, each taking `fetch_k`
candidates, fused by reciprocal rank fusion; chunks that overlap a better-ranked chunk of the same document are
dropped; an optional filter keeps only chosen sources. It also gives every returned passage its cosine similarity
to the question (the answerers weigh evidence with it). Conversion between `Passage` and LangChain `Document`
happens here. Leaves out choosing sentences and answering (`rag.answer`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.lexical import LexicalIndex
from rag.store import Store, chunk_from_record, chunk_metadata
from rag.types import Chunk, Passage


def fuse(
    rankings: Sequence[Sequence[Chunk]], rrf_k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[Chunk, float]]:
    """Reciprocal rank fusion: each list adds weight / (rrf_k + rank) to the chunks it holds (weight 1 by default).

    Example:
        >>> a, b = Chunk("a", "A.", "s", 0, 2), Chunk("b", "B.", "s", 3, 5)
        >>> [c.id for c, _ in fuse([[a, b], [b]])]
        ['b', 'a']
        >>> [c.id for c, _ in fuse([[a, b], [b]], weights=[1.0, 0.0])]
        ['a', 'b']
    """
    scores: dict[str, float] = {}
    chunks: dict[str, Chunk] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, chunk in enumerate(ranking, start=1):
            scores[chunk.id] = scores.get(chunk.id, 0.0) + weight / (rrf_k + rank)
            chunks[chunk.id] = chunk
    return sorted(((chunks[i], s) for i, s in scores.items()), key=lambda pair: -pair[1])


def drop_overlaps(ranked: Sequence[tuple[Chunk, float]]) -> list[tuple[Chunk, float]]:
    """Keep the best-ranked of chunks of one document whose spans overlap."""
    kept: list[tuple[Chunk, float]] = []
    for chunk, score in ranked:
        if not any(k.source == chunk.source and k.start < chunk.end and chunk.start < k.end for k, _ in kept):
            kept.append((chunk, score))
    return kept


class HybridRetriever(BaseRetriever):
    """Dense ⊕ BM25 retrieval with reciprocal rank fusion.

    Example:
        >>> docs = assistant.retriever.invoke("Who signed the deal?", k=3)  # doctest: +SKIP
        >>> docs[0].metadata["source"]  # doctest: +SKIP
        'us-ukraine-minerals-agreement.txt'
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Store
    lexical: LexicalIndex
    k: int = 5
    fetch_k: int = 20
    rrf_k: int = 60

    def search(self, query: str, k: int | None = None, sources: Sequence[str] = ()) -> list[Passage]:
        """The k best passages for a query, optionally only from the given sources."""
        k = k or self.k
        if len(self.lexical) == 0:
            return []
        vector = self.store.embeddings.embed_query(query)
        fetch = max(self.fetch_k, k)
        dense = self.store.dense_search(vector, min(fetch, len(self.lexical)), sources)
        lexical = self.lexical.search(query, fetch, sources)
        fused = drop_overlaps(fuse([[c for c, _ in dense], [c for c, _ in lexical]], self.rrf_k))[:k]
        similarity = {c.id: s for c, s in dense}
        missing = [c.id for c, _ in fused if c.id not in similarity]
        if missing:
            similarity.update(self._similarities(vector, missing))
        return [Passage(chunk=c, score=s, similarity=similarity.get(c.id)) for c, s in fused]

    def _similarities(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        found = self.store.collection.get(ids=ids, include=["embeddings"])
        matrix = np.asarray(found["embeddings"], dtype=np.float32)
        return dict(zip(found["ids"], (matrix @ np.asarray(vector, dtype=np.float32)).tolist()))

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        return [passage_to_document(p) for p in self.search(query, kwargs.get("k"), kwargs.get("sources", ()))]


def passage_to_document(passage: Passage) -> Document:
    """A passage as a LangChain `Document` (its metadata carries everything to rebuild it)."""
    metadata = {**chunk_metadata(passage.chunk), "id": passage.chunk.id, "score": passage.score}
    if passage.similarity is not None:
        metadata["similarity"] = passage.similarity
    return Document(page_content=passage.chunk.text, metadata=metadata, id=passage.chunk.id)


def document_to_passage(document: Document) -> Passage:
    """Inverse of `passage_to_document`."""
    meta = document.metadata
    return Passage(
        chunk=chunk_from_record(meta["id"], document.page_content, meta),
        score=float(meta.get("score", 0.0)),
        similarity=meta.get("similarity"),
    )
