"""The slot test every short answer passes: the phrase must fill the question's slot in its sentence.

A phrase of the asked kind near the answer is not enough ("Who led the survey?" is not answered by the assistant
named beside the leader; "How many locks?" not by "89 feet"). Owns reading the question's relation and checking it
on the sentence's dependency parse (spaCy's small English pipeline, loaded by `phrases`):
- the relation is what the question asks about: its verbs ("led", "designed", "died": compared by lemma, and a noun
  of the same stem counts, "assistants" for "assisted"), else, for "who is the chief executive of …", the role
  noun; for "how many X" the counted noun X;
- a candidate (an entity of the asked kind, `phrases.scored_phrases`, not named in the question) fills the slot when
  it is the one nearest to a relation word in the parse tree (tree distance at most `MAX_DISTANCE`, and strictly
  nearer than every other candidate not coordinated with it); "how many X" takes a number that counts X ("27 locks",
  its `nummod` or a number right before X); a when-question takes a date or time, never a duration ("three days");
  a how-long/far/old question a quantity with a unit of that dimension; a how-much question about money an amount;
- when the sentence holds no relation word, a lone candidate of the asked kind passes (a name in a sentence about
  something else is then the only thing it can be); several do not.
When nothing passes there is no short answer: the quotes alone answer (precision first).
Leaves out which sentence is quoted (`extractive`) and table rows (`tables`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from typing import Any, NamedTuple

from rag.answer.phrases import modifies, parse, scored_phrases

MAX_DISTANCE = 4  # edges between a candidate and the relation word in the parse tree (loose ones count LOOSE)
LOOSE = 2
_LOOSE_EDGES = frozenset({"prep", "advcl", "npadvmod", "ccomp", "xcomp", "parataxis", "advmod", "dative", "conj"})
_LIGHT_VERBS = frozenset(re.findall(r"\w+", "be have do get make take give go come say tell let accord"))  # no slot
_WH = frozenset(re.findall(r"\w+", "who whom whose what which when where why how"))
_MONEY_WORDS = re.compile(
    r"\b(cost|costs|pay|paid|invest|invested|spend|spent|save|saved|raise|raised|earn|earned|budget|price|fund|"
    r"funded|funding|worth|charge|charged|money|salary|fee|fees|revenue|profit|grant|donat\w*)\b",
    re.I,
)
_CURRENCY = re.compile(r"[$£€¥]|\b(dollars?|pounds?|euros?|pence|cents?|usd|gbp|eur)\b", re.I)
_UNITS = {
    "length": r"m|km|cm|mm|metres?|meters?|kilometres?|kilometers?|miles?|feet|foot|ft|yards?|inches|inch",
    "time": r"seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|decades?|centuries|century",
    "age": r"years?|year-old|months?",
}
_ANY_UNIT = "|".join(_UNITS.values())
_AMOUNT = re.compile(  # what a how-much figure may count: units of any kind ("61.8 billion litres"), not people
    rf"{_ANY_UNIT}|litres?|liters?|gallons?|barrels?|tonnes?|tons?|kg|kilograms?|grams?|g|lbs?|pounds?|ounces?|oz|"
    r"acres?|hectares?|ha|kwh|mwh|gwh|twh|watts?|kw|mw|gw|percent|per|points?|dollars?|euros?|pence|cents?|calories",
    re.I,
)
_DIMENSION = {"long": ("length", "time"), "far": ("length",), "tall": ("length",), "high": ("length",), "old": ("age",)}
_NAME = re.compile(r"\b[A-Z][\w’'-]{2,}")
_TITLES = frozenset(re.findall(r"\w+", "dr mr mrs ms miss sir dame lord lady professor prof councillor cllr the"))
_FORMER = frozenset(re.findall(r"\w+", "former previous retired retiring outgoing late predecessor"))
_ANY_ROLE = frozenset(re.findall(r"\w+", "new current present acting interim the our their its much many"))
_TAKES_POST = frozenset(re.findall(r"\w+", "elect appoint succeed replace join become name hire choose vote promote"))
_RELATIVE = re.compile(r"\b(this|last|next)\b", re.I)
_WAITING_AUX = frozenset(re.findall(r"\w+", "will would did does do can could should shall may might must"))
_COPULAS = frozenset(re.findall(r"\w+", "be have do get"))  # a root verb that says nothing of the slot
_PAST = re.compile(r"\b(was|were|had|before|previous|former|predecessor|until|first|original)\b", re.I)
_WHEN = re.compile(  # a date that says when: "year" or "that week" does not
    r"\d|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b(spring|summer|autumn|fall|winter|yesterday|tomorrow|today|tonight|noon|midnight|morning|evening)\b",
    re.I,
)
_GLUED = re.compile(r"(?<=[a-z][.!?])\d{1,2}\s+(?=[A-Z])")  # "slopes.1 Common": a footnote mark between sentences
_SPECIFIC = re.compile(r"\d")
_ASKS_TIME = re.compile(r"\b(what|which) time\b|\bhow (early|late)\b", re.I)
_CLOCK = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}[:.]\d{2}\b|\b(?:noon|midday|midnight)\b", re.I
)
_FIGURE = re.compile(r"\d[\d,.]*\d|\d")
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_HOW = re.compile(r"\bhow (many|much|long|far|tall|high|old)\b", re.I)
_DURATION = re.compile(
    r"^(for |about |some |around |over |nearly |almost )?(\d[\d,.]*|a single|a whole|a full|a|an|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|[a-z]+ty|a few|several|many)[\s-]+"
    r"(years?|months?|weeks?|days?|decades?|centuries|century|hours?|minutes?|nights?|mornings?|afternoons?|evenings?)$",
    re.I,
)


class Slot(NamedTuple):
    """A phrase found for the question's slot: its (start, end) in the sentence, and whether the sentence says the
    question's relation about it (`strong`), or it is only the one phrase of the asked kind there."""

    span: tuple[int, int]
    strong: bool
    qualifier: bool = False  # a place or group that only qualifies a noun ("the Marston branch railway")


