"""Links inside an ingested folder (one rule for files and folders) and file names that would break a listing."""

import os
from pathlib import Path

from rag.cli import main
from rag.ingest.indexer import SKIPPED, discover

SECRET = "The vault combination is 4-8-15-16-23-42."
OUTSIDE = "a link to {}, outside the folder; links are followed only inside it"


def make_tree(tmp_path: Path) -> tuple[Path, Path]:
    """notes/ with a real file, a subfolder, links that stay inside and links that lead outside to secrets/."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "vault.txt").write_text(SECRET, encoding="utf-8")
    notes = tmp_path / "notes"
    (notes / "sub").mkdir(parents=True)
    (notes / "a.txt").write_text("The harbour opens at dawn.", encoding="utf-8")
    (notes / "sub" / "b.txt").write_text("The ferry leaves at noon.", encoding="utf-8")
    (notes / "inside-file.txt").symlink_to(notes / "a.txt")
    (notes / "outside-file.txt").symlink_to(secrets / "vault.txt")
    (notes / "outside-dir").symlink_to(secrets, target_is_directory=True)
    (notes / "broken.txt").symlink_to(notes / "missing.txt")
    return notes, secrets


def test_links_are_followed_only_inside_the_folder_for_files_and_folders_alike(tmp_path):
    notes, secrets = make_tree(tmp_path)
    (notes / "sub-alias").symlink_to(notes / "sub", target_is_directory=True)

    found, skipped = discover([notes])

    # sub-alias leads to a folder already walked: its files are indexed once, under their real folder's name.
    assert sorted(f.source for f in found) == ["a.txt", "inside-file.txt", "sub/b.txt"]
    reasons = {r.source: r.reason for r in skipped}
    assert all(r.status == SKIPPED for r in skipped)
    assert reasons == {
        "broken.txt": "not a regular file (a broken link, a pipe or a device); skipped",
        "outside-dir": OUTSIDE.format(secrets.resolve()),
        "outside-file.txt": OUTSIDE.format((secrets / "vault.txt").resolve()),
    }


LOOP = "a link that leads back to itself (a link loop); skipped"
SPECIAL = "not a regular file (a broken link, a pipe or a device); skipped"


def test_link_loops_and_pipes_are_skipped_with_a_reason_inside_folders_and_when_named(tmp_path):
    """A link loop or a FIFO never stops the run (#30): the other files are found, and each is one skipped line."""
    notes, _ = make_tree(tmp_path)
    (notes / "loop-a").symlink_to(notes / "loop-b")
    (notes / "loop-b").symlink_to(notes / "loop-a")
    (notes / "self").symlink_to(notes / "self", target_is_directory=True)
    os.mkfifo(notes / "pipe")

    found, skipped = discover([notes, notes / "loop-a", notes / "pipe"])

    assert sorted(f.source for f in found) == ["a.txt", "inside-file.txt", "sub/b.txt"]
    reasons = [(r.source, r.reason) for r in skipped if r.source.startswith(("loop", "self", "pipe"))]
    assert sorted(reasons) == sorted(
        [("loop-a", LOOP), ("loop-b", LOOP), ("self", LOOP), ("pipe", SPECIAL), ("loop-a", LOOP), ("pipe", SPECIAL)]
    )


def test_a_file_named_directly_is_taken_even_when_it_is_a_link(tmp_path):
    notes, _ = make_tree(tmp_path)
    found, skipped = discover([notes / "outside-file.txt"])
    assert [f.source for f in found] == ["outside-file.txt"] and not skipped


def test_cli_ingest_says_why_each_link_was_skipped_and_never_indexes_its_text(tmp_path, capsys, monkeypatch):
    notes, secrets = make_tree(tmp_path)
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path / "no-corpus"))
    data = ["--data-dir", str(tmp_path / "data")]

    assert main(["ingest", str(notes), *data]) == 0  # a skipped link is not a failure
    out, err = capsys.readouterr()
    assert "3 skipped" in out
    assert f"skipped: outside-file.txt: {OUTSIDE.format((secrets / 'vault.txt').resolve())}" in err.splitlines()
    assert f"skipped: outside-dir: {OUTSIDE.format(secrets.resolve())}" in err.splitlines()

    assert main(["sources", *data]) == 0
    listed = capsys.readouterr().out
    assert "vault" not in listed and "a.txt" in listed
    assert main(["ask", "What is the vault combination?", "--json", *data]) == 0
    assert "4-8-15-16-23-42" not in capsys.readouterr().out


def test_a_file_name_with_a_newline_stays_on_one_line_of_rag_sources(tmp_path, capsys, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "two\nlines.txt").write_text("The bridge was painted red in 1990.", encoding="utf-8")
    (folder / "plain.txt").write_text("The tower was painted blue in 1991.", encoding="utf-8")
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path / "no-corpus"))
    data = ["--data-dir", str(tmp_path / "data")]
    assert main(["ingest", str(folder), *data]) == 0
    capsys.readouterr()

    assert main(["sources", *data]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert any(line.startswith("two\\nlines.txt\t") for line in lines)
