//! Every write of a work, with the events it appends to the change feed
//! ([`crate::store::events`]): the record event, and the coordination findings of the work that
//! the write made appear, change or disappear — the difference of the findings of the work
//! before and after the write ([`super::rules::find`] for that one work: a write of one work
//! changes no finding between two other works).
//!
//! The difference is computed on the store as it stands at a revision, and the write commits
//! only if the store is still at that revision (else it is computed again), so the feed's
//! findings are exact even with several writers or replicas on one database.

use super::engine::WorksBook;
use super::rules::{self, Finding, RuleOptions};
use super::{DateRange, Status, Work, WorkFilter, WorkId};
use crate::network::RoadNetwork;
use crate::store::events::{
    self, EventFilter, EventKind, EventPage, MAX_PAGE, MAX_SUBSCRIPTIONS, NewEvent, Subscription,
};
use crate::store::{Change, Store, WorkWrite};
use crate::{Error, Result};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// How often a write is computed again when other writes keep moving the store on.
const ATTEMPTS: usize = 8;

/// A stored work and the findings that involve it after the write.
pub struct Saved {
    /// The work at its new version.
    pub work: Work,
    /// Its findings (all kinds, any date), most severe first.
    pub findings: Vec<Finding>,
}

/// The events of the findings of one work: `before` and `after` the write.
pub fn finding_events(
    before: &[Finding],
    after: &[Finding],
    work: &WorkId,
    version: u64,
    actor: &str,
) -> Vec<NewEvent> {
    let old: BTreeMap<&str, &Finding> = before.iter().map(|f| (f.id.as_str(), f)).collect();
    let new: BTreeMap<&str, &Finding> = after.iter().map(|f| (f.id.as_str(), f)).collect();
    let event = |kind, f: &Finding| NewEvent {
        kind,
        work: work.clone(),
        version,
        actor: actor.to_string(),
        works: f.works.to_vec(),
        data: serde_json::to_value(f).unwrap_or_default(),
    };
    let mut out = Vec::new();
    for (id, f) in &new {
        match old.get(id) {
            None => out.push(event(EventKind::FindingNew, f)),
            Some(o) if *o != *f => out.push(event(EventKind::FindingChanged, f)),
            Some(_) => {}
        }
    }
    for (id, f) in &old {
        if !new.contains_key(id) {
            out.push(event(EventKind::FindingResolved, f));
        }
    }
    out
}

/// Writes `work` (create when `expected_version` is 0) with its history entry, its record
/// event and the events of its findings, in one transaction; attaches it to the network.
pub fn save(
    book: &WorksBook,
    net: &RoadNetwork,
    work: &Work,
    expected_version: u64,
    change: &Change,
) -> Result<Saved> {
    let store = book.store()?;
    let opts = RuleOptions::default();
    for _ in 0..ATTEMPTS {
        let revision = store.revision()?;
        let mut works = store.list_works(&WorkFilter::default())?;
        let at = works.iter().position(|w| w.id == work.id);
        match (at, expected_version) {
            (Some(_), 0) => {
                return Err(Error::Conflict(format!("work {} already exists", work.id)));
            }
            (None, v) if v > 0 => return Err(Error::not_found("work", &work.id)),
            (Some(i), v) if works[i].version != v => {
                return Err(Error::Conflict(format!(
                    "work {} is at version {}, not {v}: reload and retry",
                    work.id, works[i].version
                )));
            }
            _ => {}
        }
        let mut effects = book.resolved_effects(net)?;
        let before = match at {
            Some(_) => rules::find(net, &works, &effects, &opts, Some(&work.id))?,
            None => Vec::new(),
        };
        let mut new = work.clone();
        new.version = expected_version + 1;
        let old = match at {
            Some(i) => Some(std::mem::replace(&mut works[i], new.clone())),
            None => {
                works.push(new.clone());
                None
            }
        };
        effects.insert(work.id.clone(), book.effects_of(net, &new)?);
        let after = rules::find(net, &works, &effects, &opts, Some(&work.id))?;
        let mut events = vec![crate::store::record_event(old.as_ref(), &new, change)];
        events.extend(finding_events(
            &before,
            &after,
            &work.id,
            new.version,
            &change.actor,
        ));
        let written = store.write_work(&WorkWrite {
            work,
            expected_version,
            change,
            events: &events,
            at_revision: Some(revision),
        })?;
        if let Some(saved) = written {
            book.attach_work(net, &saved)?;
            return Ok(Saved {
                work: saved,
                findings: after,
            });
        }
    }
    Err(Error::Conflict(format!(
        "work {}: the store kept changing while this write was checked; retry",
        work.id
    )))
}

