//! The road network: a petgraph directed graph plus per-edge attributes and geometry, with
//! compressed adjacency arrays for fast routing and an R-tree for snapping.
//!
//! Graph type: `petgraph::graph::DiGraph<NodeId, EdgeId, u32>`. Nodes and edges are only ever
//! added while building (closures and new links of works are overlays on the finished network,
//! see `scenario`), so the plain `Graph` keeps indices stable and `NodeIndex(i) == NodeId(i)`,
//! `EdgeIndex(j) == EdgeId(j)`; u32 indices halve the memory of usize ones. Graph algorithms
//! (strongly connected components, traversals) run on it. Shortest-path queries do not walk
//! petgraph's linked adjacency lists: at build time the network also lays out forward and
//! backward adjacency in CSR form (offsets + edge ids, sorted by node), which is contiguous in
//! memory and several times faster to scan in Dijkstra's inner loop.

pub mod build;
pub mod geom;
pub mod grid;
pub mod ids;
pub mod names;
pub mod snap;

use crate::{Error, Result};
use geo_types::{Coord, LineString, Point, Rect};
use petgraph::graph::DiGraph;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

pub use ids::{EdgeId, NodeId, StreetId};

/// Functional road class, from expressway down to service roads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoadClass {
    /// Motorway / expressway (高速公路).
    Expressway,
    /// Trunk road (national/provincial 国道/省道, urban expressway).
    Trunk,
    /// Primary arterial (主干路).
    Primary,
    /// Secondary arterial (次干路).
    Secondary,
    /// Tertiary / collector (支路 with through traffic).
    Tertiary,
    /// Residential street.
    Residential,
    /// Service road, port road, access.
    Service,
    /// Ramp / link road of an interchange.
    Ramp,
}

impl RoadClass {
    /// All classes, highest first.
    pub const ALL: [RoadClass; 8] = [
        RoadClass::Expressway,
        RoadClass::Trunk,
        RoadClass::Primary,
        RoadClass::Secondary,
        RoadClass::Tertiary,
        RoadClass::Residential,
        RoadClass::Service,
        RoadClass::Ramp,
    ];

    /// Snake-case name, as used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RoadClass::Expressway => "expressway",
            RoadClass::Trunk => "trunk",
            RoadClass::Primary => "primary",
            RoadClass::Secondary => "secondary",
            RoadClass::Tertiary => "tertiary",
            RoadClass::Residential => "residential",
            RoadClass::Service => "service",
            RoadClass::Ramp => "ramp",
        }
    }

    /// Parses our own names and OSM `highway=*` values (`motorway`, `trunk_link`, ...).
    /// Returns `None` for values that are not roads for cars (footway, cycleway, ...).
    pub fn parse(s: &str) -> Option<RoadClass> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "expressway" | "motorway" => RoadClass::Expressway,
            "trunk" => RoadClass::Trunk,
            "primary" => RoadClass::Primary,
            "secondary" => RoadClass::Secondary,
            "tertiary" => RoadClass::Tertiary,
            "residential" | "unclassified" | "living_street" | "road" => RoadClass::Residential,
            "service" => RoadClass::Service,
            "ramp" | "motorway_link" | "trunk_link" | "primary_link" | "secondary_link"
            | "tertiary_link" => RoadClass::Ramp,
            _ => return None,
        })
    }

    /// Default free-flow speed when the source gives none (urban China, km/h).
    /// model:class-defaults (typical design speeds of CJJ 37 urban road classes).
    pub fn default_speed_kmh(self) -> f32 {
        match self {
            RoadClass::Expressway => 100.0,
            RoadClass::Trunk => 70.0,
            RoadClass::Primary => 50.0,
            RoadClass::Secondary => 40.0,
            RoadClass::Tertiary => 30.0,
            RoadClass::Residential => 25.0,
            RoadClass::Service => 20.0,
            RoadClass::Ramp => 40.0,
        }
    }

    /// Default lanes per direction when the source gives none.
    pub fn default_lanes(self) -> u8 {
        match self {
            RoadClass::Expressway => 2,
            RoadClass::Trunk => 2,
            RoadClass::Primary => 3,
            RoadClass::Secondary => 2,
            RoadClass::Tertiary => 1,
            RoadClass::Residential => 1,
            RoadClass::Service => 1,
            RoadClass::Ramp => 1,
        }
    }

    /// Capacity of one lane in vehicles per hour (model:hcm-like-class-defaults).
    pub fn capacity_per_lane_vph(self) -> f32 {
        match self {
            RoadClass::Expressway => 2000.0,
            RoadClass::Trunk => 1800.0,
            RoadClass::Primary => 900.0,
            RoadClass::Secondary => 800.0,
            RoadClass::Tertiary => 700.0,
            RoadClass::Residential => 600.0,
            RoadClass::Service => 500.0,
            RoadClass::Ramp => 1500.0,
        }
    }
}

