//! The arc weights of a customization ([`ArcW`]) and what a query relaxes from a node
//! ([`Adjacency`]): the finite arc directions, without those the perfect step drops nor those
//! a triangle makes redundant ([`redundant`]).

use super::Cch;
use rayon::prelude::*;
use std::ops::Range;

/// The weights of one arc: `[up, down]`, the cost from the lower node up to the higher one and
/// back down (`f64::INFINITY`: no path through lower nodes). Which edge or lower triangle gives
/// a weight is not stored: unpacking finds it again (see
/// [`Customized::unpack`](super::Customized)).
pub(crate) type ArcW = [f64; 2];

/// How many of a node's lowest higher neighbours [`redundant`] tries as the middle of a
/// triangle (measured: docs/performance.md, CCH "Seventh round").
pub(crate) const TRIANGLE_MIDDLES: usize = 4;

/// One arc direction a query relaxes: its head and its weight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QArc {
    pub(crate) head: u32,
    pub(crate) w: f64,
}

/// What [`Adjacency::build_pair`] may copy for an update: the adjacencies of the customization
/// updated (built with the same middles, with the top step but not the full perfect step) and
/// the ranks whose arcs' weights changed (a bit each).
pub(crate) struct Reuse<'a> {
    pub(crate) old: &'a (Adjacency, Adjacency),
    pub(crate) changed: &'a [u64],
}

impl Reuse<'_> {
    /// Whether rank `r` keeps the same query arcs: neither its arcs nor those of its middles
    /// (what [`redundant`] reads) changed, and none of them is in the top (the top step's
    /// marks, which [`redundant`] also reads, depend on every arc above: they are made
    /// again).
    fn unchanged(&self, cch: &Cch, middles: usize, r: usize) -> bool {
        let bit = |x: usize| self.changed[x >> 6] & (1 << (x & 63)) != 0;
        let kept = |x: usize| !bit(x) && !cch.top.contains(x);
        kept(r)
            && cch.head[cch.arcs(r as u32)]
                .iter()
                .take(middles)
                .all(|&m| kept(m as usize))
    }
}

/// Arcs per parallel task when building the adjacencies.
const BUILD_ARCS: usize = 16_384;

/// The arcs one side of the search relaxes, by tail rank, heads ascending, with their weights
/// in that side's direction: the finite directions a query needs ([`redundant`]). By rank, so
/// that the ancestors a query walks (a separator's nodes have consecutive ranks) have their
/// arcs close together; 12 bytes an arc direction kept and 4 a node.
#[derive(Debug, Default)]
#[cfg_attr(test, derive(PartialEq))]
pub(crate) struct Adjacency {
    off: Vec<u32>,
    heads: Vec<u32>,
    ws: Vec<f64>,
}

