"""RealTime QA 2023-Q1 benchmark: this pipeline beside the LangChain tutorial pipeline, in one run.

For each pipeline, in its own process (so peak memory is its own): ingest the news articles, then ask every
question whose answer occurs in the corpus. Prints answer-recall@k (a retrieved passage contains the answer
string), the mean length of the passages returned (ours k=5, the tutorial's k=4), ingestion speed (characters per
second), query latency p50/p95 (warm), peak memory (max RSS), and for this pipeline the time to re-ingest the
unchanged corpus. Ours answers in a second, fresh process that only opens the index, so its `peak_rss_mb` is
that of a process serving the index (`ingest_peak_rss_mb` is the ingesting process's); the tutorial ingests and
answers in one process.

    python -m bench.realtimeqa                 # the whole set (about 25 M characters; tens of minutes on 2 cores)
    python -m bench.realtimeqa --weeks 2       # a quick run on the first two weeks' articles and questions
    python -m bench.realtimeqa --data DIR      # another set in the same format (docs.jsonl.gz, questions.jsonl)
    python -m bench.realtimeqa --only ours --index DIR   # keep ours' index in DIR; a later run only serves it
    python -m bench.realtimeqa --int8 channel  # ours with int8 Linear layers (as RAG_EMBEDDING_MODEL=minilm-int8)

A set is a folder holding `docs.jsonl.gz` (one article a line: `title`, `text`, `week`) and `questions.jsonl` (one
question a line: `question`, `answer`, `week`, `answer_in_corpus`), as ../shared/benchmarks/realtimeqa-2023-q1.

The tutorial pipeline is the one of LangChain's RAG tutorial: RecursiveCharacterTextSplitter(1000, 200), Chroma,
all-MiniLM-L6-v2 computed as its HuggingFaceEmbeddings does (sentence-transformers on torch, fp32), similarity
search with k=4. Ours uses the configured model (`RAG_EMBEDDING_MODEL`; MiniLM is computed with numpy).
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "benchmarks" / "realtimeqa-2023-q1"


def load(weeks: int | None, data: Path = DATA) -> tuple[list[dict], list[dict]]:
    """The articles and the questions whose answer occurs in them (of the first `weeks` weeks, or all) of the set
    in folder `data`."""
    missing = [name for name in ("docs.jsonl.gz", "questions.jsonl") if not (data / name).is_file()]
    if missing:
        msg = f"{data} is not a benchmark set: {' and '.join(missing)} missing (see `python -m bench.realtimeqa -h`)"
        raise SystemExit(msg)
    with gzip.open(data / "docs.jsonl.gz", "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    questions = [json.loads(line) for line in (data / "questions.jsonl").read_text().splitlines() if line.strip()]
    if weeks:
        kept = sorted({d["week"] for d in docs})[:weeks]
        docs = [d for d in docs if d["week"] in kept]
        questions = [q for q in questions if q["week"] in kept]
    return docs, [q for q in questions if q["answer_in_corpus"]]


def article_text(doc: dict) -> str:
    return f"{doc['title']}\n\n{doc['text']}"


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] if len(values) > 1 else values[0]


def peak_rss_mb() -> int:
    """This process's peak resident memory since it started its program (VmHWM; on Linux `ru_maxrss` would also
    count the parent's memory copied at fork, before exec)."""
    try:
        status = Path("/proc/self/status").read_text()
        return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024)
    except (OSError, StopIteration):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def hit(texts: list[str], answer: str) -> bool:
    return any(answer.lower() in t.lower() for t in texts)


def first_hit(texts: list[str], answer: str) -> float:
    """1 / rank of the first passage holding the answer (0 when none does): the summand of MRR."""
    return next((1 / rank for rank, t in enumerate(texts, start=1) if answer.lower() in t.lower()), 0.0)


