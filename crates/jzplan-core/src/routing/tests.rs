//! Specifications of the routing core: tiny networks checkable by eye, and properties against
//! a brute-force reference (Floyd–Warshall over the phantom-node model).

use super::*;
use crate::network::grid::{GridOptions, grid};
use crate::network::{EdgeSpec, NetworkBuilder, NodeId, RoadClass};
use proptest::prelude::*;

fn plain_grid(rows: usize, cols: usize) -> RoadNetwork {
    grid(&GridOptions {
        arterial_every: 0,
        ..GridOptions::jinzhou(rows, cols)
    })
    .unwrap()
}

fn at(net: &RoadNetwork, r: f64, c: f64) -> Point<f64> {
    // Grid node (r, c) has id r * cols + c; interpolate between nodes of row/column 0.
    let n0 = net.node(NodeId(0));
    let n1 = net.node(NodeId(1));
    let cols = net.node_count() / 3;
    let nr = net.node(NodeId::from_index(cols));
    Point::new(
        n0.lon + c * (n1.lon - n0.lon),
        n0.lat + r * (nr.lat - n0.lat),
    )
}

#[test]
fn three_by_three_grid_known_times() {
    let net = plain_grid(3, 3);
    let w = net.weights(Metric::Time);
    let r = Router::new(&net, &w, Metric::Time).unwrap();
    // Origin in the middle of the south street's first block, destination in the middle of
    // the north street's second block: 100 m east, 400 m north, 100 m east = 600 m; at the
    // residential 25 km/h that is 600 * 3.6 / 25 = 86.4 s.
    let a = r.snap(at(&net, 0.0, 0.5), 50.0).unwrap();
    let b = r.snap(at(&net, 2.0, 1.5), 50.0).unwrap();
    for algorithm in Algorithm::ALL {
        let route = r.route(&a, &b, &RouteOptions { algorithm }).unwrap();
        assert!(
            (route.distance_m - 600.0).abs() < 1.0,
            "{algorithm}: {}",
            route.distance_m
        );
        assert!(
            (route.duration_s - 86.4).abs() < 0.2,
            "{algorithm}: {}",
            route.duration_s
        );
        assert!((route.cost - route.duration_s).abs() < 1e-9);
        // Consecutive pieces are joined head to tail.
        for p in route.pieces.windows(2) {
            assert_eq!(net.edge(p[0].edge).to, net.edge(p[1].edge).from);
        }
        let total: f64 = route.streets.iter().map(|s| s.length_m).sum();
        assert!((total - route.distance_m).abs() < 1e-6);
        // The geometry runs from the origin point to the destination point.
        assert_eq!(route.geometry.0.first().unwrap(), &a.point.0);
        assert_eq!(route.geometry.0.last().unwrap(), &b.point.0);
    }
    // Distance metric: same length, duration from free-flow speeds.
    let wd = net.weights(Metric::Distance);
    let rd = Router::new(&net, &wd, Metric::Distance).unwrap();
    let route = rd.route(&a, &b, &RouteOptions::default()).unwrap();
    assert!((route.cost - 600.0).abs() < 1.0);
    assert!((route.duration_s - 86.4).abs() < 0.2);
}

#[test]
fn same_edge_routes_both_ways() {
    let net = plain_grid(2, 2);
    let w = net.weights(Metric::Distance);
    let r = Router::new(&net, &w, Metric::Distance).unwrap();
    let a = r.snap(at2(&net, 0.2), 50.0).unwrap();
    let b = r.snap(at2(&net, 0.7), 50.0).unwrap();
    for algorithm in Algorithm::ALL {
        let fwd = r.route(&a, &b, &RouteOptions { algorithm }).unwrap();
        assert_eq!(fwd.pieces.len(), 1);
        assert!((fwd.distance_m - 100.0).abs() < 0.5, "{}", fwd.distance_m);
        let back = r.route(&b, &a, &RouteOptions { algorithm }).unwrap();
        assert_eq!(back.pieces.len(), 1);
        assert_eq!(Some(back.pieces[0].edge), net.edge(fwd.pieces[0].edge).twin);
        assert!((back.distance_m - 100.0).abs() < 0.5);
        let here = r.route(&a, &a, &RouteOptions { algorithm }).unwrap();
        assert_eq!(here.distance_m, 0.0);
    }
}

