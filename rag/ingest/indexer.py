"""The indexer: brings the store in line with files on disk.

Owns the walk over the paths given (with its rule for links), the fingerprint that lets an unchanged file be
skipped without embedding, the crash-safe order of writes (a changed file is written as a new version, made live
in the manifest only once complete, and only then is the old version deleted; a removal hides the document first),
the repair of what an interrupted run left, removing the chunks of files gone from an ingested folder, and the
report (per-file result, summary line, repairs). A file that fails keeps whatever the index already held for it.
Leaves out text extraction (`loaders`), chunking (`splitter`), Chroma (`store`), the manifest's storage and the
writer lock (`rag.manifest`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from rag.config import Settings
from rag.diskspace import require_space
from rag.errors import IngestError
from rag.examples import store_examples
from rag.ingest.budget import load_within
from rag.ingest.loaders import LoadedDocument, check_size
from rag.ingest.splitter import SPLITTER_VERSION, split_document
from rag.integrity import Damage, find_damage, lost_index, lost_manifest, rebuild_manifest, version_metadata
from rag.manifest import DELETING, WRITING, Generation, generation_id
from rag.model_record import drop_retired
from rag.store import DocumentInfo, Store
from rag.types import Chunk

log = logging.getLogger(__name__)

ADDED, UNCHANGED, UPDATED, REMOVED, FAILED, SKIPPED = "added", "unchanged", "updated", "removed", "failed", "skipped"

ChunkProgress = Callable[[str, int, int], None]
"""Called as a file's new version is written: (source, chunks stored so far, chunks in all); first with the chunks
already stored (0, or what an interrupted run stored), then after each batch."""
PageProgress = Callable[[str, int, int], None]
"""Called as a paged file (a PDF) is read: (source, pages read, pages in all), after each page."""


@dataclass(frozen=True)
class FileResult:
    """What happened to one file: its status, chunk count and, when it failed, the one-line reason; `skipped`
    names each part of it that was left out of the index, with why ("page 3: OCR read no text")."""

    source: str
    status: str
    chunks: int = 0
    reason: str = ""
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Found:
    """A file to ingest: where it is, the source name it is indexed under, the folder it was found in (or None)."""

    file: Path
    source: str
    root: str | None


@dataclass
class IngestReport:
    """The outcome of one ingest run; `repaired` says what it mended of an interrupted earlier run."""

    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    chunks_embedded: int = 0
    repaired: list[str] = field(default_factory=list)

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
        if self.count(SKIPPED):
            counts += f", {self.count(SKIPPED)} skipped"
        chunks = sum(f.chunks for f in self.files if f.status in (ADDED, UPDATED, UNCHANGED))
        return f"{counts}; {chunks} chunks ({self.chunks_embedded} embedded) in {self.seconds:.1f}s"


def fingerprint(data: bytes, settings: Settings) -> str:
    """Changes when the file's bytes or the chunking settings change, and only then."""
    digest = hashlib.sha256(data)
    digest.update(f"|{SPLITTER_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}".encode())
    return digest.hexdigest()


def discover(paths: Iterable[Path], prefix: str = "") -> tuple[list[Found], list[FileResult]]:
    """Every file under the given paths, and a SKIPPED result for each link or special file that is not followed.

    A file named directly is taken as it is. Inside a folder, hidden files and folders are skipped, and a link
    (to a file or a folder: one rule for both) is followed only when it leads to a place inside that folder.
    `prefix` is put before every source name (uploads are indexed as `uploads/NAME`).
    """
    found: list[Found] = []
    skipped: list[FileResult] = []
    for path in map(Path, paths):
        if path.is_dir():
            root = path.resolve()
            for file, reason in _walk(root):
                source = prefix + file.relative_to(root).as_posix()
                if reason:
                    skipped.append(FileResult(source, SKIPPED, reason=reason))
                else:
                    found.append(Found(file, source, str(root)))
        elif path.is_file():
            found.append(Found(path, prefix + path.name, None))
        elif path.is_symlink() or path.exists():  # a link loop, a broken link, a pipe or a device
            skipped.append(FileResult(prefix + path.name, SKIPPED, reason=_not_regular(path)))
        else:
            msg = f"{path}: no such file or folder"
            raise IngestError(msg)
    return found, skipped


