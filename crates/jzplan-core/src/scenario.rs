//! The network on a date: the base network plus an overlay of per-edge changes made by the
//! works in force on that date. A state never copies the graph: it holds a reference to the
//! base and a sparse list of changed edges, and produces per-edge weight, capacity and
//! free-flow-time slices for routing and assignment.
//!
//! Order of application (so the result does not depend on the order of the works list):
//! completion effects first, in order of completion date (a later widening overrides an
//! earlier one), then construction effects (a site on a road closes it, whatever was built
//! before). Planned edges stay closed unless an `open_link` effect opens them.

use crate::network::{EdgeId, Metric, RoadNetwork};
use crate::works::{Action, Phase, ResolvedEffect, Work, WorkId};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a state changes on one edge; `None` = as in the base network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct EdgeChange {
    /// Closed (construction site, removed road) — or, for a planned edge, still unbuilt.
    pub closed: Option<bool>,
    /// Lanes in this direction.
    pub lanes: Option<u8>,
    /// Free-flow speed.
    pub speed_kmh: Option<f32>,
    /// Capacity in this direction.
    pub capacity_vph: Option<f32>,
}

/// Sparse per-edge changes, sorted by edge id.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Overlay {
    changes: Vec<(EdgeId, EdgeChange)>,
}

impl Overlay {
    /// The changes, sorted by edge.
    pub fn changes(&self) -> &[(EdgeId, EdgeChange)] {
        &self.changes
    }
    /// The change on one edge, if any.
    pub fn get(&self, e: EdgeId) -> Option<&EdgeChange> {
        self.changes
            .binary_search_by_key(&e, |c| c.0)
            .ok()
            .map(|i| &self.changes[i].1)
    }
    /// Number of changed edges.
    pub fn len(&self) -> usize {
        self.changes.len()
    }
    /// No change at all.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Accumulates effects into an overlay.
struct OverlayBuilder<'a> {
    base: &'a RoadNetwork,
    map: HashMap<EdgeId, EdgeChange>,
}

impl<'a> OverlayBuilder<'a> {
    fn entry(&mut self, e: EdgeId) -> &mut EdgeChange {
        self.map.entry(e).or_default()
    }
    fn lanes(&self, e: EdgeId) -> u8 {
        self.map
            .get(&e)
            .and_then(|c| c.lanes)
            .unwrap_or(self.base.edge(e).lanes)
    }
    fn capacity(&self, e: EdgeId) -> f32 {
        self.map
            .get(&e)
            .and_then(|c| c.capacity_vph)
            .unwrap_or(self.base.edge(e).capacity_vph)
    }
    fn speed(&self, e: EdgeId) -> f32 {
        self.map
            .get(&e)
            .and_then(|c| c.speed_kmh)
            .unwrap_or(self.base.edge(e).speed_kmh)
    }

    fn apply(&mut self, eff: &ResolvedEffect) {
        for &e in &eff.edges {
            if e.index() >= self.base.edge_count() {
                continue; // checked at attach time; never index out of the base
            }
            match &eff.action {
                Action::Close | Action::Remove => self.entry(e).closed = Some(true),
                Action::OpenLink => self.entry(e).closed = Some(false),
                Action::CutLanes { lanes } => {
                    let old = self.lanes(e);
                    let new = old.saturating_sub(*lanes).max(1);
                    // A site: the HCM work-zone capacity by lanes open; a permanent cut: the
                    // lanes' share.
                    let cap = if eff.phase == Phase::Construction {
                        crate::assignment::supply::work_zone_capacity_vph(
                            f64::from(self.capacity(e)),
                            old,
                            new,
                        ) as f32
                    } else {
                        self.capacity(e) * new as f32 / old as f32
                    };
                    let c = self.entry(e);
                    c.lanes = Some(new);
                    c.capacity_vph = Some(cap);
                }
                Action::SetLanes { lanes } => {
                    let old = self.lanes(e);
                    let cap = self.capacity(e) * *lanes as f32 / old as f32;
                    let c = self.entry(e);
                    c.lanes = Some(*lanes);
                    c.capacity_vph = Some(cap);
                }
                Action::AddLanes { lanes } => {
                    let old = self.lanes(e);
                    let new = old.saturating_add(*lanes);
                    let cap = self.capacity(e) * new as f32 / old as f32;
                    let c = self.entry(e);
                    c.lanes = Some(new);
                    c.capacity_vph = Some(cap);
                }
                Action::SetSpeed { speed_kmh } => {
                    let s = self.speed(e).min(*speed_kmh);
                    self.entry(e).speed_kmh = Some(s);
                }
                Action::ScaleCapacity { factor } => {
                    let cap = self.capacity(e) * factor;
                    self.entry(e).capacity_vph = Some(cap);
                }
            }
        }
    }

