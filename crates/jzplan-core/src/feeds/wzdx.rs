//! The works as a WZDx 4.2 work-zone feed (US DOT Work Zone Data Exchange): a GeoJSON
//! FeatureCollection with `feed_info` and one RoadEventFeature per road event
//! ([`super::RoadEvent`]) and per detour (`DetourRoadEvent`).
//!
//! Mapping: `vehicle_impact` from the event's impact (closed → `all-lanes-closed`, lanes cut →
//! `some-lanes-closed`, a speed limit only → `all-lanes-open`); `lanes[]` lists the direction's
//! lanes, left-most first, the open ones on the left (which lanes a site takes is not recorded:
//! the closed ones are shown on the kerb side, and the description says so);
//! `reduced_speed_limit_kph` from a speed limit; `types_of_work` from the kind; dates in UTC
//! (RFC 3339) from the local days of the window (the end day included), with
//! `is_start_date_verified` / `start_date_accuracy` ("verified" or "estimated") from the
//! work's verification flags or actual dates; positions are never verified (they come from
//! the network model). `related_road_events` links the events of a work to one another
//! (`related-work-zone`), to their detours (`related-detour`), and the children of a programme
//! in order of their start (`first-in-sequence`, `next-in-sequence`).

use super::{EventSet, Publisher, RoadEvent, schedule_text};
use crate::works::{Work, WorkKind};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// The WZDx version written.
pub const WZDX_VERSION: &str = "4.2";
/// The licence WZDx requires.
pub const WZDX_LICENSE: &str = "https://creativecommons.org/publicdomain/zero/1.0/";

fn utc(t: &DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The WZDx type of work of a kind, and whether it changes the road for good.
pub fn type_of_work(kind: WorkKind) -> Option<(&'static str, bool)> {
    Some(match kind {
        WorkKind::PipeRenewal => ("below-road-work", false),
        WorkKind::Repair => ("surface-work", false),
        WorkKind::Realignment => ("roadway-relocation", true),
        WorkKind::Bridge
        | WorkKind::NewRoad
        | WorkKind::RingRoad
        | WorkKind::Widening
        | WorkKind::Interchange
        | WorkKind::ChokePoint => ("roadway-creation", true),
        WorkKind::Greening
        | WorkKind::RiverRestoration
        | WorkKind::WaterSourceProtection
        | WorkKind::Wetland
        | WorkKind::OutfallCleanup => ("roadside-work", false),
        WorkKind::Programme => return None,
    })
}

fn accuracy(verified: bool) -> &'static str {
    if verified { "verified" } else { "estimated" }
}

fn work_name(w: &Work) -> String {
    match (w.name_en.trim(), w.name_zh.trim()) {
        ("", zh) => format!("{} {zh}", w.id),
        (en, "") => format!("{} {en}", w.id),
        (en, zh) => format!("{} {en} ({zh})", w.id),
    }
}

fn description(e: &RoadEvent, w: &Work) -> String {
    let mut s = format!("{}: {} {}", work_name(w), e.street, e.impact.describe());
    if !e.impact.closed && e.impact.lanes_open < e.impact.lanes {
        s.push_str(" (which lanes is not recorded: the closed lanes are shown on the kerb side)");
    }
    if let Some(sc) = &e.schedule {
        s.push_str(&format!("; only {}", schedule_text(sc)));
    }
    s.push_str(&format!(
        "; dates: {}; record: {}",
        w.dates_source, w.source
    ));
    s
}

fn lanes(e: &RoadEvent) -> Vec<Value> {
    let i = e.impact;
    (1..=i.lanes)
        .map(|order| {
            let status = if !i.closed && order <= i.lanes_open {
                "open"
            } else {
                "closed"
            };
            json!({"order": order, "type": "general", "status": status})
        })
        .collect()
}

fn related(set: &EventSet, e: &RoadEvent, w: &Work) -> Vec<Value> {
    let mut out = Vec::new();
    for o in set
        .events
        .iter()
        .filter(|o| o.work == e.work && o.id != e.id)
    {
        out.push(json!({"type": "related-work-zone", "id": o.id}));
    }
    for d in set.detours.iter().filter(|d| d.serves.contains(&e.id)) {
        out.push(json!({"type": "related-detour", "id": d.id}));
    }
    if let Some(parent) = &w.parent {
        let mut siblings: Vec<&Work> = set
            .works
            .iter()
            .filter(|s| s.parent.as_ref() == Some(parent))
            .collect();
        siblings.sort_by(|a, b| (a.window().start, &a.id).cmp(&(b.window().start, &b.id)));
        let first_event = |s: &Work| set.events.iter().find(|x| x.work == s.id).map(|x| &x.id);
        if let Some(pos) = siblings.iter().position(|s| s.id == w.id) {
            if pos > 0
                && let Some(f) = first_event(siblings[0])
            {
                out.push(json!({"type": "first-in-sequence", "id": f}));
            }
            if let Some(next) = siblings.get(pos + 1)
                && let Some(f) = first_event(next)
            {
                out.push(json!({"type": "next-in-sequence", "id": f}));
            }
        }
    }
    out
}

