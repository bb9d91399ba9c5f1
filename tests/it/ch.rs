//! Contraction hierarchies through the API (the default route algorithm, one hierarchy per
//! weights vector cached by the server, dated states) and through `jzplan route --algo ch`.

use crate::api::{get, jinzhou_state};
use crate::common::jzplan_bin;
use axum::http::StatusCode;
use serde_json::Value;
use std::process::Command;

fn cost(f: &Value) -> f64 {
    f["properties"]["duration_s"].as_f64().unwrap()
}

#[tokio::test]
async fn api_routes_on_cached_hierarchies_and_agrees_with_bidirectional_astar() {
    let dir = tempfile::tempdir().unwrap();
    let state = jinzhou_state(dir.path());
    let app = jzplan::api::app_with_state(state.clone());
    let pairs = [
        ("121.10,41.125", "121.15,41.085"),
        ("121.1226,41.1152", "121.1453,41.1130"),
        ("121.16,41.13", "121.09,41.09"),
    ];
    for date in ["", "&date=2022-06-15", "&date=2030-01-01"] {
        for (a, b) in pairs {
            let uri = format!("/api/v1/route?from={a}&to={b}{date}");
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            let ch = r.json();
            assert_eq!(ch["properties"]["algorithm"], "ch", "{uri}");
            let bidir = get(&app, &format!("{uri}&algorithm=bidir")).await.json();
            assert_eq!(bidir["properties"]["algorithm"], "bidir");
            let (x, y) = (cost(&bidir), cost(&ch));
            assert!((x - y).abs() <= 1e-9 * x, "{uri}: bidir {x} vs ch {y}");
        }
    }
    // One contraction hierarchy, the base network's; dates with works in force route on the
    // customizable hierarchy, customized once per state (dates without works in force share
    // the base network's weights): asking again prepares nothing new.
    let kept = state.engine.routing.hierarchies.len();
    assert_eq!(kept, 1);
    let states = state.engine.routing.states.len();
    assert!((1..=2).contains(&states), "{states}");
    for (a, b) in pairs {
        let uri = format!("/api/v1/route?from={a}&to={b}&date=2022-06-15");
        assert_eq!(get(&app, &uri).await.status, StatusCode::OK);
    }
    assert_eq!(state.engine.routing.hierarchies.len(), kept);
    assert_eq!(state.engine.routing.states.len(), states);
    // The undated routes above used the base network's hierarchy, kept for the server's life
    // and found by the base slice itself; a copy of the same weights finds the same one
    // through the cache.
    let net = &state.engine.network;
    let base = state.engine.routing.get(jzplan::network::Metric::Time);
    let h = state
        .engine
        .routing
        .cached_hierarchy(net, base)
        .expect("base hierarchy kept");
    let copy = base.to_vec();
    let via_cache = state
        .engine
        .routing
        .cached_hierarchy(net, &copy)
        .expect("in the cache");
    assert!(std::sync::Arc::ptr_eq(&h, &via_cache));
    assert!(std::sync::Arc::ptr_eq(
        &h,
        &state.engine.routing.hierarchy(net, base).unwrap()
    ));
    // Avoidance makes weights of their own: routed by default on the customizable hierarchy,
    // customized once for them and kept (no new contraction), and as exact as bidirectional A*.
    let uri =
        "/api/v1/route?from=121.10,41.125&to=121.15,41.085&avoid_bbox=121.11,41.10,121.13,41.12";
    let states = state.engine.routing.states.len();
    let ch = get(&app, uri).await.json();
    assert_eq!(ch["properties"]["algorithm"], "ch");
    let plain = get(&app, &format!("{uri}&algorithm=bidir")).await.json();
    assert_eq!(plain["properties"]["algorithm"], "bidir");
    assert!((cost(&plain) - cost(&ch)).abs() <= 1e-9 * cost(&plain));
    assert_eq!(get(&app, uri).await.json(), ch);
    assert_eq!(state.engine.routing.states.len(), states + 1);
    assert_eq!(state.engine.routing.hierarchies.len(), kept);
}

#[test]
fn cli_route_with_ch_equals_bidirectional_astar() {
    let route = |algo: &str| -> Value {
        let o = Command::new(jzplan_bin())
            .args([
                "route",
                "--from",
                "121.1226,41.1152",
                "--to",
                "121.1453,41.1130",
                "--format",
                "json",
                "--algo",
                algo,
            ])
            .env_remove("JZPLAN_NETWORK")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let (ch, bidir) = (route("ch"), route("bidir"));
    assert_eq!(ch["algorithm"], "ch");
    let (x, y) = (
        bidir["cost"].as_f64().unwrap(),
        ch["cost"].as_f64().unwrap(),
    );
    assert!((x - y).abs() <= 1e-9 * x, "{x} vs {y}");
    assert_eq!(ch["pieces"], bidir["pieces"]);
}

#[tokio::test]
async fn api_matrix_on_the_cached_hierarchy_equals_the_dijkstra_matrix() {
    use jzplan::network::Metric;
    use jzplan::routing::Router;
    let dir = tempfile::tempdir().unwrap();
    let state = jinzhou_state(dir.path());
    let app = jzplan::api::app_with_state(state.clone());
    let pts = [
        [121.10, 41.125],
        [121.15, 41.085],
        [121.1226, 41.1152],
        [121.1453, 41.1130],
        [121.16, 41.13],
    ];
    let body = serde_json::json!({ "sources": pts }).to_string();
    let req = axum::http::Request::post("/api/v1/matrix")
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    let r = crate::api::send(&app, req).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let got = r.json();
    assert_eq!(state.engine.routing.hierarchies.len(), 1);
    let net = &state.engine.network;
    let router = Router::new(net, &state.engine.routing.time, Metric::Time).unwrap();
    let snaps: Vec<_> = pts
        .iter()
        .map(|p| {
            router
                .snap(geo_types::Point::new(p[0], p[1]), 1000.0)
                .unwrap()
        })
        .collect();
    let want = router.matrix(&snaps, &snaps).unwrap();
    for (i, row) in want.durations_s.iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let x = cell.unwrap();
            let y = got["durations_s"][i][j].as_f64().unwrap();
            assert!((x - y).abs() <= 1e-9 * x.max(1.0), "[{i}][{j}] {x} vs {y}");
            let (x, y) = (
                want.distances_m[i][j].unwrap(),
                got["distances_m"][i][j].as_f64().unwrap(),
            );
            assert!((x - y).abs() <= 1e-9 * x.max(1.0), "[{i}][{j}] {x} vs {y}");
        }
    }
}
