//! Isochrones: every part of every edge reachable within a budget, and a polygon around it.
//!
//! Polygon choice: the concave hull (`geo::ConcaveHull`, a port of mapbox/concaveman,
//! concavity 2) of the reached geometry, densified to a vertex every 100 m and computed in a
//! local metric plane. A buffered union of the reached lines follows the roads more closely but
//! needs a buffer width that has no natural value and costs a polygon union per edge; the hull
//! is O(p log p), has no free parameter that changes its meaning, and is the shape planners
//! expect from an isochrone map. It can include unreachable land between reached roads, which
//! is what the reached-edge list is for.

use super::search::{self, Potential};
use super::{Router, cut, ser_line};
use crate::network::geom::LocalProjection;
use crate::network::snap::Snap;
use crate::network::{EdgeId, Metric};
use crate::{Error, Result};
use geo::ConcaveHull;
use geo::concave_hull::ConcaveHullOptions;
use geo::{Area, Coord, LineString, MultiPoint, Point, Polygon};
use serde::Serialize;

/// Spacing of the vertices fed to the hull, metres.
const HULL_SPACING_M: f64 = 100.0;

/// A reached part of an edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReachedEdge {
    /// The directed edge.
    pub edge: EdgeId,
    /// Where the reached part starts (fraction of the edge).
    pub from_frac: f64,
    /// Where it ends (1 = the whole rest of the edge).
    pub to_frac: f64,
    /// Cost at `from_frac` (unit of the weights).
    pub start_cost: f64,
    /// Cost at `to_frac`.
    pub end_cost: f64,
    /// The reached part's geometry, lon/lat.
    #[serde(serialize_with = "ser_line")]
    pub geometry: LineString<f64>,
}

/// Everything reachable from a point within a budget.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Isochrone {
    /// The budget, in the unit of the weights (seconds for time).
    pub budget: f64,
    /// The metric of the weights.
    pub metric: Metric,
    /// Reached parts of edges. An edge can appear twice when it is entered from its tail and
    /// also contains the origin.
    pub reached: Vec<ReachedEdge>,
    /// Nodes reached within the budget.
    pub reached_nodes: usize,
    /// The concave hull of the reached geometry; `None` when it has no area (fewer than three
    /// points, or all on one line).
    #[serde(serialize_with = "ser_polygon")]
    pub polygon: Option<Polygon<f64>>,
}

fn ser_polygon<S: serde::Serializer>(p: &Option<Polygon<f64>>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => serde::Serialize::serialize(&geojson::Geometry::from(p), s),
        None => s.serialize_none(),
    }
}

impl Isochrone {
    /// As a GeoJSON feature collection: the polygon (if any) then one feature per reached edge.
    pub fn to_geojson(&self) -> geojson::FeatureCollection {
        let mut features = Vec::with_capacity(self.reached.len() + 1);
        if let Some(p) = &self.polygon {
            let mut props = serde_json::Map::new();
            props.insert("kind".into(), "isochrone".into());
            props.insert("budget".into(), self.budget.into());
            props.insert("metric".into(), serde_json::json!(self.metric));
            features.push(feature(geojson::Geometry::from(p), props));
        }
        for r in &self.reached {
            let mut props = serde_json::Map::new();
            props.insert("kind".into(), "reached_edge".into());
            props.insert("edge".into(), r.edge.0.into());
            props.insert("from_frac".into(), r.from_frac.into());
            props.insert("to_frac".into(), r.to_frac.into());
            props.insert("start_cost".into(), r.start_cost.into());
            props.insert("end_cost".into(), r.end_cost.into());
            features.push(feature(geojson::Geometry::from(&r.geometry), props));
        }
        geojson::FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        }
    }
}

