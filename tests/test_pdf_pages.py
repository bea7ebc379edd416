"""A citation names the page of the sentence it quotes, even when its passage starts on an earlier page."""

import json

from rag.cli import main
from tests.documents import write_pdf

PAGES = [
    "The harbour master logged forty ships in March.",
    "The lighthouse lamp was replaced with an LED unit in April.",
    "The breakwater repairs were finished in May.",
]


def test_a_sentence_on_page_two_is_cited_as_page_two(tmp_path, make_assistant):
    pdf = write_pdf(tmp_path / "log.pdf", PAGES)
    assistant = make_assistant()
    assistant.ingest([pdf])
    chunks = assistant.store.chunks()
    assert len(chunks) == 1 and chunks[0].page == 1  # one passage over the three pages: its start is on page 1

    a = assistant.answer("When was the lighthouse lamp replaced with an LED unit?")
    cited = next(c for c in a.citations if "LED unit" in c.quote)
    assert cited.page == 2
    a = assistant.answer("When were the breakwater repairs finished?")
    assert next(c for c in a.citations if "breakwater" in c.quote).page == 3


def test_the_cli_sources_line_names_the_page_of_the_quote(tmp_path, capsys, monkeypatch):
    pdf = write_pdf(tmp_path / "log.pdf", PAGES)
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path / "no-corpus"))
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["ingest", str(pdf), *data]) == 0
    capsys.readouterr()
    assert main(["ask", "When was the lighthouse lamp replaced with an LED unit?", *data]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "LED unit" in line and "log.pdf" in line)
    assert "(page 2 · paragraph 2)" in line  # in words; `--json` keeps the offsets
    assert main(["ask", "When was the lighthouse lamp replaced with an LED unit?", "--json", *data]) == 0
    cited = next(c for c in json.loads(capsys.readouterr().out)["citations"] if "LED unit" in c["quote"])
    assert cited["page"] == 2 and cited["end"] - cited["start"] == len(cited["quote"])
