//! What a long-running engine (a server) keeps for routing, and what each query runs on.
//!
//! [`RoutingCache`] holds the base network's weights for both metrics, their prepared form
//! ([`Prepared`]: checked once, adjacency built once) and contraction hierarchies, the
//! network's customizable hierarchy, and the prepared weights of every dated state, scenario
//! and avoidance asked for, keyed by the state's *changes* (never by all the weights: a request
//! on a known state reads nothing network-wide). [`plan`] chooses, per query, what it runs on
//! — the base hierarchy for the base weights, the customizable hierarchy (customized once per
//! state) for a dated or avoiding route, a state's own hierarchy for its matrices, the plain
//! searches otherwise — and says whether that is ready or must be prepared first (seconds on a
//! large network), so that a server can prepare off its async workers.
//!
//! A prepared network file (`.jzp`, [`crate::io::jzp`]) brings the base hierarchies and the
//! customizable hierarchy's node order with it: [`RoutingCache::install`] takes them, so that a
//! replica answers its first query without preparing.

use crate::Result;
use crate::io::jzp::{PreparedRouting, PreparedRoutingRef};
use crate::network::{Metric, RoadNetwork};
use crate::routing::{
    Algorithm, Avoid, Cch, Hierarchy, HierarchyCache, Prepared, PreparedCache, Router,
};
use crate::scenario::NetworkState;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Prepared weights of states kept per engine.
pub const STATES_KEPT: usize = 16;

/// Bytes of prepared state weights kept beyond the most recent.
pub const STATE_BYTES_KEPT: usize = 1 << 30;

/// Hierarchies kept per engine: both metrics of the base network and of a dozen states.
pub const HIERARCHIES_KEPT: usize = 32;

/// Bytes of hierarchies kept per engine beyond the most recent (Jinzhou's take 0.1 MB each, a
/// 1M-edge network's about 42 MB).
pub const HIERARCHY_BYTES_KEPT: usize = 512 << 20;

/// Base weights of the network (routing takes a weight slice), the contraction hierarchies of
/// the weights routed on so far, and the prepared weights of states.
pub struct RoutingCache {
    /// Seconds per edge.
    pub time: Vec<f64>,
    /// Metres per edge.
    pub distance: Vec<f64>,
    /// Hierarchies by weights vector: base network, dated states, scenarios (both metrics).
    pub hierarchies: HierarchyCache,
    /// The base network's hierarchies (time, distance), kept for the engine's life and found
    /// without the cache's fingerprint and weights check, which read every weight: on a large
    /// network that would cost each undated request more than its query.
    base: [OnceLock<Arc<Hierarchy>>; 2],
    /// The base weights prepared (checked once, adjacency built once), per metric.
    prepared: [OnceLock<Arc<Prepared>>; 2],
    /// Prepared weights of dated states, scenarios and avoidance, by a key of the state's
    /// changes (with their CCH customizations, made on first use).
    pub states: PreparedCache,
    /// The network's customizable hierarchy (ordered and contracted on first use).
    cch: OnceLock<Arc<Cch>>,
    /// A node order for it from a prepared file (then only contraction is left to do).
    cch_order: OnceLock<Vec<u32>>,
    /// What this cache prepared itself, for [`RoutingCache::counts`].
    made: [AtomicUsize; 5],
    /// Whether customizations of a deep hierarchy get the perfect step in the background
    /// ([`RoutingCache::refine_in_background`]).
    refine: AtomicBool,
    /// Set while one of those steps runs: one at a time.
    refine_busy: Arc<AtomicBool>,
}

/// What a [`RoutingCache`] prepared itself since it was made (what a prepared file brought is
/// not counted): each is seconds of work on a large network, so a test counts them to prove
/// that a query ran on data it already had.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Made {
    /// Contraction hierarchies prepared: the base network's and states' own (for matrices).
    pub hierarchies: usize,
    /// Customizable hierarchies ordered or contracted (at most one per cache).
    pub cch: usize,
    /// Customizations of it for a weights vector from scratch (a date's, a scenario's, an
    /// avoidance's; on a deep hierarchy the base network's, which the others update).
    pub customizations: usize,
    /// Customizations made by updating the base network's (only the arcs the changed edges
    /// reach, [`Customized::updated`](crate::routing::Customized::updated); deep hierarchies
    /// only).
    pub updates: usize,
    /// Perfect steps started in the background on those customizations (deep hierarchies
    /// only: [`Prepared::refine`]).
    pub perfect_steps: usize,
}

