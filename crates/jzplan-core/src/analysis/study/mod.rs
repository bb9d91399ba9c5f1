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
//!   ([`crate::analysis::detour`]'s ends); stretches with no way round (cut off) come first.
//! - **Traffic**: both networks are assigned (user equilibrium) in every calibrated period of
//!   the day ([`crate::assignment::periods`]: AM peak, PM peak, off-peak, each a representative
//!   hour with its demand factor relative to the AM peak hour, marked `estimate:`). The closure
//!   is in force in a period for the clock hours its daily hours share with the period, on
//!   weekdays and on weekend days. Flow changes are summed by street and direction, choke points
//!   compared by v/c and approach delay, OD pairs by congested time, all in the *headline
//!   period* (the first period in which the closure is in force on a weekday, else on a
//!   weekend day).
//! - **Over the window**: Σ periods ΔVHT per hour × hours in force × the window's weekdays and
//!   weekend days (calendar; public holidays count as the weekday they fall on).
//! - **Secondary conflicts**: other works on site during the window whose site lies on a
//!   detour route, on the closed stretch itself, or takes more than the flow threshold of extra
//!   traffic (headline period, largest increase on any edge of the site).
//! - **Mitigation hints**: the same window started on the same day of each of the next 12
//!   months (other works keep their dates; the network of each month on its 15th, headline
//!   period, scaled to days by the study's own day/headline ratios), and the saving of doing
//!   the work only at night (22–06).
//!
//! Files, one responsibility each (no file imports this one): `request` (the input and its
//! checks), `closures` (closures resolved on the network), `detours`, `periods` (calibrated
//! periods, hours in force, window totals), `flows` (streets and edges), `choke_points`,
//! `trips` (OD pairs), `conflicts` (secondary conflicts), `mitigation`.

mod choke_points;
mod closures;
mod conflicts;
mod detours;
mod flows;
mod mitigation;
mod periods;
mod request;
mod trips;

pub use choke_points::{ChokePointStudy, choke_point_changes};
pub use closures::{ResolvedClosure, resolve_closure, street_edges};
pub use conflicts::{Conflict, ConflictInputs, secondary_conflicts};
use detours::outcome_rank;
pub use detours::{StudyDetour, closure_detours};
pub use flows::{EdgeDelta, StreetChange, edge_changes, street_changes};
pub use mitigation::{
    Mitigation, MitigationInputs, MonthScan, ScanInputs, StartOption, mitigation, month_scan,
};
pub use periods::{PeriodResult, StudyPeriod, WindowTotals, window_totals};
pub use request::{
    ClosureSpec, DEFAULT_FLOW_THRESHOLD_VPH, DailyHours, Direction, Lanes, MAX_CLOSURES,
    STRETCH_SNAP_M, STUDY_ALGORITHM, STUDY_GAP, StudyRequest, TOP_N, check_request, study_id,
};
pub use trips::{OdPairChange, od_changes};

