//! OGC API – Features, Part 1 Core (GeoJSON and HTML): landing page, conformance, collections
//! and items, over the layer [`Catalog`](jzplan_core::layers::Catalog); each collection's
//! schema (Part 5), queryables (Part 3) and GML application schema, written by the core
//! ([`jzplan_core::layers::schema`]), so an empty collection still opens typed. The landing page shares `/`
//! with the web viewer: JSON clients (GDAL, QGIS, `?f=json`) get the landing page, browsers
//! the viewer.

use super::error::{ApiError, ApiResult, Path, Query};
use super::{AppState, BaseUrl};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use geo_types::{Coord, Rect};
use jzplan_core::Error;
use jzplan_core::layers::{self, DateInterval, Feature, FeatureQuery, Layer, parse_day};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// CRS of every geometry served.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// Largest page; larger `limit`s are clamped, as Part 1 requires.
pub const MAX_LIMIT: usize = 10_000;
/// Page size without `limit`.
pub const DEFAULT_LIMIT: usize = 100;

const CONFORMANCE: [&str; 5] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
];

/// Media type of JSON Schemas (Part 3 queryables, Part 5 schemas).
pub const SCHEMA_JSON: &str = "application/schema+json";

/// Output format chosen by `f=` or the `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// JSON / GeoJSON.
    Json,
    /// HTML for people.
    Html,
}

/// Picks the format: `f=json|geojson|html` wins, else `Accept` (HTML only if asked for before
/// any JSON type).
pub fn negotiate(f: Option<&str>, headers: &HeaderMap) -> ApiResult<Format> {
    match f {
        Some("json") | Some("geojson") | Some("application/json") => return Ok(Format::Json),
        Some("html") | Some("text/html") => return Ok(Format::Html),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "f='{other}' is not one of: json, html"
            )));
        }
        None => {}
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let html = accept.find("text/html");
    let json = accept.find("json");
    Ok(match (html, json) {
        (Some(h), Some(j)) if h < j => Format::Html,
        (Some(_), None) => Format::Html,
        _ => Format::Json,
    })
}

/// Only `f`.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `json` or `html` (default: by `Accept`).
    pub f: Option<String>,
}

/// Parameters of `/collections/{collectionId}/items`; any other parameter filters on the
/// property of that name (`?class=primary`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ItemsParams {
    /// minLon,minLat,maxLon,maxLat (CRS84).
    bbox: Option<String>,
    /// Page size (1–10000, default 100; larger values are clamped).
    limit: Option<usize>,
    /// Features to skip.
    offset: Option<usize>,
    /// Instant or interval (`2026-05-01`, `2026-01-01/..`): features valid then.
    datetime: Option<String>,
    /// Network state of a dated collection (closures on that day), `YYYY-MM-DD`.
    date: Option<String>,
    /// `json` or `html`.
    f: Option<String>,
}

fn json_response(v: Value, content_type: &'static str) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// HTML-escapes text.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Percent-encodes a query-string value.
pub fn pct(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} – jzplan</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 6px;font-size:90%}}</style></head><body>\
         <p><a href=\"/?f=html\">jzplan</a> · <a href=\"/collections?f=html\">collections</a> · \
         <a href=\"/\">map</a> · <a href=\"/docs/\">API docs</a></p><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
    .into_response()
}

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": ty, "title": title})
}

fn landing_json(base: &str) -> Value {
    json!({
        "title": "jzplan – Jinzhou works and road network",
        "description": "Roads, works, choke points, closures and other layers of the jzplan \
                        planner for Jinzhou (锦州), as OGC API – Features.",
        "links": [
            link(format!("{base}/?f=json"), "self", "application/json", "this document"),
            link(format!("{base}/?f=html"), "alternate", "text/html", "this document as HTML"),
            link(format!("{base}/openapi.json"), "service-desc",
                 "application/vnd.oai.openapi+json;version=3.1", "the API definition"),
            link(format!("{base}/docs/"), "service-doc", "text/html", "the API documentation"),
            link(format!("{base}/conformance"), "conformance", "application/json",
                 "conformance classes"),
            link(format!("{base}/collections"), "data", "application/json", "the collections"),
        ]
    })
}

