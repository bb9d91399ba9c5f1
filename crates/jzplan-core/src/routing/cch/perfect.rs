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
//! so the chains of the elimination tree run top first, each chain's nodes top first, and the
//! chains of one height (disjoint subtrees) in parallel, with no wait between levels.
//!
//! Each pair needs the exact weight of `a – b`. Walking the arcs of `a` to find `b` costs more
//! than the pair itself (on the 1M-edge grid, 1.6 arcs skipped per pair): the nodes of a chain
//! are therefore cut into blocks (`Blocks`) whose exact weights are also written as dense
//! rows, and `x` maps its heads to a block's columns once for all its pairs with a lower head
//! in that block.
//!
//! The *top step* (`Top`) is this step on the top of the elimination tree only, which every
//! customization runs: its nodes hold all their ancestors, so the same one pass, top first,
//! gives their arcs their exact distances.
//!
//! Dropping an arc direction whose distance is shorter than its customized weight keeps every
//! query exact: a shortest path is an up-down path of arcs whose customized weights are the
//! lengths of its segments, which are shortest paths, so none of them is dropped. The customized
//! weights themselves are kept (the drops only leave directions out of the queries), so what a
//! route unpacks is unchanged.

use super::arcs::ArcW;
use super::{Cch, NONE};
use rayon::prelude::*;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Groups of chains with fewer pairs of higher neighbours than this run on the calling thread.
const PARALLEL_PAIRS: u64 = 20_000;
/// Nodes with fewer intermediate and upper triangles than this run on one thread.
const SPLIT_TRIANGLES: u64 = 20_000;
/// Arcs from which the weights are copied in parallel.
const PARALLEL_ARCS: usize = 4_096;

/// Marks every arc direction of `w` (customized by the lower triangles) that is longer than
/// the distance between its ends: `[up, down]` per arc, `true` = to drop from the queries.
/// With `top`, only the arcs of its nodes are marked (see [`Top`]).
pub(crate) fn prune(cch: &Cch, w: &[ArcW], top: Option<&Top>) -> Vec<[bool; 2]> {
    let exact = exact(cch, w, top, BLOCK_NODES, SPLIT_TRIANGLES);
    let drop = |e: ArcW, a: &ArcW| [e[0] < a[0], e[1] < a[1]];
    let Some(top) = top else {
        let drop = |(i, a): (usize, &ArcW)| drop(exact.get(i), a);
        return if w.len() >= PARALLEL_ARCS {
            w.par_iter().enumerate().map(drop).collect()
        } else {
            w.iter().enumerate().map(drop).collect()
        };
    };
    let mut marks = vec![[false; 2]; w.len()];
    for (i, j) in top.each_arc(cch) {
        marks[i] = drop(exact.get(j), &w[i]);
    }
    marks
}

/// The exact weight of every arc: the distances between their ends, from the weights `w` of
/// the lower triangles; chains cut into blocks of `block_nodes`, nodes with `split_pairs`
/// pairs or more split between the threads. With `top`, the distances of its arcs through
/// its nodes (the others keep their weights in `w`).
#[cfg(test)]
pub(crate) fn distances(
    cch: &Cch,
    w: &[ArcW],
    top: Option<&Top>,
    block_nodes: usize,
    split_pairs: u64,
) -> Vec<ArcW> {
    let exact = exact(cch, w, top, block_nodes, split_pairs);
    let Some(top) = top else {
        return (0..w.len()).map(|i| exact.get(i)).collect();
    };
    let mut out = w.to_vec();
    for (i, j) in top.each_arc(cch) {
        out[i] = exact.get(j);
    }
    out
}

/// The share of a hierarchy's lower triangles that the pairs of its [`Top`] may reach: what
/// every customization adds to its lower-triangle step (measured: docs/performance.md, CCH
/// "Fourteenth round").
pub(crate) const TOP_SHARE: f64 = 0.35;

/// The top of the elimination tree: the nodes with the largest subtrees, as many as keep
/// their pairs of higher neighbours within a share of the hierarchy's lower triangles. Every
/// customization runs the perfect step on the top alone (the *top step*): a node's higher
/// neighbours are its ancestors, whose subtrees are larger, so the top holds them all and its
/// arcs get their exact distances, as in the full step. Every query walks the ancestors of
/// its two ends, and the top is what they share: on the 1M-edge grid its 1,509 nodes of
/// 250,000 (a third of the pairs) give a query 61 % of what the full step saves it (arc
/// directions relaxed: 283,000 without, 190,000 with the top step, 129,000 with the full one).
#[derive(Debug, Default)]
pub(crate) struct Top {
    /// Where the arcs of each rank of the top start among the top's arcs; [`NONE`] below it.
    start: Vec<u32>,
    /// The top's nodes and arcs.
    nodes: usize,
    arcs: usize,
}

