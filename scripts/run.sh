#!/usr/bin/env bash
# Quick start 1: install what is missing, build in release and serve the embedded Jinzhou data
# at http://127.0.0.1:8080/ (extra arguments go to `jzplan serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
JZPLAN_SETUP_BROWSER=0 JZPLAN_SETUP_QGIS=0 bash scripts/setup.sh
exec cargo run --release --bin jzplan -- serve "$@"
