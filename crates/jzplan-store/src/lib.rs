//! jzplan-store: the implementations of the core's [`Store`] trait —
//! works, choke points, scenarios and their history, with optimistic concurrency: the embedded
//! SQLite default ([`SqliteStore`]) and PostgreSQL/PostGIS ([`PgStore`]) for several replicas
//! on one database. Both apply the same [`migrations::MIGRATIONS`]; [`open`] picks one from
//! `--db`. The trait and its record types are re-exported from `jzplan_core::store`, so
//! `jzplan_store::{Store, Change, SqliteStore}` is one import.
#![warn(missing_docs)]

pub mod migrations;
pub mod pg_cluster;
pub mod postgres;
mod postgres_feed;
mod postgres_rows;
mod postgres_seed;
mod records;
pub mod sqlite;
mod sqlite_feed;

pub use jzplan_core::store::*;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;

/// Opens the store named by `--db`: a `postgres://` or `postgresql://` URL is a PostgreSQL
/// database ([`PgStore`]), anything else the path of a SQLite file ([`SqliteStore`]).
pub fn open(db: &str) -> jzplan_core::Result<std::sync::Arc<dyn Store>> {
    if postgres::is_url(db) {
        Ok(std::sync::Arc::new(PgStore::open(db)?))
    } else {
        Ok(std::sync::Arc::new(SqliteStore::open(
            std::path::Path::new(db),
        )?))
    }
}
