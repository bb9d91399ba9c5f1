//! What a replica pays per request to know whether another replica changed the works, and
//! what the alternative would leave stale:
//! - `revision`: reading the store's revision counter (one indexed row), SQLite and
//!   PostgreSQL (a throwaway cluster on 127.0.0.1, see `jzplan::store::pg_cluster`);
//! - `list_works`: reading every work (what the dated-layer caches key on today);
//! - `sync_attachment_unchanged`: the engine's check before a dated request when nothing
//!   changed (one revision read);
//! - `notify_to_listener`: PostgreSQL LISTEN/NOTIFY, from a committed NOTIFY on one connection
//!   to its arrival on another: the window in which a replica relying on notifications would
//!   still answer from stale caches.
//!
//! - `edit_with_feed` / `edit_store_only`: what the change feed costs a write — moving a
//!   work's dates through the engine (findings of the work before and after, record and
//!   finding events, revision guard) against the same write of the record and its history
//!   entry straight to the store (no findings computed; only the record event).
//!
//! Under `cargo test` (no `--bench`) each runs once as a smoke test.

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::engine::Engine;
use jzplan::store::pg_cluster::TempCluster;
use jzplan::store::{self, Change, Store};
use jzplan::works::catalogue::Catalogue;
use jzplan::works::{DateRange, WorkFilter, WorkId};
use postgres::fallible_iterator::FallibleIterator;
use std::hint::black_box;
use std::sync::Arc;

fn engine_on(db: &str, cat: &Catalogue) -> (Engine, Arc<dyn Store>) {
    let s = store::open(db).expect("store");
    let net = jzplan::io::geojson::jinzhou_network().expect("network");
    let e = Engine::with_works(net, s.clone(), cat).expect("engine");
    e.seed(cat).expect("seed");
    (e, s)
}

fn bench(c: &mut Criterion) {
    let cat = Catalogue::jinzhou().expect("catalogue");
    let pg = TempCluster::start().expect("PostgreSQL server for the store benches");
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = dir.path().join("b.db");
    let pg_url = pg.new_database().expect("database");
    let mut g = c.benchmark_group("store");
    for (name, db) in [
        ("sqlite", sqlite.to_str().expect("path")),
        ("postgres", &pg_url),
    ] {
        let (engine, s) = engine_on(db, &cat);
        g.bench_function(format!("revision_{name}"), |b| {
            b.iter(|| black_box(s.revision().expect("revision")))
        });
        g.bench_function(format!("list_works_{name}"), |b| {
            b.iter(|| black_box(s.list_works(&WorkFilter::default()).expect("works")))
        });
        g.bench_function(format!("sync_attachment_unchanged_{name}"), |b| {
            b.iter(|| engine.sync_attachment().expect("sync"))
        });
        let p10 = WorkId("P10".into());
        let days = |i: u64| {
            let a = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).expect("day");
            DateRange::new(a, a + chrono::Days::new(60 + i % 2)).expect("range")
        };
        let mut i = 0u64;
        g.bench_function(format!("edit_with_feed_{name}"), |b| {
            b.iter(|| {
                i += 1;
                let v = s.get_work(&p10).expect("P10").version;
                black_box(
                    engine
                        .set_dates(&p10, days(i), None, v, "bench", "")
                        .expect("edit"),
                )
            })
        });
        g.bench_function(format!("edit_store_only_{name}"), |b| {
            b.iter(|| {
                i += 1;
                let w = s.get_work(&p10).expect("P10");
                let nw = w.with_planned(days(i), None).expect("dates");
                let change = Change {
                    actor: "bench".into(),
                    field: "dates".into(),
                    old: String::new(),
                    new: String::new(),
                    comment: String::new(),
                };
                black_box(s.update_work(&nw, w.version, &change).expect("write"))
            })
        });
    }
    // LISTEN/NOTIFY latency between two connections (on a thread: the sync client must not
    // run inside an async runtime, and criterion's closure is plain code anyway).
    let mut listener = postgres::Client::connect(&pg_url, postgres::NoTls).expect("connect");
    let mut notifier = postgres::Client::connect(&pg_url, postgres::NoTls).expect("connect");
    listener
        .batch_execute("LISTEN jzplan_bench")
        .expect("listen");
    g.bench_function("notify_to_listener_postgres", |b| {
        b.iter(|| {
            notifier
                .batch_execute("NOTIFY jzplan_bench")
                .expect("notify");
            let mut n = listener.notifications();
            let got = n
                .timeout_iter(std::time::Duration::from_secs(5))
                .next()
                .expect("listener")
                .expect("notification within 5 s");
            black_box(got)
        })
    });
    g.finish();
    drop(listener);
    drop(notifier);
    pg.stop();
}

criterion_group!(benches, bench);
criterion_main!(benches);
