//! Native routing API: GET /api/v1/route, /api/v1/nearest, /api/v1/isochrone and
//! POST /api/v1/matrix, answering GeoJSON (route, nearest, isochrone) or JSON (matrix).

use super::AppState;
use super::error::{ApiError, ApiResult, JsonBody, Query};
use crate::error::blocking;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo_types::{Coord, MultiPolygon, Point, Rect};
use jzplan_core::network::geom::parse_lon_lat;
use jzplan_core::network::snap::{Snap, radius_or_default};
use jzplan_core::network::{EdgeId, Metric, RoadNetwork};
use jzplan_core::routing::{Algorithm, Avoid, RouteOptions, Router};
use jzplan_core::served::{Plan, PlanQuery, QueryPlan, QueryUse};
use jzplan_core::{Error, Result};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest `number` of nearest matches.
pub const MAX_NEAREST: usize = 100;

/// What a query avoids, as given in a query string or a JSON body (an unknown key is refused:
/// a misspelt one would avoid nothing).
#[derive(Deserialize, Default, Debug, Clone, ToSchema, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AvoidParams {
    /// Directed edge ids, comma-separated.
    pub avoid_edges: Option<String>,
    /// Street names (Chinese, English or way id), separated by `|`.
    pub avoid_streets: Option<String>,
    /// An area to avoid: `minLon,minLat,maxLon,maxLat`.
    pub avoid_bbox: Option<String>,
}

impl AvoidParams {
    /// The library's [`Avoid`].
    pub fn to_avoid(&self) -> Result<Avoid> {
        let mut a = Avoid::default();
        if let Some(e) = &self.avoid_edges {
            for t in e.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                let id: u32 = t
                    .parse()
                    .map_err(|_| Error::invalid(format!("avoid_edges: '{t}' is not an edge id")))?;
                a.edges.push(EdgeId(id));
            }
        }
        if let Some(s) = &self.avoid_streets {
            a.streets = s
                .split('|')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect();
        }
        if let Some(b) = &self.avoid_bbox {
            let r: Rect<f64> = super::ogc::parse_bbox(b)?;
            a.polygon = Some(MultiPolygon(vec![r.to_polygon()]));
        }
        Ok(a)
    }
}

/// The facade's query for a state given by its `date` (`YYYY-MM-DD`) or stored `scenario`
/// (neither: today's base network), an avoidance, a metric and a use.
pub fn plan_query(
    metric: Metric,
    avoid: Avoid,
    date: Option<&str>,
    scenario: Option<String>,
    usage: QueryUse,
) -> Result<PlanQuery> {
    Ok(PlanQuery {
        metric,
        avoid,
        date: date.map(jzplan_core::layers::parse_day).transpose()?,
        scenario,
        usage,
    })
}

/// What a query runs on (the engine's [`Plan`]), prepared off the async workers when a
/// hierarchy must be prepared or customized first.
pub async fn plan(s: &AppState, q: PlanQuery) -> ApiResult<QueryPlan> {
    match s.engine.routing_plan(&q)? {
        Plan::Ready(p) => Ok(p),
        Plan::Pending(p) => blocking(move || p.prepare()).await,
    }
}

fn parse_metric(m: Option<&str>) -> Result<Metric> {
    m.map(str::parse).transpose().map(Option::unwrap_or_default)
}

/// `max_snap_m`: the rule shared with the OSRM services and the CLI (`network::snap`).
fn parse_radius(r: Option<f64>) -> Result<f64> {
    radius_or_default(r).map_err(|e| Error::invalid(format!("max_snap_m: {e}")))
}

