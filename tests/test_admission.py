"""One address cannot take the chat page from the others (#30): its questions beyond a burst are refused before
Gradio queues them, with how long to wait, while another address is answered (`rag.admission`)."""

from __future__ import annotations

import httpx
import pytest

from rag.admission import Admission
from tests.ui_fixtures import running_app


def test_a_bucket_gives_a_burst_then_one_question_per_interval():
    now = [0.0]
    gate = Admission(burst=3, per_second=0.5, clock=lambda: now[0])
    assert [gate.wait_for("a") for _ in range(4)] == [0.0, 0.0, 0.0, 2.0]
    assert gate.wait_for("b") == 0.0  # another address has its own
    now[0] = 1.0
    assert gate.wait_for("a") == pytest.approx(1.0)
    now[0] = 2.0
    assert gate.wait_for("a") == 0.0 and gate.wait_for("a") == pytest.approx(2.0)
    now[0] = 100.0
    assert [gate.wait_for("a") for _ in range(4)] == [0.0, 0.0, 0.0, 2.0]  # refilled to the burst, not beyond


def ask(client: httpx.Client, url: str, i: int) -> httpx.Response:
    body = {"data": [f"Who signed the agreement on behalf of Ukraine? ({i})", 5, "extractive", []]}
    return client.post(f"{url}/gradio_api/call/chat", json=body)


def test_the_page_refuses_a_flooding_address_and_answers_another(seed_assistant):
    with running_app(seed_assistant) as url, httpx.Client(timeout=60) as flooder:
        replies = [ask(flooder, url, i) for i in range(30)]
        codes = [r.status_code for r in replies]
        assert codes[:5] == [200] * 5 and codes.count(429) >= 20, codes  # a burst of 5, then about one a second
        refused = next(r for r in replies if r.status_code == 429)
        assert refused.json()["detail"].startswith("busy: too many questions from your address; try again in")
        assert int(refused.headers["retry-after"]) >= 1
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=60)
        with other:
            answered = ask(other, url, 0)
            assert answered.status_code == 200
            event = answered.json()["event_id"]
            stream = other.get(f"{url}/gradio_api/call/chat/{event}").text
        assert "event: complete" in stream and "Svyrydenko" in stream
        assert flooder.get(url).status_code == 200  # the page itself is not what is limited
