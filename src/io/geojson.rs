//! jzplan's network GeoJSON format and the embedded Jinzhou network (being written).

use crate::network::RoadNetwork;
use crate::{Error, Result};
use std::path::Path;

/// Reads a network GeoJSON file.
pub fn read_network(path: &Path) -> Result<RoadNetwork> {
    Err(Error::file(
        path,
        "file",
        "network GeoJSON reader not built yet",
    ))
}

/// The embedded Jinzhou network.
pub fn jinzhou_network() -> Result<RoadNetwork> {
    Err(Error::invalid(
        "the embedded Jinzhou network is not built yet",
    ))
}
