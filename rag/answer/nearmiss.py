"""Near misses: whether a sentence cannot be about what was asked, though it shares most of the question's words.

A question that changes one detail of what the documents say ("… in December" of a November table, "paternity
leave" where the policy lists annual leave, "the deputy harbour master" where only the harbour master is named, "the
Hebble Viaduct" in documents about another viaduct) must be abstained on, not answered from the nearest sentence.
Owns the tests the extractive answerer turns into its mismatch penalty:
- `mismatch`: the question negates and the sentence does not; the question names a figure or a month that is
  neither in the sentence nor in its scope (title, section, table caption); or the question qualifies a noun
  ("paternity leave", "outer harbour") that the sentence qualifies otherwise ("annual leave", "inner harbour")
  without the question's word anywhere (`other_kind`);
- `absent_names`: names of the question that no retrieved passage holds (then no sentence is about them).
Checks on sentences are lexical (stems, capitalised words) and cheap, as every retrieved sentence goes through them;
only the question is parsed (spaCy, cached).
Leaves out scoring and abstaining (`extractive`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from rag.lexical import tokenize
from rag.types import Chunk, Passage

_NEGATION = re.compile(r"\b(not|no|never|none|neither|nor|without|cannot)\b|n[’']t\b", re.I)
_FIGURE = re.compile(r"(?<![^\W_])(?:\d[\d,.]*\d|\d)")  # not the digits of a code such as "S99" or "A320"
_MONTH = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\b")
_NAME = re.compile(r"[A-Z][a-z]{2,}")
_QUALIFIES = frozenset({"compound", "amod"})
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_GENERIC = frozenset(  # qualifiers that do not make another thing of a noun ("" : a stop word)
    tokenize(
        "new current total whole main same other first last next many much more most full average overall "
        "usual normal each every own about"
    )
) | {""}


def scope(chunk: Chunk) -> str:
    """What a chunk's sentences are about beyond their own words: its document's title, its section and context."""
    return f"{chunk.title} {chunk.section} {chunk.context}"


def mismatch(question: str, sentence: str, scope: str = "") -> bool:
    """Whether the sentence cannot be about what was asked: the question negates and the sentence does not; the
    question names a figure ("in 1349", "22nd", "3,600") or a month that is neither in the sentence nor in its
    `scope` (the document's title, the section's heading, a table's caption: "November 2015" over a table's rows);
    or it asks about another kind of the thing the sentence is about (`other_kind`). "1347" and "32nd" are other
    figures; "3600" and "1960s" are the same ones.

    Example:
        >>> mismatch("How many checks in Texas in December 2015?", "Texas — Totals: 146,982", "Checks November 2015")
        True
        >>> mismatch("How many checks in Texas in November 2015?", "Texas — Totals: 146,982", "Checks November 2015")
        False
    """
    if _NEGATION.search(question) and not _NEGATION.search(sentence):
        return True
    if not _figures(question) <= _figures(f"{sentence} {scope}"):
        return True
    return other_kind(question, sentence)


def _figures(text: str) -> set[str]:
    """The figures of a text as numbers, thousands separators dropped, and its months: "3,600 men in May 1960s"
    gives 3600, 1960 and may; the digits of a code ("S99", "A320") are not figures, nor "may" the verb."""
    return {figure.replace(",", "") for figure in _FIGURE.findall(text)} | {m.lower() for m in _MONTH.findall(text)}


def other_kind(question: str, sentence: str) -> bool:
    """Whether the question qualifies a noun ("paternity leave", "the outer harbour") that the sentence names only
    qualified by other words ("annual leave", "the inner harbour"), the question's qualifier nowhere in the sentence.
    A noun the sentence leaves unqualified ("the leave", "this year's survey") may be the one asked about.

    Example:
        >>> other_kind("How many days of paternity leave do I get?", "You get 27 days of annual leave.")
        True
        >>> other_kind("How many days of annual leave do I get?", "You get 27 days of annual leave.")
        False
        >>> other_kind("When will the outer harbour be dredged?", "The inner harbour will be dredged in June.")
        True
        >>> other_kind("How many occupied puffin burrows were there?", "We counted 312 occupied burrows.")
        False
    """
    pairs = _qualified(question)
    if not pairs:
        return False
    words = _WORD.findall(sentence)
    asked = {w.lower() for w in _WORD.findall(question)}
    stems = [_stem(w) for w in words]
    qualifying = [_qualifier_stem(w, asked) for w in words]
    have = set(stems)
    known = {stem for w in asked if (stem := _stem(w))}  # "adult tickets cost": a word of the question
    for qualifier, noun, head in pairs:
        if qualifier in have or noun not in have:
            continue
        at = [i for i, w in enumerate(stems) if w == noun and i > 0]
        before = [qualifying[i - 1] for i in at]
        named = all(words[i - 1][:1].isupper() for i in at)  # within a compound, only a named kind: "Arctic tern"
        if before and all(b not in _GENERIC and b not in known for b in before) and (head or named):
            return True
    return False


def _qualifier_stem(word: str, asked: set[str]) -> str:
    """A sentence word's stem as a possible qualifier of the next: "" for what qualifies no kind, a possessive
    ("this year's survey"), a verb form ("including proposals", "proposed changes") or a name the question has
    ("the Aldbury narrowboat" for "a loaded Aldbury narrowboat"; "the Christmas appeal" is another appeal than the
    summer's)."""
    lowered = word.lower()
    if lowered.endswith(("'s", "’s", "ing", "ed")) or (word[:1].isupper() and lowered in asked):
        return ""
    return _stem(word)


def _stem(word: str) -> str:
    found = tokenize(word)
    return found[0] if found else ""  # a stop word


@lru_cache(maxsize=512)
def _qualified(question: str) -> tuple[tuple[str, str, bool], ...]:
    """(qualifier, word, head) stems of the question's qualified nouns, from its parse: each compound or adjective
    before a common noun that is no name and not `_GENERIC`, with the noun (`head` True: "gold printing plates":
    gold–plate, printing–plate) and with the word right after it when that is another qualifier ("common tern
    nests": common–tern; an "Arctic tern" is another tern)."""
    from rag.answer.phrases import parse

    pairs = []
    for token in parse(question):
        if token.pos_ != "NOUN":
            continue
        chain = [c for c in token.lefts if c.dep_ in _QUALIFIES] + [token]
        for child, after in pairwise(chain):
            qualifier = _stem(child.text)
            if (
                child.pos_ in {"NOUN", "ADJ", "VERB"}
                and qualifier not in _GENERIC
                and not child.text[:1].isupper()  # "English towns": a name, which `absent_names` checks
            ):
                pairs.append((qualifier, _stem(token.text), True))
                if after is not token:
                    pairs.append((qualifier, _stem(after.text), False))
    return tuple(pairs)


def absent_names(names: Sequence[str], passages: Sequence[Passage]) -> list[str]:
    """The `names` (a question's, `question_names`) that none of the passages, nor their titles or sections, holds in
    any form (`_form`: "Russian" is in "Russia's claims") or spelling (`_misspelt`): a sentence of a passage
    that lacks a name the question asks about is about something else ("Who designed the Hebble Viaduct?" of the
    Calderbrook's pages, "How many days of study leave do Copperleaf staff get?" of another employer's
    handbook).

    Example:
        >>> chunk = Chunk("c", "The viaduct was designed by J. F. Hartley.", "a.txt", 0, 42, title="Calderbrook")
        >>> absent_names(question_names("Who designed the Hebble Viaduct?"), [Passage(chunk, 1.0)])
        ['Hebble']
    """
    return missing_names(names, " ".join(f"{p.chunk.text} {scope(p.chunk)}" for p in passages))


def missing_names(names: Sequence[str], text: str) -> list[str]:
    """The names the text lacks in any form or spelling (see `absent_names`)."""
    text = text.lower()
    return [name for name in names if not re.search(rf"\b{re.escape(_form(name))}", text) and not _misspelt(name, text)]


def _misspelt(name: str, text: str) -> bool:
    """Whether the text has the name with one letter wrong, missing, extra or two swapped ("Kelven" for Kelvin,
    "Zeria" for Zeira): a typing slip names the same thing. Names of five letters or more."""
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    if len(name) < 5:
        return False
    words = set(re.findall(rf"\b\w{{{len(name) - 1},{len(name) + 1}}}\b", text))
    return process.extractOne(name.lower(), words, scorer=DamerauLevenshtein.distance, score_cutoff=1) is not None


def _form(name: str) -> str:
    """The part of a name its other forms share ("Russi" of "Russian" and "Russia", "Rica" of "Rican"): all but its
    last two letters, four at least."""
    return name[: max(4, len(name) - 2)].lower()


@lru_cache(maxsize=512)
def question_names(question: str) -> tuple[str, ...]:
    """The capitalised nouns of the question after the first word of each of its sentences ("Hebble", "Viaduct",
    "Copperleaf" of "Copperleaf staff", which the small model may tag an adjective; not "Cite" of "… Bridge? Cite
    S99."); not nationalities ("English towns", which a text may call England's)."""
    from rag.answer.phrases import parse

    return tuple(
        t.text
        for t in parse(question)
        if not t.is_sent_start
        and t.pos_ in {"PROPN", "NOUN", "ADJ"}
        and t.ent_type_ != "NORP"
        and _NAME.fullmatch(t.text)
    )
