//! Builds a road network from hand-drawn street polylines (the Jinzhou source in
//! `data/jinzhou/source/`): streets are split at every crossing with another street, street
//! ends that stop on another street join it (T-junctions, ramps), and every place where a road
//! crosses a river becomes its own `bridge` edge.
//!
//! Rules, in the order they are applied (all distances in a local metric projection):
//! 1. Two at-grade streets that cross share a junction node there. A crossing with a
//!    `separated` street (expressway, flyover) is NOT a junction: without an interchange the
//!    roads pass over each other.
//! 2. A street end within [`JOIN_M`] of another street (any grade) joins it there: this is how
//!    T-junctions and the ramps of interchanges are drawn. The end moves onto that street.
//! 3. Junctions closer than [`MERGE_M`] become one node (hand-drawn lines never meet exactly).
//! 4. Where a street crosses a river, the stretch `crossing ± bridge_half_m` (a per-river
//!    estimate of the channel and flood-plain width) becomes a separate edge with `bridge`.
//! 5. Coordinates are rounded to 1e-7° and lengths (geodesic, WGS84) to 1 cm, so the written
//!    files read back to exactly the built network and rebuilding is byte-identical.

use super::geom::{LocalProjection, geodesic_length_m};
use super::{EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use crate::{Error, Result};
use geo_types::{Coord, LineString};
use std::collections::HashMap;
use std::path::Path;

/// A street end this close (metres) to another street joins it.
pub const JOIN_M: f64 = 25.0;
/// Junction points closer than this (metres) are one node.
pub const MERGE_M: f64 = 15.0;
/// Cuts along one street closer than this (metres) are one cut.
const MIN_PIECE_M: f64 = 1.0;

/// Whether a street meets others at grade or passes over/under them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grade {
    /// Crossings with other at-grade streets are junctions.
    AtGrade,
    /// Crossings are flyovers (no junction); only street ends that stop on it connect.
    Separated,
}

impl Grade {
    /// Parses `at_grade` / `separated`.
    pub fn parse(s: &str) -> Option<Grade> {
        match s.trim() {
            "at_grade" => Some(Grade::AtGrade),
            "separated" => Some(Grade::Separated),
            _ => None,
        }
    }
}

/// One street of the source: a named polyline with its attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct StreetSource {
    /// Stable id (becomes way id `jz:<id>`).
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Road class.
    pub class: RoadClass,
    /// Lanes per direction.
    pub lanes: u8,
    /// Free-flow speed.
    pub speed_kmh: f32,
    /// One-way in the direction of drawing.
    pub oneway: bool,
    /// At grade or grade-separated.
    pub grade: Grade,
    /// Provenance (`seed:…`, `estimate:…`).
    pub source: String,
    /// The polyline, lon/lat.
    pub line: Vec<Coord<f64>>,
}

/// A river of the source.
#[derive(Clone, Debug, PartialEq)]
pub struct RiverSource {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Half the length of a bridge over it, metres (estimate of channel + banks).
    pub bridge_half_m: f64,
    /// Provenance.
    pub source: String,
    /// Centre line, lon/lat, drawn downstream.
    pub line: Vec<Coord<f64>>,
}

/// What the builder needs: streets and rivers.
#[derive(Clone, Debug, Default)]
pub struct BuildInput {
    /// Streets, in source order (this order fixes node and edge ids).
    pub streets: Vec<StreetSource>,
    /// Rivers.
    pub rivers: Vec<RiverSource>,
}

/// One bridge edge pair the builder made: which street crosses which river.
#[derive(Clone, Debug, PartialEq)]
pub struct BridgeInfo {
    /// Street id.
    pub street: String,
    /// Street Chinese name.
    pub street_zh: String,
    /// River id.
    pub river: String,
    /// River Chinese name.
    pub river_zh: String,
    /// Crossing point, lon/lat.
    pub at: Coord<f64>,
}

/// The built network and what happened on the way.
pub struct BuildOutput {
    /// The network (node and edge ids as they will be written).
    pub network: RoadNetwork,
    /// Every bridge, in street order.
    pub bridges: Vec<BridgeInfo>,
    /// Street crossings left without a junction because one street is grade-separated.
    pub flyovers: usize,
    /// Junctions made at crossings.
    pub crossings: usize,
    /// Street ends joined onto another street.
    pub end_joins: usize,
}

