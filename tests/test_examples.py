"""Example questions (`rag.examples`): made once per document version without a language model, deterministic, no
duplicates, none when nothing is indexed, each answered by the assistant from the document it came from, newest
documents first, kept beside the version's text (written before it goes live, deleted with it, consistent after a
kill), and shown on the page's first view with the documents at a glance. Also the location-neutral abstention text
each surface completes, and the plain-language help of the search settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from rag.answer import ABSTAIN_TEXT, abstention_text
from rag.cli import main
from rag.examples import PER_DOCUMENT, build_examples, examples_of, question_for, suggested
from rag.ingest.loaders import LoadedDocument, load_file
from rag.ingest.splitter import split_document
from rag.manifest import WRITING
from tests.conftest import ROOT, SEED
from tests.ui_fixtures import write_fact_document
from ui import render
from ui.app import EXAMPLES, ChatPage, answer_modes, mode_help
from ui.page import build_app

LIGHTHOUSE = ROOT / "eval" / "formats" / "lighthouse.md"


def chunks_of(path: Path):
    return split_document(load_file(path, path.name))


def examples_files(data: Path) -> list[str]:
    return sorted(p.name for p in (data / "texts").glob("*.examples.*"))


# -- the builder -----------------------------------------------------------------------------------------------------


def test_seed_examples_are_deterministic_distinct_and_quote_their_document():
    first = build_examples(chunks_of(SEED))
    again = build_examples(chunks_of(SEED))
    assert first == again and len(first) == PER_DOCUMENT == 3
    assert [e.question for e in first] == [
        "When did the United States and Ukraine sign a long-awaited agreement?",
        "Who formally signed the deal?",
        "What has President Trump repeatedly stated?",
    ]
    assert len({e.question.casefold() for e in first}) == len(first)
    text = SEED.read_text(encoding="utf-8")
    for example in first:
        assert example.question.endswith("?") and example.question[0].isupper()
        sentence = text[example.start : example.end]
        assert sentence and sentence[0].isupper() and sentence.rstrip().endswith(".")
        # the question's own words come from its sentence (so retrieval finds it again)
        assert {w for w in example.question.rstrip("?").split()[2:] if w.istitle()} <= set(sentence.split())


def test_templates():
    cases = {
        "Port Zephyr is a small fishing harbour on a windy northern coast.": "What is Port Zephyr?",
        "The restoration cost 3.2 million pounds in total.": "How much did the restoration cost?",
        "Visitors climb 176 steps to reach the gallery.": "How many steps do visitors climb?",
        "The station was automated in 1981, and the last keeper left.": "When was the station automated?",
        "Svyrydenko emphasized that Ukraine retains ownership of its resources.": "What did Svyrydenko emphasize?",
        "Helen Okafor formally opened the new museum of the lighthouse.": "Who formally opened the new museum of the "
        "lighthouse?",
    }
    for sentence, question in cases.items():
        found = question_for(sentence, frozenset({"Svyrydenko"}))
        assert found is not None and found.question == question, (sentence, found)
    vague = [
        "She signed the deal on Wednesday.",  # points back
        "This deal appears to answer that call.",  # points back
        "Officials told reporters.",  # says too little
        "“We are ready,” the minister said.",  # a quote
        "Is the harbour open in winter?",  # not a statement
        "The harbour holds twelve boats and a single pier",  # no full stop: not a sentence
    ]
    for sentence in vague:
        assert question_for(sentence) is None, sentence


def test_no_examples_without_text(make_assistant):
    assert build_examples([]) == []
    assert build_examples(split_document(LoadedDocument("a.txt", "notes\n\nmore notes"))) == []
    assistant = make_assistant()
    assert assistant.sources() == {} and assistant.examples() == []
    overview, row, *buttons = ChatPage(assistant).first_view()
    assert "No documents are indexed" in overview and row["visible"] is False
    assert len(buttons) == EXAMPLES and all(b["visible"] is False for b in buttons)


# -- answerable ------------------------------------------------------------------------------------------------------


def test_each_seed_example_is_answered_from_its_document(seed_assistant):
    info = seed_assistant.document(SEED.name)
    examples = [replace(e, source=SEED.name) for e in examples_of(seed_assistant.store, info.gen, list)]  # as made
    assert len(examples) == 3 and seed_assistant.examples() == examples  # all pass the page's own check
    for example in examples:
        answer = seed_assistant.answer(example.question)
        assert not answer.abstained, example.question
        assert answer.citations and all(c.source == example.source for c in answer.citations), example.question
        assert any(c.start < example.end and example.start < c.end for c in answer.citations), example.question


def test_examples_follow_uploads_newest_first_and_each_is_answered_from_its_document(make_assistant, tmp_path):
    assistant = make_assistant(corpus_dir=ROOT / "corpus")
    assistant.sync_corpus()
    seed = [e.question for e in assistant.examples()]
    fact = write_fact_document(tmp_path / "in")
    assistant.ingest([fact, LIGHTHOUSE], prefix="uploads/")
    examples = assistant.examples()
    assert len(examples) == 3 and len({e.question for e in examples}) == 3
    assert {e.source for e in examples} == {"uploads/port-zephyr.md", "uploads/lighthouse.md", SEED.name}
    assert "What is Port Zephyr?" in [e.question for e in examples] and seed[0] in [e.question for e in examples]
    for example in examples:
        answer = assistant.answer(example.question)
        assert not answer.abstained and answer.citations[0].source == example.source, (example, answer.text)

    assistant.remove("uploads/port-zephyr.md")
    assistant.remove("uploads/lighthouse.md")
    assert [e.question for e in assistant.examples()] == seed


def test_only_examples_that_pass_the_check_are_offered(seed_assistant):
    store, chunks = seed_assistant.store, seed_assistant.document_chunks
    made = [e.question for e in suggested(store, chunks)]
    asked = []
    kept = suggested(store, chunks, check=lambda e: asked.append(e.question) or not e.question.startswith("Who"))
    assert asked == made and [e.question for e in kept] == [q for q in made if not q.startswith("Who")]
    assert suggested(store, chunks, n=1) == suggested(store, chunks)[:1]


# -- stored beside the text --------------------------------------------------------------------------------------


def test_examples_are_stored_before_the_version_goes_live_and_deleted_with_it(make_assistant, tmp_path, monkeypatch):
    assistant = make_assistant()
    store = assistant.store
    seen_at_commit = []
    commit = store.manifest.commit

    def watched(gen):
        seen_at_commit.append(store.examples_of(gen))
        return commit(gen)

    monkeypatch.setattr(store.manifest, "commit", watched)
    folder = tmp_path / "docs"
    fact = write_fact_document(folder)
    assistant.ingest([folder])
    old = assistant.document("port-zephyr.md").gen
    sentence = "Port Zephyr is a small fishing harbour on a windy northern coast."
    start = assistant.document_text("port-zephyr.md").index(sentence)  # offsets into the extracted text
    made = {"question": "What is Port Zephyr?", "kind": "what", "start": start, "end": start + len(sentence)}
    assert seen_at_commit == [[made]]  # stored before the version went live
    assert examples_files(assistant.settings.data_dir) == [f"{old}.examples.json"]

    fact.write_text(fact.read_text(encoding="utf-8") + "\nThe pier was rebuilt in 1998 by the harbour board.\n")
    assistant.ingest([folder])
    new = assistant.document("port-zephyr.md").gen
    assert new != old and examples_files(assistant.settings.data_dir) == [f"{new}.examples.json"]
    assert "When was the pier rebuilt by the harbour board?" in [e.question for e in assistant.examples()]

    assistant.remove("port-zephyr.md")
    assert examples_files(assistant.settings.data_dir) == [] and assistant.examples() == []


def test_a_bulk_ingest_makes_examples_only_for_its_newest_files(make_assistant, tmp_path, monkeypatch):
    """Making examples costs spaCy time per document; a run makes them for its last files only (the first view
    offers the newest documents first), and the others are computed when first offered."""
    from rag.ingest import indexer

    monkeypatch.setattr(indexer, "EXAMPLES_PER_RUN", 2)
    folder = tmp_path / "docs"
    folder.mkdir()
    towns = ["Alderby", "Brackwater", "Cinderford", "Dunmere", "Eastholm"]
    for i, town in enumerate(towns):
        text = f"{town} is a small market town on the river Wend.\n\nIts bridge was built in {1800 + i} by masons.\n"
        (folder / f"{i}-{town.lower()}.txt").write_text(text, encoding="utf-8")
    assistant = make_assistant()
    assistant.ingest([folder])
    gens = {assistant.document(f"{i}-{t.lower()}.txt").gen: t for i, t in enumerate(towns)}
    stored = sorted(gens[name.split(".")[0]] for name in examples_files(assistant.settings.data_dir))
    assert stored == ["Dunmere", "Eastholm"]  # the last two of the run
    chunks = assistant.store.chunks("0-alderby.txt")
    computed = examples_of(assistant.store, assistant.document("0-alderby.txt").gen, lambda: chunks)
    assert computed and all("Alderby" in e.question or "bridge" in e.question for e in computed), computed
    assert len(assistant.examples()) == 3  # offered as before


def test_a_version_without_stored_examples_gets_them_computed(make_assistant):
    assistant = make_assistant(corpus_dir=ROOT / "corpus")
    assistant.sync_corpus()
    stored = [e.question for e in assistant.examples()]
    for path in (assistant.settings.data_dir / "texts").glob("*.examples.json"):
        path.unlink()  # as indexed before examples were stored
    assert [e.question for e in assistant.examples()] == stored
    (assistant.settings.data_dir / "texts" / f"{assistant.document(SEED.name).gen}.examples.json").write_text("{bad")
    assert [e.question for e in assistant.examples()] == stored  # an unreadable file is not an error


def test_a_killed_ingest_leaves_examples_only_of_versions_it_may_resume(tmp_path, embeddings):
    data, corpus = tmp_path / "data", tmp_path / "corpus"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    env = {**os.environ, "RAG_BATCH_SIZE": "2", "HF_HUB_OFFLINE": "1", "RAG_CORPUS_DIR": "/nonexistent"}
    killed = subprocess.run(
        [sys.executable, "-m", "tests.kill_at", "upsert", "1", "ingest", str(corpus), "--data-dir", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    from rag.manifest import Manifest

    writing = Manifest(data).generations(WRITING)
    assert len(writing) == 1 and examples_files(data) == [f"{writing[0].gen}.examples.json"]  # before the chunks

    other = write_fact_document(tmp_path / "other").parent
    assert main(["ingest", str(other), "--data-dir", str(data)]) == 0  # drops the unfinished version
    live = Manifest(data).live()
    assert [g.source for g in live] == ["port-zephyr.md"]
    assert examples_files(data) == [f"{live[0].gen}.examples.json"]


# -- the page and the wording --------------------------------------------------------------------------------------


def test_first_view_shows_the_documents_and_three_examples(seed_assistant):
    overview, row, *buttons = ChatPage(seed_assistant).first_view()
    assert overview.startswith('<p class="overview"><b>1 document:</b>') and SEED.name in overview
    assert row["visible"] is True and len(buttons) == EXAMPLES == 3
    assert [b["value"] for b in buttons] == [e.question for e in seed_assistant.examples()]
    assert all(b["visible"] is True for b in buttons)


def test_overview_names_a_few_documents_and_counts_the_rest():
    from types import SimpleNamespace as Info

    documents = {f"d{n}.md": Info(source=f"d{n}.md", title=f"Doc {n}") for n in range(1, 7)}
    documents["uploads/x.txt"] = Info(source="uploads/x.txt", title="x")  # a title that is only the file's stem
    shown = render.overview_html(documents)
    assert shown.startswith('<p class="overview"><b>7 documents:</b> ')
    assert shown.endswith("</span> and 3 more</p>") and shown.count('class="doc-name"') == render.OVERVIEW_NAMES
    assert " and and " not in shown
    assert "Doc 1" in shown and "Doc 6" not in shown
    assert render.overview_html({"a<b>.md": Info(source="a<b>.md", title="")}).count("a&lt;b&gt;.md") == 2


def test_abstention_says_where_each_surface_shows_the_nearest_text(seed_assistant, capsys):
    answer = seed_assistant.answer("What is the capital of Australia?")
    assert answer.abstained and answer.text == ABSTAIN_TEXT and "below" not in ABSTAIN_TEXT
    chat = render.answer_markdown(answer, 0)
    assert "The nearest text found is in the Sources panel, but it does not answer the question." in chat
    assert abstention_text(answer, "listed below").endswith("is listed below, but it does not answer the question.")
    assert abstention_text(seed_assistant.answer("Who signed the deal?"), "x") != ABSTAIN_TEXT  # others unchanged

    data = ["--data-dir", str(seed_assistant.settings.data_dir), "--corpus", str(ROOT / "corpus")]
    assert main(["ask", "What is the capital of Australia?", *data]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The documents don't say. The nearest text found is listed below, but it does not")
    assert out.index("listed below") < out.index("Nearest text found (it does not answer the question):")


def test_search_settings_speak_plainly(seed_assistant):
    assert mode_help(["extractive"]) == "extractive: answers with sentences quoted word for word from your documents."
    assert "gguf" not in mode_help(["extractive"]) and "openai" in mode_help(["extractive", "openai"])
    app = build_app(seed_assistant)
    components = {c.elem_id: c for c in app.blocks.values() if getattr(c, "elem_id", None)}
    assert components["k"].label == "How many passages to search"
    assert components["mode"].info == mode_help(answer_modes(seed_assistant))
    assert [components[f"example-{i}"].value for i in range(EXAMPLES)] == [
        e.question for e in seed_assistant.examples()
    ]
