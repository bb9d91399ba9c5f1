//! Coordination rules of a street-works office: the findings a planner sees on every save.
//!
//! - **site**: two works whose footprints lie within `buffer_m` (default 50 m) of each other
//!   and whose windows overlap — two sites in one place at once;
//! - **corridor**: two works on parallel alternatives of one corridor at once: closing both
//!   makes a trip between two probe points (district seats) much slower than either alone
//!   does (each is the other's detour); strong when the trip takes `detour_factor` × its base
//!   time or more, or is cut;
//! - **opportunity**: two works on the same street or within `opportunity_m` (100 m) whose
//!   windows do not overlap but are at most `opportunity_days` (180) apart — dig once;
//! - **moratorium**: a work on a stretch protected after a resurfacing, reconstruction or new
//!   road ([`MoratoriumPeriods`], defaults from 城市道路管理条例 art. 33) — sharing a segment of
//!   it, or, for a work known only by its geometry, within `buffer_m` of it on the same street;
//!   emergency works are allowed (art. 35) and the finding is kept.
//!
//! A work's **footprint** is the network edges of its construction effects (both directions of
//! a street as one line; planned links left out until they exist), or, for a work without
//! construction effects, its own geometry. Distances are planar in a local metric projection
//! (good to well under 1 % over a city). Cancelled works take no part; a programme and its own
//! children describe one site and are never compared.

use super::paths::Dijkstra;
use super::{
    Action, DateRange, Phase, ResolvedEffect, Status, Work, WorkGeometry, WorkId, WorkKind,
};
use crate::analysis::clash::{Probe, jinzhou_probes};
use crate::network::geom::LocalProjection;
use crate::network::{EdgeId, Metric, NodeId, RoadNetwork};
use crate::{Error, Result};
use chrono::{Datelike, Months, NaiveDate};
use geo::{Distance, Euclidean};
use geo_types::{Coord, Geometry, LineString, Polygon};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

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
    /// Where the period comes from.
    pub source: String,
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

/// A work's footprint in local metres.
struct Foot<'a> {
    work: &'a Work,
    geoms: Vec<Geometry<f64>>,
    bbox: [f64; 4],
    streets: BTreeSet<String>,
    closed: Vec<EdgeId>,
    /// Canonical network segments (empty when the footprint is the work's own geometry).
    segs: BTreeSet<EdgeId>,
}

fn bbox_of(gs: &[Geometry<f64>]) -> [f64; 4] {
    use geo::BoundingRect;
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for g in gs {
        if let Some(r) = g.bounding_rect() {
            b = [
                b[0].min(r.min().x),
                b[1].min(r.min().y),
                b[2].max(r.max().x),
                b[3].max(r.max().y),
            ];
        }
    }
    b
}

fn near_bbox(a: &[f64; 4], b: &[f64; 4], d: f64) -> bool {
    a[0] - d <= b[2] && b[0] - d <= a[2] && a[1] - d <= b[3] && b[1] - d <= a[3]
}

fn distance(a: &Foot, b: &Foot) -> f64 {
    let mut best = f64::INFINITY;
    for x in &a.geoms {
        for y in &b.geoms {
            best = best.min(Euclidean.distance(x, y));
            if best == 0.0 {
                return 0.0;
            }
        }
    }
    best
}

struct Builder<'n> {
    net: &'n RoadNetwork,
    proj: LocalProjection,
}

