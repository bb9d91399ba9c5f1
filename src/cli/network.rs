//! `network stats` and `network grid`: parse, call the library, format.

use super::GlobalOpts;
use crate::network::grid::{GridOptions, grid};
use crate::outln;
use crate::routing::network_stats;
use crate::{Error, io};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Network statistics and generators.
#[derive(Subcommand, Debug)]
pub enum NetworkCmd {
    /// Sizes, road km by class, connectivity (strongly connected components), bounding box.
    Stats(StatsArgs),
    /// Generate a lon/lat grid of two-way streets around Jinzhou (for tests and benchmarks).
    Grid(GridArgs),
}

/// `jzplan network stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Output format (text or json).
    #[command(flatten)]
    pub out: super::opts::FormatOpts,
}

/// `jzplan network grid`.
#[derive(Args, Debug)]
pub struct GridArgs {
    /// East–west streets (rows of nodes).
    #[arg(long)]
    pub rows: usize,
    /// North–south streets (columns of nodes).
    #[arg(long)]
    pub cols: usize,
    /// Block size in metres.
    #[arg(long, default_value_t = 200.0)]
    pub spacing_m: f64,
    /// Output file: `.jzn` (jzplan's binary network format).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs a `network` command.
pub fn run(g: &GlobalOpts, c: NetworkCmd) -> anyhow::Result<()> {
    match c {
        NetworkCmd::Stats(a) => {
            let net = g.load_network()?;
            let s = network_stats(&net);
            if !a.out.record("network stats", &s)? {
                {
                    outln!("network: {}", s.origin);
                    outln!(
                        "nodes: {}  directed edges: {}  streets: {}",
                        s.nodes,
                        s.edges,
                        s.streets
                    );
                    outln!(
                        "one-way edges: {}  bridge edges: {}  planned edges: {}",
                        s.oneway_edges,
                        s.bridge_edges,
                        s.planned_edges
                    );
                    outln!(
                        "road length: {:.2} km (two-way roads counted once)",
                        s.road_km
                    );
                    for c in &s.by_class {
                        outln!(
                            "  {:<12} {:>10.2} km  {:>8} edges",
                            c.class.as_str(),
                            c.road_km,
                            c.edges
                        );
                    }
                    outln!(
                        "strongly connected components: {} (largest: {} of {} nodes){}",
                        s.strong_components,
                        s.largest_component_nodes,
                        s.nodes,
                        if s.strong_components == 1 {
                            " — every node reaches every other"
                        } else {
                            ""
                        }
                    );
                    if let Some(b) = s.bbox {
                        outln!("bbox: {:.5},{:.5},{:.5},{:.5}", b[0], b[1], b[2], b[3]);
                    }
                }
            }
            Ok(())
        }
        NetworkCmd::Grid(a) => {
            let ext = a
                .out
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if ext != "jzn" {
                return Err(Error::invalid(format!(
                    "network grid writes .jzn files (jzplan's binary network format), not '.{ext}'"
                ))
                .into());
            }
            let opts = GridOptions {
                spacing_m: a.spacing_m,
                ..GridOptions::jinzhou(a.rows, a.cols)
            };
            let net = grid(&opts)?;
            io::jzn::write_network(&net, &a.out)?;
            outln!(
                "wrote {}: {} nodes, {} directed edges",
                a.out.display(),
                net.node_count(),
                net.edge_count()
            );
            Ok(())
        }
    }
}
