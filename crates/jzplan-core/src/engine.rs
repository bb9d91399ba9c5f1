//! The Engine facade: the one entry point that the API and the CLI call. Each area adds its
//! methods in its own module with `impl Engine { … }`.

use crate::network::RoadNetwork;
use std::sync::Arc;

/// The loaded network plus everything derived from it, shared by the API and the CLI.
#[derive(Clone)]
pub struct Engine {
    /// The base road network.
    pub network: Arc<RoadNetwork>,
    /// Works, choke points and scenarios: their store and their attachment to `network`
    /// (see `works::engine`; empty for `Engine::new`).
    pub works: Arc<crate::works::engine::WorksBook>,
}

impl Engine {
    /// An engine on a network.
    pub fn new(network: RoadNetwork) -> Self {
        Engine {
            network: Arc::new(network),
            works: Arc::new(crate::works::engine::WorksBook::empty()),
        }
    }
}
