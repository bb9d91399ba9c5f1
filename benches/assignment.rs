//! Assignment benches: SiouxFalls to a relative gap of 1e-4 (BFW, CFW, FW) and a generated
//! 60×60 grid with 120 zones (BFW to 1e-4). Before measuring, prints the iterations each
//! algorithm needs (the table in docs/performance.md).

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::assignment::{
    Algorithm, AssignNetwork, AssignOptions, LinkKind, LinkSpec, OdMatrix, ZoneId, assign,
};
use jzplan::io::tntp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn sioux_falls() -> (AssignNetwork, OdMatrix) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var("JZPLAN_TNTP_DIR")
        .map(PathBuf::from)
        .ok()
        .or_else(|| {
            root.ancestors()
                .map(|a| a.join("shared/data/tntp"))
                .find(|p| p.is_dir())
        })
        .expect("../shared/data/tntp not found (set JZPLAN_TNTP_DIR)")
        .join("SiouxFalls");
    let net = AssignNetwork::from_tntp(&tntp::read_net(&dir.join("SiouxFalls_net.tntp")).unwrap())
        .unwrap();
    let od = OdMatrix::from_tntp(&tntp::read_trips(&dir.join("SiouxFalls_trips.tntp")).unwrap())
        .unwrap();
    (net, od)
}

/// A `side × side` grid of two-way roads (random free-flow times and capacities) with `zones`
/// centroids, each tied to one grid node by zero-time connectors; demand decays with the
/// grid distance between the zones' nodes. Seeded, so every run sees the same network.
fn grid(side: usize, zones: usize) -> (AssignNetwork, OdMatrix) {
    let mut rng = StdRng::seed_from_u64(42);
    let node = |r: usize, c: usize| (zones + r * side + c) as u32;
    let mut links = Vec::new();
    let mut road = |a: u32, b: u32, rng: &mut StdRng| {
        let t0 = rng.random_range(1.0..3.0);
        let cap = rng.random_range(800.0..2400.0);
        for (f, t) in [(a, b), (b, a)] {
            links.push(LinkSpec {
                from: f,
                to: t,
                free_flow_time: t0,
                capacity: cap,
                alpha: 0.15,
                beta: 4.0,
                length: t0,
                toll: 0.0,
                kind: LinkKind::Tntp {
                    init: f + 1,
                    term: t + 1,
                },
            });
        }
    };
    for r in 0..side {
        for c in 0..side {
            if c + 1 < side {
                road(node(r, c), node(r, c + 1), &mut rng);
            }
            if r + 1 < side {
                road(node(r, c), node(r + 1, c), &mut rng);
            }
        }
    }
    let at: Vec<(usize, usize)> = (0..zones)
        .map(|_| (rng.random_range(0..side), rng.random_range(0..side)))
        .collect();
    for (z, &(r, c)) in at.iter().enumerate() {
        for (f, t) in [(z as u32, node(r, c)), (node(r, c), z as u32)] {
            links.push(LinkSpec {
                from: f,
                to: t,
                free_flow_time: 0.0,
                capacity: 0.0,
                alpha: 0.0,
                beta: 0.0,
                length: 0.0,
                toll: 0.0,
                kind: LinkKind::Connector(ZoneId(z as u32)),
            });
        }
    }
    let names = (1..=zones).map(|z| z.to_string()).collect();
    let net = AssignNetwork::new(zones + side * side, names, zones, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(zones);
    for o in 0..zones {
        for d in 0..zones {
            if o != d {
                let dist = at[o].0.abs_diff(at[d].0) + at[o].1.abs_diff(at[d].1);
                od.set(o, d, 60.0 * (-(dist as f64) / 20.0).exp()).unwrap();
            }
        }
    }
    (net, od)
}

fn opts(algorithm: Algorithm, max_iterations: usize) -> AssignOptions {
    AssignOptions {
        algorithm,
        target_gap: 1e-4,
        max_iterations,
    }
}

fn report(name: &str, net: &AssignNetwork, od: &OdMatrix) {
    for alg in Algorithm::ALL {
        let t = std::time::Instant::now();
        let r = assign(net, od, &opts(alg, 5000)).unwrap();
        eprintln!(
            "{name} {alg}: {} iterations, gap {:.3e}, converged {}, {:.1} ms",
            r.iterations,
            r.relative_gap,
            r.converged,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}

fn bench(c: &mut Criterion) {
    let (sf, sf_od) = sioux_falls();
    // Under `cargo test` (no `--bench`) the benches run once as a smoke test: a small grid.
    let (side, zones) = if std::env::args().any(|a| a == "--bench") {
        (60, 120)
    } else {
        (20, 16)
    };
    let (g, g_od) = grid(side, zones);
    report("SiouxFalls", &sf, &sf_od);
    report(&format!("grid{side}x{side}/{zones} zones"), &g, &g_od);
    let mut group = c.benchmark_group("assignment");
    group.measurement_time(Duration::from_secs(5));
    for alg in [Algorithm::Bfw, Algorithm::Cfw, Algorithm::Fw] {
        group.bench_function(format!("sioux_falls_{alg}_1e-4"), |b| {
            b.iter(|| assign(black_box(&sf), black_box(&sf_od), &opts(alg, 5000)).unwrap())
        });
    }
    group.sample_size(10);
    group.bench_function("grid60x60_bfw_1e-4", |b| {
        b.iter(|| assign(black_box(&g), black_box(&g_od), &opts(Algorithm::Bfw, 5000)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