/// Up to `number` snaps of `p` on distinct roads (a road = an edge and its twin), nearest
/// first, each on an open edge.
pub fn nearest_k(
    router: &Router<'_>,
    p: Point<f64>,
    max_m: f64,
    number: usize,
) -> Result<Vec<Snap>> {
    let net = router.network();
    let w = router.weights();
    let first = router.snap(p, max_m)?;
    let mut found = vec![first];
    while found.len() < number {
        let taken = |e: EdgeId| found.iter().any(|s| s.edge == e || s.twin == Some(e));
        match net
            .snap_index()
            .snap_filtered(net, p, max_m, |e| w[e.index()].is_finite() && !taken(e))
        {
            Ok(s) => found.push(s),
            Err(Error::NoSegment { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(found)
}

/// A snapped point as GeoJSON properties.
pub fn snap_json(net: &RoadNetwork, s: &Snap) -> Value {
    let e = net.edge(s.edge);
    let st = net.street(e.street);
    json!({
        "edge_id": s.edge.0,
        "twin_edge_id": s.twin.map(|t| t.0),
        "fraction": s.frac,
        "distance_m": s.dist_m,
        "name_zh": st.name_zh,
        "name_en": st.name_en,
        "way_id": st.way_id,
        "location": [s.point.x(), s.point.y()],
    })
}

fn geojson_response(v: Value) -> Response {
    let mut r = Json(v).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    r
}

/// Parameters of GET /api/v1/route.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RouteParams {
    /// Network on this date (works in force), `YYYY-MM-DD`; default today's base network.
    pub date: Option<String>,
    /// Network of a stored what-if scenario (instead of `date`).
    pub scenario: Option<String>,
    /// Origin `lon,lat`.
    pub from: String,
    /// Destination `lon,lat`.
    pub to: String,
    /// `time` (default) or `distance`.
    pub metric: Option<String>,
    /// `ch` (contraction hierarchies; the default without avoidance), `bidir` (the default
    /// with avoidance), `astar`, `dijkstra`, `bidir-dijkstra`.
    pub algorithm: Option<String>,
    /// Snapping radius in metres, in (0, 50000] (default 1000).
    pub max_snap_m: Option<f64>,
    /// Directed edge ids to avoid, comma-separated.
    pub avoid_edges: Option<String>,
    /// Street names to avoid, separated by `|`.
    pub avoid_streets: Option<String>,
    /// Area to avoid: `minLon,minLat,maxLon,maxLat`.
    pub avoid_bbox: Option<String>,
}

/// The shortest route between two points.
#[utoipa::path(get, path = "/api/v1/route", tag = "routing", params(RouteParams),
    responses((status = 200, description = "GeoJSON Feature: LineString with distance_m, duration_s, \
               streets (turn-by-turn summary), edges, the snapped end points and the network state \
               it was found on (`state`: base network, network on a date, or scenario)",
               content_type = "application/geo+json"),
              (status = 400, description = "Bad parameter", body = super::error::Problem),
              (status = 404, description = "Unknown edge or street to avoid", body = super::error::Problem),
              (status = 422, description = "NoSegment (point off the network) or NoRoute", body = super::error::Problem)))]
pub async fn route(State(s): State<AppState>, Query(p): Query<RouteParams>) -> ApiResult<Response> {
    let from = parse_lon_lat(&p.from)?;
    let to = parse_lon_lat(&p.to)?;
    let metric = parse_metric(p.metric.as_deref())?;
    let algorithm: Option<Algorithm> = p.algorithm.as_deref().map(str::parse).transpose()?;
    let radius = parse_radius(p.max_snap_m)?;
    let avoid = AvoidParams {
        avoid_edges: p.avoid_edges,
        avoid_streets: p.avoid_streets,
        avoid_bbox: p.avoid_bbox,
    }
    .to_avoid()?;
    // Contraction hierarchies by default: the base network's hierarchy for the base weights,
    // the customizable one (customized once per state and avoidance, then kept) otherwise.
    let algorithm = algorithm.unwrap_or(Algorithm::Ch);
    let q = plan_query(
        metric,
        avoid,
        p.date.as_deref(),
        p.scenario,
        QueryUse::Route(algorithm),
    )?;
    let state = q.state_label();
    let plan = plan(&s, q).await?;
    let net = plan.network();
    let router = plan.router()?;
    let a = router.snap(from, radius)?;
    let b = router.snap(to, radius)?;
    let r = router.route(&a, &b, &RouteOptions { algorithm })?;
    let mut f =
        serde_json::to_value(r.to_geojson()).map_err(|e| ApiError::invalid(e.to_string()))?;
    f["properties"]["from"] = snap_json(net, &a);
    f["properties"]["to"] = snap_json(net, &b);
    f["properties"]["state"] = state.into();
    Ok(geojson_response(f))
}

/// Parameters of GET /api/v1/nearest.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NearestParams {
    /// The point `lon,lat`.
    pub point: String,
    /// How many roads (1–100, default 1).
    pub number: Option<usize>,
    /// Search radius in metres (default 1000).
    pub max_snap_m: Option<f64>,
}

