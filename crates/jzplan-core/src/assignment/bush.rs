//! Algorithm B (Dial 2006): bush-based user equilibrium.
//!
//! Every origin keeps a *bush*: an acyclic set of links rooted at the origin that carries all
//! of the origin's flow (its own per-link flows, summing over origins to the link volumes).
//! One iteration, for each origin in turn (Gauss-Seidel: the link costs follow every shift):
//!
//! 1. **Improve the bush.** Labels in topological order: `L` (shortest distance from the
//!    origin over bush links, with its tree) and `U` (longest distance over *all* bush links).
//!    Links without flow that are not on the shortest-path tree leave the bush; a link
//!    `(i, j)` outside the bush joins it when `U_i + c_ij < U_j`. Because `U` never decreases
//!    along a bush path and strictly increases over every added link, no cycle can form (costs
//!    are ≥ 0), even with zero-cost links; the topological order is then rebuilt (Kahn).
//! 2. **Equilibrate the bush.** Labels again, now with `U` the longest distance over links
//!    *with flow* (its tree the "longest used path"). For every node `j` in reverse
//!    topological order whose longest used path is dearer than its shortest path, the two
//!    paths are walked back to the node where they diverge (by topological position), and
//!    flow `Δ = (C_max − C_min) / Σ c′` (one Newton step, at most the smallest bush flow on
//!    the longest segment) moves from the longest to the shortest segment.
//!
//! Each iteration then runs a few more equilibration sweeps over all bushes (no improvement),
//! recomputes the link volumes as the sum of the bush flows (no drift from the incremental
//! updates) and measures the relative gap exactly as the Frank-Wolfe family does (an
//! all-or-nothing loading on the current costs: `(TSTT − SPTT) / TSTT`).
//!
//! Memory: a bush stores only its own links (`u32` id + `f64` flow each); one set of dense
//! scratch arrays (size of the network) is reused for every bush and every sweep, and the
//! gap's all-or-nothing loading keeps its buffers ([`AonScratch`]) from one iteration to the
//! next, so nothing is allocated per origin once the bushes exist (a bush's own lists only
//! grow, amortized, when links join it; `crates/jzplan-core/tests/alloc.rs` counts it). The initial bushes are full shortest-path
//! trees on free-flow costs (every node the origin can reach), so a node that only becomes
//! part of an equilibrium path under congestion is already in the bush's node set.

// Loops run over CSR ranges of link indices that index several arrays at once.
#![allow(clippy::needless_range_loop)]

use super::network::AssignNetwork;
use super::paths::{AonScratch, AonStats};
use super::{AssignOptions, IterationInfo, OdMatrix, bpr};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

const NONE: u32 = u32::MAX;

/// Equilibration sweeps over all bushes per iteration, after the improving sweep.
const SWEEPS: usize = 4;

/// One origin's bush.
struct Bush {
    origin: u32,
    /// Internal link indices in the bush.
    links: Vec<u32>,
    /// The origin's flow on each of them.
    flow: Vec<f64>,
    /// The bush's nodes in topological order (origin first).
    order: Vec<u32>,
    /// Flows at or below this are rounding residue, i.e. zero: `FLOW_EPS` × the origin's demand.
    eps: f64,
}

/// Flows below this fraction of an origin's demand are rounding residue. A shift that empties
/// a path segment subtracts the same amount from flows that were equal in exact arithmetic
/// but not in floating point; a residue of a few ulps left on a link whose tail no longer
/// receives flow keeps the link "used" while no used path reaches it, so no shift can remove
/// it and the link that would shorten the shortest path (its reverse, e.g. a zero-time
/// connector back through a zone) can never join the bush: the gap stalls (1.7e-4 on a
/// generated grid with zones passed through, 6.9e-8 on Chicago Sketch).
const FLOW_EPS: f64 = 1e-12;