const MADE_CH: usize = 0;
const MADE_CCH: usize = 1;
const MADE_CUSTOM: usize = 2;
const MADE_PERFECT: usize = 3;
const MADE_UPDATE: usize = 4;

impl std::fmt::Debug for RoutingCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutingCache")
            .field("edges", &self.time.len())
            .field("hierarchies", &self.hierarchies.len())
            .field("states", &self.states.len())
            .field("cch", &self.cch.get().is_some())
            .finish()
    }
}

fn metric_name(m: Metric) -> &'static str {
    match m {
        Metric::Time => "time",
        Metric::Distance => "distance",
    }
}

fn metric_slot(m: Metric) -> usize {
    match m {
        Metric::Time => 0,
        Metric::Distance => 1,
    }
}

impl RoutingCache {
    /// Weights of a network for both metrics; nothing prepared yet.
    pub fn of(net: &RoadNetwork) -> Self {
        RoutingCache {
            time: net.weights(Metric::Time),
            distance: net.weights(Metric::Distance),
            hierarchies: HierarchyCache::new(HIERARCHIES_KEPT, HIERARCHY_BYTES_KEPT),
            base: Default::default(),
            prepared: Default::default(),
            states: PreparedCache::new(STATES_KEPT, STATE_BYTES_KEPT),
            cch: OnceLock::new(),
            cch_order: OnceLock::new(),
            made: Default::default(),
            refine: AtomicBool::new(false),
            refine_busy: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether a customization made for a query on a deep hierarchy ([`Cch::is_deep`]) also
    /// starts its perfect step in the background ([`Prepared::refine`]): for a server, where a
    /// date's routes keep coming; off by default, so that a batch run does not spend its cores
    /// on it.
    pub fn refine_in_background(&self, on: bool) {
        self.refine.store(on, Ordering::Relaxed);
    }

    /// Starts the perfect step of `p`'s customization of `cch` if this cache refines in the
    /// background, `cch` is deep and no other step runs (O(1); a later query on `p` tries
    /// again when one did). The base network's weights (`base`) keep their basic
    /// customization afterwards, for the updates of the others ([`Prepared::refine`]).
    fn refine(&self, p: &Arc<Prepared>, cch: &Cch, base: bool) {
        if self.refine.load(Ordering::Relaxed) && cch.is_deep() && p.refine(&self.refine_busy, base)
        {
            self.count(MADE_PERFECT);
        }
    }

    /// What this cache has prepared itself so far (see [`Made`]).
    pub fn counts(&self) -> Made {
        let n = |i: usize| self.made[i].load(Ordering::Relaxed);
        Made {
            hierarchies: n(MADE_CH),
            cch: n(MADE_CCH),
            customizations: n(MADE_CUSTOM),
            perfect_steps: n(MADE_PERFECT),
            updates: n(MADE_UPDATE),
        }
    }

    fn count(&self, what: usize) {
        self.made[what].fetch_add(1, Ordering::Relaxed);
    }

    /// The slice for a metric.
    pub fn get(&self, m: Metric) -> &[f64] {
        match m {
            Metric::Time => &self.time,
            Metric::Distance => &self.distance,
        }
    }

    /// The base weights of `metric`, prepared on first use (one copy and check, once).
    pub fn base_prepared(&self, net: &RoadNetwork, metric: Metric) -> Result<Arc<Prepared>> {
        let slot = &self.prepared[metric_slot(metric)];
        if let Some(p) = slot.get() {
            return Ok(p.clone());
        }
        let p = Arc::new(Prepared::new(net, self.get(metric).to_vec(), metric)?);
        Ok(slot.get_or_init(|| p).clone())
    }

    /// The network's customizable hierarchy, ordered (or given its order by a prepared file)
    /// and contracted on first use (seconds on a large network: call it off the async workers).
    pub fn cch(&self, net: &RoadNetwork) -> Result<Arc<Cch>> {
        if let Some(c) = self.cch.get() {
            return Ok(c.clone());
        }
        let c = Arc::new(match self.cch_order.get() {
            Some(order) => Cch::with_order(net, order.clone())?,
            None => Cch::new(net)?,
        });
        self.count(MADE_CCH);
        Ok(self.cch.get_or_init(|| c).clone())
    }

    /// Whether [`RoutingCache::cch`] is built and `p` customized for it: a CCH route on `p`
    /// then costs only its query.
    pub fn cch_ready(&self, p: &Prepared) -> bool {
        self.cch.get().is_some() && p.is_customized()
    }

    /// The base weights of `metric` with the base hierarchy (both prepared on first use).
    pub fn base_ch(
        &self,
        net: &RoadNetwork,
        metric: Metric,
    ) -> Result<(Arc<Prepared>, Arc<Hierarchy>)> {
        let p = self.base_prepared(net, metric)?;
        let h = self.hierarchy(net, self.get(metric))?;
        Ok((p, h))
    }

    /// The base network's hierarchy of `metric` if it is prepared (O(1): no weight is read).
    pub fn base_hierarchy(&self, metric: Metric) -> Option<Arc<Hierarchy>> {
        self.base[metric_slot(metric)].get().cloned()
    }

    /// The slot of `w` if it is one of the base slices of this struct (by address).
    fn base_slot(&self, w: &[f64]) -> Option<&OnceLock<Arc<Hierarchy>>> {
        if std::ptr::eq(w, self.time.as_slice()) {
            Some(&self.base[0])
        } else if std::ptr::eq(w, self.distance.as_slice()) {
            Some(&self.base[1])
        } else {
            None
        }
    }

    /// The hierarchy of `w` if it is prepared already.
    pub fn cached_hierarchy(&self, net: &RoadNetwork, w: &[f64]) -> Option<Arc<Hierarchy>> {
        match self.base_slot(w).and_then(OnceLock::get) {
            Some(h) => Some(h.clone()),
            None => self.hierarchies.get(net, w),
        }
    }

    /// The hierarchy of `w`, prepared now if it is new (seconds on a large network: call it off
    /// the async workers).
    pub fn hierarchy(&self, net: &RoadNetwork, w: &[f64]) -> Result<Arc<Hierarchy>> {
        if let Some(h) = self.cached_hierarchy(net, w) {
            return Ok(h);
        }
        self.count(MADE_CH);
        let h = self.hierarchies.get_or_prepare(net, w)?;
        if let Some(slot) = self.base_slot(w) {
            let _ = slot.set(h.clone());
        }
        Ok(h)
    }

    /// Takes the base hierarchies and the CCH order of a prepared file, each only if it was
    /// made for exactly this network and its base weights (a network changed since, e.g. by a
    /// new catalogue link, prepares on demand as without the file). Says what it took.
    pub fn install(&self, net: &RoadNetwork, prepared: PreparedRouting) -> Installed {
        let mut out = Installed::default();
        for (metric, h) in prepared.hierarchies {
            let w = self.get(metric);
            if h.matches(net, w) {
                let h = Arc::new(h);
                if self.base[metric_slot(metric)].set(h.clone()).is_ok() {
                    self.hierarchies.insert(w, h);
                }
                out.hierarchies.push(metric);
            } else {
                out.rejected.push(format!(
                    "the {} hierarchy was made for another network",
                    metric_name(metric)
                ));
            }
        }
        if let Some(order) = prepared.cch_order {
            if order.len() == net.node_count() {
                out.cch_order = self.cch_order.set(order).is_ok();
            } else {
                out.rejected
                    .push("the CCH order was made for another network".into());
            }
        }
        out
    }

    /// What this cache holds that a prepared file keeps: the base hierarchies prepared so far
    /// and the CCH's node order if it is built.
    pub fn to_prepared(&self) -> PreparedRoutingRef<'_> {
        PreparedRoutingRef {
            hierarchies: [Metric::Time, Metric::Distance]
                .into_iter()
                .filter_map(|m| self.base[metric_slot(m)].get().map(|h| (m, h.as_ref())))
                .collect(),
            cch_order: self.cch.get().map(|c| c.order()),
        }
    }
}

/// What [`RoutingCache::install`] took from a prepared file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Installed {
    /// Base hierarchies taken, by metric.
    pub hierarchies: Vec<Metric>,
    /// Whether the CCH order was taken.
    pub cch_order: bool,
    /// What was not taken, and why.
    pub rejected: Vec<String>,
}

