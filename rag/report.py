"""Evaluation reports: one Markdown file and one self-contained HTML page per run, with plots.

Owns presenting runs: the headline table (one column per configuration, ours beside the baseline; short-answer rows
only when a run gives short answers, "n/a" for a run that gives none), the failed questions with answer, short
answer, expected facts and cited quotes, a plot of accuracy and abstention against the abstention threshold, and a
plot of the latency distribution. Leaves out computing anything (`rag.evaluate`).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.evaluate import ASKS, PREFIX_CHARS, Verdict

ANSWER_HEADLINE = [
    ("answer_accuracy", "answer accuracy (answerable)"),
    ("wrong_answer_rate", "wrong answers (answered but wrong, all questions)"),
    (f"answer_accuracy_first{PREFIX_CHARS}", f"answer accuracy in the answer's first {PREFIX_CHARS} characters"),
]
SHORT_HEADLINE = [  # shown when a run gives short answers
    ("short_answer_accuracy", "short-answer accuracy (answerable)"),
    ("short_answer_rate", "answerable questions given a short answer"),
    ("wrong_short_rate", "wrong short answers (shown but not the expected one, all questions)"),
]
HEADLINE = [
    ("mean_answer_chars", "mean answer length, characters (answered questions only)"),
    ("abstention_rate", "abstention (unanswerable)"),
    ("false_abstention_rate", "false abstention (answerable)"),
    ("citation_precision", "citation precision"),
    ("citation_validity", "citation validity"),
    ("recall@", "retrieval recall@k"),
    ("mrr", "retrieval MRR"),
    ("latency_p50_ms", "latency p50 (ms)"),
    ("latency_p95_ms", "latency p95 (ms)"),
]
LLM_HEADLINE = [  # shown when a run's answers were generated (LLM modes)
    ("generated_sentences", "generated sentences"),
    ("kept_as_written", "kept as written (their own evidence supports them)"),
    ("kept_after_repair", "kept after citation repair (re-pointed to another sentence)"),
    ("dropped_sentences", "dropped by the claim check"),
    ("keep_rate", "generated sentences kept by the claim check"),
    ("kept_fact_errors", "kept sentences with a number/name not in the cited sentence"),
    ("extractive_fallbacks", "answers that fell back to the extractive answer"),
]


def headline_metrics(views: Sequence[RunView]) -> list[tuple[str, str]]:
    """(summary key, label) of the figures a report leads with; `recall@` stands for the run's recall@k."""
    generated = any("generated_sentences" in v.summary for v in views)
    short = any(v.summary.get("short_answer_accuracy") is not None for v in views)
    rows = ANSWER_HEADLINE + (_short_headline(views) if short else []) + HEADLINE
    return rows + _part_headline(views) + (LLM_HEADLINE if generated else [])


def _part_headline(views: Sequence[RunView]) -> list[tuple[str, str]]:
    """Recall, accuracy and abstention per part of a document (prose, table, list, heading), when the suite's
    questions say which part holds their answer; keys are paths into the summary ("by_kind.table.recall")."""
    parts = views[0].summary.get("by_kind") or {}
    rows = []
    for kind, figures in parts.items():
        if figures["answerable"]:
            rows.append((f"by_kind.{kind}.recall", f"retrieval recall@k, {kind} questions ({figures['answerable']})"))
            rows.append((f"by_kind.{kind}.answer_accuracy", f"answer accuracy, {kind} questions"))
        rows.append((f"by_kind.{kind}.wrong_answer_rate", f"wrong answers, {kind} questions and near misses"))
        if figures["unanswerable"]:
            rows.append(
                (f"by_kind.{kind}.abstention_rate", f"abstention, {kind} near misses ({figures['unanswerable']})")
            )
    return rows


def figure(summary: dict[str, Any], key: str) -> Any:
    """The summary's figure for a headline key: a path of keys through nested figures ("by_kind.table.recall").

    Example:
        >>> figure({"by_kind": {"table": {"recall": 0.9}}, "mrr": 0.5}, "by_kind.table.recall"), figure({}, "mrr")
        (0.9, None)
    """
    value: Any = summary
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _short_headline(views: Sequence[RunView]) -> list[tuple[str, str]]:
    """The short-answer rows, with one per kind of phrase the suite's questions ask for (person, date, ...)."""
    asks = views[0].summary.get("asks") or {}
    rows = list(SHORT_HEADLINE)
    for kind in (kind for kind in ASKS if kind in asks):
        rows.append((f"short_answer_accuracy_{kind}", f"short-answer accuracy, {kind} questions ({asks[kind]})"))
        rows.append((f"short_answer_rate_{kind}", f"{kind} questions given a short answer"))
    return rows


@dataclass
class RunView:
    """One configuration's run, as a report shows it."""

    name: str
    verdicts: list[Verdict]
    summary: dict[str, Any]
    sweep: list[dict[str, Any]] = field(default_factory=list)
    threshold: float | None = None


def _value(summary: dict[str, Any], key: str) -> str:
    if key == "recall@":
        key = next((k for k in summary if k.startswith("recall@")), key)
    value = figure(summary, key)
    return "n/a" if value is None else (f"{value:.3f}" if isinstance(value, float) and value <= 1 else f"{value}")


