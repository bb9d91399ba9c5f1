//! Mapbox Vector Tiles (MVT 2.1) from [`Layer`]s: features are projected to Web Mercator tile
//! pixels, clipped to the tile plus a buffer, simplified to about a pixel, and encoded with
//! geozero's MVT writer (prost).

use super::{FeatureQuery, Filter, Layer, value_text};
use crate::{Error, Result};
use chrono::NaiveDate;
use geo::{Orient, Simplify, orient::Direction};
use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon, Rect,
};
use geozero::ToMvt;
use geozero::mvt::{Message, Tile, TileValue, tile};
use serde_json::Value;
use std::f64::consts::PI;

/// Tile coordinate units per tile side.
pub const EXTENT: u32 = 4096;
/// Pixels drawn outside the tile so that lines and labels join across tile borders.
pub const BUFFER: f64 = 64.0;
/// Deepest zoom served.
pub const MAX_ZOOM: u8 = 22;

/// A tile address (XYZ, Web Mercator, y from the north).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row from the north.
    pub y: u32,
}

impl TileId {
    /// A tile, checked to exist at its zoom.
    pub fn new(z: u8, x: u32, y: u32) -> Result<TileId> {
        if z > MAX_ZOOM {
            return Err(Error::invalid(format!(
                "zoom {z} is above the maximum {MAX_ZOOM}"
            )));
        }
        let n = 1u64 << z;
        if x as u64 >= n || y as u64 >= n {
            return Err(Error::invalid(format!(
                "tile {z}/{x}/{y} does not exist: x and y must be below {n} at zoom {z}"
            )));
        }
        Ok(TileId { z, x, y })
    }

    /// Longitude/latitude bounds of the tile.
    pub fn bounds(&self) -> Rect<f64> {
        let n = (1u64 << self.z) as f64;
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        Rect::new(
            Coord {
                x: lon(self.x as f64),
                y: lat(self.y as f64 + 1.0),
            },
            Coord {
                x: lon(self.x as f64 + 1.0),
                y: lat(self.y as f64),
            },
        )
    }

    /// Bounds grown by the buffer (for selecting features).
    fn buffered_bounds(&self) -> Rect<f64> {
        let b = self.bounds();
        let fx = (b.max().x - b.min().x) * BUFFER / EXTENT as f64;
        let fy = (b.max().y - b.min().y) * BUFFER / EXTENT as f64;
        Rect::new(
            Coord {
                x: b.min().x - fx,
                y: b.min().y - fy,
            },
            Coord {
                x: b.max().x + fx,
                y: b.max().y + fy,
            },
        )
    }

    /// lon/lat → tile pixel coordinates (y down).
    pub fn to_pixel(&self, c: Coord<f64>) -> Coord<f64> {
        let n = (1u64 << self.z) as f64;
        let lat = c.y.clamp(-85.051_128, 85.051_128).to_radians();
        let wx = (c.x + 180.0) / 360.0 * n;
        let wy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0 * n;
        Coord {
            x: (wx - self.x as f64) * EXTENT as f64,
            y: (wy - self.y as f64) * EXTENT as f64,
        }
    }
}

const LO: f64 = -BUFFER;
const HI: f64 = EXTENT as f64 + BUFFER;

fn inside(c: Coord<f64>) -> bool {
    (LO..=HI).contains(&c.x) && (LO..=HI).contains(&c.y)
}

/// Liang–Barsky: the part of segment a–b inside the clip box, if any.
fn clip_segment(a: Coord<f64>, b: Coord<f64>) -> Option<(Coord<f64>, Coord<f64>)> {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.x - LO),
        (dx, HI - a.x),
        (-dy, a.y - LO),
        (dy, HI - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    let at = |t: f64| Coord {
        x: a.x + t * dx,
        y: a.y + t * dy,
    };
    Some((at(t0), at(t1)))
}

