//! The search core: a compact copy of the adjacency with weights inline, reusable per-thread
//! search spaces (generation-stamped labels, so a query never re-initialises O(n) memory), and
//! the label-setting searches (Dijkstra, A*, bidirectional) from phantom-node seeds.
//!
//! Seeds and targets are not graph nodes: a route starts on an edge, so the search is seeded at
//! the edge's head (and its twin's head) with the partial cost of the rest of the edge, and a
//! target node `x` carries the partial cost `c_x` from `x` to the destination point. This is a
//! virtual source/sink with extra arcs, which keeps every correctness argument of the plain
//! algorithms intact.

use crate::network::RoadNetwork;
use crate::network::geom::LocalProjection;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Predecessor marker of a seed label: `SEED - i` is seed `i` (at most a handful of seeds).
pub(crate) const SEED: u32 = u32::MAX;

/// One arc of the compact adjacency: the edge, the node at its other end and its weight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arc {
    pub edge: u32,
    pub head: u32,
    pub w: f64,
}

/// Forward and backward adjacency restricted to open edges (finite weight), with weights inline,
/// plus the data of the geometric lower bound used by A*.
pub(crate) struct Graph {
    pub n: usize,
    fwd_off: Vec<u32>,
    fwd: Vec<Arc>,
    bwd_off: Vec<u32>,
    bwd: Vec<Arc>,
    proj: LocalProjection,
    /// `k` such that `w(e) >= k * |p(tail) - p(head)|` for every open edge, where `p` is the
    /// local planar projection: `k * |p(v) - p(x)|` is then a consistent lower bound of the cost
    /// from `v` to `x` (triangle inequality of the plane), whatever the weights mean.
    pub k: f64,
}

impl Graph {
    /// Builds the adjacency for `weights` (already validated: same length, no NaN, >= 0).
    pub fn new(net: &RoadNetwork, weights: &[f64]) -> Graph {
        let n = net.node_count();
        let c = net
            .bbox()
            .map(|r| (r.center().x, r.center().y))
            .unwrap_or((0.0, 0.0));
        let proj = LocalProjection::new(c.0, c.1);
        let mut k = f64::INFINITY;
        let mut fwd_off = Vec::with_capacity(n + 1);
        let mut fwd = Vec::with_capacity(weights.len());
        fwd_off.push(0u32);
        for v in 0..n {
            let id = crate::network::NodeId::from_index(v);
            let pv = proj.forward(net.node(id).point().0);
            for &e in net.out_edges(id) {
                let w = weights[e.index()];
                if !w.is_finite() {
                    continue;
                }
                let head = net.edge(e).to;
                let ph = proj.forward(net.node(head).point().0);
                let d = ((pv[0] - ph[0]).powi(2) + (pv[1] - ph[1]).powi(2)).sqrt();
                if d > 0.0 {
                    k = k.min(w / d);
                }
                fwd.push(Arc {
                    edge: e.0,
                    head: head.0,
                    w,
                });
            }
            fwd_off.push(fwd.len() as u32);
        }
        let mut bwd_off = Vec::with_capacity(n + 1);
        let mut bwd = Vec::with_capacity(fwd.len());
        bwd_off.push(0u32);
        for v in 0..n {
            let id = crate::network::NodeId::from_index(v);
            for &e in net.in_edges(id) {
                let w = weights[e.index()];
                if w.is_finite() {
                    bwd.push(Arc {
                        edge: e.0,
                        head: net.edge(e).from.0,
                        w,
                    });
                }
            }
            bwd_off.push(bwd.len() as u32);
        }
        // A hair below the exact minimum, so that rounding in the bound never makes it exceed
        // an edge weight.
        let k = if k.is_finite() { k * (1.0 - 1e-9) } else { 0.0 };
        Graph {
            n,
            fwd_off,
            fwd,
            bwd_off,
            bwd,
            proj,
            k,
        }
    }

    /// Heap bytes held.
    pub fn memory_bytes(&self) -> usize {
        (self.fwd_off.len() + self.bwd_off.len()) * 4
            + (self.fwd.len() + self.bwd.len()) * std::mem::size_of::<Arc>()
    }

    #[inline]
    pub fn arcs(&self, v: u32, backward: bool) -> &[Arc] {
        let (off, arcs) = if backward {
            (&self.bwd_off, &self.bwd)
        } else {
            (&self.fwd_off, &self.fwd)
        };
        &arcs[off[v as usize] as usize..off[v as usize + 1] as usize]
    }

