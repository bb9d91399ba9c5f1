//! The reader: road networks from any OGR line layer, with an attribute mapping, or exactly
//! from a layer that jzplan exported.

use super::feature::{feature_lines, feature_loc, field_text, geometry_type_name, is_line_type};
use super::quiet_gdal;
use super::read_export::{read_export, read_export_nodes};
use super::write::ROADS_LAYER;
use crate::attrs::{self, DirAttrs, Oneway, Segment};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{LayerAccess, OGRwkbGeometryType};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo_types::{Coord, LineString};
use jzplan_core::network::{NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan_core::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

/// Which field of a layer holds which road attribute. `None` means: use the first field
/// named like the usual candidates (case-insensitive), if any; see [`FieldMapping::parse`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMapping {
    /// Way/street id (candidates: `way_id`, `osm_id`, `id`); default `<file>#<fid>`.
    pub id: Option<String>,
    /// Name in any language; goes to `name_zh` if it contains CJK characters, else `name_en`
    /// (candidates: `name`).
    pub name: Option<String>,
    /// Chinese name (`name_zh`, `name:zh`).
    pub name_zh: Option<String>,
    /// English name (`name_en`, `name:en`).
    pub name_en: Option<String>,
    /// Lanes: the total of both directions (OSM convention) unless
    /// [`GdalReadOptions::lanes_per_direction`] (`lanes`).
    pub lanes: Option<String>,
    /// Speed in km/h, or text like `50 mph` (`speed_kmh`, `maxspeed`, `speed`).
    pub speed: Option<String>,
    /// One-way flag: yes/no/1/0/-1/true/false/T/F (`oneway`).
    pub oneway: Option<String>,
    /// Road class: jzplan names or OSM `highway` values (`class`, `highway`, `fclass`).
    pub class: Option<String>,
    /// Bridge flag (`bridge`).
    pub bridge: Option<String>,
    /// Tunnel flag (`tunnel`).
    pub tunnel: Option<String>,
    /// Capacity per direction, veh/h (`capacity_vph`, `capacity`).
    pub capacity: Option<String>,
    /// Provenance (`source`); default `file:<file name>`.
    pub source: Option<String>,
    /// Planned, not built (`planned`): such a road is a planned link, closed until a work
    /// opens it, as in jzplan's own `roads` layer.
    pub planned: Option<String>,
}

/// The mapping keys that [`FieldMapping::parse`] accepts.
pub const MAPPING_KEYS: [&str; 13] = [
    "id", "name", "name_zh", "name_en", "lanes", "speed", "oneway", "class", "bridge", "tunnel",
    "capacity", "source", "planned",
];

