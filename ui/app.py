"""The chat page: a Gradio app built around one `Assistant`, and the safe way to launch it.

Owns the layout, the event wiring, the per-session state (the turns of the conversation, in `gr.State`), the
handlers (`ChatPage`), and the launch options: loopback by default, no share link, no server-side rendering, an
upload size cap, and no folder of ours (data, corpus, working directory) among the paths Gradio may serve.
Handlers only call the assistant and `rag.conversation`. A user's mistake (an empty question, Remove with nothing
chosen, a refused file) is a short warning toast that leaves every component as it was; a real error (the index
failing) is a clear message in the chat or the documents panel, never a traceback and never an error overlay that
hides the page. Answers, citations and retrieval come from `rag`, HTML from `ui.render`, upload checks from
`ui.uploads`.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from rag.answer import ANSWERERS
from rag.chain import Assistant
from rag.conversation import FeedbackLog, Turn, history, to_markdown
from rag.errors import RagError
from rag.ingest.indexer import FAILED, FileResult
from rag.ingest.loaders import SUPPORTED_SUFFIXES
from rag.types import Answer
from ui import render
from ui.uploads import (
    UPLOADS_PREFIX,
    Row,
    UploadRefused,
    check_upload,
    forget_upload,
    mark_removed,
    original_name,
    restore_or_drop,
    save_upload,
)

log = logging.getLogger(__name__)

CHAT_CONCURRENCY = 8  # chat requests answered at once; the rest wait in Gradio's queue
UNEXPECTED = "Something went wrong on the server; its log has the details. Please try again."
CHAT_OUTPUTS = 4  # question box, chat, turns, sources panel


def warn(message: str, title: str = "Warning") -> None:
    """A short toast for the user (a mistake, or an error shown elsewhere too); nothing else on the page changes."""
    gr.Warning(html.escape(message, quote=False), title=title)


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


class ChatPage:
    """The handlers of the chat page, bound to one assistant; every method is callable without a browser."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.feedback = FeedbackLog.in_data_dir(self.settings.data_dir)

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
                    turns.append(Turn(question, piece))
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

    # -- documents -----------------------------------------------------------------------------------------------

    def documents(self, restrict: Sequence[str] | None = None) -> tuple[str, Any, Any]:
        """The documents table, and the choices of the remove and restrict selectors; when the index cannot be
        listed, the table says why and the selectors stay as they are."""
        try:
            documents = self.assistant.sources()
        except RagError as exc:
            log.warning("cannot list the documents: %s", exc)
            return render.error_html(f"Cannot list the documents: {exc}"), gr.skip(), gr.skip()
        names = sorted(documents)
        kept = [name for name in restrict or () if name in documents]
        return (
            render.documents_html(documents),
            gr.update(choices=names, value=None),
            gr.update(choices=names, value=kept),
        )

    def upload(self, files: Sequence[str] | None, restrict: Sequence[str] | None = None) -> Iterator[tuple[Any, ...]]:
        """Check, copy and ingest uploaded files one by one, yielding the per-file results table as each moves on.

        Yields (results table, its rows, status line, documents table, remove choices, restrict choices, upload
        box). A refused file (type, size, name) never reaches ingestion and is named in a warning; a file that
        fails ingestion leaves the index as it was. The status line of an earlier removal is cleared.
        """
        rows, accepted = self._checked_uploads(files or ())
        if not rows:
            warn("No file was uploaded.")
            yield skipped(7)
            return
        unchanged = skipped(4)
        yield render.upload_results_html(rows), gr.skip(), "", *unchanged
        for done, (row, path, name) in enumerate(accepted, start=1):
            rows[row] = (name, f"indexing ({done} of {len(accepted)})…", "")
            yield render.upload_results_html(rows), gr.skip(), gr.skip(), *unchanged
            rows[row] = self._ingest_upload(path, name)
            yield render.upload_results_html(rows), gr.skip(), gr.skip(), *unchanged
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

    def _ingest_upload(self, path: Path, name: str) -> tuple[str, str, str]:
        """Copy one accepted upload into the data directory and ingest it; returns its results-table row."""
        try:
            copy, previous = save_upload(path, name, self.settings)
        except OSError as exc:
            return name, FAILED, f"cannot store the upload: {exc.strerror or exc}"
        status, detail = FAILED, UNEXPECTED
        try:
            result = self.assistant.ingest([copy], progress=_log_progress, prefix=UPLOADS_PREFIX).files[0]
            status = result.status
            detail = result.reason if status == FAILED else f"{result.chunks} chunk{'' if result.chunks == 1 else 's'}"
        except (RagError, ValueError, OSError) as exc:
            log.warning("upload of %s failed: %s", name, exc)
            detail = str(exc)
        except Exception:
            log.exception("upload of %s failed", name)
        finally:
            restore_or_drop(copy, previous, ok=status != FAILED)
        return name, status, detail

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

    @staticmethod
    def clear_status() -> str:
        """The documents status line, emptied once the user moves on."""
        return ""


def _log_progress(done: int, total: int, result: FileResult) -> None:
    log.info("upload %d/%d: %s %s %s", done, total, result.source, result.status, result.reason)


