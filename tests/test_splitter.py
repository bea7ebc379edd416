"""Chunking keeps exact offsets, respects headings and paragraphs, and never cuts a sentence; headings are
metadata (the chunk's section), never sentences."""

import itertools

import pytest

from rag.ingest.loaders import LoadedDocument, load_file
from rag.ingest.splitter import chunk_id, is_heading, split_document
from rag.store import chunk_from_record, chunk_metadata
from tests.conftest import SEED


def assert_offsets(doc: LoadedDocument, chunks) -> None:
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            assert doc.text[start:end] == doc.text[start:end].strip()


def sentences(doc: LoadedDocument, chunks) -> list[str]:
    return [doc.text[s:e] for c in chunks for s, e in c.sentences]


def test_seed_article_offsets_and_sentences():
    doc = load_file(SEED)
    chunks = split_document(doc, chunk_size=900, overlap=1)
    assert len(chunks) >= 4
    assert_offsets(doc, chunks)
    # every sentence of the article ends up whole in some chunk
    sentences = {doc.text[s:e] for c in chunks for s, e in c.sentences}
    wanted = (
        "However, the agreement reportedly does not include concrete security guarantees, "
        "another of Kyiv’s original demands."
    )
    assert wanted in sentences


def test_headings_start_a_new_chunk():
    text = "# Intro\n\nFirst part. Still first.\n\n## Second\n\nAnother part here."
    doc = LoadedDocument("a.md", text, title="Intro")
    chunks = split_document(doc, chunk_size=500)
    assert [c.text for c in chunks] == ["# Intro\n\nFirst part. Still first.", "## Second\n\nAnother part here."]
    assert sentences(doc, chunks) == ["First part.", "Still first.", "Another part here."]
    assert [c.section for c in chunks] == ["", "Second"]


def test_markdown_heading_directly_over_its_paragraph_is_not_a_sentence():
    text = "# Flood Report\n## Causes\nThe river flooded because the rain fell for a week. It rose 3 metres."
    doc = LoadedDocument("a.md", text, title="Flood Report")
    chunks = split_document(doc)
    assert_offsets(doc, chunks)
    assert [c.text for c in chunks] == [text]  # the heading stays in the chunk's text, for retrieval
    assert sentences(doc, chunks) == ["The river flooded because the rain fell for a week.", "It rose 3 metres."]
    assert chunks[0].section == "Causes"


def test_same_paragraph_gives_the_same_sentences_with_or_without_heading_lines():
    body = "The river flooded because the rain fell for a week. It rose 3 metres."
    plain = split_document(LoadedDocument("a.txt", body))
    marked = split_document(LoadedDocument("a.md", f"# Report\n## Causes\n{body}"))
    assert [c.sentence_texts()[i][2] for c in plain for i in range(2)] == [
        t for c in marked for _, _, t in c.sentence_texts()
    ]


def test_a_heading_line_inside_a_block_starts_a_section():
    text = "Intro text here.\n## Causes\nThe river flooded.\n### Rain\nIt rained.\n## Effects ##\nFields drowned."
    doc = LoadedDocument("a.md", text)
    chunks = split_document(doc, chunk_size=500)
    assert_offsets(doc, chunks)
    assert [(c.section, c.sentence_texts()[0][2]) for c in chunks] == [
        ("", "Intro text here."),
        ("Causes", "The river flooded."),
        ("Causes › Rain", "It rained."),
        ("Effects", "Fields drowned."),
    ]


def test_section_paths_follow_heading_levels_and_leave_out_the_title():
    text = "# Report\n\n## History\n\nText one.\n\n### Early years\n\nText two.\n\n## Causes\n\nText three."
    chunks = split_document(LoadedDocument("a.md", text, title="Report"), chunk_size=30)
    assert [c.section for c in chunks] == ["History", "History › Early years", "Causes"]


def test_plain_text_title_over_its_paragraph_is_a_heading():
    """The PDF case seen in the wild: a title line directly over the first sentence, never glued to it."""
    text = (
        "Harbor Lighthouse Restoration Report\n"
        "The Harbor Lighthouse was built in 1874 on the northern point of the bay. It was restored in 2019.\n\n"
        "History\n\nThe first keeper was Anna Lind."
    )
    doc = LoadedDocument("a.txt", text, title="Harbor Lighthouse Restoration Report")
    chunks = split_document(doc, chunk_size=500)
    assert_offsets(doc, chunks)
    assert sentences(doc, chunks) == [
        "The Harbor Lighthouse was built in 1874 on the northern point of the bay.",
        "It was restored in 2019.",
        "The first keeper was Anna Lind.",
    ]
    assert [c.section for c in chunks] == ["", "History"]


HARD_WRAPPED = (  # lines of about 70 characters and at most 12 words, each without closing punctuation
    "Representatives from seventeen neighbouring municipalities gathered\n"
    "Wednesday afternoon beside Marrowby harbour, discussing coastal erosion\n"
    "Considerable disagreement remained regarding responsibility for funding\n"
    "the emergency repairs. Nobody expected agreement before the autumn."
)


