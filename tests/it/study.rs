//! Closure studies: a tiny hand-drawn river town whose answers can be checked by eye, and the
//! P1 study on Jinzhou through the CLI.

use jzplan::Error;
use jzplan::analysis::detour::Outcome;
use jzplan::analysis::impact::{ChokePointRef, Demand};
use jzplan::analysis::study::{
    ClosureSpec, DailyHours, Direction, Lanes, StudyInputs, StudyRequest, run_study,
};
use jzplan::assignment::periods::JINZHOU_PERIODS;
use jzplan::assignment::zones::{ConnectorOptions, Zone};
use jzplan::assignment::{AssignOptions, OdMatrix};
use jzplan::network::{EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use jzplan::scenario::{NetworkState, Scenario};
use jzplan::works::{Action, DateRange, Phase, ResolvedEffect, Work, WorkId, parse_date};
use serde_json::json;
use std::collections::HashMap;

fn d(s: &str) -> chrono::NaiveDate {
    parse_date(s).unwrap()
}

/// A river between two bank roads, two bridges, and a street parallel to the south bank.
///
/// ```text
///  ZN                                    北岸路 n0–n1 (1.68 km)
///   n0 ────────────────── n1
///   │西桥街 (1.1 km)       │东桥街 (1.1 km)
///  ~~~~~~~~~~~~~ river ~~~~~~~~~~~~~
///   │                     │
///   s0 ────────────────── s1  ZE        南岸路 s0–s1 (1.68 km)
///   │西连路                │东连路 (0.56 km each)
///   p0 ────────────────── p1            南平行街 p0–p1 (1.9 km: it bends)
///  ZS
/// ```
/// Zones: ZN at n0, ZS at p0, ZE at s1 (one connector each). Demand per hour: ZN ↔ ZS 600
/// each way (over 西桥街), ZS ↔ ZE 400 each way (over 南岸路).
fn town() -> (RoadNetwork, [NodeId; 6]) {
    let mut b = NetworkBuilder::new("test:study-town");
    let n0 = b.add_node(121.10, 41.110).unwrap();
    let n1 = b.add_node(121.12, 41.110).unwrap();
    let s0 = b.add_node(121.10, 41.100).unwrap();
    let s1 = b.add_node(121.12, 41.100).unwrap();
    let p0 = b.add_node(121.10, 41.095).unwrap();
    let p1 = b.add_node(121.12, 41.095).unwrap();
    let mut road = |a, z, zh: &str, en: &str, len: Option<f64>| {
        let st = b.add_street(en, zh, en);
        let mut spec = EdgeSpec::new(a, z, st, RoadClass::Secondary, "estimate:test");
        spec.length_m = len;
        spec.speed_kmh = Some(40.0);
        spec.lanes = Some(2);
        spec.capacity_vph = Some(1600.0);
        b.add_road(spec, false).unwrap();
    };
    road(n0, n1, "北岸路", "North Bank Road", None);
    road(s0, s1, "南岸路", "South Bank Road", None);
    road(s0, n0, "西桥街", "West Bridge Street", None);
    road(s1, n1, "东桥街", "East Bridge Street", None);
    road(s0, p0, "西连路", "West Link", None);
    road(s1, p1, "东连路", "East Link", None);
    road(p0, p1, "南平行街", "South Parallel Street", Some(1900.0));
    (b.build().unwrap(), [n0, n1, s0, s1, p0, p1])
}

fn zone(id: &str, lon: f64, lat: f64) -> Zone {
    Zone {
        id: id.into(),
        name_zh: id.into(),
        name_en: String::new(),
        district: "test".into(),
        lon,
        lat,
        population: 1000.0,
        jobs: 1000.0,
        source: "estimate:test".into(),
    }
}

fn work(id: &str, start: &str, end: &str, status: &str) -> Work {
    serde_json::from_value(json!({
        "id": id, "name_zh": format!("{id}工程"), "name_en": format!("{id} works"),
        "kind": "widening", "status": status, "status_source": "estimate:test",
        "planned": {"start": start, "end": end}, "dates_source": "estimate:test",
        "effects": [], "source": "estimate:test"
    }))
    .unwrap()
}

/// W1 closes 西桥街 (on site from April), W2 narrows 北岸路 in June–August 2022, W3 narrows
/// 南平行街 in 2023 (outside every window studied here).
fn inputs(net: &RoadNetwork, nodes: [NodeId; 6]) -> StudyInputs<'_> {
    let named = |zh: &str| jzplan::analysis::study::street_edges(net, zh);
    let mut resolved = HashMap::new();
    let eff = |action: Action, edges| ResolvedEffect {
        phase: Phase::Construction,
        action,
        edges,
        schedule: None,
    };
    resolved.insert(
        WorkId("W1".into()),
        vec![eff(Action::Close, named("西桥街"))],
    );
    resolved.insert(
        WorkId("W2".into()),
        vec![eff(Action::CutLanes { lanes: 1 }, named("北岸路"))],
    );
    resolved.insert(
        WorkId("W3".into()),
        vec![eff(Action::CutLanes { lanes: 1 }, named("南平行街"))],
    );
    let zones = vec![
        zone("ZN", 121.0995, 41.1105),
        zone("ZS", 121.0995, 41.0945),
        zone("ZE", 121.1205, 41.1005),
    ];
    let mut od = OdMatrix::new(3);
    for (o, t, v) in [(0, 1, 600.0), (1, 0, 600.0), (1, 2, 400.0), (2, 1, 400.0)] {
        od.set(o, t, v).unwrap();
    }
    StudyInputs {
        net,
        works: vec![
            work("W1", "2022-04-01", "2022-12-31", "under_construction"),
            work("W2", "2022-06-01", "2022-08-31", "design"),
            work("W3", "2023-04-01", "2023-06-30", "design"),
        ],
        resolved,
        // The calibrated periods of the day: the AM peak hour is 0.9 × the matrix above, the
        // PM peak its transpose (the same here: the matrix is symmetric), off-peak × 0.32.
        demand: Demand::new(
            zones,
            od,
            &JINZHOU_PERIODS,
            AssignOptions {
                target_gap: 1e-5,
                ..Default::default()
            },
            ConnectorOptions {
                per_zone: 1,
                speed_kmh: 20.0,
            },
        )
        .unwrap(),
        choke_points: vec![ChokePointRef {
            id: "C1".into(),
            name_zh: "北岸路与东桥街交叉口".into(),
            name_en: "North Bank Road / East Bridge Street".into(),
            node: Some(nodes[1]),
        }],
        works_version: 1,
    }
}

