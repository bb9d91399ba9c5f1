//! Partial customization: the weights of another weights vector made from a customization,
//! touching only the arcs the changed edges reach (Dibbelt, Strasser and Wagner, "Customizable
//! Contraction Hierarchies", §4: partial updates).
//!
//! A date differs from the base network by its works: a few dozen edges closed or slowed among
//! a million. An arc's weight is the minimum of its own edges and of its lower triangles
//! `x – u`, `x – v` (`x` lower than both ends), so it can change only when one of its edges
//! changed or one of the two lower arcs of one of its triangles did. The update marks the arcs
//! of the changed edges and goes rank by rank from the lowest: a marked arc is computed again
//! from its edges and lower triangles; then for each pair of the rank's arcs with one of them
//! changed, the arc between their heads is lowered at once if the triangle's sum fell, or
//! marked if the sum rose and its old weight was that old sum. Arcs are processed after every
//! lower rank, so each reads final weights: the result is exactly the full customization's
//! (the same minimum of the same sums; a proptest compares every arc to the bit).
//!
//! The walk stops and the full customization runs instead when the update's work passes a
//! quarter of the hierarchy's lower triangles: a change that reaches most of the top of a large
//! hierarchy, or a large share of changed edges, costs less in the full step's blocks.
//!
//! The queries' adjacencies are made again only for the ranks whose arcs or middles changed;
//! the others are copied from the old customization's (`arcs::Reuse`).
//!
//! On the 1M-edge grid a works date (40 edges) is updated in 0.44 s against 1.36 s from scratch
//! (docs/performance.md); on a small city the full customization is as quick, so the server
//! updates on deep hierarchies only.

use super::arcs::{ArcW, Reuse, TRIANGLE_MIDDLES};
use super::{Cch, Customized, NONE};
use crate::Result;
use rayon::prelude::*;
use std::sync::Arc;

/// The update gives up for the full customization past `triangles / WORK_SHARE` steps of work
/// ([`UpdateStats::work`]; never below `MIN_BUDGET`: on a small hierarchy either is quick).
const WORK_SHARE: u64 = 4;
const MIN_BUDGET: u64 = 1 << 16;
/// Arc weights a task of the copy takes (1 MB).
const COPY_CHUNK: usize = 1 << 16;

/// What [`Customized::updated`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateStats {
    /// Network edges whose weight differs.
    pub changed_edges: usize,
    /// Arcs computed again from their edges and lower triangles.
    pub arcs_computed: usize,
    /// Arcs whose weight changed (computed again, or lowered by a triangle).
    pub arcs_changed: usize,
    /// The walk's steps: down-neighbours read and pairs of arcs visited, against the
    /// hierarchy's lower triangles for the full customization.
    pub work: u64,
    /// Whether the full customization ran instead (too much work for an update).
    pub full: bool,
}

impl Customized {
    /// The customization for `weights` (one per network edge, as [`Cch::customize`]), made
    /// from this one: only the arcs that the edges whose weight differs reach are computed
    /// again, falling back to the full customization when that is most of the work (see the
    /// module doc). Without the perfect step, like [`Cch::customize`]; the same weights, so the
    /// same routes, as a customization from scratch.
    pub fn updated(&self, weights: &[f64]) -> Result<Customized> {
        self.updated_with_stats(weights).map(|(c, _)| c)
    }