    fn finish(self) -> Overlay {
        let mut changes: Vec<(EdgeId, EdgeChange)> = self.map.into_iter().collect();
        changes.sort_unstable_by_key(|c| c.0);
        Overlay { changes }
    }
}

/// Which works are in force in a state, and how.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ActiveWorks {
    /// Works on site.
    pub construction: Vec<WorkId>,
    /// Works completed.
    pub completed: Vec<WorkId>,
}

impl ActiveWorks {
    /// The effects in force, with their works, in the order a state applies them: the
    /// completion effects of completed works (in order of completion), then the construction
    /// effects of works on site.
    pub fn effects_in_force<'r>(
        &'r self,
        resolved: &'r HashMap<WorkId, Vec<ResolvedEffect>>,
    ) -> impl Iterator<Item = (&'r WorkId, &'r ResolvedEffect)> + 'r {
        [
            (Phase::Completion, &self.completed),
            (Phase::Construction, &self.construction),
        ]
        .into_iter()
        .flat_map(move |(phase, ids)| {
            ids.iter().flat_map(move |id| {
                resolved
                    .get(id)
                    .into_iter()
                    .flatten()
                    .filter(move |eff| eff.phase == phase)
                    .map(move |eff| (id, eff))
            })
        })
    }
}

/// The network as it stands on one date (or in one scenario): base + overlay.
#[derive(Clone, Debug)]
pub struct NetworkState<'a> {
    base: &'a RoadNetwork,
    overlay: Overlay,
    /// The date, if the state is for a date.
    pub date: Option<NaiveDate>,
    /// Works in force.
    pub active: ActiveWorks,
}

impl<'a> NetworkState<'a> {
    /// The base state: no works, planned links closed.
    pub fn base(base: &'a RoadNetwork) -> Self {
        NetworkState {
            base,
            overlay: Overlay::default(),
            date: None,
            active: ActiveWorks::default(),
        }
    }

    /// The state on `date` from works and their resolved effects (see the module doc for the
    /// order). Works without resolved effects count as active but change nothing. A scheduled
    /// effect is in force on the days of its schedule (and, for night hours, the morning after
    /// one): the state of a day is the worst a trip meets that day.
    pub fn on_date(
        base: &'a RoadNetwork,
        works: &[Work],
        resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
        date: NaiveDate,
    ) -> Self {
        Self::on_date_at(base, works, resolved, date, None)
    }

    /// The state at `minute` after local midnight of `date` (`None`: at any time of the day,
    /// as [`NetworkState::on_date`]): effects with daily hours are in force only within them.
    pub fn on_date_at(
        base: &'a RoadNetwork,
        works: &[Work],
        resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
        date: NaiveDate,
        minute: Option<u16>,
    ) -> Self {
        let mut completed: Vec<&Work> = Vec::new();
        let mut construction: Vec<&Work> = Vec::new();
        for w in works {
            match w.phase_on(date) {
                Some(Phase::Completion) => completed.push(w),
                Some(Phase::Construction) => construction.push(w),
                None => {}
            }
        }
        completed.sort_by(|a, b| a.window().end.cmp(&b.window().end).then(a.id.cmp(&b.id)));
        construction.sort_by(|a, b| a.id.cmp(&b.id));
        let active = ActiveWorks {
            construction: construction.iter().map(|w| w.id.clone()).collect(),
            completed: completed.iter().map(|w| w.id.clone()).collect(),
        };
        let mut ob = OverlayBuilder {
            base,
            map: HashMap::new(),
        };
        for (_, eff) in active.effects_in_force(resolved) {
            if eff.phase != Phase::Construction || eff.in_force(date, minute) {
                ob.apply(eff);
            }
        }
        NetworkState {
            base,
            overlay: ob.finish(),
            date: Some(date),
            active,
        }
    }

