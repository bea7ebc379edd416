"""The HTTP API's routes, each with httpx through FastAPI's test client on the real assistant (the shipped corpus,
the real embedding model and Chroma on disk): answers, the streamed answer, search, documents, uploads, errors as
problem details, limits, and the key. The same routes on a real server, with real clients, are in
tests/test_api_server.py."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from rag.admission import Admission
from rag.api import create_app
from rag.api.access import require_key_for
from rag.errors import ConfigError

QUESTION = "Who signed the agreement on behalf of Ukraine?"
SEED = "us-ukraine-minerals-agreement.txt"


PATIENT = Admission(burst=10_000)  # these tests ask quicker than a person; admission has a test of its own


@pytest.fixture(scope="module")
def client(seed_assistant) -> TestClient:
    return TestClient(create_app(seed_assistant, gate=PATIENT))


def quoted_right(client: TestClient, citation: dict) -> bool:
    """Whether the citation's quote is the document's text at its offsets, as the API serves that text."""
    span = {"start": citation["start"], "end": citation["end"]}
    text = client.get(f"/v1/documents/{citation['source']}/text", params=span).json()["text"]
    return text == citation["quote"]


def test_an_answer_carries_citations_that_quote_the_document_at_their_offsets(client):
    reply = client.post("/v1/answer", json={"question": QUESTION})
    assert reply.status_code == 200
    answer = reply.json()
    assert not answer["abstained"] and "Svyrydenko" in answer["text"]
    assert answer["citations"] and all(quoted_right(client, c) for c in answer["citations"])
    assert answer["citations"][0]["source"] == SEED and answer["timings"]["total_ms"] > 0


def test_a_question_the_documents_do_not_answer_abstains(client):
    answer = client.post("/v1/answer", json={"question": "What is the boiling point of mercury?"}).json()
    assert answer["abstained"] and answer["citations"] == []


def test_the_streamed_answer_sends_pieces_then_the_answer(client):
    with client.stream("POST", "/v1/answer/stream", json={"question": QUESTION}) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        events = [
            (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1].removeprefix("data: ")))
            for block in reply.read().decode().strip().split("\n\n")
        ]
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"piece"}
    assert "".join(data["text"] for _, data in events[:-1]) == events[-1][1]["text"]
    assert events[-1][1] == client.post("/v1/answer", json={"question": QUESTION}).json() | {
        "timings": events[-1][1]["timings"]
    }


def test_search_returns_passages_with_scores_best_first(client):
    passages = client.post("/v1/search", json={"question": QUESTION, "k": 3}).json()["passages"]
    assert len(passages) == 3 and passages[0]["source"] == SEED
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    text = client.get(f"/v1/documents/{SEED}/text").json()["text"]
    assert all(text[p["start"] : p["end"]] == p["text"] for p in passages)


def test_documents_are_listed_and_their_text_served_whole_or_in_part(client):
    documents = client.get("/v1/documents").json()["documents"]
    assert [d["name"] for d in documents] == [SEED] and documents[0]["chunks"] > 0
    whole = client.get(f"/v1/documents/{SEED}/text").json()
    assert whole["length"] == documents[0]["chars"] == len(whole["text"])
    part = client.get(f"/v1/documents/{SEED}/text", params={"start": 4, "end": 30}).json()
    assert part["text"] == whole["text"][4:30] and part["length"] == whole["length"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("post", "/v1/answer", {"question": ""}, 422, "question"),
        ("post", "/v1/answer", {"question": "   "}, 400, "ask a question"),
        ("post", "/v1/answer", {"question": "x" * 2001}, 400, "RAG_MAX_QUESTION_CHARS"),
        ("post", "/v1/answer", {"question": QUESTION, "sources": ["minerals.txt"]}, 404, SEED),
        ("post", "/v1/answer", {"question": QUESTION, "mode": "telepathy"}, 400, "unknown answer mode"),
        ("post", "/v1/answer", {"question": QUESTION, "k": 0}, 422, "k"),
        ("post", "/v1/answer/stream", {"question": ""}, 422, "question"),
        ("post", "/v1/search", {}, 422, "question: Field required"),
        ("get", "/v1/documents/nothing.md/text", None, 404, "GET /v1/documents lists them"),
        ("get", f"/v1/documents/{SEED}/text?start=50&end=10", None, 400, "start (50) is after end (10)"),
        ("delete", "/v1/documents/nothing.md", None, 404, "no indexed document is named 'nothing.md'"),
        ("get", "/v1/uploads/nope", None, 404, "no upload 'nope'"),
        ("post", "/v1/chat/completions", {"messages": []}, 400, "no question"),
        (
            "post",
            "/v1/chat/completions",
            {"model": "gpt-9", "messages": [{"role": "user", "content": "Hi?"}]},
            404,
            "GET /v1/models",
        ),
    ],
)
def test_mistakes_are_problem_details_that_say_what_to_do(client, method, path, body, status, says):
    reply = client.request(method.upper(), path, json=body)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == status and problem["title"] and says in problem["detail"]


def test_models_list_the_answer_modes(client):
    assert [m["id"] for m in client.get("/v1/models").json()["data"]][:2] == ["rag", "extractive"]


def test_chat_completions_keep_the_markers_and_carry_the_citations(client):
    said = {"model": "rag", "messages": [{"role": "user", "content": QUESTION}]}
    message = client.post("/v1/chat/completions", json=said).json()["choices"][0]["message"]
    assert "[1]" in message["content"] and "\n\nSources:\n[1] " + SEED in message["content"]
    assert message["citations"] and all(quoted_right(client, c) for c in message["citations"])
    first = message["annotations"][0]
    assert first["type"] == "url_citation"
    assert message["content"][first["url_citation"]["start_index"] : first["url_citation"]["end_index"]] == "[1]"


def test_an_upload_is_indexed_in_the_background_and_can_be_removed(make_assistant):
    client = TestClient(create_app(make_assistant(), gate=PATIENT))
    note = ("harbour-note.md", b"# Harbour\n\nMorwenna Tregear lights the harbour lamp at dusk.\n", "text/markdown")
    bad = ("payload.exe", b"MZ", "application/octet-stream")
    reply = client.post("/v1/documents", files=[("files", note), ("files", bad)])
    assert reply.status_code == 202
    job = reply.json()
    assert job["files"][1] == {"name": "payload.exe", "status": "failed", "detail": job["files"][1]["detail"]}
    assert "not accepted" in job["files"][1]["detail"]
    deadline = time.monotonic() + 120
    while not job["done"] and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/v1/uploads/{job['id']}").json()
    assert job["files"][0]["name"] == "harbour-note.md" and job["files"][0]["status"] == "added"
    assert [d["name"] for d in client.get("/v1/documents").json()["documents"]] == ["uploads/harbour-note.md"]
    answer = client.post("/v1/answer", json={"question": "Who lights the harbour lamp?"}).json()
    assert "Morwenna Tregear" in answer["text"]
    removed = client.delete("/v1/documents/uploads/harbour-note.md").json()
    assert removed["name"] == "uploads/harbour-note.md" and removed["chunks"] >= 1
    assert client.get("/v1/documents").json()["documents"] == []
    refused = client.post("/v1/documents", files=[("files", bad)])
    assert refused.status_code == 400 and "payload.exe: refused" in refused.json()["detail"]


def test_with_a_key_every_route_wants_it_but_the_description(seed_assistant):
    keyed = seed_assistant.settings.model_copy(update={"api_key": SecretStr("s3cret-key")})
    assistant = type(seed_assistant).__new__(type(seed_assistant))
    assistant.__dict__.update(seed_assistant.__dict__, settings=keyed)
    client = TestClient(create_app(assistant, gate=PATIENT))
    refused = client.get("/v1/documents")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert client.get("/v1/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/v1/documents", headers={"Authorization": "Bearer s3cret-key"}).status_code == 200
    assert client.get("/v1/openapi.json").json()["info"]["title"].startswith("rag")


def test_serving_beyond_loopback_without_a_key_is_refused_with_how_to_set_one():
    require_key_for("127.0.0.1", "")
    require_key_for("0.0.0.0", "k")
    with pytest.raises(ConfigError, match="set RAG_API_KEY"):
        require_key_for("0.0.0.0", "")


def test_the_openapi_description_lists_every_route(client):
    paths = client.get("/v1/openapi.json").json()["paths"]
    for path in (
        "/v1/answer",
        "/v1/answer/stream",
        "/v1/search",
        "/v1/documents",
        "/v1/documents/{name}/text",
        "/v1/chat/completions",
        "/v1/models",
        "/v1/uploads/{job_id}",
    ):
        assert path in paths, path


def test_questions_beyond_an_address_burst_are_told_to_wait(seed_assistant):
    client = TestClient(create_app(seed_assistant, gate=Admission(burst=2, per_second=0.01)))
    codes = [client.post("/v1/search", json={"question": QUESTION}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": QUESTION}]})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.json()["detail"].startswith("busy: too many questions from your address; try again in")
    assert client.get("/v1/documents").status_code == 200  # only questions are counted


def test_an_upload_over_the_size_cap_is_refused_with_the_cap(make_assistant):
    client = TestClient(create_app(make_assistant(max_file_mb=0.001), gate=PATIENT))
    big = ("big-note.txt", b"All work and no play. " * 200, "text/plain")  # 4.4 KB, over a 1 KB cap
    refused = client.post("/v1/documents", files=[("files", big)])
    assert refused.status_code == 400
    assert "big-note.txt: refused: the file is" in refused.json()["detail"]
    assert "upload cap (RAG_MAX_FILE_MB)" in refused.json()["detail"]
