"""Retrieval variants on RealTime QA: answer-recall@5 of ways to rank the same candidates, on an existing index.

Asks every question whose answer occurs in the articles once, keeps the dense and the BM25 candidate lists, then
ranks them in several ways offline and prints the recall@5 of each, with two ceilings (the share of questions
whose answer is anywhere in a larger candidate pool). It answers "would a better ordering of our candidates
reach the target?" without re-ingesting anything. Leaves out ingestion (`bench.realtimeqa` measures that) and
variants that need a new index (chunk size, other embeddings).

    rag adapt realtimeqa ../shared/benchmarks/realtimeqa-2023-q1 eval/generated/realtimeqa
    rag ingest --data-dir /tmp/rtqa eval/generated/realtimeqa/corpus       # about 20 minutes on 2 cores
    python -m bench.retrieval_variants --data-dir /tmp/rtqa [--embed-sentences]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bench.realtimeqa import DATA, ROOT
from rag.answer.extractive import answer_type
from rag.lexical import tokenize
from rag.retrieve import drop_overlaps, fuse
from rag.types import Chunk

POOL = 60


class Candidates:
    """Per question: its dense and BM25 candidate lists (POOL each), over one index."""

    def __init__(self, data_dir: Path, corpus: Path) -> None:
        from rag import Assistant, Settings

        self.assistant = Assistant(Settings(data_dir=data_dir, corpus_dir=corpus))
        lexical = self.assistant.retriever.lexical
        self.idf = lexical.idf
        questions = [json.loads(line) for line in (DATA / "questions.jsonl").read_text().splitlines() if line]
        self.rows = []
        for q in (q for q in questions if q["answer_in_corpus"]):
            vector = self.assistant.embeddings.embed_query(q["question"])
            dense = [c for c, _ in self.assistant.store.dense_search(vector, POOL)]
            bm25 = [c for c, _ in lexical.search(q["question"], POOL)]
            self.rows.append(
                {"question": q["question"], "answer": q["answer"], "vector": vector, "dense": dense, "bm25": bm25}
            )

    def recall(self, rank: Callable[[dict], Sequence[Chunk]], k: int = 5) -> float:
        hits = sum(any(r["answer"].lower() in c.text.lower() for c in rank(r)[:k]) for r in self.rows)
        return round(hits / len(self.rows), 3)


def hybrid(row: dict, fetch: int = 20, rrf_k: int = 60, weights: tuple[float, float] = (1.0, 1.0)) -> list[Chunk]:
    """The shipped ordering (equal weights): RRF of the two lists, overlapping chunks dropped."""
    fused = fuse([row["dense"][:fetch], row["bm25"][:fetch]], rrf_k, weights)
    return [c for c, _ in drop_overlaps(fused)]


def by_sentence_coverage(cands: Candidates, row: dict, fused_weight: float) -> list[Chunk]:
    """Top 20 reordered by their best sentence's IDF-weighted share of question terms (less an answer-type miss)."""
    weights = {t: cands.idf(t) for t in set(tokenize(row["question"]))}
    total = sum(weights.values()) or 1.0
    fits = answer_type(row["question"])

    def best(chunk: Chunk) -> float:
        scores = [
            sum(w for t, w in weights.items() if t in set(tokenize(text))) / total
            - (0.1 if fits and not fits(text, row["question"]) else 0.0)
            for _, _, text in chunk.sentence_texts()
        ]
        return max(scores, default=0.0)

    top = hybrid(row)[:20]
    return sorted(top, key=lambda c: -(best(c) + fused_weight * 60 / (61 + top.index(c))))


def by_sentence_similarity(cands: Candidates, row: dict) -> list[Chunk]:
    """Top 20 reordered by the best cosine similarity of one of their sentences to the question."""
    top = hybrid(row)[:20]
    sentences = [(c.id, text) for c in top for _, _, text in c.sentence_texts()]
    vectors = np.asarray(cands.assistant.embeddings.encode([t for _, t in sentences]), dtype=np.float32)
    best: dict[str, float] = {}
    for (chunk_id, _), sim in zip(sentences, vectors @ np.asarray(row["vector"], dtype=np.float32)):
        best[chunk_id] = max(best.get(chunk_id, -1.0), float(sim))
    return sorted(top, key=lambda c: -best[c.id])


def per_document_cap(row: dict, cap: int) -> list[Chunk]:
    seen: Counter[str] = Counter()
    kept = []
    for chunk in hybrid(row):
        if seen[chunk.source] < cap:
            kept.append(chunk)
            seen[chunk.source] += 1
    return kept


def document_votes(row: dict, share: float) -> list[Chunk]:
    """Chunks gain `share` of the fused score of the other candidates of their document."""
    fused = fuse([row["dense"][:20], row["bm25"][:20]])
    per_doc: Counter[str] = Counter()
    for chunk, score in fused:
        per_doc[chunk.source] += score
    rescored = [(c, s + share * (per_doc[c.source] - s)) for c, s in fused]
    return [c for c, _ in drop_overlaps(sorted(rescored, key=lambda pair: -pair[1]))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the RealTime QA articles")
    parser.add_argument("--corpus", type=Path, default=ROOT / "eval" / "generated" / "realtimeqa" / "corpus")
    parser.add_argument("--embed-sentences", action="store_true", help="also the sentence-similarity rerank (slow)")
    args = parser.parse_args()
    cands = Candidates(args.data_dir, args.corpus)
    rows = [
        ("hybrid RRF, as shipped", cands.recall(hybrid)),
        ("dense only", cands.recall(lambda r: [c for c, _ in drop_overlaps([(c, 0) for c in r["dense"]])])),
        ("BM25 only", cands.recall(lambda r: [c for c, _ in drop_overlaps([(c, 0) for c in r["bm25"]])])),
        *((f"hybrid, fetch_k {f}", cands.recall(lambda r, f=f: hybrid(r, fetch=f))) for f in (10, 40, 60)),
        *((f"hybrid, rrf_k {k}", cands.recall(lambda r, k=k: hybrid(r, rrf_k=k))) for k in (5, 120)),
        *(
            (f"hybrid, weights dense {w[0]} : BM25 {w[1]}", cands.recall(lambda r, w=w: hybrid(r, weights=w)))
            for w in ((0.5, 1.0), (0.7, 1.0), (1.0, 0.5))
        ),
        *(
            (
                f"top 20 by best sentence's coverage, + {f} × fused",
                cands.recall(lambda r, f=f: by_sentence_coverage(cands, r, f)),
            )
            for f in (0.0, 0.5, 1.0)
        ),
        *((f"at most {n} chunk(s) per document", cands.recall(lambda r, n=n: per_document_cap(r, n))) for n in (1, 2)),
        *((f"document votes, share {s}", cands.recall(lambda r, s=s: document_votes(r, s))) for s in (0.25, 1.0)),
    ]
    if args.embed_sentences:
        rows.append(("top 20 by best sentence's similarity", cands.recall(lambda r: by_sentence_similarity(cands, r))))
    rows += [
        ("ceiling: answer anywhere in the fused top 20", cands.recall(hybrid, k=20)),
        (
            "ceiling: dense top 10 ∪ BM25 top 10",
            cands.recall(lambda r: r["dense"][:10] + r["bm25"][:10], k=20),
        ),
    ]
    print(f"{len(cands.rows)} questions\n\n| ranking | answer-recall@5 |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.3f} |")


if __name__ == "__main__":
    main()
