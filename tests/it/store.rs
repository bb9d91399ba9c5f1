//! The SQLite store: seeding, optimistic concurrency, the status table, bad input leaving
//! nothing changed, damaged or foreign files, and durability across SIGKILL.

use jzplan::engine::Engine;
use jzplan::network::{EdgeId, EdgeSpec, NetworkBuilder, RoadClass, RoadNetwork};
use jzplan::store::{SqliteStore, Store};
use jzplan::works::catalogue::Catalogue;
use jzplan::works::{DateRange, Status, Work, WorkFilter, WorkId, parse_date};
use jzplan::{Error, hotspot::HotspotId, hotspot::HotspotStatus};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

fn d(s: &str) -> chrono::NaiveDate {
    parse_date(s).unwrap()
}

fn tiny() -> RoadNetwork {
    let mut b = NetworkBuilder::new("test:tiny");
    let a = b.add_node(121.10, 41.10).unwrap();
    let z = b.add_node(121.11, 41.10).unwrap();
    let s = b.add_street("s", "测试路", "Test Road");
    b.add_road(EdgeSpec::new(a, z, s, RoadClass::Primary, "test"), false)
        .unwrap();
    b.build().unwrap()
}

fn engine_at(path: &std::path::Path) -> (Engine, Catalogue) {
    let cat = Catalogue::jinzhou().unwrap();
    let store = Arc::new(SqliteStore::open(path).unwrap());
    let e = Engine::with_works(tiny(), store, &cat).unwrap();
    e.seed(&cat).unwrap();
    (e, cat)
}

/// Everything stored, as one comparable value.
fn snapshot(e: &Engine) -> String {
    let works = e.list_works(&WorkFilter::default()).unwrap();
    let hist: usize = works
        .iter()
        .map(|w| e.history(w.id.as_str()).unwrap().len())
        .sum();
    format!("{}|{hist}", serde_json::to_string(&works).unwrap())
}

fn id(s: &str) -> WorkId {
    WorkId(s.into())
}

#[test]
fn seeding_is_idempotent_and_keeps_edits() {
    let dir = tempfile::tempdir().unwrap();
    let (e, cat) = engine_at(&dir.path().join("w.db"));
    let n = cat.works.len();
    let again = e.seed(&cat).unwrap();
    assert!(again.added.is_empty() && again.updated.is_empty());
    assert_eq!(again.unchanged.len(), n + cat.hotspots.len());
    // An edit in the store is kept, and reported with the fields that differ.
    let p10 = e.get_work(&id("P10")).unwrap().work;
    e.set_status(
        &id("P10"),
        Status::UnderConstruction,
        d("2022-05-02"),
        p10.version,
        "li",
        "site opened",
    )
    .unwrap();
    let r = e.seed(&cat).unwrap();
    assert_eq!(r.kept_edits.len(), 1);
    assert_eq!(r.kept_edits[0].0, "P10");
    assert_eq!(
        r.kept_edits[0].1,
        vec!["actual_start".to_string(), "status".to_string()]
    );
    assert_eq!(
        e.get_work(&id("P10")).unwrap().work.status,
        Status::UnderConstruction
    );
    // A catalogue change reaches records nobody edited, and says so in their history.
    let mut cat2 = cat.clone();
    cat2.works
        .iter_mut()
        .find(|w| w.id == id("P3"))
        .unwrap()
        .name_en = "Baigu riverside".into();
    cat2.works
        .iter_mut()
        .find(|w| w.id == id("P10"))
        .unwrap()
        .name_en = "Erdao riverside".into();
    let r = e.seed(&cat2).unwrap();
    assert_eq!(r.updated, vec!["P3".to_string()]);
    assert_eq!(r.kept_edits[0].0, "P10");
    let h = e.history("P3").unwrap();
    assert_eq!(h.last().unwrap().field, "seed");
    assert!(h.last().unwrap().comment.contains("name_en"));
}

#[test]
fn status_changes_are_versioned_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = engine_at(&dir.path().join("w.db"));
    let w = e.get_work(&id("P10")).unwrap().work;
    assert_eq!(w.status, Status::Design);
    let w2 = e
        .set_status(
            &id("P10"),
            Status::UnderConstruction,
            d("2023-04-03"),
            w.version,
            "wang",
            "contract signed",
        )
        .unwrap();
    assert_eq!(w2.version, w.version + 1);
    assert_eq!(w2.actual_start, Some(d("2023-04-03")));
    let h = e.history("P10").unwrap();
    let last = h.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.field.as_str()),
        ("wang", "status")
    );
    assert_eq!(last.old, "design");
    assert!(last.new.starts_with("under_construction"));
    assert_eq!(last.comment, "contract signed");
    // A stale writer (still at the old version) is refused and changes nothing.
    let before = snapshot(&e);
    let stale = e.set_status(
        &id("P10"),
        Status::Suspended,
        d("2023-05-01"),
        w.version,
        "zhao",
        "",
    );
    assert!(matches!(stale, Err(Error::Conflict(_))), "{stale:?}");
    assert_eq!(snapshot(&e), before);
    // Completing a P6 child opens its choke point.
    let c = e.get_work(&id("P6-01")).unwrap().work;
    e.set_status(
        &id("P6-01"),
        Status::Completed,
        d("2022-05-30"),
        c.version,
        "li",
        "",
    )
    .unwrap();
    assert_eq!(
        e.get_hotspot(&HotspotId("H01".into())).unwrap().status,
        HotspotStatus::Opened
    );
}