    /// A state with extra edges closed on top of this one (for detours and clash checks).
    pub fn with_closed(&self, edges: &[EdgeId]) -> NetworkState<'a> {
        let mut ob = OverlayBuilder {
            base: self.base,
            map: self.overlay.changes.iter().copied().collect(),
        };
        for &e in edges {
            if e.index() < self.base.edge_count() {
                ob.entry(e).closed = Some(true);
            }
        }
        NetworkState {
            base: self.base,
            overlay: ob.finish(),
            date: self.date,
            active: self.active.clone(),
        }
    }

    /// A state with extra effects applied on top of this one, in order (a closure study's
    /// closures on its baseline).
    pub fn with_effects(&self, effects: &[ResolvedEffect]) -> NetworkState<'a> {
        let mut ob = OverlayBuilder {
            base: self.base,
            map: self.overlay.changes.iter().copied().collect(),
        };
        for eff in effects {
            ob.apply(eff);
        }
        NetworkState {
            base: self.base,
            overlay: ob.finish(),
            date: self.date,
            active: self.active.clone(),
        }
    }

    /// The base network.
    pub fn network(&self) -> &'a RoadNetwork {
        self.base
    }
    /// The overlay.
    pub fn overlay(&self) -> &Overlay {
        &self.overlay
    }

    /// Whether an edge can be driven in this state.
    #[inline]
    pub fn is_open(&self, e: EdgeId) -> bool {
        match self.overlay.get(e).and_then(|c| c.closed) {
            Some(closed) => !closed,
            None => !self.base.edge(e).planned,
        }
    }
    /// Free-flow speed in this state.
    pub fn speed_kmh(&self, e: EdgeId) -> f32 {
        self.overlay
            .get(e)
            .and_then(|c| c.speed_kmh)
            .unwrap_or(self.base.edge(e).speed_kmh)
    }
    /// Lanes in this state.
    pub fn lanes(&self, e: EdgeId) -> u8 {
        self.overlay
            .get(e)
            .and_then(|c| c.lanes)
            .unwrap_or(self.base.edge(e).lanes)
    }
    /// Capacity in this state (0 when closed).
    pub fn capacity_vph(&self, e: EdgeId) -> f32 {
        if !self.is_open(e) {
            return 0.0;
        }
        self.overlay
            .get(e)
            .and_then(|c| c.capacity_vph)
            .unwrap_or(self.base.edge(e).capacity_vph)
    }
    /// Free-flow time in this state (`INFINITY` when closed).
    pub fn free_flow_time_s(&self, e: EdgeId) -> f64 {
        if !self.is_open(e) {
            return f64::INFINITY;
        }
        self.base.edge(e).length_m * 3.6 / self.speed_kmh(e) as f64
    }

    /// Per-edge weights for a metric (`INFINITY` = closed): the slice routing takes. Starts
    /// from the base weights and touches only changed edges.
    pub fn weights(&self, metric: Metric) -> Vec<f64> {
        let mut w = self.base.weights(metric);
        self.patch_weights(&mut w, metric);
        w
    }

    /// Rewrites, in a buffer holding the base weights for `metric`, the entries this state
    /// changes (no allocation: for repeated states over one base).
    pub fn patch_weights(&self, w: &mut [f64], metric: Metric) {
        for &(e, _) in &self.overlay.changes {
            w[e.index()] = if !self.is_open(e) {
                f64::INFINITY
            } else {
                match metric {
                    Metric::Time => self.free_flow_time_s(e),
                    Metric::Distance => self.base.edge(e).length_m,
                }
            };
        }
    }

    /// Per-edge capacities (veh/h; 0 = closed), for assignment.
    pub fn capacities_vph(&self) -> Vec<f64> {
        (0..self.base.edge_count())
            .map(|i| self.capacity_vph(EdgeId::from_index(i)) as f64)
            .collect()
    }
    /// Per-edge free-flow times (s; `INFINITY` = closed), for assignment.
    pub fn free_flow_times_s(&self) -> Vec<f64> {
        self.weights(Metric::Time)
    }

    /// Edges closed in this state that are open in the base.
    pub fn closed_edges(&self) -> Vec<EdgeId> {
        self.overlay
            .changes
            .iter()
            .filter(|(e, c)| c.closed == Some(true) && !self.base.edge(*e).planned)
            .map(|c| c.0)
            .collect()
    }
    /// Planned edges opened in this state.
    pub fn opened_edges(&self) -> Vec<EdgeId> {
        self.overlay
            .changes
            .iter()
            .filter(|(e, c)| c.closed == Some(false) && self.base.edge(*e).planned)
            .map(|c| c.0)
            .collect()
    }
}

