//! Fuzzing on the stable toolchain: every parser of outside data gets arbitrary bytes and
//! structured mutations of a valid input (bytes flipped, inserted, deleted; lines dropped or
//! repeated; numbers and separators swapped for hostile ones; a truncated end) and must answer
//! `Ok` or an error — never panic. The HTTP query-string parsers get the same through the
//! server, which must never answer 5xx.
//!
//! Each target runs `JZPLAN_FUZZ_CASES` inputs (default 128, a few seconds in a debug build);
//! `JZPLAN_FUZZ_CASES=20000 cargo test --release --test it fuzz::` fuzzes for longer. A crash
//! found is kept below as a regression case with the input that caused it.

use super::api::test_app;
use axum::body::Body;
use axum::http::Request;
use jzplan::assignment::{AssignNetwork, OdMatrix};
use jzplan::io::tntp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use std::path::Path;
use tower::ServiceExt;

fn cases() -> u32 {
    std::env::var("JZPLAN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

/// Values that break careless parsers.
const HOSTILE: &[&str] = &[
    "",
    "0",
    "-0",
    "-1",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "-1e309",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999",
    "0.0000000001",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    ",",
    ";",
    ":",
    "\n",
    "\r\n",
    "\t",
    "~",
    "<",
    ">",
    "..",
    "%",
    "%zz",
    "%E4",
    "中",
    "é",
    "\u{0}",
    "\u{feff}",
    "null",
    "true",
    "{}",
    "[]",
    "2022-02-30",
    "9999-99-99",
];

/// One edit of a valid input.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Hostile(usize, usize),
    DropLine(usize),
    RepeatLine(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 0..HOSTILE.len()).prop_map(|(i, h)| Mutation::Hostile(i, h)),
        any::<usize>().prop_map(Mutation::DropLine),
        any::<usize>().prop_map(Mutation::RepeatLine),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Replaces the token (run of non-separators) around `at` with `with`.
fn replace_token(b: &mut Vec<u8>, at: usize, with: &[u8]) {
    let sep = |c: u8| c.is_ascii_whitespace() || b",;:{}[]\"".contains(&c);
    let mut s = at;
    while s > 0 && !sep(b[s - 1]) {
        s -= 1;
    }
    let mut e = at;
    while e < b.len() && !sep(b[e]) {
        e += 1;
    }
    b.splice(s..e, with.iter().copied());
}

fn line_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for (i, c) in b.iter().enumerate() {
        if *c == b'\n' {
            out.push((s, i + 1));
            s = i + 1;
        }
    }
    if s < b.len() {
        out.push((s, b.len()));
    }
    out
}

fn apply(seed: &[u8], ms: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in ms {
        let n = b.len();
        match m {
            Mutation::Flip(i, x) if n > 0 => b[i % n] ^= x | 1,
            Mutation::Insert(i, x) => {
                let at = i % (n + 1);
                b.splice(at..at, x.iter().copied());
            }
            Mutation::Delete(i, k) if n > 0 => {
                let at = i % n;
                b.drain(at..(at + k).min(n));
            }
            Mutation::Hostile(i, h) if n > 0 => {
                replace_token(&mut b, i % n, HOSTILE[*h].as_bytes())
            }
            Mutation::DropLine(i) | Mutation::RepeatLine(i) => {
                let lines = line_spans(&b);
                if lines.is_empty() {
                    continue;
                }
                let (s, e) = lines[i % lines.len()];
                if matches!(m, Mutation::DropLine(_)) {
                    b.drain(s..e);
                } else {
                    let line = b[s..e].to_vec();
                    b.splice(e..e, line);
                }
            }
            Mutation::Truncate(i) => b.truncate(i % (n + 1)),
            _ => {}
        }
    }
    b
}

/// Arbitrary bytes, or a valid `seed` with a few mutations.
fn input(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..512),
        4 => proptest::collection::vec(mutation(), 1..6).prop_map(move |ms| apply(&seed, &ms)),
    ]
}

/// Runs `check` on `cases()` inputs made from `seed`; a panic fails with the smallest input
/// proptest finds.
fn fuzz(seed: impl Into<Vec<u8>>, check: impl Fn(&[u8])) {
    let seed = seed.into();
    check(&seed);
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&input(seed), |b| {
            check(&b);
            Ok(())
        })
        .unwrap();
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const NET: &str = "<NUMBER OF ZONES> 2\n<NUMBER OF NODES> 3\n<FIRST THRU NODE> 1\n\
<NUMBER OF LINKS> 3\n<END OF METADATA>\n\n\
~ init term cap len fft b power speed toll type ;\n\
\t1\t2\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n\
\t2\t3\t100\t1\t1\t0.15\t4\t0\t0\t1\t;\n\
\t3\t1\t100\t1\t2\t0.15\t4\t0\t0\t1\t;\n";

