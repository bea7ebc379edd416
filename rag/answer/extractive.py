"""The extractive answerer: quotes the few retrieved sentences that answer the question, or abstains.

Owns sentence scoring and the abstention decision. Sentences are first ranked cheaply by
- coverage: the share of the question's content words (IDF-weighted stems) that the sentence holds,
- similarity: the cosine similarity of the question to the sentence's passage (from retrieval),
- answer type: a penalty when the sentence lacks the kind of thing asked for (a number for "how many", a date
  for "when", a name for "who");
then the best few are scored with their own similarity to the question (their vectors from the ingest pass,
`rag.sentence_vectors`, or embedded now for an index without them): the evidence score is coverage and that,
less the answer-type penalty, less a mismatch penalty when the sentence cannot be about what was asked: the question
negates and the sentence does not, or the question names a figure the sentence does not hold; and less a phrase
penalty when a when/where/how-many question's sentence names nothing of the asked kind (`_phrase_checked`).
The best score is the answer's `confidence`; below `abstain_threshold` the answer abstains. The threshold is
calibrated on evaluation suites (`rag eval --calibrate`, README).
A quoted sentence that points back ("She also said…", "However, …") is quoted together with the sentence before
it, as one span; for who/when/where/how-many questions the answer opens with the asked-for phrase (`phrases`).
Leaves out retrieval and the LLM modes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from rag.answer.base import ABSTAIN_TEXT, cite
from rag.answer.nearmiss import absent_names, mismatch, missing_names, question_names, scope
from rag.answer.phrases import asked_kind, scored_phrase, scored_phrases, words_shared
from rag.answer.slots import find_slot
from rag.answer.slots import wrong_form as _wrong_form
from rag.answer.tables import asked_cell, label_words, named_cell
from rag.config import Settings
from rag.ingest.splitter import SECTION_SEPARATOR
from rag.lexical import tokenize
from rag.sentence_vectors import span_vector
from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer, word_key

_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|trillion|dozen|half|percent)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(1[5-9]\d\d|20\d\d|january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|year|years|month|months|week|weeks|"
    r"day|days|ago|since|century|decade|decades)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+")
_ASKS_NUMBER = re.compile(r"\bhow (many|much|long|old|far|large|big)\b|\bwhat (percentage|share|amount|number)\b", re.I)
_ASKS_DATE = re.compile(r"^\s*when\b|\bwhat (year|day|date|month|time)\b|\bwhich (year|day|month)\b", re.I)
_ASKS_NAME = re.compile(r"^\s*(who|whom|whose|where)\b|\bwhich (person|country|company|city|organi[sz]ation)\b", re.I)
_ASKS_WHO_HOLDS = re.compile(r"^\s*who\s+(is|was|are|were)\s+(the|our|their|its|his|her|\w+['’]s)\s", re.I)
"""Who holds a role ("Who is the chief executive of…", "Who was the Trust's chief executive before…"): a person."""
_ASKS_MEASURE = re.compile(r"\bhow (long|far|tall|high|deep|wide)\b", re.I)
_LENGTH = r"\d\s*(m|km|cm|mm|ft|in|mi)\b|\b(metres?|meters?|kilometres?|kilometers?|miles?|feet|foot|yards?|inch)\b"
_TIME = r"\b(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?|centuries|century)\b|\d\s*(s|ms|min|h)\b"
_MEASURE_UNITS = {
    word: re.compile(_LENGTH + ("|" + _TIME if word == "long" else ""), re.I)
    for word in ("long", "far", "tall", "high", "deep", "wide")
}
_LABELS = frozenset({"title", "heading", "caption"})
_ITEMS = frozenset({"list_item", "code"})
_GLUED = re.compile(r"(?<=[a-z][.!?])\d{1,2}\s+(?=[A-Z])")  # "slopes.1 Common": a footnote mark between sentences
_QUESTION_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][a-z]{2,}\b")
_ASKS_HEADING = re.compile(
    r"\bwhat (is|are|was|were)\b.{0,40}\b(section|chapter|part|appendix|notice|item|clause)s?\b.{0,60}\babout\b|"
    r"\b(which|what) (section|chapter|part|appendix|heading)s?\b.{0,60}?\b(covers?|is about|deals? with|explains?|"
    r"describes?)\b|"
    r"\bwhat (is|was) the (subject|title|heading|topic) of\b",
    re.I,
)
_SUBTITLE = re.compile(r"[ \t]*\n+[ \t]*([^\n]{1,100}?)[ \t]*(?=\n|$)")
_NAME_LINE = re.compile(r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof|Professor|Sir|Dame)\.? )?[A-Z][\w’'-]+(?: [A-Z][\w’'.-]*){1,3}")
_TITLE_LINE = re.compile(r"[A-Z][\w’'-]*(?: (?:[A-Z][\w’'-]*|of|and|for|the|&)){0,6}")
_PERSON_PRONOUN = re.compile(r"\b(he|she|his|her|him|hers)\b", re.I)
_POINTS_BACK = re.compile(
    r"^(he|she|it|they|this|that|these|those|his|her|its|their|such|however|but|also|moreover|meanwhile|still|"
    r"yet|instead|thus|therefore|and|then)\b",
    re.I,
)

# Weights chosen on SQuAD 2.0 (README: calibration). Candidates are first ranked cheaply (coverage and passage
# similarity), then the best RERANK of them are embedded and scored with their own similarity to the question.
PRESELECT_COVERAGE, PRESELECT_SIMILARITY = 0.5, 0.4
COVERAGE_WEIGHT, SENTENCE_WEIGHT, TYPE_PENALTY = 0.5, 0.3, 0.1
MISMATCH_PENALTY = 0.2
MEASURE_PENALTY = 0.25  # a how-long/far/tall question's sentence with no unit of the dimension: it cannot answer
ELSEWHERE_PENALTY = 0.3  # the passages of a sentence's document lack a proper noun of the question
ROW_BONUS = 0.1  # a table row with the cell whose column the question names, in a table about its names
HEADING_PENALTY = 0.15  # a heading, title or caption for a question not about one (a bonus for one that is)
PHRASE_PENALTY = 0.1  # a when/where/how-many/which-company question's sentence naming nothing of the asked kind
NO_HOLDER_PENALTY = 0.35  # a who-holds-the-role question's sentence naming no person: it cannot answer it
SLOT_BONUS = 0.1  # a prose sentence that says the question's relation about a phrase of the asked kind (`slots`)
RERANK = 6
SECOND_SENTENCE_RATIO = 0.9
SHORT_SOURCE_RATIO = 0.8
TITLE_WORDS = 16  # a longer "title" is a plain text's first paragraph, whose words are no topic of its sentences
LOOKBACK = 200  # characters before a short answer's sentence where the question's names may stand
LIST_CHARS = 600  # a list quoted with its introduction, or with the item that was found
HEADING_WITHIN = 200  # characters from a chunk's start where its section's heading may stand (after a page's banner)
NEARBY = 2  # a sentence holding the asked-for phrase may be cited instead if it scores this close


_COUNTS_ASKED = re.compile(  # "what are the two main risks", "which three sites": the count of the things asked for
    r"^\s*(?:what|which|name|list|give)\b.*?\b(two|three|four|five|six|seven|eight|nine|ten)\s+(?:[a-z]+\s+){0,2}?[a-z]+s\b",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage with its evidence score."""

    passage: Passage
    start: int
    end: int
    text: str
    score: float
    penalty: float = 0.0  # the answer-type, mismatch, row and heading penalties in `score` (negative: a bonus)


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    """Stems of English function words ("about", "after", "my": NLTK's list, as bm25s ships it), beyond the short
    list the BM25 index drops: a sentence need not hold them to answer ("What did she write about X?")."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(tokenize(" ".join(STOPWORDS_EN_PLUS)))


def content_terms(text: str) -> list[str]:
    """The stems coverage counts: `rag.lexical.tokenize` without function words."""
    return [t for t in tokenize(text) if t not in _function_words()]


def question_terms(question: str) -> list[str]:
    """The stems coverage weighs for a question: its `content_terms` but a number word that counts what it asks for
    ("What were the first two destinations …?": the answer names two things, it need not say "two").

    Example:
        >>> question_terms("What were the first two destinations of Huguenot emigres?")
        ['first', 'destin', 'huguenot', 'emigr']
    """
    terms = content_terms(question)
    counted = _COUNTS_ASKED.search(question)
    return [t for t in terms if t != counted.group(1).lower()] if counted else terms


def asks_heading(question: str) -> bool:
    """Whether the question asks for a heading or title ("What is section 7 about?", "Which chapter covers
    budgets?", "What is the subject of Notice 14?"): then a heading answers, else a heading only names a topic.

    Example:
        >>> asks_heading("What is section 7 of the handbook about?"), asks_heading("Who designed the viaduct?")
        (True, False)
    """
    return bool(_ASKS_HEADING.search(question))


def answer_type(question: str) -> Callable[[str, str], bool] | None:
    """A check that a sentence holds the kind of answer the question asks for, or None if any sentence may do."""
    measure = _ASKS_MEASURE.search(question)
    if measure:  # "how long is the tunnel?": a length (or a time), not the navvies who dug it
        unit = _MEASURE_UNITS[measure.group(1).lower()]
        return lambda sentence, _q: bool(unit.search(sentence))
    if _ASKS_NUMBER.search(question):
        return lambda sentence, _q: bool(_NUMBER.search(sentence))
    if _ASKS_DATE.search(question):
        return lambda sentence, _q: bool(_DATE.search(sentence))
    if _ASKS_NAME.search(question):
        return lambda sentence, q: any(name.lower() not in q.lower() for name in _NAME.findall(sentence))
    return None


class ExtractiveAnswerer:
    """Answers with the best-supported sentences of the passages, quoted exactly, or abstains.

    Example:
        >>> answerer = ExtractiveAnswerer(Settings(), idf=lambda term: 1.0)
        >>> answerer("Who won?", []).abstained
        True
    """

    name = "extractive"

    def __init__(
        self,
        settings: Settings,
        idf: Callable[[str], float],
        normalize: Callable[[str], str] = lambda t: t,
        embed: Callable[[list[str]], Sequence[Sequence[float]]] | None = None,
    ) -> None:
        self.threshold = settings.threshold()
        self.max_sentences = settings.max_sentences
        self.idf = idf
        self.normalize = normalize
        self.embed = embed

    def candidates(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        """Every sentence of the passages, best evidence first."""
        terms = {self.normalize(t) for t in question_terms(question)}
        weights = {t: self.idf(t) for t in terms}
        fits = answer_type(question)
        wants_heading = asks_heading(question)
        kind = asked_kind(question) or ""
        names = question_names(question)
        type_penalty = MEASURE_PENALTY if _ASKS_MEASURE.search(question) else TYPE_PENALTY
        seen, found = set(), []
        for passage in passages:
            similarity = max(passage.similarity or 0.0, 0.0)
            about = scope(passage.chunk)
            same = [p for p in passages if p.chunk.source == passage.chunk.source]
            elsewhere = ELSEWHERE_PENALTY if absent_names(names, same) else 0.0  # its document is about another
            focus = _focus(weights, passage.chunk.title)
            focus_total = sum(focus.values())
            heading_words = set(content_terms(passage.chunk.section.split(SECTION_SEPARATOR)[-1]))  # of its items
            for block, first, end, sentence in _spans(passage.chunk, wants_heading):
                keys = {(passage.chunk.source, first), word_key(sentence)}
                if keys & seen:  # overlapping chunks, or the same sentence in another file (a .md and its .pdf)
                    continue
                seen |= keys
                start, text = _with_referent(passage, first, end)
                words = set(content_terms(text)) | (heading_words if block == "list_item" else set())
                coverage = sum(w for t, w in focus.items() if t in words) / focus_total
                penalty = type_penalty if fits is not None and not fits(text, question) else 0.0
                penalty += MISMATCH_PENALTY if mismatch(question, text, about) else elsewhere
                if block == "table_row" and _names_cell(question, text, passage.chunk, kind):
                    penalty -= ROW_BONUS
                if block in _LABELS:  # a heading names a topic; it answers what it is about
                    penalty += -HEADING_PENALTY if wants_heading else HEADING_PENALTY
                cheap = PRESELECT_COVERAGE * coverage + PRESELECT_SIMILARITY * similarity - penalty
                found.append((cheap, coverage, penalty, Candidate(passage, start, end, text, cheap, penalty)))
        found.sort(key=lambda row: -row[0])
        top = found[:RERANK]
        if not top or self.embed is None:
            return [row[-1] for row in found]
        similarities = self._similarities(question, [row[-1] for row in top])
        reranked = [
            replace(c, score=COVERAGE_WEIGHT * coverage + SENTENCE_WEIGHT * float(sim) - penalty)
            for (_, coverage, penalty, c), sim in zip(top, similarities)
        ]
        return _phrase_checked(question, sorted(reranked, key=lambda c: -c.score))

    def _similarities(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:  # self.embed is set
        """Each candidate's similarity to the question: by its sentence vectors from the ingest pass when the index
        has them (`rag.sentence_vectors`), else by embedding its text now."""
        stored = [span_vector(c.passage.chunk, c.start, c.end) for c in candidates]
        missing = [c.text for c, vector in zip(candidates, stored) if vector is None]
        vectors = np.asarray(self.embed([question, *missing]), dtype=np.float32)
        computed = iter(vectors[1:])
        matrix = np.stack([vector if vector is not None else next(computed) for vector in stored])
        return matrix @ vectors[0]

    def __call__(self, question: str, passages: Sequence[Passage]) -> Answer:
        began = time.perf_counter()
        ranked = self.candidates(question, passages)
        confidence = ranked[0].score if ranked else 0.0
        timings = {"answer_ms": 0.0}
        if confidence < self.threshold:
            timings["answer_ms"] = (time.perf_counter() - began) * 1000
            return Answer(question, ABSTAIN_TEXT, True, (), tuple(passages), confidence, self.name, timings)
        best = ranked[0]
        floor = max(self.threshold, SECOND_SENTENCE_RATIO * best.score)
        picks = [best] + [c for c in ranked[1 : self.max_sentences] if c.score >= floor]
        holder = _phrase_holder(question, ranked, max(self.threshold, SHORT_SOURCE_RATIO * best.score))
        if holder is None:  # e.g. a news lead names two countries, and the officials follow a sentence or two later
            holder = _phrase_nearby(question, best)
            picks = [*picks[: self.max_sentences - 1], holder] if holder is not None else picks
        elif holder not in picks:
            picks = [holder, *picks[: self.max_sentences - 1]]
        picks = [_with_items(c, question) for c in picks]
        if holder is not None:
            holder = next(c for c in picks if c.start == holder.start and c.passage is holder.passage)
        text, citations = cite(_merge([(c.passage, c.start, c.end) for c in picks], passages))
        first = [holder, *(c for c in picks if c is not holder)] if holder is not None else picks
        short = _short_answer(question, first, citations)
        if short is not None:
            text = f"{short.text} — {text}"
        timings["answer_ms"] = (time.perf_counter() - began) * 1000
        return Answer(question, text, False, citations, tuple(passages), confidence, self.name, timings, short=short)


def _spans(chunk: Chunk, wants_heading: bool) -> list[tuple[str, int, int, str]]:
    """The chunk's sentences as (block kind, start, end, text); for a question that asks for a heading, first the
    heading of the chunk's section where its text holds it (`_heading_span`), a span of kind "heading"."""
    spans = [(chunk.kind_of(i), start, end, text) for i, (start, end, text) in enumerate(chunk.sentence_texts())]
    heading = _heading_span(chunk) if wants_heading else None
    if heading is None:
        return spans
    start, end = heading
    return [("heading", start, end, chunk.text[start - chunk.start : end - chunk.start]), *spans]


def _heading_span(chunk: Chunk) -> tuple[int, int] | None:
    """Where the chunk's text holds its section's heading (the splitter keeps a section's heading in the text of its
    first chunk, not among its sentences), with the line under it when that is a subtitle (short and not closed
    like a sentence: "NOTICE TO MARINERS No. 14 of 2024" over "Maintenance dredging of the inner harbour
    channel"); None when the chunk does not open its section."""
    heading = chunk.section.split(SECTION_SEPARATOR)[-1].strip()
    at = chunk.text.find(heading, 0, HEADING_WITHIN) if heading else -1
    if at < 0:
        return None
    end = at + len(heading)
    subtitle = _SUBTITLE.match(chunk.text, end)
    if subtitle and not subtitle.group(1).rstrip().endswith((".", "!", "?", ":", ";")):
        end = subtitle.end(1)
    return chunk.start + at, chunk.start + end


def _names_cell(question: str, row: str, chunk: Chunk, kind: str) -> bool:
    """Whether the row holds the cell the question names (`tables.named_cell`) and its chunk or scope holds every
    name of the question ("Who designed the Hebble Viaduct?" is no question for the Calderbrook Viaduct's table)."""
    if named_cell(question, row, kind) is None:
        return False
    around = f"{chunk.text} {scope(chunk)}".lower()
    return all(name.lower() in around for name in _QUESTION_NAME.findall(question))


def _focus(weights: dict[str, float], title: str) -> dict[str, float]:
    """The question's terms a sentence of a document must hold itself: those its title does not ("Who is the chief
    executive of the North Coast Wildlife Trust?" in the Trust's newsletter: chief executive), as every sentence of
    a document is about its title; all of them when the title holds every one, or they carry no weight, or the
    "title" is a sentence (a plain text's first line that is a whole paragraph)."""
    if len(title.split()) > TITLE_WORDS or title.rstrip().endswith((".", "!", "?")):
        return weights if sum(weights.values()) > 0 else {"": 1.0}  # a first line or sentence, not a title
    given = set(content_terms(title))
    focus = {t: w for t, w in weights.items() if t not in given}
    return focus if sum(focus.values()) > 0 else (weights if sum(weights.values()) > 0 else {"": 1.0})


def _with_items(candidate: Candidate, question: str) -> Candidate:
    """The candidate widened to the list it stands for, quoted as one span: a sentence that introduces a list or
    code with a colon ("The notice you must give depends on your grade:", "install it from homebrew-core:") with
    the items that follow it in its chunk; a list item, for a question that asks for no phrase ("What should I
    bring?"), with the items around it. At most `LIST_CHARS` characters; a table row stays one row."""
    chunk = candidate.passage.chunk
    spans = chunk.sentences or ((chunk.start, chunk.end),)
    kinds = [chunk.kind_of(i) for i in range(len(spans))]
    at = next((i for i, (s, e) in enumerate(spans) if s <= candidate.start < e), None)
    if at is None:
        return candidate
    last = next((i for i, (s, e) in enumerate(spans) if s < candidate.end <= e), at)
    first = at
    if candidate.text.rstrip().endswith(":") or (kinds[at] == "list_item" and asked_kind(question) is None):
        while (
            last + 1 < len(spans) and kinds[last + 1] in _ITEMS and spans[last + 1][1] - spans[first][0] <= LIST_CHARS
        ):
            last += 1
    if kinds[at] == "list_item" and asked_kind(question) is None:
        while first > 0 and kinds[first - 1] in _ITEMS and spans[last][1] - spans[first - 1][0] <= LIST_CHARS:
            first -= 1
    start, end = min(spans[first][0], candidate.start), max(spans[last][1], candidate.end)
    if (start, end) == (candidate.start, candidate.end):
        return candidate
    return replace(candidate, start=start, end=end, text=chunk.text[start - chunk.start : end - chunk.start])


def _phrase_checked(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """The candidates, best first, rescored by the phrase they name of the asked kind (spaCy's entities,
    `phrases`; one already named in the question does not count):
    - `PHRASE_PENALTY` off each that names none: "When was the Peace of Westphalia established?" is not answered by
      a sentence that only mentions the peace. Of who-questions only those asking who holds a role
      (`_ASKS_WHO_HOLDS`, `NO_HOLDER_PENALTY`), which a person's name answers: others are often answered by no
      name ("the courts of member states": on SQuAD the check cost two right answers there);
    - `SLOT_BONUS` onto a prose sentence, about what was asked (no penalty of its own), whose phrase fills the
      question's slot (`slots.find_slot`, strong): "I reckon I saved £1,150" answers "How much did Ellen save?"
      although it shares one word with it. Not when a table row holds the cell the question names (`ROW_BONUS`):
      the row answers, beside a sentence that speaks of the same thing ("up to a maximum of 32 days"); nor for a
      question that names nothing but its relation ("How much did it total?" asked alone).
    Checked best first, until the best checked one outranks the rest even with the bonus, so one or two sentences
    are parsed, not all."""
    kind = asked_kind(question)
    if kind is None:
        return ranked
    penalize = kind != "person" or _ASKS_WHO_HOLDS.match(question)
    named = len(set(content_terms(question)) - {"much", "mani"}) > 1  # "How much did it total?": its relation alone
    bonus = SLOT_BONUS if named and all(c.penalty >= 0 for c in ranked[:RERANK]) else 0.0  # a named cell first
    checked: list[Candidate] = []
    for at, candidate in enumerate(ranked):
        if checked and max(c.score for c in checked) >= candidate.score + bonus:
            return sorted(checked + ranked[at:], key=lambda c: -c.score)
        row = _is_row(candidate.passage.chunk, candidate.start, candidate.end)
        if penalize and (
            not _names_asked(question, candidate.text, kind)
            or (not row and _wrong_form(question, candidate.text, kind))
        ):
            penalty = NO_HOLDER_PENALTY if kind == "person" else PHRASE_PENALTY
            candidate = replace(candidate, score=candidate.score - penalty)
        elif bonus and candidate.penalty == 0 and not row and _fills(question, candidate, kind):
            candidate = replace(candidate, score=candidate.score + bonus)
        checked.append(candidate)
    return sorted(checked, key=lambda c: -c.score)


def _fills(question: str, candidate: Candidate, kind: str) -> bool:
    """Whether the candidate's phrase of the asked kind fills the question's slot (`slots.find_slot`, strong), about
    what the question names (`_about_it`), and is no place or group that only qualifies a noun ("Ward … built the
    Marston branch railway" says nothing of who built the canal)."""
    slot = find_slot(question, candidate.text, kind)
    if slot is None or not slot.strong or slot.qualifier:
        return False
    return _about_it(question, candidate, candidate.start + slot.span[0], False)


def _names_asked(question: str, sentence: str, kind: str) -> bool:
    """Whether the sentence names a phrase of the asked kind that the question does not; for "who is the chief
    executive…", a person's name (an organisation, or the title line of a newsletter, holds no one in a role)."""
    found = scored_phrases(question, sentence, kind)
    if kind == "person":
        return any(key.label == 0 for _, key in found)  # PERSON, the first of the kind's entity types
    return bool(found)


def _with_referent(passage: Passage, start: int, end: int) -> tuple[int, str]:
    """A sentence's start and text, widened to the sentence before it (in its chunk) when it opens by pointing back
    ("She also noted…", "However, …"): scored and quoted as one span, so it stands alone."""
    chunk = passage.chunk
    text = chunk.text[start - chunk.start : end - chunk.start]
    before = [s for s in chunk.sentences if s[1] <= start]
    if before and (_POINTS_BACK.match(text) or _refers_back(text) or _signed(chunk, before[-1], text)):
        start = before[-1][0]
    return start, chunk.text[start - chunk.start : end - chunk.start]


def _signed(chunk: Chunk, before: tuple[int, int], line: str) -> bool:
    """Whether the line is a bare title under a bare name ("Priya Natarajan" over "Area Highways Engineer": a
    letter's signature, a memo's "From" block): the two say who holds the role only together."""
    name = chunk.text[before[0] - chunk.start : before[1] - chunk.start]
    return bool(_TITLE_LINE.fullmatch(line.strip()) and _NAME_LINE.fullmatch(name.strip()))


def _refers_back(sentence: str) -> bool:
    """Whether a person pronoun comes before the first name of the sentence ("Many of you will remember his
    predecessor, Margaret Lyle, …"): whom it means is in the sentence before."""
    pronoun = _PERSON_PRONOUN.search(sentence)
    if pronoun is None:
        return False
    name = _NAME.search(sentence)
    return name is not None and pronoun.start() < name.start()


def _phrase_holder(question: str, ranked: Sequence[Candidate], floor: float) -> Candidate | None:
    """Of the well-supported candidates, the one holding the best phrase of the asked kind (ties: the better
    supported), or None when the question asks for no such phrase or none holds one."""
    kind = asked_kind(question)
    if kind is None:
        return None
    found = []
    for rank, candidate in enumerate(c for c in ranked[:RERANK] if c.score >= floor):
        phrase = scored_phrase(question, candidate.text, kind)
        if phrase is not None:
            found.append((phrase[1], rank, candidate))
    return min(found, key=lambda row: row[:2])[2] if found else None


def _phrase_nearby(question: str, best: Candidate) -> Candidate | None:
    """Of the `NEARBY` sentences after the best one in its passage, the one sharing most words with the question
    among those holding a phrase of the asked kind tied to a name of the question and sharing another word with it
    ("the United States" → "U.S. … Scott Bessent … signed"); or None. Scored like the best, beside which it is
    quoted."""
    kind = asked_kind(question)
    if kind is None:
        return None
    chunk, found = best.passage.chunk, []
    for start, end in [(s, e) for s, e in chunk.sentences if s >= best.end][:NEARBY]:
        text = chunk.text[start - chunk.start : end - chunk.start]
        phrase = scored_phrase(question, text, kind)
        shared = words_shared(question, text)
        if phrase is not None and phrase[1].ties < 0 and shared >= 2:  # tied to a name of the question, and more
            found.append((-shared, start, replace(best, start=start, end=end, text=text)))
    return min(found, key=lambda row: row[:2])[2] if found else None


def _merge(spans: list[tuple[Passage, int, int]], order: Sequence[Passage]) -> list[tuple[Passage, int, int]]:
    """Spans in document order, overlapping ones of the same passage joined into one."""
    spans = sorted(spans, key=lambda s: (order.index(s[0]), s[1]))
    merged: list[tuple[Passage, int, int]] = []
    for passage, start, end in spans:
        if merged and merged[-1][0] is passage and start <= merged[-1][2]:
            merged[-1] = (passage, merged[-1][1], max(end, merged[-1][2]))
        else:
            merged.append((passage, start, end))
    return merged


def _is_row(chunk: Chunk, start: int, end: int) -> bool:
    """The sentence at `start:end` of the chunk is a table row (its short answer is a cell, or none)."""
    try:
        return chunk.kind_of(chunk.sentences.index((start, end))) == "table_row"
    except ValueError:
        return False


def _short_answer(question: str, picks: Sequence[Candidate], citations: Sequence[Citation]) -> ShortAnswer | None:
    """The asked-for phrase, with the number of the citation that holds it: the first pick (best first) whose
    phrase is strong, else the first whose phrase is weak; before them all, a cell of a row and column the question
    names (`tables.named_cell`). A prose phrase is strong when its sentence says the question's relation about it
    (`slots`); a table row's cell when no other row picked names more of the question's words in its label
    ("Bramley flight" over "Hexley Basin to Bramley"). No phrase comes from a
    sentence that misses what the question names (`_about_it`)."""
    kind = asked_kind(question)
    if kind is None:
        return None
    rows = {
        id(pick): label_words(question, pick.text)
        for pick in picks
        if _is_row(pick.passage.chunk, pick.start, pick.end)
    }
    found = []
    for order, pick in enumerate(picks):
        named = False
        if id(pick) in rows:
            span, strong = asked_cell(question, pick.text, kind), rows[id(pick)] == max(rows.values())
            named = strong and named_cell(question, pick.text, kind) is not None
        else:
            slot = find_slot(question, pick.text, kind)
            span, strong = (slot.span, slot.strong) if slot is not None else (None, False)
        if span is None or not _about_it(question, pick, pick.start + span[0], id(pick) in rows):
            continue
        chunk = pick.passage.chunk
        at, to = pick.start + span[0], pick.start + span[1]
        cited = next((c for c in citations if c.source == chunk.source and c.start <= at and to <= c.end), None)
        if cited is not None:
            short = ShortAnswer(chunk.text[at - chunk.start : to - chunk.start], cited.n, at, to)
            found.append((not named, not strong, order, short))
    return min(found, key=lambda row: row[:3])[3] if found else None


def _about_it(question: str, pick: Candidate, at: int, row: bool) -> bool:
    """Whether the sentence holding a phrase is about what the question names: no figure, month or kind of thing of
    the question missing from the sentence (`nearmiss.mismatch`; "in 2022" of a sentence about 2023, even when a
    footnote mark glued it to one that mentions 2022), and every proper noun of the question in it, the
    `LOOKBACK` characters before it (where "her crews" finds its boat) or its scope ("When will Mill Lane close?" is
    not answered by "Station Road will close from 3 June"; a table row's names may be anywhere in its chunk)."""
    chunk = pick.passage.chunk
    end = next((e for s, e in chunk.sentences if s <= at < e), pick.end)
    begin = next((s for s, e in chunk.sentences if s <= at < e), pick.start)
    clause = _clause(chunk.text[begin - chunk.start : end - chunk.start], at - begin)
    about = scope(chunk)
    if mismatch(question, clause, about):
        return False
    around = chunk.text if row else chunk.text[max(0, begin - LOOKBACK - chunk.start) : end - chunk.start]
    return not missing_names(question_names(question), f"{around} {about}")


def _clause(sentence: str, at: int) -> str:
    """The part of a sentence around offset `at` that a glued footnote mark did not let the splitter cut
    ("… on the northern slopes.1 Common terns were scarcer than in 2022 …")."""
    cuts = [m.end() for m in _GLUED.finditer(sentence)]
    start = max((c for c in cuts if c <= at), default=0)
    end = min((c for c in cuts if c > at), default=len(sentence))
    return sentence[start:end]
