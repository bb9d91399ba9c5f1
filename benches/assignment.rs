//! Assignment benches: SiouxFalls to a relative gap of 1e-4 (BFW, CFW, FW) and a generated
//! 60×60 grid with 120 zones (BFW to 1e-4). Before measuring, prints the iterations each
//! algorithm needs (the table in docs/performance.md).
//!
//! Algorithm B (`algb`): SiouxFalls to 1e-6 and 1e-8, and grids of about 1k, 10k and 100k
//! links, BFW to 1e-4 and Algorithm B to 1e-6 (1e-8 on the 10k grid), whose medians divided
//! by the iterations printed first give the time per iteration against network size.

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

fn to_gap(algorithm: Algorithm, target_gap: f64) -> AssignOptions {
    AssignOptions {
        algorithm,
        target_gap,
        max_iterations: 5000,
    }
}

/// Grids of about 1k, 10k and 100k links (roads plus two connectors per zone); under
/// `cargo test` only the smallest.
fn size_grids(full: bool) -> Vec<(String, AssignNetwork, OdMatrix)> {
    let sizes: &[(usize, usize)] = if full {
        &[(16, 25), (50, 100), (158, 200)]
    } else {
        &[(16, 25)]
    };
    sizes
        .iter()
        .map(|&(side, zones)| {
            let (net, od) = grid(side, zones);
            let name = format!("grid{side}x{side}_{}links_{zones}zones", net.link_count());
            (name, net, od)
        })
        .collect()
}

/// Iterations and one timed run of each (algorithm, gap) on each grid (the table's
/// iteration counts; the times in the table are criterion's medians).
fn report_sizes(grids: &[(String, AssignNetwork, OdMatrix)]) {
    for (name, net, od) in grids {
        for (alg, gap) in [
            (Algorithm::Bfw, 1e-4),
            (Algorithm::AlgB, 1e-4),
            (Algorithm::AlgB, 1e-6),
            (Algorithm::AlgB, 1e-8),
        ] {
            let t = std::time::Instant::now();
            let r = assign(net, od, &to_gap(alg, gap)).unwrap();
            let s = t.elapsed().as_secs_f64();
            eprintln!(
                "{name} {alg} to {gap:e}: {} iterations, gap {:.3e}, converged {}, {:.3} s, \
                 {:.2} ms/iteration",
                r.iterations,
                r.relative_gap,
                r.converged,
                s,
                s * 1e3 / r.iterations as f64
            );
        }
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
    let full = side == 60;
    let (g, g_od) = grid(side, zones);
    report("SiouxFalls", &sf, &sf_od);
    report(&format!("grid{side}x{side}/{zones} zones"), &g, &g_od);
    let grids = size_grids(full);
    report_sizes(&grids);
    let mut group = c.benchmark_group("assignment");
    group.measurement_time(Duration::from_secs(5));
    for alg in [Algorithm::Bfw, Algorithm::Cfw, Algorithm::Fw] {
        group.bench_function(format!("sioux_falls_{alg}_1e-4"), |b| {
            b.iter(|| assign(black_box(&sf), black_box(&sf_od), &opts(alg, 5000)).unwrap())
        });
    }
    for gap in [1e-4, 1e-6, 1e-8] {
        group.bench_function(format!("sioux_falls_algb_{gap:e}"), |b| {
            b.iter(|| {
                assign(
                    black_box(&sf),
                    black_box(&sf_od),
                    &to_gap(Algorithm::AlgB, gap),
                )
                .unwrap()
            })
        });
    }
    group.sample_size(10);
    group.bench_function("grid60x60_bfw_1e-4", |b| {
        b.iter(|| assign(black_box(&g), black_box(&g_od), &opts(Algorithm::Bfw, 5000)).unwrap())
    });
    group.finish();
    let mut sizes = c.benchmark_group("assignment_size");
    sizes.sample_size(10);
    for (name, net, od) in &grids {
        let runs: &[(Algorithm, f64)] = if name.starts_with("grid50x50") {
            &[
                (Algorithm::Bfw, 1e-4),
                (Algorithm::AlgB, 1e-6),
                (Algorithm::AlgB, 1e-8),
            ]
        } else {
            &[(Algorithm::Bfw, 1e-4), (Algorithm::AlgB, 1e-6)]
        };
        for &(alg, gap) in runs {
            sizes.bench_function(format!("{name}_{alg}_{gap:e}"), |b| {
                b.iter(|| assign(black_box(net), black_box(od), &to_gap(alg, gap)).unwrap())
            });
        }
    }
    sizes.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
