//! The lower-triangle step of the customization, by chains of the elimination tree.
//!
//! A *chain* is a maximal path of the elimination tree whose nodes (but its lowest) have one
//! child each: the separators of the nested dissection. Chains whose subtrees are disjoint are
//! independent; they are processed in parallel, grouped by their height in the tree of chains
//! (a chain only waits for the chains hanging below it). Within a chain, consecutive nodes
//! `c_0 < … < c_{k-1}` are relaxed as a *block*: every lower node `x` under the block is read
//! once for all the block's nodes it is adjacent to (instead of once per node), the triangles
//! writing into a small dense matrix (block node × the block's upward neighbours) that stays in
//! the cache, then merged into the arcs by minimum. The minimum of the same sums, taken in
//! another order, is the same, so the weights are exactly those of the node-by-node loop.

use super::arcs::ArcW;
use super::{Cch, NONE};
use rayon::prelude::*;

/// Groups of chains with fewer lower triangles than this are relaxed on the calling thread.
const PARALLEL_TRIANGLES: u64 = 20_000;
/// Groups of fewer chains than this split the rows of each block's matrix between the threads.
const SPLIT_BELOW: usize = 2;
/// Entries of a block's matrix (16 bytes each): the block grows while it fits.
const BLOCK_ENTRIES: usize = 16_384;

/// The chains of an elimination tree, grouped by height: built once per network (in
/// [`Cch::from_order`]), read by every customization.
#[derive(Debug, Default)]
pub(crate) struct Chains {
    /// The nodes of chain `c`, bottom first: `nodes[off[c]..off[c + 1]]`.
    nodes: Vec<u32>,
    off: Vec<u32>,
    /// The chains of height `g` (0: nothing below): `by_height[group_off[g]..group_off[g + 1]]`,
    /// and the lower triangles of their nodes (the group's work).
    by_height: Vec<u32>,
    group_off: Vec<u32>,
    group_work: Vec<u64>,
    /// For each rank, where its arcs start among those of its chain's nodes (in chain order).
    at: Vec<u32>,
}

impl Chains {
    /// Cuts the elimination tree of `cch` into chains and groups them by height.
    pub(crate) fn build(cch: &Cch) -> Chains {
        let n = cch.rank.len();
        let mut kids = vec![0u32; n];
        for r in 0..n as u32 {
            let p = cch.parent(r);
            if p != NONE {
                kids[p as usize] += 1;
            }
        }
        // Chains, bottom node first, and their height (0: nothing below).
        let mut nodes = Vec::with_capacity(n);
        let mut off = vec![0u32];
        let mut height = Vec::new();
        let mut need = vec![0u32; n];
        let mut at = vec![0u32; n];
        for &b in &cch.by_level {
            if kids[b as usize] == 1 {
                continue;
            }
            let h = need[b as usize];
            let mut u = b;
            let mut arcs = 0;
            loop {
                nodes.push(u);
                at[u as usize] = arcs;
                arcs += cch.count[u as usize];
                let p = cch.parent(u);
                if p == NONE {
                    break;
                }
                if kids[p as usize] != 1 {
                    need[p as usize] = need[p as usize].max(h + 1);
                    break;
                }
                u = p;
            }
            off.push(nodes.len() as u32);
            height.push(h);
        }
        let (group_off, by_height) = super::group_by_key(&height);
        let mut group_work = vec![0u64; group_off.len() - 1];
        for (c, &h) in height.iter().enumerate() {
            group_work[h as usize] += nodes[off[c] as usize..off[c + 1] as usize]
                .iter()
                .map(|&u| cch.tri[u as usize])
                .sum::<u64>();
        }
        Chains {
            nodes,
            off,
            by_height,
            group_off,
            group_work,
            at,
        }
    }

    /// The nodes of chain `c`, bottom first.
    pub(crate) fn chain(&self, c: u32) -> &[u32] {
        &self.nodes[self.off[c as usize] as usize..self.off[c as usize + 1] as usize]
    }

    /// The arcs of the nodes of chain `c`.
    fn arc_len(&self, cch: &Cch, c: u32) -> usize {
        let top = self.nodes[self.off[c as usize + 1] as usize - 1] as usize;
        (self.at[top] + cch.count[top]) as usize
    }

    /// Every chain's nodes, bottom first.
    pub(crate) fn each(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.off
            .windows(2)
            .map(|o| &self.nodes[o[0] as usize..o[1] as usize])
    }

