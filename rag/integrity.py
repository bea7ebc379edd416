"""Whether the parts of an index agree, and mending the manifest from the vector store.

Owns the check that the manifest (`rag.manifest`: which version of each document is live, with its chunk count),
the Chroma collection (every chunk of every live version, `rag.store`) and the kept texts (`texts/`) agree, the
message that names what was lost and the command that repairs it, the rebuild of a lost manifest from the
metadata every stored chunk carries (its version, source, title, fingerprint, file, folder and its version's chunk
count), and setting aside an unreadable file so that a repair starts from what is intact.

Leaves out re-embedding lost chunks from the source files (`rag.ingest.indexer.refill`, which `rag ingest` runs
after `repair`), the lexical index (derived from Chroma: rebuilt whenever its copy is stale or unreadable,
`rag.lexical.open_persisted`) and the command line (`rag check`, `rag.cli`).

Example:
    >>> damage = find_damage(store, thorough=True)  # doctest: +SKIP
    >>> damage_message(damage, store.settings.data_dir)  # doctest: +SKIP
    'the index in data lost parts of 1 document(s): canal.md (2 of 2 chunks missing from the vector store); ...'
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag.errors import IndexDamagedError
from rag.manifest import LIVE, Generation

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from rag.config import Settings
    from rag.store import Store

log = logging.getLogger(__name__)

# The metadata each stored chunk carries about its version, so that a lost manifest can be rebuilt.
VERSION_KEYS = ("fingerprint", "path", "root", "chars", "of")


@dataclass(frozen=True)
class Damage:
    """A live version that lost part of itself: `stored` of its `chunks` are in the vector store, and its kept text
    is there or not."""

    source: str
    gen: str
    chunks: int
    stored: int
    text: bool

    def describe(self) -> str:
        parts = []
        if self.stored < self.chunks:
            parts.append(f"{self.chunks - self.stored} of {self.chunks} chunks missing from the vector store")
        if not self.text:
            parts.append("its kept text missing")
        return f"{self.source} ({', '.join(parts)})"


def version_metadata(version: Generation, chunks: int) -> dict[str, str | int]:
    """What every chunk of a version stores about it (`VERSION_KEYS`)."""
    return {
        "fingerprint": version.fingerprint,
        "path": version.path,
        "root": version.root,
        "chars": version.chars,
        "of": chunks,
    }


def find_damage(store: Store, thorough: bool = False) -> list[Damage]:
    """The live versions missing chunks in Chroma or their kept text.

    Cheap unless something is off: when Chroma holds at least as many records as the live versions have chunks
    and every kept text is there, only `thorough` (`rag check`) counts each version's records.
    """
    live = store.manifest.live()
    if not live:
        return []
    texts = store.kept_texts()
    expected = sum(g.chunks for g in live)
    if not thorough and all(g.gen in texts for g in live) and store.stored_count() >= expected:
        return []
    counts = {gen: len(metas) for gen, metas in store.records_by_gen().items()}
    found = [Damage(g.source, g.gen, g.chunks, counts.get(g.gen, 0), g.gen in texts) for g in live]
    return [d for d in found if d.stored < d.chunks or not d.text]


def damage_message(damage: list[Damage], data_dir: Path) -> str:
    """One line naming what the index lost and how to repair it."""
    names = "; ".join(d.describe() for d in damage[:5]) + (f"; and {len(damage) - 5} more" if len(damage) > 5 else "")
    return (
        f"the index in {data_dir} lost parts of {len(damage)} document(s): {names}; run `rag ingest` (or "
        "`rag check --repair`) to re-embed them from their files"
    )


def lost_manifest(store: Store) -> bool:
    """Whether the manifest was lost (deleted, or emptied to zero bytes) while Chroma still holds chunks: a
    manifest that was ever written counts its changes, a new or emptied one does not."""
    return store.manifest.version() == 0 and not store.manifest.generations() and store.stored_count() > 0


def lost_manifest_message(data_dir: Path) -> str:
    return (
        f"the manifest of the index in {data_dir} is empty or missing while the vector store holds documents: run "
        "`rag ingest` (or `rag check --repair`) to rebuild it from the vector store"
    )


def lost_index(store: Store) -> int:
    """How many kept texts remain of an index whose manifest and vector store were both lost (deleted, emptied);
    0 when that is not what happened. A healthy empty index keeps no texts: removing a document deletes its text."""
    if store.manifest.version() or store.manifest.generations() or store.stored_count():
        return 0
    return len(store.kept_texts())


def lost_index_message(data_dir: Path, texts: int) -> str:
    return (
        f"the index in {data_dir} lost both its manifest and its vector store; the extracted texts of {texts} "
        "document(s) remain, but not their names: run `rag ingest FOLDER...` with the folders you had indexed "
        "(files uploaded from the page or the API, kept in uploads/, are indexed again by any `rag ingest`)"
    )


def rebuild_manifest(store: Store) -> list[str]:
    """Record as live, for each source, the newest complete version that Chroma holds; one line for what was done.

    A version is complete when it has as many records as its chunks carry in `of`; records written before that
    key existed are taken as complete. Versions left out are dropped later as strays (`rag.ingest.indexer.repair`).
    Rows rebuilt from records without a fingerprint get one when their file is next ingested.
    """
    versions: dict[str, tuple[float, Generation]] = {}
    for gen, metas in store.records_by_gen().items():
        first = metas[0]
        if not gen or len(metas) < int(first.get("of") or len(metas)):
            continue
        row = Generation(
            gen=gen,
            source=str(first["source"]),
            state=LIVE,
            fingerprint=str(first.get("fingerprint") or ""),
            title=str(first.get("title") or ""),
            root=str(first.get("root") or ""),
            path=str(first.get("path") or ""),
            chunks=len(metas),
            chars=int(first.get("chars") or max(int(m.get("end") or 0) for m in metas)),
        )
        newer = (store.indexed_at(gen), row)
        if row.source not in versions or newer[0] > versions[row.source][0]:
            versions[row.source] = newer
    for _, row in versions.values():
        store.manifest.restore(row)
    if not versions:
        return []
    line = f"rebuilt the lost manifest from the vector store: {len(versions)} document(s)"
    log.info("repair: %s", line)
    return [line]


def set_aside(path: Path) -> Path | None:
    """Move an unreadable file or folder out of the way (kept beside it, named `NAME.damaged-TIME`); None when
    there was nothing to move."""
    if not path.exists():
        return None
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    shutil.move(str(path), str(target))
    for suffix in ("-wal", "-shm"):  # SQLite's companions belong to the damaged file
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            shutil.move(str(companion), str(target.with_name(target.name + suffix)))
    return target


def sqlite_problem(path: Path) -> str:
    """Why a SQLite database cannot be read whole (SQLite's `quick_check`), or "" when it can or is not there."""
    if not path.is_file():
        return ""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "" if verdict == "ok" else str(verdict)


def store_damage_message(data_dir: Path, exc: BaseException | str) -> str:
    """The one line for a Chroma database that cannot be read."""
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return (
        f"the vector store {data_dir / 'chroma'} cannot be read ({reason}): run `rag check --repair` to set it aside "
        "and re-embed every document from its file"
    )


def is_store_failure(exc: BaseException) -> bool:
    """Whether an exception comes from Chroma's storage (its errors, or a panic of its Rust core)."""
    return type(exc).__module__.split(".")[0] in {"chromadb", "pyo3_runtime"}


def examine(settings: Settings, embeddings: Embeddings, repair: bool = False) -> tuple[list[str], bool]:
    """`rag check`: every part of the index in `settings.data_dir`, checked thoroughly; returns the lines to print
    and whether the index is whole (after the repairs, with `repair`).

    With `repair`, an unreadable manifest or Chroma database is set aside (`set_aside`) and rebuilt: the manifest
    from Chroma's records, Chroma's chunks from the documents' files (`rag.ingest.indexer.repair`); the lexical
    index is rebuilt from Chroma.
    """
    from rag.ingest.indexer import ingest_paths
    from rag.ingest.indexer import repair as mend
    from rag.lexical import open_persisted
    from rag.manifest import MANIFEST_FILE, Manifest, WriterLock
    from rag.store import Store

    data_dir, lines = settings.data_dir, []
    try:
        Manifest(data_dir).close()
    except IndexDamagedError as exc:
        if not repair:
            return [str(exc)], False
        lines.append(f"set the unreadable manifest aside as {set_aside(data_dir / MANIFEST_FILE)}")
    problem = "" if settings.chroma_url else sqlite_problem(data_dir / "chroma" / "chroma.sqlite3")
    if problem and not repair:
        return [*lines, store_damage_message(data_dir, problem)], False
    if problem:  # before any Chroma client of this process opens it
        lines.append(f"set the unreadable vector store aside as {set_aside(data_dir / 'chroma')}")
    store = Store(settings, embeddings)
    if repair:
        with WriterLock(data_dir).hold():
            # an index that lost its manifest and Chroma both gets its uploads back as an ingest gives them back
            lines += ingest_paths([], store, settings).repaired if lost_index(store) else mend(store)
            shutil.rmtree(data_dir / "lexical", ignore_errors=True)
            open_persisted(data_dir / "lexical", store.lexical_stamp(), store.chunks, store.chunks_by_id)
        lines.append("rebuilt the lexical index from the vector store")
    if lost_manifest(store):
        return [*lines, lost_manifest_message(data_dir)], False
    if texts := lost_index(store):
        return [*lines, lost_index_message(data_dir, texts)], False
    damage = find_damage(store, thorough=True)
    if damage:
        return [*lines, damage_message(damage, data_dir)], False
    live = store.manifest.live()
    lines.append(
        f"ok: {len(live)} document(s), {sum(g.chunks for g in live)} chunks, in the manifest, the vector "
        "store and the kept texts alike"
    )
    return lines, True
