//! network stats and generators (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::{Args, Subcommand};
#[derive(Subcommand, Debug)]
pub enum NetworkCmd {
    Stats(StatsArgs),
}
#[derive(Args, Debug)]
pub struct StatsArgs {}
pub fn run(_g: &GlobalOpts, _c: NetworkCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