impl Adjacency {
    /// Both adjacencies of a customization `w` (up, down), without the directions `strict`
    /// marks (`strict[a][d]`, by the perfect step; empty: none) nor those a triangle through
    /// one of the `middles` lowest higher neighbours of their tail makes redundant; and the
    /// number of finite directions. With `reuse`, the ranks it says are unchanged copy their
    /// arcs from its adjacencies instead of testing them again.
    pub(crate) fn build_pair(
        cch: &Cch,
        w: &[ArcW],
        strict: &[[bool; 2]],
        middles: usize,
        reuse: Option<Reuse<'_>>,
    ) -> ((Adjacency, Adjacency), usize) {
        // What rank `r` copies its arcs from, if it is unchanged.
        let copied = |r: usize| reuse.as_ref().filter(|re| re.unchanged(cch, middles, r));
        let n = cch.rank.len();
        // Chunks of consecutive ranks with about `BUILD_ARCS` arcs each (the high ranks have
        // many more arcs than the low ones).
        let mut cuts = vec![0usize];
        let mut acc = 0usize;
        for (r, &k) in cch.count.iter().enumerate() {
            acc += k as usize;
            if acc >= BUILD_ARCS {
                cuts.push(r + 1);
                acc = 0;
            }
        }
        if *cuts.last().expect("starts with 0") < n {
            cuts.push(n);
        }
        // First pass, per chunk: which directions are kept (the chunk's arcs in rank order),
        // how many of each node's, and how many directions are finite.
        type Marks = (Vec<[bool; 2]>, Vec<[u32; 2]>, usize);
        let mark = |c: &[usize]| -> Marks {
            let ranks = c[0]..c[1];
            let arcs = cch.count[ranks.clone()].iter().map(|&k| k as usize).sum();
            let (mut flags, mut counts) = (vec![[false; 2]; arcs], Vec::new());
            let mut finite = 0;
            let mut at = 0;
            for r in ranks {
                let keep = &mut flags[at..at + cch.count[r] as usize];
                at += keep.len();
                if let Some(re) = copied(r) {
                    // Unchanged: the same finite directions, the same ones kept.
                    finite += w[cch.arcs(r as u32)]
                        .iter()
                        .map(|a| usize::from(a[0].is_finite()) + usize::from(a[1].is_finite()))
                        .sum::<usize>();
                    counts.push([0, 1].map(|d| {
                        let off = &[&re.old.0, &re.old.1][d].off;
                        off[r + 1] - off[r]
                    }));
                    continue;
                }
                finite += if strict.is_empty() {
                    redundant::<false>(cch, w, strict, middles, r as u32, keep)
                } else {
                    redundant::<true>(cch, w, strict, middles, r as u32, keep)
                };
                counts.push(keep.iter().fold([0u32; 2], |[u, d], k| {
                    [u + u32::from(k[0]), d + u32::from(k[1])]
                }));
            }
            (flags, counts, finite)
        };
        // One chunk (a small network): on the calling thread, no task to wake.
        let parallel = cuts.len() > 2;
        let marks: Vec<Marks> = if parallel {
            cuts.par_windows(2).map(mark).collect()
        } else {
            cuts.windows(2).map(mark).collect()
        };
        let mut out: [Adjacency; 2] = Default::default();
        let mut finite = 0;
        for adj in &mut out {
            adj.off = Vec::with_capacity(n + 1);
            adj.off.push(0);
        }
        for (_, counts, f) in &marks {
            finite += f;
            for k in counts {
                for (adj, &k) in out.iter_mut().zip(k) {
                    adj.off.push(adj.off[adj.off.len() - 1] + k);
                }
            }
        }
        // Second pass: each chunk writes its range of the adjacencies.
        for adj in &mut out {
            let total = adj.off[n] as usize;
            adj.heads = vec![0; total];
            adj.ws = vec![0.0; total];
        }
        let [up, down] = &mut out;
        let off = [&up.off, &down.off];
        let mut rest = [
            (&mut up.heads[..], &mut up.ws[..]),
            (&mut down.heads[..], &mut down.ws[..]),
        ];
        type Task<'a> = (
            Range<usize>,
            &'a [[bool; 2]],
            [(&'a mut [u32], &'a mut [f64]); 2],
        );
        let mut tasks: Vec<Task<'_>> = Vec::with_capacity(marks.len());
        for (c, (flags, _, _)) in cuts.windows(2).zip(&marks) {
            let mine = [0, 1].map(|d| {
                let len = (off[d][c[1]] - off[d][c[0]]) as usize;
                let (hs, ws) = std::mem::take(&mut rest[d]);
                let (h, h2) = hs.split_at_mut(len);
                let (x, x2) = ws.split_at_mut(len);
                rest[d] = (h2, x2);
                (h, x)
            });
            tasks.push((c[0]..c[1], flags, mine));
        }
        let write = |(ranks, flags, mut mine): Task<'_>| {
            let mut flags = flags.iter();
            let mut at = [0usize; 2];
            for r in ranks {
                if let Some(re) = copied(r) {
                    // Unchanged: a copy (its flags are skipped).
                    for (d, (hs, ws)) in mine.iter_mut().enumerate() {
                        let old = [&re.old.0, &re.old.1][d];
                        let from = old.off[r] as usize..old.off[r + 1] as usize;
                        let to = at[d]..at[d] + from.len();
                        hs[to.clone()].copy_from_slice(&old.heads[from.clone()]);
                        ws[to].copy_from_slice(&old.ws[from]);
                        at[d] += old.off[r + 1] as usize - old.off[r] as usize;
                    }
                    let k = cch.count[r] as usize;
                    if k > 0 {
                        flags.nth(k - 1);
                    }
                    continue;
                }
                for (a, k) in cch.arcs(r as u32).zip(&mut flags) {
                    for (d, (hs, ws)) in mine.iter_mut().enumerate() {
                        if k[d] {
                            hs[at[d]] = cch.head[a];
                            ws[at[d]] = w[a][d];
                            at[d] += 1;
                        }
                    }
                }
            }
        };
        if parallel {
            tasks.into_par_iter().for_each(write);
        } else {
            tasks.into_iter().for_each(write);
        }
        let [up, down] = out;
        ((up, down), finite)
    }

    /// The arcs of the node of rank `r`.
    #[inline]
    pub(crate) fn of(&self, r: u32) -> impl Iterator<Item = QArc> + '_ {
        let range = self.off[r as usize] as usize..self.off[r as usize + 1] as usize;
        self.heads[range.clone()]
            .iter()
            .zip(&self.ws[range])
            .map(|(&head, &w)| QArc { head, w })
    }

    /// Arc directions kept.
    pub(crate) fn len(&self) -> usize {
        self.heads.len()
    }

    /// Heap bytes.
    pub(crate) fn memory_bytes(&self) -> usize {
        4 * (self.off.len() + self.heads.len()) + 8 * self.ws.len()
    }
}

