//! The PostgreSQL/PostGIS store: the same records, versions, history and revision counter as
//! the SQLite store, in a database that several `jzplan serve` replicas share and that GIS staff
//! open directly (QGIS: works and choke points as PostGIS layers in EPSG:4326, with GiST
//! indexes).
//!
//! Records keep their JSON body (`jsonb`) next to indexed columns and a geometry. Each write is
//! one transaction: the record, its history entry and the bump of the `revision` row commit
//! together, and a method returns only after the commit (PostgreSQL's default
//! `synchronous_commit = on`: an acknowledged write is on disk). Versions are checked under a
//! row lock (`SELECT … FOR UPDATE`), so two replicas writing the same record at once cannot
//! both win. The `revision` row is locked last by every write, which orders the revision
//! numbers as the commits.
//!
//! The synchronous [`postgres`] client runs its own small runtime and must not be called from
//! an async task; the store therefore keeps its connections on a few worker threads of its own
//! and hands each call to one of them, so every [`Store`] method is safe to call from anywhere
//! (async handlers, `spawn_blocking`, the CLI). A connection that broke is opened again for
//! the next call.

use super::migrations::MIGRATIONS;
use super::postgres_feed as feed;
pub use super::postgres_rows::wkt;
use super::postgres_rows::{WorkRow, decode, describe, err, insert_history, write_hotspot};
use super::records::body_of;
use super::{Change, Delivery, Event, SeedReport, Store, Subscription, WorkWrite};
use ::postgres::{Client, NoTls, Transaction};
use jzplan_core::hotspot::{Hotspot, HotspotId};
use jzplan_core::scenario::Scenario;
use jzplan_core::works::catalogue::Catalogue;
use jzplan_core::works::{HistoryEntry, Work, WorkFilter, WorkId};
use jzplan_core::{Error, Result};
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

/// The value of `application` in `jzplan_meta`, which marks a database as ours.
pub const APPLICATION: &str = "jzplan";

/// Connections (and worker threads) per store.
const CONNECTIONS: usize = 4;

/// Key of the advisory lock that serialises migrations of replicas starting at once ("jzpl").
const MIGRATION_LOCK: i64 = 0x6A7A_706C;

/// Whether `db` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
pub fn is_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

type Job = Box<dyn FnOnce(&mut Option<Client>) + Send>;

/// The PostgreSQL/PostGIS store.
pub struct PgStore {
    jobs: Option<mpsc::Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    config: Arc<::postgres::Config>,
    target: Arc<str>,
}

/// The database a configuration names, without its password (for messages).
fn describe_target(c: &::postgres::Config) -> String {
    use ::postgres::config::Host;
    let host = match c.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        c.get_user().unwrap_or(""),
        c.get_dbname().unwrap_or("")
    )
}

