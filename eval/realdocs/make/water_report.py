"""Make corpus/water-annual-report-2023.pdf: a short, made-up water company annual report.

Structure under test: title, headings, prose, a key-figures table, a reservoir table with a totals row, a running
header and a footer with page numbers on every page, and footnotes in small type at the foot of the page whose
markers sit in the text as superscripts ("reports 7 of" style).

Run: .venv/bin/python eval/realdocs/make/water_report.py
"""

from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

OUT = Path(__file__).resolve().parents[1] / "corpus" / "water-annual-report-2023.pdf"

HEADER = "Fellside Water  \u00b7  Annual Report and Accounts 2023"
FOOTER_LEFT = "Fellside Water Ltd, Registered in England No. 2366418"

# Footnotes are drawn at the foot of the page that carries their markers (pages are broken by hand below).
FOOTNOTES = {
    1: [
        "1  Leakage is reported as a three-year rolling average in megalitres a day (Ml/d), as agreed with the "
        "regulator in the 2020 price review.",
        "2  Compliance is the share of 148,320 regulatory samples taken at taps and treatment works that met "
        "every standard.",
    ],
    2: [
        "3  Levels were read at 09:00 on 31 December 2023 by the hydrometric team and are given as a share of "
        "usable capacity.",
    ],
    3: [
        "4  Figures are in cash prices and exclude infrastructure charges paid by developers.",
    ],
}


