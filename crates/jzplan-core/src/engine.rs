//! The Engine facade: the one entry point that the API, the CLI and embedding programs call,
//! and the one file that lists what the engine can do. Every method is a short delegation to
//! the module that does the work; new capabilities add their logic in their module and one
//! method here (no `impl Engine` anywhere else).
//!
//! | area | methods | module |
//! |---|---|---|
//! | construction | [`new`](Engine::new), [`with_works`](Engine::with_works), [`seed`](Engine::seed), [`reattach`](Engine::reattach), [`sync_attachment`](Engine::sync_attachment) | [`crate::works::engine`] |
//! | routing on the base network | [`route`](Engine::route), [`matrix`](Engine::matrix), [`isochrone`](Engine::isochrone), [`nearest`](Engine::nearest) | [`crate::routing::query`] |
//! | routing as a server does it (prepared once, kept; `.jzp` files) | [`routing_plan`](Engine::routing_plan), [`warm_routing`](Engine::warm_routing), [`install_prepared`](Engine::install_prepared), [`write_prepared`](Engine::write_prepared) | [`crate::served`], [`crate::io::jzp`] |
//! | the network on a date | [`state_on`](Engine::state_on), [`state_at`](Engine::state_at), [`scenario_state`](Engine::scenario_state), [`state_for`](Engine::state_for), [`state_weights`](Engine::state_weights), [`route_in`](Engine::route_in), [`compare_routes`](Engine::compare_routes) | [`crate::scenario`], [`crate::works::engine`] |
//! | works | [`list_works`](Engine::list_works), [`get_work`](Engine::get_work), [`timeline`](Engine::timeline), [`history`](Engine::history), [`create_work`](Engine::create_work), [`set_status`](Engine::set_status), [`set_dates`](Engine::set_dates) (all three through [`crate::works::feed`]), [`attach_report`](Engine::attach_report), [`planned_links`](Engine::planned_links), [`works_version`](Engine::works_version), [`resolved_effects`](Engine::resolved_effects) | [`crate::works::engine`] |
//! | choke points | [`list_hotspots`](Engine::list_hotspots), [`get_hotspot`](Engine::get_hotspot), [`hotspot_node`](Engine::hotspot_node), [`set_hotspot_status`](Engine::set_hotspot_status) | [`crate::works::engine`] |
//! | scenarios | [`list_scenarios`](Engine::list_scenarios), [`get_scenario`](Engine::get_scenario), [`put_scenario`](Engine::put_scenario), [`delete_scenario`](Engine::delete_scenario) | [`crate::works::engine`] |
//! | analyses | [`clashes`](Engine::clashes), [`detours`](Engine::detours), [`detours_on`](Engine::detours_on) | [`crate::analysis`] |
//! | map layers (OGC API, tiles, exports) | [`layers`](Engine::layers), [`jinzhou_layers`](Engine::jinzhou_layers), [`layer_data`](Engine::layer_data) | [`crate::layers`] |
//! | feeds for others (WZDx 4.2, Waze CIFS, WZDx import) | [`road_events`](Engine::road_events), [`wzdx_feed`](Engine::wzdx_feed), [`cifs_incidents`](Engine::cifs_incidents), [`import_wzdx`](Engine::import_wzdx) | [`crate::feeds`] |
//! | assignment, impact, calibration, closure studies | [`impact_demand`](Engine::impact_demand), [`day_on`](Engine::day_on), [`calibration`](Engine::calibration), [`study`](Engine::study), [`impact_choke_points`](Engine::impact_choke_points), [`impact`](Engine::impact), [`impact_year_tasks`](Engine::impact_year_tasks), [`impact_year`](Engine::impact_year) | [`crate::analysis::impact`] |
//! | change feed and webhooks | [`events`](Engine::events), [`last_event`](Engine::last_event), [`subscribe`](Engine::subscribe), [`subscription`](Engine::subscription), [`subscriptions_with_secrets`](Engine::subscriptions_with_secrets), [`unsubscribe`](Engine::unsubscribe), [`deliveries`](Engine::deliveries), [`record_delivery`](Engine::record_delivery), [`claim_subscription`](Engine::claim_subscription) | [`crate::works::feed`], [`crate::store::events`] |

