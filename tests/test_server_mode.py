"""The same code against a real Chroma server (`chroma run` on a loopback port)."""

import chromadb
import pytest

from rag.errors import ConfigError
from rag.store import HNSW
from tests.conftest import SEED


def test_ingest_and_answer_through_a_chroma_server(chroma_server, tmp_path, make_assistant):
    assistant = make_assistant(chroma_url=chroma_server, collection="server-test")
    report = assistant.ingest([SEED])
    assert report.count("added") == 1
    a = assistant.answer("What does the agreement reportedly not include?")
    assert not a.abstained and "security guarantees" in a.text
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the embedded store

    host, port = chroma_server.removeprefix("http://").split(":")
    remote = chromadb.HttpClient(host=host, port=int(port)).get_collection("server-test")
    assert remote.count() == assistant.store.count() > 0
    assert remote.configuration["hnsw"]["ef_search"] == HNSW["ef_search"]  # the server searches as wide

    again = make_assistant(chroma_url=chroma_server, collection="server-test")  # a second client sees the index
    assert again.ingest([SEED]).count("unchanged") == 1
    assert again.answer("Who signed the agreement on behalf of Ukraine?").citations


def test_bad_server_url_is_a_clear_error(make_assistant):
    with pytest.raises(ConfigError, match="RAG_CHROMA_URL must look like"):
        make_assistant(chroma_url="localhost:8000")
