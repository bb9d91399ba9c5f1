//! Webhook delivery: a background tokio task that reads the change feed from each
//! subscription's stored cursor and POSTs its events, one at a time and in order, to the
//! subscription's URL, each signed with HMAC-SHA256 under the subscription's secret.
//!
//! - An event counts as delivered on a 2xx answer; the cursor then moves on in the store, in
//!   the same transaction as the delivery log entry, so a restarted server (or another
//!   replica) goes on after the last delivered event.
//! - Anything else (an error status, no answer, a timeout) is logged and retried after an
//!   exponential backoff (`backoff_base` × 2^(attempt−1), at most `backoff_max`); later events
//!   wait, so the order is kept.
//! - With several replicas on one database, a subscription is delivered by whichever holds
//!   its lease (taken in the store, renewed on every round), so events go out once.
//! - Each subscription is delivered by a task of its own (one at a time per subscription), so a
//!   slow or unresponsive receiver delays only its own events, not those of the others.
//!
//! Delivery is at least once: if the server stops between the receiver's 2xx and the cursor
//! write, that event is sent again; `X-Jzplan-Event` (the cursor) lets a receiver drop it.

use crate::error::blocking;
use hmac::{Hmac, KeyInit, Mac};
use jzplan_core::engine::Engine;
use jzplan_core::store::events::{Delivery, Event, Subscription};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Settings of the delivery task.
#[derive(Clone, Debug)]
pub struct DeliveryOptions {
    /// How often the feed is looked at when nothing is pending.
    pub poll: Duration,
    /// The wait before the first retry; doubled for each further one.
    pub backoff_base: Duration,
    /// The longest wait between retries.
    pub backoff_max: Duration,
    /// How long a receiver may take to answer.
    pub timeout: Duration,
    /// Events read from the feed at a time.
    pub batch: usize,
    /// Who delivers, for the leases: a name unique to the replica and stable across its
    /// restarts (`jzplan serve` uses host name and listen address), so that a restarted replica
    /// takes its subscriptions back at once; another replica takes them when the lease ends.
    pub owner: String,
    /// How long a lease on a subscription lasts, seconds.
    pub lease_s: u32,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        DeliveryOptions {
            poll: Duration::from_secs(1),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            batch: 100,
            owner: format!(
                "pid{}-{}",
                std::process::id(),
                chrono::Utc::now().timestamp_micros()
            ),
            lease_s: 60,
        }
    }
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`, as sent in `X-Jzplan-Signature`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    let out = mac.finalize().into_bytes();
    let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The wait before attempt `attempt + 1` after `attempt` failed ones.
pub fn backoff(o: &DeliveryOptions, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
    o.backoff_base.saturating_mul(factor).min(o.backoff_max)
}

/// A failed event waiting for its retry.
struct Pending {
    cursor: u64,
    attempts: u32,
    next: Instant,
}

/// Starts the delivery task on the current tokio runtime; it runs until the runtime stops
/// (or the handle is aborted).
pub fn spawn(engine: Engine, o: DeliveryOptions) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(engine, o))
}

async fn run(engine: Engine, o: DeliveryOptions) {
    let client = match reqwest::Client::builder()
        .timeout(o.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhook delivery disabled: no HTTP client ({e})");
            return;
        }
    };
    let o = Arc::new(o);
    // The failed event of each subscription waiting for its retry, and the subscriptions being
    // delivered now (their tasks hand their retry state back when they end; dropping the set,
    // when this task is aborted, aborts them).
    let mut pending: HashMap<String, Pending> = HashMap::new();
    let mut running: HashMap<String, tokio::task::AbortHandle> = HashMap::new();
    let mut tasks: JoinSet<(String, Option<Pending>)> = JoinSet::new();
    loop {
        while let Some(done) = tasks.try_join_next() {
            match done {
                Ok((id, retry)) => {
                    running.remove(&id);
                    match retry {
                        Some(p) => pending.insert(id, p),
                        None => pending.remove(&id),
                    };
                }
                Err(e) => {
                    // A delivery task panicked: forget it (its subscription starts again from
                    // the stored cursor in the next round).
                    tracing::warn!("webhook delivery task: {e}");
                    running.retain(|_, h| h.id() != e.id());
                }
            }
        }
        let e = engine.clone();
        match blocking(move || e.subscriptions_with_secrets()).await {
            Ok(subs) => {
                pending.retain(|id, _| subs.iter().any(|s| &s.id == id));
                for (id, h) in &running {
                    if !subs.iter().any(|s| &s.id == id) {
                        h.abort();
                    }
                }
                for sub in subs {
                    if pending
                        .get(&sub.id)
                        .is_some_and(|p| Instant::now() < p.next)
                    {
                        continue;
                    }
                    let (e, id, owner) = (engine.clone(), sub.id.clone(), o.owner.clone());
                    let lease = o.lease_s;
                    // Also renewed while its task runs.
                    let claimed = blocking(move || e.claim_subscription(&id, &owner, lease)).await;
                    if running.contains_key(&sub.id) {
                        continue;
                    }
                    match claimed {
                        Ok(true) => {
                            let (engine, client, o) = (engine.clone(), client.clone(), o.clone());
                            let mut retry = pending.remove(&sub.id);
                            let id = sub.id.clone();
                            let h = tasks.spawn(async move {
                                deliver(&engine, &client, &o, &sub, &mut retry).await;
                                (sub.id, retry)
                            });
                            running.insert(id, h);
                        }
                        Ok(false) => {}
                        Err(e) => tracing::warn!("webhook {}: lease: {}", sub.id, e.detail),
                    }
                }
            }
            Err(e) => tracing::warn!("webhook delivery: {}", e.detail),
        }
        tokio::time::sleep(o.poll).await;
    }
}

/// Delivers the pending events of one subscription, in order, until one fails or none is
/// left; `pending` is its failed event waiting for a retry (set on a failure, cleared on a
/// success).
async fn deliver(
    engine: &Engine,
    client: &reqwest::Client,
    o: &DeliveryOptions,
    sub: &Subscription,
    pending: &mut Option<Pending>,
) {
    let mut cursor = sub.cursor;
    loop {
        let (e, f, batch) = (engine.clone(), sub.filter.clone(), o.batch);
        let page = match blocking(move || e.events(cursor, batch, &f)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("webhook {}: feed: {}", sub.id, e.detail);
                return;
            }
        };
        if page.next == cursor {
            return;
        }
        for ev in &page.events {
            let attempt = pending
                .as_ref()
                .filter(|p| p.cursor == ev.cursor)
                .map_or(1, |p| p.attempts + 1);
            let d = post(client, sub, ev, attempt).await;
            let ok = d.ok;
            let (e, id, log) = (engine.clone(), sub.id.clone(), d);
            let to = ok.then_some(ev.cursor);
            if let Err(e) = blocking(move || e.record_delivery(Some(&log), &id, to)).await {
                tracing::warn!("webhook {}: log: {}", sub.id, e.detail);
                return;
            }
            if !ok {
                *pending = Some(Pending {
                    cursor: ev.cursor,
                    attempts: attempt,
                    next: Instant::now() + backoff(o, attempt),
                });
                return;
            }
            *pending = None;
        }
        // Every event of the page that passed the filter is delivered: skip the rest.
        let (e, id, next) = (engine.clone(), sub.id.clone(), page.next);
        if blocking(move || e.record_delivery(None, &id, Some(next)))
            .await
            .is_err()
        {
            return;
        }
        cursor = page.next;
    }
}

/// One attempt: POST the event, signed.
async fn post(client: &reqwest::Client, sub: &Subscription, ev: &Event, attempt: u32) -> Delivery {
    let body = serde_json::to_vec(ev).unwrap_or_default();
    let r = client
        .post(&sub.url)
        .header("content-type", "application/json")
        .header("user-agent", "jzplan-webhooks")
        .header("x-jzplan-signature", signature(&sub.secret, &body))
        .header("x-jzplan-event", ev.cursor.to_string())
        .header("x-jzplan-event-kind", ev.event.kind.as_str())
        .header("x-jzplan-subscription", sub.id.as_str())
        .header("x-jzplan-attempt", attempt.to_string())
        .body(body)
        .send()
        .await;
    let (status, ok, error) = match r {
        Ok(r) if r.status().is_success() => (Some(r.status().as_u16()), true, String::new()),
        Ok(r) => (
            Some(r.status().as_u16()),
            false,
            format!("the receiver answered {}", r.status()),
        ),
        Err(e) => (None, false, describe(&e)),
    };
    Delivery {
        subscription: sub.id.clone(),
        cursor: ev.cursor,
        attempt,
        at: chrono::Utc::now(),
        status,
        ok,
        error,
    }
}

fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(s) => format!("{what}: {e}: {s}"),
        None => format!("{what}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2 (key "Jefe").
    #[test]
    fn signatures_are_hmac_sha256() {
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let o = DeliveryOptions {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(700),
            ..DeliveryOptions::default()
        };
        let w: Vec<u128> = (1..=5).map(|a| backoff(&o, a).as_millis()).collect();
        assert_eq!(w, [100, 200, 400, 700, 700]);
    }
}
