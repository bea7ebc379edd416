"""The real-document suite (eval/realdocs: PDFs with wide tables, footnotes and running footers, scans, .docx with
tables and lists, saved web pages, READMEs with badges) goes through `run_suite` as `rag eval` does, on one fresh
index: the expected string is inside a retrieved passage for at least 90% of the answerable questions, every file is
indexed with nothing left out, the vector search finds the exact nearest chunks, every citation quotes the exact
text it points at, a short answer shown is the expected one for all but 3% of the questions, and answers and
abstentions reach the targets of #29.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag import Assistant, Settings
from rag.evaluate import load_suite, run_suite
from tests.conftest import ROOT

REALDOCS = ROOT / "eval" / "realdocs"
RECALL_FLOOR = 0.90

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory, embeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("realdocs"), corpus_dir=REALDOCS / "corpus")
    assistant = Assistant(settings, embeddings=embeddings)
    report = assistant.ingest([REALDOCS / "corpus"])
    verdicts, summary = run_suite(load_suite(REALDOCS / "suite.jsonl"), assistant, settings.k, progress=False)
    missed = [f"{v.id} {v.question}" for v in verdicts if v.answerable and not v.retrieval_rank]
    print(f"\nrealdocs: recall@{settings.k} {summary[f'recall@{settings.k}']}, by kind {summary.get('by_kind')}")
    print("not retrieved:", *missed, sep="\n  ")
    return assistant, report, verdicts, summary


def test_every_document_is_indexed_whole(run):
    assistant, report, _, _ = run
    corpus = sorted(p.name for p in (REALDOCS / "corpus").iterdir() if not p.name.startswith("."))
    assert sorted(assistant.sources()) == corpus
    assert not report.failed
    assert [(f.source, f.skipped) for f in report.files if f.skipped] == []


def test_the_answer_is_inside_a_retrieved_passage_for_nine_in_ten_answerable_questions(run):
    _, _, _, summary = run
    recall = next(value for key, value in summary.items() if key.startswith("recall@"))
    assert recall >= RECALL_FLOOR


def test_table_and_list_questions_are_retrieved_too(run):
    _, _, _, summary = run
    by_kind = summary["by_kind"]
    assert by_kind["table"]["answerable"] >= 10
    for kind in ("table", "list"):
        assert by_kind[kind]["recall"] >= RECALL_FLOOR - 0.05, kind


def test_every_citation_quotes_its_exact_text(run):
    _, _, verdicts, summary = run
    assert summary["citation_validity"] == 1.0
    assert sum(len(v.citations) for v in verdicts) > 30


def test_a_short_answer_is_right_or_absent(run):
    _, _, verdicts, summary = run
    wrong = [
        f"{v.id} {v.question} -> {v.short['text']}"
        for v in verdicts
        if v.short and not v.abstained and not v.short_correct
    ]
    print("wrong short answers:", *wrong, sep="\n  ")
    assert summary["wrong_short_rate"] <= 0.03  # the issue's target (#29)


def test_answers_and_abstentions_reach_the_issues_targets(run):
    """The targets of issue #29: answerable 85%, near misses abstained 85%, table questions 80%, answered in the
    process that has just ingested the files."""
    _, _, _, summary = run
    assert summary["answer_accuracy"] >= 0.85
    assert summary["abstention_rate"] >= 0.85
    assert summary["by_kind"]["table"]["answer_accuracy"] >= 0.80


def test_the_vector_search_finds_the_exact_nearest_chunks(run):
    """Chroma's HNSW index is approximate: at its default search breadth it missed one of the exact five nearest
    chunks within its top 20 for some question in most builds of this index (the safety briefing's row, found only
    once the index was reopened). Every question's exact top 5 (all stored vectors, numpy) is in the store's top 20."""
    assistant, _, _, _ = run
    store = assistant.store
    stored = store.collection.get(include=["embeddings"])
    ids, matrix = stored["ids"], np.asarray(stored["embeddings"], dtype=np.float32)
    missed = []
    for item in load_suite(REALDOCS / "suite.jsonl"):
        vector = store.embeddings.embed_query(item.question)
        exact = [ids[i] for i in np.argsort(-(matrix @ np.asarray(vector, dtype=np.float32)))[:5]]
        found = {chunk.id for chunk, _ in store.dense_search(vector, 20)}
        missed += [f"{item.id}: {i}" for i in exact if i not in found]
    assert missed == []


def test_the_suite_is_what_it_claims():
    items = load_suite(REALDOCS / "suite.jsonl")
    answerable = [i for i in items if i.answerable]
    corpus = {p.name for p in (REALDOCS / "corpus").iterdir()}
    assert len(corpus) >= 12 and len(items) >= 60
    assert sum(i.kind in ("table", "list") for i in answerable) >= len(answerable) / 3
    assert len(items) - len(answerable) >= len(items) / 4
    assert {s for i in items for s in i.sources} <= corpus
    assert {Path(name).suffix for name in corpus} >= {".pdf", ".docx", ".html", ".md"}


def test_citations_of_scanned_pages_say_they_were_read_by_ocr(run):
    _, _, verdicts, _ = run
    cited = [c for v in verdicts for c in v.citations]
    scanned = [c for c in cited if c["source"] == "scan-harbour-notice.pdf"]
    typed = [c for c in cited if c["source"] == "water-annual-report-2023.pdf"]
    assert scanned and all(c["ocr"] for c in scanned)
    assert typed and not any(c["ocr"] for c in typed)
