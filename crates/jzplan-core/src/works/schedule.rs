//! What a street-works office records beyond the plan: who digs ([`Promoter`]), which direction
//! of a street an effect takes ([`Direction`]) and when during the day or week it applies
//! ([`Schedule`]: daily hours such as `22:00-06:00`, weekdays).

use crate::network::geom::LocalProjection;
use crate::network::{EdgeId, RoadNetwork};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who carries out a work (the "promoter" of UK street works, 施工单位/权属单位).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Promoter {
    /// Water supply or sewerage.
    Water,
    /// Gas.
    Gas,
    /// District heating.
    Heating,
    /// Electricity.
    Power,
    /// Telecommunications.
    Telecom,
    /// The highway / road authority itself.
    RoadAuthority,
}

impl Promoter {
    /// All promoters.
    pub const ALL: [Promoter; 6] = [
        Promoter::Water,
        Promoter::Gas,
        Promoter::Heating,
        Promoter::Power,
        Promoter::Telecom,
        Promoter::RoadAuthority,
    ];
    /// Snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Promoter::Water => "water",
            Promoter::Gas => "gas",
            Promoter::Heating => "heating",
            Promoter::Power => "power",
            Promoter::Telecom => "telecom",
            Promoter::RoadAuthority => "road_authority",
        }
    }
}

impl std::str::FromStr for Promoter {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Promoter::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "promoter '{s}' is not one of: water, gas, heating, power, telecom, \
                     road_authority"
                ))
            })
    }
}

/// One direction of a two-way street, relative to the effect's anchor line (`from` → `to`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Traffic driving from the anchor's `from` towards its `to`.
    Forward,
    /// Traffic driving from `to` towards `from`.
    Backward,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Monday to Sunday.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    /// The chrono weekday.
    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Mon => chrono::Weekday::Mon,
            Weekday::Tue => chrono::Weekday::Tue,
            Weekday::Wed => chrono::Weekday::Wed,
            Weekday::Thu => chrono::Weekday::Thu,
            Weekday::Fri => chrono::Weekday::Fri,
            Weekday::Sat => chrono::Weekday::Sat,
            Weekday::Sun => chrono::Weekday::Sun,
        }
    }
    /// Three-letter lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }
}

/// Daily hours `HH:MM-HH:MM` (local time); an end before the start runs past midnight
/// (`22:00-06:00` = nights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DailyHours {
    /// Start, minutes after midnight.
    pub start_min: u16,
    /// End, minutes after midnight (`24:00` = 1440).
    pub end_min: u16,
}

impl DailyHours {
    /// Parses `HH:MM-HH:MM` (`24:00` allowed as an end).
    pub fn parse(s: &str) -> Result<DailyHours> {
        let bad = || {
            Error::invalid(format!(
                "hours '{s}' are not HH:MM-HH:MM (e.g. 22:00-06:00)"
            ))
        };
        let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
        let hm = |t: &str, end: bool| -> Result<u16> {
            let (h, m) = t.trim().split_once(':').ok_or_else(bad)?;
            if h.len() != 2 || m.len() != 2 {
                return Err(bad());
            }
            let h: u16 = h.parse().map_err(|_| bad())?;
            let m: u16 = m.parse().map_err(|_| bad())?;
            if m > 59 || h > 24 || (h == 24 && (m != 0 || !end)) {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let (start_min, end_min) = (hm(a, false)?, hm(b, true)?);
        if start_min == end_min || (start_min == 0 && end_min == 1440) {
            return Err(Error::invalid(format!(
                "hours '{s}' cover the whole day or none of it: leave the hours out for all day"
            )));
        }
        Ok(DailyHours { start_min, end_min })
    }
    /// Whether the hours run past midnight.
    pub fn overnight(&self) -> bool {
        self.end_min < self.start_min
    }
    /// `HH:MM` of the start.
    pub fn start_hm(&self) -> String {
        format!("{:02}:{:02}", self.start_min / 60, self.start_min % 60)
    }
    /// `HH:MM` of the end.
    pub fn end_hm(&self) -> String {
        format!("{:02}:{:02}", self.end_min / 60, self.end_min % 60)
    }
    /// Minutes per day covered.
    pub fn minutes(&self) -> u32 {
        if self.overnight() {
            u32::from(1440 - self.start_min + self.end_min)
        } else {
            u32::from(self.end_min - self.start_min)
        }
    }
}

impl TryFrom<String> for DailyHours {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        DailyHours::parse(&s).map_err(|e| match e {
            Error::InvalidInput(m) => m,
            e => e.to_string(),
        })
    }
}

impl From<DailyHours> for String {
    fn from(h: DailyHours) -> String {
        h.to_string()
    }
}

impl fmt::Display for DailyHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start_hm(), self.end_hm())
    }
}

/// When an effect applies within its phase: daily hours and/or weekdays (both = those hours on
/// those days).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Daily hours; none = all day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<DailyHours>,
    /// Days of the week; empty = every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekdays: Vec<Weekday>,
}

impl Schedule {
    /// Checks that the schedule says something and names no day twice.
    pub fn validate(&self) -> Result<()> {
        if self.hours.is_none() && self.weekdays.is_empty() {
            return Err(Error::invalid(
                "a schedule needs hours and/or weekdays (leave it out for all the time)",
            ));
        }
        let mut days = self.weekdays.clone();
        days.sort();
        days.dedup();
        if days.len() != self.weekdays.len() {
            return Err(Error::invalid("weekdays: a day appears twice"));
        }
        if days.len() == 7 && self.hours.is_none() {
            return Err(Error::invalid(
                "weekdays: all seven days and no hours is no schedule (leave it out)",
            ));
        }
        Ok(())
    }

