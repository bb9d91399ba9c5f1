//! Works (projects) of the city plan: roads, bridges, pipe renewals and environment works.
//!
//! A [`Work`] carries its status (with an explicit table of allowed transitions, see
//! [`Status::allowed_next`]), planned and actual dates, a geometry, and its effects on the
//! road network as edit commands ([`Effect`]). Effects are anchored to streets by Chinese name
//! and approximate position ([`StreetAnchor`]), not to the edge ids of one network, so the same
//! work attaches to the embedded Jinzhou network or to a user's OSM import (see [`anchor`]).

pub mod anchor;
pub mod catalogue;
pub mod choose;
pub mod edit;
pub mod engine;
pub mod feed;
pub mod paths;
pub mod rules;
pub mod schedule;
pub mod validate;

pub use schedule::{DailyHours, Direction, Promoter, Schedule, Weekday};

use crate::ids::HotspotId;
pub use crate::ids::{LonLat, WorkId};
use crate::network::EdgeId;
use crate::{Error, Result};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of work it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// A new bridge.
    Bridge,
    /// A new road.
    NewRoad,
    /// New-build, rebuild or widening of a street.
    Widening,
    /// Moving a road onto a new alignment.
    Realignment,
    /// Repair or resurfacing.
    Repair,
    /// Interchange or flyover.
    Interchange,
    /// Ring road / bypass.
    RingRoad,
    /// Opening a traffic choke point.
    ChokePoint,
    /// Renewal of old pipes (digging under streets).
    PipeRenewal,
    /// Greening.
    Greening,
    /// River restoration.
    RiverRestoration,
    /// Protection of drinking-water sources.
    WaterSourceProtection,
    /// Wetland restoration.
    Wetland,
    /// Clean-up of sea outfalls / polluted water bodies.
    OutfallCleanup,
    /// A programme made of child works (P4, P6, P8).
    Programme,
}

impl WorkKind {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::Bridge => "bridge",
            WorkKind::NewRoad => "new_road",
            WorkKind::Widening => "widening",
            WorkKind::Realignment => "realignment",
            WorkKind::Repair => "repair",
            WorkKind::Interchange => "interchange",
            WorkKind::RingRoad => "ring_road",
            WorkKind::ChokePoint => "choke_point",
            WorkKind::PipeRenewal => "pipe_renewal",
            WorkKind::Greening => "greening",
            WorkKind::RiverRestoration => "river_restoration",
            WorkKind::WaterSourceProtection => "water_source_protection",
            WorkKind::Wetland => "wetland",
            WorkKind::OutfallCleanup => "outfall_cleanup",
            WorkKind::Programme => "programme",
        }
    }
}

impl std::str::FromStr for WorkKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|_| {
            Error::invalid(format!(
                "kind '{s}' is not one of: bridge, new_road, widening, realignment, repair, \
                 interchange, ring_road, choke_point, pipe_renewal, greening, river_restoration, \
                 water_source_protection, wetland, outfall_cleanup, programme"
            ))
        })
    }
}

/// Where a work stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In the plan, nothing done yet.
    Proposed,
    /// Preliminary work (前期工作): studies, land, approvals.
    PreliminaryWork,
    /// Detailed design.
    Design,
    /// On site.
    UnderConstruction,
    /// Finished and open.
    Completed,
    /// Stopped for now.
    Suspended,
    /// Dropped.
    Cancelled,
}

impl Status {
    /// All statuses, in life-cycle order.
    pub const ALL: [Status; 7] = [
        Status::Proposed,
        Status::PreliminaryWork,
        Status::Design,
        Status::UnderConstruction,
        Status::Completed,
        Status::Suspended,
        Status::Cancelled,
    ];

    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::PreliminaryWork => "preliminary_work",
            Status::Design => "design",
            Status::UnderConstruction => "under_construction",
            Status::Completed => "completed",
            Status::Suspended => "suspended",
            Status::Cancelled => "cancelled",
        }
    }

    /// The allowed-transitions table: the statuses a work in `self` may move to. The life
    /// cycle goes forward one or more planning steps at a time (a work may skip preliminary
    /// work); any unfinished work may be suspended or cancelled; a suspended work resumes at
    /// any unfinished stage; completed and cancelled are final.
    pub fn allowed_next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Proposed => &[PreliminaryWork, Design, Suspended, Cancelled],
            PreliminaryWork => &[Design, Suspended, Cancelled],
            Design => &[UnderConstruction, Suspended, Cancelled],
            UnderConstruction => &[Completed, Suspended, Cancelled],
            Suspended => &[
                Proposed,
                PreliminaryWork,
                Design,
                UnderConstruction,
                Cancelled,
            ],
            Completed | Cancelled => &[],
        }
    }

    /// Whether `self → to` is in the table.
    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_next().contains(&to)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "status '{s}' is not one of: proposed, preliminary_work, design, \
                     under_construction, completed, suspended, cancelled"
                ))
            })
    }
}

