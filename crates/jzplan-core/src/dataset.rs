//! The Jinzhou dataset (`data/jinzhou/`): building it from the hand-written sources in
//! `data/jinzhou/source/`, and the embedded rivers, districts, points of interest and
//! coastline as geo types with their properties (the network itself is
//! [`crate::io::geojson::jinzhou_network`]).
//!
//! Every record carries `source`: `seed:P…`/`seed:E…` (named in the city plan),
//! `estimate:<why>` (drawn by hand, position guessed), `model:<method>` (computed from a cited
//! value), or `osm:<what>` (copied OpenStreetMap data, the coastline only). Positions are
//! approximate: hundreds of metres to kilometres (see data/jinzhou/README.md).

use crate::io::geojson::{network_to_geojson, push_coords, push_num, push_str};
use crate::network::build::{
    BuildInput, BuildOutput, build_network, read_csv, read_rivers, read_streets, round_coord,
};
use crate::network::{RoadClass, RoadNetwork};
use crate::{Error, Result};
use geo::{Contains, GeodesicArea, Length};
use geo_types::{Coord, LineString, Point, Polygon};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Source prefixes allowed in the dataset.
pub const SOURCE_PREFIXES: [&str; 4] = ["seed:", "estimate:", "model:", "osm:"];

/// True if `source` starts with an allowed prefix and says something after it.
pub fn valid_source(source: &str) -> bool {
    SOURCE_PREFIXES.iter().any(|p| {
        source.starts_with(p) && source.len() > p.len() && !source[p.len()..].trim().is_empty()
    })
}

/// A river centre line.
#[derive(Clone, Debug, PartialEq)]
pub struct River {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Provenance.
    pub source: String,
    /// Centre line, lon/lat, drawn downstream.
    pub line: LineString<f64>,
}

/// A district (or area) outline: a coarse hand-drawn polygon.
#[derive(Clone, Debug, PartialEq)]
pub struct District {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `district` (county-level unit) or `area` (a part of one, e.g. 松山新区).
    pub kind: String,
    /// Provenance.
    pub source: String,
    /// Outline, lon/lat.
    pub polygon: Polygon<f64>,
}

impl District {
    /// True if the point lies inside the outline.
    pub fn contains(&self, p: Point<f64>) -> bool {
        self.polygon.contains(&p)
    }
}

/// A point of interest (station, port, government seat, university, landmark).
#[derive(Clone, Debug, PartialEq)]
pub struct Poi {
    /// Stable id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `rail_station`, `port`, `government`, `university`, `landmark`, `reservoir`.
    pub kind: String,
    /// Provenance.
    pub source: String,
    /// Position, lon/lat.
    pub point: Point<f64>,
}

/// A coastline piece (OpenStreetMap-derived, ODbL).
#[derive(Clone, Debug, PartialEq)]
pub struct CoastLine {
    /// Provenance (`osm:…`).
    pub source: String,
    /// The line, lon/lat.
    pub line: LineString<f64>,
}

/// The embedded data files.
pub mod embedded {
    /// `data/jinzhou/rivers.geojson`.
    pub const RIVERS: &str = include_str!("../../../data/jinzhou/rivers.geojson");
    /// `data/jinzhou/districts.geojson`.
    pub const DISTRICTS: &str = include_str!("../../../data/jinzhou/districts.geojson");
    /// `data/jinzhou/pois.geojson`.
    pub const POIS: &str = include_str!("../../../data/jinzhou/pois.geojson");
    /// `data/jinzhou/coastline.geojson`.
    pub const COASTLINE: &str = include_str!("../../../data/jinzhou/coastline.geojson");
}

/// One decoded Feature: string properties and the geometry value.
struct RawFeature {
    props: serde_json::Map<String, Value>,
    geometry: Value,
}

