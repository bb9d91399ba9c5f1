//! Probe points snapped to nodes, with travel times between every pair: what the clash check
//! (`analysis::clash`) and the corridor rule (`works::rules::corridor`) compare closures with.

use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::works::LonLat;
use crate::works::paths::Dijkstra;
use serde::Serialize;

/// A named point between which travel times are compared (a district centre).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Probe {
    /// Name.
    pub name: String,
    /// Position.
    pub at: LonLat,
}

/// Probe points snapped to nodes (those farther than 3 km from an open road are left out),
/// with base free-flow travel times between every pair.
pub(crate) struct ProbeSet {
    pub(crate) names: Vec<String>,
    pub(crate) nodes: Vec<NodeId>,
    pub(crate) base: Vec<Vec<f64>>,
    weights: Vec<f64>,
}

impl ProbeSet {
    pub(crate) fn new(net: &RoadNetwork, probes: &[Probe]) -> ProbeSet {
        let mut names = Vec::new();
        let mut nodes = Vec::new();
        for p in probes {
            let Ok(s) = net.snap_index().snap_filtered(
                net,
                geo_types::Point::new(p.at[0], p.at[1]),
                3_000.0,
                |e| !net.edge(e).planned,
            ) else {
                continue;
            };
            let e = net.edge(s.edge);
            nodes.push(if s.frac < 0.5 { e.from } else { e.to });
            names.push(p.name.clone());
        }
        let weights = net.weights(Metric::Time);
        let base = times(net, &weights, &nodes);
        ProbeSet {
            names,
            nodes,
            base,
            weights,
        }
    }

    /// Travel times between every pair of probes with every edge of `closed` shut.
    pub(crate) fn with_closed(&self, net: &RoadNetwork, closed: &[&[EdgeId]]) -> Vec<Vec<f64>> {
        let mut w = self.weights.clone();
        for set in closed {
            for &e in *set {
                w[e.index()] = f64::INFINITY;
            }
        }
        times(net, &w, &self.nodes)
    }
}

fn times(net: &RoadNetwork, w: &[f64], nodes: &[NodeId]) -> Vec<Vec<f64>> {
    let mut d = Dijkstra::new(net.node_count());
    nodes
        .iter()
        .map(|&a| {
            d.run(net, w, a, None);
            nodes.iter().map(|&b| d.dist(b)).collect()
        })
        .collect()
}
