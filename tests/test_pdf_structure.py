"""The PDF loader keeps a document's structure: running headers and footers left out, footnotes set after their
page's body, columns read one after the other, tables as one line per row beside its header, paragraphs joined and
mended across line, column and page breaks. Every PDF here is drawn with reportlab, line by line where the layout
matters, so each test knows exactly what the page holds.
"""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path

import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from rag.errors import IngestError
from rag.ingest.blocks import TextBuilder
from rag.ingest.loaders import Limits, LoadedDocument, load_file
from rag.ingest.pdf import load_pdf

WIDTH, HEIGHT = A4
LEFT, BODY, LEADING = 72, 11, 14


def _blocks(doc: LoadedDocument) -> list[tuple[str, str]]:
    return [(b.kind, doc.text[b.start : b.end]) for b in doc.blocks]


def _check_blocks(doc: LoadedDocument) -> None:
    """Every block holds text, and the blocks follow one another without overlapping."""
    end = 0
    for block in doc.blocks:
        assert doc.text[block.start : block.end].strip(), block
        assert block.start >= end, block
        end = block.end


def _lines(pdf: canvas.Canvas, lines: list[str], y: float, x: float = LEFT, font: str = "Times-Roman") -> float:
    pdf.setFont(font, BODY)
    for line in lines:
        pdf.drawString(x, y, line)
        y -= LEADING
    return y


def _furniture(pdf: canvas.Canvas, number: int, total: int) -> None:
    pdf.setFont("Helvetica", 8)
    pdf.drawString(LEFT, HEIGHT - 36, "Gullhaven Harbour Trust  ·  Annual Review 2024")
    pdf.drawRightString(WIDTH - LEFT, HEIGHT - 36, "Operations")
    pdf.drawString(LEFT, 30, "Registered charity 1094412")
    pdf.drawRightString(WIDTH - LEFT, 30, f"Page {number} of {total}")


def _with_marker(pdf: canvas.Canvas, y: float, before: str, marker: str, after: str) -> None:
    """A line with a raised footnote reference after `before` ("moorings¹ in...")."""
    pdf.setFont("Times-Roman", BODY)
    pdf.drawString(LEFT, y, before)
    x = LEFT + stringWidth(before, "Times-Roman", BODY)
    pdf.setFont("Times-Roman", 7)
    pdf.drawString(x, y + 4, marker)
    pdf.setFont("Times-Roman", BODY)
    pdf.drawString(x + stringWidth(marker, "Times-Roman", 7), y, after)


@pytest.fixture
def report(tmp_path) -> Path:
    """Three pages under a running header and footer; a footnote with its marker in a sentence on page 1, whose
    last paragraph runs on to page 2."""
    path = tmp_path / "review.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    _furniture(pdf, 1, 3)
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawString(LEFT, HEIGHT - 100, "Harbour Trust Annual Review")
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(LEFT, HEIGHT - 140, "Moorings and berths")
    y = HEIGHT - 165
    _with_marker(pdf, y, "The trust manages four hundred and twelve moorings", "1", " in the outer harbour, and")
    y = _lines(pdf, ["it let every one of them during the summer season of the year.", ""], y - LEADING)
    y = _lines(pdf, ["Work on the north breakwater went on through the autumn, and the repairs", "were delayed by"], y)
    pdf.setFont("Times-Roman", 8)
    pdf.drawString(LEFT, 60, "1 Moorings were counted by the harbour master on 31 March 2024.")
    pdf.showPage()
    _furniture(pdf, 2, 3)
    y = _lines(pdf, ["storms in January and were finished in May at a cost of ninety thousand pounds."], HEIGHT - 100)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(LEFT, y - 20, "Dredging")
    _lines(pdf, ["The approach channel was dredged to a depth of four metres in June."], y - 45)
    pdf.showPage()
    _furniture(pdf, 3, 3)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(LEFT, HEIGHT - 100, "Finances")
    _with_marker(
        pdf, HEIGHT - 125, "Income from moorings rose by six per cent ", "2", " to two hundred thousand pounds."
    )
    pdf.setFont("Times-Roman", 8)
    pdf.drawString(LEFT, 60, "2 Against the year to March 2023.")
    pdf.showPage()
    pdf.save()
    return path


def test_running_headers_footers_and_page_numbers_are_left_out(report):
    doc = load_file(report)
    for furniture in ("Gullhaven", "Annual Review 2024", "Operations", "Registered charity", "Page 1", "of 3"):
        assert furniture not in doc.text
    assert doc.title == "Harbour Trust Annual Review"
    assert [(doc.text[s:e], level) for s, e, level in doc.headings] == [
        ("Harbour Trust Annual Review", 0),
        ("Moorings and berths", 1),
        ("Dredging", 1),
        ("Finances", 1),
    ]
    _check_blocks(doc)


