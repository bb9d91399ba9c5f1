//! Contraction hierarchies: a preprocessing of one weights vector that answers exact
//! point-to-point queries by two small upward searches.
//!
//! Preparation contracts the nodes one by one in the order of a priority (edge difference,
//! contracted neighbours, depth; updated lazily and at the neighbours of each contracted node).
//! Contracting `v` adds a shortcut `u → x` for every pair of neighbours whose shortest path may
//! run through `v` — unless a *witness* search from `u` that avoids `v` finds a path no longer
//! than `u → v → x`. The witness search has a settle and a hop limit: when a limit stops it, the
//! shortcut is added anyway, so limits only ever cost extra shortcuts, never exactness.
//! Every shortcut remembers its two halves (through its middle node), so a route unpacks into
//! the original edges.
//!
//! Unlike fast_paths, zero-weight edges are kept as they are (a witness must be *no longer*, so
//! ties are handled), closed edges (infinite weight) are left out, parallel edges keep the
//! cheapest one, and self-loops (never on a shortest path with non-negative weights) are dropped.
//!
//! A query starts from phantom points on edges: the forward search is seeded at the head of the
//! origin's edge (and of its twin) with the partial cost of the rest of the edge, the backward
//! search at the tails of the destination's edges, exactly as the plain searches are (see
//! `search.rs`). Both searches only go up the hierarchy, with stall-on-demand; they are swept
//! together in rank order (every arc goes up, so a label is final once the lower ones are
//! done), pruned by the best meeting cost, until no label is left.
//!
//! Where they fit a budget (small and mid-sized networks), the hierarchy also carries hub
//! labels made from it, and a point-to-point query merges two of them instead of sweeping
//! (`labels.rs`); the answer is the same.
//!
//! The work is in four files: `prepare.rs` contracts (witness searches, priorities,
//! shortcuts), `sweep.rs` answers a point-to-point query by the sweep and unpacks its route,
//! `labels.rs` makes the hub labels and answers by them, `query.rs` holds the query's entry
//! points, the upward searches of the CH matrix and the matrix. This file holds the
//! [`Hierarchy`] they share and the [`HierarchyCache`].

mod labels;
mod prepare;
mod query;
mod sweep;
pub use query::SearchStats;
pub mod raw;

use crate::Result;
use crate::network::{NodeId, RoadNetwork};
use std::sync::{Arc, Mutex};
/// Limits of the witness searches. They bound the preparation time; whatever they are set to,
/// the hierarchy stays exact (a search stopped by a limit adds the shortcut).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChOptions {
    /// Nodes a witness search settles at most while estimating a node's priority.
    pub estimate_settled: usize,
    /// Nodes a witness search settles at most while contracting a node.
    pub contract_settled: usize,
    /// Arcs a witness path has at most.
    pub max_hops: u32,
}

impl Default for ChOptions {
    fn default() -> Self {
        ChOptions {
            estimate_settled: 100,
            contract_settled: 500,
            max_hops: 16,
        }
    }
}

/// One arc of the hierarchy: the node at its other end, its weight and its id (an [`EdgeId`]
/// index below the network's edge count, a shortcut above).
#[derive(Clone, Copy, Debug)]
struct ChArc {
    head: u32,
    w: f64,
    id: u32,
}

/// A contraction hierarchy of one network and one weights vector. `Sync`: build it once, share
/// it between threads and queries (the API caches one per weights vector).
///
/// Inside, nodes are numbered by rank (the slot of node `v` is `rank[v]`, arc heads are slots),
/// so the few high nodes every search reaches share cache lines (on the 1M-edge grid a query
/// took about a tenth less time than with network numbering). The arcs of a slot lie together
/// in one array, its downward arcs then its upward ones, so that settling a node (stall test
/// on one kind, relaxation of the other) reads one stretch of memory. The shortcuts that stand
/// for at most `Expansions::MAX` edges also keep those edges spelled out, so that unpacking a
/// route mostly copies.
pub struct Hierarchy {
    m: usize,
    rank: Vec<u32>,
    /// For slot `v`, `[first, mid]`: `arcs[first..mid]` are the arcs `x → v` with
    /// `rank[x] > rank[v]`, `head = x` (the backward search), `arcs[mid..next first]` the arcs
    /// `v → x` with `rank[x] > rank[v]` (the forward search). One more entry closes the last.
    nodes: Vec<[u32; 2]>,
    arcs: Vec<ChArc>,
    /// The two halves of shortcut `i` (arc id `m + i`), in travel order.
    shortcuts: Vec<[u32; 2]>,
    /// The network edges of the short shortcuts, spelled out ([`Expansions`]).
    expansions: Expansions,
    /// The weights the hierarchy was built for (a router checks it has the same ones).
    weights: Vec<f64>,
    fingerprint: u64,
    /// Hub labels made from it, when they fit their budget (`labels.rs`): point-to-point
    /// queries then merge two labels instead of sweeping.
    labels: Option<labels::Labels>,
}

