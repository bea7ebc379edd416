"""Int8 weights for a sentence-transformers model: torch's dynamic quantization of its Linear layers.

Owns `quantize`: every `torch.nn.Linear` of a loaded model gets int8 weights with one scale per output row
(per-channel), in place (a copy would keep the fp32 weights in memory too), while activations are quantized on the
fly per batch. On all-MiniLM-L6-v2 this embeds about 1.1-1.5x the texts per CPU-second of fp32 torch, with vectors
at cosine ~0.98 from fp32 (`python -m bench.quantized`); one scale per matrix is faster still but drifts to ~0.93,
so it is left to the benchmark. The registry's `all-MiniLM-L6-v2-int8` is loaded through here
(`rag.store.load_model`); its index records it as another model than fp32's (`rag.model_record.ModelId`), so the
two kinds of vectors never share an index. Leaves out static quantization (calibration data), ONNX export and any
numpy path: `rag.embed_fast` computes fp32 only.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

VARIANT = "int8-linear-per-channel"  # how an index records the weights it was built with (`ModelId.of`)


def quantize(model: SentenceTransformer, per_channel: bool = True) -> SentenceTransformer:
    """`model` with its Linear layers in int8, in place; returns it.

    Example:
        >>> from rag.config import Settings
        >>> from rag.store import load_sentence_transformer
        >>> model = quantize(load_sentence_transformer(str(Settings().embedding_model_path())))
        >>> type(model[0].auto_model.encoder.layer[0].output.dense).__name__
        'Linear'
        >>> model[0].auto_model.encoder.layer[0].output.dense.__module__
        'torch.ao.nn.quantized.dynamic.modules.linear'
    """
    import torch

    with warnings.catch_warnings():  # torch.ao.quantization warns that it is deprecated (it is there in torch 2.13)
        warnings.simplefilter("ignore")
        from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

        qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
        quantize_dynamic(model, {torch.nn.Linear: qconfig}, dtype=torch.qint8, inplace=True)
    return model
