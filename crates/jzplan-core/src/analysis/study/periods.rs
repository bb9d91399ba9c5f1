//! The study's periods: the calibrated periods of the day ([`crate::assignment::periods`]:
//! AM peak, PM peak, off-peak, each a representative hour with its factor and its clock hours
//! on weekdays and weekend days), the hours of each in which the closure is in force, and the
//! totals over the window (periods × hours in force × the window's weekdays and weekend days).

use super::request::DailyHours;
use crate::analysis::impact::Summary;
use crate::assignment::periods::{DayCount, Period, PeriodId};
use crate::works::DateRange;
use serde::Serialize;

/// A period as a study reports it: the calibrated period with a label.
#[derive(Clone, Debug, Serialize)]
pub struct StudyPeriod {
    /// `am_peak`, `pm_peak`, `off_peak`.
    pub id: &'static str,
    /// In words, with its clock hours.
    pub label: String,
    /// Demand of its representative hour relative to the morning peak hour (the factor used).
    pub demand_factor: f64,
    /// Its hours on a weekday.
    pub weekday_hours: f64,
    /// Its hours on a weekend day.
    pub weekend_hours: f64,
    /// Provenance of the factor (`estimate:<why>`).
    pub source: &'static str,
    /// The calibrated period.
    #[serde(skip)]
    pub period: Period,
}

impl StudyPeriod {
    /// The study's view of a calibrated period.
    pub fn of(p: &Period) -> StudyPeriod {
        let name = match p.id {
            PeriodId::AmPeak => "AM peak",
            PeriodId::PmPeak => "PM peak",
            PeriodId::OffPeak => "off-peak",
        };
        StudyPeriod {
            id: p.id.as_str(),
            label: format!("{name} {}", p.hours_label),
            demand_factor: p.factor,
            weekday_hours: p.weekday_hours,
            weekend_hours: p.weekend_hours,
            source: p.source,
            period: *p,
        }
    }

    /// Hours of a weekday and of a weekend day of this period within `hours`.
    pub fn in_force(&self, hours: &DailyHours) -> (usize, usize) {
        (
            self.period.hours_within(false, |h| hours.contains(h)),
            self.period.hours_within(true, |h| hours.contains(h)),
        )
    }
}

/// One period's assignments.
#[derive(Clone, Debug, Serialize)]
pub struct PeriodResult {
    /// The period (its factor and clock hours).
    pub period: StudyPeriod,
    /// Hours of a weekday of the period in which the closure is in force.
    pub hours_in_force: usize,
    /// The same on a weekend day.
    pub weekend_hours_in_force: usize,
    /// Baseline, one hour of the period.
    pub baseline: Summary,
    /// With the closure, one hour of the period.
    pub with_closure: Summary,
    /// ΔVHT per hour of the period.
    pub delta_vht: f64,
    /// ΔVKT per hour.
    pub delta_vkt: f64,
    /// ΔVHT of a weekday (× weekday hours in force).
    pub delta_vht_per_day: f64,
    /// ΔVKT of a weekday.
    pub delta_vkt_per_day: f64,
    /// ΔVHT of a weekend day (× weekend hours in force).
    pub delta_vht_per_weekend_day: f64,
    /// ΔVHT over the window (weekdays and weekend days).
    pub delta_vht_window: f64,
    /// ΔVKT over the window.
    pub delta_vkt_window: f64,
}

impl PeriodResult {
    /// A period's result from its two summaries, the closure's hours and the window's days.
    pub fn new(
        period: StudyPeriod,
        hours: &DailyHours,
        days: DayCount,
        baseline: Summary,
        with_closure: Summary,
    ) -> PeriodResult {
        let (wd, we) = period.in_force(hours);
        let (dv, dk) = (
            with_closure.vht - baseline.vht,
            with_closure.vkt - baseline.vkt,
        );
        let hours_in_window =
            f64::from(days.weekdays) * wd as f64 + f64::from(days.weekend_days) * we as f64;
        PeriodResult {
            period,
            hours_in_force: wd,
            weekend_hours_in_force: we,
            baseline,
            with_closure,
            delta_vht: dv,
            delta_vkt: dk,
            delta_vht_per_day: dv * wd as f64,
            delta_vkt_per_day: dk * wd as f64,
            delta_vht_per_weekend_day: dv * we as f64,
            delta_vht_window: dv * hours_in_window,
            delta_vkt_window: dk * hours_in_window,
        }
    }
}

/// Totals over the window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowTotals {
    /// Days in the window.
    pub days: u32,
    /// Weekdays (Monday–Friday).
    pub weekdays: u32,
    /// Saturdays and Sundays.
    pub weekend_days: u32,
    /// Daily hours of the closure.
    pub hours: DailyHours,
    /// Extra vehicle-hours over the window.
    pub delta_vht: f64,
    /// Extra vehicle-kilometres over the window.
    pub delta_vkt: f64,
    /// Extra VHT of one weekday.
    pub delta_vht_per_day: f64,
    /// Extra VHT of one weekend day.
    pub delta_vht_per_weekend_day: f64,
    /// The period factors used (`am_peak ×0.90`, …), for every output to state.
    pub factors: Vec<String>,
    /// How it is counted.
    pub method: String,
}

/// The factors in words: `am_peak ×0.90 (07:00-09:00)`.
pub fn factors_used(periods: &[StudyPeriod]) -> Vec<String> {
    periods
        .iter()
        .map(|p| {
            format!(
                "{} ×{:.2} ({})",
                p.id, p.demand_factor, p.period.hours_label
            )
        })
        .collect()
}

/// The window's totals from the periods' results.
pub fn window_totals(
    window: &DateRange,
    hours: DailyHours,
    results: &[PeriodResult],
) -> WindowTotals {
    let days = DayCount::between(window.start, window.end);
    let periods: Vec<StudyPeriod> = results.iter().map(|r| r.period.clone()).collect();
    WindowTotals {
        days: days.weekdays + days.weekend_days,
        weekdays: days.weekdays,
        weekend_days: days.weekend_days,
        hours,
        delta_vht: results.iter().map(|p| p.delta_vht_window).sum(),
        delta_vkt: results.iter().map(|p| p.delta_vkt_window).sum(),
        delta_vht_per_day: results.iter().map(|p| p.delta_vht_per_day).sum(),
        delta_vht_per_weekend_day: results.iter().map(|p| p.delta_vht_per_weekend_day).sum(),
        factors: factors_used(&periods),
        method: format!(
            "Σ periods ΔVHT of the period's representative hour × its hours in force × days: \
             {} weekdays ({}) and {} weekend days ({}) of the {} days; period factors of the \
             AM-peak-hour demand: {} (estimates, see the periods' sources); public holidays \
             count as the weekday they fall on",
            days.weekdays,
            results
                .iter()
                .map(|p| format!("{} {} h", p.period.id, p.hours_in_force))
                .collect::<Vec<_>>()
                .join(", "),
            days.weekend_days,
            results
                .iter()
                .map(|p| format!("{} {} h", p.period.id, p.weekend_hours_in_force))
                .collect::<Vec<_>>()
                .join(", "),
            days.weekdays + days.weekend_days,
            factors_used(&periods).join(", ")
        ),
    }
}
