#!/usr/bin/env bash
# Install everything the tests need (the project, Debian's chromium for the browser test), lint, run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh dev
if ! command -v chromium >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the browser test will fail" >&2
fi
.venv/bin/ruff check rag ui tests eval bench
export HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False
status=0
.venv/bin/python -m pytest "$@" || status=$?
[ "$status" -eq 5 ] && { echo "no tests ran" >&2; exit 1; }
exit "$status"