impl std::fmt::Debug for Hierarchy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hierarchy")
            .field("nodes", &self.rank.len())
            .field("edges", &self.m)
            .field("shortcuts", &self.shortcuts.len())
            .finish()
    }
}

/// A 64-bit fingerprint of a weights vector (FNV-1a over the bits), to look a hierarchy up by
/// its weights; the exact weights are compared before a hierarchy is used.
pub fn weights_fingerprint(weights: &[f64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in weights {
        h ^= w.to_bits();
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        h ^= h >> 29;
    }
    h ^ weights.len() as u64
}

/// A route found on the hierarchy: seed index, network edges in travel order, target index.
pub(crate) type ChPath = (usize, Vec<u32>, usize);

impl Hierarchy {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.rank.len()
    }

    /// Number of shortcuts added by the contraction.
    pub fn shortcut_count(&self) -> usize {
        self.shortcuts.len()
    }

    /// Number of arcs of the upward and downward graphs together.
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// Contraction rank of a node (0 = contracted first).
    pub fn rank(&self, v: NodeId) -> u32 {
        self.rank[v.index()]
    }

    /// Heap bytes held by the hierarchy (arrays, including its copy of the weights).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.rank.len() * 4
            + self.nodes.len() * 8
            + self.arcs.len() * size_of::<ChArc>()
            + self.shortcuts.len() * 8
            + self.expansions.memory_bytes()
            + self.weights.len() * 8
            + self.labels.as_ref().map_or(0, labels::Labels::memory_bytes)
    }

    /// The fingerprint of the weights it was built for ([`weights_fingerprint`]).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether it was built for exactly these weights on a network of this size.
    pub fn matches(&self, net: &RoadNetwork, weights: &[f64]) -> bool {
        crate::routing::work::full_pass(net);
        self.rank.len() == net.node_count()
            && self.m == net.edge_count()
            && self.weights.len() == weights.len()
            && self
                .weights
                .iter()
                .zip(weights)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

/// The network edges of every shortcut that stands for at most [`Expansions::MAX`] of them, in
/// travel order: unpacking a route copies them instead of splitting the shortcut down to its
/// edges half by half (a data-dependent branch per half, most of them mispredicted).
#[derive(Clone, Debug, Default)]
struct Expansions {
    /// For shortcut `i`, its edges are `edges[off[i]..off[i + 1]]` (empty for the longer ones).
    off: Vec<u32>,
    edges: Vec<u32>,
}

impl Expansions {
    /// Most edges a spelled-out shortcut stands for.
    const MAX: usize = 16;

    /// The expansions of `shortcuts` (halves older than the shortcut: ids below `m + i`) over
    /// `m` network edges.
    fn new(m: usize, shortcuts: &[[u32; 2]]) -> Self {
        // Edges a shortcut stands for, capped at MAX + 1 ("longer").
        let mut len = Vec::with_capacity(shortcuts.len());
        let mut off = Vec::with_capacity(shortcuts.len() + 1);
        let mut edges = Vec::new();
        off.push(0);
        for halves in shortcuts {
            let n: usize = halves
                .iter()
                .map(|&h| (h as usize).checked_sub(m).map_or(1, |i| len[i]))
                .sum();
            let n = n.min(Self::MAX + 1);
            len.push(n);
            if n <= Self::MAX {
                for &h in halves {
                    match (h as usize).checked_sub(m) {
                        None => edges.push(h),
                        Some(i) => edges.extend_from_within(off[i] as usize..off[i + 1] as usize),
                    }
                }
            }
            off.push(edges.len() as u32);
        }
        // Padding, so that a spelled-out shortcut can be copied as a block of MAX entries.
        edges.resize(edges.len() + Self::MAX, 0);
        Expansions { off, edges }
    }

    fn memory_bytes(&self) -> usize {
        (self.off.len() + self.edges.len()) * 4
    }
}

/// The one-array layout of [`Hierarchy`] from downward and upward arcs grouped by slot
/// (`off[v]..off[v + 1]` for each of the `off.len() - 1` slots).
fn interleave(
    down_off: &[u32],
    down: &[ChArc],
    up_off: &[u32],
    up: &[ChArc],
) -> (Vec<[u32; 2]>, Vec<ChArc>) {
    let n = down_off.len().saturating_sub(1);
    let mut nodes = Vec::with_capacity(n + 1);
    let mut arcs = Vec::with_capacity(down.len() + up.len());
    for v in 0..n {
        let first = arcs.len() as u32;
        arcs.extend_from_slice(&down[down_off[v] as usize..down_off[v + 1] as usize]);
        let mid = arcs.len() as u32;
        arcs.extend_from_slice(&up[up_off[v] as usize..up_off[v + 1] as usize]);
        nodes.push([first, mid]);
    }
    let end = arcs.len() as u32;
    nodes.push([end, end]);
    (nodes, arcs)
}

/// Hierarchies by weights vector, prepared on first use and kept: the base network's, one per
/// dated state or scenario asked for. Keeps the `capacity` most recently used, and fewer when
/// together they hold more than `max_bytes` ([`Hierarchy::memory_bytes`]; the most recent is
/// always kept).
pub struct HierarchyCache {
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<Vec<(u64, Arc<Hierarchy>)>>,
}

impl std::fmt::Debug for HierarchyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HierarchyCache")
            .field("capacity", &self.capacity)
            .field("max_bytes", &self.max_bytes)
            .field("len", &self.len())
            .finish()
    }
}