impl Builder<'_> {
    fn line(&self, cs: impl Iterator<Item = [f64; 2]>) -> LineString<f64> {
        LineString::from(
            cs.map(|c| {
                let p = self.proj.forward(Coord { x: c[0], y: c[1] });
                Coord { x: p[0], y: p[1] }
            })
            .collect::<Vec<_>>(),
        )
    }
    fn edge_line(&self, e: EdgeId) -> LineString<f64> {
        self.line(self.net.edge(e).geometry.coords().map(|c| [c.x, c.y]))
    }
    fn geometry(&self, g: &WorkGeometry) -> Vec<Geometry<f64>> {
        match g {
            WorkGeometry::Point(p) => {
                let q = self.proj.forward(Coord { x: p[0], y: p[1] });
                vec![Geometry::Point(geo_types::Point::new(q[0], q[1]))]
            }
            WorkGeometry::LineString(l) => vec![Geometry::LineString(self.line(l.iter().copied()))],
            WorkGeometry::MultiLineString(ls) => ls
                .iter()
                .map(|l| Geometry::LineString(self.line(l.iter().copied())))
                .collect(),
            WorkGeometry::Polygon(rings) => {
                let mut rs = rings.iter().map(|r| self.line(r.iter().copied()));
                let Some(outer) = rs.next() else {
                    return vec![];
                };
                vec![Geometry::Polygon(Polygon::new(outer, rs.collect()))]
            }
        }
    }
    /// Streets of the roads within 30 m of a geometry's points.
    fn streets_near(&self, g: &WorkGeometry) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for c in g.coords() {
            if let Ok(s) = self.net.snap_index().snap_filtered(
                self.net,
                geo_types::Point::new(c[0], c[1]),
                30.0,
                |e| !self.net.edge(e).planned,
            ) {
                out.insert(self.net.street_of(s.edge).display_name().to_string());
            }
        }
        out
    }

    /// The site footprint (construction effects, or the geometry when there are none).
    fn site(&self, w: &Work, effects: &[ResolvedEffect]) -> Option<FootParts> {
        let mut edges = BTreeSet::new();
        let mut closed = Vec::new();
        for eff in effects.iter().filter(|e| e.phase == Phase::Construction) {
            if eff.action == Action::OpenLink {
                continue;
            }
            for &e in &eff.edges {
                if e.index() >= self.net.edge_count() || self.net.edge(e).planned {
                    continue;
                }
                let ed = self.net.edge(e);
                edges.insert(ed.twin.map_or(e, |t| t.min(e)));
                if matches!(eff.action, Action::Close | Action::Remove) {
                    closed.push(e);
                }
            }
        }
        self.parts(w, edges, closed)
    }

    /// The protected footprint: every effect's edges (planned links included: a new road
    /// protects itself), or the geometry.
    fn protected(&self, w: &Work, effects: &[ResolvedEffect]) -> Option<FootParts> {
        let mut edges = BTreeSet::new();
        for eff in effects {
            for &e in &eff.edges {
                if e.index() < self.net.edge_count() {
                    let ed = self.net.edge(e);
                    edges.insert(ed.twin.map_or(e, |t| t.min(e)));
                }
            }
        }
        self.parts(w, edges, Vec::new())
    }

    fn parts(&self, w: &Work, edges: BTreeSet<EdgeId>, closed: Vec<EdgeId>) -> Option<FootParts> {
        let segs = edges.clone();
        let (geoms, streets, lines) = if edges.is_empty() {
            let g = w.geometry.as_ref()?;
            let lines = match g {
                WorkGeometry::Point(_) => vec![],
                WorkGeometry::LineString(l) => vec![l.clone()],
                WorkGeometry::MultiLineString(ls) | WorkGeometry::Polygon(ls) => ls.clone(),
            };
            (self.geometry(g), self.streets_near(g), lines)
        } else {
            let geoms = edges
                .iter()
                .map(|&e| Geometry::LineString(self.edge_line(e)))
                .collect();
            let streets = edges
                .iter()
                .map(|&e| self.net.street_of(e).display_name().to_string())
                .collect();
            let lines = edges
                .iter()
                .map(|&e| {
                    self.net
                        .edge(e)
                        .geometry
                        .coords()
                        .map(|c| [c.x, c.y])
                        .collect()
                })
                .collect();
            (geoms, streets, lines)
        };
        if geoms.is_empty() {
            return None;
        }
        Some(FootParts {
            segs,
            bbox: bbox_of(&geoms),
            geoms,
            streets,
            closed,
            lines,
        })
    }
}

struct FootParts {
    segs: BTreeSet<EdgeId>,
    geoms: Vec<Geometry<f64>>,
    bbox: [f64; 4],
    streets: BTreeSet<String>,
    closed: Vec<EdgeId>,
    lines: Vec<Vec<[f64; 2]>>,
}