const TRIPS: &str = "<NUMBER OF ZONES> 2\n<TOTAL OD FLOW> 30.0\n<END OF METADATA>\n\n\
Origin 1\n    1 :      0.0;    2 :     10.0;\n\nOrigin 2\n    1 :     20.0;    2 :      0.0;\n";

const FLOW: &str = "From \tTo \tVolume \tCost\n1\t2\t10.5\t1.2\n2\t3\t4\t1.0\n3\t1\t0\t2\n";

const NODES: &str =
    "Node\tX\tY\t;\n1\t-96.77\t43.61\t;\n2\t-96.71\t43.60\t;\n3\t-96.70\t43.59\t;\n";

#[test]
fn fuzz_tntp_net_and_its_assignment_network() {
    fuzz(NET, |b| {
        if let Ok(n) = tntp::parse_net(Path::new("fuzz_net.tntp"), &text(b)) {
            let _ = AssignNetwork::from_tntp(&n);
        }
    });
}

#[test]
fn fuzz_tntp_trips_and_their_matrix() {
    fuzz(TRIPS, |b| {
        if let Ok(t) = tntp::parse_trips(Path::new("fuzz_trips.tntp"), &text(b)) {
            let _ = OdMatrix::from_tntp(&t);
        }
    });
}

#[test]
fn fuzz_tntp_flow_and_nodes() {
    fuzz(FLOW, |b| {
        let _ = tntp::parse_flow(Path::new("fuzz_flow.tntp"), &text(b));
    });
    fuzz(NODES, |b| {
        let _ = tntp::parse_nodes(Path::new("fuzz_node.tntp"), &text(b));
    });
}

#[test]
fn fuzz_csv_od_matrix() {
    let zones: Vec<String> = ["A", "B", "中"].iter().map(|s| s.to_string()).collect();
    fuzz(
        "origin,destination,trips\nA,B,10\nB,A,2.5\n中,A,0\nA,B,1\n",
        |b| {
            let _ = OdMatrix::parse_csv(Path::new("fuzz_od.csv"), b, &zones);
        },
    );
}

#[test]
fn fuzz_network_geojson() {
    let seed = jzplan::io::geojson::network_to_geojson(&super::api::grid());
    fuzz(seed, |b| {
        let _ = jzplan::io::geojson::parse_network(&text(b), Path::new("fuzz.geojson"));
    });
}

#[test]
fn fuzz_network_jzn() {
    let seed = jzplan::io::jzn::to_bytes(&super::api::grid());
    fuzz(seed, |b| {
        let _ = jzplan::io::jzn::from_bytes(b, Path::new("fuzz.jzn"));
    });
}

#[test]
fn fuzz_works_catalogue_and_records() {
    let seed = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/jinzhou/works.p4.json"
    ))
    .unwrap();
    fuzz(seed, |b| {
        let _ = jzplan::works::catalogue::Catalogue::parse(&text(b), "fuzz.json");
    });
    // One work as a record (what POST /api/v1/works and `works create` read), mutated as
    // bytes and as JSON values.
    let record = json!({
        "id": "N1", "name_zh": "主街夜间施工", "name_en": "Main Street night works",
        "kind": "pipe_renewal", "status": "design", "status_source": "estimate:test",
        "dates_source": "estimate:test", "source": "estimate:test", "promoter": "water",
        "planned": {"start": "2027-04-01", "end": "2027-04-30"},
        "geometry": {"type": "LineString", "coordinates": [[121.10, 41.10], [121.12, 41.10]]},
        "effects": [
            {"phase": "construction", "action": {"kind": "close"},
             "target": {"type": "street", "streets": ["东西路0"], "from": [121.10, 41.10],
                        "to": [121.12, 41.10], "radius_m": 50},
             "schedule": {"hours": "22:00-06:00", "weekdays": ["mon", "fri"]}},
            {"phase": "construction", "action": {"kind": "set_speed", "speed_kmh": 30.0},
             "target": {"type": "edges", "edges": [0, 1]}}
        ]
    });
    let check = |v: &serde_json::Value| {
        use jzplan::works::validate::{
            RecordRules, check_known_fields, check_record, deserialize_work, fill_defaults,
        };
        let mut v = v.clone();
        let _ = check_known_fields(&v);
        let today = jzplan::layers::parse_day("2026-12-06").unwrap();
        fill_defaults(&mut v, "fuzz", today);
        if let Ok(w) = deserialize_work(v) {
            let rules = RecordRules {
                submitted: true,
                today,
            };
            let _ = check_record(&w, rules);
        }
    };
    fuzz(serde_json::to_vec(&record).unwrap(), |b| {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
            check(&v);
        }
    });
    fuzz_json(record, check);
}

