//! Before/after impact of works on traffic: assignments of network states compared (VHT,
//! VKT, mean speed, choke-point v/c, links gaining and losing flow, changed OD times), the
//! month-by-month picture of a year, and each work's cost while it is built and benefit once
//! it is done.
//!
//! Method (also in docs/assignment.md): every state is assigned with the same demand (the
//! morning peak hour) to the same relative gap. VHT and VKT count road edges only (centroid
//! connectors are access, not travel on the network). A month is represented by its 15th. A
//! work's *construction cost* in a month is VHT(state of the month) − VHT(same state without
//! that work); its *benefit* is VHT(full build without the work) − VHT(full build), where the
//! full build is the network the day after the last work of the plan ends. Peak-hour VHT is
//! scaled to months with 21.75 working days and to years with 250 (one morning peak hour per
//! working day; the evening peak and weekends are not modelled).

use crate::analysis::clash::Clash;
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

/// Working days per month used to scale a peak hour to a month.
pub const WORKING_DAYS_PER_MONTH: f64 = 21.75;
/// Working days per year used to scale a peak hour to a year.
pub const WORKING_DAYS_PER_YEAR: f64 = 250.0;

/// The demand every state is assigned with.
#[derive(Clone, Debug)]
pub struct Demand {
    /// Zones (their order is the OD matrix's).
    pub zones: Vec<Zone>,
    /// Peak-hour OD matrix, vehicles per hour.
    pub od: OdMatrix,
    /// Assignment options.
    pub opts: AssignOptions,
    /// Centroid connectors.
    pub connectors: ConnectorOptions,
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

/// Assigns the demand on a state.
pub fn run_state(state: &NetworkState<'_>, d: &Demand) -> Result<StateRun> {
    let net = state.network();
    let anet = zones::state_assign_network(state, &d.zones, &d.connectors)?;
    let r = assign(&anet, &d.od, &d.opts)?;
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
        },
        flows,
        od_time_s: r.skims(&anet).time,
    })
}

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
    /// Works on site.
    pub on_site: Vec<WorkId>,
    /// Works completed.
    pub completed: Vec<WorkId>,
    /// Pairs of clashing works both on site in this month.
    pub clashes: Vec<(WorkId, WorkId)>,
    /// The assigned state.
    pub summary: Summary,
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
    /// Extra peak-hour VHT caused by its site, per month of the year it is on site.
    pub construction_vht_per_peak_hour: Vec<(u32, f64)>,
    /// Σ months (peak-hour VHT × working days): VHT lost while it is built in the year.
    pub construction_vht: f64,
    /// Peak-hour VHT saved once completed (full build without it − full build).
    pub saved_vht_per_peak_hour: f64,
    /// × working days per year.
    pub saved_vht_per_year: f64,
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
    /// Method in words.
    pub method: String,
    /// Month rows.
    pub months: Vec<MonthRow>,
    /// Works with network effects, ranked.
    pub works: Vec<WorkImpact>,
    /// The date of the full build.
    pub full_build_date: NaiveDate,
    /// Base (no works) vs full build.
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

