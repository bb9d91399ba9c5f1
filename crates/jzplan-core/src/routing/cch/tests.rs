use super::arcs::TRIANGLE_MIDDLES;
use super::*;
use crate::network::{EdgeId, EdgeSpec, Metric, NetworkBuilder, NodeId, RoadClass};
use crate::routing::search::Access;
use crate::routing::{Algorithm, RouteOptions, Router};
use proptest::prelude::*;
use std::sync::Arc;

/// A network from `(from, to, oneway)` roads between `n` nodes on a small circle.
fn network(n: usize, roads: &[(usize, usize, bool)]) -> RoadNetwork {
    let mut b = NetworkBuilder::new("cch-test");
    for i in 0..n {
        let a = i as f64 / n as f64 * std::f64::consts::TAU;
        b.add_node(121.1 + 0.01 * a.cos(), 41.1 + 0.01 * a.sin())
            .unwrap();
    }
    let s = b.add_street("s", "路", "Road");
    for &(u, v, oneway) in roads {
        let spec = EdgeSpec::new(
            NodeId::from_index(u),
            NodeId::from_index(v),
            s,
            RoadClass::Primary,
            "t",
        );
        b.add_road(spec, oneway).unwrap();
    }
    b.build().unwrap()
}

fn floyd_warshall(net: &RoadNetwork, w: &[f64]) -> Vec<Vec<f64>> {
    let n = net.node_count();
    let mut d = vec![vec![f64::INFINITY; n]; n];
    for (i, row) in d.iter_mut().enumerate() {
        row[i] = 0.0;
    }
    for (j, e) in net.edges().iter().enumerate() {
        let (u, v) = (e.from.index(), e.to.index());
        d[u][v] = d[u][v].min(w[j]);
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                let c = d[i][k] + d[k][j];
                if c < d[i][j] {
                    d[i][j] = c;
                }
            }
        }
    }
    d
}

/// Checks that `edges` is a path from `s` to `t` and returns its cost, summed in travel order.
fn path_cost(net: &RoadNetwork, w: &[f64], s: u32, t: u32, edges: &[u32]) -> f64 {
    let mut at = s;
    let mut c = 0.0;
    for &e in edges {
        let e_ = net.edge(EdgeId(e));
        assert_eq!(e_.from.0, at, "edges {edges:?} are not a path");
        at = e_.to.0;
        c += w[e as usize];
    }
    assert_eq!(at, t, "edges {edges:?} do not end at {t}");
    c
}

/// The route from `s` to `t` by the elimination-tree search, after checking that the
/// bidirectional Dijkstra finds the same cost (to within float rounding: with integer weights,
/// the same) and a path of that cost.
fn node_route(c: &Customized, s: u32, t: u32) -> (f64, Option<Vec<u32>>) {
    let from = [Access { node: s, cost: 0.0 }];
    let to = [Access { node: t, cost: 0.0 }];
    let (d, path, _) = c.run::<false>(CchSearch::EliminationTree, &from, &to, f64::INFINITY);
    let (dd, dpath, _) = c.run::<false>(CchSearch::Dijkstra, &from, &to, f64::INFINITY);
    let close = |a: f64, b: f64| a == b || (a - b).abs() <= 1e-9 * a.max(1.0);
    assert!(close(d, dd), "{s} -> {t}: search {d}, dijkstra {dd}");
    assert_eq!(path.is_some(), dpath.is_some());
    if let Some((_, e, _)) = &dpath {
        let net_cost = e.iter().fold(0.0, |acc, &x| acc + c.weights[x as usize]);
        assert!(
            close(net_cost, d),
            "{s} -> {t}: {e:?} costs {net_cost}, not {d}"
        );
    }
    (d, path.map(|(_, e, _)| e))
}

/// A random node order of `n` nodes (a Fisher–Yates shuffle by xorshift from `seed`).
fn random_order(n: usize, seed: u64) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut s = seed | 1;
    for i in (1..n).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        order.swap(i, (s % (i as u64 + 1)) as usize);
    }
    order
}

fn edges_of(net: &RoadNetwork) -> Vec<(u32, u32)> {
    net.edges().iter().map(|e| (e.from.0, e.to.0)).collect()
}