impl std::fmt::Display for RoadClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node of the network (junction or dead end).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
}

impl Node {
    /// The node as a geo point (x = lon).
    pub fn point(&self) -> Point<f64> {
        Point::new(self.lon, self.lat)
    }
}

/// A street (an OSM way, or a named road of the Jinzhou source): the names edges share.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Street {
    /// Stable id of the way/street in its source (`jz:jiefang-lu`, `osm:w123`).
    pub way_id: String,
    /// Chinese name (may be empty for unnamed roads).
    pub name_zh: String,
    /// English name (may be empty).
    pub name_en: String,
}

impl Street {
    /// The best display name: Chinese, then English, then the way id.
    pub fn display_name(&self) -> &str {
        if !self.name_zh.is_empty() {
            &self.name_zh
        } else if !self.name_en.is_empty() {
            &self.name_en
        } else {
            &self.way_id
        }
    }
}

/// One direction of a road segment between two nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// Tail node.
    pub from: NodeId,
    /// Head node.
    pub to: NodeId,
    /// The street this edge belongs to.
    pub street: StreetId,
    /// Road class.
    pub class: RoadClass,
    /// Length along the geometry, geodesic metres.
    pub length_m: f64,
    /// Free-flow speed.
    pub speed_kmh: f32,
    /// Lanes in this direction.
    pub lanes: u8,
    /// Capacity in this direction, vehicles per hour.
    pub capacity_vph: f32,
    /// On a bridge.
    pub bridge: bool,
    /// In a tunnel.
    pub tunnel: bool,
    /// A link that exists only once a work completes (a planned bridge): closed in the base
    /// state, opened by the work's effects in scenarios.
    pub planned: bool,
    /// The opposite direction of the same two-way segment, if any.
    pub twin: Option<EdgeId>,
    /// Geometry from `from` to `to`, lon/lat.
    pub geometry: LineString<f64>,
    /// Provenance: `seed:P1`, `estimate:<why>`, `model:<method>`, `osm:…`, `file:…`.
    pub source: Arc<str>,
}

impl Edge {
    /// Free-flow travel time in seconds.
    #[inline]
    pub fn travel_time_s(&self) -> f64 {
        self.length_m * 3.6 / self.speed_kmh as f64
    }
}

/// What a route optimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Free-flow travel time (seconds).
    #[default]
    Time,
    /// Length (metres).
    Distance,
}

impl std::str::FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "time" | "duration" => Ok(Metric::Time),
            "distance" | "length" => Ok(Metric::Distance),
            _ => Err(Error::invalid(format!(
                "metric '{s}' is not one of: time, distance"
            ))),
        }
    }
}

/// A road network: graph, attributes, geometry, and indexes.
pub struct RoadNetwork {
    graph: OnceLock<DiGraph<NodeId, EdgeId, u32>>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    streets: Vec<Street>,
    fwd_offsets: Vec<u32>,
    fwd_edges: Vec<EdgeId>,
    bwd_offsets: Vec<u32>,
    bwd_edges: Vec<EdgeId>,
    snap_index: OnceLock<snap::SnapIndex>,
    street_names: OnceLock<names::StreetNames>,
    /// [`RoadNetwork::bbox`], computed on first use.
    bbox: OnceLock<Option<Rect<f64>>>,
    /// Where the network came from (file path, `embedded:jinzhou`, `generated:grid`).
    pub origin: String,
}

impl std::fmt::Debug for RoadNetwork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoadNetwork")
            .field("origin", &self.origin)
            .field("nodes", &self.nodes.len())
            .field("edges", &self.edges.len())
            .field("streets", &self.streets.len())
            .finish()
    }
}

