//! What the coordination rules answer: kinds and severities of findings, the options (with
//! the moratorium periods and their source), findings, moratoria and the filter of findings.

use crate::analysis::clash::{Probe, jinzhou_probes};
use crate::works::{DateRange, WorkId, WorkKind};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Kind of finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Sites within the buffer at the same time.
    Site,
    /// Parallel alternatives of one corridor closed at once.
    Corridor,
    /// Same street, windows close but apart: dig once.
    Opportunity,
    /// A work inside a moratorium (dig-ban).
    Moratorium,
}

impl FindingKind {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Site => "site",
            FindingKind::Corridor => "corridor",
            FindingKind::Opportunity => "opportunity",
            FindingKind::Moratorium => "moratorium",
        }
    }
    /// All kinds.
    pub const ALL: [FindingKind; 4] = [
        FindingKind::Site,
        FindingKind::Corridor,
        FindingKind::Opportunity,
        FindingKind::Moratorium,
    ];
}

impl std::str::FromStr for FindingKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        FindingKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "kind '{s}' is not one of: site, corridor, opportunity, moratorium"
                ))
            })
    }
}

/// How much a finding matters, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing (an opportunity).
    Low,
    /// Coordinate (sites near each other; an emergency inside a moratorium).
    Medium,
    /// Act (sites closing roads side by side; a moratorium broken; a corridor squeezed).
    High,
    /// Strong: a corridor cut or its trips at least `detour_factor` × as long.
    Critical,
}

impl Severity {
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(Error::invalid(format!(
                "severity '{s}' is not one of: low, medium, high, critical"
            ))),
        }
    }
}

/// Years a street is protected after a work of each class is completed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoratoriumPeriods {
    /// After resurfacing / major repair (kind `repair`).
    pub resurfacing_years: u32,
    /// After reconstruction or widening (kinds `widening`, `realignment`, `interchange`,
    /// `choke_point`).
    pub reconstruction_years: u32,
    /// After a new road or bridge (kinds `new_road`, `bridge`, `ring_road`).
    pub new_road_years: u32,
}

/// Where the default periods come from.
pub const MORATORIUM_SOURCE: &str = "城市道路管理条例 (Regulations on Urban Road Management, \
    State Council 1996, rev. 2019) art. 33: no digging within 5 years of a new, widened or \
    rebuilt road being opened, nor within 3 years of a major repair; art. 35: a failed pipe \
    may be dug up at once for emergency repair, with notice";

impl Default for MoratoriumPeriods {
    fn default() -> Self {
        MoratoriumPeriods {
            resurfacing_years: 3,
            reconstruction_years: 5,
            new_road_years: 5,
        }
    }
}

/// Which protection a completed work of `kind` gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Protection {
    /// Resurfacing / major repair.
    Resurfacing,
    /// Reconstruction / widening.
    Reconstruction,
    /// A new road or bridge.
    NewRoad,
}

impl Protection {
    /// The protection a work kind gives once completed, if any.
    pub fn of(kind: WorkKind) -> Option<Protection> {
        match kind {
            WorkKind::Repair => Some(Protection::Resurfacing),
            WorkKind::Widening
            | WorkKind::Realignment
            | WorkKind::Interchange
            | WorkKind::ChokePoint => Some(Protection::Reconstruction),
            WorkKind::NewRoad | WorkKind::Bridge | WorkKind::RingRoad => Some(Protection::NewRoad),
            _ => None,
        }
    }
    /// Years of protection under `p`.
    pub fn years(self, p: &MoratoriumPeriods) -> u32 {
        match self {
            Protection::Resurfacing => p.resurfacing_years,
            Protection::Reconstruction => p.reconstruction_years,
            Protection::NewRoad => p.new_road_years,
        }
    }
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protection::Resurfacing => "resurfacing",
            Protection::Reconstruction => "reconstruction",
            Protection::NewRoad => "new_road",
        }
    }
}

/// Options of the rules.
#[derive(Clone, Debug)]
pub struct RuleOptions {
    /// Sites closer than this (metres) are one site (default 50).
    pub buffer_m: f64,
    /// Opportunity: works within this distance (metres) or on the same street (default 100).
    pub opportunity_m: f64,
    /// Opportunity: windows at most this many days apart (default 180).
    pub opportunity_days: i64,
    /// Moratorium periods.
    pub moratorium: MoratoriumPeriods,
    /// Probe points between which corridor trips are timed.
    pub probes: Vec<Probe>,
    /// A corridor finding needs the trip with both closed to take at least this × its base time.
    pub corridor_factor: f64,
    /// …and it is strong (critical) from this factor on, or when the trip is cut.
    pub detour_factor: f64,
    /// Only findings whose dates meet this window.
    pub window: Option<DateRange>,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            buffer_m: 50.0,
            opportunity_m: 100.0,
            opportunity_days: 180,
            moratorium: MoratoriumPeriods::default(),
            probes: jinzhou_probes(),
            corridor_factor: 1.5,
            detour_factor: 2.0,
            window: None,
        }
    }
}

