//! Customization: the weights of every arc of a [`Cch`] for one weights vector.

use super::Cch;
use super::arcs::{Adjacency, ArcW, Reuse, TRIANGLE_MIDDLES};
use super::bound::Pot;
use crate::network::RoadNetwork;
use crate::routing::search::Access;
use crate::{Error, Result};
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The high word that marks a network edge (in the low word) in [`Customized`]'s unpacking
/// memo.
const EDGE: u64 = (u32::MAX as u64) << 32;
/// The bit that marks a network edge among the two halves of a triangle in that memo (edge
/// ids are below 2^31 - 1 and arc ids below 2^30: [`Cch::from_order`] refuses larger networks,
/// so no half is `u32::MAX`).
const HALF_EDGE: u32 = 1 << 31;

/// Sample queries [`Customized::calibrate`] runs.
const CALIBRATION_SAMPLES: usize = 12;
/// Below this mean number of ancestors a node, [`Customized::calibrate`] turns the bounds off
/// without running its sample.
const CALIBRATION_MIN_ANCESTORS: f64 = super::DEEP_ANCESTORS;

/// Hierarchies with fewer arcs than this are initialized on the calling thread.
const PARALLEL_ARCS: usize = 4_096;
/// Arcs a task of the initialization fills (64 KB of weights).
const INIT_CHUNK: usize = 4_096;

/// A [`Cch`] customized for one weights vector: answers exact queries for exactly those
/// weights (route costs are re-summed edge by edge by the router). `Sync`; kept per date or
/// scenario: 16 bytes per arc and 8 per network edge, 12 per arc direction the queries relax
/// and 8 per node for their index, and 8 per arc direction once a route has been unpacked.
pub struct Customized {
    pub(crate) cch: Arc<Cch>,
    /// The customized weights of every arc (lower triangles only: the perfect step does not
    /// change them, it only leaves directions out of the queries; shared with
    /// [`Customized::perfected`]'s customization).
    pub(crate) w: Arc<Vec<ArcW>>,
    /// The network edges' weights, to unpack arcs (shared likewise).
    pub(crate) weights: Arc<Vec<f64>>,
    /// What the two sides of a query relax: the finite up and down directions, less those the
    /// perfect step drops and those a triangle makes redundant ([`super::arcs::redundant`]).
    pub(crate) adj: (Adjacency, Adjacency),
    dropped: usize,
    fingerprint: u64,
    /// For each arc direction (`2 * arc + down`) that a route has unpacked, what it unpacked
    /// into: the network edge (with the high word [`EDGE`]), or its lower triangle `x – u`,
    /// `x – v` (low and high 32 bits; 0: not looked up yet), each half as the network edge it
    /// is (with [`HALF_EDGE`] set) or else as its arc. Made at the first unpacking (8 bytes per
    /// arc direction), filled as routes unpack arcs: the triangles of the arcs high in the
    /// hierarchy, which most long routes use, are searched for once, and an arc whose halves
    /// are network edges unpacks in one read.
    /// Shared with [`Customized::perfected`]'s customization (same weights, same unpacking).
    middle: Arc<std::sync::OnceLock<Box<[AtomicU64]>>>,
    /// Whether the perfect step was run.
    perfect: bool,
    /// The middles the redundant directions were tested with ([`super::arcs::redundant`]).
    pub(crate) middles: usize,
    /// Which search [`Customized::search`] runs.
    pub(crate) search: CchSearch,
    /// The inverse of the fastest edge's speed, for the elimination-tree search's bounds
    /// ([`super::bound`]); 0: no bounds.
    pub(crate) inv_speed: f64,
    /// The factor of the first guessed bound ([`Customized::calibrate`]); `None`: no guess.
    pub(crate) first_bound: Option<f64>,
}

/// The query algorithm of a [`Customized`] CCH (both exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CchSearch {
    /// Bidirectional Dijkstra with stall-on-demand on the upward arcs ([`super::query`]).
    Dijkstra,
    /// Elimination-tree search: both sides walk their ancestors in rank order, no heap.
    EliminationTree,
}