fn features(text: &str, path: &Path) -> Result<Vec<RawFeature>> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        Error::file(
            path,
            format!("line {} column {}", e.line(), e.column()),
            format!("not valid JSON: {e}"),
        )
    })?;
    let feats = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::file(path, "document", "field 'features' must be an array"))?;
    feats
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let props = f
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .ok_or_else(|| {
                    Error::file(
                        path,
                        format!("feature {i}"),
                        "field 'properties' must be an object",
                    )
                })?;
            let geometry = f.get("geometry").cloned().ok_or_else(|| {
                Error::file(path, format!("feature {i}"), "field 'geometry': missing")
            })?;
            Ok(RawFeature { props, geometry })
        })
        .collect()
}

fn prop(f: &RawFeature, i: usize, path: &Path, field: &str) -> Result<String> {
    match f.props.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(Error::file(
            path,
            format!("feature {i}"),
            format!("field '{field}': missing or not a string"),
        )),
    }
}

fn coords_of(v: &Value, i: usize, path: &Path) -> Result<Vec<Coord<f64>>> {
    let bad = || {
        Error::file(
            path,
            format!("feature {i}"),
            "field 'geometry.coordinates': not a list of [lon, lat]",
        )
    };
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|p| {
            let a = p.as_array().ok_or_else(bad)?;
            match (
                a.first().and_then(Value::as_f64),
                a.get(1).and_then(Value::as_f64),
            ) {
                (Some(x), Some(y)) => Ok(Coord { x, y }),
                _ => Err(bad()),
            }
        })
        .collect()
}

fn geometry_coords<'a>(f: &'a RawFeature, i: usize, path: &Path, ty: &str) -> Result<&'a Value> {
    if f.geometry.get("type").and_then(Value::as_str) != Some(ty) {
        return Err(Error::file(
            path,
            format!("feature {i}"),
            format!("field 'geometry': must be a {ty}"),
        ));
    }
    f.geometry.get("coordinates").ok_or_else(|| {
        Error::file(
            path,
            format!("feature {i}"),
            "field 'geometry.coordinates': missing",
        )
    })
}

/// Parses a rivers GeoJSON text.
pub fn parse_rivers(text: &str, path: &Path) -> Result<Vec<River>> {
    features(text, path)?
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(River {
                id: prop(f, i, path, "id")?,
                name_zh: prop(f, i, path, "name_zh")?,
                name_en: prop(f, i, path, "name_en")?,
                source: prop(f, i, path, "source")?,
                line: LineString::from(coords_of(
                    geometry_coords(f, i, path, "LineString")?,
                    i,
                    path,
                )?),
            })
        })
        .collect()
}

/// Parses a districts GeoJSON text.
pub fn parse_districts(text: &str, path: &Path) -> Result<Vec<District>> {
    features(text, path)?
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let rings = geometry_coords(f, i, path, "Polygon")?
                .as_array()
                .filter(|r| !r.is_empty())
                .ok_or_else(|| {
                    Error::file(
                        path,
                        format!("feature {i}"),
                        "field 'geometry.coordinates': no rings",
                    )
                })?;
            let exterior = LineString::from(coords_of(&rings[0], i, path)?);
            let holes = rings[1..]
                .iter()
                .map(|r| coords_of(r, i, path).map(LineString::from))
                .collect::<Result<Vec<_>>>()?;
            Ok(District {
                id: prop(f, i, path, "id")?,
                name_zh: prop(f, i, path, "name_zh")?,
                name_en: prop(f, i, path, "name_en")?,
                kind: prop(f, i, path, "kind")?,
                source: prop(f, i, path, "source")?,
                polygon: Polygon::new(exterior, holes),
            })
        })
        .collect()
}

