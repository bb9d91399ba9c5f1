//! Readers and writers: the network GeoJSON format (and the embedded Jinzhou data), GDAL/OGR
//! layers (GeoPackage, Shapefile, FlatGeobuf), OpenStreetMap PBF, TNTP.

pub mod attrs;
pub mod gdal;
pub mod geojson;
pub mod jzn;
pub mod osm;
pub mod tntp;

use crate::network::RoadNetwork;
use crate::{Error, Result};
use std::path::Path;

/// Start of the message of the [`Error::InvalidFile`] that a jzplan-format reader returns for
/// a file that is valid in its container format (e.g. GeoJSON) but is not a jzplan network
/// (lacks jzplan's properties). [`read_network_file`] then reads the file as a generic road
/// layer through GDAL instead. Build it with [`not_jzplan_network`].
pub const NOT_A_JZPLAN_NETWORK: &str = "not a jzplan network";

/// The error a jzplan-format reader returns for a file that is not a jzplan network (see
/// [`NOT_A_JZPLAN_NETWORK`]); `why` says what is missing.
pub fn not_jzplan_network(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::file(path, "file", format!("{NOT_A_JZPLAN_NETWORK}: {why}"))
}

/// Whether an error is the "not a jzplan network" rejection of [`not_jzplan_network`].
pub fn is_not_jzplan_network(e: &Error) -> bool {
    matches!(e, Error::InvalidFile { message, .. } if message.starts_with(NOT_A_JZPLAN_NETWORK))
}

/// Whether a GeoJSON file is in jzplan's own network format (`jzplan-network/…`, read by
/// [`geojson::read_network`]), judged from its first 64 KiB: the format's `format` member or
/// its `twin_edge_id` property. Any other GeoJSON (a user's line layer, a GDAL export of
/// [`gdal::roads_layer`]) is for [`gdal::read_network`].
pub fn is_jzplan_network_geojson(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let head = String::from_utf8_lossy(&head);
    Ok(head.contains("\"jzplan-network/") || head.contains("\"twin_edge_id\""))
}

/// Reads a network file, choosing the reader by extension: `.pbf` (OpenStreetMap, default
/// options); `.geojson`/`.json` in jzplan's network format (see
/// [`is_jzplan_network_geojson`]) through [`geojson::read_network`]; anything else — other
/// GeoJSON included — through GDAL/OGR with the default attribute mapping (a jzplan export is
/// re-read exactly, a user's line layer is read as roads).
/// `.jzn` is jzplan's binary network ([`jzn`]).
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
        _ => generic(),
    }
}
