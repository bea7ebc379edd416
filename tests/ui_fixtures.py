"""Helpers of the chat-page tests: run the app in-process or as `rag serve`, drive the chat handler, write a small
document with a distinctive fact. Plain functions and context managers (the fixtures stay in the test files)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rag.conversation import Turn
from tests.conftest import ROOT, free_port, wait_for_port
from ui.app import ChatPage
from ui.page import start

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "tests" / "screenshots"
FACT = "The lighthouse keeper of Port Zephyr is named Orla Quin."
FACT_QUESTION = "Who is the lighthouse keeper of Port Zephyr?"


def write_fact_document(folder: Path, name: str = "port-zephyr.md") -> Path:
    """A small Markdown document holding `FACT`, which nothing in the seed corpus answers."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "# Port Zephyr\n\n"
        "Port Zephyr is a small fishing harbour on a windy northern coast. "
        f"{FACT} She has kept its lamp burning for nineteen winters.\n\n"
        "The harbour holds twelve boats and a single pier.\n",
        encoding="utf-8",
    )
    return path


def ask(page: ChatPage, question: str, turns: Sequence[Turn] = (), **options) -> tuple[list[tuple], list[Turn]]:
    """Run the chat handler to the end: every yield, and the turns it finished with."""
    yields = list(page.respond(question, list(turns), **options))
    return yields, yields[-1][2]


@contextmanager
def running_app(assistant) -> Iterator[str]:
    """The chat page of `assistant` (with the API beside it) served in this process on a free loopback port, as
    `rag serve` serves it; yields its URL and closes it afterwards."""
    port = free_port()
    app = start(assistant, "127.0.0.1", port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.close()


@contextmanager
def rag_serve(
    data_dir: Path, corpus_dir: Path, log_path: Path, command_name: str = "serve", host: str = "", **settings: str
) -> Iterator[str]:
    """`rag serve` (or `rag api`: `command_name`) as a subprocess (from the project folder, as `scripts/start.sh`
    runs it), on `host` when given (reached through 127.0.0.1 all the same); yields its URL.

    Its stdout and stderr (the server log) go to `log_path`; `settings` are more environment variables (`RAG_*`).
    """
    port = free_port()
    command = [sys.executable, "-m", "rag.cli", command_name, "--data-dir", str(data_dir), "--corpus", str(corpus_dir)]
    command += ["--port", str(port), *(["--host", host] if host else [])]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False", "PYTHONUNBUFFERED": "1", **settings}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process, seconds=180)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
