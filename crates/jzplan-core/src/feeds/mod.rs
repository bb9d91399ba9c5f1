//! Feeds for others: the works as road events, published as a WZDx 4.2 work-zone feed
//! ([`wzdx`]) and a Waze CIFS closure feed ([`cifs`]), and WZDx feeds read back into works
//! ([`wzdx_import`]).
//!
//! A **road event** is one direction of one stretch of a work's construction effects: the
//! directed edges a work changes in the same way (closed; N lanes open; a speed limit) under
//! the same schedule, chained in driving order, so that the first coordinate is where a driver
//! enters the works. A closed two-way street gives two events, one per direction. Planned
//! links (not built yet) and capacity-only changes (no lane, speed or closure a driver sees)
//! give none. Detours are the existing ones ([`crate::analysis::detour`], each work alone on
//! the base network), attached to the events of the stretch they go around.

pub mod cifs;
pub mod wzdx;
pub mod wzdx_import;

use crate::analysis::detour::{self, Detour, Outcome};
use crate::ids::LonLat;
use crate::network::{EdgeId, NodeId, RoadNetwork};
use crate::works::anchor::{one_direction, resolve_target};
use crate::works::{Action, DateRange, MAX_DATE, Phase, Schedule, Status, Work, WorkId};
use crate::{Error, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Jinzhou's clock: China Standard Time, UTC+8, no daylight saving. Work dates are local days.
pub const LOCAL_OFFSET_S: i32 = 8 * 3600;

/// The local time zone of work dates.
pub fn local_tz() -> FixedOffset {
    FixedOffset::east_opt(LOCAL_OFFSET_S).unwrap_or_else(|| FixedOffset::east_opt(0).unwrap())
}

/// Which works a feed publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedSpan {
    /// Works on site at some time of this day; scheduled effects give the hours of that day.
    Day(NaiveDate),
    /// Works whose construction window meets this range.
    Window(DateRange),
}

impl FeedSpan {
    /// From today on (the default of the feeds): works on site now or planned later.
    pub fn from(today: NaiveDate) -> FeedSpan {
        FeedSpan::Window(DateRange {
            start: today,
            end: MAX_DATE,
        })
    }
    /// The days covered.
    pub fn range(&self) -> DateRange {
        match *self {
            FeedSpan::Day(d) => DateRange { start: d, end: d },
            FeedSpan::Window(w) => w,
        }
    }
}

/// Who publishes a feed.
#[derive(Clone, Debug, PartialEq)]
pub struct Publisher {
    /// Organisation publishing the feed.
    pub publisher: String,
    /// Id of the data source (the works register).
    pub data_source_id: String,
    /// Organisation behind the data source.
    pub organization_name: String,
    /// When the feed was generated.
    pub generated: DateTime<Utc>,
}

impl Publisher {
    /// The default publisher: the works register of jzplan, generated at `now`.
    pub fn jzplan(now: DateTime<Utc>) -> Publisher {
        Publisher {
            publisher: "Jinzhou road works coordination (jzplan)".into(),
            data_source_id: "jzplan-works".into(),
            organization_name: "jzplan works register (plan records, estimates and submitted \
                                works; each event says where its record comes from)"
                .into(),
            generated: now,
        }
    }
}

/// What an event does to each of its edges, for a driver.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Impact {
    /// All lanes of this direction closed.
    pub closed: bool,
    /// Lanes of this direction (the network's).
    pub lanes: u8,
    /// Lanes left open (0 when closed).
    pub lanes_open: u8,
    /// Speed limit through the works, if one is set.
    pub speed_kmh: Option<f32>,
}

impl Impact {
    /// The WZDx `vehicle_impact`.
    pub fn vehicle_impact(&self) -> &'static str {
        if self.closed {
            "all-lanes-closed"
        } else if self.lanes_open < self.lanes {
            "some-lanes-closed"
        } else {
            "all-lanes-open"
        }
    }
    /// In words.
    pub fn describe(&self) -> String {
        let mut s = if self.closed {
            "closed".to_string()
        } else if self.lanes_open < self.lanes {
            format!("{} of {} lanes open", self.lanes_open, self.lanes)
        } else {
            "all lanes open".to_string()
        };
        if let Some(v) = self.speed_kmh {
            s.push_str(&format!(", {v} km/h"));
        }
        s
    }
}

