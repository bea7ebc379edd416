"""Extraction on the real-document suite's own files (eval/realdocs/corpus): running headers and footers gone,
footnotes apart, numbers of adjacent table columns never glued, every row line beside its headers, list items not
headings, no markup, navigation or reference marks in sentences, scans read by OCR, and every block's offsets
exact."""

from __future__ import annotations

import re
from functools import cache

import pytest

from bench.ocr import accuracy
from rag.ingest.loaders import LoadedDocument, load_file
from tests.conftest import ROOT

REALDOCS = ROOT / "eval" / "realdocs"


@cache
def doc(name: str) -> LoadedDocument:
    return load_file(REALDOCS / "corpus" / name)


def blocks(name: str, kind: str) -> list[str]:
    d = doc(name)
    return [d.text[b.start : b.end] for b in d.blocks if b.kind == kind]


@pytest.mark.parametrize("name", sorted(p.name for p in (REALDOCS / "corpus").iterdir() if p.suffix != ".txt"))
def test_blocks_are_ordered_non_empty_and_exact(name):
    d = doc(name)
    assert d.blocks
    ends = 0
    for block in d.blocks:
        assert block.start >= ends and d.text[block.start : block.end].strip(), block
        ends = block.end


def test_a_wide_numeric_pdf_table_keeps_every_cell_beside_its_header():
    rows = blocks("nics-firearm-checks-2015-11.pdf", "table_row")
    assert len(rows) >= 55  # the states and territories, and the totals
    texas = next(r for r in rows if r.startswith("Texas — "))
    assert texas.startswith("Texas — Permit: 21,550; Handgun: 56,941; Long Gun: 51,670;")
    totals = next(r for r in rows if r.startswith("Totals — "))
    assert "2,236,457" in totals and "52,236,457" not in doc("nics-firearm-checks-2015-11.pdf").text
    assert not any(r.startswith(("Texas", "Totals")) for r in blocks("nics-firearm-checks-2015-11.pdf", "heading"))


def test_a_table_over_many_pages_carries_its_header_on_every_row():
    rows = blocks("ca-warn-report-2015-16.pdf", "table_row")
    chevron = next(r for r in rows if "Company: Chevron" in r)
    assert "City: San Ramon" in chevron and "430" in chevron
    notices = [r for r in rows if "Company: " in r]
    assert len(notices) > 100 and all("Received: " in r for r in notices)


def test_running_headers_and_footers_are_gone_and_footnotes_stand_apart():
    register = doc("federal-register-2020-17221-boeing-737-max.pdf")
    assert "Federal Register / Vol. 85" not in register.text and "VerDate" not in register.text
    notes = blocks("federal-register-2020-17221-boeing-737-max.pdf", "footnote")
    assert len(notes) >= 10 and notes[0].startswith("1 Preliminary KNKT")
    water = doc("water-annual-report-2023.pdf")
    assert not re.search(r"Page \d of \d", water.text)
    assert [n[:2] for n in blocks("water-annual-report-2023.pdf", "footnote")] == ["1 ", "2 ", "3 ", "4 "]
    assert "2023 4" not in water.text and "20234" not in water.text  # the marker after "2023" is out of the sentence


def test_a_docx_table_sits_where_it_stands_and_short_bullets_are_list_items():
    handbook = doc("ravensworth-employee-handbook.docx")
    lead = "The table below lists the remaining milestones and their owners.\n\n"
    assert lead + "Data cleansing complete — Owner: Lucy Brennan; Due: 31 May 2024\n" in handbook.text
    memo = blocks("site-visit-memo.docx", "list_item")
    assert {"Hard hat", "Water bottle", "Photo ID"} <= set(memo)
    assert not {"Hard hat", "Water bottle"} & set(blocks("site-visit-memo.docx", "heading"))


def test_a_saved_wiki_page_keeps_its_article_and_infobox_without_navigation():
    page = doc("calderbrook-viaduct-wiki.html")
    assert not re.search(r"\[\d+\]", page.text)  # reference marks out of sentences
    assert "Afrikaans" not in page.text and "Alemannisch" not in page.text  # the language list
    assert "Crosses — Calder Brook" in blocks("calderbrook-viaduct-wiki.html", "table_row")


def test_a_readme_loses_its_badges_links_and_markup_but_keeps_its_tables():
    readme = doc("ripgrep-README.md")
    for markup in ("](", "![", "shields.io", "|---", "## ", "```"):
        assert markup not in readme.text
    assert any(r.startswith("ripgrep (Unicode) — Command: ") for r in blocks("ripgrep-README.md", "table_row"))


def test_scans_are_read_by_ocr_close_to_what_they_show():
    scan = doc("scan-harbour-notice.pdf")
    assert scan.skipped == () and all(b.ocr for b in scan.blocks)
    assert accuracy(scan.text, (REALDOCS / "sources" / "scan.txt").read_text(encoding="utf-8")) >= 0.97
    minutes = doc("parish-council-minutes-2024-03.pdf")
    page_two = "".join(minutes.text[b.start : b.end] + "\n" for b in minutes.blocks if b.page == 2)
    assert all(b.ocr for b in minutes.blocks if b.page == 2) and not any(b.ocr for b in minutes.blocks if b.page != 2)
    assert accuracy(page_two, (REALDOCS / "sources" / "mixed-page2.txt").read_text(encoding="utf-8")) >= 0.97
