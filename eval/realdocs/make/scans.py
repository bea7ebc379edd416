"""Make the scanned documents of the corpus.

- corpus/scan-harbour-notice.pdf: an image-only PDF (no text layer), one page of prose and a numbered list, as a
  300-dpi greyscale scan with a grey paper tone, speckle and a slight blur. sources/scan.txt holds the text it shows.
- corpus/parish-council-minutes-2024-03.pdf: three pages; pages 1 and 3 are ordinary text pages, page 2 is a scanned
  letter (an image only). sources/mixed-page2.txt holds the text page 2 shows.

Each page is first typeset with reportlab, rasterised with `pdftoppm -r 300 -gray` (Debian's poppler-utils), degraded
with Pillow and wrapped back into a PDF with Pillow (no text layer); the mixed PDF is put together with pypdf.

Run: .venv/bin/python eval/realdocs/make/scans.py
"""

import random
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

HERE = Path(__file__).resolve().parents[1]
CORPUS = HERE / "corpus"
SOURCES = HERE / "sources"

# Each block: (kind, text). Kinds: title, subtitle, heading, para, item, sign.
NOTICE = [
    ("title", "PORT OF CALDERMOUTH"),
    ("subtitle", "NOTICE TO MARINERS No. 14 of 2024"),
    ("heading", "Maintenance dredging of the inner harbour channel"),
    (
        "para",
        "Mariners are advised that maintenance dredging of the inner harbour channel, between the North Pier "
        "light and the swing bridge, will take place from 3 June 2024 to 28 June 2024. Work will continue "
        "around the clock, except on Sundays.",
    ),
    (
        "para",
        "The trailing suction hopper dredger Sandpiper (call sign MDKP7) will carry out the work. The dredged "
        "material will be taken to the licensed disposal site at Carr Bank, about 6 nautical miles east of "
        "the harbour entrance.",
    ),
    ("para", "While the dredger is working, the following restrictions apply:"),
    ("item", "1. All vessels in the inner harbour must keep their speed below 4 knots."),
    ("item", "2. No vessel may anchor within 200 metres of the dredger."),
    ("item", "3. Vessels must pass the dredger on the side shown by her signals and give her a wide berth."),
    ("item", "4. Small craft should keep to the marked channel and keep watch on VHF channel 12."),
    (
        "para",
        "After the work the least depth in the dredged channel is expected to be 5.8 metres below chart "
        "datum. A new survey of the channel will be published when the work is finished.",
    ),
    (
        "para",
        "Enquiries should be made to the Harbour Master, Captain Alan Pryce, on 01947 602318 or on VHF channel 12.",
    ),
    ("sign", "Issued by the Harbour Master's Office, Caldermouth, 20 May 2024."),
]

LETTER = [
    ("title", "NORTH PENNINE COUNTY COUNCIL"),
    ("subtitle", "Highways and Transport  \u00b7  County Hall, Skipton Road, Ripley HG3 4XT"),
    ("para", "Our ref: HT/2024/0617"),
    ("para", "Mr Mark Denby, Clerk to Linthwaite Parish Council, The Old School, Linthwaite"),
    ("para", "4 March 2024"),
    ("para", "Dear Mr Denby,"),
    ("heading", "Mill Lane, Linthwaite: carriageway resurfacing"),
    (
        "para",
        "Thank you for your letter of 19 February 2024 on behalf of the Parish Council. I am pleased to "
        "confirm that the resurfacing of Mill Lane, from its junction with Church Street to the bridge over "
        "Clough Beck, has been included in this year's programme.",
    ),
    (
        "para",
        "The work is scheduled for the week beginning 15 April 2024. The road will be closed to through "
        "traffic between 9:30 am and 3:30 pm each day, and access for residents will be kept open at all "
        "times. The estimated cost of the scheme is \u00a348,500, which will be met in full by the County "
        "Council.",
    ),
    (
        "para",
        "The footway on the north side will also be repaired, and the two gullies outside the primary school "
        "will be cleared before the new surface is laid.",
    ),
    ("para", "Yours sincerely,"),
    ("sign", "Priya Natarajan"),
    ("sign", "Area Highways Engineer"),
]