fn at2(net: &RoadNetwork, f: f64) -> Point<f64> {
    let n0 = net.node(NodeId(0));
    let n1 = net.node(NodeId(1));
    Point::new(n0.lon + f * (n1.lon - n0.lon), n0.lat)
}

/// South bank A–B–C and north bank D–E–F along a river between them; two bridges, B–E (the
/// middle one, short) and C–F (east).
fn river() -> (RoadNetwork, Vec<EdgeId>) {
    let mut b = NetworkBuilder::new("river");
    let xs = [121.10, 121.12, 121.14];
    let south: Vec<NodeId> = xs.iter().map(|&x| b.add_node(x, 41.100).unwrap()).collect();
    let north: Vec<NodeId> = xs.iter().map(|&x| b.add_node(x, 41.110).unwrap()).collect();
    let s1 = b.add_street("south", "南岸路", "South Bank Road");
    let s2 = b.add_street("north", "北岸路", "North Bank Road");
    let b1 = b.add_street("bridge1", "中桥", "Middle Bridge");
    let b2 = b.add_street("bridge2", "东桥", "East Bridge");
    for i in 0..2 {
        b.add_road(
            EdgeSpec::new(south[i], south[i + 1], s1, RoadClass::Primary, "t"),
            false,
        )
        .unwrap();
        b.add_road(
            EdgeSpec::new(north[i], north[i + 1], s2, RoadClass::Primary, "t"),
            false,
        )
        .unwrap();
    }
    let mut bridges = Vec::new();
    for (i, s) in [(1, b1), (2, b2)] {
        let mut spec = EdgeSpec::new(south[i], north[i], s, RoadClass::Primary, "t");
        spec.bridge = true;
        let (x, y) = b.add_road(spec, false).unwrap();
        bridges.push(x);
        bridges.push(y.unwrap());
    }
    (b.build().unwrap(), bridges)
}

#[test]
fn closing_one_bridge_forces_the_other() {
    let (net, bridges) = river();
    let w = net.weights(Metric::Time);
    let r = Router::new(&net, &w, Metric::Time).unwrap();
    // Just east of B on the south bank, to just east of E on the north bank.
    let from = r.snap(Point::new(121.121, 41.1001), 100.0).unwrap();
    let to = r.snap(Point::new(121.121, 41.1099), 100.0).unwrap();
    let open = r.route(&from, &to, &RouteOptions::default()).unwrap();
    let names: Vec<&str> = open.streets.iter().map(|s| s.name_en.as_str()).collect();
    assert_eq!(
        names,
        ["South Bank Road", "Middle Bridge", "North Bank Road"]
    );
    // 84 m west + 1112 m over the bridge + 84 m east.
    assert!(
        (open.distance_m - 1280.0).abs() < 5.0,
        "{}",
        open.distance_m
    );

    let closed = Avoid {
        edges: bridges[..2].to_vec(),
        ..Avoid::default()
    }
    .apply(&net, &w)
    .unwrap();
    let r2 = Router::new(&net, &closed, Metric::Time).unwrap();
    for algorithm in Algorithm::ALL {
        let detour = r2.route(&from, &to, &RouteOptions { algorithm }).unwrap();
        let names: Vec<&str> = detour.streets.iter().map(|s| s.name_en.as_str()).collect();
        assert_eq!(names, ["South Bank Road", "East Bridge", "North Bank Road"]);
        // 1596 m east + 1112 m + 1596 m west.
        assert!(
            (detour.distance_m - 4304.0).abs() < 10.0,
            "{}",
            detour.distance_m
        );
    }
    // Avoiding a street by name does the same; closing both bridges leaves no route.
    let by_name = Avoid {
        streets: vec!["中桥".into()],
        ..Avoid::default()
    }
    .apply(&net, &w)
    .unwrap();
    assert_eq!(by_name, closed);
    let none = Avoid {
        edges: bridges.clone(),
        ..Avoid::default()
    }
    .apply(&net, &w)
    .unwrap();
    let r3 = Router::new(&net, &none, Metric::Time).unwrap();
    for algorithm in Algorithm::ALL {
        let e = r3.route(&from, &to, &RouteOptions { algorithm });
        assert!(matches!(e, Err(Error::NoRoute(_))), "{e:?}");
    }
    // Unknown names and ids are errors, not silent no-ops.
    let bad = Avoid {
        streets: vec!["不存在路".into()],
        ..Avoid::default()
    };
    assert!(matches!(bad.apply(&net, &w), Err(Error::NotFound { .. })));
    let bad = Avoid {
        edges: vec![EdgeId(999)],
        ..Avoid::default()
    };
    assert!(matches!(bad.apply(&net, &w), Err(Error::NotFound { .. })));
}