impl PgStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db`, or
    /// `postgresql:///db?host=/run/postgresql` for a unix socket), checks that the database is
    /// empty or a jzplan database, installs PostGIS if needed and applies pending migrations
    /// (under an advisory lock, so replicas may start together). An unreachable server, a
    /// foreign database or a newer schema gives `Error::Store`.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut config: ::postgres::Config = url
            .parse()
            .map_err(|e| Error::Store(format!("bad PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("jzplan");
        }
        let target: Arc<str> = describe_target(&config).into();
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let workers = (0..CONNECTIONS)
            .map(|i| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("jzplan-pg-{i}"))
                    .spawn(move || worker(&rx))
                    .map_err(|e| Error::Store(format!("cannot start a database thread: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let store = PgStore {
            jobs: Some(tx),
            workers,
            config: Arc::new(config),
            target,
        };
        store.run(migrate)?;
        Ok(store)
    }

    /// The database, without password (`postgres://user@host:port/db`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `f` on one of the store's connections (opened, or opened again, as needed) and
    /// waits for its answer. Safe from any thread, async or not.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &str) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (answer, wait) = mpsc::sync_channel(1);
        let config = self.config.clone();
        let target = self.target.clone();
        let job: Job = Box::new(move |slot: &mut Option<Client>| {
            if slot.as_ref().is_some_and(|c| c.is_closed()) {
                *slot = None;
            }
            let r = match slot {
                Some(c) => f(c, &target),
                None => match config.connect(NoTls) {
                    Ok(c) => f(slot.insert(c), &target),
                    Err(e) => Err(Error::Store(format!(
                        "{target}: cannot connect: {}",
                        describe(&e)
                    ))),
                },
            };
            let _ = answer.send(r);
        });
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| Error::Store(format!("{}: store closed", self.target)))?;
        jobs.send(job)
            .map_err(|_| Error::Store(format!("{}: database threads stopped", self.target)))?;
        wait.recv().map_err(|_| {
            Error::Store(format!(
                "{}: the database call failed without an answer (panic)",
                self.target
            ))
        })?
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.jobs = None; // the workers see the closed channel and end
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// A worker thread: takes jobs until the store is dropped; a panicking job costs its
/// connection, not the thread.
fn worker(rx: &Mutex<mpsc::Receiver<Job>>) {
    let mut client: Option<Client> = None;
    loop {
        let job = {
            let Ok(rx) = rx.lock() else { return };
            match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        let slot = &mut client;
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || job(slot))).is_err() {
            client = None;
        }
    }
}

/// Checks the database is empty or ours, then applies the pending migrations in one
/// transaction.
fn migrate(c: &mut Client, target: &str) -> Result<()> {
    let e = |x: ::postgres::Error| err(target, &x);
    let mut tx = c.transaction().map_err(e)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(e)?;
    let ours: bool = tx
        .query_one("SELECT to_regclass('jzplan_meta') IS NOT NULL", &[])
        .map_err(e)?
        .get(0);
    if !ours {
        let tables: Vec<String> = tx
            .query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename <> 'spatial_ref_sys' ORDER BY 1",
                &[],
            )
            .map_err(e)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !tables.is_empty() {
            return Err(Error::Store(format!(
                "{target}: not a jzplan database (no jzplan_meta, {} other table(s): {}); \
                 refusing to touch it",
                tables.len(),
                tables.join(", ")
            )));
        }
        tx.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")
            .map_err(|x| {
                Error::Store(format!(
                    "{target}: PostGIS is not available ({}); install the server package \
                     postgresql-15-postgis-3, or have a superuser run CREATE EXTENSION postgis",
                    describe(&x)
                ))
            })?;
        tx.batch_execute(
            "CREATE TABLE jzplan_meta (key text PRIMARY KEY, value text NOT NULL);
             INSERT INTO jzplan_meta VALUES ('application', 'jzplan'), ('schema_version', '0');",
        )
        .map_err(e)?;
    }
    let meta = |tx: &mut Transaction<'_>, key: &str| -> Result<String> {
        tx.query_opt("SELECT value FROM jzplan_meta WHERE key = $1", &[&key])
            .map_err(e)?
            .map(|r| r.get::<_, String>(0))
            .ok_or_else(|| Error::Store(format!("{target}: jzplan_meta has no {key}")))
    };
    let app = meta(&mut tx, "application")?;
    if app != APPLICATION {
        return Err(Error::Store(format!(
            "{target}: not a jzplan database (application '{app}'); refusing to touch it"
        )));
    }
    let version: usize = meta(&mut tx, "schema_version")?.parse().map_err(|_| {
        Error::Store(format!(
            "{target}: unreadable schema_version in jzplan_meta"
        ))
    })?;
    if version > MIGRATIONS.len() {
        return Err(Error::Store(format!(
            "{target}: database schema version {version} is newer than this jzplan ({}); \
             upgrade jzplan",
            MIGRATIONS.len()
        )));
    }
    for (i, m) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.batch_execute(m.postgres).map_err(|x| {
            Error::Store(format!(
                "{target}: migration {} ({}) failed: {}",
                i + 1,
                m.name,
                describe(&x)
            ))
        })?;
        tx.execute(
            "UPDATE jzplan_meta SET value = $1 WHERE key = 'schema_version'",
            &[&(i + 1).to_string()],
        )
        .map_err(e)?;
    }
    tx.commit().map_err(e)
}

/// A table of versioned JSON records. The names are constants of this file, never user input.
#[derive(Clone, Copy)]
struct Table {
    name: &'static str,
    what: &'static str,
}

const WORKS: Table = Table {
    name: "works",
    what: "work",
};
const HOTSPOTS: Table = Table {
    name: "hotspots",
    what: "hotspot",
};
const SCENARIOS: Table = Table {
    name: "scenarios",
    what: "scenario",
};

fn stale(t: Table, id: &str, at: u64, expected: u64) -> Error {
    Error::Conflict(format!(
        "{} {id} is at version {at}, not {expected}: reload and retry",
        t.what
    ))
}