use crate::Result;
use crate::analysis::clash::{Clash, ClashOptions};
use crate::analysis::detour::Detour;
use crate::analysis::impact::{
    self, ChokePointRef, Demand, ImpactQuery, ImpactResult, Task, YearAnalysis,
};
use crate::analysis::stored;
use crate::assignment::zones::Zone;
use crate::hotspot::{Hotspot, HotspotId, HotspotStatus};
use crate::io::jzp::{self, PreparedRouting};
use crate::layers::{Catalog, LayerData};
use crate::network::snap::Snap;
use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::routing::query::{self, QueryOptions, RouteQuery};
use crate::routing::{Isochrone, Matrix, Route};
use crate::scenario::{self, CheckedScenario, NetworkState, RouteComparison, Scenario};
use crate::served::{self, Installed, Plan, PlanQuery, RoutingCache};
use crate::served_query;
use crate::store::{SeedReport, Store};
use crate::works::anchor::{AttachReport, PlannedLink};
use crate::works::catalogue::Catalogue;
use crate::works::engine::{TimelineRow, WorkDetail, WorksBook};
use crate::works::{DateRange, HistoryEntry, ResolvedEffect, Status, Work, WorkFilter, WorkId};
use chrono::NaiveDate;
use geo_types::Point;
use std::collections::HashMap;
use std::sync::Arc;

/// The loaded network plus everything derived from it, shared by the API and the CLI.
#[derive(Clone)]
pub struct Engine {
    /// The base road network.
    pub network: Arc<RoadNetwork>,
    /// Works, choke points and scenarios: their store and their attachment to `network`
    /// (see [`WorksBook`]; empty for `Engine::new`).
    pub works: Arc<WorksBook>,
    /// What routing queries run on, prepared on first use and kept: the base weights and
    /// hierarchies, the customizable hierarchy, the prepared weights of states (see
    /// [`RoutingCache`]).
    pub routing: Arc<RoutingCache>,
}

// ---- construction ----------------------------------------------------------------------------
impl Engine {
    /// An engine on a network, without works.
    pub fn new(network: RoadNetwork) -> Self {
        Engine {
            routing: Arc::new(RoutingCache::of(&network)),
            network: Arc::new(network),
            works: Arc::new(WorksBook::empty()),
        }
    }

    /// An engine on `network` with the works of `store`: the catalogue's planned links are added
    /// to the network as planned edges and every work's effects and choke point are attached
    /// (see [`WorksBook::attach`]). The store is not seeded here (see [`Engine::seed`]).
    pub fn with_works(
        network: RoadNetwork,
        store: Arc<dyn Store>,
        catalogue: &Catalogue,
    ) -> Result<Engine> {
        let (network, book) = WorksBook::attach(network, store, catalogue)?;
        Ok(Engine {
            routing: Arc::new(RoutingCache::of(&network)),
            network: Arc::new(network),
            works: Arc::new(book),
        })
    }

    /// The works store, or `Error::Store` for an engine built without one.
    pub fn store(&self) -> Result<&dyn Store> {
        self.works.store()
    }

    /// Seeds the store from a catalogue (idempotent, never overwrites edits) and attaches the
    /// records it added or updated.
    pub fn seed(&self, catalogue: &Catalogue) -> Result<SeedReport> {
        self.works.seed(&self.network, catalogue)
    }

    /// Brings the attachment up to date with changes made through another process on the same
    /// store (another replica; see [`WorksBook::sync_attachment`]).
    pub fn sync_attachment(&self) -> Result<()> {
        self.works.sync_attachment(&self.network)
    }

    /// Re-resolves every work and choke point on the network.
    pub fn reattach(&self) -> Result<()> {
        self.works.reattach(&self.network)
    }
}

// ---- routing on the base network or a state, through the routing cache -----------------------
impl Engine {
    /// A route on the base network.
    pub fn route(&self, q: &RouteQuery) -> Result<Route> {
        self.route_on(None, q)
    }

    /// A route with `q`'s algorithm on `state` (`None`: the base network), on the routing
    /// cache: a contraction-hierarchy route runs on the base hierarchy (a prepared file's when
    /// it brought one) or on the customizable hierarchy customized for the state.
    pub fn route_on(&self, state: Option<&NetworkState<'_>>, q: &RouteQuery) -> Result<Route> {
        match self.foreign(state) {
            Some(st) => query::route_query(st.network(), Some(&st.weights(q.options.metric)), q),
            None => served_query::route(&self.routing, &self.network, state, q),
        }
    }

