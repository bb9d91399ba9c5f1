//! `jzplan data build`: rebuild the Jinzhou dataset files from their hand-written sources.

use super::GlobalOpts;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Dataset commands.
#[derive(Subcommand, Debug)]
pub enum DataCmd {
    /// Build network.geojson, rivers.geojson, districts.geojson, pois.geojson and
    /// build_report.md from data/jinzhou/source/ (deterministic: same input, same bytes).
    Build(BuildArgs),
}

/// Options of `data build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Directory with streets.csv, rivers.csv, districts.csv, pois.csv.
    #[arg(long, default_value = "data/jinzhou/source")]
    pub source: PathBuf,
    /// Where the built files go.
    #[arg(long, default_value = "data/jinzhou")]
    pub out: PathBuf,
    /// Write nothing; fail (exit 4) if a file in --out differs from what the build makes.
    #[arg(long)]
    pub check: bool,
}

/// Runs a dataset command.
pub fn run(_g: &GlobalOpts, c: DataCmd) -> anyhow::Result<()> {
    let DataCmd::Build(a) = c;
    let built = if a.check {
        let built = crate::dataset::build_dataset(&a.source)?;
        for (name, text) in &built.files {
            let p = a.out.join(name);
            let old = std::fs::read_to_string(&p).unwrap_or_default();
            if old != *text {
                return Err(crate::Error::file(
                    p,
                    "file",
                    "differs from a fresh build of the sources (run `jzplan data build`)",
                )
                .into());
            }
        }
        built
    } else {
        crate::dataset::write_dataset(&a.source, &a.out)?
    };
    let net = &built.output.network;
    println!(
        "{} {}: {} nodes, {} directed edges, {} bridges, {} files",
        if a.check { "checked" } else { "built" },
        a.out.display(),
        net.node_count(),
        net.edge_count(),
        built.output.bridges.len(),
        built.files.len()
    );
    Ok(())
}
