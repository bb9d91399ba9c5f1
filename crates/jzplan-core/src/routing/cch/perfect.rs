//! Perfect customization (Dibbelt, Strasser and Wagner, §5.2): after the lower triangles, the
//! arcs get their exact distances, and every arc direction whose customized weight is longer
//! than that distance is dropped from the queries.
//!
//! Nodes are taken from the top of the elimination tree down: for a node `x` and every pair of
//! its higher neighbours `a < b` (arc `a – b` exists: the upward graph is chordal), the
//! *intermediate* triangle relaxes `x – b` through `a` and the *upper* triangle relaxes `x – a`
//! through `b`, with the exact weights of `a – b` (a higher node's arc, final). One pass is
//! enough: a shortest `x → y` path is an up-down path `x ↑ a ... ↓ y` of customized arcs, all
//! of them but the first belonging to nodes higher than `x` (exact already) and the first
//! weighing at most its customized weight; arc `a – y` then closes the triangle that gives
//! `x → y` its distance. A node reads only the arcs of its ancestors and writes only its own,
//! so the nodes of one level run in parallel, like the lower triangles.
//!
//! Dropping an arc direction whose distance is shorter than its customized weight keeps every
//! query exact: a shortest path is an up-down path of arcs whose customized weights are the
//! lengths of its segments, which are shortest paths, so none of them is dropped. The customized
//! weights themselves are kept (the drops only leave directions out of the queries), so what a
//! route unpacks is unchanged.

use super::Cch;
use super::arcs::ArcW;
use rayon::prelude::*;

/// Levels with fewer arcs than this run on the calling thread.
const PARALLEL_ARCS: usize = 4_096;
/// Nodes with fewer intermediate and upper triangles than this run on one thread.
const SPLIT_TRIANGLES: u64 = 20_000;

/// Marks every arc direction of `w` (customized by the lower triangles) that is longer than
/// the distance between its ends: `[up, down]` per arc, `true` = to drop from the queries.
pub(crate) fn prune(cch: &Cch, w: &[ArcW]) -> Vec<[bool; 2]> {
    let mut exact: Vec<[f64; 2]> = w.to_vec();
    for l in (0..cch.level_count()).rev() {
        let (lo, hi) = (cch.level_arc[l] as usize, cch.level_arc[l + 1] as usize);
        let (mine, above) = exact[lo..].split_at_mut(hi - lo);
        let above: &[[f64; 2]] = above;
        let nodes = &cch.by_level[cch.level_off[l] as usize..cch.level_off[l + 1] as usize];
        let mut slices = Vec::with_capacity(nodes.len());
        let mut tail: &mut [[f64; 2]] = mine;
        for &x in nodes {
            let (a, b) = tail.split_at_mut(cch.count[x as usize] as usize);
            slices.push((x, a));
            tail = b;
        }
        if hi - lo >= PARALLEL_ARCS && nodes.len() > 1 {
            slices.into_par_iter().for_each(|(x, arcs)| {
                let d = arcs.len();
                relax_range(cch, hi, above, x, arcs, 0, d)
            });
        } else {
            for (x, arcs) in slices {
                relax_split(cch, hi, above, x, arcs);
            }
        }
    }
    let drop = |(a, e): (&ArcW, &[f64; 2])| [e[0] < a[0], e[1] < a[1]];
    if w.len() >= PARALLEL_ARCS {
        w.par_iter().zip(&exact).map(drop).collect()
    } else {
        w.iter().zip(&exact).map(drop).collect()
    }
}

/// Intermediate and upper triangles of the arcs of `x` (`arcs`, heads ascending, `[up,
/// down]`), for the pairs whose lower head is among `arcs[from..to]`; `above` holds the exact
/// weights of every arc from index `offset` on (the ancestors of `x`).
fn relax_range(
    cch: &Cch,
    offset: usize,
    above: &[[f64; 2]],
    x: u32,
    arcs: &mut [[f64; 2]],
    from: usize,
    to: usize,
) {
    let range = cch.arcs(x);
    let heads = &cch.head[range];
    for i in from..to {
        let a = heads[i];
        let ra = cch.arcs(a);
        let a_heads = &cch.head[ra.clone()];
        let a_w = &above[ra.start - offset..ra.end - offset];
        let (lower, higher) = arcs.split_at_mut(i + 1);
        let mut xa = lower[i];
        let mut k = 0;
        for (&b, xb) in heads[i + 1..].iter().zip(higher) {
            // The higher neighbours of `x` above `a` are higher neighbours of `a`.
            while a_heads[k] < b {
                k += 1;
            }
            debug_assert_eq!(a_heads[k], b);
            let ab = a_w[k];
            let old = *xb;
            // x → a → b and b → a → x.
            xb[0] = min(old[0], xa[0] + ab[0]);
            xb[1] = min(old[1], ab[1] + xa[1]);
            // x → b → a and a → b → x.
            xa[0] = min(xa[0], old[0] + ab[1]);
            xa[1] = min(xa[1], ab[0] + old[1]);
        }
        lower[i] = xa;
    }
}

/// All triangles of `x`, its higher neighbours cut into parts of about equal pairs relaxed in
/// parallel on copies of `arcs` and merged by minimum (one pass from the customized weights is
/// enough, see the module's comment, so the parts need not see each other's progress).
fn relax_split(cch: &Cch, offset: usize, above: &[[f64; 2]], x: u32, arcs: &mut [[f64; 2]]) {
    let d = arcs.len();
    let pairs = (d as u64) * (d as u64).saturating_sub(1) / 2;
    let parts = (2 * rayon::current_num_threads()).min(d);
    if pairs < SPLIT_TRIANGLES || parts <= 1 {
        relax_range(cch, offset, above, x, arcs, 0, d);
        return;
    }
    // Cut points with about `pairs / parts` pairs before each (index `i` has `d - 1 - i`).
    let mut cuts = vec![0usize];
    let mut acc = 0u64;
    for i in 0..d {
        acc += (d - 1 - i) as u64;
        if acc * parts as u64 >= pairs * cuts.len() as u64 && cuts.len() < parts {
            cuts.push(i + 1);
        }
    }
    cuts.push(d);
    let init: &[[f64; 2]] = arcs;
    let copies: Vec<Vec<[f64; 2]>> = cuts
        .par_windows(2)
        .map(|c| {
            let mut mine = init.to_vec();
            relax_range(cch, offset, above, x, &mut mine, c[0], c[1]);
            mine
        })
        .collect();
    for copy in copies {
        for (t, c) in arcs.iter_mut().zip(copy) {
            t[0] = t[0].min(c[0]);
            t[1] = t[1].min(c[1]);
        }
    }
}

/// The smaller of two weights (never NaN here: one plain comparison, no NaN handling).
#[inline(always)]
fn min(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}
