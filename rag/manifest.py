"""The manifest: which version of each document is complete, and who may write.

Owns a small SQLite database in the data directory (`manifest.sqlite3`) that is the source of truth for what the
index holds. Every version of a document is a *generation*: its chunks are written to Chroma under the generation's
id while its row says `writing`; one transaction then makes it `live` and turns the version it replaces into
`deleting`; its chunks are deleted after that, and the row goes last. So a document becomes visible only when it is
complete, and an old version disappears only when its replacement is complete. A `version` counter, bumped by every
change, lets a process notice changes made by another one. Also owns the writer lock (one writing process per data
directory, with a message naming the process that holds it).

Leaves out Chroma itself (`rag.store`) and the order of the steps of an ingest or a removal (`rag.ingest.indexer`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from rag.errors import IndexBusyError, IndexDamagedError

log = logging.getLogger(__name__)

WRITING, LIVE, DELETING = "writing", "live", "deleting"
MANIFEST_FILE = "manifest.sqlite3"
LOCK_FILE = "write.lock"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    gen TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('writing', 'live', 'deleting')),
    fingerprint TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    root TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL DEFAULT '',
    chunks INTEGER NOT NULL DEFAULT 0,
    chars INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS one_live_version ON generations (source) WHERE state = 'live';
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def generation_id(source: str, fingerprint: str) -> str:
    """The id of one version of a document: the same source and bytes always give the same id."""
    return hashlib.sha1(f"{source}\0{fingerprint}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Generation:
    """One version of one document, as the manifest records it."""

    gen: str
    source: str
    state: str
    fingerprint: str
    title: str = ""
    root: str = ""
    path: str = ""
    chunks: int = 0
    chars: int = 0


class Manifest:
    """The SQLite manifest of one data directory.

    Example:
        >>> m = Manifest(Path(tempfile.mkdtemp()))  # doctest: +SKIP
        >>> g = Generation(generation_id("a.txt", "f1"), "a.txt", WRITING, "f1", chunks=3)
        >>> m.begin(g); m.commit(g.gen); [x.source for x in m.live()]  # doctest: +SKIP
        ['a.txt']
    """

    def __init__(self, data_dir: Path) -> None:
        """Opens (or creates) the manifest of `data_dir`; an unreadable one is an `IndexDamagedError` naming the
        file and the repair (see `rag.integrity`)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / MANIFEST_FILE
        self.created = not self.path.exists()
        self.token = uuid.uuid4().hex  # names this manifest object's own changes in the `writer` entry
        self._local = threading.local()
        try:
            db = self._db()
            db.executescript(_SCHEMA)
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.OperationalError:  # locked or busy: not damage
            raise
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            self.close()
            raise unreadable(self.path, str(exc)) from exc
        if verdict != "ok":
            self.close()
            raise unreadable(self.path, verdict)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------------------------------

    def version(self) -> int:
        """A counter that every change to the manifest increases (in any process)."""
        row = self._db().execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        return int(row["value"]) if row else 0

    def changed_elsewhere(self, seen: int) -> bool:
        """Whether another process (or another store in this one) changed the manifest since version `seen`."""
        rows = dict(self._db().execute("SELECT key, value FROM meta WHERE key IN ('version', 'writer')").fetchall())
        return int(rows.get("version", 0)) != seen and rows.get("writer") != self.token

    def get(self, key: str) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def put(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def generations(self, state: str | None = None) -> list[Generation]:
        sql, args = "SELECT * FROM generations", ()
        if state:
            sql, args = sql + " WHERE state = ?", (state,)
        rows = self._db().execute(sql + " ORDER BY source, gen", args).fetchall()
        return [Generation(**dict(row)) for row in rows]

    def live(self) -> list[Generation]:
        """The complete, visible version of every document, by source."""
        return self.generations(LIVE)

    def live_gens(self) -> set[str]:
        """The ids of the live versions only: what every search filters by, without reading whole rows (on the
        2,388-document RealTime QA index, under a profiler, `live()` took ~38 ms a call and this ~4 ms)."""
        return {row[0] for row in self._db().execute("SELECT gen FROM generations WHERE state = 'live'")}

    def live_of(self, source: str) -> Generation | None:
        row = self._db().execute("SELECT * FROM generations WHERE source = ? AND state = 'live'", (source,)).fetchone()
        return Generation(**dict(row)) if row else None

    def generation(self, gen: str) -> Generation | None:
        row = self._db().execute("SELECT * FROM generations WHERE gen = ?", (gen,)).fetchone()
        return Generation(**dict(row)) if row else None

    # -- writing (call these holding the writer lock) ------------------------------------------------------------

    def begin(self, generation: Generation) -> None:
        """Record a version about to be written (before its first chunk is); keeps an unfinished row to resume."""
        with self._transaction() as db:
            row = db.execute("SELECT state FROM generations WHERE gen = ?", (generation.gen,)).fetchone()
            if row is not None and row["state"] != WRITING:
                msg = f"generation {generation.gen} of {generation.source} is {row['state']}, cannot write it again"
                raise RuntimeError(msg)
            _put(db, generation, WRITING)
            _bump(db, self.token)

    def commit(self, gen: str) -> Generation | None:
        """Make a written version live and the one it replaces `deleting`, in one transaction; returns that one."""
        with self._transaction() as db:
            row = db.execute("SELECT source, state FROM generations WHERE gen = ?", (gen,)).fetchone()
            if row is None or row["state"] != WRITING:
                msg = f"generation {gen} is not being written"
                raise RuntimeError(msg)
            old = db.execute(
                "SELECT * FROM generations WHERE source = ? AND state = 'live'", (row["source"],)
            ).fetchone()
            if old is not None:
                db.execute("UPDATE generations SET state = 'deleting' WHERE gen = ?", (old["gen"],))
            db.execute("UPDATE generations SET state = 'live' WHERE gen = ?", (gen,))
            _bump(db, self.token)
        return Generation(**{**dict(old), "state": DELETING}) if old is not None else None

    def retire(self, source: str) -> Generation | None:
        """Hide a document at once (its live version becomes `deleting`); returns that version, or None."""
        with self._transaction() as db:
            old = db.execute("SELECT * FROM generations WHERE source = ? AND state = 'live'", (source,)).fetchone()
            if old is None:
                return None
            db.execute("UPDATE generations SET state = 'deleting' WHERE gen = ?", (old["gen"],))
            _bump(db, self.token)
        return Generation(**{**dict(old), "state": DELETING})

    def switch_collection(self, name: str, model: str, retired: str) -> None:
        """Make collection `name`, embedded with `model` (a `rag.model_record.ModelId` as JSON), the index's, and
        note `retired` for deletion, in one transaction (see `rag.model_record.rebuild`)."""
        with self._transaction() as db:
            for key, value in (("collection", name), ("embedding_model", model), ("retired_collection", retired)):
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
            _bump(db, self.token)

    def restore(self, generation: Generation) -> None:
        """Record a version found complete in the vector store as live (`rag.integrity.rebuild_manifest`)."""
        with self._transaction() as db:
            _put(db, generation, LIVE)
            _bump(db, self.token)

    def amend(self, gen: str, fingerprint: str, path: str, root: str) -> None:
        """Note what a rebuilt row could not know: the fingerprint, file and folder of its version."""
        with self._transaction() as db:
            sql = "UPDATE generations SET fingerprint = ?, path = ?, root = ? WHERE gen = ?"
            db.execute(sql, (fingerprint, path, root, gen))
            _bump(db, self.token)

    def forget(self, gen: str) -> None:
        """Drop the row of a version whose chunks are all deleted."""
        with self._transaction() as db:
            db.execute("DELETE FROM generations WHERE gen = ? AND state != 'live'", (gen,))
            _bump(db, self.token)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def _put(db: sqlite3.Connection, generation: Generation, state: str) -> None:
    """Write a version's row (replacing any row of that id) in `state`."""
    db.execute("DELETE FROM generations WHERE gen = ?", (generation.gen,))
    db.execute(
        "INSERT INTO generations VALUES (:gen, :source, :state, :fingerprint, :title, :root, :path, :chunks, :chars)",
        {**generation.__dict__, "state": state},
    )


def unreadable(path: Path, reason: str) -> IndexDamagedError:
    """The one-line error of an unreadable manifest."""
    msg = (
        f"the manifest {path} is unreadable ({reason}): run `rag check --repair` to set it aside and rebuild it "
        "from the vector store"
    )
    return IndexDamagedError(msg)


def _bump(db: sqlite3.Connection, token: str) -> None:
    """Count a change, and note who made it (a store need not reload what it wrote itself)."""
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('version', '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('writer', ?)", (token,))


class WriterLock:
    """One writing process per data directory: a `filelock` lock file, released when the process dies.

    Re-entrant within a process (threads of one process share it through the assistant's own lock). The holder's
    pid is written beside it so that a second writer is told who holds it.
    """

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._lock = FileLock(data_dir / LOCK_FILE, thread_local=False)
        self._owner = data_dir / (LOCK_FILE + ".pid")

    @contextlib.contextmanager
    def hold(self, wait_s: float = 0.0) -> Iterator[None]:
        """Hold the lock for the block, or raise `IndexBusyError` naming the other process after `wait_s`."""
        first = not self._lock.is_locked
        try:
            self._lock.acquire(timeout=wait_s)
        except Timeout:
            raise IndexBusyError(self.busy_message()) from None
        try:
            if first:
                self._owner.write_text(str(os.getpid()))
            yield
        finally:
            self._lock.release()

    def busy_message(self) -> str:
        try:
            pid = self._owner.read_text().strip() or "?"
        except OSError:
            pid = "?"
        return f"another `rag` process is indexing {self.data_dir} (pid {pid}); wait for it, or use another --data-dir"
