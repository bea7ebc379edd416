"""The cold path of `rag ask`: the embedding model computed with numpy (`rag.embed_fast`) gives
sentence-transformers' vectors, rankings and answers; `rag ask` imports neither torch nor sentence-transformers
(spaCy included), and prints the answer the in-process assistant gives."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from rag import Assistant, Settings
from rag.embed_fast import BertEncoder
from rag.store import LocalEmbeddings, load_sentence_transformer
from tests.conftest import ROOT, SEED

TOLERANCE = 1e-5  # max abs difference of a unit vector's component
NEVER_FOR_ASK = {"torch", "transformers", "sentence_transformers", "sklearn", "gradio"}
QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "eval" / "seed.jsonl").read_text().splitlines()]
# Run `rag.cli.main` in a fresh process; its last stderr line lists the top-level modules it imported.
PROBE = (
    "import json, sys; from rag.cli import main; code = main(sys.argv[1:]); "
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr); sys.exit(code)"
)


@pytest.fixture(scope="module")
def reference():
    """sentence-transformers' own model of the bundled folder (what `rag` used before `rag.embed_fast`)."""
    return load_sentence_transformer(str(Settings().embedding_model_path()))


@pytest.fixture(scope="module")
def fast() -> BertEncoder:
    encoder = BertEncoder.for_folder(Settings().embedding_model_path())
    assert encoder is not None
    return encoder


def varied_texts(n: int = 300) -> list[str]:
    """Texts of every length, from one word to well past 256 tokens, and odd ones: empty, blank, accents, CJK,
    emoji, control characters, one 3000-letter word."""
    words = (SEED.read_text(encoding="utf-8") + (ROOT / "README.md").read_text(encoding="utf-8")).split()
    rng = random.Random(7)
    texts = [
        "",
        " ",
        "\n\t",
        ".",
        "a",
        "  leading and trailing blanks  ",
        "Ünïcödé àccents, naïve café — “quotes” ‘x’ … ﬁ ligature",
        "中文字符和日本語のテキスト 한국어",
        "emoji 😀🚀 mixed with text",
        "\x00\x01 control \u200b zero width \ufeff",
        "A" * 3000,
        "word " * 600,
        SEED.read_text(encoding="utf-8"),
    ]
    while len(texts) < n:
        length = rng.choice([1, 2, 3, 5, 8, 13, 30, 60, 120, 250, 400])
        start = rng.randrange(len(words))
        texts.append(" ".join(words[start : start + length]))
    return texts


def test_the_bundled_model_is_computed_without_sentence_transformers():
    assert isinstance(LocalEmbeddings(Settings().embedding_model_path()).model, BertEncoder)


def test_vectors_equal_sentence_transformers_on_varied_texts(reference, fast):
    texts = varied_texts()
    tokens = [len(e.ids) for e in fast.tokenizer.encode_batch(texts)]
    assert max(tokens) == 256 and sum(t == 256 for t in tokens) >= 20  # long texts are truncated, as ST does
    expected = reference.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    got = fast.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    assert got.dtype == np.float32 and got.shape == expected.shape == (len(texts), 384)
    assert float(np.abs(got - expected).max()) < TOLERANCE
    # batch composition changes nothing: one text alone, a single string, another batch size
    for i in (0, 10, 11, 12, 50):
        assert float(np.abs(fast.encode(texts[i], normalize_embeddings=True) - expected[i]).max()) < TOLERANCE
    assert float(np.abs(fast.encode(texts[:40], batch_size=7, normalize_embeddings=True) - expected[:40]).max()) < (
        TOLERANCE
    )
    # the folder's Normalize module makes unit vectors even unasked, in both
    assert float(np.abs(fast.encode(texts[:20]) - reference.encode(texts[:20], show_progress_bar=False)).max()) < (
        TOLERANCE
    )


def test_token_embeddings_equal_sentence_transformers(reference, fast):
    texts = ["Who signed the deal?", "", "word " * 300]
    expected = reference.encode(texts, output_value="token_embeddings", show_progress_bar=False)
    got = fast.encode(texts, output_value="token_embeddings")
    for e, g in zip(expected, got):
        e = np.asarray(e, dtype=np.float32)
        assert g.shape == e.shape and float(np.abs(g - e).max()) < 1e-4


