//! Works coordination: works created and edited as records (API and engine), and the site,
//! corridor, opportunity and moratorium rules on a river with two bridges a person can check
//! by eye.

use crate::api::{assert_problem, get, jinzhou_state_with, send};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jzplan::analysis::clash::Probe;
use jzplan::api::{self, ApiConfig};
use jzplan::engine::Engine;
use jzplan::network::{EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan::store::SqliteStore;
use jzplan::works::catalogue::Catalogue;
use jzplan::works::rules::{FindingFilter, FindingKind, RuleOptions, Severity};
use jzplan::works::{Work, WorkId};
use serde_json::{Value, json};
use std::sync::Arc;

/// Two river banks (南岸路 at lat 41.100, 北岸路 at 41.110, x = 121.10 … 121.13, 0.01° ≈ 840 m
/// apart) joined by two bridges: 西桥街 at x = 121.10 and 东桥街 at x = 121.13.
///
/// ```text
///  n0 ───── n1 ───── n2 ───── n3     北岸路
///  │西桥                      │东桥
///  ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~  river
///  │                          │
///  s0 ───── s1 ───── s2 ───── s3     南岸路
/// ```
fn two_bridges() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:two-bridges");
    let xs = [121.10, 121.11, 121.12, 121.13];
    let s: Vec<NodeId> = xs.iter().map(|&x| b.add_node(x, 41.100).unwrap()).collect();
    let n: Vec<NodeId> = xs.iter().map(|&x| b.add_node(x, 41.110).unwrap()).collect();
    let south = b.add_street("south", "南岸路", "South Bank Road");
    let north = b.add_street("north", "北岸路", "North Bank Road");
    let west = b.add_street("west", "西桥街", "West Bridge Street");
    let east = b.add_street("east", "东桥街", "East Bridge Street");
    let road = |b: &mut NetworkBuilder, a, z, st, bridge| {
        let mut spec = EdgeSpec::new(a, z, st, RoadClass::Secondary, "test");
        spec.bridge = bridge;
        b.add_road(spec, false).unwrap();
    };
    for i in 0..3 {
        road(&mut b, s[i], s[i + 1], south, false);
        road(&mut b, n[i], n[i + 1], north, false);
    }
    road(&mut b, s[0], n[0], west, true);
    road(&mut b, s[3], n[3], east, true);
    b.build().unwrap()
}

/// A work record on the test network: `street` between x0 and x1 on the bank at `lat`.
fn record(
    id: &str,
    kind: &str,
    street: &str,
    lat: f64,
    x: (f64, f64),
    dates: (&str, &str),
    action: Value,
) -> Value {
    json!({
        "id": id, "name_zh": id, "name_en": id, "kind": kind, "status": "design",
        "status_source": "estimate:test", "dates_source": "estimate:test", "source": "estimate:test",
        "planned": {"start": dates.0, "end": dates.1},
        "geometry": {"type": "LineString", "coordinates": [[x.0, lat], [x.1, lat]]},
        "effects": [{"phase": "construction", "action": action,
            "target": {"type": "street", "streets": [street], "from": [x.0 + 0.001, lat],
                       "to": [x.1 - 0.001, lat], "radius_m": 60}}]
    })
}

fn bridge(id: &str, street: &str, x: f64, dates: (&str, &str)) -> Value {
    json!({
        "id": id, "name_zh": id, "name_en": id, "kind": "repair", "status": "design",
        "status_source": "estimate:test", "dates_source": "estimate:test", "source": "estimate:test",
        "planned": {"start": dates.0, "end": dates.1},
        "geometry": {"type": "LineString", "coordinates": [[x, 41.100], [x, 41.110]]},
        "effects": [{"phase": "construction", "action": {"kind": "close"},
            "target": {"type": "street", "streets": [street], "from": [x, 41.101],
                       "to": [x, 41.109], "radius_m": 60}}]
    })
}

fn engine_with(works: Vec<Value>) -> Engine {
    let works: Vec<Work> = works
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let cat = Catalogue {
        works,
        ..Catalogue::default()
    };
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let e = Engine::with_works(two_bridges(), store, &cat).unwrap();
    e.seed(&cat).unwrap();
    e
}