/// A cut along one street: a node at a distance along it.
#[derive(Clone, Copy, Debug)]
struct Cut {
    along: f64,
    node: usize,
    /// Junction and end cuts win over bridge-end cuts when two are closer than MIN_PIECE_M.
    junction: bool,
}

struct Prepared {
    /// Projected vertices.
    xy: Vec<[f64; 2]>,
    /// Cumulative projected length at each vertex.
    cum: Vec<f64>,
    /// Rounded lon/lat vertices.
    ll: Vec<Coord<f64>>,
}

impl Prepared {
    fn new(proj: &LocalProjection, line: &[Coord<f64>]) -> Prepared {
        let ll: Vec<Coord<f64>> = line.iter().map(|c| round_coord(*c)).collect();
        let xy: Vec<[f64; 2]> = ll.iter().map(|c| proj.forward(*c)).collect();
        let mut cum = vec![0.0; xy.len()];
        for i in 1..xy.len() {
            cum[i] = cum[i - 1] + dist(xy[i - 1], xy[i]);
        }
        Prepared { xy, cum, ll }
    }
    fn len(&self) -> f64 {
        *self.cum.last().unwrap_or(&0.0)
    }
    /// Nearest point on the line: (distance, along, point).
    fn nearest(&self, p: [f64; 2]) -> (f64, f64, [f64; 2]) {
        let mut best = (f64::INFINITY, 0.0, p);
        for i in 0..self.xy.len().saturating_sub(1) {
            let (a, b) = (self.xy[i], self.xy[i + 1]);
            let t = project_t(a, b, p);
            let q = lerp(a, b, t);
            let d = dist(p, q);
            if d < best.0 {
                best = (d, self.cum[i] + t * dist(a, b), q);
            }
        }
        best
    }
}

/// Rounds a coordinate to 1e-7° (about 1 cm), the precision of the written files.
pub fn round_coord(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: round7(c.x),
        y: round7(c.y),
    }
}

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}

fn project_t(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    if l2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
    }
}

/// Proper intersection of segments ab and cd: parameters (t on ab, u on cd), both in [0, 1].
fn seg_intersection(a: [f64; 2], b: [f64; 2], c: [f64; 2], d: [f64; 2]) -> Option<(f64, f64)> {
    let r = [b[0] - a[0], b[1] - a[1]];
    let s = [d[0] - c[0], d[1] - c[1]];
    let den = r[0] * s[1] - r[1] * s[0];
    if den.abs() < 1e-9 {
        return None; // parallel or degenerate: hand-drawn data has no collinear overlaps
    }
    let qp = [c[0] - a[0], c[1] - a[1]];
    let t = (qp[0] * s[1] - qp[1] * s[0]) / den;
    let u = (qp[0] * r[1] - qp[1] * r[0]) / den;
    ((0.0..=1.0).contains(&t) && (0.0..=1.0).contains(&u)).then_some((t, u))
}

/// Node registry: rounded coordinates, merging junctions closer than [`MERGE_M`].
struct Nodes {
    proj: LocalProjection,
    ll: Vec<Coord<f64>>,
    xy: Vec<[f64; 2]>,
    /// Grid buckets of junction nodes (cell = MERGE_M) for the merge look-up.
    grid: HashMap<(i64, i64), Vec<usize>>,
}

impl Nodes {
    fn new(proj: LocalProjection) -> Nodes {
        Nodes {
            proj,
            ll: Vec::new(),
            xy: Vec::new(),
            grid: HashMap::new(),
        }
    }
    fn cell(p: [f64; 2]) -> (i64, i64) {
        (
            (p[0] / MERGE_M).floor() as i64,
            (p[1] / MERGE_M).floor() as i64,
        )
    }
    /// A junction node at `p`, or the existing junction within MERGE_M of it.
    fn junction(&mut self, p: [f64; 2]) -> usize {
        let (cx, cy) = Self::cell(p);
        let mut best: Option<(f64, usize)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(v) = self.grid.get(&(cx + dx, cy + dy)) {
                    for &i in v {
                        let d = dist(self.xy[i], p);
                        if d < MERGE_M && best.is_none_or(|(bd, bi)| d < bd || (d == bd && i < bi))
                        {
                            best = Some((d, i));
                        }
                    }
                }
            }
        }
        if let Some((_, i)) = best {
            return i;
        }
        let i = self.plain(p);
        self.grid.entry((cx, cy)).or_default().push(i);
        i
    }
    /// A node of its own (dead end, bridge end) that never merges.
    fn plain(&mut self, p: [f64; 2]) -> usize {
        let ll = round_coord(self.proj.inverse(p));
        self.ll.push(ll);
        self.xy.push(self.proj.forward(ll));
        self.ll.len() - 1
    }
}

