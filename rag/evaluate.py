"""The evaluation runner: suites of questions in, verdicts and metrics out. Owns the suite format (JSONL: `id`,
`question`, `answerable`, `expected` as groups of accepted alternatives, optional `sources`, `asks`, the kind of
phrase asked for, and `kind`, the part of a document holding the answer), judging one answer against its item, and
the summary metrics: answer accuracy (also within the answer's first 300 characters), the wrong-answer rate
(answered but wrong, over all questions), short-answer accuracy (overall and per kind of phrase asked for) and the
wrong-short rate (a short answer shown that is not the expected one), mean answer length, abstention, citation
precision and validity, retrieval recall@k and MRR, latency, and per part of a document (prose, table, list,
heading) recall, accuracy, wrong answers and abstention. Every answer comes from `Assistant.answer`, the same path
as the chat page and the CLI. Every expected string is matched one way, `holds`. Leaves out reports and plots
(`rag.report`).
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag.errors import RagError
from rag.types import Answer

ASKS = ("person", "organization", "place", "date", "number")  # kinds of phrase an item may ask for (`asks`)
PART_KINDS = ("prose", "table", "list", "heading")  # the part of a document an item's answer is in (`kind`)
PREFIX_CHARS = 300  # answer accuracy is also counted on this many first characters of the answer as shown


@dataclass(frozen=True)
class Item:
    """One question of a suite."""

    id: str
    question: str
    answerable: bool
    expected: tuple[tuple[str, ...], ...] = ()
    sources: tuple[str, ...] = ()
    asks: str = ""  # one of ASKS when the expected string is the short phrase itself; "" otherwise
    kind: str = ""  # one of PART_KINDS: the part of the document that holds the answer (or that a near miss imitates)


@dataclass
class Verdict:
    """How one answer fared."""

    id: str
    question: str
    answerable: bool
    abstained: bool
    correct: bool
    answer: str
    expected: list[list[str]]
    citations: list[dict[str, Any]]
    citations_valid: int
    citations_supporting: int
    retrieval_rank: int | None  # 1-based rank of the first passage holding an expected fact
    confidence: float
    latency_ms: float
    timings: dict[str, float] = field(default_factory=dict)
    mode: str = ""
    generated: int = 0  # LLM modes: sentences the model wrote ...
    kept: int = 0  # ... and those the claim check kept ...
    repaired: int = 0  # ... of which re-pointed to another evidence sentence (citation repair)
    fact_errors: int = 0  # kept sentences stating a number or name that their cited passages lack
    notice: str = ""
    unsupported: list[list[str]] = field(default_factory=list)  # (sentence, why) the claim check left out
    asks: str = ""  # the item's kind of phrase asked for
    kind: str = ""  # the item's part of a document (PART_KINDS)
    correct_prefix: bool = False  # correct, and the first PREFIX_CHARS characters of the answer hold every fact
    short: dict[str, Any] | None = None  # the answer's short answer (text, n, start, end), if it gave one
    short_correct: bool = False  # answered, and the short answer's text holds every expected fact


def load_suite(path: Path) -> list[Item]:
    """Read a JSONL suite; a malformed line is an error that names the line."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(_item(json.loads(line)))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            msg = f"{path}:{number}: not a suite item ({exc}); each line needs id, question, answerable, expected"
            raise RagError(msg) from None
    if not items:
        msg = f"{path}: the suite is empty; write one JSON object a line (see README: evaluation suites)"
        raise RagError(msg)
    return items


def _item(raw: dict[str, Any]) -> Item:
    expected = tuple(tuple(group) if isinstance(group, list) else (group,) for group in raw.get("expected", []))
    asks = raw.get("asks", "")
    if asks not in ("", *ASKS):
        msg = f"asks is {asks!r}, not one of {', '.join(ASKS)}"
        raise ValueError(msg)
    kind = raw.get("kind", "")
    if kind not in ("", *PART_KINDS):
        msg = f"kind is {kind!r}, not one of {', '.join(PART_KINDS)}"
        raise ValueError(msg)
    sources = tuple(raw.get("sources", ()))
    return Item(str(raw["id"]), raw["question"], bool(raw["answerable"]), expected, sources, asks, kind)


