"""The extractive answerer: quotes the few retrieved sentences that answer the question, or abstains.

Owns sentence scoring and the abstention decision. Sentences are first ranked cheaply by
- coverage: the share of the question's content words (IDF-weighted stems) that the sentence holds,
- similarity: the cosine similarity of the question to the sentence's passage (from retrieval),
- answer type: a penalty when the sentence lacks the kind of thing asked for (a number for "how many", a date
  for "when", a name for "who");
then the best few are embedded, and their evidence score is coverage and their own similarity to the question,
less the answer-type penalty.
The best score is the answer's `confidence`; below `abstain_threshold` the answer abstains. The threshold is
calibrated on evaluation suites (`rag eval --calibrate`, README). Leaves out retrieval and the LLM modes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.answer.base import ABSTAIN_TEXT, cite
from rag.config import Settings
from rag.ingest.splitter import is_heading
from rag.lexical import tokenize
from rag.types import Answer, Passage

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

# Weights chosen on SQuAD 2.0 (README: calibration). Candidates are first ranked cheaply (coverage and passage
# similarity), then the best RERANK of them are embedded and scored with their own similarity to the question.
PRESELECT_COVERAGE, PRESELECT_SIMILARITY = 0.5, 0.4
COVERAGE_WEIGHT, SENTENCE_WEIGHT, TYPE_PENALTY = 0.5, 0.3, 0.1
RERANK = 6
SECOND_SENTENCE_RATIO = 0.9


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage with its evidence score."""

    passage: Passage
    start: int
    end: int
    text: str
    score: float


def answer_type(question: str) -> Callable[[str, str], bool] | None:
    """A check that a sentence holds the kind of answer the question asks for, or None if any sentence may do."""
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
        self.threshold = settings.abstain_threshold
        self.max_sentences = settings.max_sentences
        self.idf = idf
        self.normalize = normalize
        self.embed = embed

    def candidates(self, question: str, passages: Sequence[Passage]) -> list[Candidate]:
        """Every sentence of the passages, best evidence first."""
        terms = {self.normalize(t) for t in tokenize(question)}
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        fits = answer_type(question)
        seen, found = set(), []
        for passage in passages:
            similarity = max(passage.similarity or 0.0, 0.0)
            for start, end, text in passage.chunk.sentence_texts():
                if (passage.chunk.source, start) in seen or is_heading(text):
                    continue
                seen.add((passage.chunk.source, start))
                words = set(tokenize(text))
                coverage = sum(w for t, w in weights.items() if t in words) / total
                penalty = TYPE_PENALTY if fits is not None and not fits(text, question) else 0.0
                cheap = PRESELECT_COVERAGE * coverage + PRESELECT_SIMILARITY * similarity - penalty
                found.append((cheap, coverage, penalty, Candidate(passage, start, end, text, cheap)))
        found.sort(key=lambda row: -row[0])
        top = found[:RERANK]
        if not top or self.embed is None:
            return [row[-1] for row in found]
        vectors = np.asarray(self.embed([question] + [row[-1].text for row in top]), dtype=np.float32)
        similarities = vectors[1:] @ vectors[0]
        reranked = [
            replace(c, score=COVERAGE_WEIGHT * coverage + SENTENCE_WEIGHT * float(sim) - penalty)
            for (_, coverage, penalty, c), sim in zip(top, similarities)
        ]
        return sorted(reranked, key=lambda c: -c.score)

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
        picks.sort(key=lambda c: (passages.index(c.passage), c.start))
        text, citations = cite([(c.passage, c.start, c.end) for c in picks])
        timings["answer_ms"] = (time.perf_counter() - began) * 1000
        return Answer(question, text, False, citations, tuple(passages), confidence, self.name, timings)
