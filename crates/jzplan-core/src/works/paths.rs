//! A small one-to-all Dijkstra over per-edge weights (`INFINITY` = closed), used for demand
//! proxies, detours and clash checks on network states. It keeps the shortest-path tree and
//! the settle order, which the point-to-point router does not expose.

use crate::network::{EdgeId, NodeId, RoadNetwork};
use ordered_float::OrderedFloat;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Reusable Dijkstra state (buffers sized to the network).
pub struct Dijkstra {
    dist: Vec<f64>,
    pred: Vec<Option<EdgeId>>,
    settled: Vec<NodeId>,
    touched: Vec<NodeId>,
    heap: BinaryHeap<Reverse<(OrderedFloat<f64>, u32)>>,
}

impl Dijkstra {
    /// Buffers for a network of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        Dijkstra {
            dist: vec![f64::INFINITY; nodes],
            pred: vec![None; nodes],
            settled: Vec::new(),
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    /// Runs from `source` over `weights` (one per edge); stops once `target` is settled.
    pub fn run(
        &mut self,
        net: &RoadNetwork,
        weights: &[f64],
        source: NodeId,
        target: Option<NodeId>,
    ) {
        for &n in &self.touched {
            self.dist[n.index()] = f64::INFINITY;
            self.pred[n.index()] = None;
        }
        self.touched.clear();
        self.settled.clear();
        self.heap.clear();
        self.dist[source.index()] = 0.0;
        self.touched.push(source);
        self.heap.push(Reverse((OrderedFloat(0.0), source.0)));
        while let Some(Reverse((OrderedFloat(d), u))) = self.heap.pop() {
            let u = NodeId(u);
            if d > self.dist[u.index()] {
                continue;
            }
            self.settled.push(u);
            if Some(u) == target {
                break;
            }
            for &e in net.out_edges(u) {
                let w = weights[e.index()];
                if !w.is_finite() {
                    continue;
                }
                let v = net.edge(e).to;
                let nd = d + w;
                if nd < self.dist[v.index()] {
                    if self.dist[v.index()].is_infinite() {
                        self.touched.push(v);
                    }
                    self.dist[v.index()] = nd;
                    self.pred[v.index()] = Some(e);
                    self.heap.push(Reverse((OrderedFloat(nd), v.0)));
                }
            }
        }
    }

    /// Distance to `n` (`INFINITY` if unreached).
    pub fn dist(&self, n: NodeId) -> f64 {
        self.dist[n.index()]
    }
    /// The tree edge entering `n`.
    pub fn pred_edge(&self, n: NodeId) -> Option<EdgeId> {
        self.pred[n.index()]
    }
    /// Nodes in the order they were settled.
    pub fn settled(&self) -> &[NodeId] {
        &self.settled
    }
    /// The edges of the path to `n`, from the source (empty if unreached or `n` is the source).
    pub fn path_to(&self, net: &RoadNetwork, n: NodeId) -> Vec<EdgeId> {
        let mut out = Vec::new();
        let mut v = n;
        while let Some(e) = self.pred[v.index()] {
            out.push(e);
            v = net.edge(e).from;
        }
        out.reverse();
        out
    }
}

/// Shortest distance from `a` to `b` over `weights` (`INFINITY` if unreachable).
pub fn distance(net: &RoadNetwork, weights: &[f64], a: NodeId, b: NodeId) -> f64 {
    let mut d = Dijkstra::new(net.node_count());
    d.run(net, weights, a, Some(b));
    d.dist(b)
}
