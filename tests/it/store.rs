//! The stores: seeding, optimistic concurrency, the status table, bad input leaving nothing
//! changed, damaged or foreign databases, durability across SIGKILL, concurrent writers and
//! two engines (replicas) on one database. The same tests run against SQLite and against
//! PostgreSQL/PostGIS (a throwaway cluster shared by the test binary, see `common::pg`).

use jzplan::engine::Engine;
use jzplan::network::{EdgeId, EdgeSpec, NetworkBuilder, RoadClass, RoadNetwork};
use jzplan::store::{self, SqliteStore, Store};
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

/// The back-end a test runs against.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database: a file in a temporary directory, or a new PostgreSQL database.
pub struct Db {
    pub spec: String,
    _dir: tempfile::TempDir,
}

impl Backend {
    pub fn new_db(self) -> Db {
        let dir = tempfile::tempdir().unwrap();
        let spec = match self {
            Backend::Sqlite => dir.path().join("w.db").to_str().unwrap().to_string(),
            Backend::Postgres => crate::common::pg_database(),
        };
        Db { spec, _dir: dir }
    }
}

/// Runs each named test function once per back-end: `store::sqlite::NAME` and
/// `store::postgres::NAME`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::$name(super::Backend::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::$name(super::Backend::Postgres) } )*
        }
    };
}

mod feed;
use feed::{
    every_write_appends_its_events_and_a_stale_revision_writes_nothing,
    subscriptions_keep_their_cursor_log_and_lease,
    two_engines_writing_at_once_give_one_event_per_write_in_commit_order,
};

on_both_backends!(
    every_write_appends_its_events_and_a_stale_revision_writes_nothing,
    two_engines_writing_at_once_give_one_event_per_write_in_commit_order,
    subscriptions_keep_their_cursor_log_and_lease,
    seeding_is_idempotent_and_keeps_edits,
    status_changes_are_versioned_and_recorded,
    bad_input_gives_a_stable_code_and_changes_nothing,
    every_acknowledged_write_survives_sigkill,
    concurrent_writers_on_two_connections_lose_nothing,
    a_second_engine_sees_works_created_through_the_first,
);

fn engine_at(path: &std::path::Path) -> (Engine, Catalogue) {
    engine_on(path.to_str().unwrap())
}

