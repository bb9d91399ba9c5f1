//! Geometric bounds that prune the elimination-tree search, as A* prunes a Dijkstra search.
//!
//! The nodes sit on a sphere ([`points`], by rank). The straight line (the chord) between two
//! points is never longer than any path of edges between them, and an edge of weight `w` and
//! chord `c` moves at `c / w`; so with `inv` the inverse of the fastest such speed of a
//! customization ([`inv_speed`]), `chord(v, t) · inv` is a lower bound of the cost from `v` to
//! `t` whatever the weights, the edges' recorded lengths or their shapes. A search side can leave
//! a node's arcs unrelaxed when its cost plus that bound to the other side's end points is at
//! least the best meeting cost: no route cheaper than that passes there.
//!
//! Before the two sides meet there is no meeting cost to prune by, and seven relaxations in ten
//! happen then (docs/performance.md). So a customization may also *guess* a first bound:
//! `first × ` the bound between the end points, `first` chosen by `Customized::calibrate` from
//! sample queries. A search under a guessed bound that finds a route has found the best one
//! (nothing cheaper than the guess was pruned); one that finds none runs again under a bound
//! [`GROWTH`] times larger, and after [`ATTEMPTS`] guesses without one. Answers are exact either
//! way; only the work changes. Measured on the 200 × 200 grid (1,000 random pairs, perfect step):
//! 36,355 arcs relaxed per query without bounds, 19,505 with a first bound of 1.5 × the
//! straight line (1.02 searches a query), and 13,933 if the exact distance were known.

use super::Cch;
use crate::network::RoadNetwork;
use crate::routing::search::Access;
use rayon::prelude::*;

/// The sphere's radius, metres (the mean Earth radius: its value does not matter to
/// correctness, only that the same one is used for every point).
const RADIUS: f64 = 6_371_008.8;
/// Each new guess multiplies the previous one by this.
pub(crate) const GROWTH: f64 = 1.5;
/// Guessed bounds tried before a search without one.
pub(crate) const ATTEMPTS: usize = 3;
/// What computing one lower bound costs, in arc relaxations (a square root and a dozen
/// arithmetic operations, against a load, an addition and a comparison; on the Jinzhou network
/// the bounds saved 13 % of the relaxations and made the route 6 % slower).
pub(crate) const BOUND_COST: usize = 4;
/// The bound is scaled down by this much, so that rounding never makes it exceed a real cost.
const SAFETY: f64 = 1.0 - 1e-9;

/// The nodes of `net` by rank (`rank[v]` of node `v`) on a sphere, metres, and the
/// straight-line length of each edge between its end points.
pub(crate) fn points(net: &RoadNetwork, rank: &[u32]) -> (Vec<[f64; 3]>, Vec<f64>) {
    let mut pts = vec![[0.0; 3]; rank.len()];
    for (v, node) in net.nodes().iter().enumerate() {
        let (lon, lat) = (node.lon.to_radians(), node.lat.to_radians());
        pts[rank[v] as usize] = [
            RADIUS * lat.cos() * lon.cos(),
            RADIUS * lat.cos() * lon.sin(),
            RADIUS * lat.sin(),
        ];
    }
    let chords = net
        .edges()
        .iter()
        .map(|e| {
            chord(
                &pts[rank[e.from.index()] as usize],
                &pts[rank[e.to.index()] as usize],
            )
        })
        .collect();
    (pts, chords)
}

/// The straight-line distance between two points.
#[inline]
fn chord(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    (x * x + y * y + z * z).sqrt()
}

/// The inverse of the fastest speed (chord over weight) of any edge of finite weight, scaled by
/// [`SAFETY`]; 0 (no bound) when there are no points, when an edge of weight 0 joins two
/// distinct points (infinitely fast) or when no edge has any length. One pass over the weights
/// (in parallel on a large network).
pub(crate) fn inv_speed(cch: &Cch, weights: &[f64]) -> f64 {
    if cch.chord.len() != weights.len() {
        return 0.0;
    }
    // The fastest speed of a run of edges (infinity: a zero weight over a length).
    let fastest = |(ws, cs): (&[f64], &[f64])| -> f64 {
        let mut f: f64 = 0.0;
        for (&w, &c) in ws.iter().zip(cs) {
            if c > 0.0 && w.is_finite() {
                f = f.max(if w == 0.0 { f64::INFINITY } else { c / w });
            }
        }
        f
    };
    const CHUNK: usize = 65_536;
    let f = if weights.len() > CHUNK {
        weights
            .par_chunks(CHUNK)
            .zip(cch.chord.par_chunks(CHUNK))
            .map(fastest)
            .reduce(|| 0.0, f64::max)
    } else {
        fastest((weights, &cch.chord))
    };
    if f > 0.0 && f.is_finite() {
        SAFETY / f
    } else {
        0.0
    }
}

/// The end points of a query with their costs, as the bounds need them.
pub(crate) struct Pot<'a> {
    pts: &'a [[f64; 3]],
    inv: f64,
    /// Points and costs of the targets (what the forward side heads for) and of the seeds.
    to: [([f64; 3], f64); 8],
    n_to: usize,
    from: [([f64; 3], f64); 8],
    n_from: usize,
}

impl<'a> Pot<'a> {
    /// The bounds of a query from `seeds` to `targets` (at most 8 each) with `inv` from
    /// [`inv_speed`] (not 0).
    pub(crate) fn new(cch: &'a Cch, inv: f64, seeds: &[Access], targets: &[Access]) -> Pot<'a> {
        let mut p = Pot {
            pts: &cch.pts,
            inv,
            to: [([0.0; 3], 0.0); 8],
            n_to: targets.len(),
            from: [([0.0; 3], 0.0); 8],
            n_from: seeds.len(),
        };
        for (o, a) in p.to.iter_mut().zip(targets) {
            *o = (cch.pts[cch.rank[a.node as usize] as usize], a.cost);
        }
        for (o, a) in p.from.iter_mut().zip(seeds) {
            *o = (cch.pts[cch.rank[a.node as usize] as usize], a.cost);
        }
        p
    }

    #[inline]
    fn least(&self, ends: &[([f64; 3], f64)], v: u32) -> f64 {
        let p = &self.pts[v as usize];
        ends.iter()
            .map(|(q, c)| chord(p, q) * self.inv + c)
            .fold(f64::INFINITY, f64::min)
    }

    /// A lower bound of the cost from rank `v` to the targets (their costs included).
    #[inline]
    pub(crate) fn to_targets(&self, v: u32) -> f64 {
        self.least(&self.to[..self.n_to], v)
    }

    /// A lower bound of the cost from the seeds (their costs included) to rank `v`.
    #[inline]
    pub(crate) fn after_seeds(&self, v: u32) -> f64 {
        self.least(&self.from[..self.n_from], v)
    }

    /// A lower bound of the cost of any route from a seed to a target.
    pub(crate) fn between(&self) -> f64 {
        self.from[..self.n_from]
            .iter()
            .flat_map(|(p, cp)| {
                self.to[..self.n_to]
                    .iter()
                    .map(move |(q, cq)| cp + chord(p, q) * self.inv + cq)
            })
            .fold(f64::INFINITY, f64::min)
    }
}
