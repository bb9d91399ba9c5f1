//! Before/after impact of works on traffic: assignments of network states compared (VHT,
//! VKT, mean speed, choke-point v/c, links gaining and losing flow, changed OD times), the
//! month-by-month picture of a year, and each work's cost while it is built and benefit once
//! it is done.
//!
//! Method (also in docs/assignment.md): every state is assigned with the same demand to the
//! same relative gap, once per period of the day ([`crate::assignment::periods`]: morning
//! peak, evening peak, off-peak, each a representative hour). VHT and VKT count road edges only
//! (centroid connectors are access, not travel on the network). A month is represented by its
//! 15th. A work's *construction cost* in a month is Σ over periods of (VHT of the period's hour
//! in the month's state − the same without that work) × the period's hours in the month's
//! weekdays and weekend days (calendar); its *benefit* is the same sum for the full build
//! without the work − the full build, over the days of the year after. A difference smaller
//! than the assignments can resolve (Σ hours × relative gap × total cost of both states) is
//! reported as noise, not as a number.

use crate::analysis::clash::Clash;
use crate::assignment::periods::{DayCount, JINZHOU_PERIODS, Period, PeriodId, period_matrix};
use crate::assignment::zones::{self, ConnectorOptions, RoadFlows, Zone};
use crate::assignment::{AssignOptions, OdMatrix, assign};
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::scenario::NetworkState;
use crate::works::{Phase, ResolvedEffect, Work, WorkId};
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// The demand every state is assigned with.
#[derive(Clone, Debug)]
pub struct Demand {
    /// Zones (their order is the OD matrix's).
    pub zones: Vec<Zone>,
    /// Morning-peak-hour OD matrix, vehicles per hour (the demand model's output; the
    /// `AmPeak` period's matrix is this × its factor).
    pub od: OdMatrix,
    /// The periods of the day, each with the matrix of its representative hour.
    pub periods: Vec<PeriodDemand>,
    /// Assignment options.
    pub opts: AssignOptions,
    /// Centroid connectors.
    pub connectors: ConnectorOptions,
}

/// One period of the day and the OD matrix of its representative hour (vehicles per hour).
#[derive(Clone, Debug)]
pub struct PeriodDemand {
    /// The period (hours per day type, factor, source).
    pub period: Period,
    /// Its matrix.
    pub od: OdMatrix,
}

