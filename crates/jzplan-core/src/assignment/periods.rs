//! Time periods of a day: the morning peak, the evening peak and the off-peak hours, each
//! assigned as one representative hour, and the day types (weekday, weekend) that sum them.
//!
//! The demand model gives the morning-peak-hour matrix `A` (vehicles per hour). Each period's
//! representative hour is `factor ×` a matrix built from `A`: `A` itself in the morning, its
//! transpose in the evening (the return commute), `(A + Aᵀ) / 2` off-peak. A day's vehicle-hours
//! are `Σ hours × VHT of the period's hour`; a month sums its weekdays and weekend days from the
//! calendar. Every factor is an estimate and says why ([`Period::source`]).

use super::OdMatrix;
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A period of the day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodId {
    /// 07:00–09:00 on weekdays.
    AmPeak,
    /// 17:00–19:00 on weekdays.
    PmPeak,
    /// Every other hour (20 on a weekday, 24 on a weekend day).
    OffPeak,
}

impl PeriodId {
    /// All periods, in report order.
    pub const ALL: [PeriodId; 3] = [PeriodId::AmPeak, PeriodId::PmPeak, PeriodId::OffPeak];
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodId::AmPeak => "am_peak",
            PeriodId::PmPeak => "pm_peak",
            PeriodId::OffPeak => "off_peak",
        }
    }
}

impl fmt::Display for PeriodId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for PeriodId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "am_peak" | "am" => Ok(PeriodId::AmPeak),
            "pm_peak" | "pm" => Ok(PeriodId::PmPeak),
            "off_peak" | "off" => Ok(PeriodId::OffPeak),
            _ => Err(Error::invalid(format!(
                "period '{s}' is not one of: am_peak, pm_peak, off_peak"
            ))),
        }
    }
}

/// How a period's matrix is made from the morning-peak-hour matrix `A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// `A` (home to work).
    Morning,
    /// `Aᵀ` (work to home).
    Evening,
    /// `(A + Aᵀ) / 2`.
    Both,
}

/// One period: its representative hour and how many such hours a day has.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Period {
    /// Which period.
    pub id: PeriodId,
    /// Clock hours it covers, in words.
    pub hours_label: &'static str,
    /// Hours of this period on a weekday.
    pub weekday_hours: f64,
    /// Hours of this period on a weekend day.
    pub weekend_hours: f64,
    /// Its clock hours on a weekday, `[start, end)` ranges (as many hours as `weekday_hours`).
    pub weekday_clock: &'static [(u8, u8)],
    /// Its clock hours on a weekend day.
    pub weekend_clock: &'static [(u8, u8)],
    /// Demand of its representative hour relative to the morning peak hour.
    pub factor: f64,
    /// How its matrix is oriented.
    pub orientation: Orientation,
    /// `estimate:<why>`.
    pub source: &'static str,
}

/// The Jinzhou periods. With these factors a weekday carries `2×0.9 + 2×0.9 + 20×0.32 = 10`
/// morning-peak hours of trips (the peak hour is 10 % of the weekday), a weekend day
/// `24×0.32 = 7.68` (77 % of a weekday).
pub const JINZHOU_PERIODS: [Period; 3] = [
    Period {
        id: PeriodId::AmPeak,
        hours_label: "07:00-09:00",
        weekday_hours: 2.0,
        weekend_hours: 0.0,
        weekday_clock: &[(7, 9)],
        weekend_clock: &[],
        factor: 0.9,
        orientation: Orientation::Morning,
        source: "estimate:the two-hour morning peak averages 90 % of its peak hour (a peak-hour \
factor of the kind commonly observed); the peak hour itself is 10 % of weekday car trips, within \
the 8-12 % that Chinese city travel surveys commonly report",
    },
    Period {
        id: PeriodId::PmPeak,
        hours_label: "17:00-19:00",
        weekday_hours: 2.0,
        weekend_hours: 0.0,
        weekday_clock: &[(17, 19)],
        weekend_clock: &[],
        factor: 0.9,
        orientation: Orientation::Evening,
        source: "estimate:the evening peak mirrors the morning commute (work to home, the \
transposed matrix) with the same size; no count says otherwise for Jinzhou",
    },
    Period {
        id: PeriodId::OffPeak,
        hours_label: "other hours (weekdays 20 h, weekends 24 h)",
        weekday_hours: 20.0,
        weekend_hours: 24.0,
        weekday_clock: &[(0, 7), (9, 17), (19, 24)],
        weekend_clock: &[(0, 24)],
        factor: 0.32,
        orientation: Orientation::Both,
        source: "estimate:the remaining 64 % of weekday trips spread over 20 hours (3.2 % of the \
day per hour, day and night averaged), both directions alike; weekend days have no commuter \
peaks and are 24 such hours, 77 % of a weekday, within the 70-90 % weekend/weekday ratios \
commonly counted on urban roads",
    },
];

impl Period {
    /// Whether clock hour `h` (0–23) of a weekday (`weekend` false) or a weekend day is in
    /// the period.
    pub fn contains(&self, h: u8, weekend: bool) -> bool {
        let clock = if weekend {
            self.weekend_clock
        } else {
            self.weekday_clock
        };
        clock.iter().any(|&(a, b)| h >= a && h < b)
    }

    /// How many hours of a day of the type the period shares with `hours` (clock hours 0–23
    /// for which it returns true).
    pub fn hours_within(&self, weekend: bool, hours: impl Fn(u8) -> bool) -> usize {
        (0..24u8)
            .filter(|&h| self.contains(h, weekend) && hours(h))
            .count()
    }
}