def slot_phrase(question: str, sentence: str, kind: str) -> tuple[int, int] | None:
    """(start, end) within `sentence` of the phrase that fills the question's slot, or None when none does.

    Example:
        >>> s = "The survey was led by Dr Ines Carvalho, with assistants Tom Ridley and Mia Holt."
        >>> s[slice(*slot_phrase("Who led the seabird survey?", s, "person"))]
        'Dr Ines Carvalho'
        >>> s[slice(*slot_phrase("Who assisted with the survey?", s, "person"))]
        'Tom Ridley and Mia Holt'
        >>> s = "The canal climbs 89 feet through 27 locks."
        >>> s[slice(*slot_phrase("How many locks does the canal have?", s, "number"))]
        '27 locks'
        >>> slot_phrase("When did the storm stop work?", "The storm stopped work for three days.", "date") is None
        True
    """
    found = find_slot(question, sentence, kind)
    return found.span if found is not None else None


def find_slot(question: str, sentence: str, kind: str) -> Slot | None:
    """The phrase of the sentence that fills the question's slot (see the module's rules), or None. A footnote
    mark glued between two sentences ("… slopes.1 Common terns …") separates them here: each is read alone."""
    found = []
    for start, end in _clauses(sentence):
        slot = _find_slot(question, sentence[start:end], kind)
        if slot is not None:
            found.append(slot._replace(span=(slot.span[0] + start, slot.span[1] + start)))
    return min(found, key=lambda slot: not slot.strong) if found else None


def wrong_form(question: str, sentence: str, kind: str) -> bool:
    """Whether every phrase of the asked kind in the sentence has another form than the one asked (`_fits`): a
    duration for "when", a count of something else for "how many X" ("38 people" for days), a number without a
    unit of the dimension for "how long" ("1,100 navvies"). A count of another noun is another form only when the
    question counts a unit ("how many days"): "91.3 males" may count "men" under another word.

    Example:
        >>> wrong_form("How long is the tunnel?", "About 1,100 navvies worked on the tunnel.", "number")
        True
        >>> wrong_form("How long is the tunnel?", "The tunnel is 2,100 yards long.", "number")
        False
    """
    how = _HOW.search(question)
    counted = _question(question).counted
    if how and how.group(1).lower() == "many" and not re.fullmatch(_ANY_UNIT, counted or "", re.I):
        return False
    doc = parse(sentence)
    found = [_entity(doc, span) for span, _ in scored_phrases(question, sentence, kind)]
    found = [e for e in found if e is not None]
    if kind == "date":  # "this year's programme" says when, vaguely: not another form
        found = [e for e in found if not _RELATIVE.search(e.doc[max(e.start - 1, 0) : e.end].text)]
    return bool(found) and not any(_fits(question, e, kind) for e in found)