/// One direction of one stretch of works.
#[derive(Clone, Debug, Serialize)]
pub struct RoadEvent {
    /// `<work>:<n>`, n from 1 in the order of the work's events.
    pub id: String,
    /// The work.
    pub work: WorkId,
    /// The directed edges, in driving order.
    pub edges: Vec<EdgeId>,
    /// Lon/lat in driving order (the first point is where a driver enters).
    pub geometry: Vec<LonLat>,
    /// Street names along the stretch (Chinese, then English), each once.
    pub road_names: Vec<String>,
    /// Display name of the first street.
    pub street: String,
    /// Street crossing where the event begins, if any.
    pub from_cross_street: Option<String>,
    /// Street crossing where it ends.
    pub to_cross_street: Option<String>,
    /// Compass heading of the direction of travel: northbound, eastbound, … (`undefined`
    /// for a loop).
    pub direction: &'static str,
    /// What it does.
    pub impact: Impact,
    /// Daily hours and weekdays, if the effect has a schedule.
    pub schedule: Option<Schedule>,
    /// When it starts (local time).
    pub start: DateTime<FixedOffset>,
    /// When it ends (local time).
    pub end: DateTime<FixedOffset>,
    /// The start has been confirmed.
    pub start_verified: bool,
    /// The end has been confirmed.
    pub end_verified: bool,
}

/// A detour around a closed stretch, with the events it serves.
#[derive(Clone, Debug, Serialize)]
pub struct DetourEvent {
    /// `<work>:d<n>`.
    pub id: String,
    /// The detour as computed.
    pub detour: Detour,
    /// The events of the stretch it goes around.
    pub serves: Vec<String>,
    /// Its heading.
    pub direction: &'static str,
}

/// The road events of the works of a span, with their works and detours.
#[derive(Clone, Debug)]
pub struct EventSet {
    /// The span asked for.
    pub span: FeedSpan,
    /// The works with at least one event, in id order.
    pub works: Vec<Work>,
    /// The events, by work then number.
    pub events: Vec<RoadEvent>,
    /// The detours.
    pub detours: Vec<DetourEvent>,
}

impl EventSet {
    /// The work of an event.
    pub fn work(&self, id: &WorkId) -> Option<&Work> {
        self.works.iter().find(|w| &w.id == id)
    }
}

/// Local start of a day.
fn at(d: NaiveDate, minutes: u32) -> DateTime<FixedOffset> {
    let tz = local_tz();
    let base = d
        .and_time(NaiveTime::MIN)
        .checked_add_signed(chrono::Duration::minutes(i64::from(minutes)))
        .unwrap_or_else(|| d.and_time(NaiveTime::MIN));
    tz.from_local_datetime(&base)
        .single()
        .unwrap_or_else(|| tz.from_utc_datetime(&base))
}

/// The compass direction of travel from `a` to `b`.
pub fn heading(a: LonLat, b: LonLat) -> &'static str {
    let dx = (b[0] - a[0]) * a[1].to_radians().cos();
    let dy = b[1] - a[1];
    if dx.abs() < 1e-12 && dy.abs() < 1e-12 {
        return "undefined";
    }
    let deg = dx.atan2(dy).to_degrees().rem_euclid(360.0);
    match deg {
        d if !(45.0..315.0).contains(&d) => "northbound",
        d if d < 135.0 => "eastbound",
        d if d < 225.0 => "southbound",
        _ => "westbound",
    }
}