    /// The chains of height `g`.
    pub(crate) fn group(&self, g: usize) -> &[u32] {
        &self.by_height[self.group_off[g] as usize..self.group_off[g + 1] as usize]
    }

    /// Number of groups (heights of the tree of chains).
    pub(crate) fn groups(&self) -> usize {
        self.group_work.len()
    }

    /// Heap bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        4 * (self.nodes.len()
            + self.off.len()
            + self.by_height.len()
            + self.group_off.len()
            + self.at.len())
            + 8 * self.group_work.len()
    }
}

/// The arcs a chain reads: its own nodes' (being relaxed, in `out`, where
/// [`Chains`]`::at` says), or final ones in `w`.
struct View<'a> {
    cch: &'a Cch,
    w: &'a [ArcW],
    /// The chain's lowest node: the chain's nodes are the ranks from it on that it reads.
    c0: u32,
}

impl View<'_> {
    /// The arcs of rank `x`, a node of the chain or below it.
    #[inline]
    fn arcs<'b>(&'b self, out: &'b [ArcW], x: u32) -> &'b [ArcW] {
        if x >= self.c0 {
            let s = self.cch.chains.at[x as usize] as usize;
            &out[s..s + self.cch.count[x as usize] as usize]
        } else {
            &self.w[self.cch.arcs(x)]
        }
    }
}

/// Relaxes every lower triangle of `cch` into `w` (the arcs' first weights).
pub(crate) fn relax_all(cch: &Cch, w: &mut [ArcW]) {
    let ch = &cch.chains;
    // The arcs of the chains being relaxed, in chain order (one buffer for the whole
    // customization).
    let mut buf: Vec<ArcW> = Vec::new();
    for g in 0..ch.groups() {
        let chains = &ch.by_height[ch.group_off[g] as usize..ch.group_off[g + 1] as usize];
        if ch.group_work[g] < PARALLEL_TRIANGLES {
            // Each chain's arcs written back before the next one is relaxed.
            for &c in chains {
                let len = ch.arc_len(cch, c);
                if buf.len() < len {
                    buf.resize(len, [f64::INFINITY; 2]);
                }
                relax_chain(cch, w, ch.chain(c), false, &mut buf[..len]);
                write_back(cch, w, ch.chain(c), &buf[..len]);
            }
        } else {
            let split = chains.len() < SPLIT_BELOW;
            let total: usize = chains.iter().map(|&c| ch.arc_len(cch, c)).sum();
            if buf.len() < total {
                buf.resize(total, [f64::INFINITY; 2]);
            }
            let mut parts = Vec::with_capacity(chains.len());
            let mut rest = &mut buf[..total];
            for &c in chains {
                let (mine, more) = rest.split_at_mut(ch.arc_len(cch, c));
                parts.push((c, mine));
                rest = more;
            }
            let done: &[ArcW] = w;
            parts
                .into_par_iter()
                .for_each(|(c, out)| relax_chain(cch, done, ch.chain(c), split, out));
            let mut o = 0;
            for &c in chains {
                let len = ch.arc_len(cch, c);
                write_back(cch, w, ch.chain(c), &buf[o..o + len]);
                o += len;
            }
        }
    }
}

/// Copies the arcs of `chain`'s nodes (in chain order in `out`) into `w`.
fn write_back(cch: &Cch, w: &mut [ArcW], chain: &[u32], out: &[ArcW]) {
    let mut o = 0;
    for &u in chain {
        let r = cch.arcs(u);
        let len = r.len();
        w[r].copy_from_slice(&out[o..o + len]);
        o += len;
    }
}

/// A thread's buffers for the blocks of a chain: the block's columns and its lower nodes.
#[derive(Default)]
struct BlockScratch {
    cols: Vec<u32>,
    xs: Vec<(u32, u32)>,
}

/// A thread's buffers for a block's matrix: the rank-to-column map (all [`NONE`] between
/// uses), the matrix and an index buffer.
#[derive(Default)]
struct MatrixScratch {
    col: Vec<u32>,
    m: Vec<ArcW>,
    buf: Vec<u32>,
}

