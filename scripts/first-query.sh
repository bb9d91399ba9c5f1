#!/usr/bin/env bash
# Time from `jzplan serve` starting to its first answered routed query, and its peak RSS
# (docs/performance.md, "Prepared networks"). Usage:
#   scripts/first-query.sh NETWORK_FILE FROM TO [DATE]
# e.g. scripts/first-query.sh g1m.jzp 121.1,41.1 122.2,41.9
# Runs the release binary (JZPLAN_BIN to override) on a SQLite database in a temporary
# directory, seeded before the clock starts (needs curl); asks GET /api/v1/route every 10 ms until it answers
# 200; prints the seconds, the CPU seconds (user + system) and the VmHWM (peak resident set) of
# the server after that answer, and the load average.
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
# CPU seconds (user + system, all threads) the server has used by then: less sensitive than
# the wall time to other processes on the machine.
cpu=$(sed 's/.*) //' "/proc/$pid/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }')
dist=$(grep -o '"distance_m":[0-9.]*' "$tmp/route.json" | head -1)
load=$(cut -d' ' -f1-3 /proc/loadavg)
awk -v s="$start" -v e="$end" -v h="$hwm" -v d="$dist" -v c="$cpu" -v l="$load" 'BEGIN { printf "first routed answer after %.2f s (%s s CPU); peak RSS %s; %s; load average %s\n", e - s, c, h, d, l }'
