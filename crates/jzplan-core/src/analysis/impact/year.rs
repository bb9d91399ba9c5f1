//! The year analysis: 12 month states, base and full build, each work's construction cost
//! and completion benefit.

use super::compare::*;
use super::state::*;
use crate::analysis::clash::Clash;
use crate::assignment::periods::{DayCount, PeriodId};
use crate::assignment::zones::RoadFlows;
use crate::network::RoadNetwork;
use crate::scenario::NetworkState;
use crate::works::{Phase, ResolvedEffect, Work, WorkId};
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

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
