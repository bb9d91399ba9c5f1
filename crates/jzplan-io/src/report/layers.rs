//! The report's GeoPackage layers: flows, their differences, study geometries.

use crate::gdal::{FieldKind, GeometryKind, OutLayer, Value};
use jzplan_core::Result;
use jzplan_core::assignment::zones::RoadFlows;
use jzplan_core::network::{Edge, EdgeId, RoadNetwork};

pub(super) fn flow_layer(net: &RoadNetwork, name: &str, fl: &RoadFlows) -> Result<OutLayer> {
    let fields = [
        ("class", FieldKind::Text),
        ("open", FieldKind::Bool),
        ("volume_vph", FieldKind::Real),
        ("vc", FieldKind::Real),
        ("time_s", FieldKind::Real),
    ];
    edge_layer(net, name, &fields, |i, e| {
        let open = fl.time_s[i].is_finite();
        vec![
            Value::Text(e.class.as_str().to_string()),
            Value::Bool(open),
            Value::Real(fl.volume_vph[i]),
            Value::Real(fl.vc[i]),
            if open {
                Value::Real(fl.time_s[i])
            } else {
                Value::Null
            },
        ]
    })
}

pub(super) fn diff_layer(
    net: &RoadNetwork,
    name: &str,
    b: &RoadFlows,
    a: &RoadFlows,
) -> Result<OutLayer> {
    let fields = [
        ("before_vph", FieldKind::Real),
        ("after_vph", FieldKind::Real),
        ("delta_vph", FieldKind::Real),
        ("vc_before", FieldKind::Real),
        ("vc_after", FieldKind::Real),
    ];
    edge_layer(net, name, &fields, |i, _| {
        vec![
            Value::Real(b.volume_vph[i]),
            Value::Real(a.volume_vph[i]),
            Value::Real(a.volume_vph[i] - b.volume_vph[i]),
            Value::Real(b.vc[i]),
            Value::Real(a.vc[i]),
        ]
    })
}

/// One feature per edge with its geometry: `edge_id` and `street`, then `fields` with the
/// values `values(index, edge)` gives.
fn edge_layer(
    net: &RoadNetwork,
    name: &str,
    fields: &[(&str, FieldKind)],
    values: impl Fn(usize, &Edge) -> Vec<Value>,
) -> Result<OutLayer> {
    let mut all = vec![("edge_id", FieldKind::Integer), ("street", FieldKind::Text)];
    all.extend_from_slice(fields);
    let mut l = OutLayer::new(name, GeometryKind::LineString, &all);
    for (i, e) in net.edges().iter().enumerate() {
        let mut row = vec![
            Value::Int(i as i64),
            Value::Text(
                net.street_of(EdgeId::from_index(i))
                    .display_name()
                    .to_string(),
            ),
        ];
        row.extend(values(i, e));
        l.push(e.geometry.clone(), row)?;
    }
    Ok(l)
}

/// A Point, LineString or MultiLineString from GeoJSON `{"type", "coordinates"}`.
pub(super) fn json_geometry(g: &serde_json::Value) -> Option<geo_types::Geometry<f64>> {
    let pt = |v: &serde_json::Value| -> Option<geo_types::Coord<f64>> {
        Some(geo_types::Coord {
            x: v.get(0)?.as_f64()?,
            y: v.get(1)?.as_f64()?,
        })
    };
    let line = |v: &serde_json::Value| -> Option<geo_types::LineString<f64>> {
        v.as_array()?
            .iter()
            .map(pt)
            .collect::<Option<Vec<_>>>()
            .map(geo_types::LineString)
    };
    let c = &g["coordinates"];
    match g["type"].as_str()? {
        "Point" => pt(c).map(|p| geo_types::Point(p).into()),
        "LineString" => line(c).map(Into::into),
        "MultiLineString" => c
            .as_array()?
            .iter()
            .map(line)
            .collect::<Option<Vec<_>>>()
            .map(|ls| geo_types::MultiLineString(ls).into()),
        _ => None,
    }
}