fn opts() -> RuleOptions {
    RuleOptions {
        probes: vec![
            Probe {
                name: "south".into(),
                at: [121.115, 41.100],
            },
            Probe {
                name: "north".into(),
                at: [121.115, 41.110],
            },
        ],
        ..RuleOptions::default()
    }
}

fn kinds(e: &Engine) -> Vec<(FindingKind, Severity, [String; 2])> {
    e.findings(&opts(), &FindingFilter::default())
        .unwrap()
        .into_iter()
        .map(|f| {
            (
                f.kind,
                f.severity,
                [f.works[0].to_string(), f.works[1].to_string()],
            )
        })
        .collect()
}

#[allow(non_snake_case)]
fn CLOSE() -> Value {
    json!({"kind": "close"})
}

#[allow(non_snake_case)]
fn LANE() -> Value {
    json!({"kind": "cut_lanes", "lanes": 1})
}

#[test]
fn adjacent_sites_at_the_same_time_are_a_site_finding() {
    // A closes 南岸路 s0–s1, B narrows s1–s2: the sites meet at s1 (0 m) in June.
    let e = engine_with(vec![
        record(
            "A",
            "widening",
            "南岸路",
            41.100,
            (121.10, 121.11),
            ("2024-05-01", "2024-06-30"),
            CLOSE(),
        ),
        record(
            "B",
            "pipe_renewal",
            "南岸路",
            41.100,
            (121.11, 121.12),
            ("2024-06-01", "2024-07-31"),
            LANE(),
        ),
    ]);
    let f = e.findings(&opts(), &FindingFilter::default()).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, FindingKind::Site);
    assert_eq!(
        f[0].severity,
        Severity::Medium,
        "only one of them closes the road"
    );
    assert_eq!(f[0].distance_m, 0.0);
    assert_eq!(f[0].dates.start.to_string(), "2024-06-01");
    assert_eq!(f[0].dates.end.to_string(), "2024-06-30");
    assert_eq!(f[0].streets, ["南岸路"]);
    // 840 m apart on the same street, windows overlapping: not one site (buffer 50 m), and
    // not an opportunity either (the windows overlap: that is coordination, not dig-once).
    let far = engine_with(vec![
        record(
            "A",
            "widening",
            "南岸路",
            41.100,
            (121.10, 121.11),
            ("2024-05-01", "2024-06-30"),
            CLOSE(),
        ),
        record(
            "C",
            "pipe_renewal",
            "南岸路",
            41.100,
            (121.12, 121.13),
            ("2024-06-01", "2024-07-31"),
            LANE(),
        ),
    ]);
    assert!(kinds(&far).is_empty(), "{:?}", kinds(&far));
}

#[test]
fn works_on_one_street_months_apart_are_an_opportunity() {
    // Same street, 61 days between the end of A and the start of B: dig once.
    let e = engine_with(vec![
        record(
            "A",
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.10, 121.11),
            ("2024-04-01", "2024-04-30"),
            LANE(),
        ),
        record(
            "B",
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.12, 121.13),
            ("2024-07-01", "2024-07-31"),
            LANE(),
        ),
    ]);
    let f = e.findings(&opts(), &FindingFilter::default()).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].kind, FindingKind::Opportunity);
    assert_eq!(f[0].severity, Severity::Low);
    assert_eq!(
        (f[0].dates.start.to_string(), f[0].dates.end.to_string()),
        ("2024-05-01".into(), "2024-06-30".into())
    );
    assert!(f[0].reason.contains("61 days later"), "{}", f[0].reason);
    // 200 days apart: beyond the default 180, found with a longer horizon.
    let late = engine_with(vec![
        record(
            "A",
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.10, 121.11),
            ("2024-04-01", "2024-04-30"),
            LANE(),
        ),
        record(
            "B",
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.12, 121.13),
            ("2024-11-17", "2024-11-30"),
            LANE(),
        ),
    ]);
    assert!(kinds(&late).is_empty());
    let o = RuleOptions {
        opportunity_days: 365,
        ..opts()
    };
    assert_eq!(
        late.findings(&o, &FindingFilter::default()).unwrap().len(),
        1
    );
}

