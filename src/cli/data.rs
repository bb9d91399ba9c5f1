//! `jzplan data build`: rebuild the Jinzhou dataset files from their hand-written sources, and
//! the model-derived files of the works catalogue from the built network.

use super::GlobalOpts;
use crate::outln;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Dataset commands.
#[derive(Subcommand, Debug)]
pub enum DataCmd {
    /// Build network.geojson, rivers.geojson, districts.geojson, pois.geojson and
    /// build_report.md from data/jinzhou/source/, then assign the calibrated morning peak hour
    /// on that network and write the catalogue's model-derived hotspots.json and works.p4.json
    /// and the calibration table calibration.md (printed too; deterministic: same input, same
    /// bytes).
    Build(BuildArgs),
}

/// Options of `data build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Directory with streets.csv, rivers.csv, districts.csv, pois.csv.
    #[arg(long, default_value = "data/jinzhou/source")]
    pub source: PathBuf,
    /// The hand-maintained works catalogue (its seed choke points head hotspots.json).
    #[arg(long, default_value = "data/jinzhou/works.json")]
    pub works: PathBuf,
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
    let built = crate::dataset::build_dataset(&a.source)?;
    let network = built
        .files
        .iter()
        .find(|(name, _)| name == "network.geojson")
        .map(|(_, text)| text.as_str())
        .unwrap_or_default();
    let mut files = built.files.clone();
    let cat = crate::dataset::build_catalogue(network, &a.works)?;
    files.extend(cat.files);
    if a.check {
        if let Some(p) = crate::dataset::first_stale(&a.out, &files) {
            return Err(crate::Error::file(
                p,
                "file",
                "differs from a fresh build of the sources (run `jzplan data build`)",
            )
            .into());
        }
    } else {
        crate::dataset::write_files(&a.out, &files)?;
    }
    println!(
        "Calibration of the base network's morning peak hour (data/jinzhou/calibration.md):\n"
    );
    print!(
        "{}",
        crate::analysis::calibration::render_markdown(&cat.calibration)
    );
    println!();
    let net = &built.output.network;
    outln!(
        "{} {}: {} nodes, {} directed edges, {} bridges, {} files",
        if a.check { "checked" } else { "built" },
        a.out.display(),
        net.node_count(),
        net.edge_count(),
        built.output.bridges.len(),
        files.len()
    );
    Ok(())
}