/// Per directed edge, the impact of a work's construction effects that share one schedule.
fn impacts(
    net: &RoadNetwork,
    w: &Work,
    links: &HashMap<String, Vec<EdgeId>>,
) -> Vec<(Option<Schedule>, BTreeMap<EdgeId, Impact>)> {
    let mut groups: Vec<(Option<Schedule>, BTreeMap<EdgeId, Impact>)> = Vec::new();
    for e in w.effects.iter().filter(|e| e.phase == Phase::Construction) {
        let Ok((edges, _, _)) =
            resolve_target(net, &e.target, links).and_then(|r| one_direction(net, e, r))
        else {
            continue;
        };
        let gi = match groups.iter().position(|(s, _)| *s == e.schedule) {
            Some(i) => i,
            None => {
                groups.push((e.schedule.clone(), BTreeMap::new()));
                groups.len() - 1
            }
        };
        let map = &mut groups[gi].1;
        for id in edges {
            if id.index() >= net.edge_count() || net.edge(id).planned {
                continue;
            }
            let lanes = net.edge(id).lanes.max(1);
            let imp = map.entry(id).or_insert(Impact {
                closed: false,
                lanes,
                lanes_open: lanes,
                speed_kmh: None,
            });
            match &e.action {
                Action::Close | Action::Remove => {
                    imp.closed = true;
                    imp.lanes_open = 0;
                }
                Action::CutLanes { lanes: n } if !imp.closed => {
                    imp.lanes_open = imp.lanes_open.min(lanes.saturating_sub(*n).max(1));
                }
                Action::SetLanes { lanes: n } if !imp.closed => {
                    imp.lanes_open = imp.lanes_open.min((*n).max(1));
                }
                Action::SetSpeed { speed_kmh } => {
                    let v = net.edge(id).speed_kmh.min(*speed_kmh);
                    imp.speed_kmh = Some(imp.speed_kmh.map_or(v, |s| s.min(v)));
                }
                _ => {}
            }
        }
    }
    for (_, map) in &mut groups {
        map.retain(|_, i| i.closed || i.lanes_open < i.lanes || i.speed_kmh.is_some());
    }
    groups.retain(|(_, m)| !m.is_empty());
    groups
}

/// Chains directed edges into paths in driving order: a path starts at an edge that no other
/// edge of the set leads into (the twin, the way back, does not count) and follows the
/// lowest-numbered continuation; what is left (loops) starts at its lowest edge.
pub fn chains(net: &RoadNetwork, edges: &[EdgeId]) -> Vec<Vec<EdgeId>> {
    let set: HashSet<EdgeId> = edges.iter().copied().collect();
    let mut sorted: Vec<EdgeId> = set.iter().copied().collect();
    sorted.sort_unstable();
    let mut out_of: HashMap<NodeId, Vec<EdgeId>> = HashMap::new();
    for &e in &sorted {
        out_of.entry(net.edge(e).from).or_default().push(e);
    }
    let leads_into = |e: EdgeId| {
        let ed = net.edge(e);
        sorted.iter().any(|&f| {
            let fd = net.edge(f);
            f != e && fd.to == ed.from && fd.from != ed.to
        })
    };
    let starts: Vec<EdgeId> = sorted.iter().copied().filter(|&e| !leads_into(e)).collect();
    let mut used: HashSet<EdgeId> = HashSet::new();
    let mut out = Vec::new();
    let walk = |first: EdgeId, used: &mut HashSet<EdgeId>| {
        let mut path = vec![first];
        used.insert(first);
        let mut cur = first;
        loop {
            let cd = net.edge(cur);
            let next = out_of.get(&cd.to).and_then(|v| {
                v.iter()
                    .copied()
                    .find(|&g| !used.contains(&g) && net.edge(g).to != cd.from)
            });
            match next {
                Some(g) => {
                    used.insert(g);
                    path.push(g);
                    cur = g;
                }
                None => break,
            }
        }
        path
    };
    for s in starts {
        if !used.contains(&s) {
            out.push(walk(s, &mut used));
        }
    }
    for &e in &sorted {
        if !used.contains(&e) {
            out.push(walk(e, &mut used));
        }
    }
    out
}

/// Street names of a path, Chinese then English, each once.
fn road_names(net: &RoadNetwork, path: &[EdgeId]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for &e in path {
        let st = net.street_of(e);
        for n in [st.display_name(), st.name_en.as_str()] {
            if !n.is_empty() && !out.iter().any(|x| x == n) {
                out.push(n.to_string());
            }
        }
    }
    out
}