fn engine_on(db: &str) -> (Engine, Catalogue) {
    let cat = Catalogue::jinzhou().unwrap();
    let store = store::open(db).unwrap();
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

fn seeding_is_idempotent_and_keeps_edits(b: Backend) {
    let db = b.new_db();
    let (e, cat) = engine_on(&db.spec);
    let n = cat.works.len();
    // Both back-ends list in the natural order of ids (P2 before P10).
    let ids: Vec<String> = e
        .list_works(&WorkFilter::default())
        .unwrap()
        .into_iter()
        .map(|w| w.id.to_string())
        .collect();
    let pos = |x: &str| ids.iter().position(|i| i == x).unwrap();
    assert!(pos("P2") < pos("P10"), "{ids:?}");
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
        ["actual_start", "status", "status_source"]
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

fn status_changes_are_versioned_and_recorded(b: Backend) {
    let db = b.new_db();
    let (e, _) = engine_on(&db.spec);
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

fn bad_input_gives_a_stable_code_and_changes_nothing(b: Backend) {
    let db = b.new_db();
    let (e, _) = engine_on(&db.spec);
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

fn every_acknowledged_write_survives_sigkill(b: Backend) {
    use rand::Rng;
    let db = b.new_db();
    let mut child = Command::new(crate::common::jzplan_bin())
        .args([
            "--db",
            &db.spec,
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
    let store = store::open(&db.spec).unwrap();
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

/// Writers on two connections (two stores on one database, as two replicas have) bump one
/// scenario concurrently, each retrying on `Conflict` with the version it reads back: every
/// acknowledged write is in the history exactly once and the version counts them all.
fn concurrent_writers_on_two_connections_lose_nothing(b: Backend) {
    use jzplan::scenario::Scenario;
    let db = b.new_db();
    let stores: Vec<Arc<dyn Store>> = vec![
        store::open(&db.spec).unwrap(),
        store::open(&db.spec).unwrap(),
    ];
    let change = |actor: &str, comment: String| jzplan::store::Change {
        actor: actor.into(),
        field: "scenario".into(),
        old: String::new(),
        new: String::new(),
        comment,
    };
    let s = Scenario {
        id: "race".into(),
        name: "race".into(),
        date: d("2022-06-01"),
        window: None,
        overrides: vec![],
        version: 0,
    };
    stores[0]
        .put_scenario(&s, 0, &change("t", "created".into()))
        .unwrap();
    let rev0 = stores[1].revision().unwrap();
    let (threads, per_thread) = (4, 12);
    let acked: Vec<Vec<String>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let st = stores[t % 2].clone();
                sc.spawn(move || {
                    let mut mine = Vec::new();
                    let mut conflicts = 0;
                    for i in 0..per_thread {
                        loop {
                            let cur = st.get_scenario("race").unwrap();
                            let tag = format!("w{t}-{i}");
                            match st.put_scenario(&cur, cur.version, &change("t", tag.clone())) {
                                Ok(saved) => {
                                    assert_eq!(saved.version, cur.version + 1);
                                    mine.push(tag);
                                    break;
                                }
                                Err(Error::Conflict(_)) => conflicts += 1,
                                Err(e) => panic!("write failed: {e}"),
                            }
                            assert!(conflicts < 10_000, "livelock");
                        }
                    }
                    mine
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let acked: Vec<String> = acked.into_iter().flatten().collect();
    assert_eq!(acked.len(), threads * per_thread);
    let fin = stores[1].get_scenario("race").unwrap();
    assert_eq!(fin.version, 1 + acked.len() as u64);
    let hist = stores[0].history("scenario:race").unwrap();
    let mut comments: Vec<String> = hist.iter().skip(1).map(|h| h.comment.clone()).collect();
    let versions: Vec<u64> = hist.iter().map(|h| h.version).collect();
    assert_eq!(versions, (1..=fin.version).collect::<Vec<_>>());
    comments.sort();
    let mut want = acked.clone();
    want.sort();
    assert_eq!(comments, want, "each acknowledged write once, nothing else");
    // The revision moved on once per write, seen alike through both connections.
    let rev = stores[0].revision().unwrap();
    assert_eq!(rev, rev0 + acked.len() as u64);
    assert_eq!(stores[1].revision().unwrap(), rev);
}

/// Two engines on one database (two replicas): a work created through the first closes its
/// edge in the second's network state at once, and a stale version is refused by the second.
fn a_second_engine_sees_works_created_through_the_first(b: Backend) {
    let db = b.new_db();
    let (a, _) = engine_on(&db.spec);
    let (bb, _) = engine_on(&db.spec);
    let p1 = a.get_work(&id("P1")).unwrap().work;
    let mut w = p1.clone();
    w.id = id("U7");
    w.parent = None;
    w.hotspot = None;
    w.effects = vec![
        serde_json::from_value(serde_json::json!({
        "phase": "construction", "action": {"kind": "close"},
        "target": {"type": "edges", "edges": [0]}}))
        .unwrap(),
    ];
    let on = p1.window().start;
    assert!(bb.state_on(on).unwrap().is_open(EdgeId(0)));
    a.create_work(&w, "a", "new on A").unwrap();
    assert!(
        !bb.state_on(on).unwrap().is_open(EdgeId(0)),
        "B missed A's work"
    );
    assert_eq!(bb.get_work(&id("U7")).unwrap().edges, vec![EdgeId(0)]);
    // A moves P10 on; B's writer still holds the old version and is refused.
    let p10 = bb.get_work(&id("P10")).unwrap().work;
    a.set_status(
        &id("P10"),
        Status::UnderConstruction,
        d("2023-04-03"),
        p10.version,
        "a",
        "",
    )
    .unwrap();
    let r = bb.set_status(
        &id("P10"),
        Status::Suspended,
        d("2023-05-01"),
        p10.version,
        "b",
        "",
    );
    assert!(matches!(r, Err(Error::Conflict(_))), "{r:?}");
    assert_eq!(
        bb.get_work(&id("P10")).unwrap().work.status,
        Status::UnderConstruction
    );
}

#[test]
fn postgres_refuses_foreign_and_newer_databases() {
    let pg = crate::common::pg();
    // Another application's tables: left alone.
    let url = pg.new_database().unwrap();
    let name = url.rsplit('/').next().unwrap().to_string();
    pg.sql(
        &name,
        &["CREATE TABLE customers (id int PRIMARY KEY, name text)"],
    )
    .unwrap();
    let err = store::open(&url)
        .err()
        .expect("foreign database must be refused");
    assert_eq!(err.code(), "StoreError");
    assert!(err.to_string().contains("not a jzplan database"), "{err}");
    assert!(err.to_string().contains("customers"), "{err}");
    // A jzplan database from a newer jzplan.
    let url = pg.new_database().unwrap();
    drop(store::open(&url).unwrap());
    let name = url.rsplit('/').next().unwrap().to_string();
    pg.sql(
        &name,
        &["UPDATE jzplan_meta SET value = '999' WHERE key = 'schema_version'"],
    )
    .unwrap();
    let err = store::open(&url)
        .err()
        .expect("newer schema must be refused");
    assert!(err.to_string().contains("newer than this jzplan"), "{err}");
    // A database that does not exist: a store error naming it, no password in it.
    let err = store::open(&pg.url("no_such_db")).err().unwrap();
    assert_eq!(err.code(), "StoreError");
    assert!(err.to_string().contains("no_such_db"), "{err}");
}

/// The works and choke points are PostGIS geometries in EPSG:4326 with spatial indexes, as
/// QGIS needs them to open the tables as layers.
#[test]
fn postgres_tables_are_postgis_layers() {
    let pg = crate::common::pg();
    let url = pg.new_database().unwrap();
    let _ = engine_on(&url);
    let rows = std::thread::spawn(move || {
        let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
        let cols = c
            .query(
                "SELECT f_table_name::text, srid, type::text FROM geometry_columns ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i32>(1), r.get::<_, String>(2)))
            .collect::<Vec<_>>();
        let gist: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'",
                &[],
            )
            .unwrap()
            .get(0);
        // P1's line lies in Jinzhou, and the index answers a bbox query.
        let hits: i64 = c
            .query_one(
                "SELECT count(*) FROM works WHERE geom && ST_MakeEnvelope(120.5, 40.5, 122.0, 42.0, 4326)",
                &[],
            )
            .unwrap()
            .get(0);
        let hotspots: i64 = c
            .query_one("SELECT count(*) FROM hotspots WHERE ST_IsValid(geom)", &[])
            .unwrap()
            .get(0);
        (cols, gist, hits, hotspots)
    })
    .join()
    .unwrap();
    assert_eq!(
        rows.0,
        vec![
            ("hotspots".to_string(), 4326, "POINT".to_string()),
            ("works".to_string(), 4326, "GEOMETRY".to_string())
        ]
    );
    assert_eq!(rows.1, 2);
    assert!(rows.2 > 10, "works in the Jinzhou box: {}", rows.2);
    assert_eq!(rows.3, 15);
}