/// Earliest date a work may carry (dates before are typing errors).
pub const MIN_DATE: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
/// Latest date a work may carry.
pub const MAX_DATE: NaiveDate = NaiveDate::from_ymd_opt(2100, 12, 31).unwrap();

/// Checks that a date is within [`MIN_DATE`]..=[`MAX_DATE`].
pub fn check_date(what: &str, d: NaiveDate) -> Result<()> {
    if d < MIN_DATE || d > MAX_DATE {
        return Err(Error::invalid(format!(
            "{what} {d} is out of range ({MIN_DATE} … {MAX_DATE})"
        )));
    }
    Ok(())
}

/// Parses a `YYYY-MM-DD` date with range check.
pub fn parse_date(s: &str) -> Result<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        if looks_like_date(s.trim()) {
            Error::invalid(format!("date '{s}' is not a real date"))
        } else {
            Error::invalid(format!("date '{s}' is not YYYY-MM-DD"))
        }
    })?;
    check_date("date", d)?;
    Ok(d)
}

/// `YYYY-MM-DD` in shape (four digits, dash, one or two digits, dash, one or two digits): a
/// string of that shape that does not parse names a day the calendar does not have.
pub fn looks_like_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    matches!(parts.as_slice(), [y, m, d] if digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2))
}

/// An inclusive range of dates (construction from `start` to `end`, both days included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

impl DateRange {
    /// A checked range: both dates in range, `end >= start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<DateRange> {
        check_date("start date", start)?;
        check_date("end date", end)?;
        if end < start {
            return Err(Error::invalid(format!(
                "end date {end} is before start date {start}"
            )));
        }
        Ok(DateRange { start, end })
    }
    /// Whether two ranges share at least one day.
    pub fn overlaps(&self, o: &DateRange) -> bool {
        self.start <= o.end && o.start <= self.end
    }
    /// The shared days, if any.
    pub fn intersection(&self, o: &DateRange) -> Option<DateRange> {
        self.overlaps(o).then(|| DateRange {
            start: self.start.max(o.start),
            end: self.end.min(o.end),
        })
    }
    /// Whether `d` is within the range.
    pub fn contains(&self, d: NaiveDate) -> bool {
        self.start <= d && d <= self.end
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} … {}", self.start, self.end)
    }
}

/// The geometry of a work, GeoJSON-shaped (`{"type": "LineString", "coordinates": …}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "coordinates")]
pub enum WorkGeometry {
    /// A point.
    Point(LonLat),
    /// A line.
    LineString(Vec<LonLat>),
    /// A polygon (outer ring first).
    Polygon(Vec<Vec<LonLat>>),
    /// Several lines (a programme along many streets).
    MultiLineString(Vec<Vec<LonLat>>),
}

impl WorkGeometry {
    /// Every coordinate of the geometry.
    pub fn coords(&self) -> Vec<LonLat> {
        match self {
            WorkGeometry::Point(p) => vec![*p],
            WorkGeometry::LineString(l) => l.clone(),
            WorkGeometry::Polygon(r) | WorkGeometry::MultiLineString(r) => {
                r.iter().flatten().copied().collect()
            }
        }
    }
    /// Bounding box `[min_lon, min_lat, max_lon, max_lat]`.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        bbox_of(self.coords().iter())
    }
    fn validate(&self) -> Result<()> {
        let cs = self.coords();
        if cs.is_empty() {
            return Err(Error::invalid("geometry has no coordinates"));
        }
        check_coords(&cs, "geometry")?;
        match self {
            WorkGeometry::LineString(l) if l.len() < 2 => {
                Err(Error::invalid("a LineString needs at least two points"))
            }
            WorkGeometry::Polygon(r) if r.iter().any(|ring| ring.len() < 4) => Err(Error::invalid(
                "a Polygon ring needs at least four points (closed)",
            )),
            _ => Ok(()),
        }
    }
}