#[test]
fn digging_a_freshly_resurfaced_street_breaks_its_moratorium_unless_emergency() {
    let mut r = record(
        "R",
        "repair",
        "北岸路",
        41.110,
        (121.11, 121.12),
        ("2023-04-01", "2023-06-30"),
        LANE(),
    );
    r["status"] = json!("completed");
    r["actual_start"] = json!("2023-04-03");
    r["actual_end"] = json!("2023-06-28");
    let dig = |id: &str, dates: (&str, &str), emergency: bool| {
        let mut w = record(
            id,
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.11, 121.12),
            dates,
            LANE(),
        );
        w["promoter"] = json!("gas");
        w["emergency"] = json!(emergency);
        w
    };
    let e = engine_with(vec![
        r.clone(),
        dig("G", ("2024-05-01", "2024-05-31"), false),
        dig("X", ("2025-01-10", "2025-01-12"), true),
        dig("L", ("2026-07-01", "2026-07-31"), false),
    ]);
    let f = e
        .findings(
            &opts(),
            &FindingFilter {
                kind: Some(FindingKind::Moratorium),
                ..FindingFilter::default()
            },
        )
        .unwrap();
    let got: Vec<(String, Severity, bool)> = f
        .iter()
        .map(|f| (f.works[1].to_string(), f.severity, f.emergency))
        .collect();
    // Protected from 2023-06-29 to 2026-06-28 (3 years after resurfacing); L starts after.
    assert_eq!(
        got,
        [
            ("G".into(), Severity::High, false),
            ("X".into(), Severity::Medium, true)
        ]
    );
    assert!(f[1].reason.contains("emergency"), "{}", f[1].reason);
    assert!(
        f[0].reason.contains("protected to 2026-06-28"),
        "{}",
        f[0].reason
    );
    let m = e.moratoria(&Default::default()).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].from.to_string(), m[0].until.to_string()),
        ("2023-06-29".into(), "2026-06-28".into())
    );
    assert!(m[0].basis.contains("城市道路管理条例"));
    assert!(
        m[0].source.starts_with("model:moratorium rule"),
        "{}",
        m[0].source
    );
    assert_eq!(m[0].streets, ["北岸路"]);
}

#[test]
fn both_bridges_closed_at_once_is_a_strong_corridor_finding() {
    // Each bridge alone: the other carries the trip (same length by symmetry). Both at once:
    // the north and south banks are cut apart.
    let e = engine_with(vec![
        bridge("W", "西桥街", 121.10, ("2024-05-01", "2024-06-30")),
        bridge("E", "东桥街", 121.13, ("2024-06-15", "2024-08-31")),
    ]);
    let f = e.findings(&opts(), &FindingFilter::default()).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    let c = &f[0];
    assert_eq!(c.kind, FindingKind::Corridor);
    assert_eq!(c.severity, Severity::Critical);
    assert!(c.strong);
    assert_eq!(c.detour_factor, None, "the trip is cut, no factor");
    assert_eq!(c.dates.start.to_string(), "2024-06-15");
    assert!(c.reason.contains("is cut"), "{}", c.reason);
    // Not at the same time: nothing.
    let apart = engine_with(vec![
        bridge("W", "西桥街", 121.10, ("2024-05-01", "2024-06-30")),
        bridge("E", "东桥街", 121.13, ("2024-07-01", "2024-08-31")),
    ]);
    assert!(kinds(&apart).iter().all(|k| k.0 != FindingKind::Corridor));
}

