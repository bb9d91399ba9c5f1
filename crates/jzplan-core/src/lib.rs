//! jzplan-core: the engine of jzplan, a planner for the road, bridge and environment works of
//! Jinzhou (锦州) and the city's traffic choke points. It knows no HTTP, GDAL or SQLite: the
//! server (`jzplan-server`), the GDAL/OSM readers (`jzplan-io`) and the SQLite store
//! (`jzplan-store`) are crates above it.
//!
//! The road network ([`network::RoadNetwork`]) is a petgraph directed graph with geo geometry
//! and an R-tree for snapping. Works change it while they are built and after; the network on
//! any date is the base plus an overlay of those changes. Routing, traffic assignment and
//! impact analysis run on such states; the HTTP API and the CLI call one [`engine::Engine`],
//! whose file lists everything the engine can do.
//!
//! # Example
//!
//! Load the embedded Jinzhou network with the plan's works (read-only, no database), route
//! from the north bank of the Xiaoling river to the south bank before and after a bridge
//! opens, and list the works on site that day:
//!
//! ```
//! use chrono::NaiveDate;
//! use geo_types::Point;
//! use jzplan_core::engine::Engine;
//! use jzplan_core::network::Metric;
//! use jzplan_core::store::CatalogueStore;
//! use jzplan_core::works::WorkFilter;
//! use jzplan_core::works::catalogue::Catalogue;
//! use std::sync::Arc;
//!
//! # fn main() -> jzplan_core::Result<()> {
//! let catalogue = Catalogue::jinzhou()?;
//! let network = jzplan_core::io::geojson::jinzhou_network()?;
//! let engine = Engine::with_works(network, Arc::new(CatalogueStore::new(&catalogue)), &catalogue)?;
//!
//! let (north, south) = (Point::new(121.105, 41.105), Point::new(121.105, 41.085));
//! let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//! let before = engine.route_in(&engine.state_on(day(2022, 6, 1))?, north, south, Metric::Time)?;
//! let after = engine.route_in(&engine.state_on(day(2024, 6, 1))?, north, south, Metric::Time)?;
//! println!("2022: {:.0} m, 2024: {:.0} m", before.distance_m, after.distance_m);
//! assert!(after.distance_m < before.distance_m / 2.0);
//!
//! let on_site = engine.list_works(&WorkFilter {
//!     active_on: Some(day(2024, 6, 1)),
//!     ..Default::default()
//! })?;
//! for w in &on_site {
//!     println!("{} {} ({})", w.id, w.name_en, w.status);
//! }
//! # assert!(!on_site.is_empty());
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod assignment;
pub mod dataset;
pub mod engine;
pub mod error;
pub mod feeds;
pub mod hotspot;
pub mod ids;
pub mod io;
pub mod layers;
pub mod network;
pub mod routing;
pub mod scenario;
pub mod served;
pub mod served_query;
pub mod store;
pub mod works;

pub use error::{Error, Result};
