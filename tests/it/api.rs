//! HTTP API through `Router::oneshot` (every endpoint incl. its errors) and through a real
//! server on 127.0.0.1. Shared helpers for the OGC, tiles and browser tests live here too.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use jzplan::api::{self, ApiConfig};
use jzplan::engine::Engine;
use jzplan::network::{EdgeSpec, NetworkBuilder, RoadClass, RoadNetwork};
use serde_json::Value;
use tower::ServiceExt;

/// A 3×3 grid of two-way streets 0.01° apart near Jinzhou (about 840 m east-west, 1,110 m
/// north-south): rows are 东西路 0–2, columns 南北街 0–2; 12 segments, 24 directed edges.
#[allow(clippy::needless_range_loop)] // row/column indices read like the drawing
pub fn grid() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:grid3x3");
    let mut n = [[jzplan::network::NodeId(0); 3]; 3];
    for (r, row) in n.iter_mut().enumerate() {
        for (c, node) in row.iter_mut().enumerate() {
            *node = b
                .add_node(121.10 + 0.01 * c as f64, 41.10 + 0.01 * r as f64)
                .unwrap();
        }
    }
    for r in 0..3 {
        let s = b.add_street(
            &format!("row{r}"),
            &format!("东西路{r}"),
            &format!("Row {r} Road"),
        );
        for c in 0..2 {
            b.add_road(
                EdgeSpec::new(
                    n[r][c],
                    n[r][c + 1],
                    s,
                    RoadClass::Primary,
                    "estimate:test-grid",
                ),
                false,
            )
            .unwrap();
        }
    }
    for c in 0..3 {
        let s = b.add_street(
            &format!("col{c}"),
            &format!("南北街{c}"),
            &format!("Col {c} Street"),
        );
        for r in 0..2 {
            b.add_road(
                EdgeSpec::new(
                    n[r][c],
                    n[r + 1][c],
                    s,
                    RoadClass::Secondary,
                    "estimate:test-grid",
                ),
                false,
            )
            .unwrap();
        }
    }
    b.build().unwrap()
}

/// The app on the test grid.
pub fn test_app() -> Router {
    api::app(Engine::new(grid()), ApiConfig::default()).unwrap()
}

/// Response of a request: status, headers, body.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// Sends one request through the router.
pub async fn send(app: &Router, req: Request<Body>) -> Resp {
    let r = app.clone().oneshot(req).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        headers,
        body,
    }
}