def run_ours(
    docs: list[dict],
    questions: list[dict],
    work: Path,
    index: Path | None = None,
    data: Path = DATA,
    weeks: int | None = None,
    int8: str | None = None,
) -> dict:
    """Ingest into `index` (or a folder under `work`), re-ingest, then measure answering in a fresh serving process.

    An `index` that already holds the set is served as it is (no ingest figures)."""
    from rag import Assistant, Settings

    folder = work / "articles"
    folder.mkdir()
    for doc in docs:
        (folder / f"{doc['id']}.txt").write_text(article_text(doc), encoding="utf-8")
    data_dir = index or work / "data"
    ingest_s = reingest_s = None
    failed = 0
    if not (data_dir / "manifest.sqlite3").exists():
        assistant = Assistant(Settings(data_dir=data_dir, corpus_dir=folder))
        began = time.perf_counter()
        failed = len(assistant.ingest([folder]).failed)
        ingest_s = time.perf_counter() - began
        began = time.perf_counter()
        assistant.ingest([folder])
        reingest_s = time.perf_counter() - began
        del assistant
    ingest_rss = peak_rss_mb()
    served = serve_in_child(data_dir, data, weeks, int8)
    figures = {"ingest_s": ingest_s, "reingest_s": reingest_s, "failed": failed, "ingest_peak_rss_mb": ingest_rss}
    return {**served, **figures}