/// A named what-if scenario: works with overridden dates or statuses, over a period.
///
/// A scenario has a window (`start..end`, both days included): the period it is about. Its
/// state is evaluated on `date` (given, or the window's first day); records stored before
/// scenarios had windows hold only a date and read as the one-day window `date..date`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ScenarioRecord")]
pub struct Scenario {
    /// Id (`p1-late`).
    pub id: String,
    /// Description.
    pub name: String,
    /// The date the scenario's network is evaluated on (in its window).
    pub date: NaiveDate,
    /// The period the scenario is about (`None`: the one day `date`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<crate::works::DateRange>,
    /// Per-work overrides.
    #[serde(default)]
    pub overrides: Vec<WorkOverride>,
    /// Version (optimistic concurrency).
    #[serde(default)]
    pub version: u64,
}

/// A scenario as written: a date, a window, or both.
#[derive(Deserialize)]
struct ScenarioRecord {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    date: Option<NaiveDate>,
    #[serde(default)]
    window: Option<crate::works::DateRange>,
    #[serde(default)]
    overrides: Vec<WorkOverride>,
    #[serde(default)]
    version: u64,
}

impl TryFrom<ScenarioRecord> for Scenario {
    type Error = String;
    fn try_from(r: ScenarioRecord) -> std::result::Result<Scenario, String> {
        let date = r
            .date
            .or(r.window.map(|w| w.start))
            .ok_or_else(|| format!("scenario '{}' needs a date or a window", r.id))?;
        Ok(Scenario {
            id: r.id,
            name: r.name,
            date,
            window: r.window,
            overrides: r.overrides,
            version: r.version,
        })
    }
}

/// One override of a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkOverride {
    /// The work.
    pub work: WorkId,
    /// Replace the status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::works::Status>,
    /// Replace the construction window (actual dates are dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<crate::works::DateRange>,
    /// Closed but not finished: the site stays (construction effects) up to and including
    /// this day and the work's completion (its new links) comes only after it; the start, and
    /// an actual start, are kept. With `window` it extends the overridden window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_until: Option<NaiveDate>,
}

impl WorkOverride {
    /// The override applied to one work.
    fn apply_to(&self, w: &mut Work) {
        if let Some(s) = self.status {
            w.status = s;
        }
        if let Some(win) = self.window {
            w.planned = win;
            w.actual_start = None;
            w.actual_end = None;
        }
        if let Some(until) = self.closed_until {
            let start = w.window().start;
            w.planned = crate::works::DateRange {
                start: w.planned.start.min(start),
                end: until,
            };
            w.actual_end = None;
            if matches!(w.status, crate::works::Status::Completed) {
                w.status = crate::works::Status::UnderConstruction;
            }
        }
    }
}

impl Scenario {
    /// Checks the id, date, window and overrides (unknown works are refused by the engine).
    pub fn validate(&self) -> Result<()> {
        crate::works::WorkId::parse(&self.id)?;
        crate::works::check_date("scenario date", self.date)?;
        if let Some(w) = self.window {
            let w = crate::works::DateRange::new(w.start, w.end)
                .map_err(|e| Error::invalid(format!("scenario window: {e}")))?;
            if self.date < w.start || self.date > w.end {
                return Err(Error::invalid(format!(
                    "scenario date {} lies outside its window {} … {}",
                    self.date, w.start, w.end
                )));
            }
        }
        for o in &self.overrides {
            if let Some(w) = o.window {
                crate::works::DateRange::new(w.start, w.end)?;
            }
            if let Some(d) = o.closed_until {
                crate::works::check_date("closed_until", d)?;
                if let Some(w) = o.window
                    && d < w.start
                {
                    return Err(Error::invalid(format!(
                        "override of {}: closed_until {d} is before the window starts ({})",
                        o.work, w.start
                    )));
                }
            }
        }
        Ok(())
    }

