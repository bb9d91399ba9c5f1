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

    /// A closure study: where the traffic of the closures goes, which choke points get worse,
    /// which other works clash, and what moving it would save (see [`crate::analysis::study`]).
    pub fn study(
        &self,
        req: &crate::analysis::study::StudyRequest,
    ) -> crate::Result<crate::analysis::study::Study> {
        crate::analysis::study::check_request(req)?;
        let inputs = crate::analysis::study::StudyInputs::from_engine(self)?;
        crate::analysis::study::run_study(&inputs, req)
    }
}
