//! The generic writer: typed feature layers ([`OutLayer`]) to GeoPackage, GeoJSON and
//! FlatGeobuf, and the network's roads and nodes as such layers.

use super::{VectorFormat, quiet_gdal};
use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
use gdal::vector::{
    Feature, FieldDefn, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType, ToGdal,
};
use gdal::{Dataset, DriverManager};
use geo_types::Point;
use jzplan_core::network::{NodeId, RoadNetwork};
use jzplan_core::{Error, Result};
use std::path::Path;

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
    /// A day, `YYYY-MM-DD` ([`Value::Text`]), stored as the format's date type.
    Date,
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
                    | (FieldKind::Date, Value::Text(_))
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
                (FieldKind::Date, Some(J::String(s)))
                    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() =>
                {
                    Some(Value::Text(s.clone()))
                }
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

fn gdal_write_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Gdal(format!("writing {}: {e}", path.display()))
}

/// Writes layers to a new file (replacing an existing regular file) with a GDAL driver, in
/// WGS84 (EPSG:4326). GeoJSON and FlatGeobuf hold a single layer: passing more is an
/// `InvalidInput` error. GeoPackage writes run in one transaction.
///
/// The file is written beside `path` under a temporary name, read back (every layer must hold
/// the features written: GDAL's GeoJSON and FlatGeobuf drivers do not report a failed write,
/// e.g. on a full disk) and only then renamed over `path`. A failed write leaves `path` as it
/// was and no partial file behind. A `path` that exists and is not a regular file (a
/// directory, a device) is refused.
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
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(Error::invalid(format!(
            "'{}' exists and is not a regular file: not replacing it",
            path.display()
        )));
    }
    let tmp = temporary_path(path, format);
    let written =
        write_new(&tmp, path, format, layers).and_then(|()| read_back(&tmp, path, layers));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
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

/// A name beside `path` for writing it: hidden, unique to this process, with the format's
/// extension (the FlatGeobuf driver makes a directory of a name without `.fgb`).
fn temporary_path(path: &Path, format: VectorFormat) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        ".{name}.{}.tmp.{}",
        std::process::id(),
        format.extension()
    ))
}

/// Reads the file written at `tmp` (for `path`) back: every layer there, with as many
/// features as written (read one by one); an `IoError` on `path` otherwise.
fn read_back(tmp: &Path, path: &Path, layers: &[OutLayer]) -> Result<()> {
    let failed = |what: String| {
        Error::io(
            path,
            std::io::Error::other(format!(
                "the file written does not read back ({what}); is the disk full?"
            )),
        )
    };
    let ds = Dataset::open(tmp).map_err(|e| failed(e.to_string()))?;
    for l in layers {
        // Counted by reading them: a FlatGeobuf header states its count whatever follows.
        let n = ds
            .layer_by_name(&l.name)
            .map_err(|e| failed(format!("layer '{}': {e}", l.name)))?
            .features()
            .count() as u64;
        if n != l.features.len() as u64 {
            return Err(failed(format!(
                "layer '{}' holds {n} of {} features",
                l.name,
                l.features.len()
            )));
        }
    }
    Ok(())
}

/// Writes `layers` to the new file `tmp` (errors name `path`).
fn write_new(tmp: &Path, path: &Path, format: VectorFormat, layers: &[OutLayer]) -> Result<()> {
    if tmp.exists() {
        std::fs::remove_file(tmp).map_err(|e| Error::io(tmp, e))?;
    }
    let driver = DriverManager::get_driver_by_name(format.driver_name())
        .map_err(|e| Error::Gdal(format!("driver {}: {e}", format.driver_name())))?;
    let mut ds = driver
        .create_vector_only(tmp)
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
            FieldKind::Date => OGRFieldType::OFTDate,
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

/// Name of the roads layer written by [`write_network`] and preferred by [`read_network`](super::read_network).
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
/// only (one layer per file). [`read_network`](super::read_network) reads any of them back into the same network.
pub fn write_network(net: &RoadNetwork, path: &Path, format: VectorFormat) -> Result<()> {
    if format.multi_layer() {
        write_layers(path, format, &[roads_layer(net), nodes_layer(net)])
    } else {
        write_layers(path, format, &[roads_layer(net)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer() -> OutLayer {
        let mut l = OutLayer::new("flows", GeometryKind::LineString, &[("v", FieldKind::Real)]);
        for k in 0..50 {
            let x = 121.1 + 0.001 * k as f64;
            let line: geo_types::LineString<f64> = vec![(x, 41.1), (x, 41.2)].into();
            l.push(line, vec![Value::Real(k as f64)]).unwrap();
        }
        l
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_write_replaces_a_regular_file_and_leaves_nothing_else_behind() {
        let dir = tempfile::tempdir().unwrap();
        for (file, format) in [
            ("a.gpkg", VectorFormat::GeoPackage),
            ("b.geojson", VectorFormat::GeoJson),
            ("c.fgb", VectorFormat::FlatGeobuf),
        ] {
            let p = dir.path().join(file);
            std::fs::write(&p, "old").unwrap();
            write_layers(&p, format, &[layer()]).unwrap();
            write_layers(&p, format, &[layer()]).unwrap();
            assert!(p.is_file(), "{file}");
            let ds = Dataset::open(&p).unwrap();
            assert_eq!(ds.layer_by_name("flows").unwrap().feature_count(), 50);
        }
        assert_eq!(names(dir.path()), ["a.gpkg", "b.geojson", "c.fgb"]);
    }

    #[test]
    fn a_path_that_is_no_regular_file_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("d.geojson");
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("keep"), "x").unwrap();
        let err = write_layers(&sub, VectorFormat::GeoJson, &[layer()]).unwrap_err();
        assert_eq!(err.code(), "InvalidInput", "{err}");
        assert!(err.to_string().contains("not a regular file"), "{err}");
        assert_eq!(names(&sub), ["keep"]);
        assert_eq!(names(dir.path()), ["d.geojson"]);
        // A directory that does not exist: an error, and no file anywhere.
        let missing = dir.path().join("no/such/dir/x.gpkg");
        assert!(write_layers(&missing, VectorFormat::GeoPackage, &[layer()]).is_err());
        assert_eq!(names(dir.path()), ["d.geojson"]);
    }

    #[test]
    fn a_file_that_does_not_read_back_whole_is_an_io_error() {
        // What a full disk leaves of a GeoJSON or FlatGeobuf write, which GDAL does not report:
        // a truncated file, or an empty one.
        let dir = tempfile::tempdir().unwrap();
        let layers = [layer()];
        for (file, format) in [
            ("t.geojson", VectorFormat::GeoJson),
            ("t.fgb", VectorFormat::FlatGeobuf),
        ] {
            let tmp = dir.path().join(file);
            write_new(&tmp, &tmp, format, &layers).unwrap();
            read_back(&tmp, &tmp, &layers).unwrap();
            let bytes = std::fs::read(&tmp).unwrap();
            for keep in [bytes.len() / 2, 0] {
                std::fs::write(&tmp, &bytes[..keep]).unwrap();
                let err = read_back(&tmp, Path::new("out"), &layers)
                    .expect_err(&format!("{file} cut to {keep} bytes"));
                assert_eq!(err.code(), "IoError", "{file}, {keep} bytes: {err}");
                assert!(err.to_string().contains("does not read back"), "{err}");
            }
        }
    }
}
