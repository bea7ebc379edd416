"""Every supported format loads to text; every kind of bad input gets a one-line reason."""

import logging
import subprocess
import sys

import pytest

from rag.errors import IngestError
from rag.ingest.loaders import load_file
from tests.conftest import ROOT
from tests.documents import (
    damage_pdf,
    write_docx,
    write_docx_report,
    write_html,
    write_html_report,
    write_pdf,
    write_pdf_lines,
    write_pdf_report,
)

REPORT = (
    "Harbor Lighthouse Restoration Report",
    [
        ("History", ["The Harbor Lighthouse was built in 1874 on the northern point of Gull Island. " * 3] * 2),
        ("Why did it decline?", ["Salt spray ate into the stone, and the lantern rusted through. " * 3]),
    ],
)


def test_text_and_markdown(tmp_path):
    (tmp_path / "a.txt").write_text("Plain text here.", encoding="utf-8")
    (tmp_path / "b.md").write_text("# The Title\n\nBody text.", encoding="utf-8")
    assert load_file(tmp_path / "a.txt").text == "Plain text here."
    doc = load_file(tmp_path / "b.md")
    assert doc.title == "The Title" and doc.text == "The Title\n\nBody text."


def test_utf8_bom_is_dropped(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffHello there.".encode())
    assert load_file(tmp_path / "bom.txt").text == "Hello there."


def test_html_keeps_visible_text_only(tmp_path):
    doc = load_file(write_html(tmp_path / "p.html", "Page Title", "<h1>Head</h1><p>Visible words.</p>"))
    assert doc.title == "Page Title"
    assert "Visible words." in doc.text and "Head" in doc.text
    assert "hidden" not in doc.text and "color" not in doc.text


def test_html_headings_and_paragraphs_are_blocks_of_their_own(tmp_path):
    body = "<h1>Report</h1><h2>Causes</h2><p>The <b>river</b>\n   flooded. It rose.</p><h3>Rain</h3><p>It rained.</p>"
    doc = load_file(write_html(tmp_path / "p.html", "Page", body))
    assert doc.text == "Report\n\nCauses\n\nThe river flooded. It rose.\n\nRain\n\nIt rained."
    assert [(doc.text[s:e], level) for s, e, level in doc.headings] == [("Report", 1), ("Causes", 2), ("Rain", 3)]


def test_html_lines_cells_and_preformatted_text(tmp_path):
    body = "<ul><li>One</li><li>Two</li></ul><table><tr><td>a</td><td>b</td></tr></table><pre>x\ny</pre>Tail<br>end"
    doc = load_file(write_html(tmp_path / "p.html", "Page", body))
    assert doc.text == "One\nTwo\n\na — b\n\nx\ny\n\nTail end" and doc.headings == ()
    assert [b.kind for b in doc.blocks] == ["list_item", "list_item", "table_row", "code", "paragraph"]


def test_html_report_keeps_its_outline(tmp_path):
    doc = load_file(write_html_report(tmp_path / "r.html", REPORT))
    names = ["Harbor Lighthouse Restoration Report", "History", "Why did it decline?"]
    assert [doc.text[s:e] for s, e, _ in doc.headings] == names
    assert doc.text.startswith("Harbor Lighthouse Restoration Report\n\nHistory\n\nThe Harbor Lighthouse")


def test_pdf_pages(tmp_path):
    doc = load_file(write_pdf(tmp_path / "d.pdf", ["First page words.", "Second page words."]))
    assert "First page words." in doc.text and "Second page words." in doc.text
    assert doc.page_at(doc.text.index("First")) == 1
    assert doc.page_at(doc.text.index("Second")) == 2


def test_docx(tmp_path):
    doc = load_file(write_docx(tmp_path / "w.docx", "Report", ["Alpha paragraph.", "Beta paragraph."]))
    assert doc.text == "Report\n\nAlpha paragraph.\n\nBeta paragraph."
    assert doc.headings == ((0, 6, 1),)  # "Heading 1"


def test_docx_heading_styles_are_headings(tmp_path):
    doc = load_file(write_docx_report(tmp_path / "r.docx", REPORT))
    assert [(doc.text[s:e], level) for s, e, level in doc.headings] == [
        ("Harbor Lighthouse Restoration Report", 0),  # the Title style
        ("History", 1),
        ("Why did it decline?", 1),
    ]
    assert doc.title == "Harbor Lighthouse Restoration Report"


def test_docx_outline_level_makes_a_heading(tmp_path):
    import docx

    document = docx.Document()
    heading = document.add_paragraph("Überblick der Arbeiten")
    heading._p.get_or_add_pPr().append(docx.oxml.parse_xml(f'<w:outlineLvl {docx.oxml.ns.nsdecls("w")} w:val="1"/>'))
    document.add_paragraph("Der Turm wurde 1874 gebaut.")
    document.save(str(tmp_path / "o.docx"))
    doc = load_file(tmp_path / "o.docx")
    assert doc.headings == ((0, 22, 2),)


@pytest.mark.parametrize("metadata_title", [True, False])
def test_pdf_title_and_headings_are_not_glued_to_the_text(tmp_path, metadata_title):
    """A PDF's heading is known by its looks alone, and a question ("Why did it decline?") is taken for text."""
    outline = (REPORT[0], [REPORT[1][0], ("Causes of the decline", REPORT[1][1][1])])
    doc = load_file(write_pdf_report(tmp_path / "r.pdf", outline, metadata_title=metadata_title))
    assert doc.text.startswith("Harbor Lighthouse Restoration Report\n\nHistory\n\nThe Harbor Lighthouse was built")
    assert [(doc.text[s:e], level) for s, e, level in doc.headings] == [
        ("Harbor Lighthouse Restoration Report", 0),
        ("History", 1),
        ("Causes of the decline", 1),
    ]
    assert doc.title == "Harbor Lighthouse Restoration Report"
    body = doc.text[doc.headings[1][1] : doc.headings[2][0]]  # the two wrapped paragraphs of History
    assert body.strip().count("\n\n") == 1 and body.strip().count("\n") == 2  # two paragraphs, lines joined


WRAPPED = [  # lines of about 70 characters and at most 12 words, each without closing punctuation
    "Representatives from seventeen neighbouring municipalities gathered",
    "Wednesday afternoon beside Marrowby harbour, discussing coastal erosion",
    "Considerable disagreement remained regarding responsibility for funding",
    "the emergency repairs. Nobody expected agreement before the autumn.",
]


def test_pdf_lines_of_running_text_are_not_headings(tmp_path):
    doc = load_file(write_pdf_lines(tmp_path / "wrapped.pdf", WRAPPED))
    assert doc.text == " ".join(WRAPPED) and doc.headings == ()


def test_pdf_short_line_after_a_sentence_and_over_text_is_a_heading(tmp_path):
    lines = [*WRAPPED, "Costs", *WRAPPED, "Signed by the committee"]  # the last line: nothing follows it
    doc = load_file(write_pdf_lines(tmp_path / "sections.pdf", lines))
    assert [doc.text[s:e] for s, e, _ in doc.headings] == ["Costs"]
    assert "the autumn.\n\nCosts\n\nRepresentatives" in doc.text
    assert doc.text.endswith("the autumn. Signed by the committee")  # text, though it follows a full line


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"   \n\n  ", "no text: the file holds only blank space, markup or scripts"),
        ("script.html", b"<html><head><script>var a = 1;</script></head><body> </body></html>", "no text: the file"),
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


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00")]
)
def test_utf16_and_utf32_with_a_byte_order_mark_are_decoded(tmp_path, encoding, bom):
    (tmp_path / "wide.md").write_bytes(bom + "# Überblick\n\nText in UTF-16 or 32.".encode(encoding))
    doc = load_file(tmp_path / "wide.md")
    assert doc.text == "Überblick\n\nText in UTF-16 or 32." and doc.title == "Überblick"


