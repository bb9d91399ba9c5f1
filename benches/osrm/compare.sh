#!/usr/bin/env bash
# jzplan against OSRM on the same generated street grid, in one run (docs/performance.md,
# "jzplan and OSRM side by side"). Usage:
#   benches/osrm/compare.sh [SIDE]          (default 400: 160,000 nodes, 638,400 directed edges)
# Environment: DATA (work directory, default ./target/osrm-compare), JZPLAN_BIN (default the
# release binary), DURATION of each wrk run (default 20s), ROUNDS (default 2).
#
# Steps: writes the grid as an OSM PBF (grid_pbf.py); installs OSRM 26.10 from the PyPI wheel
# `osrm-bindings` into DATA (its binaries need no Python); osrm-extract, -partition, -customize
# (MLD) and `jzplan prepare`, each under /usr/bin/time -v; the peak RSS of one
# `jzplan route --algo ch` from the PBF; then starts osrm-routed (MLD) and `jzplan serve` on the
# prepared file and runs the same wrk script (random-routes.lua, same pairs for both) against
# OSRM's /route/v1, jzplan's /route/v1 and jzplan's /api/v1/route, interleaved, ROUNDS times:
# 2 threads x 32 connections (throughput) and 1 x 1 (latency of one request at a time).
# Prints every figure with the load average. Needs python3, curl, wrk, /usr/bin/time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
side=${1:-400}
data=${DATA:-$root/target/osrm-compare}
bin=${JZPLAN_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/jzplan}
duration=${DURATION:-20s}
rounds=${ROUNDS:-2}
mkdir -p "$data"
cd "$data"
load() { cut -d' ' -f1-3 /proc/loadavg; }
timed() { # label, command...: wall time and peak RSS of the command
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o "$data/time.txt" "$@" >"$data/$label.log" 2>&1 ||
    { cat "$data/$label.log" >&2; exit 1; }
  read -r s kb <"$data/time.txt"
  echo "$label: ${s} s, peak RSS $((kb / 1024)) MB (load $(load))"
}

pbf=grid$side.osm.pbf
[ -s "$pbf" ] || python3 "$here/grid_pbf.py" "$pbf" "$side"
# The grid's box (grid_pbf.py: 120 m blocks from 121.09 E, 41.08 N).
box=$(python3 -c "import math; s=$side; d=(s-1)*120/111320; print(121.09, 41.08, 121.09 + d/math.cos(math.radians(41.08)), 41.08 + d)")

osrm=$data/osrm-bindings/osrm/bin
if [ ! -x "$osrm/osrm-routed" ]; then
  python3 -m venv venv
  ./venv/bin/pip download -q osrm-bindings==26.10.0 --no-deps --only-binary=:all: \
    --python-version 3.12 --platform manylinux_2_28_x86_64 -d wheels
  python3 -m zipfile -e wheels/osrm_bindings-26.10.0-*.whl osrm-bindings
  chmod +x "$osrm"/*
fi
profile=$data/osrm-bindings/osrm/share/profiles/car.lua
mkdir -p osrm
if [ ! -s osrm/grid.osrm.mldgr ]; then
  cp "$pbf" osrm/grid.osm.pbf
  timed osrm-extract "$osrm/osrm-extract" -p "$profile" osrm/grid.osm.pbf
  timed osrm-partition "$osrm/osrm-partition" osrm/grid.osrm
  timed osrm-customize "$osrm/osrm-customize" osrm/grid.osrm
fi
[ -s grid.jzp ] || timed jzplan-prepare "$bin" --network "$pbf" prepare --out grid.jzp
read -r x0 y0 x1 y1 <<<"$box"
mid=$(python3 -c "print(f'{($x0+$x1)/2:.5f},{($y0+$y1)/2:.5f}')")
far=$(python3 -c "print(f'{$x1-0.001:.5f},{$y1-0.001:.5f}')")
timed jzplan-route-ch-from-pbf "$bin" --network "$pbf" route --algo ch --from "$mid" --to "$far"
timed jzplan-route-ch-from-jzp "$bin" --network grid.jzp route --algo ch --from "$mid" --to "$far"

tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
"$osrm/osrm-routed" --algorithm mld -i 127.0.0.1 -p 15000 osrm/grid.osrm >"$tmp/osrm.log" 2>&1 &
osrm_pid=$!
pids+=("$osrm_pid")
"$bin" --db "$tmp/jz.db" works list --format json >/dev/null
start=$(date +%s.%N)
"$bin" --db "$tmp/jz.db" --network grid.jzp serve --addr 127.0.0.1:15001 >"$tmp/jz.log" 2>&1 &
jz_pid=$!
pids+=("$jz_pid")
q="route/v1/driving/$mid;$far?overview=false"
until curl -sf -o /dev/null "http://127.0.0.1:15001/$q"; do sleep 0.01; done
first=$(python3 -c "import time; print(f'{time.time() - $start:.2f}')")
echo "jzplan serve grid.jzp: first routed answer after $first s (load $(load))"
until curl -sf -o /dev/null "http://127.0.0.1:15000/$q"; do sleep 0.1; done
# Let jzplan finish its background preparation (the customizable hierarchy) before timing.
sleep "${SETTLE:-60}"
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2 / 1024}' "/proc/$1/status"; }
echo "after start: OSRM $(rss "$osrm_pid")| jzplan $(rss "$jz_pid")"

run() { # label, port, style, threads, connections
  local out
  out=$(wrk -t"$4" -c"$5" -d"$duration" --latency -s "$here/random-routes.lua" \
    "http://127.0.0.1:$2" -- "$3" $box 2>&1)
  local p50 p99 rps errs
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {n += $4 + $6 + $8 + $10} END {print n + 0}' \
    <<<"${out//,/}")
  printf '%-28s %3sx%-3s p50 %-9s p99 %-9s %9s req/s  errors %s  (load %s)\n' \
    "$1" "$4" "$5" "$p50" "$p99" "$rps" "$errs" "$(load)"
}
for r in $(seq "$rounds"); do
  echo "round $r"
  run "OSRM MLD /route/v1" 15000 osrm 1 1
  run "jzplan /route/v1" 15001 osrm 1 1
  run "jzplan /api/v1/route" 15001 native 1 1
  run "OSRM MLD /route/v1" 15000 osrm 2 32
  run "jzplan /route/v1" 15001 osrm 2 32
  run "jzplan /api/v1/route" 15001 native 2 32
done
echo "after load: OSRM $(rss "$osrm_pid")| jzplan $(rss "$jz_pid")"
