//! Shortest-path trees on the compact network and what is built from them: all-or-nothing
//! loading (per origin, in parallel with rayon), skims and select-link.
//!
//! Dijkstra uses a binary heap with lazy deletion and per-thread workspaces whose arrays are
//! reset only where the previous search touched them, so a search costs what it explores,
//! not the size of the network. A search stops as soon as every zone is settled, because
//! only zones are destinations. The all-or-nothing loadings of an assignment share one
//! `AonScratch` (workspaces, per-chunk flows) made before the first iteration: an
//! iteration allocates nothing, per origin or otherwise (`crates/jzplan-core/tests/alloc.rs`
//! counts it).

use super::network::AssignNetwork;
use super::{LinkId, OdMatrix, ZoneId};
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::{Mutex, PoisonError};

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, PartialEq)]
struct Item {
    dist: f64,
    node: u32,
}
impl Eq for Item {}
impl Ord for Item {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, Dijkstra wants the smallest distance.
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

/// Reusable buffers of one shortest-path search (one per rayon worker).
pub(crate) struct Workspace {
    pub(crate) dist: Vec<f64>,
    /// Internal link index that reaches each node on the tree (`NONE` at the root/unreached).
    pub(crate) pred: Vec<u32>,
    settled: Vec<bool>,
    /// Nodes in the order they were settled (a topological order of the tree).
    pub(crate) order: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Item>,
    load: Vec<f64>,
}

impl Workspace {
    pub(crate) fn new(n: usize) -> Workspace {
        Workspace {
            dist: vec![f64::INFINITY; n],
            pred: vec![NONE; n],
            settled: vec![false; n],
            order: Vec::with_capacity(n),
            touched: Vec::with_capacity(n),
            heap: BinaryHeap::new(),
            load: vec![0.0; n],
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            let v = v as usize;
            self.dist[v] = f64::INFINITY;
            self.pred[v] = NONE;
            self.settled[v] = false;
        }
        self.touched.clear();
        self.order.clear();
        self.heap.clear();
    }

    /// Shortest-path tree from zone `origin` on internal-order link costs `cost`.
    pub(crate) fn tree(&mut self, net: &AssignNetwork, cost: &[f64], origin: usize) {
        self.reset();
        let mut zones_left = net.n_zones;
        self.dist[origin] = 0.0;
        self.touched.push(origin as u32);
        self.heap.push(Item {
            dist: 0.0,
            node: origin as u32,
        });
        while let Some(Item { dist, node }) = self.heap.pop() {
            let u = node as usize;
            if self.settled[u] {
                continue;
            }
            self.settled[u] = true;
            self.order.push(node);
            if u < net.n_zones {
                zones_left -= 1;
                if zones_left == 0 {
                    break;
                }
            }
            // Centroids are ends of paths, never through nodes.
            if u < net.first_thru && u != origin {
                continue;
            }
            let (a, b) = (net.offsets[u] as usize, net.offsets[u + 1] as usize);
            for (k, (&head, &c)) in net.head[a..b].iter().zip(&cost[a..b]).enumerate() {
                let (k, v) = (a + k, head as usize);
                let nd = dist + c;
                if nd < self.dist[v] {
                    if self.dist[v] == f64::INFINITY {
                        self.touched.push(v as u32);
                    }
                    self.dist[v] = nd;
                    self.pred[v] = k as u32;
                    self.heap.push(Item {
                        dist: nd,
                        node: v as u32,
                    });
                }
            }
        }
    }

    /// Loads the demand row of `origin` on the current tree into `flows` (internal order).
    /// Returns (Σ demand × path cost, unreachable pairs, unreachable demand).
    fn load_origin(
        &mut self,
        net: &AssignNetwork,
        origin: usize,
        row: &[f64],
        flows: &mut [f64],
    ) -> (f64, usize, f64) {
        let (mut sptt, mut bad_pairs, mut bad_demand) = (0.0, 0, 0.0);
        for (d, &dem) in row.iter().enumerate() {
            if dem <= 0.0 || d == origin {
                continue;
            }
            if self.settled[d] {
                self.load[d] += dem;
                sptt += dem * self.dist[d];
            } else {
                bad_pairs += 1;
                bad_demand += dem;
            }
        }
        for &v in self.order.iter().rev() {
            let v = v as usize;
            let l = self.load[v];
            if l == 0.0 {
                continue;
            }
            self.load[v] = 0.0;
            let k = self.pred[v];
            if k == NONE {
                continue;
            }
            flows[k as usize] += l;
            self.load[net.tail[k as usize] as usize] += l;
        }
        (sptt, bad_pairs, bad_demand)
    }
}

/// Totals of one all-or-nothing loading.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct AonStats {
    /// Σ demand × shortest-path cost (shortest-path total travel cost).
    pub(crate) sptt: f64,
    pub(crate) unreachable_pairs: usize,
    pub(crate) unreachable_demand: f64,
}

