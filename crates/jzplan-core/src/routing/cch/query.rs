//! Queries on a [`Customized`] CCH: the elimination-tree search (the default) and a
//! bidirectional Dijkstra on the upward graph.
//!
//! From the phantom accesses of the origin (as in `search.rs`), the forward side searches the
//! upward arcs with their up weights; from those of the destination, the backward side searches
//! them with their down weights. Every arc of a customized CCH weighs the cheapest path through
//! lower nodes between its ends, so both searches are exact for every weights vector. They relax
//! the customization's adjacencies, which leave out only directions no query needs (longer than
//! the distance, by the perfect step, or with a triangle through a lower middle at most as
//! long: `arcs::redundant`).
//!
//! - Elimination-tree search (`Customized::elimination_tree`): every upward arc of a node leads
//!   to an ancestor of it in the elimination tree, so the nodes a side can reach are the
//!   ancestors of its start nodes, and taking them in ascending rank settles each one after all
//!   the nodes that can lower its cost. Both sides walk their chains together; a node reached by both is
//!   a meeting candidate, and a node whose cost is already at least the best meeting cost
//!   relaxes nothing. No priority queue, no stall test, memory read in rank order. With the
//!   geometric bounds of `super::bound`, a node relaxes nothing either when its cost plus a
//!   lower bound of the rest of the way reaches the best meeting cost (or a guessed bound,
//!   raised until a route is found: `Customized::bounded`).
//! - Bidirectional Dijkstra (`Customized::dijkstra`), as in a CH query: the side with the
//!   smaller key settles its next node, both stop once their smallest key reaches the best
//!   meeting cost, and a node is *stalled* (nothing relaxed from it) when a higher node already
//!   reached by the same side has a cheaper arc into it.
//!
//! On the 1M-edge grid (ancestor chains of up to 1,372 nodes) the elimination-tree search took
//! 55 % of the Dijkstra's time without the perfect step and 60 % with it (same pairs, same run).

use super::arcs::Adjacency;
use super::bound::{self, Pot};
use super::{CchSearch, Customized, NONE};
use crate::routing::ch::ChPath;
use crate::routing::search::{Access, Ends, SEED};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One side of the search: costs and predecessors (the lower end of the arc relaxed) by rank
/// (infinite / [`NONE`] outside a query; only what a query touched is reset), and a heap of
/// `(cost bits, rank)` with lazy deletion (the bits of non-negative floats order as the floats
/// do).
#[derive(Default)]
struct Side {
    dist: Vec<f64>,
    pred: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    settled: usize,
    /// What the last query did, counted only by [`Customized::search_stats`]: arc directions
    /// relaxed, and (elimination-tree search) chain nodes found labelled and relaxed while
    /// the sides had not met yet.
    relaxed: usize,
    reached: usize,
    relaxed_apart: usize,
    /// Elimination-tree search: chain nodes walked, lower bounds computed ([`super::bound`])
    /// and searches run (one per bound tried).
    walked: usize,
    bounds: usize,
    attempts: usize,
    /// Elimination-tree search: the ancestors of the start nodes, ascending, and their marks.
    chain: Vec<u32>,
    on_chain: Vec<bool>,
    /// Room to merge the climbs of several start nodes.
    scratch: Vec<u32>,
}

/// Merges the ascending run `v[from..]` into the ascending `v[..from]` (no value in both).
pub(super) fn merge_tail(v: &mut [u32], from: usize, scratch: &mut Vec<u32>) {
    scratch.clear();
    scratch.extend_from_slice(&v[from..]);
    // From the back: the largest of what is left of either run goes last.
    let (mut i, mut j, mut k) = (from, scratch.len(), v.len());
    while j > 0 {
        k -= 1;
        if i > 0 && v[i - 1] > scratch[j - 1] {
            v[k] = v[i - 1];
            i -= 1;
        } else {
            v[k] = scratch[j - 1];
            j -= 1;
        }
    }
}