/// OGC landing page (JSON clients; browsers asking for HTML get the web viewer at `/`).
#[utoipa::path(get, path = "/", tag = "ogc", params(FormatParam),
    responses((status = 200, description = "Landing page (JSON), or the web viewer (HTML)")))]
pub async fn landing(
    State(_s): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Query(p): Query<FormatParam>,
) -> ApiResult<Response> {
    let fmt = negotiate(p.f.as_deref(), &headers)?;
    Ok(match (fmt, p.f.is_some()) {
        (Format::Json, _) => json_response(landing_json(&base), "application/json"),
        // A browser opening the server gets the web map; `?f=html` the OGC landing page.
        (Format::Html, false) => super::viewer::index(),
        (Format::Html, true) => page(
            "jzplan – OGC API Features",
            "<ul><li><a href=\"/collections?f=html\">Collections</a></li>\
             <li><a href=\"/conformance?f=html\">Conformance</a></li>\
             <li><a href=\"/openapi.json\">OpenAPI</a> · <a href=\"/docs/\">Swagger UI</a></li>\
             <li><a href=\"/\">Web map</a></li></ul>",
        ),
    })
}

/// Conformance classes.
#[utoipa::path(get, path = "/conformance", tag = "ogc", params(FormatParam),
    responses((status = 200, description = "Conformance classes")))]
pub async fn conformance(headers: HeaderMap, Query(p): Query<FormatParam>) -> ApiResult<Response> {
    Ok(match negotiate(p.f.as_deref(), &headers)? {
        Format::Json => json_response(json!({ "conformsTo": CONFORMANCE }), "application/json"),
        Format::Html => page(
            "Conformance",
            &format!(
                "<ul>{}</ul>",
                CONFORMANCE
                    .iter()
                    .map(|c| format!("<li>{}</li>", esc(c)))
                    .collect::<String>()
            ),
        ),
    })
}

/// The extent of a layer, or for an empty one that of the network (the city), so that
/// "zoom to layer" still goes to the city; the whole world only without a network.
pub fn extent_or_network(l: &dyn Layer, s: &AppState) -> Option<Rect<f64>> {
    l.extent().or_else(|| s.engine.network.bbox())
}

fn bbox_json(r: Option<Rect<f64>>) -> Value {
    match r {
        Some(r) => json!([[r.min().x, r.min().y, r.max().x, r.max().y]]),
        None => json!([[-180.0, -90.0, 180.0, 90.0]]),
    }
}

fn collection_json(base: &str, s: &AppState, l: &dyn Layer) -> Value {
    let i = l.info();
    let id = i.id;
    let today = layers::today();
    let mut props = serde_json::Map::new();
    for p in &i.properties {
        props.insert(
            p.name.to_string(),
            match p.kind.json_format() {
                Some(f) => json!({"type": p.kind.json_type(), "format": f,
                                  "description": p.description}),
                None => json!({"type": p.kind.json_type(), "description": p.description}),
            },
        );
    }
    json!({
        "id": id,
        "title": i.title,
        "description": i.description_on(today),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": bbox_json(extent_or_network(l, s)), "crs": CRS84}},
        "geometryType": i.geometry_type,
        "dated": i.dated,
        "defaultDate": i.dated.then(|| today.to_string()),
        "properties": props,
        "links": [
            link(format!("{base}/collections/{id}"), "self", "application/json", i.title),
            link(format!("{base}/collections/{id}?f=html"), "alternate", "text/html", i.title),
            link(format!("{base}/collections/{id}/items"), "items", "application/geo+json",
                 &format!("{} (GeoJSON)", i.title)),
            link(format!("{base}/collections/{id}/items?f=html"), "items", "text/html",
                 &format!("{} (HTML)", i.title)),
            link(format!("{base}/tiles/{id}.json"), "tiles", "application/json",
                 &format!("{} (TileJSON, Mapbox vector tiles)", i.title)),
            link(format!("{base}/collections/{id}/schema"),
                 "http://www.opengis.net/def/rel/ogc/1.0/schema", SCHEMA_JSON,
                 "fields and geometry type (OGC API Features Part 5)"),
            link(format!("{base}/collections/{id}/queryables"),
                 "http://www.opengis.net/def/rel/ogc/1.0/queryables", SCHEMA_JSON,
                 "properties to filter on (Part 3)"),
            // GDAL's OAPIF driver reads a GML application schema from `describedBy` (spelt so
            // by GDAL 3.6; `describedby` is the registered spelling) to type an empty layer.
            link(format!("{base}/collections/{id}/schema.xsd"), "describedby",
                 "application/xml", "fields and geometry type (GML application schema)"),
            link(format!("{base}/collections/{id}/schema.xsd"), "describedBy",
                 "application/xml", "fields and geometry type (GML application schema)"),
        ]
    })
}

