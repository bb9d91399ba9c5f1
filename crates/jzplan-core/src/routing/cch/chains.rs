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
/// Groups of fewer chains than this split each block's lower nodes between the threads.
const SPLIT_BELOW: usize = 2;
/// Entries of a block's matrix (16 bytes each): the block grows while it fits.
const BLOCK_ENTRIES: usize = 16_384;

/// The arcs a chain reads: its own nodes' (being relaxed, in `out`), or final ones in `w`.
struct View<'a> {
    cch: &'a Cch,
    w: &'a [ArcW],
    /// The chain, ascending ranks, and where each node's arcs are in `out`.
    chain: &'a [u32],
    at: &'a [usize],
}

impl View<'_> {
    /// The arcs of rank `x`, a node of the chain or below it.
    fn arcs<'b>(&'b self, out: &'b [ArcW], x: u32) -> &'b [ArcW] {
        if x >= self.chain[0] {
            let i = self.chain.binary_search(&x).expect("a node of the chain");
            &out[self.at[i]..self.at[i + 1]]
        } else {
            &self.w[self.cch.arcs(x)]
        }
    }
}

/// Relaxes every lower triangle of `cch` into `w` (the arcs' first weights).
pub(crate) fn relax_all(cch: &Cch, w: &mut [ArcW]) {
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
    for &b in &cch.by_level {
        if kids[b as usize] == 1 {
            continue;
        }
        let h = need[b as usize];
        let mut u = b;
        loop {
            nodes.push(u);
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
    let heights = height.iter().map(|&h| h as usize + 1).max().unwrap_or(0);
    let mut group_off = vec![0usize; heights + 1];
    for &h in &height {
        group_off[h as usize + 1] += 1;
    }
    for i in 0..heights {
        group_off[i + 1] += group_off[i];
    }
    let mut cur = group_off.clone();
    let mut by_height = vec![0u32; height.len()];
    for (c, &h) in height.iter().enumerate() {
        by_height[cur[h as usize]] = c as u32;
        cur[h as usize] += 1;
    }
    let chain = |c: u32| &nodes[off[c as usize] as usize..off[c as usize + 1] as usize];
    for g in 0..heights {
        let chains = &by_height[group_off[g]..group_off[g + 1]];
        let work: u64 = chains
            .iter()
            .flat_map(|&c| chain(c))
            .map(|&u| cch.tri[u as usize])
            .sum();
        if work < PARALLEL_TRIANGLES {
            // One buffer for all, each chain's arcs written back before the next reads them.
            let (mut out, mut at) = (Vec::new(), Vec::new());
            for &c in chains {
                relax_chain(cch, w, chain(c), false, &mut out, &mut at);
                write_back(cch, w, chain(c), &out);
            }
        } else {
            let split = chains.len() < SPLIT_BELOW;
            let done: &[ArcW] = w;
            let outs: Vec<Vec<ArcW>> = chains
                .par_iter()
                .map(|&c| {
                    let (mut out, mut at) = (Vec::new(), Vec::new());
                    relax_chain(cch, done, chain(c), split, &mut out, &mut at);
                    out
                })
                .collect();
            for (&c, out) in chains.iter().zip(outs) {
                write_back(cch, w, chain(c), &out);
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

thread_local! {
    static SCRATCH: std::cell::RefCell<(Vec<u32>, Vec<ArcW>, Vec<u32>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new(), Vec::new())) };
}

/// Runs `f` with this thread's rank-to-column map (`n` entries, all [`NONE`] before and after),
/// a matrix buffer and an index buffer.
fn with_scratch<T>(n: usize, f: impl FnOnce(&mut [u32], &mut Vec<ArcW>, &mut Vec<u32>) -> T) -> T {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let (col, m, buf) = &mut *s;
        if col.len() < n {
            col.resize(n, NONE);
        }
        f(&mut col[..n], m, buf)
    })
}

/// Relaxes the nodes of one chain (bottom first), block by block: their arcs, in chain order.
fn relax_chain(
    cch: &Cch,
    w: &[ArcW],
    chain: &[u32],
    split: bool,
    out: &mut Vec<ArcW>,
    at: &mut Vec<usize>,
) {
    out.clear();
    at.clear();
    at.push(0);
    for &u in chain {
        out.extend_from_slice(&w[cch.arcs(u)]);
        at.push(out.len());
    }
    let view = View { cch, w, chain, at };
    let mut s = 0;
    while s < chain.len() {
        // The block c_0..c_{k-1}: its columns are its nodes and the upward neighbours of its
        // top (which hold those of all its nodes, by the fill).
        let mut k = 1;
        while s + k < chain.len() {
            let top = chain[s + k] as usize;
            if (k + 1) * (k + 1 + cch.count[top] as usize) > BLOCK_ENTRIES {
                break;
            }
            k += 1;
        }
        relax_block(&view, out, &chain[s..s + k], split);
        s += k;
    }
}

/// Lower nodes under `block` (not in it), each with its first arc into the block.
fn outside(cch: &Cch, block: &[u32]) -> Vec<(u32, u32)> {
    let c0 = block[0];
    let mut out = Vec::new();
    for &c in block {
        for &(x, xu) in cch.downs(c) {
            // x's upward neighbours from c_0 on are c_0's ancestors: the block's nodes first.
            if x < c0 && (xu == cch.begin[x as usize] || cch.head[xu as usize - 1] < c0) {
                out.push((x, xu));
            }
        }
    }
    out
}

fn relax_block(view: &View, out: &mut [ArcW], block: &[u32], split: bool) {
    let cch = view.cch;
    let n = cch.rank.len();
    let k = block.len();
    let top = block[k - 1];
    let cols: Vec<u32> = block
        .iter()
        .copied()
        .chain(cch.head[cch.arcs(top)].iter().copied())
        .collect();
    let a = cols.len();
    let xs = outside(cch, block);
    let work: u64 = xs
        .iter()
        .map(|&(x, xu)| u64::from(cch.begin[x as usize] + cch.count[x as usize] - xu))
        .sum();
    let parts = if split && work >= PARALLEL_TRIANGLES {
        (2 * rayon::current_num_threads()).clamp(1, xs.len().max(1))
    } else {
        1
    };
    // The triangles through the lower nodes outside the block, into matrices.
    let lower = |xs: &[(u32, u32)],
                 m: &mut Vec<ArcW>,
                 col: &mut [u32],
                 buf: &mut Vec<u32>,
                 done: &[ArcW]| {
        m.clear();
        m.resize(k * a, [f64::INFINITY; 2]);
        for &(x, xu) in xs {
            let xa = view.arcs(done, x);
            let from = (xu - cch.begin[x as usize]) as usize;
            let heads = &cch.head[cch.arcs(x)][from..];
            let xa = &xa[from..];
            buf.clear();
            buf.extend(heads.iter().map(|&h| col[h as usize]));
            for (j, &r) in buf.iter().enumerate() {
                let r = r as usize;
                if r >= k {
                    break;
                }
                let [xu_up, xu_down] = xa[j];
                if xu_up == f64::INFINITY && xu_down == f64::INFINITY {
                    continue;
                }
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
    };
    let set = |col: &mut [u32], on: bool| {
        for (i, &c) in cols.iter().enumerate() {
            col[c as usize] = if on { i as u32 } else { NONE };
        }
    };
    if parts <= 1 {
        with_scratch(n, |col, m, buf| {
            set(col, true);
            lower(&xs, m, col, buf, out);
            finish(view, out, block, a, m, col);
            set(col, false);
        });
    } else {
        let chunk = xs.len().div_ceil(parts);
        let done: &[ArcW] = out;
        let mut m = xs
            .par_chunks(chunk)
            .map(|part| {
                with_scratch(n, |col, m, buf| {
                    set(col, true);
                    lower(part, m, col, buf, done);
                    set(col, false);
                    std::mem::take(m)
                })
            })
            .reduce_with(|mut a, b| {
                for (t, c) in a.iter_mut().zip(b) {
                    t[0] = t[0].min(c[0]);
                    t[1] = t[1].min(c[1]);
                }
                a
            })
            .unwrap_or_else(|| vec![[f64::INFINITY; 2]; k * a]);
        with_scratch(n, |col, _, _| {
            set(col, true);
            finish(view, out, block, a, &mut m, col);
            set(col, false);
        });
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
            let i = view.chain.binary_search(&u).expect("a node of the chain");
            let mine = &mut out[view.at[i]..view.at[i + 1]];
            for (t, &h) in mine.iter_mut().zip(&cch.head[cch.arcs(u)]) {
                let c = row[col[h as usize] as usize];
                t[0] = t[0].min(c[0]);
                t[1] = t[1].min(c[1]);
            }
        }
    }
}