def test_rankings_of_the_seed_questions_are_the_same(reference, fast):
    """Every seed question ranks every chunk and every sentence of the seed document in the same order."""
    text = SEED.read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    sentences = [s for p in paragraphs for s in p.replace("? ", "?\n").replace(". ", ".\n").splitlines()]
    for passages in (paragraphs, sentences, [" ".join(paragraphs[i : i + 3]) for i in range(len(paragraphs))]):
        expected = reference.encode(QUESTIONS + passages, normalize_embeddings=True, show_progress_bar=False)
        got = fast.encode(QUESTIONS + passages, normalize_embeddings=True)
        q = len(QUESTIONS)
        expected_order = np.argsort(-(expected[:q] @ expected[q:].T), axis=1, kind="stable")
        got_order = np.argsort(-(got[:q] @ got[q:].T), axis=1, kind="stable")
        assert (expected_order == got_order).all()


def answer_dict(assistant: Assistant, question: str) -> dict:
    found = json.loads(assistant.answer(question).to_json())
    found.pop("timings")
    return found


def assert_close(got, expected, path: str = "answer") -> None:
    """Equal, floats within 1e-5."""
    if isinstance(expected, float):
        assert math.isclose(got, expected, abs_tol=1e-5), path
    elif isinstance(expected, dict):
        assert got.keys() == expected.keys(), path
        for key in expected:
            assert_close(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert len(got) == len(expected), path
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_close(g, e, f"{path}[{i}]")
    else:
        assert got == expected, path


def test_answers_to_the_seed_questions_are_those_of_sentence_transformers(tmp_path, seed_assistant, reference):
    """An index built and searched with sentence-transformers (rag before `rag.embed_fast`) and the session's index
    (built and searched with numpy) give every seed question the same answer: texts, citations, passages, scores."""
    before = LocalEmbeddings(seed_assistant.settings.embedding_model_path())
    before.model = reference
    old = Assistant(Settings(data_dir=tmp_path / "data", corpus_dir=ROOT / "corpus"), embeddings=before)
    old.sync_corpus()
    for question in QUESTIONS:
        assert_close(answer_dict(seed_assistant, question), answer_dict(old, question), question)


def run_rag(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env |= {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done, set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "question",
    ["Who signed the agreement on behalf of Ukraine?", "What is the capital of Australia?"],  # spaCy; an abstention
)
def test_rag_ask_imports_no_torch_and_answers_as_the_assistant_does(tmp_path, seed_assistant, question):
    data = ["--data-dir", str(seed_assistant.settings.data_dir), "--corpus", str(ROOT / "corpus")]
    done, imported = run_rag(["ask", question, "--json", *data], tmp_path)
    assert not imported & NEVER_FOR_ASK
    assert {"tokenizers", "chromadb", "bm25s"} <= imported  # the question was embedded and searched
    if question.startswith("Who"):
        assert "spacy" in imported  # the short answer's entity came from spaCy, imported without torch
    printed = json.loads(done.stdout)
    printed.pop("timings")
    expected = answer_dict(seed_assistant, question)
    # the same answer; the confidence to float rounding (the index was embedded in other batches)
    assert printed.pop("confidence") == pytest.approx(expected.pop("confidence"), abs=1e-9)
    assert printed == expected


SPACY_PROBE = """
import json, sys
if sys.argv[1] == "torch":
    import torch
from rag.answer.phrases import parse
out = []
for sentence in sys.argv[2:]:
    doc = parse(sentence)
    out.append([[e.text, e.label_, e.root.dep_, e.root.head.pos_] for e in doc.ents])
    out.append([[t.text, t.pos_, t.tag_, t.dep_, t.head.i, t.is_stop] for t in doc])
print(json.dumps({"parses": out, "torch": "torch" in sys.modules}))
"""


def test_spacy_without_torch_parses_as_with_it(tmp_path):
    sentences = [s for s in SEED.read_text(encoding="utf-8").replace("\n", " ").split(". ") if s.strip()][:25]
    found = {}
    for mode in ("torch", "none"):
        done = subprocess.run(
            [sys.executable, "-c", SPACY_PROBE, mode, *sentences],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 0, done.stderr
        found[mode] = json.loads(done.stdout)
    assert found["torch"]["torch"] and not found["none"]["torch"]
    assert found["none"]["parses"] == found["torch"]["parses"]


@pytest.mark.parametrize(
    ("file", "change"),
    [
        ("1_Pooling/config.json", {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}),
        ("config_sentence_transformers.json", {"prompts": {"query": "query: "}, "default_prompt_name": "query"}),
        ("config.json", {"model_type": "roberta"}),
        ("config.json", {"hidden_act": "gelu_new"}),
        ("sentence_bert_config.json", {"do_lower_case": True}),
        ("tokenizer_config.json", {"do_lower_case": False}),  # transformers might build a cased tokenizer
    ],
)
def test_other_kinds_of_model_are_left_to_sentence_transformers(tmp_path, file, change):
    """A folder `rag.embed_fast` would not compute as sentence-transformers does is not taken (`load_model` then
    loads it with sentence-transformers)."""
    source = Settings().embedding_model_path()
    folder = tmp_path / "model"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    assert BertEncoder.for_folder(folder) is not None  # the unchanged copy is taken
    path = folder / file
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **change}), encoding="utf-8")
    assert BertEncoder.for_folder(folder) is None