thread_local! {
    static BLOCKS: std::cell::Cell<BlockScratch> = const {
        std::cell::Cell::new(BlockScratch {
            cols: Vec::new(),
            xs: Vec::new(),
        })
    };
    static MATRIX: std::cell::Cell<MatrixScratch> = const {
        std::cell::Cell::new(MatrixScratch {
            col: Vec::new(),
            m: Vec::new(),
            buf: Vec::new(),
        })
    };
}

/// Runs `f` with this thread's block buffers. They are taken out while `f` runs, so a task
/// that rayon runs on this thread meanwhile finds none and makes its own.
fn with_blocks<T>(f: impl FnOnce(&mut BlockScratch) -> T) -> T {
    let mut s = BLOCKS.take();
    let r = f(&mut s);
    BLOCKS.set(s);
    r
}

/// Runs `f` with this thread's matrix buffers, the map covering `n` ranks (taken out while `f`
/// runs, like [`with_blocks`]).
fn with_matrix<T>(n: usize, f: impl FnOnce(&mut [u32], &mut Vec<ArcW>, &mut Vec<u32>) -> T) -> T {
    let mut s = MATRIX.take();
    if s.col.len() < n {
        s.col.resize(n, NONE);
    }
    let r = f(&mut s.col[..n], &mut s.m, &mut s.buf);
    MATRIX.set(s);
    r
}

/// Relaxes the nodes of one chain (bottom first), block by block, into `out` (their arcs, in
/// chain order, first copied from `w`).
fn relax_chain(cch: &Cch, w: &[ArcW], chain: &[u32], split: bool, out: &mut [ArcW]) {
    let mut o = 0;
    for &u in chain {
        let r = cch.arcs(u);
        let len = r.len();
        out[o..o + len].copy_from_slice(&w[r]);
        o += len;
    }
    let view = View {
        cch,
        w,
        c0: chain[0],
    };
    with_blocks(|s| {
        let mut b = 0;
        while b < chain.len() {
            // The block c_0..c_{k-1}: its columns are its nodes and the upward neighbours of
            // its top (which hold those of all its nodes, by the fill).
            let mut k = 1;
            while b + k < chain.len() {
                let top = chain[b + k] as usize;
                if (k + 1) * (k + 1 + cch.count[top] as usize) > BLOCK_ENTRIES {
                    break;
                }
                k += 1;
            }
            relax_block(&view, out, &chain[b..b + k], split, s);
            b += k;
        }
    });
}

/// Lower nodes under `block` (not in it), each with its first arc into the block, into `xs`.
fn outside(cch: &Cch, block: &[u32], xs: &mut Vec<(u32, u32)>) {
    let c0 = block[0];
    xs.clear();
    for &c in block {
        for &(x, xu) in cch.downs(c) {
            // x's upward neighbours from c_0 on are c_0's ancestors: the block's nodes first.
            if x < c0 && (xu == cch.begin[x as usize] || cch.head[xu as usize - 1] < c0) {
                xs.push((x, xu));
            }
        }
    }
}

fn relax_block(view: &View, out: &mut [ArcW], block: &[u32], split: bool, s: &mut BlockScratch) {
    let cch = view.cch;
    let n = cch.rank.len();
    let k = block.len();
    let top = block[k - 1];
    let cols = &mut s.cols;
    cols.clear();
    cols.extend_from_slice(block);
    cols.extend_from_slice(&cch.head[cch.arcs(top)]);
    let cols: &[u32] = cols;
    let a = cols.len();
    outside(cch, block, &mut s.xs);
    let xs: &[(u32, u32)] = &s.xs;
    let parts = if split {
        let work: u64 = xs
            .iter()
            .map(|&(x, xu)| u64::from(cch.begin[x as usize] + cch.count[x as usize] - xu))
            .sum();
        if work >= PARALLEL_TRIANGLES {
            (2 * rayon::current_num_threads()).min(k)
        } else {
            1
        }
    } else {
        1
    };
    let set = |col: &mut [u32], on: bool| {
        for (i, &c) in cols.iter().enumerate() {
            col[c as usize] = if on { i as u32 } else { NONE };
        }
    };
    with_matrix(n, |col, m, buf| {
        set(col, true);
        m.clear();
        m.resize(k * a, [f64::INFINITY; 2]);
        if parts <= 1 {
            lower(view, xs, m, 0..k, a, col, buf, out);
        } else {
            // The block's rows (its nodes) cut into parts of about equal work (row `i` meets
            // up to `a - i - 1` columns), each part reading every lower node but relaxing only
            // into its own rows: no matrix per part, nothing to merge.
            let total: usize = (0..k).map(|i| a - i).sum();
            let mut cuts = vec![0];
            let mut acc = 0;
            for i in 0..k {
                acc += a - i;
                if acc * parts >= total * cuts.len() && cuts.len() < parts {
                    cuts.push(i + 1);
                }
            }
            if *cuts.last().unwrap_or(&0) != k {
                cuts.push(k);
            }
            let mut pieces = Vec::with_capacity(parts);
            let mut rest: &mut [ArcW] = m;
            for c in cuts.windows(2) {
                let (mine, more) = rest.split_at_mut((c[1] - c[0]) * a);
                pieces.push((c[0]..c[1], mine));
                rest = more;
            }
            let col: &[u32] = col;
            let done: &[ArcW] = out;
            pieces.into_par_iter().for_each(|(rows, m)| {
                let mut buf = Vec::new();
                lower(view, xs, m, rows, a, col, &mut buf, done);
            });
        }
        finish(view, out, block, a, m, col);
        set(col, false);
    });
}

