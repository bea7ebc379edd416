"""Near misses (`rag.answer.nearmiss`): a sentence that shares most of the question's words but is about another
thing (another month, another kind of leave, another viaduct, another employer) is a mismatch, and a misspelt or
inflected name is not another thing."""

from __future__ import annotations

import pytest

from rag.answer.nearmiss import absent_names, mismatch, other_kind, question_names
from rag.types import Chunk, Passage


def passage(text: str, source: str = "a.txt", title: str = "") -> Passage:
    return Passage(Chunk("c", text, source, 0, len(text), title=title), 1.0)


@pytest.mark.parametrize(
    ("question", "sentence", "scope", "expected"),
    [
        ("How many notices were received in April 2016?", "January 2016 — Notices: 85", "WARN Report", True),
        ("How many notices were received in January 2016?", "January 2016 — Notices: 85", "WARN Report", False),
        ("How many checks were there in Ohio in 2014?", "Ohio — Totals: 71,123", "NICS checks November 2015", True),
        ("How many days of paternity leave do staff get?", "Annual leave — Days: 27 days", "", True),
        ("How many days of annual leave do staff get?", "Annual leave — Days: 27 days", "", False),
        ("When will the outer harbour be dredged?", "The inner harbour will be dredged from 3 June.", "", True),
        ("How many occupied puffin burrows were there?", "We counted 312 occupied burrows.", "", False),
        ("Who did not sign the deal?", "Both ministers signed the deal on Wednesday.", "", True),
    ],
)
def test_a_changed_detail_is_a_mismatch(question, sentence, scope, expected):
    assert mismatch(question, sentence, scope) is expected


def test_qualifiers_that_are_verbs_names_or_possessives_make_no_other_kind():
    question = "How many other occupied regions could Trump's peace proposals recognize as Russian?"
    sentence = "Trump's peace efforts, including proposals to recognize four other occupied regions, drew criticism."
    assert not other_kind(question, sentence)
    assert not other_kind("Who assisted with the seabird survey?", "This year's survey was led by Dr Reid.")
    assert not other_kind("How much could a loaded narrowboat carry?", "A loaded Aldbury narrowboat carried 25 tons.")


def test_a_name_no_passage_holds_is_absent_in_any_form_or_spelling():
    names = question_names("Who designed the Hebble Viaduct for the Kelvin Trust?")
    assert names == ("Hebble", "Viaduct", "Kelvin", "Trust")
    found = absent_names(names, [passage("The viaduct was designed for the Kelven Trust by J. F. Hartley.")])
    assert found == ["Hebble"]  # "Viaduct" in lower case, "Kelven" one letter off
    russian = question_names("Which regions could be recognised as Russian?")
    assert absent_names(russian, [passage("Proposals to recognise Russia's claims to Crimea.")]) == []
    assert question_names("What other English towns were sites of Huguenot settlement?") == ("Huguenot",)