/// The stored work `id` if it is still at `expected_version` (optimistic concurrency: a client
/// that read an older version must reload before it changes the work).
fn current_work(store: &dyn Store, id: &WorkId, expected_version: u64) -> Result<Work> {
    let w = store.get_work(id)?;
    if w.version != expected_version {
        return Err(Error::Conflict(format!(
            "work {id} is at version {}, not {expected_version}: reload and retry",
            w.version
        )));
    }
    Ok(w)
}

/// Moves a work to status `to`, effective on `on` (not after today), if it is still at
/// `expected_version` and the transition is allowed. A P6 child also moves its choke point to
/// being opened / opened. Nothing changes on any error.
#[allow(clippy::too_many_arguments)]
pub fn set_status(
    book: &WorksBook,
    net: &RoadNetwork,
    id: &WorkId,
    to: Status,
    on: NaiveDate,
    expected_version: u64,
    actor: &str,
    comment: &str,
) -> Result<Work> {
    super::validate::check_not_after_today("effective", on, super::validate::today())?;
    let w = current_work(book.store()?, id, expected_version)?;
    let nw = w.with_status(to, on)?;
    let change = Change {
        actor: actor.into(),
        field: "status".into(),
        old: w.status.to_string(),
        new: format!("{to} (effective {on})"),
        comment: comment.into(),
    };
    let saved = save(book, net, &nw, expected_version, &change)?.work;
    book.follow_hotspot(&saved, to, actor);
    Ok(saved)
}

/// Replaces a work's planned dates (checked: in range, end not before start).
#[allow(clippy::too_many_arguments)]
pub fn set_dates(
    book: &WorksBook,
    net: &RoadNetwork,
    id: &WorkId,
    planned: DateRange,
    dates_source: Option<&str>,
    expected_version: u64,
    actor: &str,
    comment: &str,
) -> Result<Work> {
    let w = current_work(book.store()?, id, expected_version)?;
    let nw = w.with_planned(planned, dates_source)?;
    let change = Change {
        actor: actor.into(),
        field: "dates".into(),
        old: w.planned.to_string(),
        new: nw.planned.to_string(),
        comment: comment.into(),
    };
    Ok(save(book, net, &nw, expected_version, &change)?.work)
}

/// Adds a new work (a user's own): validated, explicit edge targets must exist on this
/// network, ids must be new; its effects are attached at once.
pub fn create_work(
    book: &WorksBook,
    net: &RoadNetwork,
    work: &Work,
    actor: &str,
    comment: &str,
) -> Result<Work> {
    work.validate()?;
    super::anchor::check_edges(net, work)?;
    if let Some(p) = &work.parent {
        book.store()?.get_work(p)?;
    }
    let change = Change {
        actor: actor.into(),
        field: "created".into(),
        old: String::new(),
        new: work.status.to_string(),
        comment: comment.into(),
    };
    Ok(save(book, net, work, 0, &change)?.work)
}

