//! Traffic assignment: hand-checkable tiny networks, flow conservation (proptest), the
//! SiouxFalls benchmark against its best-known equilibrium, and bad input.

use jzplan::assignment::{
    Algorithm, AssignNetwork, AssignOptions, LinkId, LinkKind, LinkSpec, OdMatrix, ZoneId, assign,
};
use jzplan::io::tntp;
use proptest::prelude::*;
use std::path::PathBuf;

/// The shared TNTP benchmark files: `$JZPLAN_TNTP_DIR`, else the first `shared/data/tntp`
/// beside the repository or one of its parents (CI clones the repo next to `shared/`).
pub(crate) fn tntp_dir() -> PathBuf {
    if let Ok(d) = std::env::var("JZPLAN_TNTP_DIR") {
        return PathBuf::from(d);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    root.ancestors()
        .map(|a| a.join("shared/data/tntp"))
        .find(|p| p.join("SiouxFalls/SiouxFalls_net.tntp").is_file())
        .unwrap_or_else(|| {
            panic!(
                "TNTP benchmark files not found: expected ../shared/data/tntp/SiouxFalls/ beside \
                 {} (or set JZPLAN_TNTP_DIR)",
                root.display()
            )
        })
}

fn link(from: u32, to: u32, t0: f64, cap: f64, alpha: f64, beta: f64) -> LinkSpec {
    LinkSpec {
        from,
        to,
        free_flow_time: t0,
        capacity: cap,
        alpha,
        beta,
        length: t0,
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

fn opts(algorithm: Algorithm, gap: f64) -> AssignOptions {
    AssignOptions {
        algorithm,
        target_gap: gap,
        max_iterations: 2000,
    }
}

/// Zone 0 → zone 1 over two parallel roads through nodes 2 and 3; the second leg of each route
/// is a connector with zero free-flow time.
fn two_routes(beta: f64) -> AssignNetwork {
    let links = vec![
        link(0, 2, 10.0, 100.0, 0.15, beta),
        link(2, 1, 0.0, 0.0, 0.15, beta),
        link(0, 3, 12.0, 200.0, 0.15, beta),
        link(3, 1, 0.0, 0.0, 0.15, beta),
    ];
    AssignNetwork::new(4, zones(2), 2, 0.0, 0.0, links).unwrap()
}

#[test]
fn two_routes_linear_cost_matches_closed_form() {
    // t1 = 10 + 0.015 v1, t2 = 12 + 0.009 v2, v1 + v2 = 300: equal times give
    // 0.024 v1 = 4.7, v1 = 195.8333…
    let net = two_routes(1.0);
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 300.0).unwrap();
    for alg in [Algorithm::Fw, Algorithm::Cfw, Algorithm::Bfw] {
        let r = assign(&net, &od, &opts(alg, 1e-9)).unwrap();
        assert!(r.converged, "{alg}");
        let v1 = 4.7 / 0.024;
        assert!((r.volume[0] - v1).abs() < 1e-3, "{alg}: {}", r.volume[0]);
        assert!((r.volume[2] - (300.0 - v1)).abs() < 1e-3, "{alg}");
        // The zero-time connectors carry the route flows exactly.
        assert_eq!(r.volume[1], r.volume[0]);
        assert_eq!(r.volume[3], r.volume[2]);
        assert_eq!(r.time[1], 0.0);
        assert!((r.time[0] - r.time[2]).abs() < 1e-5);
    }
}

#[test]
fn two_routes_bpr4_equalises_times_and_msa_is_slower() {
    let net = two_routes(4.0);
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 300.0).unwrap();
    let bfw = assign(&net, &od, &opts(Algorithm::Bfw, 1e-8)).unwrap();
    assert!(bfw.converged);
    assert!((bfw.time[0] - bfw.time[2]).abs() < 1e-4 * bfw.time[0]);
    assert!((bfw.volume[0] + bfw.volume[2] - 300.0).abs() < 1e-9);
    // Both routes are used: the free-flow route alone at 300 would cost more than route 2.
    assert!(bfw.volume[0] > 0.0 && bfw.volume[2] > 0.0);
    let msa = assign(
        &net,
        &od,
        &AssignOptions {
            max_iterations: 20,
            ..opts(Algorithm::Msa, 1e-8)
        },
    )
    .unwrap();
    assert!(!msa.converged);
    assert_eq!(msa.iterations, 20);
    let err = msa.ensure_converged().unwrap_err();
    assert_eq!(err.code(), "NotConverged");
    assert!(err.to_string().contains("after 20 iterations"), "{err}");
}

#[test]
fn all_or_nothing_uses_free_flow_shortest_paths() {
    let net = two_routes(4.0);
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 300.0).unwrap();
    let r = assign(&net, &od, &opts(Algorithm::Aon, 0.0)).unwrap();
    assert_eq!(r.iterations, 1);
    assert_eq!(r.volume, vec![300.0, 300.0, 0.0, 0.0]);
    assert!(r.relative_gap > 0.0);
}

