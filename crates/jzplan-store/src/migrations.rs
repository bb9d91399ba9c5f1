//! The schema migrations of both back-ends, in one list.
//!
//! Step `i` (1-based) brings a database from schema version `i - 1` to `i`; each step states
//! the same change for SQLite and for PostgreSQL/PostGIS, so the two stores always hold the same
//! records under the same version number. SQLite keeps the number in `PRAGMA user_version`,
//! PostgreSQL in the `jzplan_meta` table. A step is never edited once released: a change is a
//! new step at the end.

/// One schema step, for both back-ends.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// What the step does.
    pub name: &'static str,
    /// The SQL for SQLite.
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL 15 + PostGIS 3 (geometries in EPSG:4326 with GiST indexes, so
    /// that QGIS can open the tables as layers).
    pub postgres: &'static str,
}

/// Every step, oldest first (the schema version of a database is the number applied).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "works, hotspots, scenarios, history",
        sqlite: "CREATE TABLE works (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            kind TEXT NOT NULL,
            parent TEXT,
            body TEXT NOT NULL,
            seed_body TEXT
         );
         CREATE TABLE hotspots (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            seed_body TEXT
         );
         CREATE TABLE scenarios (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            body TEXT NOT NULL
         );
         CREATE TABLE history (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            record TEXT NOT NULL,
            version INTEGER NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            field TEXT NOT NULL,
            old TEXT NOT NULL,
            new TEXT NOT NULL,
            comment TEXT NOT NULL
         );
         CREATE INDEX history_by_record ON history(record, seq);",
        postgres: "CREATE TABLE works (
            id text PRIMARY KEY,
            version bigint NOT NULL,
            status text NOT NULL,
            kind text NOT NULL,
            parent text,
            name_zh text NOT NULL,
            name_en text NOT NULL,
            planned_start date NOT NULL,
            planned_end date NOT NULL,
            body jsonb NOT NULL,
            seed_body text,
            geom geometry(Geometry, 4326)
         );
         CREATE INDEX works_geom ON works USING gist (geom);
         CREATE INDEX works_parent ON works (parent);
         CREATE TABLE hotspots (
            id text PRIMARY KEY,
            version bigint NOT NULL,
            name_zh text NOT NULL,
            name_en text NOT NULL,
            status text NOT NULL,
            body jsonb NOT NULL,
            seed_body text,
            geom geometry(Point, 4326) NOT NULL
         );
         CREATE INDEX hotspots_geom ON hotspots USING gist (geom);
         CREATE TABLE scenarios (
            id text PRIMARY KEY,
            version bigint NOT NULL,
            body jsonb NOT NULL
         );
         CREATE TABLE history (
            seq bigserial PRIMARY KEY,
            record text NOT NULL,
            version bigint NOT NULL,
            at timestamptz NOT NULL,
            actor text NOT NULL,
            field text NOT NULL,
            old text NOT NULL,
            new text NOT NULL,
            comment text NOT NULL
         );
         CREATE INDEX history_by_record ON history (record, seq);",
    },
    Migration {
        name: "revision counter (one row, bumped by every write; replicas compare it)",
        sqlite: "CREATE TABLE revision (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            n INTEGER NOT NULL
         );
         INSERT INTO revision (id, n) VALUES (1, 0);",
        postgres: "CREATE TABLE revision (
            id integer PRIMARY KEY CHECK (id = 1),
            n bigint NOT NULL
         );
         INSERT INTO revision (id, n) VALUES (1, 0);",
    },
    Migration {
        name: "change feed (events in commit order), webhook subscriptions, delivery log",
        sqlite: "CREATE TABLE events (
            cursor INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            work TEXT NOT NULL,
            body TEXT NOT NULL
         );
         CREATE INDEX events_by_work ON events (work, cursor);
         CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            cursor INTEGER NOT NULL,
            lease_owner TEXT,
            lease_until INTEGER
         );
         CREATE TABLE deliveries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            subscription TEXT NOT NULL,
            body TEXT NOT NULL
         );
         CREATE INDEX deliveries_by_subscription ON deliveries (subscription, seq);",
        postgres: "CREATE TABLE events (
            cursor bigserial PRIMARY KEY,
            at timestamptz NOT NULL,
            kind text NOT NULL,
            work text NOT NULL,
            body jsonb NOT NULL
         );
         CREATE INDEX events_by_work ON events (work, cursor);
         CREATE TABLE subscriptions (
            id text PRIMARY KEY,
            body jsonb NOT NULL,
            cursor bigint NOT NULL,
            lease_owner text,
            lease_until bigint
         );
         CREATE TABLE deliveries (
            seq bigserial PRIMARY KEY,
            subscription text NOT NULL,
            body jsonb NOT NULL
         );
         CREATE INDEX deliveries_by_subscription ON deliveries (subscription, seq);",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_is_named_and_given_for_both_back_ends() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert!(!m.name.is_empty(), "step {}", i + 1);
            assert!(m.sqlite.contains("CREATE"), "step {} sqlite", i + 1);
            assert!(m.postgres.contains("CREATE"), "step {} postgres", i + 1);
        }
    }

    #[test]
    fn sqlite_steps_apply_in_order_to_an_empty_database() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        for m in MIGRATIONS {
            c.execute_batch(m.sqlite).unwrap();
        }
        let n: i64 = c
            .query_row("SELECT n FROM revision", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }
}
