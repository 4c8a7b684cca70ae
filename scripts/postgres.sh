#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests and CI (DESIGN.md recipe).
#   scripts/postgres.sh start   # installs Debian postgresql if missing, starts, prints the URL
#   scripts/postgres.sh url     # prints the URL of the running server
#   scripts/postgres.sh stop    # stops it and deletes its data
# Environment: BLOCKTRADE_PG_DIR (state, default /tmp/blocktrade-pg), BLOCKTRADE_PG_PORT (55432).
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
STATE=${BLOCKTRADE_PG_DIR:-/tmp/blocktrade-pg}
PORT=${BLOCKTRADE_PG_PORT:-55432}
DB=blocktrade
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DB}"

as_postgres() {
  # initdb refuses to run as root; as any other user, run directly
  if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

running() { [[ -f "$STATE/data/postmaster.pid" ]] && as_postgres "$PGBIN/pg_ctl -D '$STATE/data' status" >/dev/null 2>&1; }

ensure_installed() {
  if [[ ! -x "$PGBIN/initdb" ]]; then
    echo "postgres.sh: installing Debian postgresql-15" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql-15 >&2 || apt-get install -y -qq postgresql >&2
  fi
  [[ -x "$PGBIN/initdb" ]] || { echo "postgres.sh: $PGBIN/initdb still missing after install" >&2; exit 1; }
}

start() {
  ensure_installed
  if running; then echo "$URL"; return; fi
  rm -rf "$STATE"; mkdir -p "$STATE"
  if [[ $(id -u) -eq 0 ]]; then chown postgres "$STATE"; fi
  as_postgres "$PGBIN/initdb -D '$STATE/data' -U postgres --auth=trust -E UTF8 --no-sync" >"$STATE/initdb.log" 2>&1 \
    || { cat "$STATE/initdb.log" >&2; exit 1; }
  as_postgres "$PGBIN/pg_ctl -D '$STATE/data' -l '$STATE/log' -w -o \"-p $PORT -k '$STATE' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start" >&2 \
    || { cat "$STATE/log" >&2; exit 1; }
  as_postgres "$PGBIN/createdb -h 127.0.0.1 -p $PORT -U postgres $DB" >&2
  echo "$URL"
}

stop() {
  if running; then as_postgres "$PGBIN/pg_ctl -D '$STATE/data' -m fast -w stop" >&2; fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) running || { echo "postgres.sh: no server running under $STATE" >&2; exit 1; }; echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
