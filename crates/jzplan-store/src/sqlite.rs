//! The SQLite store: one file, WAL journal, `synchronous = FULL` (a write acknowledged by
//! [`Store`] methods survives a crash or power loss), schema migrations by `user_version`,
//! and `application_id` to recognise our own files. Records are stored as JSON bodies with a
//! few indexed columns; each change and its history entry commit in one transaction.

use super::sqlite_feed as feed;
use super::{Change, Delivery, Event, SeedReport, Store, Subscription, WorkWrite, record_event};
use jzplan_core::hotspot::{Hotspot, HotspotId};
use jzplan_core::scenario::Scenario;
use jzplan_core::works::catalogue::Catalogue;
use jzplan_core::works::{HistoryEntry, Work, WorkFilter, WorkId};
use jzplan_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `PRAGMA application_id` of jzplan databases ("jzpl").
pub const APPLICATION_ID: i32 = 0x6A7A_706C;

/// Schema migrations (shared with PostgreSQL); `user_version` = number applied.
use super::migrations::MIGRATIONS;
use super::records::{body_of, canonical, differing_fields};

/// The embedded SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn store_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Store(format!("{}: {e}", path.display()))
}

impl SqliteStore {
    /// Opens (creating if needed) a database file, checks it is a jzplan database and applies
    /// pending migrations (`:memory:` gives a private in-memory database). A corrupt file or another program's database gives `Error::Store`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if path.as_os_str() == ":memory:" {
            return Self::open_in_memory();
        }
        let conn = Connection::open(path).map_err(|e| store_err(path, e))?;
        Self::init(conn, path.to_path_buf(), true)
    }

    /// A private in-memory database (tests, one-shot CLI runs).
    pub fn open_in_memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory().map_err(|e| store_err(Path::new(":memory:"), e))?;
        Self::init(conn, PathBuf::from(":memory:"), false)
    }

    fn init(conn: Connection, path: PathBuf, file: bool) -> Result<SqliteStore> {
        let err = |e: rusqlite::Error| store_err(&path, e);
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        // The first read detects a file that is not a database at all.
        let app_id: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| store_err(&path, format!("not a readable SQLite database ({e})")))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(err)?;
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| store_err(&path, format!("not a readable SQLite database ({e})")))?;
        if app_id != APPLICATION_ID && (tables > 0 || version != 0) {
            return Err(store_err(
                &path,
                format!(
                    "not a jzplan database (application_id {app_id:#x}, {tables} schema objects); \
                     refusing to touch it"
                ),
            ));
        }
        if version as usize > MIGRATIONS.len() {
            return Err(store_err(
                &path,
                format!(
                    "database schema version {version} is newer than this jzplan ({}); upgrade jzplan",
                    MIGRATIONS.len()
                ),
            ));
        }
        if file {
            let mode: String = conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                .map_err(err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(store_err(
                    &path,
                    format!("could not enable WAL (got {mode})"),
                ));
            }
        }
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(err)?;
        let mut conn = conn;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Exclusive)
                .map_err(err)?;
            tx.execute_batch(m.sqlite).map_err(err)?;
            tx.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
                i + 1
            ))
            .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        // A database can pass the header checks yet have damaged pages: a quick check now gives
        // a clear error instead of a failure in the middle of some later request.
        let ok: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| store_err(&path, format!("damaged database ({e})")))?;
        if ok != "ok" {
            return Err(store_err(&path, format!("damaged database: {ok}")));
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database path (`:memory:` for in-memory stores).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        store_err(&self.path, e)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut c = self
            .conn
            .lock()
            .map_err(|_| self.err("store lock poisoned by an earlier panic"))?;
        f(&mut c)
    }

    fn decode<T: DeserializeOwned>(&self, what: &str, id: &str, body: &str) -> Result<T> {
        serde_json::from_str(body)
            .map_err(|e| self.err(format!("stored {what} {id} is unreadable: {e}")))
    }
}

fn insert_history(
    tx: &rusqlite::Transaction<'_>,
    record: &str,
    version: u64,
    c: &Change,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO history (record, version, at, actor, field, old, new, comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            record,
            version as i64,
            chrono::Utc::now().to_rfc3339(),
            c.actor,
            c.field,
            c.old,
            c.new,
            c.comment
        ],
    )?;
    // Every change writes history, so this is where the revision moves on (replicas and caches
    // compare it to see that something changed).
    tx.execute("UPDATE revision SET n = n + 1 WHERE id = 1", [])?;
    Ok(())
}

/// A table of versioned JSON records (`id`, `version`, `body`). The names are constants of this
/// file, never user input, so they may be spliced into SQL.
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