/// The collections (layers).
#[utoipa::path(get, path = "/collections", tag = "ogc", params(FormatParam),
    responses((status = 200, description = "All collections")))]
pub async fn collections(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Query(p): Query<FormatParam>,
) -> ApiResult<Response> {
    Ok(match negotiate(p.f.as_deref(), &headers)? {
        Format::Json => {
            let cols: Vec<Value> = s
                .layers
                .layers()
                .iter()
                .map(|l| collection_json(&base, &s, l.as_ref()))
                .collect();
            json_response(
                json!({
                    "collections": cols,
                    "links": [
                        link(format!("{base}/collections"), "self", "application/json", "collections"),
                        link(format!("{base}/collections?f=html"), "alternate", "text/html", "collections"),
                    ]
                }),
                "application/json",
            )
        }
        Format::Html => {
            let rows: String = s
                .layers
                .layers()
                .iter()
                .map(|l| {
                    let i = l.info();
                    format!(
                        "<tr><td><a href=\"/collections/{id}?f=html\">{id}</a></td><td>{t}</td>\
                         <td>{d}</td><td><a href=\"/collections/{id}/items?f=html\">items</a> · \
                         <a href=\"/collections/{id}/items?f=json\">GeoJSON</a></td></tr>",
                        id = esc(i.id),
                        t = esc(i.title),
                        d = esc(i.description)
                    )
                })
                .collect();
            page(
                "Collections",
                &format!(
                    "<table><tr><th>id</th><th>title</th><th>description</th><th></th></tr>{rows}</table>"
                ),
            )
        }
    })
}

/// One collection.
#[utoipa::path(get, path = "/collections/{collectionId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "Collection id"), FormatParam),
    responses((status = 200, description = "The collection"),
              (status = 404, description = "No such collection", body = super::error::Problem)))]
pub async fn collection(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(p): Query<FormatParam>,
) -> ApiResult<Response> {
    let fmt = negotiate(p.f.as_deref(), &headers)?;
    let l = s.layers.get(&id)?;
    Ok(match fmt {
        Format::Json => json_response(collection_json(&base, &s, l.as_ref()), "application/json"),
        Format::Html => {
            let i = l.info();
            let props: String = i
                .properties
                .iter()
                .map(|p| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(p.name),
                        p.kind.json_type(),
                        esc(p.description)
                    )
                })
                .collect();
            page(
                i.title,
                &format!(
                    "<p>{}</p><p>Geometry: {}</p><p><a href=\"/collections/{id}/items?f=html\">Items</a> · \
                     <a href=\"/collections/{id}/items?f=json\">GeoJSON</a> · \
                     <a href=\"/collections/{id}/schema\">schema</a> · \
                     <a href=\"/tiles/{id}.json\">TileJSON</a></p>\
                     <table><tr><th>property</th><th>type</th><th>meaning</th></tr>{props}</table>",
                    esc(&i.description_on(layers::today())),
                    esc(i.geometry_type),
                    id = esc(i.id)
                ),
            )
        }
    })
}