    /// [`Customized::updated`] and what it did.
    pub fn updated_with_stats(&self, weights: &[f64]) -> Result<(Customized, UpdateStats)> {
        let cch: &Arc<Cch> = &self.cch;
        cch.check_weights(weights)?;
        let old = &self.weights;
        let changed: Vec<u32> = (0..weights.len() as u32)
            .filter(|&e| weights[e as usize].to_bits() != old[e as usize].to_bits())
            .collect();
        let mut stats = UpdateStats {
            changed_edges: changed.len(),
            ..UpdateStats::default()
        };
        // A copy of the old weights, in parallel (a hundred MB on the 1M-edge grid).
        let mut w: Vec<ArcW> = vec![[0.0; 2]; self.w.len()];
        w.par_chunks_mut(COPY_CHUNK)
            .zip(self.w.par_chunks(COPY_CHUNK))
            .for_each(|(to, from)| to.copy_from_slice(from));
        let mut changed_ranks = vec![0u64; cch.rank.len().div_ceil(64)];
        if !relax_changed(
            cch,
            weights,
            &changed,
            &self.w,
            &mut w,
            &mut changed_ranks,
            &mut stats,
        ) {
            stats.full = true;
            return Ok((cch.customize(weights)?, stats));
        }
        let fingerprint = super::super::ch::weights_fingerprint(weights);
        // The ranks whose arcs and middles kept their weights keep their query arcs: copied
        // from this customization's, when it was made the same way (no perfect step).
        let reuse = (!self.is_perfect() && self.middles == TRIANGLE_MIDDLES).then_some(Reuse {
            old: &self.adj,
            changed: &changed_ranks,
        });
        let c = cch.queries(
            Arc::new(w),
            Arc::new(weights.to_vec()),
            fingerprint,
            Arc::new(std::sync::OnceLock::new()),
            false,
            TRIANGLE_MIDDLES,
            reuse,
        );
        Ok((c.with_search(self.search), stats))
    }
}

/// Brings `w` (a copy of the old customization's arc weights `old`) to the weights of
/// `weights`, whose `changed` edges differ, rank by rank from the lowest, setting the bit of
/// each rank whose arcs changed in `changed_ranks`. `false` (and `w` half done) when the work
/// passed the budget.
///
/// At each rank `x`: its arcs marked for it are computed again from scratch; then every pair
/// of arcs `x – u`, `x – v` of which one changed (against `old`) is a triangle whose sum
/// changed for the arc between `u` and `v`, in each direction: a lower sum lowers that arc at
/// once; a higher one marks it to compute again if its old weight was that old sum (the
/// triangle may have been what gave it its weight). An arc neither marked nor lowered keeps
/// its old weight: every triangle that gave it is unchanged.
fn relax_changed(
    cch: &Cch,
    weights: &[f64],
    changed: &[u32],
    old: &[ArcW],
    w: &mut [ArcW],
    changed_ranks: &mut [u64],
    stats: &mut UpdateStats,
) -> bool {
    let n = cch.rank.len();
    let budget = (cch.triangle_count() / WORK_SHARE).max(MIN_BUDGET);
    let mut work = 0u64;
    // Arcs marked to compute again, and the ranks to visit (a bit each).
    let mut marked = vec![0u64; cch.head.len().div_ceil(64)];
    let mut ranks = vec![0u64; n.div_ceil(64)];
    let set = |bits: &mut [u64], i: usize| bits[i >> 6] |= 1 << (i & 63);
    for &e in changed {
        let d = cch.edge_arc[e as usize];
        if d != NONE {
            let a = d as usize / 2;
            set(&mut marked, a);
            set(&mut ranks, cch.tail[a] as usize);
        }
    }
    let differs = |w: &[ArcW], a: usize| {
        w[a][0].to_bits() != old[a][0].to_bits() || w[a][1].to_bits() != old[a][1].to_bits()
    };
    let mut moved: Vec<usize> = Vec::new();
    // The arc `z – x` by `z`, for the down-neighbours of the rank `x` being processed.
    let mut col = vec![NONE; n];
    // Ranks in ascending order: a rank only ever queues ranks above it.
    let mut wi = 0;
    while wi < ranks.len() {
        let word = ranks[wi];
        if word == 0 {
            wi += 1;
            continue;
        }
        ranks[wi] = word & (word - 1);
        let x = (wi * 64 + word.trailing_zeros() as usize) as u32;
        let arcs = cch.arcs(x);
        moved.clear();
        let mut filled = false;
        for a in arcs.clone() {
            if marked[a >> 6] & (1 << (a & 63)) != 0 {
                marked[a >> 6] &= !(1 << (a & 63));
                if !filled {
                    for &(z, zx) in cch.downs(x) {
                        col[z as usize] = zx;
                    }
                    work += cch.downs(x).len() as u64;
                    filled = true;
                }
                let (t, steps) = arc_weight(cch, weights, w, a, x, &col);
                w[a] = t;
                work += steps;
                stats.arcs_computed += 1;
            }
            if differs(w, a) {
                moved.push(a);
            }
        }
        if filled {
            for &(z, _) in cch.downs(x) {
                col[z as usize] = NONE;
            }
        }
        stats.arcs_changed += moved.len();
        if !moved.is_empty() {
            set(changed_ranks, x as usize);
        }
        // Every pair `lo < hi` of arcs of `x` with one of them moved is a triangle for the arc
        // `u – v` between their heads (the upward graph is chordal). Pairs with `lo` moved: that
        // arc is among the arcs of `u`, found by walking them along with `hi` (heads ascending
        // on both sides). Pairs with only `hi` moved: among the down-neighbours of `v`, walked
        // along with `lo` (ascending on both sides).
        let mut triangle = |lo: usize, hi: usize, c: usize, w: &mut [ArcW]| {
            // Up (u to v) runs x – u down, then x – v up; down the other way round.
            let sums = |w: &[ArcW]| [w[lo][1] + w[hi][0], w[hi][1] + w[lo][0]];
            let (now, then) = (sums(w), sums(old));
            for dir in 0..2 {
                if now[dir] < w[c][dir] {
                    w[c][dir] = now[dir];
                    set(&mut ranks, cch.tail[c] as usize);
                } else if now[dir] > then[dir] && then[dir].to_bits() == old[c][dir].to_bits() {
                    set(&mut marked, c);
                    set(&mut ranks, cch.tail[c] as usize);
                }
            }
        };
        for &lo in &moved {
            let ua = cch.arcs(cch.head[lo]);
            let heads = &cch.head[ua.clone()];
            let mut p = 0;
            for hi in lo + 1..arcs.end {
                let v = cch.head[hi];
                while heads[p] < v {
                    p += 1;
                }
                triangle(lo, hi, ua.start + p, w);
            }
            work += (arcs.end - lo + p) as u64;
        }
        for (k, &hi) in moved.iter().enumerate() {
            let dv = cch.downs(cch.head[hi]);
            let q0 = dv.partition_point(|&(z, _)| z <= x);
            let mut q = q0;
            let mut mk = 0;
            for lo in arcs.start..hi {
                // The moved ones below `hi` were paired with it above.
                if mk < k && moved[mk] == lo {
                    mk += 1;
                    continue;
                }
                let u = cch.head[lo];
                while dv[q].0 < u {
                    q += 1;
                }
                triangle(lo, hi, dv[q].1 as usize, w);
            }
            work += (hi - arcs.start + q - q0) as u64;
        }
        if work > budget {
            stats.work = work;
            return false;
        }
    }
    stats.work = work;
    true
}

