"""The chat page as a running server: `rag serve` answering 20 `gradio_client` requests at once, the files it
refuses to serve, and uploads refused over HTTP (type, size) leaving the index as it was."""

from __future__ import annotations

import http.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from gradio_client import Client, handle_file

from rag.uploads import uploads_dir
from tests.conftest import ROOT, SEED
from tests.ui_fixtures import FACT, FACT_QUESTION, rag_serve, running_app, write_fact_document
from ui.render import NO_RATING

QUESTIONS = [
    "Who signed the agreement on behalf of Ukraine?",
    "What does the agreement reportedly not include?",
    "What is the capital of Australia?",
    "Which institute estimated the military aid to Ukraine?",
]
PROBLEMS = ("Traceback", "Exception", "ERROR", "Error:")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`rag serve` on the shipped corpus, on a fresh data folder; yields (url, data folder, server log path)."""
    folder = tmp_path_factory.mktemp("rag-serve")
    log = folder / "server.log"
    # Its "20 people" all ask from 127.0.0.1, which the per-address admission would limit (tests/test_admission.py)
    with rag_serve(folder / "data", ROOT / "corpus", log, RAG_ASK_BURST="100") as url:
        yield url, folder / "data", log


def get(url: str, path: str) -> tuple[int, bytes]:
    """A GET with the path sent exactly as given (no client-side normalisation of `..`)."""
    where = urlparse(url)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def upload_to_cache(url: str, path: Path) -> str:
    """Upload a file to Gradio's own cache (what the page does first); returns its path on the server."""
    import httpx

    with path.open("rb") as file:
        response = httpx.post(f"{url}/gradio_api/upload", files={"files": (path.name, file)}, timeout=60)
    response.raise_for_status()
    return response.json()[0]


def test_twenty_chat_requests_at_once_are_all_answered_as_alone(served):
    url, _, log = served
    lone_job = Client(url, verbose=False).submit(QUESTIONS[0], api_name="/chat")
    lone = {QUESTIONS[0]: lone_job.result()}
    streamed = [output[1][-1]["content"][0]["text"] for output in lone_job.outputs()]
    assert len(streamed) >= 4 and streamed[0] == "…" + NO_RATING  # the pending answer, then pieces
    assert "[1]" in streamed[-1]  # then the cited answer
    lone.update({q: Client(url, verbose=False).predict(q, api_name="/chat") for q in QUESTIONS[1:]})
    assert "[1]" in lone[QUESTIONS[0]][1][-1]["content"][0]["text"]
    assert "Nearest text found" in lone[QUESTIONS[2]][2]

    clients = [Client(url, verbose=False) for _ in range(20)]  # 20 sessions, as 20 people would be
    jobs = [client.submit(QUESTIONS[i % 4], api_name="/chat") for i, client in enumerate(clients)]
    results = [job.result(timeout=600) for job in jobs]
    for i, (box, messages, sources) in enumerate(results):
        expected = lone[QUESTIONS[i % 4]]
        assert box == "" and len(messages) == 2  # each session holds its own single turn
        assert messages[-1]["content"] == expected[1][-1]["content"]
        assert sources == expected[2]
    text = log.read_text()
    assert not [problem for problem in PROBLEMS if problem in text], text[-3000:]