fn feature(
    g: geojson::Geometry,
    props: serde_json::Map<String, serde_json::Value>,
) -> geojson::Feature {
    geojson::Feature {
        bbox: None,
        geometry: Some(g),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

impl Router<'_> {
    /// Everything reachable from `from` within `budget` (unit of the weights: seconds for
    /// [`Metric::Time`]).
    pub fn isochrone(&self, from: &Snap, budget: f64) -> Result<Isochrone> {
        if !(budget.is_finite() && budget > 0.0) {
            return Err(Error::invalid(format!(
                "isochrone budget {budget} must be a positive number"
            )));
        }
        self.check_snap(from)?;
        let o = self.placements(from);
        if o.is_empty() {
            return Err(Error::NoRoute("the origin lies on a closed edge".into()));
        }
        let seeds = self.seeds(&o);
        let g = self.graph();
        let net = self.net;
        let mut parts: Vec<(EdgeId, f64, f64, f64, f64)> = Vec::new();
        for p in &o {
            let reach = if p.w > 0.0 {
                (p.frac + budget / p.w).min(1.0)
            } else {
                1.0
            };
            // An origin at the end of an edge reaches nothing more of it.
            if reach > p.frac {
                parts.push((p.edge, p.frac, reach, 0.0, (reach - p.frac) * p.w));
            }
        }
        let nodes = search::with_space(|sp| {
            sp.start(g.n);
            search::seed(sp, g, net, &seeds, &Potential::Zero);
            search::bounded(sp, g, budget)
        });
        for &(v, dv) in &nodes {
            for a in g.arcs(v, false) {
                let end = dv + a.w;
                let mut to = if end <= budget {
                    1.0
                } else {
                    // a.w > 0 here, since dv <= budget < end.
                    (budget - dv) / a.w
                };
                // On an origin's own edge, the part from the origin on is reached from it
                // (at a lower cost: `dv >= 0`); from its start node, only the part before it.
                if let Some(p) = o.iter().find(|p| p.edge.0 == a.edge) {
                    to = to.min(p.frac);
                }
                if to > 0.0 {
                    let c1 = if to >= 1.0 { end } else { dv + to * a.w };
                    parts.push((EdgeId(a.edge), 0.0, to, dv, c1.min(budget)));
                }
            }
        }
        let reached: Vec<ReachedEdge> = parts
            .into_iter()
            .map(|(edge, f0, f1, c0, c1)| ReachedEdge {
                edge,
                from_frac: f0,
                to_frac: f1,
                start_cost: c0,
                end_cost: c1,
                geometry: LineString(cut(&net.edge(edge).geometry, f0, f1)),
            })
            .collect();
        let polygon = hull(&reached, from.point);
        Ok(Isochrone {
            budget,
            metric: self.metric,
            reached,
            reached_nodes: nodes.len(),
            polygon,
        })
    }
}

fn hull(reached: &[ReachedEdge], origin: Point<f64>) -> Option<Polygon<f64>> {
    let proj = LocalProjection::new(origin.x(), origin.y());
    let mut pts: Vec<Point<f64>> = Vec::new();
    for r in reached {
        let xy: Vec<[f64; 2]> = r.geometry.0.iter().map(|c| proj.forward(*c)).collect();
        for w in xy.windows(2) {
            let len = ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt();
            let steps = (len / HULL_SPACING_M).ceil().max(1.0) as usize;
            for i in 0..steps {
                let t = i as f64 / steps as f64;
                pts.push(Point::new(
                    w[0][0] + t * (w[1][0] - w[0][0]),
                    w[0][1] + t * (w[1][1] - w[0][1]),
                ));
            }
        }
        if let Some(l) = xy.last() {
            pts.push(Point::new(l[0], l[1]));
        }
    }
    if pts.len() < 3 {
        return None;
    }
    let h = MultiPoint(pts).concave_hull_with_options(ConcaveHullOptions::default());
    if h.unsigned_area() < 1.0 {
        return None;
    }
    let back = |ls: &LineString<f64>| {
        LineString(
            ls.0.iter()
                .map(|c| proj.inverse([c.x, c.y]))
                .collect::<Vec<Coord<f64>>>(),
        )
    };
    Some(Polygon::new(
        back(h.exterior()),
        h.interiors().iter().map(back).collect(),
    ))
}
