"""Adapters from public QA sets to our suite format: a `suite.jsonl` and a `corpus/` folder of text files.

Owns the conversion of SQuAD 2.0 (`squad2`) and RealTime QA (`realtimeqa`) as laid out in
`../shared/benchmarks/` (see its README). The output is for evaluation only: write it outside `corpus/`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from rag.errors import RagError


def _read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _write(dest: Path, documents: dict[str, str], items: list[dict]) -> Path:
    corpus = dest / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (corpus / name).write_text(text, encoding="utf-8")
    with open(dest / "suite.jsonl", "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    return dest / "suite.jsonl"


def squad2(source: Path, dest: Path) -> Path:
    """SQuAD 2.0: paragraphs become documents; unanswerable questions expect an abstention."""
    documents = {f"{d['id']}.txt": d["text"] for d in _read_jsonl(source / "docs.jsonl")}
    items = [
        {
            "id": q["id"],
            "question": q["question"].strip(),
            "answerable": bool(q["answerable"]),
            "expected": [q["answers"]] if q["answerable"] else [],
            "sources": [f"{q['doc_id']}.txt"],
        }
        for q in _read_jsonl(source / "questions.jsonl")
    ]
    return _write(dest, documents, items)


def realtimeqa(source: Path, dest: Path, weeks: int | None = None) -> Path:
    """RealTime QA: articles become documents (title, blank line, text); asked open-ended, without the choices.

    Questions whose answer occurs in no article (`answer_in_corpus` false) expect an abstention. `weeks` keeps the
    articles and questions of the first N weeks only (the set is 13 weeks of news).
    """
    articles = list(_read_jsonl(source / "docs.jsonl.gz"))
    questions = list(_read_jsonl(source / "questions.jsonl"))
    if weeks:
        kept = sorted({d["week"] for d in articles})[:weeks]
        articles = [d for d in articles if d["week"] in kept]
        questions = [q for q in questions if q["week"] in kept]
    documents = {f"{d['id']}.txt": f"{d['title']}\n\n{d['text']}" for d in articles}
    items = [
        {
            "id": q["id"],
            "question": q["question"].strip(),
            "answerable": bool(q["answer_in_corpus"]),
            "expected": [[q["answer"]]] if q["answer_in_corpus"] else [],
        }
        for q in questions
    ]
    return _write(dest, documents, items)


ADAPTERS = {"squad2": squad2, "realtimeqa": realtimeqa}


def adapt(name: str, source: Path, dest: Path, **options: int | None) -> Path:
    """Convert the public set `name` found in `source` into a suite and corpus under `dest`."""
    if name not in ADAPTERS:
        msg = f"unknown benchmark {name!r}; choose one of: {', '.join(ADAPTERS)}"
        raise RagError(msg)
    if not source.is_dir():
        msg = f"{source}: no such folder; point at e.g. ../shared/benchmarks/squad2-dev-250"
        raise RagError(msg)
    return ADAPTERS[name](source, dest, **{k: v for k, v in options.items() if v is not None})
