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
//! the same writer.

use super::attrs::{self, DirAttrs, Oneway, Segment};
use gdal::spatial_ref::{AxisMappingStrategy, CoordTransform, SpatialRef};
use gdal::vector::{
    Feature, FieldDefn, FieldValue, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType,
    ToGdal,
};
use gdal::{Dataset, DatasetOptions, DriverManager, GdalOpenFlags};
use geo_types::{Coord, LineString, Point};
use jzplan_core::network::{NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan_core::{Error, Result};
use std::collections::HashMap;
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

/// The type of an attribute field of an [`OutLayer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// 64-bit integer.
    Integer,
    /// Double.
    Real,
    /// UTF-8 text.
    Text,
    /// Boolean, stored as integer 0/1 (every format reads it back).
    Bool,
}

/// One attribute value of an [`OutFeature`]; must match its field's [`FieldKind`] (or be
/// `Null`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// For [`FieldKind::Integer`].
    Int(i64),
    /// For [`FieldKind::Real`].
    Real(f64),
    /// For [`FieldKind::Text`].
    Text(String),
    /// For [`FieldKind::Bool`].
    Bool(bool),
}

/// The geometry type of an [`OutLayer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeometryKind {
    /// Points.
    Point,
    /// Line strings.
    LineString,
    /// Multi line strings.
    MultiLineString,
    /// Polygons.
    Polygon,
    /// Multi polygons.
    MultiPolygon,
    /// Mixed (GeoJSON and GeoPackage accept it; FlatGeobuf too, less efficiently).
    Any,
}

impl GeometryKind {
    fn ogr(self) -> OGRwkbGeometryType::Type {
        match self {
            GeometryKind::Point => OGRwkbGeometryType::wkbPoint,
            GeometryKind::LineString => OGRwkbGeometryType::wkbLineString,
            GeometryKind::MultiLineString => OGRwkbGeometryType::wkbMultiLineString,
            GeometryKind::Polygon => OGRwkbGeometryType::wkbPolygon,
            GeometryKind::MultiPolygon => OGRwkbGeometryType::wkbMultiPolygon,
            GeometryKind::Any => OGRwkbGeometryType::wkbUnknown,
        }
    }
}

/// One feature to write: a WGS84 geometry and one value per field of its layer.
#[derive(Clone, Debug)]
pub struct OutFeature {
    /// Geometry in lon/lat, or `None` for a feature without geometry.
    pub geometry: Option<geo_types::Geometry<f64>>,
    /// Values in the order of the layer's fields.
    pub values: Vec<Value>,
}

/// A layer to write: name, geometry type, typed fields and features (WGS84, EPSG:4326).
#[derive(Clone, Debug)]
pub struct OutLayer {
    /// Layer name (the table name in a GeoPackage).
    pub name: String,
    /// Geometry type.
    pub geometry: GeometryKind,
    /// Field names and types.
    pub fields: Vec<(String, FieldKind)>,
    /// The features.
    pub features: Vec<OutFeature>,
}

impl OutLayer {
    /// An empty layer with these fields.
    pub fn new(name: &str, geometry: GeometryKind, fields: &[(&str, FieldKind)]) -> OutLayer {
        OutLayer {
            name: name.to_string(),
            geometry,
            fields: fields.iter().map(|(n, k)| (n.to_string(), *k)).collect(),
            features: Vec::new(),
        }
    }

    /// Adds a feature; checks that there is one value per field and that each value fits its
    /// field's kind.
    pub fn push(
        &mut self,
        geometry: impl Into<geo_types::Geometry<f64>>,
        values: Vec<Value>,
    ) -> Result<()> {
        if values.len() != self.fields.len() {
            return Err(Error::invalid(format!(
                "layer '{}': {} values for {} fields",
                self.name,
                values.len(),
                self.fields.len()
            )));
        }
        for ((name, kind), v) in self.fields.iter().zip(&values) {
            let ok = matches!(
                (kind, v),
                (_, Value::Null)
                    | (FieldKind::Integer, Value::Int(_))
                    | (FieldKind::Real, Value::Real(_))
                    | (FieldKind::Text, Value::Text(_))
                    | (FieldKind::Bool, Value::Bool(_))
            );
            if !ok {
                return Err(Error::invalid(format!(
                    "layer '{}': field '{name}' is {kind:?} but got {v:?}",
                    self.name
                )));
            }
        }
        self.features.push(OutFeature {
            geometry: Some(geometry.into()),
            values,
        });
        Ok(())
    }
}

