//! OSRM-compatible services (`/route/v1`, `/table/v1`, `/nearest/v1`) with OSRM's parameters
//! that apply to jzplan and OSRM's response shapes and codes, so OSRM clients
//! (leaflet-routing-machine, osrm-frontend) work unchanged. Errors are HTTP 400 with
//! `{"code": "InvalidQuery" | "InvalidValue" | "InvalidOptions" | "InvalidUrl" | "NoSegment" |
//! "NoRoute" | "TooBig", "message": …}` as in OSRM's documentation (docs/http.md).
//!
//! Two things differ from OSRM, on purpose and documented in docs/api.md: every service takes
//! jzplan's `date=YYYY-MM-DD` or `scenario=ID` (the network of that day or of a stored
//! what-if scenario, as `/api/v1/route` does), and snapping follows the rule shared with the
//! native API ([`DEFAULT_MAX_SNAP_M`] without a radius, at most [`MAX_SNAP_M`]; `unlimited`
//! means the largest) instead of OSRM's unlimited default.
//!
//! One file per service: `route.rs`, `table.rs`, `nearest.rs`; this file holds what they share
//! (errors, polylines, coordinates, the common options, waypoints).

mod nearest;
mod route;
mod table;

pub use nearest::nearest;
pub use route::route;
pub use table::table;

use crate::AppState;
use crate::routing::{nearest_k, plan_query};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::Simplify;
use geo_types::{Coord, LineString, Point};
use jzplan_core::network::snap::{DEFAULT_MAX_SNAP_M, MAX_SNAP_M, Snap, check_radius};
use jzplan_core::network::{Metric, RoadNetwork};
use jzplan_core::routing::{Algorithm, Avoid, Route, RouteOptions, cut};
use jzplan_core::served::{QueryPlan, QueryUse};
use jzplan_core::{Error, Result};
use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most coordinates in one route request (OSRM's `max-viaroute-size` is 500).
pub const MAX_ROUTE_COORDINATES: usize = 100;
/// Most coordinates in one table request (OSRM's default `max-table-size`).
pub const MAX_TABLE_COORDINATES: usize = 100;
/// Most results of one nearest request.
pub const MAX_NEAREST_NUMBER: usize = 100;

/// An OSRM error answer.
#[derive(Debug)]
pub struct OsrmError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl OsrmError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        OsrmError {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for OsrmError {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::NoSegment { .. } => "NoSegment",
            Error::NoRoute(_) => "NoRoute",
            Error::TooBig(_) => "TooBig",
            Error::InvalidInput(_) | Error::NotFound { .. } => "InvalidValue",
            _ => {
                tracing::error!(code = e.code(), "{e}");
                return OsrmError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "InternalError",
                    message: e.to_string(),
                };
            }
        };
        OsrmError::new(code, e.to_string())
    }
}

impl IntoResponse for OsrmError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response()
    }
}

type OResult<T> = std::result::Result<T, OsrmError>;

/// Encodes coordinates as a Google polyline with `precision` decimals (5 or 6), lat first.
pub fn encode_polyline(coords: &[Coord<f64>], precision: u32) -> String {
    let f = 10f64.powi(precision as i32);
    let mut out = String::new();
    let (mut plat, mut plon) = (0i64, 0i64);
    let mut push = |mut v: i64| {
        v = if v < 0 { !(v << 1) } else { v << 1 };
        while v >= 0x20 {
            out.push((((v & 0x1f) | 0x20) as u8 + 63) as char);
            v >>= 5;
        }
        out.push((v as u8 + 63) as char);
    };
    for c in coords {
        let lat = (c.y * f).round() as i64;
        let lon = (c.x * f).round() as i64;
        push(lat - plat);
        push(lon - plon);
        plat = lat;
        plon = lon;
    }
    out
}

