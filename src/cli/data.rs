//! data build command (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::{Args, Subcommand};
#[derive(Subcommand, Debug)]
pub enum DataCmd {
    Build(BuildArgs),
}
#[derive(Args, Debug)]
pub struct BuildArgs {}
pub fn run(_g: &GlobalOpts, _c: DataCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