    /// A matrix on the base network.
    pub fn matrix(
        &self,
        sources: &[Point<f64>],
        targets: &[Point<f64>],
        o: &QueryOptions,
    ) -> Result<Matrix> {
        self.matrix_on(None, sources, targets, o)
    }

    /// A matrix on `state` (`None`: the base network), on a hierarchy when one is ready or
    /// quick to make (see [`served_query::matrix`]).
    pub fn matrix_on(
        &self,
        state: Option<&NetworkState<'_>>,
        sources: &[Point<f64>],
        targets: &[Point<f64>],
        o: &QueryOptions,
    ) -> Result<Matrix> {
        match self.foreign(state) {
            Some(st) => query::matrix_query(
                st.network(),
                Some(&st.weights(o.metric)),
                sources,
                targets,
                o,
            ),
            None => served_query::matrix(&self.routing, &self.network, state, sources, targets, o),
        }
    }

    /// An isochrone on the base network (the budget in the unit of `o.metric`: seconds or metres).
    pub fn isochrone(&self, from: Point<f64>, budget: f64, o: &QueryOptions) -> Result<Isochrone> {
        self.isochrone_on(None, from, budget, o)
    }

    /// An isochrone on `state` (`None`: the base network).
    pub fn isochrone_on(
        &self,
        state: Option<&NetworkState<'_>>,
        from: Point<f64>,
        budget: f64,
        o: &QueryOptions,
    ) -> Result<Isochrone> {
        match self.foreign(state) {
            Some(st) => {
                query::isochrone_query(st.network(), Some(&st.weights(o.metric)), from, budget, o)
            }
            None => served_query::isochrone(&self.routing, &self.network, state, from, budget, o),
        }
    }

    /// `state` when it is a state of another network than this engine's: the routing cache
    /// holds this network's weights only, so such a state is routed on its own network
    /// without the cache. `None` for the base network and for this network's states.
    fn foreign<'s, 'n>(&self, state: Option<&'s NetworkState<'n>>) -> Option<&'s NetworkState<'n>> {
        state.filter(|st| !std::ptr::eq(st.network(), &*self.network))
    }

    /// The nearest open point of the base network within `max_m` metres.
    pub fn nearest(&self, p: Point<f64>, max_m: f64) -> Result<Snap> {
        query::nearest_open(&self.network, p, max_m)
    }
}

// ---- routing as a server does it: prepared once, kept ----------------------------------------
impl Engine {
    /// What a query on a date, scenario or avoidance runs on (see [`served::plan`]): ready, or
    /// a hierarchy to prepare first with [`Plan::prepare`] (seconds on a large network: off
    /// the async workers).
    pub fn routing_plan(&self, q: &PlanQuery) -> Result<Plan> {
        let state = self.state_for(q.date, q.scenario.as_deref())?;
        served::plan(
            &self.routing,
            &self.network,
            state.as_ref(),
            q.metric,
            &q.avoid,
            q.usage,
        )
    }

    /// Prepares the base network's weights and hierarchy for `metric` and the customizable
    /// hierarchy, for the engine's life (a server calls it in the background at start).
    pub fn warm_routing(&self, metric: Metric) -> Result<()> {
        served::warm(&self.routing, &self.network, metric)
    }

    /// Takes the routing data of a prepared network file (`.jzp`) for this engine's network.
    pub fn install_prepared(&self, prepared: PreparedRouting) -> Installed {
        self.routing.install(&self.network, prepared)
    }

    /// Prepares what a prepared network file keeps — the base hierarchies of `metrics` and,
    /// with `cch`, the customizable hierarchy's order — and writes the network with them to
    /// `path` (`.jzp`); says what the file holds and how long each part took.
    pub fn write_prepared(
        &self,
        path: &std::path::Path,
        metrics: &[Metric],
        cch: bool,
    ) -> Result<jzp::Written> {
        let mut seconds = Vec::new();
        let mut timed = |what: &str, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
            let t = std::time::Instant::now();
            f()?;
            seconds.push((what.to_string(), t.elapsed().as_secs_f64()));
            Ok(())
        };
        for &metric in metrics {
            let name = match metric {
                Metric::Time => "time",
                Metric::Distance => "distance",
            };
            let what = format!("contraction hierarchy ({name})");
            timed(&what, &mut || {
                self.routing.base_ch(&self.network, metric).map(drop)
            })?;
        }
        if cch {
            timed(
                "customizable hierarchy (order and contraction)",
                &mut || self.routing.cch(&self.network).map(drop),
            )?;
        }
        let t = std::time::Instant::now();
        let mut written = jzp::write_file(&self.network, &self.routing.to_prepared(), path)?;
        seconds.push(("write".to_string(), t.elapsed().as_secs_f64()));
        written.seconds = seconds;
        Ok(written)
    }
}