impl RuleOptions {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<()> {
        if !(self.buffer_m.is_finite() && (0.0..=5_000.0).contains(&self.buffer_m)) {
            return Err(Error::invalid(format!(
                "buffer_m {} must be in 0–5000",
                self.buffer_m
            )));
        }
        if !(self.opportunity_m.is_finite() && (0.0..=5_000.0).contains(&self.opportunity_m)) {
            return Err(Error::invalid(format!(
                "opportunity_m {} must be in 0–5000",
                self.opportunity_m
            )));
        }
        if !(0..=3650).contains(&self.opportunity_days) {
            return Err(Error::invalid(format!(
                "opportunity_days {} must be in 0–3650",
                self.opportunity_days
            )));
        }
        let m = &self.moratorium;
        if [
            m.resurfacing_years,
            m.reconstruction_years,
            m.new_road_years,
        ]
        .iter()
        .any(|&y| y > 50)
        {
            return Err(Error::invalid("moratorium years must be at most 50"));
        }
        if !(self.corridor_factor > 1.0 && self.corridor_factor.is_finite()) {
            return Err(Error::invalid("corridor_factor must be > 1"));
        }
        if !(self.detour_factor >= self.corridor_factor && self.detour_factor.is_finite()) {
            return Err(Error::invalid("detour_factor must be ≥ corridor_factor"));
        }
        Ok(())
    }
}

/// One finding between two works.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Stable id: `kind:A:B`.
    pub id: String,
    /// Kind.
    pub kind: FindingKind,
    /// Severity.
    pub severity: Severity,
    /// The two works (for a moratorium: the protecting work first, then the work inside it).
    pub works: [WorkId; 2],
    /// The days concerned: the overlap (site, corridor, moratorium) or the gap between the
    /// windows (opportunity).
    pub dates: DateRange,
    /// Streets concerned.
    pub streets: Vec<String>,
    /// Shortest distance between the footprints, metres.
    pub distance_m: f64,
    /// Corridor: how many times longer the worst probe trip takes with both closed (`null` when
    /// it is cut).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detour_factor: Option<f64>,
    /// Corridor: a trip is cut or at least `detour_factor` × as long.
    pub strong: bool,
    /// One of the works is an emergency.
    pub emergency: bool,
    /// Why, in words.
    pub reason: String,
}

/// A street protected after a completed (or scheduled) resurfacing, reconstruction or new road.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Moratorium {
    /// The work that protects it.
    pub work: WorkId,
    /// Its name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// What it was.
    pub protection: Protection,
    /// First protected day (the day after completion).
    pub from: NaiveDate,
    /// Last protected day.
    pub until: NaiveDate,
    /// Whether the work is completed (else it is scheduled to complete on `from` − 1).
    pub completed: bool,
    /// Streets protected.
    pub streets: Vec<String>,
    /// The protected footprint, lon/lat lines.
    pub lines: Vec<Vec<[f64; 2]>>,
    /// Where the record comes from: `model:moratorium rule …`, the rule applied to the work's
    /// end date (itself `seed:`/`estimate:`, as the work's `dates_source` says).
    pub source: String,
    /// Where the period comes from: the regulation (default periods) or the configuration.
    pub basis: String,
}

/// Filter of findings; `None` matches all.
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    /// Only findings with this work.
    pub work: Option<WorkId>,
    /// Only findings on a street of this name (Chinese or English, exact).
    pub street: Option<String>,
    /// Only this kind.
    pub kind: Option<FindingKind>,
    /// Only this severity or higher.
    pub min_severity: Option<Severity>,
}

impl FindingFilter {
    /// Whether a finding passes.
    pub fn matches(&self, f: &Finding) -> bool {
        self.work.as_ref().is_none_or(|w| f.works.contains(w))
            && self.kind.is_none_or(|k| k == f.kind)
            && self.min_severity.is_none_or(|s| f.severity >= s)
            && self
                .street
                .as_ref()
                .is_none_or(|s| f.streets.iter().any(|x| x == s.trim()))
    }
}