def _resolved(path: Path) -> Path | None:
    """Where a path leads, or None for a link loop."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # "Symlink loop from …" (RuntimeError before Python 3.13), ELOOP
        return None


def _not_regular(path: Path) -> str:
    if _resolved(path) is None:
        return "a link that leads back to itself (a link loop); skipped"
    return "not a regular file (a broken link, a pipe or a device); skipped"


def _walk(root: Path) -> Iterator[tuple[Path, str]]:
    """(path, "") for each regular file inside `root`, (path, reason) for each one not followed; sorted."""
    seen = {root}
    for folder, dirs, files in os.walk(root, followlinks=True):
        here = Path(folder)
        for name in sorted(dirs):
            target = _resolved(here / name)
            if name.startswith(".") or target in seen:  # hidden, or a link back to a folder already walked
                dirs.remove(name)
            elif target is None:
                dirs.remove(name)
                yield here / name, _not_regular(here / name)
            elif not target.is_relative_to(root):
                dirs.remove(name)
                yield here / name, f"a link to {target}, outside the folder; links are followed only inside it"
            else:
                seen.add(target)
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            target = _resolved(path)
            if target is not None and not target.is_relative_to(root):
                yield path, f"a link to {target}, outside the folder; links are followed only inside it"
            elif target is None or not target.is_file():
                yield path, _not_regular(path)
            else:
                yield path, ""


# Example questions (spaCy, ~50-75 ms a document) are made at index time for the last files of a run only: the
# first view offers the newest documents' examples first; any other version gets its examples computed when first
# offered. A bulk ingest of thousands of articles so skips most of that cost.
EXAMPLES_PER_RUN = 12


def ingest_paths(
    paths: Iterable[Path],
    store: Store,
    settings: Settings,
    progress: Callable[[int, int, FileResult], None] | None = None,
    prefix: str = "",
    chunk_progress: ChunkProgress | None = None,
    page_progress: PageProgress | None = None,
) -> IngestReport:
    """Ingest files and folders; a folder's run also removes the chunks of its files that are gone.

    Call it holding the data directory's writer lock. It first repairs what an interrupted run left (see
    `repair`), then writes each changed file as a new version that becomes visible only once complete, and at
    the end drops unfinished versions that this run did not resume. `progress(done, total, result)` is called
    after each file, `chunk_progress` (see `ChunkProgress`) after each batch of chunks stored, `page_progress`
    after each page of a PDF read.

    Example:
        >>> report = ingest_paths([Path("corpus")], store, settings)  # doctest: +SKIP
        >>> report.summary()  # doctest: +SKIP
        '1 added, 0 unchanged, 0 updated, 0 removed, 0 failed; 7 chunks (7 embedded) in 1.2s'
    """
    began = time.perf_counter()
    embedded_before = getattr(store.embeddings, "texts_embedded", 0)
    orphaned = lost_index(store)  # both the manifest and Chroma gone: the uploads are indexed again too
    report = IngestReport(repaired=repair(store))
    files, report.files = discover(paths, prefix)
    if orphaned:
        files += _lost_uploads(settings, {f.source for f in files}, report)
    indexed = store.documents()
    written: set[str] = set()
    for done, found in enumerate(files, start=1):
        examples = done > len(files) - EXAMPLES_PER_RUN  # the newest: the first view offers theirs first
        known = indexed.get(found.source)
        hooks = (chunk_progress, page_progress)
        result = _ingest_file(found, known, store, settings, report, written, hooks, examples)
        report.files.append(result)
        if progress:
            progress(done, len(files), result)
    roots = {f.root for f in files if f.root}
    present = {f.source for f in files}
    for info in indexed.values():
        if info.root in roots and info.source not in present:
            report.files.append(FileResult(info.source, REMOVED, remove_source(info.source, store)))
    report.repaired += _drop_unfinished(store, keep=written)
    report.chunks_embedded = getattr(store.embeddings, "texts_embedded", 0) - embedded_before
    report.seconds = time.perf_counter() - began
    log.info("ingest: %s", report.summary())
    return report


def _lost_uploads(settings: Settings, named: set[str], report: IngestReport) -> list[Found]:
    """The kept uploads (`uploads/`), to index again after the manifest and the vector store were both lost; the
    repair line says what this run restores and what it cannot."""
    from rag.uploads import UPLOADS_PREFIX, uploads_dir

    folder = uploads_dir(settings)
    kept = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []
    found, skipped = discover(kept, UPLOADS_PREFIX)
    report.files += skipped
    report.repaired.append(
        f"the manifest and the vector store were both lost: indexing again the {len(kept)} uploaded file(s) kept in "
        "uploads/ and the files this run names; documents indexed from other folders come back with `rag ingest "
        "FOLDER`"
    )
    return [f for f in found if f.source not in named]


def remove_source(source: str, store: Store) -> int:
    """Take a document out of the index: hidden at once, then its chunks deleted; returns its chunk count."""
    old = store.manifest.retire(source)
    if old is None:
        return 0
    store.delete_generation(old.gen)
    store.manifest.forget(old.gen)
    return old.chunks


def repair(store: Store) -> list[str]:
    """Finish what an interrupted run left half done, and mend what the index lost; one line for each repair.

    A lost manifest is rebuilt from the vector store first (`rag.integrity.rebuild_manifest`). Old versions whose
    deletion was cut short are deleted. Records of no known version (an index built before the manifest) are
    deleted, so their documents are indexed afresh. Unfinished new versions are left for the ingest to resume;
    `ingest_paths` drops the ones it does not. Live versions that lost chunks or their kept text get them back
    from their files (`refill`).
    """
    lines = rebuild_manifest(store) if lost_manifest(store) else []
    deleting = store.manifest.generations(DELETING)
    for old in deleting:
        store.delete_generation(old.gen)
        store.manifest.forget(old.gen)
    if deleting:
        lines.append(f"finished removing {len(deleting)} replaced or removed version(s) an interrupted run left")
    if not store.manifest.generations(WRITING) and store.stored_count() != store.count():
        stray = store.stray_records()
        store.delete_ids(list(stray))
        older = sorted(set(filter(None, stray.values())))
        if older:
            names = ", ".join(older[:5]) + (f" and {len(older) - 5} more" if len(older) > 5 else "")
            lines.append(
                f"dropped the index of {len(older)} document(s) built by an older version ({names}); the corpus "
                "folder is indexed again now, run `rag ingest` again for the other files"
            )
        elif stray:
            lines.append(f"dropped {len(stray)} chunks of no complete document an interrupted run left")
    lines += drop_retired(store)
    for line in lines:
        log.info("repair: %s", line)
    return lines + refill(store, find_damage(store))


def refill(store: Store, damage: list[Damage]) -> list[str]:
    """Give live versions back what they lost (chunks in Chroma, the kept text) from their files; one line each.

    A file with the same bytes is read and split again, and only the chunks Chroma lacks are embedded, under the
    same version (a repair killed midway is resumed by the next). A file that changed since is indexed as its new
    version; a file that is gone cannot repair its document, which the line says.
    """
    lines = []
    for d in damage:
        g = store.manifest.generation(d.gen)
        path = Path(g.path) if g and g.path else None
        if g is None or path is None or not path.is_file():
            where = f"its file {g.path} is gone" if g and g.path else "its file is not recorded"
            lines.append(f"could not repair {d.describe()}: {where}; ingest it again, or `rag remove {d.source}`")
            continue
        found = Found(path, g.source, g.root or None)
        try:
            print_, document, chunks = _read(found, None, store.settings)  # type: ignore[misc]
        except (IngestError, OSError) as exc:
            lines.append(f"could not repair {d.describe()}: {exc}")
            continue
        if generation_id(g.source, print_) != g.gen:  # the file changed: its new version replaces the damaged one
            version = Generation(generation_id(g.source, print_), g.source, WRITING, print_)
            _write_version(store, found, version, document, chunks, store.document(g.source), IngestReport())
            lines.append(f"indexed {g.source} again from {path}, which changed since: it had lost {d.describe()}")
            continue
        if g.fingerprint != print_:  # a row rebuilt from records that did not carry it
            store.manifest.amend(g.gen, print_, str(path.resolve()), g.root)
        if not d.text:
            store.save_text(g.gen, document.text)
        stored = store.ids_in(g.gen)
        lost = [c for c in (replace(c, id=stored_id(g.gen, c.id)) for c in chunks) if c.id not in stored]
        for _ in store.write(g.gen, lost, version_metadata(g, len(chunks)), {}):
            pass
        done = ([f"re-embedded {len(lost)} lost chunk(s)"] if lost else []) + ([] if d.text else ["restored the text"])
        lines.append(f"{' and '.join(done) or 'checked'} of {g.source} from {path}")
    for line in lines:
        log.info("repair: %s", line)
    return lines


def _drop_unfinished(store: Store, keep: set[str]) -> list[str]:
    dropped = [g for g in store.manifest.generations(WRITING) if g.gen not in keep]
    for g in dropped:
        store.delete_generation(g.gen)
        store.manifest.forget(g.gen)
        log.info("repair: dropped the unfinished version of %s an interrupted run left", g.source)
    return [f"dropped the unfinished version of {g.source} an interrupted run left" for g in dropped]


def _ingest_file(
    found: Found,
    known: DocumentInfo | None,
    store: Store,
    settings: Settings,
    report: IngestReport,
    written: set[str],
    hooks: tuple[ChunkProgress | None, PageProgress | None] = (None, None),
    examples: bool = True,
) -> FileResult:
    chunk_progress, page_progress = hooks
    try:
        read = _read(found, known, settings, page_progress)
    except IngestError as exc:
        log.info("%s failed: %s", found.source, exc)
        return FileResult(found.source, FAILED, reason=str(exc))
    except OSError as exc:
        return FileResult(found.source, FAILED, reason=f"cannot read: {exc.strerror or exc}")
    if read is None:
        return FileResult(found.source, UNCHANGED, known.chunks if known else 0)
    print_, document, chunks = read
    gen = generation_id(found.source, print_)
    if known and gen == known.gen:  # unchanged, in a manifest rebuilt from records that had no fingerprint
        store.manifest.amend(gen, print_, str(found.file.resolve()), found.root or "")
        return FileResult(found.source, UNCHANGED, known.chunks)
    written.add(gen)
    version = Generation(gen, found.source, WRITING, print_)
    _write_version(store, found, version, document, chunks, known, report, chunk_progress, examples)
    return FileResult(found.source, UPDATED if known else ADDED, len(chunks), skipped=document.skipped)


def _read(
    found: Found, known: DocumentInfo | None, settings: Settings, page_progress: PageProgress | None = None
) -> tuple[str, LoadedDocument, list[Chunk]] | None:
    """The file's fingerprint, text and chunks; None when its fingerprint says it is unchanged."""
    check_size(found.file, int(settings.max_file_mb * 1e6))
    data = found.file.read_bytes()
    print_ = fingerprint(data, settings)
    if known and known.fingerprint == print_:
        return None
    max_chars = int(settings.max_text_mb * 1e6)
    on_page = partial(page_progress, found.source) if page_progress else None
    document = load_within(
        settings.max_seconds_per_file, found.file, found.source, data, max_chars, settings.max_pdf_pages, on_page
    )
    return print_, document, split_document(document, settings.chunk_size, settings.chunk_overlap)


