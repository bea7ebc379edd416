"""Per-pattern figures of a `rag eval` run of this suite (the `pattern` field is this suite's own; `rag eval`
reports by `kind` and `asks` only).

For each pattern: answerable questions, short answers given, short answers right (`short_correct` of the run),
answers right (`correct`), and the near misses of that pattern with how many were abstained on.

Run: .venv/bin/python eval/distractors/make/by_pattern.py /tmp/dx-report
"""

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PATTERNS = ("roles", "apposition", "units", "duration", "codes", "table")


def main(run: Path) -> int:
    suite = {}
    for line in (HERE / "suite.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            suite[item["id"]] = item
    results = [json.loads(line) for line in (run / "ours" / "results.jsonl").read_text().splitlines() if line]
    count: Counter[tuple[str, str]] = Counter()
    for r in results:
        pattern = suite[r["id"]]["pattern"]
        if r["answerable"]:
            count[pattern, "n"] += 1
            count[pattern, "given"] += r.get("short") is not None
            count[pattern, "short"] += bool(r.get("short_correct"))
            count[pattern, "answer"] += bool(r["correct"])
        else:
            count[pattern, "near"] += 1
            count[pattern, "abstained"] += bool(r["abstained"])
    print("| pattern | answerable | short answer given | short answer right | answer right | near misses abstained |")
    print("|---|---|---|---|---|---|")
    for p in (*PATTERNS, "all"):

        def c(key, p=p):
            return sum(count[q, key] for q in PATTERNS) if p == "all" else count[p, key]

        print(
            f"| {p} | {c('n')} | {c('given')} | {c('short')} ({c('short') / c('n'):.2f}) | {c('answer')} | "
            f"{c('abstained')} of {c('near')} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/dx-report")))
