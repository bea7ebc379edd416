"""Make the two Word documents of the corpus with python-docx.

- corpus/ravensworth-employee-handbook.docx: a long handbook with the Title style, Heading 1 and Heading 2, body
  paragraphs, bulleted (List Bullet) and numbered (List Number) lists, and two tables (leave entitlements, project
  milestones), one introduced by "The table below lists ...".
- corpus/site-visit-memo.docx: a short memo with a schedule table, two short bullet lists and a one-line quote.

Run: .venv/bin/python eval/realdocs/make/docx_docs.py
"""

import contextlib
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def add_table(doc, rows, style="Light Grid Accent 1"):
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    try:
        table.style = style
    except (KeyError, ValueError):
        table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = value
            if r == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
    return table


def bullets(doc, items, style="List Bullet"):
    for item in items:
        doc.add_paragraph(item, style=style)


def handbook():
    doc = Document()
    doc.core_properties.title = "Ravensworth Housing Association Employee Handbook"
    doc.core_properties.author = "Ravensworth Housing Association, People Team"
    doc.add_paragraph("Ravensworth Housing Association Employee Handbook", style="Title")
    doc.add_paragraph("Version 4.2, effective from 1 April 2024. Owner: People Team.")
    P = doc.add_paragraph

    doc.add_heading("1. Welcome", level=1)
    P(
        "Welcome to Ravensworth Housing Association. We own and manage 7,400 affordable homes across the Tees "
        "valley and North Yorkshire, and we employ 312 people in our offices, our repairs service and our two "
        "extra-care schemes. This handbook explains how things work here: your hours, your pay, your leave and "
        "the people to ask when you need help."
    )
    P(
        "The handbook is not part of your contract of employment unless a section says so. Your contract and "
        "our policies, which you can find on the intranet, take precedence if they say something different. We "
        "review the handbook every year with the recognised union, UNISON."
    )
    doc.add_heading("Our values", level=2)
    P("Everything we do is guided by four values, agreed with staff and tenants in 2022:")
    bullets(
        doc,
        [
            "Put tenants first",
            "Do what we say we will do",
            "Treat each other with respect",
            "Keep learning and improving",
        ],
    )

    doc.add_heading("2. Working hours", level=1)
    P(
        "The standard working week is 36.25 hours, Monday to Friday. Part-time staff work the hours set out in "
        "their contract. Staff in the repairs service and the extra-care schemes work to rotas agreed with their "
        "team leaders, which may include evenings and weekends."
    )
    doc.add_heading("Flexitime", level=2)
    P(
        "Office-based staff can use flexitime. You may start work at any time between 7:30 am and 10:00 am and "
        "finish at any time between 3:30 pm and 7:00 pm, as long as you are available during the core hours of "
        "10:00 am to 3:30 pm. You may carry over up to 10 hours of credit or 5 hours of debit from one four-week "
        "period to the next, and you may take up to two flexi days in each period."
    )
    doc.add_heading("Working from home", level=2)
    P(
        "Most office roles are hybrid. If your role is hybrid, you may work from home for up to three days a "
        "week. When you work from home you must:"
    )
    bullets(
        doc,
        [
            "have a safe, quiet place to work and complete the home-working checklist every year",
            "be contactable by phone and Teams during your working hours",
            "keep tenants' personal information out of sight of other people in your home",
            "use only Ravensworth equipment and the VPN for work",
        ],
    )

    doc.add_heading("3. Pay and expenses", level=1)
    P(
        "You are paid monthly by bank transfer on the 25th of each month, or on the last working day before it "
        "if the 25th falls at a weekend or on a bank holiday. Your payslip is available in the self-service "
        "portal three days before payday. Pay awards are negotiated with UNISON and normally take effect on "
        "1 April."
    )
    doc.add_heading("Expenses", level=2)
    P(
        "We repay reasonable expenses that you incur while working for us. Claims must be made through the "
        "portal within three months, with receipts. The main rates are:"
    )
    bullets(
        doc,
        [
            "mileage in your own car: 45p a mile for the first 10,000 business miles in a tax year",
            "mileage on a bicycle: 20p a mile",
            "an evening meal when you stay away overnight: up to \u00a325",
            "a hotel outside London: up to \u00a3110 a night",
        ],
    )

    doc.add_heading("4. Leave", level=1)
    P(
        "Your leave year runs from 1 April to 31 March. Part-time staff receive leave in proportion to the hours "
        "they work. The entitlements of a full-time employee are set out in the table below."
    )
    add_table(
        doc,
        [
            ["Leave type", "Entitlement", "Notes"],
            ["Annual leave", "27 days", "Plus 8 bank holidays; rises to 30 days after five years' service"],
            ["Sick leave", "12 days on full pay", "Then 12 days on half pay in any rolling 12 months"],
            ["Maternity and adoption leave", "52 weeks", "The first 26 weeks on full pay, then statutory pay"],
            ["Paternity and partner leave", "2 weeks on full pay", "Taken within 8 weeks of the birth or placement"],
            ["Compassionate leave", "5 days", "For the death of a close relative; more at your manager's discretion"],
            ["Volunteering leave", "2 days", "Each leave year, for work with a registered charity"],
            ["Study leave", "Up to 5 days", "For approved courses and examinations"],
        ],
    )
    doc.add_heading("Booking annual leave", level=2)
    P(
        "Book annual leave in the self-service portal. Your manager will try to agree every request, but must "
        "keep enough people at work to run the service. Please:"
    )
    bullets(
        doc,
        [
            "give at least twice as much notice as the leave you want to take",
            "book leave of more than two weeks at least three months ahead",
            "check the team calendar before you ask",
            "take at least one full week of leave each year",
        ],
    )
    doc.add_heading("Carrying over leave", level=2)
    P(
        "You may carry up to 5 days of unused annual leave into the next leave year, with your manager's "
        "agreement. Leave that could not be taken because of sickness or family leave is carried over in full."
    )
    doc.add_heading("Reporting sickness", level=2)
    P("If you are too ill to work, follow these steps:")
    bullets(
        doc,
        [
            "Phone your line manager before 9:30 am on your first day of absence; a text or an email is not enough.",
            "Tell them why you are absent and when you expect to return.",
            "Keep in touch on the fourth day of absence and then at least once a week.",
            "Complete a self-certification form in the portal for absences of up to seven calendar days.",
            "Send a fit note from your doctor for absences of more than seven calendar days.",
            "Meet your manager for a return-to-work conversation on your first day back.",
        ],
        style="List Number",
    )

    doc.add_heading("5. Health, safety and wellbeing", level=1)
    P(
        "Everyone at Ravensworth is responsible for working safely. Our Health and Safety Manager is Colin "
        "Pearson, and every site has at least one trained first aider and one fire warden. Report every accident "
        "and near miss in the portal within 24 hours."
    )
    doc.add_heading("Support for your wellbeing", level=2)
    bullets(
        doc,
        [
            "A free, confidential employee assistance line, open 24 hours a day, on 0800 031 8862",
            "Up to six sessions of counselling a year, arranged through the assistance line",
            "Twelve trained mental health first aiders across the organisation",
            "A free annual flu vaccination and eye tests for screen users",
            "The cycle to work scheme and interest-free season ticket loans",
        ],
    )

    doc.add_heading("6. Learning and development", level=1)
    P(
        "Every employee has an annual review with their manager in April or May and a check-in every quarter. "
        "Together you agree a development plan. Each team has a training budget, and the organisation pays for "
        "professional qualifications that your role needs, such as the Level 4 Certificate in Housing. If you "
        "leave within two years of finishing a funded qualification, you may be asked to repay part of the cost."
    )

    doc.add_heading("7. The new HR and payroll system", level=1)
    P(
        "In 2024 we are replacing our old HR, payroll and rota systems with a single cloud system, PeopleHub. "
        "The project is sponsored by the Director of Resources, Janet Oduya, and managed by the HR Systems Lead, "
        "Tom Ashworth. The first milestones, choosing the supplier and designing the new processes, were met on "
        "time in January and March 2024."
    )
    P("The table below lists the remaining milestones and their owners.")
    add_table(
        doc,
        [
            ["Milestone", "Owner", "Due"],
            ["Data cleansing complete", "Lucy Brennan", "31 May 2024"],
            ["Payroll parallel run", "Dev Okafor", "28 June 2024"],
            ["Payroll cut-over", "Dev Okafor", "31 July 2024"],
            ["Manager self-service live", "Sarah Quinlan", "30 September 2024"],
            ["Rota module live in extra-care schemes", "Marcus Flint", "29 November 2024"],
            ["Legacy systems switched off", "Tom Ashworth", "15 January 2025"],
        ],
    )
    P(
        "Until the cut-over, keep using the current portal for leave, expenses and payslips. Training sessions "
        "on PeopleHub will be offered to every employee before it goes live."
    )

    doc.add_heading("8. Leaving Ravensworth", level=1)
    P("If you decide to leave, tell your manager in writing. The notice you must give depends on your grade:")
    bullets(
        doc,
        [
            "Grades 1 to 4: one month",
            "Grades 5 to 7: two months",
            "Heads of service and directors: three months",
        ],
    )
    P(
        "We will pay you for any annual leave you have earned but not taken. Please return your laptop, phone, "
        "ID badge and keys on your last day."
    )

    doc.add_heading("9. Who to contact", level=1)
    bullets(
        doc,
        [
            "Pay and payslips: the Payroll Team, payroll@ravensworth.example",
            "Leave, sickness and policies: your HR Business Partner, Nadia Rahman",
            "Health and safety: Colin Pearson, Health and Safety Manager",
            "IT problems: the Service Desk on extension 4400",
        ],
    )
    out = CORPUS / "ravensworth-employee-handbook.docx"
    doc.save(out)
    return out