STYLES = {
    "title": ParagraphStyle("t", fontName="Times-Bold", fontSize=17, leading=22, alignment=1, spaceAfter=4),
    "subtitle": ParagraphStyle("s", fontName="Times-Bold", fontSize=12.5, leading=16, alignment=1, spaceAfter=14),
    "heading": ParagraphStyle("h", fontName="Times-Bold", fontSize=13, leading=17, spaceBefore=4, spaceAfter=10),
    "para": ParagraphStyle("p", fontName="Times-Roman", fontSize=12, leading=16, spaceAfter=9),
    "item": ParagraphStyle(
        "i", fontName="Times-Roman", fontSize=12, leading=16, leftIndent=10 * mm, firstLineIndent=-6 * mm, spaceAfter=5
    ),
    "sign": ParagraphStyle("g", fontName="Times-Italic", fontSize=12, leading=16, spaceAfter=2),
}


def typeset(blocks, path: Path):
    doc = SimpleDocTemplate(
        str(path), pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm, bottomMargin=25 * mm
    )
    story = []
    for kind, text in blocks:
        story.append(Paragraph(text.replace("&", "&amp;"), STYLES[kind]))
        if kind == "item" and text.startswith("4."):
            story.append(Spacer(1, 4))
    doc.build(story)


def scan(pdf: Path, png_stem: Path, seed: int) -> Image.Image:
    """Rasterise the one-page PDF at 300 dpi and make it look like a photocopied scan."""
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", str(pdf), str(png_stem)], check=True)
    img = Image.open(f"{png_stem}.png").convert("L")
    rng = random.Random(seed)
    # Paper tone: darken white to a light grey, ink to a dark grey, and a gentle top-to-bottom shading.
    img = img.point(lambda v: int(38 + v * (226 - 38) / 255))
    shade = Image.linear_gradient("L").resize(img.size).point(lambda v: int(v * 14 / 255))
    img = ImageChops.subtract(img, shade)
    img = img.filter(ImageFilter.GaussianBlur(0.7))
    # Speckle: a few thousand dark dots and some light dropouts.
    px = img.load()
    w, h = img.size
    for _ in range(9000):
        x, y = rng.randrange(w), rng.randrange(h)
        px[x, y] = rng.randrange(60, 150)
    for _ in range(4000):
        x, y = rng.randrange(w), rng.randrange(h)
        px[x, y] = min(255, px[x, y] + 60)
    return img


def image_pdf(img: Image.Image, out: Path):
    img.save(out, "PDF", resolution=300.0, quality=70)


def text_of(blocks) -> str:
    return "\n\n".join(text for _, text in blocks) + "\n"


