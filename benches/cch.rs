//! Customizable contraction hierarchies against the per-weights contraction hierarchy, on the
//! embedded Jinzhou network, on a generated 1M-edge grid (500 × 500; a 60 × 60 stand-in
//! when `cargo test` runs the benches once) and, with `JZPLAN_OSM_PBF`, on an OpenStreetMap
//! extract:
//!
//! - order + contraction (metric-independent, once per network) and a full CH preparation;
//! - customization of the base weights and of a "date" (1 % of the edges closed, others 20 %
//!   slower), the step every new date or scenario pays; and a "works date" (40 edges closed
//!   or made three times slower, what a day's works do) updated from the base network's
//!   customization (`Customized::updated`, what a server does on a deep hierarchy) against
//!   customized from scratch;
//! - route latencies on the same snapped pairs, CCH and CH interleaved call by call (p50, p95,
//!   max), with costs cross-checked; the CCH with its elimination-tree search (the default) and
//!   with the bidirectional Dijkstra.
//!
//! The optional perfect step of the customization is measured apart: "base", "date" and
//! `*_perfect` are with it, `customize_date` and `cch_route` without it (`Cch::customize`, what
//! the engine makes first); `perfect_step_from_basic` is what a server adds in the background
//! on a deep hierarchy (`Customized::perfected`). Preparation steps of the big grid are timed
//! once (a CH takes tens of seconds there); the rest by criterion.

use criterion::{Criterion, criterion_group, criterion_main};
use geo_types::Point;
use jzplan::network::grid::{GridOptions, grid};
use jzplan::network::snap::Snap;
use jzplan::network::{Metric, NodeId, RoadNetwork};
use jzplan::routing::{Algorithm, Cch, CchSearch, Customized, Hierarchy, RouteOptions, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/latency.rs"]
mod latency;

fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn snapped_pairs(r: &Router, n: usize, seed: u64) -> Vec<(Snap, Snap)> {
    let net = r.network();
    let bb = net.bbox().expect("non-empty network");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut snaps = Vec::new();
    while snaps.len() < 2 * n {
        let p = Point::new(
            rng.random_range(bb.min().x..bb.max().x),
            rng.random_range(bb.min().y..bb.max().y),
        );
        if let Ok(s) = r.snap(p, 5_000.0) {
            snaps.push(s);
        }
    }
    snaps.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

/// A "date": 1 % of the edges closed, every 7th edge 20 % slower (fixed seed).
fn dated(w: &[f64]) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(9);
    w.iter()
        .enumerate()
        .map(|(i, &x)| {
            if rng.random_range(0..100) == 0 {
                f64::INFINITY
            } else if i % 7 == 0 {
                x * 1.2
            } else {
                x
            }
        })
        .collect()
}

/// A "works date": 20 random edges closed and 20 three times slower (fixed seed).
fn works_date(w: &[f64]) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(17);
    let mut out = w.to_vec();
    for k in 0..40 {
        let e = rng.random_range(0..w.len());
        out[e] = if k % 2 == 0 {
            f64::INFINITY
        } else {
            w[e] * 3.0
        };
    }
    out
}

