//! OGC API – Features: the endpoints through `oneshot`, and GDAL's OAPIF driver (what QGIS
//! uses) against a real server.

use super::api::{assert_problem, decode, get, send, spawn, test_app, tile_of};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};

#[tokio::test]
async fn landing_conformance_and_collections() {
    let app = test_app();
    let j = get(&app, "/").await.json();
    let rels: Vec<&str> = j["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    for rel in ["self", "service-desc", "conformance", "data"] {
        assert!(rels.contains(&rel), "{rels:?}");
    }
    let c = get(&app, "/conformance").await.json();
    assert!(
        c["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("conf/core"))
    );
    let cols = get(&app, "/collections").await.json();
    let roads = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "roads")
        .unwrap();
    let bbox = &roads["extent"]["spatial"]["bbox"][0];
    assert!((bbox[0].as_f64().unwrap() - 121.10).abs() < 1e-9, "{bbox}");
    assert!((bbox[3].as_f64().unwrap() - 41.12).abs() < 1e-9, "{bbox}");
    let one = get(&app, "/collections/roads").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["properties"]["length_m"]["type"], "number");
    assert_problem(&get(&app, "/collections/nope").await, 404, "NotFound");
}

#[tokio::test]
async fn items_page_with_links_and_filters() {
    let app = test_app();
    let r = get(&app, "/collections/roads/items?limit=5").await;
    assert_eq!(r.content_type(), "application/geo+json");
    let j = r.json();
    assert_eq!(j["numberMatched"], 12);
    assert_eq!(j["numberReturned"], 5);
    let links = j["links"].as_array().unwrap();
    let next = links.iter().find(|l| l["rel"] == "next").unwrap()["href"]
        .as_str()
        .unwrap();
    assert!(
        next.ends_with("/collections/roads/items?limit=5&offset=5"),
        "{next}"
    );
    assert!(links.iter().all(|l| l["rel"] != "prev"));

    let last = get(&app, "/collections/roads/items?limit=5&offset=10")
        .await
        .json();
    assert_eq!(last["numberReturned"], 2);
    let links = last["links"].as_array().unwrap();
    assert!(links.iter().all(|l| l["rel"] != "next"));
    assert!(
        links
            .iter()
            .any(|l| l["rel"] == "prev" && l["href"].as_str().unwrap().ends_with("offset=5"))
    );

    // The grid's rows are primary, its columns secondary: 6 segments each.
    let prim = get(&app, "/collections/roads/items?class=primary")
        .await
        .json();
    assert_eq!(prim["numberMatched"], 6);
    for f in prim["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["class"], "primary");
        assert_eq!(f["geometry"]["type"], "LineString");
    }
    // A small box around the south-west corner node touches the two segments leaving it.
    let bb = get(
        &app,
        "/collections/roads/items?bbox=121.099,41.099,121.101,41.101",
    )
    .await
    .json();
    assert_eq!(bb["numberMatched"], 2);
    let named = get(
        &app,
        "/collections/roads/items?name_zh=%E5%8D%97%E5%8C%97%E8%A1%971",
    )
    .await
    .json();
    assert_eq!(named["numberMatched"], 2);
}

