//! Prepared network files (`.jzp`): `jzplan prepare` writes the network with its contraction
//! hierarchies, an engine (a server) takes them instead of preparing, and a damaged, truncated,
//! foreign or newer file is a clear `InvalidFile` error (exit 4), never a panic.

use crate::api::get;
use axum::http::StatusCode;
use jzplan::engine::Engine;
use jzplan::network::Metric;
use jzplan::network::grid::{GridOptions, grid};
use jzplan::store::sqlite::SqliteStore;
use jzplan::works::catalogue::Catalogue;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Runs `jzplan args…` without a network of the environment; (exit code, stdout, stderr).
fn jzplan(args: &[&str]) -> (i32, String, String) {
    crate::common::run(args)
}

#[test]
fn cli_prepare_writes_the_jinzhou_network_with_its_hierarchies_and_routes_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jinzhou.jzp");
    let f = file.to_str().unwrap();
    let (code, out, err) = jzplan(&["prepare", "--out", f, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let w: Value = serde_json::from_str(&out).unwrap();
    // The embedded network (1,568 directed edges) with the catalogue's planned links added,
    // as `serve` holds it; the travel-time hierarchy and the CCH order (and the distance
    // hierarchy when asked for).
    assert!(w["edges"].as_u64().unwrap() > 1_568, "{w}");
    assert_eq!(w["hierarchies"].as_array().unwrap().len(), 1, "{w}");
    assert_eq!(w["hierarchies"][0][0], "time");
    assert_eq!(w["cch_order"], true);
    let both = dir.path().join("both.jzp");
    let (code, out, err) = jzplan(&[
        "prepare",
        "--distance",
        "--out",
        both.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let b: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(b["hierarchies"][0][0], "time");
    assert_eq!(b["hierarchies"][1][0], "distance");
    assert_eq!(
        w["bytes"].as_u64(),
        Some(std::fs::metadata(&file).unwrap().len())
    );
    // The same route on the prepared file as on the embedded network (planned links are closed
    // on the base network).
    let route = |network: Option<&str>| -> Value {
        let mut args = vec![];
        if let Some(n) = network {
            args.extend(["--network", n]);
        }
        args.extend([
            "route",
            "--from",
            "121.1226,41.1152",
            "--to",
            "121.1453,41.1130",
            "--algo",
            "ch",
            "--format",
            "json",
        ]);
        let (code, out, err) = jzplan(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let (on_file, embedded) = (route(Some(f)), route(None));
    assert_eq!(on_file["cost"], embedded["cost"]);
    assert_eq!(on_file["pieces"], embedded["pieces"]);
    // Only `.jzp` is written.
    let (code, _, err) = jzplan(&[
        "prepare",
        "--out",
        dir.path().join("x.jzn").to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.starts_with("error[InvalidInput]"), "{err}");
}

#[test]
fn damaged_truncated_foreign_and_newer_files_are_invalid_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jzp");
    Engine::new(grid(&GridOptions::jinzhou(4, 5)).unwrap())
        .write_prepared(&good, &[Metric::Time, Metric::Distance], true)
        .unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let (code, out, err) = jzplan(&["--network", good.to_str().unwrap(), "network", "stats"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("directed edges: 62"), "{out}");

    let write = |name: &str, b: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    let mut damaged = bytes.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x01;
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&9u32.to_le_bytes());
    let jzn = jzplan::io::jzn::to_bytes(&grid(&GridOptions::jinzhou(2, 2)).unwrap());
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (write("damaged.jzp", &damaged), "checksum mismatch"),
        (
            write("truncated.jzp", &bytes[..bytes.len() - 100]),
            "truncated",
        ),
        (write("header.jzp", &bytes[..20]), "truncated"),
        (write("empty.jzp", b""), "truncated"),
        (
            write(
                "foreign.jzp",
                br#"{"type": "FeatureCollection", "features": []}"#,
            ),
            "bad magic bytes",
        ),
        (write("network.jzp", &jzn), "a .jzn network"),
        (
            write("newer.jzp", &newer),
            "format version 9 is not supported",
        ),
    ];
    for (path, what) in cases {
        let p = path.to_str().unwrap();
        for args in [
            vec!["--network", p, "network", "stats"],
            vec![
                "--network",
                p,
                "route",
                "--from",
                "121.09,41.08",
                "--to",
                "121.1,41.09",
            ],
        ] {
            let (code, _, err) = jzplan(&args);
            assert_eq!(code, 4, "{p}: {err}");
            assert!(err.starts_with("error[InvalidFile]"), "{p}: {err}");
            assert!(err.contains(what), "{p}: wanted '{what}' in {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

/// An engine on the embedded network with a fresh store, from a prepared file when given.
fn jinzhou_engine(dir: &Path, prepared: Option<&Path>) -> Engine {
    let store = Arc::new(SqliteStore::open(&dir.join("jz.db")).unwrap());
    let cat = Catalogue::jinzhou().unwrap();
    let engine = match prepared {
        Some(p) => {
            let (net, routing) = jzplan::io::read_prepared_network_file(p).unwrap();
            let engine = Engine::with_works(net, store, &cat).unwrap();
            let taken = engine.install_prepared(routing.unwrap());
            assert_eq!(taken.hierarchies, vec![Metric::Time, Metric::Distance]);
            assert!(taken.cch_order && taken.rejected.is_empty(), "{taken:?}");
            engine
        }
        None => Engine::with_works(jzplan::io::geojson::jinzhou_network().unwrap(), store, &cat)
            .unwrap(),
    };
    engine.seed(&cat).unwrap();
    engine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_on_a_prepared_file_routes_on_its_hierarchies_without_preparing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jz.jzp");
    let fresh = jinzhou_engine(dir.path(), None);
    fresh
        .write_prepared(&file, &[Metric::Time, Metric::Distance], true)
        .unwrap();

    let replica_dir = tempfile::tempdir().unwrap();
    let engine = jinzhou_engine(replica_dir.path(), Some(&file));
    let routing = engine.routing.clone();
    let net = engine.network.clone();
    // Both base hierarchies are there before any request.
    let kept: Vec<_> = [Metric::Time, Metric::Distance]
        .into_iter()
        .map(|m| {
            routing
                .cached_hierarchy(&net, routing.get(m))
                .expect("installed")
        })
        .collect();
    let layers = engine.layers().unwrap();
    let state = jzplan::api::AppState::with_catalog(engine, layers, Default::default());
    let app = jzplan::api::app_with_state(state);
    let fresh_state = jzplan::api::AppState::with_catalog(
        fresh.clone(),
        fresh.layers().unwrap(),
        Default::default(),
    );
    let fresh_app = jzplan::api::app_with_state(fresh_state);
    for uri in [
        "/api/v1/route?from=121.1226,41.1152&to=121.1453,41.1130",
        "/api/v1/route?from=121.10,41.125&to=121.15,41.085&metric=distance",
        "/api/v1/route?from=121.105,41.105&to=121.105,41.085&date=2024-06-01",
        "/route/v1/driving/121.10,41.125;121.15,41.085?overview=false",
        "/table/v1/driving/121.10,41.125;121.15,41.085;121.16,41.13",
    ] {
        let (a, b) = (get(&app, uri).await, get(&fresh_app, uri).await);
        assert_eq!(a.status, StatusCode::OK, "{uri}: {}", a.text());
        // The same answer as a server that prepared everything itself.
        assert_eq!(a.json(), b.json(), "{uri}");
    }
    // No hierarchy was prepared: the installed ones served, and the dated route ordered its
    // customizable hierarchy by the file's order.
    assert_eq!(routing.hierarchies.len(), 2);
    for (m, h) in [Metric::Time, Metric::Distance].into_iter().zip(&kept) {
        let now = routing.cached_hierarchy(&net, routing.get(m)).unwrap();
        assert!(Arc::ptr_eq(h, &now));
    }
    assert_eq!(
        routing.cch(&net).unwrap().order(),
        fresh.routing.cch(&fresh.network).unwrap().order()
    );
}

#[test]
fn a_hierarchy_made_for_another_network_is_not_taken() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.jzp");
    Engine::new(grid(&GridOptions::jinzhou(4, 5)).unwrap())
        .write_prepared(&file, &[Metric::Time, Metric::Distance], true)
        .unwrap();
    let read = || jzplan::io::jzp::read_file(&file).unwrap().routing;
    let other = Engine::new(grid(&GridOptions::jinzhou(4, 6)).unwrap());
    let taken = other.install_prepared(read());
    assert!(taken.hierarchies.is_empty() && !taken.cch_order);
    assert_eq!(taken.rejected.len(), 3, "{taken:?}");
    // The same grid takes everything.
    let same = Engine::new(grid(&GridOptions::jinzhou(4, 5)).unwrap());
    let taken = same.install_prepared(read());
    assert_eq!(taken.hierarchies.len(), 2);
    assert!(taken.cch_order);
}

#[test]
fn without_a_distance_hierarchy_distance_routes_run_on_the_customizable_one() {
    use jzplan::routing::{Algorithm, RouteOptions};
    use jzplan::served::{Plan, PlanQuery, QueryUse};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.jzp");
    let opts = GridOptions::jinzhou(6, 7);
    let written = Engine::new(grid(&opts).unwrap())
        .write_prepared(&file, &[Metric::Time], true)
        .unwrap();
    assert_eq!(written.hierarchies.len(), 1);
    let p = jzplan::io::jzp::read_file(&file).unwrap();
    let engine = Engine::new(p.network);
    let taken = engine.install_prepared(p.routing);
    assert_eq!(taken.hierarchies, vec![Metric::Time]);
    let route = |metric, algorithm| {
        let plan = engine
            .routing_plan(&PlanQuery::base(metric, QueryUse::Route(algorithm)))
            .unwrap()
            .prepare()
            .unwrap();
        let router = plan.router().unwrap();
        let a = router
            .snap(geo_types::Point::new(121.0905, 41.0803), 500.0)
            .unwrap();
        let b = router
            .snap(geo_types::Point::new(121.1, 41.089), 500.0)
            .unwrap();
        router.route(&a, &b, &RouteOptions { algorithm }).unwrap()
    };
    let d = route(Metric::Distance, Algorithm::Ch);
    // Exact: the same cost as Dijkstra's on the same weights.
    assert_eq!(d.cost, route(Metric::Distance, Algorithm::Dijkstra).cost);
    // No hierarchy of distances was prepared for it: only the file's time hierarchy is kept,
    // and the customizable hierarchy was customized for the base distances.
    assert_eq!(engine.routing.hierarchies.len(), 1);
    assert!(engine.routing.base_hierarchy(Metric::Distance).is_none());
    let again = engine
        .routing_plan(&PlanQuery::base(
            Metric::Distance,
            QueryUse::Route(Algorithm::Ch),
        ))
        .unwrap();
    assert!(
        matches!(again, Plan::Ready(_)),
        "customized once, then ready"
    );
    // Time routes still run on the file's hierarchy, ready at once.
    let time = engine
        .routing_plan(&PlanQuery::base(
            Metric::Time,
            QueryUse::Route(Algorithm::Ch),
        ))
        .unwrap();
    assert!(matches!(time, Plan::Ready(_)));
}

/// `jzplan [--network FILE] route … ARGS`: the engine the command opens and its answer.
fn cli_route(
    network: &Path,
    db: &Path,
    args: &[&str],
) -> (jzplan::cli::route::RouteEngine, jzplan::routing::Route) {
    use clap::Parser;
    use jzplan::cli::{Cli, Command};
    let mut argv = vec![
        "jzplan",
        "--network",
        network.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "route",
        "--from",
        "121.0905,41.0803",
        "--to",
        "121.1,41.089",
    ];
    argv.extend(args);
    let cli = Cli::try_parse_from(argv).unwrap();
    let Command::Route(a) = cli.command else {
        panic!("not a route command")
    };
    let re = a.common.engine(&cli.global).unwrap();
    let r = jzplan::cli::route::route_answer(&re, &a.query().unwrap()).unwrap();
    (re, r)
}

#[test]
fn cli_routes_run_on_a_prepared_files_hierarchies_and_prepare_none() {
    use jzplan::routing::Algorithm;
    use jzplan::served::Made;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("jz.db");
    let net = grid(&GridOptions::jinzhou(6, 7)).unwrap();
    let jzn = dir.path().join("g.jzn");
    std::fs::write(&jzn, jzplan::io::jzn::to_bytes(&net)).unwrap();
    let jzp = dir.path().join("g.jzp");
    Engine::new(net)
        .write_prepared(&jzp, &[Metric::Time], true)
        .unwrap();
    // The same network without prepared data: `--algo ch` prepares a hierarchy (the count
    // sees it) ...
    let (plain, on_jzn) = cli_route(&jzn, &db, &["--algo", "ch"]);
    assert_eq!(plain.engine.routing.counts().hierarchies, 1);
    // ... and on the prepared file it prepares nothing: the file's hierarchy answers.
    let (re, on_jzp) = cli_route(&jzp, &db, &["--algo", "ch"]);
    assert_eq!(re.engine.routing.counts(), Made::default());
    assert_eq!(on_jzp.algorithm, Algorithm::Ch);
    assert_eq!(on_jzp.cost, on_jzn.cost);
    // Exact: Dijkstra's cost.
    let (_, dijkstra) = cli_route(&jzp, &db, &["--algo", "dijkstra"]);
    assert!((on_jzp.cost - dijkstra.cost).abs() <= 1e-9 * dijkstra.cost);
    // A shortest-distance route (the file has no distance hierarchy) and an avoiding one run
    // on the customizable hierarchy, contracted in the file's order and customized once each:
    // no contraction hierarchy is prepared.
    let (re, d) = cli_route(&jzp, &db, &["--algo", "ch", "--metric", "distance"]);
    let counts = re.engine.routing.counts();
    assert_eq!((counts.hierarchies, counts.customizations), (0, 1));
    let (_, d_plain) = cli_route(&jzp, &db, &["--algo", "dijkstra", "--metric", "distance"]);
    assert!((d.cost - d_plain.cost).abs() <= 1e-9 * d_plain.cost);
    let edges = on_jzp.edge_ids();
    let middle = edges[edges.len() / 2];
    let first = middle.0.to_string();
    let (re, avoiding) = cli_route(&jzp, &db, &["--algo", "ch", "--avoid-edges", &first]);
    let counts = re.engine.routing.counts();
    assert_eq!((counts.hierarchies, counts.customizations), (0, 1));
    assert!(avoiding.cost >= on_jzp.cost);
    assert!(!avoiding.edge_ids().contains(&middle));
}

#[test]
fn engine_routes_on_a_date_run_on_the_customized_hierarchy_with_the_exact_cost() {
    use jzplan::routing::{Algorithm, RouteOptions};
    let dir = tempfile::tempdir().unwrap();
    let engine = jinzhou_engine(dir.path(), None);
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (from, to) = (
        geo_types::Point::new(121.105, 41.105),
        geo_types::Point::new(121.105, 41.085),
    );
    // 2022-06-01: the Jinzhou Street bridge is being built, its approaches are closed.
    let state = engine.state_on(day("2022-06-01")).unwrap();
    assert!(!state.overlay().changes().is_empty());
    let before = engine.routing.counts();
    let r = engine.route_in(&state, from, to, Metric::Time).unwrap();
    assert_eq!(r.algorithm, Algorithm::Ch);
    let after = engine.routing.counts();
    assert_eq!(after.customizations, before.customizations + 1);
    assert_eq!(
        after.hierarchies, before.hierarchies,
        "no hierarchy of its own"
    );
    // The plain searches on the same weights find the same cost.
    let w = state.weights(Metric::Time);
    for algorithm in [Algorithm::Dijkstra, Algorithm::BidirAStar] {
        let plain = jzplan::routing::route(
            &engine.network,
            &w,
            Metric::Time,
            from,
            to,
            jzplan::network::snap::DEFAULT_MAX_SNAP_M,
            &RouteOptions { algorithm },
        )
        .unwrap();
        assert!(
            (r.cost - plain.cost).abs() <= 1e-9 * plain.cost,
            "{algorithm:?}"
        );
    }
    // The date's customization is kept: the next route on it (and the comparison with the
    // base network, on the base hierarchy) customizes nothing.
    let cmp = engine
        .compare_routes(&state, from, to, Metric::Time)
        .unwrap();
    assert_eq!(engine.routing.counts().customizations, after.customizations);
    let on_date = cmp.scenario.expect("a route on the date");
    assert_eq!(
        (on_date.algorithm, cmp.base.algorithm),
        (Algorithm::Ch, Algorithm::Ch)
    );
    assert_eq!(on_date.cost, r.cost);
    let plain = jzplan::scenario::compare_routes(&state, from, to, Metric::Time).unwrap();
    assert!((cmp.base.cost - plain.base.cost).abs() <= 1e-9 * plain.base.cost);
    assert!((cmp.extra_s.unwrap() - plain.extra_s.unwrap()).abs() <= 1e-6);
}

#[test]
fn a_state_of_another_network_is_routed_on_that_network_without_the_cache() {
    use jzplan::routing::RouteQuery;
    use jzplan::scenario::NetworkState;
    let engine = Engine::new(grid(&GridOptions::jinzhou(4, 5)).unwrap());
    // A larger grid: its far corner lies outside the engine's network.
    let other = grid(&GridOptions::jinzhou(6, 7)).unwrap();
    let nodes = other.nodes();
    let q = RouteQuery::new(nodes[0].point(), nodes[nodes.len() - 1].point());
    let expected = Engine::new(grid(&GridOptions::jinzhou(6, 7)).unwrap())
        .route(&q)
        .unwrap();
    let state = NetworkState::base(&other);
    let r = engine.route_on(Some(&state), &q).unwrap();
    assert_eq!((r.cost, r.distance_m), (expected.cost, expected.distance_m));
    let m = engine
        .matrix_on(Some(&state), &[q.from], &[q.to], &q.options)
        .unwrap();
    let d = m.durations_s[0][0].expect("reachable");
    assert!(
        (d - expected.cost).abs() <= 1e-9 * expected.cost,
        "{d} vs {}",
        expected.cost
    );
    // The engine's routing cache holds its own network's data only: nothing was made there.
    assert_eq!(engine.routing.counts(), jzplan::served::Made::default());
}

#[test]
fn a_server_moves_a_deep_networks_avoiding_routes_to_the_perfect_step() {
    use jzplan::routing::{Algorithm, Avoid, RouteQuery};
    use jzplan::served::Made;
    // A route avoiding an edge runs on the customizable hierarchy customized for it. On a deep
    // hierarchy (a 60 × 60 grid) a server starts the perfect step of that customization in
    // the background, once; a batch engine (the default) does not, nor does any engine on
    // Jinzhou (27 ancestors a node).
    let net = grid(&GridOptions::jinzhou(60, 60)).unwrap();
    let (a, b) = (net.nodes()[0].point(), net.nodes()[3599].point());
    let mut q = RouteQuery::new(a, b);
    q.algorithm = Algorithm::Ch;
    q.options.avoid = Avoid {
        edges: vec![jzplan::network::EdgeId(40)],
        ..Avoid::default()
    };
    let batch = Engine::new(grid(&GridOptions::jinzhou(60, 60)).unwrap());
    let cost = batch.route(&q).unwrap().cost;
    let made = batch.routing.counts();
    assert_eq!(
        (made.customizations, made.updates, made.perfect_steps),
        (1, 1, 0)
    );
    let server = Engine::new(net);
    server.routing.refine_in_background(true);
    for _ in 0..3 {
        let r = server.route(&q).unwrap();
        assert!((r.cost - cost).abs() <= 1e-9 * cost);
    }
    assert_eq!(
        server.routing.counts(),
        Made {
            cch: 1,
            // The base network's, then the avoiding weights' as an update of it.
            customizations: 1,
            updates: 1,
            perfect_steps: 1,
            ..Made::default()
        }
    );
    // Once its perfect step is made, the avoiding weights' customization answers alone: they
    // let their basic one go. The base network's weights keep theirs for the next updates.
    let plan = jzplan::served::plan(
        &server.routing,
        &server.network,
        None,
        Metric::Time,
        &q.options.avoid,
        jzplan::served::QueryUse::Route(Algorithm::Ch),
    )
    .unwrap()
    .prepare()
    .unwrap();
    let avoiding = plan.prepared();
    let t = std::time::Instant::now();
    while avoiding.keeps_basic() {
        assert!(t.elapsed().as_secs() < 300, "the perfect step never ended");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(avoiding.is_refined());
    let base = server
        .routing
        .base_prepared(&server.network, Metric::Time)
        .unwrap();
    assert!(base.is_customized() && base.keeps_basic());
    let r = server.route(&q).unwrap();
    assert!((r.cost - cost).abs() <= 1e-9 * cost);
    let dir = tempfile::tempdir().unwrap();
    let jz = jinzhou_engine(dir.path(), None);
    jz.routing.refine_in_background(true);
    let (from, to) = (
        geo_types::Point::new(121.105, 41.105),
        geo_types::Point::new(121.105, 41.085),
    );
    let mut q = RouteQuery::new(from, to);
    q.algorithm = Algorithm::Ch;
    q.options.avoid.streets = vec!["Jiefang Road".into()];
    jz.route(&q).unwrap();
    let made = jz.routing.counts();
    assert_eq!((made.customizations, made.perfect_steps), (1, 0));
}