/// A routing query as the facade takes it: the network state (`date` or stored `scenario`;
/// neither is the base network), what to avoid, the metric and what the query needs.
#[derive(Clone, Debug)]
pub struct PlanQuery {
    /// Seconds or metres.
    pub metric: Metric,
    /// Edges, streets or an area to avoid.
    pub avoid: Avoid,
    /// The network on this date.
    pub date: Option<chrono::NaiveDate>,
    /// The network of this stored scenario.
    pub scenario: Option<String>,
    /// What the query needs.
    pub usage: QueryUse,
}

/// How an answer names the network state it was found on (the `state` of a route, matrix or
/// isochrone, and the last line of `jzplan route`'s text): `base network (no works applied)`,
/// `network on YYYY-MM-DD` (`… at HH:MM` with a time of day) or `scenario ID`.
pub fn state_label(
    date: Option<chrono::NaiveDate>,
    time: Option<&str>,
    scenario: Option<&str>,
) -> String {
    match (scenario, date, time) {
        (Some(s), _, _) => format!("scenario {s}"),
        (None, Some(d), Some(t)) => format!("network on {d} at {t}"),
        (None, Some(d), None) => format!("network on {d}"),
        (None, None, _) => "base network (no works applied)".to_string(),
    }
}

impl PlanQuery {
    /// The network state the query runs on, as answers name it ([`state_label`]).
    pub fn state_label(&self) -> String {
        state_label(self.date, None, self.scenario.as_deref())
    }