impl RoadNetwork {
    /// The petgraph graph (node weight = `NodeId`, edge weight = `EdgeId`, same indices).
    ///
    /// Built on first use: routing runs on the CSR arrays, and a server that never asks for
    /// the petgraph graph does not spend a pass over its million edges on it at start.
    pub fn graph(&self) -> &DiGraph<NodeId, EdgeId, u32> {
        self.graph.get_or_init(|| {
            let mut graph = DiGraph::with_capacity(self.nodes.len(), self.edges.len());
            for i in 0..self.nodes.len() {
                graph.add_node(NodeId::from_index(i));
            }
            for (j, e) in self.edges.iter().enumerate() {
                graph.add_edge(
                    petgraph::graph::NodeIndex::new(e.from.index()),
                    petgraph::graph::NodeIndex::new(e.to.index()),
                    EdgeId::from_index(j),
                );
            }
            graph
        })
    }
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    /// Number of directed edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }
    /// All nodes, indexed by `NodeId`.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// All edges, indexed by `EdgeId`.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }
    /// All streets, indexed by `StreetId`.
    pub fn streets(&self) -> &[Street] {
        &self.streets
    }
    /// One node.
    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }
    /// One edge.
    #[inline]
    pub fn edge(&self, id: EdgeId) -> &Edge {
        &self.edges[id.index()]
    }
    /// One edge, or `NotFound` for an id outside the network.
    pub fn try_edge(&self, id: EdgeId) -> Result<&Edge> {
        self.edges
            .get(id.index())
            .ok_or_else(|| Error::not_found("edge", id))
    }
    /// The street of an edge.
    #[inline]
    pub fn street_of(&self, id: EdgeId) -> &Street {
        &self.streets[self.edges[id.index()].street.index()]
    }
    /// One street.
    pub fn street(&self, id: StreetId) -> &Street {
        &self.streets[id.index()]
    }
    /// Edges leaving `n` (CSR slice).
    #[inline]
    pub fn out_edges(&self, n: NodeId) -> &[EdgeId] {
        let i = n.index();
        &self.fwd_edges[self.fwd_offsets[i] as usize..self.fwd_offsets[i + 1] as usize]
    }
    /// Edges entering `n` (CSR slice).
    #[inline]
    pub fn in_edges(&self, n: NodeId) -> &[EdgeId] {
        let i = n.index();
        &self.bwd_edges[self.bwd_offsets[i] as usize..self.bwd_offsets[i + 1] as usize]
    }
    /// Edges whose street has this Chinese or English name (exact match).
    pub fn edges_named(&self, name: &str) -> Vec<EdgeId> {
        let streets: Vec<bool> = self
            .streets
            .iter()
            .map(|s| s.name_zh == name || s.name_en == name || s.way_id == name)
            .collect();
        (0..self.edges.len())
            .filter(|&i| streets[self.edges[i].street.index()])
            .map(EdgeId::from_index)
            .collect()
    }
    /// Bounding box of all node coordinates (one pass over the nodes on first use, then kept:
    /// O(1) for the servers' per-request extents of empty layers).
    pub fn bbox(&self) -> Option<Rect<f64>> {
        *self.bbox.get_or_init(|| self.nodes_bbox())
    }

    fn nodes_bbox(&self) -> Option<Rect<f64>> {
        let mut it = self.nodes.iter();
        let first = it.next()?;
        let (mut x0, mut y0, mut x1, mut y1) = (first.lon, first.lat, first.lon, first.lat);
        for n in it {
            x0 = x0.min(n.lon);
            y0 = y0.min(n.lat);
            x1 = x1.max(n.lon);
            y1 = y1.max(n.lat);
        }
        Some(Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }))
    }
    /// Per-edge weights of the base state for a metric: seconds or metres; planned (not yet
    /// built) edges are `f64::INFINITY`. Routing takes such a slice, so a scenario passes its
    /// own weights without copying the graph.
    pub fn weights(&self, metric: Metric) -> Vec<f64> {
        self.edges
            .iter()
            .map(|e| {
                if e.planned {
                    f64::INFINITY
                } else {
                    match metric {
                        Metric::Time => e.travel_time_s(),
                        Metric::Distance => e.length_m,
                    }
                }
            })
            .collect()
    }
    /// The snapping index (built on first use).
    pub fn snap_index(&self) -> &snap::SnapIndex {
        self.snap_index.get_or_init(|| snap::SnapIndex::build(self))
    }
    /// The streets by name and the edges of each street (built on first use).
    pub fn street_names(&self) -> &names::StreetNames {
        self.street_names
            .get_or_init(|| names::StreetNames::build(self))
    }
}

