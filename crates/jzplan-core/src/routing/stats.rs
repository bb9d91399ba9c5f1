//! Network statistics: sizes, road kilometres by class, and connectivity (strongly connected
//! components: in a directed road network "connected" means every node reaches every other).

use crate::network::{RoadClass, RoadNetwork};
use serde::Serialize;

/// Road length of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassKm {
    /// The class.
    pub class: RoadClass,
    /// Road kilometres (a two-way road counted once).
    pub road_km: f64,
    /// Directed edges of the class.
    pub edges: usize,
}

/// Statistics of a network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetworkStats {
    /// Where the network came from.
    pub origin: String,
    /// Nodes.
    pub nodes: usize,
    /// Directed edges.
    pub edges: usize,
    /// Streets (ways).
    pub streets: usize,
    /// Edges without an opposite direction (one-way).
    pub oneway_edges: usize,
    /// Directed edges on bridges.
    pub bridge_edges: usize,
    /// Planned (not yet built) directed edges.
    pub planned_edges: usize,
    /// Road kilometres (two-way roads counted once).
    pub road_km: f64,
    /// Per class, highest class first; classes absent from the network are left out.
    pub by_class: Vec<ClassKm>,
    /// Strongly connected components (1 = every node reaches every other).
    pub strong_components: usize,
    /// Nodes in the largest strongly connected component.
    pub largest_component_nodes: usize,
    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
}

/// Computes the statistics of a network (petgraph's Kosaraju SCC over the whole graph,
/// planned edges included).
pub fn network_stats(net: &RoadNetwork) -> NetworkStats {
    let mut by_class: Vec<ClassKm> = RoadClass::ALL
        .iter()
        .map(|&class| ClassKm {
            class,
            road_km: 0.0,
            edges: 0,
        })
        .collect();
    let mut road_km = 0.0;
    let (mut oneway, mut bridges, mut planned) = (0, 0, 0);
    for (i, e) in net.edges().iter().enumerate() {
        let slot = RoadClass::ALL
            .iter()
            .position(|&c| c == e.class)
            .unwrap_or(0);
        by_class[slot].edges += 1;
        // A two-way road counts once: on the lower id of its pair.
        if e.twin.is_none_or(|t| t.index() > i) {
            by_class[slot].road_km += e.length_m / 1000.0;
            road_km += e.length_m / 1000.0;
        }
        oneway += usize::from(e.twin.is_none());
        bridges += usize::from(e.bridge);
        planned += usize::from(e.planned);
    }
    by_class.retain(|c| c.edges > 0);
    let scc = petgraph::algo::kosaraju_scc(net.graph());
    NetworkStats {
        origin: net.origin.clone(),
        nodes: net.node_count(),
        edges: net.edge_count(),
        streets: net.streets().len(),
        oneway_edges: oneway,
        bridge_edges: bridges,
        planned_edges: planned,
        road_km,
        by_class,
        strong_components: scc.len(),
        largest_component_nodes: scc.iter().map(Vec::len).max().unwrap_or(0),
        bbox: net
            .bbox()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
    }
}