class NumberedCanvas(rl_canvas.Canvas):
    """A canvas that knows the page count, so each footer can say "Page N of M"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._saved = []

    def showPage(self):  # reportlab's name
        self._saved.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._saved)
        for state in self._saved:
            self.__dict__.update(state)
            self._furniture(total)
            super().showPage()
        super().save()

    def _furniture(self, total):
        width, height = A4
        page = self._pageNumber
        self.saveState()
        self.setFont("Helvetica", 8.5)
        self.setFillColor(colors.HexColor("#1f4e79"))
        self.drawString(20 * mm, height - 13 * mm, HEADER)
        self.drawRightString(width - 20 * mm, height - 13 * mm, "Strategic report")
        self.setStrokeColor(colors.HexColor("#1f4e79"))
        self.line(20 * mm, height - 15 * mm, width - 20 * mm, height - 15 * mm)
        self.setFillColor(colors.black)
        notes = FOOTNOTES.get(page, [])
        if notes:
            y = 30 * mm + 4 * mm * (len(notes) - 1)
            self.setStrokeColor(colors.grey)
            self.line(20 * mm, y + 5 * mm, 70 * mm, y + 5 * mm)
            self.setFont("Helvetica", 7.5)
            for note in notes:
                self.drawString(20 * mm, y, note)
                y -= 4 * mm
        self.setStrokeColor(colors.HexColor("#1f4e79"))
        self.line(20 * mm, 17 * mm, width - 20 * mm, 17 * mm)
        self.setFont("Helvetica", 8)
        self.drawString(20 * mm, 12 * mm, FOOTER_LEFT)
        self.drawRightString(width - 20 * mm, 12 * mm, f"Page {page} of {total}")
        self.restoreState()


def styles():
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Times-Roman", fontSize=10.5, leading=14)
    return {
        "title": ParagraphStyle(
            "title",
            parent=base["Title"],
            fontName="Helvetica-Bold",
            fontSize=22,
            leading=27,
            textColor=colors.HexColor("#1f4e79"),
            alignment=0,
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontName="Helvetica", fontSize=12, leading=16, textColor=colors.HexColor("#444444")
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base["Heading1"],
            fontName="Helvetica-Bold",
            fontSize=15,
            leading=19,
            textColor=colors.HexColor("#1f4e79"),
            spaceBefore=10,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName="Helvetica-Bold",
            fontSize=12,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "body": body,
        "caption": ParagraphStyle("caption", parent=body, fontName="Helvetica-Oblique", fontSize=9, leading=11),
        "cell": ParagraphStyle("cell", parent=body, fontName="Helvetica", fontSize=9.5, leading=12),
    }


def table(rows, widths, total_row=False, align_right_from=1):
    t = Table(rows, colWidths=widths, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dce6f1")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#1f4e79")),
        ("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f7fb")]),
    ]
    if total_row:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9.5),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    t.setStyle(TableStyle(style))
    return t


def story():
    s = styles()
    p = lambda text, style="body": Paragraph(text, s[style])  # noqa: E731
    out = [
        p("Annual Report 2023", "title"),
        p("Fellside Water: clean, reliable water for 1.42 million people in the northern fells and dales", "subtitle"),
        Spacer(1, 6 * mm),
        p("Key figures 2023", "h1"),
        p(
            "We supplied 61.8 billion litres of drinking water in 2023, slightly more than in 2022, through 9,870 "
            "kilometres of mains. Leakage fell for the fourth year running, to 118 megalitres a day<super>1</super>, "
            "and 99.97% of samples met every drinking water standard<super>2</super>."
        ),
        Spacer(1, 3 * mm),
        table(
            [
                ["Measure", "2023", "2022"],
                ["Drinking water supplied (billion litres)", "61.8", "60.9"],
                ["Customers served", "1.42 million", "1.40 million"],
                ["Leakage (Ml/d)", "118", "127"],
                ["Mains renewed (km)", "214", "188"],
                ["Water quality compliance", "99.97%", "99.95%"],
                ["Written complaints", "3,412", "3,980"],
                ["Supply interruptions over 3 hours (properties)", "2,145", "3,067"],
            ],
            [95 * mm, 35 * mm, 35 * mm],
        ),
        Spacer(1, 2 * mm),
        p("Table 1. Key figures for the year ended 31 December 2023, with 2022 for comparison.", "caption"),
        p("Chief executive's review", "h1"),
        p(
            "It has been a year of steady progress. Our teams renewed 214 kilometres of water mains, the most in a "
            "single year since the company was formed, and we cut the number of properties that lost supply for "
            "more than three hours by almost a third. Written complaints fell to 3,412, and the average time to "
            "answer a call to our contact centre came down to 41 seconds."
        ),
        p(
            "The dry summer tested the network. Demand peaked at 212 megalitres on 12 July 2023, the highest day "
            "we have recorded, and for eleven days we moved water from Carrow Moss to the eastern towns through the "
            "Thirlby link main. No hosepipe ban was needed. I would like to thank every colleague who worked through "
            "those weeks, and our customers, who answered our call to save water."
        ),
        p(
            "Next year we begin the largest programme in our history: &#163;1.1 billion over five years to "
            "strengthen our dams, build a second treatment stream at Ashgill and replace lead pipes in 18,000 "
            "homes. &#8212; Ruth Calloway, Chief Executive"
        ),
        PageBreak(),
        p("Our reservoirs", "h1"),
        p(
            "Fellside Water draws 70% of its water from six impounding reservoirs in the fells; the rest comes from "
            "boreholes in the sandstone of the Eden valley. Reservoir stocks ended the year at 91% of usable "
            "capacity<super>3</super>, against a long-term average of 86% for the time of year. Table 2 lists each "
            "reservoir."
        ),
        Spacer(1, 3 * mm),
        table(
            [
                ["Reservoir", "Capacity (Ml)", "Full", "Built"],
                ["Millbeck", "6,200", "100%", "1902"],
                ["Greystone", "4,850", "92%", "1911"],
                ["Ashgill", "3,120", "88%", "1897"],
                ["Low Fold", "2,760", "95%", "1934"],
                ["Carrow Moss", "9,400", "81%", "1958"],
                ["Thirlby", "1,980", "100%", "1926"],
                ["Total", "28,310", "91%", ""],
            ],
            [60 * mm, 35 * mm, 25 * mm, 25 * mm],
            total_row=True,
        ),
        Spacer(1, 2 * mm),
        p("Table 2. Capacity and stock of each reservoir at 31 December 2023.", "caption"),
        p("Dam safety", "h2"),
        p(
            "Every dam was inspected by a qualified panel engineer in 2023. The inspecting engineer for Carrow Moss, "
            "our largest reservoir, recommended new wave protection on the upstream face; the work started in "
            "October 2023 and will be finished in the summer of 2024. Greystone's spillway was rebuilt in 2021 and "
            "needed no further work."
        ),
        p("Water resources", "h2"),
        p(
            "Our water resources plan looks 25 years ahead. It forecasts that demand will grow by 0.4% a year as "
            "new homes are built, and that a drier climate will reduce the yield of our reservoirs by 6% by 2050. "
            "The plan closes the gap by reducing leakage to 95 megalitres a day by 2030, by installing 120,000 "
            "smart meters, and by raising the top water level at Low Fold by 1.5 metres."
        ),
        PageBreak(),
        p("Investment and finance", "h1"),
        p(
            "We invested &#163;186 million in 2023<super>4</super>, of which &#163;74 million went on renewing "
            "mains and &#163;29 million on our treatment works. Revenue was &#163;412 million and operating profit "
            "&#163;118 million. The average household bill was &#163;398 a year, or about &#163;1.09 a day."
        ),
        p("Looking after customers", "h2"),
        p(
            "We helped 46,300 households with lower bills through our social tariff, up from 39,800 in 2022. Our "
            "Priority Services Register, which ensures that vulnerable customers get bottled water delivered during an "
            "interruption, now holds 88,150 households."
        ),
        p("Environment", "h2"),
        p(
            "The company's operational carbon emissions were 61,400 tonnes of carbon dioxide equivalent, 9% lower "
            "than in 2022. We restored 1,150 hectares of peatland above our reservoirs with the Fells Peat "
            "Partnership, and there were two pollution incidents, both category 3 (minor)."
        ),
        p("Board and governance", "h2"),
        p(
            "Ruth Calloway has been Chief Executive since April 2021. The board is chaired by Professor Alan Whitcombe. "
            "Finance Director Neil Bramley will retire in March 2024 and will be succeeded by Fiona Oyelaran."
        ),
    ]
    return out


def main():
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = SimpleDocTemplate(
        str(OUT),
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=22 * mm,
        bottomMargin=42 * mm,
        title="Fellside Water Annual Report 2023",
        author="Fellside Water",
        subject="Annual report",
    )
    doc.build(story(), canvasmaker=NumberedCanvas)
    print(OUT)


if __name__ == "__main__":
    main()
