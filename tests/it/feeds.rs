//! Feeds for others: the WZDx 4.2 feed checked against the official JSON Schemas, the official
//! examples read back into works, the round trip of our own feed, and the Waze CIFS feed with
//! every required element. The schemas and examples are the standard's own files, beside the
//! repository in `../shared/standards/wzdx-4.2/`; without them these tests fail.

use crate::api::{assert_problem, get, send};
use axum::body::Body;
use axum::http::{Request, header};
use jzplan::api::{self, ApiConfig};
use jzplan::engine::Engine;
use jzplan::feeds::{FeedSpan, Publisher};
use jzplan::network::{EdgeId, EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan::store::{CatalogueStore, SqliteStore};
use jzplan::works::catalogue::Catalogue;
use jzplan::works::{Action, DateRange, Phase, Status, Work, WorkFilter, WorkId};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

fn standard_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/wzdx-4.2");
    assert!(
        d.join("schemas/WorkZoneFeed.json").is_file(),
        "the WZDx 4.2 schemas are missing: expected {} (shared/ beside the repository)",
        d.display()
    );
    d
}

/// The GeoJSON geometry schemas the WZDx schemas refer to (geojson.org), written out here
/// from RFC 7946 §3.1.4–3.1.5: not in the standard's folder, and no network in tests.
fn geojson_schema(kind: &str) -> Value {
    let position = json!({"type": "array", "minItems": 2, "items": {"type": "number"}});
    json!({
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"enum": [kind]},
            "coordinates": {"type": "array", "minItems": if kind == "LineString" { 2 } else { 0 },
                            "items": position},
            "bbox": {"type": "array", "minItems": 4, "items": {"type": "number"}}
        }
    })
}

/// Maps the schemas' `$id`s to the local files.
struct LocalSchemas(HashMap<String, Value>);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("no local copy of {uri}").into())
    }
}

fn validator() -> jsonschema::Validator {
    let dir = standard_dir().join("schemas");
    let mut map = HashMap::new();
    let mut root = Value::Null;
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let id = v["$id"].as_str().unwrap().to_string();
        if path.ends_with("WorkZoneFeed.json") {
            root = v.clone();
        }
        map.insert(id, v);
    }
    for k in ["LineString", "MultiPoint"] {
        map.insert(
            format!("https://geojson.org/schema/{k}.json"),
            geojson_schema(k),
        );
    }
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(LocalSchemas(map))
        .build(&root)
        .expect("the WorkZoneFeed schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, feed: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(feed)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid WZDx 4.2:\n{}",
        errors.join("\n")
    );
}

fn examples() -> Vec<(String, Value)> {
    let dir = standard_dir().join("examples");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(out.len(), 9, "the nine official examples");
    out
}

fn jinzhou() -> Engine {
    let cat = Catalogue::jinzhou().unwrap();
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    Engine::with_works(net, Arc::new(CatalogueStore::new(&cat)), &cat).unwrap()
}

fn all_years() -> FeedSpan {
    FeedSpan::Window(DateRange {
        start: jzplan::works::MIN_DATE,
        end: jzplan::works::MAX_DATE,
    })
}

fn publisher() -> Publisher {
    Publisher::jzplan("2026-12-06T08:00:00Z".parse().unwrap())
}

/// A straight two-way street 主街 of three 840 m segments, west to east, crossed at its
/// middle junctions by nothing: `0 – 1 – 2 – 3` at lat 41.0.
fn main_street() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:main-street");
    let s = b.add_street("main", "主街", "Main Street");
    let n: Vec<NodeId> = (0..4)
        .map(|i| b.add_node(121.0 + 0.01 * f64::from(i), 41.0).unwrap())
        .collect();
    for w in n.windows(2) {
        let mut spec = EdgeSpec::new(w[0], w[1], s, RoadClass::Primary, "test");
        spec.lanes = Some(2);
        b.add_road(spec, false).unwrap();
    }
    b.build().unwrap()
}

fn engine_on(net: RoadNetwork, works: Vec<Value>) -> Engine {
    crate::common::engine_with_works(net, works)
}