    /// A query on the base network, avoiding nothing.
    pub fn base(metric: Metric, usage: QueryUse) -> Self {
        PlanQuery {
            metric,
            avoid: Avoid::default(),
            date: None,
            scenario: None,
            usage,
        }
    }
}

/// What a query needs of the routing data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryUse {
    /// A point-to-point route with this algorithm: [`Algorithm::Ch`] runs on the base
    /// hierarchy for the base weights and on the customizable one otherwise; the others on the
    /// plain searches.
    Route(Algorithm),
    /// A many-to-many matrix on a contraction hierarchy: the base network's, or the state's own.
    Matrix,
    /// Snapping and isochrones: the plain searches.
    Plain,
}

/// What a query runs on: its prepared weights and, when it asked for one, a hierarchy.
#[derive(Clone, Debug)]
pub struct QueryPlan {
    net: Arc<RoadNetwork>,
    prepared: Arc<Prepared>,
    base: bool,
    hierarchy: Option<Arc<Hierarchy>>,
    cch: Option<Arc<Cch>>,
    own_ch: bool,
}

impl QueryPlan {
    /// The network.
    pub fn network(&self) -> &RoadNetwork {
        &self.net
    }

    /// The prepared weights.
    pub fn prepared(&self) -> &Arc<Prepared> {
        &self.prepared
    }

    /// Whether the query runs on the base network's weights.
    pub fn is_base(&self) -> bool {
        self.base
    }

    /// A router on the plan (O(1): everything it needs is prepared).
    pub fn router(&self) -> Result<Router<'_>> {
        match (&self.hierarchy, &self.cch) {
            (Some(h), _) => self.prepared.ch_router(&self.net, h),
            (None, Some(c)) => self.prepared.cch_router(&self.net, c),
            (None, None) if self.own_ch => self.prepared.own_ch_router(&self.net),
            (None, None) => self.prepared.router(&self.net),
        }
    }
}

/// A query's plan: ready, or to prepare first.
#[derive(Debug)]
pub enum Plan {
    /// Everything is prepared: route now.
    Ready(QueryPlan),
    /// A hierarchy must be prepared or customized first (seconds on a large network): call
    /// [`Plan::prepare`] off the async workers.
    Pending(PendingPlan),
}