def holds(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """True when every group has one alternative in the text (case-insensitive); False for no groups."""
    folded = _fold(text)
    return bool(groups) and all(any(_fold(alt) in folded for alt in group) for group in groups)


def holds_any(text: str, groups: Sequence[Sequence[str]]) -> bool:
    """True when the text holds at least one alternative of any group."""
    folded = _fold(text)
    return any(_fold(alt) in folded for group in groups for alt in group)


def _fold(text: str) -> str:
    return " ".join(text.replace("’", "'").replace("“", '"').replace("”", '"').lower().split())


def judge(item: Item, answer: Answer, document_text: Callable[[str], str]) -> Verdict:
    """Judge one answer: right when it does not abstain and its cited quotes hold every expected fact."""
    quotes = " ".join(c.quote for c in answer.citations)
    valid = sum(1 for c in answer.citations if _quote_matches(c, document_text))
    supporting = sum(1 for c in answer.citations if holds_any(c.quote, item.expected))
    rank = next(
        (i for i, p in enumerate(answer.passages, start=1) if item.expected and holds(p.chunk.text, item.expected)),
        None,
    )
    correct = item.answerable and not answer.abstained and holds(quotes, item.expected)
    short_text = answer.short.text if answer.short is not None and not answer.abstained else ""
    return Verdict(
        id=item.id,
        question=item.question,
        answerable=item.answerable,
        abstained=answer.abstained,
        correct=correct,
        answer=answer.text,
        expected=[list(g) for g in item.expected],
        citations=[asdict(c) for c in answer.citations],
        citations_valid=valid,
        citations_supporting=supporting,
        retrieval_rank=rank,
        confidence=answer.confidence,
        latency_ms=answer.timings.get("total_ms", 0.0),
        timings=dict(answer.timings),
        mode=answer.mode,
        generated=answer.generated,
        kept=answer.kept,
        repaired=answer.repaired,
        fact_errors=fact_errors(answer) if answer.kept else 0,
        notice=answer.notice,
        unsupported=[list(pair) for pair in answer.unsupported],
        asks=item.asks,
        kind=item.kind,
        correct_prefix=correct and holds(answer.text[:PREFIX_CHARS], item.expected),
        short=asdict(answer.short) if answer.short is not None else None,
        short_correct=item.answerable and holds(short_text, item.expected),
    )


def fact_errors(answer: Answer) -> int:
    """Sentences of an answer that state a number or name absent from every passage they cite (re-checked from the
    final text, markers and citations, independently of the checker's own verdicts)."""
    from rag.answer.claims import missing_facts, split_claims

    passages = {p.chunk.id: p.chunk.text for p in answer.passages}
    cited = {c.n: passages.get(c.chunk_id, c.quote) for c in answer.citations}
    return sum(
        1
        for claim in split_claims(answer.text)
        if claim.markers and missing_facts(claim.text, " ".join(cited.get(n, "") for n in claim.markers))
    )


def _quote_matches(citation, document_text: Callable[[str], str]) -> bool:
    try:
        return document_text(citation.source)[citation.start : citation.end] == citation.quote
    except RagError:
        return False


def summarize(verdicts: Sequence[Verdict], k: int, short_answers: bool = True) -> dict[str, Any]:
    """Headline metrics of a run; `short_answers=False` (a pipeline that never gives short answers, such as the
    baseline) leaves the short-answer figures None rather than 0."""
    answerable = [v for v in verdicts if v.answerable]
    unanswerable = [v for v in verdicts if not v.answerable]
    cited = sum(len(v.citations) for v in verdicts)
    cited_answerable = sum(len(v.citations) for v in answerable)
    latencies = sorted(v.latency_ms for v in verdicts)
    ranks = [v.retrieval_rank for v in answerable]
    return {
        "questions": len(verdicts),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "asks": {kind: n for kind in ASKS if (n := sum(v.asks == kind for v in answerable))},
        "answer_accuracy": _ratio(sum(v.correct for v in answerable), len(answerable)),
        "wrong_answer_rate": _ratio(sum(wrong_answer(v) for v in verdicts), len(verdicts)),
        f"answer_accuracy_first{PREFIX_CHARS}": _ratio(sum(v.correct_prefix for v in answerable), len(answerable)),
        **(_short_answers(verdicts) if short_answers else _no_short_answers(verdicts)),
        "mean_answer_chars": _mean_length(verdicts),
        "abstention_rate": _ratio(sum(v.abstained for v in unanswerable), len(unanswerable)),
        "false_abstention_rate": _ratio(sum(v.abstained for v in answerable), len(answerable)),
        "citation_precision": _ratio(sum(v.citations_supporting for v in answerable), cited_answerable),
        "citation_validity": _ratio(sum(v.citations_valid for v in verdicts), cited),
        f"recall@{k}": _ratio(sum(r is not None and r <= k for r in ranks), len(answerable)),
        "mrr": _ratio(sum(1.0 / r for r in ranks if r), len(answerable)),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
        **_generation(verdicts),
        **_by_part(verdicts, k),
    }


def _by_part(verdicts: Sequence[Verdict], k: int) -> dict[str, Any]:
    """Per part of a document (`kind`, when the suite labels its items): the answerable questions' count, recall
    (at the run's k) and accuracy, and the abstention on its near misses. Empty when no item is labelled."""
    parts = {}
    for kind in PART_KINDS:
        answerable = [v for v in verdicts if v.kind == kind and v.answerable]
        unanswerable = [v for v in verdicts if v.kind == kind and not v.answerable]
        if answerable or unanswerable:
            found = sum(v.retrieval_rank is not None and v.retrieval_rank <= k for v in answerable)
            parts[kind] = {
                "answerable": len(answerable),
                "unanswerable": len(unanswerable),
                "recall": _ratio(found, len(answerable)),
                "answer_accuracy": _ratio(sum(v.correct for v in answerable), len(answerable)),
                "wrong_answer_rate": _ratio(
                    sum(map(wrong_answer, answerable + unanswerable)), len(answerable + unanswerable)
                ),
                "abstention_rate": _ratio(sum(v.abstained for v in unanswerable), len(unanswerable)),
            }
    return {"by_kind": parts} if parts else {}


def wrong_answer(verdict: Verdict) -> bool:
    """Answered, but wrong: an answerable question whose quotes lack an expected fact, or a near miss answered."""
    return not verdict.abstained and not verdict.correct


def wrong_short(verdict: Verdict) -> bool:
    """A short answer shown that is not the expected one (any short answer to a near miss is wrong)."""
    return verdict.short is not None and not verdict.abstained and not verdict.short_correct


def _short_answers(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Short-answer accuracy over the answerable questions, the share given a short answer, the wrong-short rate
    over all questions (a short answer shown that is not the expected one), and the accuracy and share shown on
    the questions of each kind of phrase asked for (`short_answer_accuracy_person`, ...; kinds the suite has)."""
    answerable = [v for v in verdicts if v.answerable]
    kinds = {kind: [v for v in answerable if v.asks == kind] for kind in ASKS}
    return {
        "short_answer_accuracy": _ratio(sum(v.short_correct for v in answerable), len(answerable)),
        "short_answer_rate": _ratio(sum(_shown(v) for v in answerable), len(answerable)),
        "wrong_short_rate": _ratio(sum(wrong_short(v) for v in verdicts), len(verdicts)),
        **{
            f"short_answer_accuracy_{kind}": _ratio(sum(v.short_correct for v in asked), len(asked))
            for kind, asked in kinds.items()
            if asked
        },
        **{
            f"short_answer_rate_{kind}": _ratio(sum(map(_shown, asked)), len(asked))
            for kind, asked in kinds.items()
            if asked
        },
    }


def _shown(verdict: Verdict) -> bool:
    return verdict.short is not None and not verdict.abstained


def _no_short_answers(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    return dict.fromkeys(_short_answers(verdicts))


def _mean_length(verdicts: Sequence[Verdict]) -> float | None:
    """Mean length in characters of the answers given (abstentions left out), text as shown, markers included."""
    lengths = [len(v.answer) for v in verdicts if not v.abstained]
    return round(statistics.fmean(lengths), 1) if lengths else None


def _generation(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """The claim check's figures, for runs whose answers were generated (empty otherwise): sentences generated,
    kept as written (their own evidence supports them), kept after citation repair, dropped; and the keep rate."""
    generated = sum(v.generated for v in verdicts)
    asked = [v for v in verdicts if v.generated or v.notice]
    if not asked:
        return {}
    kept, repaired = sum(v.kept for v in verdicts), sum(v.repaired for v in verdicts)
    return {
        "generated_sentences": generated,
        "kept_sentences": kept,
        "kept_as_written": kept - repaired,
        "kept_after_repair": repaired,
        "dropped_sentences": generated - kept,
        "keep_rate": _ratio(kept, generated),
        "kept_fact_errors": sum(v.fact_errors for v in verdicts),
        "extractive_fallbacks": sum(v.mode == "extractive" for v in asked),
    }


def _ratio(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    if not sorted_values:
        return None
    if len(sorted_values) == 1:
        return round(sorted_values[0], 2)
    return round(statistics.quantiles(sorted_values, n=100, method="inclusive")[int(pct) - 1], 2)


def sweep(verdicts: Sequence[Verdict], thresholds: Sequence[float]) -> list[dict[str, float | None]]:
    """Accuracy, abstention and false abstention at each threshold, from a run made with no abstention.

    A run with the threshold at minus infinity records, for every question, its confidence and whether the answer
    would be right; abstaining below a threshold t then changes nothing else, so one run gives the whole curve.
    """
    answerable = [v for v in verdicts if v.answerable]
    unanswerable = [v for v in verdicts if not v.answerable]
    rows = []
    for t in thresholds:
        rows.append(
            {
                "threshold": round(t, 4),
                "answer_accuracy": _ratio(sum(v.correct and v.confidence >= t for v in answerable), len(answerable)),
                "abstention_rate": _ratio(sum(v.confidence < t for v in unanswerable), len(unanswerable)),
                "false_abstention_rate": _ratio(sum(v.confidence < t for v in answerable), len(answerable)),
            }
        )
    return rows


def calibrate(verdicts: Sequence[Verdict], max_false_abstention: float = 0.05) -> float:
    """The highest threshold whose false-abstention rate stays at or below the cap (from a no-abstention run)."""
    confidences = sorted({round(v.confidence, 4) for v in verdicts} | {0.0})
    rows = sweep(verdicts, confidences)
    allowed = [r["threshold"] for r in rows if (r["false_abstention_rate"] or 0.0) <= max_false_abstention]
    return float(max(allowed))


class Answering(Protocol):
    """What a suite is run against: `Assistant`, or the tutorial baseline."""

    def answer(self, question: str) -> Answer: ...

    def document_text(self, source: str) -> str: ...


def run_suite(
    items: Sequence[Item], assistant: Answering, k: int, progress: bool = True
) -> tuple[list[Verdict], dict[str, Any]]:
    """Ask every question through `assistant.answer` and judge it; returns the verdicts and their summary.

    An answerer whose `short_answers` attribute is False (the baseline) gets no short-answer figures."""
    from tqdm import tqdm

    texts: dict[str, str] = {}

    def document_text(source: str) -> str:
        if source not in texts:
            texts[source] = assistant.document_text(source)
        return texts[source]

    verdicts = [
        judge(item, assistant.answer(item.question), document_text)
        for item in tqdm(items, desc="questions", unit="q", disable=not progress, file=sys.stderr)
    ]
    return verdicts, summarize(verdicts, k, short_answers=getattr(assistant, "short_answers", True))


def write_run(folder: Path, verdicts: Sequence[Verdict], summary: dict[str, Any], config: dict[str, Any]) -> Path:
    """A run folder: results.jsonl (a verdict a line) and summary.json (metrics and the configuration)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "results.jsonl", "w", encoding="utf-8") as f:
        for verdict in verdicts:
            f.write(json.dumps(asdict(verdict), ensure_ascii=False) + "\n")
    (folder / "summary.json").write_text(json.dumps({"summary": summary, "config": config}, indent=2), "utf-8")
    return folder


def read_run(folder: Path) -> tuple[list[Verdict], dict[str, Any]]:
    """Read a run folder back."""
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        msg = f"{folder}: not a run folder (no summary.json); give a folder that `rag eval` wrote"
        raise RagError(msg)
    lines = (folder / "results.jsonl").read_text(encoding="utf-8").splitlines()
    verdicts = [Verdict(**json.loads(line)) for line in lines if line.strip()]
    return verdicts, json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def compare(a: tuple[list[Verdict], dict], b: tuple[list[Verdict], dict]) -> dict[str, Any]:
    """Metric deltas (b minus a) and the questions whose verdict flipped between two runs."""
    sa, sb = a[1]["summary"], b[1]["summary"]
    deltas = {
        key: {"a": sa[key], "b": sb.get(key), "delta": _delta(sa[key], sb.get(key))}
        for key in sa
        if isinstance(sa[key], int | float) or sa[key] is None
    }

    def good(v: Verdict) -> bool:
        return v.correct if v.answerable else v.abstained

    before = {v.id: v for v in a[0]}
    flipped = [
        {"id": v.id, "question": v.question, "a": good(before[v.id]), "b": good(v)}
        for v in b[0]
        if v.id in before and good(before[v.id]) != good(v)
    ]
    return {"metrics": deltas, "flipped": flipped}


def _delta(x: float | None, y: float | None) -> float | None:
    return None if x is None or y is None else round(y - x, 4)
