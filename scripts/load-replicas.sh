#!/usr/bin/env bash
# Load figure of docs/deploy.md: 1 and then 2 `jzplan serve` replicas on one throwaway
# PostgreSQL/PostGIS cluster, behind nginx (the upstream of docs/deploy/nginx.conf), driven by
# wrk with the read-only mix of scripts/load-mix.lua. Usage:
#   scripts/load-replicas.sh [DURATION] [CONNECTIONS]        (default 30s 32)
# Needs the release binary (JZPLAN_BIN to override), PostgreSQL 15 + PostGIS (scripts/setup.sh),
# and nginx, wrk and curl (`apt-get install nginx-light wrk curl`; no test needs them, so
# setup.sh does not install them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${JZPLAN_BIN:-${CARGO_TARGET_DIR:-target}/release/jzplan}
bin=$(readlink -f "$bin")
dur=${1:-30s} conns=${2:-32}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
cleanup() {
  if [ -f "$tmp/nginx.pid" ]; then kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true; sleep 0.5; fi
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$tmp/pg" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
pgport=$((20000 + RANDOM % 10000))
as_pg "$pgbin/initdb" -D "$tmp/pg" -U postgres -A trust -E UTF8 --no-sync >/dev/null
as_pg "$pgbin/pg_ctl" -D "$tmp/pg" -l "$tmp/pg/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pgport -k $tmp -c max_connections=100" start >/dev/null
as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc 'CREATE DATABASE jzplan' postgres
as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc 'CREATE EXTENSION postgis' jzplan
db="postgres://postgres@127.0.0.1:$pgport/jzplan"
"$bin" --db "$db" works list --format json >/dev/null   # create the tables, seed the plan

start_replica() { # PORT
  "$bin" --db "$db" serve --addr "127.0.0.1:$1" >"$tmp/replica-$1.log" 2>&1 &
  pids+=($!)
  until curl -sf -o /dev/null "http://127.0.0.1:$1/api/v1/route?from=121.10,41.125&to=121.15,41.085"; do
    sleep 0.1
  done
}
run_nginx() { # PORT… of the replicas
  local servers=""
  for p in "$@"; do servers+="        server 127.0.0.1:$p max_fails=3 fail_timeout=10s;"$'\n'; done
  awk -v servers="$servers" -v pid="$tmp/nginx.pid" '
    /^pid / { print "pid " pid ";"; next }
    /server 127\.0\.0\.1:808[0-9]/ { if (!done) { printf "%s", servers; done = 1 } next }
    { print }' "$root/docs/deploy/nginx.conf" | sed "s|listen 8080;|listen 18080;|" >"$tmp/nginx.conf"
  [ -f "$tmp/nginx.pid" ] && { kill "$(cat "$tmp/nginx.pid")"; sleep 0.5; }
  nginx -c "$tmp/nginx.conf" -p "$tmp" -e "$tmp/nginx-error.log"
  until curl -sf -o /dev/null http://127.0.0.1:18080/health; do sleep 0.1; done
}
warm() { # every request of the mix once through nginx, per replica (caches, CCH customization)
  for _ in 1 2 3 4; do
    for u in "/api/v1/route?from=121.105,41.105&to=121.105,41.085&date=2024-06-01" /api/v1/works \
      /api/v1/works/P1 "/collections/works/items?limit=20" "/api/v1/nearest?point=121.12,41.11&number=3"; do
      curl -sf -o /dev/null -H 'Accept: application/json' "http://127.0.0.1:18080$u"
    done
  done
}
bench() { # LABEL
  echo "== $1 (load average before: $(cut -d' ' -f1-3 /proc/loadavg))"
  wrk -t2 -c"$conns" -d"$dur" --latency -s "$root/scripts/load-mix.lua" http://127.0.0.1:18080
  echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
}
start_replica 18081
run_nginx 18081
warm
bench "1 replica"
start_replica 18082
run_nginx 18081 18082
warm
bench "2 replicas"
