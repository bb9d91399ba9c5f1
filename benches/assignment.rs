//! Assignment benches: SiouxFalls to a relative gap of 1e-4 (BFW, CFW, FW) and a generated
//! 60×60 grid with 120 zones (BFW to 1e-4). Before measuring, prints the iterations each
//! algorithm needs (the table in docs/performance.md).
//!
//! Algorithm B (`algb`): SiouxFalls to 1e-6 and 1e-8, and grids of about 1k, 10k and 100k
//! links (`synthetic::grid`): one all-or-nothing assignment (`aon`: two shortest-path
//! loadings), BFW to 1e-4 and Algorithm B to 1e-6 (and 1e-8), whose medians divided by the
//! iterations printed first give the time per iteration against network size. Before
//! measuring, `size:` lines give iterations and one timed run of each (the 100k-link figures
//! in docs/performance.md come from them: criterion's ten samples of those take minutes).

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::assignment::synthetic::{self, GridSpec};
use jzplan::assignment::{Algorithm, AssignNetwork, AssignOptions, OdMatrix, assign};
use jzplan::io::tntp;
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

/// The generated grid of `synthetic::grid` (seeded: the same network on every run).
fn grid(side: usize, zones: usize) -> (AssignNetwork, OdMatrix) {
    synthetic::grid(&GridSpec::new(side, zones)).unwrap()
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
            (Algorithm::Aon, 1.0),
            (Algorithm::Bfw, 1e-4),
            (Algorithm::AlgB, 1e-4),
            (Algorithm::AlgB, 1e-6),
            (Algorithm::AlgB, 1e-8),
        ] {
            let t = std::time::Instant::now();
            let r = assign(net, od, &to_gap(alg, gap)).unwrap();
            let s = t.elapsed().as_secs_f64();
            eprintln!(
                "size: {name} {alg} to {gap:e}: {} iterations, gap {:.3e}, converged {}, \
                 {:.3} s, {:.2} ms/iteration",
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
        let runs: &[(Algorithm, f64)] = &[
            (Algorithm::Aon, 1.0),
            (Algorithm::Bfw, 1e-4),
            (Algorithm::AlgB, 1e-6),
            (Algorithm::AlgB, 1e-8),
        ];
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
