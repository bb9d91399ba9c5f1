//! The point-to-point query: both upward searches swept together over the labels they reach in
//! rank order, lowest slot first, instead of in order of distance; and the route's unpacking.
//!
//! Every arc of a hierarchy goes up in rank (its head is a higher slot than its tail), so a
//! label of slot `x` can only be lowered from a lower slot: once every lower label reached has
//! been processed, the labels of `x` are final. The sweep processes the labels reached in
//! increasing order of `2 * slot + dir`, with the stall test and the pruning by the best meeting
//! cost `mu` of the search in distance order (a label no cheaper than `mu` is neither set nor
//! processed, and every label set is checked against the other direction's label of its slot);
//! it has no stopping rule by distance and runs until no label is left. Its queue holds label
//! numbers, each at most once, and only ever receives labels of slots above the one being
//! processed: a bit set over the labels, scanned upwards a word at a time and popped by counting
//! trailing zeros — no keys, no sifting, no positions.
//!
//! A processed label is never read again by the sweep (stall tests, relaxations and meeting
//! tests look at higher slots only; the route is rebuilt from the predecessors), so its cost is
//! set back to infinity as it is taken: a finished sweep leaves every cost at infinity and every
//! bit clear, and the next query starts without a reset.

use super::{ChArc, Expansions, Hierarchy};
use crate::routing::search::{Access, SEED};

/// The per-query state of a sweep: for each label `2 * slot + dir` (`dir` 0 forward, 1
/// backward) its cost (infinity between queries) and its predecessor arc and slot, and the
/// queue of labels (a bit per label).
#[derive(Default)]
pub(super) struct Sweep {
    dist: Vec<f64>,
    pred: Vec<[u32; 2]>,
    bits: Vec<u64>,
    /// Set while a sweep runs: one that did not finish (a panic) left state behind, which the
    /// next one clears.
    dirty: bool,
    /// Labels processed (taken from the queue below `mu`), stalled among them, arcs relaxed.
    pub(super) settled: usize,
    pub(super) stalled: usize,
    pub(super) relaxed: usize,
    pub(super) scanned: usize,
}

impl Sweep {
    /// Ready for a sweep over `n` slots.
    #[inline]
    fn ready(&mut self, n: usize) {
        if self.dirty || self.dist.len() < 2 * n {
            let words = (2 * n).div_ceil(64);
            self.dist.clear();
            self.dist.resize(2 * n, f64::INFINITY);
            self.pred.resize(2 * n, [0; 2]);
            self.bits.clear();
            self.bits.resize(words, 0);
        }
        self.dirty = true;
    }
}

/// The labels, queue and best meeting of one sweep, as slices (their bounds read once).
struct Run<'a> {
    dist: &'a mut [f64],
    pred: &'a mut [[u32; 2]],
    bits: &'a mut [u64],
    /// The best meeting cost so far, and its slot (`usize::MAX`: none below `mu0`).
    mu: f64,
    meet: usize,
}

impl Run<'_> {
    /// Gives label `l` the cost `d` through `pred` and queues it, if `d` is below both `mu`
    /// and its cost; then checks the meeting at its slot (infinity where the other side has
    /// not reached the slot: no better `mu`).
    #[inline(always)]
    fn offer(&mut self, l: usize, d: f64, pred: [u32; 2]) {
        if d < self.mu && d < self.dist[l] {
            self.dist[l] = d;
            self.pred[l] = pred;
            self.bits[l >> 6] |= 1 << (l & 63);
            let c = d + self.dist[l ^ 1];
            if c < self.mu {
                self.mu = c;
                self.meet = l >> 1;
            }
        }
    }

    /// Takes the lowest label queued at or above word `wi` (the words below are empty),
    /// `None` when none is left.
    #[inline(always)]
    fn pop(&mut self, wi: &mut usize) -> Option<usize> {
        loop {
            let w = *self.bits.get(*wi)?;
            if w != 0 {
                self.bits[*wi] = w & (w - 1);
                return Some(*wi * 64 + w.trailing_zeros() as usize);
            }
            *wi += 1;
        }
    }
}

