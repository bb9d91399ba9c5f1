//! Preparation of a [`Hierarchy`]: contract the nodes in the order of a lazily updated
//! priority, adding a shortcut unless a witness search finds a path no longer than it.

use super::{ChArc, ChOptions, Hierarchy, weights_fingerprint};

use crate::network::{NodeId, RoadNetwork};
use crate::routing::search::SEED;
use crate::{Error, Result};
use rayon::prelude::*;
use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

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
    /// The cost a witness to each target of the current search may have at most (valid where
    /// `target == targets_generation`), and how many targets have none yet.
    need: Vec<f64>,
    target: Vec<u32>,
    targets_generation: u32,
    missing: usize,
}

impl Witness {
    fn start(&mut self, n: usize) {
        if self.dist.len() < n {
            self.dist.resize(n, f64::INFINITY);
            self.stamp.resize(n, 0);
            self.need.resize(n, 0.0);
            self.target.resize(n, 0);
        }
        if self.generation == u32::MAX {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 0;
        }
        if self.targets_generation == u32::MAX {
            self.target.iter_mut().for_each(|s| *s = 0);
            self.targets_generation = 0;
        }
        self.generation += 1;
        self.targets_generation += 1;
        self.missing = 0;
        self.heap.clear();
    }

    /// Makes `x` a target of the search about to run, with a witness needed no longer than
    /// `need`.
    fn target(&mut self, x: u32, need: f64) {
        self.need[x as usize] = need;
        self.target[x as usize] = self.targets_generation;
        self.missing += 1;
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
        let before = self.dist(v);
        if d < before {
            self.dist[v as usize] = d;
            self.stamp[v as usize] = self.generation;
            self.heap.push(WItem { d, node: v, hops });
            let i = v as usize;
            if self.target[i] == self.targets_generation
                && d <= self.need[i]
                && before > self.need[i]
            {
                self.missing -= 1;
            }
        }
    }

    /// Dijkstra from `src` on the uncontracted graph without `avoid`, up to cost `bound`, at
    /// most `settled` nodes and `hops` arcs, and no further once every target has a witness.
    /// Tentative distances are costs of real paths, so the search may stop before it settles
    /// the targets: a witness only has to be no longer than the path it replaces.
    fn run(&mut self, g: &DynGraph, src: u32, avoid: u32, bound: f64, settled: usize, hops: u32) {
        self.relax(src, 0.0, 0);
        let mut count = 0;
        while let Some(it) = self.heap.pop() {
            if self.missing == 0 {
                break;
            }
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
                    let d = it.d + a.w;
                    if d <= bound {
                        self.relax(a.other, d, it.hops + 1);
                    }
                }
            }
        }
    }
}

thread_local! {
    static WITNESS: RefCell<Witness> = RefCell::new(Witness::default());
}

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
            ws.start(g.out.len());
            for b in outs.iter().filter(|b| b.other != u) {
                ws.target(b.other, a.w + b.w);
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
        Hierarchy::build(net, weights, o, None)
    }

    /// Prepares the hierarchy contracting the nodes in the given order, first contracted
    /// first (e.g. another library's order, to compare search spaces on the same order), with
    /// the default witness limits. `InvalidInput` unless `order` names every node once.
    pub fn with_order(net: &RoadNetwork, weights: &[f64], order: &[NodeId]) -> Result<Hierarchy> {
        let n = net.node_count();
        let mut seen = vec![false; n];
        for v in order {
            if v.index() >= n || std::mem::replace(&mut seen[v.index()], true) {
                return Err(Error::invalid(format!(
                    "the order names node {v} twice or outside the network (nodes 0..{n})"
                )));
            }
        }
        if order.len() != n {
            return Err(Error::invalid(format!(
                "the order names {} of the {n} nodes",
                order.len()
            )));
        }
        Hierarchy::build(net, weights, &ChOptions::default(), Some(order))
    }

    /// Contracts in the order of the priorities, or in `order` when one is given.
    fn build(
        net: &RoadNetwork,
        weights: &[f64],
        o: &ChOptions,
        order: Option<&[NodeId]>,
    ) -> Result<Hierarchy> {
        crate::routing::validate_weights(net, weights)?;
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
        let mut prio: Vec<i64> = match order {
            Some(order) => {
                let mut p = vec![0; n];
                for (i, v) in order.iter().enumerate() {
                    p[v.index()] = i as i64;
                }
                p
            }
            None => (0..n as u32)
                .into_par_iter()
                .map(|v| priority(&g, v, 0, 0, o))
                .collect(),
        };
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
            if order.is_none() {
                let now = priority(&g, v, cn[vi], depth[vi], o);
                if now > p && heap.peek().is_some_and(|Reverse((q, _))| now > *q) {
                    prio[vi] = now;
                    heap.push(Reverse((now, v)));
                    continue;
                }
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
            if order.is_some() {
                // A given order: no priorities to update.
                nbrs.clear();
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
        let (nodes, arcs) = super::interleave(&down_off, &down, &up_off, &up);
        Ok(Hierarchy {
            m,
            rank,
            nodes,
            arcs,
            expansions: super::Expansions::new(m, &shortcuts),
            shortcuts,
            weights: weights.to_vec(),
            fingerprint: weights_fingerprint(weights),
            labels: None,
        }
        .with_labels())
    }
}