/// A plan whose hierarchy is still to be prepared.
#[derive(Debug)]
pub struct PendingPlan {
    cache: Arc<RoutingCache>,
    plan: QueryPlan,
    metric: Metric,
    usage: QueryUse,
    base_ch: bool,
}

impl Plan {
    /// The plan, preparing what is missing first.
    pub fn prepare(self) -> Result<QueryPlan> {
        match self {
            Plan::Ready(p) => Ok(p),
            Plan::Pending(p) => p.prepare(),
        }
    }
}

/// Edges up to which preparing a hierarchy or ordering the customizable one takes well under a
/// second: a query that finds none ready prepares it there, and runs a plain search on larger
/// networks rather than make one query wait for it (see [`PendingPlan::is_quick`]).
pub const QUICK_PREPARE_EDGES: usize = 50_000;

impl PendingPlan {
    /// Whether what is missing is quick to make: a customization of a customizable hierarchy
    /// that is built or whose order a prepared file brought (one pass over its arcs), or
    /// anything on a network of at most [`QUICK_PREPARE_EDGES`] edges. Otherwise it is
    /// seconds or minutes of work (a hierarchy, or a node order, on a large network), worth it
    /// for a server, which keeps it, but not for one query.
    pub fn is_quick(&self) -> bool {
        let net = &self.plan.net;
        if net.edge_count() <= QUICK_PREPARE_EDGES {
            return true;
        }
        match self.usage {
            QueryUse::Route(Algorithm::Ch) if !self.base_ch => {
                self.cache.cch.get().is_some() || self.cache.cch_order.get().is_some()
            }
            QueryUse::Route(Algorithm::Ch) | QueryUse::Matrix => false,
            QueryUse::Route(_) | QueryUse::Plain => true,
        }
    }

    /// The plan without the hierarchy it asked for: its prepared weights for the plain
    /// searches (a contraction-hierarchy query on it would prepare its own: ask for another
    /// algorithm).
    pub fn plain(self) -> QueryPlan {
        self.plan
    }

    /// Prepares the hierarchy the query needs (and keeps it in the cache for the next ones).
    pub fn prepare(self) -> Result<QueryPlan> {
        let PendingPlan {
            cache,
            mut plan,
            metric,
            usage,
            base_ch,
        } = self;
        let net = plan.net.clone();
        match usage {
            QueryUse::Route(Algorithm::Ch) | QueryUse::Matrix if base_ch => {
                plan.hierarchy = Some(cache.hierarchy(&net, cache.get(metric))?);
            }
            QueryUse::Route(Algorithm::Ch) => {
                let c = cache.cch(&net)?;
                if !plan.prepared.is_customized() {
                    if c.is_deep() && !plan.base {
                        // A date or scenario differs from the base network by a few edges:
                        // its customization updates the base network's (made once, kept),
                        // touching only the arcs those edges reach.
                        let base = cache.base_prepared(&net, metric)?;
                        if !base.is_customized() {
                            cache.count(MADE_CUSTOM);
                        }
                        let (_, full) = plan.prepared.customized_from(&net, &c, &base)?;
                        cache.count(if full { MADE_CUSTOM } else { MADE_UPDATE });
                    } else {
                        cache.count(MADE_CUSTOM);
                    }
                }
                plan.prepared.customized(&net, &c)?;
                // On a deep hierarchy the next routes run on the perfect step's customization,
                // made in the background from this one.
                cache.refine(&plan.prepared, &c, plan.base);
                plan.cch = Some(c);
            }
            QueryUse::Matrix => {
                if !plan.prepared.has_hierarchy() {
                    cache.count(MADE_CH);
                }
                plan.prepared.hierarchy(&net)?;
                plan.own_ch = true;
            }
            QueryUse::Route(_) | QueryUse::Plain => {}
        }
        Ok(plan)
    }
}

