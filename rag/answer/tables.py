"""Reading a table row: the cell a question asks for, inside a quoted row line.

A table row is indexed as one line that carries its column headers (`rag.table_rows.table_row_line`:
"Florida — Permit: 15,907; Handgun: 50,796; Totals: 100,357"). Owns the choice of the cell that answers a
question about such a row: the row must be the one the question names (its label or one of its values shares a
word with the question: "Florida", "Chevron … San Ramon"), and the cell's column the one the question names (its
header shares the most words with the question, then the largest share of its words: "Employees Affected" before
"Notices", "Handgun" before "Pre-Pawn Handgun"; for a how-many or when question, a value with a figure), else the
one cell holding a phrase of the asked kind. When the row is not named, or no column
is and several cells hold a phrase of the asked kind, there is no cell: the row is quoted whole, and no short answer
is made from the first figure in it.
Leaves out finding rows (retrieval, the extractive answerer) and any other kind of sentence (`phrases`).
"""

from __future__ import annotations

import re

from rag.answer.phrases import scored_phrases
from rag.table_rows import row_cells

_WORD = re.compile(r"[^\W_]+")
_IGNORED = frozenset(
    re.findall(
        r"\w+",
        "a an and are at by did do does for from had has have how in is many much number "
        "of on or the there to was were what which who with",
    )
)  # words of any question


_MEASURES = {
    "long": ("length", "duration"),
    "far": ("distance",),
    "tall": ("height",),
    "high": ("height",),
    "old": ("age",),
    "big": ("size", "area"),
    "large": ("size", "area"),
}  # a column a how-question names


def _key(word: str) -> str:
    """A word compared without case and a plural's s ("Totals" is "total")."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _words(text: str) -> set[str]:
    return {_key(w) for w in _WORD.findall(text)}


def asked_cell(question: str, row: str, kind: str = "") -> tuple[int, int] | None:
    """(start, end) within the row line of the value the question asks for, or None when the question names
    another row, or names no column of it and the row has not exactly one cell with a phrase of the asked `kind`
    (`rag.answer.phrases`: a person for who, a figure for how many).

    Example:
        >>> row = "Florida — Permit: 15,907; Handgun: 50,796; Pre-Pawn Handgun: 8; Totals: 100,357"
        >>> row[slice(*asked_cell("How many handgun checks were there in Florida?", row))]
        '50,796'
        >>> row[slice(*asked_cell("What was the total number of checks for Florida?", row))]
        '100,357'
        >>> asked_cell("How many handgun checks were there in Texas?", row) is None
        True
        >>> leave = "Parental leave — Days: 18 weeks; Notes: unpaid"
        >>> leave[slice(*asked_cell("How many weeks of parental leave?", leave, "number"))]
        '18 weeks'
    """
    parsed = row_cells(row)
    if parsed is None:
        return None
    label, found = parsed
    asked = _words(question) - _IGNORED
    asked |= {
        word for how, words in _MEASURES.items() if re.search(rf"\bhow {how}\b", question, re.I) for word in words
    }
    values = [label, *((start, end) for _, start, end in found)]
    if not asked & _words(" ".join(row[start:end] for start, end in values)):
        return None
    best, best_key = None, (0, 0.0, 0)
    for header, start, end in found:
        names = _words(header) - {""}
        shared = len(names & asked)
        if not shared or (kind in ("number", "date") and not any(c.isdigit() for c in row[start:end])):
            continue
        key = (shared, shared / len(names), -len(names))
        if key > best_key:
            best, best_key = (start, end), key
    return best if best is not None or not kind else _only_cell_of_kind(question, row, found, kind)


def label_words(question: str, row: str) -> int:
    """How many of the question's words the row's label holds (0 for a line that is no table row).

    Example:
        >>> label_words("How far does the Bramley flight rise?", "Bramley flight — Rise (feet): 96")
        2
    """
    parsed = row_cells(row)
    return len((_words(question) - _IGNORED) & _words(row[slice(*parsed[0])])) if parsed is not None else 0


def _only_cell_of_kind(question: str, row: str, found: list[tuple[str, int, int]], kind: str) -> tuple[int, int] | None:
    """The one cell holding a phrase of the asked kind, or None when none or several do."""
    spans = [span for span, _ in scored_phrases(question, row, kind)]
    holding = {(start, end) for _, start, end in found for at, to in spans if start <= at and to <= end}
    return holding.pop() if len(holding) == 1 else None