fn bbox_of<'a>(it: impl Iterator<Item = &'a LonLat>) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for p in it {
        b = Some(match b {
            None => [p[0], p[1], p[0], p[1]],
            Some(b) => [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ],
        });
    }
    b
}

fn check_coords(cs: &[LonLat], what: &str) -> Result<()> {
    for c in cs {
        if !crate::network::geom::valid_lon_lat(c[0], c[1]) {
            return Err(Error::invalid(format!(
                "{what} coordinate {},{} is not a valid WGS84 lon/lat",
                c[0], c[1]
            )));
        }
    }
    Ok(())
}

/// When an effect applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// While the work is on site.
    Construction,
    /// From completion on.
    Completion,
}

/// What an effect does to its target edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// Close both directions.
    Close,
    /// Take `lanes` lanes away per direction (at least one lane stays); capacity scales with
    /// the lanes left.
    CutLanes {
        /// Lanes removed per direction.
        lanes: u8,
    },
    /// Cap the speed (a work zone).
    SetSpeed {
        /// New speed limit.
        speed_kmh: f32,
    },
    /// Set the lanes per direction; capacity scales with the lanes.
    SetLanes {
        /// Lanes per direction after the work.
        lanes: u8,
    },
    /// Add lanes per direction (a widening); capacity scales with the lanes.
    AddLanes {
        /// Lanes added per direction.
        lanes: u8,
    },
    /// Multiply capacity (a choke point opened, an interchange).
    ScaleCapacity {
        /// Factor, in (0, 10].
        factor: f32,
    },
    /// Open a planned link (new bridge or road): its edges exist in the network as `planned`.
    OpenLink,
    /// Remove the target edges for good (a road replaced by a new alignment).
    Remove,
}

/// A stretch of a named street near an approximate position: the anchor that survives a change
/// of network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreetAnchor {
    /// Street names accepted (Chinese first; English names also match).
    pub streets: Vec<String>,
    /// Approximate start of the stretch (or the point, for a junction).
    pub from: LonLat,
    /// Approximate end of the stretch; `None` = only the edges near `from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<LonLat>,
    /// How far (metres) the street may lie from the anchor line.
    #[serde(default = "default_radius_m")]
    pub radius_m: f64,
}

fn default_radius_m() -> f64 {
    400.0
}

/// The edges an effect applies to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// A stretch of a named street.
    Street(StreetAnchor),
    /// A planned link of the catalogue (by link id).
    Link {
        /// The link id (`P1-bridge`).
        link: String,
    },
    /// Explicit edge ids of the loaded network (both directions are not implied).
    Edges {
        /// The edges.
        edges: Vec<EdgeId>,
    },
}

/// One edit command of a work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// During construction or after completion.
    pub phase: Phase,
    /// What it does.
    pub action: Action,
    /// Where.
    pub target: Target,
    /// Only one direction of the street (relative to the anchor's `from` → `to`); none = both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Only during these daily hours and/or weekdays (construction effects); none = always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl Effect {
    fn validate(&self) -> Result<()> {
        match &self.action {
            Action::CutLanes { lanes }
            | Action::SetLanes { lanes }
            | Action::AddLanes { lanes }
                if *lanes == 0 =>
            {
                return Err(Error::invalid("an effect's lanes must be at least 1"));
            }
            Action::SetSpeed { speed_kmh } if !(*speed_kmh > 0.0 && *speed_kmh <= 200.0) => {
                return Err(Error::invalid(format!(
                    "an effect's speed {speed_kmh} km/h must be in (0, 200]"
                )));
            }
            Action::ScaleCapacity { factor } if !(*factor > 0.0 && *factor <= 10.0) => {
                return Err(Error::invalid(format!(
                    "a capacity factor {factor} must be in (0, 10]"
                )));
            }
            _ => {}
        }
        match (&self.action, &self.target) {
            (Action::OpenLink, Target::Link { .. }) => {}
            (Action::OpenLink, _) => {
                return Err(Error::invalid("open_link needs a `link` target"));
            }
            (_, Target::Link { .. }) if self.phase == Phase::Construction => {
                return Err(Error::invalid(
                    "a planned link is closed until completion: only open_link may target it",
                ));
            }
            _ => {}
        }
        if let Target::Street(a) = &self.target {
            if a.streets.is_empty() || a.streets.iter().any(|s| s.trim().is_empty()) {
                return Err(Error::invalid("a street anchor needs at least one name"));
            }
            let mut cs = vec![a.from];
            cs.extend(a.to);
            check_coords(&cs, "anchor")?;
            if !(a.radius_m > 0.0 && a.radius_m <= 5_000.0) {
                return Err(Error::invalid(format!(
                    "anchor radius {} m must be in (0, 5000]",
                    a.radius_m
                )));
            }
        }
        if let Target::Edges { edges } = &self.target
            && edges.is_empty()
        {
            return Err(Error::invalid("an edge target needs at least one edge"));
        }
        Ok(())
    }
}

