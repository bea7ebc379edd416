"""Example questions for the chat page's first view: a few questions each document can answer, made without a
language model when a version of the document is indexed, and the few shown across documents.

Owns the question templates and the choice among documents. spaCy's small English pipeline (the one the short
answer uses, `rag.answer.phrases`, here with its lemmatizer) parses the document's sentences, the first sentence
of each paragraph first; a sentence whose subject is a name, a person or a thing, and whose predicate is short and
complete, becomes a question whose words are the sentence's own, so retrieval and the extractive answerer find
it again:
    "The United States and Ukraine on Wednesday signed a long-awaited agreement granting …"
        -> "When did the United States and Ukraine sign a long-awaited agreement?"
    "U.S. Treasury Secretary Scott Bessent and … Yulia Svyrydenko formally signed the deal, with …"
        -> "Who formally signed the deal?"
    "Port Zephyr is a small fishing harbour on a windy northern coast." -> "What is Port Zephyr?"
The indexer stores a version's examples beside its text (`Store.save_examples`) before the version goes live;
versions indexed before examples existed get theirs computed from their chunks when first asked for.
Leaves out storage (`rag.store`), indexing (`rag.ingest.indexer`) and the page (`ui`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from rag.types import Chunk

if TYPE_CHECKING:
    from rag.store import Store

log = logging.getLogger(__name__)

PER_DOCUMENT = 3  # examples made for each document version
SHOWN = 3  # examples shown on the page
MAX_SENTENCES = 40  # sentences looked at per document: lead sentences of paragraphs first
MAX_PARSED = 12  # of those, sentences parsed (the likely ones; parsing costs a few milliseconds a sentence)
MAX_CHARS = 350  # longer sentences are passed over
MIN_WORDS, MAX_WORDS = 3, 14  # words of a question
MAX_SUBJECT = 8  # words of a subject repeated in a question

_KINDS = ("when", "who", "how", "what")  # the order kinds are preferred in when a document offers several
_CUT_DEPS = {"relcl", "acl", "advcl", "parataxis"}  # clauses that end the predicate a question keeps
_STOP_PUNCT = {",", ";", ":", "—", "–", "(", ")", "[", "]", "“", "”", '"', "‘", "’", "'", "«", "»", "…"}
_ENDS = {"NOUN", "PROPN", "NUM"}  # a predicate cut short must end on one of these
_POINTING = {"this", "that", "these", "those", "such", "another", "both", "its", "their", "his", "her"}
_WEEKDAYS_MONTHS = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|"
    r"august|september|october|november|december|spring|summer|autumn|winter)\b",
    re.I,
)
_QUOTES = re.compile(r"[\"“”«»\[\]()]")
_lock = threading.Lock()


@dataclass(frozen=True)
class Example:
    """A question a document answers, the kind of question, and the sentence it was made from (document
    offsets); `source` is filled in when examples are gathered across documents."""

    question: str
    kind: str
    start: int
    end: int
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "source"}


def build_examples(chunks: Sequence[Chunk], n: int = PER_DOCUMENT) -> list[Example]:
    """Up to `n` example questions the document of `chunks` answers, in document order; [] when none fits.

    Deterministic: the same chunks give the same questions. A kind of question (when, who, what) is used once
    before any is used twice, and no two questions are the same.

    Example:
        >>> from rag.ingest.loaders import LoadedDocument
        >>> from rag.ingest.splitter import split_document
        >>> text = "Port Zephyr is a small fishing harbour. The harbour holds twelve boats."
        >>> [e.question for e in build_examples(split_document(LoadedDocument("a.txt", text)))]
        ['What is Port Zephyr?']
    """
    candidates: list[tuple[int, Example]] = []
    seen: set[str] = set()
    sentences = [s for s in _sentences(chunks) if _promising(s[2])][:MAX_PARSED]
    names = frozenset(w.strip(".,;:!?’'") for _, _, text in sentences for w in text.split()[1:] if w[:1].isupper())
    with _lock:
        parsed = _pipeline().pipe((text for _, _, text in sentences), batch_size=8)
        for rank, ((start, end, _), doc) in enumerate(zip(sentences, parsed)):
            example = question_from(doc, names)
            if example is None or example.question.casefold() in seen:
                continue
            seen.add(example.question.casefold())
            candidates.append((rank, replace(example, start=start, end=end)))
            if len(candidates) >= n:
                break
    firsts = [next((c for c in candidates if c[1].kind == kind), None) for kind in _KINDS]  # each kind once
    chosen = [c for c in firsts if c is not None][:n]
    chosen += [c for c in candidates if c not in chosen][: n - len(chosen)]  # then any
    return [example for _, example in sorted(chosen, key=lambda pair: pair[1].start)]


def _sentences(chunks: Sequence[Chunk]) -> list[tuple[int, int, str]]:
    """The document's sentences (start, end, text), each once: lead sentences of paragraphs first, then the others,
    each group in document order; at most `MAX_SENTENCES`, none longer than `MAX_CHARS`."""
    lead, rest, seen = [], [], set()
    for chunk in sorted(chunks, key=lambda c: c.start):
        for i, (start, end, text) in enumerate(chunk.sentence_texts()):
            if (start, end) in seen or len(text) > MAX_CHARS or not chunk.sentences:
                continue
            seen.add((start, end))
            before = chunk.text[: start - chunk.start]
            is_lead = i == 0 or "\n" in before[-3:] or not before.strip()
            (lead if is_lead else rest).append((start, end, " ".join(text.split())))
    return (lead + rest)[:MAX_SENTENCES]


def _promising(sentence: str) -> bool:
    """Whether a sentence may make a question (a cheap test before parsing): it ends like a statement, does not
    open with a quote, and holds a figure or a capitalized word after its first."""
    if _QUOTES.search(sentence[:1]) or not sentence.rstrip().endswith((".", "!")):
        return False
    return bool(re.search(r"\d", sentence)) or any(w[:1].isupper() for w in sentence.split()[1:])


def question_for(sentence: str, names: frozenset[str] = frozenset()) -> Example | None:
    """The question one sentence answers, or None when no template fits it (offsets are the sentence's own).

    `names` holds the capitalized words the document uses in mid-sentence: a one-word "person" opening a sentence
    counts as a name only when it is among them (the small model takes "Rainwater" for a person).

    Example:
        >>> question_for("Port Zephyr is a small fishing harbour.").question
        'What is Port Zephyr?'
    """
    if not _promising(sentence):
        return None
    with _lock:
        doc = _pipeline()(sentence)
    return question_from(doc, names)


def question_from(doc: Any, names: frozenset[str] = frozenset()) -> Example | None:
    """`question_for` of a sentence spaCy has parsed."""
    root = doc[:].root
    subject = next((t for t in root.children if t.dep_ in ("nsubj", "nsubjpass")), None)
    if subject is None or root.pos_ not in ("VERB", "AUX") or _points_back(subject):
        return None
    for make in (_when, _how_many, _who, _what_said, _what_is):
        question = make(doc, root, subject, names)
        if question:
            words = question.split()
            kind = make.__name__.strip("_").split("_")[0]
            if MIN_WORDS <= len(words) <= MAX_WORDS and not _QUOTES.search(question) and _specific(words, kind):
                return Example(question, kind, 0, len(doc.text))
    return None


def _specific(words: list[str], kind: str) -> bool:
    """Whether a question names enough to find its sentence again among many documents: a name or a figure after
    its first word, or three words that are not stop words, two for a question asking for a date or an amount
    (which its sentence must hold). "Who told reporters?" and "What did the study find?" are not specific."""
    from spacy.lang.en.stop_words import STOP_WORDS

    rest = [w.strip("?,") for w in words[1:]]
    named = any(w[:1].isupper() or any(ch.isdigit() for ch in w) for w in rest)
    content = [w for w in rest if w.lower() not in STOP_WORDS and w.lower() not in _VAGUE]
    return named or len(content) >= (2 if kind in ("when", "how") else 3)


def _points_back(subject: Any) -> bool:
    """Whether the subject leans on earlier text ("She", "This deal", "Both"), so a question about it is vague."""
    first = subject.doc[subject.left_edge.i]
    return subject.pos_ in ("PRON", "DET") or first.lower_ in _POINTING


def _when(doc: Any, root: Any, subject: Any, names: frozenset[str]) -> str:
    """ "When did <subject> <verb> <object>?" (or "When was <subject> <verb>…?") for a past-tense sentence dated by
    a named day, month, season or year attached to its verb."""
    date = next((e for e in doc.ents if e.label_ == "DATE" and _dated(e.text) and _attached(e, root)), None)
    if date is None or any(t.dep_ in ("aux", "neg") for t in root.children):
        return ""
    skip = set(range(date.start, date.end))
    head = date.root.head
    if head.dep_ == "prep" and head.head == root:
        skip.add(head.i)  # "on" of "on Wednesday"
    if not _verb_follows(doc, root, subject, skip):
        return ""
    passive = [t for t in root.children if t.dep_ == "auxpass" and t.lower_ in ("was", "were")]
    if passive and root.tag_ == "VBN":
        verb = f"{passive[0].lower_} {_span(doc, subject, names)} {root.text}"
    elif root.tag_ == "VBD" and not passive and root.lemma_ not in ("be", "have"):
        verb = f"did {_span(doc, subject, names)} {root.lemma_}"
    else:
        return ""
    rest = _predicate(doc, root, skip, complete=not passive)
    return "" if rest is None else _question(f"When {verb} {rest}")


def _who(doc: Any, root: Any, subject: Any, names: frozenset[str]) -> str:
    """ "Who <verb group> <object>?" when the subject is or holds a person's name."""
    between = doc[subject.right_edge.i + 1 : root.i]
    named = [e for e in doc.ents if e.label_ in ("PERSON", "ORG") and e.start <= subject.i < e.end]
    if not named or not _a_name(named[0], names) or subject.pos_ != "PROPN" or root.lemma_ == "be":
        return ""
    if root.tag_ not in ("VBD", "VBZ") and not (between and root.tag_ in ("VBN", "VBG")):
        return ""  # "Who hold …?"
    if any(e.label_ == "PERSON" and e.start > root.i for e in doc.ents):
        return ""  # "Who said Dr. Michael Mina?": a name after the verb, a misread sentence
    if any(t.dep_ not in ("aux", "auxpass", "neg", "advmod") for t in between):
        return ""  # something other than the verb group between the subject and the verb
    rest = _predicate(doc, root, set(), needs=_OBJECTS)
    if not rest:
        return ""  # "Who proposed with Dimas?", "Who said Monday?" say too little
    return _question(f"Who {' '.join(t.text for t in [*between, root])} {rest}")


def _how_many(doc: Any, root: Any, subject: Any, names: frozenset[str]) -> str:
    """ "How much did <subject> <verb>…?" / "How many <things> did <subject> <verb>…?" when the verb's object is an
    amount: "The restoration cost 3.2 million pounds in total." -> "How much did the restoration cost in total?"."""
    auxiliary = _do(root)
    objects = [t for t in root.children if t.dep_ == "dobj"]
    if not auxiliary or len(objects) != 1 or not _verb_follows(doc, root, subject):
        return ""
    thing = objects[0]
    inside = range(thing.left_edge.i, thing.right_edge.i + 1)
    amounts = [e for e in doc.ents if e.label_ in ("MONEY", "CARDINAL", "QUANTITY") and e.start in inside]
    if not amounts:
        return ""
    skip = set(inside)
    rest = _predicate(doc, root, skip, complete=False)
    if rest is None:
        return ""
    if amounts[0].label_ == "MONEY" or thing.lower_ in _MONEY_WORDS:
        asked = "How much"
    elif amounts[0].root.head == thing and thing.pos_ == "NOUN" and thing.tag_ == "NNS":
        asked = f"How many {thing.lower_}"
    else:
        return ""
    return _question(f"{asked} {auxiliary} {_span(doc, subject, names)} {root.lemma_} {rest}")


def _what_said(doc: Any, root: Any, subject: Any, names: frozenset[str]) -> str:
    """ "What did <subject> <verb>?" when the verb's object is a clause (found, said, recommended that …):
    "Svyrydenko emphasized that Ukraine retains …" -> "What did Svyrydenko emphasize?"."""
    clauses = [t for t in root.children if t.dep_ == "ccomp"]
    if len(clauses) != 1 or subject.pos_ not in ("PROPN", "NOUN") or root.lemma_ not in _SAYING:
        return ""
    if not _verb_follows(doc, root, subject) or any(t.dep_ == "dobj" for t in root.children):
        return ""
    skip = set(range(clauses[0].left_edge.i, clauses[0].right_edge.i + 1))
    rest = _predicate(doc, root, skip, complete=False)
    if rest is None:
        return ""
    auxiliaries = [t for t in root.children if t.dep_ in ("aux", "auxpass", "neg")]
    if not auxiliaries:
        verb = f"{_do(root)} {_span(doc, subject, names)} {root.lemma_}" if _do(root) else ""
    elif len(auxiliaries) == 1 and auxiliaries[0].lower_ in _PERFECT and root.tag_ == "VBN":
        adverbs = "".join(t.text_with_ws for t in doc[subject.right_edge.i + 1 : root.i] if t.dep_ == "advmod")
        verb = f"{auxiliaries[0].lower_} {_span(doc, subject, names)} {adverbs}{root.text}"  # "has … stated"
    else:
        verb = ""
    return _question(f"What {verb} {rest}") if verb else ""


def _what_is(doc: Any, root: Any, subject: Any, names: frozenset[str]) -> str:
    """ "What is <name>?" (or "Who was <name>?") for a sentence defining a name: "Port Zephyr is a harbour."."""
    if root.lemma_ != "be" or root.lower_ not in ("is", "are", "was", "were") or subject.pos_ != "PROPN":
        return ""
    if not any(t.dep_ in ("attr", "acomp") for t in root.children) or not _verb_follows(doc, root, subject):
        return ""
    person = any(
        e.label_ == "PERSON" and e.root == subject and (len(e) > 1 or e.text in names) and e[0].text not in _NOT_PEOPLE
        for e in doc.ents
    )
    return _question(f"{'Who' if person else 'What'} {root.lower_} {_span(doc, subject, names)}")


_SUBJECTS = ("nsubj", "nsubjpass")
_PERFECT = {"has", "have", "had"}
_OBJECTS = {"dobj", "ccomp", "xcomp", "prt", "attr", "dative", "acomp", "oprd"}
_VAGUE = {"say", "said", "says", "told", "tell", "tells", "find", "found", "show", "showed", "shows", "reported"}
_FILLERS = {"also", "then", "too", "still", "thus", "however", "therefore"}
_SAYING = {  # verbs whose clause is what a "What did X say?" question asks for
    *("say", "tell", "report", "announce", "emphasize", "emphasise", "note", "find", "recommend", "state", "claim"),
    *("argue", "confirm", "warn", "conclude", "show", "suggest", "write", "add", "explain", "insist", "believe"),
    *("predict", "estimate", "decide", "agree", "assert", "reveal", "declare", "acknowledge", "admit", "deny"),
    *("stress", "promise", "propose", "demand", "urge", "observe", "discover", "learn", "prove"),
}
_NOT_PEOPLE = {"Hurricane", "Storm", "Typhoon", "Cyclone", "Tropical", "Mount", "Lake", "Cape"}
_MONEY_WORDS = {"pounds", "dollars", "euros", "francs", "yen", "yuan", "rupees"}


def _do(root: Any) -> str:
    """The form of "do" that asks about a simple past or present verb without auxiliaries, or ""."""
    if root.lemma_ in ("be", "have") or any(t.dep_ in ("aux", "auxpass", "neg") for t in root.children):
        return ""
    return {"VBD": "did", "VBZ": "does", "VBP": "do"}.get(root.tag_, "")


def _verb_follows(doc: Any, root: Any, subject: Any, skip: set[int] = frozenset()) -> bool:
    """Whether the verb (with its auxiliaries and adverbs) comes right after a short subject (`skip` aside)."""
    between = doc[subject.right_edge.i + 1 : root.i]
    short = subject.right_edge.i - subject.left_edge.i < MAX_SUBJECT
    return short and all(t.dep_ in ("aux", "auxpass", "neg", "advmod") or t.i in skip for t in between)


def _a_name(entity: Any, names: frozenset[str]) -> bool:
    """Whether a PERSON entity is a name: it has several words or does not open the sentence, or the document also
    writes it capitalized in mid-sentence."""
    return len(entity) > 1 or entity.start > 0 or entity.text in names


def _dated(text: str) -> bool:
    """Whether a DATE entity names a day, month, season or year (not "months" or "the years ahead")."""
    return bool(_WEEKDAYS_MONTHS.search(text) or re.search(r"\b(1[5-9]|20)\d\d\b", text))


def _attached(entity: Any, root: Any) -> bool:
    """Whether an entity modifies the main verb (directly, or through a preposition)."""
    head = entity.root.head
    return head == root or (head.dep_ == "prep" and head.head == root)


def _predicate(doc: Any, root: Any, skip: set[int], complete: bool = True, needs: set[str] = frozenset()) -> str | None:
    """The words after the verb up to the end of its first clause (a comma, a dash, "and" + a clause, a relative
    clause), leaving out `skip`; too long, it is cut before its last prepositional phrase. None when that is not
    enough, when `complete` and it does not end on a noun, a name or a number (a question cut mid-phrase), when it
    holds no word of a relation in `needs` (an object, say), or when it has a subject of its own (a misread)."""
    kept = []
    starts = [t.left_edge.i for t in doc if t.dep_ in _CUT_DEPS and t.left_edge.i > root.i and t.i not in skip]
    for token in doc[root.i + 1 : min(starts, default=len(doc))]:
        if token.is_punct and token.tag_ != "HYPH" and (token.text in _STOP_PUNCT or token.text in ".!?"):
            break
        if token.i in skip or token.lower_ in _FILLERS:
            continue
        if token.lower_ in _POINTING - {"its", "their", "his", "her", "both"} or token.pos_ == "PRON":
            return None  # "Who refined this work?": about something the question does not name
        if token.dep_ == "cc" and token.head.pos_ in ("VERB", "AUX"):
            break
        kept.append(token)
    while len(kept) > MAX_WORDS - 5:  # too long: drop the last prepositional phrase
        preps = [i for i, t in enumerate(kept) if t.dep_ == "prep" and i > 0]
        if not preps:
            return None
        kept = kept[: preps[-1]]
    if complete and (not kept or kept[-1].pos_ not in _ENDS):
        return None
    if (needs and not any(t.dep_ in needs for t in kept)) or any(t.dep_ in _SUBJECTS and t.head == root for t in kept):
        return None
    return "".join(t.text_with_ws for t in kept).strip()


def _span(doc: Any, token: Any, names: frozenset[str] = frozenset()) -> str:
    """The words of a token's subtree, its first word lowercased unless it is a name or an acronym ("The accord"
    -> "the accord", "Restoration" -> "restoration", "Hochul" stays)."""
    words = doc[token.left_edge.i : token.right_edge.i + 1]
    first = words[0]
    if first.pos_ != "DET" and (first.pos_ == "PROPN" or first.ent_type_ or first.text in names):
        return words.text
    if len(first.text) > 1 and first.text.isupper():
        return words.text
    return first.text.lower() + words.text[len(first.text) :]


def _question(text: str) -> str:
    return " ".join(text.split()) + "?"


@cache
def _pipeline() -> Any:
    """spaCy's small English pipeline with its lemmatizer (for "did … sign"), loaded from the installed package."""
    from rag.answer.phrases import import_spacy, model_folder

    return import_spacy().load(model_folder())  # spaCy without torch


# -- across documents ------------------------------------------------------------------------------------------

_COMPUTED: dict[str, list[Example]] = {}  # versions indexed before examples were stored: computed once each


def examples_of(store: Store, gen: str, chunks: Callable[[], Sequence[Chunk]]) -> list[Example]:
    """A document version's examples: those stored beside its text, or (for a version indexed before they were
    stored) computed from its chunks once per process. Never raises: a failure is logged and gives []."""
    stored = store.examples_of(gen)
    if stored is not None:
        try:
            return [Example(**item) for item in stored]
        except TypeError:
            log.warning("the example questions stored for version %s are not readable; making them again", gen)
    if gen not in _COMPUTED:
        try:
            _COMPUTED[gen] = build_examples(chunks())
        except Exception:
            log.exception("cannot make example questions for version %s", gen)
            return []
    return _COMPUTED[gen]


def suggested(
    store: Store,
    chunks_of: Callable[[str], Sequence[Chunk]],
    n: int = SHOWN,
    check: Callable[[Example], bool] | None = None,
) -> list[Example]:
    """`n` example questions across the indexed documents: the first example of each document, the newest indexed
    first, then their second ones, and so on; no question twice; [] when nothing is indexed. Only those `check`
    accepts are kept (at most `4 n` are checked). Reads the examples of only as many documents as it needs;
    `chunks_of(source)` gives a document's chunks (for a version indexed before examples were stored)."""
    chosen: list[Example] = []
    seen: set[str] = set()
    checked = 0
    for example in _offered(store, chunks_of, n):
        if len(chosen) >= n or checked >= 4 * n:
            break
        if example.question.casefold() in seen:
            continue
        seen.add(example.question.casefold())
        if check is not None:
            checked += 1
            if not check(example):
                log.info("example question %r is not answered from %s; not offered", example.question, example.source)
                continue
        chosen.append(example)
    return chosen


def _offered(store: Store, chunks_of: Callable[[str], Sequence[Chunk]], n: int) -> Iterator[Example]:
    """Every document's examples in the order they are offered: documents newest indexed first, taken `n` (with
    examples) at a time, and within each group the first example of each document, then the second ones, …"""
    documents = store.documents()
    order = sorted(documents, key=lambda source: (-store.indexed_at(documents[source].gen), source))
    position = 0
    while position < len(order):
        group: list[list[Example]] = []
        while position < len(order) and sum(1 for examples in group if examples) < n:
            source = order[position]
            position += 1
            made = examples_of(store, documents[source].gen, lambda source=source: chunks_of(source))
            group.append([replace(e, source=source) for e in made])
        for depth in range(PER_DOCUMENT):
            yield from (examples[depth] for examples in group if depth < len(examples))


def store_examples(store: Store, gen: str, chunks: Sequence[Chunk]) -> None:
    """Make a version's examples and keep them beside its text; the indexer calls this before the version goes
    live. A version that already has them (an ingest resumed after a crash) keeps them. Never raises (but for an
    interrupt): without stored examples, the version's are computed when first asked for."""
    if store.examples_of(gen) is not None:
        return
    try:
        store.save_examples(gen, [e.to_dict() for e in build_examples(chunks)])
    except Exception:
        log.exception("cannot make example questions for version %s", gen)
