"""The chat page's handlers, called as Gradio calls them but without a server: streaming, follow-ups, citations
and the sources panel, abstention, restriction to documents, feedback, export, upload checks and removal, and
mistakes that warn (outside a Gradio request `gr.Warning` is a Python warning) and leave every output unchanged."""

from __future__ import annotations

import itertools
import json
import re
import uuid
from pathlib import Path

import gradio as gr
import pytest

from rag.conversation import Turn
from rag.errors import StoreError
from rag.types import Answer
from rag.uploads import mark_removed, uploads_dir
from tests.conftest import ROOT
from tests.ui_fixtures import FACT, FACT_QUESTION, ask, write_fact_document
from ui import render
from ui.app import ChatPage, answer_modes, restriction_note
from ui.page import build_app, launch_options
from ui.render import NO_RATING

SKIP = gr.skip()


@pytest.fixture(scope="module")
def seed_page(seed_assistant) -> ChatPage:
    return ChatPage(seed_assistant)


@pytest.fixture
def page(make_assistant) -> ChatPage:
    """A page over its own index of the seed corpus, free to change."""
    assistant = make_assistant(corpus_dir=ROOT / "corpus")
    assistant.sync_corpus()
    return ChatPage(assistant)


def final_answer(turns: list[Turn]) -> Answer:
    assert turns[-1].answer is not None, turns[-1].error
    return turns[-1].answer


def index_state(page: ChatPage) -> tuple[int, dict]:
    return page.assistant.store.count(), {s: i.fingerprint for s, i in page.assistant.sources().items()}


def upload_rows(page: ChatPage, files) -> list[list[str]]:
    """The per-file results table of the last yield of the upload handler, as [file, result, detail] rows."""
    html = list(page.upload([str(f) for f in files]))[-1][0]
    cells = re.findall(r"<tr[^>]*><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", html)
    return [list(row) for row in cells]


def test_answer_streams_in_and_ends_with_linked_citations(seed_page):
    yields, turns = ask(seed_page, "Who signed the agreement on behalf of Ukraine?")
    box, first_messages, _, first_sources = yields[0]
    assert box == "" and first_messages[-2]["content"].startswith("Who signed")  # the question shows at once
    assert first_messages[-1]["content"] == "…" + NO_RATING and first_sources is not None
    partials = [y[1][-1]["content"] for y in yields[1:-1]]
    assert len(partials) >= 2 and all(a != b for a, b in itertools.pairwise(partials))  # it grows piece by piece
    answer = final_answer(turns)
    n = next(c.n for c in answer.citations if "Svyrydenko" in c.quote)
    bubble, sources = yields[-1][1][-1]["content"], yields[-1][3]
    assert all(f'<a class="cite" href="#src-0-{c.n}"' in bubble for c in answer.citations) and ">[1]</a>" in bubble
    marked = re.search(rf'<mark id="src-0-{n}">(.*?)</mark>', sources, re.S).group(1)
    assert marked.startswith("U.S. Treasury Secretary Scott Bessent") and "Svyrydenko" in marked
    card = next(card for card in sources.split('<div class="src-card"') if f'id="src-0-{n}"' in card)
    assert "us-ukraine-minerals-agreement.txt" in card
    assert re.search(r'<span class="where" title="chars \d+–\d+">paragraph \d+</span>', card)  # offsets: tooltip
    assert "".join(re.sub("<[^>]+>", "", sources).split()).count("ScottBessent") == 1  # the passage, shown once


def test_follow_up_is_resolved_against_the_conversation(seed_page):
    _, turns = ask(seed_page, "What did the US and Ukraine agree on?")
    yields, turns = ask(seed_page, "Who signed it?", turns)
    assert len(turns) == 2 and [m["role"] for m in yields[-1][1]] == ["user", "assistant"] * 2
    assert any("Bessent" in c.quote for c in final_answer(turns).citations)

    _, turns = ask(seed_page, "Which institute estimated the military aid to Ukraine?")
    _, turns = ask(seed_page, "How much did it total?", turns)
    assert "$72 billion" in final_answer(turns).citations[0].quote
    _, alone = ask(seed_page, "How much did it total?")  # the same words in a fresh session find nothing
    assert final_answer(alone).abstained


