"""A full disk stops `rag ingest` with one line that says so and what to do; nothing indexed is lost, and the run
after space is freed ends in the index a clean ingest makes (#30). On a small tmpfs, the real Chroma store."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ENV = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
}
WORDS = ("bridge", "canal", "river", "lock", "water", "engineer", "stone", "iron", "coal", "wool", "trade", "railway")
FULL = "no space left on the disk of"


def rag(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args, "--data-dir", str(data)],
        cwd=data.parent.parent,
        env=ENV | env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB tmpfs at tmp_path/disk (skipped where mounting is not allowed)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the disk-full test needs one")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def make_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "first.txt").write_text("The Orchid Bridge is 740 metres long and opened in 1998.\n", encoding="utf-8")
    rng = random.Random(7)
    for i in range(6):
        paragraphs = (" ".join(rng.choice(WORDS) for _ in range(60)).capitalize() + "." for _ in range(120))
        (folder / f"doc{i}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return folder


def fill(disk: Path, leave_mb: float) -> Path:
    """A file that leaves about `leave_mb` free on the disk."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(filler, "wb") as out:
        out.truncate(0)
        out.write(b"\0" * max(0, int(free - leave_mb * 1e6)))
    return filler


def assert_one_line(done: subprocess.CompletedProcess, *words: str) -> None:
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip() and "repaired" not in line]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert any(all(w in line for w in words) for line in lines), lines


def test_a_full_disk_stops_ingest_with_the_space_message_and_loses_nothing(small_disk, tmp_path):
    corpus = make_corpus(tmp_path / "corpus")
    data = small_disk / "data"
    assert rag(data, "ingest", str(corpus / "first.txt")).returncode == 0

    filler = fill(small_disk, leave_mb=20)  # under the 32 MB kept free: refused before anything is written
    stopped = rag(data, "ingest", str(corpus))
    assert_one_line(stopped, FULL, "run the same command again; nothing indexed was lost")
    assert "1 document(s)" in rag(data, "check").stdout  # the earlier document is whole
    asked = rag(data, "ask", "How long is the Orchid Bridge?", "--corpus", str(tmp_path / "none"))
    assert asked.returncode == 0 and "740 metres" in asked.stdout, asked.stderr

    filler.unlink()
    filler = fill(small_disk, leave_mb=1)  # nothing kept free: the writes themselves fail for want of space
    failed = rag(data, "ingest", str(corpus), RAG_MIN_FREE_MB="0")
    assert_one_line(failed, FULL)

    filler.unlink()
    resumed = rag(data, "ingest", str(corpus))
    assert resumed.returncode == 0, resumed.stderr
    clean = tmp_path / "clean" / "data"
    assert rag(clean, "ingest", str(corpus)).returncode == 0
    assert rag(data, "sources").stdout == rag(clean, "sources").stdout
    assert "ok: 7 document(s)" in rag(data, "check").stdout