#[test]
fn centroids_are_not_through_nodes() {
    // 0 → 2 → 1 is short but passes zone 2; 0 → 3 → 1 is long.
    let links = vec![
        link(0, 2, 1.0, 10.0, 0.0, 4.0),
        link(2, 1, 1.0, 10.0, 0.0, 4.0),
        link(0, 3, 5.0, 10.0, 0.0, 4.0),
        link(3, 1, 5.0, 10.0, 0.0, 4.0),
    ];
    let mut od = OdMatrix::new(3);
    od.set(0, 1, 10.0).unwrap();
    let centroids = AssignNetwork::new(4, zones(3), 3, 0.0, 0.0, links.clone()).unwrap();
    let r = assign(&centroids, &od, &opts(Algorithm::Aon, 0.0)).unwrap();
    assert_eq!(r.volume, vec![0.0, 0.0, 10.0, 10.0]);
    let through = AssignNetwork::new(4, zones(3), 0, 0.0, 0.0, links).unwrap();
    let r = assign(&through, &od, &opts(Algorithm::Aon, 0.0)).unwrap();
    assert_eq!(r.volume, vec![10.0, 10.0, 0.0, 0.0]);
}

#[test]
fn tolls_and_distance_enter_the_generalized_cost() {
    // Route A: time 10, toll 8; route B: time 15, no toll. toll_factor 1 makes B cheaper.
    let mut links = vec![
        link(0, 1, 10.0, 1.0, 0.0, 4.0),
        link(0, 1, 15.0, 1.0, 0.0, 4.0),
    ];
    links[0].toll = 8.0;
    let mut od = OdMatrix::new(2);
    od.set(0, 1, 5.0).unwrap();
    let free = AssignNetwork::new(2, zones(2), 2, 0.0, 0.0, links.clone()).unwrap();
    assert_eq!(
        assign(&free, &od, &opts(Algorithm::Aon, 0.0))
            .unwrap()
            .volume,
        vec![5.0, 0.0]
    );
    let tolled = AssignNetwork::new(2, zones(2), 2, 1.0, 0.0, links).unwrap();
    let r = assign(&tolled, &od, &opts(Algorithm::Aon, 0.0)).unwrap();
    assert_eq!(r.volume, vec![0.0, 5.0]);
    assert_eq!(r.cost[0], 18.0);
}