def _write_version(
    store: Store,
    found: Found,
    version: Generation,
    document: LoadedDocument,
    chunks: list[Chunk],
    known: DocumentInfo | None,
    report: IngestReport,
    chunk_progress: ChunkProgress | None = None,
    examples: bool = True,
) -> None:
    """Write a new version of a document, make it live, then delete the version it replaces.

    Chunks already stored under this version (a run killed while writing the same bytes) are not written again.
    With `examples`, the version's example questions are made and stored first (see `EXAMPLES_PER_RUN`).
    """
    gen = version.gen
    require_space(store.settings.data_dir, len(chunks), len(document.text), store.settings.min_free_mb)
    chunks = [replace(c, id=stored_id(gen, c.id)) for c in chunks]
    stored = store.ids_in(gen) if store.manifest.generation(gen) else set()
    if stored:
        report.repaired.append(f"resumed {found.source}: {len(stored)} of {len(chunks)} chunks were already stored")
    details = {"title": document.title, "root": found.root or "", "path": str(found.file.resolve())}
    version = replace(version, **details, chunks=len(chunks), chars=len(document.text))
    store.manifest.begin(version)
    store.save_text(gen, document.text)
    if examples:
        store_examples(store, gen, chunks)  # beside the text, before the version goes live
    reuse = store.vectors_of(known.gen) if known else {}
    done = len(stored)
    if chunk_progress:
        chunk_progress(found.source, done, len(chunks))
    extra = version_metadata(version, len(chunks))  # so that a lost manifest can be rebuilt from the records
    for count in store.write(gen, [c for c in chunks if c.id not in stored], extra, reuse):
        done += count
        if chunk_progress:
            chunk_progress(found.source, done, len(chunks))
    old = store.manifest.commit(gen)
    if old is not None:
        store.delete_generation(old.gen)
        store.manifest.forget(old.gen)


def stored_id(gen: str, chunk_id: str) -> str:
    """The id a chunk is stored under: its place and text, and the version of the document it belongs to."""
    return hashlib.sha1(f"{gen}\0{chunk_id}".encode()).hexdigest()[:32]
