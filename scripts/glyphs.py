#!/usr/bin/env python3
"""Makes the SDF glyph PBFs of the web viewer (maps/fonts/<fontstack>/<start>-<end>.pbf).

MapLibre draws text from signed-distance-field glyphs fetched by Unicode range (256 code
points a file). No such files can be downloaded here, so they are made from Debian's Noto Sans
(fonts-noto-core, SIL OFL 1.1) and committed. Only Latin ranges are made: the viewer sets
MapLibre's `localIdeographFontFamily`, so the browser draws Chinese itself.

Usage (a throw-away venv is enough; the server never runs this):
    apt-get download fonts-noto-core && dpkg-deb -x fonts-noto-core_*.deb /tmp/noto
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install freetype-py numpy scipy
    /tmp/venv/bin/python scripts/glyphs.py /tmp/noto/usr/share/fonts/truetype/noto maps/fonts

The format is the one of MapLibre's glyphs.proto, written by hand below: a fontstack with its
name and range, and per glyph its code point, SDF bitmap (width+6 by height+6 bytes: a
3-pixel border), width, height, left, top and advance at a 24-px em. SDF convention as
MapLibre's TinySDF: byte = 255 - 255 * (d / 8 + 0.25), d the signed distance in pixels
(positive outside), so the outline sits at 191.
"""

import os
import sys

import freetype
import numpy as np
from scipy.ndimage import distance_transform_edt

SIZE_PX = 24  # the em MapLibre lays glyph metrics out at
BORDER = 3  # SDF border around each bitmap (MapLibre's GLYPH_PBF_BORDER)
RADIUS = 8.0
CUTOFF = 0.25
OVERSAMPLE = 8  # outlines are rasterised this much finer, then the distance is sampled

FONTS = {
    "Noto Sans Regular": "NotoSans-Regular.ttf",
    "Noto Sans Bold": "NotoSans-Bold.ttf",
}
RANGES = [(0, 255), (256, 511), (8192, 8447)]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wire):
    return varint((field << 3) | wire)


def uint(field, v):
    return key(field, 0) + varint(v)


def sint(field, v):
    return key(field, 0) + varint((v << 1) ^ (v >> 63))


def blob(field, b):
    return key(field, 2) + varint(len(b)) + b


def sdf(face, code, ascender):
    """The glyph message of one code point, or None when the font lacks it."""
    if face.get_char_index(code) == 0:
        return None
    face.set_pixel_sizes(0, SIZE_PX)
    face.load_char(code, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_TARGET_NORMAL)
    g = face.glyph
    w, h = g.bitmap.width, g.bitmap.rows
    left, top = g.bitmap_left, g.bitmap_top
    advance = int(round(g.advance.x / 64))
    msg = uint(1, code)
    if w and h:
        # The outline at OVERSAMPLE times the size, placed on a grid that covers the 24-px
        # bitmap plus its border, so that sample (i, j) of the SDF is the centre of block (i, j).
        s = OVERSAMPLE
        face.set_pixel_sizes(0, SIZE_PX * s)
        face.load_char(code, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_TARGET_NORMAL)
        hg = face.glyph
        hb = np.array(hg.bitmap.buffer, dtype=np.uint8).reshape(hg.bitmap.rows, hg.bitmap.width)
        W, H = (w + 2 * BORDER) * s, (h + 2 * BORDER) * s
        canvas = np.zeros((H, W), dtype=bool)
        x0 = hg.bitmap_left - (left - BORDER) * s
        y0 = (top + BORDER) * s - hg.bitmap_top
        ys, xs = np.nonzero(hb >= 128)
        ys, xs = ys + y0, xs + x0
        keep = (ys >= 0) & (ys < H) & (xs >= 0) & (xs < W)
        canvas[ys[keep], xs[keep]] = True
        outside = distance_transform_edt(~canvas)
        inside = distance_transform_edt(canvas)
        d = (outside - inside) / s  # signed distance in 24-px pixels
        c = s // 2
        d = d[c::s, c::s][: h + 2 * BORDER, : w + 2 * BORDER]
        val = np.clip(np.round(255 - 255 * (d / RADIUS + CUTOFF)), 0, 255).astype(np.uint8)
        msg += blob(2, val.tobytes())
    msg += uint(3, w) + uint(4, h) + sint(5, left) + sint(6, top - ascender) + uint(7, advance)
    return msg


def main(font_dir, out_dir):
    for name, file in FONTS.items():
        face = freetype.Face(os.path.join(font_dir, file))
        face.set_pixel_sizes(0, SIZE_PX)
        # MapLibre expects `top` relative to the line's ascender (as node-fontnik writes it).
        ascender = int(round(face.size.ascender / 64))
        os.makedirs(os.path.join(out_dir, name), exist_ok=True)
        for start, end in RANGES:
            glyphs = [sdf(face, c, ascender) for c in range(start, end + 1)]
            stack = blob(1, name.encode()) + blob(2, f"{start}-{end}".encode())
            for gmsg in glyphs:
                if gmsg is not None:
                    stack += blob(3, gmsg)
            path = os.path.join(out_dir, name, f"{start}-{end}.pbf")
            with open(path, "wb") as f:
                f.write(blob(1, stack))
            n = sum(g is not None for g in glyphs)
            print(f"{path}: {n} glyphs, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
