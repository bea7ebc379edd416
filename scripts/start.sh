#!/usr/bin/env bash
# Install (first run only does real work), index corpus/ and open the chat page at http://127.0.0.1:7860.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/rag serve "$@"
