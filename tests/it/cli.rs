//! The CLI dialect (docs/cli.md): `--format`, `--date`, `--window`, deprecated spellings,
//! closed pipes, exit codes.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::cli;

/// Runs a command whose stdout is a pipe nobody reads (closed before the command writes):
/// returns its exit code and stderr.
fn into_closed_pipe(db: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(crate::common::jzplan_bin())
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn assign_and_calibrate_report_a_failed_stdout_as_an_io_error() {
    // /dev/full: every write fails with "no space left", as on a full disk.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    let net = crate::assignment::tntp_dir().join("SiouxFalls/SiouxFalls_net.tntp");
    for format in ["text", "json"] {
        let out = Command::new(crate::common::jzplan_bin())
            .args(["assign", "--tntp-net"])
            .arg(&net)
            .args(["--format", format])
            .env_remove("JZPLAN_NETWORK")
            .env_remove("JZPLAN_DB")
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(14), "{format}: {err}");
        assert!(err.contains("IoError") && err.contains("<stdout>"), "{err}");
    }
}

#[test]
fn assign_refuses_road_network_options_on_a_tntp_network_and_one_file_for_two_outputs() {
    let net = crate::assignment::tntp_dir().join("SiouxFalls/SiouxFalls_net.tntp");
    let net = net.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.csv");
    let file = file.to_str().unwrap();
    for (flag, value) in [
        ("--zones", "zones.geojson"),
        ("--date", "2022-06-01"),
        ("--write-demand", file),
    ] {
        let (code, _, err) = crate::common::run(&["assign", "--tntp-net", net, flag, value]);
        assert_eq!(code, 3, "{flag}: {err}");
        assert!(
            err.contains(flag) && err.contains("TNTP network"),
            "{flag}: {err}"
        );
    }
    let assign = |skims: &str| {
        crate::common::run(&["assign", "--tntp-net", net, "--out", file, "--skims", skims])
    };
    // The same file for the links and the skims, also through another spelling of the path.
    let (code, _, err) = assign(&format!("{}/./out.csv", dir.path().display()));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--out and --skims"), "{err}");
    assert!(!std::path::Path::new(file).exists());
    // Two files: both written.
    let skims = dir.path().join("skims.csv");
    let (code, _, err) = assign(skims.to_str().unwrap());
    assert_eq!(code, 0, "{err}");
    assert!(std::path::Path::new(file).exists() && skims.exists());
}