#[derive(Clone, Copy, PartialEq)]
struct Item {
    dist: f64,
    node: u32,
}
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        o.dist
            .total_cmp(&self.dist)
            .then_with(|| o.node.cmp(&self.node))
    }
}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Dense working arrays for the bush being processed (reset after each use, only where used).
struct Scratch {
    /// Per link: in the current bush.
    inb: Vec<bool>,
    /// Per link: the current bush's flow.
    bflow: Vec<f64>,
    /// Per node: position in the current bush's topological order (`NONE` outside it).
    pos: Vec<u32>,
    lmin: Vec<f64>,
    lmax: Vec<f64>,
    pmin: Vec<u32>,
    pmax: Vec<u32>,
    indeg: Vec<u32>,
    /// Per node: flow to be pushed back towards the origin (initial loading).
    load: Vec<f64>,
    seg_min: Vec<u32>,
    seg_max: Vec<u32>,
    heap: BinaryHeap<Item>,
    /// `eps` of the bush being processed.
    eps: f64,
}

impl Scratch {
    fn new(n: usize, m: usize) -> Scratch {
        Scratch {
            inb: vec![false; m],
            bflow: vec![0.0; m],
            pos: vec![NONE; n],
            lmin: vec![f64::INFINITY; n],
            lmax: vec![f64::NEG_INFINITY; n],
            pmin: vec![NONE; n],
            pmax: vec![NONE; n],
            indeg: vec![0; n],
            load: vec![0.0; n],
            seg_min: Vec::new(),
            seg_max: Vec::new(),
            heap: BinaryHeap::new(),
            eps: 0.0,
        }
    }

    /// Spreads a bush into the dense arrays.
    fn scatter(&mut self, b: &Bush) {
        self.eps = b.eps;
        for (&k, &f) in b.links.iter().zip(&b.flow) {
            self.inb[k as usize] = true;
            self.bflow[k as usize] = f;
        }
        for (i, &v) in b.order.iter().enumerate() {
            self.pos[v as usize] = i as u32;
        }
    }

    /// Clears the dense arrays of a bush that was only read.
    fn gather_unchanged(&mut self, b: &Bush) {
        for &k in &b.links {
            self.inb[k as usize] = false;
            self.bflow[k as usize] = 0.0;
        }
        for &v in &b.order {
            let v = v as usize;
            self.pos[v] = NONE;
            self.lmin[v] = f64::INFINITY;
            self.lmax[v] = f64::NEG_INFINITY;
            self.pmin[v] = NONE;
            self.pmax[v] = NONE;
        }
    }

    /// Writes the flows back into the bush and clears the dense arrays.
    fn gather(&mut self, b: &mut Bush) {
        for (&k, f) in b.links.iter().zip(b.flow.iter_mut()) {
            *f = self.bflow[k as usize];
        }
        self.gather_unchanged(b);
    }

    /// Labels in topological order: shortest distance (and tree) over bush links; longest
    /// distance (and tree) over all bush links (`used_only = false`) or over links with flow.
    fn labels(&mut self, net: &AssignNetwork, cost: &[f64], b: &Bush, used_only: bool) {
        for &v in &b.order {
            let v = v as usize;
            self.lmin[v] = f64::INFINITY;
            self.lmax[v] = f64::NEG_INFINITY;
            self.pmin[v] = NONE;
            self.pmax[v] = NONE;
        }
        let o = b.origin as usize;
        self.lmin[o] = 0.0;
        self.lmax[o] = 0.0;
        for &u in &b.order {
            let u = u as usize;
            let (lu, uu) = (self.lmin[u], self.lmax[u]);
            for k in net.offsets[u] as usize..net.offsets[u + 1] as usize {
                if !self.inb[k] {
                    continue;
                }
                let v = net.head[k] as usize;
                let c = cost[k];
                if lu + c < self.lmin[v] {
                    self.lmin[v] = lu + c;
                    self.pmin[v] = k as u32;
                }
                if uu > f64::NEG_INFINITY
                    && (!used_only || self.bflow[k] > 0.0)
                    && uu + c > self.lmax[v]
                {
                    self.lmax[v] = uu + c;
                    self.pmax[v] = k as u32;
                }
            }
        }
    }

