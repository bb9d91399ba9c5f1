//! Closure study: "close X from A to B — where does the traffic go, which choke points get
//! worse, which works clash?" answered in one step ([`run_study`], `Engine::study`).
//!
//! Method (also in docs/assignment.md, "Closure studies"):
//! - **Baseline**: the network on the day before the window starts, every other work as it
//!   stands that day; a studied work's own site is taken out of it (the baseline is the network
//!   without the closure, whatever the work's status).
//! - **With the closure**: the baseline plus the closures' effects (closed, one direction,
//!   lanes taken, speed capped).
//! - **Detours**: for every closed stretch, both directions, the fastest free-flow route between
//!   the stretch's ends with the stretch closed against the route with it open
//!   ([`super::detour`]'s ends); stretches with no way round (cut off) come first.
//! - **Traffic**: both networks are assigned (BFW user equilibrium) in every period of a day
//!   ([`day_periods`]: AM peak, PM peak, off-peak, night, each with its demand factor relative to
//!   the AM peak hour, marked `estimate:`). The closure is in force in a period for the hours
//!   its daily hours share with the period. Flow changes are summed by street and direction,
//!   choke points compared by v/c and approach delay, OD pairs by congested time, all in the
//!   *headline period* (the first period in which the closure is in force).
//! - **Over the window**: Σ periods ΔVHT per hour × hours in force × weekdays of the window
//!   (weekends and holidays are not modelled).
//! - **Secondary conflicts**: other works on site during the window whose site lies on a
//!   detour route, on the closed stretch itself, or takes more than the flow threshold of extra
//!   traffic (headline period, largest increase on any edge of the site).
//! - **Mitigation hints**: the same window started on the same day of each of the next 12
//!   months (other works keep their dates; the network of each month on its 15th, headline
//!   period, scaled to a day by the study's own day/headline ratio), and the saving of doing
//!   the work only at night (22–06).

use crate::analysis::detour::{self, Outcome};
use crate::analysis::impact::{ChokePointRef, Demand, StateRun, Summary, node_vc, run_state};
use crate::assignment::OdMatrix;
use crate::assignment::zones::RoadFlows;
use crate::network::geom::haversine_m;
use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::scenario::NetworkState;
use crate::works::engine::WorksBook;
use crate::works::paths::Dijkstra;
use crate::works::{
    Action, DateRange, LonLat, Phase, ResolvedEffect, Status, Work, WorkFilter, WorkId,
};
use crate::{Error, Result};
use chrono::{Datelike, Months, NaiveDate, Weekday};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Default threshold of a secondary conflict: extra veh/h on the other work's site.
pub const DEFAULT_FLOW_THRESHOLD_VPH: f64 = 100.0;
/// How far (metres) a stretch's `from`/`to` may lie from the street's nearest junction.
pub const STRETCH_SNAP_M: f64 = 300.0;
/// Target relative gap of every study assignment.
pub const STUDY_GAP: f64 = 1e-4;
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

/// Which OD matrix a period uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodMatrix {
    /// The AM peak matrix (homes → jobs).
    Am,
    /// Its transpose (jobs → homes).
    AmTransposed,
    /// The mean of both (as many trips each way).
    Symmetric,
}

/// One period of an average weekday.
#[derive(Clone, Debug, Serialize)]
pub struct Period {
    /// `am_peak`, `pm_peak`, `off_peak`, `night`.
    pub id: &'static str,
    /// In words.
    pub label: &'static str,
    /// Its hours, `[start, end)` ranges.
    pub hours: Vec<(u8, u8)>,
    /// Demand of one hour of it relative to the AM peak hour.
    pub demand_factor: f64,
    /// Which matrix.
    pub matrix: PeriodMatrix,
    /// Provenance of the factor.
    pub source: &'static str,
}

impl Period {
    /// Whether hour `h` is in the period.
    pub fn contains(&self, h: u8) -> bool {
        self.hours.iter().any(|&(a, b)| h >= a && h < b)
    }
    /// Hours of the period.
    pub fn hour_count(&self) -> usize {
        (0..24).filter(|&h| self.contains(h)).count()
    }
}

/// The periods of an average weekday used by studies, covering the 24 hours once each. The
/// factors are estimates (no counts exist for Jinzhou): the AM peak hour then carries 9.6 % of
/// the day's traffic (2×1.0 + 2×1.0 + 11×0.5 + 9×0.1 = 10.4 peak-hour equivalents), within the
/// 8–12 % peak-hour share (K factor) usual for urban arterials.
pub fn day_periods() -> Vec<Period> {
    vec![
        Period {
            id: "am_peak",
            label: "AM peak 07–09",
            hours: vec![(7, 9)],
            demand_factor: 1.0,
            matrix: PeriodMatrix::Am,
            source: "model:gravity AM peak hour (data/jinzhou, docs/assignment.md)",
        },
        Period {
            id: "pm_peak",
            label: "PM peak 17–19",
            hours: vec![(17, 19)],
            demand_factor: 1.0,
            matrix: PeriodMatrix::AmTransposed,
            source: "estimate:evening peak taken as the morning peak reversed (jobs → homes)",
        },
        Period {
            id: "off_peak",
            label: "off-peak 09–17, 19–22",
            hours: vec![(9, 17), (19, 22)],
            demand_factor: 0.5,
            matrix: PeriodMatrix::Symmetric,
            source: "estimate:half a peak hour per daytime off-peak hour, both directions \
                     alike (usual urban weekday profile; no Jinzhou counts)",
        },
        Period {
            id: "night",
            label: "night 22–07",
            hours: vec![(22, 24), (0, 7)],
            demand_factor: 0.1,
            matrix: PeriodMatrix::Symmetric,
            source: "estimate:a tenth of a peak hour per night hour (usual urban weekday \
                     profile; no Jinzhou counts)",
        },
    ]
}

/// The OD matrix of a period from the AM peak matrix.
pub fn period_matrix(am: &OdMatrix, p: &Period) -> Result<OdMatrix> {
    let n = am.zones();
    let mut data = vec![0.0; n * n];
    for o in 0..n {
        for d in 0..n {
            let v = match p.matrix {
                PeriodMatrix::Am => am.get(o, d),
                PeriodMatrix::AmTransposed => am.get(d, o),
                PeriodMatrix::Symmetric => 0.5 * (am.get(o, d) + am.get(d, o)),
            };
            data[o * n + d] = v * p.demand_factor;
        }
    }
    OdMatrix::from_dense(n, data)
}

/// Whether two OD matrices hold the same trips (to 1e-9 relative).
fn same_od(a: &OdMatrix, b: &OdMatrix) -> bool {
    a.zones() == b.zones()
        && a.data()
            .iter()
            .zip(b.data())
            .all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()))
}

/// Monday–Friday days in a range.
pub fn weekdays_in(r: &DateRange) -> u32 {
    let mut n = 0;
    let mut d = r.start;
    while d <= r.end {
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            n += 1;
        }
        match d.succ_opt() {
            Some(x) => d = x,
            None => break,
        }
    }
    n
}

// ---------------------------------------------------------------------------------------------
// Results

/// The network the study compares against.
#[derive(Clone, Debug, Serialize)]
pub struct Baseline {
    /// `network of 2022-04-30 without P1` — used in every output.
    pub name: String,
    /// The day before the window starts.
    pub date: NaiveDate,
    /// Works on site that day (the studied ones left out).
    pub works_on_site: Vec<WorkId>,
    /// Works completed by that day.
    pub works_completed: Vec<WorkId>,
    /// Studied works taken out of the baseline.
    pub without: Vec<WorkId>,
}

