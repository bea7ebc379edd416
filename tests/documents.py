"""Builders of small real documents in every supported format (and broken ones), for the tests.

`write_formats` writes one outlined document (a title, sections, paragraphs) as .txt, .md, .html, .docx and .pdf,
each with the headings each format has; `python -m tests.documents eval/formats/lighthouse.md DEST` writes the
format-parity document into DEST/<format>/, ready for `rag eval eval/formats/suite.jsonl --corpus DEST/pdf`.
"""

from __future__ import annotations

import html
import io
import re
import sys
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


def write_pdf_lines(path: Path, lines: list[str]) -> Path:
    """A one-page PDF with the given lines one under the other, in one font size (reportlab)."""
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path))
    for number, text in enumerate(lines):
        pdf.drawString(72, 720 - 14 * number, text)
    pdf.save()
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


Outline = tuple[str, list[tuple[str, list[str]]]]
"""A document's title and its sections, each a heading and its paragraphs."""


def read_outline(markdown: str) -> Outline:
    """The outline of a Markdown document written as `# Title`, then `## Section` lines each directly followed by
    its paragraphs (separated by blank lines)."""
    title, sections = "", []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = block.strip().splitlines()
        while lines and lines[0].startswith("#"):
            marks, _, name = lines.pop(0).partition(" ")
            if marks == "#":
                title = name.strip()
            else:
                sections.append((name.strip(), []))
        if lines:
            sections[-1][1].append(" ".join(lines))
    return title, sections


def write_formats(source: Path, folder: Path) -> dict[str, Path]:
    """The outlined Markdown document `source` as each supported format, each in a folder of its own
    (`folder/txt/NAME.txt`, ...): .md as it is; .txt the same without `#` marks (a heading line directly over its
    paragraph); .html with <h1>/<h2> and <p>; .docx with the Title and Heading 1 styles; .pdf with larger title
    and heading lines."""
    outline = read_outline(source.read_text(encoding="utf-8"))
    writers: dict[str, Callable[[Path, Outline], object]] = {
        "txt": lambda path, o: path.write_text(_plain_text(o), encoding="utf-8"),
        "md": lambda path, _o: path.write_text(source.read_text(encoding="utf-8"), encoding="utf-8"),
        "html": write_html_report,
        "docx": write_docx_report,
        "pdf": write_pdf_report,
    }
    paths = {}
    for suffix, write in writers.items():
        (folder / suffix).mkdir(parents=True, exist_ok=True)
        paths[suffix] = folder / suffix / f"{source.stem}.{suffix}"
        write(paths[suffix], outline)
    return paths


def _plain_text(outline: Outline) -> str:
    title, sections = outline
    return title + "\n" + "\n\n".join(heading + "\n" + "\n\n".join(body) for heading, body in sections) + "\n"


def write_html_report(path: Path, outline: Outline) -> Path:
    """Headings and paragraphs one after the other with no whitespace between the tags, as generated pages are."""
    title, sections = outline
    body = f"<h1>{html.escape(title)}</h1>" + "".join(
        f"<h2>{html.escape(heading)}</h2>" + "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        for heading, paragraphs in sections
    )
    return write_html(path, title, f"<article>{body}</article>")


def write_docx_report(path: Path, outline: Outline) -> Path:
    import docx

    title, sections = outline
    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for text in paragraphs:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def write_pdf_report(path: Path, outline: Outline, metadata_title: bool = True) -> Path:
    """A PDF laid out by reportlab: the title and headings in larger type, paragraphs wrapped to the page width.
    With `metadata_title`, the title is also the PDF's /Title (else reportlab's placeholder, "untitled")."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    title, sections = outline
    styles = getSampleStyleSheet()
    story = [Paragraph(html.escape(title), styles["Title"])]
    for heading, paragraphs in sections:
        story.append(Paragraph(html.escape(heading), styles["Heading2"]))
        story += [Paragraph(html.escape(text), styles["BodyText"]) for text in paragraphs]
    SimpleDocTemplate(str(path), **({"title": title} if metadata_title else {})).build(story)
    return path


if __name__ == "__main__":
    for suffix, written in write_formats(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{suffix}: {written}")
