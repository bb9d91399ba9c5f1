//! Shortest paths on a [`RoadNetwork`] with per-edge weights: point-to-point routes
//! (Dijkstra, A*, bidirectional Dijkstra, bidirectional A*, and contraction hierarchies
//! prepared once per weights vector: [`Hierarchy`]), many-to-many matrices, isochrones, and
//! per-query avoidance of edges, streets or an area.
//!
//! Weights are a slice with one entry per edge (seconds for [`Metric::Time`], metres for
//! [`Metric::Distance`]); `f64::INFINITY` closes an edge. A scenario passes its own weights
//! (works closed, planned links opened) and the graph is never copied. Routes start and end at
//! points ON edges (a [`Snap`], OSRM's phantom nodes), with partial costs on the first and last
//! edge.
//!
//! ```
//! use jzplan_core::network::{EdgeSpec, Metric, NetworkBuilder, RoadClass};
//! use jzplan_core::routing::{RouteOptions, Router};
//! use geo_types::Point;
//!
//! let mut b = NetworkBuilder::new("example");
//! let a = b.add_node(121.10, 41.10).unwrap();
//! let c = b.add_node(121.12, 41.10).unwrap();
//! let s = b.add_street("jz:example", "示例路", "Example Road");
//! b.add_road(EdgeSpec::new(a, c, s, RoadClass::Primary, "estimate:doc"), false).unwrap();
//! let net = b.build().unwrap();
//!
//! let weights = net.weights(Metric::Time);
//! let router = Router::new(&net, &weights, Metric::Time).unwrap();
//! let from = router.snap(Point::new(121.101, 41.1001), 500.0).unwrap();
//! let to = router.snap(Point::new(121.119, 41.1001), 500.0).unwrap();
//! let route = router.route(&from, &to, &RouteOptions::default()).unwrap();
//! assert!((route.distance_m - 1512.0).abs() < 10.0);
//! assert_eq!(route.streets[0].name_en, "Example Road");
//! ```

pub mod avoid;
pub mod cch;
pub mod ch;
pub mod isochrone;
pub mod matrix;
pub mod prepared;
pub mod query;
mod search;
pub mod stats;
pub mod work;

pub use avoid::Avoid;
pub use cch::{Cch, CchSearch, CchSearchStats, Customized};
pub use ch::{ChOptions, Hierarchy, HierarchyCache, SearchStats};
pub use isochrone::{Isochrone, ReachedEdge};
pub use matrix::Matrix;
pub use prepared::{Prepared, PreparedCache};
pub use query::{QueryOptions, RouteQuery, isochrone_query, matrix_query, route_query};
pub use stats::{NetworkStats, network_stats};

use crate::network::snap::Snap;
use crate::network::{EdgeId, Metric, RoadNetwork, StreetId};
use crate::{Error, Result};
use geo_types::{Coord, LineString, Point};
use search::{Access, Bound, Graph, Potential};
use serde::Serialize;

/// The shortest-path algorithm of a query. All give the same cost; they differ in speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Plain Dijkstra from the origin.
    Dijkstra,
    /// A* with a consistent geometric lower bound.
    AStar,
    /// Dijkstra from both ends at once.
    BidirDijkstra,
    /// A* from both ends at once (average potentials); the default.
    #[default]
    BidirAStar,
    /// Contraction hierarchies: upward searches from both ends on a [`Hierarchy`] prepared
    /// once for the weights (the router prepares one on first use if none was given).
    Ch,
}

impl Algorithm {
    /// All algorithms.
    pub const ALL: [Algorithm; 5] = [
        Algorithm::Dijkstra,
        Algorithm::AStar,
        Algorithm::BidirDijkstra,
        Algorithm::BidirAStar,
        Algorithm::Ch,
    ];
    /// The name used on the command line and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Dijkstra => "dijkstra",
            Algorithm::AStar => "astar",
            Algorithm::BidirDijkstra => "bidir-dijkstra",
            Algorithm::BidirAStar => "bidir",
            Algorithm::Ch => "ch",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "dijkstra" => Ok(Algorithm::Dijkstra),
            "astar" | "a*" => Ok(Algorithm::AStar),
            "bidir-dijkstra" => Ok(Algorithm::BidirDijkstra),
            "bidir" | "bidir-astar" => Ok(Algorithm::BidirAStar),
            "ch" => Ok(Algorithm::Ch),
            _ => Err(Error::invalid(format!(
                "algorithm '{s}' is not one of: dijkstra, astar, bidir, bidir-dijkstra, ch"
            ))),
        }
    }
}

