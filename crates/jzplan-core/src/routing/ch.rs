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
//! `search.rs`). Both searches only go up the hierarchy, with stall-on-demand, and stop once
//! their smallest key reaches the best meeting cost.

use super::matrix::Matrix;
use super::search::{Access, SEED};
use super::{Placement, RoutePiece, Router};
use crate::network::snap::Snap;
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::{Error, Result};
use rayon::prelude::*;
use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
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
/// took about a tenth less time than with network numbering).
pub struct Hierarchy {
    m: usize,
    rank: Vec<u32>,
    /// Arcs `v → x` with `rank[x] > rank[v]`, grouped by `v` (the forward search).
    up_off: Vec<u32>,
    up: Vec<ChArc>,
    /// Arcs `x → v` with `rank[x] > rank[v]`, grouped by `v`, `head = x` (the backward search).
    down_off: Vec<u32>,
    down: Vec<ChArc>,
    /// The two halves of shortcut `i` (arc id `m + i`), in travel order.
    shortcuts: Vec<[u32; 2]>,
    /// The weights the hierarchy was built for (a router checks it has the same ones).
    weights: Vec<f64>,
    fingerprint: u64,
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

/// An arc of the graph being contracted: the other end, the weight and the arc id.
#[derive(Clone, Copy, Debug)]
struct DynArc {
    other: u32,
    w: f64,
    id: u32,
}

/// The graph still to be contracted: out- and in-arcs between uncontracted nodes, at most one
/// arc per ordered pair (the cheapest).
struct DynGraph {
    out: Vec<Vec<DynArc>>,
    inn: Vec<Vec<DynArc>>,
}

impl DynGraph {
    fn new(net: &RoadNetwork, weights: &[f64]) -> DynGraph {
        let n = net.node_count();
        let mut g = DynGraph {
            out: vec![Vec::new(); n],
            inn: vec![Vec::new(); n],
        };
        for (i, e) in net.edges().iter().enumerate() {
            let w = weights[i];
            if !w.is_finite() || e.from == e.to {
                continue;
            }
            g.insert(e.from.0, e.to.0, w, i as u32);
        }
        g
    }