def _clock_time(question: str, sentence: str) -> Slot | None:
    """For "what time …?", the one time of day the sentence gives ("08:15", "9.30am"; spaCy's small model often
    takes them for no entity), strong when the sentence says the question's relation; None when none or several."""
    times = list(_CLOCK.finditer(sentence))
    if len(times) != 1:
        return None
    doc = parse(sentence)
    said = any(_related(t, lemma) for t in doc for lemma in _question(question).relation)
    return Slot(times[0].span(), said)


def _clauses(sentence: str) -> list[tuple[int, int]]:
    cuts = [0, *(m.end() for m in _GLUED.finditer(sentence)), len(sentence)]
    return list(pairwise(cuts))


def _find_slot(question: str, sentence: str, kind: str) -> Slot | None:
    if kind == "date" and _ASKS_TIME.search(question):
        return _clock_time(question, sentence)
    doc = parse(sentence)
    asks = _question(question)
    candidates = [(span, _entity(doc, span)) for span, _ in scored_phrases(question, sentence, kind)]
    candidates = [
        (span, e)
        for span, e in candidates
        if e is not None and _fits(question, e, kind) and not _topical(e, question) and not _former(e, asks)
    ]
    if asks.role and kind == "person":  # "who is the treasurer?" asks for a person, not the charity's name
        candidates = [(span, e) for span, e in candidates if e.label_ == "PERSON"]
    if asks.new:  # "the new secretary": the one elected, appointed or taking over, not the one who stood down
        candidates = [(span, e) for span, e in candidates if _newly(e)]
    if not candidates or (asks.subject and not _has_lemma(doc, asks.subject)):
        return None
    if kind == "date" and (specific := [(span, e) for span, e in candidates if _SPECIFIC.search(e.text)]):
        candidates = specific  # "1 May 2024", not "today" of the same announcement
    years = set(_YEAR.findall(question))
    if years:  # "in 2022": not the figure the sentence gives for 2023 beside a comparison with 2022
        candidates = [(span, e) for span, e in candidates if _dated(e, doc, kind) in years | {""}]
        if not candidates:
            return None
    counting = [(span, e) for span, e in candidates if asks.counted and _counts(e, asks.counted)]
    relation = [t for t in doc if any(_related(t, lemma) for lemma in asks.relation) and _modified_as(t, asks)]
    if kind == "number" and asks.counted and (counting or _has_lemma(doc, asks.counted)):
        found, strong = (counting[0][0] if len(counting) == 1 else None), True
    elif relation:  # the one phrase of its kind in a sentence that says the relation fills it, wherever it hangs
        found, strong = (candidates[0][0] if len(candidates) == 1 else _nearest(candidates, relation)), True
    elif len(typed := [(span, e) for span, e in candidates if asks.kind and _has_lemma(e, asks.kind)]) == 1:
        found, strong = typed[0][0], True  # "Which institute…?": the Kiel Institute says it is one
    elif len(candidates) == 1 and _lone_may_answer(candidates[0][1], kind, asks):
        found, strong = candidates[0][0], False
    else:
        return None
    if found is None:
        return None
    entity = _entity(doc, found)
    return Slot(_widened(sentence, entity, kind), strong, modifies(entity))


def _dated(entity: Any, doc: Any, kind: str) -> str:
    """The year nearest to the entity in the parse tree, of the years its sentence names ("" when none does)."""
    if kind == "date":
        return ""
    years = [
        t
        for t in doc
        if t.sent == entity.root.sent and _YEAR.fullmatch(t.text) and t.i not in range(entity.start, entity.end)
    ]
    if not years:
        return ""
    return min(years, key=lambda t: _distance(entity.root, t)).text


def _lone_may_answer(entity: Any, kind: str, asks: _Asked) -> bool:
    """Whether the one phrase of the asked kind in a sentence without the question's relation may answer: a date,
    a figure or a place may; a person or organisation only when the question names no relation (a name in a
    sentence about something else is mostly someone else: "My name is Clare Hollis" for "who is the treasurer?")."""
    if kind in {"person", "organization"}:
        return not asks.relation and entity.label_ in ("PERSON" if kind == "person" else "ORG")
    return not asks.role  # "when is the awards evening?" is not answered by a sentence without the evening


