//! The change feed of the PostgreSQL store: events appended inside the write transactions of
//! [`super::postgres`] after the `revision` row is locked (so `bigserial` cursors are taken in
//! commit order, and a reader following the cursor never skips an event committed later with
//! a smaller number), webhook subscriptions and their delivery log — shared by every replica on
//! the database.

use super::postgres_rows::err;
use ::postgres::{Client, Transaction};
use jzplan_core::store::events::{Delivery, Event, NewEvent, Subscription};
use jzplan_core::{Error, Result};

/// Appends `events` (in order) in the caller's transaction, which must hold the revision row.
pub(crate) fn insert_events(
    tx: &mut Transaction<'_>,
    events: &[NewEvent],
) -> std::result::Result<(), ::postgres::Error> {
    let at = chrono::Utc::now();
    for e in events {
        let body = serde_json::to_string(e).unwrap_or_default();
        tx.execute(
            "INSERT INTO events (at, kind, work, body) VALUES ($1, $2, $3, $4::text::jsonb)",
            &[&at, &e.kind.as_str(), &e.work.as_str(), &body],
        )?;
    }
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(target: &str, what: &str, body: &str) -> Result<T> {
    serde_json::from_str(body)
        .map_err(|e| Error::Store(format!("{target}: stored {what} is unreadable: {e}")))
}

pub(crate) fn events(c: &mut Client, target: &str, since: u64, limit: usize) -> Result<Vec<Event>> {
    // A `since` beyond the largest bigint cursor reads nothing (it must not wrap to negative).
    let since = i64::try_from(since).unwrap_or(i64::MAX);
    let rows = c
        .query(
            "SELECT cursor, at, body::text FROM events WHERE cursor > $1 ORDER BY cursor LIMIT $2",
            &[&since, &(limit as i64)],
        )
        .map_err(|e| err(target, &e))?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                cursor: r.get::<_, i64>(0) as u64,
                at: r.get(1),
                event: decode(target, "event", r.get(2))?,
            })
        })
        .collect()
}

pub(crate) fn last_event(c: &mut Client, target: &str) -> Result<u64> {
    c.query_one("SELECT coalesce(max(cursor), 0) FROM events", &[])
        .map(|r| r.get::<_, i64>(0) as u64)
        .map_err(|e| err(target, &e))
}

pub(crate) fn create_subscription(c: &mut Client, target: &str, s: &Subscription) -> Result<()> {
    let body = serde_json::to_string(s).map_err(|e| Error::Store(e.to_string()))?;
    let n = c
        .execute(
            "INSERT INTO subscriptions (id, body, cursor) VALUES ($1, $2::text::jsonb, $3)
             ON CONFLICT (id) DO NOTHING",
            &[&s.id, &body, &(s.cursor as i64)],
        )
        .map_err(|e| err(target, &e))?;
    if n == 0 {
        return Err(Error::Conflict(format!("subscription {} exists", s.id)));
    }
    Ok(())
}

pub(crate) fn list_subscriptions(c: &mut Client, target: &str) -> Result<Vec<Subscription>> {
    let rows = c
        .query(
            "SELECT body::text, cursor FROM subscriptions ORDER BY id COLLATE \"C\"",
            &[],
        )
        .map_err(|e| err(target, &e))?;
    rows.iter()
        .map(|r| {
            let mut s: Subscription = decode(target, "subscription", r.get(0))?;
            s.cursor = r.get::<_, i64>(1) as u64;
            Ok(s)
        })
        .collect()
}

pub(crate) fn delete_subscription(c: &mut Client, target: &str, id: &str) -> Result<()> {
    let e = |x: ::postgres::Error| err(target, &x);
    let mut tx = c.transaction().map_err(e)?;
    if tx
        .execute("DELETE FROM subscriptions WHERE id = $1", &[&id])
        .map_err(e)?
        == 0
    {
        return Err(Error::not_found("subscription", id));
    }
    tx.execute("DELETE FROM deliveries WHERE subscription = $1", &[&id])
        .map_err(e)?;
    tx.commit().map_err(e)
}

pub(crate) fn record_delivery(
    c: &mut Client,
    target: &str,
    d: Option<&Delivery>,
    id: &str,
    advance_to: Option<u64>,
) -> Result<()> {
    let e = |x: ::postgres::Error| err(target, &x);
    let mut tx = c.transaction().map_err(e)?;
    let to = advance_to.map(|t| t as i64);
    if tx
        .execute(
            "UPDATE subscriptions SET cursor = greatest(cursor, coalesce($2, cursor))
             WHERE id = $1",
            &[&id, &to],
        )
        .map_err(e)?
        == 0
    {
        return Err(Error::not_found("subscription", id));
    }
    if let Some(d) = d {
        let body = serde_json::to_string(d).map_err(|x| Error::Store(x.to_string()))?;
        tx.execute(
            "INSERT INTO deliveries (subscription, body) VALUES ($1, $2::text::jsonb)",
            &[&id, &body],
        )
        .map_err(e)?;
    }
    tx.commit().map_err(e)
}

pub(crate) fn deliveries(
    c: &mut Client,
    target: &str,
    id: &str,
    limit: usize,
) -> Result<Vec<Delivery>> {
    let rows = c
        .query(
            "SELECT body::text FROM deliveries WHERE subscription = $1 ORDER BY seq DESC LIMIT $2",
            &[&id, &(limit as i64)],
        )
        .map_err(|e| err(target, &e))?;
    rows.iter()
        .map(|r| decode(target, "delivery", r.get(0)))
        .collect()
}

pub(crate) fn claim_subscription(
    c: &mut Client,
    target: &str,
    id: &str,
    owner: &str,
    lease_s: u32,
) -> Result<bool> {
    // The database's clock decides, so that replicas with skewed clocks agree.
    let n = c
        .execute(
            "UPDATE subscriptions SET lease_owner = $2,
                lease_until = extract(epoch from now())::bigint + $3
             WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2
                OR lease_until < extract(epoch from now())::bigint)",
            &[&id, &owner, &i64::from(lease_s)],
        )
        .map_err(|e| err(target, &e))?;
    Ok(n == 1)
}
