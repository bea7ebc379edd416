"""What the HTTP API adds to a question's time over the Python call (issue #31).

Starts `rag api` on the shipped corpus (a fresh data folder), opens the same index in this process, and asks the
same questions both ways, alternately (so that the machine's noise falls on both alike): `Assistant.answer` in
process, and `POST /v1/answer` and `POST /v1/chat/completions` over loopback with httpx. Prints one JSON line with
the p50 of each and the overhead (HTTP p50 minus the Python p50, and their ratio):

    python -m bench.api_overhead              # 20 rounds of the questions below
    python -m bench.api_overhead --rounds 50
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.flood import free_port
from rag import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Who signed the agreement on behalf of Ukraine?",
    "What does the agreement reportedly not include?",
    "Which institute estimated the military aid to Ukraine?",
    "What is the capital of Australia?",
]


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"rag api exited with {server.returncode}")
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    sys.exit(f"rag api did not answer at {url} within {seconds:g} s")


def timed(call) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "RAG_ASK_BURST": "100000"}
    with tempfile.TemporaryDirectory() as folder:
        data, port = Path(folder) / "data", free_port()
        command = [sys.executable, "-m", "rag.cli", "api", "--port", str(port), "--data-dir", str(data)]
        server = subprocess.Popen(
            [*command, "--corpus", str(ROOT / "corpus")], env=env, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_up(f"{url}/v1/documents", server)
            assistant = Assistant(Settings(data_dir=data, corpus_dir=ROOT / "corpus"))
            print(json.dumps(measure(assistant, url, args.rounds)))
        finally:
            server.terminate()
            server.wait(30)


def measure(assistant: Assistant, url: str, rounds: int) -> dict:
    times: dict[str, list[float]] = {"python": [], "answer": [], "chat": []}
    with httpx.Client(base_url=url, timeout=120) as http:
        for question in QUESTIONS:  # warm both sides up
            assistant.answer(question)
            http.post("/v1/answer", json={"question": question}).raise_for_status()
        for _ in range(rounds):
            for question in QUESTIONS:
                chat = {"model": "rag", "messages": [{"role": "user", "content": question}]}
                times["python"].append(timed(lambda q=question: assistant.answer(q)))
                times["answer"].append(timed(lambda q=question: http.post("/v1/answer", json={"question": q})))
                times["chat"].append(timed(lambda c=chat: http.post("/v1/chat/completions", json=c)))
    p50 = {name: statistics.median(values) for name, values in times.items()}
    return {
        "questions": rounds * len(QUESTIONS),
        "python_p50_ms": round(p50["python"], 1),
        "api_answer_p50_ms": round(p50["answer"], 1),
        "api_chat_p50_ms": round(p50["chat"], 1),
        "overhead_answer_ms": round(p50["answer"] - p50["python"], 1),
        "overhead_chat_ms": round(p50["chat"] - p50["python"], 1),
        "ratio_answer": round(p50["answer"] / p50["python"], 2),
    }


if __name__ == "__main__":
    main()