#[test]
fn unreachable_pairs_are_reported_not_dropped() {
    // Zone 2 has no links at all.
    let links = vec![
        link(0, 1, 1.0, 10.0, 0.15, 4.0),
        link(1, 0, 1.0, 10.0, 0.15, 4.0),
    ];
    let net = AssignNetwork::new(3, zones(3), 3, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(3);
    od.set(0, 1, 4.0).unwrap();
    od.set(0, 2, 7.0).unwrap();
    od.set(2, 1, 1.5).unwrap();
    let r = assign(&net, &od, &opts(Algorithm::Bfw, 1e-6)).unwrap();
    assert_eq!(r.unreachable_pairs, 2);
    assert_eq!(r.unreachable_demand, 8.5);
    assert_eq!(r.assigned_demand, 4.0);
    assert_eq!(r.volume[0], 4.0);
}

#[test]
fn skims_and_select_link_on_a_chain() {
    // 0 → 3 → 4 → 1 and 0 → 3 → 2 (zone 2 is a centroid reached from node 3).
    let links = vec![
        link(0, 3, 2.0, 100.0, 0.0, 4.0),
        link(3, 4, 3.0, 100.0, 0.0, 4.0),
        link(4, 1, 4.0, 100.0, 0.0, 4.0),
        link(3, 2, 1.0, 100.0, 0.0, 4.0),
    ];
    let net = AssignNetwork::new(5, zones(3), 3, 0.0, 0.0, links).unwrap();
    let mut od = OdMatrix::new(3);
    od.set(0, 1, 6.0).unwrap();
    od.set(0, 2, 2.0).unwrap();
    let r = assign(&net, &od, &opts(Algorithm::Bfw, 1e-9)).unwrap();
    let sk = r.skims(&net);
    assert_eq!(sk.get(ZoneId(0), ZoneId(1)), (9.0, 9.0, 9.0));
    assert_eq!(sk.get(ZoneId(0), ZoneId(2)), (3.0, 3.0, 3.0));
    assert!(sk.get(ZoneId(1), ZoneId(0)).0.is_infinite());
    let sel = r.select_link(&net, &od, LinkId(1)).unwrap();
    assert_eq!(sel.len(), 1);
    assert_eq!(
        (sel[0].origin, sel[0].destination, sel[0].demand),
        (ZoneId(0), ZoneId(1), 6.0)
    );
    let sel0 = r.select_link(&net, &od, LinkId(0)).unwrap();
    assert_eq!(sel0.iter().map(|p| p.demand).sum::<f64>(), 8.0);
    assert_eq!(
        r.select_link(&net, &od, LinkId(9)).unwrap_err().code(),
        "NotFound"
    );
}

#[test]
fn bad_networks_and_demand_are_rejected() {
    let neg = vec![link(0, 1, 1.0, -5.0, 0.15, 4.0)];
    let e = AssignNetwork::new(2, zones(2), 2, 0.0, 0.0, neg).unwrap_err();
    assert_eq!(e.code(), "InvalidInput");
    assert!(e.to_string().contains("capacity"), "{e}");
    let mut od = OdMatrix::new(2);
    assert_eq!(od.set(0, 1, -1.0).unwrap_err().code(), "InvalidInput");
    assert_eq!(od.set(5, 1, 1.0).unwrap_err().code(), "NotFound");
    let net = two_routes(4.0);
    let e = assign(&net, &OdMatrix::new(3), &AssignOptions::default()).unwrap_err();
    assert!(e.to_string().contains("3 zones"), "{e}");
}

#[test]
fn csv_od_names_line_and_field() {
    let z = vec!["A".to_string(), "B".to_string()];
    let p = std::path::Path::new("od.csv");
    let ok = OdMatrix::parse_csv(
        p,
        "origin,destination,trips\nA,B,5\nB,A,2.5\nA,B,1\n".as_bytes(),
        &z,
    )
    .unwrap();
    assert_eq!(ok.data(), &[0.0, 6.0, 2.5, 0.0]);
    let e = OdMatrix::parse_csv(p, "origin,destination,trips\nA,B,5\nA,C,1\n".as_bytes(), &z)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidFile");
    assert!(
        e.to_string().contains("line 3") && e.to_string().contains("zone 'C'"),
        "{e}"
    );
    let e =
        OdMatrix::parse_csv(p, "origin,destination,trips\nA,B,-5\n".as_bytes(), &z).unwrap_err();
    assert!(
        e.to_string().contains("line 2") && e.to_string().contains("'demand'"),
        "{e}"
    );
    let e =
        OdMatrix::parse_csv(p, "origin,destination,trips\nA,B,many\n".as_bytes(), &z).unwrap_err();
    assert!(e.to_string().contains("'many'"), "{e}");
    let e = OdMatrix::parse_csv(p, "from,to\nA,B\n".as_bytes(), &z).unwrap_err();
    assert!(e.to_string().contains("no demand column"), "{e}");
}

/// SiouxFalls with biconjugate Frank-Wolfe to a relative gap of 1e-5 against the best-known
/// user equilibrium of SiouxFalls_flow.tntp.
#[test]
fn sioux_falls_bfw_matches_best_known_equilibrium() {
    let dir = tntp_dir().join("SiouxFalls");
    let t = tntp::read_net(&dir.join("SiouxFalls_net.tntp")).unwrap();
    let trips = tntp::read_trips(&dir.join("SiouxFalls_trips.tntp")).unwrap();
    let best = tntp::read_flow(&dir.join("SiouxFalls_flow.tntp")).unwrap();
    assert_eq!((t.zones, t.nodes, t.links.len()), (24, 24, 76));
    assert_eq!(trips.total_od_flow, Some(360_600.0));
    let net = AssignNetwork::from_tntp(&t).unwrap();
    let od = OdMatrix::from_tntp(&trips).unwrap();
    assert_eq!(od.total(), 360_600.0);
    let r = assign(&net, &od, &opts(Algorithm::Bfw, 1e-5)).unwrap();
    assert!(
        r.converged && r.relative_gap <= 1e-5,
        "gap {}",
        r.relative_gap
    );
    assert_eq!(best.len(), 76);
    let mut best_tstt = 0.0;
    let mut checked = 0;
    for b in &best {
        let l = net.tntp_link(b.from, b.to).expect("link of the flow file");
        best_tstt += b.volume * b.cost;
        let v = r.volume[l.index()];
        if b.volume > 1_000.0 {
            checked += 1;
            let rel = (v - b.volume).abs() / b.volume;
            assert!(
                rel <= 0.01,
                "link {}-{}: {v} vs best {} ({:.3} %)",
                b.from,
                b.to,
                b.volume,
                rel * 100.0
            );
        }
    }
    assert!(checked > 60, "{checked} links checked");
    let rel_tstt = (r.total_travel_time - best_tstt).abs() / best_tstt;
    assert!(
        rel_tstt <= 5e-4,
        "TSTT {} vs best {best_tstt}",
        r.total_travel_time
    );
}

#[test]
fn sioux_falls_bfw_needs_fewer_iterations_than_fw_and_msa() {
    let dir = tntp_dir().join("SiouxFalls");
    let net = AssignNetwork::from_tntp(&tntp::read_net(&dir.join("SiouxFalls_net.tntp")).unwrap())
        .unwrap();
    let od = OdMatrix::from_tntp(&tntp::read_trips(&dir.join("SiouxFalls_trips.tntp")).unwrap())
        .unwrap();
    let run = |alg| {
        assign(
            &net,
            &od,
            &AssignOptions {
                algorithm: alg,
                target_gap: 1e-3,
                max_iterations: 3000,
            },
        )
        .unwrap()
    };
    let (msa, fw, bfw) = (run(Algorithm::Msa), run(Algorithm::Fw), run(Algorithm::Bfw));
    assert!(fw.converged && bfw.converged);
    assert!(
        bfw.iterations < fw.iterations,
        "bfw {} fw {}",
        bfw.iterations,
        fw.iterations
    );
    assert!(
        bfw.iterations < msa.iterations,
        "bfw {} msa {}",
        bfw.iterations,
        msa.iterations
    );
}

/// A random network: every link has a free-flow time in 0..5 (zero included) and the zones
/// are the first nodes; some zones are centroids, some not.
/// (nodes, zones, first through node, links (from, to, free-flow time), dense demand).
type Case = (usize, usize, usize, Vec<(u32, u32, f64)>, Vec<f64>);

fn arb_case() -> impl Strategy<Value = Case> {
    (2usize..10, 1usize..5).prop_flat_map(|(n, z)| {
        let z = z.min(n);
        (
            Just(n),
            Just(z),
            0..=z,
            prop::collection::vec((0..n as u32, 0..n as u32, 0.0f64..5.0), 1..30),
            prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..100.0], z * z),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn aon_conserves_demand_at_every_node((n, z, ft, raw, dem) in arb_case()) {
        let links: Vec<LinkSpec> = raw.iter().map(|&(a, b, t)| link(a, b, t.floor(), 10.0, 0.15, 4.0)).collect();
        let net = AssignNetwork::new(n, zones(z), ft, 0.0, 0.0, links.clone()).unwrap();
        let od = OdMatrix::from_dense(z, dem.clone()).unwrap();
        let r = assign(&net, &od, &opts(Algorithm::Aon, 0.0)).unwrap();
        let mut balance = vec![0.0; n];
        for (l, spec) in links.iter().enumerate() {
            balance[spec.from as usize] -= r.volume[l];
            balance[spec.to as usize] += r.volume[l];
        }
        let sk = r.skims(&net);
        let mut expect = vec![0.0; n];
        let mut unreachable = 0.0;
        for o in 0..z {
            for d in 0..z {
                let v = dem[o * z + d];
                if o == d || v == 0.0 { continue; }
                if sk.cost[o * z + d].is_finite() {
                    expect[o] -= v;
                    expect[d] += v;
                } else {
                    unreachable += v;
                }
            }
        }
        for i in 0..n {
            prop_assert!((balance[i] - expect[i]).abs() < 1e-9, "node {}: {} vs {}", i, balance[i], expect[i]);
        }
        prop_assert!((r.unreachable_demand - unreachable).abs() < 1e-9);
        // No centroid other than the ends carries through flow.
        for c in 0..ft.min(z) {
            let inflow: f64 = links.iter().enumerate().filter(|(_, s)| s.to as usize == c).map(|(l, _)| r.volume[l]).sum();
            let arriving: f64 = (0..z).filter(|&o| o != c && sk.cost[o * z + c].is_finite()).map(|o| dem[o * z + c]).sum();
            prop_assert!((inflow - arriving).abs() < 1e-9, "centroid {} passes through flow", c);
        }
    }
}

mod road {
    use jzplan::assignment::zones::{
        self, ConnectorOptions, GravityParams, JINZHOU_GRAVITY, Zone, gravity_demand, road_flows,
        state_assign_network,
    };
    use jzplan::assignment::{AssignOptions, LinkKind, assign};
    use jzplan::network::grid::{GridOptions, grid};
    use jzplan::scenario::NetworkState;

    fn zone(id: &str, lon: f64, lat: f64, population: f64, jobs: f64) -> Zone {
        Zone {
            id: id.into(),
            name_zh: String::new(),
            name_en: id.into(),
            district: "test".into(),
            lon,
            lat,
            population,
            jobs,
            source: "estimate:test".into(),
        }
    }

    /// A 6×6 grid (200 m blocks) with four zones near its corners.
    fn setup() -> (jzplan::network::RoadNetwork, Vec<Zone>) {
        let opts = GridOptions::jinzhou(6, 6);
        let net = grid(&opts).unwrap();
        let bb = net.bbox().unwrap();
        let (x0, y0, x1, y1) = (bb.min().x, bb.min().y, bb.max().x, bb.max().y);
        let zones = vec![
            zone("SW", x0, y0, 20_000.0, 5_000.0),
            zone("SE", x1, y0, 10_000.0, 20_000.0),
            zone("NW", x0, y1, 15_000.0, 5_000.0),
            zone("NE", x1, y1, 5_000.0, 30_000.0),
        ];
        (net, zones)
    }

    #[test]
    fn gravity_matches_productions_and_attractions() {
        let (net, zones) = setup();
        let anet = state_assign_network(
            &NetworkState::base(&net),
            &zones,
            &ConnectorOptions::default(),
        )
        .unwrap();
        let g = gravity_demand(&anet, &zones, &JINZHOU_GRAVITY).unwrap();
        assert!(g.max_error <= 1e-9, "{}", g.max_error);
        let rate = JINZHOU_GRAVITY.trips_per_resident;
        let total: f64 = zones.iter().map(|z| z.population).sum::<f64>() * rate;
        assert!((g.od.total() - total).abs() < 1e-6 * total);
        for (i, z) in zones.iter().enumerate() {
            let row: f64 = g.od.row(i).iter().sum();
            assert!((row - z.population * rate).abs() < 1e-6 * total, "row {i}");
            let col: f64 = (0..zones.len()).map(|o| g.od.get(o, i)).sum();
            assert!(
                (col - z.jobs / 60_000.0 * total).abs() < 1e-6 * total,
                "col {i}"
            );
            assert_eq!(g.od.get(i, i), 0.0);
        }
        // A larger deterrence keeps more trips short: SW→NE (the far corner) loses share.
        let steep = GravityParams {
            beta_per_min: 1.0,
            ..JINZHOU_GRAVITY
        };
        let g2 = gravity_demand(&anet, &zones, &steep).unwrap();
        assert!(g2.od.get(0, 3) < g.od.get(0, 3));
        assert!(JINZHOU_GRAVITY.source_tag().starts_with("model:gravity"));
    }

    #[test]
    fn closing_an_edge_moves_its_flow_and_connectors_carry_all_trips() {
        let (net, zones) = setup();
        let base = NetworkState::base(&net);
        let anet = state_assign_network(&base, &zones, &ConnectorOptions::default()).unwrap();
        let od = gravity_demand(&anet, &zones, &JINZHOU_GRAVITY).unwrap().od;
        let opts = AssignOptions {
            target_gap: 1e-6,
            max_iterations: 2000,
            ..Default::default()
        };
        let r = assign(&anet, &od, &opts).unwrap();
        assert!(r.converged);
        assert_eq!(r.unreachable_pairs, 0);
        // Every trip leaves its zone on a connector.
        let leaving: f64 = anet
            .link_kinds()
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                matches!(k, LinkKind::Connector(_))
                    && (anet.link_ends(jzplan::assignment::LinkId(*i as u32)).0 as usize)
                        < zones.len()
            })
            .map(|(i, _)| r.volume[i])
            .sum();
        assert!((leaving - od.total()).abs() < 1e-6 * od.total());
        let flows = road_flows(&anet, &r, net.edge_count());
        let busiest = (0..net.edge_count())
            .max_by(|&a, &b| flows.volume_vph[a].total_cmp(&flows.volume_vph[b]))
            .unwrap();
        let e = jzplan::network::EdgeId::from_index(busiest);
        let closed = base.with_closed(&[e]);
        let anet2 = state_assign_network(&closed, &zones, &ConnectorOptions::default()).unwrap();
        assert!(anet2.road_link(e).is_none());
        let r2 = assign(&anet2, &od, &opts).unwrap();
        let flows2 = road_flows(&anet2, &r2, net.edge_count());
        assert_eq!(flows2.volume_vph[busiest], 0.0);
        assert!(flows2.time_s[busiest].is_infinite());
        assert!(r2.total_travel_time >= r.total_travel_time * (1.0 - 1e-9));
    }

    #[test]
    fn embedded_zones_are_valid_and_marked() {
        let z = zones::jinzhou_zones().unwrap();
        assert!((20..=40).contains(&z.len()), "{} zones", z.len());
        assert!(z.iter().all(|z| z.source.starts_with("estimate:")));
        let bad = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A","name_zh":"","name_en":"","district":"x","population":-5,"jobs":1,"source":"estimate:x"},"geometry":{"type":"Point","coordinates":[121.1,41.1]}}]}"#;
        let e = zones::parse_zones(bad, std::path::Path::new("z.geojson")).unwrap_err();
        assert!(
            e.to_string().contains("feature 0") && e.to_string().contains("population"),
            "{e}"
        );
    }
}