/// Decodes a Google polyline with `precision` decimals into lon/lat coordinates.
pub fn decode_polyline(s: &str, precision: u32) -> Result<Vec<Coord<f64>>> {
    let f = 10f64.powi(precision as i32);
    let bytes = s.as_bytes();
    let next = |i: &mut usize| -> Result<i64> {
        let (mut shift, mut v) = (0u32, 0i64);
        loop {
            let b = *bytes
                .get(*i)
                .ok_or_else(|| Error::invalid("polyline ends in the middle of a value"))?;
            *i += 1;
            if !(63..=127).contains(&b) || shift > 60 {
                return Err(Error::invalid("polyline holds an invalid character"));
            }
            let c = (b - 63) as i64;
            v |= (c & 0x1f) << shift;
            shift += 5;
            if c < 0x20 {
                break;
            }
        }
        Ok(if v & 1 == 1 { !(v >> 1) } else { v >> 1 })
    };
    let (mut lat, mut lon) = (0i64, 0i64);
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        lat += next(&mut i)?;
        lon += next(&mut i)?;
        out.push(Coord {
            x: lon as f64 / f,
            y: lat as f64 / f,
        });
    }
    Ok(out)
}

/// Parses OSRM's `{coordinates}`: `lon,lat;lon,lat…`, `polyline(…)` or `polyline6(…)`, with an
/// optional `.json` suffix.
pub fn parse_coordinates(s: &str) -> OResult<Vec<Point<f64>>> {
    let s = s.strip_suffix(".json").unwrap_or(s);
    let coords: Vec<Coord<f64>> = if let Some(p) = s
        .strip_prefix("polyline6(")
        .and_then(|r| r.strip_suffix(')'))
    {
        decode_polyline(p, 6).map_err(|e| OsrmError::new("InvalidUrl", e.to_string()))?
    } else if let Some(p) = s
        .strip_prefix("polyline(")
        .and_then(|r| r.strip_suffix(')'))
    {
        decode_polyline(p, 5).map_err(|e| OsrmError::new("InvalidUrl", e.to_string()))?
    } else {
        let mut v = Vec::new();
        for (i, pair) in s.split(';').enumerate() {
            let mut it = pair.split(',');
            let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) else {
                return Err(OsrmError::new(
                    "InvalidUrl",
                    format!("URL string malformed close to coordinate {i}: '{pair}'"),
                ));
            };
            let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
                return Err(OsrmError::new(
                    "InvalidUrl",
                    format!("URL string malformed close to coordinate {i}: '{pair}'"),
                ));
            };
            v.push(Coord { x, y });
        }
        v
    };
    if coords.is_empty() {
        return Err(OsrmError::new("InvalidUrl", "no coordinates"));
    }
    for (i, c) in coords.iter().enumerate() {
        if !jzplan_core::network::geom::valid_lon_lat(c.x, c.y) {
            return Err(OsrmError::new(
                "InvalidValue",
                format!("Invalid coordinate value at index {i}: {},{}", c.x, c.y),
            ));
        }
    }
    Ok(coords.into_iter().map(Point).collect())
}

/// jzplan's extension: the network state a request asks for (neither: the base network).
#[derive(Default)]
struct StateSpec {
    /// `YYYY-MM-DD`.
    date: Option<String>,
    /// A stored scenario's id.
    scenario: Option<String>,
}

/// Options shared by the services (OSRM's "general options", and jzplan's `date` and
/// `scenario`).
struct Common {
    radiuses: Vec<f64>,
    skip_waypoints: bool,
    state: StateSpec,
}

impl Common {
    /// The defaults for `n` coordinates: the shared default radius, base network.
    fn new(n: usize) -> Self {
        Common {
            radiuses: vec![DEFAULT_MAX_SNAP_M; n],
            skip_waypoints: false,
            state: StateSpec::default(),
        }
    }

