//! Feeds for navigation apps and other offices: the works as a WZDx 4.2 work-zone feed
//! (`GET /api/v1/wzdx`) and as a Waze CIFS closure feed (`GET /api/v1/cifs`, JSON or XML).
//! Both publish the works on site on a `date`, or in a `window`, or (neither) from today on.

use super::AppState;
use super::error::{ApiError, ApiResult, Query};
use crate::error::blocking;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use jzplan_core::feeds::{FeedSpan, Publisher, cifs, local_tz, span_of};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Which works a feed publishes. Unknown parameters are refused.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WzdxParams {
    /// Works on site on this day, `YYYY-MM-DD` (scheduled works with the hours of that day).
    pub date: Option<String>,
    /// Works whose window meets `START..END` (both days included; either end may be open).
    /// Neither `date` nor `window`: from today on.
    pub window: Option<String>,
}

/// The CIFS parameters. Unknown parameters are refused.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CifsParams {
    /// Works on site on this day, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Works whose window meets `START..END`.
    pub window: Option<String>,
    /// `json` or `xml` (default: by the Accept header, else json).
    pub format: Option<String>,
}

fn span(date: Option<&str>, window: Option<&str>) -> ApiResult<FeedSpan> {
    let today = chrono::Utc::now().with_timezone(&local_tz()).date_naive();
    Ok(span_of(date, window, today)?)
}

fn publisher() -> Publisher {
    Publisher::jzplan(chrono::Utc::now())
}

/// The works as a WZDx 4.2 WorkZoneFeed (GeoJSON): one RoadEventFeature per direction of each
/// stretch a work closes, narrows or slows, its detours as DetourRoadEvents, `feed_info` with
/// the publisher and data source (see docs/works.md, "Feeds").
#[utoipa::path(get, path = "/api/v1/wzdx", tag = "works", params(WzdxParams),
    responses((status = 200, description = "WZDx 4.2 WorkZoneFeed", content_type = "application/geo+json"),
              (status = 400, description = "Bad or unknown parameter", body = super::error::Problem)))]
pub async fn wzdx(State(s): State<AppState>, Query(p): Query<WzdxParams>) -> ApiResult<Response> {
    let span = span(p.date.as_deref(), p.window.as_deref())?;
    let engine = s.engine.clone();
    let feed = blocking(move || engine.wzdx_feed(span, &publisher())).await?;
    let mut r = axum::Json(feed).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(r)
}

fn wants_xml(format: Option<&str>, headers: &HeaderMap) -> ApiResult<bool> {
    match format.map(str::trim) {
        Some("xml") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(ApiError::invalid(format!(
            "format '{other}' is not json or xml"
        ))),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| {
                let json_at = a.find("json");
                let xml_at = a.find("xml");
                matches!((xml_at, json_at), (Some(x), Some(j)) if x < j)
                    || (xml_at.is_some() && json_at.is_none())
            })),
    }
}

/// The works as a Waze CIFS feed: a `ROAD_CLOSED` incident per closed direction (polyline in
/// driving order), a construction hazard per lane cut or speed limit, start and end times,
/// a schedule for works with daily hours or weekdays. JSON or XML (`format`, or Accept).
#[utoipa::path(get, path = "/api/v1/cifs", tag = "works", params(CifsParams),
    responses((status = 200, description = "CIFS incidents (JSON or XML)"),
              (status = 400, description = "Bad or unknown parameter", body = super::error::Problem)))]
pub async fn cifs_feed(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<CifsParams>,
) -> ApiResult<Response> {
    let xml = wants_xml(p.format.as_deref(), &headers)?;
    let span = span(p.date.as_deref(), p.window.as_deref())?;
    let engine = s.engine.clone();
    let incidents = blocking(move || engine.cifs_incidents(span, &publisher())).await?;
    if xml {
        let mut r = cifs::xml(&incidents).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        );
        Ok(r)
    } else {
        Ok(axum::Json(cifs::json(&incidents)).into_response())
    }
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(wzdx))
        .routes(routes!(cifs_feed))
}
