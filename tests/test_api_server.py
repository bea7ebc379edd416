"""The API on real servers with real clients: `rag serve` (the page and the API on one server) and `rag api` alone
with a key, on loopback, over the shipped corpus. The official `openai` client (streaming and not) and LangChain's
`ChatOpenAI` talk to the OpenAI-compatible endpoint; every citation they bring back is checked against the
document's text at its offsets, as GET /v1/documents/{name}/text serves it. 20 concurrent clients get the answers
they get alone."""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from langchain_openai import ChatOpenAI
from openai import AuthenticationError, OpenAI

from tests.conftest import ROOT
from tests.ui_fixtures import rag_serve

QUESTION = "Who signed the agreement on behalf of Ukraine?"
SOURCE_LINE = re.compile(r'^\[(\d+)\] (.+?), (?:page \d+, )?characters (\d+)-(\d+): "(.*)"$')
KEY = "loopback-test-key-7d1c"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`rag serve` on the shipped corpus; yields its URL. Its clients all ask from 127.0.0.1: a larger burst."""
    folder = tmp_path_factory.mktemp("api-serve")
    with rag_serve(folder / "data", ROOT / "corpus", folder / "server.log", RAG_ASK_BURST="100") as url:
        yield url


def text_at(url: str, source: str, start: int, end: int, key: str = "") -> str:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    reply = httpx.get(f"{url}/v1/documents/{source}/text", params={"start": start, "end": end}, headers=headers)
    reply.raise_for_status()
    return reply.json()["text"]


def test_the_page_and_the_api_share_one_server(served):
    assert httpx.get(served, timeout=60).status_code == 200
    assert "Svyrydenko" in httpx.post(f"{served}/v1/answer", json={"question": QUESTION}, timeout=120).json()["text"]
    assert "/v1/chat/completions" in httpx.get(f"{served}/v1/openapi.json", timeout=60).json()["paths"]


def test_the_openai_client_gets_the_answer_with_citations_that_quote_the_document(served):
    client = OpenAI(base_url=f"{served}/v1", api_key="not-needed-on-loopback")
    assert "rag" in [m.id for m in client.models.list().data]
    completion = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}])
    message = completion.choices[0].message
    assert "[1]" in message.content and "Svyrydenko" in message.content
    citations = message.model_extra["citations"]
    assert citations
    for c in citations:
        assert text_at(served, c["source"], c["start"], c["end"]) == c["quote"]
    annotation = message.annotations[0].url_citation
    assert message.content[annotation.start_index : annotation.end_index] == "[1]"
    assert httpx.get(annotation.url, timeout=60).json()["text"] == citations[0]["quote"]


def test_the_openai_client_streams_the_same_answer_and_its_citations(served):
    client = OpenAI(base_url=f"{served}/v1", api_key="not-needed-on-loopback")
    said = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model="rag", messages=said).choices[0].message
    pieces, citations = [], []
    for chunk in client.chat.completions.create(model="rag", messages=said, stream=True):
        delta = chunk.choices[0].delta
        pieces.append(delta.content or "")
        citations += (delta.model_extra or {}).get("citations", [])
    assert len(pieces) > 3 and "".join(pieces) == whole.content
    assert citations == whole.model_extra["citations"]


def test_chat_openai_keeps_the_citations_in_the_text(served):
    model = ChatOpenAI(base_url=f"{served}/v1", api_key="not-needed-on-loopback", model="rag")
    content = model.invoke(QUESTION).content
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "[1]" in answer and sources
    for line in sources.splitlines():
        n, source, start, end, quote = SOURCE_LINE.match(line).groups()
        assert f"[{n}]" in answer
        assert text_at(served, source, int(start), int(end)) == quote
    follow_up = model.invoke([("user", QUESTION), ("assistant", content), ("user", "Who signed it for the US?")])
    assert "Bessent" in follow_up.content


def test_twenty_concurrent_api_clients_get_the_answers_they_get_alone(served):
    questions = [QUESTION, "What does the agreement reportedly not include?", "What is the capital of Australia?"]

    def ask(question: str) -> dict:
        reply = httpx.post(f"{served}/v1/answer", json={"question": question}, timeout=300)
        reply.raise_for_status()
        answer = reply.json()
        return {key: answer[key] for key in ("text", "abstained", "citations")}

    alone = {q: ask(q) for q in questions}
    with ThreadPoolExecutor(20) as pool:
        together = list(pool.map(ask, [questions[i % len(questions)] for i in range(20)]))
    assert together == [alone[questions[i % len(questions)]] for i in range(20)]


def test_rag_api_bound_beyond_loopback_refuses_requests_without_its_key(tmp_path):
    log = tmp_path / "api.log"
    with rag_serve(tmp_path / "data", ROOT / "corpus", log, "api", host="0.0.0.0", RAG_API_KEY=KEY) as url:
        refused = httpx.get(f"{url}/v1/documents", timeout=60)
        assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["detail"]
        with pytest.raises(AuthenticationError):
            OpenAI(base_url=f"{url}/v1", api_key="wrong").models.list()
        client = OpenAI(base_url=f"{url}/v1", api_key=KEY)
        message = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": QUESTION}])
        citation = message.choices[0].message.model_extra["citations"][0]
        assert text_at(url, citation["source"], citation["start"], citation["end"], key=KEY) == citation["quote"]
    assert KEY not in log.read_text()


@pytest.mark.parametrize("command", ["serve", "api"])
def test_serving_beyond_loopback_without_a_key_is_refused_before_starting(tmp_path, command):
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", command, "--host", "0.0.0.0", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: serving on 0.0.0.0 opens the page and the API to other machines")
    assert "set RAG_API_KEY" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data").exists()


def test_with_a_key_the_page_asks_for_it_as_its_password_and_the_api_as_a_bearer_token(make_assistant):
    from tests.ui_fixtures import running_app, write_fact_document

    assistant = make_assistant(api_key=KEY)
    assistant.ingest([write_fact_document(assistant.settings.data_dir.parent / "docs")])
    with running_app(assistant) as url, httpx.Client(base_url=url, timeout=60) as page:
        assert page.get("/config").status_code == 401  # the page's own routes, before logging in
        assert page.post("/login", data={"username": "me", "password": "wrong"}).status_code == 400
        assert page.post("/login", data={"username": "me", "password": KEY}).status_code == 200
        assert page.get("/config").status_code == 200
        assert httpx.get(f"{url}/v1/documents", timeout=60).status_code == 401
        listed = httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Bearer {KEY}"}, timeout=60)
        assert [d["name"] for d in listed.json()["documents"]] == ["port-zephyr.md"]
