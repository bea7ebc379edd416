"""Who may use the server: anyone on this machine by default; with `RAG_API_KEY`, only who sends the key.

Owns the rule that a server bound beyond loopback (`--host 0.0.0.0`, a LAN address) must have a key, and refuses
to start without one, saying how to set it (`require_key_for`); `KeyMiddleware`, which answers 401 (problem
details, `WWW-Authenticate: Bearer`) to an API request without `Authorization: Bearer KEY`; and the page's login
check (`page_login`, the key as the password). Keys are compared in constant time and never logged or shown.
Leaves out TLS: beyond a trusted network, put the server behind a proxy that terminates HTTPS.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable

from rag.errors import ConfigError

OPEN_PATHS = ("/v1/openapi.json", "/v1/docs")
"""API paths served without the key: the API's description holds no document."""


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only.

    Example:
        >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "192.168.1.20")]
        [True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_key_for(host: str, key: str) -> None:
    """Refuse to serve beyond loopback without a key."""
    if key or is_loopback(host):
        return
    msg = (
        f"serving on {host} opens the page and the API to other machines, so it needs a key: set RAG_API_KEY "
        "(for example `export RAG_API_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')`), "
        "which programs send as `Authorization: Bearer KEY` and people type as the page's password; "
        "or serve on 127.0.0.1"
    )
    raise ConfigError(msg)


def same_key(given: str, key: str) -> bool:
    """Whether `given` is `key`, in time that does not depend on where they differ."""
    return hmac.compare_digest(given.encode(), key.encode())


def page_login(key: str) -> Callable[[str, str], bool]:
    """Gradio's `auth` check for the page: any user name, the key as the password."""

    def check(_user: str, password: str) -> bool:
        return same_key(password, key)

    return check


class KeyMiddleware:
    """ASGI middleware: a request under `prefix` (the API's /v1/, but its description; MCP's /mcp) without the
    bearer key is answered 401 before anything reads it."""

    def __init__(self, app: Callable, key: str, prefix: str = "/v1/") -> None:
        self.app, self.key, self.prefix = app, key, prefix

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix) or path in OPEN_PATHS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        problem = {
            "type": "about:blank",
            "title": "Unauthorized",
            "status": 401,
            "detail": "this server needs its key: send the header `Authorization: Bearer KEY` (RAG_API_KEY)",
        }
        headers = [(b"content-type", b"application/problem+json"), (b"www-authenticate", b"Bearer")]
        await send({"type": "http.response.start", "status": 401, "headers": headers})
        await send({"type": "http.response.body", "body": json.dumps(problem).encode()})

    def _allowed(self, scope: dict) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, given = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and same_key(given.strip(), self.key)
        return False