def _topical(entity: Any, question: str) -> bool:
    """Whether the entity is what the question is about, not its answer: it shares a name with the question ("the
    Corn Exchange on Bridge Street" for "who bought the Corn Exchange?")."""
    asked = {w.lower() for w in _NAME.findall(question)}
    return any(w.lower() in asked for w in _NAME.findall(entity.text) if w.lower() not in _TITLES)


def _newly(entity: Any) -> bool:
    """Whether the entity is the subject or object of a verb of taking a post ("Jo Castle was elected secretary",
    "appointed Amy Shaw", "Kari Solberg will succeed …")."""
    return any(t.lemma_.lower() in _TAKES_POST for t in [entity.root.head, entity.root.head.head])


def _former(entity: Any, asks: _Asked) -> bool:
    """Whether the entity held the asked role before (when the question asks about now): "took over from X",
    "succeeded X", "X, who had been Mayor", "the former chair X"."""
    if asks.past or entity.label_ not in {"PERSON", "ORG"}:
        return False
    root = entity.root
    head = root.head
    if root.dep_ == "dobj" and head.lemma_.lower() in {"succeed", "replace"}:
        return True
    if root.dep_ == "pobj" and head.lower_ == "from" and head.head.lemma_.lower() in {"take", "inherit"}:
        return True  # "took over from X"
    if any(t.lower_ in _FORMER for t in root.children) or any(t.lower_ in _FORMER for t in root.lefts):
        return True
    return any(c.dep_ == "relcl" and any(a.lower_ == "had" for a in c.children) for c in root.children)


def _widened(sentence: str, entity: Any, kind: str) -> tuple[int, int]:
    """The phrase's span with what makes it the whole answer: for a number, the currency sign before it ("£750")
    and the noun it counts or measures right after it ("27 locks", "61.8 billion litres", "two flight control
    computers"); for a name, the names coordinated with it ("Tom Ridley and Mia Holt")."""
    start, end = entity.start_char, entity.end_char
    if kind != "number":
        return start, _conjuncts_end(entity)
    if start > 0 and sentence[start - 1] in "$£€¥":
        start -= 1
    root = entity.root
    head = root.head
    between = entity.doc[entity.end : head.i]
    if (
        root.dep_ in {"nummod", "compound", "quantmod"}
        and head.pos_ == "NOUN"
        and head.i >= entity.end
        and all(t.dep_ in {"compound", "amod", "nummod"} for t in between)
        and len(between) <= 2
    ):
        end = head.idx + len(head.text)
    return start, end


def _conjuncts_end(entity: Any) -> int:
    """The end of the last entity coordinated with this one ("Tom Ridley and Mia Holt"), else its own end."""
    end, root = entity.end_char, entity.root
    conjuncts = {t.i for t in root.conjuncts if t.i > root.i}
    for other in entity.doc.ents:
        if other.root.i in conjuncts and other.label_ == entity.label_:
            end = max(end, other.end_char)
    return end


class _Asked(NamedTuple):
    """What a question asks about: its relation lemmas; for "how many X", the counted noun's lemma; whether the
    relation is a role noun ("who is the treasurer?"); whether it asks about the past or a predecessor."""

    relation: tuple[str, ...]
    counted: str
    role: bool = False
    past: bool = False
    modifiers: tuple[str, ...] = ()  # the role noun's own modifiers, which the sentence's role word must have too
    kind: str = ""  # the noun of "which institute": a phrase that holds it ("Kiel Institute") is of the asked type
    subject: str = ""  # what "how long is the pound?" measures: a sentence without it measures something else
    new: bool = False  # "who is the new secretary?"


