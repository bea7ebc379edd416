"""Metrics on small hand-made cases whose right values are worked out by hand, and the `rag eval` command."""

import json
from dataclasses import replace

import pytest

from rag.cli import main
from rag.errors import RagError
from rag.evaluate import Item, calibrate, compare, holds, judge, load_suite, summarize, sweep
from rag.report import RunView, headline_metrics, write_report
from rag.runs import headline
from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer
from tests.conftest import ROOT

DOC = "Alice founded Acme in 1999. Bob joined in 2004. The office is in Leeds."
TEXTS = {"a.txt": DOC}


def passage(start: int, end: int) -> Passage:
    return Passage(Chunk(f"c{start}", DOC[start:end], "a.txt", start, end), 1.0, 0.5)


def cite(n: int, start: int, end: int, quote: str | None = None) -> Citation:
    return Citation(n, "a.txt", start, end, DOC[start:end] if quote is None else quote)


def answer(text: str, citations=(), abstained=False, passages=(), confidence=0.5, ms=10.0, short=None) -> Answer:
    return Answer(
        "q", text, abstained, tuple(citations), tuple(passages), confidence, "test", {"total_ms": ms}, short=short
    )


def short(start: int, end: int, n: int = 1) -> ShortAnswer:
    return ShortAnswer(DOC[start:end], n, start, end)


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
    assert "by_kind" not in summary  # no item says which part of a document holds its answer

    tables = [replace(v, kind="table") for v in (right, wrong, honest, invented)]
    by_kind = summarize([*tables, replace(shifted, kind="prose")], k=1)["by_kind"]
    assert by_kind["table"] == {
        "answerable": 2,
        "unanswerable": 2,
        "recall": 0.5,
        "answer_accuracy": 0.5,
        "wrong_answer_rate": 0.5,  # the wrong answer and the invented one, of 4
        "abstention_rate": 0.5,
    }
    assert by_kind["prose"]["answerable"] == 1 and by_kind["prose"]["abstention_rate"] is None
    assert ("by_kind.table.recall", "retrieval recall@k, table questions (2)") in headline_metrics(
        [RunView("ours", [], {"by_kind": by_kind})]
    )


DATED = Item("q4", "When was Acme founded?", True, (("1999",),), asks="date")
NAMED = Item("q5", "Who joined in 2004?", True, (("Bob",),), asks="person")
PLACED = Item("q6", "Where is the office?", True, (("Leeds",),), asks="place")


def short_answer_verdicts() -> list:
    """Six answers whose short-answer and length figures are worked out by hand in the tests below."""
    return [
        # right, with the right short answer "1999" (DOC[22:26]); 31 characters
        judge(DATED, answer("Alice founded Acme in 1999. [1]", [cite(1, 0, 27)], short=short(22, 26)), TEXTS.get),
        # right (the quote holds "Bob"), but the short answer is the wrong phrase, "2004"; 23 characters
        judge(NAMED, answer("Bob joined in 2004. [1]", [cite(1, 28, 47)], short=short(42, 46)), TEXTS.get),
        # right, no short answer; 27 characters
        judge(PLACED, answer("The office is in Leeds. [1]", [cite(1, 48, 71)]), TEXTS.get),
        # abstained: its short answer does not count, nor its length
        judge(NAMED, answer("The documents don't say.", abstained=True, short=short(28, 31)), TEXTS.get),
        # an answer to a question without a kind: wrong, its short answer is not what was asked; 27 characters
        judge(FOUNDED, answer("The office is in Leeds. [1]", [cite(1, 48, 71)], short=short(65, 70)), TEXTS.get),
        # unanswerable, answered: counts for the length only; 27 characters
        judge(UNKNOWN, answer("The office is in Leeds. [1]", [cite(1, 48, 71)]), TEXTS.get),
    ]


