"""Retrieval variants on RealTime QA: answer-recall@5 of ways to rank the same candidates, on an existing index.

Asks every question whose answer occurs in the articles once, keeps the dense and the BM25 candidate lists, then
ranks them in several ways offline and prints the recall@5 of each, with ceilings (the share of questions
whose answer is anywhere in a larger candidate pool). It answers "would a better ordering of our candidates
reach the target?" without re-ingesting anything. Besides reorderings it tries two other candidate sources that
need no new embeddings: BM25 over two-sentence windows (each hit standing for its chunk) and article-level
signals (title similarity, whole-article BM25). Leaves out ingestion (`bench.realtimeqa` measures that) and
variants that need a new index: for another chunk size, ingest with `RAG_CHUNK_SIZE` set and run this with it set.

    rag adapt realtimeqa ../shared/benchmarks/realtimeqa-2023-q1 eval/generated/realtimeqa
    rag ingest --data-dir /tmp/rtqa eval/generated/realtimeqa/corpus       # about 20 minutes on 2 cores
    python -m bench.retrieval_variants --data-dir /tmp/rtqa [--embed-sentences] [--token-maxsim]
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
from rag.lexical import LexicalIndex, tokenize
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


def add_window_hits(cands: Candidates, width: int = 2, keep: int = 20) -> None:
    """Each row gains "windows": the chunks of its best BM25 hits among windows of `width` sentences."""
    owner: dict[str, Chunk] = {}
    windows, seen = [], set()
    for chunk in cands.assistant.store.chunks():
        sentences = chunk.sentence_texts()
        for i in range(len(sentences)):
            part = sentences[i : i + width]
            start, end = part[0][0], part[-1][1]
            if (chunk.source, start, end) not in seen:
                seen.add((chunk.source, start, end))
                text = " ".join(t for _, _, t in part)
                windows.append(Chunk(f"{chunk.id}:{i}", text, chunk.source, start, end, chunk.title))
                owner[windows[-1].id] = chunk
    index = LexicalIndex(windows)
    for row in cands.rows:
        found = [owner[w.id] for w, _ in index.search(row["question"], 10 * keep)]
        row["windows"] = list(dict.fromkeys(found))[:keep]


def add_article_ranks(cands: Candidates, corpus: Path) -> None:
    """Each row gains "title" and "article": its candidates ordered by their article's title similarity to the
    question, and by BM25 over whole articles."""
    chunks = cands.assistant.store.chunks()
    titles = {c.source: c.title for c in chunks}
    sources = sorted(titles)
    title_vectors = np.asarray(cands.assistant.embeddings.encode([titles[s] for s in sources]), dtype=np.float32)
    articles = LexicalIndex([Chunk(s, (corpus / s).read_text(encoding="utf-8"), s, 0, 0, titles[s]) for s in sources])
    for row in cands.rows:
        pool = list(dict.fromkeys(row["dense"][:20] + row["bm25"][:20]))
        similarity = dict(zip(sources, (title_vectors @ np.asarray(row["vector"], dtype=np.float32)).tolist()))
        bm25 = {c.source: score for c, score in articles.search(row["question"], len(sources))}
        row["title"] = sorted(pool, key=lambda c: -similarity[c.source])
        row["article"] = sorted(pool, key=lambda c: -bm25.get(c.source, 0.0))


def add_token_maxsim(cands: Candidates) -> None:
    """Each row gains "maxsim": its fused top 20 reordered ColBERT-style, by the mean over question tokens of the
    best cosine to a passage token, with MiniLM's token embeddings (slow: about half a second a question)."""
    model = cands.assistant.embeddings.model

    def tokens(texts: list[str]) -> list[np.ndarray]:
        out = model.encode(texts, output_value="token_embeddings", show_progress_bar=False)
        vectors = [np.asarray(v, dtype=np.float32) for v in out]
        return [v / np.linalg.norm(v, axis=1, keepdims=True) for v in vectors]

    for row in cands.rows:
        top = hybrid(row)[:20]
        question = tokens([row["question"]])[0][1:-1]  # without [CLS] and [SEP]
        scores = [float((question @ p.T).max(axis=1).mean()) for p in tokens([c.text for c in top])]
        row["maxsim"] = [top[i] for i in np.argsort(scores)[::-1]]


