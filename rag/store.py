"""The vector store and the embedding model.

Owns the Chroma client (an embedded `PersistentClient` in the data directory, or an `HttpClient` when a server URL
is configured, telemetry off either way), the LangChain `Chroma` vector store on top of it, the sentence-transformers
embedding model (loaded from disk, never downloaded), and the conversion between Chroma records and our `Chunk`.
Leaves out what to ingest (`rag.ingest.indexer`) and how to rank (`rag.retrieve`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import ConfigError, StoreError
from rag.types import Chunk

log = logging.getLogger(__name__)
_PAGE = 5000  # records read from Chroma per request when listing the whole collection


class LocalEmbeddings(Embeddings):
    """sentence-transformers model loaded from a folder on disk; counts the texts it embeds.

    Example:
        >>> emb = LocalEmbeddings(Settings().embedding_model_path())
        >>> len(emb.embed_query("minerals"))
        384
    """

    def __init__(self, model_path: os.PathLike | str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        self.model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        self.texts_embedded = 0
        self._last_query: tuple[str, np.ndarray | None] = ("", None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts_embedded += len(texts)
        return self._encode(texts).tolist()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts at answer time (not counted as indexing work).

        A first text equal to the last query searched with (the answerer sends the question along with its
        sentences) is taken from `embed_query`'s result instead of being embedded again.
        """
        last_text, last_vector = self._last_query
        if last_vector is not None and texts and texts[0] == last_text:
            rest = self._encode(texts[1:]) if len(texts) > 1 else np.empty((0, last_vector.shape[0]), np.float32)
            return np.vstack([last_vector[None, :], rest])
        return self._encode(texts)

    def embed_query(self, text: str) -> list[float]:
        vector = self._encode([text])[0]
        self._last_query = (text, vector)
        return vector.tolist()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as the store knows it."""

    source: str
    title: str
    chunks: int
    fingerprint: str
    root: str
    path: str
    chars: int


def make_client(settings: Settings):
    """A Chroma client: embedded in `settings.data_dir`, or the server at `settings.chroma_url`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        msg = f"RAG_CHROMA_URL must look like http://127.0.0.1:8000, not {settings.chroma_url!r}"
        raise ConfigError(msg)
    try:
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
        )
    except Exception as exc:  # chromadb raises bare Exceptions for connection problems
        msg = f"cannot reach the Chroma server at {settings.chroma_url} ({exc}); start it with `chroma run`"
        raise StoreError(msg) from exc


class Store:
    """The chunk collection: writes in batches, reads back chunks, answers dense queries."""

    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        from langchain_chroma import Chroma

        self.embeddings = embeddings
        self.client = make_client(settings)
        self.vectors = Chroma(
            collection_name=settings.collection,
            embedding_function=embeddings,
            client=self.client,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )
        self.batch_size = min(settings.batch_size, self.client.get_max_batch_size())

    @property
    def collection(self):
        return self.vectors._collection

    def count(self) -> int:
        return self.collection.count()

    def add(self, chunks: Sequence[Chunk], extra: dict[str, str | int]) -> None:
        """Embed and upsert chunks in batches below Chroma's maximum batch size."""
        for i in range(0, len(chunks), self.batch_size):
            batch = chunks[i : i + self.batch_size]
            self.vectors.add_texts(
                texts=[c.text for c in batch],
                metadatas=[{**chunk_metadata(c), **extra} for c in batch],
                ids=[c.id for c in batch],
            )

    def update_metadata(self, chunks: Sequence[Chunk], extra: dict[str, str | int]) -> None:
        """Rewrite the metadata of chunks already stored, without embedding them again."""
        for i in range(0, len(chunks), self.batch_size):
            batch = chunks[i : i + self.batch_size]
            metadatas = [{**chunk_metadata(c), **extra} for c in batch]
            self.collection.update(ids=[c.id for c in batch], metadatas=metadatas)

    def ids_of(self, source: str) -> set[str]:
        return set(self.collection.get(where={"source": source}, include=[])["ids"])

    def delete_ids(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), self.batch_size):
            self.collection.delete(ids=ids[i : i + self.batch_size])

    def delete_source(self, source: str) -> int:
        ids = self.ids_of(source)
        self.delete_ids(sorted(ids))
        return len(ids)

    def documents(self) -> dict[str, DocumentInfo]:
        """Every indexed document, keyed by source."""
        found: dict[str, DocumentInfo] = {}
        for _, _, meta in self._records(include_text=False):
            found[meta["source"]] = _with_chunk(found.get(meta["source"]), meta)
        return dict(sorted(found.items()))

    def document(self, source: str) -> DocumentInfo | None:
        """One indexed document, or None (reads only that document's records)."""
        info = None
        for meta in self.collection.get(where={"source": source}, include=["metadatas"])["metadatas"]:
            info = _with_chunk(info, meta)
        return info

    def chunks(self) -> list[Chunk]:
        """All chunks, in a stable order (by source, then offset)."""
        chunks = [chunk_from_record(i, text, meta) for i, text, meta in self._records(include_text=True)]
        return sorted(chunks, key=lambda c: (c.source, c.start))

    def dense_search(self, query_vector: list[float], k: int, sources: Sequence[str] = ()) -> list[tuple[Chunk, float]]:
        """The k nearest chunks with their cosine similarity."""
        where = _source_filter(sources)
        result = self.collection.query(
            query_embeddings=[query_vector],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0])
        return [(chunk_from_record(i, text, meta), 1.0 - distance) for i, text, meta, distance in rows]

    def _records(self, include_text: bool) -> Iterator[tuple[str, str, dict]]:
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            page = self.collection.get(include=include, limit=_PAGE, offset=offset)
            texts = page["documents"] if include_text else [""] * len(page["ids"])
            yield from zip(page["ids"], texts, page["metadatas"])
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE


def _with_chunk(known: DocumentInfo | None, meta: dict) -> DocumentInfo:
    """A document's info, counting one more of its chunks."""
    return DocumentInfo(
        source=meta["source"],
        title=meta.get("title", ""),
        chunks=(known.chunks if known else 0) + 1,
        fingerprint=meta.get("fingerprint", ""),
        root=meta.get("root", ""),
        path=meta.get("path", ""),
        chars=max(known.chars if known else 0, int(meta.get("end", 0))),
    )


def _source_filter(sources: Sequence[str]) -> dict | None:
    if not sources:
        return None
    return {"source": sources[0]} if len(sources) == 1 else {"source": {"$in": list(sources)}}


def chunk_metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "source": chunk.source,
        "title": chunk.title,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps(chunk.sentences, separators=(",", ":")),
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    """Convert a Chroma record back to a `Chunk`."""
    sentences = tuple(tuple(s) for s in json.loads(meta.get("sentences") or "[]"))
    return Chunk(
        id=chunk_id,
        text=text,
        source=meta["source"],
        start=int(meta["start"]),
        end=int(meta["end"]),
        title=meta.get("title", ""),
        page=meta.get("page"),
        sentences=sentences,  # type: ignore[arg-type]
    )