fn check_input(input: &BuildInput) -> Result<()> {
    let mut seen = HashMap::new();
    for (i, s) in input.streets.iter().enumerate() {
        if s.line.len() < 2 {
            return Err(Error::invalid(format!(
                "street '{}' has {} point(s); a street needs at least 2",
                s.id,
                s.line.len()
            )));
        }
        if let Some(j) = seen.insert(s.id.as_str(), i) {
            return Err(Error::invalid(format!(
                "street id '{}' is used twice (rows {} and {})",
                s.id,
                j + 1,
                i + 1
            )));
        }
    }
    for r in &input.rivers {
        if r.line.len() < 2 {
            return Err(Error::invalid(format!(
                "river '{}' has fewer than 2 points",
                r.id
            )));
        }
        if !(r.bridge_half_m.is_finite() && r.bridge_half_m > 0.0) {
            return Err(Error::invalid(format!(
                "river '{}' has bridge_half_m {} (must be > 0)",
                r.id, r.bridge_half_m
            )));
        }
    }
    Ok(())
}

/// Builds the network from streets and rivers (rules in the module doc). Deterministic: node
/// ids follow the first use while walking streets in source order and each street from its
/// start; edges follow the same walk, a two-way segment giving the forward edge and then its
/// twin.
pub fn build_network(input: &BuildInput, origin: &str) -> Result<BuildOutput> {
    check_input(input)?;
    let (mut x0, mut y0, mut n) = (0.0, 0.0, 0.0);
    for s in &input.streets {
        for c in &s.line {
            x0 += c.x;
            y0 += c.y;
            n += 1.0;
        }
    }
    if n == 0.0 {
        return Err(Error::EmptyNetwork(format!("{origin} has no streets")));
    }
    let proj = LocalProjection::new(round7(x0 / n), round7(y0 / n));
    let mut prep: Vec<Prepared> = input
        .streets
        .iter()
        .map(|s| Prepared::new(&proj, &s.line))
        .collect();
    let mut cuts: Vec<Vec<Cut>> = vec![Vec::new(); prep.len()];
    let mut nodes = Nodes::new(proj);
    let (mut crossings, mut flyovers, mut end_joins) = (0usize, 0usize, 0usize);

    // Rule 2 first, so that end nodes take their final place before crossings are computed:
    // an end moved onto the street it joins then crosses nothing new.
    let mut end_node: Vec<[Option<usize>; 2]> = vec![[None, None]; prep.len()];
    for s in 0..prep.len() {
        for (k, end) in [0usize, 1].into_iter().enumerate() {
            let p = if end == 0 {
                prep[s].xy[0]
            } else {
                *prep[s].xy.last().unwrap_or(&prep[s].xy[0])
            };
            let mut joined: Option<usize> = end_node[s][k];
            for o in 0..prep.len() {
                if o == s {
                    continue;
                }
                let (d, along, q) = prep[o].nearest(p);
                if d > JOIN_M {
                    continue;
                }
                // Snap onto the other street's end if that is close: two streets meeting end
                // to end.
                let q = if along < JOIN_M {
                    prep[o].xy[0]
                } else if prep[o].len() - along < JOIN_M {
                    *prep[o].xy.last().unwrap_or(&q)
                } else {
                    q
                };
                let node = match joined {
                    Some(j) => j,
                    None => nodes.junction(q),
                };
                joined = Some(node);
                // The along-position is computed once every end has moved (NaN until then).
                cuts[o].push(Cut {
                    along: f64::NAN,
                    node,
                    junction: true,
                });
                end_joins += 1;
            }
            if let Some(node) = joined {
                end_node[s][k] = Some(node);
                // Move the street end onto the node.
                let last = prep[s].xy.len() - 1;
                let idx = if end == 0 { 0 } else { last };
                prep[s].ll[idx] = nodes.ll[node];
                prep[s].xy[idx] = nodes.xy[node];
                let xy = prep[s].xy.clone();
                let mut cum = vec![0.0; xy.len()];
                for i in 1..xy.len() {
                    cum[i] = cum[i - 1] + dist(xy[i - 1], xy[i]);
                }
                prep[s].cum = cum;
            }
        }
    }

    // Rule 1: crossings between street interiors.
    for s in 0..prep.len() {
        for o in (s + 1)..prep.len() {
            for i in 0..prep[s].xy.len() - 1 {
                for j in 0..prep[o].xy.len() - 1 {
                    let (a, b) = (prep[s].xy[i], prep[s].xy[i + 1]);
                    let (c, d) = (prep[o].xy[j], prep[o].xy[j + 1]);
                    let Some((t, u)) = seg_intersection(a, b, c, d) else {
                        continue;
                    };
                    let p = lerp(a, b, t);
                    let along_s = prep[s].cum[i] + t * dist(a, b);
                    let along_o = prep[o].cum[j] + u * dist(c, d);
                    // Crossings at a street end were handled by rule 2.
                    let at_end = |pr: &Prepared, al: f64| al < JOIN_M || pr.len() - al < JOIN_M;
                    if at_end(&prep[s], along_s) || at_end(&prep[o], along_o) {
                        continue;
                    }
                    if input.streets[s].grade == Grade::Separated
                        || input.streets[o].grade == Grade::Separated
                    {
                        flyovers += 1;
                        continue;
                    }
                    let node = nodes.junction(p);
                    let (_, al_s, _) = prep[s].nearest(nodes.xy[node]);
                    let (_, al_o, _) = prep[o].nearest(nodes.xy[node]);
                    cuts[s].push(Cut {
                        along: al_s,
                        node,
                        junction: true,
                    });
                    cuts[o].push(Cut {
                        along: al_o,
                        node,
                        junction: true,
                    });
                    crossings += 1;
                }
            }
        }
    }

    // Street ends that joined nothing are dead ends.
    for s in 0..prep.len() {
        let len = prep[s].len();
        for (k, along) in [0.0, len].into_iter().enumerate() {
            let node = match end_node[s][k] {
                Some(nd) => nd,
                None => {
                    let p = if k == 0 {
                        prep[s].xy[0]
                    } else {
                        prep[s].xy[prep[s].xy.len() - 1]
                    };
                    let nd = nodes.plain(p);
                    end_node[s][k] = Some(nd);
                    nd
                }
            };
            cuts[s].push(Cut {
                along,
                node,
                junction: true,
            });
        }
    }

    // Rule 4: bridges.
    let rivers: Vec<Prepared> = input
        .rivers
        .iter()
        .map(|r| Prepared::new(&proj, &r.line))
        .collect();
    let mut bridge_spans: Vec<Vec<(f64, f64)>> = vec![Vec::new(); prep.len()];
    let mut bridges = Vec::new();
    for (s, pr) in prep.iter().enumerate() {
        let mut found: Vec<(f64, usize, [f64; 2])> = Vec::new();
        for (r, rv) in rivers.iter().enumerate() {
            for i in 0..pr.xy.len() - 1 {
                for j in 0..rv.xy.len() - 1 {
                    let (a, b) = (pr.xy[i], pr.xy[i + 1]);
                    if let Some((t, _)) = seg_intersection(a, b, rv.xy[j], rv.xy[j + 1]) {
                        found.push((pr.cum[i] + t * dist(a, b), r, lerp(a, b, t)));
                    }
                }
            }
        }
        found.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (along, r, p) in found {
            let half = input.rivers[r].bridge_half_m;
            let (lo, hi) = ((along - half).max(0.0), (along + half).min(pr.len()));
            bridge_spans[s].push((lo, hi));
            for (al, is_start) in [(lo, true), (hi, false)] {
                if (is_start && al <= 0.0) || (!is_start && al >= pr.len()) {
                    continue;
                }
                let q = point_at(pr, al);
                let node = nodes.plain(q);
                cuts[s].push(Cut {
                    along: al,
                    node,
                    junction: false,
                });
            }
            bridges.push(BridgeInfo {
                street: input.streets[s].id.clone(),
                street_zh: input.streets[s].name_zh.clone(),
                river: input.rivers[r].id.clone(),
                river_zh: input.rivers[r].name_zh.clone(),
                at: round_coord(proj.inverse(p)),
            });
        }
    }

    // Pieces between consecutive cuts; node ids renumbered in order of first use.
    let mut b = NetworkBuilder::new(origin);
    let mut new_id: Vec<Option<NodeId>> = vec![None; nodes.ll.len()];
    for (s, st) in input.streets.iter().enumerate() {
        let pr = &prep[s];
        let mut cs = std::mem::take(&mut cuts[s]);
        for c in cs.iter_mut().filter(|c| c.along.is_nan()) {
            c.along = pr.nearest(nodes.xy[c.node]).1;
        }
        cs.sort_by(|a, b| {
            a.along
                .total_cmp(&b.along)
                .then(b.junction.cmp(&a.junction))
                .then(a.node.cmp(&b.node))
        });
        let mut kept: Vec<Cut> = Vec::with_capacity(cs.len());
        for c in cs {
            match kept.last_mut() {
                Some(last) if last.node == c.node => {}
                Some(last) if c.along - last.along < MIN_PIECE_M => {
                    if c.junction && !last.junction {
                        *last = c;
                    }
                }
                _ => kept.push(c),
            }
        }
        let street = b.add_street(&format!("jz:{}", st.id), &st.name_zh, &st.name_en);
        for w in kept.windows(2) {
            let (c0, c1) = (w[0], w[1]);
            if c0.node == c1.node {
                continue;
            }
            let mut pts = vec![nodes.ll[c0.node]];
            for (v, &cum) in pr.cum.iter().enumerate() {
                if cum > c0.along + MIN_PIECE_M / 2.0 && cum < c1.along - MIN_PIECE_M / 2.0 {
                    pts.push(pr.ll[v]);
                }
            }
            pts.push(nodes.ll[c1.node]);
            let mut ids = [NodeId(0); 2];
            for (k, c) in [c0, c1].iter().enumerate() {
                ids[k] = match new_id[c.node] {
                    Some(id) => id,
                    None => {
                        let ll = nodes.ll[c.node];
                        let id = b.add_node(ll.x, ll.y)?;
                        new_id[c.node] = Some(id);
                        id
                    }
                };
            }
            let geometry = LineString::from(pts);
            let length_m = (geodesic_length_m(&geometry) * 100.0).round() / 100.0;
            let mid = (c0.along + c1.along) / 2.0;
            let bridge = bridge_spans[s].iter().any(|&(lo, hi)| mid > lo && mid < hi);
            let mut spec = EdgeSpec::new(ids[0], ids[1], street, st.class, &st.source);
            spec.length_m = Some(length_m);
            spec.speed_kmh = Some(st.speed_kmh);
            spec.lanes = Some(st.lanes);
            spec.bridge = bridge;
            spec.geometry = Some(geometry);
            b.add_road(spec, st.oneway)?;
        }
    }
    Ok(BuildOutput {
        network: b.build()?,
        bridges,
        flyovers,
        crossings,
        end_joins,
    })
}