#[test]
fn a_corridor_squeezed_but_not_cut_is_high_with_its_detour_factor() {
    // A third, long crossing far to the east keeps the banks joined: closing both bridges
    // makes the trip several times longer (strong), one alone changes nothing.
    let mut b = NetworkBuilder::from_network(&two_bridges());
    let s = b.add_node(121.19, 41.100).unwrap();
    let n = b.add_node(121.19, 41.110).unwrap();
    let far = b.add_street("far", "远桥街", "Far Bridge Street");
    let sb = b.add_street("sb", "南岸东路", "South Bank East Road");
    let nb = b.add_street("nb", "北岸东路", "North Bank East Road");
    let s3 = NodeId(3);
    let n3 = NodeId(7);
    for (a, z, st) in [(s3, s, sb), (n3, n, nb), (s, n, far)] {
        b.add_road(EdgeSpec::new(a, z, st, RoadClass::Secondary, "test"), false)
            .unwrap();
    }
    let net = b.build().unwrap();
    assert_eq!((net.node(s3).lon, net.node(n3).lat), (121.13, 41.110));
    let e = crate::common::engine_with_works(
        net,
        vec![
            bridge("W", "西桥街", 121.10, ("2024-05-01", "2024-06-30")),
            bridge("E", "东桥街", 121.13, ("2024-06-15", "2024-08-31")),
        ],
    );
    let f = e.findings(&opts(), &FindingFilter::default()).unwrap();
    assert_eq!(f.len(), 1, "{f:#?}");
    let r = f[0].detour_factor.expect("a factor: the trip is not cut");
    // The probes snap to s1 and n1 (x = 121.11). Base: s1 → s0 → 西桥 → n0 → n1 = 2 × 0.01° lon
    // + 0.01° lat ≈ 2 × 840 + 1,112 = 2,792 m. Both closed: s1 → s3 → x 121.19 → 远桥 and back
    // = 2 × 0.08° lon + 0.01° lat ≈ 2 × 6,717 + 1,112 = 14,546 m: 5.21× (one speed, so time ∝ length).
    assert!((r - 5.21).abs() < 0.02, "{r}");
    assert_eq!(f[0].severity, Severity::Critical);
    // With a threshold above the factor it is a (high) corridor finding, not strong.
    let o = RuleOptions {
        detour_factor: r + 1.0,
        ..opts()
    };
    let g = e.findings(&o, &FindingFilter::default()).unwrap();
    assert_eq!((g[0].severity, g[0].strong), (Severity::High, false));
}

