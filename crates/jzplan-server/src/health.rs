//! GET /health: liveness plus what the server holds.

use super::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: &'static str,
    /// jzplan version.
    pub version: &'static str,
    /// Where the network was loaded from.
    pub network_origin: String,
    /// Nodes of the network.
    pub nodes: usize,
    /// Directed edges of the network.
    pub edges: usize,
    /// Published layers.
    pub layers: Vec<&'static str>,
}

/// Liveness and contents.
#[utoipa::path(get, path = "/health", tag = "service",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn health(State(s): State<AppState>) -> Json<Health> {
    let net = &s.engine.network;
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        network_origin: net.origin.clone(),
        nodes: net.node_count(),
        edges: net.edge_count(),
        layers: s.layers.layers().iter().map(|l| l.info().id).collect(),
    })
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}
