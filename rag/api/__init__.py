"""The API for other programs: HTTP routes under /v1, an OpenAI-compatible endpoint, and who may use them.

Served beside the chat page by `rag serve` (on the page's own server), or alone by `rag api`. The modules:
`routes` (answers, search, documents, uploads), `completions` (OpenAI's chat completions and models), `schemas`
(the JSON shapes), `problems` (errors as RFC 9457 problem details), `access` (the key). The MCP server is
`rag.mcp_server`. Leaves out the page (`ui`) and everything the routes call (`rag.chain.Assistant`).

Example:
    >>> from fastapi.testclient import TestClient
    >>> client = TestClient(create_app(assistant))  # doctest: +SKIP
    >>> client.post("/v1/answer", json={"question": "Who signed it?"}).json()["citations"][0]["quote"]  # doctest: +SKIP
    'U.S. Treasury Secretary Scott Bessent and Ukraine’s First Deputy Prime Minister Yulia Svyrydenko ...'
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from starlette.middleware import Middleware

from rag.admission import Admission, AdmissionMiddleware
from rag.api import completions, routes
from rag.api.access import KeyMiddleware
from rag.chain import Assistant
from rag.config import Settings
from rag.indexing import BackgroundIndexer

TITLE = "rag: cited answers from your documents"
VERSION = "1"


def api_router(assistant: Assistant, indexer: BackgroundIndexer) -> APIRouter:
    """Every /v1 route over `assistant` (uploads indexed by `indexer`), with its OpenAPI description at
    /v1/openapi.json and the Swagger page at /v1/docs."""
    api = APIRouter()
    api.include_router(routes.router(assistant, indexer))
    api.include_router(completions.router(assistant))
    described = list(api.routes)

    @api.get("/v1/openapi.json", include_in_schema=False)
    def openapi() -> dict:
        return get_openapi(title=TITLE, version=VERSION, routes=described)

    @api.get("/v1/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/v1/openapi.json", title=TITLE)

    return api


def key_middleware(settings: Settings) -> list[Middleware]:
    """The middleware that asks API requests for the key, when one is set (`rag.api.access`)."""
    key = settings.api_key.get_secret_value()
    return [Middleware(KeyMiddleware, key=key)] if key else []


def create_app(
    assistant: Assistant, indexer: BackgroundIndexer | None = None, gate: Admission | None = None
) -> FastAPI:
    """The API alone, as `rag api` serves it (`gate`: the admission of questions, from the settings if None)."""
    settings = assistant.settings
    gate = gate or Admission(settings.ask_burst, settings.ask_per_second)
    found = [Middleware(AdmissionMiddleware, gate=gate), *key_middleware(settings)]
    app = FastAPI(title=TITLE, docs_url=None, redoc_url=None, openapi_url=None, middleware=found)
    app.include_router(api_router(assistant, indexer or BackgroundIndexer.for_assistant(assistant)))
    return app
