"""The chat page's layout and launch: `build_app(assistant)` lays out the components and wires each event to a
`ChatPage` handler; `serve` runs it safely.

Owns the layout (chat, question box with its example chips and active-filter line, search settings, sources panel
and document viewer, documents panel), the event wiring and its queues (chat answered concurrently, indexing and
removal one at a time), and the launch options: loopback by default, no share link, no server-side rendering, an
upload size cap, and no folder of ours (data, corpus, working directory) among the paths Gradio may serve. Leaves
out what the handlers do (`ui.app`) and the HTML (`ui.render`, `ui.viewer`).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import APIRouter
from gradio.utils import get_upload_folder
from starlette.middleware import Middleware

from rag.admission import AdmissionMiddleware
from rag.api import api_router, key_middleware
from rag.api.access import page_login, require_key_for
from rag.chain import Assistant
from rag.config import Settings
from rag.indexing import BackgroundIndexer
from rag.ingest.loaders import SUPPORTED_SUFFIXES
from ui import render, viewer
from ui.app import CHAT_CONCURRENCY, EXAMPLES, FOLLOW_EVERY_S, ChatPage, answer_modes, mode_help


def build_app(assistant: Assistant, indexer: BackgroundIndexer | None = None) -> gr.Blocks:
    """The chat page for `assistant`: chat with streamed, cited answers, sources panel, documents and settings.
    `indexer` indexes its uploads (the API's too, when it is served beside the page)."""
    page = ChatPage(assistant, indexer)
    settings = assistant.settings
    cap = f"{settings.max_file_mb:g} MB"
    indexed = assistant.sources()
    names = sorted(indexed)
    with gr.Blocks(title="rag: cited answers from your documents", analytics_enabled=False) as app:
        turns = gr.State([])
        uploaded = gr.State([])  # the rows of the upload results table
        gr.Markdown("## Cited answers from your documents\nEvery answer quotes its sources; click a `[n]` to see it.")
        overview = gr.HTML(render.overview_html(indexed), elem_id="overview", js_on_load=None)
        first_questions = [example.question for example in assistant.examples(EXAMPLES)]
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    elem_id="chat",
                    label="Chat",
                    show_label=False,  # a floating label would cover the first message once scrolled
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
                with gr.Row(elem_id="examples", visible=bool(first_questions)) as examples_row:
                    example_buttons = [
                        gr.Button(
                            first_questions[i] if i < len(first_questions) else "",
                            visible=i < len(first_questions),
                            elem_id=f"example-{i}",
                            elem_classes=["example"],
                            size="sm",
                            variant="secondary",
                        )
                        for i in range(EXAMPLES)
                    ]
                active_filter = gr.Markdown(elem_id="active-filter")
                with gr.Accordion("Search settings", open=False, elem_id="settings"):
                    restrict = gr.Dropdown(
                        choices=names,
                        label="Only search these documents (none chosen: all)",
                        multiselect=True,
                        allow_custom_value=True,  # the handler says which names are not indexed
                        elem_id="restrict",
                    )
                    k = gr.Slider(
                        1,
                        20,
                        value=settings.k,
                        step=1,
                        label="How many passages to search",
                        info="The answer is taken from this many best-matching passages of your documents.",
                        elem_id="k",
                    )
                    mode = gr.Radio(
                        answer_modes(assistant),
                        value=settings.answer_mode,
                        label="Answer mode",
                        info=mode_help(answer_modes(assistant)),
                        elem_id="mode",
                    )
                with gr.Row():
                    new = gr.Button("New conversation", elem_id="new", size="sm")
                    export = gr.Button("Export as Markdown", elem_id="export", size="sm")
                exported = gr.File(label="Conversation", elem_id="exported", interactive=False, visible=False)
            with gr.Column(scale=2):
                gr.Markdown("### Sources")
                sources = gr.HTML(render.sources_html([]), elem_id="sources", js_on_load=None, max_height=720)
                document_viewer = gr.HTML("", elem_id="doc-viewer", js_on_load=viewer.VIEWER_JS)
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
                with gr.Row(visible=False, elem_id="remove-confirm-row") as confirm_row:
                    confirm_text = gr.Markdown(elem_id="remove-question")
                    confirm = gr.Button("Yes, remove it", elem_id="remove-confirm", variant="stop", size="sm")
                    cancel = gr.Button("Cancel", elem_id="remove-cancel", size="sm")
                doc_status = gr.Markdown(elem_id="doc-status")

        asked = {"inputs": [question, turns, k, mode, restrict], "outputs": [question, chat, turns, sources]}
        gr.on(
            [ask.click, question.submit],
            page.respond,
            **asked,
            api_name="chat",
            concurrency_limit=CHAT_CONCURRENCY,
            concurrency_id="chat",
        )
        chat.like(page.rate, inputs=[turns], outputs=None, api_visibility="private")
        gr.on([new.click, chat.clear], page.clear, outputs=[chat, turns, sources], api_visibility="private")
        export.click(page.export_file, inputs=[turns], outputs=[exported], api_visibility="private")
        stale_export = [ask.click, question.submit, new.click, chat.clear]
        gr.on(stale_export, page.hide_export, outputs=[exported], api_visibility="private")
        restrict.change(page.filter_note, inputs=[restrict], outputs=[active_filter], api_visibility="private")
        document_viewer.click(
            page.show_document,
            inputs=[turns],
            outputs=[document_viewer],
            api_visibility="private",
            concurrency_limit=4,
            concurrency_id="viewer",
            show_progress="minimal",
        )
        gr.on([new.click, chat.clear], page.close_document, outputs=[document_viewer], api_visibility="private")
        doc_lists = [documents, to_remove, restrict]
        shown = gr.State(None)  # what the lists show (`ChatPage.shown_index`), set on load
        gr.Timer(FOLLOW_EVERY_S).tick(
            page.follow_index,
            inputs=[shown, restrict, to_remove],
            outputs=[shown, overview, *doc_lists],
            api_visibility="private",
            show_progress="hidden",
            concurrency_limit=None,
        )
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
            page.ask_to_remove, inputs=[to_remove], outputs=[confirm_row, confirm_text], api_visibility="private"
        )
        confirm.click(
            page.remove,
            inputs=[to_remove, restrict, uploaded],
            outputs=[doc_status, upload_results, uploaded, *doc_lists],
            concurrency_limit=1,
            concurrency_id="index",
            api_name="remove",
        ).then(page.hide, outputs=[confirm_row], api_visibility="private")
        cancel.click(page.hide, outputs=[confirm_row], api_visibility="private")
        to_remove.input(page.clear_status, outputs=[doc_status], api_visibility="private")
        to_remove.input(page.hide, outputs=[confirm_row], api_visibility="private")
        app.load(page.documents, inputs=[restrict], outputs=doc_lists, api_visibility="private")
        app.load(page.shown_index, outputs=[shown], api_visibility="private")
        # The first view (documents at a glance, example questions) follows the documents table: on load, and
        # whenever an upload or a removal changes the table.
        first_view = [overview, examples_row, *example_buttons]
        app.load(page.first_view, outputs=first_view, api_visibility="private")
        documents.change(page.first_view, outputs=first_view, api_visibility="private")
        for button in example_buttons:  # an example goes into the question box and is asked
            button.click(None, inputs=[button], outputs=[question], js="(text) => text").then(
                page.respond,
                **asked,
                api_visibility="private",
                concurrency_limit=CHAT_CONCURRENCY,
                concurrency_id="chat",
            )
        gr.on([b.click for b in example_buttons], page.hide_export, outputs=[exported], api_visibility="private")
    app.queue(default_concurrency_limit=1)
    chat_fns = frozenset(i for i, fn in app.fns.items() if getattr(fn.fn, "__func__", None) is ChatPage.respond)
    app.admission = Middleware(AdmissionMiddleware, gate=page.admission, chat_fns=chat_fns)  # see `launch_options`
    return app


