"""Sentence embeddings of a BERT sentence-transformers model, computed with numpy (no torch, no transformers).

Owns reading a model folder that sentence-transformers would load as Transformer (BERT) → mean Pooling
(→ Normalize): the tokenizer from its `tokenizer.json` (with the `tokenizers` library), the weights from its
`model.safetensors` (mapped from disk, so the rows of the word-embedding table no text uses are never read), and
the encoder's forward pass in float32, as transformers' `BertModel` computes it (each text unpadded, so its vector
does not depend on the batch). Its vectors equal sentence-transformers' within 1e-6 (`tests/test_cold_path.py`
checks it on varied texts, long ones truncated to `max_seq_length`, and that rankings and answers are the same),
while loading it takes ~0.05 s and ~60 MB instead of the ~6 s and ~450 MB of importing sentence-transformers and
torch. numpy's BLAS runs on one thread while it encodes (its threads made the many small products of attention
several times slower on 2 shared cores); the batches of a long list of texts share the cores instead, as threads,
for about torch's speed on documents. `BertEncoder.for_folder` returns None for any other kind of model folder
(another architecture, pooling, prompt, tokenizer, weight type …), which is then loaded with sentence-transformers
(`rag.store.load_model`). Leaves out training, GPUs and every other architecture.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import struct
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_ROWS = 128  # tokens per slice of the feed-forward layer: its GELU runs ~3x faster on slices that fit in cache
_SEQUENCES = 32  # texts per pass at most, like sentence-transformers' default batch
_TOKENS = 2048  # tokens per pass at most (a longer text is a pass of its own)


class BertEncoder:
    """A BERT encoder with mean pooling, with `SentenceTransformer.encode`'s signature for what rag uses.

    Example:
        >>> from rag.config import Settings
        >>> encoder = BertEncoder.for_folder(Settings().embedding_model_path())
        >>> encoder.encode(["minerals"], normalize_embeddings=True).shape
        (1, 384)
    """

    def __init__(
        self, folder: Path, transformer: Path, max_seq_length: int, config: dict[str, Any], normalize: bool
    ) -> None:
        from tokenizers import Tokenizer

        self.folder = folder
        self.max_seq_length = max_seq_length
        self.normalize = normalize  # the folder ends with a Normalize module: vectors are always unit vectors
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(transformer / "tokenizer.json"))
        self.tokenizer.no_padding()  # tokenizer.json may pad to a fixed length; each text is computed unpadded
        self.tokenizer.enable_truncation(max_seq_length)  # counts [CLS] and [SEP], as sentence-transformers does
        weights = _safetensors(transformer / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""

        def w(name: str) -> np.ndarray:
            return weights[prefix + name]

        self.word = w("embeddings.word_embeddings.weight")
        self.position = w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")
        self.embedding_norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            at = f"encoder.layer.{i}."
            self.layers.append(
                {
                    # query, key and value in one product (their rows stacked)
                    "qkv": np.concatenate([w(f"{at}attention.self.{p}.weight") for p in ("query", "key", "value")]),
                    "qkv_bias": np.concatenate([w(f"{at}attention.self.{p}.bias") for p in ("query", "key", "value")]),
                    "out": w(f"{at}attention.output.dense.weight"),
                    "out_bias": w(f"{at}attention.output.dense.bias"),
                    "out_norm": (
                        w(f"{at}attention.output.LayerNorm.weight"),
                        w(f"{at}attention.output.LayerNorm.bias"),
                    ),
                    "up": w(f"{at}intermediate.dense.weight"),
                    "up_bias": w(f"{at}intermediate.dense.bias"),
                    "down": w(f"{at}output.dense.weight"),
                    "down_bias": w(f"{at}output.dense.bias"),
                    "down_norm": (w(f"{at}output.LayerNorm.weight"), w(f"{at}output.LayerNorm.bias")),
                }
            )
        self.dimension = self.word.shape[1]

    @classmethod
    def for_folder(cls, folder: Path | str) -> BertEncoder | None:
        """The encoder of a sentence-transformers folder, or None when it is not a model this module computes
        exactly as sentence-transformers does (the reason is logged)."""
        folder = Path(folder)
        try:
            found = _describe(folder)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            found = f"cannot read it ({exc})"
        if isinstance(found, str):
            log.info("embedding model %s: %s; loading it with sentence-transformers", folder, found)
            return None
        return cls(folder, *found)

    def encode(
        self,
        sentences: str | Sequence[str],
        batch_size: int = _SEQUENCES,
        normalize_embeddings: bool = False,
        show_progress_bar: bool | None = None,
        convert_to_numpy: bool = True,
        output_value: str = "sentence_embedding",
    ) -> np.ndarray | list[np.ndarray]:
        """Vectors of the texts (float32, one row per text; one vector for a single string), or with
        `output_value="token_embeddings"` each text's token vectors ([CLS] and [SEP] included)."""
        del show_progress_bar, convert_to_numpy  # accepted for SentenceTransformer.encode's callers; always numpy
        if output_value not in ("sentence_embedding", "token_embeddings"):
            msg = f"output_value must be sentence_embedding or token_embeddings, not {output_value!r}"
            raise ValueError(msg)
        single = isinstance(sentences, str)
        texts = [sentences] if single else list(sentences)
        pooled = np.zeros((len(texts), self.dimension), np.float32)
        tokens: list[np.ndarray] = [pooled[:0]] * len(texts)
        ids = [np.asarray(e.ids, np.int64) for e in self.tokenizer.encode_batch(texts)] if texts else []

        def run(batch: list[int]) -> None:
            hidden, starts, lengths = self._forward([ids[i] for i in batch])
            if output_value == "token_embeddings":
                for i, start, n in zip(batch, starts, lengths):
                    tokens[i] = hidden[start : start + n].copy()
            else:  # mean pooling: every token counts once (there is no padding)
                pooled[batch] = np.add.reduceat(hidden, starts, axis=0) / lengths[:, None].astype(np.float32)

        batches = _batches(ids, max(1, batch_size), _cores())
        workers = min(len(batches), _cores())
        with _one_blas_thread():  # texts of several threads are encoded at once, as torch did
            if workers <= 1:
                for batch in batches:
                    run(batch)
            else:  # batches on all cores at once (numpy lets go of the GIL while it computes)
                with ThreadPoolExecutor(workers, thread_name_prefix="embed") as pool:
                    list(pool.map(run, batches))
        if output_value == "token_embeddings":
            return tokens[0] if single else tokens
        if normalize_embeddings or self.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), np.float32(1e-12))
        return pooled[0] if single else pooled

    def _forward(self, ids: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The last hidden states of token sequences, packed one after another (no padding: each sequence attends
        to its own tokens only, as BertModel's attention mask makes it), with each sequence's start and length."""
        lengths = np.array([len(s) for s in ids])
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        flat = np.concatenate(ids)
        positions = np.concatenate([np.arange(n) for n in lengths])
        x = (self.word[flat] + self.token_type[0]) + self.position[positions]
        x = _layer_norm(x, *self.embedding_norm, self.eps)
        hidden = x.shape[1]
        size = hidden // self.heads
        scale = np.float32(1 / math.sqrt(size))
        for layer in self.layers:
            qkv = x @ layer["qkv"].T + layer["qkv_bias"]
            context = np.empty_like(x)
            for start, n in zip(starts, lengths):
                rows = qkv[start : start + n].reshape(n, 3, self.heads, size).transpose(1, 2, 0, 3)  # 3, heads, n, d
                q, k, v = rows[0], rows[1], rows[2]
                scores = q @ k.transpose(0, 2, 1)
                scores *= scale
                scores -= scores.max(axis=-1, keepdims=True)
                np.exp(scores, out=scores)
                scores /= scores.sum(axis=-1, keepdims=True)
                context[start : start + n] = (scores @ v).transpose(1, 0, 2).reshape(n, hidden)
            x = _layer_norm(context @ layer["out"].T + layer["out_bias"] + x, *layer["out_norm"], self.eps)
            out = np.empty_like(x)
            for i in range(0, len(x), _ROWS):
                up = _gelu(x[i : i + _ROWS] @ layer["up"].T + layer["up_bias"])
                out[i : i + _ROWS] = up @ layer["down"].T + layer["down_bias"]
            x = _layer_norm(out + x, *layer["down_norm"], self.eps)
        return x, starts, lengths


def _batches(ids: list[np.ndarray], size: int, cores: int = 1) -> list[list[int]]:
    """Indices of the sequences in batches of at most `size` sequences and (unless one is longer) `_TOKENS` tokens,
    longest first: batches small enough to share out among cores, large enough for fast matrix products. A few
    texts (one small document's chunks) are cut into at least `cores` batches, so that every core gets work."""
    limit = min(_TOKENS, -(-sum(len(s) for s in ids) // max(cores, 1)))
    batches: list[list[int]] = []
    tokens = 0
    for i in sorted(range(len(ids)), key=lambda i: -len(ids[i])):
        if not batches or len(batches[-1]) >= size or tokens + len(ids[i]) > limit:
            batches.append([])
            tokens = 0
        batches[-1].append(i)
        tokens += len(ids[i])
    return batches


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _describe(folder: Path) -> tuple[Path, int, dict[str, Any], bool] | str:
    """(transformer folder, max_seq_length, BERT config, whether it normalizes) of a folder this module computes
    exactly, else why not."""
    modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return f"modules {kinds}, not Transformer, Pooling (and Normalize)"
    transformer = folder / modules[0].get("path", "")
    pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    if modes != {"pooling_mode_mean_tokens"} or pooling.get("include_prompt", True) is not True:
        return f"pooling {sorted(modes)}, not mean tokens alone"
    st_config = json.loads((transformer / "sentence_bert_config.json").read_text(encoding="utf-8"))
    if set(st_config) - {"max_seq_length", "do_lower_case"} or st_config.get("do_lower_case"):
        return f"sentence_bert_config {st_config}, not just max_seq_length"
    extra = folder / "config_sentence_transformers.json"
    if extra.is_file():
        st_extra = json.loads(extra.read_text(encoding="utf-8"))
        if st_extra.get("default_prompt_name") or st_extra.get("prompts"):
            return "it has prompts"
    config = json.loads((transformer / "config.json").read_text(encoding="utf-8"))
    expected = {"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute"}
    wrong = {k: config.get(k, "absolute" if k == "position_embedding_type" else None) for k in expected}
    if wrong != expected or config.get("architectures", ["BertModel"]) != ["BertModel"]:
        return f"config {wrong}, not a BertModel with GELU and absolute positions"
    if (
        config["hidden_size"] % config["num_attention_heads"]
        or pooling["word_embedding_dimension"] != config["hidden_size"]
    ):
        return "its sizes do not fit"
    if not (transformer / "tokenizer.json").is_file():
        return "it has no tokenizer.json"
    if reason := _tokenizer_differs(transformer):
        return reason
    dtypes = {
        v["dtype"] for k, v in _safetensors_header(transformer / "model.safetensors")[1].items() if k != "__metadata__"
    }
    if dtypes - {"F32", "I64"}:
        return f"weights of types {sorted(dtypes)}, not float32"
    if not st_config.get("max_seq_length"):
        return "sentence_bert_config sets no max_seq_length"
    max_seq_length = min(int(st_config["max_seq_length"]), int(config["max_position_embeddings"]))
    return transformer, max_seq_length, config, len(kinds) == 3


def _tokenizer_differs(transformer: Path) -> str | None:
    """Why the `tokenizers` view of tokenizer.json may not be the tokenizer transformers builds (which may build a
    BERT tokenizer from tokenizer_config.json's options), or None: a WordPiece with BERT's normalizer, whose options
    the config repeats."""
    tokenizer = json.loads((transformer / "tokenizer.json").read_text(encoding="utf-8"))
    normalizer = tokenizer.get("normalizer") or {}
    if (tokenizer.get("model") or {}).get("type") != "WordPiece" or normalizer.get("type") != "BertNormalizer":
        return "tokenizer.json is not a BERT WordPiece tokenizer"
    path = transformer / "tokenizer_config.json"
    options = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if options.get("tokenizer_class", "BertTokenizer") not in ("BertTokenizer", "BertTokenizerFast"):
        return f"its tokenizer is {options['tokenizer_class']}"
    pairs = {
        "do_lower_case": "lowercase",
        "strip_accents": "strip_accents",
        "tokenize_chinese_chars": "handle_chinese_chars",
    }
    for option, field in pairs.items():
        if option in options and options[option] != normalizer.get(field):
            return f"tokenizer_config.json's {option} is not tokenizer.json's {field}"
    return None


def _safetensors_header(path: Path) -> tuple[int, dict[str, Any]]:
    with open(path, "rb") as file:
        (size,) = struct.unpack("<Q", file.read(8))
        return 8 + size, json.loads(file.read(size))


def _safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a safetensors file as read-only arrays mapped from it (pages are read when first used)."""
    offset, header = _safetensors_header(path)
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=offset)
    dtypes = {"F32": np.dtype("<f4"), "I64": np.dtype("<i8")}
    tensors = {}
    for name, info in header.items():
        if name != "__metadata__":
            begin, end = info["data_offsets"]
            tensors[name] = np.asarray(data[begin:end]).view(dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


_BLAS_LOCK = threading.Lock()
_blas_users = 0
_blas_limit: Any = None  # threadpoolctl's limiter while some thread encodes


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """numpy's BLAS limited to one thread while any thread encodes (the limit is the whole process's: other numpy
    work meanwhile runs on one thread too; the first encoder in sets it, the last one out restores it). The many
    small products of attention run several times faster so, and `encode` spreads batches over the cores itself.
    Without `threadpoolctl` (a dependency of scikit-learn, so of sentence-transformers) the BLAS keeps its
    threads."""
    global _blas_users, _blas_limit
    with _BLAS_LOCK:
        if _blas_users == 0:
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # pragma: no cover - installed with sentence-transformers
                _blas_limit = None
            else:
                _blas_limit = ThreadpoolController().limit(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    out = x - x.mean(axis=-1, keepdims=True)
    variance = np.einsum("ij,ij->i", out, out)[:, None]
    variance /= np.float32(x.shape[-1])
    variance += np.float32(eps)
    out /= np.sqrt(variance, out=variance)
    out *= weight
    out += bias
    return out


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's "gelu", x·Φ(x) with the error function, in float32; erf by Abramowitz & Stegun 7.1.26 (|error| <
    1.5e-7, about float32's rounding near 1). Computed in place on three buffers: this runs on every feed-forward
    slice, and numpy's temporaries made it ~15% of a forward pass (4× slower than this)."""
    z = np.abs(x)
    z *= np.float32(1 / math.sqrt(2))
    t = z * np.float32(0.3275911)
    t += np.float32(1)
    np.reciprocal(t, out=t)
    tail = t * _A[4]  # becomes 1 - erf(|z|) = t·(a1 + t·(a2 + …))·exp(-z²)
    for a in _A[3::-1]:
        tail += a
        tail *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    tail *= z
    np.copysign(tail, x, out=tail)  # 1 + erf(x/√2) = 1 + sign(x)·(1 - tail) = 1 + sign(x) - sign(x)·tail
    out = np.sign(x)
    out += np.float32(1)
    out -= tail
    out *= x
    out *= np.float32(0.5)
    return out


_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))
