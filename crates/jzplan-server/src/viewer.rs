//! The web viewer (`maps/`), embedded in the binary so that `jzplan serve` runs offline:
//! `index.html` at `/`, its script, style and the vendored MapLibre GL JS under `/maps/`, and
//! the SDF glyphs of its map labels at `/fonts/{fontstack}/{start}-{end}.pbf`
//! (`maps/fonts/`, made by `scripts/glyphs.py`).

use super::AppState;
use super::error::ApiError;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// (path under maps/, media type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../../../maps/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../maps/app.js"),
    ),
    (
        "study.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../maps/study.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../maps/style.css"),
    ),
    (
        "vendor/maplibre-gl.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../../maps/vendor/maplibre-gl.js"),
    ),
    (
        "vendor/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../maps/vendor/maplibre-gl.css"),
    ),
    (
        "vendor/MAPLIBRE-LICENSE.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../../../maps/vendor/MAPLIBRE-LICENSE.txt"),
    ),
];

/// Fontstacks served at `/fonts/`: (name, [(first code point of the range, PBF bytes)]).
/// Latin ranges only: the viewer lets the browser draw Chinese (`localIdeographFontFamily`).
type Font = (&'static str, &'static [(u32, &'static [u8])]);
const FONTS: &[Font] = &[
    (
        "Noto Sans Regular",
        &[
            (
                0,
                include_bytes!("../../../maps/fonts/Noto Sans Regular/0-255.pbf"),
            ),
            (
                256,
                include_bytes!("../../../maps/fonts/Noto Sans Regular/256-511.pbf"),
            ),
            (
                8192,
                include_bytes!("../../../maps/fonts/Noto Sans Regular/8192-8447.pbf"),
            ),
        ],
    ),
    (
        "Noto Sans Bold",
        &[
            (
                0,
                include_bytes!("../../../maps/fonts/Noto Sans Bold/0-255.pbf"),
            ),
            (
                256,
                include_bytes!("../../../maps/fonts/Noto Sans Bold/256-511.pbf"),
            ),
            (
                8192,
                include_bytes!("../../../maps/fonts/Noto Sans Bold/8192-8447.pbf"),
            ),
        ],
    ),
];

/// The PBF of a glyph range (`"0-255.pbf"`) of a fontstack. A stack of several fonts
/// (`"A,B"`, as MapLibre asks for `text-font: ["A", "B"]`) is answered by its first font we
/// have; ranges are 256 code points aligned on 256, as MapLibre requests them.
pub fn glyphs(fontstack: &str, range: &str) -> Option<&'static [u8]> {
    let (start, end) = range.strip_suffix(".pbf")?.split_once('-')?;
    let (start, end): (u32, u32) = (start.parse().ok()?, end.parse().ok()?);
    if start % 256 != 0 || start.checked_add(255) != Some(end) {
        return None;
    }
    let ranges = fontstack
        .split(',')
        .find_map(|f| FONTS.iter().find(|(name, _)| *name == f.trim()))?
        .1;
    ranges.iter().find(|(s, _)| *s == start).map(|(_, b)| *b)
}

async fn font(Path((fontstack, range)): Path<(String, String)>) -> Response {
    match glyphs(&fontstack, &range) {
        Some(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-protobuf"),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "no glyphs {range} for fontstack {fontstack:?}; fontstacks: {}; ranges: \
                 0-255, 256-511, 8192-8447 (Chinese is drawn by the browser)",
                FONTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ),
        )
        .into_response(),
    }
}

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

/// Routes of the viewer assets and glyphs (the page itself is served by the landing handler).
pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/maps/{*path}", get(asset))
        .route("/fonts/{fontstack}/{range}", get(font))
}
