//! Works, network states on dates, planned links, anchoring and clashes, on tiny networks a
//! person can check by eye.

use jzplan::analysis::clash::{ClashOptions, Probe, Touch, find_clashes};
use jzplan::engine::Engine;
use jzplan::network::{EdgeSpec, Metric, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan::scenario::NetworkState;
use jzplan::store::SqliteStore;
use jzplan::works::anchor::{Attachment, PlannedLink, augment};
use jzplan::works::catalogue::Catalogue;
use jzplan::works::paths::distance;
use jzplan::works::{Work, parse_date};
use serde_json::json;
use std::sync::Arc;

fn d(s: &str) -> chrono::NaiveDate {
    parse_date(s).unwrap()
}

/// A river at lat 41.105 between two bank roads (lat 41.100 and 41.110), x = 121.10, .11, .12.
/// Two bridges exist: 西桥街 at x = .10 and 中桥街 at x = .11. 东街 ends on each bank at
/// x = .12 (41.103 and 41.107): the planned east bridge will join its two ends.
///
/// ```text
///  n0 ───── n1 ───── n2        北岸路
///  │西桥    │中桥    │ n2b      东街 (north stub)
///  ~~~~~~~~~~~~~~~~~~~~~~ river
///  │        │        │ s2b      东街 (south stub)
///  s0 ───── s1 ───── s2        南岸路
/// ```
fn river() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:river");
    let s: Vec<NodeId> = [121.10, 121.11, 121.12]
        .iter()
        .map(|&x| b.add_node(x, 41.100).unwrap())
        .collect();
    let n: Vec<NodeId> = [121.10, 121.11, 121.12]
        .iter()
        .map(|&x| b.add_node(x, 41.110).unwrap())
        .collect();
    let s2b = b.add_node(121.12, 41.103).unwrap();
    let n2b = b.add_node(121.12, 41.107).unwrap();
    let south = b.add_street("south", "南岸路", "South Bank Road");
    let north = b.add_street("north", "北岸路", "North Bank Road");
    let west = b.add_street("west", "西桥街", "West Bridge Street");
    let mid = b.add_street("mid", "中桥街", "Middle Bridge Street");
    let east = b.add_street("east", "东街", "East Street");
    let road = |b: &mut NetworkBuilder, a, z, st, bridge| {
        let mut spec = EdgeSpec::new(a, z, st, RoadClass::Secondary, "test");
        spec.bridge = bridge;
        b.add_road(spec, false).unwrap();
    };
    road(&mut b, s[0], s[1], south, false);
    road(&mut b, s[1], s[2], south, false);
    road(&mut b, n[0], n[1], north, false);
    road(&mut b, n[1], n[2], north, false);
    road(&mut b, s[0], n[0], west, true);
    road(&mut b, s[1], n[1], mid, true);
    road(&mut b, s[2], s2b, east, false);
    road(&mut b, n2b, n[2], east, false);
    b.build().unwrap()
}

fn work(id: &str, start: &str, end: &str, effects: serde_json::Value) -> Work {
    serde_json::from_value(json!({
        "id": id, "name_zh": id, "name_en": id, "kind": "widening", "status": "design",
        "status_source": "estimate:test", "planned": {"start": start, "end": end},
        "dates_source": "estimate:test", "effects": effects, "source": "estimate:test"
    }))
    .unwrap()
}

fn east_bridge() -> PlannedLink {
    serde_json::from_value(json!({
        "id": "east-bridge", "work": "NEW", "name_zh": "东街", "name_en": "East Street",
        "class": "secondary", "lanes": 2, "speed_kmh": 40, "bridge": true,
        "from": {"at": [121.1203, 41.1035], "streets": ["东街"]},
        "to": {"at": [121.1197, 41.1065], "streets": ["东街"]},
        "across": [[121.09, 41.105], [121.13, 41.105]],
        "source": "estimate:test"
    }))
    .unwrap()
}