#[test]
fn avoid_polygon_closes_what_it_touches() {
    let (net, bridges) = river();
    let w = net.weights(Metric::Time);
    // A small box around the middle of the middle bridge.
    let poly = geo_types::MultiPolygon(vec![geo_types::Polygon::new(
        LineString::from(vec![
            (121.119, 41.104),
            (121.121, 41.104),
            (121.121, 41.106),
            (121.119, 41.106),
            (121.119, 41.104),
        ]),
        vec![],
    )]);
    let a = Avoid {
        polygon: Some(poly),
        ..Avoid::default()
    };
    assert_eq!(a.edge_set(&net).unwrap(), bridges[..2].to_vec());
    let w2 = a.apply(&net, &w).unwrap();
    assert!(w2[bridges[0].index()].is_infinite());
    assert!(w2[bridges[2].index()].is_finite());
}

#[test]
fn one_way_streets_are_respected() {
    // a → b is one-way (300 m); b → a must take the two-way detour over c.
    let mut b = NetworkBuilder::new("oneway");
    let na = b.add_node(121.100, 41.100).unwrap();
    let nb = b.add_node(121.104, 41.100).unwrap();
    let nc = b.add_node(121.102, 41.103).unwrap();
    let one = b.add_street("one", "单行路", "One-way Street");
    let det = b.add_street("det", "绕行路", "Detour Road");
    b.add_road(EdgeSpec::new(na, nb, one, RoadClass::Secondary, "t"), true)
        .unwrap();
    b.add_road(EdgeSpec::new(na, nc, det, RoadClass::Secondary, "t"), false)
        .unwrap();
    b.add_road(EdgeSpec::new(nc, nb, det, RoadClass::Secondary, "t"), false)
        .unwrap();
    let net = b.build().unwrap();
    let w = net.weights(Metric::Distance);
    let r = Router::new(&net, &w, Metric::Distance).unwrap();
    let west = r.snap(Point::new(121.1005, 41.0999), 50.0).unwrap();
    let east = r.snap(Point::new(121.1035, 41.0999), 50.0).unwrap();
    assert_eq!(west.twin, None);
    for algorithm in Algorithm::ALL {
        let o = RouteOptions { algorithm };
        let with = r.route(&west, &east, &o).unwrap();
        assert_eq!(with.pieces.len(), 1);
        assert_eq!(with.streets[0].name_en, "One-way Street");
        let against = r.route(&east, &west, &o).unwrap();
        let names: Vec<&str> = against.streets.iter().map(|s| s.name_en.as_str()).collect();
        assert_eq!(names, ["One-way Street", "Detour Road", "One-way Street"]);
        assert!(against.distance_m > with.distance_m);
    }
}

