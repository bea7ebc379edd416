"""Every supported format loads to text; every kind of bad input gets a one-line reason."""

import pytest

from rag.errors import IngestError
from rag.ingest.loaders import load_file
from tests.documents import write_docx, write_html, write_pdf


def test_text_and_markdown(tmp_path):
    (tmp_path / "a.txt").write_text("Plain text here.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# The Title\n\nBody text.", encoding="utf-8")
    assert load_file(tmp_path / "a.txt").text == "Plain text here."
    doc = load_file(tmp_path / "b.md")
    assert doc.title == "The Title" and doc.text == "# The Title\n\nBody text."


def test_utf8_bom_is_dropped(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffHello there.".encode())
    assert load_file(tmp_path / "bom.txt").text == "Hello there."


def test_html_keeps_visible_text_only(tmp_path):
    doc = load_file(write_html(tmp_path / "p.html", "Page Title", "<h1>Head</h1><p>Visible words.</p>"))
    assert doc.title == "Page Title"
    assert "Visible words." in doc.text and "Head" in doc.text
    assert "hidden" not in doc.text and "color" not in doc.text


def test_pdf_pages(tmp_path):
    doc = load_file(write_pdf(tmp_path / "d.pdf", ["First page words.", "Second page words."]))
    assert "First page words." in doc.text and "Second page words." in doc.text
    assert doc.page_at(doc.text.index("First")) == 1
    assert doc.page_at(doc.text.index("Second")) == 2


def test_docx(tmp_path):
    doc = load_file(write_docx(tmp_path / "w.docx", "Report", ["Alpha paragraph.", "Beta paragraph."]))
    assert doc.text == "Report\n\nAlpha paragraph.\n\nBeta paragraph."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"   \n\n  ", "no text could be extracted"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("latin.txt", "Café crème".encode("latin-1"), "not UTF-8"),
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "corrupt or unreadable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "corrupt or unreadable .docx"),
        ("data.xyz", b"whatever", "unsupported file type .xyz"),
    ],
)
def test_bad_input_reasons(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(IngestError, match=reason):
        load_file(tmp_path / name)


def test_encrypted_pdf(tmp_path):
    path = write_pdf(tmp_path / "secret.pdf", ["Secret words."], password="pw")
    with pytest.raises(IngestError, match="encrypted PDF"):
        load_file(path)


def test_size_cap(tmp_path):
    (tmp_path / "big.txt").write_text("x" * 2000, encoding="utf-8")
    with pytest.raises(IngestError, match=r"over the 0\.0 MB cap"):
        load_file(tmp_path / "big.txt", max_bytes=1000)