fn street(name: &str) -> ClosureSpec {
    ClosureSpec {
        street: Some(name.into()),
        ..Default::default()
    }
}

fn request(closures: Vec<ClosureSpec>) -> StudyRequest {
    StudyRequest {
        closures,
        window: DateRange::new(d("2022-05-01"), d("2022-10-31")).unwrap(),
        hours: None,
        flow_threshold_vph: None,
    }
}

#[test]
fn closing_the_west_bridge_sends_its_traffic_over_the_site_of_the_north_bank_works() {
    let (net, nodes) = town();
    let inp = inputs(&net, nodes);
    let s = run_study(&inp, &request(vec![street("西桥街")])).unwrap();
    // Baseline: the day before the window, named in the output.
    assert_eq!(s.baseline.date, d("2022-04-30"));
    assert_eq!(s.baseline.name, "network of 2022-04-30");
    // W1 also closes 西桥街 and is on site on 2022-04-30: it is in the baseline.
    assert_eq!(s.baseline.works_on_site, [WorkId("W1".into())]);
    // With W1 already closing the bridge in the baseline the street closure changes nothing:
    // the study says so instead of inventing a detour.
    assert!(s.detours.is_empty(), "{:?}", s.detours);
    assert!(s.periods.iter().all(|p| p.delta_vht.abs() < 1e-6));

    // Studying W1 itself takes its site out of the baseline.
    let w1 = ClosureSpec {
        work: Some("W1".into()),
        ..Default::default()
    };
    let s = run_study(&inp, &request(vec![w1])).unwrap();
    assert_eq!(s.baseline.name, "network of 2022-04-30 without W1");
    assert!(s.baseline.works_on_site.is_empty());
    // Two directions round the bridge, both over the east bridge and the north bank road:
    // s0 → s1 → n1 → n0 = 1.68 + 1.11 + 1.68 km instead of 1.11 km.
    assert_eq!(s.detours.len(), 2, "{:?}", s.detours);
    for dt in &s.detours {
        assert_eq!(dt.outcome, Outcome::Detour);
        assert!(dt.via.contains(&"北岸路".to_string()), "{:?}", dt.via);
        assert!(dt.via.contains(&"东桥街".to_string()), "{:?}", dt.via);
        let extra_km = dt.extra_m.unwrap() / 1000.0;
        assert!((extra_km - 3.36).abs() < 0.05, "{extra_km}");
    }
    // The 540 + 540 veh/h of ZN ↔ ZS in the AM peak hour (0.9 × 600, the headline period)
    // move onto 北岸路, east bridge and 南岸路.
    assert_eq!(s.headline_period, "am_peak");
    let north: Vec<_> = s.streets.iter().filter(|c| c.name_zh == "北岸路").collect();
    assert_eq!(north.len(), 2, "both directions of 北岸路: {:?}", s.streets);
    for c in &north {
        assert!((c.delta_vph - 540.0).abs() < 1.0, "{c:?}");
    }
    let mut dirs: Vec<&str> = north.iter().map(|c| c.direction.as_str()).collect();
    dirs.sort();
    assert_eq!(dirs, ["eastbound", "westbound"]);
    let bridge = s.streets.iter().find(|c| c.name_zh == "西桥街").unwrap();
    assert!((bridge.delta_vph + 540.0).abs() < 1.0);
    // The choke point at the east bridge's north end takes the diverted traffic.
    assert_eq!(s.choke_points[0].id, "C1");
    assert!(s.choke_points[0].delta_vc.unwrap() > 0.3);
    // W2 narrows 北岸路 from June: on the detour and +540 veh/h on its site -> a conflict.
    // W3 narrows 南平行街 but only in 2023: no conflict.
    assert_eq!(s.conflicts.len(), 1, "{:?}", s.conflicts);
    let c = &s.conflicts[0];
    assert_eq!(c.work.as_str(), "W2");
    assert!((c.delta_vph - 540.0).abs() < 1.0, "{c:?}");
    assert_eq!(c.on_detours.len(), 2);
    assert_eq!(
        c.overlap,
        DateRange::new(d("2022-06-01"), d("2022-08-31")).unwrap()
    );
    assert!(
        c.summary
            .contains("narrows (1 lane per direction taken) 北岸路"),
        "{}",
        c.summary
    );
    assert!(
        c.summary.contains("takes +540 veh/h diverted from W1"),
        "{}",
        c.summary
    );
    // Trips ZN ↔ ZS lose most (the detour); ZS ↔ ZE lose a little (南岸路 is busier). Nobody
    // is cut off.
    assert_eq!(s.od_pairs_cut, 0);
    let pairs: Vec<(&str, &str)> = s
        .od_pairs
        .iter()
        .map(|p| (p.origin.as_str(), p.destination.as_str()))
        .collect();
    assert_eq!(pairs.len(), 4, "{pairs:?}");
    assert!(pairs[..2].contains(&("ZN", "ZS")) && pairs[..2].contains(&("ZS", "ZN")));
    assert!(s.od_pairs[0].delta_s.unwrap() > 200.0 && s.od_pairs[3].delta_s.unwrap() < 60.0);
    // Over the window (2022-05-01 … 10-31: 131 weekdays, 53 weekend days): Σ periods ΔVHT
    // per hour × the period's hours (weekday: AM 2, PM 2, off-peak 20; weekend: off-peak 24).
    let w = &s.window_totals;
    assert_eq!((w.weekdays, w.weekend_days, w.days), (131, 53, 184));
    let by_id = |id: &str| s.periods.iter().find(|p| p.period.id == id).unwrap();
    let (am, pm, off) = (by_id("am_peak"), by_id("pm_peak"), by_id("off_peak"));
    assert_eq!(
        [am.hours_in_force, pm.hours_in_force, off.hours_in_force],
        [2, 2, 20]
    );
    assert_eq!(
        [
            am.weekend_hours_in_force,
            pm.weekend_hours_in_force,
            off.weekend_hours_in_force
        ],
        [0, 0, 24]
    );
    assert_eq!(
        [
            am.period.demand_factor,
            pm.period.demand_factor,
            off.period.demand_factor
        ],
        [0.9, 0.9, 0.32]
    );
    let by_hand = (2.0 * am.delta_vht + 2.0 * pm.delta_vht + 20.0 * off.delta_vht) * 131.0
        + 24.0 * off.delta_vht * 53.0;
    assert!((w.delta_vht - by_hand).abs() < 1e-6 * by_hand.abs().max(1.0));
    assert!(w.delta_vht > 0.0);
    // The factors used are stated in the totals, the method and the source.
    assert_eq!(w.factors.len(), 3);
    assert!(w.factors[0].starts_with("am_peak ×0.90"), "{:?}", w.factors);
    assert!(w.method.contains("×0.32"), "{}", w.method);
    assert!(s.method.contains("×0.90") && s.source.contains("off_peak ×0.32"));
    // A symmetric matrix makes the PM peak the AM peak.
    assert_eq!(am.delta_vht, pm.delta_vht);
    // Night works cost less than all-day works: only the night period's hours remain.
    let m = &s.mitigation;
    assert!(m.night_saving_vht > 0.0 && m.night_delta_vht < s.window_totals.delta_vht);
    assert_eq!(m.starts.len(), 12);
    assert_eq!(m.starts[0].window, s.request.window);
}