/// Parses `minLon,minLat,maxLon,maxLat` (or the 6-number 3D form).
pub fn parse_bbox(s: &str) -> jzplan_core::Result<Rect<f64>> {
    let nums: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| Error::invalid(format!("bbox '{s}' must be numbers separated by commas")))?;
    let (x0, y0, x1, y1) = match nums.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => {
            return Err(Error::invalid(format!(
                "bbox '{s}' must have 4 numbers: minLon,minLat,maxLon,maxLat"
            )));
        }
    };
    let ok = |x: f64, y: f64| jzplan_core::network::geom::valid_lon_lat(x, y);
    if !ok(x0, y0) || !ok(x1, y1) || y0 > y1 {
        return Err(Error::invalid(format!(
            "bbox '{s}' is not a valid lon/lat box (minLat must not exceed maxLat)"
        )));
    }
    if x0 > x1 {
        return Err(Error::invalid(format!(
            "bbox '{s}' crosses the antimeridian, which this server does not support"
        )));
    }
    Ok(Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }))
}

/// Parsed query of the items endpoint, plus the parameters to repeat in paging links.
pub struct ItemsRequest {
    /// The layer query.
    pub query: FeatureQuery,
    /// Requested format.
    pub f: Option<String>,
    /// Every parameter except `offset`, to rebuild links.
    pub keep: Vec<(String, String)>,
}

/// Accepts `crs` or `bbox-crs` naming CRS84, the only CRS served; refuses any other.
fn check_crs(k: &str, v: &str) -> ApiResult<()> {
    if v == CRS84 {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "{k} '{v}' is not supported: only {CRS84}"
        )))
    }
}

/// Parses the raw query string pairs of an items request.
pub fn parse_items(pairs: Vec<(String, String)>) -> ApiResult<ItemsRequest> {
    let mut q = FeatureQuery {
        limit: DEFAULT_LIMIT,
        ..Default::default()
    };
    let mut f = None;
    let mut keep = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "bbox" => q.bbox = Some(parse_bbox(&v)?),
            "bbox-crs" | "crs" => check_crs(&k, &v)?,
            "limit" => {
                let n: usize = v.parse().map_err(|_| {
                    ApiError::invalid(format!("limit '{v}' is not a positive integer"))
                })?;
                if n == 0 {
                    return Err(ApiError::invalid("limit must be at least 1"));
                }
                q.limit = n.min(MAX_LIMIT);
            }
            "offset" => {
                q.offset = v.parse().map_err(|_| {
                    ApiError::invalid(format!("offset '{v}' is not a non-negative integer"))
                })?;
                continue;
            }
            "datetime" => q.datetime = Some(DateInterval::parse_ogc(&v)?),
            "date" => q.date = Some(parse_day(&v)?),
            "f" => f = Some(v.clone()),
            _ => q.properties.push((k.clone(), v.clone())),
        }
        keep.push((k, v));
    }
    Ok(ItemsRequest { query: q, f, keep })
}

/// A feature as GeoJSON (with `id` as a number when it is one, as GDAL prefers).
pub fn feature_json(f: &Feature) -> Value {
    f.to_geojson()
}

fn query_string(keep: &[(String, String)], extra: &[(&str, String)]) -> String {
    keep.iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .chain(extra.iter().map(|(k, v)| (*k, v.clone())))
        .map(|(k, v)| format!("{}={}", pct(k), pct(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn props_table(f: &Feature) -> String {
    f.properties
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                esc(k),
                esc(&layers::value_text(v))
            )
        })
        .collect()
}

/// Features of a collection.
#[utoipa::path(get, path = "/collections/{collectionId}/items", tag = "ogc",
    params(("collectionId" = String, Path, description = "Collection id"), ItemsParams),
    responses((status = 200, description = "GeoJSON FeatureCollection with paging links",
               content_type = "application/geo+json"),
              (status = 400, description = "Bad parameter", body = super::error::Problem),
              (status = 404, description = "No such collection", body = super::error::Problem)))]
