"""The claim checker: every sentence of a generated answer against the evidence sentences it cites, then repair.

Owns splitting generated text into claims (`split_claims`: sentences with the `[n]` markers they carry, as an
answer's final text has them; `claim_sentences`: the sentences of one answer item), and the verdict on each claim
against the evidence sentences it gives (`ClaimChecker.support`):
- every number and name it states must be in those sentences (a figure or a person they lack fails);
- one of them must support it alone: hold all its numbers and names (those of the question aside; a claim that
  stitches facts of different sentences into a new relation, "Trump signed it" from "promoted by Trump" and
  "Bessent signed it", fails here) and reach `support_threshold` with its support score,
  `0.5 × coverage + 0.5 × similarity`: coverage is the IDF-weighted share of the claim's content words (stems) in
  the sentence, similarity their embedding similarity;
- a supported claim is cited with that sentence's exact span, the same offsets contract as extractive quotes.
Then citation repair (`ClaimChecker.verify`): a claim its own evidence does not support, but that another offered
sentence supports fully by the same test, is re-pointed to that sentence (`ClaimCheck.repaired`); else it fails.
Leaves out prompting, reading replies and composing the answer (`rag.answer.evidence`, `rag.answer.generative`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from sentencex import segment

from rag.answer.extractive import Candidate
from rag.lexical import tokenize
from rag.types import Passage

MARKERS = re.compile(r"\[\s*(\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*)\s*\]")
_INLINE_IDS = re.compile(r"[\[(]\s*S\d+(?:\s*[,;]\s*S?\d+)*\s*[\])]")  # "(S2)", "[S1, S3]"
_BARE_ID = re.compile(r"^\W*S\d+\W*$")  # a "sentence" that is only an id ("S1", "S1.")
_LEADING_ID = re.compile(r"^\s*S\d+\s*:\s*")  # "S1: The sentence", copied with its id
_LETTER = re.compile(r"[^\W\d_]")  # a "sentence" without a letter ("1.", "[2] [3]") is no claim
_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30", "forty": "40",
    "fifty": "50", "hundred": "100", "thousand": "1000", "million": "million", "billion": "billion",
    "trillion": "trillion",
}  # fmt: skip
_WORDS = re.compile(r"[A-Za-z][\w’'.-]*")
_NAME = re.compile(r"(?:[A-Z]\.){2,}|[A-Z][\w’'-]*")
_STARTER_WORDS = (
    "a an the it its this that these those they their there then he she his her we our you your i in on at of for "
    "to by with from as after before during while when where which who what why how yes no both each all some "
    "however also according under over about between since until although though because if so but and or not "
    "overall finally first second third meanwhile additionally moreover furthermore specifically"
)
_STARTERS = frozenset(_STARTER_WORDS.split())
COVERAGE_WEIGHT, SIMILARITY_WEIGHT = 0.5, 0.5


@dataclass(frozen=True)
class Claim:
    """One generated sentence: its text without markers, and the `[n]` numbers it carries (final answer text)."""

    text: str
    markers: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim; `spans` are the exact (passage, start, end) sentences that support it, `repaired`
    that the supporting sentence is not one the claim gave as its evidence."""

    claim: Claim
    supported: bool
    score: float = 0.0
    reason: str = ""
    spans: tuple[tuple[Passage, int, int], ...] = ()
    repaired: bool = False


def split_claims(text: str) -> list[Claim]:
    """The sentences of a generated answer with the markers that cite them.

    Markers usually follow their sentence (after or before its full stop). An answer that opens with a marker
    uses them as headings instead: each marker cites the sentences after it, up to the next marker.

    Example:
        >>> split_claims("Kyiv agreed. [1] It gets a fund [2][3]. Thanks!")
        [Claim(text='Kyiv agreed.', markers=(1,)), Claim(text='It gets a fund.', markers=(2, 3)), \
Claim(text='Thanks!', markers=())]
        >>> split_claims("[2] Kyiv agreed. It gets a fund. [1] Thanks.")
        [Claim(text='Kyiv agreed.', markers=(2,)), Claim(text='It gets a fund.', markers=(2,)), \
Claim(text='Thanks.', markers=(1,))]
    """
    if re.match(rf"^\s*{MARKERS.pattern}", text):
        return _headed_claims(text)
    pieces: list[str] = []
    for line in text.splitlines():
        for sentence in segment("en", line):
            lead = re.match(rf"^\s*(?:{MARKERS.pattern}\s*)+", sentence)
            if lead and pieces:  # "[2] Next sentence": the marker closes the previous one
                pieces[-1] += " " + lead.group().strip()
                sentence = sentence[lead.end() :]
            if _LETTER.search(MARKERS.sub("", sentence)):
                pieces.append(sentence.strip())
            elif pieces and sentence.strip():
                pieces[-1] += " " + sentence.strip()
    claims = []
    for piece in pieces:
        numbers = [n for group in MARKERS.findall(piece) for n in _expand(group)]
        body = _clean(MARKERS.sub(" ", piece))
        if body:
            claims.append(Claim(body, tuple(dict.fromkeys(numbers))))
    return claims


