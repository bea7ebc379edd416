"""The language models of the LLM answer modes, as LangChain chat models, and what their failures mean.

Owns building one chat model per backend from `Settings` (the registry `CHAT_MODELS`, keyed by answer mode):
- `gguf`: `LlamaCppChatModel`, a small LangChain `BaseChatModel` around llama.cpp run in this process by
  `xllamacpp` (any GGUF file; the fetched Qwen2.5-Coder-1.5B-Instruct by default);
- `openai`: LangChain's `ChatOpenAI` pointed at any OpenAI-compatible server (llama.cpp's server, Ollama's `/v1`,
  vLLM), with base URL, model name and API key from the settings.
Both stream, and both end a call that takes longer than `llm_timeout_s`. `with_schema` binds a chat model to reply
with JSON matching a schema, in the way its backend constrains decoding (llama.cpp turns the schema into a grammar).
`describe_failure` turns whatever a model or server raised into one readable sentence. Leaves out prompts and
checking answers (`rag.answer.generative`).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from pydantic import PrivateAttr

from rag.config import Settings
from rag.errors import ConfigError, LLMError

log = logging.getLogger(__name__)

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
_DONE = object()


class LLMTimeout(LLMError):
    """The model did not finish within the time allowed."""


class LlamaCppChatModel(BaseChatModel):
    """A GGUF chat model run in this process by llama.cpp (through `xllamacpp`), loaded on first use.

    llama.cpp's server engine also listens on a random loopback port; it is given a random API key so that no other
    local program can use it. Each call runs in a worker thread and is abandoned (and stopped at its next token)
    when it takes longer than `timeout_s`. A `response_format` keyword (OpenAI's `{"type": "json_schema", ...}`)
    constrains decoding to its schema: llama.cpp gets it as a grammar that also allows no optional whitespace
    (`compact_grammar`: a pretty-printed reply costs a token a line), or as it is if that fails. The prompt cache is
    on (`cache_prompt`): a prompt that begins like the previous one (the fixed system prompt) is evaluated only from
    where it differs; the last chunk's `response_metadata["timings"]` says how many prompt tokens came from the
    cache (`cache_n`).
    """

    model_path: str
    n_ctx: int = 4096
    n_threads: int | None = None
    max_tokens: int = 200
    temperature: float = 0.0
    timeout_s: float = 60.0
    _server: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def server(self) -> Any:
        """The llama.cpp engine, loaded once (thread-safe)."""
        with self._lock:
            if self._server is None:
                self._server = self._load()
            return self._server

    def _load(self) -> Any:
        try:
            import xllamacpp
        except ImportError as exc:
            msg = "the gguf mode needs llama.cpp's bindings: pip install xllamacpp"
            raise ConfigError(msg) from exc
        params = xllamacpp.CommonParams()
        params.model.path = self.model_path
        params.n_ctx = self.n_ctx
        params.n_parallel = 1
        params.n_cache_reuse = 64  # reuse cached passages even when an earlier one changed (KV shifting)
        threads = self.n_threads or os.cpu_count() or 1
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.hostnames = ["127.0.0.1"]
        params.port = 0
        params.api_keys = [secrets.token_urlsafe(24)]
        params.verbosity = 0 if log.isEnabledFor(logging.DEBUG) else -1
        params.warmup = True  # touch the weights now, not in the first answer
        began = time.perf_counter()
        try:
            server = xllamacpp.Server(params)
        except Exception as exc:
            msg = f"llama.cpp could not load {self.model_path}: {exc}; is it a GGUF chat model?"
            raise ConfigError(msg) from exc
        log.info("loaded %s in %.1f s (%d threads)", self.model_path, time.perf_counter() - began, threads)
        return server

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> dict[str, Any]:
        request = {
            "messages": [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages],
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", self.temperature),
            "stream": True,
            "cache_prompt": True,
        }
        if stop:
            request["stop"] = stop
        if kwargs.get("response_format"):
            grammar = compact_grammar(kwargs["response_format"])
            request.update({"grammar": grammar} if grammar else {"response_format": kwargs["response_format"]})
        return request

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        server = self.server()
        request = self._request(messages, stop, **kwargs)
        chunks: queue.Queue = queue.Queue()
        abandon = threading.Event()

        def on_chunk(chunk: Any) -> bool:
            chunks.put(chunk)
            return abandon.is_set()  # True stops generation

        def run() -> None:
            try:
                result = server.handle_chat_completions(request, on_chunk)
                chunks.put(result if isinstance(result, dict) and "error" in result else _DONE)
            except Exception as exc:  # handed to the caller's thread
                chunks.put(exc)

        worker = threading.Thread(target=run, name="llama.cpp", daemon=True)
        worker.start()
        deadline = time.monotonic() + self.timeout_s
        try:
            while True:
                try:
                    item = chunks.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    msg = f"the local model did not finish within {self.timeout_s:g} s"
                    raise LLMTimeout(msg) from None
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                text = _delta_text(item)
                if isinstance(item.get("timings"), dict):  # the last chunk: prompt tokens evaluated and cached
                    yield ChatGenerationChunk(
                        message=AIMessageChunk(content="", response_metadata={"timings": item["timings"]})
                    )
                if text:
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
        finally:
            abandon.set()  # an abandoned generation stops at its next token
            _running.difference_update([w for w in _running if not w.is_alive()])
            if worker.is_alive():
                _running.add(worker)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(str(c.message.content) for c in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


_running: set[threading.Thread] = set()


@atexit.register
def _join_abandoned(seconds: float = 30.0) -> None:
    """Let abandoned generations stop before the interpreter exits (killing a thread inside llama.cpp aborts)."""
    deadline = time.monotonic() + seconds
    for worker in list(_running):
        worker.join(max(deadline - time.monotonic(), 0.0))


def _delta_text(chunk: Any) -> str:
    """The text of one streamed chat-completion chunk; an error reply is raised as `LLMError`."""
    if not isinstance(chunk, dict):
        msg = f"llama.cpp sent an unreadable chunk: {str(chunk)[:120]}"
        raise LLMError(msg)
    if "error" in chunk:
        error = chunk["error"]
        msg = f"llama.cpp failed: {error.get('message', error) if isinstance(error, dict) else error}"
        raise LLMError(msg)
    choices = chunk.get("choices") or [{}]
    return (choices[0].get("delta") or {}).get("content") or ""


def gguf_chat_model(settings: Settings) -> BaseChatModel:
    """The local GGUF model of the settings (loaded on its first call)."""
    return LlamaCppChatModel(
        model_path=str(settings.gguf_model_path()),
        n_ctx=settings.gguf_context,
        n_threads=settings.gguf_threads,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        timeout_s=settings.llm_timeout_s,
    )


def openai_chat_model(settings: Settings) -> BaseChatModel:
    """`ChatOpenAI` for the OpenAI-compatible server of the settings; no retries, so a dead server fails fast."""
    if not settings.openai_base_url:
        msg = "the openai mode needs a server: set RAG_OPENAI_BASE_URL (e.g. http://127.0.0.1:8080/v1)"
        raise ConfigError(msg)
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "no-key"
    return ChatOpenAI(
        model=settings.openai_model,
        base_url=settings.openai_base_url,
        api_key=key,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


CHAT_MODELS: dict[str, Callable[[Settings], BaseChatModel]] = {"gguf": gguf_chat_model, "openai": openai_chat_model}


def build_chat_model(settings: Settings, mode: str) -> BaseChatModel:
    """The chat model of an LLM answer mode."""
    if mode not in CHAT_MODELS:
        msg = f"{mode!r} is not an LLM mode; choose one of: {', '.join(CHAT_MODELS)}"
        raise ConfigError(msg)
    return CHAT_MODELS[mode](settings)


COMPACT = {"whitespace_flexible": False, "item_separator": ", ", "key_separator": ": "}  # llguidance's JSON options


def compact_grammar(response_format: dict[str, Any]) -> str | None:
    """llama.cpp's grammar for the JSON schema of a `response_format`, with no whitespace but one space after `,`
    and `:` (llguidance's `x-guidance` options; a llama.cpp built without llguidance ignores them); None when there
    is no schema or llama.cpp cannot convert it."""
    schema = (response_format.get("json_schema") or {}).get("schema")
    if not isinstance(schema, dict):
        return None
    try:
        import xllamacpp

        return xllamacpp.json_schema_to_grammar({**schema, "x-guidance": COMPACT})
    except Exception as exc:  # an older build, or a schema it cannot convert: the server gets the schema itself
        log.debug("no compact grammar (%s); sending the JSON schema", exc)
        return None


def with_schema(llm: BaseChatModel, schema: dict[str, Any], name: str = "reply") -> Runnable:
    """The chat model bound to reply with JSON that matches `schema` (OpenAI's `response_format` of type
    `json_schema`, which llama.cpp's server turns into a grammar: the reply cannot leave the schema).

    `ChatOpenAI` gets it in the request body (`extra_body`): bound as `response_format` itself, LangChain would
    switch to the OpenAI client's parsing stream, which raises on a reply cut off by the token limit. Every other
    chat model (the in-process llama.cpp one among them) gets it as the `response_format` keyword.

    Example:
        >>> bound = with_schema(LlamaCppChatModel(model_path="m.gguf"), {"type": "object"})
        >>> bound.kwargs["response_format"]["json_schema"]
        {'name': 'reply', 'schema': {'type': 'object'}}
    """
    response_format = {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    openai = sys.modules.get("langchain_openai.chat_models.base")
    if openai is not None and isinstance(llm, openai.BaseChatOpenAI):
        extra = {**(llm.extra_body or {}), "response_format": response_format}
        return llm.bind(extra_body=extra)
    return llm.bind(response_format=response_format)


def describe_failure(exc: BaseException, where: str) -> str:
    """One sentence for a failed model call: timed out, unreachable, dropped, refused, or unreadable.

    The exception and its causes are read by the names of their classes (openai, httpx and LangChain wrap each
    other's errors), so no client library needs importing here.

    Example:
        >>> describe_failure(LLMTimeout("slow"), "the local model")
        'the local model did not answer in time (slow)'
    """
    chain = _causes(exc)
    names = {cls.__name__ for e in chain for cls in type(e).__mro__}
    status = next((getattr(e, "status_code", None) for e in chain if getattr(e, "status_code", None)), None)
    if isinstance(exc, LLMTimeout) or any("Timeout" in name for name in names):
        return f"{where} did not answer in time ({_short(exc)})"
    if status is not None:
        return f"{where} refused the request (HTTP {status}: {_short(exc)})"
    if names & {"RemoteProtocolError", "ReadError", "ConnectionResetError", "BrokenPipeError", "IncompleteRead"}:
        return f"{where} stopped in the middle of the answer ({_short(exc)})"
    if names & {"ConnectError", "ConnectionRefusedError", "APIConnectionError", "ConnectionError"}:
        return f"{where} could not be reached ({_short(exc)})"
    if isinstance(exc, LLMError | ConfigError):
        return f"{where} failed: {exc}"
    return f"{where} sent a reply that could not be read ({type(exc).__name__}: {_short(exc)})"


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _short(exc: BaseException) -> str:
    """The most specific message of the exception and its causes ("Connection error." says less than its cause)."""
    texts = [" ".join(str(e).split()) for e in _causes(exc)]
    vague = {"", "Connection error.", "Connection error: Connection error.", "Request timed out."}
    return next((t for t in reversed(texts) if t not in vague), texts[0] or type(exc).__name__)[:200]
