"""The registry's int8 model (`all-MiniLM-L6-v2-int8`, #10): the bundled MiniLM computed by torch with int8 Linear
layers, vectors close to fp32's but not equal, and an index that records it as another model than fp32 MiniLM
(vectors of the two are never mixed in one index), with `rebuild_index` between them."""

from __future__ import annotations

import numpy as np
import pytest

from rag.chain import Assistant
from rag.config import Settings
from rag.embedding_models import resolve
from rag.int8 import PER_CHANNEL
from rag.model_record import EmbeddingModelMismatch, ModelId
from rag.store import LocalEmbeddings
from tests.conftest import ROOT

TEXTS = [
    "The United States and Ukraine signed an agreement on minerals on Wednesday.",
    "Ukraine's first deputy prime minister Yulia Svyrydenko signed for Kyiv in Washington.",
    "The fund will invest in mining, oil and gas projects over ten years.",
    "Rainfall in the region was twice the seasonal average, flooding two villages.",
    "The central bank raised its interest rate by half a point to curb inflation.",
]


def test_minilm_int8_is_the_bundled_folder_loaded_with_int8_linear_layers(tmp_path):
    import torch

    int8, fp32 = resolve("minilm-int8", tmp_path), resolve("all-MiniLM-L6-v2", tmp_path)
    assert int8.int8 and not fp32.int8 and int8.folder == fp32.folder
    assert int8.name == "all-MiniLM-L6-v2-int8"
    embeddings = LocalEmbeddings.for_settings(Settings(models_dir=tmp_path, embedding_model="minilm-int8"))
    dense = embeddings.model[0].auto_model.encoder.layer[0].output.dense
    assert dense.__module__.startswith("torch.ao.nn.quantized.dynamic")
    assert dense.weight().qscheme() == torch.per_channel_affine  # one scale per output row


def test_int8_vectors_are_close_to_fp32_and_rank_alike(embeddings):
    int8 = LocalEmbeddings(embeddings.model_path, int8=PER_CHANNEL)
    exact, approx = np.asarray(embeddings.embed_documents(TEXTS)), np.asarray(int8.embed_documents(TEXTS))
    cosine = (exact * approx).sum(axis=1)
    assert cosine.min() > 0.95 and cosine.mean() > 0.97
    assert cosine.max() < 0.9999  # another computation, not fp32 under another name
    for query, expected in (("What did the central bank do to rates?", 4), ("How much rain fell?", 3)):
        ranked = [np.argsort(-(vectors @ e.embed_query(query))) for vectors, e in ((exact, embeddings), (approx, int8))]
        assert ranked[0][0] == ranked[1][0] == expected


def test_an_fp32_index_refuses_the_int8_model_until_rebuilt(tmp_path):
    folder = Settings().embedding_model_path()
    assert ModelId.of(folder, int8=PER_CHANNEL).digest != ModelId.of(folder).digest
    assert ModelId.of(folder) == ModelId.of(folder, int8="")  # fp32 indexes keep their record

    def build(model: str, **options) -> Assistant:
        settings = Settings(data_dir=tmp_path / "data", corpus_dir=ROOT / "corpus", embedding_model=model)
        return Assistant(settings, **options)

    fp32 = build("minilm")
    fp32.sync_corpus()
    with pytest.raises(EmbeddingModelMismatch) as refused:
        build("minilm-int8")
    assert "int8" in str(refused.value) and "rag ingest --rebuild" in str(refused.value)
    assert build("minilm").answer("Who signed the agreement on behalf of Ukraine?").citations  # untouched

    assert build("minilm-int8", check_model=False).rebuild_index() == fp32.store.count()
    int8 = build("minilm-int8")
    answer = int8.answer("Who signed the agreement on behalf of Ukraine?")
    assert answer.citations and "Svyrydenko" in answer.text
    with pytest.raises(EmbeddingModelMismatch):
        build("minilm")