def _headed_claims(text: str) -> list[Claim]:
    """Claims of an answer whose markers come before the sentences they cite."""
    claims: list[Claim] = []
    markers: tuple[int, ...] = ()
    position = 0
    for match in [*MARKERS.finditer(text), None]:
        sentences = [
            _clean(s)
            for line in text[position : match.start() if match else None].splitlines()
            for s in segment("en", line)
        ]
        sentences = [s for s in sentences if _LETTER.search(s)]
        if sentences:
            claims += [Claim(s, markers) for s in sentences]
            markers = ()
        if match:
            markers = tuple(dict.fromkeys(markers + tuple(_expand(match.group(1)))))
            position = match.end()
    if markers and claims:  # markers at the very end close the last sentence
        claims[-1] = Claim(claims[-1].text, tuple(dict.fromkeys(claims[-1].markers + markers)))
    return claims


def _clean(text: str) -> str:
    body = re.sub(r"^(?:[-*•]|\d+[.)])\s+", "", " ".join(text.split()))
    return re.sub(r"\s+([.,;:!?])", r"\1", body).strip()


def _expand(group: str) -> list[int]:
    numbers = [int(n) for n in re.findall(r"\d+", group)]
    if re.search(r"\d\s*[-–]\s*\d", group) and len(numbers) == 2 and 0 < numbers[1] - numbers[0] < 10:
        return list(range(numbers[0], numbers[1] + 1))
    return numbers


def _fold(text: str) -> str:
    return text.replace("’", "'").lower()