fn river_catalogue() -> Catalogue {
    let close_mid = json!([{"phase": "construction", "action": {"kind": "close"},
        "target": {"type": "street", "streets": ["中桥街"], "from": [121.11, 41.101], "to": [121.11, 41.109], "radius_m": 100}}]);
    let open_east = json!([{"phase": "completion", "action": {"kind": "open_link"},
        "target": {"type": "link", "link": "east-bridge"}}]);
    Catalogue {
        about: String::new(),
        links: vec![east_bridge()],
        works: vec![
            work("OLD", "2022-04-01", "2022-10-31", close_mid),
            work("NEW", "2022-04-01", "2023-06-30", open_east),
        ],
        hotspots: vec![],
    }
}

fn engine(net: RoadNetwork, cat: &Catalogue) -> Engine {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let e = Engine::with_works(net, store, cat).unwrap();
    e.seed(cat).unwrap();
    e
}

fn node_at(net: &RoadNetwork, lon: f64, lat: f64) -> NodeId {
    (0..net.node_count())
        .map(NodeId::from_index)
        .find(|&n| (net.node(n).lon - lon).abs() < 1e-9 && (net.node(n).lat - lat).abs() < 1e-9)
        .unwrap()
}

#[test]
fn a_bridge_closed_during_construction_reroutes_the_river_crossing() {
    let e = engine(river(), &river_catalogue());
    let net = &e.network;
    let (s1, n1) = (node_at(net, 121.11, 41.100), node_at(net, 121.11, 41.110));
    let t = |date: &str| {
        let st = e.state_on(d(date)).unwrap();
        distance(net, &st.weights(Metric::Time), s1, n1)
    };
    let before = t("2022-03-01");
    let during = t("2022-06-01");
    let after = t("2022-11-01");
    // Direct over the middle bridge: 1.11 km at 40 km/h ≈ 100 s.
    assert!((before - 100.0).abs() < 5.0, "{before}");
    // Via the west bridge: 0.84 + 1.11 + 0.84 km ≈ 2.8 km ≈ 251 s.
    assert!((during - 251.0).abs() < 10.0, "{during}");
    assert_eq!(after, before);
    let st = e.state_on(d("2022-06-01")).unwrap();
    assert_eq!(
        st.closed_edges().len(),
        2,
        "both directions of the middle bridge"
    );
    assert_eq!(st.active.construction.len(), 2);
}

#[test]
fn a_new_bridge_shortens_the_crossing_after_completion() {
    let e = engine(river(), &river_catalogue());
    let net = &e.network;
    // The planned link exists as two planned edges, closed in the base state.
    let planned: Vec<_> = net.edges().iter().filter(|x| x.planned).collect();
    assert_eq!(planned.len(), 2);
    assert!(planned.iter().all(|x| x.bridge));
    let (s2, n2) = (node_at(net, 121.12, 41.100), node_at(net, 121.12, 41.110));
    let t = |date: &str| {
        let st = e.state_on(d(date)).unwrap();
        distance(net, &st.weights(Metric::Time), s2, n2)
    };
    let base = distance(net, &NetworkState::base(net).weights(Metric::Time), s2, n2);
    // Before: round by the middle bridge (0.84 + 1.11 + 0.84 km ≈ 251 s).
    assert!((t("2022-01-01") - base).abs() < 1e-9);
    assert!((base - 251.0).abs() < 10.0, "{base}");
    // While the middle bridge is shut too, only the west bridge is left.
    assert!(t("2022-06-01") > base + 100.0);
    // After completion: straight across, 1.11 km ≈ 100 s.
    let after = t("2023-07-01");
    assert!((after - 100.0).abs() < 5.0, "{after}");
    let st = e.state_on(d("2023-07-01")).unwrap();
    assert_eq!(st.opened_edges().len(), 2);
}

