"""Errors as RFC 9457 problem details: `{"type", "title", "status", "detail"}` with `application/problem+json`.

Owns the status each of the library's errors is given (an unknown document 404, nothing indexed 409, a lost part of
the index 503, a full disk 507, a model server down 502, a bad request 400 or 422) and the handlers that turn them,
FastAPI's validation errors and HTTP exceptions into problem details whose `detail` says what to do (`ProblemRoute`).
Leaves out the routes that raise them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from rag.errors import (
    ConfigError,
    DiskFullError,
    EmptyIndexError,
    IndexBusyError,
    IndexDamagedError,
    IngestError,
    LLMError,
    RagError,
    StoreError,
    UnknownSourceError,
)

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[Exception], int], ...] = (  # the first that matches, so subclasses before their bases
    (UnknownSourceError, 404),
    (EmptyIndexError, 409),
    (IndexBusyError, 409),
    (IndexDamagedError, 503),
    (StoreError, 503),
    (DiskFullError, 507),
    (LLMError, 502),
    (ConfigError, 400),
    (IngestError, 422),
    (RagError, 500),
    (ValueError, 400),
)


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem-details response.

    Example:
        >>> problem(404, "no document named a.md").body
        b'{"type":"about:blank","title":"Not Found","status":404,"detail":"no document named a.md"}'
    """
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def status_of(exc: Exception) -> int:
    return next(status for kind, status in STATUS if isinstance(exc, kind))


class ProblemRoute(APIRoute):
    """A route whose every error is answered with problem details: the library's errors (`STATUS`), FastAPI's
    validation errors (422) and HTTP exceptions. Set on the API's routers, it needs no handler on the app, so the
    routes can join an app that is already serving (the page's)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return problem(422, "the request is not valid: " + "; ".join(_described(e) for e in exc.errors()))
            except HTTPException as exc:
                return problem(exc.status_code, str(exc.detail), dict(exc.headers or {}))
            except (RagError, ValueError) as exc:
                status = status_of(exc)
                if status >= 500:
                    log.warning("API error %d: %s", status, exc)
                return problem(status, str(exc))

        return handle


def _described(error: dict) -> str:
    """'question: String should have at least 1 character' from one of pydantic's errors."""
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))
