//! Reads a WZDx 4.x work-zone feed into works: the round trip of [`super::wzdx`], and the way
//! to take in another authority's feed.
//!
//! - **Grouping.** Road events become works: an id `WORK:N` (jzplan's own feeds) names its
//!   work; other work-zone events are grouped along their `related-work-zone`, sequence and
//!   occurrence links, and a group takes the id of its first event (letters, digits, `-`, `_`,
//!   `.`; other characters become `-`, 40 at most). Detour events are not works (jzplan
//!   computes its detours): they are counted and left out.
//! - **Dates.** The work's window runs from the local day (UTC+8) of the earliest start to the
//!   local day of the latest end (an end at local midnight ends the day before);
//!   `is_start_date_verified` (or `start_date_accuracy: verified`) sets `start_verified`, and
//!   likewise for the end. A verified start on or before today makes the work under
//!   construction with that actual start, a verified end on or before today completed; the
//!   deprecated `event_status` is followed where given; otherwise the work is proposed.
//! - **Effects**, one per event, construction phase: `all-lanes-closed` → `close`;
//!   `some-lanes-closed…` → `cut_lanes` by the closed drivable lanes of `lanes[]` (general,
//!   exit, entrance lanes; 1 when `lanes[]` says nothing, and the notes say so);
//!   `alternating-one-way`, `flagging`, `temporary-traffic-signal` → `set_lanes 1`;
//!   `reduced_speed_limit_kph` → `set_speed`; `all-lanes-open…` and `unknown` change no lane.
//!   Where: when the event's geometry lies on the loaded network (every vertex of a street's
//!   edge within 10 m of it, the edge running the event's way, its street among the
//!   `road_names`) the effect targets those edges exactly; otherwise a street anchor from the
//!   first to the last point (`direction: forward`, the driving order), which attaches where
//!   the street exists and is reported unmatched elsewhere.
//! - **Kind** from the first `types_of_work`: below-road-work → pipe_renewal,
//!   roadway-creation → new_road, roadway-relocation → realignment, anything else → repair.
//! - **Provenance**: `source`, `status_source` and `dates_source` are
//!   `import:wzdx:<publisher>/<data source>`; the events' descriptions go to `notes`.

use super::local_tz;
use crate::ids::LonLat;
use crate::network::geom::LocalProjection;
use crate::network::{EdgeId, RoadNetwork};
use crate::works::anchor::street_matches;
use crate::works::{
    Action, DateRange, Direction, Effect, Phase, Status, StreetAnchor, Target, Work, WorkGeometry,
    WorkId, WorkKind,
};
use crate::{Error, Result};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// Most effects (events) one imported work may have.
pub const MAX_EVENTS_PER_WORK: usize = 64;
/// How far (metres) an edge's vertices may lie from an event's line to be matched.
pub const MATCH_TOLERANCE_M: f64 = 10.0;

/// A work read from a feed.
#[derive(Clone, Debug, Serialize)]
pub struct ImportedWork {
    /// The work record.
    pub work: Work,
    /// The feed's event ids it comes from.
    pub events: Vec<String>,
    /// Effects whose geometry matched edges of the network.
    pub matched_effects: usize,
    /// Assumptions made.
    pub notes: Vec<String>,
}

/// A feed read into works.
#[derive(Clone, Debug, Serialize)]
pub struct ImportedFeed {
    /// `<publisher>/<data source id>`.
    pub feed: String,
    /// The works, in the order of their first event.
    pub works: Vec<ImportedWork>,
    /// Detour events left out.
    pub detours: Vec<String>,
}

/// One parsed road event.
struct Ev {
    id: String,
    road_names: Vec<String>,
    name: Option<String>,
    description: Option<String>,
    start: DateTime<FixedOffset>,
    end: DateTime<FixedOffset>,
    start_verified: bool,
    end_verified: bool,
    status: Option<String>,
    vehicle_impact: String,
    lanes: Option<(u8, u8)>,
    speed_kmh: Option<f64>,
    type_of_work: Option<(String, bool)>,
    coords: Vec<LonLat>,
    links: Vec<String>,
}

fn err(path: &str, m: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{path}: {m}"))
}