/// The nearest points on the network.
#[utoipa::path(get, path = "/api/v1/nearest", tag = "routing", params(NearestParams),
    responses((status = 200, description = "GeoJSON FeatureCollection of snapped points, nearest first",
               content_type = "application/geo+json"),
              (status = 400, description = "Bad parameter", body = super::error::Problem),
              (status = 422, description = "NoSegment: nothing within the radius", body = super::error::Problem)))]
pub async fn nearest(
    State(s): State<AppState>,
    Query(p): Query<NearestParams>,
) -> ApiResult<Response> {
    let pt = parse_lon_lat(&p.point)?;
    let number = p.number.unwrap_or(1);
    if !(1..=MAX_NEAREST).contains(&number) {
        return Err(ApiError::invalid(format!(
            "number {number} must be in 1..={MAX_NEAREST}"
        )));
    }
    let radius = parse_radius(p.max_snap_m)?;
    let plan = plan(&s, PlanQuery::base(Metric::Time, QueryUse::Plain)).await?;
    let net = plan.network();
    let router = plan.router()?;
    let snaps = nearest_k(&router, pt, radius, number)?;
    let features: Vec<Value> = snaps
        .iter()
        .map(|sn| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [sn.point.x(), sn.point.y()]},
                "properties": snap_json(net, sn),
            })
        })
        .collect();
    Ok(geojson_response(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// Parameters of GET /api/v1/isochrone.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IsochroneParams {
    /// Network on this date (works in force), `YYYY-MM-DD`; default today's base network.
    pub date: Option<String>,
    /// Network of a stored what-if scenario (instead of `date`).
    pub scenario: Option<String>,
    /// Origin `lon,lat`.
    pub from: String,
    /// Budget in seconds (metric `time`, the default).
    pub budget_s: Option<f64>,
    /// Budget in metres (metric `distance`).
    pub budget_m: Option<f64>,
    /// Snapping radius in metres, in (0, 50000] (default 1000).
    pub max_snap_m: Option<f64>,
    /// Directed edge ids to avoid, comma-separated.
    pub avoid_edges: Option<String>,
    /// Street names to avoid, separated by `|`.
    pub avoid_streets: Option<String>,
    /// Area to avoid: `minLon,minLat,maxLon,maxLat`.
    pub avoid_bbox: Option<String>,
}

/// Everything reachable within a time or distance budget.
#[utoipa::path(get, path = "/api/v1/isochrone", tag = "routing", params(IsochroneParams),
    responses((status = 200, description = "GeoJSON FeatureCollection: the polygon (kind=isochrone) \
               then every reached edge part (kind=reached_edge); `state`, the network state it was found on", content_type = "application/geo+json"),
              (status = 400, description = "Bad parameter", body = super::error::Problem),
              (status = 422, description = "NoSegment", body = super::error::Problem)))]
pub async fn isochrone(
    State(s): State<AppState>,
    Query(p): Query<IsochroneParams>,
) -> ApiResult<Response> {
    let from = parse_lon_lat(&p.from)?;
    let (metric, budget) = match (p.budget_s, p.budget_m) {
        (Some(t), None) => (Metric::Time, t),
        (None, Some(m)) => (Metric::Distance, m),
        _ => {
            return Err(ApiError::invalid(
                "give exactly one of budget_s (seconds) or budget_m (metres)",
            ));
        }
    };
    let radius = parse_radius(p.max_snap_m)?;
    let avoid = AvoidParams {
        avoid_edges: p.avoid_edges,
        avoid_streets: p.avoid_streets,
        avoid_bbox: p.avoid_bbox,
    }
    .to_avoid()?;
    let q = plan_query(
        metric,
        avoid,
        p.date.as_deref(),
        p.scenario,
        QueryUse::Plain,
    )?;
    let state = q.state_label();
    let plan = plan(&s, q).await?;
    let router = plan.router()?;
    let a = router.snap(from, radius)?;
    let iso = router.isochrone(&a, budget)?;
    let mut v =
        serde_json::to_value(iso.to_geojson()).map_err(|e| ApiError::invalid(e.to_string()))?;
    v["state"] = state.into();
    Ok(geojson_response(v))
}

