#!/usr/bin/env bash
# Installs what jzplan needs on Debian 12 when it is missing: GDAL (library, headers, command-line
# tools for the OGC API test), pkg-config, Chromium (browser tests), the
# PostgreSQL 15 server with PostGIS 3 (the PostgreSQL store tests start a throwaway cluster;
# the embedded SQLite default needs neither), and PyQGIS (python3-qgis, qgis-providers: the
# test that opens every OGC collection in QGIS, headless; about 170 MB to download, 650 MB
# installed; JZPLAN_SETUP_QGIS=0 skips it and the test then says SKIPPED).
# Safe to run again: it does nothing when everything is there.
set -euo pipefail
need=()
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
pkg-config --exists gdal 2>/dev/null || need+=(libgdal-dev)
command -v ogrinfo >/dev/null 2>&1 || need+=(gdal-bin)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need+=(postgresql-15-postgis-3)
if [ "${JZPLAN_SETUP_QGIS:-1}" = 1 ]; then
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 \
    || need+=(python3-qgis qgis-providers)
fi
if [ "${JZPLAN_SETUP_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The browser test drives Chromium with playwright-core (maplibre-gl itself is vendored in maps/).
if [ "${JZPLAN_SETUP_BROWSER:-1}" = 1 ] && [ ! -d "$(dirname "$0")/../node_modules/playwright-core" ]; then
  (cd "$(dirname "$0")/.." && npm ci --no-audit --no-fund --silent)
fi
