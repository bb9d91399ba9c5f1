//! Hub labels made from the hierarchy: for each slot, the slots its upward search reaches with
//! their exact distances (forward label) and those reaching it through the downward arcs
//! (backward label), each sorted by slot. A query merges the forward label of the origin with
//! the backward label of the destination; the cheapest common hub is the CH's meeting slot, so
//! the answer is the CH's, without a search (Abraham, Delling, Goldberg, Werneck, "Hierarchical
//! hub labelings for shortest paths", 2012: labels from a CH, pruned by bootstrapping).
//!
//! **Construction**, top slot first: the label of `v` is `v` itself at 0 and, for each upward
//! arc `v → u` of weight `w`, the entries of `u`'s label plus `w`, the cheapest per hub. An entry
//! is then dropped when the labels already show a cheaper way to its hub (the tentative label of
//! `v` merged with the hub's opposite label, which is final: hubs are higher); what stays is the
//! exact distance, and every apex of a shortest up-down path stays, so every query is exact.
//! Entries within a relative 1e-12 of the cheaper way (ties up to rounding) are kept: a kept
//! entry is always a real path, so keeping one more never makes an answer wrong.
//!
//! **Paths**: the entries of a label form a tree rooted at its own slot. Each entry keeps the
//! arc of its path that touches its hub and the entry (in the same label) of the arc's other
//! end, so a route walks the two labels the merge has just read — no other memory — and
//! unpacks their arcs as the sweep's route does. The parent's own path may be another of the
//! same cost than the one the entry was made from (the cheapest per hub is kept): the path
//! walked is then no dearer than the entry's cost, and never cheaper than the distance. An
//! entry whose parent was dropped is dropped too; that never drops an exact entry (the parent
//! of an exact one is exact), so it keeps every query exact.
//!
//! **Size**: labels grow with the depth of the hierarchy (entries per node and direction: 13 on
//! Jinzhou, 29 on a 60 × 60 grid, 44 on a 100 × 100 one, 83 on a 200 × 200 one). They are made
//! only while they stay within [`Labels::budget`] — a multiple of the hierarchy's own size —
//! and queries fall back to the sweep without them.

use super::Hierarchy;
use crate::routing::search::Access;

/// No arc / no rest of the path (a label's entry of its own slot).
const NONE: u32 = u32::MAX;

/// One entry of a label: the hub (a slot), the arc of the path that touches the hub (`NONE`
/// for the label's own slot) and the path's cost.
#[derive(Clone, Copy, Debug)]
struct Entry {
    hub: u32,
    arc: u32,
    dist: f64,
}

/// The labels of one direction.
#[derive(Default)]
struct Side {
    /// For each node (a query reads it without looking the slot up), the range of its
    /// entries.
    span: Vec<[u32; 2]>,
    entries: Vec<Entry>,
    /// For each entry, the index in its label of the entry of its arc's other end (`NONE`
    /// for a label's own slot).
    parent: Vec<u32>,
}

/// Forward and backward hub labels of a [`Hierarchy`].
#[derive(Default)]
pub(super) struct Labels {
    side: [Side; 2],
}

/// The best meeting of a label query: seed index, target index and, for each direction, the
/// start of the label and the entry met.
pub(super) type Meet = (usize, usize, [u32; 2], [u32; 2]);

impl Labels {
    /// Most entries the labels of a hierarchy may hold: as many bytes as 8 × the hierarchy's
    /// own arrays (an entry and its link take 20 bytes), and at most [`Labels::MAX_MEAN`] per
    /// slot and direction on average.
    pub(super) fn budget(h: &Hierarchy) -> usize {
        (8 * h.memory_bytes() / 20).min(2 * Self::MAX_MEAN * h.rank.len())
    }

    /// Most entries per slot and direction, on average, that labels are made with: at most
    /// 2.5 kB a node (two directions of 64 entries of 20 bytes).
    pub(super) const MAX_MEAN: usize = 64;