/// Options of a route query.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RouteOptions {
    /// The search algorithm.
    pub algorithm: Algorithm,
}

/// A stretch of a route along one street (consecutive edges of the same street, or of
/// differently drawn ways with the same name, merged).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreetStretch {
    /// The street.
    pub street: StreetId,
    /// Its stable id in the source (`jz:…`, `osm:w…`).
    pub way_id: String,
    /// Chinese name (may be empty).
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
    /// Metres driven on this street.
    pub length_m: f64,
    /// Seconds driven on this street.
    pub duration_s: f64,
}

/// A piece of a route: an edge, or the part of it between two fractions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RoutePiece {
    /// The directed edge driven.
    pub edge: EdgeId,
    /// Fraction of the edge where the route enters it (0 = its tail).
    pub from_frac: f64,
    /// Fraction of the edge where the route leaves it (1 = its head).
    pub to_frac: f64,
}

/// A route between two snapped points.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Route {
    /// Length, metres (geodesic edge lengths, partial at both ends).
    pub distance_m: f64,
    /// Travel time, seconds: the weights when the metric is time, free-flow times otherwise.
    pub duration_s: f64,
    /// The optimised cost, in the unit of the weights.
    pub cost: f64,
    /// The metric the weights express.
    pub metric: Metric,
    /// The algorithm that found it.
    pub algorithm: Algorithm,
    /// Edges driven, in order, with the partial first and last edge.
    pub pieces: Vec<RoutePiece>,
    /// The street summary, in order.
    pub streets: Vec<StreetStretch>,
    /// Geometry from the origin point to the destination point (lon/lat).
    #[serde(serialize_with = "ser_line")]
    pub geometry: LineString<f64>,
    /// A measure of the search's work: the nodes it settled; for a contraction hierarchy
    /// with hub labels (small and mid-sized networks), the label entries its merge read.
    pub settled_nodes: usize,
}

impl Route {
    /// The edge ids driven, in order.
    pub fn edge_ids(&self) -> Vec<EdgeId> {
        self.pieces.iter().map(|p| p.edge).collect()
    }

    /// The route as a GeoJSON feature (geometry plus distance, duration and streets).
    pub fn to_geojson(&self) -> geojson::Feature {
        let mut props = serde_json::Map::new();
        props.insert("distance_m".into(), self.distance_m.into());
        props.insert("duration_s".into(), self.duration_s.into());
        props.insert("metric".into(), serde_json::json!(self.metric));
        props.insert("algorithm".into(), self.algorithm.as_str().into());
        props.insert(
            "edges".into(),
            serde_json::json!(self.edge_ids().iter().map(|e| e.0).collect::<Vec<_>>()),
        );
        props.insert("streets".into(), serde_json::json!(self.streets));
        geojson::Feature {
            bbox: None,
            geometry: Some(geojson::Geometry::from(&self.geometry)),
            id: None,
            properties: Some(props),
            foreign_members: None,
        }
    }
}

pub(crate) fn ser_line<S: serde::Serializer>(l: &LineString<f64>, s: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&geojson::Geometry::from(l), s)
}

/// Routes on one network with one set of weights, and `Sync`: share it between threads and
/// queries. [`Router::new`] checks the weights (one pass over them); the adjacency that the
/// plain searches need is built on their first use (one more pass), or shared from a
/// [`Prepared`]: a router of a [`Prepared`] weights vector costs O(1), so a request on a kept
/// state reads nothing network-wide. Search state is kept per thread and reused, so a query
/// costs only the nodes it visits.
pub struct Router<'a> {
    net: &'a RoadNetwork,
    weights: &'a [f64],
    metric: Metric,
    g: GraphSlot<'a>,
    /// A hierarchy given by the caller (checked to match the weights), or
    ch_given: Option<&'a Hierarchy>,
    /// one prepared on the first [`Algorithm::Ch`] query (errors kept as their message).
    ch_own: std::sync::OnceLock<std::result::Result<Hierarchy, String>>,
    /// A customized CCH given by the caller: answers [`Algorithm::Ch`] instead of a hierarchy.
    cch: Option<CchSlot<'a>>,
}