def launch_options(assistant: Assistant, app: gr.Blocks | None = None, api: APIRouter | None = None) -> dict[str, Any]:
    """Keyword arguments of `Blocks.launch` that make the page safe to run (used by `serve` and the tests).

    No share link and no server-side rendering; uploads over `max_file_mb` are refused by Gradio itself; nothing
    is added to the paths Gradio may serve (only its own cache), and the data directory, the corpus folder and the
    working directory are blocked outright. With the `app` of `build_app`, questions are admitted per address
    (`rag.admission`) before Gradio queues them. With `api` (`rag.api.api_router`), its routes are served on the
    same server, admitted alike. With `RAG_API_KEY` set, the page asks for it as its password and the API for it
    as a bearer token.
    """
    settings = assistant.settings
    gradio_cache = Path(get_upload_folder()).resolve()  # where Gradio keeps uploads (GRADIO_TEMP_DIR)
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
        "app_kwargs": _app_kwargs(settings, app, api),
        "auth": page_login(key) if (key := settings.api_key.get_secret_value()) else None,
        "footer_links": ["api"],
        "css": render.CSS,
        "head": render.HEAD,
    }


def _app_kwargs(settings: Settings, app: gr.Blocks | None, api: APIRouter | None) -> dict[str, Any]:
    """The server's middleware (admission, the key) and the API's routes, ahead of Gradio's own."""
    if app is None:
        return {}
    kwargs: dict[str, Any] = {"middleware": [app.admission, *key_middleware(settings)]}
    if api is not None:
        kwargs["routes"] = list(api.routes)
    return kwargs


def start(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> gr.Blocks:
    """Start serving the chat page for `assistant`, with the API beside it, at http://host:port, and return the
    running app (`app.close()` stops it). Beyond loopback, `RAG_API_KEY` must be set (`rag.api.access`)."""
    require_key_for(host, assistant.settings.api_key.get_secret_value())
    indexer = BackgroundIndexer.for_assistant(assistant)  # one worker: the page's and the API's uploads take turns
    app = build_app(assistant, indexer)
    # quiet: Gradio would also say "To create a public link, set share=True", which this page never does
    options = launch_options(assistant, app, api_router(assistant, indexer))
    app.launch(server_name=host, server_port=port, quiet=True, prevent_thread_lock=True, **options)
    return app


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the chat page for `assistant`, with the API beside it, at http://host:port until interrupted."""
    app = start(assistant, host, port)
    url = f"http://{host}:{app.server_port}"
    print(f"The chat page is at {url}, the API at {url}/v1 (Ctrl-C stops it)", file=sys.stderr, flush=True)
    # Not `app.block_thread()`: it turns Ctrl-C into a server shutdown that waits for answers and uploads in flight
    # (30 s and more behind a long upload). The KeyboardInterrupt goes to `rag.cli`, which exits at once; what must
    # survive is committed already (see README: Reliability).
    while app.is_running:
        time.sleep(0.2)
