"""Evaluation runs: a suite through our pipeline (and the baseline), into a run folder with its report.

Owns where things go (the corpus and index a suite is run on, the run folder), the threshold sweep that feeds the
calibration and the report's plot, and the comparison of two runs. `rag eval` is a thin layer over this module.
Leaves out metrics (`rag.evaluate`) and presentation (`rag.report`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.chain import Assistant
from rag.config import PROJECT_ROOT, Settings
from rag.errors import ConfigError
from rag.evaluate import calibrate, load_suite, read_run, run_suite, sweep, write_run
from rag.report import RunView, figure, headline_metrics, write_report

log = logging.getLogger(__name__)
THRESHOLDS = [round(t, 3) for t in np.arange(0.0, 0.8001, 0.01)]


@dataclass
class EvalResult:
    """What `evaluate_suite` produced."""

    folder: Path
    views: list[RunView]
    calibrated: float | None = None


def suite_settings(suite: Path, settings: Settings, corpus: Path | None, data_dir: Path | None) -> Settings:
    """Settings for a suite: its corpus (the `corpus/` beside the suite, else the configured one) and an index of
    its own under the data directory, so evaluation never mixes with the documents you chat with."""
    corpus = corpus or (suite.parent / "corpus" if (suite.parent / "corpus").is_dir() else settings.corpus_dir)
    corpus = corpus.resolve()
    if not corpus.is_dir():  # an index of nothing would abstain on every question and look like a result
        msg = (
            f"the corpus folder {corpus} does not exist: pass --corpus with the folder of the documents the suite "
            "asks about (for a public set, `rag adapt` writes it beside the suite)"
        )
        raise ConfigError(msg)
    if data_dir is None:
        tag = hashlib.sha1(str(corpus).encode()).hexdigest()[:8]
        data_dir = settings.data_dir / "eval" / f"{corpus.name}-{tag}"
    return settings.model_copy(
        update={"corpus_dir": corpus, "data_dir": data_dir, "models_dir": settings.models_path()}
    )


def default_run_folder(suite: Path) -> Path:
    return PROJECT_ROOT / "eval" / "runs" / f"{suite.stem}-{time.strftime('%Y%m%d-%H%M%S')}"


def evaluate_suite(
    suite: Path,
    settings: Settings,
    out: Path,
    baseline: bool = False,
    calibrate_cap: float | None = None,
    progress: bool = True,
) -> EvalResult:
    """Run a suite through `Assistant.answer` (and the baseline), write the run folders and the report; a run in an
    LLM mode also runs the extractive mode beside it.

    With `calibrate_cap`, also find the highest threshold whose false-abstention rate stays within the cap.
    """
    items = load_suite(suite)
    assistant = Assistant(settings)
    assistant.sync_corpus()
    others = sorted(s for s, d in assistant.sources().items() if d.root != str(settings.corpus_dir))
    if others:  # e.g. --data-dir pointed at an index built for another suite or for chatting
        named = ", ".join(others[:3]) + (", ..." if others[3:] else "")
        log.warning(
            "the index %s also holds %d document(s) not in %s (%s): the suite is answered from all of them; leave "
            "out --data-dir to give the suite an index of its own",
            settings.data_dir, len(others), settings.corpus_dir, named,
        )  # fmt: skip
    verdicts, summary = run_suite(items, assistant, settings.k, progress)
    config = {"suite": str(suite), **settings.model_dump(mode="json"), "other_documents": len(others)}
    write_run(out / "ours", verdicts, summary, config)
    name = "ours" if settings.answer_mode == "extractive" else f"ours ({settings.answer_mode})"
    view = RunView(name, verdicts, summary, threshold=settings.threshold())
    calibrated = None
    if settings.answer_mode == "extractive":  # its answers do not depend on the threshold, so one run gives the curve
        open_settings = settings.model_copy(update={"abstain_threshold": -math.inf})
        unbounded, _ = run_suite(items, Assistant(open_settings, embeddings=assistant.embeddings), settings.k, False)
        view.sweep = sweep(unbounded, THRESHOLDS)
        if calibrate_cap is not None:
            calibrated = calibrate(unbounded, calibrate_cap)
    views = [view]
    if settings.answer_mode != "extractive":  # an LLM mode: the extractive mode beside it, on the same index
        extractive = Assistant(
            settings.model_copy(update={"answer_mode": "extractive"}), embeddings=assistant.embeddings
        )
        e_verdicts, e_summary = run_suite(items, extractive, settings.k, progress)
        write_run(out / "extractive", e_verdicts, e_summary, {**config, "answer_mode": "extractive"})
        views.append(RunView("extractive", e_verdicts, e_summary, threshold=settings.threshold()))
    if baseline:
        from rag.baseline import BaselineAssistant

        tutorial = BaselineAssistant(settings, assistant.embeddings)
        tutorial.ingest(settings.corpus_dir)
        b_verdicts, b_summary = run_suite(items, tutorial, 4, progress)
        write_run(out / "baseline", b_verdicts, b_summary, {"suite": str(suite), "pipeline": "langchain tutorial"})
        views.append(RunView("baseline (LangChain tutorial)", b_verdicts, b_summary))
    write_report(out, f"Evaluation: {suite.parent.name if suite.stem == 'suite' else suite.stem}", views)
    return EvalResult(out, views, calibrated)


def compare_runs(a: Path, b: Path) -> dict[str, Any]:
    """Metric deltas and flipped questions between two run folders (each `.../ours` or a report folder)."""
    from rag.evaluate import compare

    return compare(read_run(_run_dir(a)), read_run(_run_dir(b)))


def _run_dir(folder: Path) -> Path:
    return folder / "ours" if (folder / "ours" / "summary.json").is_file() else folder


def headline(views: list[RunView]) -> str:
    """A plain-text table of the report's headline figures, one column per run."""
    keys = [key for key, _ in headline_metrics(views)]

    def value(view: RunView, key: str) -> str:
        if key == "recall@":
            key = next((k for k in view.summary if k.startswith("recall@")), key)
            return f"{view.summary.get(key)} ({key})"
        value = figure(view.summary, key)
        return "n/a" if value is None else str(value)

    names = {"recall@": "recall@k"}
    width = max(len(names.get(k, k)) for k in keys) + 2
    lines = ["".ljust(width) + "".join(v.name[:28].ljust(30) for v in views)]
    lines += [names.get(k, k).ljust(width) + "".join(value(v, k).ljust(30) for v in views) for k in keys]
    return "\n".join(lines)
