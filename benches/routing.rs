//! Routing benches: point-to-point routes on the embedded Jinzhou network, on a city-sized grid
//! and on a generated 1M-edge grid; snapping; matrix; isochrone; network build and `.jzn` load.
//!
//! Queries are random origin/destination pairs (fixed seed) snapped onto the network before
//! timing, so a route time is the search plus the route assembly. Besides criterion's
//! estimates, each route group prints the per-query latency distribution (p50/p95/max over
//! the same pairs), which is what docs/performance.md reports as p50.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geo_types::Point;
use jzplan::network::grid::{GridOptions, grid};
use jzplan::network::snap::Snap;
use jzplan::network::{Metric, RoadNetwork};
use jzplan::routing::{Algorithm, RouteOptions, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn random_points(net: &RoadNetwork, n: usize, seed: u64) -> Vec<Point<f64>> {
    let bb = net.bbox().expect("non-empty network");
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            Point::new(
                rng.random_range(bb.min().x..bb.max().x),
                rng.random_range(bb.min().y..bb.max().y),
            )
        })
        .collect()
}

fn snapped_pairs(r: &Router, n: usize, seed: u64) -> Vec<(Snap, Snap)> {
    let pts = random_points(r.network(), 2 * n + 200, seed);
    let snaps: Vec<Snap> = pts
        .iter()
        .filter_map(|p| r.snap(*p, 5_000.0).ok())
        .collect();
    snaps
        .chunks_exact(2)
        .map(|c| (c[0], c[1]))
        .take(n)
        .collect()
}

/// Per-query latencies over all pairs: prints p50, p95 and max.
fn latency_report(label: &str, r: &Router, pairs: &[(Snap, Snap)], algorithm: Algorithm) {
    let opts = RouteOptions { algorithm };
    let mut t: Vec<Duration> = pairs
        .iter()
        .map(|(a, b)| {
            let s = Instant::now();
            let _ = black_box(r.route(a, b, &opts));
            s.elapsed()
        })
        .collect();
    t.sort();
    let q = |f: f64| t[((t.len() as f64 - 1.0) * f).round() as usize];
    eprintln!(
        "latency {label} {algorithm}: n={} p50={:?} p95={:?} max={:?}",
        t.len(),
        q(0.5),
        q(0.95),
        q(1.0)
    );
}

fn bench_routes(
    c: &mut Criterion,
    name: &str,
    net: &RoadNetwork,
    pairs_n: usize,
    algos: &[Algorithm],
) {
    let w = net.weights(Metric::Time);
    let r = Router::new(net, &w, Metric::Time).expect("router");
    let pairs = snapped_pairs(&r, pairs_n, 42);
    let mut g = c.benchmark_group(format!("route/{name}"));
    for &algorithm in algos {
        latency_report(name, &r, &pairs, algorithm);
        let opts = RouteOptions { algorithm };
        let mut i = 0;
        g.bench_function(BenchmarkId::from_parameter(algorithm), |b| {
            b.iter(|| {
                let (a, d) = &pairs[i % pairs.len()];
                i += 1;
                black_box(r.route(a, d, &opts).ok())
            })
        });
    }
    g.finish();
}

fn city(c: &mut Criterion) {
    if let Ok(net) = jzplan::io::geojson::jinzhou_network() {
        bench_routes(c, "jinzhou", &net, 1000, &Algorithm::ALL);
        let w = net.weights(Metric::Time);
        c.bench_function("router_new/jinzhou", |b| {
            b.iter(|| black_box(Router::new(&net, &w, Metric::Time).is_ok()))
        });
        let r = Router::new(&net, &w, Metric::Time).unwrap();
        let pts = random_points(&net, 1000, 7);
        let mut i = 0;
        c.bench_function("snap/jinzhou", |b| {
            b.iter(|| {
                i += 1;
                black_box(r.snap(pts[i % pts.len()], 5_000.0).ok())
            })
        });
        let snaps: Vec<Snap> = pts
            .iter()
            .take(100)
            .filter_map(|p| r.snap(*p, 5_000.0).ok())
            .collect();
        c.bench_function("matrix_100x100/jinzhou", |b| {
            b.iter(|| black_box(r.matrix(&snaps, &snaps).is_ok()))
        });
        c.bench_function("isochrone_600s/jinzhou", |b| {
            b.iter(|| black_box(r.isochrone(&snaps[0], 600.0).is_ok()))
        });
    }
    // A city-sized grid (28 × 28 nodes, 3,024 directed edges).
    let net = grid(&GridOptions::jinzhou(28, 28)).unwrap();
    bench_routes(c, "grid_3k", &net, 1000, &Algorithm::ALL);
}

fn large(c: &mut Criterion) {
    // 500 × 500 nodes: 998,000 directed edges, 100 km × 100 km of 200 m blocks.
    let opts = GridOptions::jinzhou(500, 500);
    let t = Instant::now();
    let net = grid(&opts).unwrap();
    eprintln!("generate grid 1M edges: {:?}", t.elapsed());
    let t = Instant::now();
    let _ = net.snap_index();
    eprintln!("snap index 1M edges: {:?}", t.elapsed());
    {
        let mut g = c.benchmark_group("route/grid_1m");
        g.sample_size(20);
        g.measurement_time(Duration::from_secs(20));
        let w = net.weights(Metric::Time);
        let t = Instant::now();
        let r = Router::new(&net, &w, Metric::Time).unwrap();
        eprintln!("router new 1M edges: {:?}", t.elapsed());
        let pairs = snapped_pairs(&r, 100, 42);
        for algorithm in [
            Algorithm::BidirAStar,
            Algorithm::AStar,
            Algorithm::BidirDijkstra,
        ] {
            latency_report("grid_1m", &r, &pairs, algorithm);
            let o = RouteOptions { algorithm };
            let mut i = 0;
            g.bench_function(BenchmarkId::from_parameter(algorithm), |b| {
                b.iter(|| {
                    let (a, d) = &pairs[i % pairs.len()];
                    i += 1;
                    black_box(r.route(a, d, &o).ok())
                })
            });
        }
        g.finish();
        let pts = random_points(&net, 1000, 7);
        let mut i = 0;
        c.bench_function("snap/grid_1m", |b| {
            b.iter(|| {
                i += 1;
                black_box(r.snap(pts[i % pts.len()], 5_000.0).ok())
            })
        });
    }
    let bytes = jzplan::io::jzn::to_bytes(&net);
    eprintln!("jzn size 1M edges: {} MB", bytes.len() / 1_000_000);
    drop(net);
    let mut g = c.benchmark_group("load/grid_1m");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    let path = std::path::Path::new("grid_1m.jzn");
    g.bench_function("jzn_from_bytes", |b| {
        b.iter(|| {
            black_box(
                jzplan::io::jzn::from_bytes(&bytes, path)
                    .unwrap()
                    .edge_count(),
            )
        })
    });
    g.bench_function("jzn_from_bytes_plus_snap_index", |b| {
        b.iter(|| {
            let n = jzplan::io::jzn::from_bytes(&bytes, path).unwrap();
            black_box(n.snap_index());
            n.edge_count()
        })
    });
    g.bench_function("generate_grid", |b| {
        b.iter(|| black_box(grid(&opts).unwrap().edge_count()))
    });
    g.finish();
}

criterion_group!(benches, city, large);
criterion_main!(benches);
