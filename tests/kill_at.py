"""Run the `rag` command and SIGKILL it right after its Nth call of a Chroma write (`upsert` or `delete`).

    python -m tests.kill_at upsert 1 ingest FOLDER --data-dir D

The kill is real: the process dies at that point without running any cleanup, as it would under `kill -9` or a
power cut. Used by tests/test_crash_safety.py to cut an ingest or a removal at chosen points. With
`KILL_AT_SIGNAL=SIGINT` in the environment it sends itself that signal instead (a Ctrl-C at a known point).
"""

from __future__ import annotations

import os
import signal
import sys

from chromadb.api.models.Collection import Collection

from rag.cli import main


def kill_after(method: str, calls: int) -> None:
    real = getattr(Collection, method)
    count = 0

    def wrapped(self, *args, **kwargs):
        nonlocal count
        result = real(self, *args, **kwargs)
        count += 1
        if count >= calls:
            os.kill(os.getpid(), getattr(signal, os.environ.get("KILL_AT_SIGNAL", "SIGKILL")))
        return result

    setattr(Collection, method, wrapped)


if __name__ == "__main__":
    kill_after(sys.argv[1], int(sys.argv[2]))
    sys.exit(main(sys.argv[3:]))