/// The events after `since` that pass `filter`, at most `limit` (1–1000) read. A `since` after
/// the last event is refused (a client must not wait past events it will never be sent).
pub fn page(
    store: &dyn Store,
    since: u64,
    limit: usize,
    filter: &EventFilter,
) -> Result<EventPage> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid(format!(
            "limit: {limit} must be in 1–{MAX_PAGE}"
        )));
    }
    let read = store.events(since, limit)?;
    if read.is_empty() {
        check_since(store, "since", since)?;
    }
    let next = read.last().map_or(since, |e| e.cursor);
    Ok(EventPage {
        events: read
            .into_iter()
            .filter(|e| filter.matches(&e.event))
            .collect(),
        next,
    })
}

/// Refuses a cursor (`since`, `Last-Event-ID`: named by `what`) after the last event.
pub fn check_since(store: &dyn Store, what: &str, since: u64) -> Result<()> {
    let last = store.last_event()?;
    if since > last {
        return Err(Error::invalid(format!(
            "{what}: {since} is after the last event ({last})"
        )));
    }
    Ok(())
}

/// A new webhook subscription to `url` for the events passing `filter`, from the event after
/// `since` (default: events from now on). The answer carries the secret, once.
pub fn subscribe(
    store: &dyn Store,
    url: &str,
    filter: EventFilter,
    since: Option<u64>,
    actor: &str,
) -> Result<Subscription> {
    for w in &filter.works {
        WorkId::parse(w.as_str()).map_err(|e| match e {
            Error::InvalidInput(m) => Error::invalid(format!("filter.works: {m}")),
            e => e,
        })?;
    }
    let cursor = match since {
        Some(c) => {
            check_since(store, "since", c)?;
            c
        }
        None => store.last_event()?,
    };
    let s = Subscription {
        id: events::new_subscription_id()?,
        url: url.trim().to_string(),
        filter,
        secret: events::new_secret()?,
        cursor,
        actor: actor.to_string(),
        created_at: chrono::Utc::now(),
    };
    s.validate()?;
    if store.list_subscriptions()?.len() >= MAX_SUBSCRIPTIONS {
        return Err(Error::TooBig(format!(
            "at most {MAX_SUBSCRIPTIONS} subscriptions; delete one first"
        )));
    }
    store.create_subscription(&s)?;
    Ok(s)
}

/// One subscription (without its secret), or `NotFound`.
pub fn subscription(store: &dyn Store, id: &str) -> Result<Subscription> {
    store
        .list_subscriptions()?
        .into_iter()
        .find(|s| s.id == id)
        .map(|s| s.redacted())
        .ok_or_else(|| Error::not_found("subscription", id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::works::rules::{FindingKind, Severity};

    fn finding(id: &str, severity: Severity) -> Finding {
        let d = crate::works::parse_date("2027-01-01").unwrap();
        Finding {
            id: id.into(),
            kind: FindingKind::Site,
            severity,
            works: [WorkId("A".into()), WorkId("B".into())],
            dates: DateRange::new(d, d).unwrap(),
            streets: vec![],
            distance_m: 0.0,
            detour_factor: None,
            strong: false,
            emergency: false,
            reason: String::new(),
        }
    }

    #[test]
    fn the_difference_of_findings_is_new_changed_and_resolved() {
        let before = [
            finding("site:A:B", Severity::Medium),
            finding("site:A:C", Severity::Medium),
            finding("site:A:D", Severity::Low),
        ];
        let after = [
            finding("site:A:B", Severity::Medium),
            finding("site:A:D", Severity::High),
            finding("site:A:E", Severity::Medium),
        ];
        let ev = finding_events(&before, &after, &WorkId("A".into()), 2, "x");
        let got: Vec<(EventKind, &str)> = ev
            .iter()
            .map(|e| (e.kind, e.data["id"].as_str().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                (EventKind::FindingChanged, "site:A:D"),
                (EventKind::FindingNew, "site:A:E"),
                (EventKind::FindingResolved, "site:A:C"),
            ]
        );
        assert!(ev.iter().all(|e| e.version == 2 && e.works.len() == 2));
        assert!(finding_events(&after, &after, &WorkId("A".into()), 3, "x").is_empty());
    }
}