#[test]
fn closed_edges_are_not_snapped_to_and_bad_weights_are_rejected() {
    let (net, bridges) = river();
    let mut w = net.weights(Metric::Time);
    for e in &bridges[..2] {
        w[e.index()] = f64::INFINITY;
    }
    let r = Router::new(&net, &w, Metric::Time).unwrap();
    // On the middle bridge: the snap goes to the nearest open road instead.
    let s = r.snap(Point::new(121.12, 41.105), 1000.0).unwrap();
    assert!(!bridges[..2].contains(&s.edge));
    assert!(matches!(
        r.snap(Point::new(121.12, 41.105), 100.0),
        Err(Error::NoSegment { .. })
    ));
    assert!(matches!(
        r.snap(Point::new(f64::NAN, 1.0), 100.0),
        Err(Error::InvalidInput(_))
    ));
    assert!(Router::new(&net, &w[1..], Metric::Time).is_err());
    w[0] = -1.0;
    assert!(Router::new(&net, &w, Metric::Time).is_err());
    w[0] = f64::NAN;
    assert!(Router::new(&net, &w, Metric::Time).is_err());
}

#[test]
fn matrix_matches_routes() {
    let net = plain_grid(3, 3);
    let w = net.weights(Metric::Time);
    let r = Router::new(&net, &w, Metric::Time).unwrap();
    let pts = [at(&net, 0.0, 0.5), at(&net, 2.0, 1.5), at(&net, 1.0, 0.25)];
    let snaps: Vec<Snap> = pts.iter().map(|p| r.snap(*p, 50.0).unwrap()).collect();
    let m = r.matrix(&snaps, &snaps).unwrap();
    for i in 0..3 {
        for j in 0..3 {
            let route = r
                .route(&snaps[i], &snaps[j], &RouteOptions::default())
                .unwrap();
            let d = m.durations_s[i][j].unwrap();
            assert!(
                (d - route.duration_s).abs() < 1e-6,
                "{i}{j}: {d} vs {}",
                route.duration_s
            );
            let l = m.distances_m[i][j].unwrap();
            assert!((l - route.distance_m).abs() < 1e-6);
        }
        assert_eq!(m.durations_s[i][i], Some(0.0));
    }
}

#[test]
fn isochrone_cuts_edges_at_the_budget() {
    let net = plain_grid(3, 3);
    let w = net.weights(Metric::Time);
    let r = Router::new(&net, &w, Metric::Time).unwrap();
    // From the SW corner node's first block middle; 200 m block = 28.8 s at 25 km/h.
    let from = r.snap(at(&net, 0.0, 0.5), 50.0).unwrap();
    let iso = r.isochrone(&from, 28.8).unwrap();
    for e in &iso.reached {
        assert!(e.end_cost <= 28.8 + 1e-9);
        assert!(e.from_frac <= e.to_frac);
    }
    // Reached: both halves of the first block (14.4 s each), then half a block beyond each
    // end node (3 directions from node (0,1), 2 from node (0,0) minus the way back).
    let reached_m: f64 = iso
        .reached
        .iter()
        .map(|e| (e.to_frac - e.from_frac) * net.edge(e.edge).length_m)
        .sum();
    // 100 + 100 on the origin edge, and from each end node 100 m along every other edge and
    // back along the origin edge (node (0,0): 1 other + back; node (0,1): 2 others + back).
    assert!(
        (reached_m - (200.0 + 2.0 * 100.0 + 3.0 * 100.0)).abs() < 1.0,
        "{reached_m}"
    );
    let poly = iso.polygon.as_ref().expect("an area");
    assert!(poly.exterior().0.len() >= 4);
    assert!(r.isochrone(&from, 0.0).is_err());
    assert!(r.isochrone(&from, f64::NAN).is_err());
}