impl FieldMapping {
    /// Parses `key=FIELD,key=FIELD,…` with keys from [`MAPPING_KEYS`].
    pub fn parse(spec: &str) -> Result<FieldMapping> {
        let mut m = FieldMapping::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("mapping '{part}' is not key=FIELD")))?;
            let (k, v) = (k.trim(), v.trim());
            if v.is_empty() {
                return Err(Error::invalid(format!("mapping '{part}' names no field")));
            }
            let slot = m.slot(k).ok_or_else(|| {
                Error::invalid(format!(
                    "unknown mapping key '{k}'; keys are: {}",
                    MAPPING_KEYS.join(", ")
                ))
            })?;
            *slot = Some(v.to_string());
        }
        Ok(m)
    }

    fn slot(&mut self, key: &str) -> Option<&mut Option<String>> {
        Some(match key {
            "id" => &mut self.id,
            "name" => &mut self.name,
            "name_zh" => &mut self.name_zh,
            "name_en" => &mut self.name_en,
            "lanes" => &mut self.lanes,
            "speed" => &mut self.speed,
            "oneway" => &mut self.oneway,
            "class" => &mut self.class,
            "bridge" => &mut self.bridge,
            "tunnel" => &mut self.tunnel,
            "capacity" => &mut self.capacity,
            "source" => &mut self.source,
            "planned" => &mut self.planned,
            _ => return None,
        })
    }

    /// True when no field is named explicitly.
    pub fn is_empty(&self) -> bool {
        *self == FieldMapping::default()
    }

    fn entries(&self) -> [(&'static str, Option<&str>, &'static [&'static str]); 13] {
        [
            ("id", self.id.as_deref(), &["way_id", "osm_id", "id"]),
            ("name", self.name.as_deref(), &["name"]),
            ("name_zh", self.name_zh.as_deref(), &["name_zh", "name:zh"]),
            ("name_en", self.name_en.as_deref(), &["name_en", "name:en"]),
            ("lanes", self.lanes.as_deref(), &["lanes"]),
            (
                "speed",
                self.speed.as_deref(),
                &["speed_kmh", "maxspeed", "speed"],
            ),
            ("oneway", self.oneway.as_deref(), &["oneway"]),
            (
                "class",
                self.class.as_deref(),
                &["class", "highway", "fclass"],
            ),
            ("bridge", self.bridge.as_deref(), &["bridge"]),
            ("tunnel", self.tunnel.as_deref(), &["tunnel"]),
            (
                "capacity",
                self.capacity.as_deref(),
                &["capacity_vph", "capacity"],
            ),
            ("source", self.source.as_deref(), &["source"]),
            ("planned", self.planned.as_deref(), &["planned"]),
        ]
    }
}

/// Options of [`read_network`].
#[derive(Clone, Debug)]
pub struct GdalReadOptions {
    /// Layer to read; default: `roads` if present, else the first line layer.
    pub layer: Option<String>,
    /// Attribute mapping. With an empty mapping, a layer exported by jzplan is re-read exactly.
    pub mapping: FieldMapping,
    /// Class of features whose class field is missing or empty.
    pub default_class: RoadClass,
    /// The lanes field counts one direction (jzplan convention) instead of both (OSM).
    pub lanes_per_direction: bool,
    /// Also split lines at interior vertices shared with other lines (or with themselves),
    /// for layers whose junctions are not at line ends.
    pub split_at_shared_vertices: bool,
    /// Line ends closer than this (degrees, per axis) are one node.
    pub snap_tolerance_deg: f64,
}

impl Default for GdalReadOptions {
    fn default() -> Self {
        GdalReadOptions {
            layer: None,
            mapping: FieldMapping::default(),
            default_class: RoadClass::Residential,
            lanes_per_direction: false,
            split_at_shared_vertices: false,
            snap_tolerance_deg: 1e-7,
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn open_vector(path: &Path) -> Result<Dataset> {
    quiet_gdal();
    if let Err(e) = std::fs::metadata(path) {
        return Err(Error::io(path, e));
    }
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            ..Default::default()
        },
    )
    .map_err(|e| {
        // GDAL often has no message for "no driver recognises this file".
        let detail = match e.to_string() {
            m if m.ends_with("Error msg: ''") => "unknown format or corrupt file".to_string(),
            m => m,
        };
        Error::file(
            path,
            "file",
            format!("GDAL cannot open it as a vector dataset: {detail}"),
        )
    })
}

/// The names of the layers of a vector file.
pub fn layer_names(path: &Path) -> Result<Vec<String>> {
    let ds = open_vector(path)?;
    Ok(ds.layers().map(|l| l.name()).collect())
}

fn to_wgs84(path: &Path, srs: Option<SpatialRef>) -> Result<Option<CoordTransform>> {
    let Some(mut srs) = srs else {
        return Ok(None);
    };
    // Already WGS84 lon/lat (GeoJSON, our exports): no per-feature PROJ call.
    let code = srs.auth_code().ok();
    let auth = srs.auth_name().unwrap_or_default();
    if (auth == "EPSG" && code == Some(4326))
        || (auth == "OGC" && srs.name().as_deref() == Some("WGS 84 (CRS84)"))
    {
        return Ok(None);
    }
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let mut wgs84 = SpatialRef::from_epsg(4326).map_err(|e| Error::Gdal(e.to_string()))?;
    wgs84.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    CoordTransform::new(&srs, &wgs84).map(Some).map_err(|e| {
        Error::file(
            path,
            "layer",
            format!("no transformation from the layer's CRS to WGS84: {e}"),
        )
    })
}

/// Reads a road network from an OGR line layer; see the module docs for the rules.
pub fn read_network(path: &Path, opts: &GdalReadOptions) -> Result<RoadNetwork> {
    let ds = open_vector(path)?;
    let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
    let mut layer = match &opts.layer {
        Some(name) => ds.layer_by_name(name).map_err(|_| {
            Error::file(
                path,
                format!("layer '{name}'"),
                format!("no such layer; the file has: {}", names.join(", ")),
            )
        })?,
        None => {
            let pick = names
                .iter()
                .position(|n| n == ROADS_LAYER)
                .or_else(|| {
                    ds.layers()
                        .position(|l| l.defn().geom_fields().any(|g| is_line_type(g.field_type())))
                })
                .unwrap_or(0);
            ds.layer(pick)
                .map_err(|_| Error::file(path, "file", "the file has no layers"))?
        }
    };
    let lname = layer.name();
    let lloc = format!("layer '{lname}'");
    if let Some(g) = layer.defn().geom_fields().next() {
        let t = gdal::vector::geometry_type_flatten(g.field_type());
        if t != OGRwkbGeometryType::wkbUnknown && !is_line_type(t) {
            return Err(Error::file(
                path,
                &lloc,
                format!(
                    "layer has {} geometries; jzplan reads LineString and MultiLineString layers",
                    geometry_type_name(t)
                ),
            ));
        }
    }
    if layer.feature_count() == 0 {
        return Err(Error::file(path, &lloc, "layer has no features"));
    }
    let fields: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let ct = to_wgs84(path, layer.spatial_ref())?;
    let has = |n: &str| fields.iter().any(|f| f == n);
    if opts.mapping.is_empty() && has("edge_id") && has("from_node") && has("to_node") {
        tracing::info!(
            "{}: {lloc} is a jzplan export; reading it exactly",
            path.display()
        );
        let nodes = read_export_nodes(path, &ds, ct.as_ref())?;
        return read_export(path, &mut layer, &fields, ct.as_ref(), nodes);
    }
    read_generic(path, &mut layer, &lloc, &fields, ct.as_ref(), opts)
}

// --- generic layers --------------------------------------------------------------------------

struct Resolved {
    idx: [Option<usize>; 13],
    names: [String; 13],
}

fn resolve_mapping(fields: &[String], lname: &str, m: &FieldMapping) -> Result<Resolved> {
    let mut idx = [None; 13];
    let mut names: [String; 13] = Default::default();
    for (k, (key, explicit, candidates)) in m.entries().into_iter().enumerate() {
        let found = match explicit {
            Some(want) => Some(
                fields
                    .iter()
                    .position(|f| f == want)
                    .or_else(|| fields.iter().position(|f| f.eq_ignore_ascii_case(want)))
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "mapping {key}={want}: layer '{lname}' has no field '{want}'; its \
                             fields are: {}",
                            fields.join(", ")
                        ))
                    })?,
            ),
            None => candidates
                .iter()
                .find_map(|c| fields.iter().position(|f| f.eq_ignore_ascii_case(c))),
        };
        if let Some(i) = found {
            idx[k] = Some(i);
            names[k] = fields[i].clone();
        }
    }
    Ok(Resolved { idx, names })
}

