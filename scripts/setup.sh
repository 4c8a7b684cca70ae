#!/usr/bin/env bash
# Installs what BlockTrade needs on a fresh Debian machine and examines the bundled example
# presentations on the embedded defaults. Idempotent: a second run only re-checks.
#   scripts/setup.sh            install + run the examples
#   scripts/setup.sh --no-demo  install only
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DEMO=1
[[ "${1:-}" == "--no-demo" ]] && DEMO=0

step() { printf '\n==> %s\n' "$*"; }

# System packages (Debian). Only what is missing is installed; without root we just say what's needed.
# python3-venv: the .venv; pango/harfbuzz/fonts: WeasyPrint (PDF reports); postgresql-15: the
# integration tests' server (scripts/postgres.sh); chromium: the review page's browser tests.
# tesseract-ocr + language data: OCR of scans. golang is expected on the machine (chaincode tests).
APT_PACKAGES=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core postgresql-15
  chromium tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-fra tesseract-ocr-deu tesseract-ocr-spa
  tesseract-ocr-ita tesseract-ocr-por tesseract-ocr-nld tesseract-ocr-chi-sim tesseract-ocr-ara)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]]; then
    step "apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "please install: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

step "Python environment in .venv"
PYTHON=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q -e ".[dev]"

if ((DEMO)); then
  step "blocktrade check examples/compliant"
  set +e
  .venv/bin/blocktrade check examples/compliant; code=$?
  [[ $code == 0 ]] || { echo "expected exit 0 (compliant), got $code" >&2; exit 1; }
  step "blocktrade check examples/discrepant"
  .venv/bin/blocktrade check examples/discrepant; code=$?
  [[ $code == 1 ]] || { echo "expected exit 1 (discrepant), got $code" >&2; exit 1; }
  set -e
  printf '\nDone. Try: .venv/bin/blocktrade check examples/discrepant --json\n'
fi