/// The customized CCH a router answers on: the caller's, or one shared with a [`Prepared`]
/// (held while the router lives, so that a [`Prepared`] may let it go meanwhile).
enum CchSlot<'a> {
    Borrowed(&'a Customized),
    Shared(std::sync::Arc<Customized>),
}

impl CchSlot<'_> {
    fn get(&self) -> &Customized {
        match self {
            CchSlot::Borrowed(c) => c,
            CchSlot::Shared(c) => c,
        }
    }
}

impl std::fmt::Debug for Router<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("network", &self.net.origin)
            .field("metric", &self.metric)
            .finish()
    }
}

/// The adjacency of the plain searches: the router's own, built on first use, or a
/// [`Prepared`]'s, built once for all its routers.
enum GraphSlot<'a> {
    Own(std::sync::OnceLock<Graph>),
    Shared(&'a std::sync::OnceLock<Graph>),
}

/// Checks a weight slice: one finite-or-infinite, non-negative value per edge.
pub fn validate_weights(net: &RoadNetwork, weights: &[f64]) -> Result<()> {
    work::full_pass(net);
    if weights.len() != net.edge_count() {
        return Err(Error::invalid(format!(
            "{} weights given for a network of {} edges",
            weights.len(),
            net.edge_count()
        )));
    }
    if let Some(i) = weights.iter().position(|w| w.is_nan() || *w < 0.0) {
        return Err(Error::invalid(format!(
            "weight of edge {i} is {} (must be >= 0, or infinity for a closed edge)",
            weights[i]
        )));
    }
    Ok(())
}

/// A point of a route on an edge, in the direction it is driven.
#[derive(Clone, Copy, Debug)]
struct Placement {
    edge: EdgeId,
    frac: f64,
    w: f64,
}

/// The pieces of a route that leaves `from`'s phantom point, runs over whole `edges` and stops
/// at `to`'s: the rest of the first edge, the edges, the start of the last. A phantom point
/// exactly at a node leaves an empty end piece, which is dropped (it adds nothing).
fn route_pieces(from: &Placement, edges: Vec<u32>, to: &Placement) -> Vec<RoutePiece> {
    let mut p = Vec::with_capacity(edges.len() + 2);
    p.push(RoutePiece {
        edge: from.edge,
        from_frac: from.frac,
        to_frac: 1.0,
    });
    p.extend(edges.into_iter().map(|e| RoutePiece {
        edge: EdgeId(e),
        from_frac: 0.0,
        to_frac: 1.0,
    }));
    p.push(RoutePiece {
        edge: to.edge,
        from_frac: 0.0,
        to_frac: to.frac,
    });
    let last = p.len() - 1;
    if p[last].to_frac <= 0.0 && last > 0 {
        p.pop();
    }
    if p[0].from_frac >= 1.0 && p.len() > 1 {
        p.remove(0);
    }
    p
}