/// A closure as resolved on the network.
#[derive(Clone, Debug, Serialize)]
pub struct ResolvedClosure {
    /// `P1`, `锦州街`, `锦州街 121.100,41.100→121.110,41.100`, `edges 12,13`.
    pub label: String,
    /// The work, when the closure is a work's site.
    pub work: Option<WorkId>,
    /// What it does, in words (`closed both directions`, `1 lane per direction taken, 30 km/h`).
    pub what: String,
    /// Streets concerned.
    pub streets: Vec<String>,
    /// Directed edges affected.
    pub edges: Vec<EdgeId>,
    /// Length of road affected (each direction counted), metres.
    pub length_m: f64,
    /// The effects applied.
    #[serde(skip)]
    pub effects: Vec<ResolvedEffect>,
}

/// One direction round one closed stretch.
#[derive(Clone, Debug, Serialize)]
pub struct StudyDetour {
    /// `P1.1 A→B`: closure, stretch number, direction.
    pub id: String,
    /// The closure's label.
    pub closure: String,
    /// Streets closed.
    pub streets: Vec<String>,
    /// Start (lon, lat).
    pub from: LonLat,
    /// End (lon, lat).
    pub to: LonLat,
    /// Free-flow time with the stretch open, s.
    pub base_s: Option<f64>,
    /// Its length, m.
    pub base_m: Option<f64>,
    /// Free-flow time round the closure, s (`None`: cut off).
    pub detour_s: Option<f64>,
    /// Its length, m.
    pub detour_m: Option<f64>,
    /// Extra time, s.
    pub extra_s: Option<f64>,
    /// Extra length, m.
    pub extra_m: Option<f64>,
    /// Streets of the detour in driving order.
    pub via: Vec<String>,
    /// The detour (lon/lat).
    pub geometry: Vec<LonLat>,
    /// Detour, cut off or dead end.
    pub outcome: Outcome,
    /// Why there is no detour.
    pub reason: Option<String>,
    /// The detour's edges.
    #[serde(skip)]
    pub path: Vec<EdgeId>,
}

/// One period's assignments.
#[derive(Clone, Debug, Serialize)]
pub struct PeriodResult {
    /// The period.
    pub period: Period,
    /// Hours of the period in which the closure is in force.
    pub hours_in_force: usize,
    /// Baseline, one hour of the period.
    pub baseline: Summary,
    /// With the closure, one hour of the period.
    pub with_closure: Summary,
    /// ΔVHT per hour of the period.
    pub delta_vht: f64,
    /// ΔVKT per hour.
    pub delta_vkt: f64,
    /// ΔVHT of a weekday (× hours in force).
    pub delta_vht_per_day: f64,
    /// ΔVKT of a weekday.
    pub delta_vkt_per_day: f64,
}

/// Flow change on one street in one direction (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct StreetChange {
    /// Chinese name (or the display name).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// `eastbound`, `westbound`, `northbound`, `southbound`.
    pub direction: String,
    /// Length of the street in this direction, m.
    pub length_m: f64,
    /// Length-weighted mean volume, baseline, veh/h.
    pub before_vph: f64,
    /// The same with the closure.
    pub after_vph: f64,
    /// after − before (length-weighted mean).
    pub delta_vph: f64,
    /// Largest change on one edge, veh/h (signed).
    pub delta_vph_peak: f64,
    /// Highest v/c, baseline.
    pub vc_before: f64,
    /// Highest v/c with the closure.
    pub vc_after: f64,
    /// vc_after − vc_before.
    pub delta_vc: f64,
    /// Rank by Δv/c (1 = largest rise).
    pub rank_vc: usize,
    /// The edges.
    #[serde(skip)]
    pub edges: Vec<EdgeId>,
}

/// One choke point before and after (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct ChokePointStudy {
    /// Rank by Δv/c, then Δdelay (1 = worsens most).
    pub rank: usize,
    /// Id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Position.
    pub at: Option<LonLat>,
    /// Highest v/c of the open approaches, baseline.
    pub vc_before: Option<f64>,
    /// The same with the closure.
    pub vc_after: Option<f64>,
    /// Change.
    pub delta_vc: Option<f64>,
    /// Mean delay on the approaches, s per vehicle, baseline.
    pub delay_before_s: Option<f64>,
    /// The same with the closure.
    pub delay_after_s: Option<f64>,
    /// Change.
    pub delta_delay_s: Option<f64>,
    /// Thresholds crossed upwards (0.9, 1.0).
    pub crosses: Vec<f64>,
}

/// An OD pair whose travel time changes (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct OdPairChange {
    /// Origin zone id.
    pub origin: String,
    /// Its name.
    pub origin_name: String,
    /// Destination zone id.
    pub destination: String,
    /// Its name.
    pub destination_name: String,
    /// Trips in one hour of the period.
    pub trips: f64,
    /// Congested time, baseline, s.
    pub before_s: Option<f64>,
    /// With the closure (`None`: no path left).
    pub after_s: Option<f64>,
    /// Change.
    pub delta_s: Option<f64>,
}

/// Totals over the window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowTotals {
    /// Days in the window.
    pub days: u32,
    /// Weekdays (the days counted).
    pub weekdays: u32,
    /// Daily hours of the closure.
    pub hours: DailyHours,
    /// Extra vehicle-hours over the window.
    pub delta_vht: f64,
    /// Extra vehicle-kilometres over the window.
    pub delta_vkt: f64,
    /// Extra VHT of one weekday.
    pub delta_vht_per_day: f64,
    /// How it is counted.
    pub method: String,
}

/// Another work that the closure makes worse, or that makes the closure worse.
#[derive(Clone, Debug, Serialize)]
pub struct Conflict {
    /// The other work.
    pub work: WorkId,
    /// Its Chinese name.
    pub name_zh: String,
    /// Its English name.
    pub name_en: String,
    /// What its site does (`narrows (1 lane per direction taken)`).
    pub action: String,
    /// Streets of its site.
    pub streets: Vec<String>,
    /// Its construction window.
    pub site_window: DateRange,
    /// Days both are on site.
    pub overlap: DateRange,
    /// Detours running over its site.
    pub on_detours: Vec<String>,
    /// It works on the closed stretch itself.
    pub on_closure: bool,
    /// Largest extra flow on an edge of its site (headline period), veh/h.
    pub delta_vph: f64,
    /// The street of that edge.
    pub delta_street: String,
    /// The edges of its site.
    pub site_edges: Vec<EdgeId>,
    /// Highest v/c on its site, baseline.
    pub vc_before: f64,
    /// With the closure.
    pub vc_after: f64,
    /// In one sentence.
    pub summary: String,
}

/// One candidate start of the window.
#[derive(Clone, Debug, Serialize)]
pub struct StartOption {
    /// The window started this many months later (0 = as asked).
    pub shift_months: u32,
    /// The window.
    pub window: DateRange,
    /// Extra VHT over it (weekdays, scaled to a whole day).
    pub delta_vht: f64,
    /// Month-by-month extra VHT of one headline-period hour (`YYYY-MM`, value).
    pub per_month: Vec<(String, f64)>,
}

/// Mitigation hints, computed.
#[derive(Clone, Debug, Serialize)]
pub struct Mitigation {
    /// The window at each of the next 12 starts.
    pub starts: Vec<StartOption>,
    /// Index of the best one in `starts`.
    pub best: usize,
    /// Extra VHT saved by starting at the best month instead (≥ 0).
    pub best_saving_vht: f64,
    /// Extra VHT over the window if the closure were in force only 22:00–06:00.
    pub night_delta_vht: f64,
    /// Saving of night works against the study's own hours.
    pub night_saving_vht: f64,
    /// The same as a share of the study's extra VHT (0–1; `None` when it is ≤ 0).
    pub night_saving_share: Option<f64>,
    /// How it is computed.
    pub method: String,
}

