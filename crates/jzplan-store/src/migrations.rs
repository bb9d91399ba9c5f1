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
    Migration {
        name: "scenario windows: the period a scenario is about, as columns derived from its \
               body (a record with only a date reads as the one-day window date..date)",
        sqlite: "ALTER TABLE scenarios ADD COLUMN window_start TEXT GENERATED ALWAYS AS
            (COALESCE(json_extract(body, '$.window.start'), json_extract(body, '$.date'))) VIRTUAL;
         ALTER TABLE scenarios ADD COLUMN window_end TEXT GENERATED ALWAYS AS
            (COALESCE(json_extract(body, '$.window.end'), json_extract(body, '$.date'))) VIRTUAL;
         CREATE INDEX scenarios_window ON scenarios(window_start, window_end);",
        postgres: "ALTER TABLE scenarios
            ADD COLUMN window_start text GENERATED ALWAYS AS
                (COALESCE(body #>> '{window,start}', body ->> 'date')) STORED,
            ADD COLUMN window_end text GENERATED ALWAYS AS
                (COALESCE(body #>> '{window,end}', body ->> 'date')) STORED;
         CREATE INDEX scenarios_window ON scenarios (window_start, window_end);",
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

    #[test]
    fn scenarios_stored_with_one_date_read_as_a_one_day_window() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let (old, new) = MIGRATIONS.split_at(3);
        for m in old {
            c.execute_batch(m.sqlite).unwrap();
        }
        // A scenario written before scenarios had windows.
        c.execute(
            "INSERT INTO scenarios (id, version, body) VALUES ('late', 1, \
             '{\"id\":\"late\",\"name\":\"P1 late\",\"date\":\"2022-06-01\",\"overrides\":[]}')",
            [],
        )
        .unwrap();
        for m in new {
            c.execute_batch(m.sqlite).unwrap();
        }
        c.execute(
            "INSERT INTO scenarios (id, version, body) VALUES ('summer', 1, \
             '{\"id\":\"summer\",\"name\":\"\",\"date\":\"2022-06-01\",\
             \"window\":{\"start\":\"2022-05-01\",\"end\":\"2022-10-31\"}}')",
            [],
        )
        .unwrap();
        let window = |id: &str| -> (String, String) {
            c.query_row(
                "SELECT window_start, window_end FROM scenarios WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
        };
        assert_eq!(window("late"), ("2022-06-01".into(), "2022-06-01".into()));
        assert_eq!(window("summer"), ("2022-05-01".into(), "2022-10-31".into()));
        // The old body still reads as a scenario, its period the one day.
        let body: String = c
            .query_row("SELECT body FROM scenarios WHERE id = 'late'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let s: jzplan_core::scenario::Scenario = serde_json::from_str(&body).unwrap();
        assert_eq!(s.window, None);
        assert_eq!(s.period().start, s.date);
        assert_eq!(s.period().end, s.date);
    }
}
