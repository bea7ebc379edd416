"""Metrics on small hand-made cases whose right values are worked out by hand, and the `rag eval` command."""

import json

import pytest

from rag.cli import main
from rag.errors import RagError
from rag.evaluate import Item, calibrate, compare, holds, judge, load_suite, summarize, sweep
from rag.types import Answer, Chunk, Citation, Passage
from tests.conftest import ROOT

DOC = "Alice founded Acme in 1999. Bob joined in 2004. The office is in Leeds."
TEXTS = {"a.txt": DOC}


def passage(start: int, end: int) -> Passage:
    return Passage(Chunk(f"c{start}", DOC[start:end], "a.txt", start, end), 1.0, 0.5)


def cite(n: int, start: int, end: int, quote: str | None = None) -> Citation:
    return Citation(n, "a.txt", start, end, DOC[start:end] if quote is None else quote)


def answer(text: str, citations=(), abstained=False, passages=(), confidence=0.5, ms=10.0) -> Answer:
    return Answer("q", text, abstained, tuple(citations), tuple(passages), confidence, "test", {"total_ms": ms})


FOUNDED = Item("q1", "When was Acme founded?", True, (("1999",),))
JOINED = Item("q2", "Who joined in 2004?", True, (("Bob",),))
UNKNOWN = Item("q3", "What is Acme's revenue?", False)


def test_holds_needs_every_group_case_insensitively():
    assert holds("Alice founded ACME in 1999", [["acme"], ["1999", "nineteen ninety-nine"]])
    assert not holds("Alice founded Acme", [["acme"], ["1999"]])
    assert not holds("anything", [])


def test_right_answer_wrong_citation_bad_offsets_false_abstention():
    right = judge(
        FOUNDED, answer("Alice founded Acme in 1999. [1]", [cite(1, 0, 27)], passages=[passage(0, 27)]), TEXTS.get
    )
    assert (
        right.correct and right.citations_valid == 1 and right.citations_supporting == 1 and right.retrieval_rank == 1
    )

    # cites a sentence that does not hold the fact: wrong, and the citation does not support
    wrong = judge(
        JOINED,
        answer("The office is in Leeds. [1]", [cite(1, 48, 71)], passages=[passage(48, 71), passage(28, 47)]),
        TEXTS.get,
    )
    assert not wrong.correct and wrong.citations_supporting == 0 and wrong.citations_valid == 1
    assert wrong.retrieval_rank == 2

    # the quote holds the fact but is not the text at its offsets: counted invalid
    shifted = judge(JOINED, answer("Bob joined in 2004. [1]", [cite(1, 0, 19, quote="Bob joined in 2004.")]), TEXTS.get)
    assert shifted.correct and shifted.citations_valid == 0

    false_abstention = judge(FOUNDED, answer("The documents don't say.", abstained=True, confidence=0.1), TEXTS.get)
    assert not false_abstention.correct and false_abstention.abstained

    honest = judge(UNKNOWN, answer("The documents don't say.", abstained=True, confidence=0.2), TEXTS.get)
    invented = judge(UNKNOWN, answer("Acme is in Leeds. [1]", [cite(1, 48, 71)], confidence=0.4), TEXTS.get)

    verdicts = [right, wrong, shifted, false_abstention, honest, invented]
    summary = summarize(verdicts, k=5)
    assert summary["answer_accuracy"] == 0.5  # right, shifted of 4 answerable
    assert summary["abstention_rate"] == 0.5  # honest of 2 unanswerable
    assert summary["false_abstention_rate"] == 0.25
    assert summary["citation_precision"] == round(2 / 3, 4)  # answerable citations: right, wrong, shifted
    assert summary["citation_validity"] == 0.75  # 3 of the 4 citations in all
    assert summary["recall@5"] == 0.5 and summary["mrr"] == round((1 + 0.5) / 4, 4)


def test_sweep_and_calibration_by_hand():
    verdicts = [
        judge(FOUNDED, answer("1999 [1]", [cite(1, 0, 27)], confidence=0.6), TEXTS.get),
        judge(JOINED, answer("Bob joined in 2004. [1]", [cite(1, 28, 47)], confidence=0.3), TEXTS.get),
        judge(UNKNOWN, answer("x [1]", [cite(1, 48, 71)], confidence=0.4), TEXTS.get),
    ]
    at_045 = sweep(verdicts, [0.45])[0]
    assert at_045 == {"threshold": 0.45, "answer_accuracy": 0.5, "abstention_rate": 1.0, "false_abstention_rate": 0.5}
    assert calibrate(verdicts, max_false_abstention=0.0) == 0.3
    assert calibrate(verdicts, max_false_abstention=0.5) == 0.6


def test_compare_reports_deltas_and_flips():
    a = [judge(FOUNDED, answer("no", abstained=True), TEXTS.get)]
    b = [judge(FOUNDED, answer("1999 [1]", [cite(1, 0, 27)]), TEXTS.get)]
    result = compare((a, {"summary": summarize(a, 5)}), (b, {"summary": summarize(b, 5)}))
    assert result["metrics"]["answer_accuracy"] == {"a": 0.0, "b": 1.0, "delta": 1.0}
    assert [f["id"] for f in result["flipped"]] == ["q1"]


def test_empty_and_malformed_suites_are_clear_errors(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(RagError, match="the suite is empty"):
        load_suite(tmp_path / "empty.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(RagError, match=r"bad\.jsonl:1: not a suite item"):
        load_suite(tmp_path / "bad.jsonl")
    assert main(["eval", str(tmp_path / "empty.jsonl"), "--data-dir", str(tmp_path / "d")]) == 2


def test_rag_eval_seed_suite_gates_and_report(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["eval", str(ROOT / "eval" / "seed.jsonl"), "--data-dir", str(tmp_path / "d"), "--out", str(out)]
    assert main([*args, "--min-accuracy", "0.9", "--min-abstention", "0.85", "--baseline"]) == 0
    printed = capsys.readouterr().out
    assert "answer_accuracy" in printed and "baseline" in printed
    for name in ("report.md", "report.html", "threshold.png", "latency.png", "ours/results.jsonl"):
        assert (out / name).is_file(), name
    results = [json.loads(line) for line in (out / "ours" / "results.jsonl").read_text().splitlines()]
    assert len(results) == 43 and {"answer", "citations", "abstained", "confidence", "timings"} <= set(results[0])
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "baseline (LangChain tutorial)" in html
    # the gate fails when the figures drop: an absurd threshold abstains on everything
    strict = tmp_path / "strict"
    assert main([*args[:-1], str(strict), "--threshold", "0.95", "--min-accuracy", "0.9"]) == 1
    assert main(["eval", "--compare", str(out), str(strict)]) == 0
    assert "questions flipped" in capsys.readouterr().out
