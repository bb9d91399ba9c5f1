//! jzplan-core: the engine of jzplan, a planner for the road, bridge and environment works of
//! Jinzhou (锦州) and the city's traffic choke points. It knows no HTTP, GDAL or SQLite: the
//! server (`jzplan-server`), the GDAL/OSM readers (`jzplan-io`) and the SQLite store
//! (`jzplan-store`) are crates above it.
//!
//! The road network ([`network::RoadNetwork`]) is a petgraph directed graph with geo geometry
//! and an R-tree for snapping. Works change it while they are built and after; the network on
//! any date is the base plus an overlay of those changes. Routing, traffic assignment and
//! impact analysis run on such states; the HTTP API and the CLI call one [`engine::Engine`].
#![warn(missing_docs)]

pub mod analysis;
pub mod assignment;
pub mod dataset;
pub mod engine;
pub mod error;
pub mod hotspot;
pub mod io;
pub mod layers;
pub mod network;
pub mod routing;
pub mod scenario;
pub mod store;
pub mod works;

pub use error::{Error, Result};