    /// What the request runs on: the network it asks for (`date`, `scenario` or the base),
    /// prepared for `usage` (the caller runs a dated request off the async workers).
    fn plan(&self, s: &AppState, usage: QueryUse) -> OResult<QueryPlan> {
        if self.state.date.is_some() && self.state.scenario.is_some() {
            return Err(OsrmError::new(
                "InvalidOptions",
                "give date or scenario, not both",
            ));
        }
        let q = plan_query(
            Metric::Time,
            Avoid::default(),
            self.state.date.as_deref(),
            self.state.scenario.clone(),
            usage,
        )?;
        Ok(s.engine.routing_plan(&q)?.prepare()?)
    }
}

/// Whether a query string names a network state (`date` or `scenario`): such a request may
/// prepare weights and read the store, so it runs off the async workers.
fn names_state(q: &Option<String>) -> bool {
    parse_query(q.clone()).is_ok_and(|ps| {
        ps.iter()
            .any(|(k, _)| k.as_str() == "date" || k.as_str() == "scenario")
    })
}

/// Runs a service inline, or off the async workers when `blocking`.
async fn run(blocking: bool, f: impl FnOnce() -> OResult<Response> + Send + 'static) -> Response {
    let res = if blocking {
        match tokio::task::spawn_blocking(f).await {
            Ok(r) => r,
            Err(e) => Err(OsrmError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                code: "InternalError",
                message: e.to_string(),
            }),
        }
    } else {
        f()
    };
    res.unwrap_or_else(IntoResponse::into_response)
}

/// Snaps every point with its radius, naming the first one off the network as OSRM does.
fn snap_all(
    router: &jzplan_core::routing::Router<'_>,
    pts: &[Point<f64>],
    radiuses: &[f64],
) -> OResult<Vec<Snap>> {
    pts.iter()
        .zip(radiuses)
        .enumerate()
        .map(|(i, (p, r))| {
            router.snap(*p, *r).map_err(|e| match e {
                Error::NoSegment { .. } => OsrmError::new(
                    "NoSegment",
                    format!("Could not find a matching segment for coordinate {i} within {r} m"),
                ),
                e => e.into(),
            })
        })
        .collect()
}

fn parse_bool(k: &str, v: &str) -> OResult<bool> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(OsrmError::new(
            "InvalidQuery",
            format!("{k}='{v}' must be true or false"),
        )),
    }
}

/// Splits a per-coordinate option and checks its length.
fn per_coordinate<'a>(k: &str, v: &'a str, n: usize) -> OResult<Vec<&'a str>> {
    let parts: Vec<&str> = v.split(';').collect();
    if parts.len() != n {
        return Err(OsrmError::new(
            "InvalidOptions",
            format!("{k} has {} elements for {n} coordinates", parts.len()),
        ));
    }
    Ok(parts)
}

