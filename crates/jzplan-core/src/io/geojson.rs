//! jzplan's network GeoJSON format, and the embedded Jinzhou network.
//!
//! # Format (`jzplan-network/1`)
//! An RFC 7946 `FeatureCollection` (WGS84 lon/lat) with one `LineString` Feature per road
//! **segment**: a two-way segment (`"oneway": false`) is one Feature that stands for two
//! directed edges, `edge_id` (drawn direction, `from_node` → `to_node`) and `twin_edge_id =
//! edge_id + 1` (the reverse); a one-way segment (`"oneway": true`) is one directed edge and has
//! `"twin_edge_id": null`. Features are in edge-id order, so reading assigns exactly the ids
//! that were written. The Feature `id` is the segment index.
//!
//! Properties (all required except `planned`, which defaults to `false`):
//! `edge_id`, `twin_edge_id`, `from_node`, `to_node` (integers), `way_id`, `name_zh`,
//! `name_en` (strings; a `way_id` always carries the same names), `class` (`expressway`,
//! `trunk`, `primary`, `secondary`, `tertiary`, `residential`, `service`, `ramp`),
//! `length_m`, `speed_kmh`, `capacity_vph` (numbers, per direction), `lanes` (integer, per
//! direction), `oneway`, `bridge`, `tunnel`, `planned` (booleans), `source` (non-empty).
//!
//! Nodes are not listed separately: node `n` sits at the first position of every geometry
//! whose `from_node` is `n` and at the last position of every geometry whose `to_node` is `n`,
//! and those positions must be exactly equal. Node ids are dense (`0..N`). Numbers are written
//! in Rust's shortest round-trip form, so a written network reads back bit for bit.

use crate::network::{EdgeSpec, NetworkBuilder, RoadClass, RoadNetwork};
use crate::{Error, Result};
use geo_types::{Coord, LineString};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Format tag written as the `format` foreign member.
pub const FORMAT: &str = "jzplan-network/1";

/// One Feature of the format, decoded.
#[derive(Clone, Debug, PartialEq)]
struct Segment {
    from: u32,
    to: u32,
    way_id: String,
    name_zh: String,
    name_en: String,
    class: RoadClass,
    length_m: f64,
    speed_kmh: f32,
    lanes: u8,
    capacity_vph: f32,
    oneway: bool,
    bridge: bool,
    tunnel: bool,
    planned: bool,
    source: String,
    geometry: Vec<Coord<f64>>,
}

/// A decoded file: node coordinates by id and the segments in order.
#[derive(Clone, Debug)]
struct Parsed {
    nodes: Vec<Coord<f64>>,
    segments: Vec<Segment>,
}

type Located = (String, String); // (location, message)

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct Props<'a> {
    loc: String,
    map: &'a Map<String, Value>,
}

impl Props<'_> {
    fn err(&self, field: &str, msg: impl std::fmt::Display) -> Located {
        (self.loc.clone(), format!("field '{field}': {msg}"))
    }
    fn get(&self, field: &str) -> std::result::Result<&Value, Located> {
        self.map
            .get(field)
            .ok_or_else(|| self.err(field, "missing"))
    }
    fn num(&self, field: &str) -> std::result::Result<f64, Located> {
        match self.get(field)? {
            Value::Number(n) => n
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| self.err(field, "not a finite number")),
            v => Err(self.err(field, format!("expected a number, found {}", kind(v)))),
        }
    }
    fn uint(&self, field: &str, max: u64) -> std::result::Result<u64, Located> {
        match self.get(field)? {
            Value::Number(n) => match n.as_u64() {
                Some(x) if x <= max => Ok(x),
                _ => Err(self.err(
                    field,
                    format!("expected an integer in 0..={max}, found {n}"),
                )),
            },
            v => Err(self.err(field, format!("expected an integer, found {}", kind(v)))),
        }
    }
    fn boolean(&self, field: &str) -> std::result::Result<bool, Located> {
        match self.get(field)? {
            Value::Bool(b) => Ok(*b),
            v => Err(self.err(field, format!("expected true/false, found {}", kind(v)))),
        }
    }
}

