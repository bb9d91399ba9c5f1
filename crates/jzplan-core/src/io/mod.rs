//! The formats the core reads and writes itself, in plain Rust: jzplan's network GeoJSON (and
//! the embedded Jinzhou data), the binary `.jzn` network, TNTP benchmarks. The readers that
//! need foreign libraries (GDAL/OGR layers, OpenStreetMap PBF) and `read_network_file`, which
//! chooses among all of them, are in the `jzplan-io` crate.

pub mod geojson;
pub mod jzn;
pub mod jzp;
pub mod tntp;

use crate::{Error, Result};
use std::path::Path;

/// Start of the message of the [`Error::InvalidFile`] that a jzplan-format reader returns for
/// a file that is valid in its container format (e.g. GeoJSON) but is not a jzplan network
/// (lacks jzplan's properties). `jzplan_io::read_network_file` then reads the file as a
/// generic road layer through GDAL instead. Build it with [`not_jzplan_network`].
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
/// `jzplan_io::gdal::roads_layer`) is for `jzplan_io::gdal::read_network`.
pub fn is_jzplan_network_geojson(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let head = String::from_utf8_lossy(&head);
    Ok(head.contains("\"jzplan-network/") || head.contains("\"twin_edge_id\""))
}