#[test]
fn filters_by_work_street_and_kind() {
    let e = engine_with(vec![
        record(
            "A",
            "widening",
            "南岸路",
            41.100,
            (121.10, 121.11),
            ("2024-05-01", "2024-06-30"),
            CLOSE(),
        ),
        record(
            "B",
            "pipe_renewal",
            "南岸路",
            41.100,
            (121.11, 121.12),
            ("2024-06-01", "2024-07-31"),
            LANE(),
        ),
        record(
            "C",
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.10, 121.11),
            ("2024-04-01", "2024-04-30"),
            LANE(),
        ),
        record(
            "D",
            "pipe_renewal",
            "北岸路",
            41.110,
            (121.12, 121.13),
            ("2024-07-01", "2024-07-31"),
            LANE(),
        ),
    ]);
    let n = |f: FindingFilter| e.findings(&opts(), &f).unwrap().len();
    assert_eq!(n(FindingFilter::default()), 2);
    let w = |s: &str| Some(WorkId::parse(s).unwrap());
    assert_eq!(
        n(FindingFilter {
            work: w("A"),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        n(FindingFilter {
            work: w("D"),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        n(FindingFilter {
            street: Some("北岸路".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        n(FindingFilter {
            street: Some("North Bank Road".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        n(FindingFilter {
            kind: Some(FindingKind::Site),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        n(FindingFilter {
            min_severity: Some(Severity::Medium),
            ..Default::default()
        }),
        1
    );
    assert!(
        e.findings(
            &opts(),
            &FindingFilter {
                work: w("Z"),
                ..Default::default()
            }
        )
        .is_err()
    );
}

async fn write(
    app: &Router,
    method: &str,
    uri: &str,
    etag: Option<&str>,
    body: &str,
) -> crate::api::Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, "Bearer s3cret");
    if let Some(t) = etag {
        b = b.header(header::IF_MATCH, t);
    }
    send(app, b.body(Body::from(body.to_string())).unwrap()).await
}

/// A water main renewal on 解放路 (Jiefang Road, lat 41.112) in 2027, at night.
fn water_main() -> Value {
    json!({
        "id": "W-2027-001", "name_zh": "解放路供水管更新", "name_en": "Jiefang Road water main renewal",
        "kind": "pipe_renewal", "promoter": "water",
        "planned": {"start": "2027-04-01", "end": "2027-05-31"},
        "geometry": {"type": "LineString", "coordinates": [[121.160, 41.112], [121.170, 41.112]]},
        "effects": [{"phase": "construction", "action": {"kind": "close"}, "direction": "forward",
            "target": {"type": "street", "streets": ["解放路"], "from": [121.160, 41.112],
                       "to": [121.170, 41.112], "radius_m": 100},
            "schedule": {"hours": "22:00-06:00", "weekdays": ["mon", "tue", "wed", "thu", "fri"]}}],
        "comment": "application 2026/117"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_are_created_edited_and_cancelled_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let mut tokens = api::auth::TokenStore::default();
    tokens
        .add_hash("office-wang", &api::auth::hash_hex("s3cret"))
        .unwrap();
    let app = api::app_with_state(jinzhou_state_with(
        dir.path(),
        ApiConfig {
            tokens,
            ..ApiConfig::default()
        },
    ));
    let body = water_main().to_string();
    // No token: 401, nothing stored.
    let r = send(
        &app,
        Request::post("/api/v1/works")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.clone()))
            .unwrap(),
    )
    .await;
    assert_problem(&r, 401, "Unauthorized");

    // Bad records are refused whole, naming the field; nothing is stored.
    let bad = |f: &dyn Fn(&mut Value)| {
        let mut v = water_main();
        f(&mut v);
        v.to_string()
    };
    let cases: Vec<(String, u16, &str, &str)> = vec![
        (
            bad(&|v| v["promoter"] = json!("sewage")),
            400,
            "InvalidInput",
            "promoter",
        ),
        (
            bad(&|v| v["kind"] = json!("castle")),
            400,
            "InvalidInput",
            "kind",
        ),
        (
            bad(&|v| v["planned"]["end"] = json!("2027-03-01")),
            400,
            "InvalidInput",
            "planned.end",
        ),
        (
            bad(&|v| v["effects"][0]["schedule"]["hours"] = json!("22:00-30:00")),
            400,
            "InvalidInput",
            "effects[0].schedule.hours",
        ),
        (
            bad(&|v| v["geometry"]["coordinates"] = json!([[121.60, 41.50], [121.61, 41.50]])),
            400,
            "InvalidInput",
            "off the network",
        ),
        (
            bad(&|v| v["effects"][0]["target"]["streets"] = json!(["没有这条路"])),
            400,
            "InvalidInput",
            "effects[0].target",
        ),
        (
            bad(&|v| v["colour"] = json!("red")),
            400,
            "InvalidInput",
            "colour: unknown field",
        ),
        (
            bad(&|v| v["effects"] = json!(vec![v["effects"][0].clone(); 65])),
            413,
            "TooBig",
            "effects",
        ),
        (
            bad(&|v| v["version"] = json!(7)),
            400,
            "InvalidInput",
            "version",
        ),
        ("[1, 2]".to_string(), 400, "InvalidInput", "JSON object"),
    ];
    for (body, status, code, field) in &cases {
        let r = write(&app, "POST", "/api/v1/works", None, body).await;
        assert_problem(&r, *status, code);
        let detail = r.json()["detail"].as_str().unwrap().to_string();
        assert!(detail.contains(field), "want '{field}' in '{detail}'");
    }
    assert_problem(
        &get(&app, "/api/v1/works/W-2027-001").await,
        404,
        "NotFound",
    );

    // A good one: 201, Location, ETag v1, and its check.
    let r = write(&app, "POST", "/api/v1/works", None, &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.headers[header::LOCATION], "/api/v1/works/W-2027-001");
    assert_eq!(r.headers[header::ETAG], "\"v1\"");
    let j = r.json();
    assert_eq!(j["work"]["promoter"], "water");
    assert_eq!(j["work"]["status"], "proposed");
    assert_eq!(
        j["work"]["source"].as_str().unwrap()[..23],
        *"submitted:office-wang 2"
    );
    assert!(j["check"].is_array());
    // Its one direction was attached: only eastbound edges of 解放路.
    let d = get(&app, "/api/v1/works/W-2027-001").await.json();
    assert!(!d["edges"].as_array().unwrap().is_empty());
    assert!(
        d["attachment"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["matched"] == true),
        "{d}"
    );
    // The same id again: 409.
    assert_problem(
        &write(&app, "POST", "/api/v1/works", None, &body).await,
        409,
        "Conflict",
    );

    // Edit: move the dates and change the hours; stale and missing If-Match are refused.
    let edit = r#"{"planned": {"start": "2027-06-01", "end": "2027-07-15"}, "start_verified": true,
                   "effects": [{"phase": "construction", "action": {"kind": "cut_lanes", "lanes": 1},
                     "target": {"type": "street", "streets": ["解放路"], "from": [121.160, 41.112],
                                "to": [121.170, 41.112], "radius_m": 100},
                     "schedule": {"hours": "09:00-16:00"}}], "comment": "promoter moved the dates"}"#;
    assert_problem(
        &write(
            &app,
            "PATCH",
            "/api/v1/works/W-2027-001",
            Some("\"v9\""),
            edit,
        )
        .await,
        412,
        "PreconditionFailed",
    );
    assert_problem(
        &write(&app, "PATCH", "/api/v1/works/W-2027-001", None, edit).await,
        428,
        "PreconditionRequired",
    );
    let bad_edit = r#"{"effects": [{"phase": "completion", "action": {"kind": "close"},
        "target": {"type": "edges", "edges": [1]}, "schedule": {"hours": "22:00-06:00"}}]}"#;
    let r = write(
        &app,
        "PATCH",
        "/api/v1/works/W-2027-001",
        Some("\"v1\""),
        bad_edit,
    )
    .await;
    assert_problem(&r, 400, "InvalidInput");
    assert!(
        r.json()["detail"]
            .as_str()
            .unwrap()
            .contains("effects[0].schedule")
    );
    for (b, field) in [
        (r#"{"id": "OTHER"}"#, "id"),
        (r#"{"colour": "red"}"#, "colour"),
        (r#"{"actual_start": "2099-01-01"}"#, "actual_start"),
        (r#"{"geometry": null}"#, "geometry: an edit may replace"),
        (
            r#"{"status": "under_construction", "effective": "2099-01-01"}"#,
            "effective: 2099-01-01 is after today",
        ),
        (r#"{}"#, "nothing to change"),
    ] {
        let r = write(&app, "PATCH", "/api/v1/works/W-2027-001", Some("\"v1\""), b).await;
        assert_problem(&r, 400, "InvalidInput");
        assert!(
            r.json()["detail"].as_str().unwrap().contains(field),
            "{field}: {}",
            r.text()
        );
    }
    let r = write(
        &app,
        "PATCH",
        "/api/v1/works/W-2027-001",
        Some("\"v1\""),
        edit,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::ETAG], "\"v2\"");
    let j = r.json();
    assert_eq!(j["work"]["planned"]["start"], "2027-06-01");
    assert_eq!(j["work"]["start_verified"], true);
    assert_eq!(j["work"]["effects"][0]["schedule"]["hours"], "09:00-16:00");
    assert!(j["check"].is_array());

    // Cancel; the history names the token holder for every change.
    let r = write(
        &app,
        "PATCH",
        "/api/v1/works/W-2027-001",
        Some("\"v2\""),
        r#"{"status": "cancelled", "effective": "2026-12-01", "comment": "withdrawn"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["work"]["status"], "cancelled");
    assert_eq!(
        r.json()["work"]["status_source"],
        "edit:status cancelled effective 2026-12-01"
    );
    let h = get(&app, "/api/v1/works/W-2027-001/history").await.json();
    let fields: Vec<(&str, &str, &str)> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap(),
                e["actor"].as_str().unwrap(),
                e["comment"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("created", "office-wang", "application 2026/117"),
            ("edit", "office-wang", "promoter moved the dates"),
            ("status", "office-wang", "withdrawn"),
        ]
    );
    let edit_entry = &h[1];
    assert!(
        edit_entry["old"].as_str().unwrap().contains("2027-04-01"),
        "{edit_entry}"
    );
    assert!(
        edit_entry["new"].as_str().unwrap().contains("2027-06-01"),
        "{edit_entry}"
    );

    // Findings: filters, unknown parameters refused.
    let c = get(&app, "/api/v1/conflicts?kind=site").await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text());
    assert!(
        c.json()
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] == "site")
    );
    for q in [
        "colour=red",
        "kind=castle",
        "min_severity=huge",
        "from=2022-01-01",
        "buffer_m=-1",
        "work=P99",
    ] {
        let r = get(&app, &format!("/api/v1/conflicts?{q}")).await;
        assert!(r.status == 400 || r.status == 404, "{q}: {}", r.text());
    }
    assert_problem(
        &get(&app, "/api/v1/moratoria?x=1").await,
        400,
        "InvalidInput",
    );
    let m = get(&app, "/api/v1/moratoria").await.json();
    assert!(!m.as_array().unwrap().is_empty());
}

/// The counts docs/works.md gives for the plan's 56 works on the embedded network.
#[test]
fn catalogue_counts() {
    use jzplan::works::validate::{RecordRules, check_record};
    let cat = Catalogue::jinzhou().unwrap();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    let e = Engine::with_works(net, store, &cat).unwrap();
    e.seed(&cat).unwrap();
    let f = e
        .findings(&RuleOptions::default(), &FindingFilter::default())
        .unwrap();
    let n = |k: FindingKind| f.iter().filter(|x| x.kind == k).count();
    assert_eq!(
        (
            f.len(),
            n(FindingKind::Site),
            n(FindingKind::Corridor),
            n(FindingKind::Opportunity),
            n(FindingKind::Moratorium)
        ),
        (250, 190, 0, 25, 35)
    );
    // Every record of the plan passes the record checks, so each can be edited.
    let rules = RecordRules {
        submitted: false,
        today: chrono::NaiveDate::MAX,
    };
    for w in &cat.works {
        check_record(w, rules).unwrap_or_else(|e| panic!("{}: {e}", w.id));
    }
}

/// A point inside the Jinzhou network's extent whose nearest road is farther than `far_m`
/// (found on a grid, not assumed).
fn point_far_from_roads(e: &Engine, far_m: f64) -> [f64; 2] {
    for i in 0..60 {
        for j in 0..60 {
            let p = [121.03 + 0.003 * i as f64, 41.03 + 0.0025 * j as f64];
            match e.nearest(geo_types::Point::new(p[0], p[1]), 3_000.0) {
                Ok(s) if s.dist_m > far_m => return p,
                Err(_) => return p,
                Ok(_) => {}
            }
        }
    }
    panic!("no point {far_m} m from every road");
}

/// Issue 15 §6: each kind of bad record or edit is refused with its stable code (docs/errors.md,
/// "Works records"), and nothing is stored — no record, no history entry, no event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_works_and_limits_are_refused_with_stable_codes_and_store_nothing() {
    use jzplan::works::validate::{MAX_COORDS, MAX_OFF_NETWORK_M};
    let dir = tempfile::tempdir().unwrap();
    let mut tokens = api::auth::TokenStore::default();
    tokens
        .add_hash("office-wang", &api::auth::hash_hex("s3cret"))
        .unwrap();
    let state = jinzhou_state_with(
        dir.path(),
        ApiConfig {
            tokens,
            max_body_bytes: 256 << 10,
            ..ApiConfig::default()
        },
    );
    let engine = state.engine.clone();
    let app = api::app_with_state(state);
    let last = || engine.last_event().unwrap();
    let before = last();
    let far = point_far_from_roads(&engine, MAX_OFF_NETWORK_M + 100.0);
    let bad = |f: &dyn Fn(&mut Value)| {
        let mut v = water_main();
        f(&mut v);
        v.to_string()
    };
    let many: Vec<[f64; 2]> = (0..=MAX_COORDS)
        .map(|i| [121.160 + 1e-6 * i as f64, 41.112])
        .collect();
    let cases: Vec<(&str, String, u16, &str, &str)> = vec![
        (
            "geometry far outside the city",
            bad(&|v| v["geometry"]["coordinates"] = json!([[10.0, 50.0], [10.01, 50.0]])),
            400,
            "InvalidInput",
            "geometry: no road within 300 m",
        ),
        (
            "geometry in the city, no road within the stated distance",
            bad(&|v| v["geometry"]["coordinates"] = json!([far, [far[0] + 0.0005, far[1]]])),
            400,
            "InvalidInput",
            "off the network",
        ),
        (
            "window ending before it starts",
            bad(&|v| v["planned"] = json!({"start": "2027-05-31", "end": "2027-04-01"})),
            400,
            "InvalidInput",
            "planned.end",
        ),
        (
            "hours past 24:00",
            bad(&|v| v["effects"][0]["schedule"]["hours"] = json!("25:00-06:00")),
            400,
            "InvalidInput",
            "effects[0].schedule.hours",
        ),
        (
            "hours in words",
            bad(&|v| v["effects"][0]["schedule"]["hours"] = json!("nights")),
            400,
            "InvalidInput",
            "effects[0].schedule.hours",
        ),
        (
            "unknown promoter",
            bad(&|v| v["promoter"] = json!("sewage")),
            400,
            "InvalidInput",
            "promoter",
        ),
        (
            "unknown kind",
            bad(&|v| v["kind"] = json!("castle")),
            400,
            "InvalidInput",
            "kind",
        ),
        (
            "an id that exists",
            bad(&|v| v["id"] = json!("P1")),
            409,
            "Conflict",
            "already exists",
        ),
        (
            "too many coordinates",
            bad(&|v| v["geometry"]["coordinates"] = json!(many)),
            413,
            "TooBig",
            "geometry",
        ),
        (
            "too many effects",
            bad(&|v| v["effects"] = json!(vec![v["effects"][0].clone(); 65])),
            413,
            "TooBig",
            "effects",
        ),
        (
            "body over the server's limit",
            format!("{}{}", water_main(), " ".repeat(300 << 10)),
            413,
            "TooBig",
            // the limit layer's or the JSON reader's wording, depending on Content-Length
            "",
        ),
    ];
    for (what, body, status, code, detail) in &cases {
        let r = write(&app, "POST", "/api/v1/works", None, body).await;
        assert_eq!(r.status.as_u16(), *status, "{what}: {}", r.text());
        assert_problem(&r, *status, code);
        let got = r.json()["detail"].as_str().unwrap().to_string();
        assert!(got.contains(detail), "{what}: want '{detail}' in '{got}'");
    }
    assert_problem(
        &get(&app, "/api/v1/works/W-2027-001").await,
        404,
        "NotFound",
    );
    assert_eq!(last(), before, "a refused record left an event");

    // Edits: a window ending before it starts, malformed hours, then a concurrent edit.
    let p1 = get(&app, "/api/v1/works/P1").await;
    let etag = p1.headers[header::ETAG].to_str().unwrap().to_string();
    let history = get(&app, "/api/v1/works/P1/history").await.json();
    for (b, field) in [
        (
            r#"{"planned_start": "2025-06-01", "planned_end": "2025-01-01"}"#,
            "planned_end",
        ),
        (
            r#"{"effects": [{"phase": "construction", "action": {"kind": "close"},
                "target": {"type": "street", "streets": ["锦州街"]},
                "schedule": {"hours": "22:00-24:30"}}]}"#,
            "effects[0].schedule.hours",
        ),
        (r#"{"geometry": null}"#, "geometry: an edit may replace"),
        (
            r#"{"status": "completed", "effective": "2099-01-01"}"#,
            "effective: 2099-01-01 is after today",
        ),
    ] {
        let r = write(&app, "PATCH", "/api/v1/works/P1", Some(&etag), b).await;
        assert_problem(&r, 400, "InvalidInput");
        assert!(
            r.json()["detail"].as_str().unwrap().contains(field),
            "{}",
            r.text()
        );
    }
    // Four editors send their change with the same ETag at once: one wins, three get 412.
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (app, etag) = (app.clone(), etag.clone());
        tasks.push(tokio::spawn(async move {
            let body = format!(
                r#"{{"planned_start": "2024-0{}-01", "planned_end": "2024-10-31"}}"#,
                i + 4
            );
            write(&app, "PATCH", "/api/v1/works/P1", Some(&etag), &body).await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        if r.status != StatusCode::OK {
            assert_problem(&r, 412, "PreconditionFailed");
        }
        statuses.push(r.status.as_u16());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412]);
    let after = get(&app, "/api/v1/works/P1/history").await.json();
    assert_eq!(
        after.as_array().unwrap().len(),
        history.as_array().unwrap().len() + 1,
        "only the winner is in the history"
    );
    let page = engine
        .events(before, 1000, &jzplan::store::events::EventFilter::default())
        .unwrap();
    let records: Vec<_> = page
        .events
        .iter()
        .filter(|e| !e.event.kind.as_str().starts_with("finding_"))
        .collect();
    assert_eq!(records.len(), 1, "only the winner is in the feed");
}
