"""An index records the embedding model it was built with: opening it with another model is refused with what to do,
and `rag ingest --rebuild` embeds it again with the new model, crash-safely (a rebuild killed midway leaves the old
index usable and is resumed by the next one).

"Another model" here is the bundled MiniLM pooled by its [CLS] token instead of the mean of its tokens: a different
model folder whose vectors differ, built from the bundled files by links, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.chain import Assistant
from rag.config import Settings
from rag.model_record import RECORD, EmbeddingModelMismatch, ModelId
from rag.store import LocalEmbeddings
from tests.conftest import ROOT

QUESTION = "Who signed the agreement on behalf of Ukraine?"


@pytest.fixture(scope="module")
def other_model(tmp_path_factory) -> Path:
    """The bundled model's files linked into a new folder, pooled by [CLS]."""
    bundled = Settings().embedding_model_path()
    folder = tmp_path_factory.mktemp("models") / "minilm-cls"
    folder.mkdir()
    for item in bundled.iterdir():
        if item.name != "1_Pooling":
            (folder / item.name).symlink_to(item)
    pooling = json.loads((bundled / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_cls_token=True, pooling_mode_mean_tokens=False)
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    return folder


def build(data_dir: Path, model: Path | None = None, **options) -> Assistant:
    return Assistant(
        Settings(data_dir=data_dir, corpus_dir=ROOT / "corpus", embedding_model=model, batch_size=2), **options
    )


def stored_vectors(assistant: Assistant) -> dict[str, np.ndarray]:
    found = assistant.store.collection.get(include=["documents", "embeddings"])
    return {text: np.asarray(vector) for text, vector in zip(found["documents"], found["embeddings"])}


def test_the_model_is_recorded_and_another_is_refused(tmp_path, other_model):
    bundled = ModelId.of(Settings().embedding_model_path())
    assert ModelId.of(other_model).digest != bundled.digest and ModelId.of(Settings().embedding_model_path()) == bundled
    first = build(tmp_path / "data")
    first.sync_corpus()
    assert ModelId.from_json(first.store.manifest.get(RECORD)) == bundled
    with pytest.raises(EmbeddingModelMismatch) as refused:
        build(tmp_path / "data", other_model)
    message = str(refused.value)
    assert str(bundled) in message and "rag ingest --rebuild" in message and "--data-dir" in message
    assert build(tmp_path / "data").answer(QUESTION).citations  # the index is untouched


def test_rebuild_embeds_again_with_the_new_model_and_survives_a_kill(tmp_path, other_model, monkeypatch):
    data = tmp_path / "data"
    old = build(data)
    old.sync_corpus()
    chunks = old.store.count()
    old_collection = old.store.collection_name

    # A rebuild that dies after its second batch: the old index and its record stay as they were.
    calls = {"n": 0}
    real = LocalEmbeddings.embed_chunks

    def dying(self, batch):
        calls["n"] += 1
        if calls["n"] > 2:
            raise KeyboardInterrupt
        return real(self, batch)

    monkeypatch.setattr(LocalEmbeddings, "embed_chunks", dying)
    with pytest.raises(KeyboardInterrupt):
        build(data, other_model, check_model=False).rebuild_index()
    monkeypatch.undo()
    with pytest.raises(EmbeddingModelMismatch):
        build(data, other_model)
    assert build(data).answer(QUESTION).citations

    # The next rebuild resumes: only the chunks not yet embedded are embedded.
    new = build(data, other_model, check_model=False)
    assert new.rebuild_index() == chunks - 4
    reopened = build(data, other_model)
    assert reopened.store.collection_name != old_collection
    assert old_collection not in {c.name for c in reopened.store.client.list_collections()}
    vectors = stored_vectors(reopened)
    assert len(vectors) == chunks
    expected = reopened.embeddings.embed_documents(list(vectors))
    assert np.allclose(np.stack(list(vectors.values())), np.asarray(expected), atol=1e-5)
    before = old.embeddings.embed_documents(list(vectors))
    assert not np.allclose(np.asarray(expected), np.asarray(before), atol=1e-3)  # the other model's own vectors
    answer = reopened.answer(QUESTION)
    assert answer.citations and "Svyrydenko" in answer.text
    with pytest.raises(EmbeddingModelMismatch):
        build(data)  # now the bundled model is the other one


def test_rag_ingest_rebuild_from_the_command_line(tmp_path, other_model):
    data = tmp_path / "data"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "RAG_EMBEDDING_MODEL": ""}
    env.pop("RAG_EMBEDDING_MODEL")
    rag = [sys.executable, "-m", "rag.cli"]

    def run(*args: str, model: Path | None = None) -> subprocess.CompletedProcess:
        extra = {"RAG_EMBEDDING_MODEL": str(model)} if model else {}
        return subprocess.run([*rag, *args], env={**env, **extra}, cwd=tmp_path, capture_output=True, text=True)

    assert run("ingest", str(ROOT / "corpus"), "--data-dir", str(data)).returncode == 0
    refused = run("ask", QUESTION, "--data-dir", str(data), model=other_model)
    assert refused.returncode == 2 and "rag ingest --rebuild" in refused.stderr and "Traceback" not in refused.stderr
    rebuilt = run("ingest", "--rebuild", str(ROOT / "corpus"), "--data-dir", str(data), model=other_model)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt: 7 chunks embedded with" in rebuilt.stderr
    asked = run("ask", QUESTION, "--data-dir", str(data), model=other_model)
    assert asked.returncode == 0 and "Svyrydenko" in asked.stdout
