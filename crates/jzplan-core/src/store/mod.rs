//! Persistence of works, choke points, scenarios and their history.
//!
//! Access goes through the [`Store`] trait so that a PostgreSQL/PostGIS back-end can be added
//! without touching the engine; `jzplan_store::SqliteStore` (crate `jzplan-store`) is the
//! embedded default. Every record
//! has a version: an update names the version it was made from and is refused with
//! [`Error::Conflict`] when the stored version moved on (optimistic concurrency). Every change
//! writes a [`HistoryEntry`] in the same transaction, and moves the store's [`Store::revision`]
//! on. `jzplan_store::open` picks the back-end from `--db`: a `postgres://` URL opens
//! `jzplan_store::PgStore` (PostgreSQL + PostGIS, shared by several replicas), anything else is
//! a SQLite file; both apply the same migration list.

pub mod catalogue;
pub mod events;

use crate::hotspot::{Hotspot, HotspotId};
use crate::scenario::Scenario;
use crate::works::catalogue::Catalogue;
use crate::works::{HistoryEntry, Work, WorkFilter, WorkId};
use crate::{Error, Result};
use serde::Serialize;

pub use catalogue::CatalogueStore;
pub use events::{Delivery, Event, EventFilter, EventKind, NewEvent, Subscription};

/// Who changes what and why (written to the history with the old and new values).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// Who.
    pub actor: String,
    /// What (`status`, `dates`, `created`, `seed`, …).
    pub field: String,
    /// Old value.
    pub old: String,
    /// New value.
    pub new: String,
    /// Why.
    pub comment: String,
}

impl Change {
    /// Checks the actor (non-empty, ≤ 100 characters) and the comment (≤ 2000 characters).
    pub fn validate(&self) -> Result<()> {
        if self.actor.trim().is_empty() || self.actor.chars().count() > 100 {
            return Err(Error::invalid("actor must be 1–100 characters"));
        }
        if self.comment.chars().count() > 2000 {
            return Err(Error::invalid("comment must be at most 2000 characters"));
        }
        Ok(())
    }
}

/// What seeding from the catalogue did, record by record.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SeedReport {
    /// Records inserted.
    pub added: Vec<String>,
    /// Records updated from a changed catalogue (they had no edits in the store).
    pub updated: Vec<String>,
    /// Records identical to the catalogue.
    pub unchanged: Vec<String>,
    /// Records edited in the store and left as they are, with the fields where the store
    /// differs from the catalogue.
    pub kept_edits: Vec<(String, Vec<String>)>,
}

/// The storage back-end.
pub trait Store: Send + Sync {
    /// A counter that moves on with every committed change, in commit order (several replicas
    /// on one database compare it to know that their caches are stale).
    fn revision(&self) -> Result<u64>;
    /// Works passing the filter, by id.
    fn list_works(&self, filter: &WorkFilter) -> Result<Vec<Work>>;
    /// One work, or `NotFound`.
    fn get_work(&self, id: &WorkId) -> Result<Work>;
    /// Writes a work with its history entry and its events, in one transaction (see
    /// [`WorkWrite`]). `Ok(None)`: the store's revision was no longer `at_revision`, nothing
    /// was written (the caller computed its events on an older state: recompute and retry).
    fn write_work(&self, w: &WorkWrite<'_>) -> Result<Option<Work>>;
    /// Inserts a new work at version 1 (`Conflict` if the id exists), with its `created`
    /// event.
    fn create_work(&self, work: &Work, change: &Change) -> Result<Work> {
        let mut w = work.clone();
        w.version = 1;
        let events = [record_event(None, &w, change)];
        self.write_work(&WorkWrite {
            work,
            expected_version: 0,
            change,
            events: &events,
            at_revision: None,
        })?
        .ok_or_else(|| Error::Store("write refused without a revision guard".into()))
    }
    /// Replaces a work if its stored version is `expected_version` (else `Conflict`, nothing
    /// changes); returns it at the next version. Appends its record event.
    fn update_work(&self, work: &Work, expected_version: u64, change: &Change) -> Result<Work> {
        let old = self.get_work(&work.id)?;
        let mut w = work.clone();
        w.version = expected_version + 1;
        let events = [record_event(Some(&old), &w, change)];
        self.write_work(&WorkWrite {
            work,
            expected_version,
            change,
            events: &events,
            at_revision: None,
        })?
        .ok_or_else(|| Error::Store("write refused without a revision guard".into()))
    }
    /// The history of a record (work, hotspot or scenario id), oldest first.
    fn history(&self, record: &str) -> Result<Vec<HistoryEntry>>;
    /// All choke points, by id.
    fn list_hotspots(&self) -> Result<Vec<Hotspot>>;
    /// One choke point.
    fn get_hotspot(&self, id: &HotspotId) -> Result<Hotspot>;
    /// Replaces a choke point at `expected_version`, or inserts it when `expected_version` is 0.
    fn put_hotspot(&self, h: &Hotspot, expected_version: u64, change: &Change) -> Result<Hotspot>;
    /// All scenarios, by id.
    fn list_scenarios(&self) -> Result<Vec<Scenario>>;
    /// One scenario.
    fn get_scenario(&self, id: &str) -> Result<Scenario>;
    /// Replaces a scenario at `expected_version`, or inserts it when `expected_version` is 0.
    fn put_scenario(
        &self,
        s: &Scenario,
        expected_version: u64,
        change: &Change,
    ) -> Result<Scenario>;
    /// Deletes a scenario at `expected_version`.
    fn delete_scenario(&self, id: &str, expected_version: u64, change: &Change) -> Result<()>;
    /// Seeds from the catalogue: inserts what is missing, updates records the store never
    /// edited when the catalogue changed, and keeps (and reports) records edited in the store.
    fn seed(&self, catalogue: &Catalogue) -> Result<SeedReport>;

    /// The events after `since`, oldest first, at most `limit`.
    fn events(&self, _since: u64, _limit: usize) -> Result<Vec<Event>> {
        Err(no_feed())
    }
    /// The cursor of the last event (0 when there is none).
    fn last_event(&self) -> Result<u64> {
        Err(no_feed())
    }
    /// Stores a new subscription (its id is new).
    fn create_subscription(&self, _s: &Subscription) -> Result<()> {
        Err(no_feed())
    }
    /// Every subscription, by id, with its secret.
    fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        Err(no_feed())
    }
    /// Deletes a subscription and its delivery log (`NotFound` if there is none).
    fn delete_subscription(&self, _id: &str) -> Result<()> {
        Err(no_feed())
    }
    /// Logs a delivery attempt and, with `advance_to`, moves the subscription's cursor on to
    /// it (never back), in one transaction.
    fn record_delivery(
        &self,
        _d: Option<&Delivery>,
        _id: &str,
        _advance_to: Option<u64>,
    ) -> Result<()> {
        Err(no_feed())
    }
    /// The last `limit` delivery attempts of a subscription, newest first.
    fn deliveries(&self, _id: &str, _limit: usize) -> Result<Vec<Delivery>> {
        Err(no_feed())
    }
    /// Takes (or renews) the right to deliver a subscription's events for `lease_s` seconds,
    /// unless another `owner` (another replica) holds it; `Ok(false)` then.
    fn claim_subscription(&self, _id: &str, _owner: &str, _lease_s: u32) -> Result<bool> {
        Err(no_feed())
    }
}