/// Body of POST /api/v1/matrix (unknown fields are refused, also in `avoid`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatrixRequest {
    /// Network on this date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Network of a stored scenario.
    pub scenario: Option<String>,
    /// Origins as `[lon, lat]`.
    pub sources: Vec<[f64; 2]>,
    /// Destinations as `[lon, lat]` (default: the sources).
    pub targets: Option<Vec<[f64; 2]>>,
    /// `time` (default) or `distance`.
    pub metric: Option<String>,
    /// Snapping radius in metres, in (0, 50000] (default 1000).
    pub max_snap_m: Option<f64>,
    /// What to avoid.
    #[serde(default)]
    pub avoid: AvoidParams,
}

fn points(v: &[[f64; 2]], what: &str) -> Result<Vec<Point<f64>>> {
    v.iter()
        .enumerate()
        .map(|(i, c)| {
            if jzplan_core::network::geom::valid_lon_lat(c[0], c[1]) {
                Ok(Point(Coord { x: c[0], y: c[1] }))
            } else {
                Err(Error::invalid(format!(
                    "{what}[{i}] = [{}, {}] is not a WGS84 [lon, lat]",
                    c[0], c[1]
                )))
            }
        })
        .collect()
}

/// Travel times and distances between many points.
#[utoipa::path(post, path = "/api/v1/matrix", tag = "routing", request_body = MatrixRequest,
    responses((status = 200, description = "durations_s and distances_m, row = source, column = \
               target, null = unreachable; `state`, the network state they were found on"),
              (status = 400, description = "Bad body", body = super::error::Problem),
              (status = 413, description = "TooBig", body = super::error::Problem),
              (status = 422, description = "NoSegment", body = super::error::Problem)))]
pub async fn matrix(
    State(s): State<AppState>,
    JsonBody(req): JsonBody<MatrixRequest>,
) -> ApiResult<Response> {
    if req.sources.is_empty() {
        return Err(ApiError::invalid("sources must not be empty"));
    }
    let src = points(&req.sources, "sources")?;
    let dst = match &req.targets {
        Some(t) if t.is_empty() => return Err(ApiError::invalid("targets must not be empty")),
        Some(t) => points(t, "targets")?,
        None => src.clone(),
    };
    let cells = src.len().saturating_mul(dst.len());
    if cells > jzplan_core::routing::matrix::MAX_MATRIX_CELLS {
        return Err(Error::TooBig(format!("{cells} matrix cells")).into());
    }
    let metric = parse_metric(req.metric.as_deref())?;
    let radius = parse_radius(req.max_snap_m)?;
    let avoid = req.avoid.to_avoid()?;
    let q = plan_query(
        metric,
        avoid,
        req.date.as_deref(),
        req.scenario,
        QueryUse::Matrix,
    )?;
    let state = q.state_label();
    // Matrices run on rayon and may take a while: off the async workers. Many-to-many on a
    // contraction hierarchy: the base network's, or the state's own (prepared once per state
    // and kept with its weights).
    let m = blocking(move || -> Result<jzplan_core::routing::Matrix> {
        let plan = s.engine.routing_plan(&q)?.prepare()?;
        let router = plan.router()?;
        let snap_all = |ps: &[Point<f64>]| -> Result<Vec<Snap>> {
            ps.iter().map(|p| router.snap(*p, radius)).collect()
        };
        let (a, b) = (snap_all(&src)?, snap_all(&dst)?);
        router.matrix_ch(&a, &b)
    })
    .await?;
    let mut v = json!(m);
    v["state"] = state.into();
    Ok(Json(v).into_response())
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(route))
        .routes(routes!(nearest))
        .routes(routes!(isochrone))
        .routes(routes!(matrix))
}