use crate::analysis::impact::{ChokePointRef, Demand, StateRun, run_state_od};
use crate::assignment::OdMatrix;
use crate::assignment::periods::DayCount;
use crate::network::{Metric, RoadNetwork};
use crate::scenario::NetworkState;
use crate::works::engine::WorksBook;
use crate::works::paths::Dijkstra;
use crate::works::{ResolvedEffect, Work, WorkFilter, WorkId};
use crate::{Error, Result};
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// Whether two OD matrices hold the same trips (to 1e-9 relative).
fn same_od(a: &OdMatrix, b: &OdMatrix) -> bool {
    a.zones() == b.zones()
        && a.data()
            .iter()
            .zip(b.data())
            .all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()))
}

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

    // Assignments: every calibrated period, baseline and with the closure, in parallel; a
    // period in which the closure is never in force needs no assignment with it.
    if inp.demand.periods.is_empty() {
        return Err(Error::invalid(
            "a study needs the periods of the day in its demand (AM peak, PM peak, off-peak)",
        ));
    }
    let periods: Vec<StudyPeriod> = inp
        .demand
        .periods
        .iter()
        .map(|p| StudyPeriod::of(&p.period))
        .collect();
    let in_force: Vec<(usize, usize)> = periods.iter().map(|p| p.in_force(&hours)).collect();
    let headline = (0..periods.len())
        .find(|&i| in_force[i].0 > 0)
        .or_else(|| (0..periods.len()).find(|&i| in_force[i].1 > 0))
        .ok_or_else(|| Error::invalid("the closure's hours cover no period"))?;
    let ods: Vec<&OdMatrix> = inp.demand.periods.iter().map(|p| &p.od).collect();
    // A period whose matrix equals an earlier period's (a symmetric AM matrix makes the PM
    // peak the AM peak) shares its assignments: the same inputs give the same answer.
    let same_as: Vec<usize> = (0..periods.len())
        .map(|i| (0..i).find(|&j| same_od(ods[j], ods[i])).unwrap_or(i))
        .collect();
    let needs_closed = |i: usize| {
        (0..periods.len()).any(|j| same_as[j] == i && (in_force[j].0 > 0 || in_force[j].1 > 0))
    };
    let jobs: Vec<(usize, bool)> = (0..periods.len())
        .filter(|&i| same_as[i] == i)
        .flat_map(|i| {
            let mut v = vec![(i, false)];
            if needs_closed(i) {
                v.push((i, true));
            }
            v
        })
        .collect();
    // The mitigation scan's assignments need only the headline period's matrix: all of them
    // run at once with the study's own.
    let scan_inputs = ScanInputs {
        net,
        others: &others,
        resolved: &inp.resolved,
        effects: &effects,
        baseline: &baseline,
        window,
        demand: &inp.demand,
        headline_od: ods[headline],
    };
    let (runs, scan) = rayon::join(
        || {
            jobs.par_iter()
                .map(|&(i, with)| {
                    run_state_od(if with { &closed } else { &baseline }, &inp.demand, ods[i])
                })
                .collect::<Result<Vec<StateRun>>>()
        },
        || month_scan(&scan_inputs),
    );
    let (runs, scan) = (runs?, scan?);
    let run = |i: usize, with: bool| {
        let find = |w: bool| jobs.iter().position(|&(p, x)| p == same_as[i] && x == w);
        &runs[find(with).or_else(|| find(false)).unwrap_or(0)]
    };
    let days = DayCount::between(window.start, window.end);
    let period_results: Vec<PeriodResult> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let with = in_force[i].0 > 0 || in_force[i].1 > 0;
            PeriodResult::new(
                p.clone(),
                &hours,
                days,
                run(i, false).summary.clone(),
                run(i, with).summary.clone(),
            )
        })
        .collect();
    let (hb, ha) = (run(headline, false), run(headline, true));
    let streets = street_changes(net, &hb.flows, &ha.flows, 1.0);
    let ff_b = baseline.free_flow_times_s();
    let ff_a = faced.clone();
    let choke_points =
        choke_point_changes(net, &inp.choke_points, &hb.flows, &ha.flows, &ff_b, &ff_a);
    let (od_pairs, od_pairs_cut) = od_changes(&inp.demand, ods[headline], hb, ha, TOP_N);
    let window_totals = window_totals(&window, hours, &period_results);
    let window_totals_factors = window_totals.factors.join(", ");

    // Secondary conflicts.
    let conflicts = secondary_conflicts(&ConflictInputs {
        net,
        others: &others,
        resolved: &inp.resolved,
        closures: &closures,
        detours: &detours,
        window: &window,
        before: &hb.flows,
        after: &ha.flows,
        threshold,
        period_label: &periods[headline].label,
    });

    let mitigation = mitigation(
        &MitigationInputs {
            window,
            periods: &period_results,
            headline,
        },
        &scan,
    );
    let edge_changes = edge_changes(net, &hb.flows, &ha.flows);

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
        method: method_text(&periods, inp.demand.opts.target_gap),
        source: format!(
            "model:closure-study ({:?} user equilibrium to relative gap {:.0e}; gravity demand \
             on estimated zones; calibrated period factors {}, estimates)",
            inp.demand.opts.algorithm, inp.demand.opts.target_gap, window_totals_factors
        ),
    })
}

/// The method, as written into every report, with the period factors used.
pub fn method_text(periods: &[StudyPeriod], gap: f64) -> String {
    format!(
        "Baseline: the network on the day before the window starts, every other work as it \
         stands that day, the studied works' own sites taken out. With the closure: the \
         baseline plus the closures. Both are assigned (user equilibrium, BPR, relative gap \
         {gap:.0e}) in the calibrated periods of the day: {}. Each period is one representative \
         hour of the AM-peak-hour gravity demand × its factor (the PM peak transposed, \
         off-peak both directions averaged; factors are estimates). Streets, choke points and \
         OD pairs are shown for the headline period (the first in which the closure is in \
         force). Window totals: per-period ΔVHT per hour × hours in force × the window's \
         weekdays and weekend days. Detours are free-flow fastest routes between a closed \
         stretch's ends. A secondary conflict is another work on site during the window whose \
         site lies on a detour, on the closed stretch, or gains more than the threshold in \
         veh/h. Zones, demand and the network are estimates: the figures compare options, they \
         do not predict counts.",
        periods
            .iter()
            .map(|p| format!(
                "{} ×{:.2} ({} h on a weekday, {} h on a weekend day)",
                p.label, p.demand_factor, p.weekday_hours, p.weekend_hours
            ))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

impl<'a> StudyInputs<'a> {
    /// Gathers the inputs from the network and the works an engine holds: works, effects,
    /// AM-peak demand to [`STUDY_GAP`] and the 15 choke points.
    pub fn from_parts(net: &'a RoadNetwork, book: &WorksBook) -> Result<StudyInputs<'a>> {
        let works = book.list_works(&WorkFilter::default())?;
        let resolved = book.resolved_effects(net)?;
        let mut demand = crate::analysis::impact::demand_on(net, None, STUDY_GAP)?;
        demand.opts.algorithm = STUDY_ALGORITHM;
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
