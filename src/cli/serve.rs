//! serve command (being written: see the issue tracker).
#![allow(missing_docs)]

use super::GlobalOpts;
use clap::Args;
#[derive(Args, Debug)]
pub struct ServeArgs {}
pub fn run(_g: &GlobalOpts, _a: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