impl Top {
    /// The top whose pairs are at most `share` of the lower triangles of `cch`. Nodes are taken
    /// by decreasing subtree size, a whole group of one size at a time (so that ties do not
    /// depend on the sort); an ancestor's subtree is larger, so it is taken before its
    /// descendants.
    pub(crate) fn build(cch: &Cch, share: f64) -> Top {
        let n = cch.rank.len();
        let mut size = vec![1u64; n];
        for r in 0..n {
            let p = cch.parent[r];
            if p != NONE {
                size[p as usize] += size[r];
            }
        }
        let budget = (share * cch.triangle_count() as f64) as u64;
        let mut by: Vec<u32> = (0..n as u32).collect();
        by.sort_unstable_by_key(|&x| std::cmp::Reverse(size[x as usize]));
        let (mut taken, mut used) = (0, 0u64);
        while taken < n {
            let s = size[by[taken] as usize];
            let group = by[taken..].partition_point(|&x| size[x as usize] == s);
            let p: u64 = by[taken..taken + group]
                .iter()
                .map(|&x| pairs(cch, x))
                .sum();
            if used + p > budget {
                break;
            }
            used += p;
            taken += group;
        }
        by.truncate(taken);
        by.sort_unstable();
        let mut start = vec![NONE; n];
        let mut arcs = 0usize;
        for &x in &by {
            start[x as usize] = arcs as u32;
            arcs += cch.count[x as usize] as usize;
        }
        Top {
            start,
            nodes: taken,
            arcs,
        }
    }

    /// The arcs of the top, by rank: each one's index among all the arcs and among the top's.
    fn each_arc<'a>(&'a self, cch: &'a Cch) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.start
            .iter()
            .enumerate()
            .filter(|&(_, &start)| start != NONE)
            .flat_map(move |(x, &start)| {
                cch.arcs(x as u32)
                    .enumerate()
                    .map(move |(k, i)| (i, start as usize + k))
            })
    }

    /// Whether rank `r` is in the top.
    #[inline]
    pub(crate) fn contains(&self, r: usize) -> bool {
        self.start.get(r).is_some_and(|&s| s != NONE)
    }

    /// The top's nodes and arcs.
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.nodes, self.arcs)
    }

    /// Heap bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        4 * self.start.len()
    }
}

/// The pairs of higher neighbours of rank `x`: the triangles its perfect step relaxes.
fn pairs(cch: &Cch, x: u32) -> u64 {
    let d = u64::from(cch.count[x as usize]);
    d * d.saturating_sub(1) / 2
}

/// The exact weights (see `distances`) of all arcs, or with `top` of its arcs only (laid out
/// as it says).
fn exact(cch: &Cch, w: &[ArcW], top: Option<&Top>, block_nodes: usize, split_pairs: u64) -> Shared {
    let blocks = Blocks::build(cch, block_nodes);
    let (start, exact) = match top {
        None => (&cch.begin, Shared::from(w)),
        Some(t) => (&t.start, Shared::of_top(cch, t, w)),
    };
    let ctx = Ctx {
        cch,
        blocks: &blocks,
        split_pairs,
        start,
        exact,
        rows: (0..cch.rank.len()).map(|_| OnceLock::new()).collect(),
    };
    let ch = &cch.chains;
    for g in (0..ch.groups()).rev() {
        let chains = ch.group(g);
        let pairs: u64 = chains
            .iter()
            .flat_map(|&c| ch.chain(c))
            .filter(|&&x| start[x as usize] != NONE)
            .map(|&x| pairs(cch, x))
            .sum();
        if pairs >= PARALLEL_PAIRS && chains.len() > 1 {
            chains
                .par_iter()
                .for_each_init(Scratch::default, |s, &c| relax_chain(&ctx, ch.chain(c), s));
        } else {
            let mut s = Scratch::default();
            for &c in chains {
                relax_chain(&ctx, ch.chain(c), &mut s);
            }
        }
    }
    ctx.exact
}

/// Weights shared by the tasks, two per arc, as bits: an entry is written only by the task of
/// its arc's lower node, and read only by the tasks of nodes below it, which start after that
/// task has ended (the chains below wait for the group above; a chain's nodes run top first).
struct Shared(Vec<[AtomicU64; 2]>);

impl Shared {
    fn from(w: &[ArcW]) -> Shared {
        let bits = |a: &ArcW| a.map(|x| AtomicU64::new(x.to_bits()));
        Shared(if w.len() >= PARALLEL_ARCS {
            w.par_iter().map(bits).collect()
        } else {
            w.iter().map(bits).collect()
        })
    }