def test_files_outside_gradio_cache_are_refused(served, tmp_path):
    url, data_dir, _ = served
    cached = upload_to_cache(url, write_fact_document(tmp_path))
    status, body = get(url, f"/gradio_api/file={cached}")
    assert status == 200 and FACT.encode() in body  # the route works for Gradio's own cache

    data_file = next(p for p in sorted(data_dir.rglob("*")) if p.is_file() and p.stat().st_size)
    forbidden = {
        f"/gradio_api/file={data_file}": data_file.read_bytes()[:40],
        f"/gradio_api/file={data_dir}/../data/{data_file.relative_to(data_dir)}": data_file.read_bytes()[:40],
        f"/gradio_api/file={SEED}": SEED.read_bytes()[:40],
        f"/gradio_api/file={ROOT / 'pyproject.toml'}": b"[build-system]",
        "/gradio_api/file=pyproject.toml": b"[build-system]",
        "/gradio_api/file=../main/pyproject.toml": b"[build-system]",
        f"/gradio_api/file=../{ROOT.name}/pyproject.toml": b"[build-system]",
        f"/gradio_api/file={quote('../' + ROOT.name + '/pyproject.toml', safe='')}": b"[build-system]",
        "/gradio_api/file=corpus/us-ukraine-minerals-agreement.txt": SEED.read_bytes()[:40],
        f"/gradio_api/file={cached}/../../../../../../etc/passwd": b"root:",
        "/gradio_api/file=/etc/passwd": b"root:",
        "/gradio_api/file=../../../../../../etc/passwd": b"root:",
        "/file=/etc/passwd": b"root:",
    }
    for path, content in forbidden.items():
        status, body = get(url, path)
        assert status in (403, 404), (path, status)
        assert content not in body, path


def test_oversized_and_disallowed_uploads_are_refused_over_http(make_assistant, tmp_path):
    assistant = make_assistant(corpus_dir=ROOT / "corpus", max_file_mb=0.001)  # a 1 kB cap
    assistant.sync_corpus()
    before = (assistant.store.count(), sorted(assistant.sources()))
    big = tmp_path / "big.txt"
    big.write_text(FACT * 40)
    tool = tmp_path / "tool.exe"
    tool.write_bytes(b"MZ" + b"\0" * 100)
    with running_app(assistant) as url:
        client = Client(url, verbose=False)
        table = client.predict([handle_file(str(tool))], restrict=[], api_name="/upload")[0]
        assert "tool.exe" in table and "failed" in table and ".exe files are not accepted" in table
        import httpx

        with big.open("rb") as file:
            response = httpx.post(f"{url}/gradio_api/upload", files={"files": ("big.txt", file)}, timeout=60)
        assert response.status_code == 413 and "File size exceeded maximum allowed size of 1000 bytes" in response.text
        with pytest.raises(Exception, match=r"big\.txt exceeds the maximum file size of 1000 bytes"):
            client.predict([handle_file(str(big))], restrict=[], api_name="/upload")
        assert (assistant.store.count(), sorted(assistant.sources())) == before
        assert not uploads_dir(assistant.settings).exists()

        small = write_fact_document(tmp_path / "ok")  # under the cap: accepted, kept in the data folder...
        table = client.predict([handle_file(str(small))], restrict=[], api_name="/upload")[0]
        assert "port-zephyr.md" in table and "added" in table
        answer = client.predict(FACT_QUESTION, api_name="/chat")
        assert "Orla Quin" in answer[2] and "port-zephyr.md" in answer[2]
        copy = uploads_dir(assistant.settings) / "port-zephyr.md"
        for path in (f"/gradio_api/file={copy}", f"/gradio_api/file={assistant.settings.data_dir}"):
            status, body = get(url, path)  # ...and never served from there
            assert status in (403, 404) and FACT.encode() not in body


def test_parallel_uploads_and_questions_do_not_break_the_index(make_assistant, tmp_path):
    assistant = make_assistant(corpus_dir=ROOT / "corpus")
    assistant.sync_corpus()
    documents = [write_fact_document(tmp_path / f"in{i}", f"zephyr-{i}.md") for i in range(3)]
    with running_app(assistant) as url:
        clients = [Client(url, verbose=False) for _ in range(6)]

        def work(i: int):
            if i < 3:
                return clients[i].predict([handle_file(str(documents[i]))], restrict=[], api_name="/upload")[0]
            return clients[i].predict(QUESTIONS[i - 3], api_name="/chat")[2]

        with ThreadPoolExecutor(6) as pool:
            outputs = list(pool.map(work, range(6)))
    assert all("added" in table for table in outputs[:3])
    assert "Svyrydenko" in outputs[3] and "Nearest text found" in outputs[5]
    assert {f"uploads/zephyr-{i}.md" for i in range(3)} <= set(assistant.sources())