#[tokio::test]
async fn bad_item_queries_are_problems() {
    let app = test_app();
    for q in [
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=0,50,1,40",
        "limit=0",
        "limit=-3",
        "offset=x",
        "datetime=2026-02-30",
        "colour=red",
        "f=xml",
        "date=2026-01-01",
    ] {
        let r = get(&app, &format!("/collections/roads/items?{q}")).await;
        assert_problem(&r, 400, "InvalidInput");
    }
    // Over-large limits are clamped, not refused (Part 1, /req/core/query-param-limit).
    let r = get(&app, "/collections/roads/items?limit=1000000").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn single_items_and_html() {
    let app = test_app();
    let f = get(&app, "/collections/roads/items/0").await.json();
    assert_eq!(f["type"], "Feature");
    assert_eq!(f["id"], 0);
    assert_eq!(f["properties"]["twin_edge_id"], 1);
    assert_eq!(f["properties"]["source"], "estimate:test-grid");
    // Edge 1 is the second direction of segment 0: not a feature of its own.
    assert_problem(
        &get(&app, "/collections/roads/items/1").await,
        404,
        "NotFound",
    );
    let html = send(
        &app,
        Request::get("/collections/roads/items?limit=2")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(html.content_type().starts_with("text/html"));
    assert!(html.text().contains("东西路0"), "{}", html.text());
    let h = get(&app, "/collections?f=html").await;
    assert!(h.text().contains("<table>"));
}

/// Runs `ogrinfo` (GDAL's OAPIF driver) and returns stdout, or `None` if GDAL's tools are
/// missing (then the caller skips with a message).
async fn ogrinfo(args: &[&str]) -> Option<String> {
    let out = tokio::process::Command::new("ogrinfo")
        .args(args)
        .env("GDAL_HTTP_TIMEOUT", "20")
        .output()
        .await;
    match out {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("ogrinfo: {e}"),
        Ok(o) => {
            assert!(
                o.status.success(),
                "ogrinfo {args:?} failed: {}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            Some(String::from_utf8_lossy(&o.stdout).into_owned())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_oapif_driver_reads_the_layers() {
    let base = spawn(test_app()).await;
    let ds = format!("OAPIF:{base}/");
    let Some(list) = ogrinfo(&["-ro", "-so", &ds]).await else {
        eprintln!("SKIPPED: ogrinfo (gdal-bin) is not installed; scripts/setup.sh installs it");
        return;
    };
    assert!(list.contains("roads"), "{list}");
    // Page size 5 makes GDAL follow four `next` links.
    let ds_paged = format!("OAPIF:{base}/");
    let info = ogrinfo(&["-ro", "-so", "-oo", "PAGE_SIZE=5", &ds_paged, "roads"])
        .await
        .unwrap();
    assert!(info.contains("Feature Count: 12"), "{info}");
    assert!(info.contains("Line String"), "{info}");
    assert!(info.contains("name_zh: String"), "{info}");
    let all = ogrinfo(&[
        "-ro",
        "-oo",
        "PAGE_SIZE=5",
        &ds_paged,
        "roads",
        "-where",
        "class = 'secondary'",
    ])
    .await
    .unwrap();
    assert_eq!(all.matches("OGRFeature(roads)").count(), 6, "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_lists_every_jinzhou_layer_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let expected: Vec<(String, usize)> = state
        .layers
        .layers()
        .iter()
        .filter(|l| !l.info().dated)
        .map(|l| (l.info().id.to_string(), l.features(None).unwrap().len()))
        .collect();
    assert!(expected.len() >= 9, "{expected:?}");
    let base = spawn(jzplan::api::app_with_state(state)).await;
    let ds = format!("OAPIF:{base}/");
    let Some(list) = ogrinfo(&["-ro", "-so", &ds]).await else {
        eprintln!("SKIPPED: ogrinfo (gdal-bin) is not installed; scripts/setup.sh installs it");
        return;
    };
    for (id, n) in &expected {
        assert!(list.contains(id.as_str()), "{id} missing: {list}");
        // No environment work of the plan is drawn as a point.
        assert!(*n > 0 || id == "environment-works-points", "{id} is empty");
    }
    // Dated layers are listed too (GDAL reads today's state of them).
    for id in ["closures", "detours"] {
        assert!(list.contains(id), "{id} missing: {list}");
    }
    for id in ["roads", "works-lines", "districts"] {
        let n = expected.iter().find(|(i, _)| i == id).unwrap().1;
        let info = ogrinfo(&["-ro", "-so", &ds, id]).await.unwrap();
        assert!(
            info.contains(&format!("Feature Count: {n}")),
            "{id}: want {n}\n{info}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flows_layer_assigns_the_network_of_the_date() {
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let planned: std::collections::HashSet<u64> = state
        .engine
        .network
        .edges()
        .iter()
        .enumerate()
        .filter(|(_, e)| e.planned)
        .map(|(i, _)| i as u64)
        .collect();
    assert!(!planned.is_empty());
    let app = jzplan::api::app_with_state(state);
    let flows = |date: &'static str| {
        let app = app.clone();
        async move {
            let uri = format!("/collections/flows/items?date={date}&limit=10000");
            let r = get(&app, &uri).await;
            assert_eq!(r.status, StatusCode::OK);
            r.json()["features"].as_array().unwrap().clone()
        }
    };
    let during = flows("2022-06-01").await;
    let after = flows("2024-06-01").await;
    assert!(during.len() > 100, "{}", during.len());
    for f in during.iter().chain(&after) {
        let p = &f["properties"];
        let (v, c, vc) = (
            p["volume_vph"].as_f64().unwrap(),
            p["capacity_vph"].as_f64().unwrap(),
            p["vc"].as_f64().unwrap(),
        );
        assert!(v > 0.0 && c > 0.0);
        assert!((vc - v / c).abs() < 1e-3, "{p}");
        assert!(p["source"].as_str().unwrap().starts_with("model:"), "{p}");
    }
    let on_planned = |fs: &[serde_json::Value]| {
        fs.iter()
            .filter(|f| planned.contains(&f["properties"]["edge_id"].as_u64().unwrap()))
            .count()
    };
    // Unbuilt links carry nothing; once the plan's new bridges and roads open, traffic uses them.
    assert_eq!(on_planned(&during), 0);
    assert!(on_planned(&after) > 0);
    // The layer is listed as dated, and a bad date is a problem, not a 500.
    let col = get(&app, "/collections/flows").await.json();
    assert_eq!(col["id"], "flows");
    let bad = get(&app, "/collections/flows/items?date=2022-02-30").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// 2022-06-01: the Jinzhou Street (P1) and Fuzhou Street (P2) bridge works close both
/// streets' approaches, and the P4 widenings slow the roads around them.
const WORKS_DAY: &str = "2022-06-01";

#[test]
fn detours_on_a_date_start_and_end_at_the_ends_of_the_closed_stretch() {
    use jzplan::analysis::detour::Outcome;
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let engine = &state.engine;
    let day = jzplan::layers::parse_day(WORKS_DAY).unwrap();
    let ds = engine.detours_on(day).unwrap();
    assert!(ds.iter().any(|d| d.outcome == Outcome::Detour), "{ds:#?}");
    let net = &engine.network;
    let closed_day = engine.state_on(day).unwrap().closed_edges();
    for d in &ds {
        assert_eq!(d.date, Some(day));
        assert!(d.source.starts_with("model:"), "{}", d.source);
        // The ends are junctions of the closed stretch, every edge of which is closed that day.
        let ends_of_stretch: Vec<[f64; 2]> = d
            .closed_edges
            .iter()
            .flat_map(|&e| [net.edge(e).from, net.edge(e).to])
            .map(|n| [net.node(n).lon, net.node(n).lat])
            .collect();
        assert!(ends_of_stretch.contains(&d.from) && ends_of_stretch.contains(&d.to));
        assert!(d.closed_edges.iter().all(|e| closed_day.contains(e)));
        let base = &d.base_geometry;
        assert_eq!((base[0], base[base.len() - 1]), (d.from, d.to), "{}", d.id);
        if d.outcome == Outcome::Detour {
            let g = &d.geometry;
            assert_eq!((g[0], g[g.len() - 1]), (d.from, d.to), "{}", d.id);
            assert!(d.detour_s.unwrap() > d.base_s.unwrap(), "{}", d.id);
            assert!(d.detour_m.unwrap() > 0.0 && !d.via.is_empty(), "{}", d.id);
        } else {
            assert!(d.detour_s.is_none() && d.reason.is_some(), "{d:?}");
        }
    }
    // The date matters: the same closure alone on the base network is no slower than with
    // every closure and slow-down of the day.
    let alone = engine.detours(None).unwrap();
    for d in ds.iter().filter(|d| d.outcome == Outcome::Detour) {
        let a = alone.iter().find(|a| a.id == d.id).unwrap();
        assert!(
            a.detour_s.unwrap() <= d.detour_s.unwrap() + 1e-6,
            "{}",
            d.id
        );
    }
}

#[tokio::test]
async fn detours_layer_in_ogc_api_and_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(super::api::jinzhou_state(dir.path()));
    let cols = get(&app, "/collections").await.json();
    let col = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "detours")
        .expect("detours listed");
    assert_eq!(col["dated"], true, "{col}");

    let items = |q: String| {
        let app = app.clone();
        async move {
            let r = get(&app, &format!("/collections/detours/items?{q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            r.json()
        }
    };
    let on = items(format!("date={WORKS_DAY}")).await;
    let fs = on["features"].as_array().unwrap();
    assert!(!fs.is_empty());
    assert_eq!(on["numberMatched"], fs.len());
    for f in fs {
        let p = &f["properties"];
        assert_eq!(f["geometry"]["type"], "LineString");
        assert_eq!(p["date"], WORKS_DAY);
        assert!(p["work"].as_str().unwrap().starts_with('P'), "{p}");
        assert!(p["name"].as_str().unwrap().contains(" / "), "{p}");
        assert!(p["source"].as_str().unwrap().starts_with("model:"), "{p}");
        match p["outcome"].as_str().unwrap() {
            "detour" => {
                let (b, t, x) = (
                    p["base_s"].as_f64().unwrap(),
                    p["detour_s"].as_f64().unwrap(),
                    p["extra_s"].as_f64().unwrap(),
                );
                assert!((t - b - x).abs() < 0.02, "{p}");
                assert!(p["detour_m"].as_f64().unwrap() > 0.0, "{p}");
                assert!(!p["via_streets"].as_str().unwrap().is_empty(), "{p}");
            }
            _ => assert!(p["detour_s"].is_null() && p["reason"].is_string(), "{p}"),
        }
    }
    // A one-day datetime selects the same network state (what GIS clients send).
    let by_datetime = items(format!("datetime={WORKS_DAY}")).await;
    assert_eq!(by_datetime["numberMatched"], on["numberMatched"]);
    // Before any work: nothing is closed, so there is nothing to go around.
    let before = items("date=2021-06-01".into()).await;
    assert_eq!(before["numberMatched"], 0);
    // Property filters work on the layer's properties.
    let p1 = items(format!("date={WORKS_DAY}&work=P1")).await;
    let n1 = p1["numberMatched"].as_u64().unwrap();
    assert!(n1 > 0 && (n1 as usize) < fs.len(), "{n1}");
    // One detour by id, on its date; in HTML, the links keep the date.
    let one = get(
        &app,
        &format!("/collections/detours/items/P1.1?date={WORKS_DAY}"),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text());
    assert_eq!(one.json()["properties"]["work"], "P1");
    let html = get(
        &app,
        &format!("/collections/detours/items?date={WORKS_DAY}&f=html"),
    )
    .await;
    assert!(
        html.text()
            .contains(&format!("/items/P1.1?f=html&amp;date={WORKS_DAY}")),
        "{}",
        html.text()
    );
    for q in [
        "datetime=2022-02-30",
        "date=2022-6-1",
        "datetime=2022-07-01/2022-06-01",
    ] {
        let r = get(&app, &format!("/collections/detours/items?{q}")).await;
        assert_problem(&r, 400, "InvalidInput");
    }

    // Tiles: the TileJSON lists the layer; a tile over Jinzhou Street on the day holds it.
    let tj = get(&app, "/tiles/detours.json").await.json();
    assert_eq!(tj["vector_layers"][0]["id"], "detours", "{tj}");
    let (x, y) = tile_of(121.105, 41.11, 13);
    let r = get(
        &app,
        &format!("/tiles/detours/13/{x}/{y}.mvt?date={WORKS_DAY}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let t = decode(&r.body);
    let l = t
        .layers
        .iter()
        .find(|l| l.name == "detours")
        .expect("layer");
    assert!(!l.features.is_empty());
    for k in ["extra_s", "work", "name"] {
        assert!(l.keys.iter().any(|x| x == k), "{k} missing: {:?}", l.keys);
    }
    let empty = get(
        &app,
        &format!("/tiles/detours/13/{x}/{y}.mvt?date=2021-06-01"),
    )
    .await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(decode(&empty.body).layers.is_empty());
    assert_problem(
        &get(
            &app,
            &format!("/tiles/detours/13/{x}/{y}.mvt?date=2022-02-30"),
        )
        .await,
        400,
        "InvalidInput",
    );
}

#[test]
fn cli_works_detours_on_a_date_as_text_and_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::common::jzplan_bin())
            .arg("--db")
            .arg(&db)
            .args(["works", "detours"])
            .args(args)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (
            out.status.code(),
            text,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, text, err) = run(&["--on", WORKS_DAY]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        text.starts_with(&format!("on the network of {WORKS_DAY}")),
        "{text}"
    );
    assert!(text.contains("P1.1") && text.contains(" via "), "{text}");
    let (code, gj, err) = run(&["--on", WORKS_DAY, "--geojson"]);
    assert_eq!(code, Some(0), "{err}");
    let fc: serde_json::Value = serde_json::from_str(&gj).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let fs = fc["features"].as_array().unwrap();
    assert_eq!(fs.len(), text.lines().count() - 1, "{text}");
    assert!(fs.iter().all(|f| f["geometry"]["type"] == "LineString"));
    let (code, _, err) = run(&["--on", "2022-02-30"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("InvalidInput"), "{err}");
}

#[test]
fn detours_layer_follows_a_change_of_a_works_dates_at_once() {
    use jzplan::works::{DateRange, WorkId};
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let layer = state.layers.get("detours").unwrap().clone();
    let day = jzplan::layers::parse_day(WORKS_DAY).unwrap();
    let works_of = |fs: &[jzplan::layers::Feature]| {
        let mut w: Vec<String> = fs
            .iter()
            .map(|f| f.properties["work"].as_str().unwrap().to_string())
            .collect();
        w.dedup();
        w
    };
    assert_eq!(works_of(&layer.features(Some(day)).unwrap()), ["P1", "P2"]);
    // P1 moved to 2024: on 2022-06-01 only P2's closures are left (the cached answer is not).
    let p1 = WorkId::parse("P1").unwrap();
    let v = state.engine.list_works(&Default::default()).unwrap();
    let version = v.iter().find(|w| w.id == p1).unwrap().version;
    let later = DateRange::new(
        jzplan::layers::parse_day("2024-04-01").unwrap(),
        jzplan::layers::parse_day("2024-10-31").unwrap(),
    )
    .unwrap();
    state
        .engine
        .set_dates(&p1, later, None, version, "test", "moved")
        .unwrap();
    assert_eq!(works_of(&layer.features(Some(day)).unwrap()), ["P2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closures_say_which_work_closes_removes_or_opens_each_road() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(super::api::jinzhou_state(dir.path()));
    let closures = |date: &'static str| {
        let app = app.clone();
        async move {
            let r = get(
                &app,
                &format!("/collections/closures/items?date={date}&limit=10000"),
            )
            .await;
            assert_eq!(r.status, StatusCode::OK);
            r.json()["features"].as_array().unwrap().clone()
        }
    };
    let of = |fs: &[serde_json::Value], cause: &str| -> Vec<serde_json::Value> {
        fs.iter()
            .filter(|f| f["properties"]["cause"] == cause)
            .map(|f| f["properties"].clone())
            .collect()
    };
    // 2022-06-01: P1 (Jinzhou Street bridge) is on site: its approaches on 锦州街 are closed
    // for construction; nothing is removed yet.
    let during = closures("2022-06-01").await;
    assert!(!during.is_empty());
    for f in &during {
        let p = &f["properties"];
        assert_eq!(p["change"], "closed", "{p}");
        assert_eq!(p["cause"], "construction", "{p}");
        assert!(!p["works"].as_str().unwrap().is_empty(), "{p}");
    }
    assert!(
        of(&during, "construction")
            .iter()
            .any(|p| p["works"] == "P1" && p["name_zh"] == "锦州街"),
        "{during:?}"
    );
    // 2026-01-01: P5 (南广路 moved south, completed 2025-10-31) has removed the old alignment
    // for good and opened the new one; P1's bridge is open.
    let after = closures("2026-01-01").await;
    let removed = of(&after, "removed");
    assert!(!removed.is_empty(), "{after:?}");
    for p in &removed {
        assert_eq!(p["change"], "closed", "{p}");
        assert_eq!(p["works"], "P5", "{p}");
        assert_eq!(p["name_zh"], "南广路", "{p}");
    }
    let opened = of(&after, "new_link");
    assert!(opened.iter().any(|p| p["works"] == "P5"), "{opened:?}");
    assert!(opened.iter().any(|p| p["works"] == "P1"), "{opened:?}");
    assert!(opened.iter().all(|p| p["change"] == "opened"));
    // Every change on a date is explained by a work.
    assert!(after.iter().all(|f| f["properties"]["cause"].is_string()));
}

/// The GeoJSON geometry types a collection of `geometry_type` may hold: exactly that one.
fn family_of(geometry_type: &str) -> &str {
    match geometry_type {
        "Point" | "LineString" | "MultiLineString" | "Polygon" => geometry_type,
        other => panic!("a listed collection mixes geometries: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_listed_collection_holds_one_geometry_type_and_describes_itself() {
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let app = jzplan::api::app_with_state(state);
    let cols = get(&app, "/collections").await.json();
    let cols = cols["collections"].as_array().unwrap().clone();
    let ids: Vec<&str> = cols.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "works-lines",
        "works-points",
        "works-areas",
        "environment-works-lines",
        "environment-works-points",
        "environment-works-areas",
    ] {
        assert!(ids.contains(&id), "{id} not listed: {ids:?}");
    }
    // The old mixed collections are aliases: not listed, still served.
    assert!(!ids.contains(&"works") && !ids.contains(&"environment-works"));
    let mut counts = std::collections::HashMap::new();
    for c in &cols {
        let id = c["id"].as_str().unwrap();
        let gt = family_of(c["geometryType"].as_str().unwrap());
        let links = c["links"].as_array().unwrap();
        for rel in [
            "http://www.opengis.net/def/rel/ogc/1.0/schema",
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "describedBy",
        ] {
            assert!(links.iter().any(|l| l["rel"] == rel), "{id}: no {rel} link");
        }
        // The schema: every property the collection lists, typed, and the geometry's format.
        let r = get(&app, &format!("/collections/{id}/schema")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert_eq!(r.content_type(), "application/schema+json");
        let schema = r.json();
        let sp = schema["properties"].as_object().unwrap();
        assert_eq!(sp["geometry"]["x-ogc-role"], "primary-geometry", "{id}");
        assert_eq!(
            sp["geometry"]["format"],
            format!("geometry-{}", gt.to_lowercase()),
            "{id}"
        );
        let props = c["properties"].as_object().unwrap();
        assert_eq!(sp.len(), props.len() + 1, "{id}");
        for (k, v) in props {
            assert_eq!(sp[k]["type"], v["type"], "{id}.{k}");
        }
        let q = get(&app, &format!("/collections/{id}/queryables")).await;
        assert_eq!(q.status, StatusCode::OK);
        assert_eq!(q.json()["properties"].as_object().unwrap().len(), sp.len());
        let xsd = get(&app, &format!("/collections/{id}/schema.xsd")).await;
        assert_eq!(xsd.content_type(), "application/xml");
        assert!(xsd.text().contains(&format!("<xs:element name=\"{id}\"")));
        // Every feature has the collection's geometry type and only its properties.
        let items = get(&app, &format!("/collections/{id}/items?limit=10000"))
            .await
            .json();
        let fs = items["features"].as_array().unwrap();
        for f in fs {
            assert_eq!(f["geometry"]["type"], gt, "{id}: {f}");
            for k in f["properties"].as_object().unwrap().keys() {
                assert!(props.contains_key(k), "{id}: '{k}' is not declared");
            }
        }
        counts.insert(id.to_string(), fs.len());
    }
    // Every work with a geometry is in exactly one family; the alias still holds them all.
    let all = get(&app, "/collections/works/items?limit=10000")
        .await
        .json();
    let n = |id: &str| counts[id];
    assert_eq!(
        all["numberMatched"],
        n("works-lines") + n("works-points") + n("works-areas")
    );
    assert!(n("works-lines") > 0 && n("works-points") > 0 && n("works-areas") > 0);
    let env = get(&app, "/collections/environment-works/items?limit=10000")
        .await
        .json();
    assert_eq!(
        env["numberMatched"],
        n("environment-works-lines") + n("environment-works-points") + n("environment-works-areas")
    );
    let alias = get(&app, "/collections/works").await.json();
    assert!(
        alias["description"]
            .as_str()
            .unwrap()
            .contains("works-lines"),
        "{alias}"
    );
    assert_problem(
        &get(&app, "/collections/nope/schema").await,
        404,
        "NotFound",
    );
    assert_problem(
        &get(&app, "/collections/roads/schema?f=json").await,
        400,
        "InvalidInput",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dated_collections_default_to_today_and_name_the_date_they_used() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(super::api::jinzhou_state(dir.path()));
    let today = jzplan::layers::today().to_string();
    for id in ["closures", "detours", "flows"] {
        let c = get(&app, &format!("/collections/{id}")).await.json();
        assert_eq!(c["dated"], true);
        assert_eq!(c["defaultDate"], today.as_str());
        let d = c["description"].as_str().unwrap();
        assert!(d.contains(&format!("today, {today}")), "{id}: {d}");
    }
    let plain = get(&app, "/collections/roads").await.json();
    assert!(plain["defaultDate"].is_null());
    // Without a date: today's state, said in the answer.
    let j = get(&app, "/collections/detours/items").await.json();
    assert_eq!(j["date"], today.as_str(), "{j}");
    // An empty dated layer still says which day it shows.
    let j = get(&app, "/collections/detours/items?date=2021-06-01")
        .await
        .json();
    assert_eq!(j["numberMatched"], 0);
    assert_eq!(j["date"], "2021-06-01");
    let j = get(&app, "/collections/detours/items?datetime=2021-06-01")
        .await
        .json();
    assert_eq!(j["date"], "2021-06-01");
    let html = get(&app, "/collections/detours/items?date=2021-06-01&f=html").await;
    assert!(
        html.text().contains("State of 2021-06-01."),
        "{}",
        html.text()
    );
    // A collection that does not depend on a date names none.
    let j = get(&app, "/collections/roads/items?limit=1").await.json();
    assert!(j["date"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gdal_opens_an_empty_collection_typed_from_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    // No environment work of the plan is drawn as a point: the collection is empty.
    let empty = state.layers.get("environment-works-points").unwrap();
    assert!(empty.features(None).unwrap().is_empty());
    let base = spawn(jzplan::api::app_with_state(state)).await;
    let ds = format!("OAPIF:{base}/");
    let Some(info) = ogrinfo(&["-ro", "-so", &ds, "environment-works-points"]).await else {
        eprintln!("SKIPPED: ogrinfo (gdal-bin) is not installed; scripts/setup.sh installs it");
        return;
    };
    assert!(info.contains("Feature Count: 0"), "{info}");
    assert!(info.contains("Geometry: Point"), "{info}");
    for field in [
        "name_zh: String",
        "start: Date",
        "version: Integer64",
        "estimated: Integer(Boolean)",
    ] {
        assert!(info.contains(field), "{field} missing: {info}");
    }
}

/// The Python that has PyQGIS (Debian's `python3-qgis` installs it for the system Python).
fn qgis_python() -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from("/usr/bin/python3");
    let ok = std::process::Command::new(&p)
        .args(["-c", "import qgis.core"])
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(p)
}

/// A collection as the layers hold it: id, feature count, geometry type, (property, type).
type Expected = (String, usize, String, Vec<(String, String)>);

/// Allowed QGIS field type names for a property type.
fn qgis_types(json_type: &str) -> &'static [&'static str] {
    match json_type {
        "string" => &["String"],
        "date" => &["Date"],
        "integer" => &["Integer", "Integer64"],
        "number" => &["Real", "Integer", "Integer64"],
        "boolean" => &["Boolean", "Integer"],
        _ => &[],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qgis_opens_every_collection_with_its_count_geometry_and_fields() {
    let Some(python) = qgis_python() else {
        eprintln!(
            "SKIPPED: PyQGIS (python3-qgis, qgis-providers) is not installed; scripts/setup.sh installs it"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let today = jzplan::layers::today();
    // What each collection holds today, from the layers themselves.
    let expected: Vec<Expected> = state
        .layers
        .layers()
        .iter()
        .map(|l| {
            let i = l.info();
            let n = l.features(i.dated.then_some(today)).unwrap().len();
            let props = i
                .properties
                .iter()
                .map(|p| {
                    let t = p.kind.json_format().unwrap_or(p.kind.json_type());
                    (p.name.to_string(), t.to_string())
                })
                .collect();
            (i.id.to_string(), n, i.geometry_type.to_string(), props)
        })
        .collect();
    let base = spawn(jzplan::api::app_with_state(state)).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/qgis_layers.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(&base)
        .args(expected.iter().map(|e| e.0.as_str()))
        .env("QT_QPA_PLATFORM", "offscreen")
        .env("GDAL_HTTP_TIMEOUT", "60")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2 * expected.len(), "{stdout}");
    let mut empty_seen = 0;
    for (id, n, gt, props) in &expected {
        for provider in ["OAPIF", "ogr"] {
            let r = rows
                .iter()
                .find(|r| r["id"] == id.as_str() && r["provider"] == provider)
                .unwrap();
            assert_eq!(r["valid"], true, "{r}");
            // The ogr provider leaves a remote layer uncounted (-1) until it is read.
            if provider == "OAPIF" || r["count"] != -1 {
                assert_eq!(r["count"], *n, "{r}");
            }
            assert_eq!(r["read"], *n, "{r}");
            // QGIS 3.22's own provider types a layer from its first features only: an empty
            // one opens untyped there; through GDAL it reads the schema (describedBy) first.
            if *n == 0 && provider == "OAPIF" {
                empty_seen += 1;
                continue;
            }
            assert_eq!(r["geometry"], gt.as_str(), "{r}");
            let fields = r["fields"].as_array().unwrap();
            assert!(!fields.is_empty(), "{r}");
            for f in fields {
                let (name, ty) = (f[0].as_str().unwrap(), f[1].as_str().unwrap());
                let Some((_, kind)) = props.iter().find(|(p, _)| p == name) else {
                    // GDAL keeps a string feature id as a field of its own; beside a property
                    // `id` QGIS names that one `id_1`.
                    assert!(
                        name == "id" || (name == "id_1" && props.iter().any(|(p, _)| p == "id")),
                        "{id}/{provider}: undeclared field {name}"
                    );
                    continue;
                };
                assert!(
                    qgis_types(kind).contains(&ty),
                    "{id}/{provider}: {name} is {ty}, declared {kind}"
                );
            }
            if provider == "ogr" {
                // Through the schema: every declared property is a column, even when empty.
                for (p, _) in props {
                    assert!(
                        fields.iter().any(|f| f[0] == p.as_str()),
                        "{id}: no column {p}: {r}"
                    );
                }
            }
        }
    }
    assert!(empty_seen >= 1, "no empty collection was checked");
}

/// `numberMatched` of an items request that must succeed.
async fn matched(app: &axum::Router, uri: &str) -> u64 {
    let r = get(app, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    r.json()["numberMatched"].as_u64().unwrap()
}

#[tokio::test]
async fn property_filters_compare_numbers_as_numbers() {
    let app = test_app();
    // The grid: 6 primary segments (50 km/h, 3 lanes), 6 secondary ones (40 km/h, 2 lanes).
    for q in ["speed_kmh=40", "speed_kmh=40.0", "lanes=2", "lanes=2.0"] {
        assert_eq!(
            matched(&app, &format!("/collections/roads/items?{q}")).await,
            6,
            "{q}"
        );
    }
    assert_eq!(matched(&app, "/collections/roads/items?lanes=2.5").await, 0);
    assert_eq!(
        matched(&app, "/collections/roads/items?speed_kmh=50&lanes=3").await,
        6
    );
    for q in ["lanes=abc", "speed_kmh=fast", "speed_kmh="] {
        let r = get(&app, &format!("/collections/roads/items?{q}")).await;
        assert_problem(&r, 400, "InvalidInput");
    }
    let r = get(&app, "/collections/roads/items?lanes=abc").await;
    assert!(
        r.json()["detail"].as_str().unwrap().contains("integer"),
        "{}",
        r.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bbox_selects_features_whose_geometry_meets_it() {
    use geo::{BoundingRect, Intersects};
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let lines = state
        .layers
        .get("works-lines")
        .unwrap()
        .features(None)
        .unwrap();
    let p = geo_types::Point::new(121.13, 41.08);
    // The point of the review: inside the bounding box of some work lines, on none of them.
    let in_box = lines
        .iter()
        .filter(|f| f.geometry.bounding_rect().unwrap().intersects(&p))
        .count();
    let on_line = lines.iter().filter(|f| f.geometry.intersects(&p)).count();
    assert!(in_box > 0 && on_line == 0, "{in_box} {on_line}");
    let app = jzplan::api::app_with_state(state);
    assert_eq!(
        matched(
            &app,
            "/collections/works-lines/items?bbox=121.13,41.08,121.13,41.08"
        )
        .await,
        0
    );
    // A box around the first vertex of each line finds that line.
    for f in lines.iter().take(5) {
        let geo_types::Geometry::LineString(l) = &f.geometry else {
            continue;
        };
        let c = l.0[0];
        let uri = format!(
            "/collections/works-lines/items?bbox={},{},{},{}&limit=10000",
            c.x - 1e-5,
            c.y - 1e-5,
            c.x + 1e-5,
            c.y + 1e-5
        );
        let j = get(&app, &uri).await.json();
        assert!(
            j["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["id"] == f.id.as_str()),
            "{} not found by {uri}",
            f.id
        );
    }
}

#[tokio::test]
async fn crs84_is_accepted_and_other_crs_refused() {
    let app = test_app();
    let crs84 = "http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FOGC%2F1.3%2FCRS84";
    assert_eq!(
        matched(&app, &format!("/collections/roads/items?crs={crs84}")).await,
        12
    );
    assert_eq!(
        matched(
            &app,
            &format!("/collections/roads/items?bbox=121.099,41.099,121.101,41.101&bbox-crs={crs84}&crs={crs84}")
        )
        .await,
        2
    );
    let one = get(&app, &format!("/collections/roads/items/0?crs={crs84}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text());
    assert_eq!(one.json()["id"], 0);
    let epsg = "http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F3857";
    for uri in [
        format!("/collections/roads/items?crs={epsg}"),
        format!("/collections/roads/items?bbox-crs={epsg}"),
        format!("/collections/roads/items/0?crs={epsg}"),
    ] {
        assert_problem(&get(&app, &uri).await, 400, "InvalidInput");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dated_collections_refuse_intervals_and_keep_the_date_in_links() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(super::api::jinzhou_state(dir.path()));
    for id in ["closures", "detours", "flows"] {
        for dt in [
            "2022-06-01/2022-06-02",
            "../2022-06-01",
            "2022-06-01/..",
            "../..",
        ] {
            let r = get(&app, &format!("/collections/{id}/items?datetime={dt}")).await;
            assert_problem(&r, 400, "InvalidInput");
            let detail = r.json()["detail"].as_str().unwrap().to_string();
            assert!(
                detail.contains("one day") && detail.contains(id),
                "{detail}"
            );
        }
    }
    // A one-day interval is one day.
    let j = get(
        &app,
        &format!("/collections/detours/items?datetime={WORKS_DAY}/{WORKS_DAY}"),
    )
    .await
    .json();
    assert_eq!(j["date"], WORKS_DAY);
    // Collections that do not depend on a date still filter by intervals: no work of the plan
    // ends before 2000, every one is on site at some time from then on.
    assert_eq!(
        matched(
            &app,
            "/collections/works-lines/items?datetime=../1999-12-31"
        )
        .await,
        0
    );
    let all = matched(&app, "/collections/works-lines/items").await;
    assert!(all > 0);
    assert_eq!(
        matched(
            &app,
            "/collections/works-lines/items?datetime=2000-01-01/.."
        )
        .await,
        all
    );

    // The self link of a feature of a dated collection keeps its date, and leads to it.
    let one = get(
        &app,
        &format!("/collections/detours/items/P1.1?date={WORKS_DAY}"),
    )
    .await
    .json();
    let href = one["links"][0]["href"].as_str().unwrap();
    assert_eq!(one["links"][0]["rel"], "self");
    assert!(
        href.ends_with(&format!("/collections/detours/items/P1.1?date={WORKS_DAY}")),
        "{href}"
    );
    let path = &href[href.find("/collections").unwrap()..];
    assert_eq!(get(&app, path).await.status, StatusCode::OK);
    // Without a date (today's state, or a collection that is not dated) the link has none.
    let works = get(&app, "/collections/works-lines/items/P1").await.json();
    assert!(
        works["links"][0]["href"]
            .as_str()
            .unwrap()
            .ends_with("/collections/works-lines/items/P1"),
        "{works}"
    );
}

#[tokio::test]
async fn prev_past_the_end_goes_to_the_last_page_with_features() {
    let app = test_app();
    let j = get(&app, "/collections/roads/items?limit=5&offset=100")
        .await
        .json();
    assert_eq!(j["numberMatched"], 12);
    assert_eq!(j["numberReturned"], 0);
    let links = j["links"].as_array().unwrap();
    assert!(links.iter().all(|l| l["rel"] != "next"));
    let prev = links.iter().find(|l| l["rel"] == "prev").unwrap()["href"]
        .as_str()
        .unwrap();
    // The last 5 of 12: features 7 to 11.
    assert!(prev.ends_with("/items?limit=5&offset=7"), "{prev}");
    let path = &prev[prev.find("/collections").unwrap()..];
    assert_eq!(get(&app, path).await.json()["numberReturned"], 5);
    // Within the features, prev steps back one page as before.
    let j = get(&app, "/collections/roads/items?limit=5&offset=7")
        .await
        .json();
    let prev = j["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(prev.ends_with("offset=2"), "{prev}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_collection_spans_the_city_not_the_world() {
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let city = state.engine.network.bbox().unwrap();
    let want = [city.min().x, city.min().y, city.max().x, city.max().y];
    // No environment work of the plan is drawn as a point: the collection is empty.
    assert!(
        state
            .layers
            .get("environment-works-points")
            .unwrap()
            .features(None)
            .unwrap()
            .is_empty()
    );
    let app = jzplan::api::app_with_state(state);
    let c = get(&app, "/collections/environment-works-points")
        .await
        .json();
    let bbox: Vec<f64> = c["extent"]["spatial"]["bbox"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(bbox, want);
    let tj = get(&app, "/tiles/environment-works-points.json")
        .await
        .json();
    let bounds: Vec<f64> = tj["bounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(bounds, want);
    let centre = &tj["center"];
    assert!(
        (centre[0].as_f64().unwrap() - (want[0] + want[2]) / 2.0).abs() < 1e-9,
        "{tj}"
    );
    assert!(
        (centre[1].as_f64().unwrap() - (want[1] + want[3]) / 2.0).abs() < 1e-9,
        "{tj}"
    );
    // Jinzhou is about 121°E 41°N.
    assert!(
        (120.0..123.0).contains(&centre[0].as_f64().unwrap()),
        "{tj}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn city_layers_carry_their_id_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(super::api::jinzhou_state(dir.path()));
    for id in ["districts", "rivers", "pois"] {
        let j = get(&app, &format!("/collections/{id}/items?limit=1"))
            .await
            .json();
        let f = &j["features"][0];
        assert!(f["id"].is_string(), "{f}");
        // The id is the feature's, not repeated among the properties (GDAL would list it twice).
        assert!(f["properties"].get("id").is_none(), "{f}");
        assert!(f["properties"]["name_en"].is_string(), "{f}");
        let q = get(&app, &format!("/collections/{id}/queryables"))
            .await
            .json();
        assert!(q["properties"].get("id").is_none(), "{q}");
        let one = get(
            &app,
            &format!("/collections/{id}/items/{}", f["id"].as_str().unwrap()),
        )
        .await;
        assert_eq!(one.status, StatusCode::OK);
    }
    let base = spawn(app).await;
    let ds = format!("OAPIF:{base}/");
    for id in ["districts", "rivers", "pois", "works-lines", "hotspots"] {
        let Some(info) = ogrinfo(&["-ro", "-so", &ds, id]).await else {
            eprintln!("SKIPPED: ogrinfo (gdal-bin) is not installed; scripts/setup.sh installs it");
            return;
        };
        assert_eq!(info.matches("\nid: String").count(), 1, "{id}:\n{info}");
    }
}