def test_a_folder_without_normalize_gives_sentence_transformers_raw_vectors(tmp_path):
    source = Settings().embedding_model_path()
    folder = tmp_path / "model"
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    (folder / "modules.json").write_text(json.dumps(modules[:2]), encoding="utf-8")  # Transformer, Pooling
    texts = ["Who signed the deal?", "", "word " * 300, SEED.read_text(encoding="utf-8")[:500]]
    encoder = BertEncoder.for_folder(folder)
    assert encoder is not None and not encoder.normalize
    expected = load_sentence_transformer(str(folder)).encode(texts, show_progress_bar=False)
    got = encoder.encode(texts)
    assert np.linalg.norm(expected, axis=1).min() > 1.5  # raw mean-pooled vectors, not unit ones
    assert float(np.abs(got - expected).max()) < 1e-4
    normalized = expected / np.linalg.norm(expected, axis=1, keepdims=True)
    assert float(np.abs(encoder.encode(texts, normalize_embeddings=True) - normalized).max()) < TOLERANCE


def test_threads_encode_at_once_with_the_same_vectors(fast):
    """Several threads encode together (a question is not kept waiting behind an upload's batch), each text as it
    would be alone, and numpy's BLAS gets its threads back once all are done."""
    from threadpoolctl import threadpool_info

    threads_before = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    texts = varied_texts(60)
    expected = fast.encode(texts, normalize_embeddings=True)
    found: dict[int, np.ndarray] = {}

    def encode(i: int) -> None:
        found[i] = fast.encode(texts[i::2] if i % 2 else texts, normalize_embeddings=True)

    workers = [threading.Thread(target=encode, args=(i,)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    for i, vectors in found.items():  # batches of other texts may round differently in the BLAS (seen on AMD EPYC)
        assert float(np.abs(vectors - (expected[i::2] if i % 2 else expected)).max()) < TOLERANCE
    assert len(found) == 4
    assert [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"] == threads_before


def test_gelu_and_layer_norm_match_their_definitions_in_double_precision():
    """The in-place GELU and layer norm of `rag.embed_fast` against x·Φ(x) and (x - mean)/sqrt(var + eps) computed
    in float64, on values of every size and sign (0, -0.0, tiny, huge) and on unit-scale rows."""
    from rag.embed_fast import _gelu, _layer_norm

    rng = np.random.default_rng(3)
    x = np.concatenate(
        [rng.standard_normal(5000) * 4, [0.0, -0.0, 1e-8, -1e-8, 3.0, -3.0, 20.0, -20.0, 60.0, -60.0]]
    ).astype(np.float32)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    before = x.copy()
    got = _gelu(x)
    assert np.array_equal(x, before, equal_nan=True)  # the input is not overwritten
    assert got.dtype == np.float32
    assert np.abs(got - exact).max() < 1e-6

    rows = (rng.standard_normal((7, 384)) * 3 + 5).astype(np.float32)
    weight = rng.standard_normal(384).astype(np.float32)
    bias = rng.standard_normal(384).astype(np.float32)
    wide = rows.astype(np.float64)
    want = (wide - wide.mean(-1, keepdims=True)) / np.sqrt(wide.var(-1, keepdims=True) + 1e-12) * weight + bias
    kept = rows.copy()
    assert np.abs(_layer_norm(rows, weight, bias, 1e-12) - want).max() < 1e-5
    assert np.array_equal(rows, kept)
