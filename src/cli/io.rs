//! import and export commands (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::{Args, Subcommand};
#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    Osm {},
    Gdal {},
}
#[derive(Args, Debug)]
pub struct ExportArgs {}
pub fn run_import(_g: &GlobalOpts, _c: ImportCmd) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_export(_g: &GlobalOpts, _a: ExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