def test_abstention_offers_nearest_text_not_citations(seed_page):
    yields, turns = ask(seed_page, "What is the capital of Australia?")
    assert final_answer(turns).abstained
    bubble, sources = yields[-1][1][-1]["content"], yields[-1][3]
    assert "The documents don" in bubble and "cite" not in bubble
    assert "Nearest text found" in sources and "src-card nearest" in sources
    assert "<mark>" not in sources and 'id="src-' not in sources


def test_questions_can_be_restricted_to_chosen_documents(page, tmp_path):
    upload_rows(page, [write_fact_document(tmp_path / "in")])
    _, turns = ask(page, "Who signed the agreement on behalf of Ukraine?", restrict=["uploads/port-zephyr.md"])
    answer = final_answer(turns)
    assert {p.chunk.source for p in answer.passages} == {"uploads/port-zephyr.md"}
    assert not any("Svyrydenko" in c.quote for c in answer.citations)
    with pytest.warns(UserWarning, match=r"Not indexed: nothing\.txt"):
        yields, _ = ask(page, "Who signed?", restrict=["nothing.txt"])
    assert yields == [(SKIP,) * 4]


def test_fewer_passages_when_asked_and_unknown_modes_refused(seed_page):
    _, turns = ask(seed_page, "What does the agreement reportedly not include?", k=1)
    assert len(final_answer(turns).passages) == 1
    assert answer_modes() == ["extractive"] == answer_modes(seed_page.assistant)
    with pytest.warns(UserWarning, match="not configured"):
        yields, _ = ask(seed_page, "What does the agreement reportedly not include?", mode="llm-someday")
    assert yields == [(SKIP,) * 4]


def test_an_empty_question_warns_and_changes_nothing(seed_page):
    for blank in ("", "   ", None):
        with pytest.warns(UserWarning, match="Type a question first"):
            yields, _ = ask(seed_page, blank)
        assert yields == [(SKIP,) * 4]  # question box, chat, turns and sources panel all left as they were


def test_errors_reach_the_user_as_readable_messages_without_failing_the_event(make_assistant):
    empty = ChatPage(make_assistant())
    with pytest.warns(UserWarning, match="nothing is indexed"):
        shown = list(empty.respond("Who signed?", []))  # no gr.Error: it would cover the page with error badges
    box, messages, turns, sources = shown[-1]
    assert box == "" and turns[-1].answer is None and "nothing is indexed" in messages[-1]["content"]
    assert "nothing is indexed" in sources and "Traceback" not in messages[-1]["content"] + sources


def test_the_documents_panel_says_when_the_index_cannot_be_listed(page, monkeypatch):
    def broken() -> dict:
        raise StoreError("the vector store cannot be opened")

    monkeypatch.setattr(page.assistant, "sources", broken)
    table, choices, restrict = page.documents()
    assert "Cannot list the documents: the vector store cannot be opened" in table and 'class="error"' in table
    assert choices == SKIP == restrict


def test_feedback_is_stored_with_question_answer_and_citations(seed_page):
    _, turns = ask(seed_page, "Who signed the agreement on behalf of Ukraine?")
    _, turns = ask(seed_page, "What is the capital of Australia?", turns)
    seed_page.rate_message(turns, 1, True)
    seed_page.rate_message(turns, 3, False)
    records = [json.loads(line) for line in seed_page.feedback.path.read_text().splitlines()][-2:]
    assert seed_page.feedback.path == seed_page.settings.data_dir / "feedback.jsonl"
    up, down = records
    assert up["rating"] == "up" and up["question"] == "Who signed the agreement on behalf of Ukraine?"
    assert "[1]" in up["answer"] and any("Svyrydenko" in c["quote"] for c in up["citations"]) and up["time"]
    assert set(up["citations"][0]) >= {"n", "source", "start", "end", "quote", "page"}
    assert down["rating"] == "down" and down["abstained"] and down["citations"] == []
    with pytest.warns(UserWarning, match="Only answers can be rated"):
        assert seed_page.rate_message(turns, 9, True) is None


