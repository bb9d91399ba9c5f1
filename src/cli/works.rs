//! works, hotspots, scenario and clashes commands (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::{Args, Subcommand};
#[derive(Subcommand, Debug)]
pub enum WorksCmd {
    List {},
}
#[derive(Subcommand, Debug)]
pub enum HotspotsCmd {
    List {},
}
#[derive(Subcommand, Debug)]
pub enum ScenarioCmd {
    List {},
}
#[derive(Args, Debug)]
pub struct ClashesArgs {}
pub fn run_works(_g: &GlobalOpts, _c: WorksCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_hotspots(_g: &GlobalOpts, _c: HotspotsCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_scenario(_g: &GlobalOpts, _c: ScenarioCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_clashes(_g: &GlobalOpts, _a: ClashesArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