/// Buffers for the all-or-nothing loadings of one demand matrix, made once per assignment
/// and reused by every iteration: nothing is allocated per origin or per iteration.
///
/// Origins are split into at most 32 fixed chunks, each with its own partial flows, summed in
/// chunk order, so the result does not depend on the number of threads (bitwise
/// reproducible). The shortest-path workspaces are per rayon thread (one per worker, indexed
/// by the worker's index; the lock is never contended within a pool), so their memory is
/// `threads × nodes`, not `origins × nodes`.
pub(crate) struct AonScratch {
    origins: Vec<usize>,
    chunk: usize,
    /// Per chunk: its partial link flows and totals.
    parts: Vec<(Vec<f64>, AonStats)>,
    workspaces: Vec<Mutex<Workspace>>,
}

impl AonScratch {
    /// Buffers for `od` (origins with any demand) on `net`, one workspace per thread of the
    /// current rayon pool.
    pub(crate) fn new(net: &AssignNetwork, od: &OdMatrix) -> AonScratch {
        let origins: Vec<usize> = (0..net.n_zones)
            .filter(|&o| od.row(o).iter().any(|&d| d > 0.0))
            .collect();
        let chunk = origins.len().div_ceil(32).max(1);
        let parts = (0..origins.len().div_ceil(chunk))
            .map(|_| (vec![0.0; net.link_count()], AonStats::default()))
            .collect();
        let threads = rayon::current_num_threads().max(1);
        AonScratch {
            origins,
            chunk,
            parts,
            workspaces: (0..threads)
                .map(|_| Mutex::new(Workspace::new(net.n_nodes)))
                .collect(),
        }
    }

    /// All-or-nothing loading of `od` (the matrix the buffers were made for) on internal-order
    /// `cost`; writes internal-order `flows`.
    pub(crate) fn load(
        &mut self,
        net: &AssignNetwork,
        cost: &[f64],
        od: &OdMatrix,
        flows: &mut [f64],
    ) -> AonStats {
        let (origins, chunk, workspaces) = (&self.origins, self.chunk, &self.workspaces);
        self.parts
            .par_iter_mut()
            .enumerate()
            .for_each(|(i, (f, st))| {
                f.iter_mut().for_each(|v| *v = 0.0);
                *st = AonStats::default();
                let t = rayon::current_thread_index().unwrap_or(0) % workspaces.len();
                let mut ws = workspaces[t].lock().unwrap_or_else(PoisonError::into_inner);
                let end = ((i + 1) * chunk).min(origins.len());
                for &o in &origins[i * chunk..end] {
                    ws.tree(net, cost, o);
                    let (s, p, d) = ws.load_origin(net, o, od.row(o), f);
                    st.sptt += s;
                    st.unreachable_pairs += p;
                    st.unreachable_demand += d;
                }
            });
        flows.iter_mut().for_each(|x| *x = 0.0);
        let mut total = AonStats::default();
        for (f, st) in &self.parts {
            for (a, b) in flows.iter_mut().zip(f) {
                *a += b;
            }
            total.sptt += st.sptt;
            total.unreachable_pairs += st.unreachable_pairs;
            total.unreachable_demand += st.unreachable_demand;
        }
        total
    }
}

/// Zone-to-zone matrices along the least-cost paths of given link costs.
#[derive(Clone, Debug, PartialEq)]
pub struct Skims {
    /// Number of zones.
    pub zones: usize,
    /// Generalized cost, row-major `[o * zones + d]`; `INFINITY` where no path exists.
    pub cost: Vec<f64>,
    /// Travel time along the least-cost path.
    pub time: Vec<f64>,
    /// Length along the least-cost path.
    pub distance: Vec<f64>,
}