def serve_in_child(data_dir: Path, data: Path, weeks: int | None, int8: str | None = None) -> dict:
    """Answer the questions in a new process that only opens the index (its peak RSS is serving alone)."""
    command = [sys.executable, "-m", "bench.realtimeqa", "--child", "serve", "--index", str(data_dir)]
    command += ["--data", str(data)] + (["--weeks", str(weeks)] if weeks else [])
    command += ["--int8", int8] if int8 else []
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def serve(data_dir: Path, questions: list[dict]) -> dict:
    """Open a built index (no corpus check) and answer the questions; hits, latencies, chunks and peak RSS."""
    from rag import Assistant, Settings

    assistant = Assistant(Settings(data_dir=data_dir, corpus_dir=data_dir / "no-corpus"))
    assistant.answer(questions[0]["question"])  # warm-up
    hits, latencies, lengths, reciprocal = {1: 0, 4: 0, 5: 0}, [], [], 0.0
    for q in questions:
        began = time.perf_counter()
        answer = assistant.answer(q["question"], k=5)
        latencies.append((time.perf_counter() - began) * 1000)
        texts = [p.chunk.text for p in answer.passages]
        lengths += [len(t) for t in texts]
        for k in hits:
            hits[k] += hit(texts[:k], q["answer"])
        reciprocal += first_hit(texts, q["answer"])
    return {
        "passage_chars": round(statistics.mean(lengths)),
        "mrr@5": round(reciprocal / len(questions), 4),
        "chunks": assistant.store.count(),
        "hits": hits,
        "latencies": latencies,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_tutorial(docs: list[dict], questions: list[dict], work: Path) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.config import Settings
    from rag.store import LocalEmbeddings, load_sentence_transformer

    folder = Settings(embedding_model="all-MiniLM-L6-v2").embedding_model_path()
    embeddings = LocalEmbeddings(folder)
    embeddings.model = load_sentence_transformer(str(folder))  # as the tutorial's HuggingFaceEmbeddings: torch, fp32
    client = chromadb.PersistentClient(str(work / "tutorial"), settings=ChromaSettings(anonymized_telemetry=False))
    began = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    splits = splitter.split_documents([Document(article_text(d), metadata={"id": d["id"]}) for d in docs])
    store = Chroma(client=client, collection_name="tutorial", embedding_function=embeddings)
    batch = client.get_max_batch_size()
    for i in range(0, len(splits), batch):
        store.add_documents(splits[i : i + batch])
    ingest_s = time.perf_counter() - began
    store.similarity_search(questions[0]["question"], k=4)  # warm-up
    hits, latencies, lengths, reciprocal = {1: 0, 4: 0, 5: 0}, [], [], 0.0
    for q in questions:
        began = time.perf_counter()
        found = store.similarity_search(q["question"], k=5)
        latencies.append((time.perf_counter() - began) * 1000)
        texts = [d.page_content for d in found]
        lengths += [len(t) for t in texts[:4]]
        for k in hits:
            hits[k] += hit(texts[:k], q["answer"])
        reciprocal += first_hit(texts, q["answer"])
    return {
        "passage_chars": round(statistics.mean(lengths)),
        "mrr@5": round(reciprocal / len(questions), 4),
        "chunks": len(splits),
        "ingest_s": ingest_s,
        "reingest_s": None,
        "failed": 0,
        "peak_rss_mb": peak_rss_mb(),
        "hits": hits,
        "latencies": latencies,
    }


def child(
    pipeline: str, weeks: int | None, data: Path = DATA, index: Path | None = None, int8: str | None = None
) -> None:
    docs, questions = load(weeks, data)
    if pipeline == "serve":
        result = serve(index, questions)
        print(json.dumps(result))
        return
    with tempfile.TemporaryDirectory() as work:
        if pipeline == "ours":
            result = run_ours(docs, questions, Path(work), index, data, weeks, int8)
        else:
            result = run_tutorial(docs, questions, Path(work))
    chars = sum(len(article_text(d)) for d in docs)
    lat = result.pop("latencies")
    hits = result.pop("hits")
    summary = {
        "pipeline": pipeline,
        "docs": len(docs),
        "questions": len(questions),
        "chars": chars,
        **{f"recall@{k}": round(v / len(questions), 4) for k, v in hits.items()},
        "ingest_chars_per_s": round(chars / result["ingest_s"]) if result["ingest_s"] else None,
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        **{k: (round(v, 2) if isinstance(v, float) else v) for k, v in result.items()},
    }
    print(json.dumps(summary))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weeks", type=int, help="only the first N weeks of articles and questions")
    parser.add_argument("--child", choices=["ours", "tutorial", "serve"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--index", type=Path, help="keep ours' index in this folder; one that holds the set already is only served"
    )
    parser.add_argument("--only", choices=["ours", "tutorial"], help="run one pipeline only")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument("--data", type=Path, default=DATA, help=f"the benchmark set's folder (default: {DATA})")
    parser.add_argument(
        "--int8", choices=["tensor", "channel"], help="ours embeds with int8 Linear layers (bench.quantized.use_int8)"
    )
    args = parser.parse_args()
    args.data = args.data.resolve()
    if args.int8 and args.child in ("ours", "serve"):
        from bench.quantized import use_int8

        use_int8(args.int8)
    if args.child:
        child(args.child, args.weeks, args.data, args.index and args.index.resolve(), args.int8)
        return
    load(args.weeks, args.data)  # a folder that is not a set fails here, before anything runs
    results = []
    for pipeline in [args.only] if args.only else ["tutorial", "ours"]:
        command = [sys.executable, "-m", "bench.realtimeqa", "--child", pipeline, "--data", str(args.data)]
        if args.weeks:
            command += ["--weeks", str(args.weeks)]
        if args.index and pipeline == "ours":
            command += ["--index", str(args.index.resolve())]
        if args.int8:
            command += ["--int8", args.int8]
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print(f"{pipeline}: {results[-1]}", file=sys.stderr)
    keys = [
        "docs",
        "questions",
        "chunks",
        "recall@1",
        "recall@4",
        "recall@5",
        "mrr@5",
        "passage_chars",
        "ingest_chars_per_s",
        "ingest_s",
        "reingest_s",
        "p50_ms",
        "p95_ms",
        "peak_rss_mb",
        "ingest_peak_rss_mb",
    ]
    print(f"| metric | {' | '.join(r['pipeline'] for r in results)} |")
    print(f"|---|{'---|' * len(results)}")
    for key in keys:
        print(f"| {key} | {' | '.join(str(r.get(key)) for r in results)} |")
    ours = next((r for r in results if r["pipeline"] == "ours"), None)
    tutorial = next((r for r in results if r["pipeline"] == "tutorial"), None)
    if ours and tutorial:
        print(f"\nrecall@5 gain over the tutorial: {ours['recall@5'] - tutorial['recall@5']:+.3f}")
    if ours and ours["reingest_s"]:
        print(f"re-ingest / first ingest: {ours['reingest_s'] / ours['ingest_s']:.2%}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
