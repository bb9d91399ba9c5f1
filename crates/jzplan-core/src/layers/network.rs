//! Layers derived from the road network.

use super::{Feature, Layer, LayerInfo, PropKind, PropertyDef, prop};
use crate::Result;
use crate::network::{EdgeId, RoadNetwork};
use chrono::NaiveDate;
use geo_types::{Coord, Rect};
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};

/// Properties of the `roads` layer.
pub fn road_properties() -> Vec<PropertyDef> {
    use PropKind::*;
    vec![
        prop(
            "edge_id",
            Integer,
            "directed edge id of the first direction",
        ),
        prop(
            "twin_edge_id",
            Integer,
            "edge id of the opposite direction (absent if one-way)",
        ),
        prop("way_id", String, "id of the street in its source"),
        prop("name_zh", String, "Chinese street name"),
        prop("name_en", String, "English street name"),
        prop("class", String, "road class (expressway … ramp)"),
        prop("length_m", Number, "geodesic length, metres"),
        prop("speed_kmh", Number, "free-flow speed, km/h"),
        prop("lanes", Integer, "lanes in the first direction"),
        prop(
            "capacity_vph",
            Number,
            "capacity of the first direction, vehicles/hour",
        ),
        prop("oneway", Boolean, "one-way road"),
        prop("bridge", Boolean, "on a bridge"),
        prop("tunnel", Boolean, "in a tunnel"),
        prop(
            "planned",
            Boolean,
            "planned link, not open in the base network",
        ),
        prop(
            "source",
            String,
            "provenance (seed:…, estimate:…, model:…, osm:…)",
        ),
    ]
}

/// The features of the `roads` layer: one per road segment (both directions of a two-way
/// segment are one feature, with the lower edge id as its id).
pub fn road_features(net: &RoadNetwork) -> Vec<Feature> {
    let mut features = Vec::with_capacity(net.edge_count() / 2 + 1);
    for (i, e) in net.edges().iter().enumerate() {
        let id = EdgeId::from_index(i);
        if e.twin.is_some_and(|t| t < id) {
            continue;
        }
        let s = net.street(e.street);
        let mut p = Map::new();
        p.insert("edge_id".into(), Value::from(id.0));
        if let Some(t) = e.twin {
            p.insert("twin_edge_id".into(), Value::from(t.0));
        }
        p.insert("way_id".into(), Value::from(s.way_id.as_str()));
        p.insert("name_zh".into(), Value::from(s.name_zh.as_str()));
        p.insert("name_en".into(), Value::from(s.name_en.as_str()));
        p.insert("class".into(), Value::from(e.class.as_str()));
        p.insert("length_m".into(), Value::from(round_to(e.length_m, 1)));
        p.insert("speed_kmh".into(), Value::from(e.speed_kmh as f64));
        p.insert("lanes".into(), Value::from(e.lanes));
        p.insert("capacity_vph".into(), Value::from(e.capacity_vph as f64));
        p.insert("oneway".into(), Value::from(e.twin.is_none()));
        p.insert("bridge".into(), Value::from(e.bridge));
        p.insert("tunnel".into(), Value::from(e.tunnel));
        p.insert("planned".into(), Value::from(e.planned));
        p.insert("source".into(), Value::from(&*e.source));
        features.push(Feature::new(id.0.to_string(), e.geometry.clone().into(), p));
    }
    features
}

fn roads_info() -> LayerInfo {
    LayerInfo {
        id: "roads",
        title: "Roads",
        description: "Road segments of the network served (both directions of a two-way \
                      segment are one feature). Jinzhou data is approximate: see each \
                      feature's source.",
        geometry_type: "LineString",
        properties: road_properties(),
        dated: false,
        min_zoom: 0,
    }
}

/// The `roads` layer of a shared network, its features made on first use: a server that is
/// never asked for the layer does not hold it (on a 638k-edge grid a server held 1,434 MB
/// with the features built at start and 627 MB without: docs/performance.md).
pub struct RoadsLayer {
    info: LayerInfo,
    network: Arc<RoadNetwork>,
    features: OnceLock<Arc<Vec<Feature>>>,
    extent: Option<Rect<f64>>,
}

impl RoadsLayer {
    /// The layer of `network`; only its extent is computed now.
    pub fn new(network: Arc<RoadNetwork>) -> Self {
        let extent = network
            .edges()
            .iter()
            .flat_map(|e| e.geometry.0.iter())
            .fold(None, |r: Option<(Coord<f64>, Coord<f64>)>, c| {
                Some(match r {
                    None => (*c, *c),
                    Some((a, b)) => (
                        Coord {
                            x: a.x.min(c.x),
                            y: a.y.min(c.y),
                        },
                        Coord {
                            x: b.x.max(c.x),
                            y: b.y.max(c.y),
                        },
                    ),
                })
            })
            .map(|(a, b)| Rect::new(a, b));
        RoadsLayer {
            info: roads_info(),
            network,
            features: OnceLock::new(),
            extent,
        }
    }
}

impl Layer for RoadsLayer {
    fn info(&self) -> &LayerInfo {
        &self.info
    }
    fn features(&self, _date: Option<NaiveDate>) -> Result<Arc<Vec<Feature>>> {
        Ok(self
            .features
            .get_or_init(|| Arc::new(road_features(&self.network)))
            .clone())
    }
    fn extent(&self) -> Option<Rect<f64>> {
        self.extent
    }
}

/// Rounds to `digits` decimals (for readable output; the network keeps full precision).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}