def fused(rankings: Sequence[Sequence[Chunk]], rrf_k: int = 60, weights: Sequence[float] | None = None) -> list[Chunk]:
    """RRF of the rankings (one ranking keeps its order), overlapping chunks dropped, as the retriever does."""
    return [c for c, _ in drop_overlaps(fuse(rankings, rrf_k, weights))]


def with_list(row: dict, name: str, weight: float = 1.0) -> list[Chunk]:
    """The shipped fusion with one more ranked list."""
    return fused([row["dense"][:20], row["bm25"][:20], row[name]], weights=[1.0, 1.0, weight])


def hybrid(row: dict, fetch: int = 20, rrf_k: int = 60, weights: tuple[float, float] = (1.0, 1.0)) -> list[Chunk]:
    """The shipped ordering (equal weights): RRF of the two lists, overlapping chunks dropped."""
    return fused([row["dense"][:fetch], row["bm25"][:fetch]], rrf_k, weights)


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


Row = tuple[str, float]


def reorderings(cands: Candidates) -> list[Row]:
    """The shipped fusion, its parameters, and reorderings of its candidates."""
    return [
        ("hybrid RRF, as shipped", cands.recall(hybrid)),
        ("dense only", cands.recall(lambda r: fused([r["dense"]]))),
        ("BM25 only", cands.recall(lambda r: fused([r["bm25"]]))),
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


def other_sources(cands: Candidates, corpus: Path) -> list[Row]:
    """Candidates from BM25 over sentence windows and from article-level signals."""
    add_window_hits(cands)
    add_article_ranks(cands, corpus)
    return [
        ("BM25 over 2-sentence windows (hits stand for their chunks) alone", cands.recall(lambda r: r["windows"])),
        ("dense ⊕ window BM25, instead of chunk BM25", cands.recall(lambda r: fused([r["dense"][:20], r["windows"]]))),
        ("dense ⊕ chunk BM25 ⊕ window BM25", cands.recall(lambda r: with_list(r, "windows"))),
        *(
            (
                f"+ candidates ranked by their article's {name}, weight {w}",
                cands.recall(lambda r, n=key, w=w: with_list(r, n, w)),
            )
            for key, name in (("title", "title similarity"), ("article", "whole-article BM25"))
            for w in (0.5, 1.0)
        ),
    ]


def ceilings(cands: Candidates, corpus: Path) -> list[Row]:
    """Shares of questions whose answer lies anywhere in a larger pool than the top 5 passages."""
    top5 = {id(r): hybrid(r)[:5] for r in cands.rows}
    articles = {
        s: (corpus / s).read_text(encoding="utf-8").lower() for t in top5.values() for s in {c.source for c in t}
    }
    in_articles = sum(any(r["answer"].lower() in articles[c.source] for c in top5[id(r)]) for r in cands.rows)
    return [
        (
            "ceiling: answer anywhere in the whole articles of the shipped top 5",
            round(in_articles / len(cands.rows), 3),
        ),
        ("ceiling: answer anywhere in the fused top 20", cands.recall(hybrid, k=20)),
        ("ceiling: dense top 10 ∪ BM25 top 10", cands.recall(lambda r: r["dense"][:10] + r["bm25"][:10], k=20)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="an index of the RealTime QA articles")
    parser.add_argument("--corpus", type=Path, default=ROOT / "eval" / "generated" / "realtimeqa" / "corpus")
    parser.add_argument("--embed-sentences", action="store_true", help="also the sentence-similarity rerank (slow)")
    parser.add_argument("--token-maxsim", action="store_true", help="also the token MaxSim rerank (slower)")
    args = parser.parse_args()
    cands = Candidates(args.data_dir, args.corpus)
    rows = reorderings(cands)
    if args.embed_sentences:
        rows.append(("top 20 by best sentence's similarity", cands.recall(lambda r: by_sentence_similarity(cands, r))))
    if args.token_maxsim:
        add_token_maxsim(cands)
        rows.append(("top 20 by token MaxSim (ColBERT-style, MiniLM tokens)", cands.recall(lambda r: r["maxsim"])))
    rows += other_sources(cands, args.corpus) + ceilings(cands, args.corpus)
    chars = np.mean([len(c.text) for r in cands.rows for c in hybrid(r)[:5]])
    print(f"{len(cands.rows)} questions; the shipped top 5 passages average {chars:.0f} characters")
    print("\n| ranking | answer-recall@5 |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.3f} |")


if __name__ == "__main__":
    main()