/// The matrix of a period's representative hour from the morning-peak-hour matrix.
pub fn period_matrix(am_peak_hour: &OdMatrix, p: &Period) -> Result<OdMatrix> {
    let n = am_peak_hour.zones();
    let mut data = Vec::with_capacity(n * n);
    for o in 0..n {
        for d in 0..n {
            let v = match p.orientation {
                Orientation::Morning => am_peak_hour.get(o, d),
                Orientation::Evening => am_peak_hour.get(d, o),
                Orientation::Both => 0.5 * (am_peak_hour.get(o, d) + am_peak_hour.get(d, o)),
            };
            data.push(v * p.factor);
        }
    }
    OdMatrix::from_dense(n, data)
}

/// Weekday trips per morning-peak-hour trip: `Σ weekday_hours × factor`.
pub fn weekday_hours_equivalent(periods: &[Period]) -> f64 {
    periods.iter().map(|p| p.weekday_hours * p.factor).sum()
}

/// Days of each type in a span of the calendar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayCount {
    /// Monday to Friday.
    pub weekdays: u32,
    /// Saturday and Sunday.
    pub weekend_days: u32,
}

impl DayCount {
    /// Weekdays and weekend days from `first` to `last` inclusive (public holidays are counted
    /// as the weekday they fall on: a simplification).
    pub fn between(first: NaiveDate, last: NaiveDate) -> DayCount {
        let mut c = DayCount::default();
        let mut d = first;
        while d <= last {
            match d.weekday() {
                Weekday::Sat | Weekday::Sun => c.weekend_days += 1,
                _ => c.weekdays += 1,
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        c
    }

    /// The days of one month.
    pub fn month(year: i32, month: u32) -> Result<DayCount> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)
            .ok_or_else(|| Error::invalid(format!("{year}-{month:02} is not a month")))?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        };
        let last = next
            .and_then(|n| n.pred_opt())
            .ok_or_else(|| Error::invalid(format!("{year}-{month:02} is out of range")))?;
        Ok(DayCount::between(first, last))
    }

    /// The days of one calendar year.
    pub fn year(year: i32) -> Result<DayCount> {
        let first = NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| Error::invalid(format!("year {year} out of range")))?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31)
            .ok_or_else(|| Error::invalid(format!("year {year} out of range")))?;
        Ok(DayCount::between(first, last))
    }

    /// Hours of `p` in these days.
    pub fn hours_of(&self, p: &Period) -> f64 {
        f64::from(self.weekdays) * p.weekday_hours + f64::from(self.weekend_days) * p.weekend_hours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekday_is_ten_peak_hours_and_hours_add_up() {
        assert!((weekday_hours_equivalent(&JINZHOU_PERIODS) - 10.0).abs() < 1e-12);
        let wd: f64 = JINZHOU_PERIODS.iter().map(|p| p.weekday_hours).sum();
        let we: f64 = JINZHOU_PERIODS.iter().map(|p| p.weekend_hours).sum();
        assert_eq!((wd, we), (24.0, 24.0));
        for p in &JINZHOU_PERIODS {
            assert!(p.source.starts_with("estimate:"), "{}", p.id);
            assert_eq!(
                p.hours_within(false, |_| true) as f64,
                p.weekday_hours,
                "{}",
                p.id
            );
            assert_eq!(
                p.hours_within(true, |_| true) as f64,
                p.weekend_hours,
                "{}",
                p.id
            );
        }
        // Every hour of either day type is in exactly one period.
        for weekend in [false, true] {
            for h in 0..24 {
                let n = JINZHOU_PERIODS
                    .iter()
                    .filter(|p| p.contains(h, weekend))
                    .count();
                assert_eq!(n, 1, "hour {h}, weekend {weekend}");
            }
        }
        let [a, _, o] = JINZHOU_PERIODS;
        assert_eq!(a.hours_within(false, |h| h >= 8), 1);
        assert_eq!(o.hours_within(false, |h| !(6..22).contains(&h)), 8);
    }

    #[test]
    fn matrices_are_oriented() {
        let am = OdMatrix::from_dense(2, vec![0.0, 100.0, 20.0, 0.0]).unwrap();
        let [a, p, o] = JINZHOU_PERIODS;
        assert_eq!(period_matrix(&am, &a).unwrap().get(0, 1), 90.0);
        assert_eq!(period_matrix(&am, &p).unwrap().get(0, 1), 18.0);
        assert_eq!(period_matrix(&am, &p).unwrap().get(1, 0), 90.0);
        assert!((period_matrix(&am, &o).unwrap().get(0, 1) - 0.32 * 60.0).abs() < 1e-9);
    }

    #[test]
    fn calendar_days() {
        // September 2022: 30 days, starts on a Thursday: 22 weekdays, 8 weekend days.
        assert_eq!(
            DayCount::month(2022, 9).unwrap(),
            DayCount {
                weekdays: 22,
                weekend_days: 8
            }
        );
        let y = DayCount::year(2023).unwrap();
        assert_eq!(y.weekdays + y.weekend_days, 365);
        assert_eq!(y.weekend_days, 105);
        assert!(DayCount::month(2022, 13).is_err());
        let [a, _, o] = JINZHOU_PERIODS;
        let d = DayCount {
            weekdays: 5,
            weekend_days: 2,
        };
        assert_eq!(d.hours_of(&a), 10.0);
        assert_eq!(d.hours_of(&o), 148.0);
    }
}
