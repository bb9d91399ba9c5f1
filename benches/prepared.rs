//! Prepared network files (`.jzp`) on a generated 1M-edge grid (500 × 500; a 30 × 30 stand-in
//! when `cargo test` runs the benches once): what a replica pays before its first routed query
//! when it loads a prepared file, against preparing the hierarchy itself.
//!
//! - criterion: reading the file (network + both hierarchies + CCH order, checksum checked),
//!   and the whole cold start of an engine from it to the first answered route (read, take the
//!   hierarchies, prepare the base weights, snap, route);
//! - timed once (tens of seconds on the big grid): writing the file (both hierarchies and the
//!   CCH order prepared), the same cold start with the hierarchy prepared instead of read, and
//!   the customizable hierarchy built from the file's order against ordering it anew.
//!
//! `scripts/first-query.sh` measures the same through `jzplan serve` (process start to the
//! first HTTP answer, and peak RSS).

use criterion::{Criterion, criterion_group, criterion_main};
use geo_types::Point;
use jzplan::engine::Engine;
use jzplan::io::jzp;
use jzplan::network::grid::{GridOptions, grid};
use jzplan::network::{Metric, RoadNetwork};
use jzplan::routing::{Algorithm, Cch, RouteOptions};
use jzplan::served::{PlanQuery, QueryUse};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A route across the grid on the engine's base hierarchy, preparing what is missing.
fn first_route(engine: &Engine, from: Point<f64>, to: Point<f64>) -> f64 {
    let plan = engine
        .routing_plan(&PlanQuery::base(
            Metric::Time,
            QueryUse::Route(Algorithm::Ch),
        ))
        .unwrap()
        .prepare()
        .unwrap();
    let router = plan.router().unwrap();
    let a = router.snap(from, 1_000.0).unwrap();
    let b = router.snap(to, 1_000.0).unwrap();
    router
        .route(
            &a,
            &b,
            &RouteOptions {
                algorithm: Algorithm::Ch,
            },
        )
        .unwrap()
        .cost
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn prepared(c: &mut Criterion) {
    let side = if bench_mode() { 500 } else { 30 };
    let opts = GridOptions::jinzhou(side, side);
    let net: RoadNetwork = grid(&opts).unwrap();
    let bb = net.bbox().unwrap();
    let at = |fx: f64, fy: f64| {
        Point::new(
            bb.min().x + fx * (bb.max().x - bb.min().x),
            bb.min().y + fy * (bb.max().y - bb.min().y),
        )
    };
    let (from, to) = (at(0.1, 0.1), at(0.9, 0.85));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grid.jzp");
    let edges = net.edge_count();

    let t = Instant::now();
    let written = Engine::new(grid(&opts).unwrap())
        .write_prepared(&path, &[Metric::Time, Metric::Distance], true)
        .unwrap();
    eprintln!(
        "once grid {side}x{side} ({edges} edges): prepare both hierarchies + CCH order and write \
         {:.1} MB: {:.1} s",
        written.bytes as f64 / 1e6,
        secs(t)
    );
    // Cold start preparing the base hierarchy (what a replica without the file does).
    let t = Instant::now();
    let cost_prepared = first_route(&Engine::new(grid(&opts).unwrap()), from, to);
    eprintln!(
        "once cold start to the first route, preparing the hierarchy: {:.2} s",
        secs(t)
    );
    // The same from the file.
    let t = Instant::now();
    let p = jzp::read_file(&path).unwrap();
    let engine = Engine::new(p.network);
    let taken = engine.install_prepared(p.routing);
    assert_eq!(taken.hierarchies.len(), 2);
    let cost_file = first_route(&engine, from, to);
    eprintln!(
        "once cold start to the first route, from the file: {:.2} s",
        secs(t)
    );
    assert_eq!(cost_prepared.to_bits(), cost_file.to_bits());
    // The customizable hierarchy: ordered anew, or contracted in the file's order.
    let t = Instant::now();
    let fresh = Cch::new(&net).unwrap();
    let t_new = secs(t);
    let order = fresh.order().to_vec();
    let t = Instant::now();
    let again = Cch::with_order(&net, order).unwrap();
    eprintln!(
        "once CCH: order + contract {t_new:.1} s; contract in the file's order {:.1} s",
        secs(t)
    );
    assert_eq!(again.arc_count(), fresh.arc_count());

    let bytes = std::fs::read(&path).unwrap();
    let mut g = c.benchmark_group(format!("jzp_grid_{side}"));
    g.sample_size(10);
    g.bench_function("read", |b| {
        b.iter(|| black_box(jzp::from_bytes(&bytes, Path::new("grid.jzp")).unwrap()))
    });
    g.bench_function("cold_start_to_first_route", |b| {
        b.iter(|| {
            let p = jzp::read_file(&path).unwrap();
            let engine = Engine::new(p.network);
            engine.install_prepared(p.routing);
            black_box(first_route(&engine, from, to))
        })
    });
    g.finish();
}

criterion_group!(benches, prepared);
criterion_main!(benches);
