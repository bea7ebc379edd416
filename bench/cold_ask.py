"""Cold-start cost of the `rag` command: wall time and peak RSS of whole processes, median of a few runs.

Measures, in one session (the machine is noisy, so compare figures from one run of this script only):
- the baseline `python -c "import torch, sentence_transformers"`, what embedding the question cost before
  `rag.embed_fast` (which embeds it with numpy; `rag ask` imports neither now);
- `rag --help`, `rag sources` and `rag ask QUESTION` on an existing index (built first with `rag ingest corpus`
  when DIR holds none), run in DIR (which holds no corpus/ folder, so the answer is timed without a corpus check);
- with `--compare-with DIR`, the same commands with the `rag` package found in DIR first, e.g. an older commit
  exported with `git archive COMMIT rag | tar -x -C DIR` (nothing in the checkout changes).

Each child's peak RSS comes from `os.wait4` (ru_maxrss, per child). Usage:
    .venv/bin/python bench/cold_ask.py [--runs 3] [--data-dir /tmp/cold-data] [--compare-with /tmp/rag-before]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Who signed the agreement on behalf of Ukraine?"
RAG = "import sys; from rag.cli import main; sys.exit(main())"  # what the `rag` script runs


def measure(command: Sequence[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of `command`; fails loudly when it fails."""
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode()
    process.stderr.close()
    if process.returncode != 0:
        msg = f"{' '.join(command)} exited with {process.returncode}: {error[-500:]}"
        raise SystemExit(msg)
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in kB on Linux


def report(commands: dict[str, list[str]], envs: dict[str, dict[str, str]], runs: int, cwd: Path) -> None:
    """Run each command under each environment `runs` times, interleaved (so that load from other processes falls
    on all alike), in `cwd`, and print the median and every run."""
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(runs):
        for name, command in commands.items():
            for version, env in envs.items():
                results.setdefault((name, version), []).append(measure(command, env, cwd))
    for (name, version), found in results.items():
        walls = ", ".join(f"{w:.2f}" for w, _ in found)
        rss = ", ".join(f"{r:.0f}" for _, r in found)
        label = f"{name} ({version})" if len(envs) > 1 else name
        print(
            f"{label:48} wall {statistics.median(w for w, _ in found):6.2f} s ({walls})   "
            f"peak RSS {statistics.median(r for _, r in found):4.0f} MB ({rss})"
        )


def environment(package_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env |= {"HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    if package_dir is not None:
        env["PYTHONPATH"] = str(package_dir)
    return env


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/cold-data"))
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--compare-with", type=Path, help="a folder holding another version's rag/ package")
    args = parser.parse_args(argv)
    python = sys.executable
    if not (args.data_dir / "manifest.sqlite3").exists():
        print(f"indexing {ROOT / 'corpus'} into {args.data_dir} first", file=sys.stderr)
        ingest = [python, "-P", "-c", RAG, "ingest", str(ROOT / "corpus"), "--data-dir", str(args.data_dir)]
        subprocess.run(ingest, cwd=ROOT, env=environment(None), check=True)
    print(f"{args.runs} runs each: median (each run); {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    data = ["--data-dir", str(args.data_dir)]
    rag = [python, "-P", "-c", RAG]  # -P: the rag package from the environment (or PYTHONPATH), not the cwd
    commands = {
        "import torch, sentence_transformers": [python, "-P", "-c", "import torch, sentence_transformers"],
        "rag --help": [*rag, "--help"],
        "rag sources": [*rag, "sources", *data],
        "rag ask": [*rag, "ask", args.question, *data],
    }
    envs = {"this version": environment(None)}
    if args.compare_with:
        envs[f"rag/ from {args.compare_with}"] = environment(args.compare_with)
    report(commands, envs, args.runs, cwd=args.data_dir)  # a folder without corpus/: no version syncs one
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
