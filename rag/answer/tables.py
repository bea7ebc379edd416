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
_COUNTED = re.compile(r"\bhow many (\w+)", re.I)
_NUMBER_OF = re.compile(r"(?:up to |about |around )?[\d.,]+\s+(\w+)")
_CAPITALISED = re.compile(r"\b[A-Z][\w&'’-]*")
_IGNORED = frozenset(
    re.findall(
        r"\w+",
        "a an and are at by did do does for from had has have how in is many much number "
        "of on or the there to was were what which who with",
    )
)  # words of any question


_MEASURES = {
    "long": ("length", "duration", "time"),
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
    found = named_cell(question, row, kind)
    if found is not None or not kind:
        return found
    parsed = row_cells(row)
    if parsed is None or not _row_named(_asked(question), row, parsed):
        return None
    return _only_cell_of_kind(question, row, parsed[1], kind)


def named_cell(question: str, row: str, kind: str = "") -> tuple[int, int] | None:
    """(start, end) of the cell whose column the question names, in a row the question names: a row of a grid by
    a word of its label or values and the column by the words of its header (`asked_cell`); a two-column row
    ("Designer — John Fenwick Hartley", an infobox's) by its label, a word of the question's stem ("designed")
    or the dimension a how-question asks ("Total length" for "how long"); its row is its table's subject.

    Example:
        >>> row = "Designer — John Fenwick Hartley"
        >>> row[slice(*named_cell("Who designed the Calderbrook Viaduct?", row))]
        'John Fenwick Hartley'
        >>> named_cell("Who built the Calderbrook Viaduct?", row) is None
        True
        >>> leave = "Annual leave — Entitlement: 27 days; Notes: Plus 8 bank holidays"
        >>> leave[slice(*named_cell("How many days of annual leave do I get?", leave, "number"))]
        '27 days'
    """
    parsed = row_cells(row)
    if parsed is None:
        return None
    label, found = parsed
    asked = _asked(question)
    if len(found) == 1 and not found[0][0]:  # label — value
        _, start, end = found[0]
        names = _words(row[slice(*label)])
        if any(_same(name, word) for name in names for word in asked) and _holds(row[start:end], kind):
            return start, end
        return None
    if not _row_named(asked, row, parsed):
        return None
    best, best_key = None, (0, 0.0, 0)
    for header, start, end in found:
        names = _words(header) - {""}
        shared = len(names & asked)
        if not shared or not _holds(row[start:end], kind):
            continue
        key = (shared, shared / len(names), -len(names))
        if key > best_key:
            best, best_key = (start, end), key
    return best if best is not None else _counting_cell(question, row, found)


def _counting_cell(question: str, row: str, found: list[tuple[str, int, int]]) -> tuple[int, int] | None:
    """For "how many days …", the one cell that opens with a number of days ("27 days"), whatever its header
    ("Entitlement"); None when none or several do."""
    counted = _COUNTED.search(question)
    if counted is None:
        return None
    unit = _key(counted.group(1))
    spans = [(a, b) for _, a, b in found if (m := _NUMBER_OF.match(row[a:b])) and _key(m.group(1)) == unit]
    return spans[0] if len(spans) == 1 else None


def _asked(question: str) -> set[str]:
    """The words of the question that may name a row or column, with the column a how-question names."""
    asked = _words(question) - _IGNORED
    return asked | {
        word for how, words in _MEASURES.items() if re.search(rf"\bhow {how}\b", question, re.I) for word in words
    }


def _row_named(asked: set[str], row: str, parsed: tuple) -> bool:
    """Whether the question names the row: every word of its label ("Annual leave" is not named by "sabbatical
    leave"; "Florida", "Bramley flight" are), or a name in one of its values ("Chevron" in a row of layoffs; not
    "day" of "1 day")."""
    label, found = parsed
    words = _words(row[slice(*label)]) - _IGNORED
    if words and words <= asked:
        return True
    values = " ".join(row[start:end] for _, start, end in found)
    return bool(asked & {_key(w) for w in _CAPITALISED.findall(values)})


def _holds(value: str, kind: str) -> bool:
    """Whether a cell can answer a question of the kind: a figure for how many / how much and when, a name of two
    capitalised words at least for who ("John Fenwick Hartley", not "Masonry arch viaduct")."""
    if kind in ("number", "date"):
        return any(c.isdigit() for c in value)
    if kind in ("person", "organization"):
        return len(_CAPITALISED.findall(value)) >= 2
    return True


def _same(a: str, b: str) -> bool:
    """One word, or two of one stem ("designer", "designed"; "length" is no "long": that is `_MEASURES`)."""
    return a == b or (min(len(a), len(b)) >= 5 and a[:5] == b[:5])


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