fn point_at(pr: &Prepared, along: f64) -> [f64; 2] {
    for i in 0..pr.xy.len() - 1 {
        if along <= pr.cum[i + 1] || i + 2 == pr.xy.len() {
            let seg = pr.cum[i + 1] - pr.cum[i];
            let t = if seg > 0.0 {
                ((along - pr.cum[i]) / seg).clamp(0.0, 1.0)
            } else {
                0.0
            };
            return lerp(pr.xy[i], pr.xy[i + 1], t);
        }
    }
    pr.xy[0]
}

/// Parses `"lon lat;lon lat;…"`.
pub fn parse_coords(s: &str) -> std::result::Result<Vec<Coord<f64>>, String> {
    let mut out = Vec::new();
    for (i, part) in s.split(';').map(str::trim).enumerate() {
        if part.is_empty() {
            continue;
        }
        let mut it = part.split_whitespace();
        let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) else {
            return Err(format!("point {} '{part}' is not 'lon lat'", i + 1));
        };
        let lon: f64 = a
            .parse()
            .map_err(|_| format!("point {}: longitude '{a}' is not a number", i + 1))?;
        let lat: f64 = b
            .parse()
            .map_err(|_| format!("point {}: latitude '{b}' is not a number", i + 1))?;
        if !super::geom::valid_lon_lat(lon, lat) {
            return Err(format!("point {}: {lon} {lat} is out of range", i + 1));
        }
        out.push(Coord { x: lon, y: lat });
    }
    Ok(out)
}

