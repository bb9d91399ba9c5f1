//! The routing endpoints over HTTP (`Router::oneshot` on the 3×3 test grid): native route,
//! nearest, isochrone, avoidance and matrix, and the OSRM-compatible route, table and nearest.

use crate::api::{Resp, assert_problem, get, send, test_app};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jzplan::api::{self, ApiConfig};
use jzplan::engine::Engine;
use jzplan::network::{EdgeSpec, NetworkBuilder, RoadClass};
use serde_json::Value;

fn close(v: &Value, want: f64, tol: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() <= tol)
}

/// One 0.01° cell edge: ≈839 m east-west and ≈1,111 m north-south at 41.1°N.
const EW_M: f64 = 839.0;
const NS_M: f64 = 1111.0;

async fn post_json(app: &Router, uri: &str, body: &str) -> Resp {
    send(
        app,
        Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn native_route_nearest_isochrone_and_avoid() {
    let app = test_app();
    // Corner to corner: two primary and two secondary segments whichever way.
    let r = get(&app, "/api/v1/route?from=121.10,41.10&to=121.12,41.12").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.content_type(), "application/geo+json");
    let f = r.json();
    assert_eq!(f["geometry"]["type"], "LineString");
    let p = &f["properties"];
    assert!(
        close(&p["distance_m"], 2.0 * EW_M + 2.0 * NS_M, 10.0),
        "{p}"
    );
    // 50 km/h on rows, 40 km/h on columns.
    let t = 2.0 * EW_M / 50.0 * 3.6 + 2.0 * NS_M / 40.0 * 3.6;
    assert!(close(&p["duration_s"], t, 2.0), "{p}");
    let streets: Vec<&Value> = p["streets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["length_m"].as_f64().unwrap() > 1.0)
        .collect();
    assert_eq!(streets.len(), 2, "{p}");
    assert!(close(&p["from"]["distance_m"], 0.0, 0.5));

    // Along row 0; avoiding it forces the detour up column 0, along row 1, down column 2.
    let direct = get(&app, "/api/v1/route?from=121.10,41.10&to=121.12,41.10")
        .await
        .json();
    assert!(close(&direct["properties"]["distance_m"], 2.0 * EW_M, 5.0));
    let detour = get(
        &app,
        "/api/v1/route?from=121.10,41.10&to=121.12,41.10&metric=distance&avoid_streets=%E4%B8%9C%E8%A5%BF%E8%B7%AF0",
    )
    .await
    .json();
    assert!(
        close(
            &detour["properties"]["distance_m"],
            2.0 * EW_M + 2.0 * NS_M,
            10.0
        ),
        "{detour}"
    );

    assert_problem(
        &get(&app, "/api/v1/route?from=121.5,41.5&to=121.12,41.10").await,
        422,
        "NoSegment",
    );
    assert_problem(
        &get(&app, "/api/v1/route?from=abc&to=121.12,41.10").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(&app, "/api/v1/route?to=121.12,41.10").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(
            &app,
            "/api/v1/route?from=121.1,41.1&to=121.12,41.10&metric=fast",
        )
        .await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(
            &app,
            "/api/v1/route?from=121.1,41.1&to=121.12,41.10&avoid_streets=Nowhere",
        )
        .await,
        404,
        "NotFound",
    );
    assert_problem(
        &get(
            &app,
            "/api/v1/route?from=121.1,41.1&to=121.12,41.10&avoid_edges=99999",
        )
        .await,
        404,
        "NotFound",
    );

    let n = get(&app, "/api/v1/nearest?point=121.105,41.1003&number=2")
        .await
        .json();
    let fs = n["features"].as_array().unwrap();
    assert_eq!(fs.len(), 2);
    assert_eq!(fs[0]["properties"]["name_zh"], "东西路0");
    assert!(close(&fs[0]["properties"]["distance_m"], 33.0, 2.0), "{n}");
    assert!(
        fs[1]["properties"]["distance_m"].as_f64() > fs[0]["properties"]["distance_m"].as_f64()
    );
    assert_problem(
        &get(&app, "/api/v1/nearest?point=121.105,41.1&number=0").await,
        400,
        "InvalidInput",
    );

    let iso = get(&app, "/api/v1/isochrone?from=121.10,41.10&budget_s=60")
        .await
        .json();
    let fs = iso["features"].as_array().unwrap();
    assert!(fs.iter().any(|f| f["properties"]["kind"] == "reached_edge"));
    assert_eq!(iso["state"], "base network (no works applied)");
    // 60 s at 50 km/h is 833 m: not quite the first 839 m segment of row 0.
    assert!(
        fs.iter()
            .filter(|f| f["properties"]["kind"] == "reached_edge")
            .all(|f| f["properties"]["end_cost"].as_f64().unwrap() <= 60.0 + 1e-6)
    );
    assert_problem(
        &get(&app, "/api/v1/isochrone?from=121.10,41.10").await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &get(&app, "/api/v1/isochrone?from=121.10,41.10&budget_s=-5").await,
        400,
        "InvalidInput",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_matrix() {
    let app = test_app();
    let r = post_json(
        &app,
        "/api/v1/matrix",
        r#"{"sources": [[121.10, 41.10], [121.12, 41.12]], "metric": "distance"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let j = r.json();
    assert_eq!(j["state"], "base network (no works applied)");
    let d = &j["distances_m"];
    assert!(close(&d[0][0], 0.0, 0.5));
    assert!(close(&d[0][1], 2.0 * EW_M + 2.0 * NS_M, 10.0), "{j}");
    assert!(close(&d[1][0], 2.0 * EW_M + 2.0 * NS_M, 10.0), "{j}");
    assert_problem(
        &post_json(&app, "/api/v1/matrix", r#"{"sources": []}"#).await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &post_json(&app, "/api/v1/matrix", r#"{"sources": [[500, 41]]}"#).await,
        400,
        "InvalidInput",
    );
    assert_problem(
        &post_json(&app, "/api/v1/matrix", "{not json").await,
        400,
        "InvalidInput",
    );
    // Unknown or misspelt fields, also inside `avoid`, are refused (they would be ignored:
    // no avoidance, the default metric), naming the field.
    for (body, field) in [
        (
            r#"{"sources": [[121.10, 41.10], [121.12, 41.12]], "metrics": "distance"}"#,
            "metrics",
        ),
        (
            r#"{"sources": [[121.10, 41.10], [121.12, 41.12]], "colour": 1}"#,
            "colour",
        ),
        (
            r#"{"sources": [[121.10, 41.10], [121.12, 41.12]], "avoid": {"edges": [1]}}"#,
            "edges",
        ),
    ] {
        let r = post_json(&app, "/api/v1/matrix", body).await;
        assert_problem(&r, 400, "InvalidInput");
        let detail = r.json()["detail"].as_str().unwrap().to_string();
        assert!(
            detail.contains(&format!("unknown field `{field}`")),
            "{detail}"
        );
    }
    // The right spelling of `avoid` is taken.
    let r = post_json(
        &app,
        "/api/v1/matrix",
        r#"{"sources": [[121.10, 41.10]], "avoid": {"avoid_edges": "0"}}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = send(
        &app,
        Request::post("/api/v1/matrix")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_problem(&r, 415, "UnsupportedMediaType");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn osrm_services_answer_like_osrm() {
    let app = test_app();
    // Like OSRM's "three coordinates, overview=false" example.
    let j = get(
        &app,
        "/route/v1/driving/121.10,41.10;121.11,41.10;121.12,41.12?overview=false",
    )
    .await
    .json();
    assert_eq!(j["code"], "Ok", "{j}");
    let route = &j["routes"][0];
    assert!(route.get("geometry").is_none());
    assert_eq!(route["legs"].as_array().unwrap().len(), 2);
    assert_eq!(j["waypoints"].as_array().unwrap().len(), 3);
    assert!(
        close(&route["distance"], 2.0 * EW_M + 2.0 * NS_M, 10.0),
        "{route}"
    );
    assert_eq!(route["weight_name"], "duration");
    assert_eq!(route["legs"][0]["steps"].as_array().unwrap().len(), 0);

    // Default geometry is a precision-5 polyline from start to end.
    let j = get(&app, "/route/v1/driving/121.10,41.10;121.12,41.10")
        .await
        .json();
    let poly = j["routes"][0]["geometry"].as_str().unwrap();
    let pts = jzplan::api::osrm::decode_polyline(poly, 5).unwrap();
    assert!((pts[0].x - 121.10).abs() < 1e-5 && (pts.last().unwrap().x - 121.12).abs() < 1e-5);

    let j = get(&app, "/route/v1/driving/121.10,41.10;121.12,41.12?steps=true&geometries=geojson&annotations=true&overview=full").await.json();
    let leg = &j["routes"][0]["legs"][0];
    let steps = leg["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "{leg}");
    assert_eq!(steps[0]["maneuver"]["type"], "depart");
    assert_eq!(steps[1]["maneuver"]["type"], "turn");
    assert!(["left", "right"].contains(&steps[1]["maneuver"]["modifier"].as_str().unwrap()));
    assert_eq!(steps[2]["maneuver"]["type"], "arrive");
    assert_eq!(steps[0]["geometry"]["type"], "LineString");
    assert!(!leg["summary"].as_str().unwrap().is_empty());
    let ann = &leg["annotation"];
    // They add up to the leg's distance (edge lengths, not the straight lines between the
    // geometry's points), as the durations add up to its duration.
    for key in ["distance", "duration"] {
        let total: f64 = ann[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!(
            (total - leg[key].as_f64().unwrap()).abs() < 1e-6,
            "{key}: {total} vs {leg}"
        );
    }
    let coords = j["routes"][0]["geometry"]["coordinates"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(ann["duration"].as_array().unwrap().len(), coords - 1);

    let j = get(
        &app,
        "/route/v1/driving/121.10,41.10;121.12,41.10?geometries=polyline6",
    )
    .await
    .json();
    let pts = jzplan::api::osrm::decode_polyline(j["routes"][0]["geometry"].as_str().unwrap(), 6)
        .unwrap();
    assert!((pts[0].y - 41.10).abs() < 1e-6);

    // Table: 3×3, then OSRM's "sources=0" example shape (1×3).
    let t = get(
        &app,
        "/table/v1/driving/121.10,41.10;121.12,41.10;121.12,41.12",
    )
    .await
    .json();
    assert_eq!(t["code"], "Ok");
    assert_eq!(t["durations"].as_array().unwrap().len(), 3);
    assert!(close(&t["durations"][1][1], 0.0, 0.01));
    let t = get(&app, "/table/v1/driving/121.10,41.10;121.12,41.10;121.12,41.12?sources=0&annotations=duration,distance").await.json();
    assert_eq!(t["durations"].as_array().unwrap().len(), 1);
    assert_eq!(t["durations"][0].as_array().unwrap().len(), 3);
    assert!(close(&t["distances"][0][1], 2.0 * EW_M, 5.0), "{t}");
    assert_eq!(t["sources"].as_array().unwrap().len(), 1);
    assert_eq!(t["destinations"].as_array().unwrap().len(), 3);

    let n = get(&app, "/nearest/v1/driving/121.105,41.1003?number=3")
        .await
        .json();
    assert_eq!(n["code"], "Ok");
    let w = n["waypoints"].as_array().unwrap();
    assert_eq!(w.len(), 3);
    assert_eq!(w[0]["name"], "东西路0");
    assert_eq!(w[0]["nodes"].as_array().unwrap().len(), 2);

    // Errors: HTTP 400 with OSRM's codes.
    for (uri, code) in [
        ("/route/v1/driving/121.5,41.5;121.12,41.10", "NoSegment"),
        (
            "/route/v1/driving/121.10,41.10;121.12,41.10?foo=bar",
            "InvalidQuery",
        ),
        (
            "/route/v1/driving/121.10,41.10;121.12,41.10?geometries=wkt",
            "InvalidQuery",
        ),
        (
            "/route/v1/driving/121.10,41.10;121.12,41.10?radiuses=5",
            "InvalidOptions",
        ),
        ("/route/v1/driving/121.10,41.10", "InvalidOptions"),
        ("/route/v1/driving/abc", "InvalidUrl"),
        ("/route/v1/driving/121.1,91;121.12,41.1", "InvalidValue"),
        (
            "/table/v1/driving/121.10,41.10;121.12,41.10?sources=5",
            "InvalidOptions",
        ),
        (
            "/nearest/v1/driving/121.10,41.10;121.12,41.10",
            "InvalidOptions",
        ),
        ("/nearest/v1/driving/121.10,41.10?number=1000", "TooBig"),
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text());
        assert_eq!(r.json()["code"], code, "{uri}: {}", r.text());
        assert!(r.json()["message"].is_string());
    }
    let many = vec!["121.10,41.10"; 101].join(";");
    assert_eq!(
        get(&app, &format!("/route/v1/driving/{many}")).await.json()["code"],
        "TooBig"
    );
}

#[tokio::test]
async fn osrm_no_route_between_disconnected_roads() {
    let mut b = NetworkBuilder::new("test:islands");
    let s = b.add_street("a", "甲路", "A Road");
    let n0 = b.add_node(121.10, 41.10).unwrap();
    let n1 = b.add_node(121.11, 41.10).unwrap();
    let n2 = b.add_node(121.10, 41.11).unwrap();
    let n3 = b.add_node(121.11, 41.11).unwrap();
    b.add_road(
        EdgeSpec::new(n0, n1, s, RoadClass::Primary, "estimate:test"),
        false,
    )
    .unwrap();
    b.add_road(
        EdgeSpec::new(n2, n3, s, RoadClass::Primary, "estimate:test"),
        false,
    )
    .unwrap();
    let app = api::app(Engine::new(b.build().unwrap()), ApiConfig::default()).unwrap();
    let j = get(&app, "/route/v1/driving/121.105,41.10;121.105,41.11")
        .await
        .json();
    assert_eq!(j["code"], "NoRoute");
    assert_problem(
        &get(&app, "/api/v1/route?from=121.105,41.10&to=121.105,41.11").await,
        422,
        "NoRoute",
    );
}
