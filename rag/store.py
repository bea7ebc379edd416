"""The vector store and the embedding model.

Owns the Chroma client (an embedded `PersistentClient` in the data directory, or an `HttpClient` when a server URL
is configured, telemetry off either way), the LangChain `Chroma` vector store on top of it, the embedding model of a
sentence-transformers folder (loaded from disk, never downloaded; computed by `rag.embed_fast` without torch when it
can be), the conversion between Chroma records and our `Chunk` (with its sentence vectors from the same forward pass,
`rag.sentence_vectors`, in its metadata), and visibility: every record carries the id of its
document's version (`gen`), and reads and searches return only chunks of versions the manifest (`rag.manifest`)
calls live. Leaves out the order of the steps that keep the
manifest true (`rag.ingest.indexer`) and how to rank (`rag.retrieve`).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.errors import ConfigError, StoreError
from rag.manifest import Generation, Manifest
from rag.sentence_vectors import METADATA_KEY, encode_with_tokens, pool, pools_by_mean
from rag.types import Chunk, embedded_text

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from rag.embed_fast import BertEncoder

log = logging.getLogger(__name__)
_PAGE = 5000  # records read from Chroma per request when listing the whole collection
# Chroma's vector index. At its default search breadth (ef_search 100) it missed 0.2-0.8% of the exact top 5 within
# its top 20 on the 413 chunks of eval/realdocs, differently from one build to the next (a table row the ingesting
# process could not find and a reopened one could); at 200 it missed none in every build tried.
HNSW = {"space": "cosine", "ef_search": 200}
_MODEL_LOCK = threading.Lock()
Embedded = tuple[list[float], str]  # a chunk's vector and its packed sentence vectors (`rag.sentence_vectors`)


class LocalEmbeddings(Embeddings):
    """The embedding model of a sentence-transformers folder on disk (`load_model`); counts the texts it embeds.

    The model is loaded when the first text is embedded, so a command that embeds nothing (`rag sources`,
    `rag remove`, an ingest of unchanged files) never pays for it. The bundled all-MiniLM-L6-v2 (and any BERT model
    with mean pooling) is computed with numpy by `rag.embed_fast`, in ~0.05 s and ~60 MB instead of importing torch
    and sentence-transformers (~6 s, ~450 MB); its vectors equal sentence-transformers' to ~1e-6.

    Example:
        >>> emb = LocalEmbeddings(Settings().embedding_model_path())
        >>> len(emb.embed_query("minerals"))
        384
    """

    _model: BertEncoder | SentenceTransformer | None = None

    def __init__(
        self, model_path: os.PathLike | str, query_prefix: str = "", document_prefix: str = "", int8: str = ""
    ) -> None:
        """`query_prefix` and `document_prefix` go before questions and passages (models trained with them); `int8`
        loads the model with int8 Linear layers (`rag.int8`)."""
        self.model_path = str(model_path)
        self.query_prefix, self.document_prefix = query_prefix, document_prefix
        self.int8 = int8
        self.texts_embedded = 0
        self._last_query: tuple[str, np.ndarray | None] = ("", None)

    @classmethod
    def for_settings(cls, settings: Settings) -> LocalEmbeddings:
        """The configured model (`RAG_EMBEDDING_MODEL`, see `rag.embedding_models`) with its prefixes."""
        choice = settings.embedding_choice()
        return cls(choice.folder, choice.query_prefix, choice.document_prefix, choice.int8)

    @property
    def model(self) -> BertEncoder | SentenceTransformer:
        """The model, loaded on first use (once, whichever thread asks first)."""
        if self._model is None:
            with _MODEL_LOCK:
                if self._model is None:
                    self._model = load_model(self.model_path, self.int8)
        return self._model

    @model.setter
    def model(self, model: BertEncoder | SentenceTransformer) -> None:
        self._model = model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts_embedded += len(texts)
        return self._encode(texts, self.document_prefix).tolist()

    def embed_chunks(self, chunks: Sequence[Chunk]) -> list[Embedded]:
        """Each chunk's vector and, from the same forward pass, its sentences' vectors read in context, packed
        (`rag.sentence_vectors`): the answerer's re-scoring then embeds nothing at answer time.

        Example:
            >>> emb = LocalEmbeddings(Settings().embedding_model_path())
            >>> vector, packed = emb.embed_chunks([Chunk("c", "Kyiv won. Lviv lost.", "a.txt", 0, 20,
            ...                                          sentences=((0, 9), (10, 20)))])[0]
            >>> len(vector), packed.startswith("v1:")
            (384, True)
        """
        self.texts_embedded += len(chunks)
        found = encode_with_tokens(self.model, [self.document_prefix + c.embedded_text() for c in chunks])
        if not pools_by_mean(self.model):
            return [(vector, "") for vector, _, _ in found]
        embedded = []
        for chunk, (vector, offsets, states) in zip(chunks, found, strict=True):
            before = len(self.document_prefix) + len(chunk.embedded_text()) - len(chunk.text)
            shift = before - chunk.start  # sentence offsets -> offsets in the text embedded
            spans = [(start + shift, end + shift) for start, end in chunk.sentences]
            embedded.append((vector, pool(offsets, states, spans)))
        return embedded

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts at answer time (not counted as indexing work).

        A first text equal to the last query searched with (the answerer sends the question along with its
        sentences) is taken from `embed_query`'s result instead of being embedded again.
        """
        last_text, last_vector = self._last_query
        if last_vector is not None and texts and texts[0] == last_text:
            rest = self._encode(texts[1:], self.document_prefix)
            return np.vstack([last_vector[None, :], rest]) if len(texts) > 1 else last_vector[None, :]
        return self._encode(texts, self.document_prefix)

    def embed_query(self, text: str) -> list[float]:
        vector = self._encode([text], self.query_prefix)[0]
        self._last_query = (text, vector)
        return vector.tolist()

    def _encode(self, texts: list[str], prefix: str = "") -> np.ndarray:
        texts = [prefix + t for t in texts] if prefix else texts
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)