def test_short_answer_accuracy_share_and_kinds_by_hand():
    verdicts = short_answer_verdicts()
    assert [v.short_correct for v in verdicts] == [True, False, False, False, False, False]
    assert verdicts[0].short == {"text": "1999", "n": 1, "start": 22, "end": 26}
    summary = summarize(verdicts, k=5)
    assert summary["answer_accuracy"] == 0.6  # 3 of 5 answerable
    assert summary["short_answer_accuracy"] == 0.2  # only q4's "1999", of 5 answerable
    assert summary["short_answer_rate"] == 0.6  # q4, q5 and q1 gave one; the abstention's does not count
    # shown but not the expected phrase: "2004" for Bob, and "Leeds" for a when-question, of 6 questions
    assert summary["wrong_short_rate"] == round(2 / 6, 4)
    # answered but wrong: the Leeds answer to "when was Acme founded?", and the near miss answered, of 6
    assert summary["wrong_answer_rate"] == round(2 / 6, 4)
    assert summary["short_answer_rate_person"] == 0.5 and summary["short_answer_rate_date"] == 1.0
    assert summary["asks"] == {"person": 2, "place": 1, "date": 1}
    assert summary["short_answer_accuracy_date"] == 1.0
    assert summary["short_answer_accuracy_person"] == 0.0
    assert summary["short_answer_accuracy_place"] == 0.0
    assert "short_answer_accuracy_number" not in summary  # no question of that kind
    assert summary["mean_answer_chars"] == (31 + 23 + 27 + 27 + 27) / 5  # the abstention left out

    # a pipeline that never gives short answers (the baseline): n/a, not 0; the rest unchanged
    plain = summarize(verdicts, k=5, short_answers=False)
    assert plain["short_answer_accuracy"] is None and plain["short_answer_rate"] is None
    assert plain["short_answer_accuracy_date"] is None and plain["answer_accuracy"] == 0.6


def test_answer_accuracy_in_the_first_300_characters_counts_markers():
    padding = "Alice founded Acme in 1999. [1] " * 9  # 288 characters, markers included
    assert len(padding) == 288
    cited = [cite(1, 0, 27), cite(2, 28, 47)]
    inside = judge(JOINED, answer(padding + "Bob. " * 3 + "[2]", cited), TEXTS.get)  # "Bob" at 288..291
    after = judge(JOINED, answer(padding + "Alice. Bob joined. [2]", cited), TEXTS.get)  # "Bob" at 295..298
    cut = judge(JOINED, answer(padding + "Alice, Ann. Bob [2]", cited), TEXTS.get)  # "Bob" at 300..303: cut off
    assert inside.correct and after.correct and cut.correct
    assert inside.correct_prefix and after.correct_prefix and not cut.correct_prefix
    # in the first 300 characters but not in the cited quotes: still wrong (a restriction of answer accuracy)
    uncited = judge(JOINED, answer("Bob. [1]", [cite(1, 0, 27)]), TEXTS.get)
    assert not uncited.correct and not uncited.correct_prefix
    summary = summarize([inside, after, cut, uncited], k=5)
    assert summary["answer_accuracy"] == 0.75 and summary["answer_accuracy_first300"] == 0.5


def test_report_and_printed_table_show_short_answers_only_for_runs_that_give_them(tmp_path):
    verdicts = short_answer_verdicts()
    ours = RunView("ours", verdicts, summarize(verdicts, k=5))
    tutorial = RunView("baseline", verdicts, summarize(verdicts, k=4, short_answers=False))
    table = headline([ours, tutorial])
    row = next(line for line in table.splitlines() if line.startswith("short_answer_accuracy_date "))
    assert row.split()[1:] == ["1.0", "n/a"]
    assert "mean_answer_chars" in table and "answer_accuracy_first300" in table
    assert "short_answer" not in headline([tutorial])  # no run gives short answers: no rows at all
    write_report(tmp_path, "t", [ours, tutorial])
    markdown = (tmp_path / "report.md").read_text()
    assert "| short-answer accuracy, date questions (1) | 1.000 | n/a |" in markdown
    assert "| mean answer length, characters (answered questions only) | 27.0 | 27.0 |" in markdown
    assert "short answer: “Leeds” [1]" in markdown  # q1 failed: its short answer is shown
    assert "short-answer accuracy, person questions (2)" in (tmp_path / "report.html").read_text()


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


