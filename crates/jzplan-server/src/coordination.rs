//! Works coordination API: create (`POST /api/v1/works`) and edit (`PATCH /api/v1/works/{id}`)
//! works as records, each answered with the findings of the coordination check for that work;
//! the findings (`GET /api/v1/conflicts`) and the moratoria (`GET /api/v1/moratoria`).
//! Writes need a bearer token; edits need `If-Match` (stale → 412).

use super::AppState;
use super::auth::Authorized;
use super::error::{ApiError, ApiResult, JsonBody, Path, Query};
use super::works::{etag, if_match, stale};
use crate::error::blocking;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jzplan_core::layers::parse_day;
use jzplan_core::works::rules::{FindingFilter, MoratoriumPeriods, RuleOptions};
use jzplan_core::works::{DateRange, WorkId};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Creates a work from a JSON record (the fields of a work; `promoter` and `geometry`
/// required; `status` defaults to proposed and the sources to `submitted:<token holder> <day>`;
/// a top-level `comment` goes to the audit entry). Every field is checked and a bad record is
/// refused whole, naming the field; nothing is stored. Answers 201 with `{work, check}`:
/// `check` holds the findings (site, corridor, opportunity, moratorium) of the new work.
#[utoipa::path(post, path = "/api/v1/works", tag = "works",
    request_body(content = Object, description = "A work record"),
    security(("bearer" = [])),
    responses((status = 201, description = "Created: {work, check}; ETag and Location"),
              (status = 400, description = "Bad record (the detail names the field)", body = super::error::Problem),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem),
              (status = 409, description = "The id exists", body = super::error::Problem),
              (status = 413, description = "Body or record too large", body = super::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    Authorized(actor): Authorized,
    JsonBody(record): JsonBody<Value>,
) -> ApiResult<Response> {
    let engine = s.engine.clone();
    let saved = blocking(move || engine.submit_work(&record, &actor)).await?;
    let mut r = (StatusCode::CREATED, Json(json!(saved))).into_response();
    r.headers_mut()
        .insert(header::ETAG, etag(saved.work.version));
    if let Ok(loc) = HeaderValue::from_str(&format!("/api/v1/works/{}", saved.work.id)) {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

/// Edits a work: `status` (+ `effective`, default today; `cancelled` cancels), `planned_start`
/// + `planned_end`, and any field of the work as a JSON merge patch (`null` removes an
/// optional field); `comment` goes to the audit entry. The whole record is checked again;
/// nothing changes on any error. Needs a bearer token and `If-Match: "v<version>"` (412 when
/// stale, 428 when missing). Answers `{work, check}` with the new ETag.
#[utoipa::path(patch, path = "/api/v1/works/{id}", tag = "works",
    params(("id" = String, Path, description = "Work id"),
           ("If-Match" = String, Header, description = "ETag of the work, \"v<version>\"")),
    request_body(content = Object, description = "Changes"),
    security(("bearer" = [])),
    responses((status = 200, description = "{work, check}; ETag is the new version"),
              (status = 400, description = "Bad body (the detail names the field)", body = super::error::Problem),
              (status = 401, description = "No token", body = super::error::Problem),
              (status = 403, description = "Token not accepted", body = super::error::Problem),
              (status = 404, description = "No such work", body = super::error::Problem),
              (status = 409, description = "Transition not allowed", body = super::error::Problem),
              (status = 412, description = "Stale If-Match", body = super::error::Problem),
              (status = 428, description = "If-Match missing", body = super::error::Problem)))]
pub async fn patch(
    State(s): State<AppState>,
    Authorized(actor): Authorized,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<Response> {
    let id = WorkId::parse(&id)?;
    let sent = if_match(&headers)?;
    let current = s.engine.get_work(&id)?.work.version;
    if current != sent {
        return Err(stale(current, sent));
    }
    let engine = s.engine.clone();
    let again = id.clone();
    let saved = match blocking(move || engine.edit_work(&id, &body, sent, &actor)).await {
        Ok(saved) => saved,
        // Another edit committed between the check above and this one: the If-Match is
        // stale now, which is a 412 like any stale If-Match (a forbidden transition stays 409).
        Err(e) if e.code == "Conflict" => match s.engine.get_work(&again) {
            Ok(d) if d.work.version != sent => return Err(stale(d.work.version, sent)),
            _ => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let mut r = Json(json!(saved)).into_response();
    r.headers_mut()
        .insert(header::ETAG, etag(saved.work.version));
    Ok(r)
}

/// Filters and options of the findings. Unknown parameters are refused.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConflictParams {
    /// Only findings with this work.
    pub work: Option<String>,
    /// Only findings on this street (Chinese or English name).
    pub street: Option<String>,
    /// Only this kind: site, corridor, opportunity, moratorium.
    pub kind: Option<String>,
    /// Only this severity or higher: low, medium, high, critical.
    pub min_severity: Option<String>,
    /// First day of the window, `YYYY-MM-DD` (with `to`).
    pub from: Option<String>,
    /// Last day of the window.
    pub to: Option<String>,
    /// Site buffer in metres (default 50).
    pub buffer_m: Option<f64>,
    /// Opportunity distance in metres (default 100).
    pub opportunity_m: Option<f64>,
    /// Opportunity: most days between the windows (default 180).
    pub opportunity_days: Option<i64>,
}

/// Rule options and filter from query parameters (shared with the CLI's flags).
fn options(p: &ConflictParams) -> ApiResult<(RuleOptions, FindingFilter)> {
    let window = match (&p.from, &p.to) {
        (Some(a), Some(b)) => Some(DateRange::new(parse_day(a)?, parse_day(b)?)?),
        (None, None) => None,
        _ => return Err(ApiError::invalid("give both from and to, or neither")),
    };
    let mut o = RuleOptions {
        window,
        ..RuleOptions::default()
    };
    if let Some(b) = p.buffer_m {
        o.buffer_m = b;
    }
    if let Some(m) = p.opportunity_m {
        o.opportunity_m = m;
    }
    if let Some(d) = p.opportunity_days {
        o.opportunity_days = d;
    }
    o.validate()?;
    let f = FindingFilter {
        work: p.work.as_deref().map(WorkId::parse).transpose()?,
        street: p.street.clone().filter(|s| !s.trim().is_empty()),
        kind: p.kind.as_deref().map(str::parse).transpose()?,
        min_severity: p.min_severity.as_deref().map(str::parse).transpose()?,
    };
    Ok((o, f))
}

/// Coordination findings among the stored works, most severe first: `site`, `corridor`,
/// `opportunity`, `moratorium` (see docs/works.md).
#[utoipa::path(get, path = "/api/v1/conflicts", tag = "works", params(ConflictParams),
    responses((status = 200, description = "Findings"),
              (status = 400, description = "Bad or unknown parameter", body = super::error::Problem),
              (status = 404, description = "No such work", body = super::error::Problem)))]
pub async fn conflicts(
    State(s): State<AppState>,
    Query(p): Query<ConflictParams>,
) -> ApiResult<Response> {
    let (o, f) = options(&p)?;
    let engine = s.engine.clone();
    let found = blocking(move || engine.findings(&o, &f)).await?;
    Ok(Json(json!(found)).into_response())
}

/// No parameters.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// The moratoria (dig-bans): each completed or scheduled resurfacing, reconstruction or new
/// road with its protected streets, period and the source of the period.
#[utoipa::path(get, path = "/api/v1/moratoria", tag = "works",
    responses((status = 200, description = "Moratoria"),
              (status = 400, description = "Unknown parameter", body = super::error::Problem)))]
pub async fn moratoria(
    State(s): State<AppState>,
    Query(_none): Query<NoParams>,
) -> ApiResult<Response> {
    let engine = s.engine.clone();
    let m = blocking(move || engine.moratoria(&MoratoriumPeriods::default())).await?;
    Ok(Json(json!(m)).into_response())
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(patch))
        .routes(routes!(conflicts))
        .routes(routes!(moratoria))
}