def load_model(model_path: str, int8: str = "") -> BertEncoder | SentenceTransformer:
    """The model of a sentence-transformers folder: a `rag.embed_fast.BertEncoder` when that computes it (a BERT
    with mean pooling, as the bundled all-MiniLM-L6-v2), else sentence-transformers' own (`load_sentence_transformer`);
    with `int8`, always sentence-transformers' with int8 Linear layers (`rag.int8`). All have the
    `encode(texts, batch_size=, normalize_embeddings=, show_progress_bar=)` this module calls."""
    from rag.embed_fast import BertEncoder

    if int8:
        from rag.int8 import quantize

        return quantize(load_sentence_transformer(model_path), int8)
    return BertEncoder.for_folder(model_path) or load_sentence_transformer(model_path)


def load_sentence_transformer(model_path: str) -> SentenceTransformer:
    """A sentence-transformers model from a folder, offline and without progress bars."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    return SentenceTransformer(model_path, device="cpu", local_files_only=True)


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as the manifest knows it (its live version)."""

    source: str
    title: str
    chunks: int
    fingerprint: str
    root: str
    path: str
    chars: int
    gen: str = ""


def _search_ef(collection) -> int:
    """The collection's HNSW search breadth (100, Chroma's default, when its configuration does not say)."""
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    return int(hnsw.get("ef_search") or 100)


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
    """The chunk collection and its manifest: generation-aware writes in batches, reads of live chunks only.

    Every stored chunk carries the id of its document's version (`gen` in its metadata); only chunks of versions
    the manifest calls live are ever read back or returned by a search.
    """

    def __init__(self, settings: Settings, embeddings: Embeddings, check_model: bool = True) -> None:
        """`check_model` False opens an index built with another embedding model (for `rag.model_record.rebuild`);
        otherwise that is an `EmbeddingModelMismatch`."""
        from rag.model_record import COLLECTION, ModelId
        from rag.model_record import check_model as check

        self.settings = settings
        self.embeddings = embeddings
        self.manifest = Manifest(settings.data_dir)
        model_path = getattr(embeddings, "model_path", None)
        self.model = ModelId.of(model_path, getattr(embeddings, "int8", "")) if model_path else None
        if check_model and self.model is not None:
            check(self.manifest, self.model, settings.data_dir)
        self.collection_name = self.manifest.get(COLLECTION) or settings.collection
        self._open()
        self.batch_size = min(settings.batch_size, self.client.get_max_batch_size())

    def _open(self, widened: bool = False) -> None:
        from langchain_chroma import Chroma

        self.client = make_client(self.settings)
        if not self.settings.chroma_url:
            # chromadb shares one in-memory system per folder within a process; this store keeps its own, so that
            # a store opened later (or `reopen`) loads the folder afresh instead of sharing a stale vector index
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient._identifier_to_system.pop(self.client._identifier, None)
        self.vectors = Chroma(
            collection_name=self.collection_name,
            embedding_function=self.embeddings,
            client=self.client,
            collection_configuration={"hnsw": HNSW},
        )
        if not widened and _search_ef(self.collection) < HNSW["ef_search"]:  # made before: search as wide from now
            log.info("widening the vector search of %s (ef_search %d)", self.collection_name, HNSW["ef_search"])
            try:
                self.collection.modify(configuration={"hnsw": {"ef_search": HNSW["ef_search"]}})
            except Exception as exc:  # a read-only folder, or a server that refuses: search as before
                log.warning("could not widen the vector search of %s: %s", self.collection_name, exc)
                return
            self._open(widened=True)  # an open vector index keeps the setting it was loaded with

    def reopen(self) -> None:
        """See what another process wrote: an embedded Chroma keeps its vector index in memory, so load it anew (and
        follow a rebuild into another collection)."""
        from rag.model_record import COLLECTION

        name = self.manifest.get(COLLECTION) or self.settings.collection
        if name != self.collection_name or not self.settings.chroma_url:
            self.collection_name = name
            self._open()

    def reopen_collection(self, name: str) -> None:
        """Read and write collection `name` from now on."""
        self.collection_name = name
        self._open()

    def open_collection(self, name: str):
        """Chroma collection `name` (cosine space, as every collection of ours), created when missing."""
        return self.client.get_or_create_collection(name, configuration={"hnsw": HNSW})

    def records(self) -> Iterator[tuple[str, str, dict]]:
        """(id, text, metadata) of every record of the collection, in pages."""
        return self._records(include_text=True)

    @property
    def collection(self):
        return self.vectors._collection

    def count(self) -> int:
        """Chunks of live documents."""
        return sum(g.chunks for g in self.manifest.live())

    def stored_count(self) -> int:
        """Every record in the collection, including versions being written or deleted."""
        return self.collection.count()

    def live_generations(self) -> set[str]:
        return self.manifest.live_gens()

    # -- writing (the indexer calls these holding the writer lock, in the manifest's order) ----------------------

    def write(
        self, gen: str, chunks: Sequence[Chunk], extra: dict[str, str | int], known: dict[str, Embedded]
    ) -> Iterator[int]:
        """Upsert a version's chunks in batches, yielding the count of each batch once it is stored.

        A chunk whose embedded text is found in `known` (embedded text -> vector and packed sentence vectors, see
        `vectors_of`) reuses them instead of being embedded again.
        """
        for i in range(0, len(chunks), self.batch_size):
            batch = chunks[i : i + self.batch_size]
            fresh = {c.embedded_text(): c for c in batch if c.embedded_text() not in known}
            new = dict(zip(fresh, self.embed(list(fresh.values()))))
            embedded = [known.get(c.embedded_text()) or new[c.embedded_text()] for c in batch]
            stored = [replace(c, sentence_vectors=packed) for c, (_, packed) in zip(batch, embedded)]
            self.collection.upsert(
                ids=[c.id for c in stored],
                embeddings=[vector for vector, _ in embedded],
                documents=[c.text for c in stored],
                metadatas=[{**chunk_metadata(c), **extra, "gen": gen} for c in stored],
            )
            yield len(batch)

    def embed(self, chunks: list[Chunk]) -> list[Embedded]:
        """Vectors of chunks, with their sentence vectors when the embeddings compute them (ours do)."""
        if not chunks:
            return []
        if isinstance(self.embeddings, LocalEmbeddings):
            return self.embeddings.embed_chunks(chunks)
        return [(vector, "") for vector in self.embeddings.embed_documents([c.embedded_text() for c in chunks])]

    def save_text(self, gen: str, text: str) -> None:
        """Keep a version's extracted text (what its offsets point into), written whole or not at all."""
        path = self._text_path(gen)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with open(partial, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)

    def text_of(self, gen: str) -> str | None:
        """A version's extracted text as it was indexed, or None when it was not kept."""
        try:
            return self._text_path(gen).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def _text_path(self, gen: str) -> Path:
        return self.settings.data_dir / "texts" / f"{gen}.txt"

    def save_examples(self, gen: str, examples: Sequence[dict]) -> None:
        """Keep a version's example questions (`rag.examples`) beside its text, written whole or not at all; call it
        before the version goes live (`delete_generation` deletes them with it)."""
        path = self._examples_path(gen)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with open(partial, "w", encoding="utf-8") as out:
            json.dump(list(examples), out, ensure_ascii=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)

    def examples_of(self, gen: str) -> list[dict] | None:
        """A version's stored example questions, or None when none were stored (or the file cannot be read)."""
        try:
            found = json.loads(self._examples_path(gen).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("cannot read the example questions of version %s: %s", gen, exc)
            return None
        return found if isinstance(found, list) else None

    def indexed_at(self, gen: str) -> float:
        """When a version was indexed (its kept text's modification time), or 0.0 when unknown."""
        try:
            return self._text_path(gen).stat().st_mtime
        except OSError:
            return 0.0

    def _examples_path(self, gen: str) -> Path:
        return self.settings.data_dir / "texts" / f"{gen}.examples.json"

    def ids_in(self, gen: str) -> set[str]:
        return set(self.collection.get(where={"gen": gen}, include=[])["ids"])

    def vectors_of(self, gen: str) -> dict[str, Embedded]:
        """Embedded text (`Chunk.embedded_text`) -> vector and packed sentence vectors of a stored version's chunks
        (to reuse when the next version repeats a text in the same context)."""
        found = self.collection.get(where={"gen": gen}, include=["documents", "embeddings", "metadatas"])
        return {
            embedded_text(text, meta.get("context") or ""): (
                list(map(float, vector)),
                meta.get(METADATA_KEY) or "",
            )
            for text, vector, meta in zip(found["documents"], found["embeddings"], found["metadatas"])
        }

    def records_by_gen(self) -> dict[str, list[dict]]:
        """Version id -> the metadata of each of its stored records ("" for records of no version)."""
        found: dict[str, list[dict]] = {}
        for _, _, meta in self._records(include_text=False):
            found.setdefault(str(meta.get("gen") or ""), []).append(meta)
        return found

    def kept_texts(self) -> set[str]:
        """The versions whose extracted text is kept (`save_text`)."""
        folder = self.settings.data_dir / "texts"
        return {p.stem for p in folder.glob("*.txt")} if folder.is_dir() else set()

    def delete_generation(self, gen: str) -> int:
        """Delete a version's chunks, its kept text and its example questions."""
        ids = sorted(self.ids_in(gen))
        self.delete_ids(ids)
        self._text_path(gen).unlink(missing_ok=True)
        for path in (self._examples_path(gen), self._examples_path(gen).with_suffix(".partial")):
            path.unlink(missing_ok=True)
        return len(ids)

    def stray_records(self) -> dict[str, str]:
        """id → source of the records of no version the manifest knows; the source is "" for records written by a
        crashed run, and set for those of an index built before the manifest existed (they carry no version)."""
        known = {g.gen for g in self.manifest.generations()}
        return {
            i: "" if "gen" in meta else str(meta.get("source", ""))
            for i, _, meta in self._records(include_text=False)
            if meta.get("gen") not in known
        }

    def delete_ids(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), self.batch_size):
            self.collection.delete(ids=ids[i : i + self.batch_size])

    # -- reading: live versions only -----------------------------------------------------------------------------

    def documents(self) -> dict[str, DocumentInfo]:
        """Every indexed document (its live version), keyed by source."""
        return {g.source: _info(g) for g in self.manifest.live()}

    def document(self, source: str) -> DocumentInfo | None:
        """One indexed document, or None."""
        live = self.manifest.live_of(source)
        return _info(live) if live else None

    def chunks(self, source: str | None = None) -> list[Chunk]:
        """All chunks of live documents (or of one), in a stable order (by source, then offset)."""
        live = self.live_generations()
        where = {"source": source} if source else None
        chunks = [
            chunk_from_record(i, text, meta)
            for i, text, meta in self._records(include_text=True, where=where)
            if meta.get("gen") in live
        ]
        return sorted(chunks, key=lambda c: (c.source, c.start))

    def chunks_by_id(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids (those that exist), in no particular order."""
        if not ids:
            return []
        found = self.collection.get(ids=list(ids), include=["metadatas", "documents"])
        return [chunk_from_record(*record) for record in zip(found["ids"], found["documents"], found["metadatas"])]

    def lexical_stamp(self) -> str:
        """What the BM25 copy on disk must have been built from: this collection at this manifest version."""
        return f"{self.collection_name}@{self.manifest.version()}"

    def dense_search(self, query_vector: list[float], k: int, sources: Sequence[str] = ()) -> list[tuple[Chunk, float]]:
        """The k nearest chunks of live documents with their cosine similarity."""
        live = self.live_generations()
        rows = self._query(query_vector, k, _source_filter(sources))
        if any(meta.get("gen") not in live for _, _, meta, _ in rows):  # a version being written or deleted
            hidden = sorted({g.gen for g in self.manifest.generations()} - live) or ["-"]
            rows = self._query(query_vector, k, _and(_source_filter(sources), {"gen": {"$nin": hidden}}))
        return [(chunk_from_record(i, t, m), 1.0 - d) for i, t, m, d in rows if m.get("gen") in live]

    def _query(self, vector: list[float], k: int, where: dict | None) -> list[tuple[str, str, dict, float]]:
        from chromadb.errors import InternalError

        include = ["documents", "metadatas", "distances"]
        try:
            result = self.collection.query(query_embeddings=[vector], n_results=k, where=where, include=include)
        except InternalError:  # records another process wrote that this process's vector index has not loaded
            log.info("the collection changed on disk; reopening it")
            self.reopen()
            result = self.collection.query(query_embeddings=[vector], n_results=k, where=where, include=include)
        return list(zip(result["ids"][0], result["documents"][0], result["metadatas"][0], result["distances"][0]))

    def _records(self, include_text: bool, where: dict | None = None) -> Iterator[tuple[str, str, dict]]:
        include = ["metadatas", "documents"] if include_text else ["metadatas"]
        offset = 0
        while True:
            page = self.collection.get(include=include, where=where, limit=_PAGE, offset=offset)
            texts = page["documents"] if include_text else [""] * len(page["ids"])
            yield from zip(page["ids"], texts, page["metadatas"])
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE


def _info(g: Generation) -> DocumentInfo:
    return DocumentInfo(g.source, g.title, g.chunks, g.fingerprint, g.root, g.path, g.chars, g.gen)


def _and(*clauses: dict | None) -> dict | None:
    present = [c for c in clauses if c]
    if len(present) <= 1:
        return present[0] if present else None
    return {"$and": present}


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
        "section": chunk.section,
    }
    if chunk.page is not None:
        meta["page"] = chunk.page
    if chunk.page_breaks:
        meta["page_breaks"] = json.dumps(chunk.page_breaks, separators=(",", ":"))
    if chunk.kinds:
        meta["kinds"] = ",".join(chunk.kinds)
    if chunk.ocr:
        meta["ocr"] = True
    if chunk.context:
        meta["context"] = chunk.context
    if chunk.sentence_vectors:
        meta[METADATA_KEY] = chunk.sentence_vectors
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
        section=meta.get("section") or "",
        page_breaks=tuple(tuple(b) for b in json.loads(meta.get("page_breaks") or "[]")),  # type: ignore[arg-type]
        sentence_vectors=meta.get(METADATA_KEY) or "",
        kinds=tuple(meta["kinds"].split(",")) if meta.get("kinds") else (),
        ocr=bool(meta.get("ocr")),
        context=meta.get("context") or "",
    )