#[test]
fn closing_the_south_bank_road_detours_over_the_parallel_street_and_misses_the_north_works() {
    let (net, nodes) = town();
    let inp = inputs(&net, nodes);
    let s = run_study(&inp, &request(vec![street("South Bank Road")])).unwrap();
    assert_eq!(s.detours.len(), 2);
    let mut vias: Vec<Vec<String>> = s.detours.iter().map(|dt| dt.via.clone()).collect();
    vias.sort();
    let way = |v: [&str; 3]| v.map(String::from).to_vec();
    assert_eq!(
        vias,
        [
            way(["东连路", "南平行街", "西连路"]),
            way(["西连路", "南平行街", "东连路"])
        ]
    );
    // ZS ↔ ZE (400 veh/h each way) take 南平行街; nothing lands on 北岸路: W2 is no conflict,
    // W3's site on 南平行街 gains traffic but is not on site in 2022.
    assert!(s.conflicts.is_empty(), "{:?}", s.conflicts);
    let parallel = s.streets.iter().filter(|c| c.name_zh == "南平行街").count();
    assert_eq!(parallel, 2);
    assert!(!s.streets.iter().any(|c| c.name_zh == "北岸路"));
}

#[test]
fn a_stretch_a_direction_lanes_and_night_hours_are_what_is_closed() {
    let (net, nodes) = town();
    let inp = inputs(&net, nodes);
    // One direction of 南岸路, west to east: only the eastbound edge closes.
    let spec = ClosureSpec {
        street: Some("南岸路".into()),
        from: Some([121.1001, 41.1001]),
        to: Some([121.1199, 41.0999]),
        direction: Direction::Forward,
        ..Default::default()
    };
    let mut req = request(vec![spec]);
    req.hours = Some("22-06".into());
    let s = run_study(&inp, &req).unwrap();
    assert_eq!(s.closures[0].edges.len(), 1);
    assert_eq!(s.detours.len(), 1, "one direction closed: {:?}", s.detours);
    assert_eq!(s.hours, DailyHours { start: 22, end: 6 });
    // Closed 22–06: 8 hours of every day, all of them off-peak.
    let hours: Vec<(&str, usize, usize)> = s
        .periods
        .iter()
        .map(|p| (p.period.id, p.hours_in_force, p.weekend_hours_in_force))
        .collect();
    assert_eq!(
        hours,
        [("am_peak", 0, 0), ("pm_peak", 0, 0), ("off_peak", 8, 8)]
    );
    assert_eq!(s.headline_period, "off_peak");
    // Periods the closure never touches cost nothing.
    assert!(s.periods[..2].iter().all(|p| p.delta_vht == 0.0));
    // One lane of two: narrowed, not closed, no detour.
    let spec = ClosureSpec {
        street: Some("南岸路".into()),
        lanes: Some(Lanes::Count(1)),
        ..Default::default()
    };
    let s = run_study(&inp, &request(vec![spec])).unwrap();
    assert!(s.detours.is_empty());
    assert!(s.closures[0].what.starts_with("1 lane per direction taken"));
}

