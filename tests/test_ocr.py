"""OCR (`rag.ingest.ocr`) and image files (`rag.ingest.image`): a clean 300-dpi scan of known text read at 97% or
better, its layout (headings, paragraphs, lists, hyphenation) written as blocks marked `ocr=True`, a page scanned
sideways, a transparent PNG, an image-only PDF through `load_file`, unsure lines and page numbers left out, and the
reasons for a blank image, a corrupt one, a decompression bomb and a missing engine. The scans come from
`bench.ocr` (the page its figures are measured on)."""

from __future__ import annotations

import importlib
import inspect
import io
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bench.ocr import BULLETS, COSTS, HEADING, STEPS, SUBHEADING, accuracy, font_path, page_lines, printed_text, render
from rag.errors import IngestError
from rag.ingest import ocr
from rag.ingest.blocks import TextBuilder
from rag.ingest.image import MAX_PIXELS, load_image
from rag.ingest.loaders import Limits, load_file
from rag.ingest.ocr import OcrLine, join_lines, ocr_lines, read_page_image, write_lines

FIRST_SENTENCE = "Millbeck, the largest, holds 6,200 megalitres when full"
COST_SENTENCE = "Repairs to the spillway at Ashby Reservoir are estimated at £2.4 million"


@pytest.fixture(scope="module")
def scan() -> Image.Image:
    """The bench's A4 page (heading, paragraphs, bullets, a numbered list, a hyphenated line end) at 300 dpi."""
    return render(page_lines(), 300)


@pytest.fixture(scope="module")
def small_scan() -> Image.Image:
    """The top of the page at 200 dpi: a heading, a paragraph and the bullet list (quicker to read)."""
    page = render(page_lines(), 200)
    return page.crop((0, 0, page.width, round(page.height * 0.3)))


@pytest.fixture(scope="module")
def lines(scan) -> list[OcrLine]:
    return ocr_lines(scan)


@pytest.fixture(scope="module")
def page(lines) -> TextBuilder:
    """The scan's lines written as blocks, as `read_page_image` writes them (without reading the page again)."""
    builder = TextBuilder()
    builder.page(4)
    write_lines(builder, [line for line in lines if line.confidence >= ocr.MIN_CONFIDENCE])
    return builder


def png_bytes(image: Image.Image) -> bytes:
    data = io.BytesIO()
    image.save(data, "PNG")
    return data.getvalue()


def texts(builder: TextBuilder, kind: str) -> list[str]:
    return [builder.text[b.start : b.end] for b in builder.blocks if b.kind == kind]


def test_a_clean_300_dpi_scan_is_read_at_97_percent_or_better(scan, lines):
    assert accuracy(" ".join(line.text for line in lines), printed_text()) >= 0.97
    assert all(0.5 <= line.confidence <= 1 for line in lines)
    first = lines[0]
    assert first.text == HEADING and first.x0 < first.x1 and first.top < first.bottom <= scan.height


def test_the_page_is_written_as_headings_paragraphs_and_lists_marked_ocr(page):
    assert all(block.ocr and block.page == 4 for block in page.blocks)
    assert page.pages == [(0, 4)]
    assert texts(page, "heading") == [HEADING, SUBHEADING]
    assert [b.level for b in page.blocks if b.kind == "heading"] == [1, 2]
    items = texts(page, "list_item")
    assert len(items) == len(BULLETS) + len(STEPS)
    assert items[0].startswith("Millbeck: 6,200 M")  # the bullet dropped
    assert items[-2:] == list(STEPS)  # a number kept
    paragraphs = texts(page, "paragraph")
    assert len(paragraphs) == 3
    assert paragraphs[1] == " ".join(COSTS)  # three lines, one paragraph; "£" read
    assert "the catchment to recover fully" in paragraphs[2]  # "catch-" + "ment" joined again


def test_a_page_scanned_sideways_is_turned_upright(small_scan):
    builder = TextBuilder()
    assert read_page_image(builder, small_scan.rotate(90, expand=True), 1) == ""
    assert texts(builder, "heading") == [HEADING]
    assert FIRST_SENTENCE in builder.text
    assert len(texts(builder, "list_item")) == len(BULLETS)


def test_a_png_is_loaded_as_one_ocr_page(small_scan):
    loaded = load_image(png_bytes(small_scan), Path("scan.png"), Limits())
    assert loaded.blocks and all(block.ocr for block in loaded.blocks)
    assert FIRST_SENTENCE in loaded.text
    assert loaded.text.startswith(HEADING)
    assert loaded.pages == ((0, 1),)
    assert loaded.headings == ((0, len(HEADING), 1),)
    assert loaded.skipped == ()


