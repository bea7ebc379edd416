"""int8 for an embedding model: speed and closeness to fp32 of torch's dynamic quantization (issue #10).

Embeds the same news chunks with a registry model (all-MiniLM-L6-v2 unless `--model`) in fp32 (sentence-transformers
on torch) and with its Linear layers quantized to int8 by `torch.ao.quantization.quantize_dynamic` in several ways
(per-tensor weights; per-channel weights on the attention layers only; each variant of `rag.int8.VARIANTS`: every
layer, every layer but the MLP output projections), and prints each variant's texts-per-second ratio to fp32 and the
cosine of its vectors to fp32's. Leaves out recall: a variant far from fp32 is not worth a retrieval run.

    python -m bench.quantized                 # 300 chunks of the first 60 RealTime QA articles
    python -m bench.quantized --texts 100
    python -m bench.quantized --model nomic --texts 100   # after `rag model fetch nomic`

Retrieval with an int8 model: `python -m bench.realtimeqa --int8 channel` (see `use_int8`), or any registry
`-int8` model with `RAG_EMBEDDING_MODEL`.
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np

from bench.realtimeqa import article_text, load
from rag.config import Settings
from rag.store import load_sentence_transformer


def chunks(count: int) -> list[str]:
    """The first `count` 900-character chunks of the first 60 RealTime QA articles (the benchmark set's files)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=900, chunk_overlap=0)
    texts: list[str] = []
    for doc in sorted(load(None)[0], key=lambda d: d["id"])[:60]:
        texts += splitter.split_text(article_text(doc))
    return texts[:count]


def use_int8(mode: str) -> None:
    """Make this process's rag load every embedding model through sentence-transformers (torch) with int8 Linear
    layers (`rag.int8.quantize`; `mode` "channel": one scale per output row, "tensor": one per matrix): the int8 rows
    of `python -m bench.realtimeqa --int8 MODE`. "channel" is what `RAG_EMBEDDING_MODEL=minilm-int8` computes; the
    index records the fp32 model here (a fresh benchmark index, never opened with another model)."""
    import rag.store
    from rag.int8 import quantize

    per_channel = {"tensor": False, "channel": True}[mode]
    rag.store.load_model = lambda path, int8="": quantize(load_sentence_transformer(path), per_channel=per_channel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--model", default="minilm", help="a registry model (fp32), e.g. nomic; default minilm")
    args = parser.parse_args()
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    from rag.int8 import PER_CHANNEL, VARIANTS, quantize

    warnings.filterwarnings("ignore")  # torch.ao.quantization is deprecated (still in torch 2.13)
    choice = Settings(embedding_model=args.model).embedding_choice()
    texts = [choice.document_prefix + t for t in chunks(args.texts)]
    base = load_sentence_transformer(str(choice.folder))
    base.encode(texts[:4])  # warm-up
    began = time.perf_counter()
    reference = base.encode(texts, normalize_embeddings=True)
    fp32_s = time.perf_counter() - began
    print(f"{choice.name}: {len(texts)} chunks; fp32 {fp32_s:.1f} s")
    attention = {
        name: per_channel_dynamic_qconfig
        for name, module in base.named_modules()
        if isinstance(module, torch.nn.Linear) and ("attention" in name or "self_attn" in name)
    }
    variants = {
        "int8 per-tensor": lambda model: quantize(model, PER_CHANNEL, per_channel=False),
        "int8 per-channel, attention only": lambda model: torch.ao.quantization.quantize_dynamic(
            model, attention, dtype=torch.qint8, inplace=True
        ),
        **{variant: (lambda model, variant=variant: quantize(model, variant)) for variant in VARIANTS},
    }
    for name, make in variants.items():
        model = copy.deepcopy(base)
        make(model)
        model.encode(texts[:4])
        began = time.perf_counter()
        vectors = model.encode(texts, normalize_embeddings=True)
        seconds = time.perf_counter() - began
        cosine = (vectors * reference).sum(axis=1)
        print(
            f"{name:42} speed {fp32_s / seconds:.2f}x fp32   cosine to fp32: mean {np.mean(cosine):.3f}, "
            f"min {np.min(cosine):.3f}"
        )


if __name__ == "__main__":
    main()
