"""A time budget per file: files are read in a child process, which is killed when a file's time is up.

Owns the reader process (a Python running `serve`, started once and kept for the next file, in a session
of its own so that whatever it starts, tesseract for OCR, dies with it), the messages between it and the indexer
(a request; each page read; then the document or the reader's error), and the one-line reason when the budget
(`RAG_MAX_SECONDS_PER_FILE`) runs out or the reader dies. A hostile file (a PDF whose parser loops, HTML that
takes minutes) then costs at most the budget, and the run, or the page's indexing worker, moves on; the next file
gets a fresh reader.
Leaves out what a reader does (`rag.ingest.loaders`) and which files are read (`rag.ingest.indexer`).
"""

from __future__ import annotations

import atexit
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from rag.errors import IngestError
from rag.ingest.loaders import LoadedDocument, load_file

log = logging.getLogger(__name__)

OnPage = Callable[[int, int], None]
STARTUP_SECONDS = 120
"""How long the reader process may take to import its readers, outside any file's budget."""
READERS = ("rag.ingest.pdf", "rag.ingest.web", "rag.ingest.word", "rag.ingest.markdown", "rag.ingest.ocr")
"""Imported by the reader process as it starts, so that its first file does not wait for them."""


def load_within(
    seconds: float,
    path: Path,
    source: str,
    data: bytes,
    max_chars: int | None = None,
    max_pages: int | None = None,
    on_page: OnPage | None = None,
) -> LoadedDocument:
    """`load_file` with a time budget: the file is read by the reader process, killed after `seconds`.

    Raises `IngestError` with the reason when time runs out or the reader dies (a reader crashing or running out
    of memory loses that file only); the reader's own errors come back as they are. `seconds` 0 reads in this
    process, with no budget.

    Example:
        >>> path = Path("corpus/us-ukraine-minerals-agreement.txt")
        >>> doc = load_within(60, path, path.name, path.read_bytes())
        >>> doc.text.startswith("The United States and Ukraine")
        True
    """
    if seconds <= 0:
        return load_file(path, source, data=data, max_chars=max_chars, max_pages=max_pages, on_page=on_page)
    return _READER.load(seconds, (path, source, data, max_chars, max_pages), on_page)


def warm() -> None:
    """Start the reader process now (it takes a second to import the readers), so that the first file need not
    wait. Without it, the reader starts with the first file that must be read (a run of unchanged files, or of
    files read with no budget, starts none); its start-up is not counted in that file's budget."""
    _READER.start()


class _Reader:
    """The reader process and its two pipes; one file at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._replies: Connection | None = None
        self._ready = False

    def start(self) -> None:
        with self._lock:
            self._start()

    def load(self, seconds: float, request: tuple[object, ...], on_page: OnPage | None) -> LoadedDocument:
        with self._lock:
            self._start()
            assert self._requests is not None and self._replies is not None
            try:
                self._wait_until_ready(self._replies)
                self._send(self._requests, request)
                return self._receive(self._replies, time.monotonic() + seconds, seconds, on_page)
            except BaseException:  # time up, the reader dead, Ctrl-C: the reader's state is unknown, so a new one
                self._stop()
                raise

    def _receive(self, replies: Connection, deadline: float, seconds: float, on_page: OnPage | None) -> LoadedDocument:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not replies.poll(left):
                msg = f"reading it took longer than {seconds:g} s (RAG_MAX_SECONDS_PER_FILE); not indexed"
                raise IngestError(f"{msg}: split the file, or raise the budget if the file is sound")
            try:
                kind, value = replies.recv()
            except (EOFError, OSError):
                raise self._stopped() from None
            if kind == "page" and on_page is not None:
                on_page(*value)
            elif kind == "done":
                return value
            elif kind == "error":
                raise value

    def _wait_until_ready(self, replies: Connection) -> None:
        """The reader says it is ready once its imports are done; the file's budget starts after that."""
        if self._ready:
            return
        try:
            if not replies.poll(STARTUP_SECONDS):
                msg = f"the reader process did not start within {STARTUP_SECONDS} s; not indexed: try again"
                raise IngestError(msg)
            kind, _ = replies.recv()
        except (EOFError, OSError):
            raise self._stopped() from None
        self._ready = kind == "ready"

    def _send(self, requests: Connection, request: tuple[object, ...]) -> None:
        try:
            requests.send(request)
        except OSError:
            raise self._stopped() from None

    def _stopped(self) -> IngestError:
        msg = f"the reader stopped without a result (exit code {_exit_code(self._process)}); not indexed"
        return IngestError(f"{msg}: the file may be damaged, or too large for this machine's memory")

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._stop()
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        env["RAG_READER_LOG_LEVEL"] = str(logging.getLogger().getEffectiveLevel())
        self._process = subprocess.Popen(
            [sys.executable, "-c", "from rag.ingest.budget import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group: killed with what it started; Ctrl-C reaches us only
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._requests = Connection(os.dup(self._process.stdin.fileno()), readable=False)
        self._replies = Connection(os.dup(self._process.stdout.fileno()), writable=False)
        self._process.stdin.close()
        self._process.stdout.close()

    def _stop(self) -> None:
        for connection in (self._requests, self._replies):
            if connection is not None:
                connection.close()
        self._requests = self._replies = None
        self._ready = False
        if self._process is not None:
            if self._process.poll() is None:
                try:
                    os.killpg(self._process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self._process.kill()
            self._process.wait()
            self._process = None

    def close(self) -> None:
        with self._lock:
            self._stop()


def _exit_code(process: subprocess.Popen[bytes] | None) -> int | None:
    try:
        return process.wait(5) if process else None
    except subprocess.TimeoutExpired:
        return None


_READER = _Reader()
atexit.register(_READER.close)


def serve() -> None:
    """The reader process: read requests from stdin, answer on the original stdout (print goes to stderr)."""
    logging.basicConfig(level=int(os.environ.get("RAG_READER_LOG_LEVEL", logging.WARNING)))
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # a reader that prints cannot garble the replies
    requests = Connection(os.dup(0), writable=False)
    for name in READERS:
        __import__(name)
    replies.send(("ready", None))
    while True:
        try:
            path, source, data, max_chars, max_pages = requests.recv()
        except EOFError:
            return
        try:
            document = load_file(
                path,
                source,
                data=data,
                max_chars=max_chars,
                max_pages=max_pages,
                on_page=lambda done, total: replies.send(("page", (done, total))),
            )
        except Exception as exc:  # handed to the indexer, which raises it
            replies.send(("error", _picklable(exc)))
        else:
            replies.send(("done", document))


def _picklable(exc: Exception) -> Exception:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # one that cannot travel becomes its message
        return IngestError(f"the reader failed: {type(exc).__name__}: {exc}")
    return exc