fn projection(net: &RoadNetwork) -> LocalProjection {
    match net.bbox() {
        Some(b) => LocalProjection::new(b.center().x, b.center().y),
        None => LocalProjection::new(0.0, 0.0),
    }
}

fn related(a: &Work, b: &Work) -> bool {
    a.id == b.id || a.parent.as_ref() == Some(&b.id) || b.parent.as_ref() == Some(&a.id)
}

fn sorted_pair(a: &WorkId, b: &WorkId) -> [WorkId; 2] {
    if a <= b {
        [a.clone(), b.clone()]
    } else {
        [b.clone(), a.clone()]
    }
}

fn add_years(d: NaiveDate, years: u32) -> NaiveDate {
    d.checked_add_months(Months::new(12 * years))
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(d.year() + years as i32, 12, 31).unwrap_or(d))
}

/// The moratoria of `works` on `net`: each completed or scheduled resurfacing, reconstruction
/// or new road, protecting its footprint from the day after its end for its period.
pub fn moratoria(
    net: &RoadNetwork,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    periods: &MoratoriumPeriods,
) -> Vec<Moratorium> {
    let b = Builder {
        net,
        proj: projection(net),
    };
    let mut out = Vec::new();
    for w in works {
        let Some(p) = protection_of(w) else { continue };
        let years = p.years(periods);
        if years == 0 {
            continue;
        }
        let Some(parts) = b.protected(w, effects.get(&w.id).map(Vec::as_slice).unwrap_or(&[]))
        else {
            continue;
        };
        let end = w.window().end;
        let Some(from) = end.succ_opt() else { continue };
        out.push(Moratorium {
            work: w.id.clone(),
            name_zh: w.name_zh.clone(),
            name_en: w.name_en.clone(),
            protection: p,
            from,
            until: add_years(end, years),
            completed: w.status == Status::Completed,
            streets: parts.streets.into_iter().collect(),
            lines: parts.lines,
            source: if *periods == MoratoriumPeriods::default() {
                MORATORIUM_SOURCE.to_string()
            } else {
                format!("configured: {years} years after {}", p.as_str())
            },
        });
    }
    out.sort_by(|a, b| a.from.cmp(&b.from).then(a.work.cmp(&b.work)));
    out
}

/// A work protects its street once done if it is of a protecting kind and is completed or
/// scheduled to complete (not cancelled or suspended: the state follows the schedule).
fn protection_of(w: &Work) -> Option<Protection> {
    if matches!(w.status, Status::Cancelled | Status::Suspended) {
        return None;
    }
    Protection::of(w.kind)
}

