//! OpenStreetMap PBF import: the car network of an extract (`highway=*` ways).
//!
//! Rules (close to OSRM's car profile, simplified):
//! - ways whose `highway` value is a road for cars ([`RoadClass::parse`]); footways, cycleways,
//!   paths, steps, tracks, construction and proposed roads are left out, as are areas
//!   (`area=yes`), ways closed to cars (`access`/`motor_vehicle`/`motorcar` = no, private,
//!   agricultural, forestry, emergency, psv) and reversible (`oneway=reversible`) ways;
//! - `oneway=yes/1/true` one-way along the way, `-1` against it, `no` two-way;
//!   `junction=roundabout`/`circular` and `highway=motorway`/`motorway_link` are one-way unless
//!   `oneway=no`;
//! - `maxspeed` (`50`, `50 mph`, `60 km/h`; `maxspeed:forward/backward` per direction); symbolic
//!   values (`CN:urban`, `none`) and missing speeds take the class default;
//! - `lanes:forward`/`lanes:backward`, else `lanes` (all of it for one-way roads, half of it per
//!   direction for two-way roads), else the class default; capacity = lanes × class capacity;
//! - `name:zh` (or `name` if it is Chinese), `name:en` (or a non-Chinese `name`), `bridge`,
//!   `tunnel` (any value but `no`);
//! - ways are split into edges at every node that two ways share (or one way passes twice) and
//!   at way ends; nodes missing from the extract cut a way;
//! - with a bounding box, only the parts of ways whose consecutive nodes lie inside it are kept.
//!
//! Every edge carries `source = osm:w<way id>`; its street's `way_id` is the same.
//!
//! The file is read twice and nothing but the car ways is held in memory: pass 1 keeps the
//! selected ways (tags parsed, node refs), pass 2 looks up the coordinates of just the nodes
//! those ways use (a sorted id array and a coordinate array: about 30 bytes per node, with the
//! split bookkeeping).

use super::attrs::{self, DirAttrs, Oneway, Segment};
use geo_types::{Coord, Rect};
use jzplan_core::network::{NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan_core::{Error, Result};
use osmpbf::{Element, ElementReader};
use std::path::Path;

/// Options of [`read_osm_pbf`].
#[derive(Clone, Debug, Default)]
pub struct OsmOptions {
    /// Keep only the parts of ways inside this lon/lat box.
    pub bbox: Option<Rect<f64>>,
}

/// Parses a bounding box `minlon,minlat,maxlon,maxlat` (WGS84 degrees).
pub fn parse_bbox(s: &str) -> Result<Rect<f64>> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            Error::invalid(format!(
                "bbox '{s}' is not four numbers minlon,minlat,maxlon,maxlat"
            ))
        })?;
    let [x0, y0, x1, y1] = v[..] else {
        return Err(Error::invalid(format!(
            "bbox '{s}' needs four numbers minlon,minlat,maxlon,maxlat, got {}",
            v.len()
        )));
    };
    let valid = jzplan_core::network::geom::valid_lon_lat(x0, y0)
        && jzplan_core::network::geom::valid_lon_lat(x1, y1);
    if !valid || x0 >= x1 || y0 >= y1 {
        return Err(Error::invalid(format!(
            "bbox '{s}' is not a lon/lat box with min < max"
        )));
    }
    Ok(Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }))
}

/// A selected way after pass 1.
struct WayRec {
    id: i64,
    class: RoadClass,
    oneway: Oneway,
    forward: DirAttrs,
    backward: DirAttrs,
    bridge: bool,
    tunnel: bool,
    name_zh: String,
    name_en: String,
    refs: Vec<i64>,
}

/// The tags of a way that matter for cars.
#[derive(Default)]
struct WayTags<'a> {
    highway: Option<&'a str>,
    oneway: Option<&'a str>,
    junction: Option<&'a str>,
    maxspeed: Option<&'a str>,
    maxspeed_fwd: Option<&'a str>,
    maxspeed_bwd: Option<&'a str>,
    lanes: Option<&'a str>,
    lanes_fwd: Option<&'a str>,
    lanes_bwd: Option<&'a str>,
    name: Option<&'a str>,
    name_zh: Option<&'a str>,
    name_en: Option<&'a str>,
    bridge: Option<&'a str>,
    tunnel: Option<&'a str>,
    area: Option<&'a str>,
    access: Option<&'a str>,
    motor_vehicle: Option<&'a str>,
    motorcar: Option<&'a str>,
}

fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF))
}

/// Why a way is left out, for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Skip {
    NotCar,
    Area,
    NoAccess,
    Reversible,
}

