#!/usr/bin/env bash
# Time from `jzplan serve` starting to its first answered routed query, and its peak RSS
# (docs/performance.md, "Prepared networks"). Usage:
#   scripts/first-query.sh NETWORK_FILE FROM TO [DATE]
# e.g. scripts/first-query.sh g1m.jzp 121.1,41.1 122.2,41.9
# Runs the release binary (JZPLAN_BIN to override) on a SQLite database in a temporary
# directory, seeded before the clock starts (needs curl); asks GET /api/v1/route every 10 ms until it answers
# 200; prints the seconds and VmHWM (peak resident set) of the server after that answer.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${JZPLAN_BIN:-${CARGO_TARGET_DIR:-target}/release/jzplan}
net=$1 from=$2 to=$3 date=${4:-}
port=${PORT:-18$((RANDOM % 900 + 100))}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$bin" --db "$tmp/jz.db" works list --format json >/dev/null   # create and seed the database
query="http://127.0.0.1:$port/api/v1/route?from=$from&to=$to${date:+&date=$date}"
start=$(date +%s.%N)
"$bin" --db "$tmp/jz.db" --network "$net" serve --addr "127.0.0.1:$port" >"$tmp/serve.log" 2>&1 &
pid=$!
until curl -sf -o "$tmp/route.json" "$query"; do
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
  sleep 0.01
done
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")
dist=$(grep -o '"distance_m":[0-9.]*' "$tmp/route.json" | head -1)
awk -v s="$start" -v e="$end" -v h="$hwm" -v d="$dist" 'BEGIN { printf "first routed answer after %.2f s; peak RSS %s; %s\n", e - s, h, d }'