    /// The period the scenario is about: its window, or the one day of its date.
    pub fn period(&self) -> crate::works::DateRange {
        self.window.unwrap_or(crate::works::DateRange {
            start: self.date,
            end: self.date,
        })
    }

    /// The works with this scenario's overrides applied; `NotFound` for an override of a work
    /// that does not exist.
    pub fn apply(&self, works: &[Work]) -> Result<Vec<Work>> {
        let mut out = works.to_vec();
        for o in &self.overrides {
            let w = out
                .iter_mut()
                .find(|w| w.id == o.work)
                .ok_or_else(|| Error::not_found("work", &o.work))?;
            o.apply_to(w);
        }
        Ok(out)
    }

    /// Overrides that change nothing in the scenario's period: the work is in the same phase
    /// (not started, on site, completed) on every day of the window with and without the
    /// override. One sentence each, for the response (an override that does nothing is a
    /// warning, not a silent zero). `NotFound` for an override of an unknown work.
    pub fn warnings(&self, works: &[Work]) -> Result<Vec<String>> {
        let period = self.period();
        let mut out = Vec::new();
        for o in &self.overrides {
            let w = works
                .iter()
                .find(|w| w.id == o.work)
                .ok_or_else(|| Error::not_found("work", &o.work))?;
            let mut changed = w.clone();
            o.apply_to(&mut changed);
            // A phase can only change on a day on which one of the two versions starts or
            // ends; checking the window's first day and those days inside it is exact.
            let mut days = vec![period.start];
            for x in [w.window(), changed.window()] {
                for d in [x.start, x.end.succ_opt().unwrap_or(x.end)] {
                    if d > period.start && d <= period.end {
                        days.push(d);
                    }
                }
            }
            if days.iter().all(|&d| w.phase_on(d) == changed.phase_on(d)) {
                let phase = match w.phase_on(period.start) {
                    None => "not started",
                    Some(Phase::Construction) => "on site",
                    Some(Phase::Completion) => "completed",
                };
                let when = if period.start == period.end {
                    format!("on {}", period.start)
                } else {
                    format!("from {} to {}", period.start, period.end)
                };
                out.push(format!(
                    "the override of {} changes nothing {when}: the work is {phase} there \
                     with or without it",
                    o.work
                ));
            }
        }
        Ok(out)
    }
}

/// A scenario as stored, with the warnings of its overrides (see [`Scenario::warnings`]).
#[derive(Clone, Debug, Serialize)]
pub struct CheckedScenario {
    /// The scenario.
    #[serde(flatten)]
    pub scenario: Scenario,
    /// Overrides that change nothing in the scenario's period.
    pub warnings: Vec<String>,
}

/// A state in numbers and names (for `scenario show` and the API).
#[derive(Clone, Debug, Serialize)]
pub struct StateSummary {
    /// The date.
    pub date: Option<NaiveDate>,
    /// Works on site.
    pub construction: Vec<String>,
    /// Works completed.
    pub completed: Vec<String>,
    /// Edges with any change.
    pub changed_edges: usize,
    /// Built edges closed.
    pub closed_edges: usize,
    /// Planned edges opened.
    pub opened_edges: usize,
    /// Open edges with fewer lanes, lower speed or lower capacity.
    pub reduced_edges: usize,
    /// Streets with a closed edge.
    pub closed_streets: Vec<String>,
    /// Streets of opened planned edges.
    pub opened_streets: Vec<String>,
}