    /// The labels of `h`, or `None` when they would hold more than `max_entries`.
    pub(super) fn build(h: &Hierarchy, max_entries: usize) -> Option<Labels> {
        let n = h.rank.len();
        let mut side: [Side; 2] = Default::default();
        // The ranges of the labels by slot, as they are made (by node once they are).
        let mut by_slot = [vec![[0u32; 2]; n], vec![[0u32; 2]; n]];
        // Candidates of one label: hub, cost, arc touching the hub, parent hub.
        let mut cand: Vec<(u32, f64, u32, u32)> = Vec::new();
        // The tentative label's costs by hub, for the pruning merges.
        let mut dense = vec![f64::INFINITY; n];
        // Where a hub's entry went in the label being made (`NONE`: not kept).
        let mut pos = vec![NONE; n];
        let mut total = 0usize;
        // A running mean of the last labels' sizes.
        let mut recent = 0.0f64;
        for v in (0..n as u32).rev() {
            let (down, up) = h.split(v);
            for dir in 0..2 {
                let relax = if dir == 0 { up } else { down };
                cand.clear();
                cand.push((v, 0.0, NONE, NONE));
                for a in relax {
                    let sd = &side[dir];
                    let [s, e] = by_slot[dir][a.head as usize];
                    for k in s as usize..e as usize {
                        let en = sd.entries[k];
                        cand.push(if en.hub == a.head {
                            (a.head, a.w + 0.0, a.id, v)
                        } else {
                            // (Forward the arc comes first, backward last: one sum,
                            // addition being commutative.)
                            let d = a.w + en.dist;
                            let p = sd.entries[s as usize + sd.parent[k] as usize].hub;
                            (en.hub, d, en.arc, p)
                        });
                    }
                }
                cand.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
                cand.dedup_by_key(|x| x.0);
                for c in &cand {
                    dense[c.0 as usize] = c.1;
                }
                let [a, b] = &mut side;
                let (mine, other) = if dir == 0 { (a, &*b) } else { (b, &*a) };
                let start = mine.entries.len();
                // Hubs ascending: a parent (lower on the path) comes before its children.
                for &(hub, d, arc, parent) in &cand {
                    let up = if hub == v {
                        NONE
                    } else {
                        let [os, oe] = by_slot[1 - dir][hub as usize];
                        let via = other.entries[os as usize..oe as usize]
                            .iter()
                            .map(|o| dense[o.hub as usize] + o.dist)
                            .fold(f64::INFINITY, f64::min);
                        let p = pos[parent as usize];
                        if via < d - d * 1e-12 || p == NONE {
                            continue;
                        }
                        p
                    };
                    pos[hub as usize] = (mine.entries.len() - start) as u32;
                    mine.entries.push(Entry { hub, arc, dist: d });
                    mine.parent.push(up);
                }
                for c in &cand {
                    dense[c.0 as usize] = f64::INFINITY;
                    pos[c.0 as usize] = NONE;
                }
                let end = mine.entries.len();
                by_slot[dir][v as usize] = [start as u32, end as u32];
                total += end - start;
                // Labels grow down the hierarchy (a lower slot reaches more): stop as soon
                // as the slots left, at the mean size of the last ones, would not fit.
                recent = recent - recent / 64.0 + (end - start) as f64 / 64.0;
                if total as f64 + 2.0 * f64::from(v) * recent > max_entries as f64 {
                    return None;
                }
            }
        }
        for (s, by_slot) in side.iter_mut().zip(&by_slot) {
            s.span = h.rank.iter().map(|&x| by_slot[x as usize]).collect();
            s.entries.shrink_to_fit();
            s.parent.shrink_to_fit();
        }
        Some(Labels { side })
    }

    /// Entries of both directions.
    pub(super) fn entries(&self) -> usize {
        self.side[0].entries.len() + self.side[1].entries.len()
    }

    pub(super) fn memory_bytes(&self) -> usize {
        self.side
            .iter()
            .map(|s| s.span.len() * 8 + s.entries.len() * 16 + s.parent.len() * 4)
            .sum()
    }

