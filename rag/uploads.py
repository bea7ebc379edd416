"""Files uploaded from the chat page: the server-side checks, and the copies kept in the data directory.

Owns the allow-list (the suffixes ingestion supports) and the size cap (`Settings.max_file_mb`) applied to every
uploaded file before anything is ingested, a file name that stays a plain name, and the `uploads/` folder inside
the data directory where accepted files are copied under their original name (so citations name them). Leaves out
ingestion itself (`Assistant.ingest`) and how results are shown (`ui.render`).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from rag.config import Settings
from rag.ingest.indexer import FAILED, REMOVED
from rag.ingest.loaders import SUPPORTED_SUFFIXES
from rag.store import DocumentInfo

log = logging.getLogger(__name__)

UPLOADS = "uploads"
UPLOADS_PREFIX = f"{UPLOADS}/"  # uploads are indexed as uploads/NAME, apart from every corpus document
REMOVED_DETAIL = "removed from the index"

Row = tuple[str, str, str]  # a row of the upload results table: file name, status, detail


class UploadRefused(ValueError):
    """An uploaded file was refused before ingestion; `reason` says why and what is allowed."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: refused: {reason}")
        self.name = name
        self.reason = reason


def uploads_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / UPLOADS


def original_name(path: Path | str) -> str:
    """The file's own name, without any folder (Gradio keeps the original name as the last path part)."""
    return Path(str(path).replace("\\", "/")).name


def check_upload(path: Path, settings: Settings) -> str:
    """The plain name the file will be indexed under, or `UploadRefused` with the reason.

    Refuses names that are empty or hidden, types outside `SUPPORTED_SUFFIXES` and files over the size cap.
    """
    name = original_name(path)
    if not name or name.startswith("."):
        raise UploadRefused(name or "(no name)", "hidden or empty file names are not accepted")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"{suffix} files are" if suffix else "files without an extension are"
        raise UploadRefused(name, f"{kind} not accepted; allowed: {', '.join(SUPPORTED_SUFFIXES)}")
    size = Path(path).stat().st_size
    cap = int(settings.max_file_mb * 1e6)
    if size > cap:
        raise UploadRefused(name, f"the file is {_size(size)}, over the {_size(cap)} upload cap (RAG_MAX_FILE_MB)")
    return name


def save_upload(path: Path, name: str, settings: Settings) -> tuple[Path, Path | None]:
    """Copy an accepted upload into the data directory's `uploads/` folder under `name`.

    Returns the copy and, when a file of that name was there already, where the earlier one was set aside
    (see `restore_or_drop`), so that a failed ingestion leaves the indexed file as it was. The copy is written
    under a hidden name and renamed when whole: a copy that fails (a full disk) leaves no partial file and the
    earlier file in place.
    """
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / f".partial-{name}"
    try:
        shutil.copyfile(path, partial)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    previous = None
    if target.exists():
        previous = folder / f".previous-{name}"
        target.replace(previous)
    partial.replace(target)
    return target, previous


def drop_cached(path: Path) -> None:
    """Delete Gradio's cached copy of an upload once it is handled (kept in `uploads/`, or refused): the page's
    file route would otherwise serve it on, even after the document is removed. Files elsewhere are left alone."""
    from gradio.utils import get_upload_folder

    cache = Path(get_upload_folder()).resolve()
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        return
    if resolved.is_relative_to(cache) and resolved != cache:
        resolved.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the hash folder Gradio made for it, when now empty
            if resolved.parent != cache:
                resolved.parent.rmdir()


def restore_or_drop(copy: Path, previous: Path | None, ok: bool) -> None:
    """After ingestion: drop the set-aside earlier file when it went well, else put it back (or drop the copy)."""
    if ok:
        if previous is not None:
            previous.unlink(missing_ok=True)
    elif previous is not None:
        previous.replace(copy)
    else:
        copy.unlink(missing_ok=True)


def forget_upload(info: DocumentInfo | None, settings: Settings) -> None:
    """Delete the kept copy of an uploaded document once it is removed from the index (other files stay)."""
    if info is None or not info.path:
        return
    path = Path(info.path)
    if path.parent.resolve() == uploads_dir(settings).resolve() and path.is_file():
        path.unlink()
        log.info("deleted the uploaded copy %s", path)


def mark_removed(rows: Sequence[Row], source: str) -> list[Row] | None:
    """The upload results `rows` with the upload indexed as `source` marked removed; None when no row is it.

    Example:
        >>> mark_removed([("a.md", "added", "1 chunk"), ("b.md", "added", "2 chunks")], "uploads/b.md")
        [('a.md', 'added', '1 chunk'), ('b.md', 'removed', 'removed from the index')]
    """
    hit = [i for i, (name, status, _) in enumerate(rows) if UPLOADS_PREFIX + name == source and status != FAILED]
    if not hit:
        return None
    return [(row[0], REMOVED, REMOVED_DETAIL) if i in hit else tuple(row) for i, row in enumerate(rows)]


def _size(size: int) -> str:
    """A file size for people: 512 bytes, 2.3 kB, 25.0 MB."""
    if size < 1000:
        return f"{size} bytes"
    return f"{size / 1e3:.1f} kB" if size < 1e6 else f"{size / 1e6:.1f} MB"
