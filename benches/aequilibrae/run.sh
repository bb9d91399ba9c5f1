#!/usr/bin/env bash
# AequilibraE 1.7 (PyPI) vs jzplan on the same TNTP files, timed in the same run on the same
# machine; results in benches/aequilibrae/results.json. Not part of CI (needs PyPI and a
# release build).
#  1. SiouxFalls: BFW against BFW, both to [gap] (default 1e-4).
#  2. The generated 10,000-link grid (50 x 50 nodes, 100 zones; written as TNTP files by the
#     grid_tntp example): AequilibraE BFW to 1e-4 against jzplan Algorithm B to 1e-6, flows of
#     both compared with jzplan Algorithm B to 1e-8. Skip it with GRID=0 (and 1. with SIOUX=0).
# Usage: benches/aequilibrae/run.sh [gap]
# Env: JZPLAN_TNTP_DIR (default: shared/data/tntp beside the repo or a parent), AEQ_VENV (default target/aequilibrae-venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
GAP="${1:-1e-4}"
TNTP="${JZPLAN_TNTP_DIR:-}"
if [ -z "$TNTP" ]; then
  # shared/ sits beside the clone (CI) or beside one of its parents (worktrees).
  for up in .. ../.. ../../..; do
    if [ -d "$up/shared/data/tntp/SiouxFalls" ]; then TNTP="$up/shared/data/tntp"; break; fi
  done
fi
[ -n "$TNTP" ] || { echo "TNTP files not found: set JZPLAN_TNTP_DIR" >&2; exit 1; }
VENV="${AEQ_VENV:-${CARGO_TARGET_DIR:-target}/aequilibrae-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "aequilibrae==1.7.*"
cargo build --release --bin jzplan --example grid_tntp
BIN="${CARGO_TARGET_DIR:-target}/release/jzplan"
GRID_DIR="${CARGO_TARGET_DIR:-target}/aequilibrae-grid"
# OpenMP threads spin while waiting by default; on 2 shared cores that steals time from the
# other side of the comparison.
export OMP_WAIT_POLICY=PASSIVE
# AequilibraE draws tqdm progress bars on every iteration unless told not to (they would be
# timed too); jzplan draws none when stderr is not a terminal.
export AEQ_SHOW_PROGRESS=FALSE
SF="$TNTP/SiouxFalls"
[ "${SIOUX:-1}" = 0 ] || "$VENV/bin/python" benches/aequilibrae/run.py --name SiouxFalls --net "$SF/SiouxFalls_net.tntp" \
  --trips "$SF/SiouxFalls_trips.tntp" --flow "$SF/SiouxFalls_flow.tntp" --jzplan "$BIN" \
  --gap "$GAP" --repeat 5 --cores 2 --out benches/aequilibrae/results.json
if [ "${GRID:-1}" != 0 ]; then
  "${CARGO_TARGET_DIR:-target}/release/examples/grid_tntp" "$GRID_DIR" 50 100
  "$VENV/bin/python" benches/aequilibrae/run.py --name "grid 50x50, 100 zones (10,000 links)" \
    --key Grid50 --net "$GRID_DIR/Grid50_net.tntp" --trips "$GRID_DIR/Grid50_trips.tntp" \
    --jzplan "$BIN" --gap 1e-4 --jz-algorithm algb --jz-gap 1e-6 --reference-gap 1e-8 \
    --floor 100 --repeat "${GRID_REPEAT:-3}" --cores 2 --out benches/aequilibrae/results.json
fi