// ---- the network on a date or in a scenario --------------------------------------------------
impl Engine {
    /// The network on `date`: base + effects of the works in force.
    pub fn state_on(&self, date: NaiveDate) -> Result<NetworkState<'_>> {
        self.works.state_on(&self.network, date)
    }

    /// The network at `minute` after local midnight of `date`: night or day-time works only
    /// within their hours.
    pub fn state_at(&self, date: NaiveDate, minute: u16) -> Result<NetworkState<'_>> {
        self.works.state_at(&self.network, date, minute)
    }

    /// The network in a what-if scenario (overrides applied, evaluated on its date).
    pub fn scenario_state(&self, scenario: &Scenario) -> Result<NetworkState<'_>> {
        self.works.scenario_state(&self.network, scenario)
    }

    /// The network on `date` or in the stored `scenario`; `None` is the base network (see
    /// [`WorksBook::state_for`]).
    pub fn state_for(
        &self,
        date: Option<NaiveDate>,
        scenario: Option<&str>,
    ) -> Result<Option<NetworkState<'_>>> {
        self.works.state_for(&self.network, date, scenario)
    }

    /// Per-edge weights of the network on `date` or in the stored `scenario`.
    pub fn state_weights(
        &self,
        date: Option<NaiveDate>,
        scenario: Option<&str>,
        metric: Metric,
    ) -> Result<Vec<f64>> {
        self.works
            .state_weights(&self.network, date, scenario, metric)
    }

    /// Routes `from → to` in `state` (snapping onto edges open in that state): on the
    /// customizable hierarchy customized once for the state's weights (kept by its changes),
    /// the base hierarchy for a state that changes nothing, or a plain search while neither is
    /// ready nor quick to make (see [`served_query::fastest_route`]).
    pub fn route_in(
        &self,
        state: &NetworkState<'_>,
        from: Point<f64>,
        to: Point<f64>,
        metric: Metric,
    ) -> Result<Route> {
        match self.foreign(Some(state)) {
            Some(st) => scenario::route_in(st, from, to, metric),
            None => served_query::fastest_route(
                &self.routing,
                &self.network,
                Some(state),
                from,
                to,
                metric,
            ),
        }
    }

    /// Base route vs the route in `state`: extra time and distance, streets added and dropped
    /// (both routed as [`Engine::route_in`] routes).
    pub fn compare_routes(
        &self,
        state: &NetworkState<'_>,
        from: Point<f64>,
        to: Point<f64>,
        metric: Metric,
    ) -> Result<RouteComparison> {
        scenario::compare_routes_by(state, &|st| self.route_in(st, from, to, metric))
    }
}

// ---- works -----------------------------------------------------------------------------------
impl Engine {
    /// Works passing a filter.
    pub fn list_works(&self, filter: &WorkFilter) -> Result<Vec<Work>> {
        self.works.list_works(filter)
    }

    /// One work with its children, history and attachment.
    pub fn get_work(&self, id: &WorkId) -> Result<WorkDetail> {
        self.works.get_work(&self.network, id)
    }

    /// The works as timeline rows, by start date.
    pub fn timeline(&self, filter: &WorkFilter) -> Result<Vec<TimelineRow>> {
        self.works.timeline(filter)
    }

    /// The history of a work (or of a hotspot, or `scenario:<id>`).
    pub fn history(&self, record: &str) -> Result<Vec<HistoryEntry>> {
        self.works.history(record)
    }

    /// Adds a new work (validated, attached at once).
    pub fn create_work(&self, work: &Work, actor: &str, comment: &str) -> Result<Work> {
        crate::works::feed::create_work(&self.works, &self.network, work, actor, comment)
    }