/// A street other than `own` meeting at `n`.
fn cross_street(net: &RoadNetwork, n: NodeId, own: &str) -> Option<String> {
    net.out_edges(n)
        .iter()
        .chain(net.in_edges(n))
        .filter(|&&e| !net.edge(e).planned)
        .map(|&e| net.street_of(e).display_name())
        .find(|s| !s.is_empty() && *s != own)
        .map(str::to_string)
}

/// Whether a work takes part in a feed of `span`: not cancelled, its window meets the span.
fn in_span(w: &Work, span: &FeedSpan) -> bool {
    w.status != Status::Cancelled && w.window().overlaps(&span.range())
}

/// Start and end of an event: the work's window (local days, the end day included), or on a
/// day of a [`FeedSpan::Day`] the hours of its schedule that day; on a day the schedule skips
/// but the night before ran into ([`Schedule::in_force_on`], as routing has it), that night
/// (from its evening the day before to its morning). `None` when the schedule leaves the day
/// out.
fn times(
    w: &Work,
    schedule: Option<&Schedule>,
    span: &FeedSpan,
) -> Option<(DateTime<FixedOffset>, DateTime<FixedOffset>)> {
    let win = w.window();
    let after_end = win.end.succ_opt().unwrap_or(win.end);
    match span {
        FeedSpan::Day(d) => {
            if let Some(s) = schedule
                && !s.in_force_on(*d)
            {
                return None;
            }
            match schedule.and_then(|s| s.hours) {
                Some(h) => {
                    // The night starting on the day, else (a skipped day) the one ending on it.
                    let start_day = if schedule.is_some_and(|s| s.applies_on(*d)) {
                        *d
                    } else {
                        d.pred_opt().unwrap_or(*d)
                    };
                    let end_day = if h.overnight() {
                        start_day.succ_opt().unwrap_or(start_day)
                    } else {
                        start_day
                    };
                    Some((
                        at(start_day, u32::from(h.start_min)),
                        at(end_day, u32::from(h.end_min)),
                    ))
                }
                None => Some((at(win.start, 0), at(after_end, 0))),
            }
        }
        FeedSpan::Window(_) => Some((at(win.start, 0), at(after_end, 0))),
    }
}

/// The road events of `works` in `span` on `net` (`links`: the planned links' edges), with the
/// detours of their closed stretches (each work alone on the base network).
pub fn road_events(
    net: &RoadNetwork,
    works: &[Work],
    links: &HashMap<String, Vec<EdgeId>>,
    span: FeedSpan,
) -> EventSet {
    let mut set = EventSet {
        span,
        works: Vec::new(),
        events: Vec::new(),
        detours: Vec::new(),
    };
    let mut sorted: Vec<&Work> = works.iter().filter(|w| in_span(w, &span)).collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for w in sorted {
        let mut n = 0;
        let before = set.events.len();
        for (schedule, map) in impacts(net, w, links) {
            let Some((start, end)) = times(w, schedule.as_ref(), &span) else {
                continue;
            };
            // Chain edges that are changed alike: same impact, same lanes.
            let mut kinds: Vec<(Impact, Vec<EdgeId>)> = Vec::new();
            for (&e, imp) in &map {
                match kinds.iter_mut().find(|(k, _)| k == imp) {
                    Some((_, v)) => v.push(e),
                    None => kinds.push((*imp, vec![e])),
                }
            }
            let mut paths: Vec<(Impact, Vec<EdgeId>)> = kinds
                .into_iter()
                .flat_map(|(imp, edges)| chains(net, &edges).into_iter().map(move |p| (imp, p)))
                .collect();
            paths.sort_by_key(|(_, p)| p[0]);
            for (impact, path) in paths {
                n += 1;
                let geometry = detour::path_geometry(net, &path);
                let (Some(&first), Some(&last)) = (geometry.first(), geometry.last()) else {
                    continue;
                };
                let street = net.street_of(path[0]).display_name().to_string();
                let last_street = net
                    .street_of(*path.last().unwrap_or(&path[0]))
                    .display_name()
                    .to_string();
                set.events.push(RoadEvent {
                    id: format!("{}:{n}", w.id),
                    work: w.id.clone(),
                    road_names: road_names(net, &path),
                    from_cross_street: cross_street(net, net.edge(path[0]).from, &street),
                    to_cross_street: path
                        .last()
                        .and_then(|&e| cross_street(net, net.edge(e).to, &last_street)),
                    street,
                    direction: heading(first, last),
                    edges: path,
                    geometry,
                    impact,
                    schedule: schedule.clone(),
                    start,
                    end,
                    start_verified: w.start_verified || w.actual_start.is_some(),
                    end_verified: w.end_verified || w.actual_end.is_some(),
                });
            }
        }
        if set.events.len() > before {
            set.works.push(w.clone());
        }
    }
    attach_detours(net, links, &mut set);
    set
}