/// Parses a POI GeoJSON text.
pub fn parse_pois(text: &str, path: &Path) -> Result<Vec<Poi>> {
    features(text, path)?
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let c = geometry_coords(f, i, path, "Point")?;
            let pt = coords_of(&Value::Array(vec![c.clone()]), i, path)?;
            Ok(Poi {
                id: prop(f, i, path, "id")?,
                name_zh: prop(f, i, path, "name_zh")?,
                name_en: prop(f, i, path, "name_en")?,
                kind: prop(f, i, path, "kind")?,
                source: prop(f, i, path, "source")?,
                point: Point::from(pt[0]),
            })
        })
        .collect()
}

/// Parses the coastline GeoJSON text.
pub fn parse_coastline(text: &str, path: &Path) -> Result<Vec<CoastLine>> {
    features(text, path)?
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Ok(CoastLine {
                source: prop(f, i, path, "source")?,
                line: LineString::from(coords_of(
                    geometry_coords(f, i, path, "LineString")?,
                    i,
                    path,
                )?),
            })
        })
        .collect()
}

macro_rules! embedded_accessor {
    ($fn:ident, $ty:ty, $parse:ident, $text:expr, $file:literal, $doc:literal) => {
        #[doc = $doc]
        pub fn $fn() -> Result<&'static [$ty]> {
            static CELL: OnceLock<std::result::Result<Vec<$ty>, String>> = OnceLock::new();
            CELL.get_or_init(|| $parse($text, Path::new($file)).map_err(|e| e.to_string()))
                .as_ref()
                .map(Vec::as_slice)
                .map_err(|m| Error::file(PathBuf::from($file), "embedded", m.clone()))
        }
    };
}

embedded_accessor!(
    rivers,
    River,
    parse_rivers,
    embedded::RIVERS,
    "embedded:data/jinzhou/rivers.geojson",
    "The embedded rivers (parsed once)."
);
embedded_accessor!(
    districts,
    District,
    parse_districts,
    embedded::DISTRICTS,
    "embedded:data/jinzhou/districts.geojson",
    "The embedded district outlines (parsed once)."
);
embedded_accessor!(
    pois,
    Poi,
    parse_pois,
    embedded::POIS,
    "embedded:data/jinzhou/pois.geojson",
    "The embedded points of interest (parsed once)."
);
embedded_accessor!(
    coastline,
    CoastLine,
    parse_coastline,
    embedded::COASTLINE,
    "embedded:data/jinzhou/coastline.geojson",
    "The embedded OSM coastline (parsed once)."
);

/// The embedded district with this id (`guta`, `linghe`, `taihe`, `songshan`).
pub fn district(id: &str) -> Result<&'static District> {
    districts()?
        .iter()
        .find(|d| d.id == id)
        .ok_or_else(|| Error::not_found("district", id))
}

/// The embedded county-level district (kind `district`: Guta, Linghe, Taihe) whose outline
/// contains `p`, if any. The outlines are coarse: near a boundary the answer may be wrong by a
/// few hundred metres, and outside the drawn parts (e.g. Taihe's NE piece) it is `None`.
pub fn district_at(p: Point<f64>) -> Result<Option<&'static District>> {
    Ok(districts()?
        .iter()
        .find(|d| d.kind == "district" && d.contains(p)))
}

/// The embedded river with this id (`xiaoling`, `nuer`, `baigu`, `erdao`, `daling`).
pub fn river(id: &str) -> Result<&'static River> {
    rivers()?
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::not_found("river", id))
}

/// The embedded POI with this id.
pub fn poi(id: &str) -> Result<&'static Poi> {
    pois()?
        .iter()
        .find(|p| p.id == id)
        .ok_or_else(|| Error::not_found("poi", id))
}

// ---------------------------------------------------------------------------------------------
// Building the dataset from data/jinzhou/source/.

/// The hand-written sources.
pub struct Sources {
    /// Streets and rivers for the network builder.
    pub input: BuildInput,
    /// District outlines.
    pub districts: Vec<District>,
    /// Points of interest.
    pub pois: Vec<Poi>,
}