/// Every finding among `works` on `net`, most severe first; with `only`, just the findings of
/// that work (the check run on every save).
pub fn find(
    net: &RoadNetwork,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    opts: &RuleOptions,
    only: Option<&WorkId>,
) -> Result<Vec<Finding>> {
    opts.validate()?;
    let b = Builder {
        net,
        proj: projection(net),
    };
    let none: &[ResolvedEffect] = &[];
    let feet: Vec<Foot> = works
        .iter()
        .filter(|w| w.status != Status::Cancelled)
        .filter_map(|w| {
            let p = b.site(w, effects.get(&w.id).map(Vec::as_slice).unwrap_or(none))?;
            Some(Foot {
                work: w,
                geoms: p.geoms,
                bbox: p.bbox,
                streets: p.streets,
                closed: p.closed,
                segs: p.segs,
            })
        })
        .collect();
    let in_window = |d: &DateRange| opts.window.is_none_or(|w| w.overlaps(d));
    let wanted = |a: &Work, b: &Work| only.is_none_or(|id| &a.id == id || &b.id == id);
    let mut out = Vec::new();
    let reach = opts.buffer_m.max(opts.opportunity_m);
    for i in 0..feet.len() {
        for j in i + 1..feet.len() {
            let (fa, fb) = (&feet[i], &feet[j]);
            let (wa, wb) = (fa.work, fb.work);
            if related(wa, wb) || !wanted(wa, wb) {
                continue;
            }
            let same_street: Vec<String> = fa.streets.intersection(&fb.streets).cloned().collect();
            let close = near_bbox(&fa.bbox, &fb.bbox, reach);
            if !close && same_street.is_empty() {
                continue;
            }
            let d = if close {
                distance(fa, fb)
            } else {
                f64::INFINITY
            };
            let streets = if same_street.is_empty() {
                fa.streets.union(&fb.streets).cloned().collect()
            } else {
                same_street.clone()
            };
            let (xa, xb) = (wa.window(), wb.window());
            if let Some(overlap) = xa.intersection(&xb) {
                if d <= opts.buffer_m && in_window(&overlap) {
                    let both_close = !fa.closed.is_empty() && !fb.closed.is_empty();
                    let emergency = wa.emergency || wb.emergency;
                    out.push(Finding {
                        id: format!("site:{}:{}", wa.id, wb.id),
                        kind: FindingKind::Site,
                        severity: if both_close {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        works: sorted_pair(&wa.id, &wb.id),
                        dates: overlap,
                        streets: streets.clone(),
                        distance_m: round1(d),
                        detour_factor: None,
                        strong: false,
                        emergency,
                        reason: format!(
                            "{} and {} are on site {:.0} m apart ({}) from {} to {}{}",
                            wa.id,
                            wb.id,
                            d,
                            streets.join(", "),
                            overlap.start,
                            overlap.end,
                            if both_close { "; both close roads" } else { "" }
                        ),
                    });
                }
            } else if d <= opts.opportunity_m || !same_street.is_empty() {
                let (first, second) = if xa.end < xb.start {
                    (wa, wb)
                } else {
                    (wb, wa)
                };
                let (e1, s2) = (first.window().end, second.window().start);
                let gap = (s2 - e1).num_days() - 1;
                let open = |w: &Work| !matches!(w.status, Status::Completed);
                if gap <= opts.opportunity_days && open(first) && open(second) {
                    let dates = DateRange {
                        start: e1.succ_opt().unwrap_or(e1).min(s2),
                        end: s2.pred_opt().unwrap_or(s2).max(e1),
                    };
                    if in_window(&dates) {
                        let where_ = if same_street.is_empty() {
                            format!("{:.0} m apart", d)
                        } else {
                            format!("both on {}", same_street.join(", "))
                        };
                        out.push(Finding {
                            id: format!("opportunity:{}:{}", wa.id, wb.id),
                            kind: FindingKind::Opportunity,
                            severity: Severity::Low,
                            works: sorted_pair(&wa.id, &wb.id),
                            dates,
                            streets: streets.clone(),
                            distance_m: round1(d.min(1e9)),
                            detour_factor: None,
                            strong: false,
                            emergency: wa.emergency || wb.emergency,
                            reason: format!(
                                "{} ends {e1} and {} starts {s2}, {gap} days later, {where_}: \
                                 dig once (one trench, one closure)",
                                first.id, second.id
                            ),
                        });
                    }
                }
            }
        }
    }
    moratorium_findings(&b, works, effects, &feet, opts, only, &mut out);
    corridor_findings(net, &feet, opts, only, &mut out);
    out.sort_by(|x, y| {
        y.severity
            .cmp(&x.severity)
            .then(x.kind.cmp(&y.kind))
            .then(x.dates.start.cmp(&y.dates.start))
            .then(x.id.cmp(&y.id))
    });
    Ok(out)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn moratorium_findings(
    b: &Builder,
    works: &[Work],
    effects: &HashMap<WorkId, Vec<ResolvedEffect>>,
    feet: &[Foot],
    opts: &RuleOptions,
    only: Option<&WorkId>,
    out: &mut Vec<Finding>,
) {
    let none: &[ResolvedEffect] = &[];
    for m in works {
        let Some(p) = protection_of(m) else { continue };
        let years = p.years(&opts.moratorium);
        if years == 0 {
            continue;
        }
        let Some(prot) = b.protected(m, effects.get(&m.id).map(Vec::as_slice).unwrap_or(none))
        else {
            continue;
        };
        let end = m.window().end;
        let Some(from) = end.succ_opt() else { continue };
        let period = DateRange {
            start: from,
            end: add_years(end, years),
        };
        let pf = Foot {
            work: m,
            geoms: prot.geoms,
            bbox: prot.bbox,
            streets: prot.streets,
            closed: vec![],
            segs: prot.segs,
        };
        for f in feet {
            let w = f.work;
            if related(m, w) || only.is_some_and(|id| id != &m.id && id != &w.id) {
                continue;
            }
            let Some(overlap) = period.intersection(&w.window()) else {
                continue;
            };
            if opts.window.is_some_and(|x| !x.overlaps(&overlap)) {
                continue;
            }
            let shared: Vec<String> = pf.streets.intersection(&f.streets).cloned().collect();
            if shared.is_empty() || !near_bbox(&pf.bbox, &f.bbox, opts.buffer_m) {
                continue;
            }
            // On the protected stretch itself: a shared segment when both are on the network,
            // else within the buffer. A site next to it on the same street is not inside it.
            let d = distance(&pf, f);
            let on_it = if pf.segs.is_empty() || f.segs.is_empty() {
                d <= opts.buffer_m
            } else {
                !pf.segs.is_disjoint(&f.segs)
            };
            if !on_it {
                continue;
            }
            let done = if m.status == Status::Completed {
                format!("completed on {end}")
            } else {
                format!("scheduled to complete on {end}")
            };
            let (severity, tail) = if w.emergency {
                (
                    Severity::Medium,
                    "; emergency works may proceed (art. 35: dig first, notify), the finding is kept",
                )
            } else {
                (Severity::High, "")
            };
            out.push(Finding {
                id: format!("moratorium:{}:{}", m.id, w.id),
                kind: FindingKind::Moratorium,
                severity,
                works: [m.id.clone(), w.id.clone()],
                dates: overlap,
                streets: shared.clone(),
                distance_m: round1(d),
                detour_factor: None,
                strong: false,
                emergency: w.emergency,
                reason: format!(
                    "{} works on {} from {} to {}, inside the {years}-year moratorium after {} \
                     ({}, {done}; protected to {}){tail}",
                    w.id,
                    shared.join(", "),
                    overlap.start,
                    overlap.end,
                    m.id,
                    p.as_str(),
                    period.end
                ),
            });
        }
    }
}

/// Probe points on nodes with their base travel times.
struct Probes {
    names: Vec<String>,
    nodes: Vec<NodeId>,
    base: Vec<Vec<f64>>,
    weights: Vec<f64>,
}

impl Probes {
    fn new(net: &RoadNetwork, probes: &[Probe]) -> Probes {
        let mut names = Vec::new();
        let mut nodes = Vec::new();
        for p in probes {
            let Ok(s) = net.snap_index().snap_filtered(
                net,
                geo_types::Point::new(p.at[0], p.at[1]),
                3_000.0,
                |e| !net.edge(e).planned,
            ) else {
                continue;
            };
            let e = net.edge(s.edge);
            nodes.push(if s.frac < 0.5 { e.from } else { e.to });
            names.push(p.name.clone());
        }
        let weights = net.weights(Metric::Time);
        let base = times(net, &weights, &nodes);
        Probes {
            names,
            nodes,
            base,
            weights,
        }
    }
    fn with_closed(&self, net: &RoadNetwork, closed: &[&[EdgeId]]) -> Vec<Vec<f64>> {
        let mut w = self.weights.clone();
        for set in closed {
            for &e in *set {
                w[e.index()] = f64::INFINITY;
            }
        }
        times(net, &w, &self.nodes)
    }
}

fn times(net: &RoadNetwork, w: &[f64], nodes: &[NodeId]) -> Vec<Vec<f64>> {
    let mut d = Dijkstra::new(net.node_count());
    nodes
        .iter()
        .map(|&a| {
            d.run(net, w, a, None);
            nodes.iter().map(|&b| d.dist(b)).collect()
        })
        .collect()
}

fn corridor_findings(
    net: &RoadNetwork,
    feet: &[Foot],
    opts: &RuleOptions,
    only: Option<&WorkId>,
    out: &mut Vec<Finding>,
) {
    let closers: Vec<&Foot> = feet.iter().filter(|f| !f.closed.is_empty()).collect();
    if closers.len() < 2 || opts.probes.len() < 2 {
        return;
    }
    let probes = Probes::new(net, &opts.probes);
    if probes.nodes.len() < 2 {
        return;
    }
    let mut alone: HashMap<&WorkId, Vec<Vec<f64>>> = HashMap::new();
    for i in 0..closers.len() {
        for j in i + 1..closers.len() {
            let (fa, fb) = (closers[i], closers[j]);
            let (wa, wb) = (fa.work, fb.work);
            if related(wa, wb) || only.is_some_and(|id| id != &wa.id && id != &wb.id) {
                continue;
            }
            let Some(overlap) = wa.window().intersection(&wb.window()) else {
                continue;
            };
            if opts.window.is_some_and(|x| !x.overlaps(&overlap)) {
                continue;
            }
            for f in [fa, fb] {
                alone
                    .entry(&f.work.id)
                    .or_insert_with(|| probes.with_closed(net, &[&f.closed]));
            }
            let both = probes.with_closed(net, &[&fa.closed, &fb.closed]);
            let (ta, tb) = (&alone[&wa.id], &alone[&wb.id]);
            // The worst probe trip that both closures together make much worse than either alone.
            let mut worst: Option<(usize, usize, f64)> = None;
            for p in 0..probes.nodes.len() {
                for q in 0..probes.nodes.len() {
                    let t0 = probes.base[p][q];
                    if p == q || !t0.is_finite() || t0 <= 0.0 {
                        continue;
                    }
                    let (t1, t2, t12) = (ta[p][q], tb[p][q], both[p][q]);
                    if !t1.is_finite() || !t2.is_finite() {
                        continue; // one alone already cuts it: not a pair of alternatives
                    }
                    let r12 = t12 / t0;
                    let extra_sum = (t1 - t0) + (t2 - t0);
                    let synergy = !t12.is_finite() || (t12 - t0) > extra_sum + 1.0;
                    if synergy && r12 >= opts.corridor_factor {
                        let better = worst.is_none_or(|(_, _, r)| r12 > r);
                        if better {
                            worst = Some((p, q, r12));
                        }
                    }
                }
            }
            let Some((p, q, r)) = worst else { continue };
            let (t0, t1, t2) = (probes.base[p][q], ta[p][q], tb[p][q]);
            let strong = !r.is_finite() || r >= opts.detour_factor;
            let what = if r.is_finite() {
                format!(
                    "takes {:.0} s instead of {:.0} s ({:.1}×; {} alone {:.1}×, {} alone {:.1}×)",
                    r * t0,
                    t0,
                    r,
                    wa.id,
                    t1 / t0,
                    wb.id,
                    t2 / t0
                )
            } else {
                format!(
                    "is cut ({} alone {:.1}×, {} alone {:.1}×)",
                    wa.id,
                    t1 / t0,
                    wb.id,
                    t2 / t0
                )
            };
            let streets: Vec<String> = fa.streets.union(&fb.streets).cloned().collect();
            out.push(Finding {
                id: format!("corridor:{}:{}", wa.id, wb.id),
                kind: FindingKind::Corridor,
                severity: if strong {
                    Severity::Critical
                } else {
                    Severity::High
                },
                works: sorted_pair(&wa.id, &wb.id),
                dates: overlap,
                streets,
                distance_m: round1(distance(fa, fb)),
                detour_factor: r.is_finite().then_some((r * 100.0).round() / 100.0),
                strong,
                emergency: wa.emergency || wb.emergency,
                reason: format!(
                    "{} and {} close parallel alternatives from {} to {}: with both closed the \
                     trip {} → {} {what}",
                    wa.id, wb.id, overlap.start, overlap.end, probes.names[p], probes.names[q]
                ),
            });
        }
    }
}