impl std::fmt::Debug for Customized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Customized")
            .field("cch", &self.cch)
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl Cch {
    /// Customizes the hierarchy for `weights` (one per network edge, `>= 0`, infinity =
    /// closed); `InvalidInput` for a wrong length, a negative or NaN weight. O(arcs +
    /// triangles), in parallel. The perfect step on the top of the elimination tree only (see
    /// [`Cch::customize_with`]).
    pub fn customize(self: &Arc<Self>, weights: &[f64]) -> Result<Customized> {
        self.customize_with(weights, false)
    }

    /// [`Cch::customize`] with or without the full perfect step ([`super::perfect`]), which
    /// drops from the queries every arc direction no shortest path uses. Every customization
    /// runs it on the top of the elimination tree, where most of what it drops lies: on the
    /// 1M-edge grid the top step adds a tenth of a second and takes the query most of the
    /// way, the full step adds 0.6–1.0 s (docs/performance.md, CCH "Fourteenth round"), so
    /// it is not the default; a server makes it later from the basic customization
    /// ([`Customized::perfected`]).
    pub fn customize_with(self: &Arc<Self>, weights: &[f64], perfect: bool) -> Result<Customized> {
        self.customize_full(weights, perfect, TRIANGLE_MIDDLES)
    }

    /// [`Cch::customize_with`], trying `middles` middles per arc for redundant arcs
    /// ([`super::arcs::redundant`]; 0: none).
    pub(crate) fn customize_full(
        self: &Arc<Self>,
        weights: &[f64],
        perfect: bool,
        middles: usize,
    ) -> Result<Customized> {
        self.check_weights(weights)?;
        let cch: &Cch = self;
        // Step 1: each arc direction takes its cheapest network edge. By chunks of arcs: the
        // chunk starts closed, then the edges of its arc directions (listed by direction, so
        // those of a chunk are consecutive) lower their direction's weight. `w` comes zeroed
        // from the allocator (no page written until a chunk fills it, in parallel), and most
        // arcs (fill arcs) have no edge: only the chunk's bounds are read from `dir_off`.
        let arcs = cch.head.len();
        let mut w: Vec<ArcW> = vec![[0.0; 2]; arcs];
        let init = |(c, chunk): (usize, &mut [ArcW])| {
            chunk.fill([f64::INFINITY; 2]);
            let a0 = c * INIT_CHUNK;
            let lo = cch.dir_off[2 * a0] as usize;
            let hi = cch.dir_off[2 * (a0 + chunk.len())] as usize;
            for &e in &cch.dir_edges[lo..hi] {
                let d = cch.edge_arc[e as usize] as usize;
                let t = &mut chunk[d / 2 - a0][d % 2];
                // Weights are checked above (no NaN): a plain comparison takes the minimum.
                let x = weights[e as usize];
                if x < *t {
                    *t = x;
                }
            }
        };
        if arcs >= PARALLEL_ARCS {
            w.par_chunks_mut(INIT_CHUNK).enumerate().for_each(init);
        } else {
            w.chunks_mut(INIT_CHUNK).enumerate().for_each(init);
        }
        // Step 2: lower triangles, by chains of the elimination tree ([`super::chains`]).
        super::chains::relax_all(cch, &mut w);
        let memo = Arc::new(std::sync::OnceLock::new());
        let fingerprint = super::super::ch::weights_fingerprint(weights);
        let weights = Arc::new(weights.to_vec());
        Ok(self.queries(
            Arc::new(w),
            weights,
            fingerprint,
            memo,
            perfect,
            middles,
            None,
        ))
    }

    /// `InvalidInput` unless `weights` has one weight per network edge, each `>= 0` (infinity:
    /// closed).
    pub(crate) fn check_weights(&self, weights: &[f64]) -> Result<()> {
        if weights.len() != self.m {
            return Err(Error::invalid(format!(
                "{} weights given for a hierarchy of {} edges",
                weights.len(),
                self.m
            )));
        }
        if let Some(i) = weights.iter().position(|w| w.is_nan() || *w < 0.0) {
            return Err(Error::invalid(format!(
                "weight of edge {i} is {} (must be >= 0, or infinity for a closed edge)",
                weights[i]
            )));
        }
        Ok(())
    }

    /// The rest of a customization from the lower triangles' weights `w` (of `weights`, whose
    /// fingerprint is given): the perfect step if asked, what the queries relax (copying, with
    /// `reuse`, the arcs of the ranks an update left unchanged), and their
    /// calibration.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn queries(
        self: &Arc<Self>,
        w: Arc<Vec<ArcW>>,
        weights: Arc<Vec<f64>>,
        fingerprint: u64,
        middle: Arc<std::sync::OnceLock<Box<[AtomicU64]>>>,
        perfect: bool,
        middles: usize,
        reuse: Option<Reuse<'_>>,
    ) -> Customized {
        let cch: &Cch = self;
        let strict = super::perfect::prune(cch, &w, (!perfect).then_some(&cch.top));
        let (adj, finite) = Adjacency::build_pair(cch, &w, &strict, middles, reuse);
        let dropped = finite - adj.0.len() - adj.1.len();
        let mut c = Customized {
            cch: self.clone(),
            fingerprint,
            inv_speed: super::bound::inv_speed(cch, &weights),
            w,
            weights,
            adj,
            dropped,
            middle,
            perfect,
            middles,
            search: CchSearch::EliminationTree,
            first_bound: None,
        };
        c.calibrate();
        c
    }
}