    /// Rebuilds the topological order of the bush's links (Kahn). Returns false if the links
    /// do not form an acyclic graph reaching the same nodes (never, by construction).
    /// `nodes` is how many nodes the bush has (the order's length before any attempt).
    fn topological_order(&mut self, net: &AssignNetwork, b: &mut Bush, nodes: usize) -> bool {
        for &k in &b.links {
            self.indeg[net.head[k as usize] as usize] += 1;
        }
        b.order.clear();
        b.order.push(b.origin);
        let mut i = 0;
        while i < b.order.len() {
            let u = b.order[i] as usize;
            i += 1;
            for k in net.offsets[u] as usize..net.offsets[u + 1] as usize {
                if !self.inb[k] {
                    continue;
                }
                let v = net.head[k] as usize;
                self.indeg[v] -= 1;
                if self.indeg[v] == 0 {
                    b.order.push(v as u32);
                }
            }
        }
        for &k in &b.links {
            self.indeg[net.head[k as usize] as usize] = 0;
        }
        for (i, &v) in b.order.iter().enumerate() {
            self.pos[v as usize] = i as u32;
        }
        b.order.len() == nodes
    }

    /// Improves the bush (drops unused non-tree links, adds links that shorten the longest
    /// paths) and rebuilds its order. The bush must be scattered.
    fn improve(&mut self, net: &AssignNetwork, cost: &[f64], b: &mut Bush) {
        self.labels(net, cost, b, false);
        let mut removed = false;
        let mut kept = 0;
        for i in 0..b.links.len() {
            let k = b.links[i] as usize;
            if self.bflow[k] <= self.eps {
                self.bflow[k] = 0.0;
            }
            let keep = self.bflow[k] > 0.0 || self.pmin[net.head[k] as usize] == k as u32;
            if keep {
                b.links[kept] = k as u32;
                b.flow[kept] = self.bflow[k];
                kept += 1;
            } else {
                self.inb[k] = false;
                removed = true;
            }
        }
        b.links.truncate(kept);
        b.flow.truncate(kept);
        if removed {
            // Longest paths over the bush that remains: dropped links must not keep `U`
            // high (they would block the very links that shorten the used paths).
            self.labels(net, cost, b, false);
        }
        let origin = b.origin as usize;
        let n_kept = b.links.len();
        // Links that only shorten the shortest path and point forward in the current order.
        self.seg_min.clear();
        for idx in 0..b.order.len() {
            let u = b.order[idx] as usize;
            if u < net.first_thru && u != origin {
                continue; // centroids are never through nodes
            }
            let (lu, uu) = (self.lmin[u], self.lmax[u]);
            for k in net.offsets[u] as usize..net.offsets[u + 1] as usize {
                if self.inb[k] {
                    continue;
                }
                let v = net.head[k] as usize;
                if self.pos[v] == NONE || v == origin {
                    continue;
                }
                // Strict, with a relative margin against churn on equal-cost ties.
                let (lv, uv) = (self.lmin[v], self.lmax[v]);
                if uu + cost[k] < uv - 1e-12 * uv.abs() {
                    self.inb[k] = true;
                    b.links.push(k as u32);
                    b.flow.push(0.0);
                } else if self.pos[u] < self.pos[v] && lu + cost[k] < lv - 1e-12 * lv.abs() {
                    self.inb[k] = true;
                    self.seg_min.push(k as u32);
                }
            }
        }
        let n_longest = b.links.len();
        b.links.extend_from_slice(&self.seg_min);
        b.flow.resize(b.links.len(), 0.0);
        // A failed attempt leaves a partial order behind: count the nodes first.
        let nodes = b.order.len();
        if (b.links.len() > n_kept || removed) && !self.topological_order(net, b, nodes) {
            {
                // The two kinds together closed a cycle: keep the links of the longest-path
                // test only, which never do (see the module documentation).
                for &k in &b.links[n_longest..] {
                    self.inb[k as usize] = false;
                }
                b.links.truncate(n_longest);
                b.flow.truncate(n_longest);
                let ok = self.topological_order(net, b, nodes);
                debug_assert!(ok, "bush of origin {} is not acyclic", b.origin);
            }
        }
    }