#[test]
fn bad_input_is_a_clear_error_with_a_stable_code() {
    let (net, nodes) = town();
    let inp = inputs(&net, nodes);
    let code = |req: StudyRequest| run_study(&inp, &req).unwrap_err().code();
    assert_eq!(code(request(vec![street("人民街")])), "NotFound");
    let unknown_work = ClosureSpec {
        work: Some("P99".into()),
        ..Default::default()
    };
    assert_eq!(code(request(vec![unknown_work])), "NotFound");
    let off = ClosureSpec {
        street: Some("南岸路".into()),
        from: Some([121.10, 41.100]),
        to: Some([121.20, 41.200]),
        ..Default::default()
    };
    assert_eq!(code(request(vec![off])), "NoSegment");
    let mut backwards = request(vec![street("南岸路")]);
    backwards.window = DateRange {
        start: d("2022-10-31"),
        end: d("2022-05-01"),
    };
    let e = run_study(&inp, &backwards).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidInput(m) if m.contains("before")),
        "{e}"
    );
    for bad in ["25-06", "22", "22:30-06", "ab-cd", "06-06"] {
        let mut r = request(vec![street("南岸路")]);
        r.hours = Some(bad.into());
        assert_eq!(code(r), "InvalidInput", "{bad}");
    }
    assert_eq!(code(request(vec![])), "InvalidInput");
}

