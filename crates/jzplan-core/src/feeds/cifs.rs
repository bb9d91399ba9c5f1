//! The road events as a Waze CIFS feed (Closure and Incident Feed Specification, what Waze
//! for Cities partners publish), in JSON or XML.
//!
//! Each closed direction is one `ROAD_CLOSED` incident (subtype `ROAD_CLOSED_CONSTRUCTION`,
//! `direction` `ONE_DIRECTION`: the polyline, `lat lon` pairs in driving order, says which
//! way); a lane cut or speed limit is a `HAZARD` / `HAZARD_ON_ROAD_CONSTRUCTION` incident,
//! which alerts drivers without closing the road (Waze uses closures only for all lanes).
//! `starttime`/`endtime` are local RFC 3339 times (+08:00); works with daily hours or weekdays
//! carry a `schedule` (per weekday, `HH:MM-HH:MM` ranges, comma-separated; night hours carry
//! into the next morning). `source` names the work and the publisher.

use super::{DAY_NAMES, EventSet, Publisher, RoadEvent, hm, schedule_text, weekly_ranges};
use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

/// One incident, as ordered (element, value) pairs; `schedule` and `source` as sub-elements.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// `id` attribute.
    pub id: String,
    /// Simple elements in order: type, subtype, polyline, street, starttime, endtime,
    /// description, direction.
    pub fields: Vec<(&'static str, String)>,
    /// `source`: reference, name.
    pub source: Vec<(&'static str, String)>,
    /// `schedule`: day name → ranges.
    pub schedule: Vec<(&'static str, String)>,
}

fn polyline(e: &RoadEvent) -> String {
    e.geometry
        .iter()
        .map(|p| format!("{:.6} {:.6}", p[1], p[0]))
        .collect::<Vec<_>>()
        .join(" ")
}

fn incident(set: &EventSet, e: &RoadEvent, p: &Publisher) -> Incident {
    let (kind, subtype) = if e.impact.closed {
        ("ROAD_CLOSED", "ROAD_CLOSED_CONSTRUCTION")
    } else {
        ("HAZARD", "HAZARD_ON_ROAD_CONSTRUCTION")
    };
    let name = set
        .work(&e.work)
        .map(|w| {
            if w.name_en.is_empty() {
                w.name_zh.clone()
            } else {
                w.name_en.clone()
            }
        })
        .unwrap_or_default();
    let mut description = format!(
        "{}: {} {} ({})",
        e.work,
        name,
        e.impact.describe(),
        e.direction
    );
    let mut schedule = Vec::new();
    let daily = matches!(set.span, super::FeedSpan::Window(_));
    if let Some(s) = &e.schedule {
        description.push_str(&format!("; only {}", schedule_text(s)));
        if daily {
            for (d, ranges) in weekly_ranges(s).iter().enumerate() {
                if !ranges.is_empty() {
                    let v: Vec<String> = ranges
                        .iter()
                        .map(|(a, b)| format!("{}-{}", hm(*a), hm(*b)))
                        .collect();
                    schedule.push((DAY_NAMES[d], v.join(",")));
                }
            }
        }
    }
    let t =
        |x: &chrono::DateTime<chrono::FixedOffset>| x.to_rfc3339_opts(SecondsFormat::Secs, true);
    Incident {
        id: e.id.clone(),
        fields: vec![
            ("type", kind.to_string()),
            ("subtype", subtype.to_string()),
            ("polyline", polyline(e)),
            ("street", e.street.clone()),
            ("starttime", t(&e.start)),
            ("endtime", t(&e.end)),
            ("description", description),
            ("direction", "ONE_DIRECTION".to_string()),
        ],
        source: vec![
            ("reference", e.work.to_string()),
            ("name", p.publisher.clone()),
        ],
        schedule,
    }
}

/// The incidents of an event set (work-zone events only; detours are not CIFS incidents).
pub fn incidents(set: &EventSet, p: &Publisher) -> Vec<Incident> {
    set.events.iter().map(|e| incident(set, e, p)).collect()
}

/// The CIFS JSON feed: `{"incidents": [{"incident": {...}}]}`.
pub fn json(incidents: &[Incident]) -> Value {
    let list: Vec<Value> = incidents
        .iter()
        .map(|i| {
            let mut m = Map::new();
            m.insert("id".into(), json!(i.id));
            for (k, v) in &i.fields {
                m.insert((*k).into(), json!(v));
            }
            let src: Map<String, Value> = i
                .source
                .iter()
                .map(|(k, v)| ((*k).to_string(), json!(v)))
                .collect();
            m.insert("source".into(), Value::Object(src));
            if !i.schedule.is_empty() {
                let s: Map<String, Value> = i
                    .schedule
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), json!(v)))
                    .collect();
                m.insert("schedule".into(), Value::Object(s));
            }
            json!({"incident": m})
        })
        .collect();
    json!({"incidents": list})
}

/// Escapes text for XML content and attributes.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The CIFS XML feed.
pub fn xml(incidents: &[Incident]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<incidents>\n");
    for i in incidents {
        s.push_str(&format!("  <incident id=\"{}\">\n", xml_escape(&i.id)));
        for (k, v) in &i.fields {
            s.push_str(&format!("    <{k}>{}</{k}>\n", xml_escape(v)));
        }
        s.push_str("    <source>\n");
        for (k, v) in &i.source {
            s.push_str(&format!("      <{k}>{}</{k}>\n", xml_escape(v)));
        }
        s.push_str("    </source>\n");
        if !i.schedule.is_empty() {
            s.push_str("    <schedule>\n");
            for (k, v) in &i.schedule {
                s.push_str(&format!("      <{k}>{}</{k}>\n", xml_escape(v)));
            }
            s.push_str("    </schedule>\n");
        }
        s.push_str("  </incident>\n");
    }
    s.push_str("</incidents>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            xml_escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        let i = Incident {
            id: "W<1>:1".into(),
            fields: vec![("street", "A & B".into())],
            source: vec![("reference", "W".into())],
            schedule: vec![("monday", "22:00-23:59".into())],
        };
        let x = xml(std::slice::from_ref(&i));
        assert!(x.contains("<incident id=\"W&lt;1&gt;:1\">"));
        assert!(x.contains("<street>A &amp; B</street>"));
        assert!(x.contains("<monday>22:00-23:59</monday>"));
        let j = json(&[i]);
        assert_eq!(j["incidents"][0]["incident"]["street"], "A & B");
        assert_eq!(
            j["incidents"][0]["incident"]["schedule"]["monday"],
            "22:00-23:59"
        );
    }
}