/// Which directions of the arcs of rank `x` a query needs, written into `keep` (one entry per
/// arc, `keep[i][d]` for its `i`-th arc): the finite ones, less those in `strict` and those a
/// triangle `x → a → b` (`b → a → x` for a down direction) makes redundant by being at most as
/// long, where `a` is one of the `middles` lowest higher neighbours of `x`, below `b`, and
/// neither of the triangle's two directions is in `strict`. Returns how many directions are
/// finite. `STRICT`: whether `strict` has a mark per arc (without the perfect step it is empty,
/// and the lookups are compiled out of the loops).
///
/// Leaving such a direction out keeps every query exact, whatever the others left out: by
/// induction on the number of ranks between an arc's ends, every finite direction not in
/// `strict` has a path of kept directions going up all the way (`x → a`, `a → b` each span
/// fewer ranks) and at most as long. So the best up-down path of directions not in `strict`
/// that a query would find without this pruning has a twin of kept directions, no longer; and
/// no path a query finds is shorter than the distance, each weight being the length of a real
/// path. On a grid this mostly thins the cliques of the separators: the basic weight of two
/// nodes of a separator goes around it, and so does the path through the separator's node
/// between them.
pub(crate) fn redundant<const STRICT: bool>(
    cch: &Cch,
    w: &[ArcW],
    strict: &[[bool; 2]],
    middles: usize,
    x: u32,
    keep: &mut [[bool; 2]],
) -> usize {
    let st = |i: usize| if STRICT { strict[i] } else { [false; 2] };
    let range = cch.arcs(x);
    let heads = &cch.head[range.clone()];
    let mut finite = 0;
    for (k, i) in keep.iter_mut().zip(range.clone()) {
        let f = [w[i][0].is_finite(), w[i][1].is_finite()];
        finite += usize::from(f[0]) + usize::from(f[1]);
        let s = st(i);
        *k = [f[0] && !s[0], f[1] && !s[1]];
    }
    let ws = &w[range.clone()];
    // One middle at a time: `x`'s heads above it and its own heads, merged.
    for c in 0..middles.min(heads.len()) {
        let (xa, sxa) = (ws[c], st(range.start + c));
        let ok = [xa[0].is_finite() && !sxa[0], xa[1].is_finite() && !sxa[1]];
        if ok == [false; 2] {
            continue;
        }
        let ra = cch.arcs(heads[c]);
        let (a_heads, a_ws) = (&cch.head[ra.clone()], &w[ra.clone()]);
        let mut p = 0;
        for (j, &b) in heads.iter().enumerate().skip(c + 1) {
            // The higher neighbours of `x` above `a` are higher neighbours of `a` (the upward
            // graph is chordal): `a – b` is found walking `a`'s heads.
            while a_heads[p] < b {
                p += 1;
            }
            debug_assert_eq!(a_heads[p], b);
            let (ab, sab) = (a_ws[p], st(ra.start + p));
            let xb = ws[j];
            let k = &mut keep[j];
            k[0] &= !(ok[0] && !sab[0] && xa[0] + ab[0] <= xb[0]);
            k[1] &= !(ok[1] && !sab[1] && ab[1] + xa[1] <= xb[1]);
        }
    }
    finite
}