/// Selects and interprets a way; `Err(Skip)` for ways that are not part of the car network.
fn interpret(id: i64, t: &WayTags<'_>, refs: Vec<i64>) -> std::result::Result<WayRec, Skip> {
    let highway = t.highway.ok_or(Skip::NotCar)?;
    let class = RoadClass::parse(highway).ok_or(Skip::NotCar)?;
    if t.area.is_some_and(attrs::parse_flag) {
        return Err(Skip::Area);
    }
    let closed = |v: &str| {
        matches!(
            v,
            "no" | "private" | "agricultural" | "forestry" | "emergency" | "psv"
        )
    };
    let access = t.motorcar.or(t.motor_vehicle).or(t.access);
    if access.is_some_and(closed) {
        return Err(Skip::NoAccess);
    }
    let implied_oneway = matches!(t.junction, Some("roundabout" | "circular"))
        || matches!(highway, "motorway" | "motorway_link");
    let oneway = match t.oneway {
        Some("reversible" | "alternating") => return Err(Skip::Reversible),
        Some(v) => attrs::parse_oneway(v).unwrap_or(if implied_oneway {
            Oneway::Forward
        } else {
            Oneway::No
        }),
        None if implied_oneway => Oneway::Forward,
        None => Oneway::No,
    };
    let speed = t.maxspeed.and_then(attrs::parse_speed_kmh);
    let speed_fwd = t.maxspeed_fwd.and_then(attrs::parse_speed_kmh).or(speed);
    let speed_bwd = t.maxspeed_bwd.and_then(attrs::parse_speed_kmh).or(speed);
    let total = t.lanes.and_then(attrs::parse_lanes);
    let lf = t.lanes_fwd.and_then(attrs::parse_lanes);
    let lb = t.lanes_bwd.and_then(attrs::parse_lanes);
    let half = total.map(|n| (n / 2).max(1));
    let (lanes_fwd, lanes_bwd) = match oneway {
        Oneway::Forward => (lf.or(total), None),
        Oneway::Backward => (None, lb.or(total)),
        Oneway::No => (lf.or(half), lb.or(half)),
    };
    let name = t.name.unwrap_or("");
    let name_zh = t.name_zh.map(str::to_string).unwrap_or_else(|| {
        if has_cjk(name) {
            name.to_string()
        } else {
            String::new()
        }
    });
    let name_en = t.name_en.map(str::to_string).unwrap_or_else(|| {
        if has_cjk(name) {
            String::new()
        } else {
            name.to_string()
        }
    });
    let mut refs = refs;
    refs.dedup();
    Ok(WayRec {
        id,
        class,
        oneway,
        forward: DirAttrs {
            speed_kmh: speed_fwd,
            lanes: lanes_fwd,
            capacity_vph: None,
        },
        backward: DirAttrs {
            speed_kmh: speed_bwd,
            lanes: lanes_bwd,
            capacity_vph: None,
        },
        bridge: t.bridge.is_some_and(attrs::parse_flag),
        tunnel: t.tunnel.is_some_and(attrs::parse_flag),
        name_zh,
        name_en,
        refs,
    })
}

fn pbf_err(path: &Path, e: osmpbf::Error) -> Error {
    Error::file(path, "pbf", format!("cannot read OSM PBF: {e}"))
}

/// Runs one pass of the PBF decoder. The decoder (osmpbf) can panic on a corrupt file — a
/// node whose coordinate overflows `offset + granularity × value` panics in a debug build
/// (found by tests/it/fuzz.rs) — and a corrupt file is bad input like any other: the panic
/// becomes an `InvalidFile` error naming the file.
fn decode<T>(path: &Path, pass: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(pass)).unwrap_or_else(|_| {
        Err(Error::file(
            path,
            "pbf",
            "cannot read OSM PBF: a block is corrupt (the decoder failed on it)",
        ))
    })
}

fn open(path: &Path) -> Result<ElementReader<std::io::BufReader<std::fs::File>>> {
    std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    ElementReader::from_path(path).map_err(|e| pbf_err(path, e))
}

