//! The works held by the engine ([`WorksBook`]): the store, the attachment of works to the
//! engine's network, network states on dates and in scenarios, and every read/write the API and
//! the CLI make on works, choke points and scenarios. The `Engine` facade delegates here.

use super::anchor::{self, AttachItem, AttachReport, Attachment, PlannedLink};
use super::catalogue::Catalogue;
use super::{DateRange, HistoryEntry, Status, Work, WorkFilter, WorkId, WorkKind};
use crate::hotspot::{Hotspot, HotspotId, HotspotStatus};
use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::scenario::{CheckedScenario, NetworkState, Scenario};
use crate::store::{Change, SeedReport, Store};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

/// Works state held by the `Engine`: the store, the planned links, and each work's effects
/// resolved on the engine's network.
pub struct WorksBook {
    store: Option<Arc<dyn Store>>,
    links: Vec<PlannedLink>,
    attachment: RwLock<Attachment>,
    hotspot_nodes: RwLock<HashMap<HotspotId, NodeId>>,
    link_report: AttachReport,
    /// The store revision the attachment reflects, and a fingerprint of each attached work's
    /// effects: another process on the same database (a second replica) moves the revision
    /// on, and only works whose effects changed are resolved again.
    seen: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    revision: u64,
    effects: HashMap<WorkId, u64>,
}

/// What the attachment of a work depends on.
fn effects_print(w: &Work) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(&w.effects)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}

fn seen_of(revision: u64, works: &[Work]) -> Seen {
    Seen {
        revision,
        effects: works
            .iter()
            .map(|w| (w.id.clone(), effects_print(w)))
            .collect(),
    }
}

impl WorksBook {
    /// No store, no works: every state is the base state.
    pub fn empty() -> Self {
        WorksBook {
            store: None,
            links: Vec::new(),
            attachment: RwLock::new(Attachment::default()),
            hotspot_nodes: RwLock::new(HashMap::new()),
            link_report: AttachReport::default(),
            seen: Mutex::new(Seen::default()),
        }
    }
}

/// A work with everything known about it.
#[derive(Clone, Debug, Serialize)]
pub struct WorkDetail {
    /// The work.
    pub work: Work,
    /// Its children (programmes).
    pub children: Vec<WorkId>,
    /// Its history, oldest first.
    pub history: Vec<HistoryEntry>,
    /// How its effects attached to the network.
    pub attachment: Vec<AttachItem>,
    /// The edges its effects touch on this network.
    pub edges: Vec<EdgeId>,
}

/// One row of the timeline (Gantt chart).
#[derive(Clone, Debug, Serialize)]
pub struct TimelineRow {
    /// Work id.
    pub id: WorkId,
    /// Parent programme.
    pub parent: Option<WorkId>,
    /// Name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Kind.
    pub kind: WorkKind,
    /// Status.
    pub status: Status,
    /// Construction window in force (actual where known).
    pub window: DateRange,
    /// Whether the dates are estimates.
    pub estimated: bool,
}

fn poisoned() -> Error {
    Error::Store("works state lock poisoned by an earlier panic".into())
}

impl WorksBook {
    /// The works of `store` on `network`: the catalogue's planned links are added to the
    /// network as planned edges (see [`anchor::augment`]) and every work's effects and every
    /// choke point are attached by street name and position. Returns the augmented network
    /// and the book. The store is not seeded here (see [`WorksBook::seed`]).
    pub fn attach(
        network: RoadNetwork,
        store: Arc<dyn Store>,
        catalogue: &Catalogue,
    ) -> Result<(RoadNetwork, WorksBook)> {
        let aug = anchor::augment(network, &catalogue.links)?;
        let revision = store.revision()?;
        let works = store.list_works(&WorkFilter::default())?;
        let seen = seen_of(revision, &works);
        let attachment = Attachment::resolve(&aug.network, &works, aug.links);
        let hotspots = store.list_hotspots()?;
        let mut nodes = HashMap::new();
        let mut att = attachment;
        for h in &hotspots {
            match anchor::resolve_hotspot(&aug.network, h) {
                Ok((n, item)) => {
                    nodes.insert(h.id.clone(), n);
                    att.report.items.push(item);
                }
                Err(item) => att.report.items.push(*item),
            }
        }
        let book = WorksBook {
            store: Some(store),
            links: catalogue.links.clone(),
            attachment: RwLock::new(att),
            hotspot_nodes: RwLock::new(nodes),
            link_report: aug.report,
            seen: Mutex::new(seen),
        };
        Ok((aug.network, book))
    }

