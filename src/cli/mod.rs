//! The command line: clap definitions and thin commands that call the library.
//! Each area has its own module; this file only dispatches.

pub mod assign;
pub mod calibrate;
pub mod coordination;
pub mod data;
pub mod io;
pub mod network;
pub mod open;
pub mod opts;
pub mod prepare;
pub mod route;
pub mod serve;
pub mod study;
pub mod works;

use crate::layers::Catalog;
use crate::network::RoadNetwork;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// jzplan — planner for Jinzhou's road, bridge and environment works and its traffic choke
/// points. Every command runs on the embedded Jinzhou data unless `--network` names another.
#[derive(Parser, Debug)]
#[command(name = "jzplan", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by all commands.
    #[command(flatten)]
    pub global: GlobalOpts,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by all commands.
#[derive(Args, Debug, Clone)]
pub struct GlobalOpts {
    /// Road network file (GeoJSON from `jzplan export`/`data build`, GeoPackage, Shapefile,
    /// FlatGeobuf, or OSM .pbf). Default: the embedded Jinzhou network.
    #[arg(long, global = true, env = "JZPLAN_NETWORK")]
    pub network: Option<PathBuf>,
    /// Database holding works, hotspots, scenarios and history: a SQLite file, or a
    /// PostgreSQL/PostGIS database (`postgres://user@host:port/db`) shared by several replicas.
    #[arg(long, global = true, env = "JZPLAN_DB", default_value = "jzplan.db")]
    pub db: PathBuf,
    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl GlobalOpts {
    /// `--db` as given (a path or a `postgres://` URL), for [`crate::store::open`].
    pub fn db_spec(&self) -> String {
        self.db.to_string_lossy().into_owned()
    }

    /// Loads the network named by `--network`, or the embedded Jinzhou network.
    pub fn load_network(&self) -> crate::Result<RoadNetwork> {
        match &self.network {
            None => crate::io::geojson::jinzhou_network(),
            Some(path) => crate::io::read_network_file(path),
        }
    }

    /// Loads the network as [`GlobalOpts::load_network`] does, with the routing data of a
    /// prepared network file (`.jzp`) when `--network` names one.
    pub fn load_prepared_network(
        &self,
    ) -> crate::Result<(RoadNetwork, Option<crate::io::jzp::PreparedRouting>)> {
        match &self.network {
            None => Ok((crate::io::geojson::jinzhou_network()?, None)),
            Some(path) => crate::io::read_prepared_network_file(path),
        }
    }
}

/// The map layers `serve` publishes and `export --layer` writes: the engine's layers, plus
/// the embedded dataset's rivers, districts, coastline, POIs and flows on the embedded network.
pub fn published_catalog(g: &GlobalOpts, engine: &crate::engine::Engine) -> crate::Result<Catalog> {
    if g.network.is_none() {
        engine.jinzhou_layers()
    } else {
        engine.layers()
    }
}

/// All commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Shortest route between two points.
    Route(route::RouteArgs),
    /// Many-to-many travel-time/distance matrix.
    Matrix(route::MatrixArgs),
    /// Everything reachable within a time budget.
    Isochrone(route::IsochroneArgs),
    /// Import a network from OpenStreetMap or any OGR line layer.
    #[command(subcommand)]
    Import(io::ImportCmd),
    /// Export the network or a layer to GeoPackage, GeoJSON or FlatGeobuf.
    Export(io::ExportArgs),
    /// Network statistics and generators.
    #[command(subcommand)]
    Network(network::NetworkCmd),
    /// Write a prepared network (`.jzp`): the network with its contraction hierarchies, for
    /// `serve --network FILE.jzp` to start without preparing.
    Prepare(prepare::PrepareArgs),
    /// Build the Jinzhou dataset from its hand-written sources.
    #[command(subcommand)]
    Data(data::DataCmd),
    /// The works (projects) of the city plan.
    #[command(subcommand)]
    Works(works::WorksCmd),
    /// The 15 traffic choke points.
    #[command(subcommand)]
    Hotspots(works::HotspotsCmd),
    /// Network states on a date and what-if scenarios.
    #[command(subcommand)]
    Scenario(works::ScenarioCmd),
    /// Works that clash (overlapping footprints and dates).
    Clashes(works::ClashesArgs),
    /// Static traffic assignment (TNTP or Jinzhou networks).
    Assign(assign::AssignArgs),
    /// Before/after impact analysis of works, with a report.
    Impact(assign::ImpactArgs),
    /// Adjust an OD matrix to traffic counts (matrix estimation, ODME).
    Calibrate(calibrate::CalibrateArgs),
    /// Closure study: where the traffic goes, which choke points get worse, which works clash.
    Study(study::StudyArgs),
    /// Serve the API, map layers, tiles and the web viewer.
    Serve(serve::ServeArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Route(a) => route::run_route(g, a),
        Command::Matrix(a) => route::run_matrix(g, a),
        Command::Isochrone(a) => route::run_isochrone(g, a),
        Command::Import(c) => io::run_import(g, c),
        Command::Export(a) => io::run_export(g, a),
        Command::Network(c) => network::run(g, c),
        Command::Prepare(a) => prepare::run(g, a),
        Command::Data(c) => data::run(g, c),
        Command::Works(c) => works::run_works(g, c),
        Command::Hotspots(c) => works::run_hotspots(g, c),
        Command::Scenario(c) => works::run_scenario(g, c),
        Command::Clashes(a) => works::run_clashes(g, a),
        Command::Assign(a) => assign::run_assign(g, a),
        Command::Impact(a) => assign::run_impact(g, a),
        Command::Calibrate(a) => calibrate::run_calibrate(g, a),
        Command::Study(a) => study::run(g, a),
        Command::Serve(a) => serve::run(g, a),
    }
}

/// Sets up `tracing` logs on stderr (`RUST_LOG` overrides `-v`), coloured only when stderr is
/// a terminal and `NO_COLOR` is not set (logs redirected to a file carry no escape codes).
pub fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(log_colour())
        .try_init();
}

/// Whether logs on stderr are coloured: only on a terminal, never with `NO_COLOR` set.
pub fn log_colour() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}