/// Decodes a position array `[lon, lat]` (extra elements such as z are ignored).
fn position(v: &Value) -> Option<Coord<f64>> {
    let a = v.as_array()?;
    if a.len() < 2 {
        return None;
    }
    Some(Coord {
        x: a[0].as_f64()?,
        y: a[1].as_f64()?,
    })
}

/// The properties and geometry of one Feature once their JSON types are right; the meaning is
/// checked by [`Assembler::accept`], whichever decoder produced them.
struct Fields<'a> {
    edge_id: u64,
    /// `None` = `null`.
    twin_edge_id: Option<u64>,
    from_node: u64,
    to_node: u64,
    way_id: Cow<'a, str>,
    name_zh: Cow<'a, str>,
    name_en: Cow<'a, str>,
    class: Cow<'a, str>,
    length_m: f64,
    speed_kmh: f64,
    lanes: u64,
    capacity_vph: f64,
    oneway: bool,
    bridge: bool,
    tunnel: bool,
    planned: bool,
    source: Cow<'a, str>,
    geometry: Vec<Coord<f64>>,
}

/// Checks features in order and collects nodes and segments.
#[derive(Default)]
struct Assembler {
    nodes: Vec<Option<Coord<f64>>>,
    segments: Vec<Segment>,
    streets: HashMap<String, (String, String)>,
    next_edge: u64,
    n_features: usize,
}

impl Assembler {
    fn accept(&mut self, i: usize, f: Fields<'_>) -> std::result::Result<(), Located> {
        let err =
            |field: &str, msg: String| (format!("feature {i}"), format!("field '{field}': {msg}"));
        if f.edge_id != self.next_edge {
            return Err(err(
                "edge_id",
                format!(
                    "is {}, expected {} (features must be in edge-id order)",
                    f.edge_id, self.next_edge
                ),
            ));
        }
        match (f.oneway, f.twin_edge_id) {
            (true, None) => {}
            (true, Some(_)) => {
                return Err(err(
                    "twin_edge_id",
                    "must be null on a one-way segment".into(),
                ));
            }
            (false, Some(t)) if t == f.edge_id + 1 => {}
            (false, t) => {
                return Err(err(
                    "twin_edge_id",
                    format!(
                        "must be {} on a two-way segment, found {}",
                        f.edge_id + 1,
                        t.map_or("null".to_string(), |t| t.to_string())
                    ),
                ));
            }
        }
        if f.edge_id + 2 > u32::MAX as u64 {
            return Err(err("edge_id", "too large".into()));
        }
        self.next_edge += if f.oneway { 1 } else { 2 };
        if f.geometry.len() < 2 {
            return Err(err(
                "geometry.coordinates",
                "needs at least 2 positions".into(),
            ));
        }
        if let Some(c) = f
            .geometry
            .iter()
            .find(|c| !crate::network::geom::valid_lon_lat(c.x, c.y))
        {
            return Err(err(
                "geometry.coordinates",
                format!("position {},{} is not a valid WGS84 lon/lat", c.x, c.y),
            ));
        }
        let (first, last) = (f.geometry[0], f.geometry[f.geometry.len() - 1]);
        for (field, id, at) in [
            ("from_node", f.from_node, first),
            ("to_node", f.to_node, last),
        ] {
            let k = id as usize;
            if id >= u32::MAX as u64 || k > 10 * self.n_features + 10 {
                return Err(err(
                    field,
                    format!("node id {id} is far beyond the node count"),
                ));
            }
            if k >= self.nodes.len() {
                self.nodes.resize(k + 1, None);
            }
            match self.nodes[k] {
                None => self.nodes[k] = Some(at),
                Some(c) if c == at => {}
                Some(c) => {
                    return Err(err(
                        field,
                        format!(
                            "node {id} is at {},{} here but at {},{} in an earlier feature",
                            at.x, at.y, c.x, c.y
                        ),
                    ));
                }
            }
        }
        match self.streets.get(f.way_id.as_ref()) {
            Some((zh, en)) if *zh != f.name_zh || *en != f.name_en => {
                return Err(err(
                    "name_zh",
                    format!(
                        "way '{}' is named '{}'/'{}' here but '{zh}'/'{en}' earlier",
                        f.way_id, f.name_zh, f.name_en
                    ),
                ));
            }
            Some(_) => {}
            None => {
                self.streets.insert(
                    f.way_id.to_string(),
                    (f.name_zh.to_string(), f.name_en.to_string()),
                );
            }
        }
        let class = RoadClass::parse(&f.class)
            .ok_or_else(|| err("class", format!("'{}' is not a road class", f.class)))?;
        if !(f.length_m.is_finite() && f.length_m >= 0.0) {
            return Err(err("length_m", "must be a finite number >= 0".into()));
        }
        if !(f.speed_kmh > 0.0 && f.speed_kmh <= 200.0) {
            return Err(err(
                "speed_kmh",
                format!("{} is not in (0, 200]", f.speed_kmh),
            ));
        }
        if !(1..=255).contains(&f.lanes) {
            return Err(err("lanes", format!("{} is not in 1..=255", f.lanes)));
        }
        if !(f.capacity_vph.is_finite() && f.capacity_vph > 0.0) {
            return Err(err("capacity_vph", "must be > 0".into()));
        }
        if f.source.trim().is_empty() {
            return Err(err(
                "source",
                "is empty (every record needs its provenance)".into(),
            ));
        }
        self.segments.push(Segment {
            from: f.from_node as u32,
            to: f.to_node as u32,
            way_id: f.way_id.into_owned(),
            name_zh: f.name_zh.into_owned(),
            name_en: f.name_en.into_owned(),
            class,
            length_m: f.length_m,
            speed_kmh: f.speed_kmh as f32,
            lanes: f.lanes as u8,
            capacity_vph: f.capacity_vph as f32,
            oneway: f.oneway,
            bridge: f.bridge,
            tunnel: f.tunnel,
            planned: f.planned,
            source: f.source.into_owned(),
            geometry: f.geometry,
        });
        Ok(())
    }