    /// The works store, or `Error::Store` for an engine built without one.
    pub fn store(&self) -> Result<&dyn Store> {
        self.store.as_deref().ok_or_else(|| {
            Error::Store("this engine has no works store (use Engine::with_works)".into())
        })
    }

    /// Seeds the store from a catalogue (idempotent, never overwrites edits) and attaches the
    /// records it added or updated.
    ///
    /// When the seeding changed nothing (the store's revision is the one attached, and no
    /// record was added or updated), the attachment stands as it is: opening a seeded store
    /// does not resolve every anchor a second time.
    pub fn seed(&self, net: &RoadNetwork, catalogue: &Catalogue) -> Result<SeedReport> {
        let store = self.store()?;
        let r = store.seed(catalogue)?;
        let attached = self.seen.lock().map_err(|_| poisoned())?.revision;
        let unchanged = r.added.is_empty() && r.updated.is_empty();
        if !unchanged || store.revision()? != attached {
            self.reattach(net)?;
        }
        Ok(r)
    }

    /// Re-resolves every work and choke point on the network (after seeding or edits of
    /// effects).
    pub fn reattach(&self, net: &RoadNetwork) -> Result<()> {
        let revision = self.store()?.revision()?;
        let works = self.store()?.list_works(&WorkFilter::default())?;
        *self.seen.lock().map_err(|_| poisoned())? = seen_of(revision, &works);
        let hotspots = self.store()?.list_hotspots()?;
        let mut att = self.attachment.write().map_err(|_| poisoned())?;
        let links = std::mem::take(&mut att.links);
        *att = Attachment::resolve(net, &works, links);
        let mut nodes = self.hotspot_nodes.write().map_err(|_| poisoned())?;
        nodes.clear();
        for h in &hotspots {
            match anchor::resolve_hotspot(net, h) {
                Ok((n, item)) => {
                    nodes.insert(h.id.clone(), n);
                    att.report.items.push(item);
                }
                Err(item) => att.report.items.push(*item),
            }
        }
        Ok(())
    }

    /// Brings the attachment up to date with changes made through another process on the same
    /// store (another replica): works whose effects are new or changed are resolved again,
    /// works gone are dropped, choke points not yet placed are placed. Costs one read of the
    /// store revision when nothing changed.
    pub fn sync_attachment(&self, net: &RoadNetwork) -> Result<()> {
        let Some(store) = self.store.as_deref() else {
            return Ok(());
        };
        let revision = store.revision()?;
        let mut seen = self.seen.lock().map_err(|_| poisoned())?;
        if seen.revision == revision {
            return Ok(());
        }
        let works = store.list_works(&WorkFilter::default())?;
        let mut att = self.attachment.write().map_err(|_| poisoned())?;
        for w in &works {
            let print = effects_print(w);
            if seen.effects.get(&w.id) != Some(&print) {
                att.resolve_work(net, w);
                seen.effects.insert(w.id.clone(), print);
            }
        }
        let ids: std::collections::HashSet<&WorkId> = works.iter().map(|w| &w.id).collect();
        att.effects.retain(|id, _| ids.contains(id));
        seen.effects.retain(|id, _| ids.contains(id));
        let mut nodes = self.hotspot_nodes.write().map_err(|_| poisoned())?;
        for h in store.list_hotspots()? {
            if !nodes.contains_key(&h.id)
                && let Ok((n, item)) = anchor::resolve_hotspot(net, &h)
            {
                nodes.insert(h.id.clone(), n);
                att.report.items.push(item);
            }
        }
        seen.revision = revision;
        Ok(())
    }

