"""Shared fixtures: the real embedding model (loaded once a session), assistants on fresh data folders,
and a real Chroma server on a loopback port for the server-mode tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag import Assistant, Settings
from rag.store import LocalEmbeddings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "us-ukraine-minerals-agreement.txt"


def ctrl_c_as_at_a_terminal() -> None:
    """`preexec_fn` of a child that a test interrupts: SIGINT back to its default. A job a shell starts in the
    background (`bash .ci/run &`) has SIGINT ignored, its children inherit that, and Python then never raises
    KeyboardInterrupt."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings(Settings().embedding_model_path())


@pytest.fixture
def make_assistant(tmp_path, embeddings):
    """Build assistants over a fresh data folder; the corpus folder defaults to an empty one."""

    def build(**overrides) -> Assistant:
        overrides.setdefault("data_dir", tmp_path / "data")
        if "corpus_dir" not in overrides:
            overrides["corpus_dir"] = tmp_path / "no-corpus"
        return Assistant(Settings(**overrides), embeddings=embeddings)

    return build


@pytest.fixture(scope="session")
def seed_assistant(tmp_path_factory, embeddings) -> Assistant:
    """An assistant over the shipped corpus, indexed once for the session."""
    data = tmp_path_factory.mktemp("seed-data")
    assistant = Assistant(Settings(data_dir=data, corpus_dir=ROOT / "corpus"), embeddings=embeddings)
    assistant.sync_corpus()
    return assistant


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"nothing listened on port {port} within {seconds}s")


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on a free loopback port; yields its URL."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command is missing: install the project with `bash scripts/test.sh`")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
