"""The chat page's handlers: `ChatPage`, bound to one `Assistant`, with a method for every event of the page.

Owns what each event does with the per-session state (the turns of the conversation, in `gr.State`): answering,
rating, export, opening a document, the first view, uploads (indexed in the background by `rag.indexing`) and
removals. Handlers only call the assistant and `rag.conversation`; the layout, the wiring and the launch are
`ui.page`'s. A user's mistake (an empty question, Remove with nothing
chosen, a refused file) is a short warning toast that leaves every component as it was; a real error (the index
failing) is a clear message in the chat or the documents panel, never a traceback and never an error overlay that
hides the page. Answers, citations and retrieval come from `rag`, HTML from `ui.render` (the document viewer's
from `ui.viewer`), upload checks from `rag.uploads`.
"""

from __future__ import annotations

import html
import logging
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.admission import Admission
from rag.answer import ANSWERERS
from rag.chain import Assistant
from rag.conversation import FeedbackLog, Turn, history, paragraphs_of, to_markdown
from rag.errors import RagError
from rag.indexing import UNEXPECTED, BackgroundIndexer
from rag.ingest.indexer import FAILED
from rag.ingest.loaders import shown_title
from rag.types import Answer
from rag.uploads import (
    Row,
    UploadRefused,
    check_upload,
    drop_cached,
    forget_upload,
    mark_removed,
    original_name,
)
from ui import render, viewer

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 8  # chat requests answered at once; the rest wait in Gradio's queue
CHAT_OUTPUTS = 4  # question box, chat, turns, sources panel
EXAMPLES = 3  # example questions under the question box
PROGRESS_EVERY_S = 0.5  # how often an upload's progress is shown while it indexes
FOLLOW_EVERY_S = 3.0  # how often the page looks whether the index changed (another process's `rag ingest`)


def warn(message: str, title: str = "Warning") -> None:
    """A short toast for the user (a mistake, or an error shown elsewhere too); nothing else on the page changes."""
    gr.Warning(html.escape(message, quote=False), title=title)


