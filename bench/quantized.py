"""int8 for the bundled embedding model: speed and closeness to fp32 of torch's dynamic quantization (issue #10).

Embeds the same news chunks with all-MiniLM-L6-v2 in fp32 (sentence-transformers on torch) and with its Linear
layers quantized to int8 by `torch.ao.quantization.quantize_dynamic` in three ways (per-tensor weights, per-channel
weights, per-channel on the attention layers only), and prints each variant's texts-per-second ratio to fp32 and the
cosine of its vectors to fp32's. Leaves out recall: a variant far from fp32 is not worth a retrieval run.

    python -m bench.quantized                 # 300 chunks of the first 60 RealTime QA articles
    python -m bench.quantized --texts 100

Retrieval with an int8 model: `python -m bench.realtimeqa --int8 channel` (see `use_int8`).
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings
from pathlib import Path

import numpy as np

from rag.config import PROJECT_ROOT, Settings
from rag.store import load_sentence_transformer

CORPUS = PROJECT_ROOT / "eval" / "generated" / "realtimeqa" / "corpus"


def chunks(count: int) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=900, chunk_overlap=0)
    texts: list[str] = []
    for path in sorted(Path(CORPUS).glob("*.txt"))[:60]:
        texts += splitter.split_text(path.read_text(encoding="utf-8"))
    return texts[:count]


def use_int8(mode: str) -> None:
    """Make this process's rag load every embedding model through sentence-transformers (torch) with int8 Linear
    layers (`rag.int8.quantize`; `mode` "channel": one scale per output row, "tensor": one per matrix): the int8 rows
    of `python -m bench.realtimeqa --int8 MODE`. "channel" is what `RAG_EMBEDDING_MODEL=minilm-int8` computes; the
    index records the fp32 model here (a fresh benchmark index, never opened with another model)."""
    import rag.store
    from rag.int8 import quantize

    per_channel = {"tensor": False, "channel": True}[mode]
    rag.store.load_model = lambda path, int8=False: quantize(load_sentence_transformer(path), per_channel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=300)
    args = parser.parse_args()
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig

    warnings.filterwarnings("ignore")  # torch.ao.quantization is deprecated (still in torch 2.13)
    texts = chunks(args.texts)
    base = load_sentence_transformer(str(Settings().embedding_model_path()))
    began = time.perf_counter()
    reference = base.encode(texts, normalize_embeddings=True)
    fp32_s = time.perf_counter() - began
    print(f"{len(texts)} chunks; fp32 {fp32_s:.1f} s")
    linear = [name for name, module in base.named_modules() if isinstance(module, torch.nn.Linear)]
    variants = {
        "int8 per-tensor": {torch.nn.Linear: default_dynamic_qconfig},
        "int8 per-channel": {torch.nn.Linear: per_channel_dynamic_qconfig},
        "int8 per-channel, attention only": {n: per_channel_dynamic_qconfig for n in linear if "attention" in n},
    }
    for name, spec in variants.items():
        model = copy.deepcopy(base)
        torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8, inplace=True)
        began = time.perf_counter()
        vectors = model.encode(texts, normalize_embeddings=True)
        seconds = time.perf_counter() - began
        cosine = (vectors * reference).sum(axis=1)
        print(
            f"{name:34} speed {fp32_s / seconds:.2f}x fp32   cosine to fp32: mean {np.mean(cosine):.3f}, "
            f"min {np.min(cosine):.3f}"
        )


if __name__ == "__main__":
    main()