/// The version of `id` in `t`, locked until the end of `tx` (`None`: no such record).
fn locked_version(
    tx: &mut Transaction<'_>,
    t: Table,
    id: &str,
) -> std::result::Result<Option<u64>, ::postgres::Error> {
    Ok(tx
        .query_opt(
            &format!("SELECT version FROM {} WHERE id = $1 FOR UPDATE", t.name),
            &[&id],
        )?
        .map(|r| r.get::<_, i64>(0) as u64))
}

/// `Ok` if `id` is at `expected` (locked), else `NotFound` or `Conflict`.
fn check_version(
    tx: &mut Transaction<'_>,
    target: &str,
    t: Table,
    id: &str,
    expected: u64,
) -> Result<()> {
    match locked_version(tx, t, id).map_err(|e| err(target, &e))? {
        None => Err(Error::not_found(t.what, id)),
        Some(v) if v != expected => Err(stale(t, id, v, expected)),
        Some(_) => Ok(()),
    }
}

impl PgStore {
    fn list_bodies<T: DeserializeOwned + Send + 'static>(&self, t: Table) -> Result<Vec<T>> {
        self.run(move |c, target| {
            let rows = c
                .query(
                    &format!(
                        "SELECT id, body::text FROM {} ORDER BY id COLLATE \"C\"",
                        t.name
                    ),
                    &[],
                )
                .map_err(|e| err(target, &e))?;
            let mut rows: Vec<(&str, &str)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            // The same order as the SQLite store: natural order of ids (P2 before P10).
            rows.sort_by(|a, b| super::natural_cmp(a.0, b.0));
            rows.iter()
                .map(|(id, body)| decode(target, t.what, id, body))
                .collect()
        })
    }

    fn get_body<T: DeserializeOwned + Send + 'static>(&self, t: Table, id: &str) -> Result<T> {
        let id = id.to_string();
        self.run(move |c, target| {
            let row = c
                .query_opt(
                    &format!("SELECT body::text FROM {} WHERE id = $1", t.name),
                    &[&id],
                )
                .map_err(|e| err(target, &e))?;
            match row {
                Some(r) => decode(target, t.what, &id, r.get(0)),
                None => Err(Error::not_found(t.what, &id)),
            }
        })
    }

    /// Creates (`expected_version` 0) or replaces a scenario, with its history entry.
    fn put_scenario_row(&self, s: Scenario, expected_version: u64, change: Change) -> Result<()> {
        let body = body_of(&s)?;
        self.run(move |c, target| {
            let e = |x: ::postgres::Error| err(target, &x);
            let mut tx = c.transaction().map_err(e)?;
            let id = s.id.as_str();
            match (locked_version(&mut tx, SCENARIOS, id).map_err(e)?, expected_version) {
                (None, 0) => {
                    let n = tx
                        .execute(
                            "INSERT INTO scenarios (id, version, body) VALUES ($1, 1, $2::text::jsonb)
                             ON CONFLICT (id) DO NOTHING",
                            &[&id, &body],
                        )
                        .map_err(e)?;
                    if n == 0 {
                        // Created by someone else since the lookup.
                        return Err(Error::Conflict(format!(
                            "scenario {id} was just created by another writer: reload and retry"
                        )));
                    }
                }
                (None, _) => return Err(Error::not_found("scenario", id)),
                (Some(v), x) if v != x => return Err(stale(SCENARIOS, id, v, x)),
                (Some(v), _) => {
                    tx.execute(
                        "UPDATE scenarios SET version = $2, body = $3::text::jsonb WHERE id = $1",
                        &[&id, &((v + 1) as i64), &body],
                    )
                    .map_err(e)?;
                }
            }
            insert_history(&mut tx, &format!("scenario:{id}"), s.version, &change).map_err(e)?;
            tx.commit().map_err(e)
        })
    }
}

impl Store for PgStore {
    fn revision(&self) -> Result<u64> {
        self.run(|c, target| {
            c.query_one("SELECT n FROM revision WHERE id = 1", &[])
                .map(|r| r.get::<_, i64>(0) as u64)
                .map_err(|e| err(target, &e))
        })
    }

    fn list_works(&self, filter: &WorkFilter) -> Result<Vec<Work>> {
        let mut works: Vec<Work> = self.list_bodies(WORKS)?;
        works.retain(|w| filter.matches(w));
        Ok(works)
    }

    fn get_work(&self, id: &WorkId) -> Result<Work> {
        self.get_body(WORKS, id.as_str())
    }

