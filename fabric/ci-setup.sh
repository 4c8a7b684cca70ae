#!/usr/bin/env bash
# What CI runs before the Fabric integration tests: build the binaries (Go build cache reused)
# and bring the network up, printing how long each part took. Then: BLOCKTRADE_FABRIC=1 pytest -m integration
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
t0=$SECONDS
(cd "$ROOT/chaincode" && go test ./...)
echo "chaincode tests: $((SECONDS - t0)) s"
t1=$SECONDS
"$ROOT/fabric/network.sh" up
echo "network up: $((SECONDS - t1)) s (total $((SECONDS - t0)) s)"