mod cli {
    use super::tntp_dir;
    use std::process::Command;

    fn jz(args: &[&str], dir: &std::path::Path) -> std::process::Output {
        Command::new(crate::common::jzplan_bin())
            .args(args)
            .current_dir(dir)
            .env_remove("JZPLAN_NETWORK")
            .env_remove("JZPLAN_DB")
            .output()
            .unwrap()
    }

    #[test]
    fn assign_tntp_reports_gap_writes_outputs_and_exit_codes() {
        let tmp = tempfile::tempdir().unwrap();
        let sf = tntp_dir().join("SiouxFalls");
        let net = sf.join("SiouxFalls_net.tntp");
        let net = net.to_str().unwrap();
        let out = jz(
            &[
                "assign",
                "--tntp-net",
                net,
                "--gap",
                "1e-4",
                "--out",
                "links.csv",
                "--skims",
                "skims.csv",
                "--select-link",
                "10-15",
                "--json",
            ],
            tmp.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let json_end = text.find("\n}\n").unwrap() + 2;
        let v: serde_json::Value = serde_json::from_str(&text[..json_end]).unwrap();
        assert_eq!(v["converged"], true);
        assert!(v["relative_gap"].as_f64().unwrap() <= 1e-4);
        assert!(text.contains("select link 10-15"));
        let links = std::fs::read_to_string(tmp.path().join("links.csv")).unwrap();
        assert_eq!(links.lines().count(), 77);
        let skims = std::fs::read_to_string(tmp.path().join("skims.csv")).unwrap();
        assert_eq!(skims.lines().count(), 1 + 24 * 23);

        // Not converged: outputs are written, the exit code is NotConverged's (11).
        let out = jz(
            &["assign", "--tntp-net", net, "--max-iter", "3"],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(11));
        assert!(String::from_utf8_lossy(&out.stderr).contains("NOT CONVERGED"));

        // A malformed file: InvalidFile (4), with the line and the field.
        let bad = tmp.path().join("bad_net.tntp");
        let text = std::fs::read_to_string(sf.join("SiouxFalls_net.tntp")).unwrap();
        std::fs::write(&bad, text.replacen("25900.20064", "big", 1)).unwrap();
        let out = jz(
            &[
                "assign",
                "--tntp-net",
                bad.to_str().unwrap(),
                "--trips",
                sf.join("SiouxFalls_trips.tntp").to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(4));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("line 10") && err.contains("'capacity'"),
            "{err}"
        );

        // An OD CSV naming a zone the network does not have.
        std::fs::write(
            tmp.path().join("od.csv"),
            "origin,destination,trips\n1,2,5\n1,99,3\n",
        )
        .unwrap();
        let out = jz(
            &["assign", "--tntp-net", net, "--trips", "od.csv"],
            tmp.path(),
        );
        assert_eq!(out.status.code(), Some(4));
        assert!(String::from_utf8_lossy(&out.stderr).contains("zone '99'"));
    }

    #[test]
    fn assign_jinzhou_with_gravity_demand() {
        let tmp = tempfile::tempdir().unwrap();
        let out = jz(
            &[
                "assign",
                "--gap",
                "1e-3",
                "--write-demand",
                "demand.csv",
                "--json",
            ],
            tmp.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["converged"], true);
        assert_eq!(v["unreachable_pairs"], 0);
        // June 2022: pipe works and street rebuilds on site, same demand, more delay.
        let june = jz(
            &[
                "--db",
                "j.db",
                "assign",
                "--date",
                "2022-06-15",
                "--gap",
                "1e-3",
                "--json",
            ],
            tmp.path(),
        );
        assert!(
            june.status.success(),
            "{}",
            String::from_utf8_lossy(&june.stderr)
        );
        let j: serde_json::Value = serde_json::from_slice(&june.stdout).unwrap();
        assert_eq!(j["assigned_demand"], v["assigned_demand"]);
        assert!(
            j["total_travel_time"].as_f64().unwrap() > v["total_travel_time"].as_f64().unwrap()
        );
        let demand = std::fs::read_to_string(tmp.path().join("demand.csv")).unwrap();
        assert!(demand.lines().skip(1).all(|l| {
            l.ends_with(",model:gravity-doubly-constrained-exp-beta0.1-per-min-rate0.043")
        }));
    }

    #[test]
    fn stored_jinzhou_demand_is_the_gravity_model() {
        // Every record is marked as model output and each zone produces the calibrated 0.043
        // trips per resident (the model's row constraint), whatever network it was computed on.
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("data/jinzhou/demand_am_peak.csv")).unwrap();
        let zones = jzplan::assignment::zones::jinzhou_zones().unwrap();
        let mut rows = std::collections::HashMap::<String, f64>::new();
        for l in text.lines().skip(1) {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            assert!(f[3].starts_with("model:gravity"), "{l}");
            assert!(zones.iter().any(|z| z.id == f[1]), "{l}");
            *rows.entry(f[0].to_string()).or_default() += f[2].parse::<f64>().unwrap();
        }
        for z in &zones {
            let row = rows.get(&z.id).copied().unwrap_or(0.0);
            assert!(
                (row - 0.043 * z.population).abs() < 0.01 * z.population * 0.043 + 1.0,
                "{}: {row}",
                z.id
            );
        }
    }

