"""OCR engines compared on made scans: character accuracy and pages per second on this machine.

Renders one A4 page of known text (a heading, paragraphs with a hyphenated line end, a bullet list, a numbered
list, numbers such as "6,200" and "£2.4 million") with Pillow at 300 dpi, at 200 dpi, and at 300 dpi greyed, blurred
and noisy, like a poor photocopy; OCRs each with RapidOCR (`rapidocr-onnxruntime`, PP-OCRv4 models inside its wheel)
and with Tesseract (Debian's `tesseract-ocr`, `tesseract-ocr-eng`) as `rag.ingest.ocr` runs it, and prints, per engine
and scan, the character accuracy of the lines read (1 − edit distance / reference length, on whitespace-normalised
text, lines in reading order) and the wall and CPU seconds per page (CPU time counts Tesseract's process too, and
is the steadier figure on a shared machine). It then prints the accuracy of the whole path (`read_page_image`:
paragraphs joined, hyphenation undone, bullets dropped) against the page's logical text. An engine that is not
installed is reported and skipped: RapidOCR is no dependency of the project (`.venv/bin/pip install
rapidocr-onnxruntime` to compare). Leaves out layout quality beyond reading order (`tests/test_ocr.py`).

    .venv/bin/python -m bench.ocr                # every scan, each OCRed --runs times (2), both engines
    .venv/bin/python -m bench.ocr --save /tmp/scans   # also keep the scans as PNG files to look at
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

A4_INCHES = (8.27, 11.69)
MARGIN_INCHES = 1.0

HEADING = "Reservoir Capacity Review 2024"
SUBHEADING = "Costs and funding"
# Each paragraph as the lines it is printed in: a scan's line breaks are known, so the raw reading order can be
# scored line by line. "catch-" / "ment" is a word hyphenated at a line end.
PARAGRAPHS = (
    (
        "The water board surveyed its five upland reservoirs between March and",
        "September. Millbeck, the largest, holds 6,200 megalitres when full and",
        "supplied 41% of the district's water last year. The survey found that",
        "two of the older dams need repairs before the winter storms arrive.",
    ),
    (
        "Rainfall over the catchment was 12% below the thirty-year average, and",
        "storage fell to 68% in August. Customers were asked to save water, and",
        "demand dropped by 9 million litres a day during the hosepipe ban. The",
        "board expects the catch-",
        "ment to recover fully by the end of next spring if rainfall is normal.",
    ),
)
COSTS = (
    "Repairs to the spillway at Ashby Reservoir are estimated at £2.4 million,",
    "of which the regional fund will pay £1.1 million. Work is due to begin on",
    "14 April 2025 and should take about eighteen weeks to complete.",
)
BULLETS = (
    "• Millbeck: 6,200 Ml, built 1902, in good condition.",
    "• Ashby: 3,450 Ml, built 1911, spillway repairs needed.",
    "• Thornfield: 1,875 Ml, built 1938, minor maintenance only.",
)
STEPS = (
    "1. Inspect every dam twice a year.",
    "2. Replace the Ashby spillway gates by 2026.",
)


@dataclass(frozen=True)
class Line:
    text: str
    size: float  # points
    bold: bool = False
    indent: float = 0.0  # inches
    gap: float = 0.0  # extra space above, in lines


def page_lines() -> list[Line]:
    """The sample page, line by line, as printed."""
    lines = [Line(HEADING, 18, bold=True)]
    lines += [Line(text, 11, gap=0.9 if i == 0 else 0) for i, text in enumerate(PARAGRAPHS[0])]
    lines += [Line(text, 11, indent=0.25, gap=0.6 if i == 0 else 0) for i, text in enumerate(BULLETS)]
    lines += [Line(SUBHEADING, 14, bold=True, gap=1.0)]
    lines += [Line(text, 11, gap=0.6 if i == 0 else 0) for i, text in enumerate(COSTS)]
    lines += [Line(text, 11, indent=0.25, gap=0.6 if i == 0 else 0) for i, text in enumerate(STEPS)]
    lines += [Line(text, 11, gap=0.9 if i == 0 else 0) for i, text in enumerate(PARAGRAPHS[1])]
    return lines


def printed_text() -> str:
    """The page's lines in reading order, joined by spaces: what a raw OCR of it should read."""
    return " ".join(line.text for line in page_lines())


def logical_text() -> str:
    """The page as the document it shows: hyphenation undone, each block once (what `read_page_image` should give)."""
    second = " ".join(PARAGRAPHS[1]).replace("catch- ment", "catchment")
    items = [bullet.removeprefix("• ") for bullet in BULLETS]  # a list item's bullet is dropped, its number kept
    parts = [HEADING, " ".join(PARAGRAPHS[0]), *items, SUBHEADING, " ".join(COSTS), *STEPS, second]
    return " ".join(parts)


def font_path(bold: bool = False) -> str:
    """Bitstream Vera from reportlab (a dev dependency), so that the scans look the same on every machine."""
    import reportlab

    return str(Path(reportlab.__file__).parent / "fonts" / ("VeraBd.ttf" if bold else "Vera.ttf"))


