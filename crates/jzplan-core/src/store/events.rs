//! The change feed and its webhook subscriptions, as records of the store.
//!
//! Every write of a work appends [`NewEvent`]s in the same transaction as the write: one for the
//! record (`created`, `edited`, `status`, `cancelled`) and one per coordination finding that
//! the write made appear, change or disappear (`finding_new`, `finding_changed`,
//! `finding_resolved`). The store numbers them with a cursor that grows in commit order, so a
//! reader that asks for the events after the last cursor it saw misses nothing and sees nothing
//! twice, across restarts and replicas. A [`Subscription`] is a webhook: a URL, filters, an
//! HMAC secret and the cursor up to which its events were delivered; each attempt goes to the
//! delivery log ([`Delivery`]).

use crate::works::WorkId;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A work was created (through the API, the CLI, or seeded from the catalogue).
    Created,
    /// Fields of a work changed (dates, effects, geometry, …).
    Edited,
    /// A work moved to another status (other than cancelled).
    Status,
    /// A work was cancelled.
    Cancelled,
    /// A coordination finding appeared.
    FindingNew,
    /// A finding between the same two works changed (dates, severity, streets, …).
    FindingChanged,
    /// A finding disappeared.
    FindingResolved,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 7] = [
        EventKind::Created,
        EventKind::Edited,
        EventKind::Status,
        EventKind::Cancelled,
        EventKind::FindingNew,
        EventKind::FindingChanged,
        EventKind::FindingResolved,
    ];

    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Edited => "edited",
            EventKind::Status => "status",
            EventKind::Cancelled => "cancelled",
            EventKind::FindingNew => "finding_new",
            EventKind::FindingChanged => "finding_changed",
            EventKind::FindingResolved => "finding_resolved",
        }
    }
}

impl std::str::FromStr for EventKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::invalid(format!("kind '{s}' is not one of: {}", all.join(", ")))
            })
    }
}

/// An event before the store has numbered it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The work whose write caused it.
    pub work: WorkId,
    /// That work's version after the write.
    pub version: u64,
    /// Who wrote (the token holder, `seed`, the CLI user).
    pub actor: String,
    /// Every work concerned: the work, and for a finding both of its works.
    pub works: Vec<WorkId>,
    /// Record events: `{status, field, old, new, comment}` of the change; finding events: the
    /// finding (after the write; before it for `finding_resolved`).
    pub data: serde_json::Value,
}

/// An event of the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the feed: grows in commit order (gaps are possible, never reordering).
    pub cursor: u64,
    /// When it was committed (UTC).
    pub at: DateTime<Utc>,
    /// The event.
    #[serde(flatten)]
    pub event: NewEvent,
}

/// Which events a reader or a subscription wants; empty lists match everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Only events concerning one of these works.
    #[serde(default)]
    pub works: Vec<WorkId>,
    /// Only these kinds.
    #[serde(default)]
    pub kinds: Vec<EventKind>,
}

impl EventFilter {
    /// Whether `e` passes.
    pub fn matches(&self, e: &NewEvent) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&e.kind))
            && (self.works.is_empty() || e.works.iter().any(|w| self.works.contains(w)))
    }
}

/// A page of the feed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventPage {
    /// The events after the asked cursor that pass the filter, in order.
    pub events: Vec<Event>,
    /// The cursor to ask from next time (the last event read, whether it passed the filter
    /// or not; the asked cursor when nothing was there).
    pub next: u64,
}

/// Most events in one page.
pub const MAX_PAGE: usize = 1000;

/// A webhook subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Id (`sub-` and 16 hex digits).
    pub id: String,
    /// Where the events are POSTed (`http://…`).
    pub url: String,
    /// Which events.
    pub filter: EventFilter,
    /// The HMAC-SHA256 key of the signature; shown once, when the subscription is created.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub secret: String,
    /// Every event up to this cursor was delivered (or did not pass the filter).
    pub cursor: u64,
    /// Who created it.
    pub actor: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Most subscriptions a store keeps.