#[test]
fn an_isochrone_from_a_node_counts_each_piece_of_road_once() {
    // From the SW corner node of a 3 × 3 grid (blocks of 200 m, 28.8 s): half a block along
    // each of its two roads, 100 + 100 m, and no piece of no length.
    let net = plain_grid(3, 3);
    let w = net.weights(Metric::Time);
    let r = Router::new(&net, &w, Metric::Time).unwrap();
    let from = r.snap(at(&net, 0.0, 0.0), 50.0).unwrap();
    let iso = r.isochrone(&from, 14.4).unwrap();
    let mut seen = std::collections::HashSet::new();
    for e in &iso.reached {
        assert!(e.from_frac < e.to_frac, "{e:?}");
        assert!(e.geometry.0.len() >= 2, "{e:?}");
        assert!(seen.insert(e.edge), "edge {:?} twice", e.edge);
    }
    let reached_m: f64 = iso
        .reached
        .iter()
        .map(|e| (e.to_frac - e.from_frac) * net.edge(e.edge).length_m)
        .sum();
    assert!((reached_m - 200.0).abs() < 1.0, "{reached_m}");
}

// ---- properties against brute force ---------------------------------------------------

#[derive(Clone, Debug)]
struct RandomCase {
    coords: Vec<(f64, f64)>,
    roads: Vec<(usize, usize, bool)>,
    weights: Vec<u8>,
    from: (usize, f64),
    to: (usize, f64),
}

fn random_case() -> impl Strategy<Value = RandomCase> {
    (2usize..30).prop_flat_map(|n| {
        (
            proptest::collection::vec((0.0f64..0.03, 0.0f64..0.03), n),
            proptest::collection::vec((0..n, 0..n, any::<bool>()), 1..(4 * n)),
            proptest::collection::vec(any::<u8>(), 64),
            (0usize..1000, 0.0f64..=1.0),
            (0usize..1000, 0.0f64..=1.0),
        )
            .prop_map(|(coords, roads, weights, from, to)| RandomCase {
                coords,
                roads,
                weights,
                from,
                to,
            })
    })
}

fn build_case(c: &RandomCase) -> (RoadNetwork, Vec<f64>) {
    let mut b = NetworkBuilder::new("random");
    for &(x, y) in &c.coords {
        b.add_node(121.1 + x, 41.1 + y).unwrap();
    }
    let s = b.add_street("s", "路", "Road");
    for &(u, v, oneway) in &c.roads {
        b.add_road(
            EdgeSpec::new(
                NodeId::from_index(u),
                NodeId::from_index(v),
                s,
                RoadClass::Primary,
                "t",
            ),
            oneway,
        )
        .unwrap();
    }
    let net = b.build().unwrap();
    // Weights: about the free-flow time, sometimes closed, sometimes far above it; in a third
    // of the cases some are 0 (zero-weight edges, which also switch the A* bound off).
    let zeros = c.weights[63].is_multiple_of(3);
    let w = net
        .edges()
        .iter()
        .enumerate()
        .map(|(i, e)| match c.weights[i % 64] % 16 {
            0 if zeros => 0.0,
            1 => f64::INFINITY,
            2 | 3 => e.travel_time_s() * (1.0 + (c.weights[(i + 7) % 64] % 10) as f64),
            _ => e.travel_time_s(),
        })
        .collect();
    (net, w)
}

fn snap_of(net: &RoadNetwork, (i, frac): (usize, f64)) -> Snap {
    let e = EdgeId::from_index(i % net.edge_count());
    let c = cut(&net.edge(e).geometry, frac, frac)[0];
    Snap {
        edge: e,
        twin: net.edge(e).twin,
        frac,
        point: Point(c),
        dist_m: 0.0,
    }
}

