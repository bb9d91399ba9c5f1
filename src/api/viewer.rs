//! The web viewer (`maps/`), embedded in the binary so that `jzplan serve` runs offline:
//! `index.html` at `/`, its script, style and the vendored MapLibre GL JS under `/maps/`.

use super::AppState;
use super::error::ApiError;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// (path under maps/, media type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../maps/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../maps/app.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../maps/style.css"),
    ),
    (
        "vendor/maplibre-gl.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../maps/vendor/maplibre-gl.js"),
    ),
    (
        "vendor/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!("../../maps/vendor/maplibre-gl.css"),
    ),
    (
        "vendor/MAPLIBRE-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../maps/vendor/MAPLIBRE-LICENSE.txt"),
    ),
];

fn file(path: &str) -> Option<Response> {
    let (_, ty, bytes) = FILES.iter().find(|(p, _, _)| *p == path)?;
    let cache = if path.starts_with("vendor/") {
        "public, max-age=86400"
    } else {
        "no-cache"
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ty)),
                (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
            *bytes,
        )
            .into_response(),
    )
}

/// The viewer page.
pub fn index() -> Response {
    file("index.html").unwrap_or_else(|| ApiError::no_route("/").into_response())
}

async fn asset(Path(path): Path<String>) -> Response {
    file(&path).unwrap_or_else(|| ApiError::no_route(&format!("/maps/{path}")).into_response())
}

/// Routes of the viewer assets (the page itself is served by the landing handler).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/maps/{*path}", get(asset))
}
