#!/usr/bin/env python3
"""Writes a generated street grid with a road hierarchy as an OpenStreetMap PBF file.

The grid of issue 17 (performance on a large network): SIDE x SIDE intersections (default
400 x 400: 160,000 nodes, 638,400 directed edges once imported), BLOCK metres apart (default
120 m), south-west corner in Jinzhou (121.09 E, 41.08 N). Every 50th street is a trunk road
(maxspeed 90), every 10th a primary (60), the others residential streets at 25, 30, 35 or 40
km/h (by street index). Every block edge is its own two-way OSM way, so that an importer splits
nothing. Not real data: every way carries `source=model:generated-grid`.

Only the standard library: protobuf encoded by hand, zlib blobs, dense nodes, at most 8,000
entities per block (what OSM tools write; OSRM and jzplan read it).

Usage: grid_pbf.py OUT.osm.pbf [SIDE] [BLOCK_M]
"""

import math
import struct
import sys
import zlib

LON0, LAT0 = 121.09, 41.08
PER_BLOCK = 8000


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def zigzag(v):
    return (v << 1) ^ (v >> 63)


def key(field, wire):
    return varint((field << 3) | wire)


def field_bytes(field, b):
    return key(field, 2) + varint(len(b)) + b


def field_uint(field, v):
    return key(field, 0) + varint(v)


def packed(field, values):
    return field_bytes(field, b"".join(varint(v) for v in values))


def blob(kind, payload):
    body = field_uint(2, len(payload)) + field_bytes(3, zlib.compress(payload, 6))
    header = field_bytes(1, kind.encode()) + field_uint(3, len(body))
    return struct.pack(">I", len(header)) + header + body


def dense_block(nodes):
    """nodes: list of (id, lon, lat); granularity 100 nanodegrees."""
    ids, lats, lons = [], [], []
    pid = plat = plon = 0
    for nid, lon, lat in nodes:
        la, lo = round(lat * 1e7), round(lon * 1e7)
        ids.append(zigzag(nid - pid))
        lats.append(zigzag(la - plat))
        lons.append(zigzag(lo - plon))
        pid, plat, plon = nid, la, lo
    dense = packed(1, ids) + packed(8, lats) + packed(9, lons)
    group = field_bytes(2, dense)
    table = field_bytes(1, b"")  # string table: index 0 is the empty string
    return field_bytes(1, table) + field_bytes(2, group)


def way_block(ways, strings):
    """ways: list of (id, [refs], [(k, v)]); strings: the block's string table."""
    index = {s: i for i, s in enumerate(strings)}
    group = bytearray()
    for wid, refs, tags in ways:
        w = field_uint(1, wid)
        w += packed(2, [index[k] for k, _ in tags])
        w += packed(3, [index[v] for _, v in tags])
        prev, deltas = 0, []
        for r in refs:
            deltas.append(zigzag(r - prev))
            prev = r
        w += packed(8, deltas)
        group += field_bytes(3, w)
    table = b"".join(field_bytes(1, s.encode()) for s in strings)
    return field_bytes(1, table) + field_bytes(2, bytes(group))


def street(i):
    """Tags of street number i (rows and columns alike)."""
    if i % 50 == 0:
        return [("highway", "trunk"), ("maxspeed", "90")]
    if i % 10 == 0:
        return [("highway", "primary"), ("maxspeed", "60")]
    return [("highway", "residential"), ("maxspeed", str(25 + 5 * (i % 4)))]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    side = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    block = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    dlat = block / 111_320.0
    dlon = block / (111_320.0 * math.cos(math.radians(LAT0)))

    def node(r, c):
        return r * side + c + 1

    nodes = [
        (node(r, c), LON0 + c * dlon, LAT0 + r * dlat)
        for r in range(side)
        for c in range(side)
    ]
    ways = []
    wid = 1
    for r in range(side):  # east-west block edges of row r
        for c in range(side - 1):
            ways.append((wid, [node(r, c), node(r, c + 1)], street(r), f"Row {r}"))
            wid += 1
    for c in range(side):  # north-south block edges of column c
        for r in range(side - 1):
            ways.append((wid, [node(r, c), node(r + 1, c)], street(c), f"Column {c}"))
            wid += 1

    header = field_bytes(4, b"OsmSchema-V0.6") + field_bytes(4, b"DenseNodes")
    header += field_bytes(16, b"jzplan benches/osrm/grid_pbf.py")
    with open(out, "wb") as f:
        f.write(blob("OSMHeader", header))
        for i in range(0, len(nodes), PER_BLOCK):
            f.write(blob("OSMData", dense_block(nodes[i : i + PER_BLOCK])))
        for i in range(0, len(ways), PER_BLOCK):
            chunk = ways[i : i + PER_BLOCK]
            tagged = [
                (w, refs, tags + [("name", name), ("source", "model:generated-grid")])
                for w, refs, tags, name in chunk
            ]
            strings = [""] + sorted({s for _, _, tags in tagged for kv in tags for s in kv})
            f.write(blob("OSMData", way_block(tagged, strings)))
    print(
        f"{out}: {side} x {side} grid, {len(nodes)} nodes, {len(ways)} ways "
        f"({4 * side * (side - 1)} directed edges), {block:g} m blocks"
    )


if __name__ == "__main__":
    main()