    /// Adds `u → x`, or lowers the existing arc between them; a tie keeps the existing one
    /// (the lower id among parallel edges, which makes the result independent of luck).
    fn insert(&mut self, u: u32, x: u32, w: f64, id: u32) {
        let out = &mut self.out[u as usize];
        match out.iter_mut().find(|a| a.other == x) {
            Some(a) if a.w <= w => return,
            Some(a) => {
                a.w = w;
                a.id = id;
            }
            None => out.push(DynArc { other: x, w, id }),
        }
        let inn = &mut self.inn[x as usize];
        match inn.iter_mut().find(|a| a.other == u) {
            Some(a) => {
                a.w = w;
                a.id = id;
            }
            None => inn.push(DynArc { other: u, w, id }),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
struct WItem {
    d: f64,
    node: u32,
    hops: u32,
}
impl Eq for WItem {}
impl PartialOrd for WItem {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for WItem {
    // Reversed: the max-heap pops the smallest distance.
    fn cmp(&self, o: &Self) -> Ordering {
        o.d.total_cmp(&self.d).then(o.node.cmp(&self.node))
    }
}

/// Scratch state of witness searches, one per thread, generation-stamped.
#[derive(Default)]
struct Witness {
    dist: Vec<f64>,
    stamp: Vec<u32>,
    generation: u32,
    heap: BinaryHeap<WItem>,
}

impl Witness {
    fn start(&mut self, n: usize) {
        if self.dist.len() < n {
            self.dist.resize(n, f64::INFINITY);
            self.stamp.resize(n, 0);
        }
        if self.generation == u32::MAX {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 0;
        }
        self.generation += 1;
        self.heap.clear();
    }

    #[inline]
    fn dist(&self, v: u32) -> f64 {
        if self.stamp[v as usize] == self.generation {
            self.dist[v as usize]
        } else {
            f64::INFINITY
        }
    }

    #[inline]
    fn relax(&mut self, v: u32, d: f64, hops: u32) {
        if d < self.dist(v) {
            self.dist[v as usize] = d;
            self.stamp[v as usize] = self.generation;
            self.heap.push(WItem { d, node: v, hops });
        }
    }

    /// Dijkstra from `src` on the uncontracted graph without `avoid`, up to cost `bound`, at
    /// most `settled` nodes and `hops` arcs. Tentative distances are costs of real paths.
    fn run(&mut self, g: &DynGraph, src: u32, avoid: u32, bound: f64, settled: usize, hops: u32) {
        self.start(g.out.len());
        self.relax(src, 0.0, 0);
        let mut count = 0;
        while let Some(it) = self.heap.pop() {
            if it.d > self.dist(it.node) {
                continue;
            }
            if it.d > bound || count >= settled {
                break;
            }
            count += 1;
            if it.hops >= hops {
                continue;
            }
            for a in &g.out[it.node as usize] {
                if a.other != avoid {
                    self.relax(a.other, it.d + a.w, it.hops + 1);
                }
            }
        }
    }
}

thread_local! {
    static WITNESS: RefCell<Witness> = RefCell::new(Witness::default());
}

/// A route found on the hierarchy: seed index, network edges in travel order, target index.
pub(crate) type ChPath = (usize, Vec<u32>, usize);

/// A shortcut to add: from, to, weight, and its halves' arc ids.
type NewShortcut = (u32, u32, f64, [u32; 2]);

/// The shortcuts that contracting `v` needs (or, with `out = None`, only their number).
fn shortcuts_of(
    g: &DynGraph,
    v: u32,
    settled: usize,
    hops: u32,
    mut out: Option<&mut Vec<NewShortcut>>,
) -> usize {
    let outs = &g.out[v as usize];
    let mut count = 0;
    WITNESS.with(|ws| {
        let mut ws = ws.borrow_mut();
        for a in &g.inn[v as usize] {
            let u = a.other;
            let bound = outs
                .iter()
                .filter(|b| b.other != u)
                .map(|b| a.w + b.w)
                .fold(f64::NEG_INFINITY, f64::max);
            if bound == f64::NEG_INFINITY {
                continue;
            }
            ws.run(g, u, v, bound, settled, hops);
            for b in outs {
                if b.other == u {
                    continue;
                }
                let need = a.w + b.w;
                // A witness no longer than the path through v makes the shortcut unnecessary.
                if ws.dist(b.other) > need {
                    count += 1;
                    if let Some(o) = out.as_deref_mut() {
                        o.push((u, b.other, need, [a.id, b.id]));
                    }
                }
            }
        }
    });
    count
}

/// Priority of contracting `v` now: smaller first.
fn priority(g: &DynGraph, v: u32, cn: u32, depth: u32, o: &ChOptions) -> i64 {
    let added = shortcuts_of(g, v, o.estimate_settled, o.max_hops, None) as i64;
    let removed = (g.out[v as usize].len() + g.inn[v as usize].len()) as i64;
    // Weights found best on the Jinzhou network and on grids (smallest search spaces for
    // about the fewest shortcuts): shortcuts count double, depth spreads the contraction.
    2 * added - removed + cn as i64 + depth as i64
}

impl Hierarchy {
    /// Prepares the hierarchy of `weights` (one per edge, infinity = closed) with the default
    /// witness limits.
    pub fn new(net: &RoadNetwork, weights: &[f64]) -> Result<Hierarchy> {
        Hierarchy::with_options(net, weights, &ChOptions::default())
    }

    /// Prepares the hierarchy with given witness limits. Deterministic: the same network and
    /// weights give the same hierarchy whatever the number of threads (priorities are computed
    /// in parallel on a read-only graph; contraction itself is sequential).
    pub fn with_options(net: &RoadNetwork, weights: &[f64], o: &ChOptions) -> Result<Hierarchy> {
        super::validate_weights(net, weights)?;
        if o.estimate_settled == 0 || o.contract_settled == 0 || o.max_hops == 0 {
            return Err(Error::invalid(
                "witness search limits must be at least 1 (settled nodes and hops)",
            ));
        }
        let n = net.node_count();
        let m = net.edge_count();
        let mut g = DynGraph::new(net, weights);
        let mut cn = vec![0u32; n];
        let mut depth = vec![0u32; n];
        let mut contracted = vec![false; n];
        let mut prio: Vec<i64> = (0..n as u32)
            .into_par_iter()
            .map(|v| priority(&g, v, 0, 0, o))
            .collect();
        let mut heap: BinaryHeap<Reverse<(i64, u32)>> = prio
            .iter()
            .enumerate()
            .map(|(v, &p)| Reverse((p, v as u32)))
            .collect();
        let mut rank = vec![0u32; n];
        let mut up_lists: Vec<Vec<DynArc>> = vec![Vec::new(); n];
        let mut down_lists: Vec<Vec<DynArc>> = vec![Vec::new(); n];
        let mut shortcuts: Vec<[u32; 2]> = Vec::new();
        let mut new = Vec::new();
        let mut next_rank = 0u32;
        while let Some(Reverse((p, v))) = heap.pop() {
            let vi = v as usize;
            if contracted[vi] || p != prio[vi] {
                continue;
            }
            // Lazy update: the priority may have grown since it was pushed.
            let now = priority(&g, v, cn[vi], depth[vi], o);
            if now > p && heap.peek().is_some_and(|Reverse((q, _))| now > *q) {
                prio[vi] = now;
                heap.push(Reverse((now, v)));
                continue;
            }
            new.clear();
            shortcuts_of(&g, v, o.contract_settled, o.max_hops, Some(&mut new));
            contracted[vi] = true;
            rank[vi] = next_rank;
            next_rank += 1;
            let outs = std::mem::take(&mut g.out[vi]);
            let inns = std::mem::take(&mut g.inn[vi]);
            for a in &outs {
                g.inn[a.other as usize].retain(|b| b.other != v);
            }
            for a in &inns {
                g.out[a.other as usize].retain(|b| b.other != v);
            }
            for &(u, x, w, halves) in &new {
                let id = m + shortcuts.len();
                if id >= (SEED - 8) as usize {
                    return Err(Error::TooBig(format!(
                        "the hierarchy of {n} nodes and {m} edges needs more than {} arcs",
                        SEED - 8
                    )));
                }
                let before = g.out[u as usize]
                    .iter()
                    .find(|a| a.other == x)
                    .map(|a| (a.w, a.id));
                g.insert(u, x, w, id as u32);
                let after = g.out[u as usize]
                    .iter()
                    .find(|a| a.other == x)
                    .map(|a| (a.w, a.id));
                if before != after {
                    shortcuts.push(halves);
                }
            }
            let mut nbrs: Vec<u32> = outs.iter().chain(&inns).map(|a| a.other).collect();
            nbrs.sort_unstable();
            nbrs.dedup();
            for &x in &nbrs {
                cn[x as usize] += 1;
                depth[x as usize] = depth[x as usize].max(depth[vi] + 1);
            }
            let prio_of = |&x: &u32| priority(&g, x, cn[x as usize], depth[x as usize], o);
            // Few neighbours are quicker on this thread than through the pool.
            let updated: Vec<i64> = if nbrs.len() >= 16 {
                nbrs.par_iter().map(prio_of).collect()
            } else {
                nbrs.iter().map(prio_of).collect()
            };
            for (&x, p) in nbrs.iter().zip(updated) {
                prio[x as usize] = p;
                heap.push(Reverse((p, x)));
            }
            up_lists[vi] = outs;
            down_lists[vi] = inns;
        }
        let mut order = vec![0u32; n];
        for (v, &r) in rank.iter().enumerate() {
            order[r as usize] = v as u32;
        }
        let csr = |mut lists: Vec<Vec<DynArc>>| {
            let mut off = Vec::with_capacity(n + 1);
            let mut arcs = Vec::with_capacity(lists.iter().map(Vec::len).sum());
            off.push(0u32);
            for &v in &order {
                let l = std::mem::take(&mut lists[v as usize]);
                arcs.extend(l.into_iter().map(|a| ChArc {
                    head: rank[a.other as usize],
                    w: a.w,
                    id: a.id,
                }));
                off.push(arcs.len() as u32);
            }
            (off, arcs)
        };
        let (up_off, up) = csr(up_lists);
        let (down_off, down) = csr(down_lists);
        Ok(Hierarchy {
            m,
            rank,
            up_off,
            up,
            down_off,
            down,
            shortcuts,
            weights: weights.to_vec(),
            fingerprint: weights_fingerprint(weights),
        })
    }

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
        self.up.len() + self.down.len()
    }

    /// Contraction rank of a node (0 = contracted first).
    pub fn rank(&self, v: NodeId) -> u32 {
        self.rank[v.index()]
    }

    /// Heap bytes held by the hierarchy (arrays, including its copy of the weights).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.rank.len() * 4
            + (self.up_off.len() + self.down_off.len()) * 4
            + (self.up.len() + self.down.len()) * size_of::<ChArc>()
            + self.shortcuts.len() * 8
            + self.weights.len() * 8
    }

    /// The fingerprint of the weights it was built for ([`weights_fingerprint`]).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether it was built for exactly these weights on a network of this size.
    pub fn matches(&self, net: &RoadNetwork, weights: &[f64]) -> bool {
        super::work::full_pass(net);
        self.rank.len() == net.node_count()
            && self.m == net.edge_count()
            && self.weights.len() == weights.len()
            && self
                .weights
                .iter()
                .zip(weights)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }

    /// The cheapest path from any of `sources` to any of `targets`, each a node with a cost
    /// already spent to reach it (or still to pay from it), as fast_paths'
    /// `calc_path_multiple_sources_and_targets`: its cost and its network edges in travel
    /// order, or `None` when no target is reachable. Costs are summed in travel order.
    /// `InvalidInput` for a node outside the network or a cost that is negative or NaN.
    pub fn shortest_path(
        &self,
        sources: &[(NodeId, f64)],
        targets: &[(NodeId, f64)],
    ) -> Result<Option<(f64, Vec<EdgeId>)>> {
        let acc = |v: &[(NodeId, f64)]| -> Result<Vec<Access>> {
            if v.len() > 8 {
                return Err(Error::invalid(format!(
                    "{} end points (at most 8)",
                    v.len()
                )));
            }
            v.iter()
                .map(|&(n, c)| {
                    if n.index() >= self.rank.len() || c.is_nan() || c < 0.0 {
                        Err(Error::invalid(format!(
                            "end point at node {n} with cost {c} (nodes 0..{}, cost >= 0)",
                            self.rank.len()
                        )))
                    } else {
                        Ok(Access { node: n.0, cost: c })
                    }
                })
                .collect()
        };
        let (s, t) = (acc(sources)?, acc(targets)?);
        let (_, path, _) = self.query(&s, &t, f64::INFINITY);
        Ok(path.map(|(si, edges, ti)| {
            let mut c = s[si].cost;
            for &e in &edges {
                c += self.weights[e as usize];
            }
            (c + t[ti].cost, edges.into_iter().map(EdgeId).collect())
        }))
    }

    /// Arcs of slot `v` (not node: see [`Hierarchy`]).
    #[inline]
    fn arcs(&self, v: u32, backward: bool) -> &[ChArc] {
        let (off, arcs) = if backward {
            (&self.down_off, &self.down)
        } else {
            (&self.up_off, &self.up)
        };
        &arcs[off[v as usize] as usize..off[v as usize + 1] as usize]
    }

    /// Appends the network edges of arc `id`, in travel order (`stack` is scratch space).
    fn unpack(&self, id: u32, stack: &mut Vec<u32>, out: &mut Vec<u32>) {
        stack.clear();
        stack.push(id);
        while let Some(a) = stack.pop() {
            if (a as usize) < self.m {
                out.push(a);
            } else {
                let [first, second] = self.shortcuts[a as usize - self.m];
                stack.push(second);
                stack.push(first);
            }
        }
    }

    /// The best route from `seeds` to `targets` (phantom accesses as in `search.rs`) if it is
    /// cheaper than `mu0`: its cost as the searches summed it, the seed index, the network
    /// edges in travel order and the target index; plus the number of settled nodes.
    pub(crate) fn query(
        &self,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<ChPath>, usize) {
        with_two_spaces(|f, b| {
            let n = self.rank.len();
            f.start(n);
            b.start(n);
            for (i, s) in seeds.iter().enumerate() {
                let x = self.rank[s.node as usize];
                f.update(x, s.cost + 0.0, SEED - i as u32, x);
            }
            for (i, t) in targets.iter().enumerate() {
                let x = self.rank[t.node as usize];
                b.update(x, t.cost + 0.0, SEED - i as u32, x);
            }
            let mut mu = mu0;
            let mut meet = None;
            // Smallest keys of both sides; only the side that settled a node changes its own.
            let (mut tf, mut tb) = (f.top(), b.top());
            loop {
                // Also ends when both heaps are empty (infinity >= any mu).
                if tf.min(tb) >= mu {
                    break;
                }
                let backward = tb < tf;
                let (me, other) = if backward {
                    (&mut *b, &*f)
                } else {
                    (&mut *f, &*b)
                };
                let Some(v) = me.settle_top() else { break };
                let dv = me.dist(v);
                if other.reached(v) {
                    let c = dv + other.dist(v);
                    if c < mu {
                        mu = c;
                        meet = Some(v);
                    }
                }
                // Stall on demand: a higher node already reached with a cheaper way into `v`
                // proves `dv` is not the distance of `v`, so nothing is relaxed from it.
                let stalled = self
                    .arcs(v, !backward)
                    .iter()
                    .any(|a| me.dist(a.head) + a.w < dv);
                if !stalled {
                    for a in self.arcs(v, backward) {
                        me.update(a.head, dv + a.w, a.id, v);
                    }
                }
                if backward {
                    tb = b.top();
                } else {
                    tf = f.top();
                }
            }
            let path = meet.map(|m| {
                let mut arcs = Vec::with_capacity(16);
                let mut v = m;
                let si = loop {
                    let p = f.labels[v as usize].pred_arc;
                    if p > SEED - 8 {
                        break (SEED - p) as usize;
                    }
                    arcs.push(p);
                    v = f.labels[v as usize].pred_node;
                };
                let mut edges = Vec::with_capacity(64);
                let mut stack = Vec::with_capacity(32);
                for &a in arcs.iter().rev() {
                    self.unpack(a, &mut stack, &mut edges);
                }
                let mut v = m;
                let ti = loop {
                    let p = b.labels[v as usize].pred_arc;
                    if p > SEED - 8 {
                        break (SEED - p) as usize;
                    }
                    self.unpack(p, &mut stack, &mut edges);
                    v = b.labels[v as usize].pred_node;
                };
                (si, edges, ti)
            });
            (mu, path, f.settled + b.settled)
        })
    }
}

impl Hierarchy {
    /// An upward search from `acc` to exhaustion, with stall-on-demand: `visit` sees every
    /// settled node that is not stalled, with its cost and its predecessor arc and node.
    fn upward(
        &self,
        sp: &mut Space,
        acc: &[Access],
        backward: bool,
        mut visit: impl FnMut(u32, f64, u32, u32),
    ) {
        sp.start(self.rank.len());
        for (i, a) in acc.iter().enumerate() {
            let x = self.rank[a.node as usize];
            sp.update(x, a.cost + 0.0, SEED - i as u32, x);
        }
        while let Some(v) = sp.pop_settle() {
            let dv = sp.dist(v);
            if self
                .arcs(v, !backward)
                .iter()
                .any(|a| sp.dist(a.head) + a.w < dv)
            {
                continue;
            }
            let l = sp.labels[v as usize];
            visit(v, dv, l.pred_arc, l.pred_node);
            for a in self.arcs(v, backward) {
                sp.update(a.head, dv + a.w, a.id, v);
            }
        }
    }
}

/// A settled node of a target's backward search: node, cost to the target, predecessor arc
/// and node (towards the target).
type TreeNode = (u32, f64, u32, u32);

/// How the best path of a matrix cell was found.
#[derive(Clone, Copy)]
enum Via {
    None,
    Direct(RoutePiece),
    Node(u32),
}

/// One row of durations and one of distances.
type Row = (Vec<Option<f64>>, Vec<Option<f64>>);

impl Router<'_> {
    /// The matrix between `sources` and `targets` on the router's contraction hierarchy
    /// (prepared now if none was given): one backward upward search per target leaves its
    /// costs in buckets at the nodes it settles, one forward upward search per source scans
    /// them (many-to-many CH). The same answer as [`Router::matrix`], cells summed in travel
    /// order; `TooBig` beyond [`MAX_MATRIX_CELLS`](super::matrix::MAX_MATRIX_CELLS) cells.
    pub fn matrix_ch(&self, sources: &[Snap], targets: &[Snap]) -> Result<Matrix> {
        self.check_matrix(sources, targets)?;
        let h = self.hierarchy()?;
        let tg: Vec<Vec<Placement>> = targets.iter().map(|t| self.placements(t)).collect();
        let trees: Vec<Vec<TreeNode>> = tg
            .par_iter()
            .map(|places| {
                let acc = self.targets(places);
                with_space(|sp| {
                    let mut tree = Vec::new();
                    h.upward(sp, &acc, true, |v, d, pa, pn| tree.push((v, d, pa, pn)));
                    tree.sort_unstable_by_key(|t| t.0);
                    tree
                })
            })
            .collect();
        // Buckets in CSR form: for each node, the targets whose search settled it.
        let n = h.node_count();
        let mut off = vec![0u32; n + 1];
        for t in &trees {
            for e in t {
                off[e.0 as usize + 1] += 1;
            }
        }
        for i in 0..n {
            off[i + 1] += off[i];
        }
        let mut cursor = off.clone();
        let mut bucket = vec![(0u32, 0.0f64); off[n] as usize];
        for (j, t) in trees.iter().enumerate() {
            for e in t {
                let c = &mut cursor[e.0 as usize];
                bucket[*c as usize] = (j as u32, e.1);
                *c += 1;
            }
        }
        let rows: Vec<Row> = sources
            .par_iter()
            .map(|s| self.ch_row(h, s, &tg, &trees, &off, &bucket))
            .collect();
        let (durations_s, distances_m) = rows.into_iter().unzip();
        Ok(Matrix {
            metric: self.metric,
            durations_s,
            distances_m,
        })
    }

    fn ch_row(
        &self,
        h: &Hierarchy,
        src: &Snap,
        tg: &[Vec<Placement>],
        trees: &[Vec<TreeNode>],
        off: &[u32],
        bucket: &[(u32, f64)],
    ) -> Row {
        let o = self.placements(src);
        let seeds = self.seeds(&o);
        let mut best = vec![f64::INFINITY; tg.len()];
        let mut via = vec![Via::None; tg.len()];
        for (j, places) in tg.iter().enumerate() {
            if let Some((c, p)) = self.direct(&o, places) {
                best[j] = c;
                via[j] = Via::Direct(p);
            }
        }
        with_space(|sp| {
            h.upward(sp, &seeds, false, |v, dv, _, _| {
                let (a, b) = (off[v as usize] as usize, off[v as usize + 1] as usize);
                for &(j, db) in &bucket[a..b] {
                    let c = dv + db;
                    if c < best[j as usize] {
                        best[j as usize] = c;
                        via[j as usize] = Via::Node(v);
                    }
                }
            });
            let mut dur = vec![None; tg.len()];
            let mut dist = vec![None; tg.len()];
            let mut stack = Vec::new();
            for j in 0..tg.len() {
                let pieces: Vec<RoutePiece> = match via[j] {
                    Via::None => continue,
                    Via::Direct(p) => vec![p],
                    Via::Node(m) => {
                        let mut arcs = Vec::new();
                        let mut v = m;
                        let si = loop {
                            let p = sp.labels[v as usize].pred_arc;
                            if p > SEED - 8 {
                                break (SEED - p) as usize;
                            }
                            arcs.push(p);
                            v = sp.labels[v as usize].pred_node;
                        };
                        let mut edges = Vec::new();
                        for &a in arcs.iter().rev() {
                            h.unpack(a, &mut stack, &mut edges);
                        }
                        let tree = &trees[j];
                        let mut v = m;
                        let ti = loop {
                            // Every node on the way was expanded by the target's search, so
                            // it is in its tree.
                            let Ok(k) = tree.binary_search_by_key(&v, |t| t.0) else {
                                break None;
                            };
                            let (_, _, p, next) = tree[k];
                            if p > SEED - 8 {
                                break Some((SEED - p) as usize);
                            }
                            h.unpack(p, &mut stack, &mut edges);
                            v = next;
                        };
                        let Some(ti) = ti else { continue };
                        super::route_pieces(&o[si], edges, &tg[j][ti])
                    }
                };
                let (t, d) = self.time_and_length(&pieces);
                dur[j] = Some(t);
                dist[j] = Some(d);
            }
            (dur, dist)
        })
    }
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
        super::work::full_pass(net);
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
        super::work::full_pass(net);
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
        v.insert(0, (fp, h.clone()));
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
        Ok(h)
    }
}

#[derive(Clone, Copy, Default)]
struct Label {
    dist: f64,
    pred_arc: u32,
    pred_node: u32,
    /// `2 * generation` once reached in the current query, `+ 1` once settled.
    mark: u32,
}

#[derive(Clone, Copy, PartialEq)]
struct Item {
    key: f64,
    node: u32,
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    // Keys are never negative nor NaN (`+ 0.0` at the seeds turns -0 into +0), and the bits of
    // non-negative floats order as the numbers do: an integer comparison.
    fn cmp(&self, o: &Self) -> Ordering {
        o.key
            .to_bits()
            .cmp(&self.key.to_bits())
            .then(o.node.cmp(&self.node))
    }
}

/// The per-query state of one direction of a hierarchy query (generation-stamped labels).
#[derive(Default)]
struct Space {
    labels: Vec<Label>,
    generation: u32,
    heap: BinaryHeap<Item>,
    settled: usize,
}

impl Space {
    fn start(&mut self, n: usize) {
        if self.labels.len() < n {
            self.labels.resize(n, Label::default());
        }
        if self.generation >= u32::MAX / 2 - 1 {
            self.labels.iter_mut().for_each(|l| l.mark = 0);
            self.generation = 0;
        }
        self.generation += 1;
        self.heap.clear();
        self.settled = 0;
    }
    #[inline]
    fn reached(&self, v: u32) -> bool {
        self.labels[v as usize].mark >> 1 == self.generation
    }
    #[inline]
    fn dist(&self, v: u32) -> f64 {
        if self.reached(v) {
            self.labels[v as usize].dist
        } else {
            f64::INFINITY
        }
    }
    #[inline]
    fn update(&mut self, v: u32, d: f64, pred_arc: u32, pred_node: u32) {
        let g = self.generation;
        let l = &mut self.labels[v as usize];
        if l.mark >> 1 != g {
            *l = Label {
                dist: d,
                pred_arc,
                pred_node,
                mark: g * 2,
            };
        } else if l.mark & 1 == 1 || d >= l.dist {
            return;
        } else {
            l.dist = d;
            l.pred_arc = pred_arc;
            l.pred_node = pred_node;
        }
        self.heap.push(Item { key: d, node: v });
    }
    fn top(&mut self) -> f64 {
        while let Some(it) = self.heap.peek() {
            let l = &self.labels[it.node as usize];
            if l.mark == self.generation * 2 + 1 || it.key > l.dist {
                self.heap.pop();
            } else {
                return it.key;
            }
        }
        f64::INFINITY
    }
    fn pop_settle(&mut self) -> Option<u32> {
        self.top();
        self.settle_top()
    }
    /// Settles the heap's top, which [`Space::top`] has just found current.
    fn settle_top(&mut self) -> Option<u32> {
        let it = self.heap.pop()?;
        self.labels[it.node as usize].mark = self.generation * 2 + 1;
        self.settled += 1;
        Some(it.node)
    }
}

thread_local! {
    static POOL: RefCell<Vec<Space>> = const { RefCell::new(Vec::new()) };
}

fn with_space<R>(f: impl FnOnce(&mut Space) -> R) -> R {
    let mut s = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    let r = f(&mut s);
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < 4 {
            p.push(s);
        }
    });
    r
}

