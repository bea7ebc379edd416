"""How many PDF pages a second the PDF loader reads, against the pypdf extraction it replaced, on the same files in
one run.

For each file and each reader the best of `--runs` timings (the least disturbed by whatever else the shared machine
runs) gives pages per second:
- `pypdf`: the old loader's extraction (`page.extract_text()` page by page, with its heading guess), copied here;
- `new`: `rag.ingest.pdf.load_pdf`, which reads glyphs and rules with pypdfium2 and rebuilds the layout;
- `plumber` (with `--plumber`): pdfplumber parsing every page for its words with font sizes and its tables, the
  first design considered, for reference.
A totals line sums the pages and the times of all files. Leaves out OCR: a scanned page is timed as whatever the
loader does with it, which with OCR installed is seconds a page.

    python -m bench.pdf_pages eval/realdocs/corpus/*.pdf
    python -m bench.pdf_pages --runs 5 --plumber big.pdf
"""

from __future__ import annotations

import argparse
import io
import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from rag.ingest.loaders import CLOSING, Limits, looks_like_heading_line
from rag.ingest.pdf import load_pdf

Reader = Callable[[bytes], int]


def pypdf_pages(data: bytes) -> int:
    """The old loader's `_read_pdf`: pypdf's text of each page, its title and headings set off (`_pdf_page`)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    title = str((reader.metadata or {}).get("/Title") or "").strip()
    parts, headings, offset = [], [], 0
    for number, page in enumerate(reader.pages, start=1):
        page_text, page_headings = _pdf_page((page.extract_text() or "").strip(), title, first=number == 1)
        headings += [(offset + start, offset + end, level) for start, end, level in page_headings]
        parts.append(page_text)
        offset += len(page_text) + 2
    "\n\n".join(parts)
    return len(reader.pages)


def _pdf_page(text: str, title: str, first: bool) -> tuple[str, list[tuple[int, int, int]]]:
    """The old loader's, as it was."""
    lines = text.split("\n")
    widest = max(len(line.strip()) for line in lines)
    out, headings, length, apart = [], [], 0, False
    for i, line in enumerate(lines):
        level = _pdf_heading_level(lines, i, widest, title, first)
        piece = line.strip() if level else line
        joint = "" if not i else "\n\n" if level or apart else "\n"
        if level:
            headings.append((length + len(joint), length + len(joint) + len(piece), level))
        out.append(joint + piece)
        length += len(joint) + len(piece)
        closed = piece.rstrip().endswith(CLOSING) and len(piece.strip()) < 0.8 * widest
        apart = bool(level) or closed
    return "".join(out), headings


def _pdf_heading_level(lines: list[str], i: int, widest: int, title: str, first: bool) -> int:
    """The old loader's, as it was."""
    line = lines[i].strip()
    if title and " ".join(line.split()).lower() == " ".join(title.split()).lower():
        return int(first)
    if i + 1 >= len(lines) or not looks_like_heading_line(line) or len(line) > 0.7 * widest:
        return 0
    before = lines[i - 1].strip() if i else ""
    if before and not before.endswith(CLOSING) and not looks_like_heading_line(before):
        return 0
    return 1 if first and i == 0 else 2


def new_pages(data: bytes) -> int:
    extracted = load_pdf(data, Path("bench.pdf"), Limits())
    return len({page for _, page in extracted.pages})


def plumber_pages(data: bytes) -> int:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_words(extra_attrs=["size", "fontname"])
            page.find_tables()
            page.close()
        return len(pdf.pages)


def best_time(read: Reader, data: bytes, runs: int) -> tuple[float, int]:
    """The least time of `runs` reads, and the page count the reader reports."""
    best, pages = float("inf"), 0
    for _ in range(runs):
        began = time.perf_counter()
        pages = read(data)
        best = min(best, time.perf_counter() - began)
    return best, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdfs", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=3, help="timings per file and reader; the best counts")
    parser.add_argument("--plumber", action="store_true", help="also time pdfplumber's words and tables")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # pypdf's and pdfminer's chatter about damaged files
    warnings.simplefilter("ignore")
    from pypdf import PdfReader

    readers: dict[str, Reader] = {"pypdf": pypdf_pages, "new": new_pages}
    if args.plumber:
        readers["plumber"] = plumber_pages
    totals = {name: [0.0, 0] for name in readers}
    print(f"{'file':44} {'pages':>5}  " + "  ".join(f"{name + ' p/s':>11}" for name in readers))
    for path in args.pdfs:
        data = path.read_bytes()
        pages = len(PdfReader(io.BytesIO(data)).pages)
        cells = []
        for name, read in readers.items():
            seconds, _ = best_time(read, data, args.runs)
            totals[name][0] += seconds
            totals[name][1] += pages
            cells.append(f"{pages / seconds:11.1f}")
        print(f"{path.name[:44]:44} {pages:5}  " + "  ".join(cells))
    pages = next(iter(totals.values()))[1]
    print(f"{'all files':44} {pages:5}  " + "  ".join(f"{count / seconds:11.1f}" for seconds, count in totals.values()))


if __name__ == "__main__":
    main()
