"""Check suite.jsonl against corpus/: every expected string of an answerable item must appear, whole, inside one line,
paragraph, table cell or HTML text node of one of the item's sources (case-insensitive, whitespace-normalised), so
that no expected string spans a line break, a cell boundary or markup. Scanned pages are checked against the source
text in sources/ (what the scan shows). Prints counts by kind and answerability; exits 1 on any problem.

Needs pdftotext (Debian's poppler-utils) and python-docx. Run: .venv/bin/python eval/realdocs/make/check_suite.py
"""

import json
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CORPUS = HERE / "corpus"
SOURCES = HERE / "sources"
KINDS = {"prose", "table", "list", "heading"}
# Pages that are images only: their visible text is kept in sources/.
SCANNED = {
    "scan-harbour-notice.pdf": [SOURCES / "scan.txt"],
    "parish-council-minutes-2024-03.pdf": [SOURCES / "mixed-page2.txt"],
}


def fold(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').lower().split())


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(data)


def units(name: str) -> list[str]:
    path = CORPUS / name
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        out = []
        for mode in ([], ["-layout"]):
            text = subprocess.run(
                ["pdftotext", *mode, str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            out += text.splitlines()
        for extra in SCANNED.get(name, []):
            out += extra.read_text(encoding="utf-8").splitlines()
        return out
    if suffix == ".docx":
        from docx import Document

        doc = Document(str(path))
        out = [p.text for p in doc.paragraphs]
        out += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
        return out
    if suffix in (".html", ".htm"):
        parser = _Visible()
        parser.feed(path.read_text(encoding="utf-8"))
        return parser.nodes
    return path.read_text(encoding="utf-8").splitlines()


def main() -> int:
    problems = []
    items = [
        json.loads(line) for line in (HERE / "suite.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    ids = Counter(item["id"] for item in items)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    cache: dict[str, list[str]] = {}
    for item in items:
        where = item["id"]
        if item.get("kind") not in KINDS:
            problems.append(f"{where}: kind {item.get('kind')!r}")
        for source in item.get("sources", []):
            if not (CORPUS / source).is_file():
                problems.append(f"{where}: no such source {source}")
        if not item["answerable"]:
            if item["expected"]:
                problems.append(f"{where}: unanswerable item with expected strings")
            continue
        if not item["expected"]:
            problems.append(f"{where}: answerable item without expected strings")
        texts = []
        for source in item.get("sources", []):
            if source not in cache:
                cache[source] = [fold(u) for u in units(source)]
            texts += cache[source]
        for group in item["expected"]:
            if not any(fold(alt) and any(fold(alt) in t for t in texts) for alt in group):
                problems.append(f"{where}: none of {group} is inside one line/cell/node of {item['sources']}")
    answerable = [i for i in items if i["answerable"]]
    table_list = sum(i["kind"] in ("table", "list") for i in answerable)
    print(
        f"{len(items)} items: {len(answerable)} answerable, {len(items) - len(answerable)} unanswerable "
        f"({(len(items) - len(answerable)) / len(items):.0%}); answerable table/list {table_list} "
        f"({table_list / len(answerable):.0%})"
    )
    print("by kind (answerable / unanswerable):")
    for kind in sorted(KINDS):
        a = sum(i["kind"] == kind for i in answerable)
        u = sum(i["kind"] == kind and not i["answerable"] for i in items)
        print(f"  {kind:8} {a:3} / {u}")
    print("by source:")
    for source, n in sorted(Counter(s for i in items for s in i.get("sources", [])).items()):
        print(f"  {n:3}  {source}")
    for p in problems:
        print("PROBLEM", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
