//! Closure studies over HTTP: `POST /api/v1/studies` runs one (or finds it in the cache: the
//! same input on the same works gives the same id) and answers 201 with the result and its
//! `Location`; `GET /api/v1/studies/{id}` gives it again, `…/report.html` as a page,
//! `…/map.geojson` as map features.

use super::AppState;
use super::error::{ApiError, ApiResult, JsonBody, Path};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use jzplan_core::analysis::study::{Study, StudyRequest, check_request, study_id};
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How many studies stay in memory (the most recently used).
pub const STUDY_CACHE: usize = 32;

/// The studies computed by this server, most recently used last.
#[derive(Default)]
pub struct StudyCache {
    items: Mutex<Vec<Arc<Study>>>,
}

impl StudyCache {
    /// A cached study.
    pub fn get(&self, id: &str) -> Option<Arc<Study>> {
        let mut v = self.items.lock().ok()?;
        let i = v.iter().position(|s| s.id == id)?;
        let s = v.remove(i);
        v.push(s.clone());
        Some(s)
    }
    /// Keeps a study (dropping the least recently used beyond [`STUDY_CACHE`]).
    pub fn put(&self, s: Arc<Study>) {
        if let Ok(mut v) = self.items.lock() {
            v.retain(|x| x.id != s.id);
            v.push(s);
            let n = v.len();
            if n > STUDY_CACHE {
                v.drain(..n - STUDY_CACHE);
            }
        }
    }
    /// Studies held.
    pub fn len(&self) -> usize {
        self.items.lock().map_or(0, |v| v.len())
    }
    /// None held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One closure (exactly one of `work`, `street`, `edges`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ClosureBody {
    /// A work id (`P1`): what its site closes while it is built.
    work: Option<String>,
    /// A street name, Chinese or English (`锦州街`, `Jinzhou Street`).
    street: Option<String>,
    /// Start of a stretch of `street`, `[lon, lat]`.
    from: Option<[f64; 2]>,
    /// End of the stretch, `[lon, lat]`.
    to: Option<[f64; 2]>,
    /// Edge ids.
    edges: Option<Vec<u32>>,
    /// Lanes taken per direction: `"all"` (default, the road is closed) or 1–8.
    #[schema(value_type = Option<String>, example = "all")]
    lanes: Option<serde_json::Value>,
    /// `both` (default) or `forward` (only from → to, or exactly the edges given).
    direction: Option<String>,
    /// Speed limit on what stays open, km/h.
    speed_kmh: Option<f32>,
}

/// The study window, both days included.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct WindowBody {
    /// First day, `YYYY-MM-DD`.
    start: String,
    /// Last day.
    end: String,
}

/// A closure study request.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"closures": [{"street": "锦州街"}],
    "window": {"start": "2022-05-01", "end": "2022-10-31"}}))]
#[allow(dead_code)]
pub struct StudyBody {
    /// What is closed.
    closures: Vec<ClosureBody>,
    /// When.
    window: WindowBody,
    /// Daily hours, `22-06` (default: all day).
    hours: Option<String>,
    /// Extra veh/h on another work's site that makes it a secondary conflict (default 100).
    flow_threshold_vph: Option<f64>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalError",
        e.to_string(),
    )
}

fn found(s: &Study, status: StatusCode) -> Response {
    let mut r = (status, Json(s)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/studies/{}", s.id)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn cached(s: &AppState, id: &str) -> ApiResult<Arc<Study>> {
    s.studies
        .get(id)
        .ok_or_else(|| jzplan_core::Error::not_found("study", id).into())
}

/// Runs a closure study: detours, where the traffic goes by street and direction, the choke
/// points by Δv/c, the trips that lose most, VHT/VKT by period and over the window, the other
/// works in conflict and mitigation hints. The same input on the same works is answered from
/// the cache (same id). Bad input (unknown street or work, a stretch off the network, a window
/// that ends before it starts, malformed hours) is a problem with a stable code; nothing is
/// kept.
#[utoipa::path(post, path = "/api/v1/studies", tag = "studies", request_body = StudyBody,
    responses((status = 201, description = "The study (JSON); `Location` names it"),
              (status = 400, description = "Bad input (InvalidInput, NoSegment)", body = super::error::Problem),
              (status = 404, description = "Unknown street, work or edge", body = super::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<serde_json::Value>,
) -> ApiResult<Response> {
    let req: StudyRequest =
        serde_json::from_value(req).map_err(|e| ApiError::invalid(format!("study: {e}")))?;
    check_request(&req)?;
    let engine = s.engine.clone();
    let cache = s.studies.clone();
    let study = tokio::task::spawn_blocking(move || -> jzplan_core::Result<Arc<Study>> {
        let version = engine.works_version()?;
        let id = study_id(&req, version);
        if let Some(hit) = cache.get(&id) {
            return Ok(hit);
        }
        let st = Arc::new(engine.study(&req)?);
        cache.put(st.clone());
        Ok(st)
    })
    .await
    .map_err(internal)??;
    Ok(found(&study, StatusCode::CREATED))
}

/// A study run earlier (kept in memory for the most recent studies).
#[utoipa::path(get, path = "/api/v1/studies/{id}", tag = "studies",
    params(("id" = String, Path, description = "Study id (from POST's Location)")),
    responses((status = 200, description = "The study (JSON)"),
              (status = 404, description = "No such study (or no longer cached)", body = super::error::Problem)))]
pub async fn get(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let st = cached(&s, &id)?;
    Ok(found(&st, StatusCode::OK))
}

/// A study as one HTML page with a map of the study area.
#[utoipa::path(get, path = "/api/v1/studies/{id}/report.html", tag = "studies",
    params(("id" = String, Path, description = "Study id")),
    responses((status = 200, description = "HTML report", content_type = "text/html"),
              (status = 404, description = "No such study", body = super::error::Problem)))]
pub async fn report(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let st = cached(&s, &id)?;
    Ok(Html(jzplan_core::analysis::study_report::to_html(
        &s.engine.network,
        &st,
    ))
    .into_response())
}

/// A study's map content as GeoJSON (`layer`: closure, detour, flow_difference, choke_point,
/// conflict).
#[utoipa::path(get, path = "/api/v1/studies/{id}/map.geojson", tag = "studies",
    params(("id" = String, Path, description = "Study id")),
    responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json"),
              (status = 404, description = "No such study", body = super::error::Problem)))]
pub async fn map(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let st = cached(&s, &id)?;
    let body = jzplan_core::analysis::study_report::to_geojson(&s.engine.network, &st).to_string();
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body).into_response())
}

/// The studies routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(get))
        .routes(routes!(report))
        .routes(routes!(map))
}