fn get_str<'a>(v: &'a Value, key: &str, path: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| err(&format!("{path}.{key}"), "missing or not a string"))
}

fn date_time(v: &Value, key: &str, path: &str) -> Result<DateTime<FixedOffset>> {
    let s = get_str(v, key, path)?;
    DateTime::parse_from_rfc3339(s).map_err(|e| {
        err(
            &format!("{path}.{key}"),
            format!("'{s}' is not RFC 3339 ({e})"),
        )
    })
}

fn verified(p: &Value, flag: &str, accuracy: &str) -> bool {
    p.get(flag).and_then(Value::as_bool).unwrap_or(false)
        || p.get(accuracy).and_then(Value::as_str) == Some("verified")
}

fn coords(g: &Value, path: &str) -> Result<Vec<LonLat>> {
    let t = get_str(g, "type", path)?;
    if t != "LineString" && t != "MultiPoint" {
        return Err(err(
            &format!("{path}.type"),
            format!("'{t}' is not LineString or MultiPoint"),
        ));
    }
    let arr = g
        .get("coordinates")
        .and_then(Value::as_array)
        .ok_or_else(|| err(&format!("{path}.coordinates"), "missing or not an array"))?;
    let mut out: Vec<LonLat> = Vec::with_capacity(arr.len());
    for (i, c) in arr.iter().enumerate() {
        let p = format!("{path}.coordinates[{i}]");
        let (Some(x), Some(y)) = (
            c.get(0).and_then(Value::as_f64),
            c.get(1).and_then(Value::as_f64),
        ) else {
            return Err(err(&p, "not a [lon, lat] position"));
        };
        if !crate::network::geom::valid_lon_lat(x, y) {
            return Err(err(&p, format!("{x},{y} is not a valid WGS84 lon/lat")));
        }
        if out.last() != Some(&[x, y]) {
            out.push([x, y]);
        }
    }
    if out.len() < 2 {
        return Err(err(
            &format!("{path}.coordinates"),
            "needs at least two distinct points",
        ));
    }
    Ok(out)
}

const DRIVABLE: [&str; 3] = ["general", "exit-lane", "entrance-lane"];

fn lanes(p: &Value, path: &str) -> Result<Option<(u8, u8)>> {
    let Some(list) = p.get("lanes") else {
        return Ok(None);
    };
    let list = list
        .as_array()
        .ok_or_else(|| err(&format!("{path}.lanes"), "not an array"))?;
    let (mut closed, mut total) = (0u8, 0u8);
    for (i, l) in list.iter().enumerate() {
        let lp = format!("{path}.lanes[{i}]");
        let t = get_str(l, "type", &lp)?;
        let s = get_str(l, "status", &lp)?;
        if DRIVABLE.contains(&t) {
            total = total.saturating_add(1);
            if s == "closed" {
                closed = closed.saturating_add(1);
            }
        }
    }
    Ok((total > 0).then_some((closed, total)))
}

