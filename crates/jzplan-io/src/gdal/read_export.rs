//! Re-reading a layer that jzplan exported ([`roads_layer`](super::roads_layer) and
//! [`nodes_layer`](super::nodes_layer)): the same node and edge ids, twins and attributes.

use super::feature::{feature_lines, feature_loc, field_num, field_text};
use super::write::NODES_LAYER;
use crate::attrs::{self};
use gdal::Dataset;
use gdal::spatial_ref::CoordTransform;
use gdal::vector::LayerAccess;
use geo_types::{Coord, LineString};
use jzplan_core::network::{NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan_core::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

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
pub(super) fn read_export_nodes(
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

pub(super) fn read_export(
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