#[test]
fn a_ring_customized_twice_closes_and_reopens_a_link() {
    // A two-way ring 0 – 1 – … – 5 – 0, weights 1 except a zero-weight segment 1 – 2.
    let roads: Vec<(usize, usize, bool)> = (0..6).map(|i| (i, (i + 1) % 6, false)).collect();
    let net = network(6, &roads);
    let ring_w = [1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
    let w: Vec<f64> = net
        .edges()
        .iter()
        .map(|e| {
            let (a, b) = (e.from.index(), e.to.index());
            ring_w[if (a + 1) % 6 == b { a } else { b }]
        })
        .collect();
    let cch = Arc::new(Cch::new(&net).unwrap());
    assert_eq!(cch.node_count(), 6);
    let c = cch.customize(&w).unwrap();
    let (d, e) = node_route(&c, 0, 3);
    assert_eq!(d, 2.0);
    assert_eq!(path_cost(&net, &w, 0, 3, &e.unwrap()), 2.0);
    // Closing 2 → 3 (same hierarchy, new weights) sends 0 → 3 the other way round.
    let e23 = net
        .edges()
        .iter()
        .position(|e| e.from.0 == 2 && e.to.0 == 3)
        .unwrap();
    let mut closed = w.clone();
    closed[e23] = f64::INFINITY;
    let c2 = cch.customize(&closed).unwrap();
    let (d, e) = node_route(&c2, 0, 3);
    assert_eq!(d, 3.0);
    assert_eq!(path_cost(&net, &closed, 0, 3, &e.unwrap()), 3.0);
    assert_eq!(node_route(&c2, 3, 0).0, 2.0);
    // The first customization is untouched.
    assert_eq!(node_route(&c, 0, 3).0, 2.0);
    // Bad weights are refused.
    assert_eq!(cch.customize(&w[1..]).unwrap_err().code(), "InvalidInput");
    let mut bad = w.clone();
    bad[0] = -1.0;
    assert_eq!(cch.customize(&bad).unwrap_err().code(), "InvalidInput");
    bad[0] = f64::NAN;
    assert_eq!(cch.customize(&bad).unwrap_err().code(), "InvalidInput");
}

#[test]
fn the_perfect_step_drops_an_arc_that_a_higher_node_shortens() {
    // Ranks = nodes 0 < 1 < 2; two-way roads 0 – 1 (10), 0 – 2 (1), 2 – 1 (1).
    let net = network(3, &[(0, 1, false), (0, 2, false), (2, 1, false)]);
    let w: Vec<f64> = net
        .edges()
        .iter()
        .map(|e| match (e.from.0.min(e.to.0), e.from.0.max(e.to.0)) {
            (0, 1) => 10.0,
            _ => 1.0,
        })
        .collect();
    let cch = Arc::new(Cch::from_order(3, &edges_of(&net), vec![0, 1, 2]).unwrap());
    assert_eq!((cch.arc_count(), cch.triangle_count()), (3, 1));
    let basic = cch.customize_with(&w, false).unwrap();
    let perfect = cch.customize_with(&w, true).unwrap();
    // Lower triangles only: 0 – 1 keeps its road (10), 1 – 2 its road (1, not 10 + 1).
    let a01 = cch.arc(0, 1).unwrap() as usize;
    let a12 = cch.arc(1, 2).unwrap() as usize;
    assert_eq!(basic.w[a01], [10.0, 10.0]);
    assert_eq!(basic.w[a12], [1.0, 1.0]);
    assert_eq!(basic.dropped(), 0);
    // The upper triangle through 2 gives 0 – 1 its distance, 2: both directions are dropped.
    assert_eq!(perfect.dropped(), 2);
    assert_eq!(perfect.w[a01], [10.0, 10.0]);
    let (up, down) = &perfect.adj;
    assert!(up.of(0).all(|q| q.head != 1));
    assert!(down.of(0).all(|q| q.head != 1));
    assert!(basic.adj.0.of(0).any(|q| q.head == 1));
    assert!(basic.adj.1.of(0).any(|q| q.head == 1));
    for c in [&basic, &perfect] {
        let (d, e) = node_route(c, 0, 1);
        assert_eq!(d, 2.0);
        assert_eq!(path_cost(&net, &w, 0, 1, &e.unwrap()), 2.0);
        assert_eq!(node_route(c, 1, 0).0, 2.0);
    }
}

#[test]
fn jinzhou_routes_on_the_cch_equal_dijkstra_and_the_ch() {
    let net = crate::io::geojson::jinzhou_network().unwrap();
    let w = net.weights(Metric::Time);
    let cch = Arc::new(Cch::new(&net).unwrap());
    // Deterministic order.
    assert_eq!(cch.order, Cch::new(&net).unwrap().order);
    let c = cch.customize(&w).unwrap();
    let plain = Router::new(&net, &w, Metric::Time).unwrap();
    let r = Router::with_cch(&net, &w, Metric::Time, &c).unwrap();
    let m = net.edge_count();
    let opts = |algorithm| RouteOptions { algorithm };
    let mut same = 0;
    for i in 0..200 {
        let at = |k: usize, f: f64| {
            let e = EdgeId::from_index(k % m);
            let p = crate::routing::cut(&net.edge(e).geometry, f, f)[0];
            crate::network::snap::Snap {
                edge: e,
                twin: net.edge(e).twin,
                frac: f,
                point: geo_types::Point(p),
                dist_m: 0.0,
            }
        };
        let a = at(i * 7919, (i % 7) as f64 / 6.0);
        let b = at(i * 104_729 + 13, (i % 5) as f64 / 4.0);
        let x = plain.route(&a, &b, &opts(Algorithm::Dijkstra));
        let y = r.route(&a, &b, &opts(Algorithm::Ch));
        match (x, y) {
            (Ok(x), Ok(y)) => {
                assert!((x.cost - y.cost).abs() <= 1e-9 * x.cost.max(1.0));
                for p in y.pieces.windows(2) {
                    assert_eq!(net.edge(p[0].edge).to, net.edge(p[1].edge).from);
                }
                if x.pieces == y.pieces {
                    assert_eq!(x.cost.to_bits(), y.cost.to_bits());
                    same += 1;
                }
            }
            (Err(x), Err(y)) => assert_eq!(x.code(), y.code()),
            (x, y) => panic!("dijkstra {x:?} but cch {y:?}"),
        }
    }
    assert!(same > 150, "{same} of 200 the same path");
    // Another network's size is refused.
    let small = network(3, &[(0, 1, false)]);
    let sw = small.weights(Metric::Time);
    assert_eq!(
        Router::with_cch(&small, &sw, Metric::Time, &c)
            .unwrap_err()
            .code(),
        "InvalidInput"
    );
}

fn random_graph() -> impl Strategy<Value = (usize, Vec<(usize, usize, bool)>, Vec<u8>)> {
    (2usize..24).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec((0..n, 0..n, any::<bool>()), 1..(4 * n)),
            proptest::collection::vec(any::<u8>(), 1..64),
        )
    })
}