    fn finish(self) -> std::result::Result<Parsed, Located> {
        let nodes = self
            .nodes
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                n.ok_or_else(|| {
                    (
                        "document".to_string(),
                        format!("node ids must be dense: node {i} is used by no feature"),
                    )
                })
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Parsed {
            nodes,
            segments: self.segments,
        })
    }
}

/// The fast decoder: typed serde structs borrowing from the text. Any failure (a wrong type,
/// a missing field, a z coordinate) sends the caller to [`parse_value`], which either accepts
/// the file too or names the feature and field.
mod typed {
    use serde::Deserialize;
    use std::borrow::Cow;

    #[derive(Deserialize)]
    pub(super) struct Collection<'a> {
        #[serde(rename = "type", borrow)]
        pub ty: Cow<'a, str>,
        #[serde(borrow)]
        pub features: Vec<Feature<'a>>,
    }

    #[derive(Deserialize)]
    pub(super) struct Feature<'a> {
        #[serde(borrow)]
        pub properties: Props<'a>,
        #[serde(borrow)]
        pub geometry: Geometry<'a>,
    }

    #[derive(Deserialize)]
    pub(super) struct Geometry<'a> {
        #[serde(rename = "type", borrow)]
        pub ty: Cow<'a, str>,
        pub coordinates: Vec<[f64; 2]>,
    }

    #[derive(Deserialize)]
    pub(super) struct Props<'a> {
        pub edge_id: u64,
        /// Required (null or a number): `serde_json::Value` does not default when missing.
        pub twin_edge_id: serde_json::Value,
        pub from_node: u64,
        pub to_node: u64,
        #[serde(borrow)]
        pub way_id: Cow<'a, str>,
        #[serde(borrow)]
        pub name_zh: Cow<'a, str>,
        #[serde(borrow)]
        pub name_en: Cow<'a, str>,
        #[serde(borrow)]
        pub class: Cow<'a, str>,
        pub length_m: f64,
        pub speed_kmh: f64,
        pub lanes: u64,
        pub capacity_vph: f64,
        pub oneway: bool,
        pub bridge: bool,
        pub tunnel: bool,
        #[serde(default)]
        pub planned: bool,
        #[serde(borrow)]
        pub source: Cow<'a, str>,
    }
}