impl<'a> Router<'a> {
    /// A router for `weights` (one per edge, in the unit of `metric`; infinity = closed).
    pub fn new(net: &'a RoadNetwork, weights: &'a [f64], metric: Metric) -> Result<Router<'a>> {
        validate_weights(net, weights)?;
        Ok(Router {
            net,
            weights,
            metric,
            g: GraphSlot::Own(std::sync::OnceLock::new()),
            ch_given: None,
            ch_own: std::sync::OnceLock::new(),
            cch: None,
        })
    }

    /// A router that answers [`Algorithm::Ch`] queries with `ch`, which must have been prepared
    /// for exactly these weights (`InvalidInput` otherwise).
    pub fn with_hierarchy(
        net: &'a RoadNetwork,
        weights: &'a [f64],
        metric: Metric,
        ch: &'a Hierarchy,
    ) -> Result<Router<'a>> {
        let mut r = Router::new(net, weights, metric)?;
        if !ch.matches(net, weights) {
            return Err(Error::invalid(
                "the contraction hierarchy was prepared for other weights or another network",
            ));
        }
        r.ch_given = Some(ch);
        Ok(r)
    }

    /// The adjacency of the plain searches (built on first use).
    fn graph(&self) -> &Graph {
        let slot = match &self.g {
            GraphSlot::Own(o) => o,
            GraphSlot::Shared(o) => *o,
        };
        slot.get_or_init(|| {
            work::full_pass(self.net);
            Graph::new(self.net, self.weights)
        })
    }

    /// The hierarchy of the weights: the one given, or one prepared now (once per router).
    pub fn hierarchy(&self) -> Result<&Hierarchy> {
        if let Some(h) = self.ch_given {
            return Ok(h);
        }
        self.ch_own
            .get_or_init(|| Hierarchy::new(self.net, self.weights).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::TooBig(e.clone()))
    }

    /// The network.
    pub fn network(&self) -> &'a RoadNetwork {
        self.net
    }

    /// The weights.
    pub fn weights(&self) -> &'a [f64] {
        self.weights
    }

    /// The metric of the weights.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Snaps a point onto the nearest open edge (finite weight) within `max_m` metres, or
    /// `NoSegment`; a coordinate that is not WGS84 or a radius outside the shared rule
    /// ([`check_radius`](crate::network::snap::check_radius)) gives `InvalidInput`.
    pub fn snap(&self, p: Point<f64>, max_m: f64) -> Result<Snap> {
        crate::network::snap::check_radius(max_m)?;
        let w = self.weights;
        self.net
            .snap_index()
            .snap_filtered(self.net, p, max_m, |e| w[e.index()].is_finite())
    }

    /// Travel time of a whole edge in seconds.
    #[inline]
    fn time_s(&self, e: EdgeId) -> f64 {
        match self.metric {
            Metric::Time => self.weights[e.index()],
            Metric::Distance => self.net.edge(e).travel_time_s(),
        }
    }

    fn check_snap(&self, s: &Snap) -> Result<()> {
        let ok = |e: EdgeId| e.index() < self.net.edge_count();
        if !ok(s.edge) || !s.twin.is_none_or(ok) || !(0.0..=1.0).contains(&s.frac) {
            return Err(Error::invalid(format!(
                "snap on edge {} at fraction {} does not belong to this network",
                s.edge, s.frac
            )));
        }
        Ok(())
    }

    /// The directed positions of a snapped point: on its edge and on the twin, if open.
    fn placements(&self, s: &Snap) -> Vec<Placement> {
        let mut out = Vec::with_capacity(2);
        for (edge, frac) in [(Some(s.edge), s.frac), (s.twin, 1.0 - s.frac)] {
            if let Some(edge) = edge {
                let w = self.weights[edge.index()];
                if w.is_finite() {
                    out.push(Placement { edge, frac, w });
                }
            }
        }
        out
    }

    fn seeds(&self, p: &[Placement]) -> Vec<Access> {
        p.iter()
            .map(|p| Access {
                node: self.net.edge(p.edge).to.0,
                cost: (1.0 - p.frac) * p.w,
            })
            .collect()
    }

    fn targets(&self, p: &[Placement]) -> Vec<Access> {
        p.iter()
            .map(|p| Access {
                node: self.net.edge(p.edge).from.0,
                cost: p.frac * p.w,
            })
            .collect()
    }

    /// The best route that stays on one edge (origin before destination), if any.
    fn direct(&self, o: &[Placement], d: &[Placement]) -> Option<(f64, RoutePiece)> {
        let mut best: Option<(f64, RoutePiece)> = None;
        for a in o {
            for b in d {
                if a.edge == b.edge && a.frac <= b.frac {
                    let c = (b.frac - a.frac) * a.w;
                    if best.is_none_or(|(bc, _)| c < bc) {
                        best = Some((
                            c,
                            RoutePiece {
                                edge: a.edge,
                                from_frac: a.frac,
                                to_frac: b.frac,
                            },
                        ));
                    }
                }
            }
        }
        best
    }

    /// The shortest route from `from` to `to` (both snapped with [`Router::snap`]).
    /// `NoRoute` when the destination cannot be reached.
    pub fn route(&self, from: &Snap, to: &Snap, opts: &RouteOptions) -> Result<Route> {
        self.check_snap(from)?;
        self.check_snap(to)?;
        let o = self.placements(from);
        let d = self.placements(to);
        if o.is_empty() || d.is_empty() {
            return Err(Error::NoRoute(
                "the origin or the destination lies on a closed edge".into(),
            ));
        }
        let seeds = self.seeds(&o);
        let targets = self.targets(&d);
        let direct = self.direct(&o, &d);
        let mu0 = direct.map_or(f64::INFINITY, |(c, _)| c);
        let net = self.net;
        let algo = opts.algorithm;
        let (cost, middle, settled) = match algo {
            // Only the plain searches need the adjacency (hierarchies have their own).
            Algorithm::Dijkstra | Algorithm::AStar => search::with_space(|sp| {
                let g = self.graph();
                sp.start(g.n);
                let to_t = Bound::new(g, net, &targets, algo == Algorithm::AStar);
                let pot = Potential::To(&to_t);
                search::seed(sp, g, net, &seeds, &pot);
                let (mu, best) = search::unidirectional(sp, g, net, &targets, &pot, mu0);
                let middle = best.map(|ti| {
                    let (edges, si) = search::path_to(sp, net, targets[ti].node);
                    (si, edges, ti)
                });
                (mu, middle, sp.settled)
            }),
            Algorithm::BidirDijkstra | Algorithm::BidirAStar => search::with_two_spaces(|f, b| {
                let g = self.graph();
                f.start(g.n);
                b.start(g.n);
                let astar = algo == Algorithm::BidirAStar;
                let to_t = Bound::new(g, net, &targets, astar);
                let from_s = Bound::new(g, net, &seeds, astar);
                let pf = Potential::Average {
                    to_target: &to_t,
                    from_source: &from_s,
                    backward: false,
                };
                let pb = Potential::Average {
                    to_target: &to_t,
                    from_source: &from_s,
                    backward: true,
                };
                search::seed(f, g, net, &seeds, &pf);
                search::seed(b, g, net, &targets, &pb);
                let (mu, meet) = search::bidirectional(f, b, g, net, &pf, &pb, mu0);
                let middle = meet.map(|m| {
                    let (mut edges, si) = search::path_to(f, net, m);
                    let (tail, ti) = search::path_from(b, net, m);
                    edges.extend(tail);
                    (si, edges, ti)
                });
                (mu, middle, f.settled + b.settled)
            }),
            Algorithm::Ch => {
                let (mu, middle, settled) = match self.cch.as_ref().map(CchSlot::get) {
                    Some(c) => c.search(&seeds, &targets, mu0),
                    None => self.hierarchy()?.query(&seeds, &targets, mu0),
                };
                // Report the cost summed in travel order, as the other searches do (a shortcut
                // sums its halves first, which may differ from that in the last bits).
                let cost = match &middle {
                    Some((si, edges, ti)) => {
                        let mut c = seeds[*si].cost;
                        for &e in edges {
                            c += self.weights[e as usize];
                        }
                        c + targets[*ti].cost
                    }
                    None => mu,
                };
                (cost, middle, settled)
            }
        };
        if !cost.is_finite() {
            return Err(Error::NoRoute(format!(
                "no open road leads from {:.6},{:.6} to {:.6},{:.6}",
                from.point.x(),
                from.point.y(),
                to.point.x(),
                to.point.y()
            )));
        }
        let pieces = match middle {
            Some((si, edges, ti)) => route_pieces(&o[si], edges, &d[ti]),
            None => match direct {
                Some((_, piece)) => vec![piece],
                None => return Err(Error::NoRoute("search ended without a route".into())),
            },
        };
        Ok(self.assemble(pieces, cost, algo, settled, from.point, to.point))
    }

    fn assemble(
        &self,
        pieces: Vec<RoutePiece>,
        cost: f64,
        algorithm: Algorithm,
        settled_nodes: usize,
        start: Point<f64>,
        end: Point<f64>,
    ) -> Route {
        let mut distance_m = 0.0;
        let mut duration_s = 0.0;
        let mut streets: Vec<StreetStretch> = Vec::new();
        let mut coords: Vec<Coord<f64>> = Vec::new();
        for p in &pieces {
            let e = self.net.edge(p.edge);
            let f = p.to_frac - p.from_frac;
            let len = f * e.length_m;
            let dur = f * self.time_s(p.edge);
            distance_m += len;
            duration_s += dur;
            // Consecutive edges of one street merge; so do different ways with the same name
            // (a new bridge link of 锦州街 continues 锦州街 in the summary).
            let st = self.net.street(e.street);
            let same_name = |s: &StreetStretch| {
                !(st.name_zh.is_empty() && st.name_en.is_empty())
                    && s.name_zh == st.name_zh
                    && s.name_en == st.name_en
            };
            match streets.last_mut() {
                Some(s) if s.street == e.street || same_name(s) => {
                    s.length_m += len;
                    s.duration_s += dur;
                }
                _ => {
                    streets.push(StreetStretch {
                        street: e.street,
                        way_id: st.way_id.clone(),
                        name_zh: st.name_zh.clone(),
                        name_en: st.name_en.clone(),
                        length_m: len,
                        duration_s: dur,
                    });
                }
            }
            let whole = p.from_frac <= 0.0 && p.to_frac >= 1.0;
            let part;
            let pts: &[Coord<f64>] = if whole {
                &e.geometry.0
            } else {
                part = cut(&e.geometry, p.from_frac, p.to_frac);
                &part
            };
            for &c in pts {
                if coords.last() != Some(&c) {
                    coords.push(c);
                }
            }
        }
        // The cut follows the geometry; pin the ends to the exact snapped points.
        if let Some(c) = coords.first_mut() {
            *c = start.0;
        }
        if let Some(c) = coords.last_mut() {
            *c = end.0;
        }
        if coords.len() == 1 {
            coords.push(end.0);
        }
        Route {
            distance_m,
            duration_s,
            cost,
            metric: self.metric,
            algorithm,
            pieces,
            streets,
            geometry: LineString(coords),
            settled_nodes,
        }
    }
}