def test_export_is_markdown_with_its_sources(seed_page):
    with pytest.warns(UserWarning, match="Nothing to export"):
        assert seed_page.export_file([]) == SKIP
    _, turns = ask(seed_page, "Who signed the agreement on behalf of Ukraine?")
    _, turns = ask(seed_page, "What is the capital of Australia?", turns)
    text = Path(seed_page.export(turns)).read_text(encoding="utf-8")
    assert "## 1. Who signed the agreement on behalf of Ukraine?" in text
    assert re.search(
        r"- \[\d\] us-ukraine-minerals-agreement\.txt \(paragraph 4, chars 917–1118\): “U\.S\. Treasury", text
    )
    assert "## 2. What is the capital of Australia?" in text and "Nearest text found" in text


def test_upload_adds_a_document_that_answers_then_remove_takes_it_away(page, tmp_path):
    document = write_fact_document(tmp_path / "in")
    assert upload_rows(page, [document]) == [["port-zephyr.md", "added", "1 chunk"]]
    assert (uploads_dir(page.settings) / "port-zephyr.md").read_text() == document.read_text()
    _, turns = ask(page, FACT_QUESTION)
    cited = final_answer(turns).citations[0]
    assert cited.source == "uploads/port-zephyr.md" and "Orla Quin" in cited.quote
    assert upload_rows(page, [document]) == [["port-zephyr.md", "unchanged", "1 chunk"]]

    status, _, _, table, *_ = page.remove("uploads/port-zephyr.md")
    assert "Removed" in status and "port-zephyr.md" not in table
    assert "uploads/port-zephyr.md" not in page.assistant.sources()
    assert not (uploads_dir(page.settings) / "port-zephyr.md").exists()
    _, turns = ask(page, FACT_QUESTION)
    assert not any("Orla Quin" in c.quote for c in final_answer(turns).citations)
    with pytest.warns(UserWarning, match="not indexed"):
        outputs = page.remove("uploads/port-zephyr.md")
    assert outputs[:3] == (SKIP,) * 3 and "port-zephyr.md" not in outputs[3]  # the lists are refreshed


def test_gradio_s_cached_copy_of_an_upload_is_deleted_once_it_is_kept(page):
    """The page's file route served an upload from Gradio's cache even after it was removed (#30): the cached copy
    goes as soon as the upload is copied into uploads/ (and a refused one at once)."""
    from gradio.utils import get_upload_folder

    cached = write_fact_document(Path(get_upload_folder()) / f"test-{uuid.uuid4().hex}")
    refused = cached.with_name("notes.exe")
    refused.write_text("MZ", encoding="utf-8")
    with pytest.warns(UserWarning, match="notes.exe was refused"):
        rows = upload_rows(page, [cached, refused])
    assert rows[0] == ["port-zephyr.md", "added", "1 chunk"]
    assert not cached.exists() and not refused.exists() and not cached.parent.exists()
    assert (uploads_dir(page.settings) / "port-zephyr.md").exists()


def test_remove_with_nothing_chosen_warns_and_changes_nothing(page):
    before = index_state(page)
    for nothing in (None, ""):
        with pytest.warns(UserWarning, match="Choose a document to remove first"):
            assert page.remove(nothing, ["uploads/x.md"]) == (SKIP,) * 6
    assert index_state(page) == before