def test_a_footnote_follows_its_page_and_its_marker_leaves_the_sentence(report):
    doc = load_file(report)
    blocks = _blocks(doc)
    assert ("footnote", "1 Moorings were counted by the harbour master on 31 March 2024.") in blocks
    assert "twelve moorings in the outer harbour, and it let every one" in doc.text  # not "moorings1 in"
    assert "six per cent to two hundred thousand pounds." in doc.text  # a marker set apart: not "cent 2 to"
    assert ("footnote", "2 Against the year to March 2023.") in blocks
    note = next(b for b in doc.blocks if b.kind == "footnote")
    assert note.page == 1
    body = [b for b in doc.blocks if b.page == 1 and b.kind != "footnote"]
    assert all(b.end < note.start for b in body)  # after the page's body
    assert doc.page_at(doc.text.index("Dredging")) == 2


def test_a_sentence_over_a_page_break_is_not_cut_by_the_footnote_or_the_footer(report):
    doc = load_file(report)
    sentence = "the repairs were delayed by storms in January and were finished in May at a cost of ninety thousand"
    assert sentence in doc.text
    paragraph = next(text for kind, text in _blocks(doc) if sentence in text)
    assert paragraph.startswith("Work on the north breakwater")
    assert doc.text.index("finished in May") < doc.text.index("1 Moorings were counted")  # the note after it


def test_two_columns_are_read_one_after_the_other(tmp_path):
    left = [
        "The western pier was built in",
        "1868 from granite quarried at",
        "Penhallow. It was extended in",
        "1902 and again in 1931. Its",
        "lamp burns every night.",
    ]
    right = [
        "The eastern pier is younger and",
        "was finished in 1921 with",
        "concrete blocks cast on the",
        "quay. A storm in 1953 broke",
        "its seaward end.",
    ]
    path = tmp_path / "columns.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(LEFT, HEIGHT - 90, "The Two Piers of Gullhaven")
    _lines(pdf, left, HEIGHT - 130)
    _lines(pdf, right, HEIGHT - 130, x=LEFT + 240)  # the same baselines: read across, the lines would interleave
    pdf.save()
    doc = load_file(path)
    western = "The western pier was built in 1868 from granite quarried at Penhallow. It was extended in 1902 and"
    eastern = "The eastern pier is younger and was finished in 1921 with concrete blocks cast on the quay."
    assert western in doc.text and eastern in doc.text
    assert doc.text.index("lamp burns every night.") < doc.text.index("The eastern pier")
    assert doc.text.index("The Two Piers") < doc.text.index("The western pier")
    _check_blocks(doc)


RESERVOIRS = [
    ["Reservoir", "Capacity (Ml)", "Full", "Built"],
    ["Millbeck", "6,200", "100%", "1902"],
    ["Greystone", "4,850", "92%", "1911"],
    ["Ashgill", "0", "146,982", "1897"],  # two numbers side by side that must stay two cells
    ["Total", "11,050", "96%", ""],
]
ROW_LINES = [
    "Millbeck — Capacity (Ml): 6,200; Full: 100%; Built: 1902",
    "Greystone — Capacity (Ml): 4,850; Full: 92%; Built: 1911",
    "Ashgill — Capacity (Ml): 0; Full: 146,982; Built: 1897",
    "Total — Capacity (Ml): 11,050; Full: 96%",
]


def _table_pdf(path: Path, rows: list[list[str]], style: list[tuple], story_before: int = 0, repeat: int = 0) -> Path:
    styles = {"body": getSampleStyleSheet()["BodyText"]}
    table = Table(rows, colWidths=[150, 90, 70, 60], hAlign="LEFT", repeatRows=repeat)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 10),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 10),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                *style,
            ]
        )
    )
    filler = "Reservoir levels were read at nine in the morning on the last day of the year by the hydrometric team."
    story = [Paragraph(filler, styles["body"]) for _ in range(story_before)]
    story.append(Paragraph("Table 2: Capacity and stock of each reservoir", styles["body"]))
    story.append(table)
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


RULED = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
ROW_BANDS = [
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.lightgrey]),
]
UNRULED: list[tuple] = []


@pytest.mark.parametrize("style", [RULED, ROW_BANDS, UNRULED], ids=["grid", "row-bands", "no-rules"])
def test_a_table_row_is_one_line_beside_its_header(tmp_path, style):
    doc = load_file(_table_pdf(tmp_path / "reservoirs.pdf", RESERVOIRS, style))
    rows = [text for kind, text in _blocks(doc) if kind == "table_row"]
    assert rows == ROW_LINES
    assert ("caption", "Table 2: Capacity and stock of each reservoir") in _blocks(doc)
    assert "0146,982" not in doc.text and "0 146,982" not in doc.text
    assert doc.text.count("Millbeck") == 1  # the table's words are not also a paragraph
    assert not [h for h in doc.headings if "Millbeck" in doc.text[h[0] : h[1]] or "Total" in doc.text[h[0] : h[1]]]
    _check_blocks(doc)