def _failed(view: RunView) -> list[Verdict]:
    return [v for v in view.verdicts if (v.correct if v.answerable else v.abstained) is False]


def _plots(views: Sequence[RunView]) -> dict[str, bytes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images = {}
    swept = [v for v in views if v.sweep]
    if swept:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for view in swept:
            xs = [r["threshold"] for r in view.sweep]
            ax.plot(xs, [r["answer_accuracy"] for r in view.sweep], label=f"{view.name}: accuracy (answerable)")
            ax.plot(
                xs, [r["abstention_rate"] for r in view.sweep], "--", label=f"{view.name}: abstention (unanswerable)"
            )
            ax.plot(xs, [r["false_abstention_rate"] for r in view.sweep], ":", label=f"{view.name}: false abstention")
            if view.threshold is not None:
                ax.axvline(view.threshold, color="grey", linewidth=0.8)
        ax.set_xlabel("abstention threshold")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        images["threshold.png"] = _png(fig, plt)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    for view in views:
        ax.hist([v.latency_ms for v in view.verdicts], bins=30, alpha=0.6, label=view.name)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    images["latency.png"] = _png(fig, plt)
    return images


def _png(fig, plt) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()


def write_report(folder: Path, title: str, views: Sequence[RunView]) -> tuple[Path, Path]:
    """Write report.md (with the plots as PNG files beside it) and a self-contained report.html."""
    folder.mkdir(parents=True, exist_ok=True)
    images = _plots(views)
    for name, data in images.items():
        (folder / name).write_bytes(data)
    (folder / "report.md").write_text(_markdown(title, views, images), encoding="utf-8")
    (folder / "report.html").write_text(_html(title, views, images), encoding="utf-8")
    return folder / "report.md", folder / "report.html"


def _markdown(title: str, views: Sequence[RunView], images: dict[str, bytes]) -> str:
    lines = [f"# {title}", "", f"| metric | {' | '.join(v.name for v in views)} |", f"|---|{'---|' * len(views)}"]
    lines.append(f"| questions (answerable / not) | {' | '.join(_counts(v) for v in views)} |")
    lines += [
        f"| {label} | {' | '.join(_value(v.summary, key) for v in views)} |" for key, label in headline_metrics(views)
    ]
    lines += [""] + [f"![{name}]({name})" for name in images] + [""]
    for view in views:
        failed = _failed(view)
        lines += [f"## {view.name}: {len(failed)} questions failed", ""]
        for v in failed:
            expected = " AND ".join(" / ".join(group) for group in v.expected) or "(abstain)"
            lines.append(f"- **{v.id}** {v.question}  ")
            lines.append(f"  answer: {_clip(v.answer)}  ")
            if v.short:
                lines.append(f"  short answer: “{_clip(v.short['text'], 160)}” [{v.short['n']}]  ")
            lines.append(f"  expected: {expected}; confidence {v.confidence:.3f}  ")
            if v.notice:
                lines.append(f"  note: {_clip(v.notice)}  ")
            lines += [f"  left out: “{_clip(text, 160)}” ({why})  " for text, why in v.unsupported]
            lines += [f"  cited [{c['n']}]: “{_clip(c['quote'])}”  " for c in v.citations]
        lines.append("")
    return "\n".join(lines)


def _counts(view: RunView) -> str:
    return f"{view.summary['answerable']} / {view.summary['unanswerable']}"


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _html(title: str, views: Sequence[RunView], images: dict[str, bytes]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(v.name)}</th>" for v in views)
    rows = f"<tr><td>questions (answerable / not)</td>{''.join(f'<td>{_counts(v)}</td>' for v in views)}</tr>"
    rows += "".join(
        f"<tr><td>{e(label)}</td>{''.join(f'<td>{_value(v.summary, key)}</td>' for v in views)}</tr>"
        for key, label in headline_metrics(views)
    )
    pictures = "".join(
        f'<img alt="{e(name)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'
        for name, data in images.items()
    )
    sections = []
    for view in views:
        items = []
        for v in _failed(view):
            expected = " AND ".join(" / ".join(group) for group in v.expected) or "(abstain)"
            quotes = "".join(f"<li>[{c['n']}] “{e(_clip(c['quote']))}”</li>" for c in v.citations)
            short = f"short answer: “{e(_clip(v.short['text'], 160))}” [{v.short['n']}]<br>" if v.short else ""
            items.append(
                f"<li><b>{e(v.id)}</b> {e(v.question)}<br>answer: {e(_clip(v.answer))}<br>{short}"
                f"expected: {e(expected)}; confidence {v.confidence:.3f}<ul>{quotes}</ul></li>"
            )
        sections.append(f"<h2>{e(view.name)}: {len(items)} questions failed</h2><ol>{''.join(items)}</ol>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}"
        "td:first-child{text-align:left}img{max-width:48%;margin:.5rem 1% 0 0}li{margin:.4rem 0}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>{style}</style></head>"
        f"<body><h1>{e(title)}</h1><table><tr><th>metric</th>{head}</tr>{rows}</table>{pictures}"
        f"{''.join(sections)}</body></html>"
    )
