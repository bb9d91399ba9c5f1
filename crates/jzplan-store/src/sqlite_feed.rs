//! The change feed of the SQLite store: events appended inside the write transactions of
//! [`super::sqlite`] (SQLite runs one write transaction at a time, so `AUTOINCREMENT` cursors
//! grow in commit order), webhook subscriptions and their delivery log.

use jzplan_core::store::events::{Delivery, Event, NewEvent, Subscription};
use jzplan_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};

/// Appends `events` (in order) in the caller's transaction.
pub(crate) fn insert_events(tx: &Connection, events: &[NewEvent]) -> rusqlite::Result<()> {
    let at = chrono::Utc::now().to_rfc3339();
    let mut st =
        tx.prepare_cached("INSERT INTO events (at, kind, work, body) VALUES (?1, ?2, ?3, ?4)")?;
    for e in events {
        let body = serde_json::to_string(e).unwrap_or_default();
        st.execute(params![at, e.kind.as_str(), e.work.as_str(), body])?;
    }
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, key: i64, body: &str) -> Result<T> {
    serde_json::from_str(body)
        .map_err(|e| Error::Store(format!("stored {what} {key} is unreadable: {e}")))
}

/// The events after `since`, at most `limit` (none after a `since` beyond the largest cursor
/// SQLite can hold).
pub(crate) fn events(c: &Connection, since: u64, limit: usize) -> Result<Vec<Event>> {
    let since = i64::try_from(since).unwrap_or(i64::MAX);
    let rows: Vec<(i64, String, String)> = {
        let mut st = c
            .prepare_cached(
                "SELECT cursor, at, body FROM events WHERE cursor > ?1 ORDER BY cursor LIMIT ?2",
            )
            .map_err(store)?;
        st.query_map(params![since, limit as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(store)?
        .collect::<rusqlite::Result<_>>()
        .map_err(store)?
    };
    rows.into_iter()
        .map(|(cursor, at, body)| {
            let at = chrono::DateTime::parse_from_rfc3339(&at)
                .map_err(|e| Error::Store(format!("bad event time '{at}': {e}")))?
                .with_timezone(&chrono::Utc);
            Ok(Event {
                cursor: cursor as u64,
                at,
                event: decode("event", cursor, &body)?,
            })
        })
        .collect()
}

fn store(e: rusqlite::Error) -> Error {
    Error::Store(e.to_string())
}

/// The cursor of the last event, 0 if none.
pub(crate) fn last_event(c: &Connection) -> Result<u64> {
    c.query_row("SELECT coalesce(max(cursor), 0) FROM events", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
    .map_err(store)
}

pub(crate) fn create_subscription(c: &Connection, s: &Subscription) -> Result<()> {
    let body = serde_json::to_string(s).map_err(|e| Error::Store(e.to_string()))?;
    let n = c
        .execute(
            "INSERT OR IGNORE INTO subscriptions (id, body, cursor) VALUES (?1, ?2, ?3)",
            params![s.id, body, s.cursor as i64],
        )
        .map_err(store)?;
    if n == 0 {
        return Err(Error::Conflict(format!("subscription {} exists", s.id)));
    }
    Ok(())
}

pub(crate) fn list_subscriptions(c: &Connection) -> Result<Vec<Subscription>> {
    let rows: Vec<(String, String, i64)> = {
        let mut st = c
            .prepare_cached("SELECT id, body, cursor FROM subscriptions ORDER BY id")
            .map_err(store)?;
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(store)?
            .collect::<rusqlite::Result<_>>()
            .map_err(store)?
    };
    rows.into_iter()
        .map(|(id, body, cursor)| {
            let mut s: Subscription = serde_json::from_str(&body).map_err(|e| {
                Error::Store(format!("stored subscription {id} is unreadable: {e}"))
            })?;
            s.cursor = cursor as u64;
            Ok(s)
        })
        .collect()
}

pub(crate) fn delete_subscription(c: &mut Connection, id: &str) -> Result<()> {
    let tx = c.transaction().map_err(store)?;
    let n = tx
        .execute("DELETE FROM subscriptions WHERE id = ?1", [id])
        .map_err(store)?;
    if n == 0 {
        return Err(Error::not_found("subscription", id));
    }
    tx.execute("DELETE FROM deliveries WHERE subscription = ?1", [id])
        .map_err(store)?;
    tx.commit().map_err(store)
}

pub(crate) fn record_delivery(
    c: &mut Connection,
    d: Option<&Delivery>,
    id: &str,
    advance_to: Option<u64>,
) -> Result<()> {
    let tx = c.transaction().map_err(store)?;
    let exists: Option<i64> = tx
        .query_row(
            "SELECT cursor FROM subscriptions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()
        .map_err(store)?;
    if exists.is_none() {
        return Err(Error::not_found("subscription", id));
    }
    if let Some(d) = d {
        let body = serde_json::to_string(d).map_err(|e| Error::Store(e.to_string()))?;
        tx.execute(
            "INSERT INTO deliveries (subscription, body) VALUES (?1, ?2)",
            params![id, body],
        )
        .map_err(store)?;
    }
    if let Some(to) = advance_to {
        tx.execute(
            "UPDATE subscriptions SET cursor = max(cursor, ?2) WHERE id = ?1",
            params![id, to as i64],
        )
        .map_err(store)?;
    }
    tx.commit().map_err(store)
}

pub(crate) fn deliveries(c: &Connection, id: &str, limit: usize) -> Result<Vec<Delivery>> {
    let rows: Vec<(i64, String)> = {
        let mut st = c
            .prepare_cached(
                "SELECT seq, body FROM deliveries WHERE subscription = ?1
                 ORDER BY seq DESC LIMIT ?2",
            )
            .map_err(store)?;
        st.query_map(params![id, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(store)?
            .collect::<rusqlite::Result<_>>()
            .map_err(store)?
    };
    rows.into_iter()
        .map(|(seq, body)| decode("delivery", seq, &body))
        .collect()
}

/// Seconds since the epoch (lease times).
pub(crate) fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn claim_subscription(
    c: &Connection,
    id: &str,
    owner: &str,
    lease_s: u32,
) -> Result<bool> {
    let now = now_s();
    let n = c
        .execute(
            "UPDATE subscriptions SET lease_owner = ?2, lease_until = ?3
             WHERE id = ?1 AND (lease_owner IS NULL OR lease_owner = ?2 OR lease_until < ?4)",
            params![id, owner, now + i64::from(lease_s), now],
        )
        .map_err(store)?;
    Ok(n == 1)
}
