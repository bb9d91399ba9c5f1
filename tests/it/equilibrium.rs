//! Algorithm B (bush-based equilibrium) and generalized cost: networks whose equilibrium is
//! solved by hand, SiouxFalls to a relative gap of 1e-8 against its best-known flows, and a
//! property test against biconjugate Frank-Wolfe on random networks.

use jzplan::assignment::synthetic::{GridSpec, grid};
use jzplan::assignment::{
    Algorithm, AssignNetwork, AssignOptions, LinkKind, LinkSpec, OdMatrix, assign,
};
use jzplan::io::tntp;
use proptest::prelude::*;

use super::assignment::tntp_dir;

/// A link with cost `a + b·v` (BPR with β = 1: t0 = a, α = 1, capacity = a / b).
fn linear(from: u32, to: u32, a: f64, b: f64) -> LinkSpec {
    LinkSpec {
        from,
        to,
        free_flow_time: a,
        capacity: a / b,
        alpha: 1.0,
        beta: 1.0,
        length: 0.0,
        toll: 0.0,
        kind: LinkKind::Tntp {
            init: from + 1,
            term: to + 1,
        },
    }
}

fn free(from: u32, to: u32) -> LinkSpec {
    LinkSpec {
        from,
        to,
        free_flow_time: 0.0,
        capacity: 0.0,
        alpha: 0.0,
        beta: 0.0,
        length: 0.0,
        toll: 0.0,
        kind: LinkKind::Tntp {
            init: from + 1,
            term: to + 1,
        },
    }
}

fn zones(n: usize) -> Vec<String> {
    (1..=n).map(|i| i.to_string()).collect()
}