/// Floyd–Warshall between nodes, then the phantom-node model by enumeration.
fn brute_force(net: &RoadNetwork, w: &[f64], a: &Snap, b: &Snap) -> f64 {
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
    let places = |s: &Snap| {
        let mut v = vec![(s.edge, s.frac)];
        if let Some(t) = s.twin {
            v.push((t, 1.0 - s.frac));
        }
        v.into_iter()
            .filter(|(e, _)| w[e.index()].is_finite())
            .collect::<Vec<_>>()
    };
    let mut best = f64::INFINITY;
    for (eo, fo) in places(a) {
        for (ed, fd) in places(b) {
            let (wo, wd) = (w[eo.index()], w[ed.index()]);
            if eo == ed && fo <= fd {
                best = best.min((fd - fo) * wo);
            }
            let via =
                (1.0 - fo) * wo + d[net.edge(eo).to.index()][net.edge(ed).from.index()] + fd * wd;
            best = best.min(via);
        }
    }
    best
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn all_algorithms_equal_brute_force(c in random_case()) {
        let (net, w) = build_case(&c);
        let r = Router::new(&net, &w, Metric::Time).unwrap();
        let a = snap_of(&net, c.from);
        let b = snap_of(&net, c.to);
        let expected = brute_force(&net, &w, &a, &b);
        for algorithm in Algorithm::ALL {
            let got = r.route(&a, &b, &RouteOptions { algorithm });
            if expected.is_finite() {
                let route = got.unwrap();
                prop_assert!((route.cost - expected).abs() <= 1e-9 * expected.max(1.0),
                    "{algorithm}: {} vs {expected}", route.cost);
                // The reported pieces really cost what the search says, and are joined.
                let sum: f64 = route.pieces.iter()
                    .map(|p| (p.to_frac - p.from_frac) * w[p.edge.index()]).sum();
                prop_assert!((sum - expected).abs() <= 1e-9 * expected.max(1.0));
                for p in route.pieces.windows(2) {
                    prop_assert_eq!(net.edge(p[0].edge).to, net.edge(p[1].edge).from);
                }
            } else {
                let is_no_route = matches!(got, Err(Error::NoRoute(_)));
                prop_assert!(is_no_route, "{algorithm}: {got:?}");
            }
        }
        let m = r.matrix(&[a], &[b]).unwrap();
        match m.durations_s[0][0] {
            Some(t) => prop_assert!((t - expected).abs() <= 1e-9 * expected.max(1.0)),
            None => prop_assert!(expected.is_infinite()),
        }
    }

    #[test]
    fn snapping_equals_brute_force_nearest(
        c in random_case(),
        px in -0.005f64..0.035, py in -0.005f64..0.035,
    ) {
        let (net, w) = build_case(&c);
        let r = Router::new(&net, &w, Metric::Time).unwrap();
        let p = Point::new(121.1 + px, 41.1 + py);
        let bb = net.bbox().unwrap();
        let proj = crate::network::geom::LocalProjection::new(bb.center().x, bb.center().y);
        let q = proj.forward(p.0);
        let mut best = f64::INFINITY;
        for (i, e) in net.edges().iter().enumerate() {
            if !w[i].is_finite() {
                continue;
            }
            for s in e.geometry.0.windows(2) {
                let (a, b) = (proj.forward(s[0]), proj.forward(s[1]));
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                let l2 = dx * dx + dy * dy;
                let t = if l2 > 0.0 { (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
                let d = ((a[0] + t * dx - q[0]).powi(2) + (a[1] + t * dy - q[1]).powi(2)).sqrt();
                best = best.min(d);
            }
        }
        match r.snap(p, crate::network::snap::MAX_SNAP_M) {
            Ok(s) => {
                prop_assert!((s.dist_m - best).abs() < 1e-6, "{} vs {best}", s.dist_m);
                prop_assert!(w[s.edge.index()].is_finite());
                prop_assert!((0.0..=1.0).contains(&s.frac));
            }
            Err(e) => {
                let no_segment = matches!(e, Error::NoSegment { .. });
                prop_assert!(no_segment && best.is_infinite());
            }
        }
    }
}