/// JSON values that break careless readers.
fn hostile_json() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(json!(null)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e308)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!("")),
        Just(json!("x")),
        Just(json!("2022-02-30T00:00:00Z")),
        Just(json!([])),
        Just(json!({})),
        Just(json!([500.0, 41.0])),
        Just(json!([[121.1, 41.1]])),
        Just(json!([[121.1, 41.1], [121.1, 41.1]])),
        Just(json!({"type": "Point", "coordinates": []})),
        Just(json!(true)),
    ]
}

/// Every JSON pointer into `v` (containers and leaves).
fn pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

/// Runs `check` on `cases()` copies of a valid JSON `seed` with a few members replaced by
/// hostile values (structured mutations: the document stays JSON, the content does not).
fn fuzz_json(seed: serde_json::Value, check: impl Fn(&serde_json::Value)) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = proptest::collection::vec((any::<usize>(), hostile_json()), 1..5);
    runner
        .run(&strategy, |ms| {
            let mut v = seed.clone();
            for (i, h) in ms {
                let mut ps = Vec::new();
                pointers(&v, String::new(), &mut ps);
                if ps.is_empty() {
                    break;
                }
                if let Some(slot) = v.pointer_mut(&ps[i % ps.len()]) {
                    *slot = h;
                }
            }
            check(&v);
            Ok(())
        })
        .unwrap();
}

/// The WZDx importer (`works import --wzdx`), when the WZDx 4.2 examples are beside the
/// repository (as the feed tests need them): each official example as a seed, mutated as
/// bytes and as JSON values, read onto the Jinzhou network.
#[test]
fn fuzz_wzdx_import() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/standards/wzdx-4.2/examples");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
            "SKIPPED: the WZDx 4.2 examples are not at {}",
            dir.display()
        );
        return;
    };
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    let today = jzplan::layers::parse_day("2026-12-06").unwrap();
    let mut seeds: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    seeds.sort();
    for p in seeds
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "geojson"))
    {
        let bytes = std::fs::read(p).unwrap();
        let read = |v: &serde_json::Value| {
            let _ = jzplan::feeds::wzdx_import::read(v, &net, today);
        };
        fuzz(bytes.clone(), |b| {
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(b) {
                read(&v);
            }
        });
        fuzz_json(serde_json::from_slice(&bytes).unwrap(), read);
    }
}

#[test]
fn fuzz_osm_pbf() {
    let nodes = [(1, 121.10, 41.10), (2, 121.11, 41.10), (3, 121.11, 41.11)];
    let ways: Vec<super::io::pbf::WaySpec<'_>> = vec![
        (
            10,
            vec![1, 2, 3],
            vec![("highway", "primary"), ("name", "解放路")],
        ),
        (
            11,
            vec![3, 1],
            vec![("highway", "residential"), ("oneway", "yes")],
        ),
    ];
    let seed = super::io::pbf::write(&nodes, &ways);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fuzz.osm.pbf");
    let opts = jzplan::io::osm::OsmOptions::default();
    // Raw bytes: framing, compression, protobuf.
    fuzz(seed, |b| {
        std::fs::write(&path, b).unwrap();
        let _ = jzplan::io::osm::read_osm_pbf(&path, &opts);
    });
    // Valid files with hostile content: coordinates out of range, refs to missing nodes,
    // repeated and degenerate ways, odd tags.
    let coord = prop_oneof![
        -200.0f64..200.0,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(121.1),
    ];
    let tags = prop_oneof![
        Just(("highway", "primary")),
        Just(("highway", "unknown")),
        Just(("oneway", "-1")),
        Just(("maxspeed", "NaN mph")),
        Just(("lanes", "99999999999")),
        Just(("name", "")),
    ];
    let strategy = (
        proptest::collection::vec((0i64..6, coord.clone(), coord), 0..6),
        proptest::collection::vec(
            (
                0i64..4,
                proptest::collection::vec(-1i64..7, 0..6),
                proptest::collection::vec(tags, 0..4),
            ),
            0..4,
        ),
    );
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(nodes, ways)| {
            std::fs::write(&path, super::io::pbf::write(&nodes, &ways)).unwrap();
            let _ = jzplan::io::osm::read_osm_pbf(&path, &opts);
            Ok(())
        })
        .unwrap();
}