    /// Projected position of a node (metres in the local plane).
    #[inline]
    pub fn pos(&self, net: &RoadNetwork, v: u32) -> [f64; 2] {
        let n = net.node(crate::network::NodeId(v));
        self.proj.forward(geo_types::Coord { x: n.lon, y: n.lat })
    }
}

/// A seed (or target) of a search: a node and the partial-edge cost between it and the
/// phantom point.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Access {
    pub node: u32,
    pub cost: f64,
}

/// At most 8 end points of a search given as network nodes with costs, checked and kept on
/// the stack (no allocation per query); derefs to the `Access` slice.
pub(crate) struct Ends {
    pts: [Access; 8],
    len: usize,
}

impl Ends {
    /// `InvalidInput` for more than 8 end points, a node outside `0..n`, or a negative or NaN
    /// cost.
    /// Inlined, so that the end points are written where the caller keeps them (a call
    /// returned them through a copy of their 136 bytes, a tenth of a small query).
    #[inline(always)]
    pub(crate) fn check(v: &[(crate::network::NodeId, f64)], n: usize) -> crate::Result<Ends> {
        if v.len() > 8 {
            return Err(crate::Error::invalid(format!(
                "{} end points (at most 8)",
                v.len()
            )));
        }
        let mut pts = [Access { node: 0, cost: 0.0 }; 8];
        for (o, &(node, c)) in pts.iter_mut().zip(v) {
            if node.index() >= n || c.is_nan() || c < 0.0 {
                return Err(crate::Error::invalid(format!(
                    "end point at node {node} with cost {c} (nodes 0..{n}, cost >= 0)"
                )));
            }
            *o = Access {
                node: node.0,
                cost: c,
            };
        }
        Ok(Ends { pts, len: v.len() })
    }
}

impl std::ops::Deref for Ends {
    type Target = [Access];
    fn deref(&self) -> &[Access] {
        &self.pts[..self.len]
    }
}

/// A lower bound of the cost between a node and a set of access points:
/// `min_x (k * |p(v) - p(x)| + c_x)`, a minimum of consistent functions, hence consistent.
pub(crate) struct Bound {
    pts: Vec<([f64; 2], f64)>,
    k: f64,
}

impl Bound {
    pub fn new(g: &Graph, net: &RoadNetwork, acc: &[Access], enabled: bool) -> Bound {
        Bound {
            pts: if enabled && g.k > 0.0 {
                acc.iter().map(|a| (g.pos(net, a.node), a.cost)).collect()
            } else {
                Vec::new()
            },
            k: g.k,
        }
    }
    #[inline]
    fn at(&self, p: [f64; 2]) -> f64 {
        let mut best = f64::INFINITY;
        for &(q, c) in &self.pts {
            let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
            best = best.min(self.k * d + c);
        }
        if best.is_finite() { best } else { 0.0 }
    }
    fn is_zero(&self) -> bool {
        self.pts.is_empty()
    }
}

/// The potential of a search: zero (Dijkstra), a bound to the target (A*), or the average of
/// the bounds to the target and from the source (bidirectional A*, which keeps both directions
/// consistent and lets the plain stopping rule `top_f + top_b >= mu` stand).
pub(crate) enum Potential<'b> {
    Zero,
    To(&'b Bound),
    Average {
        to_target: &'b Bound,
        from_source: &'b Bound,
        backward: bool,
    },
}

