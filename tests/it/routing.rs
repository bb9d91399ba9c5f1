//! The routing commands through the real binary, on grids written by `jzplan network grid`:
//! answers checkable by eye, and documented exit codes for bad input (docs/errors.md).

use crate::common::jzplan_bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(jzplan_bin())
        .args(args)
        .env_remove("JZPLAN_NETWORK")
        .output()
        .expect("run jzplan")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes a `rows × cols` grid (200 m blocks, south-west corner 121.09°E 41.08°N).
fn grid_file(dir: &Path, rows: usize, cols: usize) -> PathBuf {
    let p = dir.join(format!("grid{rows}x{cols}.jzn"));
    let o = run(&[
        "network",
        "grid",
        "--rows",
        &rows.to_string(),
        "--cols",
        &cols.to_string(),
        "--out",
        p.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    p
}

/// Longitude/latitude of grid position (row, col), fractional positions allowed (200 m steps).
fn at(r: f64, c: f64) -> String {
    // 200 m in degrees at 41.08°N (the generator uses the same local projection).
    let proj = jzplan::network::geom::LocalProjection::new(121.09, 41.08);
    let step = proj.inverse([200.0, 200.0]);
    format!(
        "{:.7},{:.7}",
        121.09 + c * (step.x - 121.09),
        41.08 + r * (step.y - 41.08)
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code, not a signal")
}

#[test]
fn route_on_a_generated_grid() {
    let dir = tempfile::tempdir().unwrap();
    let g = grid_file(dir.path(), 3, 3);
    let net = g.to_str().unwrap();
    let o = run(&[
        "--network",
        net,
        "route",
        "--from",
        &at(0.0, 0.5),
        "--to",
        &at(2.0, 1.5),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    // Row 0 and column 0 are arterials (primary, 50 km/h), the others residential (25 km/h).
    // Fastest: 100 m west on row 0 (7.2 s), 400 m north on column 0 (28.8 s), 300 m east on
    // row 2 (43.2 s) = 79.2 s; 100 m east, 400 m north on column 1, 100 m east ties with it.
    let t = v["duration_s"].as_f64().unwrap();
    assert!((t - 79.2).abs() < 0.1, "{t}");
    assert!(v["streets"].as_array().unwrap().len() >= 3);
    // The shortest is 100 m + 400 m + 100 m.
    let o = run(&[
        "--network",
        net,
        "route",
        "--from",
        &at(0.0, 0.5),
        "--to",
        &at(2.0, 1.5),
        "--format",
        "json",
        "--metric",
        "distance",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = v["distance_m"].as_f64().unwrap();
    assert!((d - 600.0).abs() < 1.0, "{d}");

    let text = run(&[
        "--network",
        net,
        "route",
        "--from",
        &at(0.0, 0.5),
        "--to",
        &at(2.0, 1.5),
        "--metric",
        "distance",
    ]);
    let t = stdout(&text);
    assert!(t.contains("distance: 600 m"), "{t}");
    assert!(t.contains("网格"), "{t}");

    let gj = run(&[
        "--network",
        net,
        "route",
        "--from",
        &at(0.0, 0.5),
        "--to",
        &at(2.0, 1.5),
        "--format",
        "geojson",
        "--algo",
        "dijkstra",
        "--metric",
        "distance",
    ]);
    let f: geojson::Feature = stdout(&gj).parse().unwrap();
    assert!(matches!(
        f.geometry.unwrap().value,
        geojson::GeometryValue::LineString { .. }
    ));
}

#[test]
fn avoiding_a_street_changes_the_route() {
    let dir = tempfile::tempdir().unwrap();
    let g = grid_file(dir.path(), 3, 3);
    let net = g.to_str().unwrap();
    let (from, to) = (at(0.0, 0.5), at(2.0, 0.5));
    let base = run(&[
        "--network",
        net,
        "route",
        "--from",
        &from,
        "--to",
        &to,
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&base)).unwrap();
    let used: Vec<String> = v["streets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name_en"].as_str().unwrap().to_string())
        .collect();
    // Column 0 is the fast arterial; avoid it and the route must use column 1.
    assert!(used.contains(&"Grid Column 0".to_string()), "{used:?}");
    let o = run(&[
        "--network",
        net,
        "route",
        "--from",
        &from,
        "--to",
        &to,
        "--format",
        "json",
        "--avoid-streets",
        "Grid Column 0",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let used: Vec<&str> = v["streets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name_en"].as_str().unwrap())
        .collect();
    assert!(!used.contains(&"Grid Column 0"), "{used:?}");
    assert!(used.contains(&"Grid Column 1"), "{used:?}");

    // The same through a polygon around column 0's middle.
    let poly = dir.path().join("area.geojson");
    let c = |r: f64, col: f64| {
        let s = at(r, col);
        let mut it = s.split(',').map(|x| x.parse::<f64>().unwrap());
        [it.next().unwrap(), it.next().unwrap()]
    };
    let ring = [
        c(0.8, -0.2),
        c(0.8, 0.2),
        c(1.2, 0.2),
        c(1.2, -0.2),
        c(0.8, -0.2),
    ];
    std::fs::write(
        &poly,
        serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string(),
    )
    .unwrap();
    let o = run(&[
        "--network",
        net,
        "route",
        "--from",
        &from,
        "--to",
        &to,
        "--format",
        "json",
        "--avoid-polygon",
        poly.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v2: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v2["distance_m"], v["distance_m"]);
}

#[test]
fn matrix_isochrone_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let g = grid_file(dir.path(), 4, 5);
    let net = g.to_str().unwrap();
    let pts = format!("{};{};{}", at(0.0, 0.5), at(3.0, 3.5), at(1.5, 2.0));
    let o = run(&[
        "--network",
        net,
        "matrix",
        "--points",
        &pts,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(m["state"], "base network (no works applied)");
    let d = &m["distances_m"];
    assert_eq!(d[0][0].as_f64(), Some(0.0));
    // (0, 0.5) → (3, 3.5): 3 blocks east and 3 north = 1200 m.
    assert!((d[0][1].as_f64().unwrap() - 1200.0).abs() < 1.0, "{d}");
    let csv = dir.path().join("pts.csv");
    std::fs::write(
        &csv,
        format!("lon,lat\n{}\n{}\n", at(0.0, 0.5), at(3.0, 3.5)),
    )
    .unwrap();
    let o = run(&["--network", net, "matrix", "--file", csv.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("durations"));

    let o = run(&[
        "--network",
        net,
        "isochrone",
        "--from",
        &at(1.0, 1.5),
        "--seconds",
        "60",
        "--format",
        "geojson",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fc: geojson::FeatureCollection = stdout(&o).parse().unwrap();
    assert!(fc.features.len() > 4);
    let state = fc.foreign_members.as_ref().and_then(|m| m.get("state"));
    assert_eq!(
        state.and_then(|s| s.as_str()),
        Some("base network (no works applied)")
    );
    assert_eq!(
        fc.features[0].property("kind").and_then(|k| k.as_str()),
        Some("isochrone")
    );

    let o = run(&["--network", net, "network", "stats", "--format", "json"]);
    assert!(o.status.success());
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["nodes"], 20);
    assert_eq!(s["edges"], 2 * (4 * 4 + 5 * 3));
    assert_eq!(s["strong_components"], 1);
    let text = stdout(&run(&["--network", net, "network", "stats"]));
    assert!(text.contains("every node reaches every other"), "{text}");
}

#[test]
fn bad_input_gives_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let g = grid_file(dir.path(), 1, 4);
    let net = g.to_str().unwrap();
    let route = |extra: &[&str]| {
        let mut a = vec!["--network", net, "route"];
        a.extend_from_slice(extra);
        run(&a)
    };
    let ok = [at(0.0, 0.5), at(0.0, 2.5)];
    // Malformed coordinate: InvalidInput (3).
    let o = route(&["--from", "121.1;41.1", "--to", &ok[1]]);
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("InvalidInput"));
    let o = route(&["--from", "521,41", "--to", &ok[1]]);
    assert_eq!(code(&o), 3);
    // Far from any road: NoSegment (6).
    let o = route(&["--from", "121.5,41.5", "--to", &ok[1]]);
    assert_eq!(code(&o), 6, "{}", String::from_utf8_lossy(&o.stderr));
    // The middle block closed (edges 2 and 3 on a one-row grid): NoRoute (7).
    let o = route(&["--from", &ok[0], "--to", &ok[1], "--avoid-edges", "2,3"]);
    assert_eq!(code(&o), 7, "{}", String::from_utf8_lossy(&o.stderr));
    // Unknown street or edge: NotFound (5).
    let o = route(&[
        "--from",
        &ok[0],
        "--to",
        &ok[1],
        "--avoid-streets",
        "不存在路",
    ]);
    assert_eq!(code(&o), 5);
    let o = route(&["--from", &ok[0], "--to", &ok[1], "--avoid-edges", "99999"]);
    assert_eq!(code(&o), 5);
    // Bad option values: usage error (2).
    let o = route(&["--from", &ok[0], "--to", &ok[1], "--metric", "speed"]);
    assert_eq!(code(&o), 2);
    let o = route(&["--from", &ok[0], "--to", &ok[1], "--algo", "magic"]);
    assert_eq!(code(&o), 2);
    // A polygon file that is not GeoJSON, or has no polygon: InvalidFile (4).
    let bad = dir.path().join("bad.geojson");
    std::fs::write(&bad, "{not json").unwrap();
    let o = route(&[
        "--from",
        &ok[0],
        "--to",
        &ok[1],
        "--avoid-polygon",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 4);
    std::fs::write(&bad, r#"{"type":"Point","coordinates":[121.1,41.1]}"#).unwrap();
    let o = route(&[
        "--from",
        &ok[0],
        "--to",
        &ok[1],
        "--avoid-polygon",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 4);
    // A corrupt or truncated network file: InvalidFile (4); a missing one: IoError (14).
    let junk = dir.path().join("junk.jzn");
    std::fs::write(&junk, b"JZPLNET\0garbage").unwrap();
    let o = run(&["--network", junk.to_str().unwrap(), "network", "stats"]);
    assert_eq!(code(&o), 4, "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&g).unwrap();
    std::fs::write(&junk, &bytes[..bytes.len() / 2]).unwrap();
    let o = run(&["--network", junk.to_str().unwrap(), "network", "stats"]);
    assert_eq!(code(&o), 4);
    let o = run(&["--network", "/nonexistent/x.jzn", "network", "stats"]);
    assert_eq!(code(&o), 14);
    // Isochrone and matrix arguments.
    let o = run(&[
        "--network",
        net,
        "isochrone",
        "--from",
        &ok[0],
        "--seconds",
        "-5",
    ]);
    assert_eq!(code(&o), 3);
    let o = run(&["--network", net, "matrix", "--points", "1,2;x"]);
    assert_eq!(code(&o), 3);
    let o = run(&["--network", net, "matrix"]);
    assert_eq!(code(&o), 3);
    // Grid generator arguments.
    let o = run(&[
        "network", "grid", "--rows", "0", "--cols", "3", "--out", "x.jzn",
    ]);
    assert_eq!(code(&o), 3);
    let o = run(&[
        "network", "grid", "--rows", "2", "--cols", "3", "--out", "x.txt",
    ]);
    assert_eq!(code(&o), 3);
    let o = route(&["--from", "nan,nan", "--to", &ok[1]]);
    assert_eq!(code(&o), 3);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("panicked"));
}

#[test]
fn every_routing_command_has_help() {
    for cmd in [
        vec!["route", "--help"],
        vec!["matrix", "--help"],
        vec!["isochrone", "--help"],
        vec!["network", "stats", "--help"],
        vec!["network", "grid", "--help"],
    ] {
        let o = run(&cmd);
        assert!(o.status.success(), "{cmd:?}");
        assert!(stdout(&o).contains("Usage"), "{cmd:?}");
    }
}

#[test]
fn routes_on_the_embedded_jinzhou_network() {
    // Guta district seat to Linghe district seat (both from data/jinzhou), the default network.
    let o = run(&[
        "route",
        "--from",
        "121.1226,41.1152",
        "--to",
        "121.1453,41.1130",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = v["distance_m"].as_f64().unwrap();
    // The seats are ≈1.9 km apart as the crow flies; a road route is longer, but not absurdly.
    assert!(d > 1_900.0 && d < 6_000.0, "{d}");
    assert!(!v["streets"].as_array().unwrap().is_empty());
    // Every algorithm agrees on the cost.
    let cost = v["cost"].as_f64().unwrap();
    for algo in ["dijkstra", "astar", "bidir-dijkstra"] {
        let o = run(&[
            "route",
            "--from",
            "121.1226,41.1152",
            "--to",
            "121.1453,41.1130",
            "--format",
            "json",
            "--algo",
            algo,
        ]);
        let w: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert!((w["cost"].as_f64().unwrap() - cost).abs() < 1e-6, "{algo}");
    }
    let o = run(&["network", "stats", "--format", "json"]);
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(s["strong_components"], 1);
}