fn check_all_pairs(net: &RoadNetwork, w: &[f64], c: &Customized) -> Result<(), TestCaseError> {
    let n = net.node_count();
    let d = floyd_warshall(net, w);
    for s in 0..n as u32 {
        for t in 0..n as u32 {
            let (got, edges) = node_route(c, s, t);
            prop_assert_eq!(got, d[s as usize][t as usize], "{} -> {}", s, t);
            match edges {
                Some(e) => prop_assert_eq!(path_cost(net, w, s, t, &e), got),
                None => prop_assert!(got.is_infinite() || s == t),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Small integer weights (0 to 9, and closed edges) make every sum exact: the CCH's
    /// distances equal Floyd–Warshall's to the bit for every pair, with the nested-dissection
    /// order and with a random order (any order is correct), customized twice on one shape.
    #[test]
    fn all_pairs_equal_floyd_warshall((n, roads, bytes) in random_graph(), seed in any::<u64>()) {
        let net = network(n, &roads);
        let weights = |shift: usize| -> Vec<f64> {
            (0..net.edge_count())
                .map(|i| match bytes[(i + shift) % bytes.len()] % 12 {
                    10 => f64::INFINITY,
                    11 => 0.0,
                    k => k as f64,
                })
                .collect()
        };
        let nd = Arc::new(Cch::new(&net).unwrap());
        let order = random_order(n, seed);
        let random = Arc::new(Cch::from_order(n, &edges_of(&net), order.clone()).unwrap());
        // Tops of none and of all the pairs (the top step is then the full perfect step).
        let tops = [0.0, 1.0].map(|share| {
            Arc::new(Cch::from_order(n, &edges_of(&net), order.clone()).unwrap().with_top_share(share))
        });
        for cch in [&nd, &random, &tops[0], &tops[1]] {
            for shift in [0, 5] {
                let w = weights(shift);
                for perfect in [false, true] {
                    let c = cch.customize_with(&w, perfect).unwrap();
                    check_all_pairs(&net, &w, &c)?;
                }
                if Arc::ptr_eq(cch, &tops[1]) {
                    // The top step over the whole hierarchy leaves out what the full step does.
                    let (top, full) = (cch.customize(&w).unwrap(), cch.customize_with(&w, true).unwrap());
                    prop_assert!(top.adj == full.adj);
                }
            }
            // Every arc unpacks into a path of its weight in both directions (the edge or
            // triangle that gives it is found again), with and without the perfect step.
            let w = weights(0);
            for perfect in [false, true] {
                let c = cch.customize_with(&w, perfect).unwrap();
                check_unpack(&net, &w, cch, &c, |a, b| a == b)?;
            }
        }
    }

    /// Unpacking finds again the edge or lower triangle of every arc for any non-negative
    /// float weights (sums no longer exact), and the routes equal Dijkstra's costs to within
    /// rounding.
    #[test]
    fn arcs_unpack_for_float_weights((n, roads, _) in random_graph(), ws in proptest::collection::vec(0.0f64..1e4, 1..64)) {
        let net = network(n, &roads);
        let w: Vec<f64> = (0..net.edge_count())
            .map(|i| if i % 11 == 3 { f64::INFINITY } else { ws[i % ws.len()] / 7.0 })
            .collect();
        let cch = Arc::new(Cch::new(&net).unwrap());
        let d = floyd_warshall(&net, &w);
        for perfect in [false, true] {
            let c = cch.customize_with(&w, perfect).unwrap();
            check_unpack(&net, &w, &cch, &c, |a, b| (a - b).abs() <= 1e-9 * a.max(1.0))?;
            for s in 0..n as u32 {
                for t in 0..n as u32 {
                    let (got, edges) = node_route(&c, s, t);
                    let want = d[s as usize][t as usize];
                    prop_assert!(got == want || (got - want).abs() <= 1e-9 * want.max(1.0), "{} -> {}: {} vs {}", s, t, got, want);
                    if let Some(e) = edges {
                        let cost = path_cost(&net, &w, s, t, &e);
                        prop_assert!((cost - got).abs() <= 1e-9 * got.max(1.0));
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// However many middles the queries' adjacencies are pruned with (none, the parent, the
    /// default, all), with and without the perfect step, both searches give every pair its
    /// distance to the bit (small integer weights, zero and closed edges), and more middles
    /// never keep more arc directions.
    #[test]
    fn redundant_arcs_left_out_keep_every_distance((n, roads, bytes) in random_graph()) {
        let net = network(n, &roads);
        let w: Vec<f64> = (0..net.edge_count())
            .map(|i| match bytes[i % bytes.len()] % 8 {
                6 => f64::INFINITY,
                7 => 0.0,
                k => k as f64,
            })
            .collect();
        let cch = Arc::new(Cch::new(&net).unwrap());
        for perfect in [false, true] {
            let mut kept = usize::MAX;
            for middles in [0, 1, TRIANGLE_MIDDLES, usize::MAX] {
                let c = cch.customize_full(&w, perfect, middles).unwrap();
                check_all_pairs(&net, &w, &c)?;
                prop_assert!(c.query_arc_count() <= kept);
                kept = c.query_arc_count();
            }
        }
    }
}

#[test]
fn a_triangle_through_a_lower_middle_makes_an_arc_redundant() {
    // Ranks = nodes 0 < 1 < 2; two-way roads 0 – 1 (1), 1 – 2 (1), 0 – 2 (2): 0 → 1 → 2 is
    // as long as 0 → 2, so both directions of 0 – 2 are left out, the others kept.
    let net = network(3, &[(0, 1, false), (1, 2, false), (0, 2, false)]);
    let w: Vec<f64> = net
        .edges()
        .iter()
        .map(|e| if e.from.0 + e.to.0 == 2 { 2.0 } else { 1.0 })
        .collect();
    let cch = Arc::new(Cch::from_order(3, &edges_of(&net), vec![0, 1, 2]).unwrap());
    let c = cch.customize(&w).unwrap();
    assert_eq!((c.dropped(), c.query_arc_count()), (2, 4));
    let (up, down) = &c.adj;
    let heads = |adj: &super::arcs::Adjacency, r| adj.of(r).map(|q| q.head).collect::<Vec<_>>();
    assert_eq!((heads(up, 0), heads(down, 0)), (vec![1], vec![1]));
    assert_eq!((heads(up, 1), heads(down, 1)), (vec![2], vec![2]));
    // Without middles nothing is left out; the routes are the same.
    let all = cch.customize_full(&w, false, 0).unwrap();
    assert_eq!((all.dropped(), all.query_arc_count()), (0, 6));
    for c in [&c, &all] {
        assert_eq!(node_route(c, 0, 2).0, 2.0);
        assert_eq!(node_route(c, 2, 0).0, 2.0);
    }
    // At 2.5 the road 0 – 2 is longer than the triangle: still left out.
    let w: Vec<f64> = w.iter().map(|&x| if x == 2.0 { 2.5 } else { x }).collect();
    assert_eq!(cch.customize(&w).unwrap().dropped(), 2);
    // At 1.5 it is the shortest way: kept.
    let w: Vec<f64> = w.iter().map(|&x| if x == 2.5 { 1.5 } else { x }).collect();
    let c = cch.customize(&w).unwrap();
    assert_eq!(c.dropped(), 0);
    assert_eq!(node_route(&c, 0, 2).0, 1.5);
}

/// Every finite arc direction of `c` unpacks into a network path from its tail to its head
/// whose cost, summed in travel order, is `same` as the arc's weight.
fn check_unpack(
    net: &RoadNetwork,
    w: &[f64],
    cch: &Cch,
    c: &Customized,
    same: impl Fn(f64, f64) -> bool,
) -> Result<(), TestCaseError> {
    for a in 0..cch.arc_count() as u32 {
        let (lo, hi) = (
            cch.order[cch.tail[a as usize] as usize],
            cch.order[cch.head[a as usize] as usize],
        );
        for down in [false, true] {
            let cost = c.w[a as usize][usize::from(down)];
            if cost.is_finite() {
                let mut e = Vec::new();
                c.unpack(a, down, &mut Vec::new(), &mut e);
                let (f, t) = if down { (hi, lo) } else { (lo, hi) };
                let got = path_cost(net, w, f, t, &e);
                prop_assert!(
                    same(got, cost),
                    "arc {} down {}: {} vs {}",
                    a,
                    down,
                    got,
                    cost
                );
                // Again, through the lower node it found the first time: the same edges.
                let mut again = Vec::new();
                c.unpack(a, down, &mut Vec::new(), &mut again);
                prop_assert_eq!(&again, &e, "arc {} down {} unpacked twice", a, down);
            }
        }
    }
    Ok(())
}

#[test]
fn the_order_kept_has_the_fewest_triangles_of_the_candidates() {
    let net = crate::io::geojson::jinzhou_network().unwrap();
    let edges = edges_of(&net);
    let pos: Vec<[f64; 2]> = net
        .nodes()
        .iter()
        .map(|v| [v.lon * v.lat.to_radians().cos(), v.lat])
        .collect();
    let counts: Vec<u64> = super::order::CANDIDATES
        .iter()
        .map(|&cuts| {
            let order = super::order::nested_dissection(pos.clone(), &edges, cuts);
            Cch::from_order(net.node_count(), &edges, order)
                .unwrap()
                .triangle_count()
        })
        .collect();
    let kept = Cch::new(&net).unwrap().triangle_count();
    assert_eq!(Some(&kept), counts.iter().min(), "{counts:?}");
}

#[test]
fn indices_are_grouped_by_key_in_order() {
    // Keys 2, 0, 2, 1: key 0 holds index 1, key 1 index 3, key 2 indices 0 and 2.
    assert_eq!(
        group_by_key(&[2, 0, 2, 1]),
        (vec![0, 1, 2, 4], vec![1, 3, 0, 2])
    );
    assert_eq!(group_by_key(&[]), (vec![0], vec![]));
}

#[test]
fn search_stats_count_what_a_query_walks_and_relaxes() {
    // A path 0 – 1 – 2 (both ways, weight 1) with node 1 on top: each side climbs from its end
    // to 1, relaxes the one arc up to it before the sides meet there, and nothing after.
    let net = network(3, &[(0, 1, false), (1, 2, false)]);
    let w = vec![1.0; net.edge_count()];
    let cch = Arc::new(Cch::with_order(&net, vec![0, 2, 1]).unwrap());
    let c = cch.customize(&w).unwrap();
    let ends = |v: u32| [(NodeId(v), 0.0)];
    let st = c.search_stats(&ends(0), &ends(2)).unwrap();
    assert_eq!(
        st,
        CchSearchStats {
            chain: 4,
            reached: 4,
            settled: 4,
            relaxed: 2,
            relaxed_apart: 2,
            attempts: 1,
        }
    );
    // From 1 to itself: one chain node a side, where the sides meet at cost 0, so no node is
    // below the meeting cost and nothing is relaxed.
    let st = c.search_stats(&ends(1), &ends(1)).unwrap();
    assert_eq!((st.chain, st.settled, st.relaxed), (2, 0, 0));
    // The bidirectional Dijkstra walks no chain and relaxes the same two arcs.
    let dij = cch.customize(&w).unwrap().with_search(CchSearch::Dijkstra);
    let st = dij.search_stats(&ends(0), &ends(2)).unwrap();
    assert_eq!((st.chain, st.reached, st.relaxed), (0, 0, 2));
    // Bad end points are refused.
    for bad in [
        [(NodeId(3), 0.0)],
        [(NodeId(0), -1.0)],
        [(NodeId(0), f64::NAN)],
    ] {
        let e = c.search_stats(&bad, &ends(2)).unwrap_err();
        assert_eq!(e.code(), "InvalidInput");
    }
    let nine = [(NodeId(0), 0.0); 9];
    assert_eq!(
        c.search_stats(&nine, &ends(2)).unwrap_err().code(),
        "InvalidInput"
    );
}

/// Whole-second weights of at least the straight line at `speed` m/s (so that the geometric
/// bounds are close to the costs, and sums are exact), closed where `bytes` says so.
fn bounded_weights(net: &RoadNetwork, bytes: &[u8]) -> Vec<f64> {
    net.edges()
        .iter()
        .enumerate()
        .map(|(i, e)| match bytes[i % bytes.len()] % 8 {
            7 => f64::INFINITY,
            k => (e.length_m / [5.0, 10.0, 20.0][k as usize % 3]).ceil() + f64::from(k / 3),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// With the geometric bounds on (weights with a top speed), whatever the first guessed
    /// bound — none, far too low (every guess fails and the last search has none), about
    /// right, far too high — both customizations give every pair its Floyd–Warshall distance to
    /// the bit and a path of that cost, and queries between several end points with costs
    /// give the best combination.
    #[test]
    fn geometric_bounds_keep_every_distance((n, roads, bytes) in random_graph(), ends in proptest::collection::vec((0u32..24, 0u32..24, 0u32..50), 1..6)) {
        let net = network(n, &roads);
        let w = bounded_weights(&net, &bytes);
        let cch = Arc::new(Cch::new(&net).unwrap());
        let d = floyd_warshall(&net, &w);
        for perfect in [false, true] {
            let mut c = cch.customize_with(&w, perfect).unwrap();
            // On, whatever the calibration chose (no edge of these weights is infinitely fast;
            // 0 only when no open edge joins two distinct points).
            c.inv_speed = super::bound::inv_speed(&cch, &w);
            for guess in [None, Some(0.01), Some(1.0), Some(1.5), Some(1e6)] {
                c.first_bound = guess;
                check_all_pairs(&net, &w, &c)?;
                // Two seeds and two targets with whole-second costs.
                let nn = n as u32;
                let acc = |v: u32, k: u32| Access { node: v % nn, cost: f64::from(k) };
                for &(a, b, k) in &ends {
                    let seeds = [acc(a, k), acc(b, k / 2)];
                    let targets = [acc(b + 1, 0), acc(a + k, k % 7)];
                    let want = seeds
                        .iter()
                        .flat_map(|s| targets.iter().map(move |t| (s, t)))
                        .map(|(s, t)| s.cost + d[s.node as usize][t.node as usize] + t.cost)
                        .fold(f64::INFINITY, f64::min);
                    let (got, path, _) = c.run::<false>(CchSearch::EliminationTree, &seeds, &targets, f64::INFINITY);
                    prop_assert_eq!(got, want, "{:?} -> {:?}, guess {:?}", seeds, targets, guess);
                    if let Some((si, e, ti)) = path {
                        let cost = path_cost(&net, &w, seeds[si].node, targets[ti].node, &e);
                        prop_assert_eq!(seeds[si].cost + cost + targets[ti].cost, got);
                    }
                }
            }
        }
    }
}

/// The time weights and the CCH of a `side × side` generated grid.
fn time_grid(side: usize) -> (Vec<f64>, Arc<Cch>) {
    let opts = crate::network::grid::GridOptions::jinzhou(side, side);
    let net = crate::network::grid::grid(&opts).unwrap();
    (net.weights(Metric::Time), Arc::new(Cch::new(&net).unwrap()))
}

#[test]
fn the_bounds_are_off_with_an_infinitely_fast_edge_and_the_guess_is_deterministic() {
    // A 12 × 12 grid with time weights: every edge has a speed, so there are bounds; the
    // calibration makes the same choice for the same weights.
    let (w, cch) = time_grid(12);
    let inv = super::bound::inv_speed(&cch, &w);
    assert!(inv > 0.0);
    let (a, a2) = (cch.customize(&w).unwrap(), cch.customize(&w).unwrap());
    assert_eq!((a.inv_speed, a.first_bound), (a2.inv_speed, a2.first_bound));
    // A forced guess of 1.5 × the straight line prunes work on a grid, and every answer stays
    // that of the search without bounds.
    let mut b = cch.customize(&w).unwrap();
    b.inv_speed = 0.0;
    let mut g = cch.customize(&w).unwrap();
    (g.inv_speed, g.first_bound) = (inv, Some(1.5));
    let (mut plain, mut guessed) = (0, 0);
    for (s, t) in [(0u32, 143u32), (5, 130), (17, 100), (60, 11), (143, 0)] {
        let ends = |v: u32| [(NodeId(v), 0.0)];
        plain += b.search_stats(&ends(s), &ends(t)).unwrap().relaxed;
        guessed += g.search_stats(&ends(s), &ends(t)).unwrap().relaxed;
        assert_eq!(node_route(&b, s, t).0, node_route(&g, s, t).0);
    }
    assert!(
        guessed < plain,
        "{guessed} arcs relaxed with the guess, {plain} without"
    );
    // One zero-weight edge between two distinct points: no speed bounds it, so no bounds.
    let mut z = w.clone();
    z[0] = 0.0;
    assert_eq!(super::bound::inv_speed(&cch, &z), 0.0);
    let c = cch.customize(&z).unwrap();
    assert_eq!((c.inv_speed, c.first_bound), (0.0, None));
}

#[test]
fn the_calibration_guesses_on_a_uniform_grid_and_turns_the_bounds_off_on_a_small_city() {
    // On a 60 × 60 grid the straight line is within a factor 1.6 of every route's cost and a
    // node has over 100 ancestors: the sample queries do less work with a guessed bound.
    let (w, cch) = time_grid(60);
    assert!(
        cch.ancestor_stats().1 >= 100.0,
        "{:?}",
        cch.ancestor_stats()
    );
    let c = cch.customize(&w).unwrap();
    assert!(c.inv_speed > 0.0);
    let f = c.first_bound.expect("a guess on the grid");
    assert!((1.0..2.0).contains(&f), "guess {f}");
    // Jinzhou: 27 ancestors a node on average, no bounds.
    let jz = crate::io::geojson::jinzhou_network().unwrap();
    let cz = Arc::new(Cch::new(&jz).unwrap())
        .customize(&jz.weights(Metric::Time))
        .unwrap();
    assert_eq!((cz.inv_speed, cz.first_bound), (0.0, None));
}

/// The perfect step's distances the plain way: ranks from the top down, each pair's third arc
/// found by walking the arcs of its lower head.
fn distances_node_by_node(cch: &Cch, w: &[super::arcs::ArcW]) -> Vec<super::arcs::ArcW> {
    let mut exact = w.to_vec();
    for x in (0..cch.node_count() as u32).rev() {
        let heads = &cch.head[cch.arcs(x)];
        let b0 = cch.arcs(x).start;
        for i in 0..heads.len() {
            let ra = cch.arcs(heads[i]);
            let mut k = ra.start;
            for j in i + 1..heads.len() {
                while cch.head[k] < heads[j] {
                    k += 1;
                }
                let (ab, xa, xb) = (exact[k], exact[b0 + i], exact[b0 + j]);
                exact[b0 + j] = [xb[0].min(xa[0] + ab[0]), xb[1].min(ab[1] + xa[1])];
                exact[b0 + i] = [xa[0].min(xb[0] + ab[1]), xa[1].min(ab[0] + xb[1])];
            }
        }
    }
    exact
}

#[test]
fn the_perfect_step_by_blocks_and_chains_gives_the_node_by_node_distances() {
    // A 40 × 40 grid, whole seconds (sums exact in any order), a few closed edges and a few of
    // weight 0: chains of one height run in parallel.
    let (w, cch) = time_grid(40);
    let w: Vec<f64> = w
        .iter()
        .enumerate()
        .map(|(i, &x)| match i % 97 {
            0 => f64::INFINITY,
            1 => 0.0,
            _ => x.ceil(),
        })
        .collect();
    let c = cch.customize_with(&w, false).unwrap();
    // Blocks of 1 (none), 7 and all of a chain; nodes split from 40 pairs or never.
    let want = distances_node_by_node(&cch, &c.w);
    for (block, split) in [(1, 40), (7, 40), (usize::MAX, u64::MAX)] {
        let got = super::perfect::distances(&cch, &c.w, None, block, split);
        assert!(
            got == want,
            "blocks of {block}, split from {split}: the distances differ"
        );
    }
    let got = super::perfect::distances(&cch, &c.w, None, 256, 20_000);
    assert!(got == want);
    // The top step: the top's arcs get the same distances (a top holds its nodes'
    // ancestors), the others keep their customized weights; a top of all the pairs is the
    // whole hierarchy.
    for share in [0.0, 0.1, 0.35, 1.0] {
        let top = super::perfect::Top::build(&cch, share);
        let (nodes, arcs) = top.size();
        if share == 1.0 {
            assert_eq!((nodes, arcs), (cch.node_count(), cch.arc_count()));
        }
        for (block, split) in [(1, 40), (7, 40), (256, 20_000)] {
            let got = super::perfect::distances(&cch, &c.w, Some(&top), block, split);
            for x in 0..cch.node_count() {
                let of = if top.contains(x) { &want } else { &c.w };
                let r = cch.arcs(x as u32);
                assert!(got[r.clone()] == of[r], "share {share}, rank {x}");
            }
        }
        // Upward closed: the parent of a node of the top is in it.
        assert!((0..cch.node_count()).all(|x| {
            let p = cch.parent(x as u32);
            !top.contains(x) || p == super::NONE || top.contains(p as usize)
        }));
        assert!(share < 0.1 || nodes > 0, "share {share}: an empty top");
    }
    // And they are distances: none above the customized weight, some strictly below.
    assert!(
        got.iter()
            .zip(c.w.iter())
            .all(|(e, a)| e[0] <= a[0] && e[1] <= a[1])
    );
    assert!(got.iter().zip(c.w.iter()).any(|(e, a)| e[0] < a[0]));
    // The distances of the arcs of a few nodes, high and low, checked by Dijkstra.
    let net =
        crate::network::grid::grid(&crate::network::grid::GridOptions::jinzhou(40, 40)).unwrap();
    let edges = edges_of(&net);
    for x in [cch.node_count() as u32 - 2, 900, 3] {
        let from = dijkstra(cch.node_count(), &edges, &w, cch.order[x as usize]);
        for (a, e) in cch.arcs(x).zip(&got[cch.arcs(x)]) {
            let to = dijkstra(
                cch.node_count(),
                &edges,
                &w,
                cch.order[cch.head[a] as usize],
            );
            assert_eq!(e[0], from[cch.order[cch.head[a] as usize] as usize]);
            assert_eq!(e[1], to[cch.order[x as usize] as usize]);
        }
    }
}

/// Distances from node `s` over directed `edges` with weights `w`.
fn dijkstra(n: usize, edges: &[(u32, u32)], w: &[f64], s: u32) -> Vec<f64> {
    let mut out: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n];
    for (&(u, v), &x) in edges.iter().zip(w) {
        out[u as usize].push((v, x));
    }
    let mut d = vec![f64::INFINITY; n];
    let mut heap = std::collections::BinaryHeap::new();
    d[s as usize] = 0.0;
    heap.push(std::cmp::Reverse((0u64, s)));
    while let Some(std::cmp::Reverse((k, u))) = heap.pop() {
        if f64::from_bits(k) > d[u as usize] {
            continue;
        }
        for &(v, x) in &out[u as usize] {
            let t = d[u as usize] + x;
            if t < d[v as usize] {
                d[v as usize] = t;
                heap.push(std::cmp::Reverse((t.to_bits(), v)));
            }
        }
    }
    d
}

#[test]
fn a_merge_of_climbs_keeps_ranks_ascending() {
    let mut scratch = Vec::new();
    // The second climb stopped below a node of the first: its ranks fall between the first's.
    let mut v = vec![2, 5, 6, 9, 10, 11, 1, 3, 4, 7];
    super::query::merge_tail(&mut v, 6, &mut scratch);
    assert_eq!(v, [1, 2, 3, 4, 5, 6, 7, 9, 10, 11]);
    // Below all of them, above all of them, and nothing to merge.
    let mut v = vec![5, 6, 0, 1];
    super::query::merge_tail(&mut v, 2, &mut scratch);
    assert_eq!(v, [0, 1, 5, 6]);
    let mut v = vec![0, 1, 5, 6];
    super::query::merge_tail(&mut v, 2, &mut scratch);
    assert_eq!(v, [0, 1, 5, 6]);
    let mut v = vec![3];
    super::query::merge_tail(&mut v, 1, &mut scratch);
    assert_eq!(v, [3]);
}

#[test]
fn a_stretch_climbs_parents_that_are_the_next_rank() {
    let (_, cch) = time_grid(30);
    let n = cch.rank.len() as u32;
    let mut stretched = 0;
    for r in 0..n {
        let top = cch.stretch[r as usize];
        assert!(top >= r);
        assert!((r..top).all(|x| cch.parent(x) == x + 1));
        assert_ne!(cch.parent(top), top + 1);
        stretched += u32::from(top > r);
    }
    // Nested dissection numbers a separator's nodes in a row.
    assert!(stretched > n / 10, "{stretched} of {n}");
}

/// The arc weights of two customizations, to the bit.
fn same_arc_weights(a: &Customized, b: &Customized) -> bool {
    a.w.len() == b.w.len()
        && a.w
            .iter()
            .zip(b.w.iter())
            .all(|(x, y)| x[0].to_bits() == y[0].to_bits() && x[1].to_bits() == y[1].to_bits())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// An update from one weights vector to another (edges closed, reopened, slowed, made
    /// free) gives every arc the full customization's weight to the bit, for float weights,
    /// with the nested-dissection order and with a random one, from a basic or a perfect
    /// customization; and its routes are Floyd–Warshall's.
    #[test]
    fn an_update_equals_the_customization_from_scratch(
        (n, roads, bytes) in random_graph(),
        ws in proptest::collection::vec(0.0f64..1e4, 1..64),
        flips in proptest::collection::vec((any::<u16>(), 0u8..5), 0..12),
        seed in any::<u64>(),
    ) {
        let net = network(n, &roads);
        let m = net.edge_count();
        let base: Vec<f64> = (0..m)
            .map(|i| match bytes[i % bytes.len()] % 10 {
                9 => f64::INFINITY,
                8 => 0.0,
                _ => ws[i % ws.len()] / 7.0,
            })
            .collect();
        let mut next = base.clone();
        for &(e, how) in &flips {
            let e = e as usize % m;
            next[e] = match how {
                0 => f64::INFINITY,
                1 => 0.0,
                2 => next[e] * 2.5,
                3 => next[e] / 3.0,
                _ => ws[(e + 1) % ws.len()] / 11.0,
            };
        }
        let order = random_order(n, seed);
        let nd = Arc::new(Cch::new(&net).unwrap());
        let random = Arc::new(Cch::from_order(n, &edges_of(&net), order.clone()).unwrap());
        // A top of half the pairs: the ranks below it that read its marks are made again.
        let half = Arc::new(Cch::from_order(n, &edges_of(&net), order).unwrap().with_top_share(0.5));
        let d = floyd_warshall(&net, &next);
        for cch in [&nd, &random, &half] {
            let scratch = cch.customize(&next).unwrap();
            for perfect in [false, true] {
                let from = cch.customize_with(&base, perfect).unwrap();
                let (up, stats) = from.updated_with_stats(&next).unwrap();
                prop_assert!(!stats.full, "{:?}", stats);
                prop_assert!(!up.is_perfect());
                prop_assert!(same_arc_weights(&up, &scratch), "{:?}", stats);
                // The query arcs too: those of the unchanged ranks copied, the others tested.
                prop_assert!(up.adj == scratch.adj, "{:?}", stats);
                prop_assert_eq!(up.dropped(), scratch.dropped());
                prop_assert_eq!(up.fingerprint(), scratch.fingerprint());
                for s in 0..n as u32 {
                    for t in 0..n as u32 {
                        let (got, _) = node_route(&up, s, t);
                        let want = d[s as usize][t as usize];
                        prop_assert!(got == want || (got - want).abs() <= 1e-9 * want.max(1.0), "{} -> {}: {} vs {}", s, t, got, want);
                    }
                }
            }
        }
    }
}

#[test]
fn a_ring_updated_closes_and_reopens_a_link_touching_few_arcs() {
    // 0 – 1 – 2 – 3 – 4 – 5 – 0, two-way, 10 s a link. Closing 0 – 1 makes 0 → 1 go round
    // the ring (50 s); the update computes only the arcs that link reaches.
    let roads: Vec<(usize, usize, bool)> = (0..6).map(|i| (i, (i + 1) % 6, false)).collect();
    let net = network(6, &roads);
    let open = vec![10.0; net.edge_count()];
    let cch = Arc::new(Cch::new(&net).unwrap());
    let base = cch.customize(&open).unwrap();
    let mut closed = open.clone();
    for (i, e) in net.edges().iter().enumerate() {
        if (e.from.index(), e.to.index()) == (0, 1) || (e.from.index(), e.to.index()) == (1, 0) {
            closed[i] = f64::INFINITY;
        }
    }
    let (c, stats) = base.updated_with_stats(&closed).unwrap();
    assert_eq!(stats.changed_edges, 2);
    assert!(!stats.full);
    assert!(
        stats.arcs_computed >= 1 && stats.arcs_computed < cch.arc_count(),
        "{stats:?}"
    );
    assert_eq!(node_route(&c, 0, 1).0, 50.0);
    assert_eq!(node_route(&c, 1, 0).0, 50.0);
    assert_eq!(node_route(&c, 2, 3).0, 10.0);
    // Back to the open ring: the same weights as the first customization.
    let (again, stats) = c.updated_with_stats(&open).unwrap();
    assert!(!stats.full);
    assert!(same_arc_weights(&again, &base));
    assert_eq!(node_route(&again, 0, 1).0, 10.0);
    // No change: nothing computed.
    let (same, stats) = base.updated_with_stats(&open).unwrap();
    assert_eq!((stats.changed_edges, stats.arcs_computed), (0, 0));
    assert!(same_arc_weights(&same, &base));
    // Bad weights are refused as by a customization.
    assert!(base.updated(&open[1..]).is_err());
    let mut bad = open.clone();
    bad[0] = f64::NAN;
    assert!(base.updated(&bad).is_err());
}

#[test]
fn an_update_that_changes_every_weight_runs_the_full_customization() {
    let (w, cch) = time_grid(40);
    let base = cch.customize(&w).unwrap();
    let slower: Vec<f64> = w.iter().map(|x| x * 1.5).collect();
    let (up, stats) = base.updated_with_stats(&slower).unwrap();
    assert!(stats.full, "{stats:?}");
    assert_eq!(stats.changed_edges, w.len());
    assert!(same_arc_weights(&up, &cch.customize(&slower).unwrap()));
    // A handful of closed edges on the same grid is an update.
    let mut closed = w.clone();
    for e in (0..w.len()).step_by(w.len() / 7) {
        closed[e] = f64::INFINITY;
    }
    let (up, stats) = base.updated_with_stats(&closed).unwrap();
    assert!(!stats.full, "{stats:?}");
    assert!(stats.arcs_computed < cch.arc_count() / 10, "{stats:?}");
    let scratch = cch.customize(&closed).unwrap();
    assert!(same_arc_weights(&up, &scratch));
    assert!(up.adj == scratch.adj);
    assert_eq!(up.dropped(), scratch.dropped());
}