/// A write based on `expected` was refused: the record moved on to version `at`.
fn stale(t: Table, id: &str, at: u64, expected: u64) -> Error {
    Error::Conflict(format!(
        "{} {id} is at version {at}, not {expected}: reload and retry",
        t.what
    ))
}

impl SqliteStore {
    /// Every record of `t`, in natural order of ids (P1, P2, …, P10).
    fn list_bodies<T: DeserializeOwned>(&self, t: Table) -> Result<Vec<T>> {
        let rows: Vec<(String, String)> = self.with(|c| {
            let mut st = c
                .prepare_cached(&format!("SELECT id, body FROM {} ORDER BY id", t.name))
                .map_err(|e| self.err(e))?;
            let it = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| self.err(e))?;
            it.collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))
        })?;
        let mut rows = rows;
        rows.sort_by(|a, b| super::natural_cmp(&a.0, &b.0));
        rows.iter()
            .map(|(id, b)| self.decode(t.what, id, b))
            .collect()
    }

    /// The record `id` of `t`, or `NotFound`.
    fn get_body<T: DeserializeOwned>(&self, t: Table, id: &str) -> Result<T> {
        let body: Option<String> = self.with(|c| {
            c.query_row(
                &format!("SELECT body FROM {} WHERE id = ?1", t.name),
                [id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
        })?;
        match body {
            Some(b) => self.decode(t.what, id, &b),
            None => Err(Error::not_found(t.what, id)),
        }
    }

    /// The stored version of `id` in `t` (`None`: no such record), read inside `tx`.
    fn version_in(&self, tx: &Connection, t: Table, id: &str) -> Result<Option<u64>> {
        tx.query_row(
            &format!("SELECT version FROM {} WHERE id = ?1", t.name),
            [id],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map(|v| v.map(|v| v as u64))
        .map_err(|e| self.err(e))
    }

    /// The stored version of `id` in `t` if it is `expected` (a missing record is `NotFound`,
    /// another version a `Conflict`).
    fn check_version(&self, tx: &Connection, t: Table, id: &str, expected: u64) -> Result<()> {
        match self.version_in(tx, t, id)? {
            None => Err(Error::not_found(t.what, id)),
            Some(v) if v != expected => Err(stale(t, id, v, expected)),
            Some(_) => Ok(()),
        }
    }

    /// Creates (`expected_version` 0) or replaces a record of a table with only `id`, `version`
    /// and `body` (choke points, scenarios), with its history entry under `record`, in one
    /// transaction.
    fn put_body(
        &self,
        t: Table,
        id: &str,
        record: &str,
        expected_version: u64,
        body: &str,
        change: &Change,
    ) -> Result<()> {
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            let (sql, version) = match (self.version_in(&tx, t, id)?, expected_version) {
                (None, 0) => (
                    format!(
                        "INSERT INTO {} (id, version, body) VALUES (?1, ?2, ?3)",
                        t.name
                    ),
                    1,
                ),
                (None, _) => return Err(Error::not_found(t.what, id)),
                (Some(v), e) if v != e => return Err(stale(t, id, v, e)),
                (Some(v), _) => (
                    format!(
                        "UPDATE {} SET version = ?2, body = ?3 WHERE id = ?1",
                        t.name
                    ),
                    v + 1,
                ),
            };
            tx.execute(&sql, params![id, version as i64, body])
                .map_err(|e| self.err(e))?;
            insert_history(&tx, record, version, change).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))
        })
    }
}