/// A flow change on one edge, for the map (headline period).
#[derive(Clone, Debug, Serialize)]
pub struct EdgeDelta {
    /// The edge.
    pub edge: EdgeId,
    /// Street name.
    pub street: String,
    /// Baseline volume, veh/h.
    pub before_vph: f64,
    /// With the closure.
    pub after_vph: f64,
    /// Change.
    pub delta_vph: f64,
    /// v/c baseline.
    pub vc_before: f64,
    /// v/c with the closure.
    pub vc_after: f64,
    /// The edge's line (lon/lat).
    pub geometry: Vec<LonLat>,
}

/// A closure study's answer.
#[derive(Clone, Debug, Serialize)]
pub struct Study {
    /// Stable id: a hash of the input and the works' versions.
    pub id: String,
    /// The input.
    pub request: StudyRequest,
    /// The study's title (`P1 closed 2022-05-01 … 2022-10-31, all day`).
    pub title: String,
    /// What it is compared with.
    pub baseline: Baseline,
    /// The closures.
    pub closures: Vec<ResolvedClosure>,
    /// Daily hours.
    pub hours: DailyHours,
    /// Detours, cut-off stretches first.
    pub detours: Vec<StudyDetour>,
    /// The period whose flows the street, choke-point and OD lists show.
    pub headline_period: String,
    /// Every period's assignments.
    pub periods: Vec<PeriodResult>,
    /// Streets by direction, by Δveh/h (rises first, then falls), changes of 1 veh/h or more.
    pub streets: Vec<StreetChange>,
    /// The choke points, worst first.
    pub choke_points: Vec<ChokePointStudy>,
    /// OD pairs whose time grows most (no path left first).
    pub od_pairs: Vec<OdPairChange>,
    /// OD pairs with demand that lose every path.
    pub od_pairs_cut: usize,
    /// Over the window.
    pub window_totals: WindowTotals,
    /// Secondary conflicts.
    pub conflicts: Vec<Conflict>,
    /// The threshold used for them, veh/h.
    pub flow_threshold_vph: f64,
    /// Mitigation hints.
    pub mitigation: Mitigation,
    /// Edge flow changes of 5 veh/h or more (the map's difference layer).
    pub edge_changes: Vec<EdgeDelta>,
    /// Method in words.
    pub method: String,
    /// Provenance.
    pub source: String,
}

// ---------------------------------------------------------------------------------------------
// Resolving closures

fn base_name(s: &str) -> &str {
    let s = s.trim();
    if let Some(stripped) = s.strip_suffix('段') {
        for num in ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"] {
            if let Some(b) = stripped.strip_suffix(num) {
                return b;
            }
        }
    }
    s
}

/// Built edges of the street named `name` (Chinese, with or without a section suffix, or
/// English, case ignored).
pub fn street_edges(net: &RoadNetwork, name: &str) -> Vec<EdgeId> {
    let n = name.trim();
    let hits: Vec<bool> = net
        .streets()
        .iter()
        .map(|s| {
            (!s.name_zh.is_empty() && (s.name_zh == n || base_name(&s.name_zh) == n))
                || (!s.name_en.is_empty() && s.name_en.eq_ignore_ascii_case(n))
        })
        .collect();
    net.edges()
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.planned && hits[e.street.index()])
        .map(|(i, _)| EdgeId::from_index(i))
        .collect()
}