/// A budget figure; the article gives none, so it is always an estimate with its reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Amount in yuan.
    pub amount_cny: f64,
    /// `estimate:<why>`.
    pub source: String,
}

/// A work (project) of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Id (`P1`, `P4-01`, `E3`).
    pub id: WorkId,
    /// Parent programme (`P4` for its 15 streets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<WorkId>,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Kind.
    pub kind: WorkKind,
    /// Status.
    pub status: Status,
    /// Why the status is what it is (`seed:P5` or `estimate:<why>`).
    pub status_source: String,
    /// Planned construction period.
    pub planned: DateRange,
    /// Actual start (set when construction starts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_start: Option<NaiveDate>,
    /// Actual end (set on completion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_end: Option<NaiveDate>,
    /// Where the dates come from (`estimate:<why>` unless the plan gives them).
    pub dates_source: String,
    /// Geometry (line, polygon or point).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geometry: Option<WorkGeometry>,
    /// Effects on the road network.
    #[serde(default)]
    pub effects: Vec<Effect>,
    /// Budget, always an estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// The choke point this work opens (P6 children).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotspot: Option<HotspotId>,
    /// Provenance of the record: `seed:P1`…`seed:E6`, or `estimate:`/`model:` for children.
    pub source: String,
    /// The original words of the plan this record stands on.
    #[serde(default)]
    pub seed_quote: String,
    /// Free notes (how a location or child was chosen).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Optimistic-concurrency version (1 on insert, +1 per stored change).
    #[serde(default)]
    pub version: u64,
    /// Who digs (a utility or the road authority); none for the plan's own records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoter: Option<Promoter>,
    /// Emergency works (a burst main): allowed inside a moratorium, the finding is kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub emergency: bool,
    /// The start in force (actual, else planned) has been confirmed on site or by the promoter.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub start_verified: bool,
    /// The end in force (actual, else planned) has been confirmed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end_verified: bool,
}

impl Work {
    /// Checks every field (ids, dates and their order, coordinates, effects).
    pub fn validate(&self) -> Result<()> {
        WorkId::parse(self.id.as_str())?;
        if let Some(p) = &self.parent {
            WorkId::parse(p.as_str())?;
            if p == &self.id {
                return Err(Error::invalid(format!(
                    "work {} is its own parent",
                    self.id
                )));
            }
        }
        if self.name_zh.trim().is_empty() && self.name_en.trim().is_empty() {
            return Err(Error::invalid(format!("work {} has no name", self.id)));
        }
        let ctx = |e: Error| match e {
            Error::InvalidInput(m) => Error::InvalidInput(format!("work {}: {m}", self.id)),
            other => other,
        };
        DateRange::new(self.planned.start, self.planned.end).map_err(ctx)?;
        if let Some(s) = self.actual_start {
            check_date("actual start", s).map_err(ctx)?;
        }
        if let Some(e) = self.actual_end {
            check_date("actual end", e).map_err(ctx)?;
            let s = self.actual_start.unwrap_or(self.planned.start);
            if e < s {
                return Err(ctx(Error::invalid(format!(
                    "actual end {e} is before the start {s}"
                ))));
            }
        }
        if let Some(g) = &self.geometry {
            g.validate().map_err(ctx)?;
        }
        for e in &self.effects {
            e.validate().map_err(ctx)?;
        }
        if self.source.trim().is_empty() {
            return Err(ctx(Error::invalid("source is empty")));
        }
        if let Some(b) = &self.budget
            && (!b.amount_cny.is_finite()
                || b.amount_cny < 0.0
                || !b.source.starts_with("estimate"))
        {
            return Err(ctx(Error::invalid(
                "a budget must be a non-negative amount marked estimate:<why>",
            )));
        }
        Ok(())
    }

