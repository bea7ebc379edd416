"""Builders of small real documents in every supported format (and broken ones), for the tests."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_pdf(path: Path, pages: list[str], password: str | None = None, owner_password: str | None = None) -> Path:
    """A real PDF with one text line per page (reportlab), optionally encrypted (pypdf, RC4).

    `password` is the user password (needed to open it; it is also the owner password unless one is given);
    `owner_password` alone gives an owner-password-only PDF, which any reader opens with the empty password.
    """
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for text in pages:
        pdf.drawString(72, 720, text)
        pdf.showPage()
    pdf.save()
    if password or owner_password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt(user_password=password or "", owner_password=owner_password)
        writer.write(path)
    return path


def damage_pdf(path: Path, how: str) -> Path:
    """Break a PDF the way files in the wild are broken: `truncated` (cut in half: unreadable) or `bad-startxref`
    (a wrong xref offset: pypdf warns, rebuilds the table and reads it)."""
    data = path.read_bytes()
    if how == "truncated":
        data = data[: len(data) // 2]
    elif how == "bad-startxref":
        data = re.sub(rb"startxref\s+\d+", b"startxref\n1234", data)
    else:
        raise ValueError(how)
    path.write_bytes(data)
    return path


def write_docx(path: Path, heading: str, paragraphs: list[str]) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def write_docx_bomb(path: Path, text_chars: int, paragraph: str = "All work and no play. " * 40) -> Path:
    """A valid .docx whose body repeats one paragraph until it holds more than `text_chars` characters of text;
    deflated, it stays a small file (a decompression bomb)."""
    xml = f"<w:p><w:r><w:t>{paragraph}</w:t></w:r></w:p>".encode()
    return _fill_docx_body(path, xml, text_chars // len(paragraph) + 1)


def write_docx_markup_bomb(path: Path, unpacked_bytes: int) -> Path:
    """A valid .docx whose body is `unpacked_bytes` of empty paragraphs: hardly any text, a lot of XML."""
    xml = b"<w:p><w:pPr><w:spacing w:after='0'/></w:pPr></w:p>"
    return _fill_docx_body(path, xml, unpacked_bytes // len(xml) + 1)


def pad_docx_part(path: Path, part: str, extra_bytes: int) -> Path:
    """Rewrite one part of a .docx (e.g. word/styles.xml) with `extra_bytes` of whitespace after its XML, which
    stays valid XML and deflates to almost nothing."""

    def write(original: bytes, out: IO[bytes]) -> None:
        out.write(original)
        _repeat(out, b" " * 65536, extra_bytes // 65536 + 1)

    return _rewrite_docx_part(path, part, write)


def _fill_docx_body(path: Path, xml: bytes, times: int) -> Path:
    write_docx(path, "Bomb", ["placeholder"])

    def write(original: bytes, out: IO[bytes]) -> None:
        head, tail = original.split(b"<w:body>", 1)
        out.write(head + b"<w:body>")
        _repeat(out, xml, times)
        out.write(tail)

    return _rewrite_docx_part(path, "word/document.xml", write)


def _rewrite_docx_part(path: Path, part: str, write: Callable[[bytes, IO[bytes]], None]) -> Path:
    """Copy the .docx member by member (ZIP_DEFLATED), streaming the new `part` so no big string is built."""
    original = path.read_bytes()
    with (
        zipfile.ZipFile(io.BytesIO(original)) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename == part:
                with target.open(part, "w") as out:
                    write(source.read(info), out)
            else:
                target.writestr(info.filename, source.read(info))
    return path


def _repeat(out: IO[bytes], piece: bytes, times: int) -> None:
    batch = max(1, 65536 // len(piece))
    for done in range(0, times, batch):
        out.write(piece * min(batch, times - done))


def write_html(path: Path, title: str, body: str) -> Path:
    path.write_text(
        f"<html><head><title>{title}</title><style>p {{color: red}}</style>"
        f"<script>var hidden = 'do not index';</script></head><body>{body}</body></html>",
        encoding="utf-8",
    )
    return path