    /// One equilibration sweep over the bush's nodes (reverse topological order). Updates
    /// the link volumes `x` and costs `cost` as flow moves. The bush must be scattered.
    fn equilibrate(&mut self, net: &AssignNetwork, x: &mut [f64], cost: &mut [f64], b: &Bush) {
        self.labels(net, cost, b, true);
        for idx in (1..b.order.len()).rev() {
            let j = b.order[idx] as usize;
            let (kmin, kmax) = (self.pmin[j], self.pmax[j]);
            if kmax == NONE || kmax == kmin || self.lmax[j] <= self.lmin[j] {
                continue;
            }
            self.shift(net, x, cost, j);
        }
    }

    /// Moves flow at node `j` from its longest used path segment to its shortest one.
    fn shift(&mut self, net: &AssignNetwork, x: &mut [f64], cost: &mut [f64], j: usize) {
        self.seg_min.clear();
        self.seg_max.clear();
        // Both paths leave j by different links; walk back until they meet.
        let (k1, k2) = (self.pmin[j], self.pmax[j]);
        self.seg_min.push(k1);
        self.seg_max.push(k2);
        let (mut a, mut b) = (
            net.tail[k1 as usize] as usize,
            net.tail[k2 as usize] as usize,
        );
        while a != b {
            if self.pos[a] > self.pos[b] {
                let k = self.pmin[a];
                self.seg_min.push(k);
                a = net.tail[k as usize] as usize;
            } else {
                let k = self.pmax[b];
                if k == NONE {
                    return;
                }
                self.seg_max.push(k);
                b = net.tail[k as usize] as usize;
            }
        }
        let (mut g, mut d, mut room) = (0.0, 0.0, f64::INFINITY);
        for &k in &self.seg_max {
            let k = k as usize;
            g += cost[k];
            d += bpr::derivative(net, k, x[k]);
            room = f64::min(room, self.bflow[k]);
        }
        for &k in &self.seg_min {
            let k = k as usize;
            g -= cost[k];
            d += bpr::derivative(net, k, x[k]);
        }
        if g <= 0.0 || room <= 0.0 {
            return;
        }
        let delta = if d > 0.0 && g / d < room { g / d } else { room };
        for &k in &self.seg_max {
            let k = k as usize;
            // The limiting link ends at exactly zero, and so do links left with a residue.
            self.bflow[k] = if self.bflow[k] - delta <= self.eps {
                0.0
            } else {
                self.bflow[k] - delta
            };
            x[k] = (x[k] - delta).max(0.0);
            cost[k] = bpr::time(net, k, x[k]) + net.fixed[k];
        }
        for &k in &self.seg_min {
            let k = k as usize;
            self.bflow[k] += delta;
            x[k] += delta;
            cost[k] = bpr::time(net, k, x[k]) + net.fixed[k];
        }
    }

