//! Mitigation hints, computed: the same window started in each of the next 12 months (the
//! other works keep their dates), and the closure done only at night.

use super::periods::PeriodResult;
use super::request::DailyHours;
use crate::Result;
use crate::analysis::impact::{Demand, run_state_od};
use crate::assignment::OdMatrix;
use crate::assignment::periods::DayCount;
use crate::network::RoadNetwork;
use crate::scenario::NetworkState;
use crate::works::{DateRange, ResolvedEffect, Work, WorkId};
use chrono::{Datelike, Months, NaiveDate};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// One candidate start of the window.
#[derive(Clone, Debug, Serialize)]
pub struct StartOption {
    /// The window started this many months later (0 = as asked).
    pub shift_months: u32,
    /// The window.
    pub window: DateRange,
    /// Extra VHT over it (weekdays and weekend days, scaled to whole days).
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

/// What [`month_scan`] needs: the assignments of the scan depend only on the networks and the
/// headline period's matrix, so they run beside the study's own period assignments.
pub struct ScanInputs<'a> {
    /// The network.
    pub net: &'a RoadNetwork,
    /// The works other than the studied ones.
    pub others: &'a [Work],
    /// Every work's effects.
    pub resolved: &'a HashMap<WorkId, Vec<ResolvedEffect>>,
    /// The closures' effects.
    pub effects: &'a [ResolvedEffect],
    /// The study's baseline.
    pub baseline: &'a NetworkState<'a>,
    /// The study's window.
    pub window: DateRange,
    /// The demand (zones, connectors, assignment settings).
    pub demand: &'a Demand,
    /// The headline period's matrix.
    pub headline_od: &'a OdMatrix,
}

/// The candidate windows, their months and each month's ΔVHT of one headline-period hour.
pub struct MonthScan {
    candidates: Vec<DateRange>,
    months: Vec<NaiveDate>,
    /// Per month, its distinct network.
    key_of: Vec<usize>,
    /// Per distinct network, ΔVHT per headline hour (`None`: the baseline's own network, whose
    /// delta is the study's).
    deltas: Vec<Option<f64>>,
}

/// The window started on the same day of each of the next 12 months: the months they cover,
/// each month's network on its 15th with and without the closure, assigned once per distinct
/// network in the headline period.
pub fn month_scan(inp: &ScanInputs<'_>) -> Result<MonthScan> {
    let ScanInputs {
        net,
        others,
        resolved,
        effects,
        baseline,
        window,
        demand,
        headline_od,
    } = *inp;
    let duration = window.end - window.start;
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
            let b = NetworkState::on_date(net, others, resolved, day);
            let a = b.with_effects(effects);
            (b, a)
        })
        .collect();
    let mut key_of: Vec<usize> = Vec::new();
    let mut distinct: Vec<(u64, usize)> = Vec::new();
    let base_fp = state_fingerprint(baseline);
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
    // Every assignment of the scan at once (two per distinct network).
    let jobs: Vec<(usize, bool)> = distinct
        .iter()
        .enumerate()
        .filter(|(_, d)| d.0 != base_fp)
        .flat_map(|(k, _)| [(k, false), (k, true)])
        .collect();
    let vht: Vec<f64> = jobs
        .par_iter()
        .map(|&(k, with)| -> Result<f64> {
            let (b, a) = &month_states[distinct[k].1];
            Ok(run_state_od(if with { a } else { b }, demand, headline_od)?
                .summary
                .vht)
        })
        .collect::<Result<_>>()?;
    let deltas = (0..distinct.len())
        .map(|k| {
            let at = |with: bool| jobs.iter().position(|&j| j == (k, with)).map(|i| vht[i]);
            Some(at(true)? - at(false)?)
        })
        .collect();
    Ok(MonthScan {
        candidates,
        months,
        key_of,
        deltas,
    })
}

/// What [`mitigation`] needs besides the scan.
pub struct MitigationInputs<'a> {
    /// The study's window.
    pub window: DateRange,
    /// Every period's result of the study (the headline one among them).
    pub periods: &'a [PeriodResult],
    /// Index of the headline period in `periods`.
    pub headline: usize,
}

/// The mitigation hints (see the module doc and [`Mitigation::method`]).
pub fn mitigation(inp: &MitigationInputs<'_>, scan: &MonthScan) -> Mitigation {
    let MitigationInputs {
        window,
        periods,
        headline,
    } = *inp;
    let hl = &periods[headline];
    let hl_delta = hl.delta_vht;
    let per_weekday: f64 = periods.iter().map(|p| p.delta_vht_per_day).sum();
    let per_weekend_day: f64 = periods.iter().map(|p| p.delta_vht_per_weekend_day).sum();
    // A day of each type per headline hour.
    let (wd_ratio, we_ratio) = if hl_delta > 1e-9 {
        (per_weekday / hl_delta, per_weekend_day / hl_delta)
    } else {
        (hl.hours_in_force as f64, hl.weekend_hours_in_force as f64)
    };
    let MonthScan {
        candidates,
        months,
        key_of,
        deltas,
    } = scan;
    let month_delta = |m: NaiveDate| -> f64 {
        months
            .iter()
            .position(|x| *x == m)
            .map_or(0.0, |i| deltas[key_of[i]].unwrap_or(hl_delta))
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
                let part =
                    DayCount::between(m.max(c.start), next.pred_opt().unwrap_or(next).min(c.end));
                let dv = month_delta(m);
                per_month.push((format!("{:04}-{:02}", m.year(), m.month()), dv));
                total += dv
                    * (wd_ratio * f64::from(part.weekdays)
                        + we_ratio * f64::from(part.weekend_days));
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
    let days = DayCount::between(window.start, window.end);
    let night_delta: f64 = periods
        .iter()
        .map(|p| {
            let (wd, we) = p.period.in_force(&DailyHours::NIGHT);
            p.delta_vht
                * (wd as f64 * f64::from(days.weekdays) + we as f64 * f64::from(days.weekend_days))
        })
        .sum();
    let study_delta: f64 = periods.iter().map(|p| p.delta_vht_window).sum();
    let night_saving = study_delta - night_delta;
    Mitigation {
        best_saving_vht: (starts.first().map_or(0.0, |s| s.delta_vht) - starts[best].delta_vht)
            .max(0.0),
        starts,
        best,
        night_delta_vht: night_delta,
        night_saving_vht: night_saving,
        night_saving_share: (study_delta > 1e-9).then(|| night_saving / study_delta),
        method: format!(
            "Each candidate keeps the window's length and starts on the same day of one of the \
             next 12 months; other works keep their dates. A month's network is the one of its \
             15th (with the closure and without), assigned in the {} ({} distinct networks); \
             its ΔVHT per hour × {wd_ratio:.2} per weekday and × {we_ratio:.2} per weekend day \
             (the study's day/headline-hour ratios over the calibrated periods) × the \
             candidate's days in the month. Night works: the closure in force 22:00–06:00 \
             only, per-period ΔVHT × the period's night hours × the window's weekdays and \
             weekend days.",
            hl.period.label,
            deltas.len()
        ),
    }
}
