//! Works as records submitted by people: every field of a JSON record checked, and a bad
//! record refused whole with the field named (`effects[1].schedule.hours: …`). Nothing here
//! touches the store; [`super::edit`] runs these checks before anything is written.
//!
//! Checks, in order: the body is an object with known fields only (at every level); it
//! deserializes (the path of a wrong type or unknown value is named); every field holds a
//! sensible value ([`check_record`]); and on the engine's network ([`check_on_network`]) the
//! geometry lies near a road and every effect finds its street.

use super::anchor;
use super::{Action, Effect, Phase, Status, Target, Work, WorkGeometry, WorkId, check_date};
use crate::network::{EdgeId, RoadNetwork};
use crate::{Error, Result};
use chrono::NaiveDate;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Most effects a work may have.
pub const MAX_EFFECTS: usize = 64;
/// Most coordinates in a work's geometry.
pub const MAX_COORDS: usize = 5_000;
/// Farthest a work's geometry may lie from every road (metres) before it is "off the network".
pub const MAX_OFF_NETWORK_M: f64 = 300.0;
/// Longest text field (names, notes, sources), characters.
pub const MAX_TEXT: usize = 2_000;

const WORK_KEYS: &[&str] = &[
    "id",
    "parent",
    "name_zh",
    "name_en",
    "kind",
    "status",
    "status_source",
    "planned",
    "actual_start",
    "actual_end",
    "dates_source",
    "geometry",
    "effects",
    "budget",
    "hotspot",
    "source",
    "seed_quote",
    "notes",
    "version",
    "promoter",
    "emergency",
    "start_verified",
    "end_verified",
];
const EFFECT_KEYS: &[&str] = &["phase", "action", "target", "direction", "schedule"];
const ACTION_KEYS: &[&str] = &["kind", "lanes", "speed_kmh", "factor"];
const TARGET_KEYS: &[&str] = &["type", "streets", "from", "to", "radius_m", "link", "edges"];
const SCHEDULE_KEYS: &[&str] = &["hours", "weekdays"];
const RANGE_KEYS: &[&str] = &["start", "end"];
const GEOMETRY_KEYS: &[&str] = &["type", "coordinates"];
const BUDGET_KEYS: &[&str] = &["amount_cny", "source"];

fn field_err(path: &str, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{path}: {msg}"))
}

fn only_keys(v: &Value, path: &str, keys: &[&str]) -> Result<()> {
    let Some(m) = v.as_object() else {
        return Ok(()); // the type error is reported by deserialization, with its path
    };
    for k in m.keys() {
        if !keys.contains(&k.as_str()) {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            return Err(field_err(
                &p,
                format!("unknown field (known: {})", keys.join(", ")),
            ));
        }
    }
    Ok(())
}

/// Refuses any field this record type does not have, at every level, naming its path.
pub fn check_known_fields(v: &Value) -> Result<()> {
    if !v.is_object() {
        return Err(Error::invalid("a work record must be a JSON object"));
    }
    only_keys(v, "", WORK_KEYS)?;
    only_keys(&v["planned"], "planned", RANGE_KEYS)?;
    only_keys(&v["geometry"], "geometry", GEOMETRY_KEYS)?;
    only_keys(&v["budget"], "budget", BUDGET_KEYS)?;
    if let Some(effects) = v["effects"].as_array() {
        for (i, e) in effects.iter().enumerate() {
            let p = format!("effects[{i}]");
            only_keys(e, &p, EFFECT_KEYS)?;
            only_keys(&e["action"], &format!("{p}.action"), ACTION_KEYS)?;
            only_keys(&e["target"], &format!("{p}.target"), TARGET_KEYS)?;
            only_keys(&e["schedule"], &format!("{p}.schedule"), SCHEDULE_KEYS)?;
        }
    }
    Ok(())
}

/// Deserializes a record, naming the path of the first field of the wrong type or value.
pub fn deserialize_work(v: Value) -> Result<Work> {
    serde_path_to_error::deserialize::<_, Work>(v).map_err(|e| {
        let path = e.path().to_string();
        let msg = e.inner().to_string();
        if path == "." || path.is_empty() {
            Error::invalid(format!("work record: {msg}"))
        } else {
            field_err(&path, msg)
        }
    })
}