    /// A full shortest-path tree from `origin` (every reachable node; centroids other than
    /// the origin are not passed through) as the initial bush, loaded with the origin's row.
    fn initial_bush(
        &mut self,
        net: &AssignNetwork,
        cost: &[f64],
        origin: usize,
        row: &[f64],
    ) -> Bush {
        let mut order = Vec::new();
        self.lmin[origin] = 0.0;
        self.heap.clear();
        self.heap.push(Item {
            dist: 0.0,
            node: origin as u32,
        });
        while let Some(Item { dist, node }) = self.heap.pop() {
            let u = node as usize;
            if self.pos[u] != NONE || dist > self.lmin[u] {
                continue;
            }
            self.pos[u] = order.len() as u32;
            order.push(node);
            if u < net.first_thru && u != origin {
                continue;
            }
            for k in net.offsets[u] as usize..net.offsets[u + 1] as usize {
                let v = net.head[k] as usize;
                let nd = dist + cost[k];
                if nd < self.lmin[v] {
                    self.lmin[v] = nd;
                    self.pmin[v] = k as u32;
                    self.heap.push(Item {
                        dist: nd,
                        node: v as u32,
                    });
                }
            }
        }
        // Settled order is topological for the tree. Load the row back along the tree.
        for (d, &dem) in row.iter().enumerate() {
            if dem > 0.0 && d != origin && self.pos[d] != NONE {
                self.load[d] += dem;
            }
        }
        let mut links = Vec::with_capacity(order.len());
        let mut flow = Vec::with_capacity(order.len());
        for &v in order.iter().rev() {
            let v = v as usize;
            let l = std::mem::take(&mut self.load[v]);
            let k = self.pmin[v];
            if k == NONE {
                continue;
            }
            links.push(k);
            flow.push(l);
            self.load[net.tail[k as usize] as usize] += l;
        }
        self.load[origin] = 0.0;
        // Reset what the search touched (the unreached nodes were never written except
        // `lmin`/`pmin` of nodes reached but not settled, which cannot happen: every node
        // pushed is eventually settled).
        for &v in &order {
            let v = v as usize;
            self.pos[v] = NONE;
            self.lmin[v] = f64::INFINITY;
            self.pmin[v] = NONE;
        }
        Bush {
            origin: origin as u32,
            links,
            flow,
            order,
            eps: FLOW_EPS * row.iter().sum::<f64>(),
        }
    }
}

/// What [`solve`] reached: internal-order volumes, iterations, gap, AoN statistics, history,
/// and the bushes (for the route proportions that matrix estimation needs).
pub(crate) struct BushOutcome {
    pub(crate) x: Vec<f64>,
    pub(crate) iterations: usize,
    pub(crate) gap: f64,
    pub(crate) converged: bool,
    pub(crate) stats: AonStats,
    pub(crate) history: Vec<IterationInfo>,
    pub(crate) bushes: Bushes,
}

/// The bushes of an equilibrium, read through their *approach proportions*: the share of the
/// origin's flow reaching node `j` that arrives over bush link `(i, j)`, `α = f_ij / Σ f_·j`.
/// The flow of a pair `(o, d)` on a link is then its demand times the product of the
/// proportions along the bush paths — the usual bush-based route-flow decomposition (the
/// proportions are the same for every destination of the origin).
pub(crate) struct Bushes {
    list: Vec<Bush>,
    sc: Scratch,
}

impl Bushes {
    /// For every pair `(o, d)`, the flow-weighted mean over the origin's paths to `d` of the
    /// sum of the internal-order link weights `e` along the path: `R_od = Σ_a e_a p_od^a`
    /// with `p_od^a` the share of the pair's flow on link `a`. Row-major `zones × zones`;
    /// 0 where the origin sends no flow to `d`.
    pub(crate) fn path_sums(&mut self, net: &AssignNetwork, e: &[f64]) -> Vec<f64> {
        let nz = net.zone_count();
        let mut out = vec![0.0; nz * nz];
        let sc = &mut self.sc;
        for b in &self.list {
            sc.scatter(b);
            for &v in &b.order {
                sc.lmin[v as usize] = 0.0; // inflow
                sc.lmax[v as usize] = 0.0; // Σ inflow × (R_i + e)
            }
            for &u in &b.order {
                let u = u as usize;
                let r = if u == b.origin as usize || sc.lmin[u] <= 0.0 {
                    0.0
                } else {
                    sc.lmax[u] / sc.lmin[u]
                };
                if u < nz {
                    out[b.origin as usize * nz + u] = r;
                }
                for k in net.offsets[u] as usize..net.offsets[u + 1] as usize {
                    let f = sc.bflow[k];
                    if sc.inb[k] && f > 0.0 {
                        let v = net.head[k] as usize;
                        sc.lmin[v] += f;
                        sc.lmax[v] += f * (r + e[k]);
                    }
                }
            }
            out[b.origin as usize * nz + b.origin as usize] = 0.0;
            sc.gather_unchanged(b);
        }
        out
    }