fn algb(gap: f64) -> AssignOptions {
    AssignOptions {
        algorithm: Algorithm::AlgB,
        target_gap: gap,
        max_iterations: 500,
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn three_routes_by_hand_one_stays_unused() {
    // Zone 0 → zone 1 over three routes (via nodes 2, 3, 4): costs 10 + v, 15 + v, 40 + v,
    // demand 20. Equal costs on the first two: v1 = 12.5, v2 = 7.5, cost 22.5 < 40, so the
    // third route carries nothing.
    let links = vec![
        linear(0, 2, 10.0, 1.0),
        free(2, 1),
        linear(0, 3, 15.0, 1.0),
        free(3, 1),
        linear(0, 4, 40.0, 1.0),
        free(4, 1),
    ];
    let net = AssignNetwork::new(5, zones(2), 2, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 20.0).unwrap();
    let r = assign(&net, &od, &algb(1e-12)).unwrap();
    assert!(r.converged, "gap {}", r.relative_gap);
    assert_eq!(r.algorithm, Algorithm::AlgB);
    assert!(close(r.volume[0], 12.5, 1e-9), "{:?}", r.volume);
    assert!(close(r.volume[2], 7.5, 1e-9), "{:?}", r.volume);
    assert_eq!(r.volume[4], 0.0);
    assert!(close(r.cost[0], 22.5, 1e-9));
    assert!(close(r.total_cost, 20.0 * 22.5, 1e-9));
    assert_eq!(r.history.len(), r.iterations);
}

#[test]
fn braess_network_by_hand() {
    // s = 0, t = 1, a = 2, b = 3. s→a 1 + 10v, a→t 50 + v, s→b 50 + v, b→t 1 + 10v and the
    // cross link a→b 10 + v; demand 6. By symmetry the routes s-a-t and s-b-t carry f each and
    // s-a-b-t carries g = 6 − 2f; equal costs 51 + 11f + 10g = 12 + 20f + 21g give
    // f = 27/13, g = 24/13, every route costing 51 + 537/13.
    let links = vec![
        linear(0, 2, 1.0, 10.0),
        linear(2, 1, 50.0, 1.0),
        linear(0, 3, 50.0, 1.0),
        linear(3, 1, 1.0, 10.0),
        linear(2, 3, 10.0, 1.0),
    ];
    let net = AssignNetwork::new(4, zones(2), 2, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 6.0).unwrap();
    let r = assign(&net, &od, &algb(1e-12)).unwrap();
    assert!(r.converged, "gap {}", r.relative_gap);
    let (f, g) = (27.0 / 13.0, 24.0 / 13.0);
    let want = [f + g, f, f, f + g, g];
    for (k, w) in want.iter().enumerate() {
        assert!(close(r.volume[k], *w, 1e-8), "link {k}: {:?}", r.volume);
    }
    let c = 51.0 + 537.0 / 13.0;
    assert!(close(r.total_cost, 6.0 * c, 1e-9), "{}", r.total_cost);
}

#[test]
fn two_way_links_and_centroids_are_not_passed_through() {
    // A 2×2 block of two-way roads; zones 0 and 1 are centroids (not through nodes) joined to
    // opposite corners; zone 2 is a centroid next to the direct road that would be a short
    // cut if it could be crossed. Demand in both directions between every pair.
    let mut links = Vec::new();
    let mut both = |a: u32, b: u32, t0: f64, cap: f64| {
        let mut l = linear(a, b, t0, t0 / cap);
        l.alpha = 0.15;
        l.beta = 4.0;
        l.capacity = cap;
        links.push(l.clone());
        links.push(LinkSpec {
            from: b,
            to: a,
            kind: LinkKind::Tntp {
                init: b + 1,
                term: a + 1,
            },
            ..l
        });
    };
    // Corners 3, 4, 5, 6 (3-4 top, 5-6 bottom).
    both(3, 4, 4.0, 50.0);
    both(5, 6, 4.0, 50.0);
    both(3, 5, 3.0, 40.0);
    both(4, 6, 3.0, 40.0);
    both(0, 3, 1.0, 1e6);
    both(1, 6, 1.0, 1e6);
    // Zone 2 touches 3 and 6 with cheap connectors: through it, 3 → 6 would cost 0.2.
    both(2, 3, 0.1, 1e6);
    both(2, 6, 0.1, 1e6);
    let net = AssignNetwork::new(7, zones(3), 3, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(3);
    for o in 0..3 {
        for d in 0..3 {
            if o != d {
                od.set(o, d, 60.0).unwrap();
            }
        }
    }
    let r = assign(&net, &od, &algb(1e-10)).unwrap();
    assert!(r.converged, "gap {}", r.relative_gap);
    // Flow into zone 2 is exactly its inbound demand (120), out of it its outbound (120):
    // nothing passes through.
    let into: f64 = (0..net.link_count())
        .filter(|&i| net.link_ends(jzplan::assignment::LinkId(i as u32)).1 == 2)
        .map(|i| r.volume[i])
        .sum();
    assert!(close(into, 120.0, 1e-9), "into zone 2: {into}");
    // Same equilibrium as biconjugate Frank-Wolfe (to BFW's precision).
    let b = assign(
        &net,
        &od,
        &AssignOptions {
            algorithm: Algorithm::Bfw,
            target_gap: 1e-9,
            max_iterations: 5000,
        },
    )
    .unwrap();
    for (k, (x, y)) in r.volume.iter().zip(&b.volume).enumerate() {
        assert!((x - y).abs() < 1e-3 * y.max(1.0), "link {k}: {x} vs {y}");
    }
}

#[test]
fn unreachable_pairs_are_counted_like_frank_wolfe() {
    let links = vec![linear(0, 2, 1.0, 1.0), free(2, 1)];
    let net = AssignNetwork::new(3, zones(2), 0, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 5.0).unwrap();
    od.set(1, 0, 7.0).unwrap();
    let r = assign(&net, &od, &algb(1e-10)).unwrap();
    assert_eq!((r.unreachable_pairs, r.unreachable_demand), (1, 7.0));
    assert_eq!(r.assigned_demand, 5.0);
    assert!(close(r.volume[0], 5.0, 1e-12));
}

#[test]
fn generalized_cost_by_hand() {
    // Two roads from zone 0 to zone 1: road A time 10 + v, toll 20, length 1; road B time
    // 20 + v, toll 0, length 6. Demand 30.
    // Time only: 10 + vA = 20 + vB, vA + vB = 30 → vA = 20.
    // Cost = time + 0.5·toll + 1·length: A 21 + vA, B 26 + vB → vA = 17.5.
    let mut a = linear(0, 2, 10.0, 1.0);
    a.toll = 20.0;
    a.length = 1.0;
    let mut b = linear(0, 3, 20.0, 1.0);
    b.length = 6.0;
    let links = vec![a, free(2, 1), b, free(3, 1)];
    let net = AssignNetwork::new(4, zones(2), 2, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 30.0).unwrap();
    for alg in [Algorithm::AlgB, Algorithm::Bfw] {
        let opts = AssignOptions {
            algorithm: alg,
            target_gap: 1e-10,
            max_iterations: 5000,
        };
        let r = assign(&net, &od, &opts).unwrap();
        assert!(close(r.volume[0], 20.0, 1e-6), "{alg}: {:?}", r.volume);
        let g = net.clone().with_cost_weights(0.5, 1.0).unwrap();
        assert_eq!((g.toll_factor(), g.distance_factor()), (0.5, 1.0));
        let r = assign(&g, &od, &opts).unwrap();
        assert!(close(r.volume[0], 17.5, 1e-6), "{alg}: {:?}", r.volume);
        // Time 27.5 on A; cost 27.5 + 10 + 1 on A and 32.5 + 6 on B (equal, 38.5).
        assert!(close(r.time[0], 27.5, 1e-6));
        assert!(close(r.cost[0], 38.5, 1e-6) && close(r.cost[2], 38.5, 1e-6));
        assert!(close(r.total_cost, 30.0 * 38.5, 1e-6));
        assert!(close(r.total_distance, 17.5 + 6.0 * 12.5, 1e-6));
    }
    assert!(net.clone().with_cost_weights(-1.0, 0.0).is_err());
    assert!(net.with_cost_weights(0.0, f64::NAN).is_err());
}

fn sioux_falls() -> (AssignNetwork, OdMatrix, Vec<tntp::TntpFlow>) {
    let dir = tntp_dir().join("SiouxFalls");
    let net = AssignNetwork::from_tntp(&tntp::read_net(&dir.join("SiouxFalls_net.tntp")).unwrap())
        .unwrap();
    let od = OdMatrix::from_tntp(&tntp::read_trips(&dir.join("SiouxFalls_trips.tntp")).unwrap())
        .unwrap();
    let best = tntp::read_flow(&dir.join("SiouxFalls_flow.tntp")).unwrap();
    (net, od, best)
}

/// SiouxFalls to a relative gap of 1e-8: every link within 0.05 % of the best-known flows
/// (SiouxFalls_flow.tntp), and the total cost within 1e-6 of theirs.
#[test]
fn sioux_falls_algb_reaches_1e8_and_the_best_known_flows() {
    let (net, od, best) = sioux_falls();
    // The file's factors (absent: 0) give the time-only cost the best-known flows are for.
    assert_eq!((net.toll_factor(), net.distance_factor()), (0.0, 0.0));
    let r = assign(&net, &od, &algb(1e-8)).unwrap();
    assert!(
        r.converged && r.relative_gap <= 1e-8,
        "gap {}",
        r.relative_gap
    );
    assert!(r.iterations < 100, "{} iterations", r.iterations);
    let mut best_total = 0.0;
    let mut worst: f64 = 0.0;
    for b in &best {
        let l = net.tntp_link(b.from, b.to).unwrap();
        best_total += b.volume * b.cost;
        worst = worst.max((r.volume[l.index()] - b.volume).abs() / b.volume);
    }
    assert!(worst <= 5e-4, "worst link {:.4} %", worst * 100.0);
    let rel = (r.total_cost - best_total).abs() / best_total;
    assert!(rel <= 1e-6, "total cost {} vs {best_total}", r.total_cost);
    // The gap history falls (not necessarily every iteration) and ends below the target.
    let h = &r.history;
    assert!(h[0].relative_gap > 0.1 && h.last().unwrap().relative_gap <= 1e-8);
    // Generalized cost with both weights 0 is the same problem: identical flows.
    let same = assign(
        &net.clone().with_cost_weights(0.0, 0.0).unwrap(),
        &od,
        &algb(1e-8),
    )
    .unwrap();
    assert_eq!(same.volume, r.volume);
}

/// Generated grids with zero-time connectors (`assignment::synthetic`; the 10k-link version is
/// in the benches): Algorithm B reaches 1e-8, both with centroids that are never passed
/// through and with zones tied to two grid nodes that paths may pass through (zero-cost short
/// cuts, as on Chicago Sketch). The gap is re-measured here from the outputs alone: total cost
/// Σ v·c against the demand times the least-cost skims at the final costs.
#[test]
fn generated_grids_with_zero_time_connectors_reach_1e8() {
    for spec in [
        GridSpec::new(12, 40),
        GridSpec {
            connectors: 2,
            through_zones: true,
            ..GridSpec::new(12, 40)
        },
    ] {
        let (net, od) = grid(&spec).unwrap();
        let r = assign(&net, &od, &algb(1e-8)).unwrap();
        assert!(
            r.converged,
            "{spec:?}: gap {} after {} iterations",
            r.relative_gap, r.iterations
        );
        let tstt: f64 = r.volume.iter().zip(&r.cost).map(|(v, c)| v * c).sum();
        assert!(close(tstt, r.total_cost, 1e-12));
        let sk = r.skims(&net);
        let sptt: f64 = (0..od.zones())
            .flat_map(|o| (0..od.zones()).map(move |d| (o, d)))
            .filter(|&(o, d)| o != d)
            .map(|(o, d)| od.get(o, d) * sk.cost[o * od.zones() + d])
            .sum();
        let gap = (tstt - sptt) / tstt;
        assert!(gap <= 1.5e-8, "{spec:?}: re-measured gap {gap:e}");
        assert!(
            gap >= -1e-12,
            "{spec:?}: paths cheaper than the skims: {gap:e}"
        );
    }
}

/// Random strongly connected networks (a ring plus random chords, BPR costs, zones with and
/// without the centroid rule): Algorithm B reaches 1e-9 and its Beckmann objective is never
/// above biconjugate Frank-Wolfe's at 1e-6 (the equilibrium is the objective's minimum).
type Case = (usize, usize, bool, Vec<(u32, u32, f64, f64)>, Vec<f64>);

fn arb_case() -> impl Strategy<Value = Case> {
    (4usize..10, 2usize..4, any::<bool>()).prop_flat_map(|(n, z, centroids)| {
        let z = z.min(n - 1);
        (
            Just(n),
            Just(z),
            Just(centroids),
            prop::collection::vec(
                (0..n as u32, 0..n as u32, 0.0f64..5.0, 5.0f64..50.0),
                0..3 * n,
            ),
            prop::collection::vec(prop_oneof![Just(0.0), 1.0f64..40.0], z * z),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn algb_reaches_the_objective_minimum((n, z, centroids, chords, dem) in arb_case()) {
        let mut links = Vec::new();
        let road = |a: u32, b: u32, t0: f64, cap: f64| LinkSpec {
            from: a, to: b, free_flow_time: t0, capacity: cap, alpha: 0.15, beta: 4.0,
            length: 1.0, toll: 0.0, kind: LinkKind::Tntp { init: a + 1, term: b + 1 },
        };
        for i in 0..n as u32 {
            let j = (i + 1) % n as u32;
            links.push(road(i, j, 2.0, 20.0));
            links.push(road(j, i, 2.0, 20.0));
        }
        for (a, b, t0, cap) in chords {
            if a != b {
                links.push(road(a, b, t0, cap));
            }
        }
        let first_thru = if centroids { z } else { 0 };
        // With centroids, the ring must not need them as through nodes: chords among the
        // through nodes keep it connected.
        if centroids {
            for i in z as u32..n as u32 {
                for j in z as u32..n as u32 {
                    if i != j && (j == i + 1 || (i == n as u32 - 1 && j == z as u32)) {
                        links.push(road(i, j, 3.0, 20.0));
                        links.push(road(j, i, 3.0, 20.0));
                    }
                }
            }
        }
        let net = AssignNetwork::new(n, zones(z), first_thru, 0.0, 0.0, links).unwrap();
        let od = OdMatrix::from_dense(z, dem).unwrap();
        let r = assign(&net, &od, &algb(1e-9)).unwrap();
        prop_assert!(r.converged, "gap {}", r.relative_gap);
        let b = assign(&net, &od, &AssignOptions {
            algorithm: Algorithm::Bfw, target_gap: 1e-6, max_iterations: 5000 }).unwrap();
        let (fa, fb) = (r.history.last().unwrap().objective, b.history.last().unwrap().objective);
        prop_assert!(fa <= fb + 1e-9 * fb.abs().max(1.0), "algb {fa} bfw {fb}");
        prop_assert!((r.assigned_demand - b.assigned_demand).abs() < 1e-9);
        prop_assert_eq!(r.unreachable_pairs, b.unreachable_pairs);
    }
}