/// Street names of edges, sorted, each once.
fn names_of(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<String> {
    let mut v: Vec<String> = edges
        .iter()
        .map(|&e| net.street_of(e).display_name().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn nearest_node(net: &RoadNetwork, edges: &[EdgeId], p: LonLat) -> (NodeId, f64) {
    let pt = geo_types::Point::new(p[0], p[1]);
    let mut best = (net.edge(edges[0]).from, f64::INFINITY);
    for &e in edges {
        for n in [net.edge(e).from, net.edge(e).to] {
            let d = haversine_m(pt, net.node(n).point());
            if d < best.1 {
                best = (n, d);
            }
        }
    }
    best
}

fn check_point(p: LonLat, what: &str) -> Result<()> {
    if !crate::network::geom::valid_lon_lat(p[0], p[1]) {
        return Err(Error::invalid(format!(
            "{what} {},{} is not a valid WGS84 lon/lat",
            p[0], p[1]
        )));
    }
    Ok(())
}

/// The edges of `street` between the junctions nearest `from` and `to`, along the street.
fn stretch_edges(
    net: &RoadNetwork,
    name: &str,
    street: &[EdgeId],
    from: LonLat,
    to: LonLat,
) -> Result<Vec<EdgeId>> {
    let mut ends = Vec::new();
    for (p, what) in [(from, "from"), (to, "to")] {
        check_point(p, what)?;
        let (n, d) = nearest_node(net, street, p);
        if d > STRETCH_SNAP_M {
            return Err(Error::NoSegment {
                lon: p[0],
                lat: p[1],
                max_m: STRETCH_SNAP_M,
            });
        }
        ends.push(n);
    }
    if ends[0] == ends[1] {
        return Err(Error::invalid(format!(
            "the stretch of {name} from {},{} to {},{} is shorter than one block: both ends \
             snap to the same junction",
            from[0], from[1], to[0], to[1]
        )));
    }
    let mut w = vec![f64::INFINITY; net.edge_count()];
    for &e in street {
        w[e.index()] = net.edge(e).length_m;
    }
    let mut d = Dijkstra::new(net.node_count());
    d.run(net, &w, ends[0], Some(ends[1]));
    if !d.dist(ends[1]).is_finite() {
        return Err(Error::invalid(format!(
            "{name} does not run from {},{} to {},{} in one piece",
            from[0], from[1], to[0], to[1]
        )));
    }
    Ok(d.path_to(net, ends[1]))
}

fn with_twins(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<EdgeId> {
    let mut v: Vec<EdgeId> = edges
        .iter()
        .flat_map(|&e| std::iter::once(e).chain(net.edge(e).twin))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn describe_action(a: &Action) -> String {
    match a {
        Action::Close => "closes".into(),
        Action::Remove => "removes".into(),
        Action::CutLanes { lanes } => format!(
            "narrows ({lanes} lane{} per direction taken)",
            if *lanes == 1 { "" } else { "s" }
        ),
        Action::SetSpeed { speed_kmh } => format!("caps the speed at {speed_kmh} km/h"),
        Action::SetLanes { lanes } => format!("sets {lanes} lanes per direction"),
        Action::AddLanes { lanes } => format!("adds {lanes} lanes per direction"),
        Action::ScaleCapacity { factor } => format!("scales capacity × {factor}"),
        Action::OpenLink => "opens a new link".into(),
    }
}

/// Resolves one closure (see [`ClosureSpec`]).
pub fn resolve_closure(
    net: &RoadNetwork,
    spec: &ClosureSpec,
    works: &[Work],
    resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
) -> Result<ResolvedClosure> {
    let given = [
        spec.work.is_some(),
        spec.street.is_some(),
        spec.edges.is_some(),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    if given != 1 {
        return Err(Error::invalid(
            "each closure names exactly one of: work, street, edges",
        ));
    }
    if spec.from.is_some() != spec.to.is_some() {
        return Err(Error::invalid(
            "a stretch needs both from and to (lon,lat each)",
        ));
    }
    if spec.from.is_some() && spec.street.is_none() {
        return Err(Error::invalid(
            "from/to give a stretch of a street: add street",
        ));
    }
    if let Some(v) = spec.speed_kmh
        && !(v > 0.0 && v <= 200.0)
    {
        return Err(Error::invalid(format!("speed_kmh {v} must be in (0, 200]")));
    }
    if let Some(w) = &spec.work {
        if spec.lanes.is_some() || spec.speed_kmh.is_some() || spec.direction != Direction::Both {
            return Err(Error::invalid(format!(
                "lanes, direction and speed_kmh apply to a street or edges; work {w}'s own \
                 effects say what its site does"
            )));
        }
        let id = WorkId::parse(w)?;
        let work = works
            .iter()
            .find(|x| x.id == id)
            .ok_or_else(|| Error::not_found("work", &id))?;
        let effects: Vec<ResolvedEffect> = resolved
            .get(&id)
            .into_iter()
            .flatten()
            .filter(|e| e.phase == Phase::Construction && !e.edges.is_empty())
            .cloned()
            .collect();
        if effects.is_empty() {
            return Err(Error::invalid(format!(
                "work {id} ({}) changes no road while it is built: nothing to close",
                work.name_en
            )));
        }
        let mut edges: Vec<EdgeId> = effects.iter().flat_map(|e| e.edges.clone()).collect();
        edges.sort_unstable();
        edges.dedup();
        let mut what: Vec<String> = effects.iter().map(|e| describe_action(&e.action)).collect();
        what.dedup();
        return Ok(ResolvedClosure {
            label: id.to_string(),
            work: Some(id),
            what: format!("its site {}", what.join(", ")),
            streets: names_of(net, &edges),
            length_m: edges.iter().map(|&e| net.edge(e).length_m).sum(),
            edges,
            effects,
        });
    }
    let (label, picked) = if let Some(name) = &spec.street {
        let street = street_edges(net, name);
        if street.is_empty() {
            return Err(Error::not_found("street", name.trim()));
        }
        match (spec.from, spec.to) {
            (Some(a), Some(b)) => {
                let path = stretch_edges(net, name.trim(), &street, a, b)?;
                (
                    format!(
                        "{} {:.4},{:.4}→{:.4},{:.4}",
                        name.trim(),
                        a[0],
                        a[1],
                        b[0],
                        b[1]
                    ),
                    path,
                )
            }
            _ => {
                if spec.direction == Direction::Forward {
                    return Err(Error::invalid(
                        "direction forward needs a stretch (from and to) to say which way",
                    ));
                }
                (name.trim().to_string(), street)
            }
        }
    } else {
        let edges = spec.edges.clone().unwrap_or_default();
        if edges.is_empty() {
            return Err(Error::invalid(
                "an edges closure needs at least one edge id",
            ));
        }
        for &e in &edges {
            let ed = net.try_edge(e)?;
            if ed.planned {
                return Err(Error::invalid(format!(
                    "edge {e} is a planned link (not built yet): there is nothing to close"
                )));
            }
        }
        let ids: Vec<String> = edges.iter().map(|e| e.to_string()).collect();
        (format!("edges {}", ids.join(",")), edges)
    };
    let edges = match spec.direction {
        Direction::Both => with_twins(net, &picked),
        Direction::Forward => {
            let mut v = picked;
            v.sort_unstable();
            v.dedup();
            v
        }
    };
    let lanes = match (spec.lanes, spec.speed_kmh) {
        (Some(l), _) => Some(l),
        (None, Some(_)) => None,
        (None, None) => Some(Lanes::All),
    };
    let mut effects = Vec::new();
    let mut closed = Vec::new();
    let mut narrowed = Vec::new();
    match lanes {
        Some(Lanes::All) => closed = edges.clone(),
        Some(Lanes::Count(k)) => {
            for &e in &edges {
                if k >= net.edge(e).lanes {
                    closed.push(e);
                } else {
                    narrowed.push(e);
                }
            }
        }
        None => {}
    }
    let mut what = Vec::new();
    let dir = match spec.direction {
        Direction::Both => "both directions",
        Direction::Forward => "one direction (from → to)",
    };
    if !closed.is_empty() {
        what.push(format!("closed, {dir}"));
        effects.push(ResolvedEffect {
            phase: Phase::Construction,
            action: Action::Close,
            edges: closed.clone(),
            schedule: None,
        });
    }
    if let Some(Lanes::Count(k)) = lanes
        && !narrowed.is_empty()
    {
        what.push(format!(
            "{k} lane{} per direction taken, {dir}{}",
            if k == 1 { "" } else { "s" },
            if closed.is_empty() {
                String::new()
            } else {
                " (closed where no lane is left)".to_string()
            }
        ));
        effects.push(ResolvedEffect {
            phase: Phase::Construction,
            action: Action::CutLanes { lanes: k },
            edges: narrowed.clone(),
            schedule: None,
        });
    }
    if let Some(v) = spec.speed_kmh {
        let open: Vec<EdgeId> = edges
            .iter()
            .copied()
            .filter(|e| !closed.contains(e))
            .collect();
        if !open.is_empty() {
            what.push(format!("speed limited to {v} km/h"));
            effects.push(ResolvedEffect {
                phase: Phase::Construction,
                action: Action::SetSpeed { speed_kmh: v },
                edges: open,
                schedule: None,
            });
        }
    }
    Ok(ResolvedClosure {
        label,
        work: None,
        what: what.join("; "),
        streets: names_of(net, &edges),
        length_m: edges.iter().map(|&e| net.edge(e).length_m).sum(),
        edges,
        effects,
    })
}

// ---------------------------------------------------------------------------------------------
// Detours

fn streets_in_order(net: &RoadNetwork, path: &[EdgeId]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &e in path {
        let n = net.street_of(e).display_name();
        if !out.iter().any(|x| x == n) {
            out.push(n.to_string());
        }
    }
    out
}

fn point_of(net: &RoadNetwork, n: NodeId) -> LonLat {
    let p = net.node(n);
    [p.lon, p.lat]
}

/// Detours round every stretch a closure closes, each direction in which through traffic used
/// it. `faced`: free-flow times with the closures (`INFINITY` = closed); `open`: the same
/// network without them.
pub fn closure_detours(
    net: &RoadNetwork,
    faced: &[f64],
    open: &[f64],
    c: &ResolvedClosure,
    d: &mut Dijkstra,
) -> Vec<StudyDetour> {
    let closed: Vec<EdgeId> = c
        .edges
        .iter()
        .copied()
        .filter(|e| !faced[e.index()].is_finite() && open[e.index()].is_finite())
        .collect();
    let mut out = Vec::new();
    let mut reopened = faced.to_vec();
    for (k, stretch) in detour::stretches(net, &closed).into_iter().enumerate() {
        let (a, b, through) = detour::stretch_ends(net, faced, &stretch);
        for &e in &stretch {
            reopened[e.index()] = open[e.index()];
        }
        let streets = names_of(net, &stretch);
        let mut dirs = Vec::new();
        for (x, y, arrow) in [(a, b, "A→B"), (b, a, "B→A")] {
            d.run(net, &reopened, x, Some(y));
            if !d.dist(y).is_finite() {
                continue;
            }
            let base_path = d.path_to(net, y);
            // A direction whose fastest route never used the stretch loses nothing.
            if !base_path.iter().any(|e| stretch.binary_search(e).is_ok()) {
                continue;
            }
            let base_s = d.dist(y);
            let base_m: f64 = base_path.iter().map(|&e| net.edge(e).length_m).sum();
            let (detour, path) = if through {
                d.run(net, faced, x, Some(y));
                let t = d.dist(y);
                (t.is_finite().then_some(t), d.path_to(net, y))
            } else {
                (None, Vec::new())
            };
            let path = if detour.is_some() { path } else { Vec::new() };
            let detour_m = detour.map(|_| path.iter().map(|&e| net.edge(e).length_m).sum());
            let (outcome, reason) = match (through, detour) {
                (false, _) => (
                    Outcome::DeadEnd,
                    Some(
                        "dead end: the closed stretch meets open roads at one junction at most; \
                         no through traffic to divert, access along it is lost"
                            .to_string(),
                    ),
                ),
                (true, None) => (
                    Outcome::CutOff,
                    Some(
                        "cut off: no open route leads from one end of the closed stretch to the \
                         other"
                            .to_string(),
                    ),
                ),
                (true, Some(_)) => (Outcome::Detour, None),
            };
            dirs.push(StudyDetour {
                id: format!("{}.{} {arrow}", c.label, k + 1),
                closure: c.label.clone(),
                streets: streets.clone(),
                from: point_of(net, x),
                to: point_of(net, y),
                base_s: Some(base_s),
                base_m: Some(base_m),
                detour_s: detour,
                detour_m,
                extra_s: detour.map(|t| t - base_s),
                extra_m: detour_m.map(|m| m - base_m),
                via: streets_in_order(net, &path),
                geometry: detour::path_geometry(net, &path),
                outcome,
                reason,
                path,
            });
            if !through {
                break; // one entry says a dead end is a dead end
            }
        }
        for &e in &stretch {
            reopened[e.index()] = faced[e.index()];
        }
        out.extend(dirs);
    }
    out
}

fn outcome_rank(o: Outcome) -> u8 {
    match o {
        Outcome::CutOff => 0,
        Outcome::DeadEnd => 1,
        Outcome::Detour => 2,
    }
}

// ---------------------------------------------------------------------------------------------
// Flow aggregation

fn cardinal(dx: f64, dy: f64) -> &'static str {
    if dx.abs() >= dy.abs() {
        if dx >= 0.0 { "eastbound" } else { "westbound" }
    } else if dy >= 0.0 {
        "northbound"
    } else {
        "southbound"
    }
}

/// Flow changes summed by street and direction. A street's two directions are told apart by
/// its main axis (its two nodes farthest apart): each edge goes along it or against it.
pub fn street_changes(
    net: &RoadNetwork,
    before: &RoadFlows,
    after: &RoadFlows,
    min_abs_vph: f64,
) -> Vec<StreetChange> {
    // Street → its edges.
    let mut by_street: BTreeMap<usize, Vec<EdgeId>> = BTreeMap::new();
    for (i, e) in net.edges().iter().enumerate() {
        if !e.planned || before.time_s[i].is_finite() || after.time_s[i].is_finite() {
            by_street
                .entry(e.street.index())
                .or_default()
                .push(EdgeId::from_index(i));
        }
    }
    let mut out = Vec::new();
    for (s, edges) in by_street {
        // The street's axis: between its two nodes farthest apart (local metres).
        let mut nodes: Vec<NodeId> = edges
            .iter()
            .flat_map(|&e| [net.edge(e).from, net.edge(e).to])
            .collect();
        nodes.sort_unstable();
        nodes.dedup();
        let lat0 = net.node(nodes[0]).lat.to_radians().cos();
        let xy = |n: NodeId| {
            let p = net.node(n);
            (p.lon * lat0, p.lat)
        };
        let mut axis = (0.0, 0.0, 0.0);
        if nodes.len() <= 40 {
            for (i, &a) in nodes.iter().enumerate() {
                for &b in &nodes[i + 1..] {
                    let (pa, pb) = (xy(a), xy(b));
                    let d2 = (pb.0 - pa.0).powi(2) + (pb.1 - pa.1).powi(2);
                    if d2 > axis.2 {
                        axis = (pb.0 - pa.0, pb.1 - pa.1, d2);
                    }
                }
            }
        } else {
            // Long streets: the extreme nodes along the bbox's longer side.
            let (mut lo, mut hi) = (nodes[0], nodes[0]);
            let (minx, maxx) = nodes.iter().fold((f64::MAX, f64::MIN), |m, &n| {
                (m.0.min(xy(n).0), m.1.max(xy(n).0))
            });
            let (miny, maxy) = nodes.iter().fold((f64::MAX, f64::MIN), |m, &n| {
                (m.0.min(xy(n).1), m.1.max(xy(n).1))
            });
            let horizontal = maxx - minx >= maxy - miny;
            for &n in &nodes {
                let k = |m: NodeId| if horizontal { xy(m).0 } else { xy(m).1 };
                if k(n) < k(lo) {
                    lo = n;
                }
                if k(n) > k(hi) {
                    hi = n;
                }
            }
            axis = (xy(hi).0 - xy(lo).0, xy(hi).1 - xy(lo).1, 1.0);
        }
        // Point the axis east or north, so "along" reads eastbound/northbound.
        if axis.0.abs() >= axis.1.abs() {
            if axis.0 < 0.0 {
                axis = (-axis.0, -axis.1, axis.2);
            }
        } else if axis.1 < 0.0 {
            axis = (-axis.0, -axis.1, axis.2);
        }
        let mut groups: [Vec<EdgeId>; 2] = [Vec::new(), Vec::new()];
        for &e in &edges {
            let (a, b) = (xy(net.edge(e).from), xy(net.edge(e).to));
            let along = (b.0 - a.0) * axis.0 + (b.1 - a.1) * axis.1 >= 0.0;
            groups[usize::from(!along)].push(e);
        }
        let st = net.street(crate::network::StreetId::from_index(s));
        for (gi, g) in groups.into_iter().enumerate() {
            if g.is_empty() {
                continue;
            }
            let dir = if gi == 0 {
                cardinal(axis.0, axis.1)
            } else {
                cardinal(-axis.0, -axis.1)
            };
            let len: f64 = g.iter().map(|&e| net.edge(e).length_m).sum();
            let mean = |f: &RoadFlows| {
                g.iter()
                    .map(|&e| f.volume_vph[e.index()] * net.edge(e).length_m)
                    .sum::<f64>()
                    / len.max(1e-9)
            };
            let vmax = |f: &RoadFlows| {
                g.iter()
                    .filter(|e| f.time_s[e.index()].is_finite())
                    .map(|e| f.vc[e.index()])
                    .fold(0.0, f64::max)
            };
            let peak = g
                .iter()
                .map(|e| after.volume_vph[e.index()] - before.volume_vph[e.index()])
                .fold(0.0, |m: f64, x| if x.abs() > m.abs() { x } else { m });
            let (b, a) = (mean(before), mean(after));
            if (a - b).abs() < min_abs_vph && peak.abs() < min_abs_vph {
                continue;
            }
            let (vb, va) = (vmax(before), vmax(after));
            out.push(StreetChange {
                name_zh: st.display_name().to_string(),
                name_en: st.name_en.clone(),
                direction: dir.to_string(),
                length_m: len,
                before_vph: b,
                after_vph: a,
                delta_vph: a - b,
                delta_vph_peak: peak,
                vc_before: vb,
                vc_after: va,
                delta_vc: va - vb,
                rank_vc: 0,
                edges: g,
            });
        }
    }
    let mut by_vc: Vec<usize> = (0..out.len()).collect();
    by_vc.sort_by(|&x, &y| out[y].delta_vc.total_cmp(&out[x].delta_vc));
    for (r, i) in by_vc.into_iter().enumerate() {
        out[i].rank_vc = r + 1;
    }
    out.sort_by(|x, y| {
        y.delta_vph
            .total_cmp(&x.delta_vph)
            .then_with(|| x.name_zh.cmp(&y.name_zh))
    });
    out
}

/// Mean delay (congested − free-flow time) on the open approaches of a junction, s per
/// vehicle (`None`: no flow enters).
fn approach_delay(net: &RoadNetwork, fl: &RoadFlows, ff: &[f64], n: NodeId) -> Option<f64> {
    let (mut vol, mut delay) = (0.0, 0.0);
    for e in net.in_edges(n) {
        let i = e.index();
        if fl.time_s[i].is_finite() && ff[i].is_finite() && fl.volume_vph[i] > 0.0 {
            vol += fl.volume_vph[i];
            delay += fl.volume_vph[i] * (fl.time_s[i] - ff[i]).max(0.0);
        }
    }
    (vol > 0.0).then(|| delay / vol)
}

/// The choke points compared, ranked by Δv/c then Δdelay.
#[allow(clippy::too_many_arguments)]
pub fn choke_point_changes(
    net: &RoadNetwork,
    refs: &[ChokePointRef],
    before: &RoadFlows,
    after: &RoadFlows,
    ff_before: &[f64],
    ff_after: &[f64],
) -> Vec<ChokePointStudy> {
    let mut out: Vec<ChokePointStudy> = refs
        .iter()
        .map(|c| {
            let vb = c.node.and_then(|n| node_vc(net, before, n));
            let va = c.node.and_then(|n| node_vc(net, after, n));
            let db = c
                .node
                .and_then(|n| approach_delay(net, before, ff_before, n));
            let da = c.node.and_then(|n| approach_delay(net, after, ff_after, n));
            let crosses = match (vb, va) {
                (Some(b), Some(a)) => [0.9, 1.0]
                    .into_iter()
                    .filter(|&t| b < t && a >= t)
                    .collect(),
                _ => Vec::new(),
            };
            ChokePointStudy {
                rank: 0,
                id: c.id.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                at: c.node.map(|n| point_of(net, n)),
                vc_before: vb,
                vc_after: va,
                delta_vc: vb.zip(va).map(|(b, a)| a - b),
                delay_before_s: db,
                delay_after_s: da,
                delta_delay_s: match (db, da) {
                    (Some(b), Some(a)) => Some(a - b),
                    (None, Some(a)) => Some(a),
                    (Some(b), None) => Some(-b),
                    (None, None) => None,
                },
                crosses,
            }
        })
        .collect();
    out.sort_by(|x, y| {
        let k = |c: &ChokePointStudy| {
            (
                c.delta_vc.unwrap_or(f64::NEG_INFINITY),
                c.delta_delay_s.unwrap_or(f64::NEG_INFINITY),
            )
        };
        let (a, b) = (k(x), k(y));
        b.0.total_cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then_with(|| x.id.cmp(&y.id))
    });
    for (i, c) in out.iter_mut().enumerate() {
        c.rank = i + 1;
    }
    out
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// OD pairs whose time grows most (pairs that lose every path first), and how many lose it.
pub fn od_changes(
    d: &Demand,
    od: &OdMatrix,
    before: &StateRun,
    after: &StateRun,
    n_top: usize,
) -> (Vec<OdPairChange>, usize) {
    let n = d.zones.len();
    let mut v = Vec::new();
    let mut cut = 0;
    for o in 0..n {
        for t in 0..n {
            let trips = od.get(o, t);
            if o == t || trips <= 0.0 {
                continue;
            }
            let (b, a) = (before.od_time_s[o * n + t], after.od_time_s[o * n + t]);
            if b.is_finite() && !a.is_finite() {
                cut += 1;
            }
            let delta = finite(a - b);
            let worse = match delta {
                Some(x) => x > 0.5,
                None => b.is_finite() && !a.is_finite(),
            };
            if worse {
                let name = |z: usize| {
                    let z = &d.zones[z];
                    if z.name_en.is_empty() {
                        z.name_zh.clone()
                    } else {
                        format!("{} ({})", z.name_zh, z.name_en)
                    }
                };
                v.push(OdPairChange {
                    origin: d.zones[o].id.clone(),
                    origin_name: name(o),
                    destination: d.zones[t].id.clone(),
                    destination_name: name(t),
                    trips,
                    before_s: finite(b),
                    after_s: finite(a),
                    delta_s: delta,
                });
            }
        }
    }
    v.sort_by(|x, y| {
        let k = |c: &OdPairChange| c.delta_s.unwrap_or(f64::INFINITY);
        k(y).total_cmp(&k(x))
            .then_with(|| (&x.origin, &x.destination).cmp(&(&y.origin, &y.destination)))
    });
    v.truncate(n_top);
    (v, cut)
}

// ---------------------------------------------------------------------------------------------
// The study

/// What a study needs from the engine, gathered once (so that the computation itself is a
/// pure function of its inputs).
pub struct StudyInputs<'a> {
    /// The network.
    pub net: &'a RoadNetwork,
    /// Every work.
    pub works: Vec<Work>,
    /// Their effects on `net`.
    pub resolved: HashMap<WorkId, Vec<ResolvedEffect>>,
    /// The demand (AM peak hour) and assignment settings.
    pub demand: Demand,
    /// The choke points.
    pub choke_points: Vec<ChokePointRef>,
    /// Identifies the works' state (part of the study id).
    pub works_version: u64,
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

fn state_fingerprint(s: &NetworkState<'_>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (e, c) in s.overlay().changes() {
        e.hash(&mut h);
        c.closed.hash(&mut h);
        c.lanes.hash(&mut h);
        c.speed_kmh.map(f32::to_bits).hash(&mut h);
        c.capacity_vph.map(f32::to_bits).hash(&mut h);
    }
    h.finish()
}

fn add_months(d: NaiveDate, k: u32) -> Option<NaiveDate> {
    d.checked_add_months(Months::new(k))
}

/// Runs a study (see the module doc).
pub fn run_study(inp: &StudyInputs<'_>, req: &StudyRequest) -> Result<Study> {
    let net = inp.net;
    let (window, hours, threshold) = check_request(req)?;
    let closures: Vec<ResolvedClosure> = req
        .closures
        .iter()
        .map(|c| resolve_closure(net, c, &inp.works, &inp.resolved))
        .collect::<Result<_>>()?;
    let studied: Vec<WorkId> = closures.iter().filter_map(|c| c.work.clone()).collect();
    let others: Vec<Work> = inp
        .works
        .iter()
        .filter(|w| !studied.contains(&w.id))
        .cloned()
        .collect();
    let effects: Vec<ResolvedEffect> = closures
        .iter()
        .flat_map(|c| c.effects.iter().cloned())
        .collect();
    let base_date = window
        .start
        .pred_opt()
        .ok_or_else(|| Error::invalid("window starts too early"))?;
    let baseline = NetworkState::on_date(net, &others, &inp.resolved, base_date);
    let closed = baseline.with_effects(&effects);

    // Detours on free-flow times.
    let faced = closed.weights(Metric::Time);
    let open = baseline.weights(Metric::Time);
    let mut dj = Dijkstra::new(net.node_count());
    let mut detours: Vec<StudyDetour> = closures
        .iter()
        .flat_map(|c| closure_detours(net, &faced, &open, c, &mut dj))
        .collect();
    detours.sort_by(|a, b| {
        outcome_rank(a.outcome).cmp(&outcome_rank(b.outcome)).then(
            b.extra_s
                .unwrap_or(0.0)
                .total_cmp(&a.extra_s.unwrap_or(0.0)),
        )
    });

    // Assignments: every period, baseline and with the closure, in parallel.
    let periods = day_periods();
    let in_force: Vec<usize> = periods
        .iter()
        .map(|p| {
            (0..24)
                .filter(|&h| p.contains(h) && hours.contains(h))
                .count()
        })
        .collect();
    let headline = (0..periods.len())
        .find(|&i| in_force[i] > 0)
        .ok_or_else(|| Error::invalid("the closure's hours cover no period"))?;
    let demands: Vec<Demand> = periods
        .iter()
        .map(|p| -> Result<Demand> {
            Ok(Demand {
                od: period_matrix(&inp.demand.od, p)?,
                ..inp.demand.clone()
            })
        })
        .collect::<Result<_>>()?;
    // A period whose matrix equals an earlier period's (a symmetric AM matrix makes the PM
    // peak the AM peak) shares its assignments: the same inputs give the same answer.
    let same_as: Vec<usize> = (0..periods.len())
        .map(|i| {
            (0..i)
                .find(|&j| same_od(&demands[j].od, &demands[i].od))
                .unwrap_or(i)
        })
        .collect();
    let jobs: Vec<(usize, bool)> = (0..periods.len())
        .filter(|&i| same_as[i] == i)
        .flat_map(|i| [(i, false), (i, true)])
        .collect();
    let runs: Vec<StateRun> = jobs
        .par_iter()
        .map(|&(i, with)| run_state(if with { &closed } else { &baseline }, &demands[i]))
        .collect::<Result<_>>()?;
    let run = |i: usize, with: bool| {
        let k = jobs
            .iter()
            .position(|&(p, w)| p == same_as[i] && w == with)
            .unwrap_or(0);
        &runs[k]
    };
    let period_results: Vec<PeriodResult> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (b, a) = (&run(i, false).summary, &run(i, true).summary);
            let (dv, dk) = (a.vht - b.vht, a.vkt - b.vkt);
            PeriodResult {
                period: p.clone(),
                hours_in_force: in_force[i],
                baseline: b.clone(),
                with_closure: a.clone(),
                delta_vht: dv,
                delta_vkt: dk,
                delta_vht_per_day: dv * in_force[i] as f64,
                delta_vkt_per_day: dk * in_force[i] as f64,
            }
        })
        .collect();
    let (hb, ha) = (run(headline, false), run(headline, true));
    let streets = street_changes(net, &hb.flows, &ha.flows, 1.0);
    let ff_b = baseline.free_flow_times_s();
    let ff_a = faced.clone();
    let choke_points =
        choke_point_changes(net, &inp.choke_points, &hb.flows, &ha.flows, &ff_b, &ff_a);
    let (od_pairs, od_pairs_cut) =
        od_changes(&demands[headline], &demands[headline].od, hb, ha, TOP_N);

    let days = (window.end - window.start).num_days() as u32 + 1;
    let weekdays = weekdays_in(&window);
    let per_day: f64 = period_results.iter().map(|p| p.delta_vht_per_day).sum();
    let per_day_vkt: f64 = period_results.iter().map(|p| p.delta_vkt_per_day).sum();
    let window_totals = WindowTotals {
        days,
        weekdays,
        hours,
        delta_vht: per_day * weekdays as f64,
        delta_vkt: per_day_vkt * weekdays as f64,
        delta_vht_per_day: per_day,
        method: format!(
            "Σ periods ΔVHT per hour × hours in force ({}) × {weekdays} weekdays of the {days} \
             days; weekends and holidays not modelled",
            period_results
                .iter()
                .map(|p| format!("{} {} h", p.period.id, p.hours_in_force))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };

    // Secondary conflicts.
    let closed_set: HashSet<EdgeId> = closures.iter().flat_map(|c| c.edges.clone()).collect();
    let canonical = |e: EdgeId| net.edge(e).twin.map_or(e, |t| t.min(e));
    let closed_canon: HashSet<EdgeId> = closed_set.iter().map(|&e| canonical(e)).collect();
    let mut conflicts = Vec::new();
    for w in &others {
        if w.status == Status::Cancelled {
            continue;
        }
        let site_window = w.window();
        let Some(overlap) = site_window.intersection(&window) else {
            continue;
        };
        let effs: Vec<&ResolvedEffect> = inp
            .resolved
            .get(&w.id)
            .into_iter()
            .flatten()
            .filter(|e| e.phase == Phase::Construction && !e.edges.is_empty())
            .collect();
        if effs.is_empty() {
            continue;
        }
        let mut site: Vec<EdgeId> = effs.iter().flat_map(|e| e.edges.clone()).collect();
        site.sort_unstable();
        site.dedup();
        let site_canon: HashSet<EdgeId> = site.iter().map(|&e| canonical(e)).collect();
        let on_detours: Vec<String> = detours
            .iter()
            .filter(|d| d.path.iter().any(|&e| site_canon.contains(&canonical(e))))
            .map(|d| d.id.clone())
            .collect();
        let on_closure = site_canon.iter().any(|e| closed_canon.contains(e));
        let (mut dmax, mut dstreet) = (f64::NEG_INFINITY, String::new());
        let (mut vb, mut va) = (0.0f64, 0.0f64);
        for &e in &site {
            let i = e.index();
            let dv = ha.flows.volume_vph[i] - hb.flows.volume_vph[i];
            if dv > dmax {
                dmax = dv;
                dstreet = net.street_of(e).display_name().to_string();
            }
            if hb.flows.time_s[i].is_finite() {
                vb = vb.max(hb.flows.vc[i]);
            }
            if ha.flows.time_s[i].is_finite() {
                va = va.max(ha.flows.vc[i]);
            }
        }
        let takes = dmax > threshold;
        if !(takes || on_closure || !on_detours.is_empty()) {
            continue;
        }
        let mut actions: Vec<String> = effs.iter().map(|e| describe_action(&e.action)).collect();
        actions.dedup();
        let action = actions.join(", ");
        let streets = names_of(net, &site);
        let studied_label = closures
            .iter()
            .map(|c| c.label.clone())
            .collect::<Vec<_>>()
            .join(" + ");
        let mut parts = Vec::new();
        if takes {
            parts.push(format!(
                "takes {:+.0} veh/h diverted from {studied_label} on {dstreet} ({})",
                dmax, periods[headline].label
            ));
        }
        if !on_detours.is_empty() {
            parts.push(format!("lies on detour {}", on_detours.join(", ")));
        }
        if on_closure {
            parts.push(format!("works on the stretch {studied_label} closes"));
        }
        let summary = format!(
            "{} {} ({}) {} {} from {} to {} while it {}",
            w.id,
            w.name_zh,
            w.name_en,
            action,
            streets.join(", "),
            overlap.start,
            overlap.end,
            parts.join("; ")
        );
        conflicts.push(Conflict {
            work: w.id.clone(),
            name_zh: w.name_zh.clone(),
            name_en: w.name_en.clone(),
            action,
            streets,
            site_window,
            overlap,
            on_detours,
            on_closure,
            delta_vph: dmax.max(0.0),
            delta_street: dstreet,
            site_edges: site.clone(),
            vc_before: vb,
            vc_after: va,
            summary,
        });
    }
    conflicts.sort_by(|a, b| {
        b.delta_vph
            .total_cmp(&a.delta_vph)
            .then_with(|| a.work.cmp(&b.work))
    });

    // Mitigation: the window at each of the next 12 starts, headline period, states per month.
    let duration = window.end - window.start;
    let hl_delta = period_results[headline].delta_vht;
    let day_ratio = if hl_delta > 1e-9 {
        per_day / hl_delta
    } else {
        in_force[headline] as f64
    };
    let mut candidates: Vec<DateRange> = Vec::new();
    for k in 0..12u32 {
        let Some(s) = add_months(window.start, k) else {
            break;
        };
        let e = s + duration;
        if crate::works::check_date("date", e).is_err() {
            break;
        }
        candidates.push(DateRange { start: s, end: e });
    }
    let mut months: Vec<NaiveDate> = Vec::new();
    for c in &candidates {
        let mut m = c.start.with_day(1).unwrap_or(c.start);
        while m <= c.end {
            if !months.contains(&m) {
                months.push(m);
            }
            match add_months(m, 1) {
                Some(x) => m = x,
                None => break,
            }
        }
    }
    months.sort_unstable();
    // One state pair per distinct network (most months repeat one).
    let month_states: Vec<(NetworkState<'_>, NetworkState<'_>)> = months
        .iter()
        .map(|m| {
            let day = m.with_day(15).unwrap_or(*m);
            let b = NetworkState::on_date(net, &others, &inp.resolved, day);
            let a = b.with_effects(&effects);
            (b, a)
        })
        .collect();
    let mut key_of: Vec<usize> = Vec::new();
    let mut distinct: Vec<(u64, usize)> = Vec::new();
    let base_fp = state_fingerprint(&baseline);
    for (b, _) in &month_states {
        let fp = state_fingerprint(b);
        let k = match distinct.iter().position(|x| x.0 == fp) {
            Some(k) => k,
            None => {
                distinct.push((fp, key_of.len()));
                distinct.len() - 1
            }
        };
        key_of.push(k);
    }
    let hd = &demands[headline];
    let deltas: Vec<f64> = distinct
        .par_iter()
        .map(|&(fp, mi)| -> Result<f64> {
            if fp == base_fp {
                return Ok(hl_delta);
            }
            let (b, a) = &month_states[mi];
            let (rb, ra) = rayon::join(|| run_state(b, hd), || run_state(a, hd));
            Ok(ra?.summary.vht - rb?.summary.vht)
        })
        .collect::<Result<_>>()?;
    let month_delta = |m: NaiveDate| -> f64 {
        months
            .iter()
            .position(|x| *x == m)
            .map_or(0.0, |i| deltas[key_of[i]])
    };
    let starts: Vec<StartOption> = candidates
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let mut per_month = Vec::new();
            let mut total = 0.0;
            let mut m = c.start.with_day(1).unwrap_or(c.start);
            while m <= c.end {
                let next = add_months(m, 1).unwrap_or(c.end);
                let part = DateRange {
                    start: m.max(c.start),
                    end: next.pred_opt().unwrap_or(next).min(c.end),
                };
                let dv = month_delta(m);
                per_month.push((format!("{:04}-{:02}", m.year(), m.month()), dv));
                total += dv * day_ratio * weekdays_in(&part) as f64;
                if next <= m {
                    break;
                }
                m = next;
            }
            StartOption {
                shift_months: k as u32,
                window: *c,
                delta_vht: total,
                per_month,
            }
        })
        .collect();
    let best = (0..starts.len())
        .min_by(|&a, &b| starts[a].delta_vht.total_cmp(&starts[b].delta_vht))
        .unwrap_or(0);
    let night_hours: Vec<usize> = periods
        .iter()
        .map(|p| {
            (0..24)
                .filter(|&h| p.contains(h) && DailyHours::NIGHT.contains(h))
                .count()
        })
        .collect();
    let night_per_day: f64 = period_results
        .iter()
        .zip(&night_hours)
        .map(|(p, &h)| p.delta_vht * h as f64)
        .sum();
    let night_delta = night_per_day * weekdays as f64;
    let night_saving = window_totals.delta_vht - night_delta;
    let mitigation = Mitigation {
        best_saving_vht: (starts.first().map_or(0.0, |s| s.delta_vht) - starts[best].delta_vht)
            .max(0.0),
        starts,
        best,
        night_delta_vht: night_delta,
        night_saving_vht: night_saving,
        night_saving_share: (window_totals.delta_vht > 1e-9)
            .then(|| night_saving / window_totals.delta_vht),
        method: format!(
            "Each candidate keeps the window's length and starts on the same day of one of the \
             next 12 months; other works keep their dates. A month's network is the one of its \
             15th (with the closure and without), assigned in the {} ({} distinct networks); \
             its ΔVHT per hour × {day_ratio:.2} (the study's day/headline-hour ratio) × the \
             candidate's weekdays in the month. Night works: the closure in force 22:00–06:00 \
             only, per-period ΔVHT × night hours in each period.",
            periods[headline].label,
            distinct.len()
        ),
    };

    let edge_changes: Vec<EdgeDelta> = (0..net.edge_count())
        .filter_map(|i| {
            let (b, a) = (hb.flows.volume_vph[i], ha.flows.volume_vph[i]);
            let e = EdgeId::from_index(i);
            ((a - b).abs() >= 5.0).then(|| EdgeDelta {
                edge: e,
                street: net.street_of(e).display_name().to_string(),
                before_vph: b,
                after_vph: a,
                delta_vph: a - b,
                vc_before: hb.flows.vc[i],
                vc_after: ha.flows.vc[i],
                geometry: net.edge(e).geometry.0.iter().map(|c| [c.x, c.y]).collect(),
            })
        })
        .collect();

    let label = closures
        .iter()
        .map(|c| c.label.clone())
        .collect::<Vec<_>>()
        .join(" + ");
    let hours_txt = if hours == DailyHours::ALL_DAY {
        "all day".to_string()
    } else {
        format!("daily {hours}")
    };
    let without_txt = if studied.is_empty() {
        String::new()
    } else {
        format!(
            " without {}",
            studied
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok(Study {
        id: study_id(req, inp.works_version),
        request: req.clone(),
        title: format!(
            "{label} closed {} … {}, {hours_txt}",
            window.start, window.end
        ),
        baseline: Baseline {
            name: format!("network of {base_date}{without_txt}"),
            date: base_date,
            works_on_site: baseline.active.construction.clone(),
            works_completed: baseline.active.completed.clone(),
            without: studied,
        },
        closures,
        hours,
        detours,
        headline_period: periods[headline].id.to_string(),
        periods: period_results,
        streets,
        choke_points,
        od_pairs,
        od_pairs_cut,
        window_totals,
        conflicts,
        flow_threshold_vph: threshold,
        mitigation,
        edge_changes,
        method: METHOD.to_string(),
        source: format!(
            "model:closure-study (BFW user equilibrium to relative gap {:.0e}; gravity demand \
             on estimated zones; period factors estimate)",
            inp.demand.opts.target_gap
        ),
    })
}

/// The method, as written into every report.
pub const METHOD: &str = "Baseline: the network on the day before the window starts, every \
other work as it stands that day, the studied works' own sites taken out. With the closure: \
the baseline plus the closures. Both are assigned (biconjugate Frank-Wolfe user equilibrium, \
BPR) in four periods of a weekday (AM peak 07–09 ×1.0, PM peak 17–19 ×1.0 reversed, off-peak \
09–17 and 19–22 ×0.5, night 22–07 ×0.1 of the AM-peak-hour gravity demand; factors are \
estimates). Streets, choke points and OD pairs are shown for the headline period (the first in \
which the closure is in force). Window totals: per-period ΔVHT per hour × hours in force × \
weekdays. Detours are free-flow fastest routes between a closed stretch's ends. A secondary \
conflict is another work on site during the window whose site lies on a detour, on the closed \
stretch, or gains more than the threshold in veh/h. Zones, demand and the network are \
estimates: the figures compare options, they do not predict counts.";

impl<'a> StudyInputs<'a> {
    /// Gathers the inputs from the network and the works an engine holds: works, effects,
    /// AM-peak demand to [`STUDY_GAP`] and the 15 choke points.
    pub fn from_parts(net: &'a RoadNetwork, book: &WorksBook) -> Result<StudyInputs<'a>> {
        let works = book.list_works(&WorkFilter::default())?;
        let resolved = book.resolved_effects(net)?;
        let demand = crate::analysis::impact::demand_on(net, None, STUDY_GAP)?;
        let choke_points = crate::analysis::stored::impact_choke_points(net, book, &demand)?;
        let works_version = book.works_version()?;
        Ok(StudyInputs {
            net,
            works,
            resolved,
            demand,
            choke_points,
            works_version,
        })
    }
}