def _versions(documents: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Each document's name and indexed version: what the page's lists are drawn from."""
    return tuple(sorted((name, info.gen) for name, info in documents.items()))


def _lists(
    documents: dict[str, Any], restrict: Sequence[str] | None, chosen: str | None = None
) -> tuple[str, Any, Any]:
    """The documents table and the remove and restrict selectors' choices, keeping the documents chosen in them that
    are still indexed (none chosen to remove unless given)."""
    names = sorted(documents)
    kept = [name for name in restrict or () if name in documents]
    return (
        render.documents_html(documents),
        gr.update(choices=names, value=chosen if chosen in documents else None),
        gr.update(choices=names, value=kept),
    )


def skipped(count: int) -> tuple[dict, ...]:
    """Outputs left exactly as they are."""
    return tuple(gr.skip() for _ in range(count))


def restriction_note(source: str, restrict: Sequence[str] | None) -> str:
    """What removing `source` does to the documents questions are restricted to ("" when it was not among them).

    Example:
        >>> restriction_note("a.md", ["a.md"])
        'It was the only document questions were restricted to: questions now search all documents.'
    """
    chosen = set(restrict or ())
    if source not in chosen:
        return ""
    if chosen == {source}:
        return "It was the only document questions were restricted to: questions now search all documents."
    return "It is no longer among the documents questions are restricted to."


def answer_modes(assistant: Assistant | None = None) -> list[str]:
    """The answer modes the page offers: those of the answerer registry that the assistant can serve (extractive,
    and each LLM mode whose model is configured); without an assistant, the modes that need no model."""
    served = assistant.modes() if assistant is not None else ["extractive"]
    return [mode for mode in ANSWERERS if mode in served]


MODE_HELP = {
    "extractive": "answers with sentences quoted word for word from your documents",
    "gguf": "a language model on this computer writes the answer; each sentence is checked against what it cites",
    "openai": "a language model server writes the answer; each sentence is checked against what it cites",
}


def mode_help(modes: Sequence[str]) -> str:
    """Plain-language help for the answer modes offered (only those).

    Example:
        >>> mode_help(["extractive"])
        'extractive: answers with sentences quoted word for word from your documents.'
    """
    return "; ".join(f"{mode}: {MODE_HELP.get(mode, 'another way of answering')}" for mode in modes) + "."


class ChatPage:
    """The handlers of the chat page, bound to one assistant; every method is callable without a browser."""

    def __init__(self, assistant: Assistant, indexer: BackgroundIndexer | None = None) -> None:
        """`indexer`: the worker that indexes uploads, shared with the API when both are served (`ui.page`)."""
        self.assistant = assistant
        self.settings = assistant.settings
        self.feedback = FeedbackLog.in_data_dir(self.settings.data_dir)
        self.indexer = indexer or BackgroundIndexer.for_assistant(assistant)
        self.admission = Admission(self.settings.ask_burst, self.settings.ask_per_second)

    # -- chat ----------------------------------------------------------------------------------------------------

    def respond(
        self,
        question: str,
        turns: Sequence[Turn] | None,
        k: float | None = None,
        mode: str | None = None,
        restrict: Sequence[str] | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream the answer to `question`, asked after `turns` (the session's conversation so far).

        Yields (question box, chat messages, turns, sources panel); the last yield holds the finished turn. A
        follow-up is resolved against the earlier turns by `Assistant.answer(history=...)`.
        A mistake (no question, an unknown mode or document) is a warning that leaves everything as it was; an error
        while answering becomes that turn's answer, shown in the chat and the sources panel.
        """
        turns = list(turns or [])
        question = (question or "").strip()
        restrict = list(restrict or ())
        partial, error = "", ""
        try:
            mistake = self.question_mistake(question, mode, restrict)
            if mistake:
                warn(mistake)
                yield skipped(CHAT_OUTPUTS)
                return
            yield "", render.chat_messages(turns, pending=question), turns, gr.skip()
            pieces = self.assistant.stream(
                question, history=history(turns), sources=restrict, k=int(k) if k else None, mode=mode or None
            )
            for piece in pieces:
                if isinstance(piece, Answer):
                    turns.append(Turn(question, piece, paragraphs=self.paragraphs(piece)))
                    yield "", render.chat_messages(turns), turns, render.sources_html(turns)
                    return
                partial += piece
                yield "", render.chat_messages(turns, pending=question, partial=partial), turns, gr.skip()
        except (RagError, ValueError) as exc:
            error = str(exc)
        except Exception:
            log.exception("answering %r failed", question)
            error = UNEXPECTED
        turns.append(Turn(question, error=error or "no answer was produced"))
        yield "", render.chat_messages(turns), turns, render.sources_html(turns)
        warn(turns[-1].error, title="No answer")

    def question_mistake(self, question: str, mode: str | None, restrict: Sequence[str]) -> str:
        """What is wrong with what the user asked for, or "" (`RagError` when the index cannot be listed)."""
        if not question:
            return "Type a question first."
        offered = answer_modes(self.assistant)
        if mode and mode not in offered:
            return f"The answer mode {mode!r} is not configured on this server; choose one of: {', '.join(offered)}."
        if not restrict:
            return ""
        indexed = self.assistant.sources()
        unknown = [name for name in restrict if name not in indexed]
        if unknown:
            return f"Not indexed: {', '.join(unknown)}. Choose among: {', '.join(sorted(indexed)) or 'none'}."
        return ""

    def rate(self, turns: Sequence[Turn], data: gr.LikeData) -> None:
        """Thumbs up/down on an answer in the chat (Gradio passes which message and how)."""
        if self.rate_message(turns, data.index, data.liked) is not None:
            gr.Info("Thanks: your feedback was saved.")

    def rate_message(self, turns: Sequence[Turn], index: int | Sequence[int], liked: bool | str | None) -> dict | None:
        """Store a rating of the answer at chat message `index` (a user and an assistant message per turn); None
        (and a warning) when that message is not an answer."""
        position = index[0] if isinstance(index, list | tuple) else index
        number = int(position) // 2
        if not 0 <= number < len(turns or ()) or turns[number].answer is None:
            warn("Only answers can be rated.")
            return None
        rating = "up" if liked is True else "down" if liked is False else (str(liked) if liked else "cleared")
        return self.feedback.record(turns[number].answer, rating)

    def export(self, turns: Sequence[Turn] | None) -> str | None:
        """Write the conversation with its sources to a Markdown file; returns its path (Gradio offers it), or None
        (and a warning) when there is nothing to export."""
        if not turns:
            warn("Nothing to export yet: ask a question first.")
            return None
        folder = Path(tempfile.mkdtemp(prefix="rag-export-"))
        path = folder / "conversation.md"
        path.write_text(to_markdown(turns), encoding="utf-8")
        return str(path)

    def export_file(self, turns: Sequence[Turn] | None) -> Any:
        """The export as a visible file component, offered for download (unchanged when there is nothing)."""
        path = self.export(turns)
        return gr.skip() if path is None else gr.File(value=path, visible=True)

    @staticmethod
    def clear() -> tuple[list, list, str]:
        """A new conversation: no messages, no turns, an empty sources panel."""
        return [], [], render.sources_html([])

    def paragraphs(self, answer: Answer) -> dict[tuple[str, int], int]:
        """The paragraph number of each quote and passage of `answer`, from the indexed texts (see `Turn`); none
        when they cannot be read (the locations then say what else is known), never an error instead of the answer."""
        try:
            return paragraphs_of(answer, self.assistant.document_text)
        except Exception:
            log.exception("cannot number the paragraphs of the sources of %r", answer.question)
            return {}

    # -- document viewer -----------------------------------------------------------------------------------------

    def open_document(self, turns: Sequence[Turn] | None, key: str) -> Any:
        """The document viewer for the source card `key` (see `ui.viewer`) of the conversation `turns`: the whole
        text of the card's document, its cited sentences highlighted. A card that is not in this conversation is a
        warning that leaves the viewer as it was; a document that cannot be read (removed since) says why in it."""
        target = viewer.target(turns or (), key)
        if target is None:
            warn("That source is not in this conversation.")
            return gr.skip()
        try:
            text = self.assistant.document_text(target.source)
            info = self.assistant.document(target.source)
            chunks = self.assistant.document_chunks(target.source)
        except (RagError, OSError) as exc:
            log.warning("cannot show %s: %s", target.source, exc)
            return viewer.error_html(target.source, f"Cannot show {target.source}: {exc}")
        title = shown_title(info.title if info else "", text, target.source)
        return viewer.document_html(target, text, title, chunks)

    def show_document(self, turns: Sequence[Turn] | None, event: gr.EventData) -> Any:
        """A click on an "Open document" button: the viewer's script sends which card's (`{"doc": key}`)."""
        return self.open_document(turns, str((event._data or {}).get("doc") or ""))

    @staticmethod
    def close_document() -> str:
        """The viewer, closed (a new conversation)."""
        return ""

    # -- first view ----------------------------------------------------------------------------------------------

    def first_view(self) -> tuple[Any, ...]:
        """The documents at a glance (count and names) and the example questions, for the top of the page.

        Returns (overview, examples row, one update per example button): a button without a question is hidden,
        and so is the row when there is none (nothing indexed). When the index cannot be read, all stay as they are.
        """
        try:
            documents = self.assistant.sources()
            questions = [example.question for example in self.assistant.examples(EXAMPLES)]
        except RagError as exc:
            log.warning("cannot show the documents at a glance: %s", exc)
            return skipped(2 + EXAMPLES)
        buttons = [gr.update(value=q, visible=True) for q in questions]
        buttons += [gr.update(visible=False) for _ in range(EXAMPLES - len(questions))]
        return render.overview_html(documents), gr.update(visible=bool(questions)), *buttons

    # -- documents -----------------------------------------------------------------------------------------------

    def documents(self, restrict: Sequence[str] | None = None) -> tuple[str, Any, Any]:
        """The documents table, and the choices of the remove and restrict selectors; when the index cannot be
        listed, the table says why and the selectors stay as they are."""
        try:
            documents = self.assistant.sources()
        except RagError as exc:
            log.warning("cannot list the documents: %s", exc)
            return render.error_html(f"Cannot list the documents: {exc}"), gr.skip(), gr.skip()
        return _lists(documents, restrict)

    def shown_index(self) -> tuple[int, tuple[tuple[str, str], ...]] | None:
        """What the page's lists show when it loads: the index's version and its documents' versions (None when
        the index cannot be read; the first look of `follow_index` then sends them)."""
        try:
            return self.assistant.store.manifest.version(), _versions(self.assistant.sources())
        except (RagError, OSError, sqlite3.Error) as exc:
            log.warning("cannot read the index: %s", exc)
            return None

    def follow_index(
        self, shown: tuple | None, restrict: Sequence[str] | None = None, chosen: str | None = None
    ) -> tuple[Any, ...]:
        """The page's lists as the index is now, when its documents changed since the page showed `shown` (see
        `shown_index`; changed by this page, the API or another process: a `rag ingest` meanwhile).

        Returns (shown, overview, documents table, remove choices, restrict choices). Nothing is sent when the
        index's version is the one shown, nor, beyond the new version, when only its bookkeeping changed (the same
        documents in the same versions): a choice being made in the selectors is left alone. The question box is
        none of them: what the user types stays, and so do the documents chosen to restrict to (`restrict`) and
        to remove (`chosen`) while they are still indexed.
        """
        try:
            self.assistant.refresh()  # another process's change is reloaded for answers too
            version = self.assistant.store.manifest.version()
            if shown is not None and version == shown[0]:
                return skipped(5)
            documents = self.assistant.sources()
        except (RagError, OSError, sqlite3.Error) as exc:
            log.warning("cannot follow the index: %s", exc)
            return skipped(5)
        versions = _versions(documents)
        if shown is not None and versions == shown[1]:
            return (version, versions), *skipped(4)
        return (version, versions), render.overview_html(documents), *_lists(documents, restrict, chosen)

    def upload(self, files: Sequence[str] | None, restrict: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
        """Check uploaded files, index the accepted ones in the background, and yield the per-file results table
        as they move on ("indexing: 120 of 550 chunks, about 40 s left"), every `PROGRESS_EVERY_S`.

        Yields (results table, its rows, status line, documents table, remove choices, restrict choices, upload
        box). A refused file (type, size, name) never reaches ingestion and is named in a warning; a file that
        fails ingestion leaves the index as it was. Questions are answered meanwhile from the index as it is. The
        status line of an earlier removal is cleared.
        """
        rows, accepted = self._checked_uploads(files or ())
        if not rows:
            warn("No file was uploaded.")
            yield skipped(7)
            return
        unchanged = skipped(4)
        job = self.indexer.submit(rows, accepted)
        yield render.upload_results_html(job.rows()), gr.skip(), "", *unchanged
        while not job.wait(PROGRESS_EVERY_S):
            yield render.upload_results_html(job.rows()), gr.skip(), gr.skip(), *unchanged
        rows = job.rows()
        yield render.upload_results_html(rows), rows, gr.skip(), *self.documents(restrict), None

    def _checked_uploads(self, files: Sequence[str]) -> tuple[list[Row], list[tuple[int, Path, str]]]:
        """The results-table rows of `files` (refused ones failed, with a warning each, the others waiting), and the
        accepted ones as (row, path, name)."""
        rows: list[Row] = []
        accepted: list[tuple[int, Path, str]] = []
        for file in files:
            try:
                name = check_upload(Path(file), self.settings)
            except UploadRefused as exc:
                drop_cached(Path(file))
                log.info("upload refused: %s", exc)
                warn(f"{exc.name} was refused: {exc.reason}.")
                rows.append((exc.name, FAILED, exc.reason))
                continue
            except OSError as exc:
                rows.append((original_name(file), FAILED, f"cannot read the upload: {exc.strerror or exc}"))
                continue
            accepted.append((len(rows), Path(file), name))
            rows.append((name, "waiting", ""))
        return rows, accepted

    def remove(
        self, source: str | None, restrict: Sequence[str] | None = None, uploaded: Sequence[Row] | None = None
    ) -> tuple[Any, ...]:
        """Remove one document from the index (and its uploaded copy).

        Returns (status line, upload results table, its rows, documents table, remove choices, restrict choices):
        the status says what went, and what that did to the documents questions were restricted to; the upload
        results table marks the file removed. Nothing chosen, or a name that is not indexed, is a warning.
        """
        if not source:
            warn("Choose a document to remove first.")
            return skipped(6)
        try:
            info = self.assistant.document(source)
            removed = self.assistant.remove(source)
        except (RagError, ValueError) as exc:
            log.warning("removing %s failed: %s", source, exc)
            warn(f"Could not remove {source}: {exc}", title="Error")
            return f"Could not remove {render.escape_markdown(source)}: {render.escape_markdown(str(exc))}", *skipped(5)
        if not removed:
            warn(f"{source} is not indexed (any more).")
            return *skipped(3), *self.documents(restrict)
        forget_upload(info, self.settings)
        log.info("removed %s (%d chunks)", source, removed)
        note = restriction_note(source, restrict)
        status = f"Removed **{render.escape_markdown(source)}** ({removed} chunks). {note}".strip()
        rows = mark_removed(uploaded or (), source)
        table = gr.skip() if rows is None else render.upload_results_html(rows)
        return status, table, gr.skip() if rows is None else rows, *self.documents(restrict)

    def ask_to_remove(self, source: str | None) -> tuple[Any, Any]:
        """Remove asks first: (the confirmation row shown, its question); a warning when nothing is chosen or the
        name is not indexed."""
        if not source:
            warn("Choose a document to remove first.")
            return skipped(2)
        info = self.assistant.document(source)
        if info is None:
            warn(f"{source} is not indexed (any more).")
            return skipped(2)
        chunks = f"{info.chunks} chunk{'' if info.chunks == 1 else 's'}"
        name = render.escape_markdown(source)
        return gr.Row(visible=True), f"Remove **{name}** ({chunks}) from the index? To bring it back, upload it again."

    @staticmethod
    def hide() -> Any:
        """Hide a row (the removal's confirmation)."""
        return gr.Row(visible=False)

    @staticmethod
    def hide_export() -> Any:
        """The export offered for download goes once the conversation moves on: it would be out of date."""
        return gr.File(value=None, visible=False)

    @staticmethod
    def filter_note(restrict: Sequence[str] | None) -> str:
        """The line under the question box that says which documents questions are restricted to ("" for all).

        Example:
            >>> ChatPage.filter_note(["a.md"])
            'Searching only **a\\.md** (change it under Search settings).'
        """
        if not restrict:
            return ""
        names = ", ".join(f"**{render.escape_markdown(name)}**" for name in restrict)
        return f"Searching only {names} (change it under Search settings)."

    @staticmethod
    def clear_status() -> str:
        """The documents status line, emptied once the user moves on."""
        return ""