def test_utf16_without_a_byte_order_mark_gets_its_own_reason(tmp_path):
    (tmp_path / "nobom.txt").write_bytes("Saved by an old editor as UTF-16.".encode("utf-16-le"))
    with pytest.raises(IngestError, match=r"^looks like UTF-16 text without a byte-order mark; re-save it as UTF-8$"):
        load_file(tmp_path / "nobom.txt")


def test_nul_bytes_anywhere_mean_binary(tmp_path):
    (tmp_path / "late.txt").write_bytes(b"plain text " * 2000 + b"\x00\x01\x02 tail")  # the NUL is past 8 KB
    with pytest.raises(IngestError, match="binary data, not text"):
        load_file(tmp_path / "late.txt")


def test_pdf_with_only_an_owner_password_loads(tmp_path):
    path = write_pdf(tmp_path / "owner.pdf", ["Printable but locked."], owner_password="owner-secret")
    assert load_file(path).text == "Printable but locked."


def test_damaged_pdf_loads_without_pypdf_chatter(tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    path = damage_pdf(write_pdf(tmp_path / "xref.pdf", ["First page.", "Second page."]), "bad-startxref")
    assert load_file(path).text == "First page.\n\nSecond page."
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]  # nothing reaches the root logger
    assert any("incorrect startxref" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert capsys.readouterr().err == ""


def test_truncated_pdf_is_refused_and_nothing_is_printed(tmp_path):
    """In a process of its own, where logging has no handler and pypdf's warnings would reach stderr."""
    path = damage_pdf(write_pdf(tmp_path / "cut.pdf", ["First page.", "Second page."]), "truncated")
    script = (
        "import sys; from pathlib import Path; from rag.ingest.loaders import load_file\n"
        "try: load_file(Path(sys.argv[1]))\n"
        "except Exception as exc: print(exc)"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert run.stdout.startswith("corrupt or unreadable PDF") and run.stdout.count("\n") == 1
    assert run.stderr == ""


@pytest.mark.parametrize(
    ("name", "content", "title"),
    [
        ("a.txt", "Section 1\n\nThe Flood of 1953\n\nThe river rose in the night.", "The Flood of 1953"),
        ("b.md", "# Section 1\n\nThe river rose in the night.", "The river rose in the night."),
        ("c.md", "Intro line\n\n# Flood Report\n\nText.", "Flood Report"),
        ("d.txt", "Untitled\n---\n\nHarbour Notes\n\nText.", "Harbour Notes"),
    ],
)
def test_a_text_title_is_the_first_heading_or_line_that_is_no_placeholder(tmp_path, name, content, title):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert load_file(path).title == title


def test_an_html_placeholder_title_gives_way_to_its_first_heading(tmp_path):
    page = write_html(tmp_path / "p.html", "Document", "<p>Intro.</p><h2>Minor</h2><h1>Storm Log</h1><p>Text.</p>")
    assert load_file(page).title == "Storm Log"  # the top heading, not the first
    assert load_file(write_html(tmp_path / "q.html", "", "<p>Only a line of text.</p>")).title == (
        "Only a line of text."
    )


def test_a_docx_title_is_its_core_title_unless_a_placeholder_else_its_title_heading(tmp_path):
    import docx

    path = write_docx_report(tmp_path / "r.docx", REPORT)
    document = docx.Document(str(path))
    document.core_properties.title = "Untitled"
    document.save(str(path))
    assert load_file(path).title == "Harbor Lighthouse Restoration Report"
    document.core_properties.title = "Harbour Survey 2024"
    document.save(str(path))
    assert load_file(path).title == "Harbour Survey 2024"
    assert load_file(write_docx(tmp_path / "s.docx", "Section 1", ["Plain text follows."])).title == (
        "Plain text follows."
    )


def test_a_pdf_placeholder_title_is_never_the_title(tmp_path):
    path = write_pdf(tmp_path / "log.pdf", ["Document 1", "The harbour master logged forty ships in March."])
    assert load_file(path).title == "The harbour master logged forty ships in March."  # metadata says "untitled"


def test_placeholders_and_shown_titles():
    from rag.ingest.loaders import choose_title, is_placeholder_title, shown_title

    placeholders = ["Untitled", "(untitled)", "Document", "Section 1", "section 12.", "Chapter IV", "Page 3", "1."]
    placeholders += ["Microsoft Word - report.docx", "---", ""]
    assert all(is_placeholder_title(t) for t in placeholders)
    assert not any(is_placeholder_title(t) for t in ["Flood Report", "Section 1: Causes", "Documents of 1953"])
    sentence = "The United States and Ukraine on Wednesday signed a long-awaited agreement granting the U.S. " * 2
    # Indexed: a first line that is a long sentence is no title (the file name is); shown: that line, shortened.
    assert choose_title("", [], sentence, "deal", shorten=False) == "deal"
    shown = shown_title("deal", sentence, "deal.txt")
    assert shown.startswith("The United States and Ukraine") and shown.endswith("…") and len(shown) <= 101
    assert shown_title("Untitled", "Section 1\n\nReal Title\n\nText.", "x.pdf") == "Real Title"
    assert shown_title("Flood Report", "Other first line", "x.pdf") == "Flood Report"