pub async fn items(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let req = parse_items(pairs)?;
    let fmt = negotiate(req.f.as_deref(), &headers)?;
    let l = s.layers.get(&id)?;
    let q = &req.query;
    let page_ = layers::query(l.as_ref(), q)?;
    let returned = page_.features.len();
    let url = |extra: &[(&str, String)]| {
        let qs = query_string(&req.keep, extra);
        format!(
            "{base}/collections/{id}/items{}{qs}",
            if qs.is_empty() { "" } else { "?" }
        )
    };
    let self_extra = if q.offset > 0 {
        vec![("offset", q.offset.to_string())]
    } else {
        vec![]
    };
    let mut links = vec![
        link(
            url(&self_extra),
            "self",
            "application/geo+json",
            "this page",
        ),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            "application/json",
            "the collection",
        ),
    ];
    let next = (q.offset + returned < page_.number_matched)
        .then(|| url(&[("offset", (q.offset + returned).to_string())]));
    // Past the end, `prev` goes to the last page that has features (not to another empty
    // one): the page of `limit` features ending at the last match.
    let prev = (q.offset > 0).then(|| {
        let back = q.offset.min(page_.number_matched).saturating_sub(q.limit);
        url(&[("offset", back.to_string())])
    });
    if let Some(n) = &next {
        links.push(link(n.clone(), "next", "application/geo+json", "next page"));
    }
    if let Some(p) = &prev {
        links.push(link(
            p.clone(),
            "prev",
            "application/geo+json",
            "previous page",
        ));
    }
    Ok(match fmt {
        Format::Json => json_response(
            json!({
                "type": "FeatureCollection",
                "features": page_.features.iter().map(feature_json).collect::<Vec<_>>(),
                "numberMatched": page_.number_matched,
                "numberReturned": returned,
                // The day a dated collection answered for (today without `date`): an empty
                // page still says which state it is.
                "date": page_.date.map(|d| d.to_string()),
                "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "links": links,
            }),
            "application/geo+json",
        ),
        Format::Html => {
            // A feature of a dated layer exists in the state of its date: the link keeps it.
            let on = page_
                .date
                .map(|d| format!("&amp;date={d}"))
                .unwrap_or_default();
            let state = page_
                .date
                .map(|d| format!(" State of {d}."))
                .unwrap_or_default();
            let rows: String = page_
                .features
                .iter()
                .map(|f| {
                    format!(
                        "<h3><a href=\"/collections/{id}/items/{fid}?f=html{on}\">{fid}</a></h3><table>{}</table>",
                        props_table(f),
                        id = esc(&id),
                        fid = esc(&f.id)
                    )
                })
                .collect();
            let nav = [(prev, "previous"), (next, "next")]
                .into_iter()
                .filter_map(|(u, t)| {
                    u.map(|u| format!("<a href=\"{}\">{t}</a>", esc(&format!("{u}&f=html"))))
                })
                .collect::<Vec<_>>()
                .join(" · ");
            page(
                &format!("{} – items", l.info().title),
                &format!(
                    "<p>{} matched, {} shown from {}.{state} {nav}</p>{rows}",
                    page_.number_matched, returned, q.offset
                ),
            )
        }
    })
}

/// One feature.
#[utoipa::path(get, path = "/collections/{collectionId}/items/{featureId}", tag = "ogc",
    params(("collectionId" = String, Path, description = "Collection id"),
           ("featureId" = String, Path, description = "Feature id"),
           ("date" = Option<String>, Query, description = "Network state of a dated collection"),
           FormatParam),
    responses((status = 200, description = "GeoJSON Feature", content_type = "application/geo+json"),
              (status = 404, description = "No such collection or feature", body = super::error::Problem)))]
pub async fn item(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
    Query(p): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let mut f_param = None;
    let mut date = None;
    for (k, v) in p {
        match k.as_str() {
            "f" => f_param = Some(v),
            "date" => date = Some(parse_day(&v)?),
            "crs" => check_crs(&k, &v)?,
            _ => return Err(ApiError::invalid(format!("unknown parameter '{k}'"))),
        }
    }
    let fmt = negotiate(f_param.as_deref(), &headers)?;
    let l = s.layers.get(&id)?;
    if date.is_some() && !l.info().dated {
        return Err(ApiError::invalid(format!(
            "collection '{id}' does not depend on a date"
        )));
    }
    let all = l.features(date)?;
    let f = all
        .iter()
        .find(|f| f.id == fid)
        .ok_or_else(|| Error::not_found("feature", format!("{id}/{fid}")))?;
    Ok(match fmt {
        Format::Json => {
            let mut v = feature_json(f);
            // A feature of a dated collection exists in the state of its date: the link keeps
            // it (without it the feature may not exist today).
            let on = date.map(|d| format!("?date={d}")).unwrap_or_default();
            v["links"] = json!([
                link(
                    format!("{base}/collections/{id}/items/{}{on}", pct(&fid)),
                    "self",
                    "application/geo+json",
                    "this feature"
                ),
                link(
                    format!("{base}/collections/{id}"),
                    "collection",
                    "application/json",
                    "the collection"
                ),
            ]);
            json_response(v, "application/geo+json")
        }
        Format::Html => page(
            &format!("{} {}", l.info().title, f.id),
            &format!("<table>{}</table>", props_table(f)),
        ),
    })
}