fn parse_typed(text: &str) -> Option<std::result::Result<Parsed, Located>> {
    let fc: typed::Collection<'_> = serde_json::from_str(text).ok()?;
    if fc.ty != "FeatureCollection" || fc.features.is_empty() {
        return None;
    }
    let mut a = Assembler {
        n_features: fc.features.len(),
        ..Default::default()
    };
    a.segments.reserve(fc.features.len());
    for (i, f) in fc.features.into_iter().enumerate() {
        if f.geometry.ty != "LineString" {
            return None;
        }
        let p = f.properties;
        let twin_edge_id = match p.twin_edge_id {
            Value::Null => None,
            Value::Number(n) => Some(n.as_u64()?),
            _ => return None,
        };
        let fields = Fields {
            edge_id: p.edge_id,
            twin_edge_id,
            from_node: p.from_node,
            to_node: p.to_node,
            way_id: p.way_id,
            name_zh: p.name_zh,
            name_en: p.name_en,
            class: p.class,
            length_m: p.length_m,
            speed_kmh: p.speed_kmh,
            lanes: p.lanes,
            capacity_vph: p.capacity_vph,
            oneway: p.oneway,
            bridge: p.bridge,
            tunnel: p.tunnel,
            planned: p.planned,
            source: p.source,
            geometry: f
                .geometry
                .coordinates
                .iter()
                .map(|c| Coord { x: c[0], y: c[1] })
                .collect(),
        };
        if let Err(e) = a.accept(i, fields) {
            return Some(Err(e));
        }
    }
    Some(a.finish())
}

fn parse_text(text: &str) -> std::result::Result<Parsed, Located> {
    match parse_typed(text) {
        Some(r) => r,
        None => parse_value(text),
    }
}

/// The diagnosing decoder: walks a `serde_json::Value` so that every error names the feature
/// and the field.
fn parse_value(text: &str) -> std::result::Result<Parsed, Located> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        (
            format!("line {} column {}", e.line(), e.column()),
            format!("not valid JSON: {e}"),
        )
    })?;
    let whole = |m: &str| ("document".to_string(), m.to_string());
    let obj = root
        .as_object()
        .ok_or_else(|| whole("the top level must be a GeoJSON FeatureCollection object"))?;
    if obj.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(whole("field 'type' must be \"FeatureCollection\""));
    }
    let features = obj
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| whole("field 'features' must be an array"))?;
    if features.is_empty() {
        return Err(whole(
            "the FeatureCollection has no features (empty network)",
        ));
    }
    // A GeoJSON without our format tag whose first feature has no node ids is some other line
    // layer: say so, so that `read_network_file` can read it through GDAL instead.
    let tagged = obj.get("format").and_then(Value::as_str) == Some(FORMAT);
    let has_nodes = features[0]
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key("from_node") && p.contains_key("edge_id"));
    if !tagged && !has_nodes {
        return Err((
            "file".to_string(),
            format!(
                "{}: no \"format\":\"{FORMAT}\" member and feature 0 has no from_node/edge_id",
                super::NOT_A_JZPLAN_NETWORK
            ),
        ));
    }
    let mut a = Assembler {
        n_features: features.len(),
        ..Default::default()
    };
    for (i, f) in features.iter().enumerate() {
        let loc = format!("feature {i}");
        let fobj = f.as_object().ok_or_else(|| {
            (
                loc.clone(),
                format!("expected an object, found {}", kind(f)),
            )
        })?;
        let map = match fobj.get("properties") {
            Some(Value::Object(m)) => m,
            Some(v) => {
                return Err((
                    loc,
                    format!("field 'properties': expected an object, found {}", kind(v)),
                ));
            }
            None => return Err((loc, "field 'properties': missing".into())),
        };
        let p = Props { loc, map };
        let geometry = match fobj.get("geometry") {
            Some(Value::Object(g)) => {
                if g.get("type").and_then(Value::as_str) != Some("LineString") {
                    return Err(p.err("geometry", "must be a LineString"));
                }
                let coords = g
                    .get("coordinates")
                    .and_then(Value::as_array)
                    .ok_or_else(|| p.err("geometry.coordinates", "must be an array"))?;
                let pts: Option<Vec<Coord<f64>>> = coords.iter().map(position).collect();
                pts.ok_or_else(|| {
                    p.err(
                        "geometry.coordinates",
                        "every position must be an array [lon, lat] of numbers",
                    )
                })?
            }
            Some(v) => {
                return Err(p.err("geometry", format!("expected an object, found {}", kind(v))));
            }
            None => return Err(p.err("geometry", "missing")),
        };
        let twin_edge_id = match p.get("twin_edge_id")? {
            Value::Null => None,
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            v => {
                return Err(p.err(
                    "twin_edge_id",
                    format!("expected an integer or null, found {v}"),
                ));
            }
        };
        let str_field = |field: &str| -> std::result::Result<Cow<'_, str>, Located> {
            match p.get(field)? {
                Value::String(s) => Ok(Cow::Borrowed(s.as_str())),
                v => Err(p.err(field, format!("expected a string, found {}", kind(v)))),
            }
        };
        let fields = Fields {
            edge_id: p.uint("edge_id", u32::MAX as u64)?,
            twin_edge_id,
            from_node: p.uint("from_node", u32::MAX as u64 - 1)?,
            to_node: p.uint("to_node", u32::MAX as u64 - 1)?,
            way_id: str_field("way_id")?,
            name_zh: str_field("name_zh")?,
            name_en: str_field("name_en")?,
            class: str_field("class")?,
            length_m: p.num("length_m")?,
            speed_kmh: p.num("speed_kmh")?,
            lanes: p.uint("lanes", 255)?,
            capacity_vph: p.num("capacity_vph")?,
            oneway: p.boolean("oneway")?,
            bridge: p.boolean("bridge")?,
            tunnel: p.boolean("tunnel")?,
            planned: match map.get("planned") {
                None => false,
                Some(_) => p.boolean("planned")?,
            },
            source: str_field("source")?,
            geometry,
        };
        a.accept(i, fields)?;
    }
    a.finish()
}