def test_empty_and_malformed_suites_are_clear_errors(tmp_path, capsys):
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(RagError, match="the suite is empty"):
        load_suite(tmp_path / "empty.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n', encoding="utf-8")
    with pytest.raises(RagError, match=r"bad\.jsonl:1: not a suite item"):
        load_suite(tmp_path / "bad.jsonl")
    assert main(["eval", str(tmp_path / "empty.jsonl"), "--data-dir", str(tmp_path / "d")]) == 2
    (tmp_path / "one.jsonl").write_text('{"id": "a", "question": "Who?", "answerable": false}\n', encoding="utf-8")
    missing = ["eval", str(tmp_path / "one.jsonl"), "--corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")]
    assert main([*missing, "--data-dir", str(tmp_path / "d")]) == 2
    assert not (tmp_path / "r").exists()  # no run that abstains on an empty index and looks like a result
    assert "nowhere does not exist: pass --corpus" in capsys.readouterr().err
    line = '{"id": "a", "question": "Who?", "answerable": true, "expected": ["Bob"], "asks": "%s"}\n'
    (tmp_path / "asks.jsonl").write_text(line % "person", encoding="utf-8")
    assert load_suite(tmp_path / "asks.jsonl")[0].asks == "person"
    (tmp_path / "asks.jsonl").write_text(line % "persons", encoding="utf-8")
    with pytest.raises(RagError, match=r"asks\.jsonl:1: .*'persons', not one of person, organization"):
        load_suite(tmp_path / "asks.jsonl")


def test_rag_eval_seed_suite_gates_and_report(tmp_path, capsys, caplog):
    out = tmp_path / "run"
    args = ["eval", str(ROOT / "eval" / "seed.jsonl"), "--data-dir", str(tmp_path / "d"), "--out", str(out)]
    assert main([*args, "--min-accuracy", "0.9", "--min-abstention", "0.85", "--baseline"]) == 0
    printed = capsys.readouterr().out
    assert "answer_accuracy" in printed and "baseline" in printed
    for name in ("report.md", "report.html", "threshold.png", "latency.png", "ours/results.jsonl"):
        assert (out / name).is_file(), name
    assert "answer_accuracy_first300" in printed and "mean_answer_chars" in printed
    results = [json.loads(line) for line in (out / "ours" / "results.jsonl").read_text().splitlines()]
    assert len(results) == len(load_suite(ROOT / "eval" / "seed.jsonl"))
    assert {"answer", "citations", "abstained", "confidence", "timings", "short", "asks"} <= set(results[0])
    ours = json.loads((out / "ours" / "summary.json").read_text())["summary"]
    tutorial = json.loads((out / "baseline" / "summary.json").read_text())["summary"]
    assert {"person", "date", "number", "place"} <= set(ours["asks"]) and ours["asks"] == tutorial["asks"]
    assert ours["short_answer_accuracy"] is not None and tutorial["short_answer_accuracy"] is None
    assert 0 < ours["answer_accuracy_first300"] <= ours["answer_accuracy"]
    assert ours["mean_answer_chars"] < tutorial["mean_answer_chars"]  # sentences against 1,000-character passages
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "baseline (LangChain tutorial)" in html
    # the gate fails when the figures drop: an absurd threshold abstains on everything
    strict = tmp_path / "strict"
    assert main([*args[:-1], str(strict), "--threshold", "0.95", "--min-accuracy", "0.9"]) == 1
    assert main(["eval", "--compare", str(out), str(strict)]) == 0
    assert "questions flipped" in capsys.readouterr().out
    # an index that also holds documents from elsewhere is named, not silently mixed into the figures
    other = tmp_path / "other"
    other.mkdir()
    (other / "lighthouse.txt").write_text("The Kestrel Point Lighthouse was first lit in 1871.\n", encoding="utf-8")
    assert main(["ingest", "--data-dir", str(tmp_path / "d"), str(other)]) == 0
    assert "also holds" not in caplog.text
    caplog.clear()
    assert main([*args[:-1], str(tmp_path / "mixed"), "--threshold", "0.95"]) == 0
    assert "also holds 1 document(s) not in" in caplog.text and "lighthouse.txt" in caplog.text
    assert json.loads((tmp_path / "mixed" / "ours" / "summary.json").read_text())["config"]["other_documents"] == 1