/// Reads `streets.csv`, `rivers.csv`, `districts.csv` and `pois.csv` from `dir`, checking
/// that every record has an allowed `source`.
pub fn read_sources(dir: &Path) -> Result<Sources> {
    let streets = read_streets(&dir.join("streets.csv"))?;
    let rivers = read_rivers(&dir.join("rivers.csv"))?;
    let path = dir.join("districts.csv");
    let mut districts = Vec::new();
    for r in read_csv(&path)? {
        let ring = r.coords("coords")?;
        if ring.len() < 3 || ring.len() > 21 {
            return Err(r.err(
                "coords",
                format!("{} vertices; a coarse outline has 3..=20", ring.len()),
            ));
        }
        let mut ring: Vec<Coord<f64>> = ring.into_iter().map(round_coord).collect();
        if ring.first() != ring.last() {
            ring.push(ring[0]);
        }
        let mut ls = LineString::from(ring);
        // RFC 7946: exterior rings counter-clockwise.
        if signed_area(&ls.0) < 0.0 {
            ls.0.reverse();
        }
        districts.push(District {
            id: r.nonempty("id")?.into(),
            name_zh: r.nonempty("name_zh")?.into(),
            name_en: r.nonempty("name_en")?.into(),
            kind: r.nonempty("kind")?.into(),
            source: r.nonempty("source")?.into(),
            polygon: Polygon::new(ls, vec![]),
        });
    }
    let path = dir.join("pois.csv");
    let mut pois = Vec::new();
    for r in read_csv(&path)? {
        let lon: f64 = r.parse("lon")?;
        let lat: f64 = r.parse("lat")?;
        if !crate::network::geom::valid_lon_lat(lon, lat) {
            return Err(r.err("lon", "not a valid WGS84 coordinate"));
        }
        let c = round_coord(Coord { x: lon, y: lat });
        pois.push(Poi {
            id: r.nonempty("id")?.into(),
            name_zh: r.nonempty("name_zh")?.into(),
            name_en: r.nonempty("name_en")?.into(),
            kind: r.nonempty("kind")?.into(),
            source: r.nonempty("source")?.into(),
            point: Point::from(c),
        });
    }
    let check = |file: &str, id: &str, src: &str| {
        if valid_source(src) {
            Ok(())
        } else {
            Err(Error::file(
                dir.join(file),
                format!("record '{id}'"),
                format!("field 'source': '{src}' does not start with one of {SOURCE_PREFIXES:?}"),
            ))
        }
    };
    for s in &streets {
        check("streets.csv", &s.id, &s.source)?;
    }
    for s in &rivers {
        check("rivers.csv", &s.id, &s.source)?;
    }
    for s in &districts {
        check("districts.csv", &s.id, &s.source)?;
    }
    for s in &pois {
        check("pois.csv", &s.id, &s.source)?;
    }
    Ok(Sources {
        input: BuildInput { streets, rivers },
        districts,
        pois,
    })
}

fn signed_area(r: &[Coord<f64>]) -> f64 {
    r.windows(2)
        .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
        .sum::<f64>()
        / 2.0
}

/// The files of a dataset build: (file name, contents), in writing order.
pub struct BuiltDataset {
    /// The built network.
    pub output: BuildOutput,
    /// File name → contents.
    pub files: Vec<(String, String)>,
}

fn collection_header(out: &mut String, name: &str) {
    let _ = writeln!(
        out,
        "{{\"type\":\"FeatureCollection\",\"name\":\"{name}\",\"features\":["
    );
}

