//! Elimination-tree queries on a [`Customized`] CCH.
//!
//! From the phantom accesses of the origin (as in `search.rs`), the forward side walks the
//! union of their chains of ancestors in the elimination tree in increasing rank and relaxes
//! every upward arc of each node (its heads are ancestors too, so each node is final when it is
//! reached in that order); the backward side does the same from the destination with the down
//! weights. The two walks are interleaved by rank: a node on both chains is a meeting candidate
//! once both sides have it, and a side stops relaxing from a node whose cost already reaches
//! the best meeting cost (pruning). No priority queue, no stall: the work is the sum of the
//! degrees along both chains, whatever the weights.

use super::{Customized, NONE};
use crate::routing::ch::ChPath;
use crate::routing::search::{Access, SEED};
use std::cell::RefCell;

/// Per-thread state: costs and predecessor arcs of both sides (infinite / [`NONE`] outside a
/// query; only the chains are touched and reset).
#[derive(Default)]
struct State {
    df: Vec<f64>,
    db: Vec<f64>,
    pf: Vec<u32>,
    pb: Vec<u32>,
    on_f: Vec<bool>,
    on_b: Vec<bool>,
    chain_f: Vec<u32>,
    chain_b: Vec<u32>,
}

impl State {
    fn fit(&mut self, n: usize) {
        if self.df.len() < n {
            self.df.resize(n, f64::INFINITY);
            self.db.resize(n, f64::INFINITY);
            self.pf.resize(n, NONE);
            self.pb.resize(n, NONE);
            self.on_f.resize(n, false);
            self.on_b.resize(n, false);
        }
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Collects the ancestors of `starts` (ranks) into `chain`, ascending, marking them in `on`.
fn chain(parent: &[u32], starts: impl Iterator<Item = u32>, on: &mut [bool], chain: &mut Vec<u32>) {
    chain.clear();
    for s in starts {
        let mut v = s;
        while v != NONE && !on[v as usize] {
            on[v as usize] = true;
            chain.push(v);
            v = parent[v as usize];
        }
    }
    chain.sort_unstable();
}

impl Customized {
    /// The best route from `seeds` to `targets` (network nodes with partial costs) if it is
    /// cheaper than `mu0`: its cost as the search summed it, the seed index, the network edges
    /// in travel order and the target index; plus the number of nodes scanned.
    pub(crate) fn query(
        &self,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<ChPath>, usize) {
        STATE.with(|st| {
            let mut st = st.borrow_mut();
            let st = &mut *st;
            let c = &*self.cch;
            st.fit(c.rank.len());
            let rank = |a: &Access| c.rank[a.node as usize];
            chain(
                &c.parent,
                seeds.iter().map(rank),
                &mut st.on_f,
                &mut st.chain_f,
            );
            chain(
                &c.parent,
                targets.iter().map(rank),
                &mut st.on_b,
                &mut st.chain_b,
            );
            for (i, s) in seeds.iter().enumerate() {
                let r = rank(s) as usize;
                let d = s.cost + 0.0;
                if d < st.df[r] {
                    st.df[r] = d;
                    st.pf[r] = SEED - i as u32;
                }
            }
            for (i, t) in targets.iter().enumerate() {
                let r = rank(t) as usize;
                let d = t.cost + 0.0;
                if d < st.db[r] {
                    st.db[r] = d;
                    st.pb[r] = SEED - i as u32;
                }
            }
            let mut mu = mu0;
            let mut meet = NONE;
            let (mut i, mut j) = (0, 0);
            let (nf, nb) = (st.chain_f.len(), st.chain_b.len());
            let mut scanned = 0;
            while i < nf || j < nb {
                let vf = if i < nf { st.chain_f[i] } else { NONE };
                let vb = if j < nb { st.chain_b[j] } else { NONE };
                let v = vf.min(vb);
                scanned += 1;
                let vi = v as usize;
                if vf == v {
                    i += 1;
                    let d = st.df[vi];
                    if d < mu {
                        for a in c.arcs(v) {
                            let h = c.head[a] as usize;
                            let nd = d + self.w[a].up;
                            if nd < st.df[h] {
                                st.df[h] = nd;
                                st.pf[h] = a as u32;
                            }
                        }
                    }
                }
                if vb == v {
                    j += 1;
                    let d = st.db[vi];
                    if d < mu {
                        for a in c.arcs(v) {
                            let h = c.head[a] as usize;
                            let nd = d + self.w[a].down;
                            if nd < st.db[h] {
                                st.db[h] = nd;
                                st.pb[h] = a as u32;
                            }
                        }
                    }
                }
                let both = st.df[vi] + st.db[vi];
                if both < mu {
                    mu = both;
                    meet = v;
                }
            }
            let path = (meet != NONE).then(|| {
                let mut arcs = Vec::with_capacity(32);
                let mut v = meet;
                let si = loop {
                    let p = st.pf[v as usize];
                    if p > SEED - 8 {
                        break (SEED - p) as usize;
                    }
                    arcs.push(p);
                    v = c.tail[p as usize];
                };
                let mut edges = Vec::with_capacity(64);
                let mut stack = Vec::with_capacity(32);
                for &a in arcs.iter().rev() {
                    self.unpack(a, false, &mut stack, &mut edges);
                }
                let mut v = meet;
                let ti = loop {
                    let p = st.pb[v as usize];
                    if p > SEED - 8 {
                        break (SEED - p) as usize;
                    }
                    self.unpack(p, true, &mut stack, &mut edges);
                    v = c.tail[p as usize];
                };
                (si, edges, ti)
            });
            for &v in &st.chain_f {
                st.df[v as usize] = f64::INFINITY;
                st.pf[v as usize] = NONE;
                st.on_f[v as usize] = false;
            }
            for &v in &st.chain_b {
                st.db[v as usize] = f64::INFINITY;
                st.pb[v as usize] = NONE;
                st.on_b[v as usize] = false;
            }
            // The other side's costs were set on its own chain only; a node on one chain alone
            // has an infinite cost on the other side, so the sums above stay right.
            (mu, path, scanned)
        })
    }
}

impl<'a> crate::routing::Router<'a> {
    /// A router that answers [`Algorithm::Ch`](crate::routing::Algorithm::Ch) queries on `cch`,
    /// which must have been customized for exactly these weights (only the network's size is
    /// checked: O(1); the caller keys customizations by the state they were made for).
    pub fn with_cch(
        net: &'a crate::network::RoadNetwork,
        weights: &'a [f64],
        metric: crate::network::Metric,
        cch: &'a Customized,
    ) -> crate::Result<crate::routing::Router<'a>> {
        if !cch.fits(net) {
            return Err(crate::Error::invalid(
                "the customized hierarchy was built for another network",
            ));
        }
        let mut r = crate::routing::Router::new(net, weights, metric)?;
        r.cch = Some(cch);
        Ok(r)
    }
}