/// Scenarios as periods: a stored scenario has a window; records with only a date read as
/// the one-day window; an override that changes nothing in the window is a warning; "closed
/// but not finished" keeps a work's site past its end and its completion away.
#[test]
fn scenarios_have_windows_and_say_when_an_override_does_nothing() {
    let works = vec![
        work("W1", "2022-04-01", "2022-12-31", "under_construction"),
        work("W2", "2022-06-01", "2022-08-31", "design"),
        work("W3", "2023-04-01", "2023-06-30", "design"),
    ];
    // A record written before scenarios had windows.
    let old: Scenario =
        serde_json::from_value(json!({"id": "late", "name": "P1 late", "date": "2022-06-01"}))
            .unwrap();
    assert_eq!(old.window, None);
    assert_eq!(
        old.period(),
        DateRange::new(d("2022-06-01"), d("2022-06-01")).unwrap()
    );
    // A window without a date is evaluated on its first day; neither is an error; a date
    // outside the window is refused.
    let summer = json!({"start": "2022-05-01", "end": "2022-10-31"});
    let s: Scenario =
        serde_json::from_value(json!({"id": "summer", "window": summer.clone()})).unwrap();
    assert_eq!(s.date, d("2022-05-01"));
    assert!(s.validate().is_ok());
    assert!(serde_json::from_value::<Scenario>(json!({"id": "none"})).is_err());
    let outside: Scenario = serde_json::from_value(
        json!({"id": "out", "date": "2023-01-01", "window": summer.clone()}),
    )
    .unwrap();
    assert_eq!(outside.validate().unwrap_err().code(), "InvalidInput");

    // Over May–October 2022: suspending W3 (2023) and keeping W1's site until mid-2023 (it is
    // on site all window long anyway) change nothing: two warnings. Moving W2 changes its days
    // on site: no warning.
    let s: Scenario = serde_json::from_value(json!({
        "id": "summer", "window": summer,
        "overrides": [
            {"work": "W3", "status": "suspended"},
            {"work": "W1", "closed_until": "2023-06-30"},
            {"work": "W2", "window": {"start": "2022-07-01", "end": "2022-09-30"}},
        ]
    }))
    .unwrap();
    let warnings = s.warnings(&works).unwrap();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("W3") && warnings[0].contains("not started"));
    assert!(warnings[1].contains("W1") && warnings[1].contains("on site"));
    assert!(warnings[1].contains("from 2022-05-01 to 2022-10-31"));

    // Over the winter the same "closed but not finished" does something: W1 would be done on
    // 2023-01-01, with the override it is still on site in February and not completed.
    let winter: Scenario = serde_json::from_value(json!({
        "id": "winter",
        "window": {"start": "2022-12-01", "end": "2023-03-31"},
        "date": "2023-02-01",
        "overrides": [{"work": "W1", "closed_until": "2023-06-30"}],
    }))
    .unwrap();
    assert!(winter.warnings(&works).unwrap().is_empty());
    let (net, nodes) = town();
    let inp = inputs(&net, nodes);
    let plain = NetworkState::on_date(&net, &works, &inp.resolved, winter.date);
    assert!(plain.active.completed.contains(&WorkId("W1".into())));
    assert!(plain.active.construction.is_empty());
    let changed = winter.apply(&works).unwrap();
    let w1 = changed.iter().find(|w| w.id.as_str() == "W1").unwrap();
    assert_eq!(w1.window().start, d("2022-04-01"));
    assert_eq!(w1.window().end, d("2023-06-30"));
    let st = NetworkState::on_date(&net, &changed, &inp.resolved, winter.date);
    assert_eq!(st.active.construction, [WorkId("W1".into())]);
    assert_eq!(st.active.completed, [WorkId("W2".into())]);
    // An override of a work that does not exist.
    let ghost: Scenario = serde_json::from_value(
        json!({"id": "g", "date": "2022-06-01", "overrides": [{"work": "W9", "status": "suspended"}]}),
    )
    .unwrap();
    assert_eq!(ghost.warnings(&works).unwrap_err().code(), "NotFound");
}

