//! jzplan-io: the readers and writers that need foreign libraries — GDAL/OGR layers
//! (GeoPackage, Shapefile, FlatGeobuf, GeoJSON from other tools), OpenStreetMap PBF, and the
//! impact report (GeoPackage layers, SVG charts) — plus [`read_network_file`], which chooses a
//! reader by the file's extension. The formats the core reads itself (jzplan's network
//! GeoJSON, `.jzn`, TNTP) are re-exported from `jzplan_core::io`, so this crate is the one
//! place to look for every format.
#![warn(missing_docs)]

pub mod attrs;
pub mod gdal;
pub mod osm;
pub mod report;

pub use jzplan_core::io::*;

use jzplan_core::Result;
use jzplan_core::io::jzp::PreparedRouting;
use jzplan_core::network::RoadNetwork;
use std::path::Path;

/// Reads a network file, choosing the reader by extension: `.pbf` (OpenStreetMap, default
/// options); `.geojson`/`.json` in jzplan's network format (see
/// [`is_jzplan_network_geojson`]) through [`geojson::read_network`]; anything else — other
/// GeoJSON included — through GDAL/OGR with the default attribute mapping (a jzplan export is
/// re-read exactly, a user's line layer is read as roads).
/// `.jzn` is jzplan's binary network ([`jzn`]), `.jzp` a prepared network ([`jzp`]; its
/// routing data is left out here: see [`read_prepared_network_file`]).
pub fn read_network_file(path: &Path) -> Result<RoadNetwork> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let generic = || gdal::read_network(path, &gdal::GdalReadOptions::default());
    match ext.as_str() {
        "pbf" => osm::read_osm_pbf(path, &osm::OsmOptions::default()),
        "geojson" | "json" if is_jzplan_network_geojson(path)? => {
            match geojson::read_network(path) {
                Err(e) if is_not_jzplan_network(&e) => {
                    tracing::info!("{e}; reading it as a generic line layer");
                    generic()
                }
                other => other,
            }
        }
        "jzn" => jzn::read_network(path),
        "jzp" => jzp::read_file(path).map(|p| p.network),
        _ => generic(),
    }
}

/// Reads a network file as [`read_network_file`] does, with the routing data of a prepared
/// network (`.jzp`, [`jzp`]) when the file is one.
pub fn read_prepared_network_file(path: &Path) -> Result<(RoadNetwork, Option<PreparedRouting>)> {
    let jzp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jzp"));
    if jzp {
        let p = jzp::read_file(path)?;
        return Ok((p.network, Some(p.routing)));
    }
    Ok((read_network_file(path)?, None))
}