/// The triangles through the lower nodes `xs` outside the block into the matrix rows `rows`
/// (`m` holds just those rows, `a` columns each; `col` maps a rank to its column).
#[allow(clippy::too_many_arguments)]
fn lower(
    view: &View,
    xs: &[(u32, u32)],
    m: &mut [ArcW],
    rows: std::ops::Range<usize>,
    a: usize,
    col: &[u32],
    buf: &mut Vec<u32>,
    done: &[ArcW],
) {
    let cch = view.cch;
    for &(x, xu) in xs {
        let xa = view.arcs(done, x);
        let from = (xu - cch.begin[x as usize]) as usize;
        let heads = &cch.head[cch.arcs(x)][from..];
        let xa = &xa[from..];
        buf.clear();
        buf.extend(heads.iter().map(|&h| col[h as usize]));
        // The block's nodes come first among the heads, in row order.
        for (j, &r) in buf.iter().enumerate() {
            let r = r as usize;
            if r >= rows.end {
                break;
            }
            if r < rows.start {
                continue;
            }
            let [xu_up, xu_down] = xa[j];
            if xu_up == f64::INFINITY && xu_down == f64::INFINITY {
                continue;
            }
            let r = r - rows.start;
            let row = &mut m[r * a..(r + 1) * a];
            for (&cv, &[xv_up, xv_down]) in buf[j + 1..].iter().zip(&xa[j + 1..]) {
                let t = &mut row[cv as usize];
                let up = xu_down + xv_up;
                let down = xv_down + xu_up;
                t[0] = if up < t[0] { up } else { t[0] };
                t[1] = if down < t[1] { down } else { t[1] };
            }
        }
    }
}

/// Then node by node: the triangles through the block's lower nodes (final by then), and the
/// merge of the matrix `m` (block node × column, `col` maps a rank to its column) into the arcs.
fn finish(view: &View, out: &mut [ArcW], block: &[u32], a: usize, m: &mut [ArcW], col: &[u32]) {
    let cch = view.cch;
    {
        let c0 = block[0];
        for (i, &u) in block.iter().enumerate() {
            let row = &mut m[i * a..(i + 1) * a];
            for &(x, xu) in cch.downs(u) {
                if x < c0 {
                    continue;
                }
                let xa = view.arcs(out, x);
                let from = (xu - cch.begin[x as usize]) as usize;
                let heads = &cch.head[cch.arcs(x)][from..];
                let [xu_up, xu_down] = xa[from];
                for (&v, &[xv_up, xv_down]) in heads[1..].iter().zip(&xa[from + 1..]) {
                    let t = &mut row[col[v as usize] as usize];
                    let up = xu_down + xv_up;
                    let down = xv_down + xu_up;
                    t[0] = if up < t[0] { up } else { t[0] };
                    t[1] = if down < t[1] { down } else { t[1] };
                }
            }
            let at = cch.chains.at[u as usize] as usize;
            let mine = &mut out[at..at + cch.count[u as usize] as usize];
            for (t, &h) in mine.iter_mut().zip(&cch.head[cch.arcs(u)]) {
                let c = row[col[h as usize] as usize];
                t[0] = t[0].min(c[0]);
                t[1] = t[1].min(c[1]);
            }
        }
    }
}
