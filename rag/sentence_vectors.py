"""Sentence vectors computed in context, once, at ingest.

The extractive answerer re-scores its best candidate sentences by their similarity to the question. Embedding
those sentences on every question was most of an answer's time (six sentences: ~100 ms of a ~170 ms answer on 2
cores). The chunk's own forward pass at ingest already holds a vector for every token; the mean of a sentence's
token vectors is a vector for that sentence read in its context, for free. On the seed and SQuAD suites it ranks
as well as embedding the sentence alone (README: "Sentence vectors from the ingest pass").

Owns: the token states of a batch of texts with each token's character offsets (numpy `BertEncoder` or
sentence-transformers), pooling them per sentence, packing the result into one metadata string per chunk
(`sentence_vectors`: per sentence a token count, a scale and the mean vector in int8, base64), and combining the
sentences of a span back into one unit vector at answer time. Leaves out where the string is stored (`rag.store`)
and how similarities are weighed (`rag.answer.extractive`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.types import Chunk

FORMAT = "v1:"  # bumped when the packing changes; an unknown format is read as "no vectors"
METADATA_KEY = "sentence_vectors"


def encode_with_tokens(model: Any, texts: Sequence[str]) -> list[tuple[list[float], np.ndarray, np.ndarray]]:
    """For each text, in one forward pass: its unit vector as the model computes it, its tokens' (start, end)
    character offsets (special tokens have an empty span) and their last hidden states (of the first
    `max_seq_length` tokens of a longer text)."""
    from rag.embed_fast import BertEncoder

    texts = list(texts)
    if not texts:
        return []
    if isinstance(model, BertEncoder):  # mean pooling, by construction
        states = model.encode(texts, output_value="token_embeddings")
        offsets = [np.asarray(e.offsets, dtype=np.int64) for e in model.tokenizer.encode_batch(texts)]
        return [(_unit(s.mean(axis=0)), o, s) for o, s in zip(offsets, states, strict=True)]
    outputs = model.encode(texts, output_value=None, batch_size=32, show_progress_bar=False)
    found = []
    for text, out in zip(texts, outputs, strict=True):
        n = int(out["attention_mask"].sum())
        encoded = model.tokenizer(text, return_offsets_mapping=True, truncation=True, max_length=model.max_seq_length)
        offsets = np.asarray(encoded["offset_mapping"][:n], dtype=np.int64)
        found.append(
            (_unit(out["sentence_embedding"].float().numpy()), offsets, out["token_embeddings"][:n].float().numpy())
        )
    return found


def pools_by_mean(model: Any) -> bool:
    """Whether the model's vector is the mean of its token states: only then is a sentence's mean comparable with
    the question's vector (a model pooled by [CLS] gets no sentence vectors)."""
    from rag.embed_fast import BertEncoder

    if isinstance(model, BertEncoder):
        return True
    return any(getattr(module, "pooling_mode", None) == "mean" for module in model)  # a single mode is a str


def _unit(vector: np.ndarray) -> list[float]:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).tolist()


def pool(offsets: np.ndarray, states: np.ndarray, spans: Sequence[tuple[int, int]]) -> str:
    """Pack the mean token state of each span (character offsets into the text the states are of); a span none of
    whose tokens were computed (past the model's length) gets a count of 0."""
    if not spans:
        return ""
    real = offsets[:, 1] > offsets[:, 0]
    means = np.zeros((len(spans), states.shape[1]), np.float32)
    counts = np.zeros(len(spans), np.int64)
    for i, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] < end) & (offsets[:, 1] > start)
        counts[i] = int(inside.sum())
        if counts[i]:
            means[i] = states[inside].mean(axis=0)
    return pack(means, counts)


def pack(means: np.ndarray, counts: np.ndarray) -> str:
    """Sentence means and token counts as one ASCII string (int8 with a scale per sentence)."""
    scale = np.maximum(np.abs(means).max(axis=1), 1e-12) / 127
    quantized = np.round(means / scale[:, None]).astype(np.int8)
    header = np.array([len(counts), means.shape[1]], "<u2").tobytes()
    blob = header + np.minimum(counts, 65535).astype("<u2").tobytes() + scale.astype("<f4").tobytes()
    return FORMAT + base64.b64encode(blob + quantized.tobytes()).decode("ascii")


def unpack(text: str) -> tuple[np.ndarray, np.ndarray] | None:
    """(means, counts) of a packed string, or None for "" or a format this version does not read."""
    if not text.startswith(FORMAT):
        return None
    blob = base64.b64decode(text[len(FORMAT) :])
    n, dim = np.frombuffer(blob[:4], "<u2")
    counts = np.frombuffer(blob, "<u2", n, 4).astype(np.int64)
    scale = np.frombuffer(blob, "<f4", n, 4 + 2 * n)
    quantized = np.frombuffer(blob, np.int8, n * dim, 4 + 6 * n).reshape(n, dim)
    return quantized.astype(np.float32) * scale[:, None], counts


def span_vector(chunk: Chunk, start: int, end: int) -> np.ndarray | None:
    """The unit vector of the chunk's sentences inside [start, end) (absolute offsets; one sentence or a few in a
    row), or None when the chunk has no sentence vectors or one of those sentences was not computed."""
    unpacked = unpack(chunk.sentence_vectors)
    if unpacked is None or len(unpacked[1]) != len(chunk.sentences):
        return None
    means, counts = unpacked
    inside = [i for i, (s, e) in enumerate(chunk.sentences) if s >= start and e <= end]
    if not inside or not all(counts[i] for i in inside):
        return None
    total = (means[inside] * counts[inside, None]).sum(axis=0)
    return total / max(float(np.linalg.norm(total)), 1e-12)
