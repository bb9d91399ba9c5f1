//! Webhook subscriptions: `POST /api/v1/subscriptions` (a URL and filters; answers the HMAC
//! secret once), `GET /api/v1/subscriptions[/{id}]`, `DELETE /api/v1/subscriptions/{id}` and
//! the delivery log `GET /api/v1/subscriptions/{id}/deliveries`. Every one needs a bearer
//! token (subscriptions name internal URLs). Delivery is [`super::webhooks`].

use super::AppState;
use super::auth::Authorized;
use super::error::{ApiResult, JsonBody, Path, Query};
use crate::error::blocking;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jzplan_core::store::events::{EventFilter, EventKind};
use jzplan_core::works::WorkId;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A new subscription.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    /// Where to POST the events (`http://host[:port]/path`).
    pub url: String,
    /// Only events concerning these works (default: all).
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub works: Vec<WorkId>,
    /// Only these kinds (default: all): created, edited, status, cancelled, finding_new,
    /// finding_changed, finding_resolved.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub kinds: Vec<EventKind>,
    /// Deliver the events after this cursor (default: from now on).
    pub since: Option<u64>,
}

/// Subscribes a URL to the change feed. The answer (201) holds the subscription with its
/// `secret`, shown this once: each delivery is a POST of one event as JSON with
/// `X-Jzplan-Signature: sha256=<hex HMAC-SHA256 of the body under the secret>`.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "works",
    request_body = SubscriptionBody,
    security(("bearer" = [])),
    responses((status = 201, description = "The subscription, with its secret (once)"),
              (status = 400, description = "Bad URL or filter", body = super::error::Problem),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem),
              (status = 413, description = "Too many subscriptions or works", body = super::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Authorized(actor): Authorized,
    JsonBody(b): JsonBody<SubscriptionBody>,
) -> ApiResult<Response> {
    let engine = s.engine.clone();
    let filter = EventFilter {
        works: b.works,
        kinds: b.kinds,
    };
    let sub = blocking(move || engine.subscribe(&b.url, filter, b.since, &actor)).await?;
    let mut r = (StatusCode::CREATED, Json(json!(sub))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/subscriptions/{}", sub.id)) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

/// No parameters.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Every subscription (without secrets), with the cursor up to which it was delivered.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "works",
    security(("bearer" = [])),
    responses((status = 200, description = "Subscriptions"),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    _who: Authorized,
    Query(_none): Query<NoParams>,
) -> ApiResult<Response> {
    let engine = s.engine.clone();
    let subs = blocking(move || engine.subscriptions_with_secrets()).await?;
    let subs: Vec<_> = subs.iter().map(|s| s.redacted()).collect();
    Ok(Json(json!(subs)).into_response())
}

/// One subscription (without its secret).
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "works",
    params(("id" = String, Path, description = "Subscription id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The subscription"),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem),
              (status = 404, description = "No such subscription", body = super::error::Problem)))]
pub async fn one(
    State(s): State<AppState>,
    _who: Authorized,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let engine = s.engine.clone();
    let sub = blocking(move || engine.subscription(&id)).await?;
    Ok(Json(json!(sub)).into_response())
}

/// Deletes a subscription and its delivery log; nothing more is delivered to it.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "works",
    params(("id" = String, Path, description = "Subscription id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem),
              (status = 404, description = "No such subscription", body = super::error::Problem)))]
pub async fn delete(
    State(s): State<AppState>,
    _who: Authorized,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let engine = s.engine.clone();
    blocking(move || engine.unsubscribe(&id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// How many attempts.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// Most attempts, newest first (1–1000, default 100).
    pub limit: Option<usize>,
}

/// The delivery log of a subscription: each attempt with the event's cursor, the attempt
/// number, the receiver's status and what went wrong, newest first.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}/deliveries", tag = "works",
    params(("id" = String, Path, description = "Subscription id"), LogParams),
    security(("bearer" = [])),
    responses((status = 200, description = "Attempts, newest first"),
              (status = 400, description = "Bad or unknown parameter", body = super::error::Problem),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem),
              (status = 404, description = "No such subscription", body = super::error::Problem)))]
pub async fn deliveries(
    State(s): State<AppState>,
    _who: Authorized,
    Path(id): Path<String>,
    Query(p): Query<LogParams>,
) -> ApiResult<Response> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(super::error::ApiError::invalid(format!(
            "limit: {limit} must be in 1–1000"
        )));
    }
    let engine = s.engine.clone();
    let log = blocking(move || engine.deliveries(&id, limit)).await?;
    Ok(Json(json!(log)).into_response())
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(one, delete))
        .routes(routes!(deliveries))
}