impl StateSummary {
    /// Summarises a state.
    pub fn of(s: &NetworkState<'_>) -> StateSummary {
        let net = s.network();
        let names = |edges: &[EdgeId]| {
            let mut v: Vec<String> = edges
                .iter()
                .map(|&e| net.street_of(e).display_name().to_string())
                .collect();
            v.sort();
            v.dedup();
            v
        };
        let closed = s.closed_edges();
        let opened = s.opened_edges();
        let reduced = s
            .overlay
            .changes
            .iter()
            .filter(|(e, c)| {
                s.is_open(*e)
                    && (c.lanes.is_some_and(|l| l < net.edge(*e).lanes)
                        || c.speed_kmh.is_some_and(|v| v < net.edge(*e).speed_kmh)
                        || c.capacity_vph
                            .is_some_and(|v| v < net.edge(*e).capacity_vph))
            })
            .count();
        StateSummary {
            date: s.date,
            construction: s
                .active
                .construction
                .iter()
                .map(|w| w.to_string())
                .collect(),
            completed: s.active.completed.iter().map(|w| w.to_string()).collect(),
            changed_edges: s.overlay.len(),
            closed_edges: closed.len(),
            opened_edges: opened.len(),
            reduced_edges: reduced,
            closed_streets: names(&closed),
            opened_streets: names(&opened),
        }
    }
}

/// A route on the base network against the same trip in a state.
#[derive(Clone, Debug, Serialize)]
pub struct RouteComparison {
    /// `on 2022-06-01` or the scenario name.
    pub label: String,
    /// Route on the base network (no works, planned links closed).
    pub base: crate::routing::Route,
    /// Route in the state (`None` when the works cut every way).
    pub scenario: Option<crate::routing::Route>,
    /// Extra seconds in the state.
    pub extra_s: Option<f64>,
    /// Extra metres in the state.
    pub extra_m: Option<f64>,
    /// Streets used in the state but not in the base route.
    pub streets_added: Vec<String>,
    /// Streets of the base route no longer used.
    pub streets_dropped: Vec<String>,
    /// Why there is no scenario route.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// Routes `from → to` in `state` (snapping onto edges open in that state).
pub fn route_in(
    state: &NetworkState<'_>,
    from: geo_types::Point<f64>,
    to: geo_types::Point<f64>,
    metric: Metric,
) -> Result<crate::routing::Route> {
    let w = state.weights(metric);
    crate::routing::route(
        state.network(),
        &w,
        metric,
        from,
        to,
        crate::network::snap::DEFAULT_MAX_SNAP_M,
        &Default::default(),
    )
}

/// Base route vs the route in `state`: extra time and distance, streets added and dropped.
/// `NoRoute` in the state is reported in the comparison, not as an error.
pub fn compare_routes(
    state: &NetworkState<'_>,
    from: geo_types::Point<f64>,
    to: geo_types::Point<f64>,
    metric: Metric,
) -> Result<RouteComparison> {
    compare_routes_by(state, &|st| route_in(st, from, to, metric))
}

/// [`compare_routes`] with the routes of `route` (the trip in the state it is given: the base
/// state of `state`'s network, then `state`).
pub fn compare_routes_by(
    state: &NetworkState<'_>,
    route: &dyn Fn(&NetworkState<'_>) -> Result<crate::routing::Route>,
) -> Result<RouteComparison> {
    let base = route(&NetworkState::base(state.network()))?;
    let label = state
        .date
        .map(|d| format!("on {d}"))
        .unwrap_or_else(|| "scenario".into());
    let street_set = |r: &crate::routing::Route| {
        r.streets
            .iter()
            .map(|s| {
                if s.name_zh.is_empty() {
                    s.name_en.clone()
                } else {
                    s.name_zh.clone()
                }
            })
            .collect::<std::collections::BTreeSet<String>>()
    };
    match route(state) {
        Ok(r) => {
            let (a, b) = (street_set(&base), street_set(&r));
            Ok(RouteComparison {
                label,
                extra_s: Some(r.duration_s - base.duration_s),
                extra_m: Some(r.distance_m - base.distance_m),
                streets_added: b.difference(&a).cloned().collect(),
                streets_dropped: a.difference(&b).cloned().collect(),
                base,
                scenario: Some(r),
                note: String::new(),
            })
        }
        Err(e @ (Error::NoRoute(_) | Error::NoSegment { .. })) => Ok(RouteComparison {
            label,
            base,
            scenario: None,
            extra_s: None,
            extra_m: None,
            streets_added: vec![],
            streets_dropped: vec![],
            note: e.to_string(),
        }),
        Err(e) => Err(e),
    }
}
