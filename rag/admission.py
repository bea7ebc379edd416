"""Admission of questions to the chat page and the API: a token bucket per client address.

Owns the rule that keeps one client from taking the server from everyone else (#30: 1,000 rapid questions made a
lone user's wait 58 s and the server's memory double): each address may ask `BURST` questions at once and then one
every `1 / PER_SECOND` seconds; a question beyond that is refused before it is queued, with how long to wait.
`AdmissionMiddleware` applies it in the server before Gradio or the API sees the request. Leaves out which of the
page's events are questions (`ui.page` names them) and the page's layout.

Example:
    >>> gate = Admission(burst=2, per_second=0.5, clock=lambda: 0.0)
    >>> [gate.wait_for("10.0.0.7") for _ in range(3)]
    [0.0, 0.0, 2.0]
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable

BURST = 5  # questions an address may ask at once (Settings.ask_burst, RAG_ASK_BURST)
PER_SECOND = 1.0  # and then one a second (Settings.ask_per_second)
_MAX_CLIENTS = 10_000  # addresses remembered; those with a full bucket are forgotten first


class Admission:
    """Token buckets by client address; thread-safe."""

    def __init__(
        self, burst: int = BURST, per_second: float = PER_SECOND, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst, self.per_second, self.clock = burst, per_second, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, when counted)
        self._lock = threading.Lock()

    def wait_for(self, client: str) -> float:
        """0.0 when `client` may ask now (one token taken), else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.per_second)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                self._forget_full(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.per_second

    def _forget_full(self, now: float) -> None:
        if len(self._buckets) <= _MAX_CLIENTS:
            return
        full = [c for c, (t, then) in self._buckets.items() if t + (now - then) * self.per_second >= self.burst]
        for client in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[client]


QUESTION_ROUTES = ("/v1/answer", "/v1/answer/stream", "/v1/search", "/v1/chat/completions")
"""The API's routes that ask a question (`rag.api`): admitted like the page's questions."""


class AdmissionMiddleware:
    """ASGI middleware of the server: a question (a queue join of one of the page's `chat_fns`, a call of Gradio's
    `/call/chat`, a POST to one of the API's `QUESTION_ROUTES`) from an address over its `Admission` is answered 429
    with how long to wait (RFC 9457 problem details, `Retry-After`), before Gradio or the API parses, validates or
    queues it (refusing costs well under a millisecond, so a flood cannot slow the others). Every other request
    passes untouched."""

    def __init__(self, app: Callable, gate: Admission, chat_fns: frozenset[int] = frozenset()) -> None:
        self.app, self.gate, self.chat_fns = app, gate, chat_fns

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        path = scope.get("path", "") if scope["type"] == "http" and scope.get("method") == "POST" else ""
        if path.endswith("/call/chat") or path.rstrip("/") in QUESTION_ROUTES:
            asks = True
        elif path.endswith("/queue/join"):
            body, receive = await _buffered(receive)
            try:
                asks = json.loads(body).get("fn_index") in self.chat_fns
            except (ValueError, AttributeError):
                asks = False
        else:
            asks = False
        wait = self.gate.wait_for((scope.get("client") or ("",))[0]) if asks else 0.0
        if not wait:
            await self.app(scope, receive, send)
            return
        seconds = math.ceil(wait)
        detail = f"busy: too many questions from your address; try again in {seconds} s"
        problem = {"type": "about:blank", "title": "Too Many Requests", "status": 429, "detail": detail}
        headers = [(b"content-type", b"application/problem+json"), (b"retry-after", str(seconds).encode())]
        payload = json.dumps(problem).encode()
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


async def _buffered(receive: Callable) -> tuple[bytes, Callable]:
    """The whole request body, and a `receive` that gives it again to the app."""
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body, replayed = b"".join(chunks), False

    async def replay() -> dict:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