impl HierarchyCache {
    /// An empty cache keeping at most `capacity` hierarchies (at least one) and, beyond the
    /// most recent, at most `max_bytes` of them.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        HierarchyCache {
            capacity: capacity.max(1),
            max_bytes,
            entries: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<Hierarchy>)>> {
        // A panic elsewhere cannot leave the list half-updated: use it as it is.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of hierarchies kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hierarchy of exactly these weights, if it is kept (it becomes the most recent).
    pub fn get(&self, net: &RoadNetwork, weights: &[f64]) -> Option<Arc<Hierarchy>> {
        crate::routing::work::full_pass(net);
        Self::find(&mut self.lock(), weights_fingerprint(weights), net, weights)
    }

    fn find(
        v: &mut Vec<(u64, Arc<Hierarchy>)>,
        fp: u64,
        net: &RoadNetwork,
        weights: &[f64],
    ) -> Option<Arc<Hierarchy>> {
        let i = v
            .iter()
            .position(|(f, h)| *f == fp && h.matches(net, weights))?;
        let e = v.remove(i);
        let h = e.1.clone();
        v.insert(0, e);
        Some(h)
    }

    /// The hierarchy of exactly these weights, prepared now if it is not kept yet.
    pub fn get_or_prepare(&self, net: &RoadNetwork, weights: &[f64]) -> Result<Arc<Hierarchy>> {
        crate::routing::work::full_pass(net);
        let fp = weights_fingerprint(weights);
        if let Some(h) = Self::find(&mut self.lock(), fp, net, weights) {
            return Ok(h);
        }
        // Prepared outside the lock: other states stay served meanwhile.
        let h = Arc::new(Hierarchy::new(net, weights)?);
        let mut v = self.lock();
        if let Some(kept) = Self::find(&mut v, fp, net, weights) {
            return Ok(kept);
        }
        self.keep(&mut v, fp, h.clone());
        Ok(h)
    }

    /// Keeps `h`, a hierarchy of `weights` made elsewhere (e.g. read from a prepared file), as
    /// the most recent.
    pub fn insert(&self, weights: &[f64], h: Arc<Hierarchy>) {
        let mut v = self.lock();
        self.keep(&mut v, weights_fingerprint(weights), h);
    }

    fn keep(&self, v: &mut Vec<(u64, Arc<Hierarchy>)>, fp: u64, h: Arc<Hierarchy>) {
        v.insert(0, (fp, h));
        v.truncate(self.capacity);
        let mut bytes = 0;
        let keep = v
            .iter()
            .position(|(_, h)| {
                bytes += h.memory_bytes();
                bytes > self.max_bytes
            })
            .map_or(v.len(), |i| i.max(1));
        v.truncate(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::EdgeId;
    use crate::network::snap::Snap;
    use crate::network::{EdgeSpec, Metric, NetworkBuilder, RoadClass};
    use crate::routing::search::Access;
    use crate::routing::{Algorithm, RouteOptions, Router};
    use proptest::prelude::*;

    /// Node-to-node cost and edges on the hierarchy.
    fn node_route(h: &Hierarchy, s: u32, t: u32) -> (f64, Option<Vec<u32>>) {
        let (c, path, _) = h.query(
            &[Access { node: s, cost: 0.0 }],
            &[Access { node: t, cost: 0.0 }],
            f64::INFINITY,
        );
        (c, path.map(|(_, e, _)| e))
    }

    /// A network from `(from, to, oneway)` roads between `n` nodes on a small circle.
    fn network(n: usize, roads: &[(usize, usize, bool)]) -> RoadNetwork {
        let mut b = NetworkBuilder::new("ch-test");
        for i in 0..n {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            b.add_node(121.1 + 0.01 * a.cos(), 41.1 + 0.01 * a.sin())
                .unwrap();
        }
        let s = b.add_street("s", "路", "Road");
        for &(u, v, oneway) in roads {
            let spec = EdgeSpec::new(
                NodeId::from_index(u),
                NodeId::from_index(v),
                s,
                RoadClass::Primary,
                "t",
            );
            b.add_road(spec, oneway).unwrap();
        }
        b.build().unwrap()
    }

    fn floyd_warshall(net: &RoadNetwork, w: &[f64]) -> Vec<Vec<f64>> {
        let n = net.node_count();
        let mut d = vec![vec![f64::INFINITY; n]; n];
        for (i, row) in d.iter_mut().enumerate() {
            row[i] = 0.0;
        }
        for (j, e) in net.edges().iter().enumerate() {
            let (u, v) = (e.from.index(), e.to.index());
            d[u][v] = d[u][v].min(w[j]);
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    let c = d[i][k] + d[k][j];
                    if c < d[i][j] {
                        d[i][j] = c;
                    }
                }
            }
        }
        d
    }

    /// Checks that `edges` is a path from `s` to `t` and returns its cost.
    fn path_cost(net: &RoadNetwork, w: &[f64], s: u32, t: u32, edges: &[u32]) -> f64 {
        let mut at = s;
        let mut c = 0.0;
        for &e in edges {
            let e_ = net.edge(EdgeId(e));
            assert_eq!(e_.from.0, at, "edges {edges:?} are not a path");
            at = e_.to.0;
            c += w[e as usize];
        }
        assert_eq!(at, t, "edges {edges:?} do not end at {t}");
        c
    }

    #[test]
    fn a_ring_needs_shortcuts_that_unpack_into_its_edges() {
        // A two-way ring 0 – 1 – 2 – 3 – 4 – 5 – 0 with weights 1, 0, 1, 1, 1, 1 (a zero-weight
        // link between 1 and 2). Whichever node is contracted first, its two neighbours are
        // 2 apart through it and 3 the other way round: no witness, so shortcuts are needed.
        let roads: Vec<(usize, usize, bool)> = (0..6).map(|i| (i, (i + 1) % 6, false)).collect();
        let net = network(6, &roads);
        let ring_w = [1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let w: Vec<f64> = net
            .edges()
            .iter()
            .map(|e| {
                let (a, b) = (e.from.index(), e.to.index());
                // The segment between i and i + 1 (mod 6) has weight ring_w[i].
                ring_w[if (a + 1) % 6 == b { a } else { b }]
            })
            .collect();
        let h = Hierarchy::new(&net, &w).unwrap();
        assert!(h.shortcut_count() >= 2, "{h:?}");
        // 0 → 1 → 2 → 3 costs 1 + 0 + 1; 4 → 3 → 2 → 1 costs 1 + 1 + 0.
        for (s, t) in [(0, 3), (4, 1), (3, 0)] {
            let (c, edges) = node_route(&h, s, t);
            assert_eq!(c, 2.0, "{s} -> {t}");
            let edges = edges.unwrap();
            assert_eq!(edges.len(), 3, "{s} -> {t}");
            assert_eq!(path_cost(&net, &w, s, t, &edges), 2.0);
        }
        // Closing 2 → 3 sends 0 → 3 the other way round: 0 → 5 → 4 → 3.
        let mut closed = w.clone();
        let e23 = net
            .edges()
            .iter()
            .position(|e| e.from.0 == 2 && e.to.0 == 3)
            .unwrap();
        closed[e23] = f64::INFINITY;
        let h = Hierarchy::new(&net, &closed).unwrap();
        let (c, edges) = node_route(&h, 0, 3);
        assert_eq!(c, 3.0);
        assert_eq!(path_cost(&net, &closed, 0, 3, &edges.unwrap()), 3.0);
        assert_eq!(node_route(&h, 3, 0).0, 2.0);
    }

    #[test]
    fn shortest_path_from_several_sources_with_offsets() {
        // 0 → 1 → 2 and 3 → 2, one-way, weights 1, 1, 5: from {0 at +3.5, 3 at 0} to 2 the
        // offset makes the longer edge from 3 cheaper overall (5 < 3.5 + 2).
        let net = network(4, &[(0, 1, true), (1, 2, true), (3, 2, true)]);
        let h = Hierarchy::new(&net, &[1.0, 1.0, 5.0]).unwrap();
        let n = NodeId;
        let got = h.shortest_path(&[(n(0), 3.5), (n(3), 0.0)], &[(n(2), 0.5)]);
        assert_eq!(got.unwrap(), Some((5.5, vec![EdgeId(2)])));
        let got = h.shortest_path(&[(n(0), 1.0), (n(3), 0.0)], &[(n(2), 0.0)]);
        assert_eq!(got.unwrap(), Some((3.0, vec![EdgeId(0), EdgeId(1)])));
        assert_eq!(
            h.shortest_path(&[(n(2), 0.0)], &[(n(0), 0.0)]).unwrap(),
            None
        );
        let e = h.shortest_path(&[(n(9), 0.0)], &[(n(0), 0.0)]).unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
        let e = h
            .shortest_path(&[(n(0), -1.0)], &[(n(1), 0.0)])
            .unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
    }

    #[test]
    fn a_long_line_unpacks_into_all_its_edges_in_order() {
        // A two-way line 0 – 1 – … – 199: contracting it nests shortcuts over dozens of edges,
        // longer than the spelled-out ones, so unpacking both copies and splits.
        let roads: Vec<(usize, usize, bool)> = (0..199).map(|i| (i, i + 1, false)).collect();
        let net = network(200, &roads);
        let w: Vec<f64> = (0..net.edge_count())
            .map(|i| 1.0 + (i % 3) as f64)
            .collect();
        let h = Hierarchy::new(&net, &w).unwrap();
        let longest = (0..h.shortcut_count())
            .map(|i| {
                let mut e = Vec::new();
                h.unpack((h.m + i) as u32, &mut Vec::new(), &mut e);
                e.len()
            })
            .max();
        assert!(longest > Some(Expansions::MAX), "{longest:?}");
        let d = floyd_warshall(&net, &w);
        // Routes by hub labels (unpacked into the answer's vector, which grows) and by the
        // sweep (unpacked into a scratch buffer).
        assert!(h.has_labels());
        let sweep = Hierarchy::new(&net, &w).unwrap().without_labels();
        for h in [&h, &sweep] {
            for (s, t) in [(0u32, 199u32), (199, 0), (3, 141), (150, 7)] {
                let (c, edges) = node_route(h, s, t);
                let edges = edges.unwrap();
                assert_eq!(edges.len(), s.abs_diff(t) as usize);
                assert_eq!(path_cost(&net, &w, s, t, &edges), c);
                assert_eq!(c, d[s as usize][t as usize]);
            }
        }
    }

    #[test]
    fn the_cheaper_of_parallel_edges_and_no_self_loop() {
        let net = network(3, &[(0, 1, true), (0, 1, true), (1, 1, true), (1, 2, true)]);
        let w = vec![5.0, 3.0, 0.0, 1.0];
        let h = Hierarchy::new(&net, &w).unwrap();
        let (c, edges) = node_route(&h, 0, 2);
        assert_eq!(c, 4.0);
        assert_eq!(edges.unwrap(), vec![1, 3]);
        assert_eq!(node_route(&h, 2, 0).0, f64::INFINITY);
    }

    #[test]
    fn a_router_refuses_a_hierarchy_of_other_weights() {
        let net = network(3, &[(0, 1, false), (1, 2, false)]);
        let w = net.weights(Metric::Time);
        let h = Hierarchy::new(&net, &w).unwrap();
        let mut other = w.clone();
        other[0] *= 2.0;
        let e = Router::with_hierarchy(&net, &other, Metric::Time, &h).unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
        assert!(Router::with_hierarchy(&net, &w, Metric::Time, &h).is_ok());
        let bad = ChOptions {
            contract_settled: 0,
            ..ChOptions::default()
        };
        let e = Hierarchy::with_options(&net, &w, &bad).unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
        let e = Hierarchy::new(&net, &w[1..]).unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
    }

    #[test]
    fn the_cache_keeps_one_hierarchy_per_weights_and_the_most_recent() {
        let net = network(3, &[(0, 1, false), (1, 2, false)]);
        let w1 = vec![1.0, 1.0, 2.0, 2.0];
        let w2 = vec![1.0, 1.0, 3.0, 3.0];
        let w3 = vec![f64::INFINITY, 1.0, 3.0, 3.0];
        let cache = HierarchyCache::new(2, usize::MAX);
        assert!(cache.is_empty() && cache.get(&net, &w1).is_none());
        let a = cache.get_or_prepare(&net, &w1).unwrap();
        assert!(Arc::ptr_eq(&a, &cache.get_or_prepare(&net, &w1).unwrap()));
        cache.get_or_prepare(&net, &w2).unwrap();
        // Asking for w1 again makes w2 the least recent: a third set of weights evicts it.
        assert!(cache.get(&net, &w1).is_some());
        cache.get_or_prepare(&net, &w3).unwrap();
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&net, &w2).is_none());
        assert!(Arc::ptr_eq(&a, &cache.get(&net, &w1).unwrap()));
        assert!(cache.get(&net, &w3).unwrap().matches(&net, &w3));
        assert_eq!(
            cache.get_or_prepare(&net, &w1[1..]).unwrap_err().code(),
            "InvalidInput"
        );
        // A byte budget below one hierarchy keeps only the most recent.
        let small = HierarchyCache::new(10, 1);
        small.get_or_prepare(&net, &w1).unwrap();
        small.get_or_prepare(&net, &w2).unwrap();
        assert_eq!(small.len(), 1);
        assert!(small.get(&net, &w2).is_some());
    }

    #[test]
    fn jinzhou_ch_equals_bidirectional_astar() {
        let net = crate::io::geojson::jinzhou_network().unwrap();
        let w = net.weights(Metric::Time);
        let h = Hierarchy::new(&net, &w).unwrap();
        // Preparation is deterministic.
        let h2 = Hierarchy::new(&net, &w).unwrap();
        assert_eq!(h.rank, h2.rank);
        assert_eq!(h.shortcuts, h2.shortcuts);
        // The city's hub labels fit their budget: its routes merge labels. The same
        // hierarchy without them sweeps; both are checked against Dijkstra.
        assert!(h.has_labels(), "{h:?}");
        let r = Router::with_hierarchy(&net, &w, Metric::Time, &h).unwrap();
        let hs = Hierarchy::new(&net, &w).unwrap().without_labels();
        let rs = Router::with_hierarchy(&net, &w, Metric::Time, &hs).unwrap();
        let bb = net.bbox().unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut checked, mut same_path, mut settled_bidir, mut settled_ch) = (0, 0, 0, 0);
        while checked < 300 {
            let mut pt = || {
                geo_types::Point::new(
                    bb.min().x + next() * bb.width(),
                    bb.min().y + next() * bb.height(),
                )
            };
            let (Ok(a), Ok(b)) = (r.snap(pt(), 5_000.0), r.snap(pt(), 5_000.0)) else {
                continue;
            };
            let opts = |algorithm| RouteOptions { algorithm };
            let dijkstra = r.route(&a, &b, &opts(Algorithm::Dijkstra));
            let bidir = r.route(&a, &b, &opts(Algorithm::BidirAStar));
            let ch = r.route(&a, &b, &opts(Algorithm::Ch));
            let swept = rs.route(&a, &b, &opts(Algorithm::Ch));
            match (dijkstra, bidir, ch) {
                (Ok(x), Ok(z), Ok(y)) => {
                    let s = swept.unwrap();
                    assert!((x.cost - s.cost).abs() <= 1e-9 * x.cost.max(1.0));
                    assert!(
                        (x.cost - y.cost).abs() <= 1e-9 * x.cost.max(1.0),
                        "{} vs {}",
                        x.cost,
                        y.cost
                    );
                    // The same path costs the same to the bit: CH sums it in travel order.
                    if x.pieces == y.pieces {
                        assert_eq!(x.cost.to_bits(), y.cost.to_bits());
                        same_path += 1;
                    }
                    assert_eq!(y.algorithm, Algorithm::Ch);
                    for p in y.pieces.windows(2) {
                        assert_eq!(net.edge(p[0].edge).to, net.edge(p[1].edge).from);
                    }
                    settled_bidir += z.settled_nodes;
                    settled_ch += s.settled_nodes;
                }
                (Err(x), Err(_), Err(y)) => {
                    assert_eq!(x.code(), y.code());
                    assert_eq!(x.code(), swept.unwrap_err().code());
                }
                (x, _, y) => panic!("dijkstra {x:?} but ch {y:?}"),
            }
            checked += 1;
        }
        assert!(
            same_path > 250,
            "{same_path} of 300 routes are the same path"
        );
        // The upward searches settle far fewer nodes than bidirectional A*.
        assert!(
            2 * settled_ch < settled_bidir,
            "ch {settled_ch} vs bidir {settled_bidir}"
        );
        // A hierarchy, not a copy of the graph: far fewer arcs than nodes squared, and the
        // searches settle a fraction of the network.
        assert!(h.arc_count() < 4 * net.edge_count(), "{h:?}");
    }

    fn snap_at(net: &RoadNetwork, i: usize, frac: f64) -> Snap {
        let e = EdgeId::from_index(i % net.edge_count());
        let c = crate::routing::cut(&net.edge(e).geometry, frac, frac)[0];
        Snap {
            edge: e,
            twin: net.edge(e).twin,
            frac,
            point: geo_types::Point(c),
            dist_m: 0.0,
        }
    }

    /// Cells equal within `1e-9` relative (sums of other, equally short, paths may differ in
    /// the last bits), `None` where the other is `None`.
    fn same_cells(a: &[Vec<Option<f64>>], b: &[Vec<Option<f64>>]) -> bool {
        a.iter().zip(b).all(|(x, y)| {
            x.iter().zip(y).all(|(p, q)| match (p, q) {
                (Some(p), Some(q)) => (p - q).abs() <= 1e-9 * p.abs().max(1.0),
                (None, None) => true,
                _ => false,
            })
        })
    }

    #[test]
    fn jinzhou_matrix_on_the_hierarchy_equals_the_dijkstra_matrix() {
        let net = crate::io::geojson::jinzhou_network().unwrap();
        let w = net.weights(Metric::Time);
        let r = Router::new(&net, &w, Metric::Time).unwrap();
        let m = net.edge_count();
        let snaps: Vec<Snap> = (0..40)
            .map(|i| snap_at(&net, (i * 7919) % m, (i % 10) as f64 / 9.0))
            .collect();
        let (src, dst) = snaps.split_at(25);
        let a = r.matrix(src, dst).unwrap();
        let b = r.matrix_ch(src, dst).unwrap();
        assert_eq!(b.durations_s.len(), 25);
        assert_eq!(b.durations_s[0].len(), 15);
        assert!(same_cells(&a.durations_s, &b.durations_s));
        // Real-valued weights leave no ties here: the same paths, the same lengths.
        assert!(same_cells(&a.distances_m, &b.distances_m));
        assert!(b.durations_s.iter().flatten().all(Option::is_some));
        let too_many = vec![snaps[0]; 1001];
        let e = r.matrix_ch(&too_many, &too_many).unwrap_err();
        assert_eq!(e.code(), "TooBig");
    }

    fn random_graph() -> impl Strategy<Value = (usize, Vec<(usize, usize, bool)>, Vec<u8>)> {
        (2usize..24).prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec((0..n, 0..n, any::<bool>()), 1..(4 * n)),
                proptest::collection::vec(any::<u8>(), 1..64),
            )
        })
    }

    /// The hierarchy's route `s → t` costs Floyd–Warshall's `d[s][t]` to the bit, and its
    /// edges sum to that cost (no route: unreachable, or `s == t`).
    fn check_pair(
        h: &Hierarchy,
        net: &RoadNetwork,
        w: &[f64],
        d: &[Vec<f64>],
        s: u32,
        t: u32,
    ) -> std::result::Result<(), proptest::test_runner::TestCaseError> {
        let (c, edges) = node_route(h, s, t);
        prop_assert_eq!(c, d[s as usize][t as usize], "{} -> {}", s, t);
        if let Some(edges) = edges {
            prop_assert_eq!(path_cost(net, w, s, t, &edges), c);
        } else {
            prop_assert!(c.is_infinite() || s == t);
        }
        Ok(())
    }

    /// Small integer weights (0 to 9), closed edges and zero weights, one per edge, drawn from
    /// `bytes`: every sum is exact.
    fn byte_weights(net: &RoadNetwork, bytes: &[u8]) -> Vec<f64> {
        (0..net.edge_count())
            .map(|i| match bytes[i % bytes.len()] % 12 {
                10 => f64::INFINITY,
                11 => 0.0,
                k => f64::from(k),
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Small integer weights (0 to 9, and closed edges) make every sum exact, so the
        /// hierarchy's distances must equal Floyd–Warshall's to the bit, for every pair, with
        /// tight witness limits (more shortcuts) and with the defaults.
        #[test]
        fn all_pairs_equal_floyd_warshall((n, roads, bytes) in random_graph(), tight in any::<bool>()) {
            let net = network(n, &roads);
            let w = byte_weights(&net, &bytes);
            let o = if tight {
                ChOptions { estimate_settled: 1, contract_settled: 2, max_hops: 1 }
            } else {
                ChOptions::default()
            };
            let h = Hierarchy::with_options(&net, &w, &o).unwrap();
            // Queries merge hub labels here (small graphs always fit their budget); the
            // same hierarchy without them sweeps. Both are exact.
            prop_assert!(h.has_labels());
            let sweep = Hierarchy::with_options(&net, &w, &o).unwrap().without_labels();
            prop_assert!(!sweep.has_labels());
            let d = floyd_warshall(&net, &w);
            for s in 0..n as u32 {
                for t in 0..n as u32 {
                    check_pair(&h, &net, &w, &d, s, t)?;
                    check_pair(&sweep, &net, &w, &d, s, t)?;
                }
            }
            // The many-to-many matrix on buckets equals the one-to-many Dijkstra matrix, from
            // phantom points anywhere on edges (same edge, at nodes, on closed edges).
            let r = Router::with_hierarchy(&net, &w, Metric::Time, &h).unwrap();
            let snaps: Vec<Snap> = (0..6)
                .map(|i| {
                    let b = bytes[(i * 5) % bytes.len()];
                    snap_at(&net, b as usize + i, f64::from(b % 5) / 4.0)
                })
                .collect();
            let (src, dst) = snaps.split_at(3);
            let a = r.matrix(src, dst).unwrap();
            let b = r.matrix_ch(src, dst).unwrap();
            prop_assert!(same_cells(&a.durations_s, &b.durations_s), "{:?} vs {:?}", a, b);
            // Every arc of the hierarchy unpacks into a path of the network with its weight.
            let mut order = vec![0u32; n];
            for (v, &r) in h.rank.iter().enumerate() {
                order[r as usize] = v as u32;
            }
            for slot in 0..n as u32 {
                for backward in [false, true] {
                    for a in h.arcs(slot, backward) {
                        let mut e = Vec::new();
                        h.unpack(a.id, &mut Vec::new(), &mut e);
                        let (v, x) = (order[slot as usize], order[a.head as usize]);
                        let (from, to) = if backward { (x, v) } else { (v, x) };
                        prop_assert_eq!(path_cost(&net, &w, from, to, &e), a.w);
                        prop_assert!(a.head > slot);
                        prop_assert_eq!(h.rank[v as usize], slot);
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// From several end points with offsets, below a bound or not, a hierarchy's hub
        /// labels and its sweep find the same cost (to the bit: every sum is exact), the
        /// same answer to whether a route beats the bound, and a route that is a path from
        /// a seed to a target costing what was found.
        #[test]
        fn labels_and_sweep_agree_from_several_ends_below_a_bound(
            (n, roads, bytes) in random_graph(),
            ends in proptest::collection::vec((any::<u8>(), 0u8..8), 2..7),
            bound in proptest::option::of(0u8..40),
        ) {
            let net = network(n, &roads);
            let w = byte_weights(&net, &bytes);
            let h = Hierarchy::new(&net, &w).unwrap();
            prop_assert!(h.has_labels());
            let sweep = Hierarchy::new(&net, &w).unwrap().without_labels();
            // Half-integer offsets and a half-integer bound: every sum is exact.
            let acc: Vec<Access> = ends
                .iter()
                .map(|&(v, c)| Access { node: u32::from(v) % n as u32, cost: f64::from(c) / 2.0 })
                .collect();
            let (seeds, targets) = acc.split_at(acc.len() / 2);
            let mu0 = bound.map_or(f64::INFINITY, |b| f64::from(b) / 2.0);
            let a = h.query(seeds, targets, mu0);
            let b = sweep.query(seeds, targets, mu0);
            prop_assert_eq!(a.0, b.0);
            prop_assert_eq!(a.1.is_some(), b.1.is_some());
            prop_assert!(a.0 <= mu0);
            if let Some((si, edges, ti)) = a.1 {
                prop_assert!(a.0 < mu0);
                let c = path_cost(&net, &w, seeds[si].node, targets[ti].node, &edges);
                prop_assert_eq!(seeds[si].cost + c + targets[ti].cost, a.0);
            }
        }

        /// A hierarchy contracted in any given order (a shuffle of the nodes) is exact too,
        /// with its hub labels and without: every pair equals Floyd–Warshall; its ranks are
        /// that order; the search statistics are those of the sweep (settled as counted by
        /// it, stalled among the settled).
        #[test]
        fn any_given_order_equals_floyd_warshall(
            (n, roads, bytes) in random_graph(),
            keys in proptest::collection::vec(any::<u32>(), 24),
        ) {
            let net = network(n, &roads);
            let w = byte_weights(&net, &bytes);
            let mut order: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
            order.sort_by_key(|v| (keys[v.index()], v.0));
            let h = Hierarchy::with_order(&net, &w, &order).unwrap();
            let sweep = Hierarchy::with_order(&net, &w, &order).unwrap().without_labels();
            for (r, v) in order.iter().enumerate() {
                prop_assert_eq!(h.rank(*v), r as u32);
            }
            let d = floyd_warshall(&net, &w);
            for s in 0..n as u32 {
                for t in 0..n as u32 {
                    check_pair(&h, &net, &w, &d, s, t)?;
                    check_pair(&sweep, &net, &w, &d, s, t)?;
                    let st = h.search_stats(&[(NodeId(s), 0.0)], &[(NodeId(t), 0.0)]).unwrap();
                    let (_, _, settled) = sweep.query(
                        &[Access { node: s, cost: 0.0 }],
                        &[Access { node: t, cost: 0.0 }],
                        f64::INFINITY,
                    );
                    prop_assert_eq!(st.settled, settled);
                    prop_assert!(st.stalled <= st.settled && st.settled <= 2 * n);
                }
            }
        }
    }

    #[test]
    fn a_given_order_must_name_every_node_once() {
        let net = network(3, &[(0, 1, false), (1, 2, false)]);
        let w = net.weights(Metric::Time);
        for bad in [vec![0, 1], vec![0, 1, 1], vec![0, 1, 3], vec![2, 1, 0, 3]] {
            let order: Vec<NodeId> = bad.into_iter().map(NodeId).collect();
            let e = Hierarchy::with_order(&net, &w, &order).unwrap_err();
            assert_eq!(e.code(), "InvalidInput", "{order:?}");
        }
        let e = Hierarchy::new(&net, &w)
            .unwrap()
            .search_stats(&[(NodeId(5), 0.0)], &[(NodeId(0), 0.0)])
            .unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
    }
}