impl OutLayer {
    /// Adds a feature whose values come from JSON properties by field name (as the map
    /// layers, GeoJSON and the API hold them): a missing or null property is `Null`; a value
    /// that does not fit its field's kind is an `InvalidInput` error. Extra properties are
    /// ignored.
    pub fn push_json(
        &mut self,
        geometry: impl Into<geo_types::Geometry<f64>>,
        props: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<()> {
        use serde_json::Value as J;
        let mut values = Vec::with_capacity(self.fields.len());
        for (name, kind) in &self.fields {
            let v = match (kind, props.get(name)) {
                (_, None | Some(J::Null)) => Some(Value::Null),
                (FieldKind::Integer, Some(J::Number(n))) => n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|x| x.fract() == 0.0).map(|x| x as i64))
                    .map(Value::Int),
                (FieldKind::Real, Some(J::Number(n))) => n.as_f64().map(Value::Real),
                (FieldKind::Bool, Some(J::Bool(b))) => Some(Value::Bool(*b)),
                (FieldKind::Text, Some(J::String(s))) => Some(Value::Text(s.clone())),
                (FieldKind::Text, Some(other)) => Some(Value::Text(other.to_string())),
                _ => None,
            };
            values.push(v.ok_or_else(|| {
                Error::invalid(format!(
                    "layer '{}': property '{name}' = {} does not fit a {kind:?} field",
                    self.name,
                    props.get(name).map_or(String::new(), |v| v.to_string())
                ))
            })?);
        }
        self.push(geometry, values)
    }
}

/// Routes GDAL's own messages to `tracing` instead of stderr: the errors that matter reach
/// the caller as `jzplan::Error`s, with the GDAL message included.
fn quiet_gdal() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        gdal::config::set_error_handler(|class, no, msg| {
            tracing::debug!(target: "gdal", "GDAL {class:?} {no}: {msg}");
        });
    });
}

fn gdal_write_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Gdal(format!("writing {}: {e}", path.display()))
}

