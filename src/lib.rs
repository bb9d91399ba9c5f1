//! jzplan: a planner for the road, bridge and environment works of Jinzhou (锦州) and the
//! city's traffic choke points.
//!
//! This package holds the `jzplan` binary and its command line ([`cli`]); the work is done by
//! the workspace's crates, re-exported here under the module names they had before the
//! workspace (so that `jzplan::network::…`, `jzplan::io::…` or `jzplan::api::…` keep working
//! for the integration tests, the benches and embedding programs):
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`network`], [`routing`], [`scenario`], [`works`], [`hotspot`], [`assignment`], [`analysis`], [`layers`], [`engine`], [`dataset`], [`error`] | `jzplan-core` | the engine; no HTTP, GDAL or SQLite |
//! | [`io`] | `jzplan-io` (+ the core's own formats) | GeoJSON, `.jzn`, TNTP, GDAL/OGR, OSM PBF, the impact report |
//! | [`store`] | `jzplan-store` (+ the core's `Store` trait) | SQLite persistence |
//! | [`api`] | `jzplan-server` | the axum HTTP API, OGC API, tiles, OSRM, viewer |
#![warn(missing_docs)]

pub mod cli;

pub use jzplan_core::{
    Error, Result, analysis, assignment, dataset, engine, error, feeds, hotspot, layers, network,
    routing, scenario, works,
};
pub use jzplan_io as io;
pub use jzplan_server as api;
pub use jzplan_store as store;
