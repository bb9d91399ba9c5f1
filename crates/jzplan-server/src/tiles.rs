//! Vector tiles (`/tiles/{layers}/{z}/{x}/{y}.mvt`) and their TileJSON 3.0.0 descriptions
//! (`/tiles/{layers}.json`). `{layers}` is one layer id, several joined by commas, or `all`
//! (every layer in one tile: the combined source of the web viewer).

use super::error::{ApiError, ApiResult, Path, Query};
use super::{AppState, BaseUrl};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jzplan_core::layers::mvt::{self, TileId};
use jzplan_core::layers::{Layer, parse_day};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Media type of Mapbox Vector Tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
/// Highest zoom in TileJSON; clients overzoom beyond it.
pub const TILEJSON_MAX_ZOOM: u8 = 18;
/// Cache lifetime; works may change, so clients revalidate with the ETag after it.
const CACHE_CONTROL: &str = "public, max-age=60";

/// `date` of the network state for dated layers (closures on that day).
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TileParams {
    /// `YYYY-MM-DD`; default: today's network.
    pub date: Option<String>,
}

fn resolve<'a>(s: &'a AppState, spec: &str) -> ApiResult<Vec<&'a Arc<dyn Layer>>> {
    if spec == "all" {
        return Ok(s.layers.layers().iter().collect());
    }
    let mut out = Vec::new();
    for id in spec.split(',') {
        out.push(s.layers.get(id.trim())?);
    }
    Ok(out)
}

/// TileJSON 3.0.0 of one layer, several, or `all`.
#[utoipa::path(get, path = "/tiles/{tilejson}", tag = "tiles",
    params(("tilejson" = String, Path, description = "`roads.json`, `roads,rivers.json` or `all.json`"),
           TileParams),
    responses((status = 200, description = "TileJSON 3.0.0"),
              (status = 404, description = "Unknown layer", body = super::error::Problem)))]
pub async fn tilejson(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(name): Path<String>,
    Query(p): Query<TileParams>,
) -> ApiResult<Response> {
    let spec = name
        .strip_suffix(".json")
        .ok_or_else(|| ApiError::no_route(&format!("/tiles/{name}")))?;
    let layers = resolve(&s, spec)?;
    if let Some(d) = &p.date {
        parse_day(d)?;
    }
    let date_q = p
        .date
        .as_ref()
        .map(|d| format!("?date={d}"))
        .unwrap_or_default();
    let mut bounds: Option<[f64; 4]> = None;
    let vector_layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            let i = l.info();
            if let Some(r) = l.extent() {
                let b = bounds.get_or_insert([r.min().x, r.min().y, r.max().x, r.max().y]);
                b[0] = b[0].min(r.min().x);
                b[1] = b[1].min(r.min().y);
                b[2] = b[2].max(r.max().x);
                b[3] = b[3].max(r.max().y);
            }
            let fields: serde_json::Map<String, Value> = i
                .properties
                .iter()
                .map(|p| {
                    let t = match p.kind {
                        jzplan_core::layers::PropKind::String
                        | jzplan_core::layers::PropKind::Date => "String",
                        jzplan_core::layers::PropKind::Boolean => "Boolean",
                        _ => "Number",
                    };
                    (p.name.to_string(), Value::from(t))
                })
                .collect();
            json!({
                "id": i.id,
                "description": i.description,
                "minzoom": i.min_zoom,
                "maxzoom": TILEJSON_MAX_ZOOM,
                "fields": fields,
            })
        })
        .collect();
    // Empty layers: the network's box (the city), the world only without a network.
    let b = bounds
        .or_else(|| {
            s.engine
                .network
                .bbox()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        })
        .unwrap_or([-180.0, -85.051_128, 180.0, 85.051_128]);
    let v = json!({
        "tilejson": "3.0.0",
        "name": spec,
        "description": "jzplan layers of Jinzhou (approximate data; see each feature's source)",
        "attribution": "jzplan; coastline © OpenStreetMap contributors (ODbL)",
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{spec}/{{z}}/{{x}}/{{y}}.mvt{date_q}")],
        "minzoom": 0,
        "maxzoom": TILEJSON_MAX_ZOOM,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 11],
        "vector_layers": vector_layers,
    });
    Ok(axum::Json(v).into_response())
}

/// One vector tile.
#[utoipa::path(get, path = "/tiles/{layers}/{z}/{x}/{y}", tag = "tiles",
    params(("layers" = String, Path, description = "Layer id, ids joined by commas, or `all`"),
           ("z" = u8, Path, description = "Zoom (0–22)"),
           ("x" = u32, Path, description = "Column"),
           ("y" = String, Path, description = "Row with `.mvt` (or `.pbf`)"),
           TileParams),
    responses((status = 200, description = "Mapbox Vector Tile (gzip if accepted); empty when \
               nothing is in the tile", content_type = "application/vnd.mapbox-vector-tile"),
              (status = 304, description = "Not modified (If-None-Match)"),
              (status = 400, description = "Bad tile address", body = super::error::Problem),
              (status = 404, description = "Unknown layer", body = super::error::Problem)))]
pub async fn tile(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((spec, z, x, y)): Path<(String, String, String, String)>,
    Query(p): Query<TileParams>,
) -> ApiResult<Response> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::invalid(format!("tile '{y}' must end in .mvt or .pbf")))?;
    let num = |what: &str, v: &str| -> ApiResult<u32> {
        v.parse()
            .map_err(|_| ApiError::invalid(format!("tile {what} '{v}' is not a whole number")))
    };
    let z = num("zoom", &z)?;
    let z = u8::try_from(z).map_err(|_| {
        ApiError::invalid(format!("zoom {z} is above the maximum {}", mvt::MAX_ZOOM))
    })?;
    let t = TileId::new(z, num("x", &x)?, num("y", y)?)?;
    let date = p.date.as_deref().map(parse_day).transpose()?;
    let layers = resolve(&s, &spec)?;
    let refs: Vec<&dyn Layer> = layers.iter().map(|l| l.as_ref()).collect();
    let bytes = mvt::encode_tile(&refs, t, date)?;
    let digest = Sha256::digest(&bytes);
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let etag_v = HeaderValue::from_str(&etag).map_err(|e| ApiError::invalid(e.to_string()))?;
    let cache = HeaderValue::from_static(CACHE_CONTROL);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| same_etag(t, &etag)));
    if fresh {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_v), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(MVT)),
            (header::ETAG, etag_v),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tilejson))
        .routes(routes!(tile))
}

/// Whether an `If-None-Match` entry names `etag`, by the weak comparison HTTP asks of it
/// (RFC 9110 §13.1.2: a `W/` prefix on either side is ignored), or is `*`.
fn same_etag(entry: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    entry.trim() == "*" || bare(entry) == bare(etag)
}