fn parse_event(f: &Value, i: usize) -> Result<(String, Option<Ev>)> {
    let path = format!("features[{i}]");
    let id = get_str(f, "id", &path)?.to_string();
    let p = f
        .get("properties")
        .filter(|p| p.is_object())
        .ok_or_else(|| err(&format!("{path}.properties"), "missing or not an object"))?;
    let pp = format!("{path}.properties");
    let cd = p
        .get("core_details")
        .filter(|c| c.is_object())
        .ok_or_else(|| err(&format!("{pp}.core_details"), "missing or not an object"))?;
    let cdp = format!("{pp}.core_details");
    let kind = get_str(cd, "event_type", &cdp)?;
    match kind {
        "work-zone" => {}
        "detour" => return Ok((id, None)),
        other => {
            return Err(err(
                &format!("{cdp}.event_type"),
                format!("'{other}' is not work-zone or detour"),
            ));
        }
    }
    let road_names: Vec<String> = cd
        .get("road_names")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if road_names.is_empty() {
        return Err(err(&format!("{cdp}.road_names"), "needs at least one name"));
    }
    let start = date_time(p, "start_date", &pp)?;
    let end = date_time(p, "end_date", &pp)?;
    if end < start {
        return Err(err(
            &format!("{pp}.end_date"),
            format!("{end} is before the start {start}"),
        ));
    }
    let links = cd
        .get("related_road_events")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|r| {
                    matches!(
                        r.get("type").and_then(Value::as_str),
                        Some(
                            "related-work-zone"
                                | "first-in-sequence"
                                | "next-in-sequence"
                                | "first-occurrence"
                                | "next-occurrence"
                        )
                    )
                })
                .filter_map(|r| r.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let speed_kmh = match p.get("reduced_speed_limit_kph") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_f64()
                .ok_or_else(|| err(&format!("{pp}.reduced_speed_limit_kph"), "not a number"))?,
        ),
    };
    let type_of_work = p
        .get("types_of_work")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|t| {
            Some((
                t.get("type_name")?.as_str()?.to_string(),
                t.get("is_architectural_change")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ))
        });
    let geometry = f
        .get("geometry")
        .filter(|g| g.is_object())
        .ok_or_else(|| err(&format!("{path}.geometry"), "missing or not an object"))?;
    Ok((
        id.clone(),
        Some(Ev {
            id,
            road_names,
            name: cd.get("name").and_then(Value::as_str).map(str::to_string),
            description: cd
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string),
            start,
            end,
            start_verified: verified(p, "is_start_date_verified", "start_date_accuracy"),
            end_verified: verified(p, "is_end_date_verified", "end_date_accuracy"),
            status: p
                .get("event_status")
                .and_then(Value::as_str)
                .map(str::to_string),
            vehicle_impact: get_str(p, "vehicle_impact", &pp)?.to_string(),
            lanes: lanes(p, &pp)?,
            speed_kmh,
            type_of_work,
            coords: coords(geometry, &format!("{path}.geometry"))?,
            links,
        }),
    ))
}

/// A work id from an event id: `WORK:N` names its work.
fn own_work_id(id: &str) -> Option<WorkId> {
    let (w, n) = id.rsplit_once(':')?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .then(|| WorkId::parse(w).ok())
        .flatten()
}

/// An event id made a valid work id.
fn sanitize(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    if s.is_empty() { "wzdx".into() } else { s }
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    let mut j = i;
    while parent[j] != r {
        let next = parent[j];
        parent[j] = r;
        j = next;
    }
    r
}

/// Groups events into works: (work id, event indices), in order of the first event.
fn groups(evs: &[Ev]) -> Vec<(String, Vec<usize>)> {
    let mut parent: Vec<usize> = (0..evs.len()).collect();
    let index: HashMap<&str, usize> = evs
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id.as_str(), i))
        .collect();
    let own: Vec<Option<WorkId>> = evs.iter().map(|e| own_work_id(&e.id)).collect();
    for (i, e) in evs.iter().enumerate() {
        if own[i].is_some() {
            continue;
        }
        for l in &e.links {
            if let Some(&j) = index.get(l.as_str())
                && own[j].is_none()
            {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    let mut key_of: HashMap<String, usize> = HashMap::new();
    for i in 0..evs.len() {
        let key = match &own[i] {
            Some(w) => format!("own:{w}"),
            None => format!("grp:{}", find(&mut parent, i)),
        };
        match key_of.get(&key) {
            Some(&g) => out[g].1.push(i),
            None => {
                let id = match &own[i] {
                    Some(w) => w.to_string(),
                    None => sanitize(&evs[i].id),
                };
                key_of.insert(key, out.len());
                out.push((id, vec![i]));
            }
        }
    }
    // Sanitized ids of different groups may collide: number the later ones.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (id, _) in &mut out {
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let suffix = format!("-{n}");
            let keep = 40usize.saturating_sub(suffix.len()).min(id.len());
            *id = format!("{}{suffix}", &id[..keep]);
        }
    }
    out
}

fn local_day(t: &DateTime<FixedOffset>, is_end: bool) -> NaiveDate {
    let l = t.with_timezone(&local_tz());
    let d = l.date_naive();
    if is_end && l.time() == NaiveTime::MIN {
        d.pred_opt().unwrap_or(d)
    } else {
        d
    }
}