def memo():
    doc = Document()
    doc.core_properties.title = "Site visit to Carrow Moss dam"
    doc.core_properties.author = "Gareth Lowe"
    head = doc.add_paragraph()
    run = head.add_run("MEMO")
    run.bold = True
    run.font.size = Pt(20)
    for label, value in [
        ("To", "Capital Delivery team and graduate engineers"),
        ("From", "Gareth Lowe, Site Manager, Carrow Moss dam improvement works"),
        ("Date", "8 May 2024"),
        ("Subject", "Site visit to Carrow Moss dam, Thursday 16 May 2024"),
    ]:
        para = doc.add_paragraph()
        para.add_run(f"{label}: ").bold = True
        para.add_run(value)
    doc.add_paragraph(
        "Thank you for signing up for next week's visit to the wave protection works at Carrow Moss. There are "
        "14 places on the coach and all of them are taken. The programme for the day is below."
    )
    add_table(
        doc,
        [
            ["Time", "Activity", "Location"],
            ["08:15", "Coach leaves", "Head office car park, Kendal"],
            ["09:40", "Arrival, tea and coffee", "Site welfare cabin"],
            ["10:00", "Safety briefing", "Site cabin 2"],
            ["10:30", "Tour of the upstream face and rock armour", "Dam crest"],
            ["12:30", "Lunch", "Carrow Moss visitor centre"],
            ["13:30", "Talk on the spillway monitoring system", "Valve house"],
            ["15:00", "Coach leaves site", "Visitor centre car park"],
        ],
        style="Table Grid",
    )
    doc.add_paragraph("What to bring", style="Heading 2")
    bullets(doc, ["Hard hat", "Water bottle", "Safety boots", "Waterproof jacket", "Photo ID"])
    doc.add_paragraph("Provided on site", style="Heading 2")
    bullets(doc, ["Hi-vis vest", "Ear defenders", "Gloves", "Packed lunch"])
    doc.add_paragraph(
        "Anyone who does not have safety boots should tell me by Monday 13 May so that we can lend a pair in the "
        "right size. Please note that the dam crest is exposed and it can be cold even in May."
    )
    quote = doc.add_paragraph("\u201cNobody goes onto the dam crest without a briefing.\u201d")
    with contextlib.suppress(KeyError, ValueError):
        quote.style = "Intense Quote"
    quote.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(
        "If you can no longer come, please tell Amy Chen in the Capital Delivery office so that "
        "someone on the waiting list can take your place."
    )
    out = CORPUS / "site-visit-memo.docx"
    doc.save(out)
    return out


def main():
    CORPUS.mkdir(parents=True, exist_ok=True)
    print(handbook())
    print(memo())


if __name__ == "__main__":
    main()