    /// The construction period in force: actual dates where known, planned otherwise.
    pub fn window(&self) -> DateRange {
        let start = self.actual_start.unwrap_or(self.planned.start);
        let end = self.actual_end.unwrap_or(self.planned.end).max(start);
        DateRange { start, end }
    }

    /// Which effects are in force on `date`: `Construction` within the window, `Completion`
    /// after it. The state follows the schedule: a work that is not cancelled is assumed to
    /// keep its dates; a suspended work keeps its site (construction effects) from its start
    /// on and never completes; a cancelled work has no effect.
    pub fn phase_on(&self, date: NaiveDate) -> Option<Phase> {
        let w = self.window();
        match self.status {
            Status::Cancelled => None,
            Status::Suspended => (date >= w.start).then_some(Phase::Construction),
            _ if date < w.start => None,
            _ if date <= w.end => Some(Phase::Construction),
            _ => Some(Phase::Completion),
        }
    }

    /// Whether any effect closes or narrows roads (has a footprint on the network).
    pub fn has_network_effect(&self) -> bool {
        !self.effects.is_empty()
    }

    /// Applies a status change effective on `on`, after checking the transitions table and
    /// the dates: starting construction records the actual start, completing the actual end;
    /// `status_source` becomes `edit:status <to> effective <on>` (the audit entry names who).
    /// The callers refuse an `on` after today (`validate::check_not_after_today`). Returns the changed work
    /// (version unchanged: the store bumps it).
    pub fn with_status(&self, to: Status, on: NaiveDate) -> Result<Work> {
        check_date("effective date", on)?;
        if !self.status.can_move_to(to) {
            let allowed: Vec<&str> = self
                .status
                .allowed_next()
                .iter()
                .map(|s| s.as_str())
                .collect();
            return Err(Error::Conflict(format!(
                "work {}: status {} → {} is not allowed (allowed: {})",
                self.id,
                self.status,
                to,
                if allowed.is_empty() {
                    "none, the status is final".to_string()
                } else {
                    allowed.join(", ")
                }
            )));
        }
        let mut w = self.clone();
        w.status = to;
        w.status_source = format!("edit:status {to} effective {on}");
        match to {
            Status::UnderConstruction if w.actual_start.is_none() => w.actual_start = Some(on),
            Status::Completed => {
                let s = w.actual_start.unwrap_or(w.planned.start);
                if on < s {
                    return Err(Error::invalid(format!(
                        "work {}: completion date {on} is before the start {s}",
                        self.id
                    )));
                }
                w.actual_end = Some(on);
            }
            _ => {}
        }
        w.validate()?;
        Ok(w)
    }

    /// The work with new planned dates (checked).
    pub fn with_planned(&self, planned: DateRange, dates_source: Option<&str>) -> Result<Work> {
        let planned = DateRange::new(planned.start, planned.end)?;
        let mut w = self.clone();
        w.planned = planned;
        if let Some(s) = dates_source {
            w.dates_source = s.to_string();
        }
        w.validate()?;
        Ok(w)
    }
}

/// One entry of a work's (or hotspot's) history: who changed what, when, old → new.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The record (`P1`, `H03`).
    pub record: String,
    /// The version the change produced.
    pub version: u64,
    /// Wall-clock time of the change.
    pub at: DateTime<Utc>,
    /// Who made it.
    pub actor: String,
    /// What changed: `status`, `dates`, `created`, `seed`.
    pub field: String,
    /// Value before.
    pub old: String,
    /// Value after.
    pub new: String,
    /// Why.
    pub comment: String,
}

/// A list filter for works; `None` fields match everything.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WorkFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this kind.
    pub kind: Option<WorkKind>,
    /// Only works whose window contains this date.
    pub active_on: Option<NaiveDate>,
    /// Only works whose geometry bbox intersects `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Only children of this work.
    pub parent: Option<WorkId>,
}

