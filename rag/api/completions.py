"""The OpenAI-compatible endpoint: `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`.

Owns the translation between OpenAI's chat shapes and one `Assistant.answer` call: the last user message is the
question, the user/assistant pairs before it the history, `model` an answer mode (`GET /v1/models` lists them;
"rag" is the configured one). The reply keeps the `[n]` markers in its text and ends with a "Sources:" block
(a line per citation: document, offsets, quote), so that a client that shows only text still shows where each
claim comes from; the citations also travel as data, as OpenAI-style `url_citation` annotations on the message
(with `source`, `start`, `end` and `quote` beside OpenAI's fields) and as `citations` in the shape of
`POST /v1/answer`. A streamed reply sends the checked answer's text in pieces, then the citations, then `[DONE]`.
Leaves out sampling parameters (temperature and the like are accepted and ignored: answers are deterministic) and
tool calls.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from rag.api.problems import ProblemRoute
from rag.api.schemas import AnswerOut, CitationOut
from rag.chain import Assistant
from rag.types import Answer

DEFAULT_MODEL = "rag"
SOURCES_HEADING = "\n\nSources:\n"
PIECE_WORDS = 4  # words per streamed piece


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict] | None = None

    def text(self) -> str:
        """The message's text (the text parts of a list of parts)."""
        if isinstance(self.content, list):
            return "".join(part.get("text", "") for part in self.content if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: accepted, not used

    model: str = DEFAULT_MODEL
    messages: list[Message]
    stream: bool = False


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "rag"


class Models(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def router(assistant: Assistant) -> APIRouter:
    """The OpenAI-compatible routes over `assistant`."""
    api = APIRouter(prefix="/v1", tags=["openai"], route_class=ProblemRoute)

    @api.get("/models", response_model=Models)
    def models() -> Models:
        """The answer modes, as models: "rag" (the configured mode) and each mode by name."""
        return Models(data=[Model(id=name) for name in [DEFAULT_MODEL, *assistant.modes()]])

    @api.post("/chat/completions")
    def chat_completions(request: ChatRequest, http: Request):
        """Answer the conversation's last user message, OpenAI's way, with the citations kept."""
        question, history = conversation(request.messages)
        mode = None if request.model == DEFAULT_MODEL else request.model
        if mode is not None and mode not in assistant.modes():
            known = ", ".join([DEFAULT_MODEL, *assistant.modes()])
            raise HTTPException(404, f"no model {request.model!r}: GET /v1/models lists them ({known})")
        answer = assistant.answer(question, history, mode=mode)
        reply = Reply(answer, request.model, str(http.base_url).rstrip("/"))
        if request.stream:
            return StreamingResponse(reply.chunks(), media_type="text/event-stream")
        return reply.completion()

    return api


def conversation(messages: list[Message]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the (question, answer) turns before it.

    Example:
        >>> said = [Message(role="user", content="Who?"),
        ...         Message(role="assistant", content="Ann [1].\\n\\nSources:\\n[1] …"),
        ...         Message(role="user", content="When?")]
        >>> conversation(said)
        ('When?', [('Who?', 'Ann [1].')])
    """
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users or not messages[users[-1]].text().strip():
        raise HTTPException(400, "no question: the last user message is missing or empty")
    history, asked = [], None
    for message in messages[: users[-1]]:
        if message.role == "user":
            asked = message.text()
        elif message.role == "assistant" and asked is not None:
            history.append((asked, message.text().split(SOURCES_HEADING)[0]))
            asked = None
    return messages[users[-1]].text(), history


class Reply:
    """One answer in OpenAI's shapes."""

    def __init__(self, answer: Answer, model: str, base_url: str) -> None:
        self.answer, self.model, self.base_url = answer, model, base_url
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.content = answer.text + sources_block(answer)

    def message_extras(self) -> dict:
        return {
            "annotations": annotations(self.answer, self.content, self.base_url),
            "citations": [c.model_dump(mode="json") for c in AnswerOut.of(self.answer).citations],
        }

    def completion(self) -> dict:
        message = {"role": "assistant", "content": self.content, **self.message_extras()}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return {**self._head("chat.completion"), "choices": [choice]}

    def chunks(self) -> Iterator[str]:
        yield self._chunk({"role": "assistant", "content": ""})
        words = re.findall(r"\S+\s*|\s+", self.content)
        for i in range(0, len(words), PIECE_WORDS):
            yield self._chunk({"content": "".join(words[i : i + PIECE_WORDS])})
        yield self._chunk(self.message_extras())
        yield self._chunk({}, finish_reason="stop")
        yield "data: [DONE]\n\n"

    def _chunk(self, delta: dict, finish_reason: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
        return f"data: {json.dumps({**self._head('chat.completion.chunk'), 'choices': [choice]})}\n\n"

    def _head(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}


def sources_block(answer: Answer) -> str:
    """The "Sources:" lines that end a reply: `[n] document, characters start-end: "quote"`; "" without citations.

    Example:
        >>> from rag.types import Citation
        >>> a = Answer("Q?", "Ann signed it [1].", False, (Citation(1, "deal.txt", 10, 24, "Ann signed it."),))
        >>> print(sources_block(a).strip())
        Sources:
        [1] deal.txt, characters 10-24: "Ann signed it."
    """
    lines = []
    for c in answer.citations:
        where = f"{c.source}, page {c.page}, characters" if c.page else f"{c.source}, characters"
        lines.append(f'[{c.n}] {where} {c.start}-{c.end}: "{c.quote}"')
    return SOURCES_HEADING + "\n".join(lines) if lines else ""


def annotations(answer: Answer, content: str, base_url: str) -> list[dict]:
    """An OpenAI `url_citation` per citation: `start_index`/`end_index` are its `[n]` marker's first place in the
    content, `url` the document's text at the quote (GET /v1/documents/{name}/text), with the citation beside."""
    found = []
    for citation in answer.citations:
        marker = f"[{citation.n}]"
        at = content.find(marker)
        at = at if at >= 0 else 0
        url = f"{base_url}/v1/documents/{quote(citation.source)}/text?start={citation.start}&end={citation.end}"
        cited = CitationOut.of(citation).model_dump(mode="json")
        found.append(
            {
                "type": "url_citation",
                "url_citation": {
                    "start_index": at,
                    "end_index": at + len(marker),
                    "url": url,
                    "title": citation.source,
                    **cited,
                },
            }
        )
    return found
