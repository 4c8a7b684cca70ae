#!/usr/bin/env bash
# A local Hyperledger Fabric v3.1.5 network without Docker: one Raft orderer and one peer for each
# of Bank, NBFC, Corporate and Logistics on 127.0.0.1, channel trade-finance, and the BlockTrade
# chaincode running as a service (ccaas). Usage: fabric/network.sh up | down | status
# Everything generated lives in .fabric/ (gitignored). Idempotent: `up` on a running network only
# reports its status; binaries are rebuilt only when missing (the Go build cache makes it quick).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NET=$ROOT/fabric/network
F=$ROOT/.fabric
BIN=$F/bin
CHANNEL=trade-finance
CC_NAME=blocktrade
CC_LABEL=blocktrade_1.0
CC_ADDRESS=127.0.0.1:9999
# Fabric v3.1.5: its module path has no /v3, so the release commit is taken as a pseudo-version.
FABRIC_VERSION=v1.4.0-rc1.0.20260618074816-86c1172bec37
ORGS=(Bank NBFC Corporate Logistics)
declare -A PORT=([Bank]=7051 [NBFC]=8051 [Corporate]=9051 [Logistics]=10051)

log() { printf '%s %s\n' "$(date +%T)" "$*"; }
die() { printf 'network.sh: %s\n' "$*" >&2; exit 1; }
lower() { tr '[:upper:]' '[:lower:]' <<<"$1"; }
running() { [[ -f $F/run/$1.pid ]] && kill -0 "$(cat "$F/run/$1.pid")" 2>/dev/null; }

start() { # name, command...: a background process with its pid and log under .fabric/
  local name=$1; shift
  running "$name" && return 0
  "$@" >"$F/logs/$name.log" 2>&1 &
  echo $! >"$F/run/$name.pid"
}

stop() {
  local name=$1
  if running "$name"; then kill "$(cat "$F/run/$name.pid")"; fi
  rm -f "$F/run/$name.pid"
}