impl Store for SqliteStore {
    fn revision(&self) -> Result<u64> {
        self.with(|c| {
            c.query_row("SELECT n FROM revision WHERE id = 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
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
        let body = body_of(&w)?;
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            if let Some(at) = ww.at_revision {
                let n: i64 = tx
                    .query_row("SELECT n FROM revision WHERE id = 1", [], |r| r.get(0))
                    .map_err(|e| self.err(e))?;
                if n as u64 != at {
                    return Ok(None); // dropping tx rolls back (nothing was written)
                }
            }
            let parent = w.parent.as_ref().map(|p| p.0.clone());
            if ww.expected_version == 0 {
                if self.version_in(&tx, WORKS, w.id.as_str())?.is_some() {
                    return Err(Error::Conflict(format!("work {} already exists", w.id)));
                }
                tx.execute(
                    "INSERT INTO works (id, version, status, kind, parent, body, seed_body)
                     VALUES (?1, 1, ?2, ?3, ?4, ?5, NULL)",
                    params![
                        w.id.as_str(),
                        w.status.as_str(),
                        w.kind.as_str(),
                        parent,
                        body
                    ],
                )
                .map_err(|e| self.err(e))?;
            } else {
                self.check_version(&tx, WORKS, w.id.as_str(), ww.expected_version)?;
                tx.execute(
                    "UPDATE works SET version = ?2, status = ?3, kind = ?4, parent = ?5, body = ?6
                     WHERE id = ?1 AND version = ?7",
                    params![
                        w.id.as_str(),
                        w.version as i64,
                        w.status.as_str(),
                        w.kind.as_str(),
                        parent,
                        body,
                        ww.expected_version as i64
                    ],
                )
                .map_err(|e| self.err(e))?;
            }
            insert_history(&tx, w.id.as_str(), w.version, ww.change).map_err(|e| self.err(e))?;
            feed::insert_events(&tx, ww.events).map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))?;
            Ok(Some(w))
        })
    }

    fn history(&self, record: &str) -> Result<Vec<HistoryEntry>> {
        self.with(|c| {
            let mut st = c
                .prepare_cached(
                    "SELECT record, version, at, actor, field, old, new, comment
                     FROM history WHERE record = ?1 ORDER BY seq",
                )
                .map_err(|e| self.err(e))?;
            let rows = st
                .query_map([record], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })
                .map_err(|e| self.err(e))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))?;
            rows.into_iter()
                .map(|(record, version, at, actor, field, old, new, comment)| {
                    let at = chrono::DateTime::parse_from_rfc3339(&at)
                        .map_err(|e| self.err(format!("bad history time '{at}': {e}")))?
                        .with_timezone(&chrono::Utc);
                    Ok(HistoryEntry {
                        record,
                        version: version as u64,
                        at,
                        actor,
                        field,
                        old,
                        new,
                        comment,
                    })
                })
                .collect()
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
        let body = body_of(&h)?;
        let id = h.id.as_str();
        self.put_body(HOTSPOTS, id, id, expected_version, &body, change)?;
        Ok(h)
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
        let body = body_of(&s)?;
        let record = format!("scenario:{}", s.id);
        self.put_body(SCENARIOS, &s.id, &record, expected_version, &body, change)?;
        Ok(s)
    }

    fn delete_scenario(&self, id: &str, expected_version: u64, change: &Change) -> Result<()> {
        change.validate()?;
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            self.check_version(&tx, SCENARIOS, id, expected_version)?;
            tx.execute("DELETE FROM scenarios WHERE id = ?1", [id])
                .map_err(|e| self.err(e))?;
            insert_history(&tx, &format!("scenario:{id}"), expected_version + 1, change)
                .map_err(|e| self.err(e))?;
            tx.commit().map_err(|e| self.err(e))
        })
    }

    fn events(&self, since: u64, limit: usize) -> Result<Vec<Event>> {
        self.with(|c| feed::events(c, since, limit))
    }

    fn last_event(&self) -> Result<u64> {
        self.with(|c| feed::last_event(c))
    }

    fn create_subscription(&self, s: &Subscription) -> Result<()> {
        self.with(|c| feed::create_subscription(c, s))
    }

    fn list_subscriptions(&self) -> Result<Vec<Subscription>> {
        self.with(|c| feed::list_subscriptions(c))
    }

    fn delete_subscription(&self, id: &str) -> Result<()> {
        self.with(|c| feed::delete_subscription(c, id))
    }

    fn record_delivery(
        &self,
        d: Option<&Delivery>,
        id: &str,
        advance_to: Option<u64>,
    ) -> Result<()> {
        self.with(|c| feed::record_delivery(c, d, id, advance_to))
    }

    fn deliveries(&self, id: &str, limit: usize) -> Result<Vec<Delivery>> {
        self.with(|c| feed::deliveries(c, id, limit))
    }

    fn claim_subscription(&self, id: &str, owner: &str, lease_s: u32) -> Result<bool> {
        self.with(|c| feed::claim_subscription(c, id, owner, lease_s))
    }

    fn seed(&self, catalogue: &Catalogue) -> Result<SeedReport> {
        catalogue.validate()?;
        let mut report = SeedReport::default();
        let seed_change = |field: &str, comment: &str| Change {
            actor: "seed".into(),
            field: field.into(),
            old: String::new(),
            new: String::new(),
            comment: comment.into(),
        };
        self.with(|c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| self.err(e))?;
            for w in &catalogue.works {
                let cat = canonical(w, |w| w.version = 0)?;
                let row: Option<(i64, String, Option<String>)> = tx
                    .query_row(
                        "SELECT version, body, seed_body FROM works WHERE id = ?1",
                        [w.id.as_str()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(|e| self.err(e))?;
                match row {
                    None => {
                        let mut nw = w.clone();
                        nw.version = 1;
                        tx.execute(
                            "INSERT INTO works (id, version, status, kind, parent, body, seed_body)
                             VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6)",
                            params![nw.id.as_str(), nw.status.as_str(), nw.kind.as_str(),
                                    nw.parent.as_ref().map(|p| p.0.clone()), body_of(&nw)?, cat],
                        )
                        .map_err(|e| self.err(e))?;
                        let change = seed_change("created", "seeded from the catalogue");
                        insert_history(&tx, w.id.as_str(), 1, &change)
                            .map_err(|e| self.err(e))?;
                        feed::insert_events(&tx, &[record_event(None, &nw, &change)])
                            .map_err(|e| self.err(e))?;
                        report.added.push(w.id.to_string());
                    }
                    Some((v, body, seed_body)) => {
                        let stored: Work = self.decode("work", w.id.as_str(), &body)?;
                        let current = canonical(&stored, |w| w.version = 0)?;
                        let edited = seed_body.as_deref() != Some(current.as_str());
                        if current == cat {
                            report.unchanged.push(w.id.to_string());
                        } else if !edited {
                            let mut nw = w.clone();
                            nw.version = v as u64 + 1;
                            tx.execute(
                                "UPDATE works SET version = ?2, status = ?3, kind = ?4, parent = ?5,
                                 body = ?6, seed_body = ?7 WHERE id = ?1",
                                params![nw.id.as_str(), nw.version as i64, nw.status.as_str(), nw.kind.as_str(),
                                        nw.parent.as_ref().map(|p| p.0.clone()), body_of(&nw)?, cat],
                            )
                            .map_err(|e| self.err(e))?;
                            let fields = differing_fields(&current, &cat).join(", ");
                            let change = seed_change("seed", &format!("catalogue changed: {fields}"));
                            insert_history(&tx, w.id.as_str(), nw.version, &change)
                                .map_err(|e| self.err(e))?;
                            feed::insert_events(&tx, &[record_event(Some(&stored), &nw, &change)])
                                .map_err(|e| self.err(e))?;
                            report.updated.push(w.id.to_string());
                        } else {
                            report.kept_edits.push((w.id.to_string(), differing_fields(&current, &cat)));
                        }
                    }
                }
            }
            for h in &catalogue.hotspots {
                let cat = canonical(h, |h| h.version = 0)?;
                let row: Option<(i64, String, Option<String>)> = tx
                    .query_row(
                        "SELECT version, body, seed_body FROM hotspots WHERE id = ?1",
                        [h.id.as_str()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()
                    .map_err(|e| self.err(e))?;
                let id = format!("hotspot {}", h.id);
                match row {
                    None => {
                        let mut nh = h.clone();
                        nh.version = 1;
                        tx.execute(
                            "INSERT INTO hotspots (id, version, body, seed_body) VALUES (?1, 1, ?2, ?3)",
                            params![h.id.as_str(), body_of(&nh)?, cat],
                        )
                        .map_err(|e| self.err(e))?;
                        insert_history(&tx, h.id.as_str(), 1, &seed_change("created", "seeded from the catalogue"))
                            .map_err(|e| self.err(e))?;
                        report.added.push(id);
                    }
                    Some((v, body, seed_body)) => {
                        let stored: Hotspot = self.decode("hotspot", h.id.as_str(), &body)?;
                        let current = canonical(&stored, |h| h.version = 0)?;
                        let edited = seed_body.as_deref() != Some(current.as_str());
                        if current == cat {
                            report.unchanged.push(id);
                        } else if !edited {
                            let mut nh = h.clone();
                            nh.version = v as u64 + 1;
                            tx.execute(
                                "UPDATE hotspots SET version = ?2, body = ?3, seed_body = ?4 WHERE id = ?1",
                                params![h.id.as_str(), nh.version as i64, body_of(&nh)?, cat],
                            )
                            .map_err(|e| self.err(e))?;
                            let fields = differing_fields(&current, &cat).join(", ");
                            insert_history(&tx, h.id.as_str(), nh.version,
                                &seed_change("seed", &format!("catalogue changed: {fields}")))
                                .map_err(|e| self.err(e))?;
                            report.updated.push(id);
                        } else {
                            report.kept_edits.push((id, differing_fields(&current, &cat)));
                        }
                    }
                }
            }
            tx.commit().map_err(|e| self.err(e))
        })?;
        Ok(report)
    }
}
