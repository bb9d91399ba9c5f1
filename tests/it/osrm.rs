//! The OSRM services against the native API: the same network state (`date`, `scenario`) and
//! the same snapping rule (1 km by default, at most 50 km) give the same answers.

use super::api::{assert_problem, get, jinzhou_state, test_app};
use axum::Router;
use axum::http::StatusCode;
use serde_json::Value;

/// From south of the Xiaoling river to north of it along 锦州街, across the P1 bridge works.
const A: &str = "121.105,41.090";
const B: &str = "121.105,41.112";
/// P1 (Jinzhou Street bridge) is on site: its approaches are closed.
const WORKS_DAY: &str = "2022-06-01";

async fn ok(app: &Router, uri: &str) -> Value {
    let r = get(app, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.json()
}

/// Duration (s) of the OSRM route from A to B with `extra` options.
async fn osrm_s(app: &Router, extra: &str) -> f64 {
    let j = ok(
        app,
        &format!("/route/v1/driving/{A};{B}?overview=false{extra}"),
    )
    .await;
    assert_eq!(j["code"], "Ok", "{j}");
    j["routes"][0]["duration"].as_f64().unwrap()
}

/// Duration (s) of the native route from A to B with `extra` options.
async fn native_s(app: &Router, extra: &str) -> f64 {
    let j = ok(app, &format!("/api/v1/route?from={A}&to={B}{extra}")).await;
    j["properties"]["duration_s"].as_f64().unwrap()
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(1.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn osrm_routes_tables_and_snaps_on_the_network_of_a_date_or_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let state = jinzhou_state(dir.path());
    // What-if: P1 runs late, so on 2024-01-01 its bridge is still a site.
    let p1_late: jzplan::scenario::Scenario = serde_json::from_value(serde_json::json!({
        "id": "p1-late", "name": "P1 late", "date": "2024-01-01",
        "overrides": [{"work": "P1", "window": {"start": "2023-04-01", "end": "2024-10-31"}}],
    }))
    .unwrap();
    state
        .engine
        .put_scenario(&p1_late, 0, "test", "osrm test")
        .unwrap();
    let app = jzplan::api::app_with_state(state);

    let base = osrm_s(&app, "").await;
    assert!(same(base, native_s(&app, "").await));
    // Each state: the OSRM answer is the native one, and the state matters.
    let on_day = osrm_s(&app, &format!("&date={WORKS_DAY}")).await;
    assert!(same(
        on_day,
        native_s(&app, &format!("&date={WORKS_DAY}")).await
    ));
    assert!(on_day > base + 1.0, "{on_day} vs {base}");
    let opened = osrm_s(&app, "&date=2024-01-01").await;
    let late = osrm_s(&app, "&scenario=p1-late").await;
    assert!(same(late, native_s(&app, "&scenario=p1-late").await));
    assert!(late > opened + 1.0, "{late} vs {opened}");

    // Table: the cell A → B is the route's duration on the same state.
    for (q, want) in [("", base), (&format!("date={WORKS_DAY}")[..], on_day)] {
        let t = ok(&app, &format!("/table/v1/driving/{A};{B}?{q}")).await;
        let cell = t["durations"][0][1].as_f64().unwrap();
        assert!(same(cell, want), "{q}: {cell} vs {want}");
    }

    // Nearest: on the day, a point in the middle of a closed stretch snaps to an open road.
    let closures = ok(
        &app,
        &format!("/collections/closures/items?date={WORKS_DAY}&change=closed&limit=1"),
    )
    .await;
    let f = &closures["features"][0];
    let cs = f["geometry"]["coordinates"].as_array().unwrap();
    let (p, q) = (&cs[0], &cs[1]);
    let mid = format!(
        "{},{}",
        (p[0].as_f64().unwrap() + q[0].as_f64().unwrap()) / 2.0,
        (p[1].as_f64().unwrap() + q[1].as_f64().unwrap()) / 2.0
    );
    let near = |q: String| {
        let app = app.clone();
        let mid = mid.clone();
        async move { ok(&app, &format!("/nearest/v1/driving/{mid}?{q}")).await["waypoints"][0].clone() }
    };
    let today = near(String::new()).await;
    let that_day = near(format!("date={WORKS_DAY}")).await;
    assert!(today["distance"].as_f64().unwrap() < 1.0, "{today}");
    assert!(that_day["distance"].as_f64().unwrap() > 1.0, "{that_day}");
    assert_ne!(today["nodes"], that_day["nodes"]);

    // Bad states are OSRM errors (HTTP 400), never a silent answer on the base network.
    for (q, code) in [
        ("date=2022-02-30", "InvalidValue"),
        ("date=tomorrow", "InvalidValue"),
        ("scenario=nope", "InvalidValue"),
        ("date=2022-06-01&scenario=p1-late", "InvalidOptions"),
        ("dat=2022-06-01", "InvalidQuery"),
    ] {
        for svc in ["route", "table"] {
            let r = get(&app, &format!("/{svc}/v1/driving/{A};{B}?{q}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{svc} {q}: {}", r.text());
            assert_eq!(r.json()["code"], code, "{svc} {q}: {}", r.text());
        }
    }
}

/// A point `km` kilometres north of the grid's top row (41.12°N).
fn north_of_grid(km: f64) -> String {
    format!("121.11,{}", 41.12 + km / 111.2)
}

#[tokio::test]
async fn one_snapping_rule_for_the_native_and_the_osrm_services() {
    let app = test_app();
    let on = "121.10,41.10";
    let native = |from: String, extra: &str| {
        let app = app.clone();
        let uri = format!("/api/v1/route?from={from}&to={on}{extra}");
        async move { get(&app, &uri).await }
    };
    let osrm = |from: String, extra: &str| {
        let app = app.clone();
        let uri = format!("/route/v1/driving/{from};{on}?overview=false{extra}");
        async move { get(&app, &uri).await }
    };
    // Without a radius: 0.9 km off the network snaps, 1.1 km and 7 km do not — in both.
    let r = native(north_of_grid(0.9), "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let d_native = r.json()["properties"]["from"]["distance_m"]
        .as_f64()
        .unwrap();
    let r = osrm(north_of_grid(0.9), "").await;
    assert_eq!(r.json()["code"], "Ok", "{}", r.text());
    let d_osrm = r.json()["waypoints"][0]["distance"].as_f64().unwrap();
    assert!((d_native - d_osrm).abs() < 1e-6 && (d_native - 900.0).abs() < 5.0);
    for km in [1.1, 7.0] {
        assert_problem(&native(north_of_grid(km), "").await, 422, "NoSegment");
        let r = osrm(north_of_grid(km), "").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["code"], "NoSegment", "{}", r.text());
        let r = get(
            &app,
            &format!("/api/v1/nearest?point={}", north_of_grid(km)),
        )
        .await;
        assert_problem(&r, 422, "NoSegment");
        let r = get(&app, &format!("/nearest/v1/driving/{}", north_of_grid(km))).await;
        assert_eq!(r.json()["code"], "NoSegment", "{}", r.text());
        let r = get(
            &app,
            &format!("/table/v1/driving/{};{on}", north_of_grid(km)),
        )
        .await;
        assert_eq!(r.json()["code"], "NoSegment", "{}", r.text());
    }
    // A larger radius, asked for, reaches 7 km in both; `unlimited` is the 50 km cap.
    let r = native(north_of_grid(7.0), "&max_snap_m=10000").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = osrm(north_of_grid(7.0), "&radiuses=10000;").await;
    assert_eq!(r.json()["code"], "Ok", "{}", r.text());
    let r = osrm(north_of_grid(7.0), "&radiuses=unlimited;").await;
    assert_eq!(r.json()["code"], "Ok", "{}", r.text());
    let r = native(north_of_grid(7.0), "&max_snap_m=50000").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Outside (0, 50000] is refused by both.
    for bad in ["0", "-5", "50001", "1e9"] {
        let r = native(north_of_grid(0.5), &format!("&max_snap_m={bad}")).await;
        assert_problem(&r, 400, "InvalidInput");
        let r = osrm(north_of_grid(0.5), &format!("&radiuses={bad};")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.json()["code"], "InvalidValue", "{bad}: {}", r.text());
    }
    let r = osrm(north_of_grid(0.5), "&radiuses=far;").await;
    assert_eq!(r.json()["code"], "InvalidQuery", "{}", r.text());
}

#[test]
fn the_cli_follows_the_same_snapping_rule() {
    let run = |extra: &[&str]| {
        std::process::Command::new(crate::common::jzplan_bin())
            .args(["route", "--from", "121.127,41.125", "--to", "121.105,41.08"])
            .args(extra)
            .output()
            .unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    for bad in ["0", "50001"] {
        let o = run(&["--max-snap-m", bad]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{bad}: {err}");
        assert!(
            err.contains("InvalidInput") && err.contains("50000"),
            "{err}"
        );
    }
}
