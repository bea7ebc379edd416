"""The distractor suite (eval/distractors: sentences and tables with two candidates of the asked type, roles
swapped, a unit beside the count, a duration beside the date, footnote marks) goes through `run_suite` as
`rag eval` does, on one fresh index: a short answer is right or absent. The gates are the issue's targets: wrong
short answers at most 2% of the questions, one shown for at least 70% of the who / when / how-many questions
(README: the distractor suite).
"""

from __future__ import annotations

import pytest

from rag import Assistant, Settings
from rag.evaluate import load_suite, run_suite
from tests.conftest import ROOT

DISTRACTORS = ROOT / "eval" / "distractors"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory, embeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("distractors"), corpus_dir=DISTRACTORS / "corpus")
    assistant = Assistant(settings, embeddings=embeddings)
    assistant.ingest([DISTRACTORS / "corpus"])
    return run_suite(load_suite(DISTRACTORS / "suite.jsonl"), assistant, settings.k, progress=False)


def test_a_wrong_short_answer_is_rare(run):
    verdicts, summary = run
    wrong = [
        f"{v.id} {v.question} -> {v.short['text']}"
        for v in verdicts
        if v.short and not v.abstained and not v.short_correct
    ]
    print("wrong short answers:", *wrong, sep="\n  ")
    assert summary["wrong_short_rate"] <= 0.02  # the target (#29)


def test_most_who_when_how_many_questions_get_a_short_answer(run):
    verdicts, _ = run
    asked = [v for v in verdicts if v.answerable and v.asks in ("person", "date", "number")]
    shown = [v for v in asked if v.short is not None and not v.abstained]
    assert len(asked) >= 40
    assert len(shown) / len(asked) >= 0.70  # the target (#29)
    assert sum(v.short_correct for v in shown) / len(shown) >= 0.97  # shown, it is the expected phrase


def test_every_citation_quotes_its_exact_text(run):
    _, summary = run
    assert summary["citation_validity"] == 1.0
