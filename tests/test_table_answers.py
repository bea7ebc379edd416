"""A question about a table row gets the cell it asks for as its short answer, quoting the whole row; a question
that names no column of the row (or another row) gets the row quoted and no short answer, never the row's first
figure."""

from __future__ import annotations

HANDBOOK = """# Staff handbook

## Leave

Everyone accrues leave from their first day.

| Leave type | Days | Notes |
|---|---|---|
| Annual leave | 27 days | plus bank holidays |
| Sick leave | 12 days on full pay | then statutory pay |
| Parental leave | 18 weeks | unpaid |
"""


def ask(make_assistant, tmp_path, question: str):
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "handbook.md").write_text(HANDBOOK, encoding="utf-8")
    assistant = make_assistant()
    assistant.ingest([tmp_path / "docs"])
    return assistant.answer(question)


def test_the_asked_cell_is_the_short_answer_and_its_row_is_quoted(make_assistant, tmp_path):
    answer = ask(make_assistant, tmp_path, "How many days of annual leave do I get?")
    assert not answer.abstained and answer.short is not None
    assert answer.short.text == "27 days"
    cited = answer.citations[answer.short.n - 1]
    assert cited.quote == "Annual leave — Days: 27 days; Notes: plus bank holidays"
    assert cited.start <= answer.short.start < answer.short.end <= cited.end


def test_a_row_without_the_asked_column_gives_its_only_figure_or_nothing(make_assistant, tmp_path):
    answer = ask(make_assistant, tmp_path, "How many weeks of parental leave are there?")
    assert not answer.abstained and answer.citations[0].quote.startswith("Parental leave — ")
    assert answer.short is not None and answer.short.text == "18 weeks"  # no column named; the row's one figure


def test_a_row_with_several_figures_and_no_named_column_has_no_short_answer():
    from rag.answer.tables import asked_cell

    row = "Florida — Permit: 15,907; Handgun: 50,796; Long Gun: 28,981"
    assert asked_cell("How many checks were there in Florida?", row, "number") is None  # not the first figure
    assert row[slice(*asked_cell("How many long gun checks in Florida?", row, "number"))] == "28,981"
    assert asked_cell("How many long gun checks in Texas?", row, "number") is None  # another row


def test_how_long_names_a_time_column():
    from rag.answer.tables import named_cell

    row = "hypergrep — Command: hgrep -n -w '[A-Z]+_SUSPEND'; Line count: 536; Time: 0.167s (2.04x)"
    assert row[slice(*named_cell("How long did hypergrep take?", row, "number"))] == "0.167s (2.04x)"
    assert row[slice(*named_cell("How many lines did hypergrep report?", row, "number"))] == "536"