/// Reads a CSV file into header-keyed rows, with errors naming the file, line and field.
pub(crate) fn read_csv(path: &Path) -> Result<Vec<CsvRow>> {
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Error::file(path, "file", e.to_string()))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::file(path, "header", e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            Error::file(path, format!("line {line}"), e.to_string())
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        rows.push(CsvRow {
            path: path.to_path_buf(),
            line,
            fields: headers
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_string))
                .collect(),
        });
    }
    Ok(rows)
}

/// One CSV row with typed field access and located errors.
pub(crate) struct CsvRow {
    path: std::path::PathBuf,
    line: u64,
    fields: HashMap<String, String>,
}

impl CsvRow {
    pub(crate) fn err(&self, field: &str, msg: impl std::fmt::Display) -> Error {
        Error::file(
            &self.path,
            format!("line {}", self.line),
            format!("field '{field}': {msg}"),
        )
    }
    pub(crate) fn str(&self, field: &str) -> Result<&str> {
        self.fields
            .get(field)
            .map(String::as_str)
            .ok_or_else(|| self.err(field, "missing"))
    }
    pub(crate) fn nonempty(&self, field: &str) -> Result<&str> {
        let v = self.str(field)?;
        if v.is_empty() {
            Err(self.err(field, "is empty"))
        } else {
            Ok(v)
        }
    }
    pub(crate) fn parse<T: std::str::FromStr>(&self, field: &str) -> Result<T> {
        let v = self.nonempty(field)?;
        v.parse()
            .map_err(|_| self.err(field, format!("'{v}' is not a valid value")))
    }
    pub(crate) fn coords(&self, field: &str) -> Result<Vec<Coord<f64>>> {
        parse_coords(self.nonempty(field)?).map_err(|m| self.err(field, m))
    }
}