impl Hierarchy {
    /// The sweep from `seeds` to `targets` below `mu0` (as [`Hierarchy::query`]): the best
    /// meeting cost and, when it is below `mu0`, the meeting slot, whose chains of
    /// predecessors are left in `sw`. `STATS`: count stalls and relaxed arcs too.
    #[inline(never)]
    pub(super) fn sweep<const STATS: bool>(
        &self,
        sw: &mut Sweep,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<usize>) {
        let n = self.rank.len();
        sw.ready(n);
        // This hierarchy's part of arrays sized for the largest one the thread has queried.
        let words = (2 * n).div_ceil(64);
        let mut r = Run {
            dist: &mut sw.dist[..2 * n],
            pred: &mut sw.pred[..2 * n],
            bits: &mut sw.bits[..words],
            mu: mu0,
            meet: usize::MAX,
        };
        let mut lo = usize::MAX;
        for (dir, ends) in [(0, seeds), (1, targets)] {
            for (i, a) in ends.iter().enumerate() {
                let x = self.rank[a.node as usize];
                let l = 2 * x as usize + dir;
                r.offer(l, a.cost + 0.0, [SEED - i as u32, x]);
                lo = lo.min(l);
            }
        }
        let (mut settled, mut stalled, mut relaxed, mut scanned) = (0, 0, 0, 0);
        let mut wi = lo >> 6;
        while let Some(l) = r.pop(&mut wi) {
            let dv = r.dist[l];
            r.dist[l] = f64::INFINITY;
            if dv >= r.mu {
                continue;
            }
            settled += 1;
            let (x, dir) = (l >> 1, l & 1);
            let (down, up) = self.split(x as u32);
            // Forward: stall on the downward arcs, relax the upward ones; backward the reverse.
            let (stall, relax): (&[ChArc], &[ChArc]) =
                if dir == 0 { (down, up) } else { (up, down) };
            if relax.is_empty() {
                continue;
            }
            // Stall on demand: a higher slot already reached with a cheaper way into `x`
            // proves `dv` is not the distance of `x`.
            let dist = &*r.dist;
            if STATS {
                scanned += stall.len();
            }
            if stall
                .iter()
                .any(|a| dist[2 * a.head as usize + dir] + a.w < dv)
            {
                if STATS {
                    stalled += 1;
                }
                continue;
            }
            if STATS {
                relaxed += relax.len();
            }
            for a in relax {
                r.offer(2 * a.head as usize + dir, dv + a.w, [a.id, x as u32]);
            }
        }
        let (mu, meet) = (r.mu, r.meet);
        sw.settled = settled;
        sw.stalled = stalled;
        sw.relaxed = relaxed;
        sw.scanned = scanned;
        sw.dirty = false;
        (mu, (meet != usize::MAX).then_some(meet))
    }

    /// The network edges of the route through slot `m` (after a sweep that met there), in
    /// travel order, into `buf[..len]`, following the predecessors of both directions' labels
    /// from `m` down to a seed and to a target: the seed and target indices and `len`.
    pub(super) fn route_edges(
        &self,
        sw: &Sweep,
        m: usize,
        chain: &mut Vec<u32>,
        stack: &mut Vec<u32>,
        buf: &mut Vec<u32>,
    ) -> (usize, usize, usize) {
        let pred = &sw.pred[..];
        chain.clear();
        let mut l = 2 * m;
        let si = loop {
            let [arc, slot] = pred[l];
            if arc > SEED - 8 {
                break (SEED - arc) as usize;
            }
            chain.push(arc);
            l = 2 * slot as usize;
        };
        let mut len = 0;
        for &a in chain.iter().rev() {
            len = self.unpack_at(a, stack, buf, len);
        }
        let mut l = 2 * m + 1;
        let ti = loop {
            let [arc, slot] = pred[l];
            if arc > SEED - 8 {
                break (SEED - arc) as usize;
            }
            len = self.unpack_at(arc, stack, buf, len);
            l = 2 * slot as usize + 1;
        };
        (si, ti, len)
    }

    /// Writes the network edges of arc `id` in travel order into `buf` from `len` on (`buf`
    /// grows as needed, beyond the edges written it holds anything): the new length. A
    /// spelled-out shortcut is copied as a block of [`Expansions::MAX`] entries (a copy of fixed
    /// size, no call), of which only its own count: the spelled-out edges are padded for that.
    #[inline(always)]
    pub(super) fn unpack_at(
        &self,
        id: u32,
        stack: &mut Vec<u32>,
        buf: &mut Vec<u32>,
        mut len: usize,
    ) -> usize {
        const W: usize = Expansions::MAX;
        stack.clear();
        let (m, x) = (self.m, &self.expansions);
        let mut a = id;
        loop {
            if len + W > buf.len() {
                buf.resize(2 * buf.len() + 2 * W, 0);
            }
            match (a as usize).checked_sub(m) {
                None => {
                    buf[len] = a;
                    len += 1;
                }
                Some(i) => {
                    let (lo, hi) = (x.off[i] as usize, x.off[i + 1] as usize);
                    if lo < hi {
                        buf[len..len + W].copy_from_slice(&x.edges[lo..lo + W]);
                        len += hi - lo;
                    } else {
                        // Down the first halves, keeping the second ones for later.
                        let [first, second] = self.shortcuts[i];
                        stack.push(second);
                        a = first;
                        continue;
                    }
                }
            }
            match stack.pop() {
                Some(b) => a = b,
                None => break,
            }
        }
        len
    }
}