/// Found by `fuzz_osm_pbf`: a node at longitude ∞ (stored as the largest nanodegree value)
/// overflowed the decoder's coordinate arithmetic — a panic; now an `InvalidFile` error.
#[test]
fn regression_pbf_node_coordinate_overflow_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("overflow.osm.pbf");
    std::fs::write(
        &path,
        super::io::pbf::write(&[(0, f64::INFINITY, 0.0)], &[]),
    )
    .unwrap();
    let r = jzplan::io::osm::read_osm_pbf(&path, &Default::default());
    if cfg!(debug_assertions) {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "InvalidFile", "{e}");
    } else {
        // Release builds wrap instead of panicking; the file has no road either way.
        assert!(r.is_err());
    }
}

#[test]
fn fuzz_query_value_parsers() {
    use jzplan::api::osrm::{decode_polyline, parse_coordinates};
    fuzz("121.1,41.1;121.12,41.11.json", |b| {
        let s = text(b);
        let _ = parse_coordinates(&s);
        let _ = decode_polyline(&s, 5);
        let _ = decode_polyline(&s, 6);
        let _ = jzplan::api::ogc::parse_bbox(&s);
        let _ = jzplan::layers::parse_day(&s);
        let _ = jzplan::layers::DateInterval::parse_ogc(&s);
        let _ = jzplan::network::geom::parse_lon_lat(&s);
    });
    fuzz(
        "bbox=121,41,122,42&limit=5&offset=2&datetime=2022-01-01/..&class=primary",
        |b| {
            let pairs: Vec<(String, String)> = text(b)
                .split('&')
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (k.to_string(), v.to_string())
                })
                .collect();
            let _ = jzplan::api::ogc::parse_items(pairs);
        },
    );
}

/// Percent-encodes what a URI cannot hold, keeping `&`, `=`, `;`, `,` and `%` as they are so
/// that broken escapes and odd separators reach the server's own parsers.
fn uri_safe(b: &[u8]) -> String {
    let mut o = String::new();
    for &c in b {
        if c.is_ascii_alphanumeric() || b"-._~&=;,%:()".contains(&c) {
            o.push(c as char);
        } else {
            o.push_str(&format!("%{c:02X}"));
        }
    }
    o
}

#[test]
fn fuzz_query_strings_through_the_server() {
    let app = test_app();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let targets = [
        (
            "/route/v1/driving/121.10,41.10;121.12,41.12",
            "steps=true&annotations=duration,distance&radiuses=100;unlimited&date=2022-06-01",
        ),
        (
            "/table/v1/driving/121.10,41.10;121.12,41.12",
            "sources=0&destinations=all&annotations=duration,distance",
        ),
        ("/nearest/v1/driving/121.105,41.10", "number=3&radiuses=50"),
        (
            "/api/v1/route",
            "from=121.10,41.10&to=121.12,41.12&metric=time&max_snap_m=500&avoid_edges=1,2",
        ),
        (
            "/api/v1/isochrone",
            "from=121.10,41.10&budget_s=300&avoid_bbox=121.0,41.0,121.05,41.05",
        ),
        (
            "/collections/roads/items",
            "bbox=121,41,122,42&limit=5&offset=1&datetime=2022-01-01/..&class=primary",
        ),
        ("/tiles/roads/14/13700/6100.mvt", "date=2022-06-01"),
    ];
    for (path, seed) in targets {
        fuzz(seed, |b| {
            let uri = format!("{path}?{}", uri_safe(b));
            let req = Request::get(&uri).body(Body::empty()).unwrap();
            let status = rt.block_on(app.clone().oneshot(req)).unwrap().status();
            assert!(status.as_u16() < 500, "{uri}: {status}");
        });
    }
    // The coordinates in the path, too.
    fuzz("121.10,41.10;121.12,41.12", |b| {
        let uri = format!("/route/v1/driving/{}", uri_safe(b).replace(['%'], "%25"));
        let Ok(req) = Request::get(&uri).body(Body::empty()) else {
            return;
        };
        let status = rt.block_on(app.clone().oneshot(req)).unwrap().status();
        assert!(status.as_u16() < 500, "{uri}: {status}");
    });
}
