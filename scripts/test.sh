#!/usr/bin/env bash
# Runs the whole test suite: lint, then pytest (unit, integration, end-to-end).
# Extra arguments go to pytest, e.g. scripts/test.sh -k mt700
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x .venv/bin/python ]] || { echo "run scripts/setup.sh first" >&2; exit 1; }

echo "==> ruff"
.venv/bin/ruff check .

echo "==> go test (chaincode)"
(cd chaincode && go test ./...)

echo "==> pytest"
.venv/bin/python -m pytest "$@"