    /// The weights of the arcs of `top`'s nodes, laid out as it says.
    fn of_top(cch: &Cch, top: &Top, w: &[ArcW]) -> Shared {
        let bits = |(i, _): (usize, usize)| w[i].map(|x| AtomicU64::new(x.to_bits()));
        Shared(top.each_arc(cch).map(bits).collect())
    }

    #[inline(always)]
    fn get(&self, i: usize) -> ArcW {
        let [u, d] = &self.0[i];
        [
            f64::from_bits(u.load(Relaxed)),
            f64::from_bits(d.load(Relaxed)),
        ]
    }

    #[inline(always)]
    fn set(&self, i: usize, a: ArcW) {
        let [u, d] = &self.0[i];
        u.store(a[0].to_bits(), Relaxed);
        d.store(a[1].to_bits(), Relaxed);
    }
}

/// A task's buffers: the arcs of the node being relaxed and the columns of its heads.
#[derive(Default)]
struct Scratch {
    arcs: Vec<ArcW>,
    colx: Vec<u32>,
}

/// Relaxes the nodes of one chain, top first, and publishes their exact weights.
fn relax_chain(ctx: &Ctx, chain: &[u32], s: &mut Scratch) {
    let cch = ctx.cch;
    for &x in chain.iter().rev() {
        let start = ctx.start[x as usize];
        if start == NONE {
            // Below the top (the nodes below it in the chain are too).
            break;
        }
        let range = start as usize..start as usize + cch.count[x as usize] as usize;
        s.arcs.clear();
        s.arcs.extend(range.clone().map(|i| ctx.exact.get(i)));
        relax_split(ctx, x, &mut s.arcs, &mut s.colx);
        for (i, &a) in range.zip(&s.arcs) {
            ctx.exact.set(i, a);
        }
        if let Some(row) = ctx.blocks.row(cch, x, &s.arcs) {
            let _ = ctx.rows[x as usize].set(row);
        }
    }
}

/// Most nodes a block of a chain holds.
const BLOCK_NODES: usize = 256;

/// Chains cut into blocks of consecutive nodes, whose exact weights are kept as dense rows
/// over the block's columns (its nodes, then the upward neighbours of its top, which hold
/// those of all its nodes, by the fill): a lower node `x` looks its triangles' third arcs up
/// by column, having mapped its heads to the block's columns once, instead of walking the
/// arcs of every higher neighbour it has in the block.
struct Blocks {
    /// The top node of each rank's block ([`NONE`]: a block of one node, which keeps no row).
    top: Vec<u32>,
    /// Each rank's place in its block (0: the lowest).
    pos: Vec<u32>,
}

impl Blocks {
    fn build(cch: &Cch, block_nodes: usize) -> Blocks {
        let n = cch.rank.len();
        let mut top = vec![NONE; n];
        let mut pos = vec![0u32; n];
        for chain in cch.chains.each() {
            for block in chain.chunks(block_nodes) {
                if block.len() < 2 {
                    continue;
                }
                let t = block[block.len() - 1];
                for (i, &u) in block.iter().enumerate() {
                    top[u as usize] = t;
                    pos[u as usize] = i as u32;
                }
            }
        }
        Blocks { top, pos }
    }

    /// The length of the row of rank `x`: the columns above it in its block.
    fn row_len(&self, cch: &Cch, x: u32) -> usize {
        let t = self.top[x as usize];
        if t == NONE {
            return 0;
        }
        (self.pos[t as usize] - self.pos[x as usize]) as usize + cch.count[t as usize] as usize
    }

    /// The row of rank `x` with its exact weights `arcs` (`None`: a block of one node).
    fn row(&self, cch: &Cch, x: u32, arcs: &[ArcW]) -> Option<Box<[ArcW]>> {
        let t = self.top[x as usize];
        if t == NONE {
            return None;
        }
        let mut row = vec![[f64::INFINITY; 2]; self.row_len(cch, x)].into_boxed_slice();
        let base = self.pos[x as usize] + 1;
        for (c, &a) in self.columns(cch, t, &cch.head[cch.arcs(x)]).zip(arcs) {
            row[(c - base) as usize] = a;
        }
        Some(row)
    }

    /// The columns of `heads` (ascending, all in the block of top `t` or among the upward
    /// neighbours of `t`) in that block: its nodes by place, then the upward neighbours of the
    /// top, found by walking the top's arcs once.
    fn columns<'a>(
        &'a self,
        cch: &'a Cch,
        t: u32,
        heads: &'a [u32],
    ) -> impl Iterator<Item = u32> + 'a {
        let k = self.pos[t as usize] + 1;
        let th = &cch.head[cch.arcs(t)];
        let mut p = 0;
        heads.iter().map(move |&h| {
            if h <= t {
                self.pos[h as usize]
            } else {
                while th[p] < h {
                    p += 1;
                }
                k + p as u32
            }
        })
    }
}