impl Customized {
    /// The same customization answering with another query algorithm.
    pub fn with_search(mut self, search: CchSearch) -> Customized {
        self.search = search;
        self
    }

    /// The best route from `seeds` to `targets` by [`Customized::with_search`]'s algorithm
    /// (see [`Customized::run`]).
    pub(crate) fn search(
        &self,
        seeds: &[crate::routing::search::Access],
        targets: &[crate::routing::search::Access],
        mu0: f64,
    ) -> (f64, Option<crate::routing::ch::ChPath>, usize) {
        self.run::<false>(self.search, seeds, targets, mu0)
    }

    /// The same weights' customization with the perfect step ([`Cch::customize_with`]),
    /// from this one's lower triangles: only the perfect step and what the queries relax are
    /// made again (on the 1M-edge grid 0.75–0.85 s, against 1.0–1.3 s from scratch). The two
    /// share their arc weights, edge weights and unpacking memo, and give the same costs; a
    /// route of several shortest paths may come out as another of them.
    pub fn perfected(&self) -> Customized {
        let c = self.cch.queries(
            self.w.clone(),
            self.weights.clone(),
            self.fingerprint,
            self.middle.clone(),
            true,
            TRIANGLE_MIDDLES,
            None,
        );
        c.with_search(self.search)
    }

    /// Whether the perfect step was run.
    pub fn is_perfect(&self) -> bool {
        self.perfect
    }

    /// Heap bytes of what the queries relax: what a customization holds beside what
    /// [`Customized::perfected`] shares with it.
    pub fn query_bytes(&self) -> usize {
        self.adj.0.memory_bytes() + self.adj.1.memory_bytes()
    }

    /// The hierarchy it customizes.
    pub fn cch(&self) -> &Arc<Cch> {
        &self.cch
    }

    /// Finite arc directions left out of the queries: by the perfect step (their weight is
    /// longer than the distance between their ends) and as redundant (a triangle through a
    /// lower node is at most as long).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The fingerprint of the weights it was customized for
    /// ([`weights_fingerprint`](super::super::ch::weights_fingerprint)).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Whether it can serve `net` (same node and edge counts; O(1), the weights are not
    /// compared: the caller keys customizations by the state they were made for).
    pub fn fits(&self, net: &RoadNetwork) -> bool {
        self.cch.rank.len() == net.node_count() && self.cch.m == net.edge_count()
    }

    /// Heap bytes of the weights, of what the queries relax and of the unpacking memo (once a
    /// route has been unpacked); the shared [`Cch`] not included.
    pub fn memory_bytes(&self) -> usize {
        self.w.len() * std::mem::size_of::<ArcW>()
            + 8 * self.weights.len()
            + self.query_bytes()
            + self
                .middle
                .get()
                .map_or(0, |m| std::mem::size_of::<AtomicU64>() * m.len())
    }

    /// Arc directions the queries relax (finite, and kept).
    pub fn query_arc_count(&self) -> usize {
        self.adj.0.len() + self.adj.1.len()
    }