def test_text_on_a_transparent_png_is_read_over_white():
    image = Image.new("RGBA", (1400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((60, 100), COST_SENTENCE, font=ImageFont.truetype(font_path(), 36), fill="black")
    loaded = load_image(png_bytes(image), Path("clip.png"), Limits())
    assert loaded.text == COST_SENTENCE


def test_a_blank_image_gives_the_reason_not_a_crash():
    builder = TextBuilder()
    assert read_page_image(builder, Image.new("RGB", (1200, 900), "white"), 1) == "OCR read no text"
    assert builder.blocks == [] and builder.text == ""
    speckled = Image.effect_noise((900, 700), 8).point(lambda v: min(255, v + 120))  # grey paper, no text
    assert read_page_image(builder, speckled, 2).startswith("OCR read no text")
    with pytest.raises(IngestError, match="OCR read no text"):
        load_image(png_bytes(Image.new("L", (800, 600), 255)), Path("blank.png"), Limits())


def test_a_corrupt_or_oversized_image_is_refused_with_a_reason(small_scan):
    whole = png_bytes(small_scan)
    with pytest.raises(IngestError, match="corrupt or truncated image"):
        load_image(whole[: len(whole) // 2], Path("cut.png"), Limits())
    with pytest.raises(IngestError, match="not an image"):
        load_image(b"this is not a picture at all", Path("fake.png"), Limits())
    side = int(MAX_PIXELS**0.5) + 100
    bomb = io.BytesIO()
    Image.new("1", (side, side)).save(bomb, "PNG")  # a few kB that would unpack into 50+ million pixels
    with pytest.raises(IngestError, match="too large to OCR"):
        load_image(bomb.getvalue(), Path("bomb.png"), Limits())


def test_a_missing_engine_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    ocr._find_engine.cache_clear()
    try:
        with pytest.raises(IngestError, match=r"OCR needs Tesseract.*scripts/install\.sh"):
            ocr_lines(Image.new("L", (100, 100), 0))
    finally:
        ocr._find_engine.cache_clear()


def _pdf_reads_scans() -> bool:
    return "read_page_image" in inspect.getsource(importlib.import_module("rag.ingest.pdf"))


@pytest.mark.skipif(not _pdf_reads_scans(), reason="rag.ingest.pdf does not OCR pages without text yet")
def test_an_image_only_pdf_is_read_by_ocr(tmp_path, small_scan):
    path = tmp_path / "scan.pdf"
    small_scan.save(path, "PDF", resolution=200)
    loaded = load_file(path)
    assert FIRST_SENTENCE in loaded.text
    assert loaded.blocks and all(block.ocr for block in loaded.blocks)
    assert loaded.page_at(loaded.text.index(FIRST_SENTENCE)) == 1


# Layout alone, on lines as an engine would give them (no engine run).


def line(text: str, top: float, x0: float = 300, size: float = 45, width: float | None = None) -> OcrLine:
    x1 = x0 + (width if width is not None else 24 * len(text))
    return OcrLine(text, x0, top, x1, top + size, 0.95, size)


def test_lines_are_grouped_by_gaps_indents_and_text_size():
    lines = [
        line("Annual Report of the", 100, size=80),
        line("Water Board", 190, size=80),
        line("The first paragraph runs over two", 260, width=1600),
        line("lines of text.", 320),
        line("A second paragraph, after a gap.", 460, width=1600),
        line("A third, indented, with no gap", 520, x0=380, width=1500),
        line("above it but a first-line indent.", 580, width=1600),
        line("• An item that wraps onto", 700, x0=340),
        line("a second line", 760, x0=380),
        line("• Another item.", 820, x0=340),
        line("Closing words of the page.", 940),
    ]
    builder = TextBuilder()
    write_lines(builder, lines)
    assert [(b.kind, builder.text[b.start : b.end]) for b in builder.blocks] == [
        ("heading", "Annual Report of the Water Board"),
        ("paragraph", "The first paragraph runs over two lines of text."),
        ("paragraph", "A second paragraph, after a gap."),
        ("paragraph", "A third, indented, with no gap above it but a first-line indent."),
        ("list_item", "An item that wraps onto a second line"),
        ("list_item", "Another item."),
        ("paragraph", "Closing words of the page."),
    ]
    assert all(block.ocr for block in builder.blocks)


def test_a_hyphen_at_a_line_end_is_undone_only_before_a_lower_case_word():
    assert join_lines(["the catch-", "ment was dry"]) == "the catchment was dry"
    assert join_lines(["the north-", "East wall"]) == "the north- East wall"
    assert join_lines(["costs rose by 12-", "15% a year"]) == "costs rose by 12- 15% a year"


def test_unsure_lines_and_a_page_number_are_left_out(monkeypatch):
    read = [
        line("Page 3", 100),
        line("The spillway was repaired in May.", 200, width=1600),
        replace(line("xq~ zz,", 260), confidence=0.21),  # a smudge read as letters
        line("- 3 -", 3300),
    ]
    monkeypatch.setattr(ocr, "ocr_lines", lambda image: read)
    builder = TextBuilder()
    assert read_page_image(builder, Image.new("L", (10, 10)), 3) == ""
    assert builder.text == "The spillway was repaired in May."
    monkeypatch.setattr(ocr, "ocr_lines", lambda image: [replace(read[1], confidence=0.3)])
    reason = read_page_image(TextBuilder(), Image.new("L", (10, 10)), 3)
    assert reason == "OCR read no text it was sure of (1 line(s) below 50% confidence)"
