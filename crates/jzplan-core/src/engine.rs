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
    /// The calibration table of the base network's morning peak hour against the stated
    /// targets, and where the seed choke point H01 ranks by v/c
    /// ([`crate::analysis::calibration`]).
    pub fn calibration(&self) -> crate::Result<crate::analysis::calibration::Calibration> {
        let seed = self
            .list_hotspots()?
            .into_iter()
            .find(|h| h.evidence.starts_with("seed:"));
        crate::analysis::calibration::calibrate(&self.network, seed.as_ref())
    }

    /// The network on `date` assigned once per period of the day of `demand` (morning peak,
    /// evening peak, off-peak; see [`crate::assignment::periods`]): sum a span of days with
    /// [`crate::analysis::impact::DayRun::vht`].
    pub fn day_on(
        &self,
        date: chrono::NaiveDate,
        demand: &crate::analysis::impact::Demand,
    ) -> crate::Result<crate::analysis::impact::DayRun> {
        crate::analysis::impact::run_day(&self.state_on(date)?, demand)
    }

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

use crate::Result;
use crate::works::WorkId;
use crate::works::edit::SavedWork;
use crate::works::rules::{Finding, FindingFilter, Moratorium, MoratoriumPeriods, RuleOptions};

/// Works coordination (`works::edit`, `works::rules`): create and edit works as records, with
/// the conflict and opportunity findings of each save.
impl Engine {
    /// Creates a work from a submitted JSON record, checked whole; answers it with its findings.
    pub fn submit_work(&self, record: &serde_json::Value, actor: &str) -> Result<SavedWork> {
        crate::works::edit::create(self, record, actor)
    }

    /// Edits a work at `expected_version` (status, dates, any field as a merge patch).
    pub fn edit_work(
        &self,
        id: &WorkId,
        body: &serde_json::Value,
        expected_version: u64,
        actor: &str,
    ) -> Result<SavedWork> {
        crate::works::edit::edit(self, id, body, expected_version, actor)
    }

    /// Site, corridor, opportunity and moratorium findings passing `filter`.
    pub fn findings(&self, opts: &RuleOptions, filter: &FindingFilter) -> Result<Vec<Finding>> {
        crate::works::edit::findings(self, opts, filter)
    }

    /// The moratoria (dig-bans) of the stored works.
    pub fn moratoria(&self, periods: &MoratoriumPeriods) -> Result<Vec<Moratorium>> {
        crate::works::edit::moratoria(self, periods)
    }
}