/// The record event of a write of `new` (`old`: the stored work before it, `None` on
/// creation): `created`, `cancelled`, `status` or `edited`.
pub fn record_event(old: Option<&Work>, new: &Work, change: &Change) -> NewEvent {
    use crate::works::Status;
    let kind = match old {
        None => EventKind::Created,
        Some(o) if o.status != new.status && new.status == Status::Cancelled => {
            EventKind::Cancelled
        }
        Some(o) if o.status != new.status => EventKind::Status,
        Some(_) => EventKind::Edited,
    };
    NewEvent {
        kind,
        work: new.id.clone(),
        version: new.version,
        actor: change.actor.clone(),
        works: vec![new.id.clone()],
        data: serde_json::json!({
            "status": new.status,
            "field": change.field,
            "old": change.old,
            "new": change.new,
            "comment": change.comment,
        }),
    }
}

fn no_feed() -> Error {
    Error::Store("this store keeps no change feed (use a database store)".into())
}

/// A write of a work: create (`expected_version` 0) or replace, its history entry, and the
/// events it appends, committed together.
pub struct WorkWrite<'a> {
    /// The work (its `version` is set by the store).
    pub work: &'a Work,
    /// 0 to create (`Conflict` if the id exists), else the version it replaces (`Conflict` if
    /// the stored one moved on; `NotFound` if there is none).
    pub expected_version: u64,
    /// The history entry.
    pub change: &'a Change,
    /// The events, in order; each gets the next cursor.
    pub events: &'a [NewEvent],
    /// Write only if the store's [`Store::revision`] is still this.
    pub at_revision: Option<u64>,
}

/// Natural order of ids: runs of digits compare as numbers, the rest as text, so that P2 comes
/// before P10 and P4.1 before P4.2 before P4.10; equal-valued numbers with different zero
/// padding (P01, P1) fall back to plain text order.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if p.is_ascii_digit() && q.is_ascii_digit() => {
                let nx = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let ny = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (dx, dy) = (&x[..nx], &y[..ny]);
                let tx = &dx[dx.iter().take_while(|c| **c == b'0').count()..];
                let ty = &dy[dy.iter().take_while(|c| **c == b'0').count()..];
                let o = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if o != Ordering::Equal {
                    return o;
                }
                x = &x[nx..];
                y = &y[ny..];
            }
            (Some(p), Some(q)) => {
                if p != q {
                    return p.cmp(q);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

#[cfg(test)]
mod natural_tests {
    use super::natural_cmp;
    use proptest::prelude::*;

    #[test]
    fn ids_sort_as_people_count() {
        let mut ids = vec!["P10", "P2", "P1", "H15", "H3", "P4.10", "P4.2", "P4", "P01"];
        ids.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            ids,
            ["H3", "H15", "P01", "P1", "P2", "P4", "P4.2", "P4.10", "P10"]
        );
    }

    proptest! {
        /// A total order: antisymmetric, consistent with equality, transitive on triples.
        #[test]
        fn natural_order_is_a_total_order(a in "[a-c0-9.]{0,6}", b in "[a-c0-9.]{0,6}", c in "[a-c0-9.]{0,6}") {
            prop_assert_eq!(natural_cmp(&a, &b), natural_cmp(&b, &a).reverse());
            prop_assert_eq!(natural_cmp(&a, &b) == std::cmp::Ordering::Equal, a == b);
            if natural_cmp(&a, &b).is_le() && natural_cmp(&b, &c).is_le() {
                prop_assert!(natural_cmp(&a, &c).is_le());
            }
        }
    }
}