#[test]
fn bad_input_gives_a_stable_code_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = engine_at(&dir.path().join("w.db"));
    let before = snapshot(&e);
    let p1 = e.get_work(&id("P1")).unwrap().work;
    let v = p1.version;
    let cases: Vec<(&str, jzplan::Result<Work>)> = vec![
        // under construction → design is not in the table
        (
            "Conflict",
            e.set_status(&id("P1"), Status::Design, d("2022-06-01"), v, "a", ""),
        ),
        (
            "NotFound",
            e.set_status(&id("P99"), Status::Design, d("2022-06-01"), 1, "a", ""),
        ),
        // completion before the start
        (
            "InvalidInput",
            e.set_status(&id("P1"), Status::Completed, d("2021-01-01"), v, "a", ""),
        ),
        (
            "InvalidInput",
            e.set_status(
                &id("P1"),
                Status::Completed,
                chrono::NaiveDate::from_ymd_opt(2150, 1, 1).unwrap(),
                v,
                "a",
                "",
            ),
        ),
        (
            "InvalidInput",
            e.set_status(&id("P1"), Status::Completed, d("2023-01-01"), v, "", ""),
        ),
        (
            "InvalidInput",
            e.set_dates(
                &id("P1"),
                DateRange {
                    start: d("2023-01-01"),
                    end: d("2022-01-01"),
                },
                None,
                v,
                "a",
                "",
            ),
        ),
        (
            "Conflict",
            e.set_dates(
                &id("P1"),
                DateRange {
                    start: d("2022-01-01"),
                    end: d("2023-01-01"),
                },
                None,
                v + 7,
                "a",
                "",
            ),
        ),
        ("Conflict", e.create_work(&p1, "a", "")),
    ];
    for (code, r) in cases {
        match r {
            Err(err) => assert_eq!(err.code(), code, "{err}"),
            Ok(w) => panic!("expected {code}, got {w:?}"),
        }
    }
    // A new work whose effect names an edge that does not exist.
    let mut w = p1.clone();
    w.id = id("U1");
    w.effects = vec![
        serde_json::from_value(serde_json::json!({
        "phase": "construction", "action": {"kind": "close"},
        "target": {"type": "edges", "edges": [999_999]}}))
        .unwrap(),
    ];
    let err = e.create_work(&w, "a", "").unwrap_err();
    assert_eq!(err.code(), "NotFound");
    assert!(err.to_string().contains("999999"));
    assert_eq!(snapshot(&e), before);
    // The same work on a real edge is accepted and attached at once.
    w.effects = vec![
        serde_json::from_value(serde_json::json!({
        "phase": "construction", "action": {"kind": "close"},
        "target": {"type": "edges", "edges": [0, 1]}}))
        .unwrap(),
    ];
    let saved = e.create_work(&w, "a", "new").unwrap();
    assert_eq!(saved.version, 1);
    assert_eq!(
        e.get_work(&id("U1")).unwrap().edges,
        vec![EdgeId(0), EdgeId(1)]
    );
    let st = e.state_on(p1.window().start).unwrap();
    assert!(!st.is_open(EdgeId(0)));
}

#[test]
fn damaged_or_foreign_files_are_refused_with_a_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        b"this is not a database, just some text that goes on ".repeat(200),
    )
    .unwrap();
    let err = SqliteStore::open(&junk)
        .err()
        .expect("junk must be refused");
    assert_eq!(err.code(), "StoreError", "{err}");
    // Another program's SQLite database is left alone.
    let foreign = dir.path().join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
            .unwrap();
    }
    let err = SqliteStore::open(&foreign)
        .err()
        .expect("foreign db must be refused");
    assert_eq!(err.code(), "StoreError");
    assert!(err.to_string().contains("not a jzplan database"), "{err}");
    // A jzplan database whose header is overwritten in the middle of the file.
    let good = dir.path().join("good.db");
    engine_at(&good);
    let mut bytes = std::fs::read(&good).unwrap();
    for b in bytes.iter_mut().skip(100).take(4000) {
        *b = 0xA5;
    }
    std::fs::write(&good, &bytes).unwrap();
    let _ = std::fs::remove_file(dir.path().join("good.db-wal"));
    let r = SqliteStore::open(&good).and_then(|s| s.list_works(&WorkFilter::default()));
    assert_eq!(
        r.expect_err("damaged db must be refused").code(),
        "StoreError"
    );
}

#[test]
fn every_acknowledged_write_survives_sigkill() {
    use rand::Rng;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("dur.db");
    let mut child = Command::new(crate::common::jzplan_bin())
        .args([
            "--db",
            db.to_str().unwrap(),
            "works",
            "durability-writer",
            "--count",
            "1000000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let kill_after: u64 = rand::rng().random_range(5..120);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acked: Option<u64> = None;
    while let Some(Ok(l)) = lines.next() {
        acked = l.strip_prefix("ack ").and_then(|n| n.parse().ok());
        if acked.is_some_and(|n| n >= kill_after) {
            child.kill().unwrap(); // SIGKILL on Unix
            break;
        }
    }
    // Lines already in the pipe were acknowledged too.
    for l in lines.map_while(|l| l.ok()) {
        if let Some(n) = l.strip_prefix("ack ").and_then(|n| n.parse().ok()) {
            acked = Some(n);
        }
    }
    child.wait().unwrap();
    let last = acked.expect("the writer acknowledged nothing");
    assert!(last >= kill_after);
    let store = SqliteStore::open(&db).unwrap();
    let ids: std::collections::HashSet<String> = store
        .list_scenarios()
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    for i in 0..=last {
        assert!(
            ids.contains(&format!("d{i}")),
            "acknowledged write d{i} lost (last ack {last})"
        );
    }
    std::io::stdout().flush().unwrap();
}