/// Night works closing 主街 in both directions between x = 121.005 and 121.025, Monday to
/// Friday 22:00–06:00, plus a 30 km/h limit all day and night on the same stretch.
fn night_works() -> Value {
    let target = json!({"type": "street", "streets": ["主街"], "from": [121.0, 41.0],
                        "to": [121.03, 41.0], "radius_m": 50});
    json!({
        "id": "N1", "name_zh": "主街夜间施工", "name_en": "Main Street night works",
        "kind": "pipe_renewal", "status": "design", "status_source": "estimate:test",
        "dates_source": "estimate:test", "source": "estimate:test",
        "planned": {"start": "2027-04-01", "end": "2027-04-30"},
        "geometry": {"type": "LineString", "coordinates": [[121.0, 41.0], [121.03, 41.0]]},
        "effects": [
            {"phase": "construction", "action": {"kind": "close"}, "target": target,
             "schedule": {"hours": "22:00-06:00", "weekdays": ["mon", "tue", "wed", "thu", "fri"]}},
            {"phase": "construction", "action": {"kind": "set_speed", "speed_kmh": 30.0},
             "target": target}
        ]
    })
}

#[test]
fn our_feed_is_valid_wzdx_4_2() {
    let v = validator();
    let e = jinzhou();
    let feed = e.wzdx_feed(all_years(), &publisher()).unwrap();
    assert_valid(&v, &feed, "the catalogue's feed");
    let features = feed["features"].as_array().unwrap();
    let zones: Vec<&Value> = features
        .iter()
        .filter(|f| f["properties"]["core_details"]["event_type"] == "work-zone")
        .collect();
    assert!(!zones.is_empty());
    assert_eq!(feed["feed_info"]["version"], "4.2");
    assert_eq!(
        feed["feed_info"]["data_sources"][0]["data_source_id"],
        "jzplan-works"
    );
    // Every event of the catalogue is an estimate of dates: none is verified, and says so.
    for z in &zones {
        let p = &z["properties"];
        assert_eq!(p["is_start_date_verified"], false);
        assert_eq!(p["start_date_accuracy"], "estimated");
        assert!(
            p["core_details"]["description"]
                .as_str()
                .unwrap()
                .contains("dates: estimate:")
        );
    }
    // One day: the events of the works on site that day only, valid too.
    let day = e
        .wzdx_feed(FeedSpan::Day("2022-06-01".parse().unwrap()), &publisher())
        .unwrap();
    assert_valid(&v, &day, "the feed of 2022-06-01");
    let on_site: Vec<WorkId> = e
        .list_works(&WorkFilter {
            active_on: Some("2022-06-01".parse().unwrap()),
            ..WorkFilter::default()
        })
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    for f in day["features"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        let work = id.split(':').next().unwrap();
        assert!(on_site.iter().any(|w| w.as_str() == work), "{id}");
    }
}

#[test]
fn the_official_examples_are_valid_for_our_validator() {
    // The validator itself is checked: the standard's examples pass, a broken one fails.
    let v = validator();
    for (name, feed) in examples() {
        assert_valid(&v, &feed, &name);
    }
    let (_, mut bad) = examples().remove(0);
    bad["features"][0]["properties"]["start_date"] = json!("yesterday");
    assert!(!v.is_valid(&bad));
    bad["features"][0]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("vehicle_impact");
    assert!(!v.is_valid(&bad));
}

