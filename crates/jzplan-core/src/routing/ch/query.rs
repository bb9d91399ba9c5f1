//! Queries on a [`Hierarchy`]: the point-to-point entry points (from phantom points; the
//! search itself is the sweep of `sweep.rs`), unpacking shortcuts into network edges, and the
//! many-to-many CH matrix (upward searches in distance order with stall-on-demand).

use super::sweep::Sweep;
use super::{ChArc, ChPath, Hierarchy};

use crate::Result;
use crate::network::snap::Snap;
use crate::network::{EdgeId, NodeId};
use crate::routing::matrix::Matrix;
use crate::routing::search::{Access, Ends, SEED};
use crate::routing::{Placement, RoutePiece, Router};
use rayon::prelude::*;
use std::cell::RefCell;

/// The work of one query ([`Hierarchy::search_stats`]), both directions together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Nodes taken from the queues (stalled ones included).
    pub settled: usize,
    /// Settled nodes whose arcs were not relaxed (stall-on-demand).
    pub stalled: usize,
    /// Arcs relaxed.
    pub relaxed: usize,
    /// Arcs read by stall tests.
    pub scanned: usize,
}

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
        let n = self.rank.len();
        let (s, t) = (Ends::check(sources, n)?, Ends::check(targets, n)?);
        let (_, path, _) = self.query(&s, &t, f64::INFINITY);
        Ok(path.map(|(si, edges, ti)| {
            // The cost summed in travel order.
            let mut c = s[si].cost;
            for &e in &edges {
                c += self.weights[e as usize];
            }
            // Into edge ids in place (the same layout): the answer's one allocation.
            (c + t[ti].cost, edges.into_iter().map(EdgeId).collect())
        }))
    }

    /// Arcs of slot `v` (not node: see [`Hierarchy`]): upward ones (`v → head`) or, with
    /// `backward`, downward ones (`head → v`).
    #[inline]
    pub(super) fn arcs(&self, v: u32, backward: bool) -> &[ChArc] {
        let (down, up) = self.split(v);
        if backward { down } else { up }
    }

    /// The downward and upward arcs of slot `v`.
    #[inline]
    pub(super) fn split(&self, v: u32) -> (&[ChArc], &[ChArc]) {
        let [first, mid] = self.nodes[v as usize];
        let end = self.nodes[v as usize + 1][0];
        let (down, up) = self.arcs[first as usize..end as usize].split_at((mid - first) as usize);
        (down, up)
    }

    /// Appends the network edges of arc `id`, in travel order (`stack` is scratch space).
    pub(super) fn unpack(&self, id: u32, stack: &mut Vec<u32>, out: &mut Vec<u32>) {
        let len = self.unpack_at(id, stack, out, out.len());
        out.truncate(len);
    }

    /// The best route from `seeds` to `targets` (phantom accesses as in `search.rs`) if it is
    /// cheaper than `mu0`: its cost as the searches summed it, the seed index, the network
    /// edges in travel order and the target index; plus its work (nodes the sweep settled, or
    /// label entries read).
    pub(crate) fn query(
        &self,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<ChPath>, usize) {
        if let Some(l) = &self.labels {
            let (mu, meet, read) = l.query(seeds, targets, mu0);
            return (mu, meet.map(|m| self.label_path(l, m)), read);
        }
        with_scratch(|q| {
            let (mu, meet) = self.sweep::<false>(&mut q.sw, seeds, targets, mu0);
            let path = meet.map(|m| {
                let (si, ti, len) =
                    self.route_edges(&q.sw, m, &mut q.chain, &mut q.stack, &mut q.buf);
                (si, q.buf[..len].to_vec(), ti)
            });
            (mu, path, q.sw.settled)
        })
    }

    /// What the sweep from `sources` to `targets` (as in [`Hierarchy::shortest_path`]) does:
    /// nodes settled, stalled and arcs relaxed by both searches together. (It is the query's
    /// work on a hierarchy without hub labels; with them, a query reads two labels.)
    pub fn search_stats(
        &self,
        sources: &[(NodeId, f64)],
        targets: &[(NodeId, f64)],
    ) -> Result<SearchStats> {
        let n = self.rank.len();
        let (s, t) = (Ends::check(sources, n)?, Ends::check(targets, n)?);
        Ok(with_scratch(|q| {
            self.sweep::<true>(&mut q.sw, &s, &t, f64::INFINITY);
            SearchStats {
                settled: q.sw.settled,
                stalled: q.sw.stalled,
                relaxed: q.sw.relaxed,
                scanned: q.sw.scanned,
            }
        }))
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
        let dir = usize::from(backward);
        for (i, a) in acc.iter().enumerate() {
            let x = self.rank[a.node as usize];
            sp.update(2 * x as usize + dir, a.cost + 0.0, SEED - i as u32, x);
        }
        while let Some(top) = sp.pop() {
            let (l, dv) = (top.node as usize, top.key);
            let v = (l >> 1) as u32;
            let (down, up) = self.split(v);
            let (stall, relax) = if backward { (up, down) } else { (down, up) };
            if stall
                .iter()
                .any(|a| sp.dist[2 * a.head as usize + dir] + a.w < dv)
            {
                continue;
            }
            let [pred_arc, pred_node] = sp.pred[l];
            visit(v, dv, pred_arc, pred_node);
            for a in relax {
                sp.update(2 * a.head as usize + dir, dv + a.w, a.id, v);
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
    /// order; `TooBig` beyond [`MAX_MATRIX_CELLS`](crate::routing::matrix::MAX_MATRIX_CELLS) cells.
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
                            let [p, next] = sp.pred[2 * v as usize];
                            if p > SEED - 8 {
                                break (SEED - p) as usize;
                            }
                            arcs.push(p);
                            v = next;
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

/// A queued label (`node` is `2 * slot + dir`, see [`Space`]) and its cost.
#[derive(Clone, Copy)]
struct Item {
    key: f64,
    node: u32,
}

/// The state of an upward search in distance order (the CH matrix's), for either direction:
/// for each label `2 * slot + dir` (`dir` 0 forward, 1 backward) its cost (infinity where the
/// query has not reached it: no test of a generation before reading it, and the labels
/// reached are reset at the start of the next query), its predecessor arc and node, and an indexed 4-ary min-heap of the queued
/// labels (a label is queued once, its key lowered in place; keys are never NaN).
///
/// A settled label is not marked: a search only ever offers a label a cost no lower than the
/// key it settled last (keys are popped in order and weights are not negative), so a settled
/// label's cost is never lowered again, and only queued labels can be.
#[derive(Default)]
struct Space {
    dist: Vec<f64>,
    /// Predecessor arc and node of each label reached.
    pred: Vec<[u32; 2]>,
    /// Index in the heap of each queued label.
    pos: Vec<u32>,
    /// The labels reached in this query (their costs are reset at the start of the next one).
    touched: Vec<u32>,
    heap: Vec<Item>,
}

impl Space {
    /// Ready for a query on `n` slots (`2 * n` labels).
    fn start(&mut self, n: usize) {
        for &v in &self.touched {
            self.dist[v as usize] = f64::INFINITY;
        }
        self.touched.clear();
        if self.dist.len() < 2 * n {
            self.dist.resize(2 * n, f64::INFINITY);
            self.pred.resize(2 * n, [0; 2]);
            self.pos.resize(2 * n, 0);
        }
        self.heap.clear();
    }
    #[cfg(test)]
    fn reached(&self, l: usize) -> bool {
        self.dist[l] < f64::INFINITY
    }
    /// Gives label `l` the cost `d` (finite, and no lower than the last key settled) through
    /// `pred_arc` from `pred_node` unless it has a cost no higher: whether it did.
    #[inline]
    fn update(&mut self, l: usize, d: f64, pred_arc: u32, pred_node: u32) -> bool {
        let old = self.dist[l];
        if d >= old {
            return false;
        }
        self.dist[l] = d;
        self.pred[l] = [pred_arc, pred_node];
        if old == f64::INFINITY {
            self.touched.push(l as u32);
            self.heap.push(Item {
                key: d,
                node: l as u32,
            });
            self.sift_up(self.heap.len() - 1);
        } else {
            let p = self.pos[l] as usize;
            self.heap[p].key = d;
            self.sift_up(p);
        }
        true
    }
    /// The smallest key queued (infinity when none is).
    #[cfg(test)]
    fn top(&self) -> f64 {
        self.heap.first().map_or(f64::INFINITY, |it| it.key)
    }
    /// Settles the label of the smallest key: the label and its cost.
    #[inline]
    fn pop(&mut self) -> Option<Item> {
        let top = *self.heap.first()?;
        let last = self.heap.pop()?;
        if !self.heap.is_empty() {
            self.sift_down(last);
        }
        Some(top)
    }
    fn sift_up(&mut self, mut i: usize) {
        // Slices, so that the writes to `pos` do not make the heap's bounds be read again.
        let heap = &mut self.heap[..];
        let pos = &mut self.pos[..];
        let it = heap[i];
        while i > 0 {
            let p = (i - 1) / 4;
            let q = heap[p];
            if q.key <= it.key {
                break;
            }
            heap[i] = q;
            pos[q.node as usize] = i as u32;
            i = p;
        }
        heap[i] = it;
        pos[it.node as usize] = i as u32;
    }
    /// Puts `it` at the root (which is free) and sifts it down. A node with four children
    /// picks the smallest in a two-round tournament over one slice (one bounds check, no
    /// loop); ties go to the earlier child, as a scan in order would.
    fn sift_down(&mut self, it: Item) {
        let heap = &mut self.heap[..];
        let pos = &mut self.pos[..];
        let n = heap.len();
        let mut i = 0;
        loop {
            let c = 4 * i + 1;
            let m = if c + 4 <= n {
                let ch = &heap[c..c + 4];
                let a = usize::from(ch[1].key < ch[0].key);
                let b = 2 + usize::from(ch[3].key < ch[2].key);
                c + if ch[b].key < ch[a].key { b } else { a }
            } else if c < n {
                let mut m = c;
                for j in c + 1..n {
                    if heap[j].key < heap[m].key {
                        m = j;
                    }
                }
                m
            } else {
                break;
            };
            let x = heap[m];
            if x.key >= it.key {
                break;
            }
            heap[i] = x;
            pos[x.node as usize] = i as u32;
            i = m;
        }
        heap[i] = it;
        pos[it.node as usize] = i as u32;
    }
}

/// The state of one point-to-point query: the sweep's labels and queue, and the buffers of the
/// unpacking.
#[derive(Default)]
struct Scratch {
    sw: Sweep,
    /// The arcs of the forward chain, from the meeting slot down to a seed.
    chain: Vec<u32>,
    stack: Vec<u32>,
    /// The route's network edges (a prefix of it; see [`Hierarchy::route_edges`]).
    buf: Vec<u32>,
}

thread_local! {
    static POOL: RefCell<Vec<Space>> = const { RefCell::new(Vec::new()) };
    static QUERY: RefCell<Scratch> = RefCell::default();
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

/// Runs `f` on this thread's query state (a fresh one if it is in use, e.g. by a query
/// inside another), borrowed in place rather than moved out of a pool and back.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    QUERY.with(|q| match q.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

#[cfg(test)]
mod tests {
    use super::Space;
    use proptest::prelude::*;

    proptest! {
        /// The indexed heap of a query against a brute-force list of queued keys, over two
        /// queries on the same space (the second sees nothing of the first): an update succeeds
        /// exactly when the node is not settled and the cost is lower than its own, `top` is
        /// the smallest queued key, and a pop settles a node of that key. Updates offer costs
        /// no lower than the last key popped, as a search does (weights are not negative).
        #[test]
        fn the_heap_pops_the_smallest_queued_key(
            queries in proptest::collection::vec(
                proptest::collection::vec((0u32..40, 0u8..30, any::<bool>()), 1..300),
                2,
            )
        ) {
            let mut sp = Space::default();
            for ops in queries {
                sp.start(20);
                let mut queued: Vec<Option<f64>> = vec![None; 40];
                let mut settled = [false; 40];
                let mut last = 0.0;
                for (v, k, pop) in ops {
                    let smallest = queued.iter().flatten().fold(f64::INFINITY, |a, &b| a.min(b));
                    if pop {
                        match sp.pop() {
                            None => prop_assert_eq!(smallest, f64::INFINITY),
                            Some(it) => {
                                let x = it.node as usize;
                                prop_assert_eq!(queued[x], Some(smallest));
                                prop_assert_eq!(it.key, smallest);
                                queued[x] = None;
                                settled[x] = true;
                                prop_assert_eq!(sp.dist[x], smallest);
                                last = smallest;
                            }
                        }
                    } else {
                        let d = last + f64::from(k);
                        let i = v as usize;
                        prop_assert_eq!(sp.reached(i), settled[i] || queued[i].is_some());
                        let should = !settled[i] && queued[i].is_none_or(|q| d < q);
                        prop_assert_eq!(sp.update(i, d, 7, 9), should);
                        if should {
                            queued[i] = Some(d);
                        }
                        prop_assert!(sp.reached(i));
                    }
                    let smallest = queued.iter().flatten().fold(f64::INFINITY, |a, &b| a.min(b));
                    prop_assert_eq!(sp.top(), smallest);
                }
            }
        }
    }
}
