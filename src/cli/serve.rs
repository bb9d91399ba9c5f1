//! `jzplan serve`: the HTTP API, map layers, tiles and the web viewer.

use super::GlobalOpts;
use crate::api::{self, ApiConfig, AppState, auth::TokenStore};
use crate::outln;
use anyhow::Context;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Options of `jzplan serve` (each also settable by environment variable).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "JZPLAN_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Directory with a network to serve instead of the embedded data (`network.geojson`);
    /// `--network` takes precedence.
    #[arg(long, env = "JZPLAN_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// File of bearer tokens allowed to change works (`NAME SHA256HEX` per line; keep it outside
    /// the repository). Without it every change is refused.
    #[arg(long, env = "JZPLAN_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Request time limit, seconds.
    #[arg(long, env = "JZPLAN_TIMEOUT_S", default_value_t = 30)]
    pub timeout_s: u64,
    /// Largest request body, bytes.
    #[arg(long, env = "JZPLAN_MAX_BODY_BYTES", default_value_t = 1 << 20)]
    pub max_body_bytes: usize,
    /// Public base URL used in links (behind a proxy); default from the Host header.
    #[arg(long, env = "JZPLAN_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(g: &GlobalOpts, a: ServeArgs) -> anyhow::Result<()> {
    let mut g = g.clone();
    if let (None, Some(dir)) = (&g.network, &a.data_dir) {
        g.network = Some(dir.join("network.geojson"));
    }
    // The store at --db, seeded with the city plan (idempotent), attached to the network.
    let (engine, _seed) = super::open::open_engine(&g)?;
    let catalog = super::published_catalog(&g, &engine)?;
    let tokens = match &a.token_file {
        Some(p) => TokenStore::from_file(p)?,
        None => TokenStore::default(),
    };
    let config = ApiConfig {
        request_timeout: Duration::from_secs(a.timeout_s.max(1)),
        max_body_bytes: a.max_body_bytes,
        tokens,
        public_url: a.public_url.clone(),
        ..ApiConfig::default()
    };
    let state = AppState::with_catalog(engine, catalog, config);
    // The base network's weights and hierarchy serve every undated route (and all OSRM
    // queries), the customizable hierarchy every dated, scenario or avoiding one: prepare them
    // in the background at start (milliseconds on Jinzhou, seconds on a million edges) so that
    // the first client does not wait for them.
    // (A prepared network file, `.jzp`, brought the hierarchies: then this only checks them.)
    let warm = state.engine.clone();
    std::thread::spawn(move || {
        if let Err(e) = warm.warm_routing(crate::network::Metric::Time) {
            tracing::warn!("routing data not prepared: {e}");
        }
    });
    let feed = state.engine.clone();
    let app = api::app_with_state(state);
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .with_context(|| format!("binding {}", a.addr))?;
        let bound = listener.local_addr()?;
        // Scripts and tests read this line to find an ephemeral port.
        outln!("jzplan listening on http://{bound}/");
        tracing::info!(%bound, "serving");
        // Webhooks: delivered from the change feed in the store (restart-safe; with several
        // replicas, each subscription by the one holding its lease).
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let delivery = api::webhooks::spawn(
            feed,
            api::webhooks::DeliveryOptions {
                owner: format!("{host}/{bound}"),
                ..api::webhooks::DeliveryOptions::default()
            },
        );
        api::serve(listener, app).await?;
        delivery.abort();
        Ok(())
    })
}