@pytest.mark.parametrize(
    "text",
    [
        HARD_WRAPPED,
        "\n".join(HARD_WRAPPED.splitlines()[:2]) + ".",  # two lines, both about as wide
        "\n".join([*HARD_WRAPPED.splitlines()[:1], "Wednesday."]),  # the first line wider than the last
        f"# Minutes\n{HARD_WRAPPED}",  # under a markdown heading
    ],
)
def test_hard_wrapped_text_is_not_taken_for_headings(text):
    doc = LoadedDocument("w.txt", text)
    chunks = split_document(doc)
    assert_offsets(doc, chunks)
    body = text.removeprefix("# Minutes\n")
    assert " ".join(" ".join(sentences(doc, chunks)).split()) == " ".join(body.split())  # every word is in a sentence
    assert [c.section for c in chunks] == [""]  # "# Minutes" opens the document: its title, not a section


def test_headings_the_loader_marked_are_headings_whatever_they_look_like():
    why, who = "Why did the river flood?", "What happened next, and who paid?"
    text = f"Intro.\n\n{why}\n\nBecause the rain fell for a week.\n\n{who}\n\nFarms."
    doc = LoadedDocument("a.docx", text, headings=((8, 32, 1), (69, 102, 2)))
    chunks = split_document(doc, chunk_size=500)
    assert_offsets(doc, chunks)
    assert [doc.text[s:e] for s, e, _ in doc.headings] == [why, who]
    assert sentences(doc, chunks) == ["Intro.", "Because the rain fell for a week.", "Farms."]
    assert [c.section for c in chunks] == ["", why, f"{why} › {who}"]


def test_underlined_markdown_headings():
    text = "Causes\n======\nThe river flooded.\n\nRain\n----\nIt rained.\n\nEffects\n======\nFields drowned."
    doc = LoadedDocument("a.md", text)
    chunks = split_document(doc, chunk_size=500)
    assert sentences(doc, chunks) == ["The river flooded.", "It rained.", "Fields drowned."]
    assert [c.section for c in chunks] == ["Causes", "Causes › Rain", "Effects"]


def test_trailing_heading_stays_in_the_last_chunk_but_is_never_a_sentence():
    doc = LoadedDocument("a.md", "Text one. Text two.\n\n## Appendix")
    chunks = split_document(doc)
    assert [c.text for c in chunks] == [doc.text]
    assert sentences(doc, chunks) == ["Text one.", "Text two."]


def test_a_hash_without_a_space_is_text():
    doc = LoadedDocument("a.md", "#1 priority is safety. We agree.")
    assert sentences(doc, split_document(doc)) == ["#1 priority is safety.", "We agree."]
    assert is_heading("## Causes") and is_heading("Causes") and not is_heading("#1 priority is safety.")


def test_section_is_stored_and_read_back():
    doc = LoadedDocument("a.md", "# T\n## Causes\nThe river flooded.", title="T")
    chunk = split_document(doc)[0]
    assert chunk_from_record(chunk.id, chunk.text, chunk_metadata(chunk)) == chunk
    assert chunk_from_record(chunk.id, chunk.text, {**chunk_metadata(chunk), "section": None}).section == ""


def test_long_paragraph_is_cut_between_sentences_with_overlap():
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(40)]
    doc = LoadedDocument("long.txt", " ".join(sentences))
    chunks = split_document(doc, chunk_size=200, overlap=1)
    assert len(chunks) > 5
    assert_offsets(doc, chunks)
    for chunk in chunks:
        assert chunk.text.endswith(".") and chunk.text[0].isupper()
        assert len(chunk.text) <= 200
    for previous, following in itertools.pairwise(chunks):
        assert previous.sentences[-1] == following.sentences[0]  # one sentence of overlap


def test_small_paragraphs_are_packed_together():
    doc = LoadedDocument("p.txt", "One para.\n\nTwo para.\n\nThree para.")
    chunks = split_document(doc, chunk_size=500)
    assert len(chunks) == 1 and chunks[0].text == doc.text


def test_sentence_longer_than_twice_the_size_is_cut_between_words():
    doc = LoadedDocument("w.txt", " ".join(["word"] * 400))
    chunks = split_document(doc, chunk_size=100)
    assert_offsets(doc, chunks)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)


def test_pages_are_kept_for_pdf_like_documents():
    doc = LoadedDocument("d.pdf", "Page one text.\n\nPage two text.", pages=((0, 1), (16, 2)))
    chunks = split_document(doc, chunk_size=15)
    assert [c.page for c in chunks] == [1, 2]


def test_chunk_ids_are_deterministic():
    doc = load_file(SEED)
    assert [c.id for c in split_document(doc)] == [c.id for c in split_document(doc)]
    assert chunk_id("a.txt", 0, "x") != chunk_id("b.txt", 0, "x")
