//! Readers and writers: the network GeoJSON format (and the embedded Jinzhou data), GDAL/OGR
//! layers (GeoPackage, Shapefile, FlatGeobuf), OpenStreetMap PBF, TNTP.

pub mod geojson;

use crate::network::RoadNetwork;
use crate::{Error, Result};
use std::path::Path;

/// Reads a network file, choosing the reader by extension: `.geojson`/`.json` (jzplan's own
/// network GeoJSON), `.pbf` (OpenStreetMap), anything else through GDAL/OGR.
pub fn read_network_file(path: &Path) -> Result<RoadNetwork> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "geojson" | "json" => geojson::read_network(path),
        _ => Err(Error::file(
            path,
            "file",
            format!("no reader for '.{ext}' files yet"),
        )),
    }
}