/// Reads `streets.csv` (columns: id, name_zh, name_en, class, lanes, speed_kmh, oneway, grade,
/// source, coords).
pub fn read_streets(path: &Path) -> Result<Vec<StreetSource>> {
    read_csv(path)?
        .iter()
        .map(|r| {
            let class_s = r.nonempty("class")?;
            let class = RoadClass::parse(class_s)
                .ok_or_else(|| r.err("class", format!("'{class_s}' is not a road class")))?;
            let grade_s = r.nonempty("grade")?;
            let grade = Grade::parse(grade_s).ok_or_else(|| {
                r.err("grade", format!("'{grade_s}' is not at_grade or separated"))
            })?;
            let oneway = match r.nonempty("oneway")? {
                "yes" | "true" | "1" => true,
                "no" | "false" | "0" => false,
                v => return Err(r.err("oneway", format!("'{v}' is not yes/no"))),
            };
            let lanes: u8 = r.parse("lanes")?;
            if lanes == 0 {
                return Err(r.err("lanes", "must be at least 1"));
            }
            let speed_kmh: f32 = r.parse("speed_kmh")?;
            if !(speed_kmh > 0.0 && speed_kmh <= 200.0) {
                return Err(r.err("speed_kmh", "must be in (0, 200]"));
            }
            let line = r.coords("coords")?;
            if line.len() < 2 {
                return Err(r.err("coords", "needs at least 2 points"));
            }
            Ok(StreetSource {
                id: r.nonempty("id")?.to_string(),
                name_zh: r.nonempty("name_zh")?.to_string(),
                name_en: r.nonempty("name_en")?.to_string(),
                class,
                lanes,
                speed_kmh,
                oneway,
                grade,
                source: r.nonempty("source")?.to_string(),
                line,
            })
        })
        .collect()
}

