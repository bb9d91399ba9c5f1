//! The works, choke-point, scenario and routing commands of the CLI on a fresh database:
//! status changes and their history, the timeline, scenarios and routes on a date, errors.

use jzplan::works::catalogue::Catalogue;

use crate::common::cli;

#[test]
fn cli_works_status_history_timeline_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let (code, out, _) = cli(&db, &["works", "list", "--json"]);
    assert_eq!(code, 0);
    let works: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(works.len(), Catalogue::jinzhou().unwrap().works.len());
    let (_, out, _) = cli(&db, &["works", "list", "--parent", "P4", "--json"]);
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        15
    );
    let (code, out, _) = cli(&db, &["works", "show", "P10", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["work"]["status"], "design");
    let version = v["work"]["version"].as_u64().unwrap().to_string();
    let (code, out, err) = cli(
        &db,
        &[
            "works",
            "set-status",
            "P10",
            "under_construction",
            "--on",
            "2023-04-03",
            "--version",
            &version,
            "--actor",
            "li",
            "--comment",
            "site opened",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("P10 is now under_construction"), "{out}");
    // The same version again is stale: Conflict, exit code 8.
    let (code, _, err) = cli(
        &db,
        &[
            "works",
            "set-status",
            "P10",
            "suspended",
            "--on",
            "2023-05-01",
            "--version",
            &version,
        ],
    );
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("error[Conflict]"), "{err}");
    let (code, _, err) = cli(
        &db,
        &[
            "works",
            "set-status",
            "P10",
            "built",
            "--on",
            "2023-05-01",
            "--version",
            "1",
        ],
    );
    assert_eq!(code, 3, "{err}");
    // An effective date after today would record a future actual date: refused.
    let next = (version.parse::<u64>().unwrap() + 1).to_string();
    let (code, _, err) = cli(
        &db,
        &[
            "works",
            "set-status",
            "P10",
            "completed",
            "--on",
            "2099-01-01",
            "--version",
            &next,
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("effective: 2099-01-01 is after today"),
        "{err}"
    );
    let (_, out, _) = cli(&db, &["works", "show", "P10", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["work"]["status"], "under_construction");
    assert_eq!(v["work"]["actual_end"], serde_json::Value::Null);
    let (code, _, err) = cli(&db, &["works", "show", "P99"]);
    assert_eq!(code, 5, "{err}");
    let (code, out, _) = cli(&db, &["works", "history", "P10"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("li") && out.contains("design → under_construction"),
        "{out}"
    );
    let (code, out, _) = cli(
        &db,
        &[
            "works",
            "timeline",
            "--from",
            "2022-01-01",
            "--to",
            "2023-12-31",
            "--width",
            "48",
        ],
    );
    assert_eq!(code, 0);
    let p1 = out.lines().find(|l| l.starts_with("P1 ")).expect("P1 row");
    assert!(p1.contains('▒'), "{p1}");
    assert!(out.contains("2023-01"));
    let (code, out, _) = cli(
        &db,
        &[
            "clashes",
            "--from",
            "2022-06-15",
            "--to",
            "2022-06-30",
            "--json",
        ],
    );
    assert_eq!(code, 0);
    let clashes: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(
        clashes
            .iter()
            .any(|c| c["a"] == "P4-15" || c["b"] == "P4-15")
    );
    let (code, _, err) = cli(
        &db,
        &["clashes", "--from", "2023-01-01", "--to", "2022-01-01"],
    );
    assert_eq!(code, 3, "{err}");
}

#[test]
fn cli_scenarios_and_routes_on_a_date() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let (code, _, err) = cli(
        &db,
        &[
            "scenario",
            "create",
            "p1-late",
            "--date",
            "2024-01-01",
            "--window",
            "P1=2023-04-01..2024-10-31",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = cli(&db, &["scenario", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("p1-late"));
    let route = |extra: &[&str]| {
        let mut args = vec![
            "scenario",
            "route",
            "--from",
            "121.105,41.090",
            "--to",
            "121.105,41.112",
            "--json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = cli(&db, &args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let on_time = route(&["--date", "2024-01-01"]);
    let late = route(&["--scenario", "p1-late"]);
    // `jzplan route` names the network state in every format, not only in text.
    for (format, extra, want) in [
        (
            "json",
            &["--date", "2024-01-01"][..],
            "network on 2024-01-01",
        ),
        (
            "geojson",
            &["--scenario", "p1-late"][..],
            "scenario p1-late",
        ),
        ("json", &[][..], "base network (no works applied)"),
    ] {
        let args = [
            &[
                "route",
                "--from",
                "121.105,41.090",
                "--to",
                "121.105,41.112",
            ][..],
            &["--format", format],
            extra,
        ]
        .concat();
        let (code, out, err) = cli(&db, &args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let state = if format == "json" {
            &v["state"]
        } else {
            &v["properties"]["state"]
        };
        assert_eq!(state, want, "{format} {extra:?}");
    }
    // With P1 on time the new bridge is open on 2024-01-01; with P1 late it is still a site.
    assert!(on_time["extra_s"].as_f64().unwrap() < 0.0);
    assert!(late["extra_s"].as_f64().unwrap() > 0.0);
    let (code, out, _) = cli(&db, &["scenario", "show", "--date", "2022-06-01", "--json"]);
    assert_eq!(code, 0);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        s["closed_streets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "锦州街")
    );
    let (code, _, err) = cli(
        &db,
        &[
            "scenario",
            "create",
            "bad",
            "--date",
            "2024-01-01",
            "--set",
            "P77=completed",
        ],
    );
    assert_eq!(code, 5, "{err}");
}

#[test]
fn cli_scenario_delete_needs_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    assert_eq!(
        cli(&db, &["scenario", "create", "s1", "--date", "2023-01-01"]).0,
        0
    );
    let (code, _, err) = cli(&db, &["scenario", "delete", "s1", "--version", "7"]);
    assert_eq!(code, 8, "{err}");
    assert_eq!(
        cli(&db, &["scenario", "delete", "s1", "--version", "1"]).0,
        0
    );
    assert_eq!(
        cli(&db, &["scenario", "delete", "s1", "--version", "1"]).0,
        5
    );
}

#[test]
fn cli_route_matrix_and_isochrone_take_a_date_or_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let json = |args: &[&str]| {
        let (code, out, err) = cli(&db, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    // Across the Xiaoling River on Jinzhou Street: P1 is on site in mid-2022 (its approaches
    // closed), open in 2024.
    let leg = ["--from", "121.105,41.105", "--to", "121.105,41.085"];
    let today = json(&[&["route"][..], &leg, &["--format", "json"]].concat());
    let during = json(
        &[
            &["route"][..],
            &leg,
            &["--date", "2022-06-01", "--format", "json"],
        ]
        .concat(),
    );
    let after = json(
        &[
            &["route"][..],
            &leg,
            &["--date", "2024-06-01", "--format", "json"],
        ]
        .concat(),
    );
    let secs = |v: &serde_json::Value| v["duration_s"].as_f64().unwrap();
    assert!(
        secs(&during) > secs(&today),
        "{} vs {}",
        secs(&during),
        secs(&today)
    );
    assert!(
        secs(&after) < secs(&today),
        "{} vs {}",
        secs(&after),
        secs(&today)
    );
    // The new bridge continues 锦州街 in the street summary: one stretch, not three.
    let names: Vec<&str> = after["streets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name_zh"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["锦州街"]);

    let m = json(&[
        "matrix",
        "--points",
        "121.105,41.105;121.105,41.085",
        "--date",
        "2024-06-01",
        "--format",
        "json",
    ]);
    let t = m["durations_s"][0][1].as_f64().unwrap();
    assert!((t - secs(&after)).abs() < 1e-6, "{t}");
    let iso_now = json(&[
        "isochrone",
        "--from",
        "121.105,41.105",
        "--seconds",
        "240",
        "--format",
        "json",
    ]);
    let iso_after = json(&[
        "isochrone",
        "--from",
        "121.105,41.105",
        "--seconds",
        "240",
        "--date",
        "2024-06-01",
        "--format",
        "json",
    ]);
    let reached = |v: &serde_json::Value| v["reached_nodes"].as_u64().unwrap();
    assert!(reached(&iso_after) > reached(&iso_now));

    // Bad dates and unknown scenarios: documented exit codes, no panic.
    let (code, _, err) = cli(
        &db,
        &[&["route"][..], &leg, &["--date", "2022-13-01"]].concat(),
    );
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = cli(
        &db,
        &[&["route"][..], &leg, &["--scenario", "nope"]].concat(),
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("scenario"), "{err}");
}

#[test]
fn cli_hotspots_identify_ranks_junctions_by_assignment_vc() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let (code, out, err) = cli(&db, &["hotspots", "identify", "--n", "5", "--json"]);
    assert_eq!(code, 0, "{err}");
    let c: serde_json::Value = serde_json::from_str(&out).unwrap();
    let c = c.as_array().unwrap();
    assert_eq!(c.len(), 5);
    let scores: Vec<f64> = c.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    // v/c of an equilibrium: positive, ranked from the worst down.
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores[0] > 0.5, "{scores:?}");
    let (code, out, _) = cli(&db, &["hotspots", "identify", "--n", "3"]);
    assert_eq!(code, 0);
    assert!(out.contains("model:assignment-vc"), "{out}");
    let (code, out, _) = cli(
        &db,
        &["hotspots", "identify", "--n", "3", "--method", "proxy"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("model:gravity-aon-vc-proxy"), "{out}");
    let (code, _, _) = cli(&db, &["hotspots", "identify", "--method", "nope"]);
    assert_eq!(code, 2);
}