impl Demand {
    /// A demand from the morning-peak-hour matrix and the periods of the day (each period's
    /// matrix made by [`period_matrix`]).
    pub fn new(
        zones: Vec<Zone>,
        am_peak_hour: OdMatrix,
        periods: &[Period],
        opts: AssignOptions,
        connectors: ConnectorOptions,
    ) -> Result<Demand> {
        if am_peak_hour.zones() != zones.len() {
            return Err(Error::invalid(format!(
                "OD matrix of {} zones for {} zones",
                am_peak_hour.zones(),
                zones.len()
            )));
        }
        let periods = periods
            .iter()
            .map(|p| {
                Ok(PeriodDemand {
                    period: *p,
                    od: period_matrix(&am_peak_hour, p)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Demand {
            zones,
            od: am_peak_hour,
            periods,
            opts,
            connectors,
        })
    }

    /// One period's demand.
    pub fn period(&self, id: PeriodId) -> Result<&PeriodDemand> {
        self.periods
            .iter()
            .find(|p| p.period.id == id)
            .ok_or_else(|| Error::not_found("period", id))
    }
}

/// Network-wide figures of one assigned state (one peak hour).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Vehicle-hours travelled on the roads.
    pub vht: f64,
    /// Vehicle-kilometres travelled on the roads.
    pub vkt: f64,
    /// VKT / VHT.
    pub mean_speed_kmh: f64,
    /// Trips assigned.
    pub trips: f64,
    /// OD pairs with demand and no path in this state.
    pub unreachable_pairs: usize,
    /// Their trips (not assigned).
    pub unreachable_trips: f64,
    /// Assignment iterations.
    pub iterations: usize,
    /// Relative gap reached.
    pub relative_gap: f64,
    /// Whether the target gap was reached.
    pub converged: bool,
    /// What the gap reached can resolve, vehicle-hours: relative gap × total cost (connectors
    /// included). Two states whose VHT differ by less than the sum of their resolutions are
    /// not distinguishable by these assignments.
    pub resolution_vht: f64,
}

/// One assigned state: its summary, per-edge flows and zone-to-zone times.
#[derive(Clone, Debug)]
pub struct StateRun {
    /// Figures.
    pub summary: Summary,
    /// Per-edge flows.
    pub flows: RoadFlows,
    /// Zone-to-zone congested time, seconds, row-major (`INFINITY`: no path).
    pub od_time_s: Vec<f64>,
}

/// Assigns the morning-peak-hour demand (`d.od`) on a state.
pub fn run_state(state: &NetworkState<'_>, d: &Demand) -> Result<StateRun> {
    run_state_od(state, d, &d.od)
}

/// Assigns one OD matrix (on `d`'s zones, connectors and options) on a state.
pub fn run_state_od(state: &NetworkState<'_>, d: &Demand, od: &OdMatrix) -> Result<StateRun> {
    let net = state.network();
    let anet = zones::state_assign_network(state, &d.zones, &d.connectors)?;
    let r = assign(&anet, od, &d.opts)?;
    let flows = zones::road_flows(&anet, &r, net.edge_count());
    let (mut vht, mut vkt) = (0.0, 0.0);
    for (i, e) in net.edges().iter().enumerate() {
        let v = flows.volume_vph[i];
        if v > 0.0 {
            vht += v * flows.time_s[i] / 3600.0;
            vkt += v * e.length_m / 1000.0;
        }
    }
    Ok(StateRun {
        summary: Summary {
            vht,
            vkt,
            mean_speed_kmh: if vht > 0.0 { vkt / vht } else { 0.0 },
            trips: r.assigned_demand,
            unreachable_pairs: r.unreachable_pairs,
            unreachable_trips: r.unreachable_demand,
            iterations: r.iterations,
            relative_gap: r.relative_gap,
            converged: r.converged,
            resolution_vht: r.relative_gap.max(0.0) * r.total_cost / 3600.0,
        },
        flows,
        od_time_s: r.skims(&anet).time,
    })
}

/// One state assigned in every period of the day.
#[derive(Clone, Debug)]
pub struct DayRun {
    /// One run per period of the demand, in its order.
    pub periods: Vec<(Period, StateRun)>,
}

impl DayRun {
    /// The run of one period.
    pub fn period(&self, id: PeriodId) -> Option<&StateRun> {
        self.periods
            .iter()
            .find(|(p, _)| p.id == id)
            .map(|(_, r)| r)
    }
    /// Vehicle-hours over `days`: Σ periods hours × VHT of the period's hour.
    pub fn vht(&self, days: &DayCount) -> f64 {
        self.periods
            .iter()
            .map(|(p, r)| days.hours_of(p) * r.summary.vht)
            .sum()
    }
    /// Vehicle-kilometres over `days`.
    pub fn vkt(&self, days: &DayCount) -> f64 {
        self.periods
            .iter()
            .map(|(p, r)| days.hours_of(p) * r.summary.vkt)
            .sum()
    }
    /// What the assignments resolve over `days` (Σ hours × resolution of the period's hour).
    pub fn resolution_vht(&self, days: &DayCount) -> f64 {
        self.periods
            .iter()
            .map(|(p, r)| days.hours_of(p) * r.summary.resolution_vht)
            .sum()
    }
    /// Highest relative gap reached and the fewest and most iterations of its runs.
    pub fn gap_reached(&self) -> GapReached {
        GapReached::of(self.periods.iter().map(|(_, r)| &r.summary))
    }
}

/// Assigns every period of the demand on a state (periods in parallel).
pub fn run_day(state: &NetworkState<'_>, d: &Demand) -> Result<DayRun> {
    let periods = d
        .periods
        .par_iter()
        .map(|pd| Ok((pd.period, run_state_od(state, d, &pd.od)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(DayRun { periods })
}

/// The convergence a set of assignments reached (what every report states).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct GapReached {
    /// Assignments.
    pub runs: usize,
    /// Target relative gap.
    pub target_gap: f64,
    /// Highest relative gap reached.
    pub max_gap: f64,
    /// Fewest iterations.
    pub min_iterations: usize,
    /// Most iterations.
    pub max_iterations: usize,
    /// Runs that missed the target.
    pub not_converged: usize,
}

impl GapReached {
    /// Over some summaries (target gap left 0; set it from the options).
    pub fn of<'a>(it: impl Iterator<Item = &'a Summary>) -> GapReached {
        let mut g = GapReached {
            min_iterations: usize::MAX,
            ..Default::default()
        };
        for s in it {
            g.runs += 1;
            g.max_gap = g.max_gap.max(s.relative_gap);
            g.min_iterations = g.min_iterations.min(s.iterations);
            g.max_iterations = g.max_iterations.max(s.iterations);
            g.not_converged += usize::from(!s.converged);
        }
        if g.runs == 0 {
            g.min_iterations = 0;
        }
        g
    }
    /// Merges two.
    pub fn merge(self, o: GapReached) -> GapReached {
        if self.runs == 0 {
            return o;
        }
        if o.runs == 0 {
            return self;
        }
        GapReached {
            runs: self.runs + o.runs,
            target_gap: self.target_gap.max(o.target_gap),
            max_gap: self.max_gap.max(o.max_gap),
            min_iterations: self.min_iterations.min(o.min_iterations),
            max_iterations: self.max_iterations.max(o.max_iterations),
            not_converged: self.not_converged + o.not_converged,
        }
    }
    /// In words, for reports.
    pub fn sentence(&self) -> String {
        format!(
            "{} assignments by biconjugate Frank-Wolfe to a target relative gap of {:.0e}: \
             highest gap reached {:.2e}, {}–{} iterations{}",
            self.runs,
            self.target_gap,
            self.max_gap,
            self.min_iterations,
            self.max_iterations,
            if self.not_converged > 0 {
                format!(", {} did NOT reach the target", self.not_converged)
            } else {
                String::new()
            }
        )
    }
}

/// A difference of vehicle-hours as reports print it: `≈ 0 (below the model's resolution)`
/// when it is smaller than `resolution`, else the number with `digits` decimals (never
/// `-0.0`).
pub fn format_delta(delta: f64, resolution: f64, digits: usize) -> String {
    if !delta.is_finite() {
        return String::new();
    }
    if delta.abs() < resolution {
        return BELOW_RESOLUTION.to_string();
    }
    let s = format!("{delta:.digits$}");
    let zero = s
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.');
    if zero {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// What [`format_delta`] prints for noise.
pub const BELOW_RESOLUTION: &str = "≈ 0 (below the model's resolution)";

/// A choke point to report on: its id, names and junction on the network.
#[derive(Clone, Debug, Serialize)]
pub struct ChokePointRef {
    /// Hotspot id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The junction, if the choke point is attached to the network.
    pub node: Option<NodeId>,
}

/// v/c of a choke point before and after.
#[derive(Clone, Debug, Serialize)]
pub struct ChokePointChange {
    /// Hotspot id.
    pub id: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Highest v/c of the open edges entering its junction, before (`None`: not attached).
    pub vc_before: Option<f64>,
    /// The same, after.
    pub vc_after: Option<f64>,
}

/// The change of flow on one edge.
#[derive(Clone, Debug, Serialize)]
pub struct LinkChange {
    /// The edge.
    pub edge: EdgeId,
    /// Street name.
    pub street: String,
    /// Volume before, veh/h.
    pub before_vph: f64,
    /// Volume after, veh/h.
    pub after_vph: f64,
    /// after − before.
    pub delta_vph: f64,
}

/// The change of one OD pair's travel time.
#[derive(Clone, Debug, Serialize)]
pub struct OdChange {
    /// Origin zone id.
    pub origin: String,
    /// Destination zone id.
    pub destination: String,
    /// Trips of the pair (peak hour).
    pub trips: f64,
    /// Congested time before, s (`None`: no path).
    pub before_s: Option<f64>,
    /// Congested time after, s (`None`: no path).
    pub after_s: Option<f64>,
    /// after − before, s (`None` when either has no path).
    pub delta_s: Option<f64>,
}

/// The change of vehicle-hours in one period (its representative hour and a weekday's hours
/// of it).
#[derive(Clone, Debug, Serialize)]
pub struct PeriodChange {
    /// The period.
    pub period: PeriodId,
    /// VHT of its hour, before.
    pub vht_before: f64,
    /// VHT of its hour, after.
    pub vht_after: f64,
    /// after − before, per hour.
    pub delta_vht_per_hour: f64,
    /// What the two assignments resolve, per hour.
    pub resolution_vht_per_hour: f64,
    /// Hours of the period on a weekday.
    pub weekday_hours: f64,
}

/// The per-period changes between two day runs of the same demand.
pub fn period_changes(before: &DayRun, after: &DayRun) -> Vec<PeriodChange> {
    before
        .periods
        .iter()
        .zip(&after.periods)
        .map(|((p, b), (_, a))| PeriodChange {
            period: p.id,
            vht_before: b.summary.vht,
            vht_after: a.summary.vht,
            delta_vht_per_hour: a.summary.vht - b.summary.vht,
            resolution_vht_per_hour: a.summary.resolution_vht + b.summary.resolution_vht,
            weekday_hours: p.weekday_hours,
        })
        .collect()
}

/// A before/after comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// What is compared.
    pub label: String,
    /// Before.
    pub before: Summary,
    /// After.
    pub after: Summary,
    /// VHT after − before.
    pub delta_vht: f64,
    /// VKT after − before.
    pub delta_vkt: f64,
    /// The smallest |ΔVHT| the two assignments resolve (sum of their resolutions).
    pub resolution_vht: f64,
    /// The change per period of the day and over a weekday (empty when only the morning peak
    /// hour was compared).
    pub periods: Vec<PeriodChange>,
    /// Every choke point.
    pub choke_points: Vec<ChokePointChange>,
    /// Edges gaining most flow.
    pub gaining: Vec<LinkChange>,
    /// Edges losing most flow.
    pub losing: Vec<LinkChange>,
    /// OD pairs whose time changed by 30 s or more (or lost/gained a path), largest first.
    pub od_changes: Vec<OdChange>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Highest v/c of the open edges entering `node`.
pub fn node_vc(net: &RoadNetwork, flows: &RoadFlows, node: NodeId) -> Option<f64> {
    net.in_edges(node)
        .iter()
        .filter(|e| flows.time_s[e.index()].is_finite())
        .map(|e| flows.vc[e.index()])
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
}

/// Compares two assigned states of the same network and demand.
pub fn compare(
    label: &str,
    net: &RoadNetwork,
    d: &Demand,
    before: &StateRun,
    after: &StateRun,
    choke_points: &[ChokePointRef],
    top_n: usize,
) -> Comparison {
    let mut deltas: Vec<LinkChange> = (0..net.edge_count())
        .filter_map(|i| {
            let (b, a) = (before.flows.volume_vph[i], after.flows.volume_vph[i]);
            (a != b).then(|| LinkChange {
                edge: EdgeId::from_index(i),
                street: net
                    .street_of(EdgeId::from_index(i))
                    .display_name()
                    .to_string(),
                before_vph: b,
                after_vph: a,
                delta_vph: a - b,
            })
        })
        .collect();
    deltas.sort_by(|x, y| y.delta_vph.total_cmp(&x.delta_vph));
    let gaining: Vec<LinkChange> = deltas
        .iter()
        .filter(|c| c.delta_vph > 0.0)
        .take(top_n)
        .cloned()
        .collect();
    let losing: Vec<LinkChange> = deltas
        .iter()
        .rev()
        .filter(|c| c.delta_vph < 0.0)
        .take(top_n)
        .cloned()
        .collect();
    let n = d.zones.len();
    let mut od_changes: Vec<OdChange> = Vec::new();
    for o in 0..n {
        for t in 0..n {
            let trips = d.od.get(o, t);
            if o == t || trips <= 0.0 {
                continue;
            }
            let (b, a) = (before.od_time_s[o * n + t], after.od_time_s[o * n + t]);
            let delta = finite(a - b);
            let changed = match delta {
                Some(x) => x.abs() >= 30.0,
                None => b.is_finite() != a.is_finite(),
            };
            if changed {
                od_changes.push(OdChange {
                    origin: d.zones[o].id.clone(),
                    destination: d.zones[t].id.clone(),
                    trips,
                    before_s: finite(b),
                    after_s: finite(a),
                    delta_s: delta,
                });
            }
        }
    }
    od_changes.sort_by(|x, y| {
        let k = |c: &OdChange| c.delta_s.map_or(f64::INFINITY, f64::abs);
        k(y).total_cmp(&k(x))
    });
    od_changes.truncate(top_n.max(1) * 5);
    Comparison {
        label: label.to_string(),
        delta_vht: after.summary.vht - before.summary.vht,
        delta_vkt: after.summary.vkt - before.summary.vkt,
        resolution_vht: before.summary.resolution_vht + after.summary.resolution_vht,
        periods: Vec::new(),
        before: before.summary.clone(),
        after: after.summary.clone(),
        choke_points: choke_points
            .iter()
            .map(|c| ChokePointChange {
                id: c.id.clone(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                vc_before: c.node.and_then(|n| node_vc(net, &before.flows, n)),
                vc_after: c.node.and_then(|n| node_vc(net, &after.flows, n)),
            })
            .collect(),
        gaining,
        losing,
        od_changes,
    }
}

/// One month of the year.
#[derive(Clone, Debug, Serialize)]
pub struct MonthRow {
    /// Month 1–12.
    pub month: u32,
    /// The date that represents it (the 15th).
    pub date: NaiveDate,
    /// Its weekdays and weekend days.
    pub days: DayCount,
    /// Works on site.
    pub on_site: Vec<WorkId>,
    /// Works completed.
    pub completed: Vec<WorkId>,
    /// Pairs of clashing works both on site in this month.
    pub clashes: Vec<(WorkId, WorkId)>,
    /// The assigned state, the morning peak's mean hour.
    pub summary: Summary,
    /// Vehicle-hours of the whole month (every period × its hours on the month's days).
    pub vht_month: f64,
    /// Vehicle-kilometres of the whole month.
    pub vkt_month: f64,
}

/// One month of one work's construction cost.
#[derive(Clone, Debug, Serialize)]
pub struct MonthCost {
    /// Month 1–12.
    pub month: u32,
    /// Extra VHT of the morning peak's mean hour (month's state − the same without the work).
    pub am_peak_hour_vht: f64,
    /// What the two morning-peak assignments resolve.
    pub am_peak_resolution_vht: f64,
    /// Extra VHT over the whole month (all periods × hours × days).
    pub month_vht: f64,
    /// What the assignments resolve over the month: |`month_vht`| below it is noise.
    pub resolution_vht: f64,
}

/// One work's traffic cost and benefit.
#[derive(Clone, Debug, Serialize)]
pub struct WorkImpact {
    /// The work.
    pub id: WorkId,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Months of the year it is on site (its site changes the network), with their cost.
    pub construction_by_month: Vec<MonthCost>,
    /// Σ months: VHT lost while it is built in the year.
    pub construction_vht: f64,
    /// What the assignments resolve for `construction_vht`.
    pub construction_resolution_vht: f64,
    /// VHT of the morning peak's mean hour saved once completed (full build without it − full
    /// build).
    pub saved_vht_per_peak_hour: f64,
    /// VHT saved over the year after the analysis year (all periods, calendar days).
    pub saved_vht_per_year: f64,
    /// What the assignments resolve for `saved_vht_per_year`.
    pub saved_resolution_vht: f64,
    /// Saved in the first year after completion − lost during construction in this year.
    pub net_first_year_vht: f64,
    /// Rank by `net_first_year_vht` (1 = best).
    pub rank: usize,
}

/// The whole year: month by month, every work, and the base and full-build states.
#[derive(Clone, Debug, Serialize)]
pub struct YearAnalysis {
    /// The year.
    pub year: i32,
    /// Method in words (periods, days, gap reached, noise rule).
    pub method: String,
    /// The convergence every assignment of the analysis reached.
    pub gap: GapReached,
    /// Month rows.
    pub months: Vec<MonthRow>,
    /// Works on site or opening in the year with network effects, ranked.
    pub works: Vec<WorkImpact>,
    /// The date of the full build.
    pub full_build_date: NaiveDate,
    /// Base (no works) vs full build (the morning peak's mean hour; `periods` per period).
    pub base_vs_full: Comparison,
    /// Base vs the month with the highest VHT.
    pub base_vs_worst_month: Comparison,
    /// Number of the worst month.
    pub worst_month: u32,
    /// Per-edge flows of the base, the worst month and the full build (for map layers).
    #[serde(skip)]
    pub layers: Vec<(String, RoadFlows)>,
}

/// Which group of assignments a progress tick belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// A month of the year (or the base/full build).
    State,
    /// A month without one work on site.
    Construction,
    /// The full build without one work.
    Completion,
}

/// True if the work is on site at some time of `year` or opens (ends) in it: the works a
/// year's ranking is about. Works finished before the year are part of its network; works
/// starting after it have nothing to rank in it.
pub fn in_year(w: &Work, year: i32) -> bool {
    let r = w.window();
    r.start.year() <= year && r.end.year() >= year
}

/// How many day runs [`analyse_year`] will make, per [`Task`] (each is one assignment per
/// period of the day).
pub fn year_task_counts(
    works: &[Work],
    resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
    year: i32,
    only: Option<&[WorkId]>,
) -> Result<(usize, usize, usize)> {
    let months = month_dates(year)?;
    let full = full_build_date(works, year)?;
    let ranked = ranked_works(works, resolved, year, only);
    let c = ranked
        .iter()
        .filter(|w| has_effect(resolved, &w.id, Phase::Construction))
        .map(|w| {
            months
                .iter()
                .filter(|d| w.phase_on(**d) == Some(Phase::Construction))
                .count()
        })
        .sum();
    let k = ranked
        .iter()
        .filter(|w| {
            has_effect(resolved, &w.id, Phase::Completion)
                && w.phase_on(full) == Some(Phase::Completion)
        })
        .count();
    Ok((14, c, k))
}

/// The works a year's ranking evaluates: selected (`only`), with a network effect, and on
/// site or opening in the year ([`in_year`]).
fn ranked_works<'w>(
    works: &'w [Work],
    resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
    year: i32,
    only: Option<&[WorkId]>,
) -> Vec<&'w Work> {
    works
        .iter()
        .filter(|w| only.is_none_or(|o| o.contains(&w.id)))
        .filter(|w| in_year(w, year))
        .filter(|w| {
            has_effect(resolved, &w.id, Phase::Construction)
                || has_effect(resolved, &w.id, Phase::Completion)
        })
        .collect()
}

fn month_dates(year: i32) -> Result<Vec<NaiveDate>> {
    (1..=12)
        .map(|m| {
            NaiveDate::from_ymd_opt(year, m, 15)
                .ok_or_else(|| Error::invalid(format!("year {year} out of range")))
        })
        .collect()
}

fn full_build_date(works: &[Work], year: i32) -> Result<NaiveDate> {
    let end_of_year = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| Error::invalid(format!("year {year} out of range")))?;
    let last = works
        .iter()
        .map(|w| w.window().end)
        .max()
        .unwrap_or(end_of_year);
    Ok(last.max(end_of_year).succ_opt().unwrap_or(end_of_year))
}

fn has_effect(resolved: &HashMap<WorkId, Vec<ResolvedEffect>>, id: &WorkId, phase: Phase) -> bool {
    resolved
        .get(id)
        .is_some_and(|v| v.iter().any(|e| e.phase == phase && !e.edges.is_empty()))
}

/// The year analysis: 12 month states, base and full build, one counterfactual per work and
/// month on site, one per completed work; each state assigned once per period of the day, all
/// in parallel. Only works on site or opening in the year are ranked ([`in_year`]). `tick` is
/// called after each state's day (for progress bars).
#[allow(clippy::too_many_arguments)]
pub fn analyse_year(
    net: &RoadNetwork,
    works: &[Work],
    resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
    clashes: &[Clash],
    choke_points: &[ChokePointRef],
    d: &Demand,
    year: i32,
    only: Option<&[WorkId]>,
    tick: &(dyn Fn(Task) + Sync),
) -> Result<YearAnalysis> {
    let months = month_dates(year)?;
    let month_days: Vec<DayCount> = (1..=12)
        .map(|m| DayCount::month(year, m))
        .collect::<Result<_>>()?;
    let next_year = DayCount::year(year + 1)?;
    let full = full_build_date(works, year)?;
    let without =
        |id: &WorkId| -> Vec<Work> { works.iter().filter(|w| &w.id != id).cloned().collect() };

    // Every state to run: (key, works list, date).
    #[derive(Clone)]
    enum Key {
        Month(usize),
        Base,
        Full,
        Site(usize, usize),
        Done(usize),
    }
    let mut jobs: Vec<(Key, Option<Vec<Work>>, NaiveDate)> = Vec::new();
    for (m, &date) in months.iter().enumerate() {
        jobs.push((Key::Month(m), Some(works.to_vec()), date));
    }
    jobs.push((Key::Base, None, full));
    jobs.push((Key::Full, Some(works.to_vec()), full));
    let effective = ranked_works(works, resolved, year, only);
    for (wi, w) in effective.iter().enumerate() {
        if has_effect(resolved, &w.id, Phase::Construction) {
            for (m, &date) in months.iter().enumerate() {
                if w.phase_on(date) == Some(Phase::Construction) {
                    jobs.push((Key::Site(wi, m), Some(without(&w.id)), date));
                }
            }
        }
        if has_effect(resolved, &w.id, Phase::Completion)
            && w.phase_on(full) == Some(Phase::Completion)
        {
            jobs.push((Key::Done(wi), Some(without(&w.id)), full));
        }
    }
    let runs: Vec<(Key, DayRun)> = jobs
        .into_par_iter()
        .map(|(key, list, date)| {
            let state = match &list {
                None => NetworkState::base(net),
                Some(l) => NetworkState::on_date(net, l, resolved, date),
            };
            let run = run_day(&state, d)?;
            tick(match key {
                Key::Site(..) => Task::Construction,
                Key::Done(_) => Task::Completion,
                _ => Task::State,
            });
            Ok((key, run))
        })
        .collect::<Result<Vec<_>>>()?;

    let mut gap = GapReached::default();
    for (_, r) in &runs {
        gap = gap.merge(r.gap_reached());
    }
    gap.target_gap = d.opts.target_gap;
    let mut month_runs: Vec<Option<&DayRun>> = vec![None; 12];
    let (mut base, mut full_run) = (None, None);
    let mut site: HashMap<(usize, usize), &DayRun> = HashMap::new();
    let mut done: HashMap<usize, &DayRun> = HashMap::new();
    for (k, r) in &runs {
        match k {
            Key::Month(m) => month_runs[*m] = Some(r),
            Key::Base => base = Some(r),
            Key::Full => full_run = Some(r),
            Key::Site(w, m) => {
                site.insert((*w, *m), r);
            }
            Key::Done(w) => {
                done.insert(*w, r);
            }
        }
    }
    let (Some(base), Some(full_run)) = (base, full_run) else {
        return Err(Error::invalid("year analysis lost its base runs"));
    };
    let month_runs: Vec<&DayRun> = month_runs.into_iter().flatten().collect();
    let am = |r: &DayRun| -> Result<StateRun> {
        r.period(PeriodId::AmPeak)
            .cloned()
            .ok_or_else(|| Error::invalid("the demand has no morning peak period"))
    };

    let mut impacts: Vec<WorkImpact> = effective
        .iter()
        .enumerate()
        .map(|(wi, w)| -> Result<WorkImpact> {
            let mut per_month = Vec::new();
            for m in 0..12 {
                let Some(without) = site.get(&(wi, m)) else {
                    continue;
                };
                let with = month_runs[m];
                let days = &month_days[m];
                let (aw, ao) = (am(with)?.summary, am(without)?.summary);
                per_month.push(MonthCost {
                    month: m as u32 + 1,
                    am_peak_hour_vht: aw.vht - ao.vht,
                    am_peak_resolution_vht: aw.resolution_vht + ao.resolution_vht,
                    month_vht: with.vht(days) - without.vht(days),
                    resolution_vht: with.resolution_vht(days) + without.resolution_vht(days),
                });
            }
            let construction: f64 = per_month.iter().map(|c| c.month_vht).sum();
            let construction_res: f64 = per_month.iter().map(|c| c.resolution_vht).sum();
            let (saved_hour, saved_year, saved_res) = match done.get(&wi) {
                Some(r) => (
                    am(r)?.summary.vht - am(full_run)?.summary.vht,
                    r.vht(&next_year) - full_run.vht(&next_year),
                    r.resolution_vht(&next_year) + full_run.resolution_vht(&next_year),
                ),
                None => (0.0, 0.0, 0.0),
            };
            Ok(WorkImpact {
                id: w.id.clone(),
                name_zh: w.name_zh.clone(),
                name_en: w.name_en.clone(),
                construction_by_month: per_month,
                construction_vht: construction,
                construction_resolution_vht: construction_res,
                saved_vht_per_peak_hour: saved_hour,
                saved_vht_per_year: saved_year,
                saved_resolution_vht: saved_res,
                net_first_year_vht: saved_year - construction,
                rank: 0,
            })
        })
        .collect::<Result<_>>()?;
    impacts.sort_by(|a, b| {
        b.net_first_year_vht
            .total_cmp(&a.net_first_year_vht)
            .then(a.id.cmp(&b.id))
    });
    for (i, w) in impacts.iter_mut().enumerate() {
        w.rank = i + 1;
    }

    let month_rows: Vec<MonthRow> = months
        .iter()
        .enumerate()
        .map(|(m, &date)| {
            let (first, last) = month_bounds(date);
            Ok(MonthRow {
                month: date.month(),
                date,
                days: month_days[m],
                on_site: works
                    .iter()
                    .filter(|w| w.phase_on(date) == Some(Phase::Construction))
                    .map(|w| w.id.clone())
                    .collect(),
                completed: works
                    .iter()
                    .filter(|w| w.phase_on(date) == Some(Phase::Completion))
                    .map(|w| w.id.clone())
                    .collect(),
                clashes: clashes
                    .iter()
                    .filter(|c| c.overlap.start <= last && c.overlap.end >= first)
                    .map(|c| (c.a.clone(), c.b.clone()))
                    .collect(),
                summary: am(month_runs[m])?.summary,
                vht_month: month_runs[m].vht(&month_days[m]),
                vkt_month: month_runs[m].vkt(&month_days[m]),
            })
        })
        .collect::<Result<_>>()?;
    let worst = (0..12)
        .max_by(|&a, &b| month_rows[a].vht_month.total_cmp(&month_rows[b].vht_month))
        .unwrap_or(0);
    let (base_am, full_am, worst_am) = (am(base)?, am(full_run)?, am(month_runs[worst])?);
    let mut base_vs_full = compare(
        &format!("base network vs full build ({full})"),
        net,
        d,
        &base_am,
        &full_am,
        choke_points,
        20,
    );
    base_vs_full.periods = period_changes(base, full_run);
    let mut base_vs_worst_month = compare(
        &format!("base network vs {} (worst month)", months[worst]),
        net,
        d,
        &base_am,
        &worst_am,
        choke_points,
        20,
    );
    base_vs_worst_month.periods = period_changes(base, month_runs[worst]);
    Ok(YearAnalysis {
        year,
        method: method_text(d, &gap),
        gap,
        base_vs_full,
        base_vs_worst_month,
        worst_month: worst as u32 + 1,
        layers: vec![
            ("base".to_string(), base_am.flows.clone()),
            (format!("month_{:02}", worst + 1), worst_am.flows.clone()),
            ("full_build".to_string(), full_am.flows.clone()),
        ],
        months: month_rows,
        works: impacts,
        full_build_date: full,
    })
}

fn month_bounds(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = date.with_day(1).unwrap_or(date);
    let next = if date.month() == 12 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
    };
    (first, next.and_then(|n| n.pred_opt()).unwrap_or(date))
}

/// The method, as written into reports: the periods with their hours and factors, the days,
/// the cost and benefit rules, the noise rule and the convergence reached.
pub fn method_text(d: &Demand, gap: &GapReached) -> String {
    let periods: Vec<String> = d
        .periods
        .iter()
        .map(|p| {
            format!(
                "{} ({}; {} h per weekday, {} h per weekend day; {} × the morning-peak-hour matrix{})",
                p.period.id,
                p.period.hours_label,
                p.period.weekday_hours,
                p.period.weekend_hours,
                p.period.factor,
                match p.period.orientation {
                    crate::assignment::periods::Orientation::Morning => "",
                    crate::assignment::periods::Orientation::Evening => ", transposed",
                    crate::assignment::periods::Orientation::Both => ", both directions averaged",
                }
            )
        })
        .collect();
    format!(
        "Each state is assigned once per period of the day, each period represented by one \
hour: {}. Demand: the calibrated gravity model on the estimated zones (data/jinzhou/README.md, \
calibration table). VHT/VKT count road edges only, in vehicle-hours (veh-h) and vehicle-km. A \
month is its state on the 15th, over its calendar weekdays and weekend days. Construction cost \
of a work in a month = Σ periods (VHT of the period's hour in the month's state − the same \
without that work) × the period's hours in the month; benefit = the same sum for the full build \
(day after the last work ends) without the work − the full build, over the days of the next \
year. Ranking (works on site or opening in the year only): benefit in the first year after \
completion − construction cost in the year, veh-h. A difference smaller than the assignments \
resolve (Σ hours × relative gap × total cost of both states) is shown as '{BELOW_RESOLUTION}'. \
Convergence: {}. Induced demand, detour signage and queues spilling back are not modelled; \
zones, demand and the network are estimates.",
        periods.join("; "),
        gap.sentence()
    )
}

/// The choke points to report: the stored ones, completed up to `n` with the junctions whose
/// entering edges have the highest v/c in `base_vc` (the base assignment), at least 300 m from
/// each other and from the stored ones; those are named `A01`… and described by their streets
/// (`model:assignment-vc`).
pub fn complete_choke_points(
    net: &RoadNetwork,
    stored: Vec<ChokePointRef>,
    base_vc: &[f64],
    n: usize,
) -> Result<Vec<ChokePointRef>> {
    let mut out = stored;
    if out.len() >= n {
        return Ok(out);
    }
    let candidates = crate::hotspot::identify(net, base_vc, n + out.len(), 300.0)?;
    let mut k = 0;
    for c in candidates {
        if out.len() >= n {
            break;
        }
        let p = net.node(c.node).point();
        let near = out
            .iter()
            .filter_map(|s| s.node)
            .any(|s| crate::network::geom::haversine_m(p, net.node(s).point()) < 300.0);
        if near {
            continue;
        }
        k += 1;
        out.push(ChokePointRef {
            id: format!("A{k:02}"),
            name_zh: c.streets.join("/"),
            name_en: format!("model:assignment-vc junction {}", c.node),
            node: Some(c.node),
        });
    }
    Ok(out)
}

/// What a before/after impact compares.
#[derive(Clone, Debug, PartialEq)]
pub enum ImpactQuery {
    /// The base network (no works) vs the network on a date.
    Date(NaiveDate),
    /// The network on a date without one work vs with it.
    Work(NaiveDate, WorkId),
    /// The plan on a stored scenario's date vs the scenario.
    Scenario(String),
}

/// A before/after comparison with the flows of both states.
#[derive(Clone, Debug)]
pub struct ImpactResult {
    /// The comparison.
    pub comparison: Comparison,
    /// Before.
    pub before: StateRun,
    /// After.
    pub after: StateRun,
}

/// The demand of impact analyses on a network: the zones (default: the embedded Jinzhou
/// zones), the calibrated gravity matrix of the morning peak hour on the base network's
/// free-flow times ([`zones::JINZHOU_GRAVITY`]), the Jinzhou periods of the day
/// ([`JINZHOU_PERIODS`]), assigned by BFW to `target_gap`.
pub fn demand_on(net: &RoadNetwork, zones: Option<Vec<Zone>>, target_gap: f64) -> Result<Demand> {
    let zones = match zones {
        Some(z) => z,
        None => zones::jinzhou_zones()?,
    };
    let connectors = ConnectorOptions::default();
    let base = NetworkState::base(net);
    let anet = zones::state_assign_network(&base, &zones, &connectors)?;
    let od = zones::gravity_demand(&anet, &zones, &zones::JINZHOU_GRAVITY)?.od;
    Demand::new(
        zones,
        od,
        &JINZHOU_PERIODS,
        AssignOptions {
            algorithm: crate::assignment::Algorithm::Bfw,
            target_gap,
            max_iterations: 1000,
        },
        connectors,
    )
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::works::{DateRange, Status, WorkKind};

    fn work(id: &str, start: &str, end: &str) -> Work {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Work {
            id: WorkId(id.into()),
            parent: None,
            name_zh: id.into(),
            name_en: id.into(),
            kind: WorkKind::Programme,
            status: Status::Design,
            status_source: "estimate:test".into(),
            planned: DateRange::new(d(start), d(end)).unwrap(),
            actual_start: None,
            actual_end: None,
            dates_source: "estimate:test".into(),
            geometry: None,
            effects: vec![],
            budget: None,
            hotspot: None,
            source: "seed:test".into(),
            seed_quote: String::new(),
            notes: String::new(),
            version: 0,
            promoter: None,
            emergency: false,
            start_verified: false,
            end_verified: false,
        }
    }

    #[test]
    fn a_year_ranks_only_works_on_site_or_opening_in_it() {
        // P11: built 2023-25, not in 2022; a work ending in 2022 and one spanning it are.
        assert!(!in_year(&work("P11", "2023-04-01", "2025-10-31"), 2022));
        assert!(in_year(&work("P11", "2023-04-01", "2025-10-31"), 2024));
        assert!(in_year(&work("P1", "2022-04-01", "2023-10-31"), 2022));
        assert!(in_year(&work("P1", "2022-04-01", "2023-10-31"), 2023));
        assert!(!in_year(&work("P1", "2022-04-01", "2023-10-31"), 2024));
        assert!(in_year(&work("X", "2021-06-01", "2023-06-01"), 2022));
    }

    #[test]
    fn noise_is_named_and_the_gap_is_stated() {
        assert_eq!(format_delta(-3.8, 4.0, 1), BELOW_RESOLUTION);
        assert_eq!(format_delta(-0.04, 0.0, 1), "0.0");
        assert_eq!(format_delta(-12.34, 5.0, 1), "-12.3");
        let s = |gap: f64, iterations: usize, converged: bool| Summary {
            vht: 1.0,
            vkt: 1.0,
            mean_speed_kmh: 1.0,
            trips: 1.0,
            unreachable_pairs: 0,
            unreachable_trips: 0.0,
            iterations,
            relative_gap: gap,
            converged,
            resolution_vht: 0.0,
        };
        let mut g = GapReached::of([s(8e-5, 40, true), s(2e-4, 90, false)].iter());
        g.target_gap = 1e-4;
        assert_eq!((g.runs, g.min_iterations, g.max_iterations), (2, 40, 90));
        let text = g.sentence();
        assert!(text.contains("target relative gap of 1e-4"), "{text}");
        assert!(text.contains("highest gap reached 2.00e-4"), "{text}");
        assert!(text.contains("1 did NOT reach the target"), "{text}");
    }
}