/// What a new edge looks like before it is added; unset attributes default by road class.
#[derive(Clone, Debug)]
pub struct EdgeSpec {
    /// Tail node.
    pub from: NodeId,
    /// Head node.
    pub to: NodeId,
    /// Street.
    pub street: StreetId,
    /// Road class.
    pub class: RoadClass,
    /// Length; `None` → geodesic length of the geometry.
    pub length_m: Option<f64>,
    /// Speed; `None` → class default.
    pub speed_kmh: Option<f32>,
    /// Lanes in this direction; `None` → class default.
    pub lanes: Option<u8>,
    /// Capacity in this direction; `None` → lanes × class capacity per lane.
    pub capacity_vph: Option<f32>,
    /// On a bridge.
    pub bridge: bool,
    /// In a tunnel.
    pub tunnel: bool,
    /// Planned link (closed in the base state).
    pub planned: bool,
    /// Geometry from `from` to `to`; `None` → straight line between the nodes.
    pub geometry: Option<LineString<f64>>,
    /// Provenance.
    pub source: String,
}

impl EdgeSpec {
    /// A spec with class defaults and a straight geometry.
    pub fn new(from: NodeId, to: NodeId, street: StreetId, class: RoadClass, source: &str) -> Self {
        EdgeSpec {
            from,
            to,
            street,
            class,
            length_m: None,
            speed_kmh: None,
            lanes: None,
            capacity_vph: None,
            bridge: false,
            tunnel: false,
            planned: false,
            geometry: None,
            source: source.to_string(),
        }
    }
}

/// Builds a [`RoadNetwork`] from nodes, streets and edges.
#[derive(Default)]
pub struct NetworkBuilder {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    streets: Vec<Street>,
    street_index: HashMap<String, StreetId>,
    sources: HashMap<String, Arc<str>>,
    /// The source interned last: edges come in runs of one source, and comparing with it
    /// spares a hash per edge.
    last_source: Option<Arc<str>>,
    origin: String,
}

impl NetworkBuilder {
    /// An empty builder; `origin` says where the data comes from.
    pub fn new(origin: impl Into<String>) -> Self {
        NetworkBuilder {
            origin: origin.into(),
            ..Default::default()
        }
    }

    /// A builder holding all of `net` (same node, edge and street ids, twins kept), so that
    /// more nodes/edges can be appended, e.g. the planned links of works.
    pub fn from_network(net: &RoadNetwork) -> Self {
        let mut b = NetworkBuilder::new(net.origin.clone());
        b.nodes = net.nodes.clone();
        b.edges = net.edges.clone();
        b.streets = net.streets.clone();
        for (i, s) in net.streets.iter().enumerate() {
            b.street_index
                .insert(s.way_id.clone(), StreetId::from_index(i));
        }
        for e in &net.edges {
            b.sources.insert(e.source.to_string(), e.source.clone());
        }
        b
    }

    /// Reserves room for `nodes` nodes and `edges` edges.
    pub fn reserve(&mut self, nodes: usize, edges: usize) {
        self.nodes.reserve(nodes);
        self.edges.reserve(edges);
    }

    /// Adds a node; errors on a coordinate that is not a finite WGS84 lon/lat.
    pub fn add_node(&mut self, lon: f64, lat: f64) -> Result<NodeId> {
        if !geom::valid_lon_lat(lon, lat) {
            return Err(Error::invalid(format!(
                "node coordinate {lon},{lat} is not a valid WGS84 lon/lat"
            )));
        }
        let id = NodeId::from_index(self.nodes.len());
        self.nodes.push(Node { lon, lat });
        Ok(id)
    }

    /// Number of nodes so far.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of edges so far.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// A node added so far.
    pub fn node(&self, id: NodeId) -> Node {
        self.nodes[id.index()]
    }

    /// Adds a street, or returns the existing one with the same `way_id`.
    pub fn add_street(&mut self, way_id: &str, name_zh: &str, name_en: &str) -> StreetId {
        if let Some(&id) = self.street_index.get(way_id) {
            return id;
        }
        let id = StreetId::from_index(self.streets.len());
        self.streets.push(Street {
            way_id: way_id.to_string(),
            name_zh: name_zh.to_string(),
            name_en: name_en.to_string(),
        });
        self.street_index.insert(way_id.to_string(), id);
        id
    }