build() {
  mkdir -p "$BIN" "$F/logs" "$F/run"
  local t0=$SECONDS missing=()
  for b in peer orderer configtxgen cryptogen osnadmin; do [[ -x $BIN/$b ]] || missing+=("$b"); done
  if ((${#missing[@]})); then
    log "building Fabric ${missing[*]} ($FABRIC_VERSION = v3.1.5)"
    local pkgs=()
    for b in "${missing[@]}"; do pkgs+=("github.com/hyperledger/fabric/cmd/$b@$FABRIC_VERSION"); done
    if ! GOBIN=$BIN CGO_ENABLED=0 go install \
      -ldflags "-X github.com/hyperledger/fabric/common/metadata.Version=3.1.5" "${pkgs[@]}" >"$F/logs/build.log" 2>&1; then
      tail -5 "$F/logs/build.log" >&2
      die "cannot build Fabric from Go modules (log: .fabric/logs/build.log); the module proxy must serve github.com/hyperledger/fabric@$FABRIC_VERSION"
    fi
  fi
  (cd "$ROOT/chaincode" && CGO_ENABLED=0 go build -o "$BIN/blocktrade-cc" ./cmd/blocktrade-cc) \
    || die "cannot build the chaincode (chaincode/cmd/blocktrade-cc)"
  log "binaries ready in $((SECONDS - t0)) s"
}

sampleconfig() { # Fabric's sampleconfig/ from the module cache: core.yaml and orderer.yaml defaults
  local dir
  dir=$(go env GOMODCACHE)/github.com/hyperledger/fabric@$FABRIC_VERSION/sampleconfig
  [[ -f $dir/core.yaml ]] || die "Fabric sampleconfig not found at $dir"
  echo "$dir"
}

crypto() {
  [[ -d $F/crypto ]] && return 0
  "$BIN/cryptogen" generate --config="$NET/crypto-config.yaml" --output="$F/crypto" >/dev/null
  FABRIC_CFG_PATH=$NET "$BIN/configtxgen" -profile TradeFinance -outputBlock "$F/$CHANNEL.block" \
    -channelID "$CHANNEL" >"$F/logs/configtxgen.log" 2>&1 || die "configtxgen failed: .fabric/logs/configtxgen.log"
}

org_dir() { echo "$F/crypto/peerOrganizations/$(lower "$1").blocktrade.local"; }

peer_env() { # the environment of org $1's peer process and of its admin CLI calls
  local org=$1 port=${PORT[$1]} d
  d=$(org_dir "$org")
  echo "FABRIC_CFG_PATH=$CFG CORE_PEER_ID=peer0.$(lower "$org") CORE_PEER_LOCALMSPID=${org}MSP"
  echo "CORE_PEER_ADDRESS=127.0.0.1:$port CORE_PEER_LISTENADDRESS=127.0.0.1:$port"
  echo "CORE_PEER_CHAINCODEADDRESS=127.0.0.1:$((port + 1)) CORE_PEER_CHAINCODELISTENADDRESS=127.0.0.1:$((port + 1))"
  echo "CORE_PEER_GOSSIP_BOOTSTRAP=127.0.0.1:$port CORE_PEER_GOSSIP_EXTERNALENDPOINT=127.0.0.1:$port"
  echo "CORE_OPERATIONS_LISTENADDRESS=127.0.0.1:$((port + 3)) CORE_PEER_FILESYSTEMPATH=$F/data/$org"
  echo "CORE_PEER_TLS_ENABLED=false CORE_VM_ENDPOINT= CORE_LEDGER_SNAPSHOTS_ROOTDIR=$F/data/$org/snapshots"
  echo "CORE_CHAINCODE_EXTERNALBUILDERS=[{name:ccaas,path:$NET/builders/ccaas}]"
}

as_admin() { # org, command...: run a peer CLI call as the org's admin
  local org=$1 d; shift
  d=$(org_dir "$org")
  env $(peer_env "$org") CORE_PEER_MSPCONFIGPATH="$d/users/Admin@$(lower "$org").blocktrade.local/msp" "$@"
}

up() {
  local t0=$SECONDS
  build
  CFG=$(sampleconfig)
  crypto
  local od=$F/crypto/ordererOrganizations/orderer.blocktrade.local
  local on=$od/orderers/orderer.orderer.blocktrade.local
  mkdir -p "$F/data/orderer"
  start orderer env FABRIC_CFG_PATH="$CFG" ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 ORDERER_GENERAL_LISTENPORT=7050 \
    ORDERER_GENERAL_LOCALMSPID=OrdererMSP ORDERER_GENERAL_LOCALMSPDIR="$on/msp" ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
    ORDERER_GENERAL_TLS_ENABLED=true ORDERER_GENERAL_TLS_PRIVATEKEY="$on/tls/server.key" \
    ORDERER_GENERAL_TLS_CERTIFICATE="$on/tls/server.crt" ORDERER_GENERAL_TLS_ROOTCAS="[$on/tls/ca.crt]" \
    ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$on/tls/server.crt" ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$on/tls/server.key" \
    ORDERER_GENERAL_CLUSTER_ROOTCAS="[$on/tls/ca.crt]" ORDERER_CHANNELPARTICIPATION_ENABLED=true \
    ORDERER_ADMIN_LISTENADDRESS=127.0.0.1:7053 ORDERER_ADMIN_TLS_ENABLED=false \
    ORDERER_FILELEDGER_LOCATION="$F/data/orderer" ORDERER_CONSENSUS_WALDIR="$F/data/orderer/wal" \
    ORDERER_CONSENSUS_SNAPDIR="$F/data/orderer/snap" ORDERER_OPERATIONS_LISTENADDRESS=127.0.0.1:8443 \
    "$BIN/orderer"
  for org in "${ORGS[@]}"; do
    mkdir -p "$F/data/$org"
    start "peer-$org" env $(peer_env "$org") CORE_PEER_MSPCONFIGPATH="$(org_dir "$org")/peers/peer0.$(lower "$org").blocktrade.local/msp" \
      "$BIN/peer" node start
  done
  sleep 1
  if [[ ! -f $F/run/channel.done ]]; then
    "$BIN/osnadmin" channel join --channelID "$CHANNEL" --config-block "$F/$CHANNEL.block" -o 127.0.0.1:7053 >/dev/null \
      || die "osnadmin channel join failed"
    for org in "${ORGS[@]}"; do
      as_admin "$org" "$BIN/peer" channel join -b "$F/$CHANNEL.block" >>"$F/logs/admin.log" 2>&1 \
        || die "peer of $org could not join $CHANNEL (.fabric/logs/admin.log)"
    done
    touch "$F/run/channel.done"
  fi
  deploy
  log "network up in $((SECONDS - t0)) s"
  status
}

deploy() {
  [[ -f $F/run/chaincode.done ]] && { start chaincode env CHAINCODE_SERVER_ADDRESS=$CC_ADDRESS CHAINCODE_ID="$(cat "$F/run/package.id")" "$BIN/blocktrade-cc"; return 0; }
  local pkg=$F/cc && mkdir -p "$pkg"
  printf '{"address":"%s","dial_timeout":"10s","tls_required":false}\n' "$CC_ADDRESS" >"$pkg/connection.json"
  printf '{"type":"ccaas","label":"%s"}\n' "$CC_LABEL" >"$pkg/metadata.json"
  tar -C "$pkg" -czf "$pkg/code.tar.gz" connection.json
  tar -C "$pkg" -czf "$F/$CC_LABEL.tar.gz" metadata.json code.tar.gz
  local ca=$F/crypto/ordererOrganizations/orderer.blocktrade.local/orderers/orderer.orderer.blocktrade.local/tls/ca.crt
  for org in "${ORGS[@]}"; do
    as_admin "$org" "$BIN/peer" lifecycle chaincode install "$F/$CC_LABEL.tar.gz" >>"$F/logs/admin.log" 2>&1 || true
  done
  local id
  id=$(as_admin Bank "$BIN/peer" lifecycle chaincode calculatepackageid "$F/$CC_LABEL.tar.gz")
  echo "$id" >"$F/run/package.id"
  start chaincode env CHAINCODE_SERVER_ADDRESS=$CC_ADDRESS CHAINCODE_ID="$id" "$BIN/blocktrade-cc"
  for org in "${ORGS[@]}"; do
    for attempt in 1 2 3 4 5; do # the first approve after a join can race the peer's channel setup
      as_admin "$org" "$BIN/peer" lifecycle chaincode approveformyorg -o 127.0.0.1:7050 --tls --cafile "$ca" \
        -C "$CHANNEL" -n $CC_NAME -v 1.0 --package-id "$id" --sequence 1 >>"$F/logs/admin.log" 2>&1 && break
      ((attempt == 5)) && die "approveformyorg failed for $org (.fabric/logs/admin.log)"
      sleep 1
    done
  done
  local peers=()
  for org in "${ORGS[@]}"; do peers+=(--peerAddresses "127.0.0.1:${PORT[$org]}"); done
  as_admin Bank "$BIN/peer" lifecycle chaincode commit -o 127.0.0.1:7050 --tls --cafile "$ca" -C "$CHANNEL" \
    -n $CC_NAME -v 1.0 --sequence 1 "${peers[@]}" >>"$F/logs/admin.log" 2>&1 || die "chaincode commit failed"
  touch "$F/run/chaincode.done"
}

status() {
  local bad=0
  for p in orderer "${ORGS[@]/#/peer-}" chaincode; do
    if running "$p"; then echo "$p: running (pid $(cat "$F/run/$p.pid"))"; else echo "$p: stopped"; bad=1; fi
  done
  return $bad
}

down() {
  stop chaincode
  for org in "${ORGS[@]}"; do stop "peer-$org"; done
  stop orderer
  rm -rf "$F/data" "$F/crypto" "$F/cc" "$F/run" "$F/$CHANNEL.block" "$F"/*.tar.gz
  log "network down (binaries kept in .fabric/bin)"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-peer) stop "peer-${2:?org}" ;;        # for the fault test
  start-peer) CFG=$(sampleconfig); start "peer-${2:?org}" env $(peer_env "$2") \
      CORE_PEER_MSPCONFIGPATH="$(org_dir "$2")/peers/peer0.$(lower "$2").blocktrade.local/msp" "$BIN/peer" node start ;;
  *) die "usage: fabric/network.sh up | down | status | stop-peer ORG | start-peer ORG" ;;
esac
