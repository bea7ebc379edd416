"""Check suite.jsonl against corpus/ (mirrors eval/realdocs/make/check_suite.py, for plain text and Markdown).

Every expected string of an answerable item must appear, whole, inside one line of one of the item's sources
(case-insensitive, whitespace-normalised; a Markdown table row is one line), so that no expected string spans a
line break or a cell boundary. Also checks the fields: unique ids, `kind` prose/table, `asks` on every answerable
item and on no unanswerable one, `pattern` one of PATTERNS, sources that exist. Warns (without failing) when an
expected figure also occurs inside a longer figure of its source ("12" inside "412"), since the metrics match
expected strings as substrings. Prints counts by pattern, asks and answerability; exits 1 on any problem.

Run: .venv/bin/python eval/distractors/make/check_suite.py
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CORPUS = HERE / "corpus"
KINDS = {"prose", "table"}
ASKS = {"person", "organization", "place", "date", "number"}
PATTERNS = ("roles", "apposition", "units", "duration", "codes", "table")


def fold(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').lower().split())


def main() -> int:
    problems, warnings = [], []
    items = [
        json.loads(line) for line in (HERE / "suite.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    ids = Counter(item["id"] for item in items)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    questions = Counter(fold(item["question"]) for item in items)
    problems += [f"duplicate question {q!r}" for q, n in questions.items() if n > 1]
    for item in items:
        where = item["id"]
        if item.get("kind") not in KINDS:
            problems.append(f"{where}: kind {item.get('kind')!r}")
        if item.get("pattern") not in PATTERNS:
            problems.append(f"{where}: pattern {item.get('pattern')!r}")
        if not item.get("sources"):
            problems.append(f"{where}: no sources")
        for source in item.get("sources", []):
            if not (CORPUS / source).is_file():
                problems.append(f"{where}: no such source {source}")
        if not item["answerable"]:
            if item["expected"] or "asks" in item:
                problems.append(f"{where}: unanswerable item with expected strings or asks")
            continue
        if item.get("asks") not in ASKS:
            problems.append(f"{where}: asks {item.get('asks')!r}")
        if not item["expected"]:
            problems.append(f"{where}: answerable item without expected strings")
        texts = [
            fold(line)
            for s in item.get("sources", [])
            if (CORPUS / s).is_file()
            for line in (CORPUS / s).read_text(encoding="utf-8").splitlines()
        ]
        whole = " \n ".join(texts)
        for group in item["expected"]:
            if not any(fold(alt) and any(fold(alt) in t for t in texts) for alt in group):
                problems.append(f"{where}: none of {group} is inside one line of {item['sources']}")
            for alt in group:
                if re.fullmatch(r"[\d.,]+", alt):
                    figures = {m.group() for m in re.finditer(r"\d[\d.,]*\d|\d", whole)}
                    inside = sorted(f for f in figures if alt in f and f != alt)
                    if inside:
                        warnings.append(f"{where}: expected {alt!r} also occurs inside {inside} in its source")
    answerable = [i for i in items if i["answerable"]]
    unanswerable = [i for i in items if not i["answerable"]]
    print(f"{len(items)} items: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
    print(f"{'pattern':11} {'answerable':>10} {'unanswerable':>12}   asks (answerable)")
    for pattern in PATTERNS:
        a = [i for i in answerable if i.get("pattern") == pattern]
        u = sum(i.get("pattern") == pattern for i in unanswerable)
        asks = ", ".join(f"{k} {n}" for k, n in sorted(Counter(i.get("asks") for i in a).items()))
        print(f"{pattern:11} {len(a):>10} {u:>12}   {asks}")
    print("asks:", ", ".join(f"{k} {n}" for k, n in sorted(Counter(i.get("asks") for i in answerable).items())))
    print(
        "kind (answerable / unanswerable):",
        ", ".join(
            f"{k} {sum(i['kind'] == k for i in answerable)} / {sum(i['kind'] == k for i in unanswerable)}"
            for k in sorted(KINDS)
        ),
    )
    print("by source:")
    for source, n in sorted(Counter(s for i in items for s in i.get("sources", [])).items()):
        print(f"  {n:3}  {source}")
    for w in warnings:
        print("WARNING", w)
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
