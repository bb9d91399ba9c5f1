//! GDAL/OGR readers and writers: road networks from any OGR line layer (GeoPackage, Shapefile,
//! GeoJSON, FlatGeobuf, …) with an attribute mapping, and a generic writer of typed feature
//! layers to GeoPackage, GeoJSON and FlatGeobuf.
//!
//! # Reading
//! [`read_network`] reads one line layer. A layer that jzplan itself exported (fields
//! `edge_id`, `from_node`, `to_node`, … — see [`roads_layer`]) is rebuilt exactly: the same node
//! and edge ids, twins and attributes. Any other layer goes through a [`FieldMapping`]: every
//! feature is a road drawn in its digitising direction, nodes are made at line ends (identical
//! coordinates within a snapping tolerance share a node) and, optionally, at interior vertices
//! that several lines share. Coordinates in any CRS are transformed to WGS84 lon/lat.
//!
//! # Writing
//! [`write_layers`] writes [`OutLayer`]s (a geometry type, typed fields, features) with any of
//! the [`VectorFormat`]s; [`roads_layer`] and [`nodes_layer`] turn a network into such layers.
//! Other modules (flows, differences, works, hotspots) build their own `OutLayer`s and call
//! the same writer.//!
//! The reader is `read.rs` (with `read_export.rs` and `feature.rs`), the writer `write.rs`;
//! both are re-exported here. This file holds
//! the [`VectorFormat`]s and the GDAL set-up they share.

mod feature;
mod read;
mod read_export;
mod write;

pub use read::*;
pub use write::*;

use jzplan_core::{Error, Result};
use std::path::Path;
use std::str::FromStr;
use std::sync::Once;

// ---------------------------------------------------------------------------------------------
// Formats and the generic writer
// ---------------------------------------------------------------------------------------------

/// An output format written through a GDAL driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorFormat {
    /// OGC GeoPackage (`.gpkg`): several layers in one file, spatial index.
    GeoPackage,
    /// GeoJSON (`.geojson`): one layer per file, WGS84.
    GeoJson,
    /// FlatGeobuf (`.fgb`): one layer per file, packed Hilbert R-tree index.
    FlatGeobuf,
}

impl VectorFormat {
    /// The GDAL driver's short name.
    pub fn driver_name(self) -> &'static str {
        match self {
            VectorFormat::GeoPackage => "GPKG",
            VectorFormat::GeoJson => "GeoJSON",
            VectorFormat::FlatGeobuf => "FlatGeobuf",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            VectorFormat::GeoPackage => "gpkg",
            VectorFormat::GeoJson => "geojson",
            VectorFormat::FlatGeobuf => "fgb",
        }
    }

    /// Whether one file can hold several layers.
    pub fn multi_layer(self) -> bool {
        self == VectorFormat::GeoPackage
    }

    /// The format a file name implies (`.gpkg`, `.geojson`/`.json`, `.fgb`).
    pub fn from_path(path: &Path) -> Result<VectorFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        ext.parse().map_err(|_| {
            Error::invalid(format!(
                "cannot tell the format of '{}' from its extension; use .gpkg, .geojson or .fgb",
                path.display()
            ))
        })
    }
}

impl FromStr for VectorFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "gpkg" | "geopackage" => Ok(VectorFormat::GeoPackage),
            "geojson" | "json" => Ok(VectorFormat::GeoJson),
            "fgb" | "flatgeobuf" => Ok(VectorFormat::FlatGeobuf),
            _ => Err(Error::invalid(format!(
                "format '{s}' is not one of: gpkg, geojson, fgb"
            ))),
        }
    }
}

/// Routes GDAL's own messages to `tracing` instead of stderr: the errors that matter reach
/// the caller as `jzplan::Error`s, with the GDAL message included.
pub(super) fn quiet_gdal() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        gdal::config::set_error_handler(|class, no, msg| {
            tracing::debug!(target: "gdal", "GDAL {class:?} {no}: {msg}");
        });
    });
}