    #[test]
    fn impact_on_a_date_and_the_year_report() {
        let tmp = tempfile::tempdir().unwrap();
        let out = jz(
            &[
                "--db",
                "j.db",
                "impact",
                "--date",
                "2022-06-15",
                "--gap",
                "1e-3",
                "--json",
            ],
            tmp.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            c["after"]["vht"].as_f64().unwrap() > c["before"]["vht"].as_f64().unwrap(),
            "pipe works on the arterials in June add delay"
        );
        assert_eq!(c["choke_points"].as_array().unwrap().len(), 15);
        assert!(!c["losing"].as_array().unwrap().is_empty());

        let out = jz(
            &[
                "--db",
                "j.db",
                "impact",
                "--all-works",
                "--year",
                "2022",
                "--gap",
                "1e-2",
                "--only",
                "P1,P7",
                "--out",
                "rep",
            ],
            tmp.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rep = tmp.path().join("rep");
        let html = std::fs::read_to_string(rep.join("index.html")).unwrap();
        assert_eq!(html.matches("<svg").count(), 4);
        let months = std::fs::read_to_string(rep.join("months.csv")).unwrap();
        assert_eq!(months.lines().count(), 13);
        let ranking = std::fs::read_to_string(rep.join("ranking.csv")).unwrap();
        assert_eq!(ranking.lines().count(), 3, "{ranking}");
        // Songpo Road's resurfacing closes a road for months and builds nothing: it costs.
        let p7 = ranking.lines().find(|l| l.contains(",P7,")).unwrap();
        let construction: f64 = p7.split(',').nth(4).unwrap().parse().unwrap();
        assert!(construction > 0.0, "{p7}");
        for f in ["flows.gpkg", "differences.gpkg"] {
            let ds = gdal::Dataset::open(rep.join(f)).unwrap();
            assert!(ds.layer_count() >= 2, "{f}");
        }
        let bad = jz(
            &["--db", "j.db", "impact", "--all-works", "--out", "x"],
            tmp.path(),
        );
        assert_eq!(bad.status.code(), Some(3));
        let bad = jz(
            &[
                "--db",
                "j.db",
                "impact",
                "--all-works",
                "--year",
                "2022",
                "--only",
                "P99",
                "--out",
                "x",
            ],
            tmp.path(),
        );
        assert_eq!(bad.status.code(), Some(5));
    }
}

/// Files cut at a line boundary parse line by line; the CLI refuses them by what they state.
#[test]
fn cut_trips_and_best_known_files_are_refused() {
    let sf = tntp_dir().join("SiouxFalls");
    let tmp = tempfile::tempdir().unwrap();
    let cut = |name: &str, lines: usize| {
        let text = std::fs::read_to_string(sf.join(name)).unwrap();
        let p = tmp.path().join(name);
        let head: Vec<&str> = text.lines().take(lines).collect();
        std::fs::write(&p, head.join("\n") + "\n").unwrap();
        p
    };
    let net = sf.join("SiouxFalls_net.tntp");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(crate::common::jzplan_bin())
            .arg("assign")
            .arg("--tntp-net")
            .arg(&net)
            .args(args)
            .env_remove("JZPLAN_NETWORK")
            .env_remove("JZPLAN_DB")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout),
        )
    };
    let trips = cut("SiouxFalls_trips.tntp", 40);
    let (code, err) = run(&["--trips", trips.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("add up to 33300") && err.contains("360600"),
        "{err}"
    );
    let flows = cut("SiouxFalls_flow.tntp", 20);
    let (code, err) = run(&["--best-known", flows.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("cover 19 of the network's 76 links"), "{err}");
}