def render(lines: Sequence[Line], dpi: int) -> Image.Image:
    """`lines` printed on a white A4 page at `dpi`, as a greyscale image."""
    width, height = (round(inches * dpi) for inches in A4_INCHES)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    y = MARGIN_INCHES * dpi
    for line in lines:
        pixels = line.size * dpi / 72
        y += line.gap * pixels * 1.3
        font = ImageFont.truetype(font_path(line.bold), round(pixels))
        draw.text(((MARGIN_INCHES + line.indent) * dpi, y), line.text, font=font, fill=0)
        y += pixels * 1.3
    return page


def degrade(image: Image.Image) -> Image.Image:
    """A poor copy: grey ink on grey paper, a slight blur, speckle noise."""
    grey = image.point(lambda v: 70 + v * (210 - 70) // 255).filter(ImageFilter.GaussianBlur(1.2))
    return Image.blend(grey, Image.effect_noise(grey.size, 60), 0.2)


CLEAN = "300 dpi clean"


def scans() -> dict[str, Image.Image]:
    """The scans the bench reads, by name."""
    lines = page_lines()
    clean = render(lines, 300)
    return {CLEAN: clean, "200 dpi clean": render(lines, 200), "300 dpi grey+noise": degrade(clean)}


def edit_distance(a: str, b: str) -> int:
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        return _levenshtein(a, b)
    return Levenshtein.distance(a, b)


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def accuracy(read: str, reference: str) -> float:
    """1 − edit distance / reference length, on whitespace-normalised text (can go below 0 for garbage)."""
    read, reference = " ".join(read.split()), " ".join(reference.split())
    return 1 - edit_distance(read, reference) / max(len(reference), 1)


# Each engine as a function from a page image to its lines' text in reading order.


def tesseract_reader() -> Callable[[Image.Image], list[str]]:
    """Tesseract exactly as `rag.ingest.ocr` runs it (one thread, orientation detection, hOCR)."""
    from rag.errors import IngestError
    from rag.ingest import ocr

    try:
        ocr._engine()
    except IngestError as exc:
        raise ImportError(str(exc)) from None
    return lambda image: [line.text for line in ocr.ocr_lines(image)]


def rapidocr_reader() -> Callable[[Image.Image], list[str]]:
    """RapidOCR in its best setting found: its text-direction classifier off (on, it turned a line upside down and
    lost three at 300 dpi), all cores (onnxruntime's default)."""
    import numpy as np
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(use_cls=False)

    def read(image: Image.Image) -> list[str]:
        result, _ = engine(np.asarray(image.convert("RGB")))
        return [text for _, text, _ in result or []]  # in its reading order: top to bottom, left to right

    return read


ENGINES = {"tesseract": tesseract_reader, "rapidocr": rapidocr_reader}


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # this process's and its children's (Tesseract runs as one)

    @classmethod
    def since(cls, began: tuple[float, float]) -> Timing:
        wall, cpu = _clock()
        return cls(wall - began[0], cpu - began[1])


def _clock() -> tuple[float, float]:
    times = os.times()
    return time.perf_counter(), times.user + times.system + times.children_user + times.children_system


def bench_engine(name: str, pages: dict[str, Image.Image], runs: int) -> None:
    """One engine over every scan: accuracy of the lines it reads, and its wall and CPU seconds per page."""
    try:
        read = ENGINES[name]()
    except ImportError as exc:
        print(f"{name}: not installed ({exc})")
        return
    read(pages[CLEAN])  # warm-up: the first call loads models and fills caches
    wall = cpu = 0.0
    for scan, image in pages.items():
        began = _clock()
        for _ in range(runs):
            lines = read(image)
        timing = Timing.since(began)
        wall, cpu = wall + timing.wall, cpu + timing.cpu
        score = accuracy(" ".join(lines), printed_text())
        per_page = f"{timing.wall / runs:5.2f} s/page  {timing.cpu / runs:5.2f} CPU-s/page"
        print(f"{name:10} {scan:20} accuracy {score:6.1%}  {per_page}")
    count = runs * len(pages)
    print(f"{name:10} {'all scans':20} {count / wall:.2f} pages/s ({count / cpu:.2f} per CPU-second)")


def bench_pipeline(pages: dict[str, Image.Image]) -> None:
    """`read_page_image` (the engine, then paragraphs, headings, lists, hyphenation) against the page's logical text."""
    from rag.errors import IngestError
    from rag.ingest.blocks import TextBuilder
    from rag.ingest.ocr import ENGINE, read_page_image

    for scan, image in pages.items():
        builder = TextBuilder()
        builder.page(1)
        try:
            read_page_image(builder, image, 1)
        except IngestError as exc:
            print(f"read_page_image: {exc}")
            return
        kinds = " ".join(block.kind for block in builder.blocks)
        score = accuracy(builder.text, logical_text())
        print(f"read_page_image ({ENGINE}) {scan:20} accuracy {score:6.1%}  blocks: {kinds}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="OCR runs per scan (time is their mean)")
    parser.add_argument("--engine", choices=sorted(ENGINES), action="append", help="only this engine (repeatable)")
    parser.add_argument("--save", type=Path, help="keep the scans as PNG files in this folder")
    args = parser.parse_args(argv)
    pages = scans()
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for scan, image in pages.items():
            image.save(args.save / f"{scan.replace(' ', '-').replace('+', '-')}.png")
    for name in args.engine or ENGINES:
        bench_engine(name, pages, args.runs)
    bench_pipeline(pages)


if __name__ == "__main__":
    main()