    /// Whether the effect applies at some time on `date` (weekday check; hours do not exclude
    /// a day).
    pub fn applies_on(&self, date: chrono::NaiveDate) -> bool {
        use chrono::Datelike;
        self.weekdays.is_empty()
            || self
                .weekdays
                .iter()
                .any(|d| d.to_chrono() == date.weekday())
    }

    /// Whether the effect is in force all day on the days it applies (no hours).
    pub fn all_day(&self) -> bool {
        self.hours.is_none()
    }

    /// Whether the effect is in force at some time of `date`: on its weekdays, and, for hours
    /// past midnight, the morning after one of them (a Friday night runs into Saturday).
    pub fn in_force_on(&self, date: chrono::NaiveDate) -> bool {
        self.applies_on(date)
            || (self.hours.is_some_and(|h| h.overnight())
                && date.pred_opt().is_some_and(|p| self.applies_on(p)))
    }

    /// Whether the effect is in force at `minute` after local midnight of `date`.
    pub fn in_force_at(&self, date: chrono::NaiveDate, minute: u16) -> bool {
        let yesterday = || date.pred_opt().is_some_and(|p| self.applies_on(p));
        match self.hours {
            None => self.applies_on(date),
            Some(h) if h.overnight() => {
                (minute >= h.start_min && self.applies_on(date))
                    || (minute < h.end_min && yesterday())
            }
            Some(h) => minute >= h.start_min && minute < h.end_min && self.applies_on(date),
        }
    }
}

/// Keeps the edges of `edges` that run in `dir` relative to the line `from` → `to`: an edge
/// runs forward when its own direction (tail → head) points the same way as the line (positive
/// dot product in a local metric projection).
pub fn keep_direction(
    net: &RoadNetwork,
    edges: &[EdgeId],
    from: [f64; 2],
    to: [f64; 2],
    dir: Direction,
) -> Vec<EdgeId> {
    let proj = LocalProjection::new(from[0], from[1]);
    let p = |lon: f64, lat: f64| proj.forward(geo_types::Coord { x: lon, y: lat });
    let a = p(from[0], from[1]);
    let b = p(to[0], to[1]);
    let line = [b[0] - a[0], b[1] - a[1]];
    edges
        .iter()
        .copied()
        .filter(|&e| {
            let ed = net.edge(e);
            let (t, h) = (net.node(ed.from), net.node(ed.to));
            let (t, h) = (p(t.lon, t.lat), p(h.lon, h.lat));
            let dot = (h[0] - t[0]) * line[0] + (h[1] - t[1]) * line[1];
            match dir {
                Direction::Forward => dot > 0.0,
                Direction::Backward => dot < 0.0,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_parse_and_wrap_past_midnight() {
        let h = DailyHours::parse("22:00-06:00").unwrap();
        assert!(h.overnight());
        assert_eq!(h.minutes(), 8 * 60);
        assert_eq!(h.to_string(), "22:00-06:00");
        let d = DailyHours::parse("09:30-16:00").unwrap();
        assert!(!d.overnight());
        assert_eq!(d.minutes(), 390);
        assert_eq!(DailyHours::parse("18:00-24:00").unwrap().end_min, 1440);
        for bad in [
            "25:00-06:00",
            "22:00",
            "2200-0600",
            "22:60-06:00",
            "24:00-06:00",
            "08:00-08:00",
            "00:00-24:00",
            "9:00-17:00",
        ] {
            assert!(DailyHours::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn night_hours_run_into_the_next_morning() {
        let s: Schedule =
            serde_json::from_str(r#"{"hours": "22:00-06:00", "weekdays": ["fri"]}"#).unwrap();
        let fri = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let sat = fri.succ_opt().unwrap();
        let sun = sat.succ_opt().unwrap();
        assert!(s.in_force_on(fri) && s.in_force_on(sat) && !s.in_force_on(sun));
        assert!(!s.in_force_at(fri, 21 * 60 + 59));
        assert!(s.in_force_at(fri, 22 * 60));
        assert!(s.in_force_at(sat, 5 * 60 + 59));
        assert!(!s.in_force_at(sat, 6 * 60));
        assert!(
            !s.in_force_at(sat, 23 * 60),
            "Saturday night is not a work night"
        );
        let day: Schedule = serde_json::from_str(r#"{"hours": "09:00-16:00"}"#).unwrap();
        assert!(day.in_force_at(sun, 9 * 60) && !day.in_force_at(sun, 16 * 60));
        let weekend: Schedule = serde_json::from_str(r#"{"weekdays": ["sat", "sun"]}"#).unwrap();
        assert!(weekend.in_force_at(sun, 3) && !weekend.in_force_at(fri, 12 * 60));
    }

    #[test]
    fn schedules_need_content_and_unique_days() {
        let s: Schedule = serde_json::from_str(r#"{"weekdays": ["sat", "sun"]}"#).unwrap();
        s.validate().unwrap();
        let sat = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert!(s.applies_on(sat));
        assert!(!s.applies_on(sat.succ_opt().unwrap().succ_opt().unwrap()));
        let e: Schedule = serde_json::from_str(r#"{}"#).unwrap();
        assert!(e.validate().is_err());
        let twice: Schedule = serde_json::from_str(r#"{"weekdays": ["mon", "mon"]}"#).unwrap();
        assert!(twice.validate().is_err());
        assert!(serde_json::from_str::<Schedule>(r#"{"weekdays": ["monday"]}"#).is_err());
        assert!(serde_json::from_str::<Schedule>(r#"{"hours": "22-06"}"#).is_err());
    }
}