/// The weight of arc `a` from `x` up to `u` from scratch: its cheapest edge each way, then its
/// lower triangles through the common down-neighbours `z < x` of `x` and `u` (`col[z]`: the arc
/// `z – x`, [`NONE`] where `z` is no down-neighbour of `x`), as the full customization relaxes
/// them; and the down-neighbours of `u` it read.
fn arc_weight(
    cch: &Cch,
    weights: &[f64],
    w: &[ArcW],
    a: usize,
    x: u32,
    col: &[u32],
) -> (ArcW, u64) {
    let mut t = [f64::INFINITY; 2];
    for (dir, slot) in t.iter_mut().enumerate() {
        let d = 2 * a + dir;
        for &e in &cch.dir_edges[cch.dir_off[d] as usize..cch.dir_off[d + 1] as usize] {
            let c = weights[e as usize];
            if c < *slot {
                *slot = c;
            }
        }
    }
    let du = cch.downs(cch.head[a]);
    // Lowest first: the triangles' middles are the first ones, below `x`.
    let below = du.partition_point(|&(z, _)| z < x);
    for &(z, zua) in &du[..below] {
        let zxa = col[z as usize];
        if zxa == NONE {
            continue;
        }
        // Through `z`: up (x to u) is z – x down then z – u up; down the reverse.
        let [zx_up, zx_down] = w[zxa as usize];
        let [zu_up, zu_down] = w[zua as usize];
        let up = zx_down + zu_up;
        let down = zu_down + zx_up;
        if up < t[0] {
            t[0] = up;
        }
        if down < t[1] {
            t[1] = down;
        }
    }
    (t, below as u64)
}
