//! assign and impact commands (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::Args;
#[derive(Args, Debug)]
pub struct AssignArgs {}
#[derive(Args, Debug)]
pub struct ImpactArgs {}
pub fn run_assign(_g: &GlobalOpts, _a: AssignArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
pub fn run_impact(_g: &GlobalOpts, _a: ImpactArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