@lru_cache(maxsize=256)
def _question(question: str) -> _Asked:
    """What the question asks about (`_Asked`), from its parse: the relation is its root verb when that says
    something ("Which body *said* the deal signals…", not the verb of the clause it reports), else its other
    verbs; with no such verb, the role noun of "who is the chief executive?" (not the asked type of "which
    country", "what year"); with neither, the question's names ("In which country is the Kiel Institute?": the
    place nearest to the institute)."""
    doc = parse(question)
    counted = ""
    for token in doc:
        if token.lower_ == "many" and token.i > 0 and doc[token.i - 1].lower_ == "how":
            head = token.head
            counted = head.lemma_.lower() if head.pos_ in {"NOUN", "PROPN"} and head.i != token.i else ""
    kind_noun = _asked_type(doc)
    how = _HOW.search(question)
    measure = [how.group(1).lower()] if how and how.group(1).lower() in _DIMENSION else []  # "long" in "… is long"
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is not None and root.pos_ == "VERB" and root.lemma_.lower() not in _COPULAS and root.lower_ not in _WH:
        verbs = [root.lemma_.lower()]
    else:
        verbs = [
            t.lemma_.lower()
            for t in doc
            if t.pos_ == "VERB" and t.lemma_.lower() not in _LIGHT_VERBS and t.lower_ not in _WH and t.dep_ != "aux"
        ]
    verbs = measure + (verbs or _misread_verb(doc))
    past = bool(_PAST.search(question))
    new = bool(re.search(r"\bnew\b", question, re.I))
    if verbs:
        subject = next((t.lemma_.lower() for t in doc if t.dep_ == "nsubj" and t.pos_ == "NOUN"), "")
        return _Asked(tuple(verbs), counted, past=past, subject=subject if verbs == measure else "", kind=kind_noun)
    roles = [  # "Who is the chief executive of the Trust?": the role noun, not the organisation
        t
        for t in doc
        if (t.pos_ == "NOUN" or (t.pos_ == "PROPN" and t.ent_type_ == ""))  # "Head of People"
        and t.dep_ in {"nsubj", "attr", "ROOT", "dobj"}
        and t.lemma_.lower() not in (counted, kind_noun)
    ]
    hyphened = {t.i - 2 for t in roles if t.i >= 2 and doc[t.i - 1].text == "-"}  # "vice" of "vice-captain"
    before_hyphen = {doc[i].lower_ for i in hyphened}
    roles = [t for t in roles if t.text != "-" and t.i not in hyphened]
    modifiers = tuple(  # "operating" of "chief operating officer": a "chief financial officer" is another role
        sorted(
            ({c.lower_ for t in roles for c in t.children if c.dep_ in {"compound", "amod"}} | before_hyphen)
            - _ANY_ROLE
        )
    )
    if roles:
        lemmas = tuple(t.lemma_.lower() for t in roles)
        copular = root is not None and root.lemma_.lower() == "be"  # "who is the treasurer?" asks for a person
        return _Asked(lemmas, counted, role=copular, past=past, modifiers=modifiers, kind=kind_noun, new=new)
    names = tuple(t.lemma_.lower() for t in doc if t.pos_ == "PROPN" and t.i > 0)
    return _Asked(names, counted, past=past, kind=kind_noun)


def _misread_verb(doc: Any) -> list[str]:
    """The question's last word when the small model took it for a noun though an auxiliary waits for a verb
    ("How much will the resurfacing cost?": "cost"), as a one-lemma list; else []."""
    words = [t for t in doc if not t.is_punct]
    if len(words) < 3 or words[-1].pos_ != "NOUN" or not any(t.lower_ in _WAITING_AUX for t in words[1:-1]):
        return []
    return [words[-1].lemma_.lower()]


def _asked_type(doc: Any) -> str:
    """The noun after "which" / "what" that names the kind of thing asked ("institute", "country", "president"
    of "which Ukrainian president"), or ""."""
    for token in doc:
        if token.lower_ in {"which", "what"} and token.dep_ == "det" and token.head.pos_ in {"NOUN", "PROPN"}:
            return token.head.lemma_.lower()
    return ""


def _entity(doc: Any, span: tuple[int, int]) -> Any:
    return next((e for e in doc.ents if (e.start_char, e.end_char) == span), None)