def build_app(assistant: Assistant) -> gr.Blocks:
    """The chat page for `assistant`: chat with streamed, cited answers, sources panel, documents and settings."""
    page = ChatPage(assistant)
    settings = assistant.settings
    cap = f"{settings.max_file_mb:g} MB"
    indexed = assistant.sources()
    names = sorted(indexed)
    with gr.Blocks(title="rag: cited answers from your documents", analytics_enabled=False) as app:
        turns = gr.State([])
        uploaded = gr.State([])  # the rows of the upload results table
        gr.Markdown("## Cited answers from your documents\nEvery answer quotes its sources; click a `[n]` to see it.")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    elem_id="chat",
                    label="Chat",
                    height=480,
                    latex_delimiters=[],
                    buttons=["copy", "copy_all"],
                    placeholder="Ask a question about your documents.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question", show_label=False, placeholder="Your question", scale=5, max_lines=4
                    )
                    ask = gr.Button("Ask", elem_id="ask", variant="primary", scale=1, min_width=80)
                with gr.Accordion("Search settings", open=False, elem_id="settings"):
                    restrict = gr.Dropdown(
                        choices=names,
                        label="Only search these documents (none chosen: all)",
                        multiselect=True,
                        allow_custom_value=True,  # the handler says which names are not indexed
                        elem_id="restrict",
                    )
                    k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages retrieved", elem_id="k")
                    mode = gr.Radio(
                        answer_modes(assistant),
                        value=settings.answer_mode,
                        label="Answer mode",
                        info="extractive quotes sentences of the documents; gguf (local model) and openai (model "
                        "server) write an answer whose every sentence is checked against its citation",
                        elem_id="mode",
                    )
                with gr.Row():
                    new = gr.Button("New conversation", elem_id="new", size="sm")
                    export = gr.Button("Export as Markdown", elem_id="export", size="sm")
                exported = gr.File(label="Conversation", elem_id="exported", interactive=False, visible=False)
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(render.sources_html([]), elem_id="sources", js_on_load=None, max_height=720)
        with gr.Accordion("Documents", open=True, elem_id="documents-panel"), gr.Row():
            with gr.Column():
                upload = gr.File(
                    label=f"Upload documents ({' '.join(SUPPORTED_SUFFIXES)}; up to {cap} each)",
                    file_count="multiple",
                    # No file_types: Gradio would refuse other types with an error over the upload box;
                    # ChatPage.upload refuses them with a warning and a row saying why.
                    elem_id="upload",
                )
                upload_results = gr.HTML(elem_id="upload-results", js_on_load=None)
            with gr.Column():
                documents = gr.HTML(render.documents_html(indexed), elem_id="documents", js_on_load=None)
                with gr.Row():
                    to_remove = gr.Dropdown(
                        choices=names,
                        value=None,
                        label="Remove a document",
                        allow_custom_value=True,  # the handler says when a name is not indexed
                        elem_id="remove-choice",
                        scale=3,
                    )
                    remove = gr.Button("Remove", elem_id="remove", variant="stop", scale=1, min_width=80)
                doc_status = gr.Markdown(elem_id="doc-status")

        gr.on(
            [ask.click, question.submit],
            page.respond,
            inputs=[question, turns, k, mode, restrict],
            outputs=[question, chat, turns, sources],
            api_name="chat",
            concurrency_limit=CHAT_CONCURRENCY,
            concurrency_id="chat",
        )
        chat.like(page.rate, inputs=[turns], outputs=None, api_visibility="private")
        gr.on([new.click, chat.clear], page.clear, outputs=[chat, turns, sources], api_visibility="private")
        export.click(page.export_file, inputs=[turns], outputs=[exported], api_visibility="private")
        doc_lists = [documents, to_remove, restrict]
        upload.upload(
            page.upload,
            inputs=[upload, restrict],
            outputs=[upload_results, uploaded, doc_status, *doc_lists, upload],
            concurrency_limit=1,
            concurrency_id="index",
            api_name="upload",
            show_progress="minimal",
        )
        remove.click(
            page.remove,
            inputs=[to_remove, restrict, uploaded],
            outputs=[doc_status, upload_results, uploaded, *doc_lists],
            concurrency_limit=1,
            concurrency_id="index",
            api_name="remove",
        )
        to_remove.input(page.clear_status, outputs=[doc_status], api_visibility="private")
        app.load(page.documents, inputs=[restrict], outputs=doc_lists, api_visibility="private")
    app.queue(default_concurrency_limit=1)
    return app


def launch_options(assistant: Assistant) -> dict[str, Any]:
    """Keyword arguments of `Blocks.launch` that make the page safe to run (used by `serve` and the tests).

    No share link and no server-side rendering; uploads over `max_file_mb` are refused by Gradio itself; nothing
    is added to the paths Gradio may serve (only its own cache), and the data directory, the corpus folder and the
    working directory are blocked outright.
    """
    settings = assistant.settings
    gradio_cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio").resolve()
    blocked = [Path(settings.data_dir).resolve(), Path(settings.corpus_dir).resolve()]
    cwd = Path.cwd().resolve()
    if not (gradio_cache.is_relative_to(cwd) or Path(tempfile.gettempdir()).resolve().is_relative_to(cwd)):
        blocked.append(cwd)  # unless Gradio's own cache lives inside it, which would block uploads
    return {
        "share": False,
        "ssr_mode": False,
        "show_error": False,
        "allowed_paths": [],
        "blocked_paths": [str(p) for p in blocked],
        "max_file_size": int(settings.max_file_mb * 1e6),
        "enable_monitoring": False,
        "run_history": False,
        "mcp_server": False,
        "footer_links": ["api"],
        "css": render.CSS,
        "head": render.HEAD,
    }


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat page for `assistant` at http://host:port until interrupted."""
    app = build_app(assistant)
    # quiet: Gradio would also say "To create a public link, set share=True", which this page never does
    app.launch(server_name=host, server_port=port, quiet=True, prevent_thread_lock=True, **launch_options(assistant))
    print(f"The chat page is at http://{host}:{app.server_port} (Ctrl-C stops it)", file=sys.stderr, flush=True)
    app.block_thread()
