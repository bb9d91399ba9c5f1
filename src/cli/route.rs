//! route, matrix and isochrone commands (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::Args;
#[derive(Args, Debug)]
pub struct RouteArgs {}
#[derive(Args, Debug)]
pub struct MatrixArgs {}
#[derive(Args, Debug)]
pub struct IsochroneArgs {}
pub fn run_route(_g: &GlobalOpts, _a: RouteArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_matrix(_g: &GlobalOpts, _a: MatrixArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_isochrone(_g: &GlobalOpts, _a: IsochroneArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