def mixed_text_pages(path: Path):
    """Pages 1 and 3 of the minutes (a text layer), with page 2 left for the scanned letter."""
    from reportlab.platypus import PageBreak

    body = ParagraphStyle("b", fontName="Helvetica", fontSize=10.5, leading=14.5, spaceAfter=7)
    head = ParagraphStyle("h", fontName="Helvetica-Bold", fontSize=11.5, leading=15, spaceBefore=6, spaceAfter=4)
    title = ParagraphStyle("t", fontName="Helvetica-Bold", fontSize=16, leading=20, spaceAfter=6)
    p = Paragraph
    story = [
        p("Linthwaite Parish Council", title),
        p(
            "Minutes of the ordinary meeting held on Tuesday 12 March 2024 at 7:00 pm in the Old School, Linthwaite",
            body,
        ),
        p(
            "Present: Cllr Janet Hirst (Chair), Cllr Robert Lumb (Vice-Chair), Cllr Anita Sykes, Cllr Peter Quarmby, "
            "Cllr Hannah Ibbotson. In attendance: Mark Denby (Clerk) and four members of the public.",
            body,
        ),
        p("24/31 Apologies for absence", head),
        p(
            "Apologies were received from Cllr David Haigh (work commitments). County Councillor Sue Armitage also sent "
            "her apologies.",
            body,
        ),
        p("24/32 Minutes of the previous meeting", head),
        p(
            "The minutes of the meeting held on 13 February 2024 were approved as a true record and signed by the "
            "Chair.",
            body,
        ),
        p("24/33 Highways: Mill Lane", head),
        p(
            "The Clerk reported that he had written to the County Council on 19 February 2024 about the condition of "
            "Mill Lane, following complaints from residents about potholes near Clough Beck. A reply from the Area "
            "Highways Engineer was received on 6 March 2024 and is attached to these minutes as Appendix A. The Council "
            "welcomed the reply and asked the Clerk to put a notice about the road closure on the village noticeboard "
            "and on the Council's website.",
            body,
        ),
        p("24/34 Playground inspection", head),
        p(
            "Cllr Sykes reported on the annual inspection of the Recreation Ground play area, carried out on 28 "
            "February 2024 by Pennine Play Safety Ltd. Two items were rated medium risk: a worn chain on the junior "
            "swings and a loose bolt on the climbing frame. The Council agreed to accept a quote of \u00a3640 from "
            "the same company for the repairs.",
            body,
        ),
        PageBreak(),
        p("(Appendix A: the scanned letter replaces this page.)", body),
        PageBreak(),
        p("24/35 Finance", head),
        p(
            "The Council noted that the bank balance at 29 February 2024 was \u00a323,418.62. The following payments "
            "were approved: Clerk's salary for March, \u00a3712.40; Linthwaite Village Hall, room hire, \u00a345.00; "
            "Yorkshire Local Councils Associations, annual subscription, \u00a3384.00.",
            body,
        ),
        p("24/36 Planning", head),
        p(
            "Application 2024/0188, a two-storey extension at 14 Weavers Row: no objection. Application 2024/0203, "
            "change of use of the former Co-op building to two flats: the Council objected because no parking is "
            "provided.",
            body,
        ),
        p("24/37 Annual Parish Meeting", head),
        p(
            "The Annual Parish Meeting will be held on Tuesday 23 April 2024 at 7:00 pm. The Chair will give the "
            "annual report and local groups will be invited to speak.",
            body,
        ),
        p("24/38 Date of the next meeting", head),
        p(
            "The next ordinary meeting of the Council will be held on Tuesday 9 April 2024 at 7:00 pm in the Old "
            "School. The meeting closed at 8:47 pm.",
            body,
        ),
        Spacer(1, 10 * mm),
        p("Signed ........................................ (Chair)      Date ....................", body),
    ]
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=22 * mm,
        rightMargin=22 * mm,
        topMargin=22 * mm,
        bottomMargin=22 * mm,
        title="Linthwaite Parish Council minutes, 12 March 2024",
    )

    def footer(canvas, doc_):
        canvas.saveState()
        canvas.setFont("Helvetica", 8.5)
        canvas.drawCentredString(
            A4[0] / 2, 12 * mm, f"Linthwaite Parish Council  \u00b7  12 March 2024  \u00b7  page {doc_.page} of 3"
        )
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    SOURCES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # The image-only notice.
        typeset(NOTICE, tmp / "notice.pdf")
        image_pdf(scan(tmp / "notice.pdf", tmp / "notice", seed=14), CORPUS / "scan-harbour-notice.pdf")
        (SOURCES / "scan.txt").write_text(text_of(NOTICE), encoding="utf-8")
        # The minutes, with the scanned letter as page 2.
        typeset(LETTER, tmp / "letter.pdf")
        image_pdf(scan(tmp / "letter.pdf", tmp / "letter", seed=2), tmp / "letter-scan.pdf")
        (SOURCES / "mixed-page2.txt").write_text(text_of(LETTER), encoding="utf-8")
        mixed_text_pages(tmp / "minutes.pdf")
        text_pages = PdfReader(tmp / "minutes.pdf")
        letter = PdfReader(tmp / "letter-scan.pdf")
        writer = PdfWriter()
        writer.add_page(text_pages.pages[0])
        writer.add_page(letter.pages[0])
        assert len(text_pages.pages) == 3, len(text_pages.pages)
        writer.add_page(text_pages.pages[2])
        writer.add_metadata({"/Title": "Linthwaite Parish Council minutes, 12 March 2024"})
        with open(CORPUS / "parish-council-minutes-2024-03.pdf", "wb") as fh:
            writer.write(fh)
    print("wrote", CORPUS / "scan-harbour-notice.pdf", CORPUS / "parish-council-minutes-2024-03.pdf")


if __name__ == "__main__":
    main()
