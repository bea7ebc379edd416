"""The indexer: brings the store in line with files on disk.

Owns the walk over the paths given, the fingerprint that lets an unchanged file be skipped without embedding,
replacing a changed file's chunks (embedding only chunks whose id is new), removing the chunks of files that are
gone from an ingested folder, and the report (per-file result and summary line). A file that fails keeps whatever
the index already held for it. Leaves out text extraction (`loaders`), chunking (`splitter`) and Chroma (`store`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.config import Settings
from rag.errors import IngestError
from rag.ingest.loaders import check_size, load_file
from rag.ingest.splitter import SPLITTER_VERSION, split_document
from rag.store import Store

log = logging.getLogger(__name__)

ADDED, UNCHANGED, UPDATED, REMOVED, FAILED = "added", "unchanged", "updated", "removed", "failed"


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: its status, chunk count and, when it failed, the one-line reason."""

    source: str
    status: str
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    """The outcome of one ingest run."""

    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    chunks_embedded: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FAILED]

    @property
    def changed(self) -> bool:
        return any(f.status in (ADDED, UPDATED, REMOVED) for f in self.files)

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(s)} {s}" for s in (ADDED, UNCHANGED, UPDATED, REMOVED, FAILED))
        chunks = sum(f.chunks for f in self.files if f.status in (ADDED, UPDATED, UNCHANGED))
        return f"{counts}; {chunks} chunks ({self.chunks_embedded} embedded) in {self.seconds:.1f}s"


def fingerprint(data: bytes, settings: Settings) -> str:
    """Changes when the file's bytes or the chunking settings change, and only then."""
    digest = hashlib.sha256(data)
    digest.update(f"|{SPLITTER_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}".encode())
    return digest.hexdigest()


def discover(paths: Iterable[Path]) -> list[tuple[Path, str, str | None]]:
    """(file, source name, root folder or None) for every file under the given paths; hidden files skipped."""
    found = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            root = path.resolve()
            for file in sorted(p for p in root.rglob("*") if p.is_file()):
                if not any(part.startswith(".") for part in file.relative_to(root).parts):
                    found.append((file, file.relative_to(root).as_posix(), str(root)))
        elif path.is_file():
            found.append((path, path.name, None))
        else:
            msg = f"{path}: no such file or folder"
            raise IngestError(msg)
    return found


def ingest_paths(
    paths: Iterable[Path],
    store: Store,
    settings: Settings,
    progress: Callable[[int, int, FileResult], None] | None = None,
) -> IngestReport:
    """Ingest files and folders; a folder's run also removes the chunks of its files that are gone.

    `progress(done, total, result)` is called after each file.

    Example:
        >>> report = ingest_paths([Path("corpus")], store, settings)  # doctest: +SKIP
        >>> report.summary()  # doctest: +SKIP
        '1 added, 0 unchanged, 0 updated, 0 removed, 0 failed; 7 chunks (7 embedded) in 1.2s'
    """
    began = time.perf_counter()
    embedded_before = getattr(store.embeddings, "texts_embedded", 0)
    report = IngestReport()
    files = discover(paths)
    indexed = store.documents()
    for done, (file, source, root) in enumerate(files, start=1):
        result = _ingest_file(file, source, root, indexed.get(source), store, settings)
        report.files.append(result)
        if progress:
            progress(done, len(files), result)
    roots = {root for _, _, root in files if root}
    present = {source for _, source, _ in files}
    for info in indexed.values():
        if info.root in roots and info.source not in present:
            store.delete_source(info.source)
            report.files.append(FileResult(info.source, REMOVED, info.chunks))
    report.chunks_embedded = getattr(store.embeddings, "texts_embedded", 0) - embedded_before
    report.seconds = time.perf_counter() - began
    log.info("ingest: %s", report.summary())
    return report


def _ingest_file(file: Path, source: str, root: str | None, known, store: Store, settings: Settings) -> FileResult:
    try:
        max_bytes = int(settings.max_file_mb * 1e6)
        check_size(file, max_bytes)
        data = file.read_bytes()
        print_ = fingerprint(data, settings)
        if known and known.fingerprint == print_:
            return FileResult(source, UNCHANGED, known.chunks)
        document = load_file(file, source, data=data)
        chunks = split_document(document, settings.chunk_size, settings.chunk_overlap)
    except IngestError as exc:
        log.info("%s failed: %s", source, exc)
        return FileResult(source, FAILED, reason=str(exc))
    except OSError as exc:
        return FileResult(source, FAILED, reason=f"cannot read: {exc.strerror or exc}")
    old_ids = store.ids_of(source) if known else set()
    new_chunks = [c for c in chunks if c.id not in old_ids]
    extra = {"fingerprint": print_, "root": root or "", "path": str(file.resolve())}
    store.add(new_chunks, extra)
    kept = [c for c in chunks if c.id in old_ids]
    if kept:  # unchanged chunks of a changed file: no new embedding, just the new fingerprint
        store.update_metadata(kept, extra)
    store.delete_ids(sorted(old_ids - {c.id for c in chunks}))
    return FileResult(source, UPDATED if known else ADDED, len(chunks))
