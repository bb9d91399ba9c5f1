//! jzplan-store: the SQLite implementation ([`SqliteStore`]) of the core's
//! [`Store`](jzplan_core::store::Store) trait — works, choke points, scenarios and their
//! history, with optimistic concurrency. The trait and its record types are re-exported from
//! `jzplan_core::store`, so `jzplan_store::{Store, Change, SqliteStore}` is one import. A
//! PostgreSQL/PostGIS store would be a module beside [`sqlite`].
#![warn(missing_docs)]

pub mod sqlite;

pub use jzplan_core::store::*;
pub use sqlite::SqliteStore;