def test_removing_an_upload_updates_its_row_and_says_what_happened_to_the_restriction(page, tmp_path):
    outputs = list(page.upload([str(write_fact_document(tmp_path / "in"))]))
    uploaded = outputs[-1][1]
    assert outputs[0][2] == "" and uploaded == [("port-zephyr.md", "added", "1 chunk")]  # old status line cleared
    status, table, rows, _, _, restrict = page.remove("uploads/port-zephyr.md", ["uploads/port-zephyr.md"], uploaded)
    assert rows == [("port-zephyr.md", "removed", "removed from the index")]
    assert '<tr class="removed"><td>port-zephyr.md</td><td>removed</td>' in table and ">added<" not in table
    assert "questions now search all documents" in status and restrict["value"] == []


def test_restriction_note_and_removed_rows():
    assert restriction_note("a.md", None) == restriction_note("a.md", ["b.md"]) == ""
    assert "search all documents" in restriction_note("a.md", ["a.md"])
    assert (
        restriction_note("a.md", ["a.md", "b.md"]) == "It is no longer among the documents questions are restricted to."
    )
    rows = [("a.md", "failed", "bad"), ("a.md", "added", "1 chunk"), ("b.md", "added", "2 chunks")]
    assert mark_removed(rows, "uploads/a.md") == [rows[0], ("a.md", "removed", "removed from the index"), rows[2]]
    assert mark_removed(rows, "a.md") is None and mark_removed([], "uploads/a.md") is None


def test_an_upload_named_like_a_corpus_file_stays_apart_from_it(page, tmp_path):
    """Uploads live in their own namespace: the corpus document is not replaced, now or at the next start."""
    corpus_name = "us-ukraine-minerals-agreement.txt"
    corpus_before = page.assistant.sources()[corpus_name]
    upload = write_fact_document(tmp_path / "in", corpus_name)
    assert upload_rows(page, [upload])[0][:2] == [corpus_name, "added"]
    documents = page.assistant.sources()
    assert documents[corpus_name] == corpus_before and f"uploads/{corpus_name}" in documents
    page.assistant._synced = False  # what the next start does: bring the corpus folder in step again
    page.assistant.sync_corpus()
    assert page.assistant.sources()[f"uploads/{corpus_name}"] == documents[f"uploads/{corpus_name}"]
    assert FACT in page.assistant.document_text(f"uploads/{corpus_name}")


def test_disallowed_types_and_oversized_files_are_refused_and_the_index_is_unchanged(make_assistant, tmp_path):
    page = ChatPage(make_assistant(corpus_dir=ROOT / "corpus", max_file_mb=0.001))  # a 1 kB cap
    page.assistant.sync_corpus()
    before = index_state(page)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "tool.exe").write_bytes(b"MZ" + b"\0" * 100)
    (folder / "notes").write_text(FACT)
    (folder / "big.txt").write_text(FACT * 40)
    (folder / ".hidden.txt").write_text(FACT)
    with pytest.warns(UserWarning) as warned:
        rows = upload_rows(page, [folder / n for n in ("tool.exe", "notes", "big.txt", ".hidden.txt")])
    refused = [str(w.message).split(" was refused: ")[0] for w in warned]
    assert refused == ["tool.exe", "notes", "big.txt", ".hidden.txt"]  # one warning per refused file
    assert [(r[0], r[1]) for r in rows] == [
        ("tool.exe", "failed"),
        ("notes", "failed"),
        ("big.txt", "failed"),
        (".hidden.txt", "failed"),
    ]
    assert rows[0][2].startswith(".exe files are not accepted; allowed: .txt, .md")
    assert rows[1][2].startswith("files without an extension are not accepted")
    assert rows[2][2] == "the file is 2.2 kB, over the 1.0 kB upload cap (RAG_MAX_FILE_MB)"
    assert "hidden" in rows[3][2]
    assert index_state(page) == before
    assert not uploads_dir(page.settings).exists() or not any(uploads_dir(page.settings).iterdir())