#[test]
fn a_text_input_that_is_not_utf8_is_an_invalid_file_not_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    // Latin-1 bytes: "Straße" is not UTF-8 there.
    let bad = dir.path().join("latin1.txt");
    std::fs::write(&bad, b"<NUMBER OF ZONES> 1\nStra\xdfe\n").unwrap();
    let bad = bad.to_str().unwrap();
    for args in [
        &["assign", "--tntp-net", bad][..],
        &["assign", "--zones", bad][..],
    ] {
        let (code, _, err) = crate::common::run(args);
        assert_eq!(code, 4, "{args:?}: {err}");
        assert!(
            err.contains("InvalidFile") && err.contains("latin1.txt") && err.contains("UTF-8"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn every_listing_ends_quietly_on_a_closed_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pipe.db");
    // Seed once so that every command below only reads.
    assert_eq!(cli(&db, &["works", "seed"]).0, 0);
    let commands: &[&[&str]] = &[
        &["works", "list"],
        &["works", "list", "--format", "json"],
        &["works", "list", "--format", "csv"],
        &["works", "show", "P1"],
        &["works", "history", "P1"],
        &["works", "timeline"],
        &["works", "attach"],
        &["hotspots", "list"],
        &["scenario", "list"],
        &["scenario", "show", "--date", "2022-06-01"],
        &["clashes"],
        &["network", "stats"],
        &[
            "route",
            "--from",
            "121.10,41.10",
            "--to",
            "121.12,41.12",
            "--format",
            "geojson",
        ],
    ];
    for args in commands {
        let (code, err) = into_closed_pipe(&db, args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe") && !err.contains("error"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn formats_dates_and_old_spellings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fmt.db");
    // --format json, and the old --json with its one-line note.
    let (code, json, err) = cli(&db, &["works", "list", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let (code, old, note) = cli(&db, &["works", "list", "--json"]);
    assert_eq!(code, 0, "{note}");
    assert_eq!(json, old);
    assert!(
        note.contains("note: --json is deprecated; use --format json"),
        "{note}"
    );
    // Natural order of ids: P2 before P10, P9 before P10.
    let works: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let ids: Vec<&str> = works.iter().map(|w| w["id"].as_str().unwrap()).collect();
    let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(
        at("P2") < at("P10") && at("P9") < at("P10") && at("P10") < at("P11"),
        "{ids:?}"
    );
    // CSV: a header and one line per work, in the same order.
    let (code, csv, err) = cli(&db, &["works", "list", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let id_col = r.headers().unwrap().iter().position(|h| h == "id").unwrap();
    let csv_ids: Vec<String> = r
        .records()
        .map(|rec| rec.unwrap()[id_col].to_string())
        .collect();
    assert_eq!(csv_ids, ids);
    // A format the data has no form in is refused by name.
    let (code, _, err) = cli(&db, &["works", "show", "P1", "--format", "csv"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("`works show` has no csv form"), "{err}");

    // --date and the old --on agree.
    let (code, a, err) = cli(
        &db,
        &["works", "list", "--date", "2022-06-01", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let (_, b, note) = cli(
        &db,
        &["works", "list", "--on", "2022-06-01", "--format", "json"],
    );
    assert_eq!(a, b);
    assert!(note.contains("--on is deprecated; use --date"), "{note}");
    assert!(
        serde_json::from_str::<Vec<serde_json::Value>>(&a)
            .unwrap()
            .len()
            < works.len()
    );
    // A day the calendar does not have.
    let (code, _, err) = cli(&db, &["works", "list", "--date", "2022-02-30"]);
    assert_eq!(code, 3);
    assert!(err.contains("'2022-02-30' is not a real date"), "{err}");
    // A parent that does not exist is NotFound, not an empty list.
    let (code, _, err) = cli(&db, &["works", "list", "--parent", "P99"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("error[NotFound]"), "{err}");

    // --window, and the old --from/--to.
    let (code, a, err) = cli(
        &db,
        &[
            "clashes",
            "--window",
            "2022-01-01..2022-12-31",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (_, b, note) = cli(
        &db,
        &[
            "clashes",
            "--from",
            "2022-01-01",
            "--to",
            "2022-12-31",
            "--format",
            "json",
        ],
    );
    assert_eq!(a, b);
    assert!(note.contains("deprecated; use --window"), "{note}");
    let (code, _, err) = cli(&db, &["clashes", "--window", "2022-12-31..2022-01-01"]);
    assert_eq!(code, 3, "{err}");

    // Without a date, a dated command says it used today.
    let (code, out, err) = cli(&db, &["scenario", "show"]);
    assert_eq!(code, 0, "{err}");
    let today = chrono::Local::now().date_naive().to_string();
    assert!(err.contains(&format!("of today, {today}")), "{err}");
    assert!(out.starts_with(&format!("network on {today}")), "{out}");
}

#[test]
fn isochrone_budgets_in_seconds_or_metres_and_refuses_contradictions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("iso.db");
    let iso = |extra: &[&str]| {
        let mut args = vec!["isochrone", "--from", "121.10,41.10", "--format", "json"];
        args.extend_from_slice(extra);
        cli(&db, &args)
    };
    let (code, out, err) = iso(&["--metres", "800"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metric"], "distance");
    assert_eq!(v["budget"], 800.0);
    let (code, out, err) = iso(&["--seconds", "120"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["metric"], "time");
    for bad in [
        &["--metric", "distance", "--seconds", "300"][..],
        &["--metric", "time", "--metres", "300"][..],
    ] {
        let (code, _, err) = iso(bad);
        assert_eq!(code, 3, "{bad:?}: {err}");
        assert!(err.contains("contradicts"), "{err}");
    }
    // Both budgets, or none: a usage error.
    assert_eq!(iso(&["--seconds", "1", "--metres", "1"]).0, 2);
    assert_eq!(iso(&[]).0, 2);
}

#[test]
fn logs_redirected_to_a_file_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("log.db");
    let log = std::fs::File::create(dir.path().join("log.txt")).unwrap();
    let status = Command::new(crate::common::jzplan_bin())
        .arg("--db")
        .arg(&db)
        .args(["-vv", "works", "list"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(dir.path().join("log.txt")).unwrap();
    assert!(text.contains("DEBUG") || text.contains("INFO"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn export_refuses_a_format_its_file_name_contradicts_and_keeps_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.db");
    let out = dir.path().join("x.gpkg");
    let out_s = out.to_str().unwrap();
    let (code, _, err) = cli(&db, &["export", "--out", out_s]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&out).unwrap();
    // FlatGeobuf into a `.gpkg` name (GDAL would have made a directory of it).
    let (code, _, err) = cli(&db, &["export", "--out", out_s, "--format", "fgb"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("--format fgb") && err.contains(".gpkg"),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    // A directory in the way is not replaced.
    let d = dir.path().join("d.geojson");
    std::fs::create_dir(&d).unwrap();
    let (code, _, err) = cli(&db, &["export", "--out", d.to_str().unwrap()]);
    assert_eq!(code, 3, "{err}");
    assert!(d.is_dir() && err.contains("not a regular file"), "{err}");
    // --date on layers that do not depend on it is refused, not ignored.
    let (code, _, err) = cli(&db, &["export", "--out", out_s, "--date", "2022-06-01"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--date is for the dated layers"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), before);
}

#[test]
fn export_writes_every_published_layer_on_a_date() {
    use gdal::vector::LayerAccess;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("exp.db");
    let out = dir.path().join("layers.gpkg");
    let (code, text, err) = cli(
        &db,
        &[
            "export",
            "--layer",
            "works,hotspots,closures,detours,work-footprints",
            "--date",
            "2022-06-01",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let ds = gdal::Dataset::open(&out).unwrap();
    let count = |name: &str| ds.layer_by_name(name).unwrap().feature_count();
    assert_eq!(count("hotspots"), 15, "{text}");
    // On 2022-06-01 works are on site: closures and their detours are not empty.
    assert!(count("closures") > 0 && count("detours") > 0, "{text}");
    // Days are written as the format's date type, as the schema declares them.
    let date_field = ds
        .layer_by_name("closures")
        .unwrap()
        .defn()
        .fields()
        .find(|f| f.name() == "date")
        .map(|f| f.field_type());
    assert_eq!(date_field, Some(gdal::vector::OGRFieldType::OFTDate));
    let (_, json, _) = cli(&db, &["works", "list", "--format", "json"]);
    let works: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let with_geometry = works.iter().filter(|w| !w["geometry"].is_null()).count() as u64;
    assert_eq!(count("works"), with_geometry, "{text}");
    // A dated layer without --date uses today and says so; an unknown layer lists the others.
    let (code, _, err) = cli(
        &db,
        &[
            "export",
            "--layer",
            "closures",
            "--out",
            dir.path().join("c.geojson").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("of today"), "{err}");
    let (code, _, err) = cli(&db, &["export", "--layer", "nope", "--out", "n.gpkg"]);
    assert_eq!(code, 3);
    assert!(err.contains("flows") && err.contains("detours"), "{err}");
}

#[test]
fn coordination_commands_speak_the_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("coord.db");
    // works conflicts: --window, and the old --from/--to with a note and the same answer.
    let (code, new, err) = cli(
        &db,
        &[
            "works",
            "conflicts",
            "--window",
            "2022-01-01..2022-12-31",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, old, note) = cli(
        &db,
        &[
            "works",
            "conflicts",
            "--from",
            "2022-01-01",
            "--to",
            "2022-12-31",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{note}");
    assert_eq!(new, old);
    assert!(note.contains("--from/--to is deprecated") && note.contains("--json is deprecated"));
    let found: Vec<serde_json::Value> = serde_json::from_str(&new).unwrap();
    let (_, all, _) = cli(&db, &["works", "conflicts", "--format", "json"]);
    let all: Vec<serde_json::Value> = serde_json::from_str(&all).unwrap();
    assert!(found.len() <= all.len());
    // Lists have a CSV form: a header and one line per finding / moratorium.
    let (code, csv, err) = cli(&db, &["works", "conflicts", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(csv.lines().count(), all.len() + 1, "{csv}");
    let (code, m, err) = cli(&db, &["works", "moratoria", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let m: Vec<serde_json::Value> = serde_json::from_str(&m).unwrap();
    let (code, csv, err) = cli(&db, &["works", "moratoria", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(csv.lines().count(), m.len() + 1);
    // A window that ends before it starts, and a format a record has no form in, are refused.
    let (code, _, err) = cli(
        &db,
        &["works", "conflicts", "--window", "2022-12-31..2022-01-01"],
    );
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = cli(
        &db,
        &[
            "works",
            "cancel",
            "P1",
            "--version",
            "1",
            "--date",
            "2022-02-30",
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not a real date"), "{err}");
    let (code, _, err) = cli(
        &db,
        &["works", "cancel", "P1", "--version", "1", "--format", "csv"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no csv form"), "{err}");
    // works events: the feed holds the seeded catalogue (one `created` per work), pages with
    // `next`, and refuses an unknown kind.
    let (code, page, err) = cli(
        &db,
        &["works", "events", "--limit", "1000", "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    let (_, works, _) = cli(&db, &["works", "list", "--format", "json"]);
    let works: Vec<serde_json::Value> = serde_json::from_str(&works).unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), works.len());
    let (code, text, err) = cli(
        &db,
        &[
            "works", "events", "--since", "1", "--limit", "2", "--kind", "created",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.ends_with("next: 3\n"), "{text}");
    let (code, _, err) = cli(&db, &["works", "events", "--kind", "castle"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn feeds_export_and_a_wzdx_feed_imports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("feeds.db");
    // The WZDx feed of 2022 on standard output, and the CIFS XML in a file.
    let (code, out, err) = cli(
        &db,
        &[
            "export",
            "--format",
            "wzdx",
            "--out",
            "-",
            "--window",
            "2022-01-01..2022-12-31",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let feed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(feed["feed_info"]["version"], "4.2");
    assert!(!feed["features"].as_array().unwrap().is_empty());
    let xml = dir.path().join("cifs.xml");
    let (code, out, err) = cli(
        &db,
        &[
            "export",
            "--format",
            "cifs-xml",
            "--out",
            xml.to_str().unwrap(),
            "--date",
            "2022-06-01",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("incidents (Waze CIFS)"), "{out}");
    assert!(std::fs::read_to_string(&xml).unwrap().starts_with("<?xml"));
    let (code, _, err) = cli(
        &db,
        &[
            "export",
            "--format",
            "wzdx",
            "--out",
            "-",
            "--date",
            "2022-06-01",
            "--window",
            "2022-01-01..",
        ],
    );
    assert_eq!(code, 3, "{err}");
    // Our own feed read back: every work exists already (dry run stores nothing anyway).
    let file = dir.path().join("feed.json");
    std::fs::write(&file, serde_json::to_string(&feed).unwrap()).unwrap();
    let (code, out, err) = cli(
        &db,
        &[
            "works",
            "import",
            "--wzdx",
            file.to_str().unwrap(),
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        r["works"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["outcome"] == "exists")
    );
    // A broken feed: InvalidFile (exit 4), the feature named.
    let mut bad = feed.clone();
    bad["features"][0]["properties"]["start_date"] = serde_json::json!("soon");
    std::fs::write(&file, serde_json::to_string(&bad).unwrap()).unwrap();
    let (code, _, err) = cli(&db, &["works", "import", "--wzdx", file.to_str().unwrap()]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("features[0].properties.start_date"), "{err}");
}