fn render_rivers(rivers: &[crate::network::build::RiverSource]) -> String {
    let mut out = String::new();
    collection_header(&mut out, "jinzhou_rivers");
    for (i, r) in rivers.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let pts: Vec<Coord<f64>> = r.line.iter().map(|c| round_coord(*c)).collect();
        let len = (geo::Geodesic.length(&LineString::from(pts.clone())) / 10.0).round() * 10.0;
        let _ = write!(
            out,
            "{{\"type\":\"Feature\",\"id\":{i},\"properties\":{{\"id\":"
        );
        push_str(&mut out, &r.id);
        out.push_str(",\"name_zh\":");
        push_str(&mut out, &r.name_zh);
        out.push_str(",\"name_en\":");
        push_str(&mut out, &r.name_en);
        out.push_str(",\"length_m\":");
        push_num(&mut out, len);
        out.push_str(",\"bridge_half_m\":");
        push_num(&mut out, r.bridge_half_m);
        out.push_str(",\"source\":");
        push_str(&mut out, &r.source);
        out.push_str("},\"geometry\":{\"type\":\"LineString\",\"coordinates\":");
        push_coords(&mut out, &pts);
        out.push_str("}}");
    }
    out.push_str("\n]}\n");
    out
}

fn render_districts(ds: &[District]) -> String {
    let mut out = String::new();
    collection_header(&mut out, "jinzhou_districts");
    for (i, d) in ds.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let area_km2 = (d.polygon.geodesic_area_unsigned() / 1e4).round() / 100.0;
        let _ = write!(
            out,
            "{{\"type\":\"Feature\",\"id\":{i},\"properties\":{{\"id\":"
        );
        push_str(&mut out, &d.id);
        out.push_str(",\"name_zh\":");
        push_str(&mut out, &d.name_zh);
        out.push_str(",\"name_en\":");
        push_str(&mut out, &d.name_en);
        out.push_str(",\"kind\":");
        push_str(&mut out, &d.kind);
        out.push_str(",\"area_km2\":");
        push_num(&mut out, area_km2);
        out.push_str(",\"source\":");
        push_str(&mut out, &d.source);
        out.push_str("},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
        push_coords(&mut out, &d.polygon.exterior().0);
        out.push_str("]}}");
    }
    out.push_str("\n]}\n");
    out
}

fn render_pois(ps: &[Poi]) -> String {
    let mut out = String::new();
    collection_header(&mut out, "jinzhou_pois");
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        let _ = write!(
            out,
            "{{\"type\":\"Feature\",\"id\":{i},\"properties\":{{\"id\":"
        );
        push_str(&mut out, &p.id);
        out.push_str(",\"name_zh\":");
        push_str(&mut out, &p.name_zh);
        out.push_str(",\"name_en\":");
        push_str(&mut out, &p.name_en);
        out.push_str(",\"kind\":");
        push_str(&mut out, &p.kind);
        out.push_str(",\"source\":");
        push_str(&mut out, &p.source);
        out.push_str("},\"geometry\":{\"type\":\"Point\",\"coordinates\":");
        let mut s = String::new();
        push_coords(&mut s, &[p.point.0]);
        out.push_str(&s[1..s.len() - 1]);
        out.push_str("}}");
    }
    out.push_str("\n]}\n");
    out
}