    /// Adds to `out` (internal order) the link flows of the pair amounts `h` (row-major
    /// `zones × zones`) routed like the equilibrium: along each origin's bush by its approach
    /// proportions. Pairs whose destination receives no flow from the origin are skipped.
    pub(crate) fn load(&mut self, net: &AssignNetwork, h: &[f64], out: &mut [f64]) {
        let nz = net.zone_count();
        let sc = &mut self.sc;
        for b in &self.list {
            sc.scatter(b);
            for &v in &b.order {
                sc.lmin[v as usize] = 0.0;
            }
            for (&k, &f) in b.links.iter().zip(&b.flow) {
                if f > 0.0 {
                    sc.lmin[net.head[k as usize] as usize] += f;
                }
            }
            let o = b.origin as usize;
            for d in 0..nz {
                if d != o && sc.pos[d] != NONE && sc.lmin[d] > 0.0 {
                    sc.load[d] += h[o * nz + d];
                }
            }
            for &u in b.order.iter().rev() {
                let u = u as usize;
                for k in net.offsets[u] as usize..net.offsets[u + 1] as usize {
                    let f = sc.bflow[k];
                    if sc.inb[k] && f > 0.0 {
                        let v = net.head[k] as usize;
                        let share = sc.load[v] * f / sc.lmin[v];
                        out[k] += share;
                        sc.load[u] += share;
                    }
                }
            }
            for &v in &b.order {
                sc.load[v as usize] = 0.0;
            }
            sc.gather_unchanged(b);
        }
    }
}

/// Runs Algorithm B (arguments checked by the caller).
pub(crate) fn solve(
    net: &AssignNetwork,
    od: &OdMatrix,
    opts: &AssignOptions,
    progress: &mut dyn FnMut(&IterationInfo),
) -> BushOutcome {
    let (n, m) = (net.node_count(), net.link_count());
    let mut sc = Scratch::new(n, m);
    let mut x = vec![0.0; m];
    let mut cost: Vec<f64> = (0..m).map(|k| net.t0[k] + net.fixed[k]).collect();
    let mut y = vec![0.0; m];
    let mut aon = AonScratch::new(net, od);
    let mut bushes: Vec<Bush> = (0..net.zone_count())
        .filter(|&o| {
            od.row(o)
                .iter()
                .enumerate()
                .any(|(d, &v)| v > 0.0 && d != o)
        })
        .map(|o| sc.initial_bush(net, &cost, o, od.row(o)))
        .collect();
    let mut history = Vec::new();
    let mut iteration = 1;
    loop {
        // Volumes as the exact sum of the bush flows, then the gap at them.
        x.iter_mut().for_each(|v| *v = 0.0);
        for b in &bushes {
            for (&k, &f) in b.links.iter().zip(&b.flow) {
                x[k as usize] += f;
            }
        }
        for k in 0..m {
            cost[k] = bpr::time(net, k, x[k]) + net.fixed[k];
        }
        let stats = aon.load(net, &cost, od, &mut y);
        let tstt: f64 = cost.iter().zip(&x).map(|(c, v)| c * v).sum();
        let gap = if tstt > 0.0 {
            ((tstt - stats.sptt) / tstt).max(0.0)
        } else {
            0.0
        };
        let info = IterationInfo {
            iteration,
            relative_gap: gap,
            step: 0.0,
            objective: bpr::objective(net, &x),
        };
        progress(&info);
        history.push(info);
        let converged = gap <= opts.target_gap;
        if converged || iteration >= opts.max_iterations {
            return BushOutcome {
                x,
                iterations: iteration,
                gap,
                converged,
                stats,
                history,
                bushes: Bushes { list: bushes, sc },
            };
        }
        iteration += 1;
        for b in bushes.iter_mut() {
            sc.scatter(b);
            sc.improve(net, &cost, b);
            sc.equilibrate(net, &mut x, &mut cost, b);
            sc.gather(b);
        }
        for _ in 0..SWEEPS {
            for b in bushes.iter_mut() {
                sc.scatter(b);
                sc.equilibrate(net, &mut x, &mut cost, b);
                sc.gather(b);
            }
        }
    }
}
