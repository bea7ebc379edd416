"""The chat page (Gradio): `ui.page.build_app(assistant)` builds it, `ui.page.serve(...)` runs it (`rag serve`).

Presentation only: answers, citations and retrieval come from `rag`. `ui.page` lays out and wires the page,
`ui.app` holds its handlers, `ui.render` and `ui.viewer` its HTML, `rag.uploads` and `rag.indexing` the uploads.
"""
