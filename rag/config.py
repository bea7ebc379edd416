"""The one typed settings object.

Every tunable of the assistant lives here, read from keyword arguments, then `RAG_*` environment variables,
then the defaults below. Objects (stores, models, answerers) are built from a `Settings` in `rag.chain`,
never at import time. This module deliberately knows nothing about how the settings are used.

The data and corpus folders default to `.rag-data` and `corpus` in the current folder (made absolute when the
settings are built), never to the folder rag is installed in: `rag ask` run elsewhere writes nothing into the
checkout, and `bash scripts/start.sh` (which runs from the checkout) indexes the shipped `corpus/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import ConfigError

if TYPE_CHECKING:
    from rag.embedding_models import ModelChoice

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout: eval runs and bench results go here
DATA_DIR_NAME = ".rag-data"
CORPUS_DIR_NAME = "corpus"


def default_data_dir() -> Path:
    """`.rag-data` in the current folder."""
    return Path.cwd() / DATA_DIR_NAME


def default_corpus_dir() -> Path:
    """`corpus` in the current folder."""
    return Path.cwd() / CORPUS_DIR_NAME


class Settings(BaseSettings):
    """Settings of the assistant; each field can be set by the environment variable `RAG_<FIELD>`.

    Example:
        >>> Settings(k=3).k
        3
    """

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where the index and feedback live; ./.rag-data if unset."
    )
    corpus_dir: Path = Field(
        default_factory=default_corpus_dir, description="Documents ingested on first use; ./corpus if unset."
    )
    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server; embedded if unset.")
    collection: str = "rag"
    embedding_model: str | Path | None = Field(
        default=None,
        description="all-MiniLM-L6-v2 (default), all-mpnet-base-v2, nomic-embed-text-v1.5, or a sentence-transformers "
        "folder (see README).",
    )

    chunk_size: int = Field(default=900, ge=100, description="Target characters per chunk.")
    chunk_overlap: int = Field(default=1, ge=0, description="Sentences repeated at the start of the next chunk.")
    max_file_mb: float = Field(default=25.0, gt=0, description="Files larger than this are refused.")
    max_text_mb: float = Field(
        default=20.0, gt=0, description="Extracted text per file above this is refused (checked while extracting)."
    )
    max_pdf_pages: int = Field(default=3000, ge=1, description="PDFs with more pages than this are refused.")
    max_seconds_per_file: float = Field(
        default=300.0, ge=0, description="A file whose reading takes longer is stopped and not indexed (0: no limit)."
    )
    batch_size: int = Field(default=64, ge=1, description="Chunks embedded and stored per batch.")
    min_free_mb: float = Field(
        default=32.0, ge=0, description="Free space kept on the data dir's disk: a file that needs it is not written."
    )

    max_question_chars: int = Field(default=2000, ge=10, description="Longer questions are refused with the reason.")
    k: int = Field(default=5, ge=1, le=50, description="Passages handed to the answerer.")
    fetch_k: int = Field(default=20, ge=1, description="Candidates taken from each of dense and BM25 search.")
    rrf_k: int = Field(default=60, ge=1, description="The constant of reciprocal rank fusion.")

    answer_mode: str = Field(
        default="extractive", description="extractive, gguf (local GGUF model) or openai (OpenAI-compatible server)"
    )
    max_sentences: int = Field(default=2, ge=1, le=5, description="Sentences an extractive answer may quote.")
    ask_burst: int = Field(default=5, ge=1, description="Questions one address may send the page at once ...")
    ask_per_second: float = Field(default=1.0, gt=0, description="... and then per second (rag.admission).")
    api_key: SecretStr = Field(
        default=SecretStr(""),
        description="The key the page (as its password) and the API (as a bearer token) ask for; required to serve "
        "beyond 127.0.0.1 (rag.api.access).",
    )
    abstain_threshold: float | None = Field(
        default=None,
        description="Evidence score below which the assistant abstains; if unset, the value calibrated for the "
        "embedding model (0.31 for all-MiniLM-L6-v2; see README: calibration).",
    )

    # -- the LLM modes (rag.llm, rag.answer.generative) --------------------------------------------------------------
    gguf_path: Path | None = Field(default=None, description="A GGUF chat model; the fetched Qwen model if unset.")
    models_dir: Path | None = Field(default=None, description="Where `rag model fetch` puts models; <data dir>/models.")
    gguf_threads: int | None = Field(default=None, ge=1, description="CPU threads of the local model; all if unset.")
    gguf_context: int = Field(default=4096, ge=512, description="Context window (tokens) of the local model.")
    openai_base_url: str | None = Field(default=None, description="An OpenAI-compatible server, e.g. .../v1.")
    openai_model: str = Field(default="default", description="The model name the server expects.")
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("RAG_OPENAI_API_KEY", "openai_api_key"),
        description="API key of the server (RAG_OPENAI_API_KEY or OPENAI_API_KEY); none needed locally.",
    )
    llm_sentences: int = Field(
        default=5, ge=1, le=50, description="Evidence sentences shown to the model (best by the extractive ranking)."
    )
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Longest wait for the model, per answer.")
    llm_max_tokens: int = Field(default=200, ge=16, description="Tokens a generated answer may have.")
    llm_temperature: float = Field(default=0.0, ge=0, description="Sampling temperature (0: greedy).")
    unsupported: Literal["remove", "flag"] = Field(
        default="remove", description="What happens to a generated sentence its citation does not support."
    )
    support_threshold: float = Field(default=0.5, description="Support score a generated sentence needs.")
    llm_fallback: Literal["extractive", "abstain"] = Field(
        default="extractive", description="The answer when no generated sentence survives the check."
    )

    def models_path(self) -> Path:
        """The folder of fetched models."""
        return self.models_dir or self.data_dir / "models"

    def gguf_model_path(self) -> Path:
        """The local model: `gguf_path`, else the Qwen model assembled by `rag model fetch`."""
        from rag.model_fetch import QWEN_FILE

        path = self.gguf_path or self.models_path() / QWEN_FILE
        if not path.is_file():
            hint = "set RAG_GGUF_PATH to a .gguf file" if self.gguf_path else "run `rag model fetch` (qwen extra)"
            msg = f"no GGUF model at {path}: {hint}"
            raise ConfigError(msg)
        return path

    def configured_modes(self) -> list[str]:
        """The answer modes these settings can serve: extractive always, LLM modes when their model is set."""
        modes = ["extractive"]
        try:
            self.gguf_model_path()
            modes.append("gguf")
        except ConfigError:
            pass
        if self.openai_base_url:
            modes.append("openai")
        return modes

    def embedding_choice(self) -> ModelChoice:
        """The embedding model: a registry name (`rag.embedding_models`) or a folder; all-MiniLM-L6-v2 if unset."""
        from rag.embedding_models import resolve

        return resolve(self.embedding_model, self.models_path())

    def threshold(self) -> float:
        """The abstention threshold: `abstain_threshold` if set, else the one calibrated for the embedding model
        (its registry entry's; the default model's for a model folder). Similarities, hence evidence scores, are on
        each model's own scale."""
        if self.abstain_threshold is not None:
            return self.abstain_threshold
        from rag.embedding_models import DEFAULT, entry_for

        entry = entry_for(str(self.embedding_model)) if isinstance(self.embedding_model, str) else None
        return (entry or entry_for(DEFAULT)).abstain_threshold

    def embedding_model_path(self) -> Path:
        """The embedding model's folder."""
        return self.embedding_choice().folder
