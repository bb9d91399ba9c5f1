//! Identifiers of the plan's records, shared by the works, the choke points, the scenarios and
//! the store (below all of them, so that none has to import another for an id).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A lon/lat pair (WGS84).
pub type LonLat = [f64; 2];

/// Identifier of a work: `P1`…`P12`, `E1`…`E6`, children like `P4-01`, or a user's own id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkId(pub String);

impl WorkId {
    /// Validates and wraps an id: 1–40 characters of `A-Z a-z 0-9 - _ .`.
    pub fn parse(s: &str) -> Result<WorkId> {
        let ok = !s.is_empty()
            && s.len() <= 40
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(WorkId(s.to_string()))
        } else {
            Err(Error::invalid(format!(
                "work id '{s}' must be 1–40 characters of letters, digits, '-', '_' or '.'"
            )))
        }
    }
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

/// Identifier of a choke point (`H01`…`H15`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HotspotId(pub String);

impl HotspotId {
    /// Validates and wraps an id (same alphabet as work ids).
    pub fn parse(s: &str) -> Result<HotspotId> {
        WorkId::parse(s)
            .map(|w| HotspotId(w.0))
            .map_err(|_| Error::invalid(format!("hotspot id '{s}' is not valid")))
    }
    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HotspotId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}