#[test]
fn a_closed_two_way_street_is_one_event_per_direction_in_driving_order() {
    let v = validator();
    let e = engine_on(main_street(), vec![night_works()]);
    let set = e.road_events(all_years()).unwrap();
    // Close (nights) and the speed limit (always) have different schedules: two events per
    // direction, four in all.
    assert_eq!(set.events.len(), 4, "{:#?}", set.events);
    let closed: Vec<_> = set.events.iter().filter(|x| x.impact.closed).collect();
    assert_eq!(closed.len(), 2);
    let mut dirs: Vec<&str> = closed.iter().map(|x| x.direction).collect();
    dirs.sort_unstable();
    assert_eq!(dirs, ["eastbound", "westbound"]);
    for ev in &closed {
        // All three segments, in driving order: first point where a driver enters.
        assert_eq!(ev.edges.len(), 3);
        let xs: Vec<f64> = ev.geometry.iter().map(|p| p[0]).collect();
        let expect: Vec<f64> = if ev.direction == "eastbound" {
            vec![121.0, 121.01, 121.02, 121.03]
        } else {
            vec![121.03, 121.02, 121.01, 121.0]
        };
        for (a, b) in xs.iter().zip(&expect) {
            assert!((a - b).abs() < 1e-9, "{xs:?}");
        }
        assert_eq!(ev.road_names, ["主街", "Main Street"]);
        assert!(ev.schedule.is_some());
    }
    let feed = e.wzdx_feed(all_years(), &publisher()).unwrap();
    assert_valid(&v, &feed, "the night works' feed");
    let f = feed["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["vehicle_impact"] == "all-lanes-closed")
        .unwrap();
    let p = &f["properties"];
    // Local days 2027-04-01 … 2027-04-30 (UTC+8) in UTC: from 16:00 the day before.
    assert_eq!(p["start_date"], "2027-03-31T16:00:00Z");
    assert_eq!(p["end_date"], "2027-04-30T16:00:00Z");
    assert_eq!(p["lanes"].as_array().unwrap().len(), 2);
    assert!(
        p["lanes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["status"] == "closed")
    );
    assert!(
        p["core_details"]["description"]
            .as_str()
            .unwrap()
            .contains("only mon, tue, wed, thu, fri 22:00-06:00")
    );
    let speed = feed["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["vehicle_impact"] == "all-lanes-open")
        .unwrap();
    assert_eq!(speed["properties"]["reduced_speed_limit_kph"], 30.0);
    // The events of one work point at each other.
    let rel = p["core_details"]["related_road_events"].as_array().unwrap();
    assert_eq!(
        rel.iter()
            .filter(|r| r["type"] == "related-work-zone")
            .count(),
        3
    );
    // On Saturday 3 April the Friday night closure runs until 06:00, as routing has it: the
    // closures are that night's, Friday 22:00 to Saturday 06:00; the speed limit is on too.
    let sat = e
        .road_events(FeedSpan::Day("2027-04-03".parse().unwrap()))
        .unwrap();
    assert_eq!(sat.events.len(), 4);
    let nights: Vec<_> = sat.events.iter().filter(|x| x.impact.closed).collect();
    assert_eq!(nights.len(), 2);
    for c in nights {
        assert_eq!(c.start.to_rfc3339(), "2027-04-02T22:00:00+08:00");
        assert_eq!(c.end.to_rfc3339(), "2027-04-03T06:00:00+08:00");
    }
    let feed = e
        .wzdx_feed(FeedSpan::Day("2027-04-03".parse().unwrap()), &publisher())
        .unwrap();
    assert_valid(&v, &feed, "Saturday's feed");
    let closed: Vec<&Value> = feed["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["vehicle_impact"] == "all-lanes-closed")
        .collect();
    assert_eq!(closed.len(), 2);
    assert_eq!(
        closed[0]["properties"]["start_date"],
        "2027-04-02T14:00:00Z"
    );
    assert_eq!(closed[0]["properties"]["end_date"], "2027-04-02T22:00:00Z");
    // On Sunday nothing runs into the day: the speed limit only.
    let sun = e
        .road_events(FeedSpan::Day("2027-04-04".parse().unwrap()))
        .unwrap();
    assert_eq!(sun.events.len(), 2);
    assert!(sun.events.iter().all(|x| !x.impact.closed));
    // On a Monday the closure runs from 22:00 to 06:00 the next morning, local time.
    let mon = e
        .road_events(FeedSpan::Day("2027-04-05".parse().unwrap()))
        .unwrap();
    let c = mon.events.iter().find(|x| x.impact.closed).unwrap();
    assert_eq!(c.start.to_rfc3339(), "2027-04-05T22:00:00+08:00");
    assert_eq!(c.end.to_rfc3339(), "2027-04-06T06:00:00+08:00");
}

#[test]
fn detours_are_detour_road_events_linked_both_ways() {
    let v = validator();
    let e = jinzhou();
    let feed = e.wzdx_feed(all_years(), &publisher()).unwrap();
    let features = feed["features"].as_array().unwrap();
    let detours: Vec<&Value> = features
        .iter()
        .filter(|f| f["properties"]["core_details"]["event_type"] == "detour")
        .collect();
    let set = e.road_events(all_years()).unwrap();
    assert_eq!(detours.len(), set.detours.len());
    for d in &detours {
        let id = d["id"].as_str().unwrap();
        let links = d["properties"]["core_details"]["related_road_events"]
            .as_array()
            .unwrap();
        assert!(!links.is_empty());
        for l in links {
            assert_eq!(l["type"], "related-work-zone");
            let zone = features.iter().find(|f| f["id"] == l["id"]).unwrap();
            let back = zone["properties"]["core_details"]["related_road_events"]
                .as_array()
                .unwrap();
            assert!(
                back.iter()
                    .any(|r| r["type"] == "related-detour" && r["id"] == id),
                "{id} ↔ {}",
                l["id"]
            );
        }
    }
    assert_valid(&v, &feed, "the feed with detours");
}

#[test]
fn every_official_example_imports() {
    // Each example into its own empty store (the two scenario-1 files share their ids).
    let empty = || {
        Engine::with_works(
            jzplan::io::geojson::jinzhou_network().unwrap(),
            Arc::new(SqliteStore::open_in_memory().unwrap()),
            &Catalogue::default(),
        )
        .unwrap()
    };
    let mut scenario4 = None;
    for (name, feed) in examples() {
        let e = empty();
        let zones = feed["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["core_details"]["event_type"] == "work-zone")
            .count();
        let r = e
            .import_wzdx(&feed, "test", false)
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        let events: usize = r.works.iter().map(|w| w.events.len()).sum();
        assert_eq!(events, zones, "{name}: every work-zone event is in a work");
        assert!(r.works.iter().all(|w| w.outcome == "created"), "{name}");
        // Off the Jinzhou network (these are US roads): nothing matched, all anchored.
        assert!(r.works.iter().all(|w| w.matched_effects == 0), "{name}");
        assert_eq!(
            e.list_works(&WorkFilter::default()).unwrap().len(),
            r.works.len(),
            "{name}: stored"
        );
        if name.starts_with("scenario4") {
            scenario4 = Some((e, feed));
        }
    }
    // Scenario 4, checked by hand: one northbound I-35 work zone (lanes: shoulder open,
    // general open, general closed, shoulder closed → one of two drivable lanes closed;
    // 88.5 km/h), with three detours that are left out; start verified 2010-01-01T01:03:01Z
    // (09:03 in Jinzhou), end 2010-06-30T01:00Z.
    let (e, feed) = scenario4.unwrap();
    let w = e
        .get_work(&WorkId::parse("a15f7570-b7e6-4367-8ad9-3a462eea65dd").unwrap())
        .unwrap()
        .work;
    assert_eq!(w.kind, jzplan::works::WorkKind::Repair, "surface-work");
    assert_eq!(
        w.window(),
        DateRange::new("2010-01-01".parse().unwrap(), "2010-06-30".parse().unwrap()).unwrap()
    );
    assert!(w.start_verified && !w.end_verified);
    assert_eq!(w.status, Status::UnderConstruction);
    assert_eq!(w.actual_start, Some("2010-01-01".parse().unwrap()));
    assert!(
        w.source.starts_with("import:wzdx:TestDOT/1"),
        "{}",
        w.source
    );
    let actions: Vec<&Action> = w.effects.iter().map(|x| &x.action).collect();
    assert_eq!(
        actions,
        [
            &Action::CutLanes { lanes: 1 },
            &Action::SetSpeed { speed_kmh: 88.5 }
        ]
    );
    // Importing again changes nothing.
    let again = e.import_wzdx(&feed, "test", false).unwrap();
    assert!(again.works.iter().all(|w| w.outcome == "exists"));
    assert_eq!(again.detours_left_out.len(), 3);
}

#[test]
fn bad_feeds_are_refused_whole_with_the_field_named() {
    let e = engine_on(main_street(), vec![]);
    let (_, good) = examples().remove(0);
    type Break = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Break)> = vec![
        (
            "FeatureCollection",
            Box::new(|v| v["type"] = json!("Feature")),
        ),
        (
            "features[1].properties.start_date",
            Box::new(|v| v["features"][1]["properties"]["start_date"] = json!("soon")),
        ),
        (
            "features[0].properties.end_date",
            Box::new(|v| {
                v["features"][0]["properties"]["end_date"] = json!("2001-01-01T00:00:00Z")
            }),
        ),
        (
            "features[2].geometry.coordinates[0]",
            Box::new(|v| v["features"][2]["geometry"]["coordinates"][0] = json!([500.0, 41.0])),
        ),
        (
            "features[0].properties.core_details.road_names",
            Box::new(|v| v["features"][0]["properties"]["core_details"]["road_names"] = json!([])),
        ),
        (
            "features[3].id",
            Box::new(|v| v["features"][3]["id"] = v["features"][0]["id"].clone()),
        ),
    ];
    for (field, break_it) in cases {
        let mut bad = good.clone();
        break_it(&mut bad);
        let err = e.import_wzdx(&bad, "test", false).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
        assert!(
            e.list_works(&WorkFilter::default()).unwrap().is_empty(),
            "nothing stored"
        );
    }
}

/// Per directed edge, what the construction effects of a work do there (closed, lanes open,
/// speed), from the attachment on the engine's network.
fn edge_impacts(e: &Engine, id: &WorkId) -> BTreeMap<EdgeId, (bool, u8, Option<i64>)> {
    let set = e.road_events(all_years()).unwrap();
    let mut out = BTreeMap::new();
    for ev in set.events.iter().filter(|x| &x.work == id) {
        for &edge in &ev.edges {
            let entry = out.entry(edge).or_insert((false, u8::MAX, None));
            entry.0 |= ev.impact.closed;
            entry.1 = entry.1.min(ev.impact.lanes_open);
            if let Some(v) = ev.impact.speed_kmh {
                let v = (f64::from(v) * 10.0).round() as i64;
                entry.2 = Some(entry.2.map_or(v, |s: i64| s.min(v)));
            }
        }
    }
    out
}

#[test]
fn export_then_import_keeps_ids_dates_and_effects() {
    let a = jinzhou();
    let feed = a.wzdx_feed(all_years(), &publisher()).unwrap();
    let b = Engine::with_works(
        jzplan::io::geojson::jinzhou_network().unwrap(),
        Arc::new(SqliteStore::open_in_memory().unwrap()),
        &Catalogue::default(),
    )
    .unwrap();
    let r = b.import_wzdx(&feed, "test", false).unwrap();
    let set = a.road_events(all_years()).unwrap();
    let exported: Vec<&Work> = set.works.iter().collect();
    assert!(!exported.is_empty());
    assert_eq!(r.works.len(), exported.len());
    for w in &exported {
        let back = b.get_work(&w.id).unwrap().work;
        assert_eq!(back.window(), w.window(), "{}", w.id);
        assert_eq!(
            back.start_verified,
            w.start_verified || w.actual_start.is_some()
        );
        assert_eq!(back.end_verified, w.end_verified || w.actual_end.is_some());
        assert!(
            back.effects.iter().all(|x| x.phase == Phase::Construction),
            "{}",
            w.id
        );
        let (before, after) = (edge_impacts(&a, &w.id), edge_impacts(&b, &w.id));
        assert!(!before.is_empty(), "{}", w.id);
        assert_eq!(
            before, after,
            "{}: the same edges changed the same way",
            w.id
        );
    }
}

fn feed_app(e: Engine) -> axum::Router {
    api::app(e, ApiConfig::default()).unwrap()
}

#[tokio::test]
async fn the_feeds_are_served_and_refuse_unknown_parameters() {
    let app = feed_app(engine_on(main_street(), vec![night_works()]));
    let r = get(&app, "/api/v1/wzdx?window=2027-01-01..2027-12-31").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    assert_eq!(r.content_type(), "application/geo+json");
    assert_valid(&validator(), &r.json(), "the served feed");
    assert_eq!(r.json()["features"].as_array().unwrap().len(), 4);
    let none = get(&app, "/api/v1/wzdx?window=2020-01-01..2020-12-31").await;
    assert_eq!(none.json()["features"].as_array().unwrap().len(), 0);
    assert_problem(
        &get(&app, "/api/v1/wzdx?bogus=1").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(&app, "/api/v1/wzdx?window=2027-12-31..2027-01-01").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(&app, "/api/v1/wzdx?date=2027-04-05&window=2027-01-01..").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(&app, "/api/v1/cifs?format=csv").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(&app, "/api/v1/cifs?limit=3").await,
        400,
        "InvalidInput",
    );
}

/// The elements the CIFS specification requires of a closure (incident id, type, polyline,
/// street, start and end times, direction), and the requested ones we give (subtype,
/// description, source).
const CIFS_REQUIRED: [&str; 7] = [
    "type",
    "polyline",
    "street",
    "starttime",
    "endtime",
    "direction",
    "subtype",
];

fn check_polyline(p: &str, expect_first_lon: f64) {
    let v: Vec<f64> = p.split(' ').map(|x| x.parse().unwrap()).collect();
    assert!(v.len() >= 4 && v.len().is_multiple_of(2), "{p}");
    // lat lon pairs: latitude first (41.0), longitude second (121.0x), in driving order.
    assert!((v[0] - 41.0).abs() < 1e-6, "{p}");
    assert!((v[1] - expect_first_lon).abs() < 1e-6, "{p}");
}

#[tokio::test]
async fn cifs_has_every_required_element_in_json_and_xml() {
    let app = feed_app(engine_on(main_street(), vec![night_works()]));
    let r = get(&app, "/api/v1/cifs?window=2027-01-01..2027-12-31").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let j = r.json();
    let list = j["incidents"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    let mut closed = 0;
    for i in list {
        let i = &i["incident"];
        assert!(i["id"].as_str().is_some_and(|s| !s.is_empty()));
        for k in CIFS_REQUIRED {
            assert!(i[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {i}");
        }
        assert_eq!(i["direction"], "ONE_DIRECTION");
        assert_eq!(i["source"]["reference"], "N1");
        if i["type"] == "ROAD_CLOSED" {
            closed += 1;
            assert_eq!(i["subtype"], "ROAD_CLOSED_CONSTRUCTION");
            assert_eq!(i["starttime"], "2027-04-01T00:00:00+08:00");
            assert_eq!(i["endtime"], "2027-05-01T00:00:00+08:00");
            // Nights, Monday to Friday: Monday from 22:00, Saturday until 06:00, Sunday free.
            assert_eq!(i["schedule"]["monday"], "22:00-23:59");
            assert_eq!(i["schedule"]["tuesday"], "00:00-06:00,22:00-23:59");
            assert_eq!(i["schedule"]["saturday"], "00:00-06:00");
            assert!(i["schedule"].get("sunday").is_none());
            let first_lon = if i["description"].as_str().unwrap().contains("eastbound") {
                121.0
            } else {
                121.03
            };
            check_polyline(i["polyline"].as_str().unwrap(), first_lon);
        } else {
            assert_eq!(i["type"], "HAZARD");
            assert!(i.get("schedule").is_none());
        }
    }
    assert_eq!(closed, 2, "one closure per direction");
    // On Saturday 3 April the Friday night closure is still on until 06:00 (as routing has it).
    let r = get(&app, "/api/v1/cifs?date=2027-04-03").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
    let sat = r.json();
    let closures: Vec<&Value> = sat["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["incident"])
        .filter(|i| i["type"] == "ROAD_CLOSED")
        .collect();
    assert_eq!(closures.len(), 2, "{sat}");
    for i in closures {
        assert_eq!(i["starttime"], "2027-04-02T22:00:00+08:00");
        assert_eq!(i["endtime"], "2027-04-03T06:00:00+08:00");
    }

    let req = Request::get("/api/v1/cifs?window=2027-01-01..2027-12-31")
        .header(header::ACCEPT, "application/xml")
        .body(Body::empty())
        .unwrap();
    let x = send(&app, req).await;
    assert_eq!(x.status.as_u16(), 200);
    assert!(x.content_type().starts_with("application/xml"));
    let text = x.text();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "incidents");
    let incidents: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(incidents.len(), 4);
    for i in incidents {
        assert_eq!(i.tag_name().name(), "incident");
        assert!(i.attribute("id").is_some_and(|s| !s.is_empty()));
        for k in CIFS_REQUIRED {
            let el = i.children().find(|c| c.tag_name().name() == k);
            assert!(
                el.and_then(|e| e.text()).is_some_and(|t| !t.is_empty()),
                "{k}"
            );
        }
    }
    let same = get(
        &app,
        "/api/v1/cifs?window=2027-01-01..2027-12-31&format=xml",
    )
    .await;
    assert_eq!(same.text(), text);
}

#[test]
fn night_works_close_the_street_at_night_on_their_weekdays_only() {
    let e = engine_on(main_street(), vec![night_works()]);
    let all_closed = |s: &jzplan::scenario::NetworkState<'_>| {
        (0..e.network.edge_count()).all(|i| !s.is_open(EdgeId::from_index(i)))
    };
    let none_closed = |s: &jzplan::scenario::NetworkState<'_>| {
        (0..e.network.edge_count()).all(|i| s.is_open(EdgeId::from_index(i)))
    };
    let day = |s: &str| -> chrono::NaiveDate { s.parse().unwrap() };
    // Monday 2027-04-05 is a work night: the day's state is the worst of the day.
    assert!(all_closed(&e.state_on(day("2027-04-05")).unwrap()));
    // Saturday: the Friday night runs into the morning; Sunday: no work at all.
    assert!(all_closed(&e.state_on(day("2027-04-03")).unwrap()));
    assert!(none_closed(&e.state_on(day("2027-04-04")).unwrap()));
    // At a time of day: open at noon, closed at 23:00 and at 05:59 the morning after.
    assert!(none_closed(
        &e.state_at(day("2027-04-05"), 12 * 60).unwrap()
    ));
    assert!(all_closed(&e.state_at(day("2027-04-05"), 23 * 60).unwrap()));
    assert!(all_closed(
        &e.state_at(day("2027-04-06"), 5 * 60 + 59).unwrap()
    ));
    assert!(none_closed(&e.state_at(day("2027-04-06"), 6 * 60).unwrap()));
    assert!(all_closed(&e.state_at(day("2027-04-03"), 3 * 60).unwrap()));
    // The speed limit has no schedule: in force at noon on a Sunday.
    let sunday_noon = e.state_at(day("2027-04-04"), 12 * 60).unwrap();
    assert!((sunday_noon.speed_kmh(EdgeId::from_index(0)) - 30.0).abs() < 1e-6);
    assert!(e.state_at(day("2027-04-04"), 1440).is_err());
}

#[tokio::test]
async fn moratoria_are_a_map_layer_valid_over_their_protected_period() {
    let dir = tempfile::tempdir().unwrap();
    let state = crate::api::jinzhou_state(dir.path());
    let expected = state
        .engine
        .moratoria(&jzplan::works::rules::MoratoriumPeriods::default())
        .unwrap()
        .into_iter()
        .filter(|m| m.lines.iter().any(|l| l.len() >= 2))
        .collect::<Vec<_>>();
    let app = api::app_with_state(state);
    let all = get(&app, "/collections/moratoria/items?limit=1000").await;
    assert_eq!(all.status.as_u16(), 200, "{}", all.text());
    let features = all.json()["features"].as_array().unwrap().clone();
    assert_eq!(features.len(), expected.len());
    assert!(!features.is_empty());
    for f in &features {
        let p = &f["properties"];
        let m = expected
            .iter()
            .find(|m| m.work.as_str() == p["work"])
            .unwrap();
        assert_eq!(p["from"], m.from.to_string());
        assert_eq!(p["until"], m.until.to_string());
        assert_eq!(f["geometry"]["type"], "MultiLineString");
    }
    // The dig-bans in force on a day: exactly those whose period holds it.
    let day = "2023-06-01";
    let on = get(
        &app,
        &format!("/collections/moratoria/items?limit=1000&datetime={day}"),
    )
    .await;
    let on = on.json()["features"].as_array().unwrap().clone();
    let want = expected
        .iter()
        .filter(|m| m.from.to_string().as_str() <= day && day <= m.until.to_string().as_str())
        .count();
    assert_eq!(on.len(), want);
    assert!(
        want > 0 && want < expected.len(),
        "{want} of {}",
        expected.len()
    );
}