pub const MAX_SUBSCRIPTIONS: usize = 100;

impl Subscription {
    /// Checks the URL (`http://host…`, at most 2000 characters, no spaces) and the filter
    /// (at most 100 works).
    pub fn validate(&self) -> Result<()> {
        let u = self.url.as_str();
        if u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid(
                "url: at most 2000 characters, without spaces or control characters",
            ));
        }
        if u.starts_with("https://") {
            return Err(Error::invalid(
                "url: this build delivers over http only (no TLS client); deliver to an \
                 http:// relay that forwards over TLS",
            ));
        }
        let Some(rest) = u.strip_prefix("http://") else {
            return Err(Error::invalid("url: must start with http://"));
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        if host.is_empty() || host.contains('@') {
            return Err(Error::invalid(
                "url: needs a host (and no user:password@ part)",
            ));
        }
        if self.filter.works.len() > 100 {
            return Err(Error::TooBig(format!(
                "filter.works: {} works (at most 100)",
                self.filter.works.len()
            )));
        }
        Ok(())
    }

    /// The subscription without its secret (what listings show).
    pub fn redacted(&self) -> Subscription {
        Subscription {
            secret: String::new(),
            ..self.clone()
        }
    }
}

/// One delivery attempt of one event to one subscription.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The subscription.
    pub subscription: String,
    /// The event's cursor.
    pub cursor: u64,
    /// 1 for the first attempt of this event, 2 for the first retry, …
    pub attempt: u32,
    /// When the attempt ended.
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status (`None`: no answer — refused, timed out).
    pub status: Option<u16>,
    /// Whether it counts as delivered (a 2xx answer).
    pub ok: bool,
    /// What went wrong (empty on success).
    pub error: String,
}

/// A random secret for HMAC signatures: 32 bytes from the operating system's generator, hex.
pub fn new_secret() -> Result<String> {
    let mut b = [0u8; 32];
    random_bytes(&mut b)?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A new subscription id: `sub-` and 16 random hex digits.
pub fn new_subscription_id() -> Result<String> {
    let mut b = [0u8; 8];
    random_bytes(&mut b)?;
    Ok(format!(
        "sub-{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

fn random_bytes(b: &mut [u8]) -> Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(b))
        .map_err(|e| Error::io("/dev/urandom", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(url: &str) -> Subscription {
        Subscription {
            id: "sub-1".into(),
            url: url.into(),
            filter: EventFilter::default(),
            secret: String::new(),
            cursor: 0,
            actor: "a".into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn urls_are_http_with_a_host() {
        assert!(sub("http://127.0.0.1:9000/hook").validate().is_ok());
        for bad in [
            "ftp://x",
            "http://",
            "http:///x",
            "http://u:p@x/",
            "http://a b/",
            "https://x/",
        ] {
            assert_eq!(
                sub(bad).validate().unwrap_err().code(),
                "InvalidInput",
                "{bad}"
            );
        }
    }

    #[test]
    fn filters_match_kinds_and_works() {
        let e = NewEvent {
            kind: EventKind::FindingNew,
            work: WorkId("A".into()),
            version: 2,
            actor: "x".into(),
            works: vec![WorkId("A".into()), WorkId("B".into())],
            data: serde_json::Value::Null,
        };
        assert!(EventFilter::default().matches(&e));
        let by_b = EventFilter {
            works: vec![WorkId("B".into())],
            kinds: vec![],
        };
        assert!(by_b.matches(&e));
        let created = EventFilter {
            works: vec![],
            kinds: vec![EventKind::Created],
        };
        assert!(!created.matches(&e));
        assert_eq!(
            "finding_new".parse::<EventKind>().unwrap(),
            EventKind::FindingNew
        );
        assert!("castle".parse::<EventKind>().is_err());
    }

    #[test]
    fn secrets_are_64_hex_digits_and_differ() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