    fn intern_source(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.last_source.as_ref().filter(|a| &***a == s) {
            return a.clone();
        }
        if let Some(a) = self.sources.get(s) {
            self.last_source = Some(a.clone());
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.sources.insert(s.to_string(), a.clone());
        self.last_source = Some(a.clone());
        a
    }

    /// Adds one directed edge. Validates node and street ids, speed, lanes and capacity.
    pub fn add_edge(&mut self, spec: EdgeSpec) -> Result<EdgeId> {
        let n = self.nodes.len();
        if spec.from.index() >= n || spec.to.index() >= n {
            return Err(Error::invalid(format!(
                "edge {}→{} refers to a node that does not exist ({} nodes)",
                spec.from, spec.to, n
            )));
        }
        if spec.street.index() >= self.streets.len() {
            return Err(Error::invalid(format!(
                "edge {}→{} refers to street {} that does not exist",
                spec.from, spec.to, spec.street
            )));
        }
        let geometry = match spec.geometry {
            Some(g) if g.0.len() >= 2 => g,
            Some(_) => {
                return Err(Error::invalid(format!(
                    "edge {}→{} geometry needs at least two points",
                    spec.from, spec.to
                )));
            }
            None => {
                let a = self.nodes[spec.from.index()];
                let b = self.nodes[spec.to.index()];
                LineString::from(vec![(a.lon, a.lat), (b.lon, b.lat)])
            }
        };
        let length_m = spec
            .length_m
            .unwrap_or_else(|| geom::geodesic_length_m(&geometry));
        if !length_m.is_finite() || length_m < 0.0 {
            return Err(Error::invalid(format!(
                "edge {}→{} has an invalid length {length_m}",
                spec.from, spec.to
            )));
        }
        let speed_kmh = spec.speed_kmh.unwrap_or(spec.class.default_speed_kmh());
        if !(speed_kmh.is_finite() && speed_kmh > 0.0 && speed_kmh <= 200.0) {
            return Err(Error::invalid(format!(
                "edge {}→{} has speed {speed_kmh} km/h (must be in (0, 200])",
                spec.from, spec.to
            )));
        }
        let lanes = spec.lanes.unwrap_or(spec.class.default_lanes());
        if lanes == 0 {
            return Err(Error::invalid(format!(
                "edge {}→{} has 0 lanes",
                spec.from, spec.to
            )));
        }
        let capacity_vph = spec
            .capacity_vph
            .unwrap_or(lanes as f32 * spec.class.capacity_per_lane_vph());
        if !(capacity_vph.is_finite() && capacity_vph > 0.0) {
            return Err(Error::invalid(format!(
                "edge {}→{} has capacity {capacity_vph} veh/h (must be > 0)",
                spec.from, spec.to
            )));
        }
        let source = self.intern_source(&spec.source);
        let id = EdgeId::from_index(self.edges.len());
        self.edges.push(Edge {
            from: spec.from,
            to: spec.to,
            street: spec.street,
            class: spec.class,
            length_m,
            speed_kmh,
            lanes,
            capacity_vph,
            bridge: spec.bridge,
            tunnel: spec.tunnel,
            planned: spec.planned,
            twin: None,
            geometry,
            source,
        });
        Ok(id)
    }

    /// Adds a road segment: one edge `from → to`, and unless `oneway`, its twin `to → from`
    /// with the reversed geometry and the same attributes.
    pub fn add_road(&mut self, spec: EdgeSpec, oneway: bool) -> Result<(EdgeId, Option<EdgeId>)> {
        let mut back = spec.clone();
        let a = self.add_edge(spec)?;
        if oneway {
            return Ok((a, None));
        }
        back.from = self.edges[a.index()].to;
        back.to = self.edges[a.index()].from;
        let mut g = self.edges[a.index()].geometry.clone();
        g.0.reverse();
        back.geometry = Some(g);
        back.length_m = Some(self.edges[a.index()].length_m);
        let b = self.add_edge(back)?;
        self.edges[a.index()].twin = Some(b);
        self.edges[b.index()].twin = Some(a);
        Ok((a, Some(b)))
    }

    /// Links two edges added so far as the two directions of one segment (`a.from == b.to`,
    /// `a.to == b.from`). Readers that keep per-direction attributes (OSM `lanes:forward`, a
    /// re-read export) add both edges with [`add_edge`](Self::add_edge) and link them here.
    pub fn set_twins(&mut self, a: EdgeId, b: EdgeId) -> Result<()> {
        let m = self.edges.len();
        if a.index() >= m || b.index() >= m || a == b {
            return Err(Error::invalid(format!(
                "cannot make edges {a} and {b} twins ({m} edges so far)"
            )));
        }
        let (ea, eb) = (&self.edges[a.index()], &self.edges[b.index()]);
        if ea.from != eb.to || ea.to != eb.from {
            return Err(Error::invalid(format!(
                "edges {a} ({}→{}) and {b} ({}→{}) are not opposite directions",
                ea.from, ea.to, eb.from, eb.to
            )));
        }
        self.edges[a.index()].twin = Some(b);
        self.edges[b.index()].twin = Some(a);
        Ok(())
    }

    /// Finishes the network: builds the CSR adjacency (the petgraph graph on first use).
    pub fn build(self) -> Result<RoadNetwork> {
        if self.edges.is_empty() {
            return Err(Error::EmptyNetwork(format!(
                "{} has no edges",
                if self.origin.is_empty() {
                    "the network"
                } else {
                    &self.origin
                }
            )));
        }
        let n = self.nodes.len();
        let (fwd_offsets, fwd_edges) = csr(n, &self.edges, |e| e.from);
        let (bwd_offsets, bwd_edges) = csr(n, &self.edges, |e| e.to);
        Ok(RoadNetwork {
            graph: OnceLock::new(),
            nodes: self.nodes,
            edges: self.edges,
            streets: self.streets,
            fwd_offsets,
            fwd_edges,
            bwd_offsets,
            bwd_edges,
            snap_index: OnceLock::new(),
            street_names: OnceLock::new(),
            bbox: OnceLock::new(),
            origin: self.origin,
        })
    }
}

/// Counting sort of edge ids by `key` node: offsets (n + 1) and the sorted edge ids.
fn csr(n: usize, edges: &[Edge], key: impl Fn(&Edge) -> NodeId) -> (Vec<u32>, Vec<EdgeId>) {
    let mut offsets = vec![0u32; n + 1];
    for e in edges {
        offsets[key(e).index() + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut out = vec![EdgeId(0); edges.len()];
    for (j, e) in edges.iter().enumerate() {
        let k = key(e).index();
        out[fill[k] as usize] = EdgeId::from_index(j);
        fill[k] += 1;
    }
    (offsets, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> RoadNetwork {
        let mut b = NetworkBuilder::new("test");
        let a = b.add_node(121.10, 41.10).unwrap();
        let c = b.add_node(121.11, 41.10).unwrap();
        let d = b.add_node(121.11, 41.11).unwrap();
        let s = b.add_street("s1", "测试路", "Test Road");
        b.add_road(
            EdgeSpec::new(a, c, s, RoadClass::Primary, "estimate:test"),
            false,
        )
        .unwrap();
        b.add_road(
            EdgeSpec::new(c, d, s, RoadClass::Primary, "estimate:test"),
            true,
        )
        .unwrap();
        b.build().unwrap()
    }

    #[test]
    fn builds_twins_csr_and_geodesic_lengths() {
        let net = tiny();
        assert_eq!(net.edge_count(), 3);
        assert_eq!(net.edge(EdgeId(0)).twin, Some(EdgeId(1)));
        assert_eq!(net.edge(EdgeId(2)).twin, None);
        // 0.01° of longitude at 41.1°N is about 840 m.
        let l = net.edge(EdgeId(0)).length_m;
        assert!((l - 840.0).abs() < 5.0, "{l}");
        assert_eq!(net.out_edges(NodeId(1)), &[EdgeId(1), EdgeId(2)]);
        assert_eq!(net.in_edges(NodeId(1)), &[EdgeId(0)]);
        assert_eq!(net.graph().edge_count(), 3);
        assert_eq!(net.edges_named("测试路").len(), 3);
    }

    #[test]
    fn rejects_bad_input() {
        let mut b = NetworkBuilder::new("t");
        assert!(b.add_node(f64::NAN, 0.0).is_err());
        assert!(b.add_node(200.0, 0.0).is_err());
        assert!(matches!(b.build(), Err(Error::EmptyNetwork(_))));
        let mut b = NetworkBuilder::new("t");
        let a = b.add_node(0.0, 0.0).unwrap();
        let s = b.add_street("s", "", "");
        let mut spec = EdgeSpec::new(a, NodeId(7), s, RoadClass::Primary, "x");
        assert!(b.add_edge(spec.clone()).is_err());
        spec.to = a;
        spec.speed_kmh = Some(0.0);
        assert!(b.add_edge(spec).is_err());
    }
}