    fn write_work(&self, ww: &WorkWrite<'_>) -> Result<Option<Work>> {
        ww.work.validate()?;
        ww.change.validate()?;
        let mut w = ww.work.clone();
        w.version = ww.expected_version + 1;
        let row = WorkRow::of(&w)?;
        let (change, events) = (ww.change.clone(), ww.events.to_vec());
        let (expected, at_revision) = (ww.expected_version, ww.at_revision);
        let written = self.run(move |c, target| {
            let e = |x: ::postgres::Error| err(target, &x);
            let mut tx = c.transaction().map_err(e)?;
            // Every work write takes the revision row first: writes queue here, so the
            // revision guard holds until the commit and event cursors follow commit order.
            let n: i64 = tx
                .query_one("SELECT n FROM revision WHERE id = 1 FOR UPDATE", &[])
                .map_err(e)?
                .get(0);
            if at_revision.is_some_and(|r| r != n as u64) {
                return Ok(false);
            }
            if expected == 0 {
                if row.write(&mut tx, true, None).map_err(e)? == 0 {
                    return Err(Error::Conflict(format!("work {} already exists", row.id)));
                }
            } else {
                check_version(&mut tx, target, WORKS, &row.id, expected)?;
                row.write(&mut tx, false, None).map_err(e)?;
            }
            insert_history(&mut tx, &row.id, row.version as u64, &change).map_err(e)?;
            super::postgres_feed::insert_events(&mut tx, &events).map_err(e)?;
            tx.commit().map_err(e)?;
            Ok(true)
        })?;
        Ok(written.then_some(w))
    }

    fn history(&self, record: &str) -> Result<Vec<HistoryEntry>> {
        let record = record.to_string();
        self.run(move |c, target| {
            let rows = c
                .query(
                    "SELECT record, version, at, actor, field, old, new, comment
                     FROM history WHERE record = $1 ORDER BY seq",
                    &[&record],
                )
                .map_err(|e| err(target, &e))?;
            Ok(rows
                .iter()
                .map(|r| HistoryEntry {
                    record: r.get(0),
                    version: r.get::<_, i64>(1) as u64,
                    at: r.get(2),
                    actor: r.get(3),
                    field: r.get(4),
                    old: r.get(5),
                    new: r.get(6),
                    comment: r.get(7),
                })
                .collect())
        })
    }

    fn list_hotspots(&self) -> Result<Vec<Hotspot>> {
        self.list_bodies(HOTSPOTS)
    }

    fn get_hotspot(&self, id: &HotspotId) -> Result<Hotspot> {
        self.get_body(HOTSPOTS, id.as_str())
    }

    fn put_hotspot(&self, h: &Hotspot, expected_version: u64, change: &Change) -> Result<Hotspot> {
        h.validate()?;
        change.validate()?;
        let mut h = h.clone();
        h.version = expected_version + 1;
        let saved = h.clone();
        let change = change.clone();
        self.run(move |c, target| {
            let e = |x: ::postgres::Error| err(target, &x);
            let mut tx = c.transaction().map_err(e)?;
            let id = h.id.as_str().to_string();
            match (
                locked_version(&mut tx, HOTSPOTS, &id).map_err(e)?,
                expected_version,
            ) {
                (None, 0) => {
                    if write_hotspot(&mut tx, &h, true, None)? == 0 {
                        return Err(Error::Conflict(format!(
                            "hotspot {id} was just created by another writer: reload and retry"
                        )));
                    }
                }
                (None, _) => return Err(Error::not_found("hotspot", &id)),
                (Some(v), x) if v != x => return Err(stale(HOTSPOTS, &id, v, x)),
                (Some(_), _) => {
                    write_hotspot(&mut tx, &h, false, None)?;
                }
            }
            insert_history(&mut tx, &id, h.version, &change).map_err(e)?;
            tx.commit().map_err(e)
        })?;
        Ok(saved)
    }

    fn list_scenarios(&self) -> Result<Vec<Scenario>> {
        self.list_bodies(SCENARIOS)
    }

    fn get_scenario(&self, id: &str) -> Result<Scenario> {
        self.get_body(SCENARIOS, id)
    }

    fn put_scenario(
        &self,
        s: &Scenario,
        expected_version: u64,
        change: &Change,
    ) -> Result<Scenario> {
        s.validate()?;
        change.validate()?;
        let mut s = s.clone();
        s.version = expected_version + 1;
        self.put_scenario_row(s.clone(), expected_version, change.clone())?;
        Ok(s)
    }