/// The plan of a query on `state` (`None`: the base network) avoiding `avoid`: the base
/// network's prepared weights when the state changes nothing and nothing is avoided, otherwise
/// those kept for the state and the avoidance, made now on their first use (one copy of the
/// weights); then what `usage` needs, ready if it is prepared already.
pub fn plan(
    cache: &Arc<RoutingCache>,
    net: &Arc<RoadNetwork>,
    state: Option<&NetworkState<'_>>,
    metric: Metric,
    avoid: &Avoid,
    usage: QueryUse,
) -> Result<Plan> {
    let prepared = weights_for(cache, net, state, metric, avoid)?;
    let base = prepared.is_none();
    let prepared = match prepared {
        Some(p) => p,
        None => cache.base_prepared(net, metric)?,
    };
    let mut plan = QueryPlan {
        net: net.clone(),
        prepared,
        base,
        hierarchy: None,
        cch: None,
        own_ch: false,
    };
    let base_ch = base && on_base_hierarchy(cache, metric, usage);
    let ready = match usage {
        QueryUse::Route(Algorithm::Ch) | QueryUse::Matrix if base_ch => {
            plan.hierarchy = cache.cached_hierarchy(net, cache.get(metric));
            plan.hierarchy.is_some()
        }
        QueryUse::Route(Algorithm::Ch) => {
            if cache.cch_ready(&plan.prepared) {
                let c = cache.cch(net)?;
                cache.refine(&plan.prepared, &c, plan.base);
                plan.cch = Some(c);
            }
            plan.cch.is_some()
        }
        QueryUse::Matrix => {
            plan.own_ch = plan.prepared.has_hierarchy();
            plan.own_ch
        }
        QueryUse::Route(_) | QueryUse::Plain => true,
    };
    Ok(if ready {
        Plan::Ready(plan)
    } else {
        Plan::Pending(PendingPlan {
            cache: cache.clone(),
            plan,
            metric,
            usage,
            base_ch,
        })
    })
}

/// Whether a query on the base weights runs on the base network's hierarchy of `metric`:
/// matrices and travel-time routes always (a server prepares the time hierarchy at start),
/// distance routes when that hierarchy is prepared already (e.g. from a `.jzp` file made with
/// it). Otherwise a distance route runs on the customizable hierarchy, customized once for the
/// base distances: on a network of equal blocks a distance hierarchy takes ~90× as long to
/// prepare as the time one, far too long to make a request wait for it.
fn on_base_hierarchy(cache: &RoutingCache, metric: Metric, usage: QueryUse) -> bool {
    match usage {
        QueryUse::Route(Algorithm::Ch) => {
            metric == Metric::Time || cache.base_hierarchy(metric).is_some()
        }
        _ => true,
    }
}

/// The prepared weights of `state` with `avoid` applied, or `None` when they are the base
/// network's. The key is computed from the state's changes and the avoidance, never from all
/// the weights.
fn weights_for(
    cache: &RoutingCache,
    net: &RoadNetwork,
    state: Option<&NetworkState<'_>>,
    metric: Metric,
    avoid: &Avoid,
) -> Result<Option<Arc<Prepared>>> {
    use std::hash::{Hash, Hasher};
    let changes = state.map_or(&[][..], |st| st.overlay().changes());
    if changes.is_empty() && avoid.is_empty() {
        return Ok(None);
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    metric.hash(&mut h);
    if let Some(st) = state {
        for &(e, _) in changes {
            let w = if !st.is_open(e) {
                f64::INFINITY
            } else {
                match metric {
                    Metric::Time => st.free_flow_time_s(e),
                    Metric::Distance => net.edge(e).length_m,
                }
            };
            (e.0, w.to_bits()).hash(&mut h);
        }
    }
    format!("{avoid:?}").hash(&mut h);
    let prepared = cache.states.get_or_insert_with(h.finish(), || {
        let mut w = match state {
            Some(st) => st.weights(metric),
            None => cache.get(metric).to_vec(),
        };
        if !avoid.is_empty() {
            avoid.apply_in_place(net, &mut w)?;
        }
        Prepared::new(net, w, metric)
    })?;
    Ok(Some(prepared))
}

/// Prepares, for the engine's life, what most queries run on: the base network's prepared
/// weights and hierarchy for `metric`, and the customizable hierarchy (milliseconds on
/// Jinzhou, seconds on a million edges: a server calls it in the background at start).
pub fn warm(cache: &RoutingCache, net: &RoadNetwork, metric: Metric) -> Result<()> {
    cache.base_ch(net, metric)?;
    cache.cch(net)?;
    Ok(())
}