impl Potential<'_> {
    #[inline]
    fn at(&self, g: &Graph, net: &RoadNetwork, v: u32) -> f64 {
        match self {
            Potential::Zero => 0.0,
            Potential::To(b) => {
                if b.is_zero() {
                    0.0
                } else {
                    b.at(g.pos(net, v))
                }
            }
            Potential::Average {
                to_target,
                from_source,
                backward,
            } => {
                if to_target.is_zero() {
                    return 0.0;
                }
                let p = g.pos(net, v);
                let pf = 0.5 * (to_target.at(p) - from_source.at(p));
                if *backward { -pf } else { pf }
            }
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Label {
    dist: f64,
    pot: f64,
    pred: u32,
    /// `2 * generation` once reached in the current query, `+ 1` once settled.
    mark: u32,
}

#[derive(Clone, Copy)]
struct Item {
    key: f64,
    node: u32,
}
impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    // Reversed: BinaryHeap is a max-heap and we pop the smallest key.
    fn cmp(&self, o: &Self) -> Ordering {
        o.key.total_cmp(&self.key).then(o.node.cmp(&self.node))
    }
}

/// The per-query state of one search direction. Labels are valid only when their mark carries
/// the current generation, so starting a query costs O(1), not O(n).
#[derive(Default)]
pub(crate) struct Space {
    labels: Vec<Label>,
    generation: u32,
    heap: BinaryHeap<Item>,
    /// Number of nodes settled by the last query (for statistics).
    pub settled: usize,
}

impl Space {
    pub fn start(&mut self, n: usize) {
        if self.labels.len() < n {
            self.labels.resize(n, Label::default());
        }
        if self.generation >= u32::MAX / 2 - 1 {
            for l in &mut self.labels {
                l.mark = 0;
            }
            self.generation = 0;
        }
        self.generation += 1;
        self.heap.clear();
        self.settled = 0;
    }
    #[inline]
    pub fn reached(&self, v: u32) -> bool {
        self.labels[v as usize].mark >> 1 == self.generation
    }
    #[inline]
    fn settled_node(&self, v: u32) -> bool {
        self.labels[v as usize].mark == self.generation * 2 + 1
    }
    /// Tentative (or final) cost of a reached node.
    #[inline]
    pub fn dist(&self, v: u32) -> f64 {
        if self.reached(v) {
            self.labels[v as usize].dist
        } else {
            f64::INFINITY
        }
    }
    /// Predecessor arc (edge id) of a reached node, or `SEED - i`.
    #[inline]
    pub fn pred(&self, v: u32) -> u32 {
        self.labels[v as usize].pred
    }
    /// Sets a label if it improves; returns whether it did.
    #[inline]
    fn update(&mut self, v: u32, d: f64, pred: u32, pot: impl FnOnce() -> f64) -> bool {
        let g = self.generation;
        let l = &mut self.labels[v as usize];
        if l.mark >> 1 != g {
            *l = Label {
                dist: d,
                pot: pot(),
                pred,
                mark: g * 2,
            };
        } else if l.mark & 1 == 1 || d >= l.dist {
            return false;
        } else {
            l.dist = d;
            l.pred = pred;
        }
        let key = d + l.pot;
        self.heap.push(Item { key, node: v });
        true
    }
    /// Smallest key of an unsettled node (drops stale heap entries).
    fn top(&mut self) -> f64 {
        while let Some(it) = self.heap.peek() {
            if self.settled_node(it.node) {
                self.heap.pop();
            } else {
                return it.key;
            }
        }
        f64::INFINITY
    }
    fn pop_settle(&mut self) -> Option<u32> {
        self.top();
        let it = self.heap.pop()?;
        self.labels[it.node as usize].mark = self.generation * 2 + 1;
        self.settled += 1;
        Some(it.node)
    }
}

thread_local! {
    static POOL: RefCell<Vec<Space>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with a search space from this thread's pool (allocated once per thread and reused
/// by every later query, whatever the network).
pub(crate) fn with_space<R>(f: impl FnOnce(&mut Space) -> R) -> R {
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

/// Runs `f` with two search spaces (forward and backward).
pub(crate) fn with_two_spaces<R>(f: impl FnOnce(&mut Space, &mut Space) -> R) -> R {
    with_space(|a| with_space(|b| f(a, b)))
}

/// Seeds a space.
pub(crate) fn seed(sp: &mut Space, g: &Graph, net: &RoadNetwork, acc: &[Access], pot: &Potential) {
    for (i, a) in acc.iter().enumerate() {
        sp.update(a.node, a.cost, SEED - i as u32, || pot.at(g, net, a.node));
    }
}

/// Unidirectional search (Dijkstra with `Potential::Zero`, A* with `Potential::To`) from the
/// seeded space to `targets`, starting with the best known cost `mu` (a same-edge route).
/// Returns the best cost and the target index reached, if better than `mu`.
pub(crate) fn unidirectional(
    sp: &mut Space,
    g: &Graph,
    net: &RoadNetwork,
    targets: &[Access],
    pot: &Potential,
    mut mu: f64,
) -> (f64, Option<usize>) {
    let mut best = None;
    loop {
        if sp.top() >= mu {
            break;
        }
        let Some(v) = sp.pop_settle() else { break };
        let dv = sp.labels[v as usize].dist;
        for (i, t) in targets.iter().enumerate() {
            if t.node == v && dv + t.cost < mu {
                mu = dv + t.cost;
                best = Some(i);
            }
        }
        for a in g.arcs(v, false) {
            sp.update(a.head, dv + a.w, a.edge, || pot.at(g, net, a.head));
        }
    }
    (mu, best)
}

/// Bidirectional search on two seeded spaces (forward from the origin, backward from the
/// targets). Stops when `top_f + top_b >= mu`, which is exact for Dijkstra and for the
/// average-potential A*. Returns the best cost and the meeting node, if better than `mu`.
pub(crate) fn bidirectional(
    f: &mut Space,
    b: &mut Space,
    g: &Graph,
    net: &RoadNetwork,
    pf: &Potential,
    pb: &Potential,
    mut mu: f64,
) -> (f64, Option<u32>) {
    let mut meet = None;
    // Seeds met by both sides already (origin and destination next to one node).
    for it in f.heap.iter() {
        let v = it.node;
        if b.reached(v) && f.dist(v) + b.dist(v) < mu {
            mu = f.dist(v) + b.dist(v);
            meet = Some(v);
        }
    }
    loop {
        let (tf, tb) = (f.top(), b.top());
        if tf + tb >= mu || (tf.is_infinite() && tb.is_infinite()) {
            break;
        }
        let backward = tb < tf;
        let (me, other, pot) = if backward {
            (&mut *b, &*f, pb)
        } else {
            (&mut *f, &*b, pf)
        };
        let Some(v) = me.pop_settle() else { break };
        let dv = me.labels[v as usize].dist;
        for a in g.arcs(v, backward) {
            if me.update(a.head, dv + a.w, a.edge, || pot.at(g, net, a.head))
                && other.reached(a.head)
            {
                let c = dv + a.w + other.dist(a.head);
                if c < mu {
                    mu = c;
                    meet = Some(a.head);
                }
            }
        }
    }
    (mu, meet)
}

/// One-to-all search bounded by `limit`: settles every node with cost <= `limit` and returns
/// them with their costs, in settling order.
pub(crate) fn bounded(sp: &mut Space, g: &Graph, limit: f64) -> Vec<(u32, f64)> {
    let mut out = Vec::new();
    loop {
        if sp.top() > limit {
            break;
        }
        let Some(v) = sp.pop_settle() else { break };
        let dv = sp.labels[v as usize].dist;
        out.push((v, dv));
        for a in g.arcs(v, false) {
            sp.update(a.head, dv + a.w, a.edge, || 0.0);
        }
    }
    out
}

/// One-to-many search: `on_settle` sees every settled node with its cost and returns an upper
/// bound of the cost still worth searching (infinity while a target is unresolved); the search
/// stops once the heap top reaches it.
pub(crate) fn one_to_many(sp: &mut Space, g: &Graph, mut on_settle: impl FnMut(u32, f64) -> f64) {
    // `bound` is an upper bound on the cost still needed; the caller lowers it as targets
    // are resolved.
    let mut bound = f64::INFINITY;
    loop {
        if sp.top() >= bound {
            break;
        }
        let Some(v) = sp.pop_settle() else { break };
        let dv = sp.labels[v as usize].dist;
        bound = on_settle(v, dv);
        for a in g.arcs(v, false) {
            sp.update(a.head, dv + a.w, a.edge, || 0.0);
        }
    }
}

/// Edges of the tree path from a seed to `v` (forward space) in travel order, and the seed.
pub(crate) fn path_to(sp: &Space, net: &RoadNetwork, mut v: u32) -> (Vec<u32>, usize) {
    let mut out = Vec::new();
    loop {
        let p = sp.pred(v);
        if p > SEED - 8 {
            out.reverse();
            return (out, (SEED - p) as usize);
        }
        out.push(p);
        v = net.edge(crate::network::EdgeId(p)).from.0;
    }
}

/// Edges of the tree path from `v` to a target (backward space) in travel order, and the
/// target.
pub(crate) fn path_from(sp: &Space, net: &RoadNetwork, mut v: u32) -> (Vec<u32>, usize) {
    let mut out = Vec::new();
    loop {
        let p = sp.pred(v);
        if p > SEED - 8 {
            return (out, (SEED - p) as usize);
        }
        out.push(p);
        v = net.edge(crate::network::EdgeId(p)).to.0;
    }
}
