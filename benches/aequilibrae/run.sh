#!/usr/bin/env bash
# AequilibraE 1.7 (PyPI) vs jzplan: BFW on SiouxFalls to the same relative gap, timed in the
# same run on the same machine. Not part of CI (needs PyPI and a release build).
# Usage: benches/aequilibrae/run.sh [gap]   (default 1e-4)
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
cargo build --release --bin jzplan
BIN="${CARGO_TARGET_DIR:-target}/release/jzplan"
# OpenMP threads spin while waiting by default; on 2 shared cores that steals time from the
# other side of the comparison.
export OMP_WAIT_POLICY=PASSIVE
# AequilibraE draws tqdm progress bars on every iteration unless told not to (they would be
# timed too); jzplan draws none when stderr is not a terminal.
export AEQ_SHOW_PROGRESS=FALSE
"$VENV/bin/python" benches/aequilibrae/run.py --tntp "$TNTP/SiouxFalls" --jzplan "$BIN" \
  --gap "$GAP" --repeat 5 --cores 2 --out benches/aequilibrae/results.json