/// The part of a lon/lat line between two fractions of its length (planar lengths with a
/// cos(latitude) correction: a fraction of one edge, where that is exact to well under 0.1 %).
pub fn cut(line: &LineString<f64>, f0: f64, f1: f64) -> Vec<Coord<f64>> {
    let pts = &line.0;
    if pts.len() < 2 {
        return pts.clone();
    }
    let kx = pts[0].y.to_radians().cos();
    let seg: Vec<f64> = pts
        .windows(2)
        .map(|w| (((w[1].x - w[0].x) * kx).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt())
        .collect();
    let total: f64 = seg.iter().sum();
    if total <= 0.0 {
        return vec![pts[0], pts[pts.len() - 1]];
    }
    let at = |d: f64| -> (usize, Coord<f64>) {
        let mut acc = 0.0;
        for (i, &l) in seg.iter().enumerate() {
            if acc + l >= d || i == seg.len() - 1 {
                let t = if l > 0.0 {
                    ((d - acc) / l).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (a, b) = (pts[i], pts[i + 1]);
                return (
                    i,
                    Coord {
                        x: a.x + t * (b.x - a.x),
                        y: a.y + t * (b.y - a.y),
                    },
                );
            }
            acc += l;
        }
        (seg.len() - 1, pts[pts.len() - 1])
    };
    let (i0, c0) = at(f0.clamp(0.0, 1.0) * total);
    let (i1, c1) = at(f1.clamp(0.0, 1.0) * total);
    let mut out = vec![c0];
    for p in &pts[i0 + 1..=i1] {
        if out.last() != Some(p) {
            out.push(*p);
        }
    }
    if out.last() != Some(&c1) {
        out.push(c1);
    }
    out
}

/// One-call route: validates `weights`, snaps both points onto open edges within
/// `max_snap_m`, and routes. For many queries on the same weights build a [`Router`] once.
pub fn route(
    net: &RoadNetwork,
    weights: &[f64],
    metric: Metric,
    from: Point<f64>,
    to: Point<f64>,
    max_snap_m: f64,
    opts: &RouteOptions,
) -> Result<Route> {
    let r = Router::new(net, weights, metric)?;
    let a = r.snap(from, max_snap_m)?;
    let b = r.snap(to, max_snap_m)?;
    r.route(&a, &b, opts)
}

#[cfg(test)]
mod tests;