/// Detours of the closed stretches of the set's works, each linked to the events whose edges
/// it goes around.
fn attach_detours(net: &RoadNetwork, links: &HashMap<String, Vec<EdgeId>>, set: &mut EventSet) {
    let mut effects = HashMap::new();
    for w in &set.works {
        let mut att = crate::works::anchor::Attachment {
            links: links.clone(),
            ..Default::default()
        };
        att.resolve_work(net, w);
        if let Some(e) = att.effects.remove(&w.id) {
            effects.insert(w.id.clone(), e);
        }
    }
    let mut n_of: HashMap<WorkId, usize> = HashMap::new();
    for d in detour::detours(net, &set.works, &effects) {
        if d.outcome != Outcome::Detour || d.geometry.len() < 2 {
            continue;
        }
        let closed: HashSet<EdgeId> = d.closed_edges.iter().copied().collect();
        let serves: Vec<String> = set
            .events
            .iter()
            .filter(|e| e.work == d.work && e.edges.iter().any(|x| closed.contains(x)))
            .map(|e| e.id.clone())
            .collect();
        if serves.is_empty() {
            continue;
        }
        let n = n_of.entry(d.work.clone()).or_insert(0);
        *n += 1;
        let direction = heading(d.geometry[0], d.geometry[d.geometry.len() - 1]);
        set.detours.push(DetourEvent {
            id: format!("{}:d{n}", d.work),
            detour: d,
            serves,
            direction,
        });
    }
}

/// Parses the `window` (`START..END`, both days included) and `date` (`YYYY-MM-DD`) of a feed
/// query into a span; neither = from `today` on.
pub fn span_of(date: Option<&str>, window: Option<&str>, today: NaiveDate) -> Result<FeedSpan> {
    match (date, window) {
        (Some(_), Some(_)) => Err(Error::invalid("give date or window, not both")),
        (Some(d), None) => Ok(FeedSpan::Day(crate::works::parse_date(d)?)),
        (None, Some(w)) => {
            let (a, b) = w.split_once("..").ok_or_else(|| {
                Error::invalid(format!(
                    "window '{w}' is not START..END (e.g. 2022-04-01..2022-10-31)"
                ))
            })?;
            let start = if a.trim().is_empty() {
                crate::works::MIN_DATE
            } else {
                crate::works::parse_date(a)?
            };
            let end = if b.trim().is_empty() {
                MAX_DATE
            } else {
                crate::works::parse_date(b)?
            };
            Ok(FeedSpan::Window(DateRange::new(start, end)?))
        }
        (None, None) => Ok(FeedSpan::from(today)),
    }
}

/// Day names of the CIFS schedule, Monday first.
pub(crate) const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Per weekday (Monday first), the local time ranges a schedule covers that day: hours past
/// midnight carry into the next day (`22:00-06:00` on Monday gives Monday 22:00–23:59 and
/// Tuesday 00:00–06:00).
pub fn weekly_ranges(s: &Schedule) -> [Vec<(u16, u16)>; 7] {
    let mut out: [Vec<(u16, u16)>; 7] = Default::default();
    let days: Vec<usize> = if s.weekdays.is_empty() {
        (0..7).collect()
    } else {
        s.weekdays
            .iter()
            .map(|d| d.to_chrono().num_days_from_monday() as usize)
            .collect()
    };
    for d in days {
        match s.hours {
            None => out[d].push((0, 1440)),
            Some(h) if h.overnight() => {
                out[d].push((h.start_min, 1440));
                out[(d + 1) % 7].push((0, h.end_min));
            }
            Some(h) => out[d].push((h.start_min, h.end_min)),
        }
    }
    for v in &mut out {
        v.sort_unstable();
    }
    out
}