fn to_network(p: &Parsed, origin: &str) -> Result<RoadNetwork> {
    let mut b = NetworkBuilder::new(origin);
    b.reserve(p.nodes.len(), p.segments.len() * 2);
    for c in &p.nodes {
        b.add_node(c.x, c.y)?;
    }
    for s in &p.segments {
        let street = b.add_street(&s.way_id, &s.name_zh, &s.name_en);
        let mut spec = EdgeSpec::new(
            crate::network::NodeId(s.from),
            crate::network::NodeId(s.to),
            street,
            s.class,
            &s.source,
        );
        spec.length_m = Some(s.length_m);
        spec.speed_kmh = Some(s.speed_kmh);
        spec.lanes = Some(s.lanes);
        spec.capacity_vph = Some(s.capacity_vph);
        spec.bridge = s.bridge;
        spec.tunnel = s.tunnel;
        spec.planned = s.planned;
        spec.geometry = Some(LineString::from(s.geometry.clone()));
        b.add_road(spec, s.oneway)?;
    }
    b.build()
}

/// Parses network GeoJSON text; errors name `path` (used only in messages), the feature index
/// and the field. A GeoJSON that is not in this format (no `format` tag and no node ids on its
/// first feature) gives the [`super::not_jzplan_network`] error.
pub fn parse_network(text: &str, path: &Path) -> Result<RoadNetwork> {
    let parsed = parse_text(text).map_err(|(loc, msg)| Error::file(path, loc, msg))?;
    to_network(&parsed, &path.display().to_string())
}

/// Reads a network GeoJSON file.
pub fn read_network(path: &Path) -> Result<RoadNetwork> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_network(&text, path)
}

/// Appends a float in Rust's shortest round-trip form (never exponent notation).
pub(crate) fn push_num(out: &mut String, v: f64) {
    let _ = write!(out, "{v}");
}

/// Appends a JSON string literal.
pub(crate) fn push_str(out: &mut String, s: &str) {
    out.push_str(&Value::String(s.to_string()).to_string());
}

/// Appends `[[lon,lat],…]`.
pub(crate) fn push_coords(out: &mut String, pts: &[Coord<f64>]) {
    out.push('[');
    for (i, c) in pts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        push_num(out, c.x);
        out.push(',');
        push_num(out, c.y);
        out.push(']');
    }
    out.push(']');
}

