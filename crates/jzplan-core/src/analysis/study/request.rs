//! A study's input: closures, window, daily hours, threshold; checks and the study id.

use crate::network::EdgeId;
use crate::works::{DateRange, LonLat};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Default threshold of a secondary conflict: extra veh/h on the other work's site.
pub const DEFAULT_FLOW_THRESHOLD_VPH: f64 = 100.0;
/// How far (metres) a stretch's `from`/`to` may lie from the street's nearest junction.
pub const STRETCH_SNAP_M: f64 = 300.0;
/// Target relative gap of every study assignment.
pub const STUDY_GAP: f64 = 1e-4;
/// The algorithm of every study assignment: Algorithm B reaches [`STUDY_GAP`] on Jinzhou in
/// about a third of biconjugate Frank-Wolfe's time (docs/performance.md, closure study) and
/// gives the same equilibrium (the gap is measured the same way for both).
pub const STUDY_ALGORITHM: crate::assignment::Algorithm = crate::assignment::Algorithm::AlgB;
/// Choke points, streets and OD pairs listed.
pub const TOP_N: usize = 15;
/// The most closures one study takes.
pub const MAX_CLOSURES: usize = 20;

/// Lanes a closure takes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lanes {
    /// The whole road (closed).
    All,
    /// This many lanes per direction (the road closes when none is left).
    Count(u8),
}

impl Serialize for Lanes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Lanes::All => s.serialize_str("all"),
            Lanes::Count(n) => s.serialize_u8(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Lanes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        parse_lanes_value(&v).map_err(serde::de::Error::custom)
    }
}

fn parse_lanes_value(v: &serde_json::Value) -> std::result::Result<Lanes, String> {
    match v {
        serde_json::Value::String(s) => s.parse::<Lanes>().map_err(|e| e.to_string()),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(k @ 1..=8) => Ok(Lanes::Count(k as u8)),
            _ => Err(format!("lanes {n} must be \"all\" or a whole number 1–8")),
        },
        other => Err(format!(
            "lanes {other} must be \"all\" or a whole number 1–8"
        )),
    }
}

impl std::str::FromStr for Lanes {
    type Err = Error;
    fn from_str(s: &str) -> Result<Lanes> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("all") {
            return Ok(Lanes::All);
        }
        match t.parse::<u8>() {
            Ok(k @ 1..=8) => Ok(Lanes::Count(k)),
            _ => Err(Error::invalid(format!(
                "lanes '{s}' must be \"all\" or a whole number 1–8"
            ))),
        }
    }
}

/// Which directions a street or edge closure takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Both directions (the twins of the edges too).
    #[default]
    Both,
    /// Only the direction `from → to` (a stretch), or exactly the edges given.
    Forward,
}

/// One closure of a study: a work's site, a street (optionally a stretch of it) or edges.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureSpec {
    /// An existing work: its construction effects (what its site does to the network).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work: Option<String>,
    /// A street by Chinese or English name (a `一段` section suffix is ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Start of the stretch of `street` (lon, lat); with `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<LonLat>,
    /// End of the stretch of `street` (lon, lat); with `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<LonLat>,
    /// Edge ids of the loaded network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Vec<EdgeId>>,
    /// Lanes taken per direction: `"all"` (default: the road is closed) or a number; when only
    /// `speed_kmh` is given no lane is taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lanes: Option<Lanes>,
    /// Both directions (default) or only `from → to` / the edges given.
    #[serde(default)]
    pub direction: Direction,
    /// Speed limit on what stays open, km/h.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_kmh: Option<f32>,
}

/// A study's input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyRequest {
    /// What is closed (one or more).
    pub closures: Vec<ClosureSpec>,
    /// When (both days included).
    pub window: DateRange,
    /// Daily hours of the closure, `22-06` or `22:00-06:00` (default: all day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<String>,
    /// Extra veh/h on another work's site that makes it a secondary conflict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_threshold_vph: Option<f64>,
}

/// Daily hours `[start, end)` in whole hours, wrapping at midnight (`22-06` = 22:00–06:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DailyHours {
    /// First hour (0–23).
    pub start: u8,
    /// Hour at which it ends (0–24; before `start` = the next morning).
    pub end: u8,
}

impl DailyHours {
    /// Every hour of the day.
    pub const ALL_DAY: DailyHours = DailyHours { start: 0, end: 24 };
    /// Night works, 22:00–06:00.
    pub const NIGHT: DailyHours = DailyHours { start: 22, end: 6 };

    /// Parses `22-06`, `22:00-06:00`, `8-18` (whole hours).
    pub fn parse(s: &str) -> Result<DailyHours> {
        let bad = || {
            Error::invalid(format!(
                "hours '{s}' must be START-END in whole hours, e.g. 22-06 or 22:00-06:00"
            ))
        };
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let hour = |t: &str| -> Result<u8> {
            let t = t.trim();
            let h = match t.split_once(':') {
                Some((h, "00")) => h,
                Some(_) => return Err(bad()),
                None => t,
            };
            if h.is_empty() || h.len() > 2 || !h.bytes().all(|c| c.is_ascii_digit()) {
                return Err(bad());
            }
            h.parse::<u8>().ok().filter(|&h| h <= 24).ok_or_else(bad)
        };
        let (start, end) = (hour(a)?, hour(b)?);
        if start == 24 || start == end {
            return Err(Error::invalid(format!(
                "hours '{s}': the closure must start before 24 and last between 1 and 24 hours"
            )));
        }
        Ok(DailyHours { start, end })
    }

    /// Whether hour `h` (0–23) is in the range.
    pub fn contains(&self, h: u8) -> bool {
        let end = if self.end == 0 { 24 } else { self.end };
        if self.start < end {
            h >= self.start && h < end
        } else {
            h >= self.start || h < end
        }
    }

    /// The range's hours.
    pub fn hours(&self) -> Vec<u8> {
        (0..24).filter(|&h| self.contains(h)).collect()
    }
}

impl std::fmt::Display for DailyHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:00–{:02}:00", self.start, self.end)
    }
}

/// Checks a request without computing anything: window, hours, threshold, closure count.
pub fn check_request(req: &StudyRequest) -> Result<(DateRange, DailyHours, f64)> {
    let window = DateRange::new(req.window.start, req.window.end).map_err(|e| match e {
        Error::InvalidInput(m) => Error::InvalidInput(format!("window: {m}")),
        other => other,
    })?;
    if window.start.pred_opt().is_none() {
        return Err(Error::invalid("window starts too early"));
    }
    let hours = match &req.hours {
        Some(h) => DailyHours::parse(h)?,
        None => DailyHours::ALL_DAY,
    };
    let thr = req.flow_threshold_vph.unwrap_or(DEFAULT_FLOW_THRESHOLD_VPH);
    if !(thr.is_finite() && thr > 0.0) {
        return Err(Error::invalid(format!(
            "flow_threshold_vph {thr} must be a positive number"
        )));
    }
    if req.closures.is_empty() {
        return Err(Error::invalid("a study needs at least one closure"));
    }
    if req.closures.len() > MAX_CLOSURES {
        return Err(Error::TooBig(format!(
            "{} closures in one study (at most {MAX_CLOSURES})",
            req.closures.len()
        )));
    }
    Ok((window, hours, thr))
}

/// The study's id: a hash of the canonical request (its JSON) and the works' version, 16 hex
/// digits (SipHash with fixed keys: the same in every process built by the same compiler).
pub fn study_id(req: &StudyRequest, works_version: u64) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(req).unwrap_or_default().hash(&mut h);
    works_version.hash(&mut h);
    format!("{:016x}", h.finish())
}