/// Refuses any query parameter (the schema documents take none).
fn no_params(p: &[(String, String)]) -> ApiResult<()> {
    match p.first() {
        Some((k, _)) => Err(ApiError::invalid(format!(
            "unknown query parameter '{k}' (this operation takes no query parameters)"
        ))),
        None => Ok(()),
    }
}

/// The fields and geometry type of a collection (OGC API – Features Part 5).
#[utoipa::path(get, path = "/collections/{collectionId}/schema", tag = "ogc",
    params(("collectionId" = String, Path, description = "Collection id")),
    responses((status = 200, description = "JSON Schema of the features: every property with its \
               type, the geometry with x-ogc-role primary-geometry and its geometry-… format",
               content_type = "application/schema+json"),
              (status = 400, description = "A query parameter (none is taken)", body = super::error::Problem),
              (status = 404, description = "No such collection", body = super::error::Problem)))]
pub async fn schema(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(p): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    json_schema_doc(&s, &base, &id, &p, "schema", layers::schema::feature_schema)
}

/// One JSON Schema document of a collection (`schema` or `queryables`): no query parameters,
/// a known collection, the document's own URL as its `$id`.
fn json_schema_doc(
    s: &AppState,
    base: &str,
    id: &str,
    p: &[(String, String)],
    doc: &str,
    make: fn(&layers::LayerInfo, &str) -> Value,
) -> ApiResult<Response> {
    no_params(p)?;
    let l = s.layers.get(id)?;
    let url = format!("{base}/collections/{id}/{doc}");
    Ok(json_response(make(l.info(), &url), SCHEMA_JSON))
}

/// The properties an items request filters on (OGC API – Features Part 3).
#[utoipa::path(get, path = "/collections/{collectionId}/queryables", tag = "ogc",
    params(("collectionId" = String, Path, description = "Collection id")),
    responses((status = 200, description = "JSON Schema of the queryables",
               content_type = "application/schema+json"),
              (status = 400, description = "A query parameter (none is taken)", body = super::error::Problem),
              (status = 404, description = "No such collection", body = super::error::Problem)))]
pub async fn queryables(
    State(s): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(p): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    json_schema_doc(&s, &base, &id, &p, "queryables", layers::schema::queryables)
}

/// The fields and geometry type of a collection as a GML application schema (what GDAL's OAPIF
/// driver reads from `describedBy`).
#[utoipa::path(get, path = "/collections/{collectionId}/schema.xsd", tag = "ogc",
    params(("collectionId" = String, Path, description = "Collection id")),
    responses((status = 200, description = "XML Schema: one GML 3.2 feature type",
               content_type = "application/xml"),
              (status = 400, description = "A query parameter (none is taken)", body = super::error::Problem),
              (status = 404, description = "No such collection", body = super::error::Problem)))]
pub async fn schema_xsd(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(p): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    no_params(&p)?;
    let l = s.layers.get(&id)?;
    let mut r = layers::schema::gml_application_schema(l.info()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    Ok(r)
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(landing))
        .routes(routes!(conformance))
        .routes(routes!(collections))
        .routes(routes!(collection))
        .routes(routes!(items))
        .routes(routes!(item))
        .routes(routes!(schema))
        .routes(routes!(queryables))
        .routes(routes!(schema_xsd))
}