const K_ID: usize = 0;
const K_NAME: usize = 1;
const K_NAME_ZH: usize = 2;
const K_NAME_EN: usize = 3;
const K_LANES: usize = 4;
const K_SPEED: usize = 5;
const K_ONEWAY: usize = 6;
const K_CLASS: usize = 7;
const K_BRIDGE: usize = 8;
const K_TUNNEL: usize = 9;
const K_CAPACITY: usize = 10;
const K_SOURCE: usize = 11;
const K_PLANNED: usize = 12;

/// One input line with its parsed attributes, before nodes exist.
struct RawLine {
    way_id: String,
    name_zh: String,
    name_en: String,
    class: RoadClass,
    oneway: Oneway,
    forward: DirAttrs,
    backward: DirAttrs,
    bridge: bool,
    tunnel: bool,
    planned: bool,
    source: String,
    coords: Vec<Coord<f64>>,
}

fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF))
}

fn read_generic(
    path: &Path,
    layer: &mut gdal::vector::Layer<'_>,
    lloc: &str,
    fields: &[String],
    ct: Option<&CoordTransform>,
    opts: &GdalReadOptions,
) -> Result<RoadNetwork> {
    let r = resolve_mapping(fields, &layer.name(), &opts.mapping)?;
    let fname = file_name(path);
    let mut lines: Vec<RawLine> = Vec::new();
    let mut skipped: HashMap<String, usize> = HashMap::new();
    for (ordinal, f) in layer.features().enumerate() {
        let loc = feature_loc(&f, ordinal);
        let get = |k: usize| -> Result<Option<String>> {
            match r.idx[k] {
                Some(i) => field_text(path, &f, i, &r.names[k], &loc),
                None => Ok(None),
            }
        };
        let bad = |k: usize, v: &str, what: &str| {
            Error::file(
                path,
                &loc,
                format!("field '{}' = '{v}' is not {what}", r.names[k]),
            )
        };
        let class = match get(K_CLASS)? {
            None => opts.default_class,
            Some(v) => match RoadClass::parse(&v) {
                Some(c) => c,
                None => {
                    *skipped.entry(v).or_default() += 1;
                    continue;
                }
            },
        };
        let oneway = match get(K_ONEWAY)? {
            None => Oneway::No,
            Some(v) => attrs::parse_oneway(&v).ok_or_else(|| {
                bad(
                    K_ONEWAY,
                    &v,
                    "a oneway value (yes/no/1/0/-1/true/false/T/F)",
                )
            })?,
        };
        let speed_kmh = match get(K_SPEED)? {
            None => None,
            Some(v) => match attrs::parse_speed_kmh(&v) {
                Some(s) => Some(s),
                // Symbolic (`CN:urban`, `none`) and 0 mean "unknown": class default.
                None => match v.parse::<f64>() {
                    Ok(x) if x != 0.0 => return Err(bad(K_SPEED, &v, "a speed in (0, 200] km/h")),
                    _ => None,
                },
            },
        };
        let lanes = match get(K_LANES)? {
            None => None,
            Some(v) => match v.parse::<f64>() {
                // Geofabrik and many GIS tables write 0 for "unknown".
                Ok(0.0) => None,
                _ => {
                    let n = attrs::parse_lanes(&v);
                    Some(n.ok_or_else(|| bad(K_LANES, &v, "a lane count"))?)
                }
            },
        };
        let capacity_vph = match get(K_CAPACITY)? {
            None => None,
            Some(v) => match v.parse::<f32>() {
                Ok(x) if x.is_finite() && x > 0.0 => Some(x),
                _ => return Err(bad(K_CAPACITY, &v, "a capacity > 0 veh/h")),
            },
        };
        let dir_lanes = |lanes: Option<u8>, both: bool| {
            lanes.map(|n| {
                if both && !opts.lanes_per_direction {
                    (n / 2).max(1)
                } else {
                    n
                }
            })
        };
        let d = DirAttrs {
            speed_kmh,
            lanes: dir_lanes(lanes, oneway == Oneway::No),
            capacity_vph,
        };
        let name = get(K_NAME)?.unwrap_or_default();
        let mut name_zh = get(K_NAME_ZH)?.unwrap_or_default();
        let mut name_en = get(K_NAME_EN)?.unwrap_or_default();
        if !name.is_empty() {
            if has_cjk(&name) {
                if name_zh.is_empty() {
                    name_zh = name;
                }
            } else if name_en.is_empty() {
                name_en = name;
            }
        }
        let way_id = match get(K_ID)? {
            Some(v) => v,
            None => format!("{fname}#{}", f.fid().map_or(ordinal as u64, |x| x)),
        };
        let source = get(K_SOURCE)?.unwrap_or_else(|| format!("file:{fname}"));
        let bridge = get(K_BRIDGE)?.is_some_and(|v| attrs::parse_flag(&v));
        let tunnel = get(K_TUNNEL)?.is_some_and(|v| attrs::parse_flag(&v));
        let planned = get(K_PLANNED)?.is_some_and(|v| attrs::parse_flag(&v));
        for coords in feature_lines(path, &f, &loc, ct)? {
            lines.push(RawLine {
                way_id: way_id.clone(),
                name_zh: name_zh.clone(),
                name_en: name_en.clone(),
                class,
                oneway,
                forward: d.clone(),
                backward: d.clone(),
                bridge,
                tunnel,
                planned,
                source: source.clone(),
                coords,
            });
        }
    }
    if !skipped.is_empty() {
        let mut s: Vec<_> = skipped.into_iter().collect();
        s.sort();
        tracing::info!(
            "{}: {lloc}: skipped features whose class is not a road for cars: {}",
            path.display(),
            s.iter()
                .map(|(v, n)| format!("{v} ×{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    build_from_lines(path, lines, opts)
}

/// Gives coordinates that lie within the tolerance of each other one vertex id: a grid of
/// tolerance-sized cells, searching the 3×3 neighbourhood so that close points on either side
/// of a cell border still meet.
struct VertexSnapper {
    tol: f64,
    cells: HashMap<(i64, i64), Vec<u32>>,
    coords: Vec<Coord<f64>>,
}

impl VertexSnapper {
    fn new(tol: f64) -> Self {
        VertexSnapper {
            tol: if tol > 0.0 { tol } else { 1e-12 },
            cells: HashMap::new(),
            coords: Vec::new(),
        }
    }

    fn id(&mut self, c: Coord<f64>) -> u32 {
        let (cx, cy) = (
            (c.x / self.tol).floor() as i64,
            (c.y / self.tol).floor() as i64,
        );
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(ids) = self.cells.get(&(cx + dx, cy + dy)) {
                    for &v in ids {
                        let p = self.coords[v as usize];
                        if (p.x - c.x).abs() <= self.tol && (p.y - c.y).abs() <= self.tol {
                            return v;
                        }
                    }
                }
            }
        }
        let v = self.coords.len() as u32;
        self.coords.push(c);
        self.cells.entry((cx, cy)).or_default().push(v);
        v
    }
}

fn build_from_lines(
    path: &Path,
    lines: Vec<RawLine>,
    opts: &GdalReadOptions,
) -> Result<RoadNetwork> {
    let mut snap = VertexSnapper::new(opts.snap_tolerance_deg);
    let mut vids: Vec<Vec<u32>> = Vec::with_capacity(lines.len());
    for l in &lines {
        let mut ids: Vec<u32> = l.coords.iter().map(|&c| snap.id(c)).collect();
        ids.dedup();
        vids.push(ids);
    }
    // A vertex is a node if it ends a line, or (when splitting) if lines pass it twice.
    let mut uses = vec![0u8; snap.coords.len()];
    for ids in &vids {
        if let (Some(&a), Some(&b)) = (ids.first(), ids.last()) {
            uses[a as usize] = 2;
            uses[b as usize] = 2;
        }
        if opts.split_at_shared_vertices {
            for &v in ids {
                uses[v as usize] = uses[v as usize].saturating_add(1);
            }
        }
    }
    let mut b = NetworkBuilder::new(path.display().to_string());
    let mut node_of = vec![u32::MAX; snap.coords.len()];
    let mut node = |b: &mut NetworkBuilder, v: u32| -> Result<NodeId> {
        if node_of[v as usize] == u32::MAX {
            let c = snap.coords[v as usize];
            node_of[v as usize] = b.add_node(c.x, c.y)?.0;
        }
        Ok(NodeId(node_of[v as usize]))
    };
    for (l, ids) in lines.into_iter().zip(vids) {
        if ids.len() < 2 {
            tracing::debug!(
                "{}: {} collapses to one point; skipped",
                path.display(),
                l.way_id
            );
            continue;
        }
        let street = b.add_street(&l.way_id, &l.name_zh, &l.name_en);
        let mut start = 0;
        for i in 1..ids.len() {
            if i != ids.len() - 1 && uses[ids[i] as usize] < 2 {
                continue;
            }
            let from = node(&mut b, ids[start])?;
            let to = node(&mut b, ids[i])?;
            let geometry: LineString<f64> = ids[start..=i]
                .iter()
                .map(|&v| snap.coords[v as usize])
                .collect();
            attrs::add_segment(
                &mut b,
                Segment {
                    from,
                    to,
                    street,
                    class: l.class,
                    oneway: l.oneway,
                    forward: l.forward.clone(),
                    backward: l.backward.clone(),
                    bridge: l.bridge,
                    tunnel: l.tunnel,
                    planned: l.planned,
                    geometry,
                    source: l.source.clone(),
                },
            )
            .map_err(|e| Error::file(path, format!("way {}", l.way_id), e.to_string()))?;
            start = i;
        }
    }
    b.build()
}