fn side_by_side(c: &mut Criterion, name: &str, net: &RoadNetwork, big: bool) {
    let w = net.weights(Metric::Time);
    let t = Instant::now();
    let cch = Arc::new(Cch::new(net).expect("cch"));
    let order_time = t.elapsed();
    let t = Instant::now();
    let base = cch.customize_with(&w, true).expect("customize");
    let cust_time = t.elapsed();
    let date_w = dated(&w);
    let t = Instant::now();
    let date = cch.customize_with(&date_w, true).expect("customize");
    let date_time = t.elapsed();
    let t = Instant::now();
    let basic = cch.customize_with(&w, false).expect("customize");
    let basic_time = t.elapsed();
    let t = Instant::now();
    let refined = basic.perfected();
    let refine_time = t.elapsed();
    assert_eq!(refined.dropped(), base.dropped());
    let works_w = works_date(&w);
    let t = Instant::now();
    let (updated, update_stats) = basic.updated_with_stats(&works_w).expect("update");
    let update_time = t.elapsed();
    let t = Instant::now();
    let scratch = cch.customize(&works_w).expect("customize");
    let scratch_time = t.elapsed();
    assert_eq!(updated.dropped(), scratch.dropped());
    drop((updated, scratch));
    let t = Instant::now();
    let h = Hierarchy::new(net, &w).expect("hierarchy");
    let ch_time = t.elapsed();
    let (anc_max, anc_mean) = cch.ancestor_stats();
    eprintln!(
        "cch {name}: {} nodes, {} edges; order+contract {order_time:?}, {} arcs, {} triangles, {} levels, \
         ancestors max {anc_max} mean {anc_mean:.0}, \
         {:.1} MB shape + {:.1} MB per customization (perfect); with the perfect step: customize base {cust_time:?}, \
         date {date_time:?} ({} threads); full CH prepare {ch_time:?} ({} arcs, {:.1} MB); \
         date customization (perfect) = {:.2} % of a CH preparation; without the perfect step: \
         {basic_time:?} (base), {:.1} MB; the perfect step from the basic customization \
         (Customized::perfected) {refine_time:?}, +{:.1} MB; the perfect step drops {} of {} arc \
         directions; works date: updated from the base {update_time:?} ({:.2} % of a CH preparation; \
         {update_stats:?}), customized from scratch {scratch_time:?}; load {}",
        net.node_count(),
        net.edge_count(),
        cch.arc_count(),
        cch.triangle_count(),
        cch.level_count(),
        cch.memory_bytes() as f64 / 1e6,
        base.memory_bytes() as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        h.arc_count(),
        h.memory_bytes() as f64 / 1e6,
        100.0 * date_time.as_secs_f64() / ch_time.as_secs_f64(),
        basic.memory_bytes() as f64 / 1e6,
        refined.query_bytes() as f64 / 1e6,
        base.dropped(),
        2 * cch.arc_count(),
        100.0 * update_time.as_secs_f64() / ch_time.as_secs_f64(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let mut g = c.benchmark_group(format!("cch/{name}"));
    g.sample_size(10);
    if big {
        g.measurement_time(Duration::from_secs(20));
    } else {
        g.bench_function("order_contract", |b| {
            b.iter(|| black_box(Cch::new(net).unwrap().arc_count()))
        });
    }
    g.bench_function("customize_date_perfect", |b| {
        b.iter(|| black_box(cch.customize_with(&date_w, true).unwrap().memory_bytes()))
    });
    g.bench_function("customize_date_basic", |b| {
        b.iter(|| black_box(cch.customize_with(&date_w, false).unwrap().memory_bytes()))
    });
    g.bench_function("update_works_date", |b| {
        b.iter(|| black_box(basic.updated(&works_w).unwrap().memory_bytes()))
    });
    g.bench_function("customize_works_date_basic", |b| {
        b.iter(|| black_box(cch.customize(&works_w).unwrap().memory_bytes()))
    });
    // What a server adds in the background on a deep hierarchy (Prepared::refine).
    let date_basic = cch.customize_with(&date_w, false).expect("customize");
    g.bench_function("perfect_step_from_basic", |b| {
        b.iter(|| black_box(date_basic.perfected().query_bytes()))
    });
    g.finish();

    let r_ch = Router::with_hierarchy(net, &w, Metric::Time, &h).expect("router");
    let r_cch = Router::with_cch(net, &w, Metric::Time, &base).expect("router");
    let pairs = snapped_pairs(&r_ch, 1000, 42);
    let opts = RouteOptions {
        algorithm: Algorithm::Ch,
    };
    let r_basic = Router::with_cch(net, &w, Metric::Time, &basic).expect("router");
    // The bidirectional Dijkstra on the same customizations, for comparison.
    let dij_basic = cch
        .customize_with(&w, false)
        .expect("customize")
        .with_search(CchSearch::Dijkstra);
    let dij_perfect = cch
        .customize_with(&w, true)
        .expect("customize")
        .with_search(CchSearch::Dijkstra);
    let r_dij_basic = Router::with_cch(net, &w, Metric::Time, &dij_basic).expect("router");
    let r_dij_perfect = Router::with_cch(net, &w, Metric::Time, &dij_perfect).expect("router");
    let mut agree = 0;
    for (a, b) in &pairs {
        let x = r_ch.route(a, b, &opts);
        let same = |y: Result<jzplan::routing::Route, jzplan::Error>| match (&x, y) {
            (Ok(x), Ok(y)) => (x.cost - y.cost).abs() <= 1e-9 * x.cost.max(1.0),
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if same(r_cch.route(a, b, &opts))
            && same(r_basic.route(a, b, &opts))
            && same(r_dij_basic.route(a, b, &opts))
            && same(r_dij_perfect.route(a, b, &opts))
        {
            agree += 1;
        }
    }
    eprintln!(
        "cch vs ch {name}: {agree} of {} costs agree (with and without the perfect step, both searches)",
        pairs.len()
    );
    search_work(
        name,
        net,
        &h,
        &[
            ("perfect", &base),
            ("basic", &basic),
            ("dijkstra perfect", &dij_perfect),
            ("dijkstra basic", &dij_basic),
        ],
    );
    let n = pairs.len();
    // The contenders, called in turn on pairs spread over the list (so that none finds its
    // pair warm from another's query): CCH perfect, CH, CCH basic, and the bidirectional
    // Dijkstra on the CCH without and with the perfect step.
    let routers = [&r_cch, &r_ch, &r_basic, &r_dij_basic, &r_dij_perfect];
    let offsets = [0, n / 3, 2 * n / 3, n / 6, n / 2];
    let mut t: [Vec<Duration>; 5] = Default::default();
    // The interleaved pass runs JZPLAN_CCH_ROUNDS times (3 by default, 1 in the unoptimised
    // smoke run of `cargo test`); the CCH/CH ratios of p50 are also taken round by round
    // (lowest, median, highest), steadier than one pass.
    let rounds = latency::rounds("JZPLAN_CCH_ROUNDS", 3);
    let p50 = latency::p50;
    let (mut rp, mut rb) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = t[0].len();
        for i in 0..n {
            for ((r, off), tk) in routers.iter().zip(offsets).zip(t.iter_mut()) {
                let (a, b) = &pairs[(i + off) % n];
                let s = Instant::now();
                black_box(r.route(a, b, &opts).ok());
                tk.push(s.elapsed());
            }
        }
        let ch = p50(&t[1][start..]);
        rp.push(p50(&t[0][start..]) / ch);
        rb.push(p50(&t[2][start..]) / ch);
    }
    let ([p0, p1, p2], [b0, b1, b2]) = (latency::spread(rp), latency::spread(rb));
    eprintln!(
        "cch/ch p50 {name} per round, {rounds} rounds (lowest, median, highest): with the perfect \
         step {p0:.2}, {p1:.2}, {p2:.2}; without {b0:.2}, {b1:.2}, {b2:.2}"
    );
    let [tc, th, tb, tdb, tdp] = t;
    let p_cch = latency::report(&format!("{name} cch route"), tc);
    let p_ch = latency::report(&format!("{name} ch route"), th);
    let p_basic = latency::report(&format!("{name} cch route without the perfect step"), tb);
    let p_db = latency::report(
        &format!("{name} cch dijkstra route without the perfect step"),
        tdb,
    );
    let p_dp = latency::report(
        &format!("{name} cch dijkstra route with the perfect step"),
        tdp,
    );
    eprintln!(
        "cch/ch p50 {name}: {:.2} (without the perfect step {:.2}); the bidirectional Dijkstra \
         instead of the elimination-tree search: {:.2} / {:.2}; load {}",
        p_cch.as_secs_f64() / p_ch.as_secs_f64(),
        p_basic.as_secs_f64() / p_ch.as_secs_f64(),
        p_dp.as_secs_f64() / p_ch.as_secs_f64(),
        p_db.as_secs_f64() / p_ch.as_secs_f64(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    // A dated route: the date's customization, then the same query.
    let r_date = Router::with_cch(net, &date_w, Metric::Time, &date).expect("router");
    let mut g = c.benchmark_group(format!("cch_query/{name}"));
    let mut i = 0;
    g.bench_function("cch_route_perfect", |b| {
        b.iter(|| {
            i += 1;
            let (a, d) = &pairs[i % n];
            black_box(r_cch.route(a, d, &opts).ok())
        })
    });
    g.bench_function("cch_route", |b| {
        b.iter(|| {
            i += 1;
            let (a, d) = &pairs[i % n];
            black_box(r_basic.route(a, d, &opts).ok())
        })
    });
    g.bench_function("ch_route", |b| {
        b.iter(|| {
            i += 1;
            let (a, d) = &pairs[i % n];
            black_box(r_ch.route(a, d, &opts).ok())
        })
    });
    g.bench_function("cch_dated_route", |b| {
        b.iter(|| {
            i += 1;
            let (a, d) = &pairs[i % n];
            black_box(r_date.route(a, d, &opts).ok())
        })
    });
    g.finish();
}

/// Prints what a query does on average over 1,000 random node pairs: on each customization
/// (chain nodes walked, found labelled, settled, arcs relaxed, of them before the sides met)
/// and on the CH (settled, stalled, relaxed).
fn search_work(name: &str, net: &RoadNetwork, h: &Hierarchy, cz: &[(&str, &Customized)]) {
    let mut rng = StdRng::seed_from_u64(7);
    let n = net.node_count() as u32;
    type Pair = [(NodeId, f64); 2];
    let pairs: Vec<Pair> = (0..1000)
        .map(|_| {
            [
                (NodeId(rng.random_range(0..n)), 0.0),
                (NodeId(rng.random_range(0..n)), 0.0),
            ]
        })
        .collect();
    let mean = |f: &dyn Fn(&Pair) -> [usize; 5]| {
        let mut sum = [0usize; 5];
        for p in &pairs {
            for (x, y) in sum.iter_mut().zip(f(p)) {
                *x += y;
            }
        }
        sum.map(|x| x as f64 / pairs.len() as f64)
    };
    for (label, c) in cz {
        let [chain, reached, settled, relaxed, apart] = mean(&|[s, t]| {
            let st = c.search_stats(&[*s], &[*t]).expect("stats");
            [
                st.chain,
                st.reached,
                st.settled,
                st.relaxed,
                st.relaxed_apart,
            ]
        });
        eprintln!(
            "cch search {name} {label}: chain {chain:.0}, reached {reached:.0}, settled {settled:.0}, \
             relaxed {relaxed:.0} ({apart:.0} before the sides met); means of both sides"
        );
    }
    let [settled, stalled, relaxed, ..] = mean(&|[s, t]| {
        let st = h.search_stats(&[*s], &[*t]).expect("stats");
        [st.settled, st.stalled, st.relaxed, 0, 0]
    });
    eprintln!("ch search {name}: settled {settled:.0}, stalled {stalled:.0}, relaxed {relaxed:.0}");
}

fn cch(c: &mut Criterion) {
    if let Ok(net) = jzplan::io::geojson::jinzhou_network() {
        side_by_side(c, "jinzhou", &net, false);
    }
    // JZPLAN_CCH_GRID_SIDE sets the grid's side (e.g. 200 for a quicker run).
    let side = std::env::var("JZPLAN_CCH_GRID_SIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if bench_mode() { 500 } else { 60 });
    let net = grid(&GridOptions::jinzhou(side, side)).unwrap();
    side_by_side(c, "grid_1m", &net, true);
    // A real city: an OpenStreetMap extract named by JZPLAN_OSM_PBF (benches/osm_extract.sh
    // fetches the Helsinki one); skipped when unset.
    if let Ok(path) = std::env::var("JZPLAN_OSM_PBF") {
        let opts = jzplan::io::osm::OsmOptions::default();
        match jzplan::io::osm::read_osm_pbf(std::path::Path::new(&path), &opts) {
            Ok(net) => side_by_side(c, "osm_extract", &net, false),
            Err(e) => eprintln!("osm extract {path}: {e}"),
        }
    }
}

criterion_group!(benches, cch);
criterion_main!(benches);