/// Writes a network as `jzplan-network/1` GeoJSON text (one line per Feature). A pair of twin
/// edges with consecutive ids and identical attributes becomes one two-way Feature; every
/// other edge is written as a one-way Feature (a network from another reader whose twins are
/// not adjacent loses only the twin link, not any edge).
pub fn network_to_geojson(net: &RoadNetwork) -> String {
    let mut out = String::with_capacity(net.edge_count() * 400);
    let _ = writeln!(
        out,
        "{{\"type\":\"FeatureCollection\",\"format\":\"{FORMAT}\",\"node_count\":{},\"edge_count\":{},\"features\":[",
        net.node_count(),
        net.edge_count()
    );
    let edges = net.edges();
    let mut i = 0;
    let mut seg = 0usize;
    while i < edges.len() {
        let e = &edges[i];
        let two_way = match e.twin {
            Some(t) if t.index() == i + 1 => {
                let r = &edges[i + 1];
                r.twin.map(|x| x.index()) == Some(i)
                    && r.from == e.to
                    && r.to == e.from
                    && r.street == e.street
                    && r.class == e.class
                    && r.length_m == e.length_m
                    && r.speed_kmh == e.speed_kmh
                    && r.lanes == e.lanes
                    && r.capacity_vph == e.capacity_vph
                    && r.bridge == e.bridge
                    && r.tunnel == e.tunnel
                    && r.planned == e.planned
                    && r.source == e.source
                    && r.geometry.0.iter().rev().eq(e.geometry.0.iter())
            }
            _ => false,
        };
        if seg > 0 {
            out.push_str(",\n");
        }
        let st = net.street(e.street);
        let _ = write!(
            out,
            "{{\"type\":\"Feature\",\"id\":{seg},\"properties\":{{\"edge_id\":{i},\"twin_edge_id\":"
        );
        if two_way {
            let _ = write!(out, "{}", i + 1);
        } else {
            out.push_str("null");
        }
        let _ = write!(
            out,
            ",\"from_node\":{},\"to_node\":{},\"way_id\":",
            e.from, e.to
        );
        push_str(&mut out, &st.way_id);
        out.push_str(",\"name_zh\":");
        push_str(&mut out, &st.name_zh);
        out.push_str(",\"name_en\":");
        push_str(&mut out, &st.name_en);
        let _ = write!(out, ",\"class\":\"{}\",\"length_m\":", e.class);
        push_num(&mut out, e.length_m);
        out.push_str(",\"speed_kmh\":");
        push_num(&mut out, e.speed_kmh as f64);
        let _ = write!(out, ",\"lanes\":{},\"capacity_vph\":", e.lanes);
        push_num(&mut out, e.capacity_vph as f64);
        let _ = write!(
            out,
            ",\"oneway\":{},\"bridge\":{},\"tunnel\":{},\"planned\":{},\"source\":",
            !two_way, e.bridge, e.tunnel, e.planned
        );
        push_str(&mut out, &e.source);
        out.push_str("},\"geometry\":{\"type\":\"LineString\",\"coordinates\":");
        // Endpoints are written from the node table so that they match it exactly.
        let mut pts = e.geometry.0.clone();
        let n = pts.len();
        let (a, b) = (net.node(e.from), net.node(e.to));
        pts[0] = Coord { x: a.lon, y: a.lat };
        pts[n - 1] = Coord { x: b.lon, y: b.lat };
        push_coords(&mut out, &pts);
        out.push_str("}}");
        seg += 1;
        i += if two_way { 2 } else { 1 };
    }
    out.push_str("\n]}\n");
    out
}

/// Writes a network GeoJSON file.
pub fn write_network(net: &RoadNetwork, path: &Path) -> Result<()> {
    std::fs::write(path, network_to_geojson(net)).map_err(|e| Error::io(path, e))
}

/// The embedded Jinzhou network file (`data/jinzhou/network.geojson`, built by
/// `jzplan data build`).
pub const JINZHOU_NETWORK_GEOJSON: &str = include_str!("../../../../data/jinzhou/network.geojson");

/// Where errors in the embedded file point.
const EMBEDDED: &str = "embedded:data/jinzhou/network.geojson";

fn jinzhou_parsed() -> Result<&'static Parsed> {
    static PARSED: OnceLock<std::result::Result<Parsed, Located>> = OnceLock::new();
    PARSED
        .get_or_init(|| parse_text(JINZHOU_NETWORK_GEOJSON))
        .as_ref()
        .map_err(|(loc, msg)| Error::file(PathBuf::from(EMBEDDED), loc.clone(), msg.clone()))
}