fn kind_of(t: Option<&(String, bool)>) -> WorkKind {
    match t.map(|(n, _)| n.as_str()) {
        Some("below-road-work") => WorkKind::PipeRenewal,
        Some("roadway-creation") => WorkKind::NewRoad,
        Some("roadway-relocation") => WorkKind::Realignment,
        _ => WorkKind::Repair,
    }
}

/// The directed edges of `net` lying along `line` (every vertex within `tol_m`, running the
/// line's way, on a street named in `names`), in driving order.
pub fn match_edges(
    net: &RoadNetwork,
    line: &[LonLat],
    names: &[String],
    tol_m: f64,
) -> Vec<EdgeId> {
    let Some(first) = line.first() else {
        return Vec::new();
    };
    let proj = LocalProjection::new(first[0], first[1]);
    let p = |c: [f64; 2]| proj.forward(geo_types::Coord { x: c[0], y: c[1] });
    let pts: Vec<[f64; 2]> = line.iter().map(|c| p(*c)).collect();
    let mut acc = vec![0.0];
    for w in pts.windows(2) {
        let l = ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt();
        acc.push(acc[acc.len() - 1] + l);
    }
    // Distance to the line and position along it.
    let locate = |q: [f64; 2]| -> (f64, f64) {
        let mut best = (f64::INFINITY, 0.0);
        for (k, w) in pts.windows(2).enumerate() {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let l2 = dx * dx + dy * dy;
            let t = if l2 > 0.0 {
                (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / l2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let d = ((q[0] - a[0] - t * dx).powi(2) + (q[1] - a[1] - t * dy).powi(2)).sqrt();
            if d < best.0 {
                best = (d, acc[k] + t * l2.sqrt());
            }
        }
        best
    };
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for q in &pts {
        for k in 0..2 {
            lo[k] = lo[k].min(q[k] - tol_m);
            hi[k] = hi[k].max(q[k] + tol_m);
        }
    }
    let mut found: Vec<(f64, EdgeId)> = Vec::new();
    for (i, e) in net.edges().iter().enumerate() {
        let id = EdgeId::from_index(i);
        if e.planned || !street_matches(net, id, names) {
            continue;
        }
        let vs: Vec<[f64; 2]> = e.geometry.0.iter().map(|c| p([c.x, c.y])).collect();
        if vs
            .iter()
            .any(|v| v[0] < lo[0] || v[0] > hi[0] || v[1] < lo[1] || v[1] > hi[1])
        {
            continue;
        }
        let located: Vec<(f64, f64)> = vs.iter().map(|v| locate(*v)).collect();
        if located.iter().any(|(d, _)| *d > tol_m) {
            continue;
        }
        let (s_tail, s_head) = (located[0].1, located[located.len() - 1].1);
        if s_head > s_tail + 1e-6 {
            found.push((s_tail, id));
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    found.into_iter().map(|(_, e)| e).collect()
}

fn effect(ev: &Ev, net: &RoadNetwork, notes: &mut Vec<String>) -> (Vec<Effect>, bool) {
    let edges = match_edges(net, &ev.coords, &ev.road_names, MATCH_TOLERANCE_M);
    let matched = !edges.is_empty();
    let target = if matched {
        Target::Edges { edges }
    } else {
        Target::Street(StreetAnchor {
            streets: ev.road_names.clone(),
            from: ev.coords[0],
            to: ev.coords.last().copied(),
            radius_m: 100.0,
        })
    };
    let direction = (!matched).then_some(Direction::Forward);
    let mut actions = Vec::new();
    match ev.vehicle_impact.as_str() {
        "all-lanes-closed" => actions.push(Action::Close),
        v if v.starts_with("some-lanes-closed") => {
            let n = match ev.lanes {
                Some((closed, _)) if closed > 0 => closed,
                _ => {
                    notes.push(format!(
                        "{}: {v} without closed lanes in lanes[]: one lane assumed",
                        ev.id
                    ));
                    1
                }
            };
            actions.push(Action::CutLanes { lanes: n.min(8) });
        }
        "alternating-one-way" | "flagging" | "temporary-traffic-signal" => {
            notes.push(format!(
                "{}: {} taken as one lane left in this direction",
                ev.id, ev.vehicle_impact
            ));
            actions.push(Action::SetLanes { lanes: 1 });
        }
        _ => {}
    }
    if let Some(v) = ev.speed_kmh {
        if v > 0.0 && v <= 200.0 {
            actions.push(Action::SetSpeed {
                speed_kmh: v as f32,
            });
        } else {
            notes.push(format!("{}: speed limit {v} km/h left out", ev.id));
        }
    }
    let effects = actions
        .into_iter()
        .map(|action| Effect {
            phase: Phase::Construction,
            action,
            target: target.clone(),
            direction,
            schedule: None,
        })
        .collect();
    (effects, matched)
}

fn status_of(
    evs: &[&Ev],
    window: DateRange,
    today: NaiveDate,
) -> (Status, Option<NaiveDate>, Option<NaiveDate>) {
    let first = evs.iter().min_by_key(|e| e.start);
    let last = evs.iter().max_by_key(|e| e.end);
    let start_ok = first.is_some_and(|e| e.start_verified) && window.start <= today;
    let end_ok = last.is_some_and(|e| e.end_verified) && window.end <= today;
    let said = evs.iter().find_map(|e| e.status.as_deref());
    match said {
        Some("cancelled") => (Status::Cancelled, None, None),
        Some("completed") if window.end <= today => {
            (Status::Completed, Some(window.start), Some(window.end))
        }
        Some("active") if window.start <= today => {
            (Status::UnderConstruction, Some(window.start), None)
        }
        Some("planned" | "pending") => (Status::Proposed, None, None),
        _ if start_ok && end_ok => (Status::Completed, Some(window.start), Some(window.end)),
        _ if start_ok => (Status::UnderConstruction, Some(window.start), None),
        _ => (Status::Proposed, None, None),
    }
}

/// Reads a WZDx feed (a WorkZoneFeed FeatureCollection) into works on `net`. Every feature is
/// checked; a bad one refuses the whole feed, naming it (`features[3].properties.start_date:
/// …`).
pub fn read(feed: &Value, net: &RoadNetwork, today: NaiveDate) -> Result<ImportedFeed> {
    if feed.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(Error::invalid(
            "a WZDx feed is a GeoJSON FeatureCollection (type: FeatureCollection)",
        ));
    }
    let info = feed
        .get("feed_info")
        .or_else(|| feed.get("road_event_feed_info"))
        .ok_or_else(|| err("feed_info", "missing"))?;
    let publisher = get_str(info, "publisher", "feed_info")?;
    let ds = info
        .get("data_sources")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(|d| d.get("data_source_id"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let feed_name = if ds.is_empty() {
        publisher.to_string()
    } else {
        format!("{publisher}/{ds}")
    };
    let features = feed
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| err("features", "missing or not an array"))?;
    let mut evs = Vec::new();
    let mut detours = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (i, f) in features.iter().enumerate() {
        let (id, ev) = parse_event(f, i)?;
        if !ids.insert(id.clone()) {
            return Err(err(
                &format!("features[{i}].id"),
                format!("'{id}' appears twice"),
            ));
        }
        match ev {
            Some(e) => evs.push(e),
            None => detours.push(id),
        }
    }
    let source = format!("import:wzdx:{feed_name}");
    let mut works = Vec::new();
    for (id, members) in groups(&evs) {
        let group: Vec<&Ev> = members.iter().map(|&i| &evs[i]).collect();
        if group.len() > MAX_EVENTS_PER_WORK {
            return Err(Error::TooBig(format!(
                "work {id}: {} events, at most {MAX_EVENTS_PER_WORK}",
                group.len()
            )));
        }
        let work_id = WorkId::parse(&id)?;
        let start = group.iter().map(|e| local_day(&e.start, false)).min();
        let end = group.iter().map(|e| local_day(&e.end, true)).max();
        let (Some(start), Some(end)) = (start, end) else {
            continue;
        };
        let window = DateRange::new(start, end.max(start))
            .map_err(|e| Error::invalid(format!("work {id}: {e}")))?;
        let (status, actual_start, actual_end) = status_of(&group, window, today);
        let mut notes = Vec::new();
        let mut effects = Vec::new();
        let mut matched = 0;
        for e in &group {
            let (eff, m) = effect(e, net, &mut notes);
            matched += usize::from(m && !eff.is_empty());
            effects.extend(eff);
        }
        let lines: Vec<Vec<LonLat>> = group.iter().map(|e| e.coords.clone()).collect();
        let geometry = if lines.len() == 1 {
            WorkGeometry::LineString(lines[0].clone())
        } else {
            WorkGeometry::MultiLineString(lines)
        };
        let name = group
            .iter()
            .find_map(|e| e.name.clone())
            .or_else(|| group.iter().find_map(|e| e.description.clone()))
            .unwrap_or_else(|| format!("WZDx road event {}", group[0].id));
        let descriptions: Vec<String> = group
            .iter()
            .map(|e| match &e.description {
                Some(d) => format!("{}: {d}", e.id),
                None => e.id.clone(),
            })
            .collect();
        if group.len() > 1 {
            notes.push(format!("{} road events in one work", group.len()));
        }
        let work = Work {
            id: work_id,
            parent: None,
            name_zh: String::new(),
            name_en: name.chars().take(200).collect(),
            kind: kind_of(group.iter().find_map(|e| e.type_of_work.as_ref())),
            status,
            status_source: source.clone(),
            planned: window,
            actual_start,
            actual_end,
            dates_source: source.clone(),
            geometry: Some(geometry),
            effects,
            budget: None,
            hotspot: None,
            source: source.clone(),
            seed_quote: String::new(),
            notes: descriptions.join("\n").chars().take(2000).collect(),
            version: 0,
            promoter: None,
            emergency: false,
            start_verified: group
                .iter()
                .min_by_key(|e| e.start)
                .is_some_and(|e| e.start_verified),
            end_verified: group
                .iter()
                .max_by_key(|e| e.end)
                .is_some_and(|e| e.end_verified),
        };
        work.validate()?;
        works.push(ImportedWork {
            events: group.iter().map(|e| e.id.clone()).collect(),
            work,
            matched_effects: matched,
            notes,
        });
    }
    Ok(ImportedFeed {
        feed: feed_name,
        works,
        detours,
    })
}

/// What an import did with each work.
#[derive(Clone, Debug, Serialize)]
pub struct ImportItem {
    /// The work.
    pub id: WorkId,
    /// `created`, `exists` (left alone: edit it instead) or `checked` (dry run).
    pub outcome: &'static str,
    /// The feed's events.
    pub events: Vec<String>,
    /// Effects recorded.
    pub effects: usize,
    /// Events whose geometry matched the network's edges.
    pub matched_effects: usize,
    /// Assumptions made.
    pub notes: Vec<String>,
}

/// The result of an import.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// `<publisher>/<data source id>`.
    pub feed: String,
    /// Per work.
    pub works: Vec<ImportItem>,
    /// Detour events left out (jzplan computes detours).
    pub detours_left_out: Vec<String>,
}

/// Stores the works of a read feed in `book` (new ids only; an existing id is left alone and
/// reported), each a creation in the change feed, or only reports them with `dry_run`.
pub fn store(
    net: &RoadNetwork,
    book: &crate::works::engine::WorksBook,
    feed: ImportedFeed,
    actor: &str,
    dry_run: bool,
) -> Result<ImportReport> {
    let store = book.store()?;
    let mut items = Vec::new();
    for iw in feed.works {
        let exists = store.get_work(&iw.work.id).is_ok();
        let outcome = if exists {
            "exists"
        } else if dry_run {
            "checked"
        } else {
            // Through the change feed: an imported work is a creation like any other.
            crate::works::feed::create_work(
                book,
                net,
                &iw.work,
                actor,
                &format!("imported from WZDx feed {}", feed.feed),
            )?;
            "created"
        };
        items.push(ImportItem {
            id: iw.work.id.clone(),
            outcome,
            events: iw.events,
            effects: iw.work.effects.len(),
            matched_effects: iw.matched_effects,
            notes: iw.notes,
        });
    }
    Ok(ImportReport {
        feed: feed.feed,
        works: items,
        detours_left_out: feed.detours,
    })
}
