"""The document model: blocks written through TextBuilder keep exact offsets, table rows carry their headers, and
the splitter never cuts a row or a list item, keeps a long table's caption in every chunk's section, and tells
each quotable unit's kind."""

import pytest

from rag.ingest.blocks import TextBuilder, flatten_header
from rag.ingest.loaders import LoadedDocument
from rag.ingest.splitter import split_document
from rag.table_rows import table_row_line


def built(builder: TextBuilder, source: str = "r.pdf") -> LoadedDocument:
    return LoadedDocument(
        source, builder.text, "Report", tuple(builder.pages), builder.headings(), tuple(builder.blocks)
    )


def test_blocks_point_at_their_text_and_whitespace_is_collapsed():
    b = TextBuilder()
    b.page(1)
    b.add("title", "Water  Report", level=0)
    b.add("paragraph", "We supplied 61.8 billion\nlitres of drinking water.")
    b.page(2)
    b.add_list(["Hard hat", "  ", "Water bottle"])
    b.add("code", "x = 1\n    y = 2\n")
    assert [b.text[k.start : k.end] for k in b.blocks] == [
        "Water Report",
        "We supplied 61.8 billion litres of drinking water.",
        "Hard hat",
        "Water bottle",
        "x = 1\n    y = 2",
    ]
    assert [k.kind for k in b.blocks] == ["title", "paragraph", "list_item", "list_item", "code"]
    assert b.blocks[2].group == b.blocks[3].group != 0
    assert b.text[b.blocks[2].end : b.blocks[3].start] == "\n"  # the items of one list: a line each
    assert b.pages == [(0, 1), (b.blocks[2].start, 2)]
    assert b.headings() == ((0, 12, 0),)


def test_a_page_without_text_gets_no_start_and_unknown_kinds_are_refused():
    b = TextBuilder()
    b.page(1)
    b.page(2)
    b.add("paragraph", "Text.")
    assert b.pages == [(0, 2)]
    with pytest.raises(ValueError, match="unknown block kind"):
        b.add("sidebar", "x")


def test_every_cell_sits_in_its_row_line_beside_its_header():
    header = ["State", "Permit", "Handgun", "Totals"]
    rows = [["Alabama", "0", "146,982", "2,236,457"], ["Alaska", "", "3,352", "65,106"]]
    b = TextBuilder()
    b.add_table(header, rows, caption="Table 1: Checks by state, November 2015")
    lines = b.text.split("\n")
    assert lines == [
        "Table 1: Checks by state, November 2015",
        "Alabama — Permit: 0; Handgun: 146,982; Totals: 2,236,457",
        "Alaska — Handgun: 3,352; Totals: 65,106",
    ]
    assert [k.kind for k in b.blocks] == ["caption", "table_row", "table_row"]


def test_a_header_of_two_rows_is_flattened_into_each_column_name():
    names = flatten_header([["Region", "Capacity", "", "Built"], ["", "Ml", "Full", ""]])
    assert names == ["Region", "Capacity Ml", "Capacity Full", "Built"]
    assert table_row_line(names, ["North", "6,200", "100%", "1902"]) == (
        "North — Capacity Ml: 6,200; Capacity Full: 100%; Built: 1902"
    )


def long_table(rows: int) -> TextBuilder:
    b = TextBuilder()
    b.add("heading", "Reservoirs", level=1)
    b.add("paragraph", "The reservoirs held more water than last year.")
    b.add_table(
        ["Reservoir", "Capacity (Ml)", "Full", "Built"],
        [[f"Reservoir number {i}", f"{1000 + i:,}", f"{50 + i % 50}%", str(1900 + i)] for i in range(rows)],
        caption="Table 2: Capacity at 31 March",
    )
    b.add("heading", "Leakage", level=1)
    b.add("paragraph", "Leakage fell by a tenth.")
    return b