/// Reads `rivers.csv` (columns: id, name_zh, name_en, bridge_half_m, source, coords).
pub fn read_rivers(path: &Path) -> Result<Vec<RiverSource>> {
    read_csv(path)?
        .iter()
        .map(|r| {
            let bridge_half_m: f64 = r.parse("bridge_half_m")?;
            if !(bridge_half_m.is_finite() && bridge_half_m > 0.0) {
                return Err(r.err("bridge_half_m", "must be > 0"));
            }
            let line = r.coords("coords")?;
            if line.len() < 2 {
                return Err(r.err("coords", "needs at least 2 points"));
            }
            Ok(RiverSource {
                id: r.nonempty("id")?.to_string(),
                name_zh: r.nonempty("name_zh")?.to_string(),
                name_en: r.nonempty("name_en")?.to_string(),
                bridge_half_m,
                source: r.nonempty("source")?.to_string(),
                line,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn street(id: &str, grade: Grade, pts: &[(f64, f64)]) -> StreetSource {
        StreetSource {
            id: id.into(),
            name_zh: id.into(),
            name_en: id.into(),
            class: RoadClass::Secondary,
            lanes: 2,
            speed_kmh: 40.0,
            oneway: false,
            grade,
            source: "estimate:test".into(),
            line: pts.iter().map(|&(x, y)| Coord { x, y }).collect(),
        }
    }

    #[test]
    fn a_cross_makes_one_junction_and_four_segments() {
        let input = BuildInput {
            streets: vec![
                street("ew", Grade::AtGrade, &[(121.0, 41.0), (121.02, 41.0)]),
                street("ns", Grade::AtGrade, &[(121.01, 40.99), (121.01, 41.01)]),
            ],
            rivers: vec![],
        };
        let out = build_network(&input, "t").unwrap();
        let net = out.network;
        assert_eq!(net.node_count(), 5);
        assert_eq!(net.edge_count(), 8);
        assert_eq!(out.crossings, 1);
        // The junction is the node with four out-edges, at the crossing point.
        let j = (0..5)
            .map(NodeId::from_index)
            .find(|&n| net.out_edges(n).len() == 4)
            .unwrap();
        assert!((net.node(j).lon - 121.01).abs() < 1e-7 && (net.node(j).lat - 41.0).abs() < 1e-7);
    }

    #[test]
    fn a_separated_street_crossing_is_a_flyover_but_a_ramp_end_joins() {
        let input = BuildInput {
            streets: vec![
                street("xway", Grade::Separated, &[(121.0, 41.0), (121.02, 41.0)]),
                street("ns", Grade::AtGrade, &[(121.01, 40.99), (121.01, 41.01)]),
                // Ramp from the N-S street (at 41.005) to the expressway (at 121.015): its
                // ends lie 0 m and ~5 m from the two roads.
                street(
                    "ramp",
                    Grade::AtGrade,
                    &[(121.01, 41.005), (121.015, 41.00004)],
                ),
            ],
            rivers: vec![],
        };
        let out = build_network(&input, "t").unwrap();
        assert_eq!(out.flyovers, 1);
        assert_eq!(out.crossings, 0);
        let net = out.network;
        // xway: 2 segments (split by the ramp), ns: 2 segments, ramp: 1 → 5 two-way segments.
        assert_eq!(net.edge_count(), 10);
        let scc = petgraph::algo::kosaraju_scc(net.graph());
        assert_eq!(scc.len(), 1, "ramp connects the flyover to the street");
    }

    #[test]
    fn a_river_crossing_becomes_its_own_bridge_edge() {
        let input = BuildInput {
            streets: vec![street(
                "ns",
                Grade::AtGrade,
                &[(121.0, 40.99), (121.0, 41.01)],
            )],
            rivers: vec![RiverSource {
                id: "r".into(),
                name_zh: "河".into(),
                name_en: "River".into(),
                bridge_half_m: 50.0,
                source: "estimate:test".into(),
                line: vec![Coord { x: 120.99, y: 41.0 }, Coord { x: 121.01, y: 41.0 }],
            }],
        };
        let out = build_network(&input, "t").unwrap();
        let net = out.network;
        assert_eq!(out.bridges.len(), 1);
        assert_eq!(net.edge_count(), 6);
        let bridges: Vec<_> = net.edges().iter().filter(|e| e.bridge).collect();
        assert_eq!(bridges.len(), 2);
        assert!(
            (bridges[0].length_m - 100.0).abs() < 0.5,
            "{}",
            bridges[0].length_m
        );
        // Non-bridge parts: 0.01° of latitude ≈ 1111 m, minus the 50 m half bridge.
        let other = net.edges().iter().find(|e| !e.bridge).unwrap();
        assert!((other.length_m - 1061.0).abs() < 3.0, "{}", other.length_m);
    }

    #[test]
    fn ends_that_nearly_meet_another_street_join_it() {
        let input = BuildInput {
            streets: vec![
                street("ew", Grade::AtGrade, &[(121.0, 41.0), (121.02, 41.0)]),
                // Stops 11 m short of the E-W street.
                street("t", Grade::AtGrade, &[(121.01, 41.01), (121.01, 41.0001)]),
            ],
            rivers: vec![],
        };
        let out = build_network(&input, "t").unwrap();
        assert_eq!(out.end_joins, 1);
        assert_eq!(out.network.node_count(), 4);
        assert_eq!(petgraph::algo::kosaraju_scc(out.network.graph()).len(), 1);
    }

    /// `rows` E-W streets crossing `cols` N-S streets, every street sticking out past the last
    /// crossing: (rows·cols) junctions + 2·(rows + cols) dead ends, and each street split into
    /// (crossings + 1) segments.
    fn grid(rows: usize, cols: usize, spacing: f64, jitter: &[f64]) -> BuildInput {
        let j = |i: usize| jitter.get(i % jitter.len().max(1)).copied().unwrap_or(0.0);
        let mut streets = Vec::new();
        let span = spacing * (rows.max(cols) as f64 + 1.0);
        for r in 0..rows {
            let y = 41.0 + spacing * (r as f64 + 1.0) + j(r);
            streets.push(street(
                &format!("r{r}"),
                Grade::AtGrade,
                &[(121.0, y), (121.0 + span, y)],
            ));
        }
        for c in 0..cols {
            let x = 121.0 + spacing * (c as f64 + 1.0) + j(c + rows);
            streets.push(street(
                &format!("c{c}"),
                Grade::AtGrade,
                &[(x, 41.0), (x, 41.0 + span)],
            ));
        }
        BuildInput {
            streets,
            rivers: vec![],
        }
    }

    #[test]
    fn a_grid_has_the_junctions_and_segments_one_counts_by_hand() {
        let out = build_network(&grid(3, 4, 0.005, &[0.0]), "grid").unwrap();
        let net = out.network;
        assert_eq!(out.crossings, 12);
        assert_eq!(net.node_count(), 12 + 2 * 7);
        // 3 rows × 5 segments + 4 columns × 4 segments, both directions.
        assert_eq!(net.edge_count(), 2 * (3 * 5 + 4 * 4));
        assert_eq!(petgraph::algo::kosaraju_scc(net.graph()).len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn grids_of_any_size_split_exactly_at_their_crossings(
            rows in 1usize..6,
            cols in 1usize..6,
            jitter in proptest::collection::vec(-0.001f64..0.001, 1..8),
        ) {
            let out = build_network(&grid(rows, cols, 0.005, &jitter), "grid").unwrap();
            let net = &out.network;
            proptest::prop_assert_eq!(out.crossings, rows * cols);
            proptest::prop_assert_eq!(net.node_count(), rows * cols + 2 * (rows + cols));
            proptest::prop_assert_eq!(
                net.edge_count(),
                2 * (rows * (cols + 1) + cols * (rows + 1))
            );
            // Splitting keeps the total length of every street.
            let total: f64 = net.edges().iter().map(|e| e.length_m).sum::<f64>() / 2.0;
            let drawn: f64 = grid(rows, cols, 0.005, &jitter)
                .streets
                .iter()
                .map(|s| geodesic_length_m(&LineString::from(s.line.clone())))
                .sum();
            proptest::prop_assert!((total - drawn).abs() < 0.05 * net.edge_count() as f64);
        }
    }

    #[test]
    fn bad_coordinates_are_reported() {
        assert!(parse_coords("121.0 41.0;121.1").is_err());
        assert!(parse_coords("121.0 x").is_err());
        assert!(parse_coords("200 41").is_err());
        assert_eq!(parse_coords("121 41; 121.5 41.5").unwrap().len(), 2);
    }
}