/// GET with `Accept: application/json`.
pub async fn get(app: &Router, uri: &str) -> Resp {
    send(
        app,
        Request::get(uri)
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// Asserts a problem+json answer with this status and code.
pub fn assert_problem(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text());
    assert_eq!(r.content_type(), "application/problem+json", "{}", r.text());
    let j = r.json();
    assert_eq!(j["code"], code, "{j}");
    assert_eq!(j["status"], status);
    assert!(j["detail"].as_str().is_some_and(|d| !d.is_empty()));
}

/// Starts a real server on 127.0.0.1 with an ephemeral port; returns its base URL.
pub async fn spawn(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { api::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn health_reports_the_network_and_layers() {
    let app = test_app();
    let r = get(&app, "/health").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["status"], "ok");
    assert_eq!(j["edges"], 24);
    assert_eq!(j["nodes"], 9);
    assert!(j["layers"].as_array().unwrap().iter().any(|l| l == "roads"));
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    let app = test_app();
    assert_problem(&get(&app, "/nowhere").await, 404, "NotFound");
    let r = send(
        &app,
        Request::delete("/health").body(Body::empty()).unwrap(),
    )
    .await;
    assert_problem(&r, 405, "MethodNotAllowed");
    assert!(r.headers.get(header::ALLOW).is_some());
}

#[tokio::test]
async fn openapi_is_3_1_and_lists_the_handlers() {
    let app = test_app();
    let j = get(&app, "/openapi.json").await.json();
    assert!(
        j["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        j["openapi"]
    );
    for p in [
        "/health",
        "/collections",
        "/collections/{collectionId}/items",
    ] {
        assert!(j["paths"].get(p).is_some(), "missing {p}");
    }
    let r = send(&app, Request::get("/docs/").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("swagger"), "{}", r.text());
}

#[tokio::test]
async fn cors_and_gzip_are_applied() {
    let app = test_app();
    let r = send(
        &app,
        Request::get("/collections/roads/items?limit=100")
            .header(header::ORIGIN, "http://example.org")
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
    let mut d = flate2::read::GzDecoder::new(&r.body[..]);
    let mut s = String::new();
    std::io::Read::read_to_string(&mut d, &mut s).unwrap();
    let j: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(j["numberReturned"], 12);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_a_problem() {
    let app = api::app(
        Engine::new(grid()),
        ApiConfig {
            max_body_bytes: 16,
            ..ApiConfig::default()
        },
    )
    .unwrap();
    let r = send(
        &app,
        Request::post("/health")
            .header(header::CONTENT_LENGTH, "64")
            .body(Body::from(vec![b'x'; 64]))
            .unwrap(),
    )
    .await;
    assert_problem(&r, 413, "TooBig");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_server_answers_on_127_0_0_1() {
    let base = spawn(test_app()).await;
    let r = reqwest::get(format!("{base}/health")).await.unwrap();
    assert_eq!(r.status(), 200);
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["edges"], 24);
}

/// The tile containing a lon/lat at zoom z (slippy-map formula).
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = (1u32 << z) as f64;
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let l = lat.to_radians();
    let y =
        ((1.0 - (l.tan() + 1.0 / l.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
    (x, y)
}

pub fn decode(bytes: &[u8]) -> geozero::mvt::Tile {
    use geozero::mvt::Message;
    geozero::mvt::Tile::decode(bytes).unwrap()
}

#[tokio::test]
async fn vector_tiles_hold_the_clipped_features_with_their_tags() {
    use geozero::mvt::tile::GeomType;
    let app = test_app();
    let (x, y) = tile_of(121.11, 41.11, 10);
    let r = get(&app, &format!("/tiles/roads/10/{x}/{y}.mvt")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type(), "application/vnd.mapbox-vector-tile");
    let etag = r.headers[header::ETAG].to_str().unwrap().to_string();
    assert!(
        r.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let t = decode(&r.body);
    assert_eq!(t.layers.len(), 1);
    let l = &t.layers[0];
    assert_eq!(
        (l.name.as_str(), l.extent, l.version),
        ("roads", Some(4096), 2)
    );
    assert_eq!(l.features.len(), 12);
    let f0 = l.features.iter().find(|f| f.id == Some(0)).unwrap();
    assert_eq!(f0.r#type(), GeomType::Linestring);
    // MoveTo(1) x y LineTo(1) dx dy: a straight segment of two points.
    assert_eq!(f0.geometry.len(), 6);
    let tags: Vec<(&str, String)> = f0
        .tags
        .chunks(2)
        .map(|kv| {
            let v = &l.values[kv[1] as usize];
            let text = v
                .string_value
                .clone()
                .or(v.sint_value.map(|i| i.to_string()))
                .or(v.bool_value.map(|b| b.to_string()))
                .or(v.double_value.map(|d| d.to_string()))
                .unwrap_or_default();
            (l.keys[kv[0] as usize].as_str(), text)
        })
        .collect();
    assert!(tags.contains(&("name_zh", "东西路0".into())), "{tags:?}");
    assert!(tags.contains(&("class", "primary".into())), "{tags:?}");

    // Revalidation with the ETag.
    let r304 = send(
        &app,
        Request::get(format!("/tiles/roads/10/{x}/{y}.mvt"))
            .header(header::IF_NONE_MATCH, &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r304.status, StatusCode::NOT_MODIFIED);
    // By the weak comparison too (a cache may hold the tag as weak), and in a list.
    let r304 = send(
        &app,
        Request::get(format!("/tiles/roads/10/{x}/{y}.mvt"))
            .header(header::IF_NONE_MATCH, format!("\"other\", W/{etag}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r304.status, StatusCode::NOT_MODIFIED);

    // At zoom 16 a tile around the centre node holds only the segments that reach it.
    let (x, y) = tile_of(121.11, 41.11, 16);
    let t = decode(&get(&app, &format!("/tiles/all/16/{x}/{y}.mvt")).await.body);
    let n = t
        .layers
        .iter()
        .find(|l| l.name == "roads")
        .unwrap()
        .features
        .len();
    assert_eq!(n, 4);
    // Far away: an empty tile.
    let (x, y) = tile_of(0.0, 0.0, 10);
    let r = get(&app, &format!("/tiles/roads/10/{x}/{y}.mvt")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(decode(&r.body).layers.is_empty());
}

#[tokio::test]
async fn tilejson_and_bad_tile_requests() {
    let app = test_app();
    let j = get(&app, "/tiles/roads.json").await.json();
    assert_eq!(j["tilejson"], "3.0.0");
    assert!(
        j["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with("/tiles/roads/{z}/{x}/{y}.mvt")
    );
    assert_eq!(j["vector_layers"][0]["id"], "roads");
    assert_eq!(j["vector_layers"][0]["fields"]["lanes"], "Number");
    let b = j["bounds"].as_array().unwrap();
    assert!((b[0].as_f64().unwrap() - 121.10).abs() < 1e-9);
    assert!(j["minzoom"].is_number() && j["maxzoom"].is_number());
    assert_problem(&get(&app, "/tiles/nope.json").await, 404, "NotFound");
    assert_problem(&get(&app, "/tiles/roads").await, 404, "NotFound");
    assert_problem(&get(&app, "/tiles/nope/1/0/0.mvt").await, 404, "NotFound");
    for bad in [
        "/tiles/roads/1/2/0.mvt",
        "/tiles/roads/23/0/0.mvt",
        "/tiles/roads/a/0/0.mvt",
        "/tiles/roads/1/0/0.png",
        "/tiles/roads/300/0/0.mvt",
        "/tiles/roads/1/0/0.mvt?date=x",
    ] {
        assert_problem(&get(&app, bad).await, 400, "InvalidInput");
    }
}

/// The app the way `jzplan serve` builds it: the embedded Jinzhou network with the city plan
/// seeded into a fresh SQLite store, and the dataset layers.
///
/// The time limit is raised to 10 minutes: these tests check answers, not the limit, and a
/// debug build on a loaded machine may take more than the default 30 s to prepare a
/// hierarchy on the first routed request.
pub fn jinzhou_state(dir: &std::path::Path) -> api::AppState {
    jinzhou_state_with(
        dir,
        ApiConfig {
            request_timeout: std::time::Duration::from_secs(600),
            ..ApiConfig::default()
        },
    )
}

/// [`jinzhou_state`] with a configuration.
pub fn jinzhou_state_with(dir: &std::path::Path, config: ApiConfig) -> api::AppState {
    use jzplan::store::sqlite::SqliteStore;
    use jzplan::works::catalogue::Catalogue;
    let store = std::sync::Arc::new(SqliteStore::open(&dir.join("jz.db")).unwrap());
    let cat = Catalogue::jinzhou().unwrap();
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    let engine = Engine::with_works(net, store, &cat).unwrap();
    engine.seed(&cat).unwrap();
    let layers = engine.jinzhou_layers().unwrap();
    api::AppState::with_catalog(engine, layers, config)
}

async fn patch(
    app: &Router,
    uri: &str,
    token: Option<&str>,
    if_match: Option<&str>,
    body: &str,
) -> Resp {
    let mut b = Request::patch(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(m) = if_match {
        b = b.header(header::IF_MATCH, m);
    }
    send(app, b.body(Body::from(body.to_string())).unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_api_lists_details_and_guards_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut tokens = api::auth::TokenStore::default();
    tokens
        .add_hash("planner-li", &api::auth::hash_hex("correct horse"))
        .unwrap();
    let config = ApiConfig {
        tokens,
        ..ApiConfig::default()
    };
    let app = api::app_with_state(jinzhou_state_with(dir.path(), config));

    let all = get(&app, "/api/v1/works").await.json();
    let n_all = all.as_array().unwrap().len();
    assert!(n_all >= 18, "{n_all}");
    let uc = get(&app, "/api/v1/works?status=under_construction")
        .await
        .json();
    let uc = uc.as_array().unwrap();
    assert!(!uc.is_empty() && uc.len() < n_all);
    assert!(uc.iter().all(|w| w["status"] == "under_construction"));
    let bridges = get(&app, "/api/v1/works?kind=bridge").await.json();
    assert!(
        bridges
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["kind"] == "bridge")
    );
    let on = get(
        &app,
        "/api/v1/works?date=2022-06-15&bbox=120.9,40.8,121.6,41.5",
    )
    .await;
    assert_eq!(on.status, StatusCode::OK);
    for bad in ["status=done", "kind=castle", "date=2022-13-01", "bbox=1,2"] {
        assert_problem(
            &get(&app, &format!("/api/v1/works?{bad}")).await,
            400,
            "InvalidInput",
        );
    }

    let d = get(&app, "/api/v1/works/P1").await;
    assert_eq!(d.status, StatusCode::OK);
    let etag = d.headers[header::ETAG].to_str().unwrap().to_string();
    let j = d.json();
    assert_eq!(etag, format!("\"v{}\"", j["work"]["version"]));
    assert_eq!(j["work"]["status"], "under_construction");
    assert_problem(&get(&app, "/api/v1/works/P99").await, 404, "NotFound");
    assert_problem(&get(&app, "/api/v1/works/P%201").await, 400, "InvalidInput");

    let body =
        r#"{"status": "completed", "effective": "2023-11-15", "comment": "opened to traffic"}"#;
    let r = patch(&app, "/api/v1/works/P1", None, Some(&etag), body).await;
    assert_problem(&r, 401, "Unauthorized");
    assert!(r.headers.get(header::WWW_AUTHENTICATE).is_some());
    assert_problem(
        &patch(&app, "/api/v1/works/P1", Some("wrong"), Some(&etag), body).await,
        403,
        "Forbidden",
    );
    // The scheme is case-insensitive (RFC 7235): a good token in `bearer` passes (to the stale
    // If-Match, so nothing changes); another scheme is no bearer token at all: 401.
    let with_auth = |auth: &'static str| {
        Request::patch("/api/v1/works/P1")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, auth)
            .header(header::IF_MATCH, "\"v999\"")
            .body(Body::from(body))
            .unwrap()
    };
    assert_problem(
        &send(&app, with_auth("bearer correct horse")).await,
        412,
        "PreconditionFailed",
    );
    assert_problem(
        &send(&app, with_auth("BEARER wrong")).await,
        403,
        "Forbidden",
    );
    let r = send(&app, with_auth("Basic abc")).await;
    assert_problem(&r, 401, "Unauthorized");
    assert!(
        r.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_problem(
        &patch(&app, "/api/v1/works/P1", Some("correct horse"), None, body).await,
        428,
        "PreconditionRequired",
    );
    assert_problem(
        &patch(
            &app,
            "/api/v1/works/P1",
            Some("correct horse"),
            Some("\"v999\""),
            body,
        )
        .await,
        412,
        "PreconditionFailed",
    );
    assert_problem(
        &patch(
            &app,
            "/api/v1/works/P1",
            Some("correct horse"),
            Some(&etag),
            r#"{"colour": "red"}"#,
        )
        .await,
        400,
        "InvalidInput",
    );

    let ok = patch(
        &app,
        "/api/v1/works/P1",
        Some("correct horse"),
        Some(&etag),
        body,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["work"]["status"], "completed");
    let new_etag = ok.headers[header::ETAG].to_str().unwrap().to_string();
    assert_ne!(new_etag, etag);
    // The old ETag is now stale.
    assert_problem(
        &patch(
            &app,
            "/api/v1/works/P1",
            Some("correct horse"),
            Some(&etag),
            body,
        )
        .await,
        412,
        "PreconditionFailed",
    );
    // Completed works do not go back to design.
    let back = patch(
        &app,
        "/api/v1/works/P1",
        Some("correct horse"),
        Some(&new_etag),
        r#"{"status": "design"}"#,
    )
    .await;
    assert_eq!(back.status.as_u16(), 409, "{}", back.text());
    // Dates.
    let dates = patch(&app, "/api/v1/works/P1", Some("correct horse"), Some(&new_etag),
        r#"{"planned_start": "2022-04-01", "planned_end": "2023-12-31", "dates_source": "estimate:test"}"#).await;
    assert_eq!(dates.status, StatusCode::OK, "{}", dates.text());
    let bad_dates = patch(
        &app,
        "/api/v1/works/P1",
        Some("correct horse"),
        Some(dates.headers[header::ETAG].to_str().unwrap()),
        r#"{"planned_start": "2024-01-01", "planned_end": "2023-01-01"}"#,
    )
    .await;
    assert_problem(&bad_dates, 400, "InvalidInput");

    // Every change left an audit entry naming the token's holder.
    let h = get(&app, "/api/v1/works/P1/history").await.json();
    let by_li: Vec<&Value> = h
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "planner-li")
        .collect();
    assert_eq!(by_li.len(), 2, "{h}");
    assert!(by_li.iter().any(|e| e["comment"] == "opened to traffic"));

    let c = get(&app, "/api/v1/clashes?from=2022-01-01&to=2022-12-31").await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.text());
    assert!(c.json().is_array());
    assert_problem(
        &get(&app, "/api/v1/clashes?from=2022-01-01").await,
        400,
        "InvalidInput",
    );
    let t = get(&app, "/api/v1/timeline").await.json();
    assert_eq!(t.as_array().unwrap().len(), n_all);
    assert!(get(&app, "/api/v1/scenarios").await.json().is_array());
    assert_problem(&get(&app, "/api/v1/scenarios/nope").await, 404, "NotFound");
    let hs = get(&app, "/api/v1/hotspots").await.json();
    assert!(!hs.as_array().unwrap().is_empty());

    // The works layer shows the change at once.
    let f = get(&app, "/collections/works/items/P1").await.json();
    assert_eq!(f["properties"]["status"], "completed");
    // A route on a date when works were on site differs from today's or equals it, never fails.
    let r = get(
        &app,
        "/api/v1/route?from=121.10,41.125&to=121.15,41.085&date=2022-06-15",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The route says which network it was found on.
    assert_eq!(r.json()["properties"]["state"], "network on 2022-06-15");
    let base = get(&app, "/api/v1/route?from=121.10,41.125&to=121.15,41.085").await;
    assert_eq!(
        base.json()["properties"]["state"],
        "base network (no works applied)"
    );
    assert_problem(
        &get(
            &app,
            "/api/v1/route?from=121.10,41.125&to=121.15,41.085&date=2022-06-15&scenario=x",
        )
        .await,
        400,
        "InvalidInput",
    );
}
