"""Builders of small real documents in every supported format (and broken ones), for the tests."""

from __future__ import annotations

from pathlib import Path


def write_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    """A real PDF with one text line per page (reportlab), optionally encrypted (pypdf)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for text in pages:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt(password)
        writer.write(path)
    return path


def write_docx(path: Path, heading: str, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def write_html(path: Path, title: str, body: str) -> Path:
    path.write_text(
        f"<html><head><title>{title}</title><style>p {{color: red}}</style>"
        f"<script>var hidden = 'do not index';</script></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return path
