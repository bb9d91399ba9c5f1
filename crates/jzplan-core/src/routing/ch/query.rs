//! Queries on a [`Hierarchy`]: two upward searches with stall-on-demand from phantom points,
//! unpacking shortcuts into network edges, and the many-to-many CH matrix.

use super::{ChArc, ChPath, Hierarchy};

use crate::network::snap::Snap;
use crate::network::{EdgeId, NodeId};
use crate::routing::matrix::Matrix;
use crate::routing::search::{Access, SEED};
use crate::routing::{Placement, RoutePiece, Router};
use crate::{Error, Result};
use rayon::prelude::*;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

impl Hierarchy {
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
    pub(super) fn arcs(&self, v: u32, backward: bool) -> &[ChArc] {
        let (off, arcs) = if backward {
            (&self.down_off, &self.down)
        } else {
            (&self.up_off, &self.up)
        };
        &arcs[off[v as usize] as usize..off[v as usize + 1] as usize]
    }

    /// Appends the network edges of arc `id`, in travel order (`stack` is scratch space).
    pub(super) fn unpack(&self, id: u32, stack: &mut Vec<u32>, out: &mut Vec<u32>) {
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
                        crate::routing::route_pieces(&o[si], edges, &tg[j][ti])
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