/// Clips a line to the box; a line that leaves and re-enters becomes several parts.
fn clip_line(line: &[Coord<f64>]) -> Vec<Vec<Coord<f64>>> {
    let mut parts = Vec::new();
    let mut cur: Vec<Coord<f64>> = Vec::new();
    for w in line.windows(2) {
        match clip_segment(w[0], w[1]) {
            Some((p, q)) => {
                if cur.last() != Some(&p) {
                    if cur.len() >= 2 {
                        parts.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(p);
                }
                cur.push(q);
                if q != w[1] {
                    parts.push(std::mem::take(&mut cur));
                }
            }
            None => {
                if cur.len() >= 2 {
                    parts.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        parts.push(cur);
    }
    parts
}

/// Sutherland–Hodgman clipping of a ring against the box (the box is convex, so the result is
/// one ring, possibly with edges along the box border, which renderers draw invisibly).
fn clip_ring(ring: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut pts: Vec<Coord<f64>> = ring.to_vec();
    if pts.first() == pts.last() {
        pts.pop();
    }
    type Edge = (
        fn(Coord<f64>) -> bool,
        fn(Coord<f64>, Coord<f64>) -> Coord<f64>,
    );
    let edges: [Edge; 4] = [
        (|c| c.x >= LO, lerp_x_lo),
        (|c| c.x <= HI, lerp_x_hi),
        (|c| c.y >= LO, lerp_y_lo),
        (|c| c.y <= HI, lerp_y_hi),
    ];
    fn lerp_x_lo(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        let x = LO;
        Coord {
            x,
            y: a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x),
        }
    }
    fn lerp_x_hi(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        let x = HI;
        Coord {
            x,
            y: a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x),
        }
    }
    fn lerp_y_lo(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        let y = LO;
        Coord {
            x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y),
            y,
        }
    }
    fn lerp_y_hi(a: Coord<f64>, b: Coord<f64>) -> Coord<f64> {
        let y = HI;
        Coord {
            x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y),
            y,
        }
    }
    for (keep, cut) in edges {
        if pts.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            match (keep(cur), keep(prev)) {
                (true, true) => out.push(cur),
                (true, false) => {
                    out.push(cut(prev, cur));
                    out.push(cur);
                }
                (false, true) => out.push(cut(prev, cur)),
                (false, false) => {}
            }
        }
        pts = out;
    }
    pts
}

/// Rounds to whole tile units and drops repeated points.
fn snap_ints(pts: impl IntoIterator<Item = Coord<f64>>) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::new();
    for c in pts {
        let r = Coord {
            x: c.x.round(),
            y: c.y.round(),
        };
        if out.last() != Some(&r) {
            out.push(r);
        }
    }
    out
}

/// Douglas–Peucker tolerance in tile units: about a quarter pixel of a 512-px tile.
const SIMPLIFY_TOLERANCE: f64 = 2.0;

fn tile_line(t: &TileId, l: &LineString<f64>, out: &mut Vec<LineString<f64>>) {
    let px: Vec<Coord<f64>> = l.0.iter().map(|c| t.to_pixel(*c)).collect();
    for part in clip_line(&px) {
        let simple = LineString::from(part).simplify(SIMPLIFY_TOLERANCE);
        let ints = snap_ints(simple.0);
        if ints.len() >= 2 {
            out.push(LineString::from(ints));
        }
    }
}

fn tile_ring(t: &TileId, l: &LineString<f64>) -> Option<LineString<f64>> {
    let px: Vec<Coord<f64>> = l.0.iter().map(|c| t.to_pixel(*c)).collect();
    let clipped = clip_ring(&px);
    if clipped.len() < 3 {
        return None;
    }
    let mut closed = clipped;
    closed.push(closed[0]);
    let simple = LineString::from(closed).simplify(SIMPLIFY_TOLERANCE);
    let mut ints = snap_ints(simple.0);
    if ints.first() != ints.last()
        && let Some(f) = ints.first().copied()
    {
        ints.push(f);
    }
    (ints.len() >= 4).then(|| LineString::from(ints))
}

fn tile_polygon(t: &TileId, p: &Polygon<f64>, out: &mut Vec<Polygon<f64>>) {
    let Some(ext) = tile_ring(t, p.exterior()) else {
        return;
    };
    let holes = p
        .interiors()
        .iter()
        .filter_map(|r| tile_ring(t, r))
        .collect();
    // MVT wants exterior rings with positive area in tile coordinates (y down), which is what
    // geo's default orientation gives when applied to those coordinates.
    out.push(Polygon::new(ext, holes).orient(Direction::Default));
}

/// A geometry in tile pixels, clipped and simplified; `None` if nothing is left in the tile.
pub fn to_tile_geometry(t: &TileId, g: &Geometry<f64>) -> Option<Geometry<f64>> {
    let mut lines = Vec::new();
    let mut polys = Vec::new();
    let mut points = Vec::new();
    let mut add = |g: &Geometry<f64>| match g {
        Geometry::Point(p) => {
            let c = t.to_pixel(p.0);
            if inside(c) {
                points.push(geo_types::Point(snap_ints([c])[0]));
            }
        }
        Geometry::MultiPoint(mp) => {
            for p in mp {
                let c = t.to_pixel(p.0);
                if inside(c) {
                    points.push(geo_types::Point(snap_ints([c])[0]));
                }
            }
        }
        Geometry::LineString(l) => tile_line(t, l, &mut lines),
        Geometry::MultiLineString(ml) => ml.iter().for_each(|l| tile_line(t, l, &mut lines)),
        Geometry::Polygon(p) => tile_polygon(t, p, &mut polys),
        Geometry::MultiPolygon(mp) => mp.iter().for_each(|p| tile_polygon(t, p, &mut polys)),
        Geometry::Rect(r) => tile_polygon(t, &r.to_polygon(), &mut polys),
        Geometry::Triangle(tr) => tile_polygon(t, &tr.to_polygon(), &mut polys),
        Geometry::Line(l) => tile_line(t, &LineString::from(vec![l.start, l.end]), &mut lines),
        Geometry::GeometryCollection(_) => {}
    };
    match g {
        Geometry::GeometryCollection(gc) => gc.iter().for_each(&mut add),
        g => add(g),
    }
    // One MVT feature has one geometry type; mixed collections keep their dominant part.
    if !polys.is_empty() {
        Some(if polys.len() == 1 {
            Geometry::Polygon(polys.remove(0))
        } else {
            Geometry::MultiPolygon(MultiPolygon(polys))
        })
    } else if !lines.is_empty() {
        Some(if lines.len() == 1 {
            Geometry::LineString(lines.remove(0))
        } else {
            Geometry::MultiLineString(MultiLineString(lines))
        })
    } else if !points.is_empty() {
        Some(if points.len() == 1 {
            Geometry::Point(points[0])
        } else {
            Geometry::MultiPoint(MultiPoint(points))
        })
    } else {
        None
    }
}

