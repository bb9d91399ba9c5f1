//! Works and choke-point API: lists and details (with history), clashes, scenarios and the
//! timeline. Creating and editing works (bearer token, ETag `"v<version>"` + If-Match: stale →
//! 412, an audit entry per change) is in [`super::coordination`].

use super::AppState;
use super::error::{ApiError, ApiResult, Path, Query};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jzplan_core::analysis::clash::ClashOptions;
use jzplan_core::layers::parse_day;
use jzplan_core::works::{DateRange, WorkFilter, WorkId};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Filters of the works list and the timeline.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WorksParams {
    /// Only this status (proposed, preliminary_work, design, under_construction, completed,
    /// suspended, cancelled).
    pub status: Option<String>,
    /// Only this kind (bridge, new_road, widening, …).
    pub kind: Option<String>,
    /// Only works on site on this day, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Only works whose geometry meets `minLon,minLat,maxLon,maxLat`.
    pub bbox: Option<String>,
    /// Only children of this programme.
    pub parent: Option<String>,
}

fn filter(p: &WorksParams) -> ApiResult<WorkFilter> {
    let bbox = match &p.bbox {
        Some(b) => {
            let r = super::ogc::parse_bbox(b)?;
            Some([r.min().x, r.min().y, r.max().x, r.max().y])
        }
        None => None,
    };
    Ok(WorkFilter {
        status: p.status.as_deref().map(str::parse).transpose()?,
        kind: p.kind.as_deref().map(str::parse).transpose()?,
        active_on: p.date.as_deref().map(parse_day).transpose()?,
        bbox,
        parent: p.parent.as_deref().map(WorkId::parse).transpose()?,
    })
}

pub(super) fn etag(version: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"v0\""))
}

/// The version named by `If-Match` (`"v3"` or `W/"v3"`); 428 when it is missing.
pub(super) fn if_match(h: &HeaderMap) -> ApiResult<u64> {
    let v = h
        .get(header::IF_MATCH)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::PRECONDITION_REQUIRED,
                "PreconditionRequired",
                "send If-Match with the ETag of the work (GET it first) to change it",
            )
        })?
        .to_str()
        .unwrap_or("");
    let t = v.trim().trim_start_matches("W/").trim_matches('"');
    t.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "If-Match '{v}' is not an ETag of this API (\"v<version>\")"
            ))
        })
}

pub(super) fn stale(current: u64, sent: u64) -> ApiError {
    ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "PreconditionFailed",
        format!("the work is at version {current}, not {sent}: reload it and retry"),
    )
}

/// The works.
#[utoipa::path(get, path = "/api/v1/works", tag = "works", params(WorksParams),
    responses((status = 200, description = "Works (JSON array)"),
              (status = 400, description = "Bad filter", body = super::error::Problem)))]
pub async fn list(State(s): State<AppState>, Query(p): Query<WorksParams>) -> ApiResult<Response> {
    let works = s.engine.list_works(&filter(&p)?)?;
    Ok(Json(json!(works)).into_response())
}

/// One work with its children, history, attachment and edges; `ETag` is its version.
#[utoipa::path(get, path = "/api/v1/works/{id}", tag = "works",
    params(("id" = String, Path, description = "Work id (P1, E2, P4-01, …)")),
    responses((status = 200, description = "Work detail"),
              (status = 404, description = "No such work", body = super::error::Problem)))]
pub async fn detail(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let d = s.engine.get_work(&WorkId::parse(&id)?)?;
    let mut r = Json(json!(d)).into_response();
    r.headers_mut().insert(header::ETAG, etag(d.work.version));
    Ok(r)
}

/// The audit history of a work (one entry per change: who, when, old → new, comment).
#[utoipa::path(get, path = "/api/v1/works/{id}/history", tag = "works",
    params(("id" = String, Path, description = "Work id")),
    responses((status = 200, description = "History, oldest first"),
              (status = 404, description = "No such work", body = super::error::Problem)))]
pub async fn history(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = WorkId::parse(&id)?;
    s.engine.get_work(&id)?;
    Ok(Json(json!(s.engine.history(id.as_str())?)).into_response())
}

/// Window of the clash search.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClashParams {
    /// First day of the window, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last day of the window.
    pub to: Option<String>,
    /// Footprints closer than this many metres touch (default 100).
    pub near_m: Option<f64>,
}

/// Works that clash: overlapping footprints and dates (strong when the detours are long).
#[utoipa::path(get, path = "/api/v1/clashes", tag = "works", params(ClashParams),
    responses((status = 200, description = "Clashes"),
              (status = 400, description = "Bad parameter", body = super::error::Problem)))]
pub async fn clashes(
    State(s): State<AppState>,
    Query(p): Query<ClashParams>,
) -> ApiResult<Response> {
    let window = match (&p.from, &p.to) {
        (Some(a), Some(b)) => Some(DateRange::new(parse_day(a)?, parse_day(b)?)?),
        (None, None) => None,
        _ => return Err(ApiError::invalid("give both from and to, or neither")),
    };
    let mut o = ClashOptions {
        window,
        ..ClashOptions::default()
    };
    if let Some(m) = p.near_m {
        if !(m.is_finite() && (0.0..=10_000.0).contains(&m)) {
            return Err(ApiError::invalid(format!(
                "near_m {m} must be in 0..=10000"
            )));
        }
        o.near_m = m;
    }
    let c = tokio::task::spawn_blocking(move || s.engine.clashes(&o))
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                e.to_string(),
            )
        })??;
    Ok(Json(json!(c)).into_response())
}

/// The what-if scenarios.
#[utoipa::path(get, path = "/api/v1/scenarios", tag = "works",
    responses((status = 200, description = "Scenarios")))]
pub async fn scenarios(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(json!(s.engine.list_scenarios()?)).into_response())
}

/// One scenario.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", tag = "works",
    params(("id" = String, Path, description = "Scenario id")),
    responses((status = 200, description = "Scenario"),
              (status = 404, description = "No such scenario", body = super::error::Problem)))]
pub async fn scenario(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let sc = s.engine.get_scenario(&id)?;
    let mut r = Json(json!(sc)).into_response();
    r.headers_mut().insert(header::ETAG, etag(sc.version));
    Ok(r)
}

/// The works as timeline (Gantt) rows, by start date.
#[utoipa::path(get, path = "/api/v1/timeline", tag = "works", params(WorksParams),
    responses((status = 200, description = "Timeline rows")))]
pub async fn timeline(
    State(s): State<AppState>,
    Query(p): Query<WorksParams>,
) -> ApiResult<Response> {
    Ok(Json(json!(s.engine.timeline(&filter(&p)?)?)).into_response())
}

/// The choke points.
#[utoipa::path(get, path = "/api/v1/hotspots", tag = "works",
    responses((status = 200, description = "Choke points")))]
pub async fn hotspots(State(s): State<AppState>) -> ApiResult<Response> {
    Ok(Json(json!(s.engine.list_hotspots()?)).into_response())
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(detail))
        .routes(routes!(history))
        .routes(routes!(clashes))
        .routes(routes!(scenarios))
        .routes(routes!(scenario))
        .routes(routes!(timeline))
        .routes(routes!(hotspots))
}