/// Writes layers to a new file (replacing an existing one) with a GDAL driver, in WGS84
/// (EPSG:4326). GeoJSON and FlatGeobuf hold a single layer: passing more is an
/// `InvalidInput` error. GeoPackage writes run in one transaction.
pub fn write_layers(path: &Path, format: VectorFormat, layers: &[OutLayer]) -> Result<()> {
    quiet_gdal();
    if layers.is_empty() {
        return Err(Error::invalid("nothing to write: no layers"));
    }
    if layers.len() > 1 && !format.multi_layer() {
        return Err(Error::invalid(format!(
            "{} holds one layer per file, got {} ({}); pick one layer or write GeoPackage",
            format.driver_name(),
            layers.len(),
            layers
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if path.exists() {
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    }
    let driver = DriverManager::get_driver_by_name(format.driver_name())
        .map_err(|e| Error::Gdal(format!("driver {}: {e}", format.driver_name())))?;
    let mut ds = driver
        .create_vector_only(path)
        .map_err(|e| gdal_write_err(path, e))?;
    let mut srs = SpatialRef::from_epsg(4326).map_err(|e| gdal_write_err(path, e))?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let transactional = format == VectorFormat::GeoPackage;
    for layer in layers {
        if transactional {
            let mut txn = ds
                .start_transaction()
                .map_err(|e| gdal_write_err(path, e))?;
            write_one_layer(path, &mut txn, &srs, layer)?;
            txn.commit().map_err(|e| gdal_write_err(path, e))?;
        } else {
            write_one_layer(path, &mut ds, &srs, layer)?;
        }
    }
    ds.close().map_err(|e| gdal_write_err(path, e))?;
    tracing::info!(
        "wrote {} ({}): {}",
        path.display(),
        format.driver_name(),
        layers
            .iter()
            .map(|l| format!("{} {} features", l.name, l.features.len()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

fn write_one_layer(path: &Path, ds: &mut Dataset, srs: &SpatialRef, l: &OutLayer) -> Result<()> {
    let err = |e: gdal::errors::GdalError| gdal_write_err(path, format!("layer '{}': {e}", l.name));
    let lyr = ds
        .create_layer(LayerOptions {
            name: &l.name,
            srs: Some(srs),
            ty: l.geometry.ogr(),
            options: None,
        })
        .map_err(err)?;
    for (name, kind) in &l.fields {
        let ty = match kind {
            FieldKind::Integer => OGRFieldType::OFTInteger64,
            FieldKind::Real => OGRFieldType::OFTReal,
            FieldKind::Text => OGRFieldType::OFTString,
            FieldKind::Bool => OGRFieldType::OFTInteger,
        };
        FieldDefn::new(name, ty)
            .and_then(|f| f.add_to_layer(&lyr))
            .map_err(err)?;
    }
    let defn = lyr.defn();
    // Drivers may rename fields (Shapefile truncates), so write by our own position.
    for f in &l.features {
        let mut ft = Feature::new(defn).map_err(err)?;
        if let Some(g) = &f.geometry {
            ft.set_geometry(g.to_gdal().map_err(err)?).map_err(err)?;
        }
        for (i, v) in f.values.iter().enumerate() {
            match v {
                Value::Null => ft.set_field_null(i),
                Value::Int(x) => ft.set_field_integer64(i, *x),
                Value::Real(x) => ft.set_field_double(i, *x),
                Value::Text(s) => ft.set_field_string(i, s),
                Value::Bool(b) => ft.set_field_integer(i, *b as i32),
            }
            .map_err(err)?;
        }
        ft.create(&lyr).map_err(err)?;
    }
    Ok(())
}

/// Name of the roads layer written by [`write_network`] and preferred by [`read_network`].
pub const ROADS_LAYER: &str = "roads";
/// Name of the nodes layer written by [`write_network`].
pub const NODES_LAYER: &str = "nodes";

/// Fields of [`roads_layer`], in order: ids, names, class, attributes, provenance.
pub const ROAD_FIELDS: [(&str, FieldKind); 18] = [
    ("edge_id", FieldKind::Integer),
    ("from_node", FieldKind::Integer),
    ("to_node", FieldKind::Integer),
    ("twin", FieldKind::Integer),
    ("way_id", FieldKind::Text),
    ("name_zh", FieldKind::Text),
    ("name_en", FieldKind::Text),
    ("class", FieldKind::Text),
    ("oneway", FieldKind::Bool),
    ("length_m", FieldKind::Real),
    ("speed_kmh", FieldKind::Real),
    ("time_s", FieldKind::Real),
    ("lanes", FieldKind::Integer),
    ("capacity_vph", FieldKind::Real),
    ("bridge", FieldKind::Bool),
    ("tunnel", FieldKind::Bool),
    ("planned", FieldKind::Bool),
    ("source", FieldKind::Text),
];

/// The network's directed edges as a LineString layer named `roads`, one feature per edge
/// with every attribute ([`ROAD_FIELDS`]); `twin` is null for one-way edges.
pub fn roads_layer(net: &RoadNetwork) -> OutLayer {
    let mut l = OutLayer::new(ROADS_LAYER, GeometryKind::LineString, &ROAD_FIELDS);
    l.features.reserve(net.edge_count());
    for (i, e) in net.edges().iter().enumerate() {
        let s = net.street(e.street);
        l.features.push(OutFeature {
            geometry: Some(e.geometry.clone().into()),
            values: vec![
                Value::Int(i as i64),
                Value::Int(e.from.index() as i64),
                Value::Int(e.to.index() as i64),
                e.twin.map_or(Value::Null, |t| Value::Int(t.index() as i64)),
                Value::Text(s.way_id.clone()),
                Value::Text(s.name_zh.clone()),
                Value::Text(s.name_en.clone()),
                Value::Text(e.class.as_str().to_string()),
                Value::Bool(e.twin.is_none()),
                Value::Real(e.length_m),
                Value::Real(e.speed_kmh as f64),
                Value::Real(e.travel_time_s()),
                Value::Int(e.lanes as i64),
                Value::Real(e.capacity_vph as f64),
                Value::Bool(e.bridge),
                Value::Bool(e.tunnel),
                Value::Bool(e.planned),
                Value::Text(e.source.to_string()),
            ],
        });
    }
    l
}

/// The network's nodes as a Point layer named `nodes` (`node_id`, in/out degree).
pub fn nodes_layer(net: &RoadNetwork) -> OutLayer {
    let mut l = OutLayer::new(
        NODES_LAYER,
        GeometryKind::Point,
        &[
            ("node_id", FieldKind::Integer),
            ("in_edges", FieldKind::Integer),
            ("out_edges", FieldKind::Integer),
        ],
    );
    l.features.reserve(net.node_count());
    for (i, n) in net.nodes().iter().enumerate() {
        let id = NodeId::from_index(i);
        l.features.push(OutFeature {
            geometry: Some(Point::new(n.lon, n.lat).into()),
            values: vec![
                Value::Int(i as i64),
                Value::Int(net.in_edges(id).len() as i64),
                Value::Int(net.out_edges(id).len() as i64),
            ],
        });
    }
    l
}

/// The layers of a network that [`network_layer`] knows.
pub const NETWORK_LAYERS: [&str; 2] = [ROADS_LAYER, NODES_LAYER];

/// One named layer of a network (`roads` or `nodes`).
pub fn network_layer(net: &RoadNetwork, name: &str) -> Result<OutLayer> {
    match name {
        ROADS_LAYER => Ok(roads_layer(net)),
        NODES_LAYER => Ok(nodes_layer(net)),
        _ => Err(Error::invalid(format!(
            "unknown layer '{name}'; the network has: {}",
            NETWORK_LAYERS.join(", ")
        ))),
    }
}

/// Writes a network: GeoPackage gets `roads` and `nodes`, GeoJSON and FlatGeobuf get `roads`
/// only (one layer per file). [`read_network`] reads any of them back into the same network.
pub fn write_network(net: &RoadNetwork, path: &Path, format: VectorFormat) -> Result<()> {
    if format.multi_layer() {
        write_layers(path, format, &[roads_layer(net), nodes_layer(net)])
    } else {
        write_layers(path, format, &[roads_layer(net)])
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

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
}

/// The mapping keys that [`FieldMapping::parse`] accepts.
pub const MAPPING_KEYS: [&str; 12] = [
    "id", "name", "name_zh", "name_en", "lanes", "speed", "oneway", "class", "bridge", "tunnel",
    "capacity", "source",
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
            _ => return None,
        })
    }

    /// True when no field is named explicitly.
    pub fn is_empty(&self) -> bool {
        *self == FieldMapping::default()
    }

    fn entries(&self) -> [(&'static str, Option<&str>, &'static [&'static str]); 12] {
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

fn is_line_type(t: OGRwkbGeometryType::Type) -> bool {
    let t = gdal::vector::geometry_type_flatten(t);
    t == OGRwkbGeometryType::wkbLineString || t == OGRwkbGeometryType::wkbMultiLineString
}

fn geometry_type_name(t: OGRwkbGeometryType::Type) -> String {
    gdal::vector::geometry_type_to_name(t)
}

/// The names of the layers of a vector file.
pub fn layer_names(path: &Path) -> Result<Vec<String>> {
    let ds = open_vector(path)?;
    Ok(ds.layers().map(|l| l.name()).collect())
}

/// A field's value as text, whatever its OGR type; `None` for null/unset and empty strings.
fn field_text(
    path: &Path,
    f: &Feature<'_>,
    idx: usize,
    field: &str,
    loc: &str,
) -> Result<Option<String>> {
    let v = f
        .field(idx)
        .map_err(|e| Error::file(path, loc, format!("field '{field}' cannot be read: {e}")))?;
    Ok(match v {
        None => None,
        Some(FieldValue::StringValue(s)) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        Some(FieldValue::IntegerValue(i)) => Some(i.to_string()),
        Some(FieldValue::Integer64Value(i)) => Some(i.to_string()),
        Some(FieldValue::RealValue(x)) => Some(x.to_string()),
        Some(FieldValue::DateValue(d)) => Some(d.to_string()),
        Some(FieldValue::DateTimeValue(d)) => Some(d.to_rfc3339()),
        Some(other) => {
            return Err(Error::file(
                path,
                loc,
                format!("field '{field}' holds a list ({other:?}), not a single value"),
            ));
        }
    })
}

/// A numeric field's value (integer, real, or numeric text); `None` for null and empty text.
fn field_num(
    path: &Path,
    f: &Feature<'_>,
    idx: usize,
    field: &str,
    loc: &str,
) -> Result<Option<f64>> {
    let v = f
        .field(idx)
        .map_err(|e| Error::file(path, loc, format!("field '{field}' cannot be read: {e}")))?;
    match v {
        None => Ok(None),
        Some(FieldValue::RealValue(x)) => Ok(Some(x)),
        Some(FieldValue::IntegerValue(i)) => Ok(Some(i as f64)),
        Some(FieldValue::Integer64Value(i)) => Ok(Some(i as f64)),
        Some(FieldValue::StringValue(s)) if s.trim().is_empty() => Ok(None),
        Some(FieldValue::StringValue(s)) => match s.trim().parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(Error::file(
                path,
                loc,
                format!("field '{field}' = '{s}' is not a number"),
            )),
        },
        Some(other) => Err(Error::file(
            path,
            loc,
            format!("field '{field}' holds {other:?}, not a number"),
        )),
    }
}

fn feature_loc(f: &Feature<'_>, ordinal: usize) -> String {
    match f.fid() {
        Some(fid) => format!("feature {fid}"),
        None => format!("feature #{ordinal}"),
    }
}

/// Reads the lines of one feature (LineString, or each part of a MultiLineString), in WGS84.
fn feature_lines(
    path: &Path,
    f: &Feature<'_>,
    loc: &str,
    ct: Option<&CoordTransform>,
) -> Result<Vec<Vec<Coord<f64>>>> {
    let g = f
        .geometry()
        .ok_or_else(|| Error::file(path, loc, "feature has no geometry"))?;
    let t = gdal::vector::geometry_type_flatten(g.geometry_type());
    let mut parts: Vec<Vec<(f64, f64, f64)>> = Vec::new();
    if t == OGRwkbGeometryType::wkbLineString {
        let mut pts = Vec::new();
        g.get_points(&mut pts);
        parts.push(pts);
    } else if t == OGRwkbGeometryType::wkbMultiLineString {
        for i in 0..g.geometry_count() {
            let mut pts = Vec::new();
            g.get_geometry(i).get_points(&mut pts);
            parts.push(pts);
        }
    } else {
        return Err(Error::file(
            path,
            loc,
            format!(
                "geometry is {}; jzplan reads LineString and MultiLineString features",
                geometry_type_name(g.geometry_type())
            ),
        ));
    }
    let mut out = Vec::with_capacity(parts.len());
    for pts in parts {
        if pts.len() < 2 {
            return Err(Error::file(
                path,
                loc,
                format!("line has {} point(s); a road needs at least 2", pts.len()),
            ));
        }
        let mut xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let mut ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
        if let Some(ct) = ct {
            ct.transform_coords(&mut xs, &mut ys, &mut [])
                .map_err(|e| Error::file(path, loc, format!("cannot transform to WGS84: {e}")))?;
        }
        let mut line = Vec::with_capacity(xs.len());
        for (x, y) in xs.into_iter().zip(ys) {
            if !jzplan_core::network::geom::valid_lon_lat(x, y) {
                return Err(Error::file(
                    path,
                    loc,
                    format!("coordinate {x},{y} is not a valid WGS84 lon/lat after transformation"),
                ));
            }
            line.push(Coord { x, y });
        }
        out.push(line);
    }
    Ok(out)
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
    idx: [Option<usize>; 12],
    names: [String; 12],
}

fn resolve_mapping(fields: &[String], lname: &str, m: &FieldMapping) -> Result<Resolved> {
    let mut idx = [None; 12];
    let mut names: [String; 12] = Default::default();
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

// --- jzplan exports --------------------------------------------------------------------------

struct ExportRow {
    edge_id: i64,
    from_node: i64,
    to_node: i64,
    twin: Option<i64>,
    way_id: String,
    name_zh: String,
    name_en: String,
    class: RoadClass,
    length_m: f64,
    speed_kmh: f32,
    lanes: u8,
    capacity_vph: f32,
    bridge: bool,
    tunnel: bool,
    planned: bool,
    source: String,
    coords: Vec<Coord<f64>>,
    loc: String,
}

/// Node coordinates from the `nodes` layer of the same file, if it has one.
fn read_export_nodes(
    path: &Path,
    ds: &Dataset,
    ct: Option<&CoordTransform>,
) -> Result<Option<HashMap<i64, Coord<f64>>>> {
    let Ok(mut layer) = ds.layer_by_name(NODES_LAYER) else {
        return Ok(None);
    };
    let Ok(idx) = layer.defn().field_index("node_id") else {
        return Ok(None);
    };
    let mut out = HashMap::new();
    for (ordinal, f) in layer.features().enumerate() {
        let loc = format!("layer '{NODES_LAYER}' {}", feature_loc(&f, ordinal));
        let id = field_text(path, &f, idx, "node_id", &loc)?
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| Error::file(path, &loc, "field 'node_id' is not an integer"))?;
        let g = f
            .geometry()
            .ok_or_else(|| Error::file(path, &loc, "node has no geometry"))?;
        let (mut x, mut y, _) = g.get_point(0);
        if let Some(ct) = ct {
            let (mut xs, mut ys) = ([x], [y]);
            ct.transform_coords(&mut xs, &mut ys, &mut [])
                .map_err(|e| Error::file(path, &loc, format!("cannot transform to WGS84: {e}")))?;
            (x, y) = (xs[0], ys[0]);
        }
        out.insert(id, Coord { x, y });
    }
    Ok(Some(out))
}

fn read_export(
    path: &Path,
    layer: &mut gdal::vector::Layer<'_>,
    fields: &[String],
    ct: Option<&CoordTransform>,
    nodes: Option<HashMap<i64, Coord<f64>>>,
) -> Result<RoadNetwork> {
    let lname = layer.name();
    let col = |name: &str| -> Result<usize> {
        fields.iter().position(|f| f == name).ok_or_else(|| {
            Error::file(
                path,
                format!("layer '{lname}'"),
                format!("field '{name}' is missing from this jzplan export layer"),
            )
        })
    };
    let c = [
        col("edge_id")?,
        col("from_node")?,
        col("to_node")?,
        col("twin")?,
        col("way_id")?,
        col("name_zh")?,
        col("name_en")?,
        col("class")?,
        col("length_m")?,
        col("speed_kmh")?,
        col("lanes")?,
        col("capacity_vph")?,
        col("bridge")?,
        col("tunnel")?,
        col("planned")?,
        col("source")?,
    ];
    let mut rows = Vec::new();
    for (ordinal, f) in layer.features().enumerate() {
        let loc = feature_loc(&f, ordinal);
        let text = |k: usize| field_text(path, &f, c[k], &fields[c[k]], &loc);
        let req = |k: usize| -> Result<String> {
            text(k)?.ok_or_else(|| {
                Error::file(path, &loc, format!("field '{}' is empty", fields[c[k]]))
            })
        };
        // Numbers and flags are read typed: no text round trip on a large export.
        let num = |k: usize| field_num(path, &f, c[k], &fields[c[k]], &loc);
        let n = |k: usize| -> Result<f64> {
            num(k)?.ok_or_else(|| {
                Error::file(path, &loc, format!("field '{}' is empty", fields[c[k]]))
            })
        };
        let i = |k: usize| -> Result<i64> {
            let x = n(k)?;
            if x.fract() != 0.0 || x.abs() > 9.0e15 {
                return Err(Error::file(
                    path,
                    &loc,
                    format!("field '{}' = {x} is not an integer", fields[c[k]]),
                ));
            }
            Ok(x as i64)
        };
        let flag = |k: usize| -> Result<bool> {
            Ok(match num(k) {
                Ok(v) => v.is_some_and(|x| x != 0.0),
                Err(_) => text(k)?.is_some_and(|v| attrs::parse_flag(&v)),
            })
        };
        let class_v = req(7)?;
        let class = RoadClass::parse(&class_v).ok_or_else(|| {
            Error::file(
                path,
                &loc,
                format!("field 'class' = '{class_v}' is not a road class"),
            )
        })?;
        let lanes = i(10)?;
        let mut lines = feature_lines(path, &f, &loc, ct)?;
        if lines.len() != 1 {
            return Err(Error::file(
                path,
                &loc,
                format!("an exported edge has one line, this has {}", lines.len()),
            ));
        }
        rows.push(ExportRow {
            edge_id: i(0)?,
            from_node: i(1)?,
            to_node: i(2)?,
            twin: match num(3)? {
                None => None,
                Some(_) => Some(i(3)?).filter(|t| *t >= 0),
            },
            way_id: req(4)?,
            name_zh: text(5)?.unwrap_or_default(),
            name_en: text(6)?.unwrap_or_default(),
            class,
            length_m: n(8)?,
            speed_kmh: n(9)? as f32,
            lanes: u8::try_from(lanes).map_err(|_| {
                Error::file(
                    path,
                    &loc,
                    format!("field 'lanes' = {lanes} is out of range"),
                )
            })?,
            capacity_vph: n(11)? as f32,
            bridge: flag(12)?,
            tunnel: flag(13)?,
            planned: flag(14)?,
            source: req(15)?,
            coords: lines.remove(0),
            loc,
        });
    }
    rows.sort_by_key(|r| r.edge_id);
    if let Some(w) = rows.windows(2).find(|w| w[0].edge_id == w[1].edge_id) {
        return Err(Error::file(
            path,
            &w[1].loc,
            format!("field 'edge_id' = {} appears twice", w[1].edge_id),
        ));
    }
    // Node coordinates: the nodes layer, else the ends of the edge geometries.
    let mut coords: HashMap<i64, Coord<f64>> = nodes.unwrap_or_default();
    for r in &rows {
        let (Some(&a), Some(&z)) = (r.coords.first(), r.coords.last()) else {
            continue;
        };
        coords.entry(r.from_node).or_insert(a);
        coords.entry(r.to_node).or_insert(z);
    }
    let mut ids: Vec<i64> = coords.keys().copied().collect();
    ids.sort_unstable();
    let mut b = NetworkBuilder::new(path.display().to_string());
    b.reserve(ids.len(), rows.len());
    let mut node_of: HashMap<i64, NodeId> = HashMap::with_capacity(ids.len());
    for id in ids {
        let c = coords[&id];
        let n = b
            .add_node(c.x, c.y)
            .map_err(|e| Error::file(path, format!("node {id}"), e.to_string()))?;
        node_of.insert(id, n);
    }
    let mut edge_of: HashMap<i64, jzplan_core::network::EdgeId> =
        HashMap::with_capacity(rows.len());
    for r in &rows {
        let street = b.add_street(&r.way_id, &r.name_zh, &r.name_en);
        let spec = jzplan_core::network::EdgeSpec {
            from: node_of[&r.from_node],
            to: node_of[&r.to_node],
            street,
            class: r.class,
            length_m: Some(r.length_m),
            speed_kmh: Some(r.speed_kmh),
            lanes: Some(r.lanes),
            capacity_vph: Some(r.capacity_vph),
            bridge: r.bridge,
            tunnel: r.tunnel,
            planned: r.planned,
            geometry: Some(LineString::from(r.coords.clone())),
            source: r.source.clone(),
        };
        let e = b
            .add_edge(spec)
            .map_err(|e| Error::file(path, &r.loc, e.to_string()))?;
        edge_of.insert(r.edge_id, e);
    }
    for r in &rows {
        if let Some(t) = r.twin.filter(|t| *t > r.edge_id)
            && let Some(&te) = edge_of.get(&t)
        {
            b.set_twins(edge_of[&r.edge_id], te)
                .map_err(|e| Error::file(path, &r.loc, format!("field 'twin': {e}")))?;
        }
    }
    b.build()
}