fn render_report(src: &Sources, out: &BuildOutput) -> String {
    let net: &RoadNetwork = &out.network;
    let mut r = String::new();
    let two_way = net.edges().iter().filter(|e| e.twin.is_some()).count() / 2;
    let one_way = net.edges().iter().filter(|e| e.twin.is_none()).count();
    let named = src
        .input
        .streets
        .iter()
        .map(|s| s.name_zh.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let scc = petgraph::algo::kosaraju_scc(net.graph());
    let _ = writeln!(r, "# Jinzhou network build report\n");
    let _ = writeln!(
        r,
        "Generated by `jzplan data build` from `data/jinzhou/source/`; do not edit by hand.\n"
    );
    let _ = writeln!(r, "| item | count |\n|---|---|");
    let _ = writeln!(
        r,
        "| street rows in the source | {} |",
        src.input.streets.len()
    );
    let _ = writeln!(r, "| distinct street names (name_zh) | {named} |");
    let _ = writeln!(r, "| nodes | {} |", net.node_count());
    let _ = writeln!(r, "| directed edges | {} |", net.edge_count());
    let _ = writeln!(r, "| two-way segments (Features) | {two_way} |");
    let _ = writeln!(r, "| one-way segments (Features) | {one_way} |");
    let _ = writeln!(
        r,
        "| junctions made at street crossings | {} |",
        out.crossings
    );
    let _ = writeln!(
        r,
        "| street ends joined onto another street (T-junctions, ramps) | {} |",
        out.end_joins
    );
    let _ = writeln!(
        r,
        "| crossings left as flyovers (grade-separated, no interchange) | {} |",
        out.flyovers
    );
    let _ = writeln!(
        r,
        "| bridges (road × river crossings) | {} |",
        out.bridges.len()
    );
    let _ = writeln!(
        r,
        "| directed bridge edges | {} |",
        net.edges().iter().filter(|e| e.bridge).count()
    );
    let _ = writeln!(r, "| strongly connected components | {} |", scc.len());
    let _ = writeln!(r, "| rivers | {} |", src.input.rivers.len());
    let _ = writeln!(r, "| district outlines | {} |", src.districts.len());
    let _ = writeln!(r, "| points of interest | {} |\n", src.pois.len());

    let mut by_class: BTreeMap<RoadClass, (usize, f64)> = BTreeMap::new();
    for e in net.edges() {
        let v = by_class.entry(e.class).or_default();
        v.0 += 1;
        v.1 += e.length_m;
    }
    let _ = writeln!(
        r,
        "## Directed edges by class\n\n| class | edges | km (both directions) |\n|---|---|---|"
    );
    for (c, (n, m)) in &by_class {
        let _ = writeln!(r, "| {c} | {n} | {:.1} |", m / 1000.0);
    }
    let _ = writeln!(
        r,
        "\n## Bridges (existing crossings; planned bridges P1/P2 are NOT here)\n\n| street | river | at (lon, lat) |\n|---|---|---|"
    );
    for b in &out.bridges {
        let _ = writeln!(
            r,
            "| {} (`{}`) | {} (`{}`) | {:.5}, {:.5} |",
            b.street_zh, b.street, b.river_zh, b.river, b.at.x, b.at.y
        );
    }
    let _ = writeln!(
        r,
        "\n## Dead ends\n\nNodes with one neighbour (street ends that join nothing), by street:\n"
    );
    let mut dead: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, n) in net.nodes().iter().enumerate() {
        let id = crate::network::NodeId::from_index(i);
        let mut nb: Vec<_> = net.out_edges(id).iter().map(|&e| net.edge(e).to).collect();
        nb.extend(net.in_edges(id).iter().map(|&e| net.edge(e).from));
        nb.sort();
        nb.dedup();
        if nb.len() == 1 {
            let e = net
                .out_edges(id)
                .first()
                .or(net.in_edges(id).first())
                .copied();
            if let Some(e) = e {
                dead.entry(net.street_of(e).display_name().to_string())
                    .or_default()
                    .push(format!("node {i} ({:.5}, {:.5})", n.lon, n.lat));
            }
        }
    }
    for (s, v) in &dead {
        let _ = writeln!(r, "- {s}: {}", v.join("; "));
    }
    r
}

/// Builds every dataset file from the sources in `source_dir` (nothing is written).
pub fn build_dataset(source_dir: &Path) -> Result<BuiltDataset> {
    let src = read_sources(source_dir)?;
    let output = build_network(&src.input, "data/jinzhou/network.geojson")?;
    let files = vec![
        (
            "network.geojson".to_string(),
            network_to_geojson(&output.network),
        ),
        (
            "rivers.geojson".to_string(),
            render_rivers(&src.input.rivers),
        ),
        (
            "districts.geojson".to_string(),
            render_districts(&src.districts),
        ),
        ("pois.geojson".to_string(), render_pois(&src.pois)),
        ("build_report.md".to_string(), render_report(&src, &output)),
    ];
    Ok(BuiltDataset { output, files })
}