    /// Appends the network edges of arc `a` in direction `down` (travel order) to `out`.
    ///
    /// What gives an arc its weight is found again (as RoutingKit does): a network edge of that
    /// direction whose weight equals it, or else a lower triangle `x – u – v` whose two arcs add
    /// up to it. Both are exact: the customization took the minimum of exactly these edge
    /// weights and sums (computed the same way, from the same final weights of lower arcs), so
    /// the one it chose matches; any match is a path of that weight through lower nodes, and
    /// its arcs have lower tails, so the recursion ends.
    ///
    /// What an arc direction unpacked into is kept: the next route through it takes the
    /// network edge or the two halves of the triangle at once, instead of scanning the lower
    /// neighbours of its tail (up to thousands at the top of a large hierarchy); a half that is
    /// a network edge is kept as that edge, so that the half needs no read of its own. The
    /// two arcs of a triangle differ, so their pair is never 0, which can mean "not looked
    /// up".
    ///
    /// `stack` holds what is left to write, last first: arcs by direction (0 up, 1 down) and
    /// network edges (2).
    pub(crate) fn unpack(
        &self,
        a: u32,
        down: bool,
        stack: &mut Vec<(u32, u8)>,
        out: &mut Vec<u32>,
    ) {
        let middle = self.memo();
        stack.clear();
        stack.push((a, u8::from(down)));
        while let Some((a, kind)) = stack.pop() {
            if kind == 2 {
                out.push(a);
                continue;
            }
            let down = kind == 1;
            let k = match middle[2 * a as usize + usize::from(down)].load(Ordering::Relaxed) {
                0 => match self.look_up(middle, a, down) {
                    Some(k) => k,
                    None => {
                        debug_assert!(false, "arc {a} has no edge or triangle of its weight");
                        continue;
                    }
                },
                k => k,
            };
            if k & EDGE == EDGE {
                out.push(k as u32);
                continue;
            }
            // The halves in travel order: up, `u → x` then `x → v`; down, `v → x` then `x → u`.
            let (xu, xv) = (k as u32, (k >> 32) as u32);
            let [(first, fd), (second, sd)] = if down {
                [(xv, 1), (xu, 0)]
            } else {
                [(xu, 1), (xv, 0)]
            };
            let item = |h: u32, d: u8| {
                if h & HALF_EDGE != 0 {
                    (h & !HALF_EDGE, 2)
                } else {
                    (h, d)
                }
            };
            stack.push(item(second, sd));
            stack.push(item(first, fd));
        }
    }

    /// The unpacking memo, made at the first call.
    fn memo(&self) -> &[AtomicU64] {
        let c = &*self.cch;
        self.middle.get_or_init(|| {
            (0..2 * c.head.len())
                .into_par_iter()
                .map(|_| AtomicU64::new(0))
                .collect()
        })
    }

    /// What arc `a` in direction `down` unpacks into, found and kept in `middle`: the network
    /// edge of that direction whose weight equals the arc's, as `EDGE | e`; or else the first
    /// lower triangle whose two arcs add up to it, each half as its network edge (the same
    /// look-up) or its arc. `None` only for an arc without a path, which no route uses.
    fn look_up(&self, middle: &[AtomicU64], a: u32, down: bool) -> Option<u64> {
        if let Some(e) = self.edge_of(middle, a, down) {
            return Some(EDGE | u64::from(e));
        }
        let c = &*self.cch;
        let wa = self.w[a as usize][usize::from(down)];
        debug_assert!(wa.is_finite(), "an arc without a path is never on a route");
        let (u, v) = (c.tail[a as usize], c.head[a as usize]);
        let (xu, xv) = self.triangle(u, v, down, wa)?;
        // `x – u` runs against the arc's direction, `x – v` with it.
        let half = |h: u32, d: bool| self.edge_of(middle, h, d).map_or(h, |e| HALF_EDGE | e);
        let k = u64::from(half(xu, !down)) | u64::from(half(xv, down)) << 32;
        middle[2 * a as usize + usize::from(down)].store(k, Ordering::Relaxed);
        Some(k)
    }

    /// The network edge that arc `a` in direction `down` is (one of that direction whose
    /// weight equals the arc's), from `middle` or found and kept there; `None` when the arc's
    /// weight comes from a lower triangle.
    fn edge_of(&self, middle: &[AtomicU64], a: u32, down: bool) -> Option<u32> {
        let dir = 2 * a as usize + usize::from(down);
        match middle[dir].load(Ordering::Relaxed) {
            0 => {}
            k if k & EDGE == EDGE => return Some(k as u32),
            _ => return None,
        }
        let c = &*self.cch;
        let wa = self.w[a as usize][usize::from(down)];
        let edges = &c.dir_edges[c.dir_off[dir] as usize..c.dir_off[dir + 1] as usize];
        let e = *edges.iter().find(|&&e| self.weights[e as usize] == wa)?;
        middle[dir].store(EDGE | u64::from(e), Ordering::Relaxed);
        Some(e)
    }