/// `HH:MM`, with the end of the day as `23:59`.
pub(crate) fn hm(min: u16) -> String {
    let m = min.min(1439);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// A schedule in words: `22:00-06:00 mon, tue` or `every day 22:00-06:00`.
pub fn schedule_text(s: &Schedule) -> String {
    let days = if s.weekdays.is_empty() {
        "every day".to_string()
    } else {
        s.weekdays
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match s.hours {
        Some(h) => format!("{days} {h}"),
        None => days,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{EdgeSpec, NetworkBuilder, RoadClass};

    /// A straight two-way street of three segments, west to east: 0 – 1 – 2 – 3.
    fn street() -> RoadNetwork {
        let mut b = NetworkBuilder::new("test");
        let s = b.add_street("t:main", "主街", "Main Street");
        let n: Vec<NodeId> = (0..4)
            .map(|i| b.add_node(121.0 + 0.01 * f64::from(i), 41.0).unwrap())
            .collect();
        for w in n.windows(2) {
            b.add_road(
                EdgeSpec::new(w[0], w[1], s, RoadClass::Primary, "test"),
                false,
            )
            .unwrap();
        }
        b.build().unwrap()
    }

    #[test]
    fn a_two_way_stretch_chains_into_one_path_per_direction() {
        let net = street();
        let all: Vec<EdgeId> = (0..net.edge_count()).map(EdgeId::from_index).collect();
        let cs = chains(&net, &all);
        assert_eq!(cs.len(), 2, "{cs:?}");
        for c in &cs {
            assert_eq!(c.len(), 3);
            for w in c.windows(2) {
                assert_eq!(net.edge(w[0]).to, net.edge(w[1]).from, "driving order");
            }
        }
        let dirs: Vec<&str> = cs
            .iter()
            .map(|c| {
                let g = detour::path_geometry(&net, c);
                heading(g[0], g[g.len() - 1])
            })
            .collect();
        assert!(dirs.contains(&"eastbound") && dirs.contains(&"westbound"));
    }

    #[test]
    fn headings_follow_the_compass() {
        assert_eq!(heading([121.0, 41.0], [121.0, 41.1]), "northbound");
        assert_eq!(heading([121.0, 41.0], [121.1, 41.0]), "eastbound");
        assert_eq!(heading([121.0, 41.0], [121.0, 40.9]), "southbound");
        assert_eq!(heading([121.0, 41.0], [120.9, 41.01]), "westbound");
        assert_eq!(heading([121.0, 41.0], [121.0, 41.0]), "undefined");
    }

    #[test]
    fn night_hours_carry_into_the_next_day() {
        let s: Schedule =
            serde_json::from_str(r#"{"hours": "22:00-06:00", "weekdays": ["fri"]}"#).unwrap();
        let r = weekly_ranges(&s);
        assert_eq!(r[4], vec![(22 * 60, 1440)]);
        assert_eq!(r[5], vec![(0, 6 * 60)]);
        assert!(r[0].is_empty());
        assert_eq!(hm(1440), "23:59");
    }

    #[test]
    fn spans_parse_and_refuse_both() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(span_of(None, None, today).unwrap().range().start, today);
        assert!(span_of(Some("2022-06-01"), Some("2022-01-01..2022-12-31"), today).is_err());
        assert!(span_of(None, Some("2022-06-01"), today).is_err());
        assert!(span_of(None, Some("2022-12-01..2022-01-01"), today).is_err());
        let w = span_of(None, Some("2022-01-01.."), today).unwrap().range();
        assert_eq!(w.end, MAX_DATE);
    }
}