/// How many assignments [`analyse_year`] will run, per [`Task`].
pub fn year_task_counts(
    works: &[Work],
    resolved: &HashMap<WorkId, Vec<ResolvedEffect>>,
    year: i32,
    only: Option<&[WorkId]>,
) -> Result<(usize, usize, usize)> {
    let selected = |w: &&Work| only.is_none_or(|o| o.contains(&w.id));
    let months = month_dates(year)?;
    let full = full_build_date(works, year)?;
    let c = works
        .iter()
        .filter(selected)
        .filter(|w| has_effect(resolved, &w.id, Phase::Construction))
        .map(|w| {
            months
                .iter()
                .filter(|d| w.phase_on(**d) == Some(Phase::Construction))
                .count()
        })
        .sum();
    let k = works
        .iter()
        .filter(selected)
        .filter(|w| {
            has_effect(resolved, &w.id, Phase::Completion)
                && w.phase_on(full) == Some(Phase::Completion)
        })
        .count();
    Ok((14, c, k))
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
/// month on site, one per completed work; all assignments run in parallel. `tick` is called
/// after each assignment (for progress bars).
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
    let full = full_build_date(works, year)?;
    let without =
        |id: &WorkId| -> Vec<Work> { works.iter().filter(|w| &w.id != id).cloned().collect() };

    // Every assignment to run: (key, works list, date); key 0..12 months, 12 base, 13 full.
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
    let effective: Vec<&Work> = works
        .iter()
        .filter(|w| only.is_none_or(|o| o.contains(&w.id)))
        .filter(|w| {
            has_effect(resolved, &w.id, Phase::Construction)
                || has_effect(resolved, &w.id, Phase::Completion)
        })
        .collect();
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
    let runs: Vec<(Key, StateRun)> = jobs
        .into_par_iter()
        .map(|(key, list, date)| {
            let state = match &list {
                None => NetworkState::base(net),
                Some(l) => NetworkState::on_date(net, l, resolved, date),
            };
            let run = run_state(&state, d)?;
            tick(match key {
                Key::Site(..) => Task::Construction,
                Key::Done(_) => Task::Completion,
                _ => Task::State,
            });
            Ok((key, run))
        })
        .collect::<Result<Vec<_>>>()?;

    let mut month_runs: Vec<Option<&StateRun>> = vec![None; 12];
    let (mut base, mut full_run) = (None, None);
    let mut site: HashMap<(usize, usize), f64> = HashMap::new();
    let mut done: HashMap<usize, f64> = HashMap::new();
    for (k, r) in &runs {
        match k {
            Key::Month(m) => month_runs[*m] = Some(r),
            Key::Base => base = Some(r),
            Key::Full => full_run = Some(r),
            Key::Site(w, m) => {
                site.insert((*w, *m), r.summary.vht);
            }
            Key::Done(w) => {
                done.insert(*w, r.summary.vht);
            }
        }
    }
    let (Some(base), Some(full_run)) = (base, full_run) else {
        return Err(Error::invalid("year analysis lost its base runs"));
    };
    let month_runs: Vec<&StateRun> = month_runs.into_iter().flatten().collect();

    let mut impacts: Vec<WorkImpact> = effective
        .iter()
        .enumerate()
        .map(|(wi, w)| {
            let per_month: Vec<(u32, f64)> = (0..12)
                .filter_map(|m| {
                    site.get(&(wi, m))
                        .map(|v| (m as u32 + 1, month_runs[m].summary.vht - v))
                })
                .collect();
            let construction: f64 = per_month
                .iter()
                .map(|(_, v)| v * WORKING_DAYS_PER_MONTH)
                .sum();
            let saved = done.get(&wi).map_or(0.0, |v| v - full_run.summary.vht);
            WorkImpact {
                id: w.id.clone(),
                name_zh: w.name_zh.clone(),
                name_en: w.name_en.clone(),
                construction_vht_per_peak_hour: per_month,
                construction_vht: construction,
                saved_vht_per_peak_hour: saved,
                saved_vht_per_year: saved * WORKING_DAYS_PER_YEAR,
                net_first_year_vht: saved * WORKING_DAYS_PER_YEAR - construction,
                rank: 0,
            }
        })
        .collect();
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
            MonthRow {
                month: date.month(),
                date,
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
                summary: month_runs[m].summary.clone(),
            }
        })
        .collect();
    let worst = (0..12)
        .max_by(|&a, &b| {
            month_runs[a]
                .summary
                .vht
                .total_cmp(&month_runs[b].summary.vht)
        })
        .unwrap_or(0);
    Ok(YearAnalysis {
        year,
        method: METHOD.to_string(),
        base_vs_full: compare(
            &format!("base network vs full build ({full})"),
            net,
            d,
            base,
            full_run,
            choke_points,
            20,
        ),
        base_vs_worst_month: compare(
            &format!("base network vs {} (worst month)", months[worst]),
            net,
            d,
            base,
            month_runs[worst],
            choke_points,
            20,
        ),
        worst_month: worst as u32 + 1,
        layers: vec![
            ("base".to_string(), base.flows.clone()),
            (
                format!("month_{:02}", worst + 1),
                month_runs[worst].flows.clone(),
            ),
            ("full_build".to_string(), full_run.flows.clone()),
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

/// The method, as written into reports.
pub const METHOD: &str = "Each state is assigned with the morning-peak-hour demand (gravity \
model on the estimated zones) by biconjugate Frank-Wolfe to the stated relative gap. VHT/VKT \
count road edges only. A month is its 15th. Construction cost of a work in a month = VHT of the \
month's state − VHT of the same state without that work, × 21.75 working days; benefit = VHT of \
the full build (day after the last work ends) without the work − VHT of the full build, × 250 \
working days per year. Ranking by benefit in the first year after completion − construction \
cost in the year. One peak hour per working day; evening peak, weekends, induced demand and \
detour signage are not modelled; zones, demand and the network are estimates.";

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

impl crate::engine::Engine {
    /// The demand of impact analyses: the zones (default: the embedded Jinzhou zones) and the
    /// gravity matrix on this engine's base network, assigned by BFW to `target_gap`.
    pub fn impact_demand(&self, zones: Option<Vec<Zone>>, target_gap: f64) -> Result<Demand> {
        let zones = match zones {
            Some(z) => z,
            None => zones::jinzhou_zones()?,
        };
        let connectors = ConnectorOptions::default();
        let base = NetworkState::base(&self.network);
        let anet = zones::state_assign_network(&base, &zones, &connectors)?;
        let od = zones::gravity_demand(&anet, &zones, &zones::JINZHOU_GRAVITY)?.od;
        Ok(Demand {
            zones,
            od,
            opts: AssignOptions {
                algorithm: crate::assignment::Algorithm::Bfw,
                target_gap,
                max_iterations: 1000,
            },
            connectors,
        })
    }

    /// The 15 choke points of impact reports: the stored ones, completed from the base
    /// assignment's v/c when fewer are stored (see [`complete_choke_points`]).
    pub fn impact_choke_points(&self, d: &Demand) -> Result<Vec<ChokePointRef>> {
        let stored: Vec<ChokePointRef> = self
            .list_hotspots()?
            .into_iter()
            .map(|h| {
                Ok(ChokePointRef {
                    node: self.hotspot_node(&h.id)?,
                    id: h.id.as_str().to_string(),
                    name_zh: h.name_zh,
                    name_en: h.name_en,
                })
            })
            .collect::<Result<_>>()?;
        if stored.len() >= 15 {
            return Ok(stored);
        }
        let base = run_state(&NetworkState::base(&self.network), d)?;
        complete_choke_points(&self.network, stored, &base.flows.vc, 15)
    }

    /// One before/after comparison (both states assigned in parallel).
    pub fn impact(
        &self,
        q: &ImpactQuery,
        d: &Demand,
        choke_points: &[ChokePointRef],
    ) -> Result<ImpactResult> {
        let net = &*self.network;
        let works = self.list_works(&crate::works::WorkFilter::default())?;
        let resolved = self.resolved_effects()?;
        let (label, before, after) = match q {
            ImpactQuery::Date(date) => (
                format!("base network vs {date}"),
                NetworkState::base(net),
                self.state_on(*date)?,
            ),
            ImpactQuery::Work(date, id) => {
                if !works.iter().any(|w| &w.id == id) {
                    return Err(Error::not_found("work", id));
                }
                crate::works::check_date("date", *date)?;
                let rest: Vec<Work> = works.iter().filter(|w| &w.id != id).cloned().collect();
                (
                    format!("{date} without {id} vs with it"),
                    NetworkState::on_date(net, &rest, &resolved, *date),
                    NetworkState::on_date(net, &works, &resolved, *date),
                )
            }
            ImpactQuery::Scenario(id) => {
                let sc = self.get_scenario(id)?;
                (
                    format!("plan vs scenario {id} on {}", sc.date),
                    self.state_on(sc.date)?,
                    self.scenario_state(&sc)?,
                )
            }
        };
        let (b, a) = rayon::join(|| run_state(&before, d), || run_state(&after, d));
        let (before, after) = (b?, a?);
        Ok(ImpactResult {
            comparison: compare(&label, net, d, &before, &after, choke_points, 10),
            before,
            after,
        })
    }

    /// Assignments [`Engine::impact_year`](crate::engine::Engine::impact_year) will run: (states, works on site, completed works).
    pub fn impact_year_tasks(
        &self,
        year: i32,
        only: Option<&[WorkId]>,
    ) -> Result<(usize, usize, usize)> {
        let works = self.list_works(&crate::works::WorkFilter::default())?;
        year_task_counts(&works, &self.resolved_effects()?, year, only)
    }

    /// The year analysis of the stored works (see [`analyse_year`]); `only` limits the works
    /// evaluated one by one (all works still make up the states). Unknown ids are `NotFound`.
    pub fn impact_year(
        &self,
        year: i32,
        d: &Demand,
        choke_points: &[ChokePointRef],
        only: Option<&[WorkId]>,
        tick: &(dyn Fn(Task) + Sync),
    ) -> Result<(YearAnalysis, Vec<Work>)> {
        let works = self.list_works(&crate::works::WorkFilter::default())?;
        if let Some(missing) = only
            .into_iter()
            .flatten()
            .find(|id| !works.iter().any(|w| &w.id == *id))
        {
            return Err(Error::not_found("work", missing));
        }
        let resolved = self.resolved_effects()?;
        let clashes = self.clashes(&Default::default())?;
        let ya = analyse_year(
            &self.network,
            &works,
            &resolved,
            &clashes,
            choke_points,
            d,
            year,
            only,
            tick,
        )?;
        Ok((ya, works))
    }
}