#[test]
fn planned_link_ends_join_the_named_street_on_each_bank() {
    let aug = augment(river(), &[east_bridge()]).unwrap();
    let edges = &aug.links["east-bridge"];
    assert_eq!(edges.len(), 2);
    let e = aug.network.edge(edges[0]);
    let (a, z) = (aug.network.node(e.from), aug.network.node(e.to));
    assert_eq!((a.lon, a.lat), (121.12, 41.103));
    assert_eq!((z.lon, z.lat), (121.12, 41.107));
    assert!(e.planned);
    assert_eq!(aug.report.unmatched(), 0);
    // Augmenting an augmented network finds the link instead of adding it again.
    let (count, link) = (aug.network.edge_count(), aug.links["east-bridge"].clone());
    let again = augment(aug.network, &[east_bridge()]).unwrap();
    assert_eq!(again.network.edge_count(), count);
    assert_eq!(again.links["east-bridge"], link);
}

/// One street, 长街, in three segments.
fn long_street() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:street");
    let ns: Vec<NodeId> = (0..4)
        .map(|i| b.add_node(121.10 + 0.01 * i as f64, 41.10).unwrap())
        .collect();
    let st = b.add_street("long", "长街", "Long Street");
    for w in ns.windows(2) {
        b.add_road(
            EdgeSpec::new(w[0], w[1], st, RoadClass::Primary, "test"),
            false,
        )
        .unwrap();
    }
    b.build().unwrap()
}

#[test]
fn two_works_on_one_street_clash_when_their_dates_overlap() {
    let net = long_street();
    let on_street = |action: serde_json::Value| {
        json!([{"phase": "construction", "action": action,
            "target": {"type": "street", "streets": ["长街"], "from": [121.11, 41.10], "to": [121.12, 41.10], "radius_m": 50}}])
    };
    let works = vec![
        work(
            "PIPE",
            "2022-04-01",
            "2022-06-30",
            on_street(json!({"kind": "cut_lanes", "lanes": 1})),
        ),
        work(
            "WIDEN",
            "2022-06-01",
            "2022-08-31",
            on_street(json!({"kind": "close"})),
        ),
        work(
            "LATER",
            "2022-09-01",
            "2022-10-31",
            on_street(json!({"kind": "close"})),
        ),
    ];
    let att = Attachment::resolve(&net, &works, Default::default());
    let opts = ClashOptions {
        probes: vec![],
        ..Default::default()
    };
    let clashes = find_clashes(&net, &works, &att.effects, &opts).unwrap();
    assert_eq!(clashes.len(), 1, "{clashes:?}");
    let c = &clashes[0];
    assert_eq!((c.a.as_str(), c.b.as_str()), ("PIPE", "WIDEN"));
    assert_eq!(c.touch, Touch::SharedSegment);
    assert_eq!(c.overlap.start, d("2022-06-01"));
    assert_eq!(c.overlap.end, d("2022-06-30"));
    assert_eq!(c.streets, vec!["长街".to_string()]);
    assert!(!c.strong);
    // A window that misses the overlap finds nothing.
    let none = find_clashes(
        &net,
        &works,
        &att.effects,
        &ClashOptions {
            window: Some(jzplan::works::DateRange::new(d("2022-07-01"), d("2022-12-31")).unwrap()),
            probes: vec![],
            ..Default::default()
        },
    )
    .unwrap();
    assert!(none.is_empty());
}

