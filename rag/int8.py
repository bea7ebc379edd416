"""Int8 weights for a sentence-transformers model: torch's dynamic quantization of its Linear layers.

Owns the int8 variants (`VARIANTS`: a name, recorded by an index, and the Linear layers each leaves in fp32) and
`quantize`: the chosen Linear layers get int8 weights with one scale per output row (per-channel), in place (a copy
would keep the fp32 weights in memory too), while activations are quantized on the fly per batch.

- `int8-linear-per-channel` (every Linear layer): on all-MiniLM-L6-v2 about 1.1-1.5x the texts per CPU-second of
  fp32 torch, vectors at cosine ~0.98 from fp32 (`python -m bench.quantized`); one scale per matrix is faster
  still but drifts to ~0.93, so it is left to the benchmark.
- `int8-linear-per-channel-except-down_proj`: for nomic-embed-text-v1.5, whose MLP output projections (`down_proj`)
  read activations with outliers that one scale per batch cannot hold: all of its layers in int8 give vectors at
  cosine ~0.93 from fp32, all but those ~0.98 at ~1.7x fp32's speed (`python -m bench.quantized --model nomic`).

The registry's `-int8` models are loaded through here (`rag.store.load_model`); an index records each as another
model than its fp32 original (`rag.model_record.ModelId`), so two kinds of vectors never share an index. Leaves out
static quantization (calibration data), ONNX export and any numpy path: `rag.embed_fast` computes fp32 only.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PER_CHANNEL = "int8-linear-per-channel"
EXCEPT_DOWN_PROJ = "int8-linear-per-channel-except-down_proj"
VARIANTS: dict[str, tuple[str, ...]] = {  # variant -> names of the Linear layers it keeps in fp32
    PER_CHANNEL: (),
    EXCEPT_DOWN_PROJ: ("down_proj",),
}


def quantize(model: SentenceTransformer, variant: str = PER_CHANNEL, per_channel: bool = True) -> SentenceTransformer:
    """`model` with its Linear layers in int8 as `variant` says (`VARIANTS`), in place; returns it.

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

    if variant not in VARIANTS:
        msg = f"no int8 variant {variant!r}: one of {', '.join(VARIANTS)}"
        raise ValueError(msg)
    kept = VARIANTS[variant]
    with warnings.catch_warnings():  # torch.ao.quantization warns that it is deprecated (it is there in torch 2.13)
        warnings.simplefilter("ignore")
        from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

        qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
        chosen = {
            name: qconfig
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] not in kept
        }
        quantize_dynamic(model, chosen, dtype=torch.qint8, inplace=True)
    return model
