//! A request's cost must not grow with the network: once a state has been asked for (its
//! weights kept, its hierarchy prepared or customized), no routing request on it makes a pass
//! over all the network's edges or nodes. Every such pass of the routing code reports itself
//! to `jzplan::routing::work`, which counts those on one watched network.

use crate::api::{get, jinzhou_state, send};
use axum::http::StatusCode;
use jzplan_core::routing::work;

#[tokio::test]
async fn routing_requests_on_kept_states_make_no_network_wide_pass() {
    let dir = tempfile::tempdir().unwrap();
    let state = jinzhou_state(dir.path());
    let app = jzplan_server::app_with_state(state.clone());
    let pairs = [
        ("121.10,41.125", "121.15,41.085"),
        ("121.1226,41.1152", "121.1453,41.1130"),
        ("121.16,41.13", "121.09,41.09"),
    ];
    let states = [
        "",
        "&date=2022-06-15",
        "&date=2030-01-01",
        "&avoid_edges=5,6",
    ];
    let matrix_body = |extra: &str| {
        format!(r#"{{"sources": [[121.10, 41.125], [121.15, 41.085], [121.16, 41.13]]{extra}}}"#)
    };
    let matrix = |extra: &'static str| {
        let body = matrix_body(extra);
        axum::http::Request::post("/api/v1/matrix")
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let round = |k: usize| {
        let app = app.clone();
        async move {
            let (a, b) = pairs[k % pairs.len()];
            for st in states {
                for algo in ["", "&algorithm=bidir"] {
                    let uri = format!("/api/v1/route?from={a}&to={b}{st}{algo}");
                    let r = get(&app, &uri).await;
                    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
                    if algo.is_empty() {
                        assert_eq!(r.json()["properties"]["algorithm"], "ch", "{uri}");
                    }
                }
                let uri = format!("/api/v1/isochrone?from={a}&budget_s=300{st}");
                assert_eq!(get(&app, &uri).await.status, StatusCode::OK, "{uri}");
            }
            for extra in ["", r#", "date": "2022-06-15""#] {
                let r = send(&app, matrix(extra)).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            }
            for uri in [
                format!("/api/v1/nearest?point={a}&number=3"),
                format!("/route/v1/driving/{a};{b}?overview=full&steps=true"),
                format!("/table/v1/driving/{a};{b};121.16,41.13"),
                format!("/nearest/v1/driving/{b}?number=2"),
            ] {
                let r = get(&app, &uri).await;
                assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
            }
        }
    };
    work::watch(&state.engine.network);
    // The first round prepares: base weights and hierarchy, the states' weights, the CCH and
    // its customizations, the adjacency of the plain searches.
    round(0).await;
    let first = work::passes();
    assert!(first > 0, "the first round prepares");
    work::reset();
    for k in 1..4 {
        round(k).await;
    }
    let after = work::passes();
    work::unwatch();
    assert_eq!(
        after, 0,
        "requests on kept states made {after} network-wide passes"
    );
}
