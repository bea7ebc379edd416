"""Uploads indexed in the background, one after another, with progress the page can show while they run.

Owns the indexing worker of the chat page and the API (one thread: uploads take turns, and questions are answered
meanwhile from the index as it is), what indexing one upload is (`ingest_upload`: copied into the data directory,
ingested, the copy kept only if it indexed), and `IndexJob`, the live state of one upload's files: a results-table
row per file whose status reads "indexing: 120 of 550 chunks, about 40 s left" as batches are stored. Leaves out
the upload checks and the copies (`rag.uploads`), ingestion itself (`Assistant.ingest`) and the HTML (`ui.render`).

Example:
    >>> job = IndexJob([("a.md", "waiting", "")])
    >>> job.chunks(0, 0, 40, now=100.0)  # the file is split: 40 chunks to embed
    >>> job.chunks(0, 10, 40, now=102.0)  # 10 stored in 2 s: 30 more take about 6 s
    >>> job.rows()[0][1]
    'indexing: 10 of 40 chunks, about 6 s left'
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from rag.diskspace import out_of_space
from rag.errors import RagError
from rag.ingest.indexer import FAILED, FileResult
from rag.uploads import UPLOADS_PREFIX, Row, drop_cached, restore_or_drop, save_upload

if TYPE_CHECKING:
    from rag.chain import Assistant

log = logging.getLogger(__name__)

# Indexes one accepted upload (copy, name, row's chunk-progress callback) and returns its final results-table row.
IndexOne = Callable[[Path, str, Callable[[int, int], None]], Row]


class IndexJob:
    """The results-table rows of one upload, updated from the indexing thread and read from the page's handler."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self._rows = [tuple(row) for row in rows]
        self._lock = threading.Lock()
        self.started: dict[int, float] = {}  # row -> when its first chunks were counted
        self._first: dict[int, int] = {}  # row -> chunks already stored then (by an interrupted run)
        self.done = threading.Event()

    def rows(self) -> list[Row]:
        """A snapshot of the rows."""
        with self._lock:
            return list(self._rows)

    def set(self, row: int, status: str, detail: str = "") -> None:
        with self._lock:
            self._rows[row] = (self._rows[row][0], status, detail)

    def chunks(self, row: int, stored: int, total: int, now: float | None = None) -> None:
        """Row `row`'s file has `stored` of its `total` chunks stored; its status shows that and the time left."""
        now = time.monotonic() if now is None else now
        began = self.started.setdefault(row, now)
        first = self._first.setdefault(row, stored)  # what was stored before this run is not part of its speed
        self.set(row, f"indexing: {stored} of {total} chunks{time_left(stored - first, total - stored, now - began)}")

    def wait(self, seconds: float) -> bool:
        """True once every file of the job is finished (waits at most `seconds`)."""
        return self.done.wait(seconds)


def time_left(done: int, remaining: int, seconds: float) -> str:
    """The ", about N s left" of a status line, from the speed so far; "" until there is a speed to go by.

    Example:
        >>> time_left(50, 100, 10.0)
        ', about 20 s left'
        >>> time_left(0, 100, 3.0)
        ''
    """
    if done <= 0 or seconds <= 0 or remaining <= 0:
        return ""
    left = remaining * seconds / done
    return f", about {left:.0f} s left" if left < 90 else f", about {left / 60:.0f} min left"


UNEXPECTED = "Something went wrong on the server; its log has the details. Please try again."


def ingest_upload(
    assistant: Assistant, path: Path, name: str, chunk_progress: Callable[[int, int], None] | None = None
) -> Row:
    """Copy one accepted upload into the data directory and ingest it; returns its results-table row.
    `chunk_progress(stored, total)` is called as its chunks are stored."""
    settings = assistant.settings
    try:
        copy, previous = save_upload(path, name, settings)
    except OSError as exc:
        full = out_of_space(exc, settings.data_dir)
        return name, FAILED, full or f"cannot store the upload: {exc.strerror or exc}"
    finally:
        drop_cached(path)
    status, detail = FAILED, UNEXPECTED
    try:
        on_chunks = (lambda _source, done, total: chunk_progress(done, total)) if chunk_progress else None
        report = assistant.ingest([copy], _log_progress, prefix=UPLOADS_PREFIX, chunk_progress=on_chunks)
        result = report.files[0]
        status = result.status
        detail = result.reason if status == FAILED else f"{result.chunks} chunk{'' if result.chunks == 1 else 's'}"
    except (RagError, ValueError, OSError) as exc:
        log.warning("upload of %s failed: %s", name, exc)
        detail = str(exc)
    except Exception:
        log.exception("upload of %s failed", name)
    finally:
        restore_or_drop(copy, previous, ok=status != FAILED)
    return name, status, detail


def _log_progress(done: int, total: int, result: FileResult) -> None:
    log.info("upload %d/%d: %s %s %s", done, total, result.source, result.status, result.reason)


class BackgroundIndexer:
    """One worker thread that indexes uploads in the order they came; `submit` returns at once with the job."""

    def __init__(self, index_one: IndexOne) -> None:
        self.index_one = index_one
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rag-index")

    @classmethod
    def for_assistant(cls, assistant: Assistant) -> BackgroundIndexer:
        """The worker that indexes uploads into `assistant`'s index (`ingest_upload`)."""
        return cls(functools.partial(ingest_upload, assistant))

    def submit(self, rows: Sequence[Row], accepted: Sequence[tuple[int, Path, str]]) -> IndexJob:
        """Start indexing the `accepted` files (row, path, name) of an upload whose table is `rows`."""
        job = IndexJob(rows)
        future: Future = self._pool.submit(self._run, job, list(accepted))
        future.add_done_callback(lambda _: job.done.set())
        return job

    def _run(self, job: IndexJob, accepted: list[tuple[int, Path, str]]) -> None:
        for row, path, name in accepted:
            job.set(row, "indexing: reading the file…")
            progress = functools.partial(job.chunks, row)
            try:
                _, status, detail = self.index_one(path, name, progress)
            except Exception:  # index_one reports its failures as rows; this is the safety net for the rest
                log.exception("indexing %s failed", name)
                status, detail = FAILED, "indexing failed; the server log has the details"
            job.set(row, status, detail)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
