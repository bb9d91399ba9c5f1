#!/usr/bin/env bash
# The CH side-by-side (issue 17 §2) over several processes. One process's per-round ratios agree
# to a few hundredths, but on the VMs we measure on the median moves by up to ±0.1 between
# processes of the same binary (where the heap and the code land: caches, predictors), more
# than most changes it is to judge. This runs the routing bench's `ch` part RUNS times and
# prints, per graph, the median ratio (jzplan / fast_paths path p50) of each process, sorted,
# and the median of those.
#
#   cargo bench --bench routing --no-run      # then, with its binary:
#   JZPLAN_OSM_PBF=target/osm-extract/Helsinki.osm.pbf benches/ch_ratios.sh BINARY [RUNS]
# ROUTING_CH_GRAPHS picks graphs as for the bench; RUNS defaults to 5.
set -euo pipefail
bin=${1:?usage: ch_ratios.sh BENCH_BINARY [RUNS]}
runs=${2:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for i in $(seq "$runs"); do
  # The `ratio` lines: "ratio NAME jzplan_ch path / NAME fast_paths path: ... median M, ...".
  ROUTING_BENCH=ch "$bin" 2>&1 \
    | sed -n 's/^ratio \([^ ]*\) jzplan_ch path .* median \([0-9.]*\),.*/\1 \2/p' >>"$out"
  echo "run $i of $runs done" >&2
done
sort -k1,1 -k2,2n "$out" | awk '
  { v[$1] = v[$1] " " $2; k[$1]++; a[$1, k[$1]] = $2 }
  END {
    for (g in k) {
      n = k[g]; m = (n % 2) ? a[g, (n + 1) / 2] : (a[g, n / 2] + a[g, n / 2 + 1]) / 2
      printf "%-24s median of %d processes %.3f  (each:%s)\n", g, n, m, v[g]
    }
  }' | sort