    /// The first lower triangle `x – u – v` (lowest `x` first) whose two arcs add up to `wa`
    /// in direction `down` of arc `u – v`: `(arc x – u, arc x – v)`.
    fn triangle(&self, u: u32, v: u32, down: bool, wa: f64) -> Option<(u32, u32)> {
        let c = &*self.cch;
        let d = usize::from(down);
        for &(x, xu) in c.downs(u) {
            let wxu = self.w[xu as usize];
            // Up: u → x (down of x – u), x → v (up of x – v); down: v → x, x → u. A sum of
            // non-negative floats is at least each of its terms, so a part already heavier
            // than the arc cannot be in its triangle.
            if wxu[1 - d] > wa {
                continue;
            }
            if let Some(xv) = c.arc_above(x, xu, v) {
                let wxv = self.w[xv as usize];
                let sum = if down {
                    wxv[1] + wxu[0]
                } else {
                    wxu[1] + wxv[0]
                };
                if sum == wa {
                    return Some((xu, xv));
                }
            }
        }
        None
    }
}

impl Customized {
    /// Chooses how the elimination-tree search uses the bounds, from [`CALIBRATION_SAMPLES`]
    /// queries between nodes spread over the network (the same ones for the same network, so
    /// the choice is the same for the same weights), by the work they do (arcs relaxed,
    /// ancestors walked and [`BOUND_COST`](super::bound::BOUND_COST) per bound computed, over
    /// all searches): without bounds, with them, or also first under a guessed bound
    /// ([`Customized::first_bound`]). The ratio of each sample's cost to its straight-line bound
    /// gives the candidate guesses (their third quartile and 90th percentile); a guess is kept
    /// only if it does at most 90 % of the work of the best choice without one. Without bounds,
    /// `inv_speed` is set to 0: also, without a sample, when the nodes have fewer than
    /// [`CALIBRATION_MIN_ANCESTORS`] ancestors on average.
    pub(crate) fn calibrate(&mut self) {
        self.first_bound = None;
        let n = self.cch.rank.len();
        if self.inv_speed == 0.0 || n < 2 {
            return;
        }
        // A search that walks few ancestors has little to prune, and the sample would cost
        // more than the customization itself (Jinzhou: 27 ancestors a node, customized in
        // 0.17 ms; the bounds made its routes 6 % slower).
        if self.cch.ancestor_stats().1 < CALIBRATION_MIN_ANCESTORS {
            self.inv_speed = 0.0;
            return;
        }
        // A fixed sequence of node pairs (a linear congruential generator).
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((x >> 33) % n as u64) as u32
        };
        let pairs: Vec<([Access; 1], [Access; 1])> = (0..CALIBRATION_SAMPLES)
            .map(|_| {
                let (s, t) = (next(), next());
                (
                    [Access { node: s, cost: 0.0 }],
                    [Access { node: t, cost: 0.0 }],
                )
            })
            .collect();
        // Each pair's cost, straight-line bound and work; the pairs run in parallel (each thread
        // has its own search state) and do not unpack their routes.
        let work = |c: &Customized| -> Vec<(f64, f64, usize)> {
            pairs
                .par_iter()
                .map(|(s, t)| {
                    let (d, _, _) = c.bounded::<true, false>(s, t, f64::INFINITY);
                    let h = Pot::new(&c.cch, c.inv_speed, s, t).between();
                    (d, h, c.last_work())
                })
                .collect()
        };
        let total = |v: &[(f64, f64, usize)]| v.iter().map(|x| x.2).sum::<usize>() as f64;
        let inv = self.inv_speed;
        let bounded = work(self);
        self.inv_speed = 0.0;
        let plain = total(&work(self));
        let with_bounds = total(&bounded) < plain;
        self.inv_speed = if with_bounds { inv } else { 0.0 };
        let mut ratios: Vec<f64> = bounded
            .iter()
            .filter(|(d, h, _)| d.is_finite() && *h > 0.0)
            .map(|(d, h, _)| d / h)
            .collect();
        if ratios.is_empty() {
            return;
        }
        ratios.sort_by(f64::total_cmp);
        let q = |f: f64| ratios[((ratios.len() - 1) as f64 * f).round() as usize] * (1.0 + 1e-6);
        let mut best = (0.9 * plain.min(total(&bounded)), None);
        self.inv_speed = inv;
        for factor in [q(0.75), q(0.9)] {
            self.first_bound = Some(factor);
            let w = total(&work(self));
            if w <= best.0 {
                best = (w, Some(factor));
            }
        }
        self.first_bound = best.1;
        if best.1.is_none() && !with_bounds {
            self.inv_speed = 0.0;
        }
    }
}
