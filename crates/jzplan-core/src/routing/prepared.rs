//! Weights vectors kept with what routing derives from them, so that a request on a known
//! state costs only its search.
//!
//! A [`Prepared`] holds one checked weights vector (the base network's, a date's, a scenario's,
//! with or without avoided edges) and builds on first use, once: the adjacency of the plain
//! searches and the customization of the network's [`Cch`]. A router made from it costs O(1):
//! no weight is read, compared or copied. [`PreparedCache`] keeps the most recently used ones
//! by a key the caller derives from the state (its changes, not its weights: computing a key
//! must not read every weight either).
//!
//! On a deep hierarchy ([`Cch::is_deep`]) a server also asks for the perfect step
//! ([`Prepared::refine`]): the first routes of a new date run on the basic customization, made
//! in well under a second, and the next ones on the perfect one, made from it in the
//! background (their queries relax about half the arcs). The basic customization's query arcs
//! are then let go, unless the weights are the base of other customizations' updates.

use super::cch::{Cch, Customized};
use super::ch::{Hierarchy, weights_fingerprint};
use super::search::Graph;
use super::{GraphSlot, Router, work};
use crate::network::{Metric, RoadNetwork};
use crate::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// One checked weights vector and its derived data (see the module doc). `Sync`.
pub struct Prepared {
    metric: Metric,
    weights: Vec<f64>,
    fingerprint: u64,
    nodes: usize,
    graph: OnceLock<Graph>,
    /// The basic customization, made on first use; let go by [`Prepared::refine`] once the
    /// perfect one is made, unless asked to keep it. Routers hold it while they live.
    custom: RwLock<Option<Arc<Customized>>>,
    /// The customization with the perfect step, made from `custom` by [`Prepared::refine`].
    perfect: OnceLock<Arc<Customized>>,
    /// Whether [`Prepared::refine`] has started it.
    refining: AtomicBool,
    ch: OnceLock<Hierarchy>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("metric", &self.metric)
            .field("edges", &self.weights.len())
            .field("fingerprint", &self.fingerprint)
            .field("graph", &self.graph.get().is_some())
            .field("customized", &self.is_customized())
            .field("refined", &self.perfect.get().is_some())
            .finish()
    }
}

impl Prepared {
    /// Checks `weights` (one per edge of `net`, `>= 0`, infinity = closed) and keeps them.
    pub fn new(net: &RoadNetwork, weights: Vec<f64>, metric: Metric) -> Result<Prepared> {
        super::validate_weights(net, &weights)?;
        work::full_pass(net);
        Ok(Prepared {
            metric,
            fingerprint: weights_fingerprint(&weights),
            weights,
            nodes: net.node_count(),
            graph: OnceLock::new(),
            custom: RwLock::new(None),
            perfect: OnceLock::new(),
            refining: AtomicBool::new(false),
            ch: OnceLock::new(),
        })
    }