def _fits(question: str, entity: Any, kind: str) -> bool:
    """Whether the entity is of the form asked: a date or time for when (not a duration); for how long / far /
    tall / old a quantity in a unit of that dimension; for how much about money, an amount of money."""
    text = entity.text
    if kind == "date":
        if _ASKS_TIME.search(question):  # "what time does the coach leave?": a time of day, not the date
            return bool(_CLOCK.search(text))
        return not _DURATION.match(text.strip()) and bool(_WHEN.search(text))
    if kind != "number":
        return True
    if set(_FIGURE.findall(text)) & set(_FIGURE.findall(question)):
        return False  # "737" of "Some 737 MAX airplanes" names the model the question asks about: no count
    how = _HOW.search(question)
    word = how.group(1).lower() if how else ""
    if word in _DIMENSION:
        units = "|".join(_UNITS[d] for d in _DIMENSION[word])
        following = entity.doc[entity.end : entity.end + 1].text if entity.end < len(entity.doc) else ""
        return bool(re.search(rf"(?<![^\W\d_])({units})\b", f"{text} {following}", re.I))
    if word == "much" and _MONEY_WORDS.search(question):
        return entity.label_ == "MONEY" or bool(_CURRENCY.search(text))
    if word == "much":  # an amount, not a count of people or things ("a studio of 38 people" for sick leave)
        head = entity.root.head
        return not (
            entity.label_ == "CARDINAL"
            and entity.root.dep_ == "nummod"
            and head.pos_ == "NOUN"
            and not _AMOUNT.fullmatch(head.text)
        )
    if word == "many":  # a count: not a share or a sum, nor a number that counts something else than X
        counted = _question(question).counted
        head = entity.root.head
        counts_other = entity.root.dep_ == "nummod" and head.pos_ == "NOUN" and not _counts(entity, counted)
        measure = entity.label_ in {"PERCENT", "MONEY", "QUANTITY", "DATE", "TIME"} and not (
            counted and _counts(entity, counted)
        )  # "six months" does not say how many days
        return not measure and not (counted and counts_other)
    return True


def _counts(entity: Any, counted: str) -> bool:
    """Whether the number counts the noun: its head, or a word right after it, past other nouns and adjectives
    ("27 narrow locks", "55 puffin burrows")."""
    doc, root = entity.doc, entity.root
    if _same(root.lemma_, counted) or (root.dep_ == "nummod" and _same(root.head.lemma_, counted)):
        return True
    for token in doc[entity.end : entity.end + 5]:  # "55 puffin burrows", "11 ATR 72-600 turboprops"
        if _same(token.lemma_, counted):
            return True
        if token.pos_ not in {"NOUN", "ADJ", "PROPN", "NUM"} and token.text != "-":
            return False  # not "99.97% of samples"
    return False


def _has_lemma(doc: Any, lemma: str) -> bool:
    return any(_same(t.lemma_, lemma) for t in doc)


def _modified_as(token: Any, asks: _Asked) -> bool:
    """Whether a role word of the sentence has the question's modifiers of its role ("chief operating officer")."""
    if not asks.role or not asks.modifiers:
        return True
    return set(asks.modifiers) <= {c.lower_ for c in token.children} | {
        t.lower_ for t in token.doc[token.i - 3 : token.i]
    }


def _related(token: Any, lemma: str) -> bool:
    """A word of the sentence that says the question's relation: the same lemma, or a verb's agent noun or another
    word of its stem ("assistant" for "assist", "designer" for "design", "leader" for "lead")."""
    return token.pos_ in {"VERB", "NOUN", "ADJ", "PROPN"} and _same(token.lemma_, lemma)


def _same(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def _nearest(candidates: list[tuple[tuple[int, int], Any]], relation: list[Any]) -> tuple[int, int] | None:
    """The candidate nearest to a relation word in the parse tree, when it is strictly nearer than every candidate
    not coordinated with it and within `MAX_DISTANCE`."""
    scored = sorted(((min(_distance(e.root, r) for r in relation), span, e) for span, e in candidates), key=_first)
    best, span, entity = scored[0]
    if best > MAX_DISTANCE:
        return None
    rivals = [e for d, _, e in scored[1:] if d == best and not _coordinated(entity, e)]
    return None if rivals else span


def _first(row: tuple) -> int:
    return row[0]


def _coordinated(a: Any, b: Any) -> bool:
    """ "Carvalho and Holt": one is a conjunct of the other (both fill the slot)."""
    return a.root.head == b.root or b.root.head == a.root if "conj" in (a.root.dep_, b.root.dep_) else False


def _distance(a: Any, b: Any) -> int:
    """The length of the path between two tokens of one parse tree; an edge that attaches a looser dependent
    (a prepositional phrase other than a passive's agent, a clause) counts `LOOSE`: "led by Carvalho, with
    assistants Ridley" puts both names two edges from "led", but only Carvalho fills its slot."""
    up = dict(_path_up(a))
    for at, cost in _path_up(b):
        if at in up:
            return cost + up[at]
    return 99  # two sentences in one parse


def _path_up(token: Any) -> list[tuple[int, int]]:
    """(token index, cost of the path so far) from the token up to the root."""
    path, cost = [(token.i, 0)], 0
    while token.head.i != token.i:
        cost += LOOSE if token.dep_ in _LOOSE_EDGES else 1
        token = token.head
        path.append((token.i, cost))
    return path