/// Builds the dataset and writes its files into `out_dir`.
pub fn write_dataset(source_dir: &Path, out_dir: &Path) -> Result<BuiltDataset> {
    let built = build_dataset(source_dir)?;
    write_files(out_dir, &built.files)?;
    Ok(built)
}

/// The model-derived files of a dataset build and the calibration they come from.
#[derive(Debug)]
pub struct BuiltCatalogue {
    /// `hotspots.json`, `works.p4.json` and `calibration.md`, in writing order.
    pub files: Vec<(String, String)>,
    /// The calibration table of the base network's morning peak hour.
    pub calibration: crate::analysis::calibration::Calibration,
}

/// The model-derived files of the works catalogue, `hotspots.json` and `works.p4.json`
/// ([`crate::works::choose::model_files_from_vc`]), and the calibration table
/// (`calibration.md`, [`crate::analysis::calibration`]), from one calibrated assignment of the
/// network in `network_geojson` (the text of a built `network.geojson`, so that the result is
/// what the embedded network gives) and the seed choke points of the hand-maintained catalogue
/// `works_json` (its inline `hotspots`, which must all be `seed:`).
pub fn build_catalogue(network_geojson: &str, works_json: &Path) -> Result<BuiltCatalogue> {
    let net = crate::io::geojson::parse_network(network_geojson, Path::new("network.geojson"))?;
    let text = std::fs::read_to_string(works_json).map_err(|e| Error::io(works_json, e))?;
    let cat = crate::works::catalogue::Catalogue::parse(&text, &works_json.display().to_string())?;
    if let Some(h) = cat
        .hotspots
        .iter()
        .find(|h| !h.evidence.starts_with("seed:"))
    {
        return Err(Error::file(
            works_json,
            format!("hotspot {}", h.id),
            "the hand-maintained catalogue holds only seed:… choke points; model ones are \
             written by `jzplan data build`",
        ));
    }
    let (d, run) = crate::analysis::calibration::base_run(&net)?;
    let calibration =
        crate::analysis::calibration::calibration_of(&net, &d, &run, cat.hotspots.first())?;
    let mut files = crate::works::choose::model_files_from_vc(&net, &cat.hotspots, &run.flows.vc)?;
    files.push((
        "calibration.md".to_string(),
        crate::analysis::calibration::render_file(&calibration),
    ));
    Ok(BuiltCatalogue { files, calibration })
}

/// Writes (file name, contents) pairs into `out_dir` (created if missing).
pub fn write_files(out_dir: &Path, files: &[(String, String)]) -> Result<()> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    for (name, text) in files {
        let p = out_dir.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
    }
    Ok(())
}

/// The first of `files` whose copy in `out_dir` is missing or differs (`None`: all up to date).
pub fn first_stale(out_dir: &Path, files: &[(String, String)]) -> Option<PathBuf> {
    files.iter().find_map(|(name, text)| {
        let p = out_dir.join(name);
        let same = std::fs::read_to_string(&p).is_ok_and(|old| old == *text);
        (!same).then_some(p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_need_a_known_prefix_and_some_text() {
        assert!(valid_source("estimate:grid street"));
        assert!(valid_source("seed:P1"));
        assert!(!valid_source("estimate:"));
        assert!(!valid_source("estimate:  "));
        assert!(!valid_source("guess"));
        assert!(!valid_source(""));
    }

    #[test]
    fn embedded_layers_parse_and_have_sources() {
        for r in rivers().unwrap() {
            assert!(valid_source(&r.source), "{}", r.id);
        }
        for d in districts().unwrap() {
            assert!(valid_source(&d.source), "{}", d.id);
        }
        for p in pois().unwrap() {
            assert!(valid_source(&p.source), "{}", p.id);
        }
        for c in coastline().unwrap() {
            assert!(c.source.starts_with("osm:"));
        }
    }
}