impl Side {
    fn start(&mut self, n: usize) {
        if self.dist.len() < n {
            self.dist.resize(n, f64::INFINITY);
            self.pred.resize(n, NONE);
        }
        for &v in &self.touched {
            self.dist[v as usize] = f64::INFINITY;
            self.pred[v as usize] = NONE;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Sets the work counters to 0 (a query's searches under successive bounds add up).
    fn clear_counts(&mut self) {
        self.settled = 0;
        self.relaxed = 0;
        self.reached = 0;
        self.relaxed_apart = 0;
        self.walked = 0;
        self.bounds = 0;
        self.attempts = 0;
    }

    /// Lowers the label of `v` to `d` (from `pred`) if that is cheaper, listing `v` as touched
    /// the first time; whether it did.
    #[inline]
    fn lower(&mut self, v: u32, d: f64, pred: u32) -> bool {
        let old = self.dist[v as usize];
        if d < old {
            if old == f64::INFINITY {
                self.touched.push(v);
            }
            self.dist[v as usize] = d;
            self.pred[v as usize] = pred;
        }
        d < old
    }

    /// [`Side::update`] without the heap (elimination-tree search).
    #[inline]
    fn set(&mut self, v: u32, d: f64, pred: u32) {
        self.lower(v, d, pred);
    }

    /// [`Side::set`] for a node of `chain` (elimination-tree search): not listed as touched,
    /// since [`Side::reset_chain`] resets the whole chain.
    #[inline]
    fn relax(&mut self, v: u32, d: f64, pred: u32) {
        let slot = &mut self.dist[v as usize];
        if d < *slot {
            *slot = d;
            self.pred[v as usize] = pred;
        }
    }

    /// Whether a chain node of cost `d` relaxes its arcs (elimination-tree search): `d` is
    /// below the best meeting cost `mu` and, with `BOUND`, so is `d` plus the lower bound
    /// `rest` of the way left (counted as computed).
    #[inline(always)]
    fn open<const STATS: bool, const BOUND: bool>(
        &mut self,
        d: f64,
        mu: f64,
        rest: impl FnOnce() -> f64,
    ) -> bool {
        d < mu
            && (!BOUND || {
                if STATS {
                    self.bounds += 1;
                }
                d + rest() < mu
            })
    }

    /// Counts one arc relaxed, before or after the sides `met`
    /// ([`Customized::search_stats`]).
    #[inline]
    fn count(&mut self, met: bool) {
        self.relaxed += 1;
        self.relaxed_apart += usize::from(!met);
    }

    /// Sets the costs and predecessors of the nodes of `chain` (which holds every node an
    /// elimination-tree search labels: its start nodes and their ancestors) back to unreached.
    fn reset_chain(&mut self) {
        for &v in &self.chain {
            self.dist[v as usize] = f64::INFINITY;
            self.pred[v as usize] = NONE;
        }
        self.touched.clear();
    }

    /// Fills `chain` with the start nodes (`touched`) and all their ancestors, ascending.
    fn climb(&mut self, c: &super::Cch) {
        let n = c.rank.len();
        if self.on_chain.len() < n {
            self.on_chain.resize(n, false);
        }
        self.chain.clear();
        // One ascending run per start node: a climb stops where an earlier one passed. It
        // takes stretches of consecutive ranks ([`Cch::stretch`](super::Cch)) at a time.
        for i in 0..self.touched.len() {
            let from = self.chain.len();
            let mut v = self.touched[i];
            'climb: while v != NONE {
                let top = c.stretch[v as usize];
                for x in v..=top {
                    if self.on_chain[x as usize] {
                        break 'climb;
                    }
                    self.on_chain[x as usize] = true;
                    self.chain.push(x);
                }
                v = c.parent(top);
            }
            // A climb after the first one (which starts at 0) that added nodes.
            if from > 0 && self.chain.len() > from {
                merge_tail(&mut self.chain, from, &mut self.scratch);
            }
        }
        for &v in &self.chain {
            self.on_chain[v as usize] = false;
        }
    }

    /// [`Side::lower`], and the new key on the heap (bidirectional Dijkstra).
    #[inline]
    fn update(&mut self, v: u32, d: f64, pred: u32) {
        if self.lower(v, d, pred) {
            self.heap.push(Reverse((d.to_bits(), v)));
        }
    }

    /// The smallest key (infinity when the heap is empty), dropping stale entries.
    #[inline]
    fn top(&mut self) -> f64 {
        while let Some(&Reverse((k, v))) = self.heap.peek() {
            if k == self.dist[v as usize].to_bits() {
                return f64::from_bits(k);
            }
            self.heap.pop();
        }
        f64::INFINITY
    }

    /// Settles the top node (after [`Side::top`] returned a finite key).
    #[inline]
    fn settle(&mut self) -> u32 {
        let Reverse((_, v)) = self.heap.pop().expect("a key was seen");
        self.settled += 1;
        v
    }
}

/// Sets this thread's work counters to 0 (a query's searches under successive bounds add up).
fn clear_counts() {
    SIDES.with(|sides| {
        let (f, b) = &mut *sides.borrow_mut();
        f.clear_counts();
        b.clear_counts();
    });
}

thread_local! {
    static SIDES: RefCell<(Side, Side)> = RefCell::new(Default::default());
}

/// Starts both sides of a query and labels their end points by rank with `label` (with or
/// without the heap): the forward side from `seeds`, the backward one from `targets`, each
/// with its partial cost and [`SEED`] minus its index as predecessor.
fn seed_sides(
    c: &super::Cch,
    f: &mut Side,
    b: &mut Side,
    seeds: &[Access],
    targets: &[Access],
    label: fn(&mut Side, u32, f64, u32),
) {
    let n = c.rank.len();
    f.start(n);
    b.start(n);
    for (side, ends) in [(f, seeds), (b, targets)] {
        for (i, e) in ends.iter().enumerate() {
            label(side, c.rank[e.node as usize], e.cost + 0.0, SEED - i as u32);
        }
    }
}

impl Customized {
    /// The best route from `seeds` to `targets` (network nodes with partial costs) if it is
    /// cheaper than `mu0`, by `search`: its cost as the search summed it, the seed index, the
    /// network edges in travel order and the target index; plus the number of nodes settled.
    /// The searches relax the customization's adjacencies.
    /// With `STATS`, the sides also count their work for [`Customized::search_stats`] (the
    /// counting is compiled out of `run::<false>`, what routes use).
    pub(crate) fn run<const STATS: bool>(
        &self,
        search: CchSearch,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<ChPath>, usize) {
        match search {
            CchSearch::Dijkstra => {
                clear_counts();
                let (up, down) = &self.adj;
                self.dijkstra::<STATS>(up, down, seeds, targets, mu0)
            }
            CchSearch::EliminationTree => self.bounded::<STATS, true>(seeds, targets, mu0),
        }
    }

    /// The elimination-tree search with the geometric bounds of [`super::bound`] when this
    /// customization has them: first under the guessed bounds (each search that finds a
    /// route below its bound has found the best one), then under `mu0`. Without `PATH`, the
    /// route is not unpacked (only its cost and whether there is one are returned).
    pub(super) fn bounded<const STATS: bool, const PATH: bool>(
        &self,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<ChPath>, usize) {
        clear_counts();
        let (up, down) = &self.adj;
        if self.inv_speed == 0.0 {
            return self
                .elimination_tree::<STATS, false, PATH>(up, down, seeds, targets, mu0, None);
        }
        let pot = Pot::new(&self.cch, self.inv_speed, seeds, targets);
        if let Some(f) = self.first_bound {
            let mut u = f * pot.between();
            let mut settled = 0;
            for _ in 0..bound::ATTEMPTS {
                if !(u > 0.0 && u < mu0) {
                    break;
                }
                let r = self.elimination_tree::<STATS, true, PATH>(
                    up,
                    down,
                    seeds,
                    targets,
                    u,
                    Some(&pot),
                );
                settled += r.2;
                if r.1.is_some() {
                    return (r.0, r.1, settled);
                }
                u *= bound::GROWTH;
            }
            let r = self.elimination_tree::<STATS, true, PATH>(
                up,
                down,
                seeds,
                targets,
                mu0,
                Some(&pot),
            );
            return (r.0, r.1, settled + r.2);
        }
        self.elimination_tree::<STATS, true, PATH>(up, down, seeds, targets, mu0, Some(&pot))
    }

    /// The work of the last query ([`Customized::calibrate`]), over all its searches, both
    /// sides: arc directions relaxed, chain nodes walked, and [`bound::BOUND_COST`] for each
    /// lower bound computed.
    pub(crate) fn last_work(&self) -> usize {
        SIDES.with(|sides| {
            let (f, b) = &*sides.borrow();
            f.relaxed + b.relaxed + f.walked + b.walked + bound::BOUND_COST * (f.bounds + b.bounds)
        })
    }

    /// The bidirectional Dijkstra with stall-on-demand, relaxing `up` and `down`.
    fn dijkstra<const STATS: bool>(
        &self,
        up: &Adjacency,
        down: &Adjacency,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
    ) -> (f64, Option<ChPath>, usize) {
        SIDES.with(|sides| {
            let mut sides = sides.borrow_mut();
            let (f, b) = &mut *sides;
            let c = &*self.cch;
            seed_sides(c, f, b, seeds, targets, Side::update);
            let mut mu = mu0;
            let mut meet = NONE;
            let (mut tf, mut tb) = (f.top(), b.top());
            // Also ends when both heaps are empty (infinity >= any mu).
            while tf.min(tb) < mu {
                let backward = tb < tf;
                let (me, other) = if backward {
                    (&mut *b, &*f)
                } else {
                    (&mut *f, &*b)
                };
                let v = me.settle();
                let dv = me.dist[v as usize];
                let both = dv + other.dist[v as usize];
                if both < mu {
                    mu = both;
                    meet = v;
                }
                // Stall on demand: a higher node reached with a cheaper way into `v`.
                let (relax, into) = if backward { (down, up) } else { (up, down) };
                let stalled = into.of(v).any(|a| me.dist[a.head as usize] + a.w < dv);
                if !stalled {
                    for a in relax.of(v) {
                        if STATS {
                            me.count(meet != NONE);
                        }
                        me.update(a.head, dv + a.w, v);
                    }
                }
                if backward {
                    tb = b.top();
                } else {
                    tf = f.top();
                }
            }
            let path = (meet != NONE).then(|| self.path(f, b, meet));
            (mu, path, f.settled + b.settled)
        })
    }
}

impl Customized {
    /// The elimination-tree search, relaxing `up` and `down`: both sides walk the ancestors of
    /// their start nodes in ascending rank (no priority queue: every upward arc of a node leads
    /// to one of its ancestors, so a node's cost is final once the lower ones are done),
    /// relaxing the arcs of each node whose cost is below the best meeting cost found so far.
    /// `BOUND`: a node's arcs are relaxed only if its cost plus `pot`'s lower bound to the
    /// other side's end points is below the best meeting cost ([`super::bound`]).
    fn elimination_tree<const STATS: bool, const BOUND: bool, const PATH: bool>(
        &self,
        up: &Adjacency,
        down: &Adjacency,
        seeds: &[Access],
        targets: &[Access],
        mu0: f64,
        pot: Option<&Pot>,
    ) -> (f64, Option<ChPath>, usize) {
        SIDES.with(|sides| {
            let mut sides = sides.borrow_mut();
            let (f, b) = &mut *sides;
            let c = &*self.cch;
            seed_sides(c, f, b, seeds, targets, Side::set);
            f.climb(c);
            b.climb(c);
            let fc = std::mem::take(&mut f.chain);
            let bc = std::mem::take(&mut b.chain);
            if STATS {
                f.walked += fc.len();
                b.walked += bc.len();
                f.attempts += 1;
            }
            let mut mu = mu0;
            let mut meet = NONE;
            let (mut i, mut j) = (0, 0);
            while i < fc.len() || j < bc.len() {
                let x = fc.get(i).copied().unwrap_or(NONE);
                let y = bc.get(j).copied().unwrap_or(NONE);
                let v = x.min(y);
                let (df, db) = (f.dist[v as usize], b.dist[v as usize]);
                if df + db < mu {
                    mu = df + db;
                    meet = v;
                }
                if x == v {
                    i += 1;
                    if STATS {
                        f.reached += usize::from(df < f64::INFINITY);
                    }
                    if f.open::<STATS, BOUND>(df, mu, || pot.map_or(0.0, |p| p.to_targets(v))) {
                        f.settled += 1;
                        for a in up.of(v) {
                            if STATS {
                                f.count(meet != NONE);
                            }
                            f.relax(a.head, df + a.w, v);
                        }
                    }
                }
                if y == v {
                    j += 1;
                    if STATS {
                        b.reached += usize::from(db < f64::INFINITY);
                    }
                    if b.open::<STATS, BOUND>(db, mu, || pot.map_or(0.0, |p| p.after_seeds(v))) {
                        b.settled += 1;
                        for a in down.of(v) {
                            if STATS {
                                b.count(meet != NONE);
                            }
                            b.relax(a.head, db + a.w, v);
                        }
                    }
                }
            }
            f.chain = fc;
            b.chain = bc;
            let path = (meet != NONE).then(|| {
                if PATH {
                    self.path(f, b, meet)
                } else {
                    (0, Vec::new(), 0)
                }
            });
            f.reset_chain();
            b.reset_chain();
            (mu, path, f.settled + b.settled)
        })
    }

    /// The route through `meet`: the seed index, the network edges in travel order and the
    /// target index.
    fn path(&self, f: &Side, b: &Side, meet: u32) -> (usize, Vec<u32>, usize) {
        let c = &*self.cch;
        let mut arcs = Vec::with_capacity(32);
        let mut v = meet;
        let si = loop {
            let p = f.pred[v as usize];
            if p > SEED - 8 {
                break (SEED - p) as usize;
            }
            arcs.push(c.arc(p, v).expect("a predecessor is joined by an arc"));
            v = p;
        };
        let mut edges = Vec::with_capacity(64);
        let mut stack = Vec::with_capacity(32);
        for &a in arcs.iter().rev() {
            self.unpack(a, false, &mut stack, &mut edges);
        }
        let mut v = meet;
        let ti = loop {
            let p = b.pred[v as usize];
            if p > SEED - 8 {
                break (SEED - p) as usize;
            }
            let a = c.arc(p, v).expect("a predecessor is joined by an arc");
            self.unpack(a, true, &mut stack, &mut edges);
            v = p;
        };
        (si, edges, ti)
    }
}

/// The work of one CCH query ([`Customized::search_stats`]), both sides together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CchSearchStats {
    /// Elimination-tree search: the start nodes and their ancestors the sides walked (0 for
    /// the bidirectional Dijkstra).
    pub chain: usize,
    /// Of those, the nodes found labelled when their turn came (0 for the Dijkstra).
    pub reached: usize,
    /// Nodes whose arcs were looked at: those below the best meeting cost (elimination
    /// tree), or those taken from the queues, stalled ones included (Dijkstra).
    pub settled: usize,
    /// Arc directions relaxed.
    pub relaxed: usize,
    /// Of those, the ones relaxed before the sides had met (no meeting cost found to prune by
    /// yet; a guessed bound may prune then).
    pub relaxed_apart: usize,
    /// Elimination-tree search: the searches run, one per bound tried (the counts above add
    /// them all up; `chain` is one search's).
    pub attempts: usize,
}

impl Customized {
    /// What a query from `sources` to `targets` (network nodes, each with a cost already spent
    /// or still to pay, at most 8 a side) does with this customization's query algorithm.
    /// `InvalidInput` for a node outside the network, a negative or NaN cost, or more than 8
    /// end points a side.
    pub fn search_stats(
        &self,
        sources: &[(crate::network::NodeId, f64)],
        targets: &[(crate::network::NodeId, f64)],
    ) -> crate::Result<CchSearchStats> {
        let n = self.cch.rank.len();
        let (s, t) = (Ends::check(sources, n)?, Ends::check(targets, n)?);
        self.run::<true>(self.search, &s, &t, f64::INFINITY);
        Ok(SIDES.with(|sides| {
            let (f, b) = &*sides.borrow();
            let et = self.search == CchSearch::EliminationTree;
            CchSearchStats {
                chain: if et { f.chain.len() + b.chain.len() } else { 0 },
                reached: f.reached + b.reached,
                settled: f.settled + b.settled,
                relaxed: f.relaxed + b.relaxed,
                relaxed_apart: f.relaxed_apart + b.relaxed_apart,
                attempts: f.attempts,
            }
        }))
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
        r.cch = Some(crate::routing::CchSlot::Borrowed(cch));
        Ok(r)
    }
}
