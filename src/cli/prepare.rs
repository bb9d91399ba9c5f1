//! `jzplan prepare`: the network of `--network` with its contraction hierarchies in one
//! prepared file (`.jzp`), for `serve --network FILE.jzp` to start without preparing.

use super::GlobalOpts;
use crate::engine::Engine;
use crate::network::Metric;
use crate::outln;
use crate::store::CatalogueStore;
use crate::works::catalogue::Catalogue;
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;

/// Options of `jzplan prepare`.
#[derive(Args, Debug)]
pub struct PrepareArgs {
    /// The prepared network file to write (`.jzp`).
    #[arg(long)]
    pub out: PathBuf,
    /// Leave out the customizable hierarchy's node order (dated and avoiding routes then order
    /// the network on first use: tens of seconds on a million edges).
    #[arg(long)]
    pub no_cch: bool,
    /// Also prepare the contraction hierarchy of distances (without it a server answers
    /// shortest-distance routes on the customizable hierarchy). On networks of equal blocks its
    /// witness searches hardly ever find a witness: 133 s for a 90k-edge grid, against 1.5 s for
    /// travel times.
    #[arg(long)]
    pub distance: bool,
    /// Output format (text or json).
    #[command(flatten)]
    pub format: super::opts::FormatOpts,
}

/// Runs `jzplan prepare`.
pub fn run(g: &GlobalOpts, a: PrepareArgs) -> anyhow::Result<()> {
    if !a
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jzp"))
    {
        return Err(crate::Error::invalid(format!(
            "--out {}: a prepared network file ends in .jzp",
            a.out.display()
        ))
        .into());
    }
    // The network as `serve` will hold it: the catalogue's planned links added (the works
    // themselves are not needed to prepare it, so no database is opened).
    let started = std::time::Instant::now();
    let catalogue = Catalogue::jinzhou()?;
    let (net, prepared) = g.load_prepared_network()?;
    let engine = Engine::with_works(net, Arc::new(CatalogueStore::new(&catalogue)), &catalogue)?;
    if let Some(p) = prepared {
        engine.install_prepared(p);
    }
    let metrics: &[Metric] = if a.distance {
        &[Metric::Time, Metric::Distance]
    } else {
        &[Metric::Time]
    };
    let written = engine.write_prepared(&a.out, metrics, !a.no_cch)?;
    if !a.format.record("prepare", &written)? {
        outln!(
            "prepared {}: {} nodes, {} directed edges",
            a.out.display(),
            written.nodes,
            written.edges
        );
        for (metric, shortcuts) in &written.hierarchies {
            outln!("  contraction hierarchy ({metric}): {shortcuts} shortcuts");
        }
        outln!(
            "  customizable hierarchy order: {}",
            if written.cch_order { "yes" } else { "no" }
        );
        for (what, s) in &written.seconds {
            outln!("  {what}: {s:.1} s");
        }
        outln!(
            "  {:.1} MB in {:.1} s",
            written.bytes as f64 / 1e6,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