@pytest.mark.parametrize("repeat", [0, 1], ids=["header-once", "header-repeated"])
def test_a_table_over_two_pages_keeps_its_header_on_every_row(tmp_path, repeat):
    rows = [RESERVOIRS[0]] + [[f"Tarn {n}", f"{n * 110:,}", f"{50 + n % 50}%", str(1850 + n)] for n in range(1, 61)]
    doc = load_file(_table_pdf(tmp_path / "tarns.pdf", rows, RULED, story_before=12, repeat=repeat))
    lines = [text for kind, text in _blocks(doc) if kind == "table_row"]
    assert len(lines) == 60
    assert all(line.startswith(f"Tarn {n} — Capacity (Ml): ") and "; Full: " in line for n, line in enumerate(lines, 1))
    assert len({b.page for b in doc.blocks if b.kind == "table_row"}) >= 2
    assert "Reservoir — " not in doc.text  # a repeated header is no row


def test_hyphenation_is_undone_and_lines_are_joined(tmp_path):
    path = tmp_path / "restoration.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    lines = [
        "The restoration of the lantern began in March, when the restor-",
        "ation team of three well-",
        "known glaziers arrived from Bristol with the new lenses.",
    ]
    y = _lines(pdf, lines, HEIGHT - 100)
    _lines(pdf, ["A second paragraph begins after a gap and stays apart from the first."], y - 10)
    pdf.save()
    doc = load_file(path)
    assert _blocks(doc) == [
        (
            "paragraph",
            "The restoration of the lantern began in March, when the restoration team of three "
            "wellknown glaziers arrived from Bristol with the new lenses.",
        ),
        ("paragraph", "A second paragraph begins after a gap and stays apart from the first."),
    ]


def test_an_uppercase_word_after_a_line_end_hyphen_keeps_the_hyphen(tmp_path):
    path = tmp_path / "anglo.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    _lines(pdf, ["The charter of the port is an Anglo-", "Saxon grant renewed by every king since."], HEIGHT - 100)
    pdf.save()
    assert "an Anglo-Saxon grant" in load_file(path).text


def _scan(path: Path, pages: int = 1) -> Path:
    """A PDF whose pages are nothing but an image of text (a scan without a text layer)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(image).text((100, 100), "Harbour notice: the slipway is closed.", fill="black")
    source = path.with_suffix(".png")
    image.save(source)
    pdf = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        pdf.drawImage(str(source), 0, 0, width=WIDTH, height=HEIGHT)
        pdf.showPage()
    pdf.save()
    return path


def test_a_scanned_page_without_ocr_is_named_in_skipped(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "rag.ingest.ocr", None)  # importing it fails
    extracted = load_pdf(_scan(tmp_path / "scan.pdf").read_bytes(), Path("scan.pdf"), Limits())
    assert extracted.text == ""
    assert extracted.skipped == ("page 1: scanned, no text layer (OCR unavailable)",)


def test_a_pdf_of_scans_is_read_by_ocr(tmp_path, monkeypatch):
    calls = []

    def read_page_image(builder: TextBuilder, image, page_number: int) -> str:
        calls.append((page_number, image.size))
        if page_number == 2:
            return "OCR read no text"
        builder.add("paragraph", f"Notice read from page {page_number}.", ocr=True)
        return ""

    monkeypatch.setitem(sys.modules, "rag.ingest.ocr", types.SimpleNamespace(read_page_image=read_page_image))
    doc = load_file(_scan(tmp_path / "scans.pdf", pages=2))
    assert [number for number, _ in calls] == [1, 2]
    assert calls[0][1][0] >= 2400  # rendered at 300 dpi: A4 is 2480 pixels wide
    assert doc.text == "Notice read from page 1."
    assert doc.blocks[0].ocr and doc.blocks[0].page == 1
    assert doc.skipped == ("page 2: OCR read no text",)


def test_a_damaged_page_layout_does_not_refuse_the_document(tmp_path, monkeypatch, caplog):
    """Should the layout analysis fail on an odd page, that page's plain text is used and the failure logged."""
    from rag.ingest.pdf import page as module

    def broken(*_args: object) -> list:
        raise RuntimeError("layout bug")

    monkeypatch.setattr(module, "segments", broken)
    path = tmp_path / "plain.pdf"
    pdf = canvas.Canvas(str(path), pagesize=A4)
    _lines(pdf, ["Still readable text."], HEIGHT - 100)
    pdf.save()
    with caplog.at_level(logging.WARNING):
        assert load_file(path).text == "Still readable text."
    assert "layout analysis failed" in caplog.text


def test_broken_pdfs_keep_their_reasons(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")
    with pytest.raises(IngestError, match="corrupt or unreadable PDF"):
        load_file(path)


def test_pdfs_load_in_several_threads_at_once(report, tmp_path):
    """pdfium is not thread-safe: the loader takes turns with it, and each document comes out as on its own."""
    from concurrent.futures import ThreadPoolExecutor

    table = _table_pdf(tmp_path / "reservoirs.pdf", RESERVOIRS, RULED)
    alone = [load_file(report).text, load_file(table).text]
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda path: load_file(path).text, [report, table] * 4))
    assert texts == alone * 4