/// Handles a general option; `Ok(false)` if `k` is not one.
fn common_option(c: &mut Common, k: &str, v: &str, n: usize) -> OResult<bool> {
    match k {
        "radiuses" => {
            // The rule shared with /api/v1 (network::snap): empty = the default radius,
            // `unlimited` = the largest, a number must be within (0, MAX_SNAP_M].
            for (i, r) in per_coordinate(k, v, n)?.into_iter().enumerate() {
                c.radiuses[i] = match r {
                    "" => DEFAULT_MAX_SNAP_M,
                    "unlimited" => MAX_SNAP_M,
                    r => {
                        let x = r.parse::<f64>().map_err(|_| {
                            OsrmError::new(
                                "InvalidQuery",
                                format!("radius '{r}' must be a number or 'unlimited'"),
                            )
                        })?;
                        check_radius(x)
                            .map_err(|e| OsrmError::new("InvalidValue", e.to_string()))?
                    }
                };
            }
        }
        // jzplan's extension: the network of a day or of a stored scenario.
        "date" => {
            jzplan_core::layers::parse_day(v)?;
            c.state.date = Some(v.to_string());
        }
        "scenario" => c.state.scenario = Some(v.to_string()),
        "bearings" => {
            if per_coordinate(k, v, n)?.iter().any(|b| !b.is_empty()) {
                return Err(OsrmError::new(
                    "InvalidOptions",
                    "bearings are not supported by this server",
                ));
            }
        }
        // Hints only speed up OSRM's snapping; jzplan snaps fast without them.
        "hints" => {}
        "generate_hints" => {
            parse_bool(k, v)?;
        }
        "approaches" => {
            if per_coordinate(k, v, n)?
                .iter()
                .any(|a| !a.is_empty() && *a != "unrestricted")
            {
                return Err(OsrmError::new(
                    "InvalidOptions",
                    "only 'unrestricted' approaches are supported",
                ));
            }
        }
        "exclude" => {
            if !v.is_empty() {
                return Err(OsrmError::new(
                    "InvalidValue",
                    format!("exclude '{v}': this server has no exclude classes"),
                ));
            }
        }
        "snapping" => {
            if v != "default" && v != "any" {
                return Err(OsrmError::new(
                    "InvalidQuery",
                    format!("snapping '{v}' must be default or any"),
                ));
            }
        }
        "skip_waypoints" => c.skip_waypoints = parse_bool(k, v)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn unknown(k: &str) -> OsrmError {
    OsrmError::new(
        "InvalidQuery",
        format!("Query string malformed close to '{k}': unknown option"),
    )
}

fn parse_query(q: Option<String>) -> OResult<Vec<(String, String)>> {
    let q = q.unwrap_or_default();
    serde_urlencoded_pairs(&q)
}

/// Splits a query string into decoded pairs.
fn serde_urlencoded_pairs(q: &str) -> OResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((pct_decode(k)?, pct_decode(v)?));
    }
    Ok(out)
}

fn pct_decode(s: &str) -> OResult<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| OsrmError::new("InvalidQuery", "bad percent-encoding"))?;
                out.push(h);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| OsrmError::new("InvalidQuery", "query is not UTF-8"))
}

fn waypoint(net: &RoadNetwork, s: &Snap) -> Value {
    let e = net.edge(s.edge);
    json!({
        "name": net.street(e.street).display_name(),
        "location": [round6(s.point.x()), round6(s.point.y())],
        "distance": s.dist_m,
    })
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(route::route))
        .routes(routes!(table::table))
        .routes(routes!(nearest::nearest))
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::route::{bearing, modifier};
    #[test]
    fn polyline_matches_googles_example() {
        // The worked example of Google's "Encoded Polyline Algorithm Format" page.
        let pts = [
            Coord { x: -120.2, y: 38.5 },
            Coord {
                x: -120.95,
                y: 40.7,
            },
            Coord {
                x: -126.453,
                y: 43.252,
            },
        ];
        assert_eq!(encode_polyline(&pts, 5), "_p~iF~ps|U_ulLnnqC_mqNvxq`@");
        let back = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@", 5).unwrap();
        for (a, b) in back.iter().zip(&pts) {
            assert!((a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9);
        }
        assert!(decode_polyline("_p~iF~ps|U_", 5).is_err());
        let six = encode_polyline(&pts, 6);
        assert_eq!(decode_polyline(&six, 6).unwrap().len(), 3);
    }

    #[test]
    fn coordinates_and_modifiers() {
        assert_eq!(
            parse_coordinates("121.1,41.1;121.2,41.2.json")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            parse_coordinates("121.1,41.1;x,41").unwrap_err().code,
            "InvalidUrl"
        );
        assert_eq!(
            parse_coordinates("200,41").unwrap_err().code,
            "InvalidValue"
        );
        assert_eq!(modifier(0.0, 90.0), "right");
        assert_eq!(modifier(0.0, 270.0), "left");
        assert_eq!(modifier(355.0, 5.0), "straight");
        assert_eq!(modifier(350.0, 30.0), "slight right");
        assert_eq!(modifier(0.0, 180.0), "uturn");
        assert!((bearing(Coord { x: 0.0, y: 0.0 }, Coord { x: 1.0, y: 0.0 }) - 90.0).abs() < 1e-9);
    }
}