    fn delete_scenario(&self, id: &str, expected_version: u64, change: &Change) -> Result<()> {
        change.validate()?;
        let id = id.to_string();
        let change = change.clone();
        self.run(move |c, target| {
            let e = |x: ::postgres::Error| err(target, &x);
            let mut tx = c.transaction().map_err(e)?;
            check_version(&mut tx, target, SCENARIOS, &id, expected_version)?;
            tx.execute("DELETE FROM scenarios WHERE id = $1", &[&id])
                .map_err(e)?;
            insert_history(
                &mut tx,
                &format!("scenario:{id}"),
                expected_version + 1,
                &change,
            )
            .map_err(e)?;
            tx.commit().map_err(e)
        })
    }

    fn events(&self, since: u64, limit: usize) -> Result<Vec<Event>> {
        self.run(move |c, t| feed::events(c, t, since, limit))
    }

    fn last_event(&self) -> Result<u64> {
        self.run(feed::last_event)
    }

    fn create_subscription(&self, s: &Subscription) -> Result<()> {
        let s = s.clone();
        self.run(move |c, t| feed::create_subscription(c, t, &s))
    }

    fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        self.run(feed::list_subscriptions)
    }

    fn delete_subscription(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.run(move |c, t| feed::delete_subscription(c, t, &id))
    }

    fn record_delivery(
        &self,
        d: Option<&Delivery>,
        id: &str,
        advance_to: Option<u64>,
    ) -> Result<()> {
        let (d, id) = (d.cloned(), id.to_string());
        self.run(move |c, t| feed::record_delivery(c, t, d.as_ref(), &id, advance_to))
    }

    fn deliveries(&self, id: &str, limit: usize) -> Result<Vec<Delivery>> {
        let id = id.to_string();
        self.run(move |c, t| feed::deliveries(c, t, &id, limit))
    }

    fn claim_subscription(&self, id: &str, owner: &str, lease_s: u32) -> Result<bool> {
        let (id, owner) = (id.to_string(), owner.to_string());
        self.run(move |c, t| feed::claim_subscription(c, t, &id, &owner, lease_s))
    }

    fn seed(&self, catalogue: &Catalogue) -> Result<SeedReport> {
        catalogue.validate()?;
        let catalogue = catalogue.clone();
        self.run(move |c, target| super::postgres_seed::seed(c, target, &catalogue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jzplan_core::works::WorkGeometry;

    #[test]
    fn urls_pick_postgres_and_paths_sqlite() {
        assert!(is_url("postgres://u@127.0.0.1:5432/jz"));
        assert!(is_url("postgresql:///jz?host=/tmp"));
        assert!(!is_url("jzplan.db"));
        assert!(!is_url("/var/lib/jzplan/postgres.db"));
    }

    #[test]
    fn wkt_closes_rings_and_pads_one_point_lines() {
        assert_eq!(
            wkt(&WorkGeometry::Point([121.1, 41.1])),
            "POINT(121.1 41.1)"
        );
        assert_eq!(
            wkt(&WorkGeometry::Polygon(vec![vec![
                [0.0, 0.0],
                [1.0, 0.0],
                [1.0, 1.0],
                [0.0, 1.0]
            ]])),
            "POLYGON((0 0, 1 0, 1 1, 0 1, 0 0))"
        );
        assert_eq!(
            wkt(&WorkGeometry::MultiLineString(vec![
                vec![[0.0, 0.0]],
                vec![[1.0, 1.0], [2.0, 2.0]]
            ])),
            "MULTILINESTRING((0 0, 0 0), (1 1, 2 2))"
        );
    }

    #[test]
    fn a_bad_url_or_an_unreachable_server_is_a_store_error() {
        let e = PgStore::open("postgres://u@127.0.0.1:notaport/x")
            .err()
            .unwrap();
        assert_eq!(e.code(), "StoreError", "{e}");
        // Port 1 on loopback: nothing listens there.
        let e = PgStore::open("postgres://u:secret@127.0.0.1:1/x?connect_timeout=2")
            .err()
            .unwrap();
        assert_eq!(e.code(), "StoreError", "{e}");
        let msg = e.to_string();
        assert!(msg.contains("cannot connect"), "{msg}");
        assert!(!msg.contains("secret"), "the password leaked: {msg}");
    }
}
