"""The MCP server (`rag mcp`): the assistant as tools and resources for MCP clients, over stdio or streamable HTTP.

Owns the tools (`answer` with its citations, `search`, `list_documents`, `read_document`: a span of a document's
extracted text, the text every citation's offsets point into) and the resources (`rag://documents`, the list, and
`rag://documents/{name}`, a document's text), built with the official SDK (`mcp.server.mcpserver.MCPServer`) over
one `Assistant`; and serving them: stdio for a client that starts `rag mcp` itself, streamable HTTP on loopback (or,
with `RAG_API_KEY`, beyond it) at /mcp. The tools return the API's JSON shapes (`rag.api.schemas`); a failure is a
tool error whose text says what to do. Leaves out everything the tools call (`rag.chain.Assistant`).

Example (a client's configuration, as in Claude Desktop's `mcpServers`):
    {"rag": {"command": "rag", "args": ["mcp", "--data-dir", "/home/me/.rag-data"]}}
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from rag.api.schemas import AnswerOut, DocumentOut, DocumentText, PassageOut
from rag.chain import Assistant
from rag.errors import RagError, UnknownSourceError

F = TypeVar("F", bound=Callable[..., Any])

INSTRUCTIONS = (
    "Answers questions from the user's indexed documents. `answer` gives a short answer whose every claim cites "
    "a passage ([n], with the document, offsets and exact quote), or says the documents don't say; `search` "
    "returns passages without answering; `read_document` reads a span of a document, e.g. around a citation."
)


def build_server(assistant: Assistant) -> MCPServer:
    """The MCP server over `assistant`.

    Example:
        >>> from mcp import Client
        >>> async with Client(build_server(assistant)) as client:  # doctest: +SKIP
        ...     (await client.call_tool("list_documents", {})).structured_content
        {'result': [{'name': 'us-ukraine-minerals-agreement.txt', ...}]}
    """
    server = MCPServer(name="rag", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    @_said_plainly
    def answer(question: str, sources: list[str] | None = None, k: int | None = None) -> AnswerOut:
        """Answer a question from the indexed documents, citing the passage behind every claim, or abstain.
        `sources` restricts the answer to those documents (names as list_documents gives them)."""
        return AnswerOut.of(assistant.answer(question, sources=sources or (), k=k))

    @server.tool()
    @_said_plainly
    def search(question: str, sources: list[str] | None = None, k: int | None = None) -> list[PassageOut]:
        """The passages the answerer would read for a question, best first, with their scores."""
        return [PassageOut.of(p) for p in assistant.search(question, sources or (), k)]

    @server.tool()
    @_said_plainly
    def list_documents() -> list[DocumentOut]:
        """The indexed documents."""
        return [DocumentOut.of(info) for _, info in sorted(assistant.sources().items())]

    @server.tool()
    @_said_plainly
    def read_document(name: str, start: int = 0, end: int | None = None) -> DocumentText:
        """A document's extracted text from `start` to `end` (characters; the whole text by default). A
        citation's `start` and `end` give exactly its quote; widen them to read around it."""
        return read_span(assistant, name, start, end)

    @server.resource("rag://documents", mime_type="application/json")
    def documents() -> list[DocumentOut]:
        """The indexed documents."""
        return list_documents()

    @server.resource("rag://documents/{+name}", mime_type="text/plain")
    def document(name: str) -> str:
        """A document's extracted text."""
        return read_span(assistant, name, 0, None).text

    return server


def _said_plainly(tool: F) -> F:
    """A tool whose mistakes (no such document, an empty question, a damaged index) reach the client as a tool
    error with the library's message, which says what to do (the SDK would hide it behind "Error executing tool")."""

    @functools.wraps(tool)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return tool(*args, **kwargs)
        except (RagError, ValueError) as exc:
            raise ToolError(str(exc)) from None

    return call  # type: ignore[return-value]


def read_span(assistant: Assistant, name: str, start: int, end: int | None) -> DocumentText:
    """`name`'s text from `start` to `end`; an error naming the indexed documents when there is no such document."""
    if assistant.document(name) is None:
        names = ", ".join(sorted(assistant.sources())[:10]) or "none"
        msg = f"no indexed document is named {name!r}; indexed: {names}"
        raise UnknownSourceError(msg)
    text = assistant.document_text(name)
    stop = len(text) if end is None else max(0, min(end, len(text)))
    start = max(0, min(start, stop))
    return DocumentText(name=name, start=start, end=stop, length=len(text), text=text[start:stop])


def serve_http(server: MCPServer, host: str, port: int, key: str = "") -> None:
    """Serve `server` over streamable HTTP at http://host:port/mcp; with `key`, only to requests bearing it."""
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    from rag.api.access import KeyMiddleware, is_loopback

    # The SDK's DNS-rebinding guard allows loopback Host headers only; beyond loopback the key guards instead.
    security = None if is_loopback(host) else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app = server.streamable_http_app(host=host, transport_security=security)
    if key:
        app = KeyMiddleware(app, key, prefix="/mcp")
    uvicorn.run(app, host=host, port=port, log_level="warning")