#[test]
fn closing_both_bridges_at_once_is_a_strong_clash() {
    let net = river();
    let close = |street: &str, x: f64| {
        json!([{"phase": "construction", "action": {"kind": "close"},
            "target": {"type": "street", "streets": [street], "from": [x, 41.101], "to": [x, 41.109], "radius_m": 100}}])
    };
    let works = vec![
        work("W", "2022-04-01", "2022-06-30", close("西桥街", 121.10)),
        work("M", "2022-05-01", "2022-07-31", close("中桥街", 121.11)),
    ];
    let att = Attachment::resolve(&net, &works, Default::default());
    let opts = ClashOptions {
        near_m: 1_500.0,
        probes: vec![
            Probe {
                name: "south".into(),
                at: [121.105, 41.100],
            },
            Probe {
                name: "north".into(),
                at: [121.105, 41.110],
            },
        ],
        ..Default::default()
    };
    let clashes = find_clashes(&net, &works, &att.effects, &opts).unwrap();
    assert_eq!(clashes.len(), 1);
    let c = &clashes[0];
    assert_eq!(c.touch, Touch::Near);
    assert!(c.strong);
    assert!(
        c.reasons.iter().any(|r| r.contains("cuts every route")),
        "{:?}",
        c.reasons
    );
    assert!(
        c.reasons.iter().any(|r| r.contains("bridge")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn every_closure_has_a_detour_with_its_extra_time() {
    let e = engine(river(), &river_catalogue());
    let ds = e.detours(None).unwrap();
    assert_eq!(ds.len(), 1);
    let det = &ds[0];
    assert_eq!(det.work.as_str(), "OLD");
    assert!(
        (det.base_s.unwrap() - 100.0).abs() < 5.0,
        "{:?}",
        det.base_s
    );
    assert!(
        (det.extra_s.unwrap() - 151.0).abs() < 10.0,
        "{:?}",
        det.extra_s
    );
    assert!(det.via.contains(&"西桥街".to_string()));
}

#[test]
fn every_work_of_the_plan_is_in_the_catalogue_with_its_seed_reference() {
    let c = Catalogue::jinzhou().unwrap();
    let ids = (1..=12)
        .map(|i| format!("P{i}"))
        .chain((1..=6).map(|i| format!("E{i}")));
    for id in ids {
        let w = c
            .works
            .iter()
            .find(|w| w.id.as_str() == id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(w.source, format!("seed:{id}"));
        assert!(!w.seed_quote.is_empty(), "{id} has no quote");
    }
    for w in &c.works {
        let prov = |s: &str| {
            s.starts_with("seed:") || s.starts_with("estimate:") || s.starts_with("model:")
        };
        assert!(prov(&w.source), "{}: {}", w.id, w.source);
        assert!(prov(&w.dates_source), "{}: {}", w.id, w.dates_source);
        assert!(prov(&w.status_source), "{}: {}", w.id, w.status_source);
    }
    // Keji West Road is P4's named street; P6 has one child per choke point, H01 the named one.
    let keji = c.works.iter().find(|w| w.id.as_str() == "P4-01").unwrap();
    assert_eq!(keji.source, "seed:P4");
    assert!(keji.name_zh.contains("科技西路"));
    let p6: Vec<_> = c
        .works
        .iter()
        .filter(|w| w.parent.as_ref().is_some_and(|p| p.as_str() == "P6"))
        .collect();
    assert_eq!(p6.len(), c.hotspots.len());
    let h01 = c.hotspots.iter().find(|h| h.id.as_str() == "H01").unwrap();
    assert_eq!(h01.evidence, "seed:P6");
    assert_eq!(h01.name_zh, "南阳东路");
    // Environment works have no effect on the road network.
    assert!(
        c.works
            .iter()
            .filter(|w| w.id.as_str().starts_with('E'))
            .all(|w| w.effects.is_empty())
    );
}

fn jinzhou_engine() -> Engine {
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    engine(net, &Catalogue::jinzhou().unwrap())
}

#[test]
fn jinzhou_the_whole_catalogue_attaches_to_the_embedded_network() {
    let e = jinzhou_engine();
    let r = e.attach_report().unwrap();
    let missed: Vec<_> = r.items.iter().filter(|i| !i.matched).collect();
    assert!(missed.is_empty(), "{missed:?}");
    // Every planned link is in the network as planned edges (closed in the base state).
    for (link, edges) in e.planned_links().unwrap() {
        assert_eq!(edges.len(), 2, "{}", link.id);
        assert!(edges.iter().all(|&x| e.network.edge(x).planned));
    }
    assert_eq!(e.list_hotspots().unwrap().len(), 15);
}

#[test]
fn jinzhou_crossing_the_xiaoling_on_jinzhou_street_before_and_after_p1() {
    let e = jinzhou_engine();
    let from = geo_types::Point::new(121.105, 41.090);
    let to = geo_types::Point::new(121.105, 41.112);
    let during = e
        .compare_routes(
            &e.state_on(d("2022-06-01")).unwrap(),
            from,
            to,
            Metric::Time,
        )
        .unwrap();
    let after = e
        .compare_routes(
            &e.state_on(d("2024-01-01")).unwrap(),
            from,
            to,
            Metric::Time,
        )
        .unwrap();
    let (rd, ra) = (during.scenario.unwrap(), after.scenario.unwrap());
    // While P1 is built, Jinzhou Street is shut at the river and the trip goes round by
    // another bridge; once open, the new bridge is the fastest way across.
    let p1: Vec<_> = e
        .planned_links()
        .unwrap()
        .into_iter()
        .find(|l| l.0.id == "P1-bridge")
        .unwrap()
        .1;
    assert!(
        ra.edge_ids().iter().any(|x| p1.contains(x)),
        "after: {:?}",
        ra.streets
    );
    assert!(!rd.edge_ids().iter().any(|x| p1.contains(x)));
    assert!(
        ra.duration_s < rd.duration_s,
        "{} vs {}",
        ra.duration_s,
        rd.duration_s
    );
    assert!(during.extra_s.unwrap() > 0.0);
    assert!(
        after.extra_s.unwrap() < 0.0,
        "the new bridge beats the base network"
    );
}

/// The same streets drawn another way, as an OSM import would: Jinzhou Street 150 m east, in
/// pieces; Fuzhou Street only with its English name; no Nanyang East Road at all.
#[test]
fn attach_reports_what_matched_how_far_and_what_did_not_on_another_network() {
    let mut b = NetworkBuilder::new("test:osm-like");
    let line = |b: &mut NetworkBuilder, way: &str, zh: &str, en: &str, pts: &[(f64, f64)]| {
        let st = b.add_street(way, zh, en);
        let ns: Vec<NodeId> = pts
            .iter()
            .map(|&(x, y)| b.add_node(x, y).unwrap())
            .collect();
        for w in ns.windows(2) {
            b.add_road(
                EdgeSpec::new(w[0], w[1], st, RoadClass::Secondary, "osm"),
                false,
            )
            .unwrap();
        }
    };
    line(
        &mut b,
        "osm:w1",
        "锦州街",
        "",
        &[(121.1065, 41.090), (121.1065, 41.0975)],
    );
    line(
        &mut b,
        "osm:w2",
        "锦州街",
        "",
        &[(121.1065, 41.1045), (121.1065, 41.110), (121.1065, 41.118)],
    );
    line(
        &mut b,
        "osm:w3",
        "",
        "Fuzhou Street",
        &[(121.1155, 41.060), (121.1155, 41.0643)],
    );
    line(
        &mut b,
        "osm:w4",
        "",
        "Fuzhou Street",
        &[(121.1155, 41.0692), (121.1155, 41.080)],
    );
    line(
        &mut b,
        "osm:w5",
        "解放路一段",
        "Jiefang Road Sec. 1",
        &[(121.095, 41.1125), (121.13, 41.1125)],
    );
    let net = b.build().unwrap();
    let e = engine(net, &Catalogue::jinzhou().unwrap());
    let r = e.attach_report().unwrap();
    let item = |rec: &str, what: &str| {
        r.items
            .iter()
            .find(|i| i.record == rec && i.what.contains(what))
            .unwrap_or_else(|| panic!("{rec} {what}"))
            .clone()
    };
    let p1 = item("P1-bridge", "end from");
    assert!(p1.matched && p1.street == "锦州街");
    let moved = p1.moved_m.unwrap();
    assert!((100.0..250.0).contains(&moved), "{moved}");
    assert!(item("P2-bridge", "end to").matched, "English names match");
    assert!(
        item("P8-08", "解放路").matched,
        "a sectioned name matches its street"
    );
    let h01 = item("H01", "南阳东路");
    assert!(!h01.matched);
    assert!(h01.note.contains("no street named"), "{}", h01.note);
    assert!(r.unmatched() > 0 && r.matched() > 0);
}

#[test]
fn jinzhou_clashes_dig_once_on_shared_streets() {
    let e = jinzhou_engine();
    let clashes = e.clashes(&ClashOptions::default()).unwrap();
    // The Shanghai Road pipe renewal (P8-05, April–June) and the Shanghai Road widening
    // (P4-15, from mid-June) dig the same street in the second half of June.
    let c = clashes
        .iter()
        .find(|c| {
            let ids = [c.a.as_str(), c.b.as_str()];
            ids.contains(&"P8-05") && ids.contains(&"P4-15")
        })
        .expect("P8-05 × P4-15");
    assert_eq!(c.touch, Touch::SharedSegment);
    assert_eq!(c.overlap.start, d("2022-06-15"));
    assert_eq!(c.overlap.end, d("2022-06-30"));
    assert!(c.streets.contains(&"上海路".to_string()));
    // Works with disjoint windows never clash.
    let works = e.list_works(&Default::default()).unwrap();
    let win = |id: &str| works.iter().find(|w| w.id.as_str() == id).unwrap().window();
    assert!(
        clashes
            .iter()
            .all(|c| win(c.a.as_str()).overlaps(&win(c.b.as_str())))
    );
    // The report is limited to a window on request.
    let july = jzplan::works::DateRange::new(d("2022-07-01"), d("2022-07-31")).unwrap();
    let in_july = e
        .clashes(&ClashOptions {
            window: Some(july),
            ..Default::default()
        })
        .unwrap();
    assert!(
        in_july
            .iter()
            .all(|c| c.overlap.start >= july.start && c.overlap.end <= july.end)
    );
    assert!(!in_july.iter().any(|c| {
        let ids = [c.a.as_str(), c.b.as_str()];
        ids.contains(&"P8-05") && ids.contains(&"P4-15")
    }));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    /// The state does not depend on the order of the works list, and its closed edges are
    /// exactly the closures of the works on site (by brute force over the works).
    #[test]
    fn states_are_order_independent_and_close_exactly_the_sites(
        windows in proptest::collection::vec((0i64..300, 1i64..200, 0usize..3, proptest::bool::ANY), 1..6),
        day in 0i64..600,
        seed in 0u64..1000,
    ) {
        let net = long_street();
        let base = d("2022-01-01");
        let works: Vec<Work> = windows.iter().enumerate().map(|(i, &(s, len, seg, close))| {
            let x = 121.105 + 0.01 * seg as f64;
            let action = if close { json!({"kind": "close"}) } else { json!({"kind": "cut_lanes", "lanes": 1}) };
            let start = base + chrono::Duration::days(s);
            let end = start + chrono::Duration::days(len);
            work(&format!("W{i}"), &start.to_string(), &end.to_string(), json!([{"phase": "construction", "action": action,
                "target": {"type": "street", "streets": ["长街"], "from": [x, 41.10], "radius_m": 100}}]))
        }).collect();
        let att = Attachment::resolve(&net, &works, Default::default());
        let date = base + chrono::Duration::days(day);
        let a = NetworkState::on_date(&net, &works, &att.effects, date);
        let mut shuffled = works.clone();
        let n = shuffled.len();
        shuffled.rotate_left((seed as usize) % n);
        if seed % 2 == 1 { shuffled.reverse(); }
        let b = NetworkState::on_date(&net, &shuffled, &att.effects, date);
        proptest::prop_assert_eq!(a.overlay(), b.overlay());
        let mut expect: Vec<_> = works.iter()
            .filter(|w| w.window().contains(date))
            .flat_map(|w| att.effects[&w.id].iter().filter(|e| e.action == jzplan::works::Action::Close).flat_map(|e| e.edges.clone()))
            .collect();
        expect.sort();
        expect.dedup();
        proptest::prop_assert_eq!(a.closed_edges(), expect);
    }
}