/// Reads the car network of an OSM PBF extract (see the module docs for the rules).
pub fn read_osm_pbf(path: &Path, opts: &OsmOptions) -> Result<RoadNetwork> {
    // Pass 1: the car ways.
    let mut ways: Vec<WayRec> = Vec::new();
    let mut skipped = [0usize; 4];
    let mut seen_ways = 0usize;
    decode(path, || {
        open(path)?
            .for_each(|el| {
                if let Element::Way(w) = el {
                    seen_ways += 1;
                    let mut t = WayTags::default();
                    for (k, v) in w.tags() {
                        match k {
                            "highway" => t.highway = Some(v),
                            "oneway" => t.oneway = Some(v),
                            "junction" => t.junction = Some(v),
                            "maxspeed" => t.maxspeed = Some(v),
                            "maxspeed:forward" => t.maxspeed_fwd = Some(v),
                            "maxspeed:backward" => t.maxspeed_bwd = Some(v),
                            "lanes" => t.lanes = Some(v),
                            "lanes:forward" => t.lanes_fwd = Some(v),
                            "lanes:backward" => t.lanes_bwd = Some(v),
                            "name" => t.name = Some(v),
                            "name:zh" | "name:zh-Hans" if t.name_zh.is_none() => {
                                t.name_zh = Some(v)
                            }
                            "name:en" => t.name_en = Some(v),
                            "bridge" => t.bridge = Some(v),
                            "tunnel" => t.tunnel = Some(v),
                            "area" => t.area = Some(v),
                            "access" => t.access = Some(v),
                            "motor_vehicle" => t.motor_vehicle = Some(v),
                            "motorcar" => t.motorcar = Some(v),
                            _ => {}
                        }
                    }
                    if t.highway.is_none() {
                        return;
                    }
                    match interpret(w.id(), &t, w.refs().collect()) {
                        Ok(rec) => ways.push(rec),
                        Err(s) => skipped[s as usize] += 1,
                    }
                }
            })
            .map_err(|e| pbf_err(path, e))
    })?;
    tracing::info!(
        "{}: {} of {seen_ways} ways are car roads (left out: {} not for cars, {} areas, {} \
         closed to cars, {} reversible)",
        path.display(),
        ways.len(),
        skipped[Skip::NotCar as usize],
        skipped[Skip::Area as usize],
        skipped[Skip::NoAccess as usize],
        skipped[Skip::Reversible as usize],
    );

    // Pass 2: coordinates of the nodes those ways use.
    let mut ids: Vec<i64> = ways.iter().flat_map(|w| w.refs.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut coords: Vec<Coord<f64>> = vec![
        Coord {
            x: f64::NAN,
            y: f64::NAN
        };
        ids.len()
    ];
    let mut found = 0usize;
    let mut put = |id: i64, lon: f64, lat: f64| {
        if let Ok(i) = ids.binary_search(&id) {
            if coords[i].x.is_nan() {
                found += 1;
            }
            coords[i] = Coord { x: lon, y: lat };
        }
    };
    decode(path, || {
        open(path)?
            .for_each(|el| match el {
                Element::Node(n) => put(n.id(), n.lon(), n.lat()),
                Element::DenseNode(n) => put(n.id(), n.lon(), n.lat()),
                _ => {}
            })
            .map_err(|e| pbf_err(path, e))
    })?;
    tracing::info!(
        "{}: {found} of {} way nodes found in the file",
        path.display(),
        ids.len()
    );

    // Runs of consecutive usable nodes (present, inside the bbox), as indices into `ids`.
    let usable = |i: usize| {
        let c = coords[i];
        !c.x.is_nan()
            && jzplan_core::network::geom::valid_lon_lat(c.x, c.y)
            && opts.bbox.is_none_or(|b| {
                c.x >= b.min().x && c.x <= b.max().x && c.y >= b.min().y && c.y <= b.max().y
            })
    };
    let mut runs: Vec<(usize, Vec<u32>)> = Vec::new();
    for (wi, w) in ways.iter().enumerate() {
        let mut run: Vec<u32> = Vec::new();
        for r in &w.refs {
            // Every ref is in `ids` by construction.
            let i = ids.binary_search(r).unwrap_or_default();
            if usable(i) {
                run.push(i as u32);
            } else {
                if run.len() >= 2 {
                    runs.push((wi, std::mem::take(&mut run)));
                }
                run.clear();
            }
        }
        if run.len() >= 2 {
            runs.push((wi, run));
        }
    }
    // Split points: run ends, and nodes used more than once by all runs together.
    let mut uses = vec![0u8; ids.len()];
    for (_, run) in &runs {
        for &i in run {
            uses[i as usize] = uses[i as usize].saturating_add(1);
        }
        for i in [run[0], run[run.len() - 1]] {
            uses[i as usize] = uses[i as usize].max(2);
        }
    }

    let mut b = NetworkBuilder::new(path.display().to_string());
    let mut node_of = vec![u32::MAX; ids.len()];
    let mut node = |b: &mut NetworkBuilder, i: u32| -> Result<NodeId> {
        let i = i as usize;
        if node_of[i] == u32::MAX {
            node_of[i] = b.add_node(coords[i].x, coords[i].y)?.0;
        }
        Ok(NodeId(node_of[i]))
    };
    for (wi, run) in &runs {
        let w = &ways[*wi];
        let tag = format!("osm:w{}", w.id);
        let street = b.add_street(&tag, &w.name_zh, &w.name_en);
        let mut start = 0;
        for k in 1..run.len() {
            if k != run.len() - 1 && uses[run[k] as usize] < 2 {
                continue;
            }
            let from = node(&mut b, run[start])?;
            let to = node(&mut b, run[k])?;
            let geometry = run[start..=k].iter().map(|&i| coords[i as usize]).collect();
            attrs::add_segment(
                &mut b,
                Segment {
                    from,
                    to,
                    street,
                    class: w.class,
                    oneway: w.oneway,
                    forward: w.forward.clone(),
                    backward: w.backward.clone(),
                    bridge: w.bridge,
                    tunnel: w.tunnel,
                    planned: false,
                    geometry,
                    source: tag.clone(),
                },
            )
            .map_err(|e| Error::file(path, format!("way {}", w.id), e.to_string()))?;
            start = k;
        }
    }
    tracing::info!(
        "{}: {} nodes, {} directed edges",
        path.display(),
        b.node_count(),
        b.edge_count()
    );
    b.build()
}