    /// The attachment, brought up to date first (see [`WorksBook::sync_attachment`]).
    fn attached(&self, net: &RoadNetwork) -> Result<RwLockReadGuard<'_, Attachment>> {
        self.sync_attachment(net)?;
        self.attachment.read().map_err(|_| poisoned())
    }

    /// How the planned links, works and choke points attached to this network.
    pub fn attach_report(&self, net: &RoadNetwork) -> Result<AttachReport> {
        let att = self.attached(net)?;
        let mut r = self.link_report.clone();
        r.items.extend(att.report.items.iter().cloned());
        Ok(r)
    }

    /// The planned links of the catalogue, with their edges on this network.
    pub fn planned_links(&self, net: &RoadNetwork) -> Result<Vec<(PlannedLink, Vec<EdgeId>)>> {
        let att = self.attached(net)?;
        Ok(self
            .links
            .iter()
            .map(|l| (l.clone(), att.links.get(&l.id).cloned().unwrap_or_default()))
            .collect())
    }

    /// Works passing a filter; a filter on a parent that does not exist is `NotFound` (not an
    /// empty list).
    pub fn list_works(&self, filter: &WorkFilter) -> Result<Vec<Work>> {
        let store = self.store()?;
        if let Some(p) = &filter.parent {
            store.get_work(p)?;
        }
        store.list_works(filter)
    }

    /// One work with its children, history and attachment.
    pub fn get_work(&self, net: &RoadNetwork, id: &WorkId) -> Result<WorkDetail> {
        let store = self.store()?;
        let work = store.get_work(id)?;
        let children = store
            .list_works(&WorkFilter {
                parent: Some(id.clone()),
                ..Default::default()
            })?
            .into_iter()
            .map(|w| w.id)
            .collect();
        let history = store.history(id.as_str())?;
        let att = self.attached(net)?;
        let attachment = att
            .report
            .items
            .iter()
            .filter(|i| i.record == id.as_str())
            .cloned()
            .collect();
        let mut edges: Vec<EdgeId> = att
            .effects
            .get(id)
            .into_iter()
            .flatten()
            .flat_map(|e| e.edges.iter().copied())
            .collect();
        edges.sort_unstable();
        edges.dedup();
        Ok(WorkDetail {
            work,
            children,
            history,
            attachment,
            edges,
        })
    }

    /// The history of a work (or of a hotspot, or `scenario:<id>`).
    pub fn history(&self, record: &str) -> Result<Vec<HistoryEntry>> {
        self.store()?.history(record)
    }

    /// A P6 child moving to under construction / completed / cancelled moves its choke point
    /// to being opened / opened / congested.
    pub(crate) fn follow_hotspot(&self, saved: &Work, to: Status, actor: &str) {
        let Ok(store) = self.store() else { return };
        let id = &saved.id;
        if let Some(hid) = &saved.hotspot {
            let hs = match to {
                Status::UnderConstruction => Some(HotspotStatus::BeingOpened),
                Status::Completed => Some(HotspotStatus::Opened),
                Status::Cancelled => Some(HotspotStatus::Congested),
                _ => None,
            };
            if let Some(hs) = hs {
                // The work's change is committed; the choke point follows in its own
                // transaction. A concurrent edit of the choke point is retried with its fresh
                // version rather than failing a status change that already happened.
                for _ in 0..3 {
                    let Ok(h) = store.get_hotspot(hid) else { break };
                    if h.status == hs {
                        break;
                    }
                    let mut nh = h.clone();
                    nh.status = hs;
                    let change = Change {
                        actor: actor.into(),
                        field: "status".into(),
                        old: h.status.as_str().into(),
                        new: hs.as_str().into(),
                        comment: format!("work {id} is now {to}"),
                    };
                    match store.put_hotspot(&nh, h.version, &change) {
                        Ok(_) => break,
                        Err(Error::Conflict(_)) => continue,
                        Err(e) => {
                            tracing::warn!("choke point {hid} not updated after work {id}: {e}");
                            break;
                        }
                    }
                }
            }
        }
    }

    /// Re-resolves one work's effects on the network after it was created or edited.
    pub(crate) fn attach_work(&self, net: &RoadNetwork, w: &Work) -> Result<()> {
        let mut att = self.attachment.write().map_err(|_| poisoned())?;
        att.resolve_work(net, w);
        Ok(())
    }

    /// The effects `w` would have on the network if it were stored as it is (nothing
    /// changes).
    pub(crate) fn effects_of(
        &self,
        net: &RoadNetwork,
        w: &Work,
    ) -> Result<Vec<super::ResolvedEffect>> {
        let links = self.attached(net)?.links.clone();
        let mut a = Attachment {
            links,
            ..Default::default()
        };
        a.resolve_work(net, w);
        Ok(a.effects.remove(&w.id).unwrap_or_default())
    }

    /// The network on `date`: base + effects of the works in force.
    pub fn state_on<'n>(&self, net: &'n RoadNetwork, date: NaiveDate) -> Result<NetworkState<'n>> {
        super::check_date("date", date)?;
        let works = self.store()?.list_works(&WorkFilter::default())?;
        let att = self.attached(net)?;
        Ok(NetworkState::on_date(net, &works, &att.effects, date))
    }

    /// The network at `minute` after local midnight of `date`: effects with daily hours in
    /// force only within them (see [`NetworkState::on_date_at`]).
    pub fn state_at<'n>(
        &self,
        net: &'n RoadNetwork,
        date: NaiveDate,
        minute: u16,
    ) -> Result<NetworkState<'n>> {
        super::check_date("date", date)?;
        if minute >= 1440 {
            return Err(crate::Error::invalid(format!(
                "time {minute} min is past the end of the day"
            )));
        }
        let works = self.store()?.list_works(&WorkFilter::default())?;
        let att = self.attached(net)?;
        Ok(NetworkState::on_date_at(
            net,
            &works,
            &att.effects,
            date,
            Some(minute),
        ))
    }

    /// The network in a what-if scenario (overrides applied, evaluated on its date).
    pub fn scenario_state<'n>(
        &self,
        net: &'n RoadNetwork,
        scenario: &Scenario,
    ) -> Result<NetworkState<'n>> {
        scenario.validate()?;
        let works = self.store()?.list_works(&WorkFilter::default())?;
        let works = scenario.apply(&works)?;
        let att = self.attached(net)?;
        Ok(NetworkState::on_date(
            net,
            &works,
            &att.effects,
            scenario.date,
        ))
    }

    /// The network on `date` or in the stored `scenario`. `None` means the base network
    /// (planned links closed): neither was given, or a date was given to a book without a
    /// works store, where no work is known to change the network. Both at once is an
    /// `InvalidInput`.
    pub fn state_for<'n>(
        &self,
        net: &'n RoadNetwork,
        date: Option<NaiveDate>,
        scenario: Option<&str>,
    ) -> Result<Option<NetworkState<'n>>> {
        match (date, scenario) {
            (Some(_), Some(_)) => Err(Error::invalid("give a date or a scenario, not both")),
            (Some(d), None) if self.store().is_err() => {
                super::check_date("date", d)?;
                Ok(None)
            }
            (Some(d), None) => Ok(Some(self.state_on(net, d)?)),
            (None, Some(id)) => {
                let sc = self.get_scenario(id)?;
                Ok(Some(self.scenario_state(net, &sc)?))
            }
            (None, None) => Ok(None),
        }
    }

    /// Per-edge weights of the network on `date` or in the stored `scenario` (see
    /// [`WorksBook::state_for`]).
    pub fn state_weights(
        &self,
        net: &RoadNetwork,
        date: Option<NaiveDate>,
        scenario: Option<&str>,
        metric: Metric,
    ) -> Result<Vec<f64>> {
        Ok(match self.state_for(net, date, scenario)? {
            Some(state) => state.weights(metric),
            None => net.weights(metric),
        })
    }

    /// Identifies the state of the stored works (their ids and versions): a result cached
    /// under it changes as soon as a work is changed.
    pub fn works_version(&self) -> Result<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for w in self.list_works(&WorkFilter::default())? {
            (w.id.as_str(), w.version).hash(&mut h);
        }
        Ok(h.finish())
    }

    /// Each work's resolved effects (for analyses: clashes, detours, impact).
    pub fn resolved_effects(
        &self,
        net: &RoadNetwork,
    ) -> Result<HashMap<WorkId, Vec<super::ResolvedEffect>>> {
        Ok(self.attached(net)?.effects.clone())
    }

    /// The works as timeline rows, by start date.
    pub fn timeline(&self, filter: &WorkFilter) -> Result<Vec<TimelineRow>> {
        let mut rows: Vec<TimelineRow> = self
            .list_works(filter)?
            .into_iter()
            .map(|w| TimelineRow {
                window: w.window(),
                estimated: w.dates_source.starts_with("estimate") && w.actual_start.is_none(),
                id: w.id,
                parent: w.parent,
                name_zh: w.name_zh,
                name_en: w.name_en,
                kind: w.kind,
                status: w.status,
            })
            .collect();
        rows.sort_by(|a, b| a.window.start.cmp(&b.window.start).then(a.id.cmp(&b.id)));
        Ok(rows)
    }

    /// All choke points.
    pub fn list_hotspots(&self) -> Result<Vec<Hotspot>> {
        self.store()?.list_hotspots()
    }

    /// One choke point.
    pub fn get_hotspot(&self, id: &HotspotId) -> Result<Hotspot> {
        self.store()?.get_hotspot(id)
    }

    /// The junction a choke point attached to on this network.
    pub fn hotspot_node(&self, net: &RoadNetwork, id: &HotspotId) -> Result<Option<NodeId>> {
        self.sync_attachment(net)?;
        Ok(self
            .hotspot_nodes
            .read()
            .map_err(|_| poisoned())?
            .get(id)
            .copied())
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
        let store = self.store()?;
        let h = store.get_hotspot(id)?;
        if h.version != expected_version {
            return Err(Error::Conflict(format!(
                "hotspot {id} is at version {}, not {expected_version}: reload and retry",
                h.version
            )));
        }
        let mut nh = h.clone();
        nh.status = to;
        store.put_hotspot(
            &nh,
            expected_version,
            &Change {
                actor: actor.into(),
                field: "status".into(),
                old: h.status.as_str().into(),
                new: to.as_str().into(),
                comment: comment.into(),
            },
        )
    }

    /// All scenarios.
    pub fn list_scenarios(&self) -> Result<Vec<Scenario>> {
        self.store()?.list_scenarios()
    }

    /// One scenario.
    pub fn get_scenario(&self, id: &str) -> Result<Scenario> {
        self.store()?.get_scenario(id)
    }

    /// Creates (`expected_version` 0) or replaces a scenario; its overrides must name works
    /// that exist.
    pub fn put_scenario(
        &self,
        s: &Scenario,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<CheckedScenario> {
        s.validate()?;
        let works = self.store()?.list_works(&WorkFilter::default())?;
        s.apply(&works)?;
        let warnings = s.warnings(&works)?;
        let p = s.period();
        let scenario = self.store()?.put_scenario(
            s,
            expected_version,
            &Change {
                actor: actor.into(),
                field: if expected_version == 0 {
                    "created"
                } else {
                    "scenario"
                }
                .into(),
                old: String::new(),
                new: format!(
                    "{} overrides, {} … {} (evaluated on {})",
                    s.overrides.len(),
                    p.start,
                    p.end,
                    s.date
                ),
                comment: comment.into(),
            },
        )?;
        Ok(CheckedScenario { scenario, warnings })
    }

    /// Deletes a scenario at `expected_version`.
    pub fn delete_scenario(
        &self,
        id: &str,
        expected_version: u64,
        actor: &str,
        comment: &str,
    ) -> Result<()> {
        self.store()?.delete_scenario(
            id,
            expected_version,
            &Change {
                actor: actor.into(),
                field: "deleted".into(),
                old: String::new(),
                new: String::new(),
                comment: comment.into(),
            },
        )
    }
}