mod jinzhou {
    use super::super::api::{assert_problem, get, jinzhou_state_with, send};
    use super::super::common::jzplan_bin;
    use axum::body::Body;
    use axum::http::{Request, header};
    use jzplan::api::{self, ApiConfig};
    use serde_json::Value;
    use std::time::Duration;

    const P1: &str = r#"{"closures":[{"work":"P1"}],
        "window":{"start":"2022-05-01","end":"2022-10-31"}}"#;

    async fn post(app: &axum::Router, body: &str) -> super::super::api::Resp {
        send(
            app,
            Request::post("/api/v1/studies")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    fn streets_gaining(s: &Value) -> Vec<String> {
        s["streets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["delta_vph"].as_f64().unwrap() > 0.0)
            .map(|c| c["name_zh"].as_str().unwrap().to_string())
            .collect()
    }

    fn conflict_works(s: &Value) -> Vec<String> {
        s["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["work"].as_str().unwrap().to_string())
            .collect()
    }

    /// The P1 closure (Jinzhou Street bridge site) from May to October 2022, once through the
    /// CLI and once through the API: the same numbers; the diversion onto Shiying Street and
    /// Jiefang Road, and the works on those streets named as conflicts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_p1_study_names_the_streets_it_diverts_to_and_the_works_on_them() {
        let dir = tempfile::tempdir().unwrap();
        let cli = std::process::Command::new(jzplan_bin())
            .arg("--db")
            .arg(dir.path().join("cli.db"))
            .args([
                "study",
                "--work",
                "P1",
                "--window",
                "2022-05-01..2022-10-31",
            ])
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(
            cli.status.success(),
            "{}",
            String::from_utf8_lossy(&cli.stderr)
        );
        let c: Value = serde_json::from_slice(&cli.stdout).unwrap();

        let state = jinzhou_state_with(
            dir.path(),
            ApiConfig {
                request_timeout: Duration::from_secs(600),
                ..ApiConfig::default()
            },
        );
        let cache = state.studies.clone();
        let app = api::app_with_state(state);
        let r = post(&app, P1).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.text());
        let a = r.json();
        let loc = r.headers[header::LOCATION].to_str().unwrap().to_string();
        assert_eq!(
            loc,
            format!("/api/v1/studies/{}", a["id"].as_str().unwrap())
        );

        // The same input on the same works: the same study, number for number.
        assert_eq!(a["id"], c["id"]);
        for key in [
            "baseline",
            "detours",
            "periods",
            "streets",
            "choke_points",
            "od_pairs",
        ] {
            assert_eq!(a[key], c[key], "{key}");
        }
        for key in ["window_totals", "conflicts", "mitigation"] {
            assert_eq!(a[key], c[key], "{key}");
        }
        assert_eq!(a["baseline"]["name"], "network of 2022-04-30 without P1");

        // Where the traffic goes: Shiying Street first, Jiefang Road among the gaining
        // streets; Jinzhou Street itself loses.
        let gaining = streets_gaining(&a);
        assert_eq!(gaining[0], "士英街", "{gaining:?}");
        assert!(
            gaining.iter().take(12).any(|s| s == "解放路"),
            "{gaining:?}"
        );
        let jinzhou: Vec<&Value> = a["streets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["name_zh"] == "锦州街")
            .collect();
        assert!(
            jinzhou
                .iter()
                .all(|s| s["delta_vph"].as_f64().unwrap() < 0.0)
        );
        // The detour round the bridge runs over Shiying Street.
        assert!(
            a["detours"].as_array().unwrap().iter().any(|d| d["via"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == "士英街"))
        );
        // The works on those streets in the window are named, with the diverted flow.
        let works = conflict_works(&a);
        // (P8-03 and P8-08 renew the pipes under Shiying Street and Jiefang Road.)
        for w in ["P8-03", "P8-08"] {
            assert!(works.iter().any(|x| x == w), "{w} missing from {works:?}");
        }
        let p803 = a["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["work"] == "P8-03")
            .unwrap();
        assert!(p803["delta_vph"].as_f64().unwrap() > 100.0, "{p803}");
        assert!(
            p803["summary"]
                .as_str()
                .unwrap()
                .contains("diverted from P1"),
            "{p803}"
        );
        assert_eq!(a["choke_points"].as_array().unwrap().len(), 15);

        // Read back, as JSON, a page and map features; asked again, the cache answers.
        let g = get(&app, &loc).await;
        assert_eq!(g.status.as_u16(), 200);
        assert_eq!(g.json()["window_totals"], a["window_totals"]);
        let again = post(&app, P1).await;
        assert_eq!(again.status.as_u16(), 201);
        assert_eq!(again.json()["id"], a["id"]);
        assert_eq!(cache.len(), 1);
        let html = get(&app, &format!("{loc}/report.html")).await.text();
        assert!(html.contains("<svg") && html.contains("Noto Sans CJK SC"));
        assert!(html.contains("士英街"));
        let fc = get(&app, &format!("{loc}/map.geojson")).await.json();
        let layers: std::collections::BTreeSet<&str> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["layer"].as_str().unwrap())
            .collect();
        for l in [
            "closure",
            "detour",
            "flow_difference",
            "choke_point",
            "conflict",
        ] {
            assert!(layers.contains(l), "{l}: {layers:?}");
        }

        // Bad input: a stable code each, and nothing kept.
        let bad = [
            (
                r#"{"closures":[{"street":"不存在街"}],"window":{"start":"2022-05-01","end":"2022-10-31"}}"#,
                404,
                "NotFound",
            ),
            (
                r#"{"closures":[{"work":"P99"}],"window":{"start":"2022-05-01","end":"2022-10-31"}}"#,
                404,
                "NotFound",
            ),
            (
                r#"{"closures":[{"street":"锦州街","from":[121.0,40.5],"to":[121.1,40.5]}],"window":{"start":"2022-05-01","end":"2022-10-31"}}"#,
                422,
                "NoSegment",
            ),
            (
                r#"{"closures":[{"street":"锦州街"}],"window":{"start":"2022-10-31","end":"2022-05-01"}}"#,
                400,
                "InvalidInput",
            ),
            (
                r#"{"closures":[{"street":"锦州街"}],"window":{"start":"2022-05-01","end":"2022-10-31"},"hours":"25-06"}"#,
                400,
                "InvalidInput",
            ),
            (
                r#"{"closures":[{"street":"锦州街","colour":"red"}],"window":{"start":"2022-05-01","end":"2022-10-31"}}"#,
                400,
                "InvalidInput",
            ),
        ];
        for (body, status, code) in bad {
            assert_problem(&post(&app, body).await, status, code);
        }
        assert_eq!(cache.len(), 1);
        assert_problem(
            &get(&app, "/api/v1/studies/0123456789abcdef").await,
            404,
            "NotFound",
        );
        let spec = get(&app, "/openapi.json").await.json();
        assert!(spec["paths"]["/api/v1/studies"]["post"].is_object());
        assert!(spec["paths"]["/api/v1/studies/{id}"]["get"].is_object());
    }

    #[test]
    fn the_cli_refuses_bad_input_before_touching_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("none.db");
        for (args, code) in [
            (
                vec!["--close", "锦州街", "--window", "2022-10-31..2022-05-01"],
                3,
            ),
            (
                vec![
                    "--close",
                    "锦州街",
                    "--window",
                    "2022-05-01..2022-10-31",
                    "--hours",
                    "22:30-6",
                ],
                3,
            ),
            (vec!["--close", "锦州街", "--window", "May..October"], 3),
            // The dialect's window syntax, but a study needs both ends.
            (vec!["--close", "锦州街", "--window", "2022-05-01.."], 3),
            (
                vec!["--close", "锦州街", "--window", "2022-02-30..2022-05-01"],
                3,
            ),
        ] {
            let out = std::process::Command::new(jzplan_bin())
                .arg("--db")
                .arg(&db)
                .arg("study")
                .args(&args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(code), "{args:?}");
            assert!(String::from_utf8_lossy(&out.stderr).contains("error[InvalidInput]"));
        }
        assert!(!db.exists(), "a refused study stores nothing");
    }
}