/// The embedded Jinzhou network (an approximate, estimated network: see data/jinzhou/README.md).
/// The JSON is parsed once per process; each call assembles a fresh `RoadNetwork` from the
/// parsed records (a few milliseconds), so callers own and may modify it.
pub fn jinzhou_network() -> Result<RoadNetwork> {
    to_network(jinzhou_parsed()?, "embedded:jinzhou")
}

/// The embedded Jinzhou network, built once and shared.
pub fn jinzhou_network_shared() -> Result<Arc<RoadNetwork>> {
    static NET: OnceLock<std::result::Result<Arc<RoadNetwork>, String>> = OnceLock::new();
    NET.get_or_init(|| jinzhou_network().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|m| Error::file(PathBuf::from(EMBEDDED), "network", m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NodeId;

    fn tiny() -> RoadNetwork {
        let mut b = NetworkBuilder::new("t");
        let a = b.add_node(121.1, 41.1).unwrap();
        let c = b.add_node(121.11, 41.1).unwrap();
        let d = b.add_node(121.11, 41.105).unwrap();
        let s = b.add_street("jz:a", "甲路", "A Road");
        let mut spec = EdgeSpec::new(a, c, s, RoadClass::Primary, "estimate:test");
        spec.bridge = true;
        b.add_road(spec, false).unwrap();
        let t = b.add_street("jz:b", "乙街", "B \"Street\"");
        b.add_road(
            EdgeSpec::new(c, d, t, RoadClass::Residential, "estimate:t"),
            true,
        )
        .unwrap();
        b.build().unwrap()
    }

    #[test]
    fn round_trips_bit_for_bit() {
        let net = tiny();
        let text = network_to_geojson(&net);
        let back = parse_network(&text, Path::new("mem")).unwrap();
        assert_eq!(back.node_count(), 3);
        assert_eq!(back.edges(), net.edges());
        assert_eq!(back.streets(), net.streets());
        assert_eq!(network_to_geojson(&back), text);
        assert_eq!(back.edge(crate::network::EdgeId(0)).from, NodeId(0));
        // The fast decoder takes well-formed files (the diagnosing one is only for errors).
        assert!(matches!(parse_typed(&text), Some(Ok(_))));
        assert!(matches!(parse_typed(JINZHOU_NETWORK_GEOJSON), Some(Ok(_))));
    }

    fn expect_err(text: &str, loc: &str, field: &str) {
        match parse_network(text, Path::new("bad.geojson")) {
            Err(Error::InvalidFile {
                path,
                location,
                message,
            }) => {
                assert_eq!(path, Path::new("bad.geojson"));
                assert!(location.contains(loc), "{location} / {message}");
                assert!(message.contains(field), "{location} / {message}");
            }
            other => panic!("expected InvalidFile, got {other:?}"),
        }
    }

    #[test]
    fn malformed_files_name_feature_and_field() {
        let good = network_to_geojson(&tiny());
        expect_err("{not json", "line 1", "JSON");
        expect_err("", "line 1", "JSON");
        expect_err("[]", "document", "FeatureCollection");
        let other = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":null}]}"#;
        let e = parse_network(other, Path::new("o.geojson")).unwrap_err();
        assert!(crate::io::is_not_jzplan_network(&e), "{e}");
        expect_err(
            r#"{"type":"FeatureCollection","features":[]}"#,
            "document",
            "no features",
        );
        expect_err(&good.replace("\"lanes\":1,", ""), "feature 1", "'lanes'");
        expect_err(
            &good.replace("\"length_m\":", "\"length_m\":\"x\",\"_\":"),
            "feature 0",
            "'length_m': expected a number, found a string",
        );
        expect_err(
            &good.replace("\"bridge\":true", "\"bridge\":1"),
            "feature 0",
            "'bridge'",
        );
        expect_err(
            &good.replace("\"primary\"", "\"footway\""),
            "feature 0",
            "'class'",
        );
        expect_err(
            &good.replace("\"source\":\"estimate:t\"", "\"source\":\" \""),
            "feature 1",
            "'source'",
        );
        // Node 1 moved in its second use.
        expect_err(
            &good.replace(
                "[[121.11,41.1],[121.11,41.105]]",
                "[[121.12,41.1],[121.11,41.105]]",
            ),
            "feature 1",
            "'from_node'",
        );
    }
}