def numbers(text: str) -> set[str]:
    """The numbers a text states: numerals (without thousands separators) and number words as numerals.

    Example:
        >>> sorted(numbers("Two funds of $1,500 million, 4.5% in 2025"))
        ['1500', '2', '2025', '4.5', 'million']
    """
    found = {n.replace(",", "").rstrip(".") for n in _NUMERAL.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    return found


def names(text: str) -> set[str]:
    """The capitalised words and initialisms of a sentence; its first word only when it is not a common word.

    Example:
        >>> sorted(names("The U.S. and Ukraine's Yulia Svyrydenko signed it in April."))
        ['April', 'Svyrydenko', 'U.S.', 'Ukraine', 'Yulia']
    """
    found = set()
    for match in _NAME.finditer(text):
        word = re.sub(r"['’]s$", "", match.group()).rstrip("'’-")
        at_start = not text[: match.start()].strip(" \"“'(")
        if word == "I" or (at_start and word.lower() in _STARTERS):
            continue
        if word.lower() in _NUMBER_WORDS:
            continue
        found.add(word)
    return found


def missing_facts(claim: str, evidence: str) -> list[str]:
    """The numbers and names of the claim that the evidence text lacks.

    Example:
        >>> missing_facts("Bessent signed a $500 billion deal in Paris.", "Scott Bessent signed a $350 billion deal.")
        ['500', 'Paris']
    """
    have_numbers = numbers(evidence)
    folded = _fold(evidence).replace(".", "")
    stems = set(tokenize(evidence))
    lacking = sorted(n for n in numbers(claim) if n not in have_numbers)
    for name in sorted(names(claim)):
        key = _fold(name).replace(".", "")
        if re.search(rf"(?<!\w){re.escape(key)}", folded) or (tokenize(name) and set(tokenize(name)) <= stems):
            continue
        if len(key) >= 5 and re.search(rf"(?<!\w){re.escape(key[: max(4, len(key) - 1)])}", folded):
            continue  # another form of the name: Ukraine / Ukrainian, China / Chinese
        lacking.append(name)
    return lacking


def claim_sentences(text: str) -> list[str]:
    """The sentences of one generated answer item, any `[n]` or `S3` markers the model wrote in it removed.

    Example:
        >>> claim_sentences("S1: Kyiv agreed [1]. It gets a fund (S2).")
        ['Kyiv agreed.', 'It gets a fund.']
    """
    text = _INLINE_IDS.sub(" ", MARKERS.sub(" ", text))
    found = [_clean(_LEADING_ID.sub("", s)) for line in text.splitlines() for s in segment("en", line)]
    return [s for s in found if _LETTER.search(s)]


class ClaimChecker:
    """Checks claims against evidence sentences, and re-points a claim cited wrongly to a sentence that supports it.

    `embed` embeds texts (normalised vectors; None: similarity is exact containment); `normalize` and `idf` are the
    lexical index's. Sentences are the extractive answerer's `Candidate`s (exact spans of their passages).
    """

    def __init__(
        self,
        threshold: float,
        embed: Callable[[list[str]], Sequence[Sequence[float]]] | None,
        normalize: Callable[[str], str] = lambda t: t,
        idf: Callable[[str], float] = lambda t: 1.0,
    ) -> None:
        self.threshold = threshold
        self.embed = embed
        self.normalize = normalize
        self.idf = idf
        self._vectors: dict[str, np.ndarray] = {}  # embeddings of recent texts (offered sentences recur per claim)

    def check(
        self, claims: Sequence[tuple[Claim, Sequence[Candidate]]], offered: Sequence[Candidate], question: str = ""
    ) -> list[ClaimCheck]:
        """A verdict for each (claim, its evidence sentences), repaired where possible (`verify`); a claim that
        repeats an earlier supported one fails."""
        seen: set[str] = set()
        verdicts = []
        for claim, cited in claims:
            key = " ".join(tokenize(claim.text))
            if key and key in seen:
                verdicts.append(ClaimCheck(claim, False, reason="repeats an earlier sentence"))
                continue
            verdict = self.verify(claim, cited, offered, question)
            if verdict.supported:
                seen.add(key)
            verdicts.append(verdict)
        return verdicts

    def verify(
        self, claim: Claim, cited: Sequence[Candidate], offered: Sequence[Candidate], question: str = ""
    ) -> ClaimCheck:
        """The claim against its own evidence (`cited`); if that fails, against each other `offered` sentence alone,
        the best-supported one kept as a repaired citation; else the first verdict, failed."""
        verdict = self.support(claim, cited, question)
        if verdict.supported:
            return verdict
        others = [
            s for s in offered if all((s.passage.chunk.id, s.start) != (c.passage.chunk.id, c.start) for c in cited)
        ]
        repairs = [r for r in (self.support(claim, [s], question) for s in others) if r.supported]
        if not repairs:
            return verdict
        return replace(max(repairs, key=lambda r: r.score), repaired=True)

    def support(self, claim: Claim, sentences: Sequence[Candidate], question: str = "") -> ClaimCheck:
        """The verdict on a claim against the evidence sentences it cites; supported, it is cited with the best
        sentence that supports it alone. Numbers and names the question states are the topic, not the answer: a
        sentence need not hold them."""
        if _BARE_ID.match(claim.text):
            return ClaimCheck(claim, False, reason="is an evidence id, not a sentence")
        if not sentences:
            return ClaimCheck(claim, False, reason="cites no evidence sentence")
        lacking = missing_facts(claim.text, " ".join(s.text for s in sentences))
        if lacking:
            return ClaimCheck(claim, False, reason=f"{', '.join(lacking)} not in the cited sentences")
        terms = {self.normalize(t) for t in tokenize(claim.text)}
        if not terms:
            return ClaimCheck(claim, False, reason="states nothing that can be checked")
        needed = set(missing_facts(claim.text, question))  # its numbers and names, less those of the question
        holding = [s for s in sentences if not needed & set(missing_facts(claim.text, s.text))]
        if not holding:
            shown = ", ".join(sorted(needed))
            return ClaimCheck(claim, False, reason=f"{shown} not together in one cited sentence")
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        similarities = self._similarities(claim.text, [s.text for s in holding])
        scored = []
        for sentence, similarity in zip(holding, similarities):
            have = {self.normalize(t) for t in tokenize(sentence.text)}
            coverage = sum(w for t, w in weights.items() if t in have) / total
            scored.append((COVERAGE_WEIGHT * coverage + SIMILARITY_WEIGHT * similarity, sentence))
        score, best = max(scored, key=lambda row: row[0])
        if score < self.threshold:
            return ClaimCheck(claim, False, score, reason=f"support {score:.2f} is below {self.threshold:.2f}")
        return ClaimCheck(claim, True, score, spans=((best.passage, best.start, best.end),))

    def _similarities(self, claim: str, sentences: list[str]) -> list[float]:
        if self.embed is None:
            return [1.0 if _fold(claim) in _fold(s) else 0.0 for s in sentences]
        texts = list(dict.fromkeys([claim, *sentences]))
        known = {t: v for t in texts if (v := self._vectors.get(t)) is not None}
        missing = [t for t in texts if t not in known]
        if missing:
            known.update(zip(missing, np.asarray(self.embed(missing), dtype=np.float32)))
            if len(self._vectors) > 2048:
                self._vectors = {}
            self._vectors.update((t, known[t]) for t in missing)
        return [float(max(known[claim] @ known[s], 0.0)) for s in sentences]