/// Defaults of a submitted record: where its status, dates and record come from when the
/// submitter does not say (`submitted:<actor> <day>`).
pub fn fill_defaults(v: &mut Value, actor: &str, today: NaiveDate) {
    let Some(m) = v.as_object_mut() else { return };
    let src = format!("submitted:{actor} {today}");
    for k in ["status_source", "dates_source", "source"] {
        m.entry(k).or_insert_with(|| Value::String(src.clone()));
    }
    m.entry("status")
        .or_insert_with(|| Value::String("proposed".into()));
}

/// Today (UTC): actual dates and the effective dates of status changes may not lie after it.
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Refuses a date after `today` for `field` (an actual date, or the effective date of a status
/// change, which becomes one): an actual date records what happened, not what is planned.
pub fn check_not_after_today(field: &str, d: NaiveDate, today: NaiveDate) -> Result<()> {
    if d > today {
        return Err(Error::invalid(format!(
            "{field}: {d} is after today ({today}): an actual date records what happened"
        )));
    }
    Ok(())
}

/// What [`check_record`] requires beyond the type's own rules.
#[derive(Clone, Copy, Debug)]
pub struct RecordRules {
    /// A promoter and a geometry must be given (new records; the plan's own records have none).
    pub submitted: bool,
    /// Today: actual dates may not lie after it.
    pub today: NaiveDate,
}

fn text(path: &str, s: &str, required: bool) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(field_err(path, "must not be empty"));
    }
    if s.chars().count() > MAX_TEXT {
        return Err(field_err(
            path,
            format!("longer than {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn coords_ok(path: &str, cs: &[[f64; 2]]) -> Result<()> {
    for (i, c) in cs.iter().enumerate() {
        if !crate::network::geom::valid_lon_lat(c[0], c[1]) {
            return Err(field_err(
                &format!("{path}[{i}]"),
                format!("{},{} is not a WGS84 lon,lat", c[0], c[1]),
            ));
        }
    }
    Ok(())
}

fn check_geometry(g: &WorkGeometry) -> Result<()> {
    let n = g.coords().len();
    if n > MAX_COORDS {
        return Err(Error::TooBig(format!(
            "geometry: {n} coordinates (at most {MAX_COORDS})"
        )));
    }
    match g {
        WorkGeometry::Point(p) => coords_ok("geometry.coordinates", &[*p]),
        WorkGeometry::LineString(l) => {
            coords_ok("geometry.coordinates", l)?;
            if l.len() < 2 || l.windows(2).all(|w| w[0] == w[1]) {
                return Err(field_err(
                    "geometry.coordinates",
                    "a LineString needs two distinct points",
                ));
            }
            Ok(())
        }
        WorkGeometry::MultiLineString(ls) => {
            if ls.is_empty() {
                return Err(field_err("geometry.coordinates", "no lines"));
            }
            for (i, l) in ls.iter().enumerate() {
                let p = format!("geometry.coordinates[{i}]");
                coords_ok(&p, l)?;
                if l.len() < 2 {
                    return Err(field_err(&p, "a line needs two points"));
                }
            }
            Ok(())
        }
        WorkGeometry::Polygon(rings) => {
            if rings.is_empty() {
                return Err(field_err("geometry.coordinates", "a Polygon needs a ring"));
            }
            for (i, r) in rings.iter().enumerate() {
                let p = format!("geometry.coordinates[{i}]");
                coords_ok(&p, r)?;
                if r.len() < 4 {
                    return Err(field_err(&p, "a ring needs at least four points"));
                }
                if r.first() != r.last() {
                    return Err(field_err(
                        &p,
                        "a ring must be closed (last point = first point)",
                    ));
                }
            }
            Ok(())
        }
    }
}

fn check_effect(i: usize, e: &Effect) -> Result<()> {
    let p = format!("effects[{i}]");
    match &e.action {
        Action::CutLanes { lanes } | Action::SetLanes { lanes } | Action::AddLanes { lanes }
            if !(1..=8).contains(lanes) =>
        {
            return Err(field_err(
                &format!("{p}.action.lanes"),
                format!("{lanes} must be 1–8"),
            ));
        }
        Action::SetSpeed { speed_kmh } if !(*speed_kmh >= 5.0 && *speed_kmh <= 130.0) => {
            return Err(field_err(
                &format!("{p}.action.speed_kmh"),
                format!("{speed_kmh} km/h must be in 5–130"),
            ));
        }
        Action::ScaleCapacity { factor } if !(*factor > 0.0 && *factor <= 10.0) => {
            return Err(field_err(
                &format!("{p}.action.factor"),
                format!("{factor} must be in (0, 10]"),
            ));
        }
        _ => {}
    }
    match (&e.action, &e.target) {
        (Action::OpenLink, Target::Link { .. }) => {}
        (Action::OpenLink, _) => {
            return Err(field_err(
                &format!("{p}.target"),
                "open_link needs a link target",
            ));
        }
        (_, Target::Link { .. }) if e.phase == Phase::Construction => {
            return Err(field_err(
                &format!("{p}.target"),
                "a planned link is closed until completion: only open_link may target it",
            ));
        }
        _ => {}
    }
    match &e.target {
        Target::Street(a) => {
            let tp = format!("{p}.target");
            if a.streets.is_empty() || a.streets.iter().any(|s| s.trim().is_empty()) {
                return Err(field_err(
                    &format!("{tp}.streets"),
                    "name at least one street",
                ));
            }
            coords_ok(&format!("{tp}.from"), &[a.from])?;
            if let Some(t) = a.to {
                coords_ok(&format!("{tp}.to"), &[t])?;
            }
            if !(a.radius_m > 0.0 && a.radius_m <= 5_000.0) {
                return Err(field_err(
                    &format!("{tp}.radius_m"),
                    format!("{} m must be in (0, 5000]", a.radius_m),
                ));
            }
        }
        Target::Edges { edges } if edges.is_empty() => {
            return Err(field_err(
                &format!("{p}.target.edges"),
                "name at least one edge",
            ));
        }
        _ => {}
    }
    if let Some(d) = e.direction {
        let ok = matches!(&e.target, Target::Street(a) if a.to.is_some_and(|t| t != a.from));
        if !ok {
            return Err(field_err(
                &format!("{p}.direction"),
                format!(
                    "'{}' needs a street target with distinct `from` and `to` (the direction is \
                     from → to); an edge target is already one direction",
                    serde_json::to_value(d)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ),
            ));
        }
        if !matches!(
            e.action,
            Action::Close | Action::CutLanes { .. } | Action::SetSpeed { .. }
        ) {
            return Err(field_err(
                &format!("{p}.direction"),
                "only close, cut_lanes and set_speed may take one direction",
            ));
        }
    }
    if let Some(s) = &e.schedule {
        if e.phase != Phase::Construction {
            return Err(field_err(
                &format!("{p}.schedule"),
                "only construction effects have a schedule (what is built stays built)",
            ));
        }
        s.validate().map_err(|err| match err {
            Error::InvalidInput(m) => field_err(&format!("{p}.schedule"), m),
            other => other,
        })?;
    }
    Ok(())
}

/// Checks every field of a record, naming the first bad one. Runs `Work::validate` last.
pub fn check_record(w: &Work, rules: RecordRules) -> Result<()> {
    WorkId::parse(w.id.as_str()).map_err(|e| field_err("id", strip(e)))?;
    if let Some(p) = &w.parent {
        WorkId::parse(p.as_str()).map_err(|e| field_err("parent", strip(e)))?;
        if p == &w.id {
            return Err(field_err("parent", "a work cannot be its own parent"));
        }
    }
    text("name_zh", &w.name_zh, false)?;
    text("name_en", &w.name_en, false)?;
    if w.name_zh.trim().is_empty() && w.name_en.trim().is_empty() {
        return Err(field_err("name_zh", "give name_zh and/or name_en"));
    }
    for (k, v) in [
        ("status_source", &w.status_source),
        ("dates_source", &w.dates_source),
        ("source", &w.source),
    ] {
        text(k, v, true)?;
    }
    text("notes", &w.notes, false)?;
    text("seed_quote", &w.seed_quote, false)?;
    check_date("planned.start", w.planned.start)
        .map_err(|e| field_err("planned.start", strip(e)))?;
    check_date("planned.end", w.planned.end).map_err(|e| field_err("planned.end", strip(e)))?;
    if w.planned.end < w.planned.start {
        return Err(field_err(
            "planned.end",
            format!(
                "{} is before planned.start {}",
                w.planned.end, w.planned.start
            ),
        ));
    }
    for (k, d) in [
        ("actual_start", w.actual_start),
        ("actual_end", w.actual_end),
    ] {
        if let Some(d) = d {
            check_date(k, d).map_err(|e| field_err(k, strip(e)))?;
            if d > rules.today {
                return Err(field_err(
                    k,
                    format!(
                        "{d} is after today ({}): an actual date records what happened",
                        rules.today
                    ),
                ));
            }
        }
    }
    if let Some(e) = w.actual_end {
        let s = w.actual_start.unwrap_or(w.planned.start);
        if e < s {
            return Err(field_err(
                "actual_end",
                format!("{e} is before the start {s}"),
            ));
        }
    }
    match w.status {
        _ if !rules.submitted => {}
        Status::UnderConstruction if w.actual_start.is_none() => {
            return Err(field_err(
                "actual_start",
                "a work under construction needs its actual start",
            ));
        }
        Status::Completed if w.actual_end.is_none() => {
            return Err(field_err(
                "actual_end",
                "a completed work needs its actual end",
            ));
        }
        Status::Proposed | Status::PreliminaryWork | Status::Design if w.actual_end.is_some() => {
            return Err(field_err(
                "actual_end",
                format!("a work in status {} has not ended", w.status),
            ));
        }
        _ => {}
    }
    match &w.geometry {
        Some(g) => check_geometry(g)?,
        None if rules.submitted => {
            return Err(field_err(
                "geometry",
                "required: a LineString along the street or a Polygon of the site",
            ));
        }
        None => {}
    }
    if rules.submitted && w.promoter.is_none() {
        return Err(field_err(
            "promoter",
            "required: one of water, gas, heating, power, telecom, road_authority",
        ));
    }
    if w.effects.len() > MAX_EFFECTS {
        return Err(Error::TooBig(format!(
            "effects: {} effects (at most {MAX_EFFECTS})",
            w.effects.len()
        )));
    }
    for (i, e) in w.effects.iter().enumerate() {
        check_effect(i, e)?;
    }
    if let Some(b) = &w.budget
        && (!b.amount_cny.is_finite() || b.amount_cny < 0.0 || !b.source.starts_with("estimate"))
    {
        return Err(field_err(
            "budget",
            "a budget must be a non-negative amount marked estimate:<why>",
        ));
    }
    w.validate()
}

fn strip(e: Error) -> String {
    match e {
        Error::InvalidInput(m) => m,
        e => e.to_string(),
    }
}

/// Checks a record against the engine's network: the geometry within
/// [`MAX_OFF_NETWORK_M`] of a road, every effect's target found (named streets near their
/// anchors, planned links present, edges existing).
pub fn check_on_network(
    net: &RoadNetwork,
    links: &HashMap<String, Vec<EdgeId>>,
    w: &Work,
) -> Result<()> {
    if let Some(g) = &w.geometry {
        let mut best = f64::INFINITY;
        for c in g.coords() {
            let p = geo_types::Point::new(c[0], c[1]);
            if let Ok(s) = net.snap_index().snap(net, p, MAX_OFF_NETWORK_M) {
                best = best.min(s.dist_m);
            }
            if best <= MAX_OFF_NETWORK_M {
                break;
            }
        }
        if !best.is_finite() {
            return Err(field_err(
                "geometry",
                format!(
                    "no road within {MAX_OFF_NETWORK_M} m of any of its points: the work is off \
                     the network"
                ),
            ));
        }
    }
    for (i, e) in w.effects.iter().enumerate() {
        if let Target::Edges { edges } = &e.target {
            for &id in edges {
                net.try_edge(id).map_err(|_| {
                    field_err(
                        &format!("effects[{i}].target.edges"),
                        format!("edge {id} does not exist ({} edges)", net.edge_count()),
                    )
                })?;
            }
        }
        anchor::resolve_target(net, &e.target, links)
            .and_then(|r| anchor::one_direction(net, e, r))
            .map_err(|why| field_err(&format!("effects[{i}].target"), why))?;
    }
    Ok(())
}

/// RFC 7396 JSON merge patch: objects merge key by key, `null` removes, anything else
/// replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

/// Top-level fields where two records differ (for the audit entry of an edit).
pub fn changed_fields(old: &Value, new: &Value) -> Vec<String> {
    let empty = Map::new();
    let a = old.as_object().unwrap_or(&empty);
    let b = new.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| k.as_str() != "version" && a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    fn record() -> Value {
        json!({
            "id": "W-1", "name_zh": "供水管改造", "name_en": "Water main renewal",
            "kind": "pipe_renewal", "promoter": "water",
            "planned": {"start": "2027-04-01", "end": "2027-05-15"},
            "geometry": {"type": "LineString", "coordinates": [[121.10, 41.10], [121.11, 41.10]]},
            "effects": [{"phase": "construction", "action": {"kind": "cut_lanes", "lanes": 1},
                "target": {"type": "street", "streets": ["解放路"], "from": [121.10, 41.10],
                           "to": [121.11, 41.10], "radius_m": 100},
                "direction": "forward", "schedule": {"hours": "22:00-06:00"}}]
        })
    }

    fn parse(v: Value) -> Result<Work> {
        check_known_fields(&v)?;
        let mut v = v;
        fill_defaults(&mut v, "tester", today());
        let w = deserialize_work(v)?;
        check_record(
            &w,
            RecordRules {
                submitted: true,
                today: today(),
            },
        )?;
        Ok(w)
    }

    fn err_of(v: Value) -> String {
        match parse(v) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn a_good_record_parses_with_its_defaults() {
        let w = parse(record()).unwrap();
        assert_eq!(w.status, Status::Proposed);
        assert_eq!(w.source, "submitted:tester 2026-12-06");
        assert_eq!(
            w.effects[0]
                .schedule
                .as_ref()
                .unwrap()
                .hours
                .unwrap()
                .to_string(),
            "22:00-06:00"
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        type Edit = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "colour: unknown field",
                Box::new(|v| v["colour"] = json!("red")),
            ),
            (
                "effects[0].target.street: unknown field",
                Box::new(|v| v["effects"][0]["target"]["street"] = json!("x")),
            ),
            (
                "promoter: unknown variant",
                Box::new(|v| v["promoter"] = json!("sewage")),
            ),
            (
                "kind: unknown variant",
                Box::new(|v| v["kind"] = json!("castle")),
            ),
            (
                "planned.end: 2027-03-01 is before",
                Box::new(|v| v["planned"]["end"] = json!("2027-03-01")),
            ),
            (
                "planned.start:",
                Box::new(|v| v["planned"]["start"] = json!("2027-13-01")),
            ),
            (
                "effects[0].schedule.hours:",
                Box::new(|v| v["effects"][0]["schedule"]["hours"] = json!("25:00-06:00")),
            ),
            (
                "effects[0].schedule.weekdays[0]: unknown variant",
                Box::new(|v| v["effects"][0]["schedule"]["weekdays"] = json!(["monday"])),
            ),
            (
                "effects[0].action.lanes: 0 must be",
                Box::new(|v| v["effects"][0]["action"]["lanes"] = json!(0)),
            ),
            (
                "effects[0].direction:",
                Box::new(|v| {
                    v["effects"][0]["target"]
                        .as_object_mut()
                        .unwrap()
                        .remove("to");
                }),
            ),
            (
                "geometry.coordinates[1]: 200,41.1",
                Box::new(|v| v["geometry"]["coordinates"][1] = json!([200.0, 41.1])),
            ),
            (
                "geometry: required",
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("geometry");
                }),
            ),
            (
                "promoter: required",
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("promoter");
                }),
            ),
            (
                "actual_start: 2030-01-01 is after today",
                Box::new(|v| v["actual_start"] = json!("2030-01-01")),
            ),
            (
                "actual_start: a work under construction",
                Box::new(|v| v["status"] = json!("under_construction")),
            ),
            (
                "geometry.coordinates[0]: a ring must be closed",
                Box::new(
                    |v| v["geometry"] = json!({"type": "Polygon", "coordinates": [[[121.1, 41.1], [121.2, 41.1], [121.2, 41.2], [121.1, 41.2]]]}),
                ),
            ),
            ("id:", Box::new(|v| v["id"] = json!("bad id!"))),
        ];
        for (want, f) in cases {
            let mut v = record();
            f(&mut v);
            let e = err_of(v);
            assert!(e.contains(want), "want '{want}' in '{e}'");
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1, 2]});
        merge_patch(&mut t, &json!({"a": null, "b": {"c": 5}, "e": [3]}));
        assert_eq!(t, json!({"b": {"c": 5, "d": 3}, "e": [3]}));
        assert_eq!(
            changed_fields(
                &json!({"a": 1, "version": 1}),
                &json!({"a": 2, "version": 2})
            ),
            ["a"]
        );
    }
}
