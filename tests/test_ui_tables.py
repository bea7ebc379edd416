"""Tables and lists in the sources panel's cards and the document viewer, without a server: a chunk's table rows
(one line each, carrying their column headers) shown as an HTML table with the cited row highlighted, its list items
as a list, hostile cells escaped, and prose exactly as before (`ui.viewer.marked_html` through `ui.render` and
`ui.viewer.document_html`)."""

from __future__ import annotations

from html.parser import HTMLParser

from rag.conversation import Turn
from rag.ingest.blocks import TextBuilder
from rag.table_rows import table_row_line
from rag.types import Answer, Chunk, Citation, Passage, ShortAnswer
from ui import render, viewer

HEADER = ["Reservoir", "Capacity (Ml)", "Full", "Built"]
ROWS = [["Millbeck", "6,200", "100%", "1902"], ["Ashby", "4,100", "87%", "1911"], ["Corran", "950", "", "1930"]]
CAPTION = "Table 2: Reservoir capacity"


class Table(HTMLParser):
    """The tables of an HTML fragment as the browser reads them: caption, column headers, and each body row as
    (its class, its cells' texts, the texts inside its marks, the ids of its marks)."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._in: list[str] = []
        self._text: list[str] | None = None
        self.feed(fragment)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        self._in.append(tag)
        if tag == "table":
            self.tables.append({"class": attrs.get("class"), "caption": "", "header": [], "rows": []})
        elif tag == "tr" and "tbody" in self._in:
            self.tables[-1]["rows"].append({"class": attrs.get("class", ""), "cells": [], "marks": [], "ids": []})
        elif tag in ("th", "td", "caption"):
            self._text = []
        elif tag == "mark" and "tbody" in self._in:
            self.tables[-1]["rows"][-1]["marks"].append("")
            if "id" in attrs:
                self.tables[-1]["rows"][-1]["ids"].append(attrs["id"])

    def handle_endtag(self, tag: str) -> None:
        self._in.pop()
        if tag in ("th", "td") and "thead" in self._in:
            self.tables[-1]["header"].append("".join(self._text))
        elif tag in ("th", "td"):
            self.tables[-1]["rows"][-1]["cells"].append("".join(self._text))
        elif tag == "caption":
            self.tables[-1]["caption"] = "".join(self._text)

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if "mark" in self._in and "tbody" in self._in:
            self.tables[-1]["rows"][-1]["marks"][-1] += data


def reservoirs(prose: str = "Intro.", offset: int = 300) -> tuple[Chunk, str]:
    """A chunk as the splitter makes it from a paragraph, a captioned table and a list (its text from
    `TextBuilder`, the loaders' writer), starting at document offset `offset`; and the document's text."""
    builder = TextBuilder()
    builder.add("paragraph", "x" * (offset - 2))  # the text before the chunk
    builder.add("paragraph", prose)
    builder.add_table(HEADER, ROWS, caption=CAPTION)
    builder.add_list(["Fill <b>Millbeck</b> first.", "Check Ashby weekly."])
    chunk = chunk_of(builder, "water <1>.md", first=1)
    assert chunk.start == offset
    return chunk, builder.text


def chunk_of(builder: TextBuilder, source: str, first: int = 0) -> Chunk:
    """The chunk of `builder`'s blocks from number `first` on, each block one sentence of its kind."""
    blocks = builder.blocks[first:]
    start, end = blocks[0].start, blocks[-1].end
    spans, kinds = tuple((b.start, b.end) for b in blocks), tuple(b.kind for b in blocks)
    return Chunk("c1", builder.text[start:end], source, start, end, sentences=spans, kinds=kinds)


def cite(chunk: Chunk, quote: str, n: int = 1) -> Citation:
    """Citation `n` of `quote`, a sentence of `chunk`."""
    at = chunk.start + chunk.text.index(quote)
    return Citation(n, chunk.source, at, at + len(quote), quote, None, chunk.id)


def test_table_rows_are_a_table_with_the_cited_row_highlighted():
    chunk, _ = reservoirs()
    ashby = table_row_line(HEADER, ROWS[1])
    assert ashby == "Ashby — Capacity (Ml): 4,100; Full: 87%; Built: 1911"
    body = render.highlighted_passage(Passage(chunk, 1.0), [cite(chunk, ashby)], turn=2)

    assert body.count("<table") == 1 and body.startswith('Intro.<div class="rag-table-wrap">')
    [table] = Table(body).tables
    assert table["class"] == "rag-table" and table["caption"] == CAPTION
    assert table["header"] == ["", "Capacity (Ml)", "Full", "Built"]
    assert [row["cells"] for row in table["rows"]] == [
        ["Millbeck", "6,200", "100%", "1902"],
        ["[1]Ashby", "4,100", "87%", "1911"],
        ["Corran", "950", "", "1930"],  # its empty cell stays empty: "Built" stays under Built
    ]
    cited = [row for row in table["rows"] if row["marks"]]
    assert [row["cells"][0] for row in cited] == ["[1]Ashby"] and cited[0]["class"] == "cited"
    assert cited[0]["marks"] == ["Ashby", "4,100", "87%", "1911"] and cited[0]["ids"] == ["src-2-1"]
    assert [row["class"] for row in table["rows"]] == ["", "cited", ""]
    assert body.count("<mark") == 4 and body.count('id="src-2-1"') == 1


def test_the_card_of_a_cited_row_links_from_the_answer_and_bolds_the_short_answer():
    chunk, _ = reservoirs()
    ashby = cite(chunk, table_row_line(HEADER, ROWS[1]))
    value = ashby.start + ashby.quote.index("87%")
    short = ShortAnswer("87%", 1, value, value + 3)
    answer = Answer(
        "How full is Ashby?", f"87% — {ashby.quote} [1]", False, (ashby,), (Passage(chunk, 1.0),), short=short
    )
    panel = render.sources_html([Turn("How full is Ashby?", answer)])
    assert 'href="#src-0-1"' in render.answer_markdown(answer, 0)
    assert panel.count('id="src-0-1"') == 1 and '<mark id="src-0-1">Ashby</mark>' in panel
    assert '<td><mark><b class="short">87%</b></mark></td>' in panel
    assert panel.count('class="src-card"') == 1 and "<p><sup" not in panel  # not shown again on its own


def test_hostile_cells_headers_and_captions_are_escaped():
    builder = TextBuilder()
    evil = "<script>alert('x')</script>"
    builder.add_table(["Name", f"<img src=x onerror=alert(1)>{evil}"], [[f"{evil}", "<b>1</b> & 2"]], caption=evil)
    text, chunk, row = builder.text, chunk_of(builder, "e.md"), builder.blocks[-1]
    citation = Citation(1, "e.md", row.start, row.end, text[row.start : row.end], None, "c1")
    target = viewer.Target("e.md", (viewer.Span(row.start, row.end, "1", citation.quote),), 0)
    card = render.highlighted_passage(Passage(chunk, 1.0), [citation])
    for body in (card, viewer.document_html(target, text, chunks=[chunk])):
        assert "<script" not in body and "<img" not in body and "<b>1</b>" not in body
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body and "&lt;b&gt;1&lt;/b&gt; &amp; 2" in body
        [table] = Table(body).tables
        assert table["caption"] == evil and table["header"][1] == f"<img src=x onerror=alert(1)>{evil}"
        assert table["rows"][0]["marks"] == [evil, "<b>1</b> & 2"]


def test_list_items_are_a_list_with_the_cited_item_highlighted():
    chunk, _ = reservoirs()
    body = render.highlighted_passage(Passage(chunk, 1.0), [cite(chunk, "Check Ashby weekly.", 3)], turn=1)
    assert (
        '<ul class="rag-list"><li>Fill &lt;b&gt;Millbeck&lt;/b&gt; first.</li>'
        '<li><sup class="n">[3]</sup><mark id="src-1-3">Check Ashby weekly.</mark></li></ul>' in body
    )
    assert body.count("<mark") == 1 and "<tr class" not in body  # the table is there, no row of it cited


def test_prose_renders_exactly_as_before():
    text = "Kyiv won. It was <late> & *cold*. " + "Filler words go on. " * 30 + "Then [2] more."
    quote = "It was <late> & *cold*."
    at = 50 + text.index(quote)
    citation = Citation(1, "a.txt", at, at + len(quote), quote, None, "c1")
    short = ShortAnswer("<late>", 1, at + 7, at + 13)
    expected = (
        'Kyiv won. <sup class="n">[1]</sup><mark id="src-4-1">It was <b class="short">&lt;late&gt;</b> &amp; *cold*.'
        "</mark> " + "Filler words go on. " * 19 + "Filler words go …"
    )
    for kinds in ((), ("paragraph", "paragraph", "footnote")):  # not tables or lists: prose
        chunk = Chunk("c1", text, "a.txt", 50, 50 + len(text), sentences=((50, 59), (60, 83), (84, 700)), kinds=kinds)
        assert render.highlighted_passage(Passage(chunk, 1.0), [citation], 4, short) == expected
    nearest = Chunk("c2", "Near <text>.\nMore.", "b.md", 0, 18)
    abstained = Answer("q?", "The documents don't say.", True, (), (Passage(nearest, 0.2),))
    assert '<div class="passage">Near &lt;text&gt;.\nMore.</div>' in render.sources_html([Turn("q?", abstained)])


def test_the_nearest_text_of_an_abstention_shows_its_table():
    chunk, _ = reservoirs()
    abstained = Answer("q?", "The documents don't say.", True, (), (Passage(chunk, 0.2),))
    [table] = Table(render.sources_html([Turn("q?", abstained)])).tables
    assert len(table["rows"]) == 3 and not any(row["marks"] for row in table["rows"])


def test_a_row_that_does_not_parse_is_one_cell_and_a_partial_mark_keeps_the_text():
    text = "Totals only\nAshby — Full: 87%"
    lines = [viewer.Line(0, 11, "table_row"), viewer.Line(12, len(text), "table_row")]
    [table] = Table(viewer.marked_html(text, [], lines)).tables
    assert table["header"] == ["", "Full"] and [r["cells"] for r in table["rows"]] == [
        ["Totals only", ""],
        ["Ashby", "87%"],
    ]
    across = viewer.Mark(5, len(text), ' class="doc-mark near"')  # a nearest passage that starts inside the table
    shown = viewer.marked_html(text, [across], lines)
    assert "<table" not in shown and shown == 'Total<mark class="doc-mark near">s only\nAshby — Full: 87%</mark>'


def test_row_lines_are_read_back_into_their_cells():
    for header, row in [(HEADER, ROWS[0]), (["a", "b", "c"], ["x", "", "z"]), ([], ["a", "b", "c"]), (["A"], ["x"])]:
        line = table_row_line(header, row)
        cells = viewer._row_cells(line, viewer.Line(0, len(line), "table_row"))
        assert [line[start:end] for _, start, end in cells] == [cell for cell in row if cell], line


def test_the_viewer_shows_the_documents_tables_with_the_focused_row():
    chunk, text = reservoirs()
    ashby, milk = cite(chunk, table_row_line(HEADER, ROWS[1]), 2), cite(chunk, "Intro.", 1)
    answer = Answer("q?", "… [1] [2]", False, (milk, ashby), (Passage(chunk, 1.0),))
    target = viewer.target([Turn("q?", answer)], "0:2")
    assert target.chunks == (chunk,)  # the answer's passages say where its tables are
    page = viewer.document_html(target, text)
    [table] = Table(page).tables
    assert [row["class"] for row in table["rows"]] == ["", "cited focus", ""]
    assert '<mark class="doc-mark focus" data-n="2">Ashby</mark>' in page
    assert '<mark class="doc-mark" data-n="1">Intro.</mark>' in page and '<ul class="rag-list">' in page
    changed = text.replace("Millbeck —", "Millbeck -", 1)  # edited since: the chunks no longer fit, plain text
    assert "<table" not in viewer.document_html(target, changed)
    alone = viewer.Target(chunk.source, target.spans, target.focus)  # no passages: the document's chunks tell
    assert "<table" not in viewer.document_html(alone, text) and "<table" in viewer.document_html(
        alone, text, chunks=[chunk]
    )