def test_chunks_never_cut_a_row_and_every_chunk_of_a_table_names_its_caption():
    doc = built(long_table(40))
    chunks = split_document(doc, chunk_size=300)
    rows = {(k.start, k.end) for k in doc.blocks if k.kind == "table_row"}
    table_chunks = [c for c in chunks if "table_row" in c.kinds]
    assert len(table_chunks) > 3
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        for start, end in rows:
            assert end <= chunk.start or start >= chunk.end or (chunk.start <= start and end <= chunk.end)
    for chunk in table_chunks:
        assert chunk.section == "Reservoirs › Table 2: Capacity at 31 March"
        holds_caption = "Table 2: Capacity at 31 March" in chunk.text
        assert chunk.context == ("" if holds_caption else "Table 2: Capacity at 31 March")  # embedded with its text
        assert chunk.embedded_text().endswith(chunk.text) and chunk.embedded_text().startswith("Table 2")
        assert all(span in rows or kind != "table_row" for span, kind in zip(chunk.sentences, chunk.kinds))
    leakage = next(c for c in chunks if "Leakage fell" in c.text)
    assert leakage.section == "Leakage" and leakage.kinds == ()


def test_list_items_and_short_lines_are_quotable_units_not_headings():
    b = TextBuilder()
    b.add("title", "Site visit", level=0)
    b.add("heading", "What to bring", level=2)
    b.add_list(["Hard hat", "Water bottle", "Sun cream"])
    b.add("paragraph", "Stay safe.")
    doc = built(b, "memo.docx")
    (chunk,) = split_document(doc)
    assert [doc.text[s:e] for s, e in chunk.sentences] == ["Hard hat", "Water bottle", "Sun cream", "Stay safe."]
    assert chunk.kinds == ("list_item", "list_item", "list_item", "paragraph")
    assert chunk.section == "What to bring"
    assert chunk.kind_of(3) == "paragraph"


def test_ocr_blocks_mark_their_chunks():
    b = TextBuilder()
    b.page(1)
    b.add("paragraph", "Typed text.")
    b.page(2)
    b.add("heading", "Scanned", level=1)
    b.add("paragraph", "Read from an image.", ocr=True)
    chunks = split_document(built(b))
    assert [c.ocr for c in chunks] == [False, True]


def test_a_pdf_reports_each_page_read_and_each_scan_read_by_ocr(tmp_path):
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from rag.ingest.loaders import load_file

    scan = Image.new("L", (2550, 3300), 255)
    ImageDraw.Draw(scan).text((300, 300), "The harbour wall was rebuilt in 1931.", fill=0, font_size=60)
    scan.save(tmp_path / "scan.png")
    pdf = canvas.Canvas(str(tmp_path / "mixed.pdf"))
    for number in (1, 3):
        pdf.drawString(72, 720, f"Typed page {number} of the minutes.")
        pdf.showPage()
        if number == 1:
            pdf.drawImage(ImageReader(str(tmp_path / "scan.png")), 0, 0, width=612, height=792)
            pdf.showPage()
    pdf.save()
    calls = []
    doc = load_file(tmp_path / "mixed.pdf", on_page=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3), (4, 4)]  # three pages read, then the one scan read by OCR
    assert "rebuilt in 1931" in doc.text and doc.page_at(doc.text.index("rebuilt")) == 2


def test_a_continued_table_is_embedded_with_its_caption_and_its_sentence_vectors_stay_aligned(embeddings):
    from dataclasses import replace

    from rag.sentence_vectors import unpack

    chunk = next(c for c in split_document(built(long_table(40)), chunk_size=300) if c.context)
    (bare, bare_packed), (captioned, packed) = embeddings.embed_chunks([replace(chunk, context=""), chunk])
    assert bare != captioned  # the caption takes part in the chunk's vector
    (_, counts), (_, bare_counts) = unpack(packed), unpack(bare_packed)
    assert len(counts) == len(chunk.sentences) and list(counts) == list(bare_counts)  # each row's own tokens
    assert all(counts)
