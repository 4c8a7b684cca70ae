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

echo "==> PostgreSQL for the integration tests"
if scripts/postgres.sh url >/dev/null 2>&1; then
  PG_URL=$(scripts/postgres.sh url)           # a server someone else started: leave it running
else
  PG_URL=$(scripts/postgres.sh start)
  trap 'scripts/postgres.sh stop >/dev/null 2>&1 || true' EXIT
fi
export BLOCKTRADE_PG=1 BLOCKTRADE_TEST_DATABASE_URL=$PG_URL

echo "==> pytest"
.venv/bin/python -m pytest "$@"
