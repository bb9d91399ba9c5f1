//! Allocations of the equilibrium iterations, counted by an instrumented global allocator (a
//! test binary of its own, so that nothing else runs while it counts).
//!
//! The shortest-path searches of the all-or-nothing step (Frank-Wolfe family, and the gap of
//! Algorithm B) and Algorithm B's bush sweeps reuse buffers made once per assignment: the
//! allocations of a run do not grow with the iterations times the origins. Measured as the
//! difference between a long and a short run of the same assignment, divided by the extra
//! iterations, on a generated grid with 60 origins.

use jzplan_core::assignment::synthetic::{GridSpec, grid};
use jzplan_core::assignment::{Algorithm, AssignNetwork, AssignOptions, OdMatrix, assign};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// (allocations and reallocations, iterations) of one run.
fn run(
    net: &AssignNetwork,
    od: &OdMatrix,
    algorithm: Algorithm,
    iterations: usize,
) -> (usize, usize) {
    let before = GLOBAL.stats();
    let r = assign(
        net,
        od,
        &AssignOptions {
            algorithm,
            target_gap: 0.0,
            max_iterations: iterations,
        },
    )
    .unwrap();
    let after = GLOBAL.stats();
    let n = (after.allocations + after.reallocations)
        .saturating_sub(before.allocations + before.reallocations);
    (n, r.iterations)
}

#[test]
fn iterations_allocate_nothing_per_origin() {
    let (net, od) = grid(&GridSpec::new(12, 60)).unwrap();
    let origins = (0..od.zones())
        .filter(|&o| od.row(o).iter().any(|&v| v > 0.0))
        .count();
    assert_eq!(origins, 60);
    for algorithm in [Algorithm::Bfw, Algorithm::AlgB] {
        run(&net, &od, algorithm, 2); // the thread pool and other one-off set-up
        let (a_short, i_short) = run(&net, &od, algorithm, 10);
        let (a_long, i_long) = run(&net, &od, algorithm, 40);
        assert!(
            i_long >= i_short + 20,
            "{algorithm}: {i_short} → {i_long} iterations"
        );
        let per_iteration = a_long.saturating_sub(a_short) as f64 / (i_long - i_short) as f64;
        eprintln!(
            "{algorithm}: {a_short} allocations in {i_short} iterations, {a_long} in {i_long}: \
             {per_iteration:.2} per extra iteration ({origins} origins)"
        );
        // Fewer than one per iteration: not one per origin (60), nor one per thread chunk.
        assert!(
            per_iteration < 1.0,
            "{algorithm}: {per_iteration:.2} allocations per iteration with {origins} origins"
        );
    }
}
