#!/usr/bin/env bash
# Quick start 2: install what is missing and run every test (unit, property, integration,
# API, OGC API/ogrinfo, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --workspace --all-targets "$@"
cargo test --workspace --doc