    /// Moves a work to status `to`, effective on `on`, at `expected_version`.
    pub fn set_status(
        &self,
        id: &WorkId,
        to: Status,
        on: NaiveDate,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<Work> {
        crate::works::feed::set_status(
            &self.works,
            &self.network,
            id,
            to,
            on,
            expected_version,
            actor,
            comment,
        )
    }

    /// Replaces a work's planned dates at `expected_version`.
    pub fn set_dates(
        &self,
        id: &WorkId,
        planned: DateRange,
        dates_source: Option<&str>,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<Work> {
        crate::works::feed::set_dates(
            &self.works,
            &self.network,
            id,
            planned,
            dates_source,
            expected_version,
            actor,
            comment,
        )
    }

    /// How the planned links, works and choke points attached to this network.
    pub fn attach_report(&self) -> Result<AttachReport> {
        self.works.attach_report(&self.network)
    }

    /// The planned links of the catalogue, with their edges on this network.
    pub fn planned_links(&self) -> Result<Vec<(PlannedLink, Vec<EdgeId>)>> {
        self.works.planned_links(&self.network)
    }

    /// Identifies the state of the stored works (ids and versions), for caches that must
    /// follow every change.
    pub fn works_version(&self) -> Result<u64> {
        self.works.works_version()
    }

    /// Each work's resolved effects (for analyses: clashes, detours, impact).
    pub fn resolved_effects(&self) -> Result<HashMap<WorkId, Vec<ResolvedEffect>>> {
        self.works.resolved_effects(&self.network)
    }
}

// ---- choke points ----------------------------------------------------------------------------
impl Engine {
    /// All choke points.
    pub fn list_hotspots(&self) -> Result<Vec<Hotspot>> {
        self.works.list_hotspots()
    }

    /// One choke point.
    pub fn get_hotspot(&self, id: &HotspotId) -> Result<Hotspot> {
        self.works.get_hotspot(id)
    }

    /// The junction a choke point attached to on this network.
    pub fn hotspot_node(&self, id: &HotspotId) -> Result<Option<NodeId>> {
        self.works.hotspot_node(&self.network, id)
    }

    /// Sets a choke point's status at `expected_version`.
    pub fn set_hotspot_status(
        &self,
        id: &HotspotId,
        to: HotspotStatus,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<Hotspot> {
        self.works
            .set_hotspot_status(id, to, expected_version, actor, comment)
    }
}

// ---- scenarios -------------------------------------------------------------------------------
impl Engine {
    /// All scenarios.
    pub fn list_scenarios(&self) -> Result<Vec<Scenario>> {
        self.works.list_scenarios()
    }

    /// One scenario.
    pub fn get_scenario(&self, id: &str) -> Result<Scenario> {
        self.works.get_scenario(id)
    }

    /// Creates (`expected_version` 0) or replaces a scenario; the answer carries a warning for
    /// every override that changes nothing in the scenario's period.
    pub fn put_scenario(
        &self,
        s: &Scenario,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<CheckedScenario> {
        self.works.put_scenario(s, expected_version, actor, comment)
    }

    /// Deletes a scenario at `expected_version`.
    pub fn delete_scenario(
        &self,
        id: &str,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<()> {
        self.works
            .delete_scenario(id, expected_version, actor, comment)
    }
}

// ---- analyses --------------------------------------------------------------------------------
impl Engine {
    /// Clashes among the stored works on this network.
    pub fn clashes(&self, opts: &ClashOptions) -> Result<Vec<Clash>> {
        stored::stored_clashes(&self.network, &self.works, opts)
    }

    /// Detours around every closure of the stored works, each work alone on the base network
    /// (optionally only works on site on `date`).
    pub fn detours(&self, date: Option<NaiveDate>) -> Result<Vec<Detour>> {
        stored::stored_detours(&self.network, &self.works, date)
    }

    /// Detours around every stretch closed on `date`, on the network as it stands that day.
    pub fn detours_on(&self, date: NaiveDate) -> Result<Vec<Detour>> {
        stored::detours_on(&self.network, &self.works, date)
    }
}

// ---- map layers -----------------------------------------------------------------------------
impl Engine {
    /// What the layers read: this engine's network and works.
    pub fn layer_data(&self) -> LayerData {
        LayerData {
            network: self.network.clone(),
            works: self.works.clone(),
        }
    }

    /// Every layer this engine can serve: roads, and with a works store the works, footprints,
    /// environment works, choke points, closures and detours (see [`Catalog::of`]).
    pub fn layers(&self) -> Result<Catalog> {
        Catalog::of(&self.layer_data())
    }

    /// [`Engine::layers`] plus the embedded Jinzhou dataset's layers and the modelled flows
    /// (see [`Catalog::jinzhou`]).
    pub fn jinzhou_layers(&self) -> Result<Catalog> {
        Catalog::jinzhou(&self.layer_data())
    }
}

// ---- assignment and impact -------------------------------------------------------------------
impl Engine {
    /// The demand of impact analyses on the base network (default zones: Jinzhou's; see
    /// [`impact::demand_on`]).
    pub fn impact_demand(&self, zones: Option<Vec<Zone>>, target_gap: f64) -> Result<Demand> {
        impact::demand_on(&self.network, zones, target_gap)
    }

    /// The network on `date` assigned once per period of the day of `demand` (morning peak,
    /// evening peak, off-peak; see [`crate::assignment::periods`]): sum a span of days with
    /// [`impact::DayRun::vht`].
    pub fn day_on(&self, date: NaiveDate, demand: &Demand) -> Result<impact::DayRun> {
        impact::run_day(&self.state_on(date)?, demand)
    }

    /// The calibration table of the base network's morning peak hour against the stated
    /// targets, and where the seed choke point H01 ranks by v/c
    /// ([`crate::analysis::calibration`]).
    pub fn calibration(&self) -> Result<crate::analysis::calibration::Calibration> {
        let seed = self
            .list_hotspots()?
            .into_iter()
            .find(|h| h.evidence.starts_with("seed:"));
        crate::analysis::calibration::calibrate(&self.network, seed.as_ref())
    }

    /// A closure study: where the traffic of the closures goes, which choke points get worse,
    /// which other works clash, and what moving it would save (see [`crate::analysis::study`]).
    pub fn study(
        &self,
        req: &crate::analysis::study::StudyRequest,
    ) -> Result<crate::analysis::study::Study> {
        crate::analysis::study::check_request(req)?;
        let inputs = crate::analysis::study::StudyInputs::from_parts(&self.network, &self.works)?;
        crate::analysis::study::run_study(&inputs, req)
    }

    /// The 15 choke points of impact reports (stored ones, completed from the base v/c).
    pub fn impact_choke_points(&self, d: &Demand) -> Result<Vec<ChokePointRef>> {
        stored::impact_choke_points(&self.network, &self.works, d)
    }

    /// One before/after comparison (both states assigned in parallel).
    pub fn impact(
        &self,
        q: &ImpactQuery,
        d: &Demand,
        choke_points: &[ChokePointRef],
    ) -> Result<ImpactResult> {
        stored::impact(&self.network, &self.works, q, d, choke_points)
    }

    /// Assignments [`Engine::impact_year`] will run: (states, works on site, completed works).
    pub fn impact_year_tasks(
        &self,
        year: i32,
        only: Option<&[WorkId]>,
    ) -> Result<(usize, usize, usize)> {
        stored::impact_year_tasks(&self.network, &self.works, year, only)
    }

    /// The year analysis of the stored works; `only` limits the works evaluated one by one.
    pub fn impact_year(
        &self,
        year: i32,
        d: &Demand,
        choke_points: &[ChokePointRef],
        only: Option<&[WorkId]>,
        tick: &(dyn Fn(Task) + Sync),
    ) -> Result<(YearAnalysis, Vec<Work>)> {
        stored::impact_year(
            &self.network,
            &self.works,
            year,
            d,
            choke_points,
            only,
            tick,
        )
    }
}

use crate::store::events::{Delivery, EventFilter, EventPage, Subscription};
use crate::works::edit::SavedWork;
use crate::works::rules::{Finding, FindingFilter, Moratorium, MoratoriumPeriods, RuleOptions};

/// Works coordination (`works::edit`, `works::rules`): create and edit works as records, with
/// the conflict and opportunity findings of each save.
impl Engine {
    /// Creates a work from a submitted JSON record, checked whole; answers it with its findings.
    pub fn submit_work(&self, record: &serde_json::Value, actor: &str) -> Result<SavedWork> {
        crate::works::edit::create(&self.network, &self.works, record, actor)
    }

    /// Edits a work at `expected_version` (status, dates, any field as a merge patch).
    pub fn edit_work(
        &self,
        id: &WorkId,
        body: &serde_json::Value,
        expected_version: u64,
        actor: &str,
    ) -> Result<SavedWork> {
        crate::works::edit::edit(
            &self.network,
            &self.works,
            id,
            body,
            expected_version,
            actor,
        )
    }

    /// Site, corridor, opportunity and moratorium findings passing `filter`.
    pub fn findings(&self, opts: &RuleOptions, filter: &FindingFilter) -> Result<Vec<Finding>> {
        crate::works::edit::findings(&self.network, &self.works, opts, filter)
    }

    /// The moratoria (dig-bans) of the stored works.
    pub fn moratoria(&self, periods: &MoratoriumPeriods) -> Result<Vec<Moratorium>> {
        crate::works::edit::moratoria(&self.network, &self.works, periods)
    }

    /// The change feed after `since`: at most `limit` events read, those passing `filter`.
    pub fn events(&self, since: u64, limit: usize, filter: &EventFilter) -> Result<EventPage> {
        crate::works::feed::page(self.store()?, since, limit, filter)
    }

    /// The cursor of the last event of the feed (0 when it is empty).
    pub fn last_event(&self) -> Result<u64> {
        self.store()?.last_event()
    }

    /// A new webhook subscription (the answer carries its secret, once).
    pub fn subscribe(
        &self,
        url: &str,
        filter: EventFilter,
        since: Option<u64>,
        actor: &str,
    ) -> Result<Subscription> {
        crate::works::feed::subscribe(self.store()?, url, filter, since, actor)
    }

    /// Every subscription, with its secret (for the delivery task; never shown).
    pub fn subscriptions_with_secrets(&self) -> Result<Vec<Subscription>> {
        self.store()?.list_subscriptions()
    }

    /// One subscription, without its secret.
    pub fn subscription(&self, id: &str) -> Result<Subscription> {
        crate::works::feed::subscription(self.store()?, id)
    }

    /// Deletes a subscription and its delivery log.
    pub fn unsubscribe(&self, id: &str) -> Result<()> {
        self.store()?.delete_subscription(id)
    }

    /// The last `limit` delivery attempts of a subscription, newest first.
    pub fn deliveries(&self, id: &str, limit: usize) -> Result<Vec<Delivery>> {
        self.subscription(id)?;
        self.store()?.deliveries(id, limit)
    }

    /// Logs a delivery attempt and moves the subscription's cursor on.
    pub fn record_delivery(
        &self,
        d: Option<&Delivery>,
        id: &str,
        advance_to: Option<u64>,
    ) -> Result<()> {
        self.store()?.record_delivery(d, id, advance_to)
    }

    /// Takes or renews the right to deliver a subscription's events (one replica at a time).
    pub fn claim_subscription(&self, id: &str, owner: &str, lease_s: u32) -> Result<bool> {
        self.store()?.claim_subscription(id, owner, lease_s)
    }
}

use crate::feeds::wzdx_import::{self, ImportReport};
use crate::feeds::{EventSet, FeedSpan, Publisher, cifs, wzdx};

/// Feeds for others (`feeds`): the works as road events, a WZDx 4.2 feed, a Waze CIFS feed,
/// and WZDx feeds read back into works.
impl Engine {
    /// The road events of the stored works in `span` (one per direction of each stretch), with
    /// their detours.
    pub fn road_events(&self, span: FeedSpan) -> Result<EventSet> {
        let links = self.planned_links()?.into_iter().map(|(l, e)| (l.id, e));
        let works = self.list_works(&WorkFilter::default())?;
        Ok(crate::feeds::road_events(
            &self.network,
            &works,
            &links.collect(),
            span,
        ))
    }

    /// The WZDx 4.2 WorkZoneFeed of the works in `span`.
    pub fn wzdx_feed(&self, span: FeedSpan, publisher: &Publisher) -> Result<serde_json::Value> {
        Ok(wzdx::feed(&self.road_events(span)?, publisher))
    }

    /// The Waze CIFS incidents of the works in `span` (format them with [`cifs::json`] or
    /// [`cifs::xml`]).
    pub fn cifs_incidents(
        &self,
        span: FeedSpan,
        publisher: &Publisher,
    ) -> Result<Vec<cifs::Incident>> {
        Ok(cifs::incidents(&self.road_events(span)?, publisher))
    }

    /// Reads a WZDx feed into works and stores the new ones (none with `dry_run`).
    pub fn import_wzdx(
        &self,
        feed: &serde_json::Value,
        actor: &str,
        dry_run: bool,
    ) -> Result<ImportReport> {
        let today = chrono::Utc::now()
            .with_timezone(&crate::feeds::local_tz())
            .date_naive();
        let read = wzdx_import::read(feed, &self.network, today)?;
        wzdx_import::store(&self.network, &self.works, read, actor, dry_run)
    }
}
