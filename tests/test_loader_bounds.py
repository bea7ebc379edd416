"""Every loader is bounded: text over `max_chars` is refused while it is extracted (a small .docx that unpacks
to gigabytes never reaches python-docx), PDFs over `max_pages` are refused, and chunking a huge unbroken line
takes time linear in its length."""

import gc
import time
import tracemalloc
import zipfile

import pytest

from rag.errors import IngestError
from rag.ingest.loaders import LoadedDocument, load_file
from rag.ingest.splitter import split_document
from tests.documents import pad_docx_part, write_docx, write_docx_bomb, write_docx_markup_bomb, write_html, write_pdf

TEXT_CAP = "more than 1.0 MB of text \\(RAG_MAX_TEXT_MB caps it\\); split it into smaller files"


def test_docx_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = write_docx_bomb(tmp_path / "bomb.docx", text_chars=50_000_000)
    body = zipfile.ZipFile(path).getinfo("word/document.xml")
    assert path.stat().st_size < 1_000_000 and body.file_size > 50_000_000  # a small file, 50 MB of text inside
    tracemalloc.start()
    try:
        with pytest.raises(IngestError, match=TEXT_CAP):
            load_file(path, max_chars=1_000_000)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert peak_mb < 10  # python-docx would have read the 50 MB member whole


def test_docx_of_markup_without_text_is_refused_by_its_unpacked_size(tmp_path):
    path = write_docx_markup_bomb(tmp_path / "markup.docx", unpacked_bytes=30_000_000)
    match = r"the \.docx unpacks to more than 15\.0 MB, too much for the 1\.0 MB text cap \(RAG_MAX_TEXT_MB\); split it"
    with pytest.raises(IngestError, match=match):
        load_file(path, max_chars=1_000_000)


def test_docx_bomb_in_a_part_other_than_the_body_is_refused(tmp_path):
    path = pad_docx_part(write_docx(tmp_path / "styles.docx", "Styled", ["Short."]), "word/styles.xml", 20_000_000)
    with pytest.raises(IngestError, match=r"the \.docx unpacks to more than 15\.0 MB"):
        load_file(path, max_chars=1_000_000)


def test_docx_text_over_the_cap_is_refused(tmp_path):
    path = write_docx(tmp_path / "long.docx", "Long", ["A sentence of forty characters, roughly." * 5] * 20)
    with pytest.raises(IngestError, match="more than 1,000 characters of text"):
        load_file(path, max_chars=1000)


def test_docx_under_the_caps_loads_the_same_text(tmp_path):
    path = write_docx(tmp_path / "w.docx", "Report", ["Alpha paragraph.", "Beta paragraph."])
    capped = load_file(path, max_chars=len("Report\n\nAlpha paragraph.\n\nBeta paragraph."), max_pages=1)
    assert capped == load_file(path)


def test_pdf_over_the_page_cap_is_refused(tmp_path):
    path = write_pdf(tmp_path / "three.pdf", ["One.", "Two.", "Three."])
    match = r"the PDF has 3 pages, over the 2-page cap \(RAG_MAX_PDF_PAGES\); split it into smaller files"
    with pytest.raises(IngestError, match=match):
        load_file(path, max_pages=2)
    assert load_file(path, max_pages=3).page_at(load_file(path).text.index("Three")) == 3


def test_pdf_extraction_stops_at_the_page_that_crosses_the_text_cap(tmp_path, monkeypatch):
    import pypdfium2

    line = "Page {} has a line of text, 44 characters."
    path = write_pdf(tmp_path / "fifty.pdf", [line.format(n % 10) for n in range(50)])
    opened = []
    get_page = pypdfium2.PdfDocument.get_page

    def counted(pdf, index):
        opened.append(index)
        return get_page(pdf, index)

    monkeypatch.setattr(pypdfium2.PdfDocument, "get_page", counted)
    with pytest.raises(IngestError, match="more than 100 characters of text"):
        load_file(path, max_chars=100)
    # 34 glyphs (41 characters) a page: the 3rd or 4th page crosses 100, whichever is counted, and none is read after
    assert sorted(set(opened)) in ([0, 1, 2], [0, 1, 2, 3])


def test_one_line_text_over_the_cap_is_refused(tmp_path):
    path = tmp_path / "one-line.txt"
    path.write_bytes(b"word " * 240_000)  # 1.2 MB, no line break
    with pytest.raises(IngestError, match=TEXT_CAP):
        load_file(path, max_chars=1_000_000)
    assert len(load_file(path, max_chars=1_200_000).text) == 1_200_000  # exactly at the cap is allowed


@pytest.mark.parametrize("name", ["notes.md", "page.html"])
def test_markdown_and_html_over_the_cap_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_text("<p>" + "Words and more words. " * 100 + "</p>", encoding="utf-8")
    with pytest.raises(IngestError, match="more than 1,000 characters of text"):
        load_file(path, max_chars=1000)


def test_html_markup_is_refused_before_it_is_parsed(tmp_path):
    path = write_html(tmp_path / "divs.html", "Divs", "<div class='empty'></div>" * 1000 + "<p>Short text.</p>")
    match = r"the page's HTML is more than 10,000 characters, too much for the 1,000 characters text cap"
    with pytest.raises(IngestError, match=match):
        load_file(path, max_chars=1000)
    assert load_file(path, max_chars=10_000).text == "Short text."


def test_without_caps_nothing_is_bounded(tmp_path):
    path = write_docx(tmp_path / "long.docx", "Long", ["A sentence of forty characters, roughly." * 5] * 20)
    assert len(load_file(path).text) > 1000  # Assistant.document_text loads indexed files without caps


def split_seconds(text: str) -> float:
    """Best of five runs of `split_document`, with the garbage collector paused (its pauses are noise here)."""
    runs = []
    for _ in range(5):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            split_document(LoadedDocument("one-line.txt", text))
            runs.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(runs)


def test_chunking_one_huge_line_without_sentence_ends_is_linear():
    one = split_seconds("word " * 200_000)  # 1 MB
    four = split_seconds("word " * 800_000)  # 4 MB: 4.2 times as long when linear, 20 times before the fix
    assert four <= 8 * one, f"1 MB took {one:.4f}s, 4 MB took {four:.4f}s"


def test_html_nested_too_deep_is_refused_in_about_the_time_a_flat_page_takes(tmp_path):
    """100,000 nested <div>s (#30: they hung the structure pass) are refused with the reason, in a time of the order
    of a flat page of as many <div>s; a page nested 200 deep is read."""
    sentence = "<p>The Orchid Bridge is 740 metres long.</p>"
    deep = tmp_path / "deep.html"
    deep.write_text(f"<html><body>{'<div>' * 100_000}{sentence}{'</div>' * 100_000}</body></html>")
    flat = tmp_path / "flat.html"
    flat.write_text(f"<html><body>{'<div></div>' * 100_000}{sentence}</body></html>")
    began = time.perf_counter()
    load_file(flat)
    flat_s = time.perf_counter() - began
    began = time.perf_counter()
    with pytest.raises(IngestError, match="the page's elements are nested 100003 deep, over the 256 this reader"):
        load_file(deep)
    assert time.perf_counter() - began < 5 * flat_s + 1
    fine = tmp_path / "fine.html"
    fine.write_text(f"<html><body>{'<div>' * 200}{sentence}{'</div>' * 200}</body></html>")
    assert load_file(fine).text == "The Orchid Bridge is 740 metres long."
