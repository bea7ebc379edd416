"""`rag mcp` with the official SDK's client, over stdio (the client starts the server) and over streamable HTTP on
loopback (with a key): the tools are listed, `answer` brings its citations, `read_document` at a citation's span
gives exactly its quote, a mistake is a tool error that says what to do, and documents are resources."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.conftest import ROOT, free_port, wait_for_port

QUESTION = "Who signed the agreement on behalf of Ukraine?"
SEED = "us-ukraine-minerals-agreement.txt"
KEY = "mcp-test-key-51f0"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}


async def session_checks(client: Client) -> None:
    """What every transport must do."""
    tools = {tool.name for tool in (await client.list_tools()).tools}
    assert tools == {"answer", "search", "list_documents", "read_document"}
    listed = (await client.call_tool("list_documents", {})).structured_content
    assert [d["name"] for d in listed["result"]] == [SEED]
    answered = await client.call_tool("answer", {"question": QUESTION})
    answer = answered.structured_content
    assert not answered.is_error and not answer["abstained"] and "Svyrydenko" in answer["text"]
    for citation in answer["citations"]:
        span = {"name": citation["source"], "start": citation["start"], "end": citation["end"]}
        read = (await client.call_tool("read_document", span)).structured_content
        assert read["text"] == citation["quote"]
    found = (await client.call_tool("search", {"question": QUESTION, "k": 2})).structured_content["result"]
    assert len(found) == 2 and found[0]["source"] == SEED
    wrong = await client.call_tool("read_document", {"name": "minerals.txt"})
    assert wrong.is_error and f"no indexed document is named 'minerals.txt'; indexed: {SEED}" in wrong.content[0].text
    empty = await client.call_tool("answer", {"question": " "})
    assert empty.is_error and "ask a question" in empty.content[0].text
    text = (await client.read_resource(f"rag://documents/{SEED}")).contents[0].text
    assert text.startswith("The United States and Ukraine")


def test_an_mcp_client_over_stdio(tmp_path):
    command = ["-m", "rag.cli", "mcp", "--data-dir", str(tmp_path / "data"), "--corpus", str(ROOT / "corpus")]
    server = StdioServerParameters(command=sys.executable, args=command, env=ENV, cwd=str(tmp_path))

    async def run() -> None:
        async with Client(server, read_timeout_seconds=300) as client:
            await session_checks(client)

    asyncio.run(run())


@pytest.fixture
def mcp_over_http(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "rag.cli", "mcp", "--transport", "http", "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "data"), "--corpus", str(ROOT / "corpus")]
    log = tmp_path / "mcp.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, env={**ENV, "RAG_API_KEY": KEY}, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, seconds=180)
            yield f"http://127.0.0.1:{port}/mcp", log
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_an_mcp_client_over_http_with_the_key(mcp_over_http):
    url, log = mcp_over_http
    refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=60)
    assert refused.status_code == 401

    async def run() -> None:
        http = create_mcp_http_client(headers={"Authorization": f"Bearer {KEY}"})
        async with http, Client(streamable_http_client(url, http_client=http)) as client:
            await session_checks(client)

    asyncio.run(run())
    assert KEY not in log.read_text()
