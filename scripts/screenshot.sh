#!/usr/bin/env bash
# Refreshes docs/viewer.png: the web viewer in headless Chromium, with Chinese labels. Installs
# what the picture needs and the tests do not (Debian's fonts-noto-cjk: the browser draws the
# Chinese glyphs of the map labels itself), then runs the browser test, which saves the PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
JZPLAN_SETUP_BROWSER=1 bash scripts/setup.sh
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "screenshot: installing fonts-noto-cjk" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-noto-cjk >/dev/null
fi
JZPLAN_SCREENSHOT="$PWD/docs/viewer.png" \
  cargo test --test it browser::viewer_renders_layers_and_routes_in_chromium -- --exact
echo "wrote docs/viewer.png"