    /// The cheapest meeting of `seeds` and `targets` (nodes with costs) below `mu0`: its cost
    /// (`mu0` when there is none) and where it is; plus the label entries read.
    #[inline]
    pub(super) fn query(
        &self,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<Meet>, usize) {
        let (mut best, mut at, mut read) = (mu0, None, 0);
        let [fw, bw] = &self.side;
        for (i, s) in seeds.iter().enumerate() {
            let [fs, fe] = fw.span[s.node as usize];
            for (j, t) in targets.iter().enumerate() {
                let [bs, be] = bw.span[t.node as usize];
                read += (fe - fs + be - bs) as usize;
                let (mut a, mut b) = (fs, bs);
                while a < fe && b < be {
                    let (x, y) = (fw.entries[a as usize], bw.entries[b as usize]);
                    // Without a branch on whether the hubs are the same (it would be
                    // mispredicted a few times a merge): a cost that is infinite unless so.
                    let c = (s.cost + x.dist) + (y.dist + t.cost);
                    let c = if x.hub == y.hub { c } else { f64::INFINITY };
                    if c < best {
                        best = c;
                        at = Some((i, j, [fs, a], [bs, b]));
                    }
                    a += u32::from(x.hub <= y.hub);
                    b += u32::from(y.hub <= x.hub);
                }
            }
        }
        (best, at, read)
    }

    /// The arcs of the path of entry `k` of direction `dir`, from its hub down the label's
    /// tree (forward: against travel order; backward: in travel order), each to `f`.
    #[inline(always)]
    fn walk(&self, dir: usize, [base, k]: [u32; 2], mut f: impl FnMut(u32)) {
        let s = &self.side[dir];
        let mut i = k as usize;
        loop {
            let arc = s.entries[i].arc;
            if arc == NONE {
                return;
            }
            f(arc);
            i = base as usize + s.parent[i] as usize;
        }
    }
}

impl Hierarchy {
    /// The route of a label meeting: seed index, network edges in travel order (unpacked
    /// straight into the answer's vector: no copy out of a scratch buffer) and target index.
    pub(super) fn label_path(
        &self,
        l: &Labels,
        (si, ti, kf, kb): Meet,
    ) -> (usize, Vec<u32>, usize) {
        // The forward arcs come from the hub down to the seed, against travel order: kept
        // here (beyond `DEEP` of them in `deep`) to be unpacked backwards. The unit tests
        // keep two, so that their routes take both ways.
        const DEEP: usize = if cfg!(test) { 2 } else { 48 };
        let mut fw = [0u32; DEEP];
        let mut deep = Vec::new();
        let mut k = 0;
        l.walk(0, kf, |arc| {
            match fw.get_mut(k) {
                Some(x) => *x = arc,
                None => deep.push(arc),
            }
            k += 1;
        });
        // Room for most routes (and the block copies past their end) in one allocation, not
        // zeroed (a zeroed one bypasses the allocator's per-thread cache: a fifth of a query
        // on SiouxFalls); unpacking grows its length as it goes, longer routes its capacity.
        let (mut stack, mut out, mut len) = (Vec::new(), Vec::with_capacity(128), 0);
        for &a in deep.iter().rev().chain(fw[..k.min(DEEP)].iter().rev()) {
            len = self.unpack_at(a, &mut stack, &mut out, len);
        }
        l.walk(1, kb, |arc| {
            len = self.unpack_at(arc, &mut stack, &mut out, len)
        });
        out.truncate(len);
        (si, out, ti)
    }

    /// Whether its queries merge hub labels (made when they fit their budget: 8 × the
    /// hierarchy's own bytes, 64 entries per node and direction on average) rather than
    /// sweep.
    pub fn has_labels(&self) -> bool {
        self.labels.is_some()
    }

    /// Entries of its hub labels, both directions (0 without labels).
    pub fn label_entries(&self) -> usize {
        self.labels.as_ref().map_or(0, Labels::entries)
    }

    /// The same hierarchy without hub labels (its queries sweep).
    pub fn without_labels(mut self) -> Hierarchy {
        self.labels = None;
        self
    }

    /// The same hierarchy with hub labels made again, if they fit their budget (every
    /// constructor makes them; this is for measuring what they cost).
    pub fn with_labels(mut self) -> Hierarchy {
        self.labels = None;
        self.labels = Labels::build(&self, Labels::budget(&self));
        self
    }
}