    /// The weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// Their metric.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// Their fingerprint ([`weights_fingerprint`]).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    fn check(&self, net: &RoadNetwork) -> Result<()> {
        if net.node_count() != self.nodes || net.edge_count() != self.weights.len() {
            return Err(Error::invalid(
                "the prepared weights belong to another network",
            ));
        }
        Ok(())
    }

    /// A router on these weights: O(1), sharing the adjacency (built by the first plain
    /// search). Its [`Algorithm::Ch`](super::Algorithm::Ch) queries prepare a hierarchy of
    /// their own unless one is given with [`Prepared::ch_router`] or [`Prepared::cch_router`].
    pub fn router<'a>(&'a self, net: &'a RoadNetwork) -> Result<Router<'a>> {
        self.check(net)?;
        Ok(Router {
            net,
            weights: &self.weights,
            metric: self.metric,
            g: GraphSlot::Shared(&self.graph),
            ch_given: None,
            ch_own: OnceLock::new(),
            cch: None,
        })
    }

    /// A router that answers [`Algorithm::Ch`](super::Algorithm::Ch) on `h`, which must have
    /// been prepared for these weights (fingerprints compared: O(1)).
    pub fn ch_router<'a>(&'a self, net: &'a RoadNetwork, h: &'a Hierarchy) -> Result<Router<'a>> {
        let mut r = self.router(net)?;
        if h.fingerprint() != self.fingerprint || h.node_count() != self.nodes {
            return Err(Error::invalid(
                "the contraction hierarchy was prepared for other weights or another network",
            ));
        }
        r.ch_given = Some(h);
        Ok(r)
    }

    /// The basic customization, if it is made and kept.
    fn basic(&self) -> Option<Arc<Customized>> {
        self.custom
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The customization routes run on: the perfect one once made, else the basic one.
    fn current(&self) -> Option<Arc<Customized>> {
        if let Some(p) = self.perfect.get() {
            return Some(p.clone());
        }
        // [`Prepared::refine`] sets the perfect one before it lets the basic one go: look again.
        self.basic().or_else(|| self.perfect.get().cloned())
    }

    /// Keeps `c` as the basic customization unless one is kept already (two first uses at
    /// once both customize; one result is kept, both are equal), and returns the one kept.
    fn keep_basic(&self, c: Customized) -> Arc<Customized> {
        let mut slot = self.custom.write().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = slot.as_ref() {
            return kept.clone();
        }
        if let Some(p) = self.perfect.get() {
            // Refined and let go meanwhile: the perfect one answers.
            return p.clone();
        }
        let c = Arc::new(c);
        *slot = Some(c.clone());
        c
    }

    /// These weights' customization of `cch`, made now if it is the first use (then kept); the
    /// one with the perfect step once [`Prepared::refine`] has made it.
    pub fn customized(&self, net: &RoadNetwork, cch: &Arc<Cch>) -> Result<Arc<Customized>> {
        self.check(net)?;
        if let Some(c) = self.current() {
            if !Arc::ptr_eq(c.cch(), cch) {
                return Err(Error::invalid(
                    "the weights were customized for another hierarchy",
                ));
            }
            return Ok(c);
        }
        work::full_pass(net);
        let c = cch.customize(&self.weights)?;
        Ok(self.keep_basic(c))
    }

    /// These weights' customization of `cch` made by updating `base`'s (made now if it is the
    /// first use of either, then kept; see [`Customized::updated`]): on a deep hierarchy a
    /// date's customization touches only the arcs its changed edges reach. Also whether the
    /// update fell back to the full customization (too many arcs reached).
    pub fn customized_from(
        &self,
        net: &RoadNetwork,
        cch: &Arc<Cch>,
        base: &Prepared,
    ) -> Result<(Arc<Customized>, bool)> {
        if std::ptr::eq(self, base) || self.is_customized() {
            return Ok((self.customized(net, cch)?, false));
        }
        self.check(net)?;
        let made = base.customized(net, cch)?;
        // From the basic customization, which the base keeps once the perfect one is made too
        // (`refine` with `keep_basic`): its query arcs are what an update can copy for the
        // ranks it leaves unchanged.
        let from = base.basic().unwrap_or(made);
        work::full_pass(net);
        let (c, stats) = from.updated_with_stats(&self.weights)?;
        Ok((self.keep_basic(c), stats.full))
    }

    /// Starts making the customization with the perfect step from the basic one, on a thread
    /// of its own; [`Prepared::customized`] returns it once made. `busy` lets one step run at
    /// a time among all the weights that share it (each takes both cores and a few hundred MB
    /// for about a second on a 1M-edge network): it is set while the step runs.
    ///
    /// Once the perfect customization is made, the basic one is let go (its query arcs are
    /// about a third of a date's memory on a large grid; routers running on it hold it until
    /// they end) unless `keep_basic`: the base network's weights keep it, since the other
    /// weights' customizations are updates of it ([`Prepared::customized_from`]).
    ///
    /// Returns whether the step started. It does not start before the basic customization is
    /// made, when it has the perfect step already, when this step was started before, or
    /// while `busy` is set (then a later call may start it).
    pub fn refine(self: &Arc<Self>, busy: &Arc<AtomicBool>, keep_basic: bool) -> bool {
        let Some(basic) = self.basic() else {
            return false;
        };
        if basic.is_perfect() || self.refining.load(Ordering::Acquire) {
            return false;
        }
        if busy
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        /// Clears the flag when the step ends, however it ends.
        struct Release(Arc<AtomicBool>);
        impl Drop for Release {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let release = Release(busy.clone());
        if self.refining.swap(true, Ordering::AcqRel) {
            return false;
        }
        let me = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name("jzplan-perfect-step".into())
            .spawn(move || {
                let _release = release;
                if let Some(basic) = me.basic() {
                    let _ = me.perfect.set(Arc::new(basic.perfected()));
                    if !keep_basic {
                        *me.custom.write().unwrap_or_else(|e| e.into_inner()) = None;
                    }
                }
            });
        if started.is_err() {
            // No thread to be had (the closure, and with it the flag, is released): the basic
            // customization keeps answering, and a later call may try again.
            self.refining.store(false, Ordering::Release);
            return false;
        }
        true
    }

    /// Whether the customization with the perfect step is made ([`Prepared::refine`]).
    pub fn is_refined(&self) -> bool {
        self.perfect.get().is_some()
    }

    /// These weights' own contraction hierarchy, prepared now if it is the first use (then
    /// kept): for many-to-many matrices, where its faster searches pay for the preparation.
    pub fn hierarchy(&self, net: &RoadNetwork) -> Result<&Hierarchy> {
        self.check(net)?;
        if let Some(h) = self.ch.get() {
            return Ok(h);
        }
        let h = Hierarchy::new(net, &self.weights)?;
        Ok(self.ch.get_or_init(|| h))
    }

    /// A router that answers [`Algorithm::Ch`](super::Algorithm::Ch) on these weights' own
    /// hierarchy ([`Prepared::hierarchy`]).
    pub fn own_ch_router<'a>(&'a self, net: &'a RoadNetwork) -> Result<Router<'a>> {
        let h = self.hierarchy(net)?;
        let mut r = self.router(net)?;
        r.ch_given = Some(h);
        Ok(r)
    }

    /// Whether the hierarchy of [`Prepared::hierarchy`] is prepared already.
    pub fn has_hierarchy(&self) -> bool {
        self.ch.get().is_some()
    }

    /// Whether the customization is made already.
    pub fn is_customized(&self) -> bool {
        self.perfect.get().is_some() || self.basic().is_some()
    }

    /// Whether the basic customization is kept (made, and not let go after the perfect step).
    pub fn keeps_basic(&self) -> bool {
        self.basic().is_some()
    }

    /// A router that answers [`Algorithm::Ch`](super::Algorithm::Ch) on these weights'
    /// customization of `cch` (made now on first use).
    pub fn cch_router<'a>(&'a self, net: &'a RoadNetwork, cch: &Arc<Cch>) -> Result<Router<'a>> {
        let c = self.customized(net, cch)?;
        let mut r = self.router(net)?;
        r.cch = Some(super::CchSlot::Shared(c));
        Ok(r)
    }

    /// Heap bytes held: the weights, and the adjacency and customization once made.
    pub fn memory_bytes(&self) -> usize {
        self.weights.len() * 8
            + self.graph.get().map_or(0, Graph::memory_bytes)
            + match (self.basic(), self.perfect.get()) {
                // The perfect one shares the basic one's weights and unpacking memo.
                (Some(b), p) => b.memory_bytes() + p.map_or(0, |p| p.query_bytes()),
                (None, Some(p)) => p.memory_bytes(),
                (None, None) => 0,
            }
            + self.ch.get().map_or(0, Hierarchy::memory_bytes)
    }
}

/// The most recently used [`Prepared`] weights by key: at most `capacity`, and beyond the most
/// recent at most `max_bytes` of them ([`Prepared::memory_bytes`] when inserted).
pub struct PreparedCache {
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<Vec<(u64, Arc<Prepared>)>>,
}

impl std::fmt::Debug for PreparedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl PreparedCache {
    /// An empty cache.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        PreparedCache {
            capacity: capacity.max(1),
            max_bytes,
            entries: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Arc<Prepared>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The weights kept under `key` (they become the most recent). O(kept).
    pub fn get(&self, key: u64) -> Option<Arc<Prepared>> {
        let mut v = self.lock();
        let i = v.iter().position(|(k, _)| *k == key)?;
        let e = v.remove(i);
        let p = e.1.clone();
        v.insert(0, e);
        Some(p)
    }

    /// The weights kept under `key`, or `make()`'s, kept now (made outside the lock).
    pub fn get_or_insert_with(
        &self,
        key: u64,
        make: impl FnOnce() -> Result<Prepared>,
    ) -> Result<Arc<Prepared>> {
        if let Some(p) = self.get(key) {
            return Ok(p);
        }
        let p = Arc::new(make()?);
        let mut v = self.lock();
        if let Some(i) = v.iter().position(|(k, _)| *k == key) {
            return Ok(v[i].1.clone());
        }
        v.insert(0, (key, p.clone()));
        v.truncate(self.capacity);
        let mut bytes = 0;
        let keep = v
            .iter()
            .position(|(_, p)| {
                bytes += p.memory_bytes();
                bytes > self.max_bytes
            })
            .map_or(v.len(), |i| i.max(1));
        v.truncate(keep);
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::grid::{GridOptions, grid};
    use crate::routing::{Algorithm, RouteOptions};

    #[test]
    fn requests_on_prepared_weights_make_no_network_wide_pass() {
        let net = grid(&GridOptions::jinzhou(12, 15)).unwrap();
        work::watch(&net);
        let mut w = net.weights(Metric::Time);
        w[7] = f64::INFINITY;
        let p = Prepared::new(&net, w.clone(), Metric::Time).unwrap();
        let cch = Arc::new(Cch::new(&net).unwrap());
        assert!(work::passes() >= 2);
        let a = net
            .snap_index()
            .snap(&net, net.nodes()[3].point(), 500.0)
            .unwrap();
        let b = net
            .snap_index()
            .snap(&net, net.nodes()[170].point(), 500.0)
            .unwrap();
        let opts = |algorithm| RouteOptions { algorithm };
        // First uses: the customization and the adjacency, once each.
        work::reset();
        let r = p.cch_router(&net, &cch).unwrap();
        let first = r.route(&a, &b, &opts(Algorithm::Ch)).unwrap();
        let bidir = r.route(&a, &b, &opts(Algorithm::BidirAStar)).unwrap();
        assert_eq!(work::passes(), 2);
        assert!((first.cost - bidir.cost).abs() <= 1e-9 * first.cost);
        // Then any number of requests, each with a new router: none.
        work::reset();
        for _ in 0..20 {
            let r = p.cch_router(&net, &cch).unwrap();
            r.route(&a, &b, &opts(Algorithm::Ch)).unwrap();
            r.route(&a, &b, &opts(Algorithm::BidirDijkstra)).unwrap();
            r.isochrone(&a, 300.0).unwrap();
        }
        assert_eq!(work::passes(), 0);
        // The plain router of the same weights checks them: a pass per router.
        crate::routing::Router::new(&net, &w, Metric::Time).unwrap();
        assert_eq!(work::passes(), 1);
        work::unwatch();
        // Another network is refused.
        let other = grid(&GridOptions::jinzhou(3, 3)).unwrap();
        assert_eq!(p.router(&other).unwrap_err().code(), "InvalidInput");
        // The cache keeps the most recent ones by key.
        let cache = PreparedCache::new(2, usize::MAX);
        let make = |k: f64| {
            let net = &net;
            move || Prepared::new(net, vec![k; net.edge_count()], Metric::Time)
        };
        let p1 = cache.get_or_insert_with(1, make(1.0)).unwrap();
        assert!(Arc::ptr_eq(
            &p1,
            &cache.get_or_insert_with(1, make(9.0)).unwrap()
        ));
        cache.get_or_insert_with(2, make(2.0)).unwrap();
        cache.get(1).unwrap();
        cache.get_or_insert_with(3, make(3.0)).unwrap();
        assert!(cache.get(2).is_none() && cache.get(1).is_some() && cache.len() == 2);
        let bad = cache.get_or_insert_with(4, make(-1.0)).unwrap_err();
        assert_eq!(bad.code(), "InvalidInput");
    }

    #[test]
    fn a_refined_customization_has_the_perfect_step_the_same_costs_and_shares_its_weights() {
        // A 60 × 60 grid is deep (over 100 ancestors a node), one edge closed.
        let net = grid(&GridOptions::jinzhou(60, 60)).unwrap();
        let cch = Arc::new(Cch::new(&net).unwrap());
        assert!(cch.is_deep());
        let mut w = net.weights(Metric::Time);
        w[11] = f64::INFINITY;
        let p = Arc::new(Prepared::new(&net, w, Metric::Time).unwrap());
        let busy = Arc::new(AtomicBool::new(false));
        assert!(
            !p.refine(&busy, true),
            "nothing to refine before the customization"
        );
        let snap = |i: usize| {
            net.snap_index()
                .snap(&net, net.nodes()[i].point(), 500.0)
                .unwrap()
        };
        let pairs: Vec<_> = [(0, 3599), (61, 3000), (1799, 5), (3540, 59)]
            .iter()
            .map(|&(a, b)| (snap(a), snap(b)))
            .collect();
        let opts = RouteOptions {
            algorithm: Algorithm::Ch,
        };
        let costs = |p: &Prepared| -> Vec<f64> {
            let r = p.cch_router(&net, &cch).unwrap();
            pairs
                .iter()
                .map(|(a, b)| r.route(a, b, &opts).unwrap().cost)
                .collect()
        };
        let basic = costs(&p);
        let c = p.customized(&net, &cch).unwrap();
        assert!(!c.is_perfect() && !p.is_refined());
        let (basic_dropped, before) = (c.dropped(), p.memory_bytes());
        // Not while another step holds the flag; then once.
        busy.store(true, Ordering::Release);
        assert!(!p.refine(&busy, true));
        busy.store(false, Ordering::Release);
        assert!(p.refine(&busy, true));
        assert!(!p.refine(&busy, true), "started once");
        let t = std::time::Instant::now();
        while !p.is_refined() || busy.load(Ordering::Acquire) {
            assert!(t.elapsed().as_secs() < 300, "the perfect step never ended");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let c = p.customized(&net, &cch).unwrap();
        assert!(c.is_perfect());
        assert!(c.dropped() > basic_dropped);
        // The weights and the unpacking memo are shared: only what the queries relax is new.
        // Asked to keep the basic customization (the base network's), it keeps it.
        assert!(p.keeps_basic());
        assert_eq!(p.memory_bytes(), before + c.query_bytes());
        for (a, b) in basic.iter().zip(costs(&p)) {
            assert!((a - b).abs() <= 1e-9 * a, "{a} then {b}");
        }
        // And every cost is Dijkstra's.
        let r = p.router(&net).unwrap();
        let dijkstra = RouteOptions {
            algorithm: Algorithm::Dijkstra,
        };
        for ((a, b), cost) in pairs.iter().zip(&basic) {
            let d = r.route(a, b, &dijkstra).unwrap().cost;
            assert!((d - cost).abs() <= 1e-9 * d, "{d} against {cost}");
        }
    }
    #[test]
    fn a_refined_date_lets_its_basic_customization_go_and_routers_on_it_still_answer() {
        let net = grid(&GridOptions::jinzhou(60, 60)).unwrap();
        let cch = Arc::new(Cch::new(&net).unwrap());
        let mut w = net.weights(Metric::Time);
        w[11] = f64::INFINITY;
        let p = Arc::new(Prepared::new(&net, w, Metric::Time).unwrap());
        let snap = |i: usize| {
            net.snap_index()
                .snap(&net, net.nodes()[i].point(), 500.0)
                .unwrap()
        };
        let (a, b) = (snap(0), snap(3599));
        let opts = RouteOptions {
            algorithm: Algorithm::Ch,
        };
        // A router made on the basic customization, kept across the perfect step.
        let before = p.cch_router(&net, &cch).unwrap();
        let cost = before.route(&a, &b, &opts).unwrap().cost;
        let basic_bytes = p.memory_bytes();
        let busy = Arc::new(AtomicBool::new(false));
        assert!(p.refine(&busy, false));
        let t = std::time::Instant::now();
        while p.keeps_basic() || busy.load(Ordering::Acquire) {
            assert!(t.elapsed().as_secs() < 300, "the perfect step never ended");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(p.is_refined() && p.is_customized());
        let c = p.customized(&net, &cch).unwrap();
        assert!(c.is_perfect());
        // Only the perfect customization is held now (it shares the weights and memo).
        assert_eq!(p.memory_bytes(), 8 * net.edge_count() + c.memory_bytes());
        assert!(p.memory_bytes() < basic_bytes + c.query_bytes());
        // The old router still answers on the basic one it holds, the new one on the perfect.
        assert_eq!(before.route(&a, &b, &opts).unwrap().cost, cost);
        let after = p
            .cch_router(&net, &cch)
            .unwrap()
            .route(&a, &b, &opts)
            .unwrap();
        assert!((after.cost - cost).abs() <= 1e-9 * cost);
        // Nothing to refine again, and nothing is customized again: the perfect one answers.
        assert!(!p.refine(&busy, false));
        assert!(Arc::ptr_eq(&p.customized(&net, &cch).unwrap(), &c));
    }
}
