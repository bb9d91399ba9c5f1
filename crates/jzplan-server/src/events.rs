//! The change feed: `GET /api/v1/events?since=CURSOR&limit=N` (a page of events and the `next`
//! cursor) and the same as Server-Sent Events (`GET /api/v1/events/stream`, resumable with
//! `Last-Event-ID`, with keep-alive comments). The feed is in the store, so it survives a
//! restart and every replica on one database serves the same feed.

use super::AppState;
use super::error::{ApiError, ApiResult, Query};
use crate::error::blocking;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use jzplan_core::engine::Engine;
use jzplan_core::store::events::{Event, EventFilter, EventKind};
use jzplan_core::works::WorkId;
use serde::Deserialize;
use serde_json::json;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where to read from and which events.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventParams {
    /// Events after this cursor (default 0: from the start; after the last event: 400).
    pub since: Option<u64>,
    /// Most events read (1–1000, default 100).
    pub limit: Option<usize>,
    /// Only events concerning this work (its own, and findings it takes part in).
    pub work: Option<String>,
    /// Only these kinds, comma-separated: created, edited, status, cancelled, finding_new,
    /// finding_changed, finding_resolved.
    pub kind: Option<String>,
}

/// The filter of `work` and `kind` (shared by the page and the stream).
pub(crate) fn filter_of(work: Option<&str>, kind: Option<&str>) -> ApiResult<EventFilter> {
    let works = work.map(WorkId::parse).transpose()?.into_iter().collect();
    let kinds = match kind {
        Some(k) => k
            .split(',')
            .map(str::parse::<EventKind>)
            .collect::<jzplan_core::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(EventFilter { works, kinds })
}

/// The change feed: every create, edit, status change and cancellation of a work, and every
/// coordination finding that appeared, changed or was resolved by it, in commit order. Read
/// on from `next`; nothing is lost across restarts or between replicas.
#[utoipa::path(get, path = "/api/v1/events", tag = "works", params(EventParams),
    responses((status = 200, description = "{events: [{cursor, at, kind, work, version, actor, works, data}], next}"),
              (status = 400, description = "Bad or unknown parameter", body = super::error::Problem)))]
pub async fn events(
    State(s): State<AppState>,
    Query(p): Query<EventParams>,
) -> ApiResult<Response> {
    let filter = filter_of(p.work.as_deref(), p.kind.as_deref())?;
    let (since, limit) = (p.since.unwrap_or(0), p.limit.unwrap_or(100));
    let engine = s.engine.clone();
    let page = blocking(move || engine.events(since, limit, &filter)).await?;
    Ok(Json(json!(page)).into_response())
}

/// Where the stream starts and which events.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamParams {
    /// Events after this cursor (default: from now on); `Last-Event-ID` wins when sent.
    pub since: Option<u64>,
    /// Only events concerning this work.
    pub work: Option<String>,
    /// Only these kinds, comma-separated.
    pub kind: Option<String>,
}

/// The state of one stream.
struct Tail {
    engine: Engine,
    filter: EventFilter,
    cursor: u64,
    queue: VecDeque<Event>,
    poll: Duration,
}

/// The next event of the stream, waiting (polling the store) until there is one.
async fn next_event(mut t: Tail) -> Option<(Result<SseEvent, Infallible>, Tail)> {
    loop {
        if let Some(e) = t.queue.pop_front() {
            let data = serde_json::to_string(&e).unwrap_or_default();
            let ev = SseEvent::default()
                .id(e.cursor.to_string())
                .event(e.event.kind.as_str())
                .data(data);
            return Some((Ok(ev), t));
        }
        let (engine, filter, cursor) = (t.engine.clone(), t.filter.clone(), t.cursor);
        match blocking(move || engine.events(cursor, 100, &filter)).await {
            Ok(page) => {
                t.cursor = page.next;
                t.queue.extend(page.events);
                if t.queue.is_empty() {
                    tokio::time::sleep(t.poll).await;
                }
            }
            Err(e) => {
                // The store failed: say so to the client and end the stream (it reconnects
                // with Last-Event-ID).
                tracing::warn!("event stream ends: {}", e.detail);
                return None;
            }
        }
    }
}

/// The change feed as Server-Sent Events: one event per feed event (`id` = cursor, `event` =
/// kind, `data` = the event as JSON), keep-alive comments while nothing happens. A client that
/// reconnects sends `Last-Event-ID` and misses nothing; a cursor after the last event is 400.
/// Needs `Accept: text/event-stream`.
#[utoipa::path(get, path = "/api/v1/events/stream", tag = "works", params(StreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "Resume after this cursor")),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
              (status = 400, description = "Bad or unknown parameter", body = super::error::Problem),
              (status = 406, description = "The client does not accept text/event-stream", body = super::error::Problem)))]
pub async fn stream(
    State(s): State<AppState>,
    Query(p): Query<StreamParams>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let accepts = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_none_or(|a| a.contains("text/event-stream") || a.contains("*/*"));
    if !accepts {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptable",
            "this is a stream of Server-Sent Events: send Accept: text/event-stream \
             (GET /api/v1/events pages the same feed as JSON)",
        ));
    }
    let filter = filter_of(p.work.as_deref(), p.kind.as_deref())?;
    let last = match headers.get("last-event-id") {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| ApiError::invalid("Last-Event-ID: must be an event cursor"))?,
        ),
        None => None,
    };
    let from = match (last, p.since) {
        (Some(c), _) => Some(("Last-Event-ID", c)),
        (None, Some(c)) => Some(("since", c)),
        (None, None) => None,
    };
    let engine = s.engine.clone();
    let newest = blocking(move || engine.last_event()).await?;
    let cursor = match from {
        Some((what, c)) if c > newest => {
            return Err(ApiError::invalid(format!(
                "{what}: {c} is after the last event ({newest})"
            )));
        }
        Some((_, c)) => c,
        None => newest,
    };
    let tail = Tail {
        engine: s.engine.clone(),
        filter,
        cursor,
        queue: VecDeque::new(),
        poll: s.config.events_poll,
    };
    let stream = futures_util::stream::unfold(tail, next_event);
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(s.config.keep_alive))
        .into_response();
    // Proxies (nginx) pass the events on as they come instead of buffering them.
    r.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(r)
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(stream))
}