impl Skims {
    /// (cost, time, distance) of one pair.
    pub fn get(&self, o: ZoneId, d: ZoneId) -> (f64, f64, f64) {
        let i = o.index() * self.zones + d.index();
        (self.cost[i], self.time[i], self.distance[i])
    }
}

/// Cost, time and distance between zones at free flow (no demand loaded).
pub fn free_flow_skims(net: &AssignNetwork) -> Skims {
    let cost: Vec<f64> = (0..net.link_count())
        .map(|k| net.t0[k] + net.fixed[k])
        .collect();
    skims(net, &cost, &net.t0)
}

/// Skims on internal-order generalized `cost` and congested `time`.
pub(crate) fn skims(net: &AssignNetwork, cost: &[f64], time: &[f64]) -> Skims {
    let nz = net.n_zones;
    let rows: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = (0..nz)
        .into_par_iter()
        .map_init(
            || {
                (
                    Workspace::new(net.n_nodes),
                    vec![0.0; net.n_nodes],
                    vec![0.0; net.n_nodes],
                )
            },
            |(ws, t_acc, d_acc), o| {
                ws.tree(net, cost, o);
                // Accumulate along the tree in settle order: parents come first.
                for &v in &ws.order {
                    let v = v as usize;
                    let k = ws.pred[v];
                    if k == NONE {
                        t_acc[v] = 0.0;
                        d_acc[v] = 0.0;
                    } else {
                        let p = net.tail[k as usize] as usize;
                        t_acc[v] = t_acc[p] + time[k as usize];
                        d_acc[v] = d_acc[p] + net.length[k as usize];
                    }
                }
                let mut c = vec![f64::INFINITY; nz];
                let mut t = vec![f64::INFINITY; nz];
                let mut d = vec![f64::INFINITY; nz];
                for z in 0..nz {
                    if ws.settled[z] {
                        c[z] = ws.dist[z];
                        t[z] = t_acc[z];
                        d[z] = d_acc[z];
                    }
                }
                (c, t, d)
            },
        )
        .collect();
    let mut s = Skims {
        zones: nz,
        cost: Vec::with_capacity(nz * nz),
        time: Vec::with_capacity(nz * nz),
        distance: Vec::with_capacity(nz * nz),
    };
    for (c, t, d) in rows {
        s.cost.extend(c);
        s.time.extend(t);
        s.distance.extend(d);
    }
    s
}

/// One OD pair that uses a selected link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SelectLinkPair {
    /// Origin zone.
    pub origin: ZoneId,
    /// Destination zone.
    pub destination: ZoneId,
    /// Demand of the pair routed over the link.
    pub demand: f64,
}

/// Pairs whose least-cost path on internal-order `cost` uses internal link `k`.
pub(crate) fn select_link(
    net: &AssignNetwork,
    cost: &[f64],
    od: &OdMatrix,
    link: LinkId,
) -> Vec<SelectLinkPair> {
    let k = net.to_internal[link.index()];
    let nz = net.n_zones;
    let per_origin: Vec<Vec<SelectLinkPair>> = (0..nz)
        .into_par_iter()
        .map_init(
            || (Workspace::new(net.n_nodes), vec![false; net.n_nodes]),
            |(ws, uses), o| {
                if od.row(o).iter().all(|&d| d <= 0.0) {
                    return Vec::new();
                }
                ws.tree(net, cost, o);
                for &v in &ws.order {
                    let v = v as usize;
                    let p = ws.pred[v];
                    uses[v] = p != NONE && (p == k || uses[net.tail[p as usize] as usize]);
                }
                let mut out = Vec::new();
                for (d, &dem) in od.row(o).iter().enumerate() {
                    if dem > 0.0 && d != o && ws.settled[d] && uses[d] {
                        out.push(SelectLinkPair {
                            origin: ZoneId(o as u32),
                            destination: ZoneId(d as u32),
                            demand: dem,
                        });
                    }
                }
                out
            },
        )
        .collect();
    per_origin.into_iter().flatten().collect()
}
