//! The HTTP API: one axum [`Router`] built by [`app`], answering JSON/GeoJSON, OGC API –
//! Features, vector tiles, the web viewer and OpenAPI. Handlers only parse, call the
//! [`Engine`] or the [`jzplan_core::layers`], and format; errors are RFC 9457 problems
//! ([`error::ApiError`]).

pub mod auth;
pub mod coordination;
pub mod error;
pub mod events;
pub mod feeds;
pub mod health;
pub mod ogc;
pub mod openapi;
pub mod osrm;
pub mod routing;
pub mod studies;
pub mod subscriptions;
pub mod tiles;
pub mod viewer;
pub mod webhooks;
pub mod works;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, Method, header};
use axum::response::IntoResponse;
use jzplan_core::engine::Engine;
use jzplan_core::layers::Catalog;
use jzplan_core::{Error, Result};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Server settings that the handlers need.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Longest time a request may take before the server answers 503 `Timeout`.
    pub request_timeout: Duration,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// Bearer tokens allowed to change data (hashed).
    pub tokens: auth::TokenStore,
    /// Public base URL for links (`https://maps.example.org`); default: from the `Host` header.
    pub public_url: Option<String>,
    /// How often an event stream looks for new events while idle.
    pub events_poll: Duration,
    /// How often an idle event stream sends a keep-alive comment.
    pub keep_alive: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            request_timeout: Duration::from_secs(30),
            max_body_bytes: 1 << 20,
            tokens: auth::TokenStore::default(),
            public_url: None,
            events_poll: Duration::from_millis(500),
            keep_alive: Duration::from_secs(15),
        }
    }
}

/// What every handler sees.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// Published layers.
    pub layers: Arc<Catalog>,
    /// Settings.
    pub config: Arc<ApiConfig>,
    /// Closure studies computed by this server (cached by input).
    pub studies: Arc<studies::StudyCache>,
}

impl AppState {
    /// State for an engine: builds the layer catalog once.
    pub fn new(engine: Engine, config: ApiConfig) -> Result<AppState> {
        let layers = engine.layers()?;
        Ok(AppState::with_catalog(engine, layers, config))
    }

    /// State for an engine with a given layer catalog.
    pub fn with_catalog(engine: Engine, layers: Catalog, config: ApiConfig) -> AppState {
        // A date's routes keep coming to a server: on a large network they move to the
        // perfect step's customization once it is made.
        engine.routing.refine_in_background(true);
        let layers = Arc::new(layers);
        AppState {
            engine,
            layers,
            config: Arc::new(config),
            studies: Arc::new(studies::StudyCache::default()),
        }
    }
}

/// The base URL of this server as the client sees it, for absolute links.
#[derive(Clone, Debug)]
pub struct BaseUrl(pub String);

impl FromRequestParts<AppState> for BaseUrl {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        if let Some(u) = &state.config.public_url {
            return Ok(BaseUrl(u.trim_end_matches('/').to_string()));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b".-:[]_".contains(&c))
            })
            .unwrap_or("127.0.0.1:8080");
        Ok(BaseUrl(format!("http://{host}")))
    }
}

/// Adds the bearer-token security scheme used by the endpoints that change data.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
    }
}

/// OpenAPI document root; paths are collected from the handlers by utoipa-axum.
#[derive(OpenApi)]
#[openapi(
    modifiers(&BearerAuth),
    info(
        title = "jzplan API",
        description = "Routing, works, choke points and map layers of Jinzhou (锦州). \
                       Errors are RFC 9457 problem+json with a stable `code`."
    ),
    tags(
        (name = "service", description = "Health and metadata"),
        (name = "ogc", description = "OGC API – Features, Part 1 Core"),
        (name = "tiles", description = "Mapbox vector tiles and TileJSON"),
        (name = "routing", description = "Native routing API (GeoJSON)"),
        (name = "osrm", description = "OSRM-compatible route, table and nearest services"),
        (name = "works", description = "Works, choke points, clashes, scenarios, timeline"),
        (name = "studies", description = "Closure studies: detours, diverted traffic, choke points, conflicts"),
    )
)]
struct ApiDoc;

/// The router with its OpenAPI document (before the middleware).
pub fn routes(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(ogc::router())
        .merge(tiles::router())
        .merge(routing::router())
        .merge(osrm::router())
        .merge(works::router())
        .merge(coordination::router())
        .merge(feeds::router())
        .merge(events::router())
        .merge(subscriptions::router())
        .merge(studies::router())
        .with_state(state)
        .split_for_parts();
    let declared = std::sync::Arc::new(openapi::DeclaredParams::of(&api));
    let router = router.route_layer(axum::middleware::from_fn_with_state(
        declared,
        openapi::refuse_unknown_params,
    ));
    (router, api)
}

/// The whole application: routes, OpenAPI + Swagger UI, a problem+json 404 fallback, and the
/// middleware (trace logs, timeout, body limit, CORS, gzip).
pub fn app(engine: Engine, config: ApiConfig) -> Result<Router> {
    let state = AppState::new(engine, config)?;
    Ok(app_with_state(state))
}

/// [`app`] on a prepared state.
pub fn app_with_state(state: AppState) -> Router {
    let cfg = state.config.clone();
    let (router, api) = routes(state.clone());
    router
        .merge(viewer::router().with_state(state))
        .merge(
            SwaggerUi::new("/docs")
                .external_url_unchecked("/openapi.json", openapi::complete(&api)),
        )
        .fallback(|uri: axum::http::Uri| async move {
            error::ApiError::no_route(uri.path()).into_response()
        })
        .layer(CompressionLayer::new().gzip(true))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PATCH,
                    Method::DELETE,
                    Method::OPTIONS,
                ])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_MATCH,
                    header::IF_NONE_MATCH,
                    HeaderName::from_static("last-event-id"),
                ])
                .expose_headers([header::ETAG, HeaderName::from_static("location")]),
        )
        .layer(RequestBodyLimitLayer::new(cfg.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            cfg.request_timeout,
        ))
        // Outside the limit and timeout layers, so that their bare answers become problems.
        .layer(axum::middleware::map_response(
            error::problem_for_bare_errors,
        ))
        .layer(TraceLayer::new_for_http())
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, then finishes the requests in flight.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> Result<()> {
    let addr = listener.local_addr().ok();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| Error::io(format!("socket {addr:?}"), e))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