impl WorkFilter {
    /// Whether a work passes.
    pub fn matches(&self, w: &Work) -> bool {
        if self.status.is_some_and(|s| s != w.status) || self.kind.is_some_and(|k| k != w.kind) {
            return false;
        }
        if let Some(d) = self.active_on
            && !w.window().contains(d)
        {
            return false;
        }
        if let Some(p) = &self.parent
            && w.parent.as_ref() != Some(p)
        {
            return false;
        }
        if let Some(q) = self.bbox {
            let Some(b) = w.geometry.as_ref().and_then(|g| g.bbox()) else {
                return false;
            };
            if b[2] < q[0] || b[0] > q[2] || b[3] < q[1] || b[1] > q[3] {
                return false;
            }
        }
        true
    }
}

/// A resolved effect: the same command with the edges of one network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResolvedEffect {
    /// Phase.
    pub phase: Phase,
    /// Action.
    pub action: Action,
    /// Edges (both directions where the road is two-way).
    pub edges: Vec<EdgeId>,
    /// When during the day or week it applies (construction effects); none = always.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
}

impl ResolvedEffect {
    /// Whether the effect is in force on `date` (at `minute` after local midnight, if given),
    /// as far as its schedule says; its phase is the caller's to check.
    pub fn in_force(&self, date: NaiveDate, minute: Option<u16>) -> bool {
        match (&self.schedule, minute) {
            (None, _) => true,
            (Some(s), None) => s.in_force_on(date),
            (Some(s), Some(m)) => s.in_force_at(date, m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn work() -> Work {
        Work {
            id: WorkId("T1".into()),
            parent: None,
            name_zh: "测试".into(),
            name_en: "Test".into(),
            kind: WorkKind::Bridge,
            status: Status::Design,
            status_source: "estimate:test".into(),
            planned: DateRange::new(d("2022-04-01"), d("2023-09-30")).unwrap(),
            actual_start: None,
            actual_end: None,
            dates_source: "estimate:test".into(),
            geometry: None,
            effects: vec![],
            budget: None,
            hotspot: None,
            source: "estimate:test".into(),
            seed_quote: String::new(),
            notes: String::new(),
            version: 1,
            promoter: None,
            emergency: false,
            start_verified: false,
            end_verified: false,
        }
    }

    #[test]
    fn transitions_follow_the_table() {
        let w = work();
        let c = w
            .with_status(Status::UnderConstruction, d("2022-05-01"))
            .unwrap();
        assert_eq!(c.actual_start, Some(d("2022-05-01")));
        assert_eq!(
            c.status_source,
            "edit:status under_construction effective 2022-05-01"
        );
        assert!(matches!(
            w.with_status(Status::Completed, d("2022-05-01")),
            Err(Error::Conflict(_))
        ));
        let done = c.with_status(Status::Completed, d("2023-08-01")).unwrap();
        assert_eq!(
            done.window(),
            DateRange::new(d("2022-05-01"), d("2023-08-01")).unwrap()
        );
        assert!(
            done.with_status(Status::Suspended, d("2023-09-01"))
                .is_err()
        );
        // Completion before the start is refused.
        assert!(c.with_status(Status::Completed, d("2022-01-01")).is_err());
    }

    #[test]
    fn phases_follow_the_dates() {
        let w = work();
        assert_eq!(w.phase_on(d("2022-03-31")), None);
        assert_eq!(w.phase_on(d("2022-04-01")), Some(Phase::Construction));
        assert_eq!(w.phase_on(d("2023-09-30")), Some(Phase::Construction));
        assert_eq!(w.phase_on(d("2023-10-01")), Some(Phase::Completion));
        let mut c = w.clone();
        c.status = Status::Cancelled;
        assert_eq!(c.phase_on(d("2024-01-01")), None);
    }

    #[test]
    fn bad_dates_are_refused() {
        assert!(DateRange::new(d("2023-01-01"), d("2022-01-01")).is_err());
        assert!(parse_date("1850-01-01").is_err());
        assert!(parse_date("2022-13-01").is_err());
        let mut w = work();
        w.actual_end = Some(d("2021-01-01"));
        assert!(w.validate().is_err());
    }
}