fn work_zone(set: &EventSet, e: &RoadEvent, w: &Work, p: &Publisher) -> Value {
    let mut props = Map::new();
    props.insert(
        "core_details".into(),
        json!({
            "data_source_id": p.data_source_id,
            "event_type": "work-zone",
            "related_road_events": related(set, e, w),
            "road_names": e.road_names,
            "direction": e.direction,
            "name": work_name(w),
            "description": description(e, w),
        }),
    );
    props.insert("start_date".into(), json!(utc(&e.start)));
    props.insert("end_date".into(), json!(utc(&e.end)));
    props.insert("is_start_date_verified".into(), json!(e.start_verified));
    props.insert("is_end_date_verified".into(), json!(e.end_verified));
    props.insert(
        "start_date_accuracy".into(),
        json!(accuracy(e.start_verified)),
    );
    props.insert("end_date_accuracy".into(), json!(accuracy(e.end_verified)));
    props.insert("is_start_position_verified".into(), json!(false));
    props.insert("is_end_position_verified".into(), json!(false));
    props.insert("location_method".into(), json!("other"));
    props.insert("work_zone_type".into(), json!("static"));
    props.insert("vehicle_impact".into(), json!(e.impact.vehicle_impact()));
    props.insert("lanes".into(), Value::Array(lanes(e)));
    if let Some(v) = e.impact.speed_kmh {
        props.insert("reduced_speed_limit_kph".into(), json!(v));
    }
    if let Some((t, arch)) = type_of_work(w.kind) {
        props.insert(
            "types_of_work".into(),
            json!([{"type_name": t, "is_architectural_change": arch}]),
        );
    }
    if let Some(c) = &e.from_cross_street {
        props.insert("beginning_cross_street".into(), json!(c));
    }
    if let Some(c) = &e.to_cross_street {
        props.insert("ending_cross_street".into(), json!(c));
    }
    json!({
        "id": e.id,
        "type": "Feature",
        "properties": props,
        "geometry": {"type": "LineString", "coordinates": e.geometry},
    })
}

fn detour_feature(set: &EventSet, d: &super::DetourEvent, p: &Publisher) -> Option<Value> {
    let served: Vec<&RoadEvent> = set
        .events
        .iter()
        .filter(|e| d.serves.contains(&e.id))
        .collect();
    let first = served.first()?;
    let w = set.work(&first.work)?;
    let start = served.iter().map(|e| e.start).min()?;
    let end = served.iter().map(|e| e.end).max()?;
    let extra = d
        .detour
        .extra_s
        .map(|s| format!(", {s:.0} s longer than through the works"))
        .unwrap_or_default();
    let road_names = if d.detour.via.is_empty() {
        vec![first.street.clone()]
    } else {
        d.detour.via.clone()
    };
    let description = format!(
        "detour around {} ({:.0} m{extra}; computed for one direction; {})",
        d.detour.streets.join(", "),
        d.detour.detour_m.unwrap_or(0.0),
        d.detour.source
    );
    Some(json!({
        "id": d.id,
        "type": "Feature",
        "properties": {
            "core_details": {
                "data_source_id": p.data_source_id,
                "event_type": "detour",
                "related_road_events": d.serves.iter()
                    .map(|s| json!({"type": "related-work-zone", "id": s}))
                    .collect::<Vec<_>>(),
                "road_names": road_names,
                "direction": d.direction,
                "name": format!("detour around {}", work_name(w)),
                "description": description,
            },
            "start_date": utc(&start),
            "end_date": utc(&end),
            "is_start_date_verified": first.start_verified,
            "is_end_date_verified": first.end_verified,
            "start_date_accuracy": accuracy(first.start_verified),
            "end_date_accuracy": accuracy(first.end_verified),
        },
        "geometry": {"type": "LineString", "coordinates": d.detour.geometry},
    }))
}

/// The WZDx 4.2 WorkZoneFeed of an event set.
pub fn feed(set: &EventSet, p: &Publisher) -> Value {
    let mut features = Vec::new();
    for e in &set.events {
        if let Some(w) = set.work(&e.work) {
            features.push(work_zone(set, e, w, p));
        }
    }
    for d in &set.detours {
        features.extend(detour_feature(set, d, p));
    }
    let generated = p.generated.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut fc = json!({
        "feed_info": {
            "publisher": p.publisher,
            "version": WZDX_VERSION,
            "license": WZDX_LICENSE,
            "update_date": generated,
            "data_sources": [{
                "data_source_id": p.data_source_id,
                "organization_name": p.organization_name,
                "update_date": generated,
            }],
        },
        "type": "FeatureCollection",
        "features": features,
    });
    if let Some(b) = bbox(&fc) {
        fc["bbox"] = json!(b);
    }
    fc
}

fn bbox(fc: &Value) -> Option<[f64; 4]> {
    let mut b: Option<[f64; 4]> = None;
    for f in fc["features"].as_array()? {
        for c in f["geometry"]["coordinates"].as_array()? {
            let (Some(x), Some(y)) = (c[0].as_f64(), c[1].as_f64()) else {
                continue;
            };
            b = Some(match b {
                None => [x, y, x, y],
                Some(b) => [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)],
            });
        }
    }
    b
}
