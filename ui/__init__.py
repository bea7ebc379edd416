"""The chat page (Gradio): `ui.app.build_app(assistant)` builds it, `ui.app.serve(...)` runs it (`rag serve`).

Presentation only: answers, citations and retrieval come from `rag`; see `ui.app`, `ui.render` and `ui.uploads`.
"""
