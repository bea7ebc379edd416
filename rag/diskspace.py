"""Free space on the data directory's disk: checked before a document is written, and named when a write failed.

Owns the estimate of what one document's version needs on disk, the refusal to start writing it when the disk
would keep less than `Settings.min_free_mb`, and telling a failure that came from a full disk (ENOSPC, SQLite's
"disk is full", or Chroma's compaction failing with the disk nearly full) from others. Leaves out where the writes
happen (`rag.ingest.indexer`, `rag.store`) and printing (`rag.cli`).
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from rag.errors import DiskFullError

# What a stored chunk takes, all parts counted (its vector and sentence vectors, text and metadata in Chroma's
# SQLite with its log, the HNSW index), measured on the seed corpus with room to spare; the kept text is extra.
BYTES_PER_CHUNK = 16_000
NEARLY_FULL_MB = 8.0  # a write that failed with less free than this failed for want of space
_FULL_WORDS = ("no space left", "disk is full", "database or disk is full", "(code: 13)")


def free_mb(path: Path) -> float:
    """Free megabytes on the disk holding `path` (or its nearest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free / 1e6


def require_space(data_dir: Path, chunks: int, text_chars: int, keep_mb: float) -> None:
    """Refuse (`DiskFullError`) to write a version of `chunks` chunks when the disk would keep under `keep_mb` free."""
    need_mb = (chunks * BYTES_PER_CHUNK + 2 * text_chars) / 1e6
    free = free_mb(data_dir)
    if free - need_mb < keep_mb:
        raise DiskFullError(full_message(data_dir, free, need_mb + keep_mb))


def full_message(data_dir: Path, free: float, need_mb: float) -> str:
    return (
        f"no space left on the disk of {data_dir} ({free:.0f} MB free): free at least {need_mb - free + 1:.0f} MB and "
        "run the same command again; nothing indexed was lost"
    )


def out_of_space(exc: BaseException, data_dir: Path) -> str:
    """The message for a failure that came from a full disk, or "" for any other failure."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    full = any(
        getattr(e, "errno", None) == errno.ENOSPC or any(w in str(e).lower() for w in _FULL_WORDS) for e in chain
    )
    free = free_mb(data_dir)
    if full or free < NEARLY_FULL_MB:
        return full_message(data_dir, free, NEARLY_FULL_MB * 4)
    return ""