fn with_two_spaces<R>(f: impl FnOnce(&mut Space, &mut Space) -> R) -> R {
    with_space(|a| with_space(|b| f(a, b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{EdgeSpec, Metric, NetworkBuilder, RoadClass};
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
        let r = Router::with_hierarchy(&net, &w, Metric::Time, &h).unwrap();
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
            match (dijkstra, bidir, ch) {
                (Ok(x), Ok(z), Ok(y)) => {
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
                    settled_ch += y.settled_nodes;
                }
                (Err(x), Err(_), Err(y)) => assert_eq!(x.code(), y.code()),
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Small integer weights (0 to 9, and closed edges) make every sum exact, so the
        /// hierarchy's distances must equal Floyd–Warshall's to the bit, for every pair, with
        /// tight witness limits (more shortcuts) and with the defaults.
        #[test]
        fn all_pairs_equal_floyd_warshall((n, roads, bytes) in random_graph(), tight in any::<bool>()) {
            let net = network(n, &roads);
            let w: Vec<f64> = (0..net.edge_count())
                .map(|i| match bytes[i % bytes.len()] % 12 {
                    10 => f64::INFINITY,
                    11 => 0.0,
                    k => k as f64,
                })
                .collect();
            let o = if tight {
                ChOptions { estimate_settled: 1, contract_settled: 2, max_hops: 1 }
            } else {
                ChOptions::default()
            };
            let h = Hierarchy::with_options(&net, &w, &o).unwrap();
            let d = floyd_warshall(&net, &w);
            for s in 0..n as u32 {
                for t in 0..n as u32 {
                    let (c, edges) = node_route(&h, s, t);
                    prop_assert_eq!(c, d[s as usize][t as usize], "{} -> {}", s, t);
                    if let Some(edges) = edges {
                        prop_assert_eq!(path_cost(&net, &w, s, t, &edges), c);
                    } else {
                        prop_assert!(c.is_infinite() || s == t);
                    }
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
}