/// What the tasks share: the exact weights of the arcs, by arc (as `start` lays them out) and
/// as the blocks' rows (by rank, each set once, by its node's task, before any task that reads
/// it starts).
struct Ctx<'a> {
    cch: &'a Cch,
    blocks: &'a Blocks,
    /// Nodes with this many pairs or more are split between the threads.
    split_pairs: u64,
    /// Where the arcs of each rank start in `exact` ([`NONE`]: not relaxed).
    start: &'a [u32],
    exact: Shared,
    rows: Vec<OnceLock<Box<[ArcW]>>>,
}

/// Intermediate and upper triangles of the arcs of `x` (`arcs`, heads ascending, `[up,
/// down]`), for the pairs whose lower head is among `arcs[from..to]`; `colx` is a buffer for
/// the columns of `x`'s heads in a block.
fn relax_range(
    ctx: &Ctx,
    x: u32,
    arcs: &mut [[f64; 2]],
    from: usize,
    to: usize,
    colx: &mut Vec<u32>,
) {
    let cch = ctx.cch;
    let blocks = ctx.blocks;
    let heads = &cch.head[cch.arcs(x)];
    let mut cur = NONE;
    let mut base = 0;
    for i in from..to {
        let a = heads[i];
        let t = blocks.top[a as usize];
        let (lower, higher) = arcs.split_at_mut(i + 1);
        let mut xa = lower[i];
        // A node of a block of several has its row (it is higher than `x`: its task has
        // ended); the others are read from their arcs.
        match ctx.rows[a as usize].get() {
            None => {
                let at = ctx.start[a as usize] as usize;
                let a_heads = &cch.head[cch.arcs(a)];
                let mut k = 0;
                let mut ab = |b: u32| {
                    // The higher neighbours of `x` above `a` are higher neighbours of `a`.
                    while a_heads[k] < b {
                        k += 1;
                    }
                    debug_assert_eq!(a_heads[k], b);
                    ctx.exact.get(at + k)
                };
                xa = relax_all(xa, heads[i + 1..].iter().map(|&b| ab(b)), higher);
            }
            Some(row) => {
                if t != cur {
                    // The columns of the heads of `x` from `a` on in `a`'s block.
                    cur = t;
                    base = i;
                    colx.clear();
                    colx.extend(blocks.columns(cch, t, &heads[i..]));
                }
                let first = blocks.pos[a as usize] + 1;
                let ab = colx[i + 1 - base..]
                    .iter()
                    .map(|&c| row[(c - first) as usize]);
                xa = relax_all(xa, ab, higher);
            }
        }
        lower[i] = xa;
    }
}

/// The triangles `x – a – b` for the higher neighbours `b` of `x` above `a`: `xb` their arcs
/// from `x`, `ab` their exact arcs from `a`. Returns the new weight of `x – a`.
///
/// The intermediate triangles use the weight `xa` had before, and the upper ones the weights
/// `x – b` had before, not what the pairs before them lowered them to: the one-pass argument
/// (see the module) needs only the customized weights of the first arcs, and every weight
/// here is one or lower (and still a path's length). This keeps the pairs independent of
/// each other: the minimum over the upper triangles is kept in two halves, so that one
/// comparison does not wait for the one before it.
#[inline(always)]
fn relax_all(xa: ArcW, ab: impl Iterator<Item = ArcW>, xbs: &mut [ArcW]) -> ArcW {
    let (mut acc, mut other) = (xa, xa);
    for (ab, xb) in ab.zip(xbs) {
        let old = *xb;
        // x → a → b and b → a → x.
        xb[0] = min(old[0], xa[0] + ab[0]);
        xb[1] = min(old[1], ab[1] + xa[1]);
        // x → b → a and a → b → x.
        acc[0] = min(acc[0], old[0] + ab[1]);
        acc[1] = min(acc[1], ab[0] + old[1]);
        std::mem::swap(&mut acc, &mut other);
    }
    [min(acc[0], other[0]), min(acc[1], other[1])]
}

/// All triangles of `x`, its higher neighbours cut into parts of about equal pairs relaxed in
/// parallel on copies of `arcs` and merged by minimum (one pass from the customized weights is
/// enough, see the module's comment, so the parts need not see each other's progress).
fn relax_split(ctx: &Ctx, x: u32, arcs: &mut [[f64; 2]], colx: &mut Vec<u32>) {
    let d = arcs.len();
    let pairs = (d as u64) * (d as u64).saturating_sub(1) / 2;
    let parts = (2 * rayon::current_num_threads()).min(d);
    if pairs < ctx.split_pairs || parts <= 1 {
        relax_range(ctx, x, arcs, 0, d, colx);
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
            relax_range(ctx, x, &mut mine, c[0], c[1], &mut Vec::new());
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