fn tile_value(v: &Value) -> Option<TileValue> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => TileValue::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => TileValue::Sint(i),
            (None, Some(f)) => TileValue::Double(f),
            _ => return None,
        },
        Value::String(s) => TileValue::Str(s.clone()),
        other => TileValue::Str(value_text(other)),
    })
}

/// Encodes one tile holding the given layers (one MVT layer each, named by layer id), for
/// `date` on dated layers. Layers below their `min_zoom` are left out.
pub fn encode_tile(layers: &[&dyn Layer], t: TileId, date: Option<NaiveDate>) -> Result<Vec<u8>> {
    let q = FeatureQuery {
        bbox: Some(t.buffered_bounds()),
        ..Default::default()
    };
    let mut tile = Tile::default();
    for layer in layers {
        let info = layer.info();
        if t.z < info.min_zoom {
            continue;
        }
        let feats = layer.features(if info.dated { date } else { None })?;
        let filter = Filter::new(info, &q)?;
        let mut tags = geozero::mvt::TagsBuilder::<String>::new();
        let mut out = tile::Layer {
            version: 2,
            name: info.id.to_string(),
            extent: Some(EXTENT),
            ..Default::default()
        };
        for f in feats.iter().filter(|f| filter.matches(f)) {
            let Some(g) = to_tile_geometry(&t, &f.geometry) else {
                continue;
            };
            let mut mf = g
                .to_mvt_unscaled()
                .map_err(|e| Error::invalid(format!("feature {} of {}: {e}", f.id, info.id)))?;
            mf.id = f.id.parse::<u64>().ok();
            for (k, v) in &f.properties {
                if let Some(tv) = tile_value(v) {
                    let (ki, vi) = tags.insert(k.clone(), tv);
                    mf.tags.push(ki);
                    mf.tags.push(vi);
                }
            }
            out.features.push(mf);
        }
        if out.features.is_empty() {
            continue;
        }
        let (keys, values) = tags.into_tags();
        out.keys = keys;
        out.values = values.into_iter().map(Into::into).collect();
        tile.layers.push(out);
    }
    Ok(tile.encode_to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_math_round_trips_the_corners() {
        let t = TileId::new(12, 3425, 1536).unwrap();
        let b = t.bounds();
        let nw = t.to_pixel(Coord {
            x: b.min().x,
            y: b.max().y,
        });
        let se = t.to_pixel(Coord {
            x: b.max().x,
            y: b.min().y,
        });
        assert!(nw.x.abs() < 1e-6 && nw.y.abs() < 1e-6, "{nw:?}");
        assert!(
            (se.x - 4096.0).abs() < 1e-6 && (se.y - 4096.0).abs() < 1e-6,
            "{se:?}"
        );
        assert!(TileId::new(2, 4, 0).is_err());
        assert!(TileId::new(23, 0, 0).is_err());
    }

    #[test]
    fn clips_lines_that_leave_and_reenter() {
        let line = [
            Coord { x: 100.0, y: 100.0 },
            Coord {
                x: 5000.0,
                y: 100.0,
            },
            Coord {
                x: 5000.0,
                y: 200.0,
            },
            Coord { x: 100.0, y: 200.0 },
        ];
        let parts = clip_line(&line);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], vec![line[0], Coord { x: HI, y: 100.0 }]);
        assert_eq!(parts[1], vec![Coord { x: HI, y: 200.0 }, line[3]]);
    }

    #[test]
    fn clips_a_ring_to_the_buffered_box() {
        let ring = [
            Coord {
                x: -1000.0,
                y: -1000.0,
            },
            Coord {
                x: 1000.0,
                y: -1000.0,
            },
            Coord {
                x: 1000.0,
                y: 1000.0,
            },
            Coord {
                x: -1000.0,
                y: 1000.0,
            },
            Coord {
                x: -1000.0,
                y: -1000.0,
            },
        ];
        let c = clip_ring(&ring);
        assert_eq!(c.len(), 4);
        assert!(c.iter().all(|p| inside(*p)));
        assert!(c.contains(&Coord { x: LO, y: LO }));
    }
}