def test_a_file_that_fails_ingestion_leaves_the_earlier_version_in_place(page, tmp_path):
    good = write_fact_document(tmp_path / "v1", "zephyr.txt")
    assert upload_rows(page, [good])[0][1] == "added"
    before = index_state(page)
    broken = tmp_path / "v2" / "zephyr.txt"
    broken.parent.mkdir()
    broken.write_bytes(b"caf\xe9 is not UTF-8")
    rows = upload_rows(page, [broken])
    assert rows[0][:2] == ["zephyr.txt", "failed"] and "not UTF-8" in rows[0][2]
    assert index_state(page) == before
    assert (uploads_dir(page.settings) / "zephyr.txt").read_text() == good.read_text()
    assert [p.name for p in uploads_dir(page.settings).iterdir()] == ["zephyr.txt"]
    assert FACT in page.assistant.document_text("uploads/zephyr.txt")


def test_launch_options_are_safe(seed_assistant):
    options = launch_options(seed_assistant)
    assert options["share"] is False and options["ssr_mode"] is False and options["allowed_paths"] == []
    blocked = options["blocked_paths"]
    assert str(seed_assistant.settings.data_dir.resolve()) in blocked
    assert str(seed_assistant.settings.corpus_dir.resolve()) in blocked
    assert options["max_file_size"] == int(seed_assistant.settings.max_file_mb * 1e6)
    assert isinstance(build_app(seed_assistant), gr.Blocks)


def test_remove_asks_first_and_names_what_goes(page):
    source = "us-ukraine-minerals-agreement.txt"
    row, question = page.ask_to_remove(source)
    assert row.visible is True and question.startswith(f"Remove **{render.escape_markdown(source)}** (")
    assert "from the index? To bring it back, upload it again." in question
    assert source in page.assistant.sources()  # asking removes nothing
    with pytest.warns(UserWarning, match="Choose a document to remove first"):
        assert page.ask_to_remove(None) == (SKIP, SKIP)
    with pytest.warns(UserWarning, match="is not indexed"):
        assert page.ask_to_remove("nope.md") == (SKIP, SKIP)


def test_stale_export_and_the_restriction_shown_by_the_question_box():
    hidden = ChatPage.hide_export()
    assert hidden.visible is False and hidden.value is None
    assert ChatPage.filter_note([]) == "" and ChatPage.filter_note(None) == ""
    assert ChatPage.filter_note(["a.md", "uploads/b.pdf"]) == (
        "Searching only **a.md**, **uploads/b.pdf** (change it under Search settings)."
    )


def test_only_answers_offer_thumbs(seed_page):
    _, turns = ask(seed_page, "Who signed the agreement on behalf of Ukraine?")
    _, turns = ask(seed_page, "What is the capital of Peru?", turns)
    turns = [*turns, Turn("?", error="the index failed")]
    bots = [m["content"] for m in render.chat_messages(turns, pending="next")][1::2]
    assert [NO_RATING in content for content in bots] == [False, True, True, True]  # answer, refusal, error, pending


def test_the_lists_are_sent_again_only_when_the_documents_changed(page, tmp_path):
    shown = page.shown_index()
    assert page.follow_index(shown) == (SKIP,) * 5  # unchanged: nothing is sent
    page.assistant.store.manifest.forget("no-such-version")  # a new version, the same documents
    bumped = page.follow_index(shown)
    assert bumped[0][0] > shown[0] and bumped[1:] == (SKIP,) * 4  # the selectors are left alone
    first, overview, table, _, _ = page.follow_index(None)  # a page that could not read the index on load
    assert first == page.shown_index() and "us-ukraine-minerals-agreement.txt" in table and "1 document" in overview
    page.assistant.ingest([write_fact_document(tmp_path / "more").parent])
    seed = "us-ukraine-minerals-agreement.txt"
    newer, overview, table, removable, restrict = page.follow_index(shown, [seed], seed)
    assert newer[0] > shown[0] and "port-zephyr.md" in table and "2 documents" in overview
    assert "port-zephyr.md" in str(removable["choices"])
    assert removable["value"] == seed and restrict["value"] == [seed]  # choices being made are kept
