//! OSRM-compatible services (`/route/v1`, `/table/v1`, `/nearest/v1`) with OSRM's parameters
//! that apply to jzplan and OSRM's response shapes and codes, so OSRM clients
//! (leaflet-routing-machine, osrm-frontend) work unchanged. Errors are HTTP 400 with
//! `{"code": "InvalidQuery" | "InvalidValue" | "InvalidOptions" | "InvalidUrl" | "NoSegment" |
//! "NoRoute" | "TooBig", "message": …}` as in OSRM's documentation (docs/http.md).

use super::AppState;
use super::routing::nearest_k;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use geo::Simplify;
use geo_types::{Coord, LineString, Point};
use jzplan_core::network::snap::Snap;
use jzplan_core::network::{Metric, RoadNetwork};
use jzplan_core::routing::{Algorithm, Route, RouteOptions, cut};
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
/// Snapping radius for `unlimited` and for coordinates without a radius, metres.
pub const UNLIMITED_RADIUS_M: f64 = 50_000.0;

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

/// Options shared by the services (OSRM's "general options").
struct Common {
    radiuses: Vec<f64>,
    skip_waypoints: bool,
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
            for (i, r) in per_coordinate(k, v, n)?.into_iter().enumerate() {
                c.radiuses[i] = match r {
                    "" | "unlimited" => UNLIMITED_RADIUS_M,
                    r => match r.parse::<f64>() {
                        Ok(x) if x.is_finite() && x >= 0.0 => x.clamp(0.1, UNLIMITED_RADIUS_M),
                        _ => {
                            return Err(OsrmError::new(
                                "InvalidQuery",
                                format!("radius '{r}' must be a number >= 0 or 'unlimited'"),
                            ));
                        }
                    },
                };
            }
        }
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

#[derive(Clone, Copy, PartialEq)]
enum Geometries {
    Polyline,
    Polyline6,
    GeoJson,
}

fn geometry_value(coords: &[Coord<f64>], g: Geometries) -> Value {
    match g {
        Geometries::Polyline => Value::from(encode_polyline(coords, 5)),
        Geometries::Polyline6 => Value::from(encode_polyline(coords, 6)),
        Geometries::GeoJson => json!({
            "type": "LineString",
            "coordinates": coords.iter().map(|c| [round6(c.x), round6(c.y)]).collect::<Vec<_>>(),
        }),
    }
}

/// Initial bearing from a to b, degrees clockwise from north, 0–359.
fn bearing(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (p1, p2) = (a.y.to_radians(), b.y.to_radians());
    let dl = (b.x - a.x).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

fn modifier(before: f64, after: f64) -> &'static str {
    let turn = (after - before + 540.0) % 360.0 - 180.0;
    let a = turn.abs();
    let side = |l: &'static str, r: &'static str| if turn < 0.0 { l } else { r };
    if a < 20.0 {
        "straight"
    } else if a < 60.0 {
        side("slight left", "slight right")
    } else if a < 120.0 {
        side("left", "right")
    } else if a < 170.0 {
        side("sharp left", "sharp right")
    } else {
        "uturn"
    }
}

fn push_unique(out: &mut Vec<Coord<f64>>, cs: &[Coord<f64>]) {
    for c in cs {
        if out.last() != Some(c) {
            out.push(*c);
        }
    }
}

/// Per-piece view of a route: geometry, length, time and weight of each driven edge part.
struct Part {
    street: jzplan_core::network::StreetId,
    coords: Vec<Coord<f64>>,
    distance: f64,
    duration: f64,
    weight: f64,
}

fn parts(net: &RoadNetwork, weights: &[f64], metric: Metric, r: &Route) -> Vec<Part> {
    // A snap onto a junction can leave a piece of (almost) zero length on another street at
    // either end; it would show as a phantom turn, so it is dropped from steps and annotations.
    const MIN_PIECE_M: f64 = 0.01;
    r.pieces
        .iter()
        .filter(|p| {
            let e = net.edge(p.edge);
            e.length_m * (p.to_frac - p.from_frac) >= MIN_PIECE_M || r.pieces.len() == 1
        })
        .map(|p| {
            let e = net.edge(p.edge);
            let f = (p.to_frac - p.from_frac).max(0.0);
            let duration = e.travel_time_s() * f;
            let distance = e.length_m * f;
            Part {
                street: e.street,
                coords: cut(&e.geometry, p.from_frac, p.to_frac),
                distance,
                duration,
                weight: match metric {
                    Metric::Time => weights[p.edge.index()] * f,
                    Metric::Distance => distance,
                },
            }
        })
        .collect()
}

struct LegOpts {
    steps: bool,
    annotations: Vec<&'static str>,
    geometries: Geometries,
}

fn leg_json(net: &RoadNetwork, ps: &[Part], r: &Route, o: &LegOpts) -> Value {
    let mut leg = Map::new();
    leg.insert("distance".into(), r.distance_m.into());
    leg.insert("duration".into(), r.duration_s.into());
    leg.insert("weight".into(), r.cost.into());
    let mut steps = Vec::new();
    let mut summary = String::new();
    if o.steps {
        // One step per stretch of the same street, then an arrive step.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (i, p) in ps.iter().enumerate() {
            match groups.last_mut() {
                Some((_, end)) if ps[*end - 1].street == p.street => *end = i + 1,
                _ => groups.push((i, i + 1)),
            }
        }
        let mut before: Option<f64> = None;
        for (gi, &(a, b)) in groups.iter().enumerate() {
            let mut coords = Vec::new();
            for p in &ps[a..b] {
                push_unique(&mut coords, &p.coords);
            }
            if coords.len() < 2 {
                coords.extend(coords.clone());
            }
            let after = bearing(coords[0], coords[1]);
            let mut man = Map::new();
            man.insert(
                "location".into(),
                json!([round6(coords[0].x), round6(coords[0].y)]),
            );
            man.insert("bearing_after".into(), Value::from(after.round()));
            man.insert(
                "bearing_before".into(),
                Value::from(before.unwrap_or(0.0).round()),
            );
            if gi == 0 {
                man.insert("type".into(), "depart".into());
            } else {
                let m = modifier(before.unwrap_or(after), after);
                man.insert(
                    "type".into(),
                    if m == "straight" { "new name" } else { "turn" }.into(),
                );
                man.insert("modifier".into(), m.into());
            }
            let n = coords.len();
            before = Some(bearing(coords[n - 2], coords[n - 1]));
            let seg = &ps[a..b];
            steps.push(json!({
                "distance": seg.iter().map(|p| p.distance).sum::<f64>(),
                "duration": seg.iter().map(|p| p.duration).sum::<f64>(),
                "weight": seg.iter().map(|p| p.weight).sum::<f64>(),
                "name": net.street(ps[a].street).display_name(),
                "mode": "driving",
                "driving_side": "right",
                "geometry": geometry_value(&coords, o.geometries),
                "maneuver": man,
                "intersections": [{
                    "location": [round6(coords[0].x), round6(coords[0].y)],
                    "bearings": [after.round()],
                    "entry": [true],
                    "out": 0,
                }],
            }));
        }
        if let Some(last) = r.geometry.0.last() {
            let loc = json!([round6(last.x), round6(last.y)]);
            steps.push(json!({
                "distance": 0.0, "duration": 0.0, "weight": 0.0,
                "name": ps.last().map(|p| net.street(p.street).display_name()).unwrap_or(""),
                "mode": "driving",
                "driving_side": "right",
                "geometry": geometry_value(&[*last, *last], o.geometries),
                "maneuver": {"type": "arrive", "location": loc,
                             "bearing_before": before.unwrap_or(0.0).round(), "bearing_after": 0},
                "intersections": [{"location": loc, "bearings": [before.unwrap_or(0.0).round()],
                                   "entry": [true], "in": 0}],
            }));
        }
        // OSRM's summary: the names of the two longest streets of the leg, in route order.
        let mut by_len: Vec<(usize, f64)> = r
            .streets
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.length_m))
            .collect();
        by_len.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut top: Vec<usize> = by_len.iter().take(2).map(|x| x.0).collect();
        top.sort_unstable();
        summary = top
            .iter()
            .map(|&i| {
                let s = &r.streets[i];
                if s.name_zh.is_empty() {
                    s.name_en.clone()
                } else {
                    s.name_zh.clone()
                }
            })
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
    }
    leg.insert("summary".into(), summary.into());
    leg.insert("steps".into(), Value::Array(steps));
    if !o.annotations.is_empty() {
        let (mut dist, mut dur, mut wt) = (Vec::new(), Vec::new(), Vec::new());
        for p in ps {
            let segs: Vec<f64> = p
                .coords
                .windows(2)
                .map(|w| jzplan_core::network::geom::haversine_m(Point(w[0]), Point(w[1])))
                .collect();
            let total: f64 = segs.iter().sum();
            for d in segs {
                let share = if total > 0.0 { d / total } else { 0.0 };
                dist.push(d);
                dur.push(p.duration * share);
                wt.push(p.weight * share);
            }
        }
        let mut ann = Map::new();
        for a in &o.annotations {
            let v = match *a {
                "distance" => json!(dist),
                "duration" => json!(dur),
                "weight" => json!(wt),
                "speed" => json!(
                    dist.iter()
                        .zip(&dur)
                        .map(|(d, t)| if *t > 0.0 {
                            (d / t * 10.0).round() / 10.0
                        } else {
                            0.0
                        })
                        .collect::<Vec<_>>()
                ),
                "datasources" => json!(vec![0; dist.len()]),
                _ => continue,
            };
            ann.insert((*a).to_string(), v);
        }
        leg.insert("annotation".into(), Value::Object(ann));
    }
    Value::Object(leg)
}

/// OSRM route service.
#[utoipa::path(get, path = "/route/v1/{profile}/{coordinates}", tag = "osrm",
    params(("profile" = String, Path, description = "Any profile name (one car network is served)"),
           ("coordinates" = String, Path, description = "`lon,lat;lon,lat[;…]`, `polyline(…)` or `polyline6(…)`"),
           ("alternatives" = Option<String>, Query, description = "true|false|n (one route is returned)"),
           ("steps" = Option<bool>, Query, description = "Turn-by-turn steps per leg"),
           ("annotations" = Option<String>, Query, description = "true|false|duration,distance,weight,speed,datasources"),
           ("geometries" = Option<String>, Query, description = "polyline (default), polyline6, geojson"),
           ("overview" = Option<String>, Query, description = "simplified (default), full, false"),
           ("continue_straight" = Option<String>, Query, description = "default only"),
           ("radiuses" = Option<String>, Query, description = "Per-coordinate snapping radius, metres or unlimited")),
    responses((status = 200, description = "OSRM route response, code Ok"),
              (status = 400, description = "OSRM error: InvalidUrl, InvalidQuery, InvalidValue, InvalidOptions, NoSegment, NoRoute, TooBig")))]
pub async fn route(
    State(s): State<AppState>,
    Path((_profile, coords)): Path<(String, String)>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    route_inner(&s, &coords, q).unwrap_or_else(|e| e.into_response())
}

fn route_inner(s: &AppState, coords: &str, q: Option<String>) -> OResult<Response> {
    let pts = parse_coordinates(coords)?;
    if pts.len() < 2 {
        return Err(OsrmError::new(
            "InvalidOptions",
            "Number of coordinates needs to be at least two",
        ));
    }
    if pts.len() > MAX_ROUTE_COORDINATES {
        return Err(OsrmError::new(
            "TooBig",
            format!("{} coordinates; at most {MAX_ROUTE_COORDINATES}", pts.len()),
        ));
    }
    let n = pts.len();
    let mut c = Common {
        radiuses: vec![UNLIMITED_RADIUS_M; n],
        skip_waypoints: false,
    };
    let mut o = LegOpts {
        steps: false,
        annotations: Vec::new(),
        geometries: Geometries::Polyline,
    };
    let mut overview = "simplified".to_string();
    for (k, v) in parse_query(q)? {
        if common_option(&mut c, &k, &v, n)? {
            continue;
        }
        match k.as_str() {
            "alternatives" => {
                if v != "true" && v != "false" && v.parse::<u32>().is_err() {
                    return Err(OsrmError::new(
                        "InvalidQuery",
                        "alternatives must be true, false or a number",
                    ));
                }
            }
            "steps" => o.steps = parse_bool(&k, &v)?,
            "annotations" => {
                o.annotations = match v.as_str() {
                    "false" => vec![],
                    "true" => vec!["distance", "duration", "weight", "speed", "datasources"],
                    list => {
                        let mut a = Vec::new();
                        for x in list.split(',') {
                            a.push(match x {
                                "distance" => "distance",
                                "duration" => "duration",
                                "weight" => "weight",
                                "speed" => "speed",
                                "datasources" => "datasources",
                                "nodes" => {
                                    return Err(OsrmError::new(
                                        "InvalidValue",
                                        "annotations=nodes is not available: jzplan nodes are junctions, not per-coordinate OSM nodes",
                                    ));
                                }
                                other => {
                                    return Err(OsrmError::new(
                                        "InvalidQuery",
                                        format!("unknown annotation '{other}'"),
                                    ));
                                }
                            });
                        }
                        a
                    }
                }
            }
            "geometries" => {
                o.geometries = match v.as_str() {
                    "polyline" => Geometries::Polyline,
                    "polyline6" => Geometries::Polyline6,
                    "geojson" => Geometries::GeoJson,
                    _ => {
                        return Err(OsrmError::new(
                            "InvalidQuery",
                            format!("geometries '{v}' must be polyline, polyline6 or geojson"),
                        ));
                    }
                }
            }
            "overview" => {
                if !["simplified", "full", "false"].contains(&v.as_str()) {
                    return Err(OsrmError::new(
                        "InvalidQuery",
                        format!("overview '{v}' must be simplified, full or false"),
                    ));
                }
                overview = v;
            }
            "continue_straight" => {
                if v != "default" {
                    return Err(OsrmError::new(
                        "InvalidValue",
                        "continue_straight: only 'default' is supported (u-turn constraints are not modelled)",
                    ));
                }
            }
            _ => return Err(unknown(&k)),
        }
    }
    let net = &s.engine.network;
    let metric = Metric::Time;
    // OSRM queries route on the base network: its weights and hierarchy are kept for the
    // server's life.
    let (base, ch) = s.weights.base_ch(net, metric)?;
    let router = base.ch_router(net, &ch)?;
    let w = router.weights();
    let mut snaps = Vec::with_capacity(n);
    for (i, p) in pts.iter().enumerate() {
        snaps.push(router.snap(*p, c.radiuses[i]).map_err(|e| match e {
            Error::NoSegment { .. } => OsrmError::new(
                "NoSegment",
                format!("Could not find a matching segment for coordinate {i}"),
            ),
            e => e.into(),
        })?);
    }
    let mut legs = Vec::with_capacity(n - 1);
    let mut full: Vec<Coord<f64>> = Vec::new();
    let (mut distance, mut duration, mut weight) = (0.0, 0.0, 0.0);
    for pair in snaps.windows(2) {
        let r = router
            .route(
                &pair[0],
                &pair[1],
                &RouteOptions {
                    algorithm: Algorithm::Ch,
                },
            )
            .map_err(|e| match e {
                Error::NoRoute(_) => OsrmError::new("NoRoute", "Impossible route between points"),
                e => e.into(),
            })?;
        let ps = parts(net, w, metric, &r);
        legs.push(leg_json(net, &ps, &r, &o));
        for p in &ps {
            push_unique(&mut full, &p.coords);
        }
        distance += r.distance_m;
        duration += r.duration_s;
        weight += r.cost;
    }
    if full.len() == 1 {
        full.push(full[0]);
    }
    let mut route = Map::new();
    match overview.as_str() {
        "full" => {
            route.insert("geometry".into(), geometry_value(&full, o.geometries));
        }
        "simplified" => {
            // Douglas–Peucker at about a pixel of a map that shows the whole route in 1000 px.
            let ls = LineString::from(full.clone());
            let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
            for c in &full {
                x0 = x0.min(c.x);
                y0 = y0.min(c.y);
                x1 = x1.max(c.x);
                y1 = y1.max(c.y);
            }
            let eps = ((x1 - x0).max(y1 - y0) / 1000.0).max(1e-7);
            let simple = ls.simplify(eps);
            route.insert("geometry".into(), geometry_value(&simple.0, o.geometries));
        }
        _ => {}
    }
    route.insert("legs".into(), Value::Array(legs));
    route.insert("weight_name".into(), "duration".into());
    route.insert("weight".into(), weight.into());
    route.insert("duration".into(), duration.into());
    route.insert("distance".into(), distance.into());
    let mut out = Map::new();
    out.insert("code".into(), "Ok".into());
    out.insert("routes".into(), json!([route]));
    if !c.skip_waypoints {
        out.insert(
            "waypoints".into(),
            Value::Array(snaps.iter().map(|sn| waypoint(net, sn)).collect()),
        );
    }
    Ok(Json(Value::Object(out)).into_response())
}

fn indices(k: &str, v: &str, n: usize) -> OResult<Vec<usize>> {
    if v == "all" {
        return Ok((0..n).collect());
    }
    v.split(';')
        .map(|t| match t.parse::<usize>() {
            Ok(i) if i < n => Ok(i),
            Ok(i) => Err(OsrmError::new(
                "InvalidOptions",
                format!("{k}: index {i} is not below the {n} coordinates"),
            )),
            Err(_) => Err(OsrmError::new(
                "InvalidQuery",
                format!("{k}: '{t}' is not an index"),
            )),
        })
        .collect()
}

/// OSRM table service.
#[utoipa::path(get, path = "/table/v1/{profile}/{coordinates}", tag = "osrm",
    params(("profile" = String, Path, description = "Any profile name"),
           ("coordinates" = String, Path, description = "`lon,lat;lon,lat[;…]`, `polyline(…)` or `polyline6(…)`"),
           ("sources" = Option<String>, Query, description = "Indices `0;2` or all"),
           ("destinations" = Option<String>, Query, description = "Indices or all"),
           ("annotations" = Option<String>, Query, description = "duration (default), distance, or duration,distance")),
    responses((status = 200, description = "OSRM table response: durations (s), distances (m), null = unreachable"),
              (status = 400, description = "OSRM error code")))]
pub async fn table(
    State(s): State<AppState>,
    Path((_profile, coords)): Path<(String, String)>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    let s2 = s.clone();
    let res = tokio::task::spawn_blocking(move || table_inner(&s2, &coords, q)).await;
    match res {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => e.into_response(),
        Err(e) => OsrmError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalError",
            message: e.to_string(),
        }
        .into_response(),
    }
}

fn table_inner(s: &AppState, coords: &str, q: Option<String>) -> OResult<Response> {
    let pts = parse_coordinates(coords)?;
    let n = pts.len();
    if n > MAX_TABLE_COORDINATES {
        return Err(OsrmError::new(
            "TooBig",
            format!("{n} coordinates; at most {MAX_TABLE_COORDINATES}"),
        ));
    }
    let mut c = Common {
        radiuses: vec![UNLIMITED_RADIUS_M; n],
        skip_waypoints: false,
    };
    let (mut src, mut dst) = ((0..n).collect::<Vec<_>>(), (0..n).collect::<Vec<_>>());
    let (mut want_dur, mut want_dist) = (true, false);
    for (k, v) in parse_query(q)? {
        if common_option(&mut c, &k, &v, n)? {
            continue;
        }
        match k.as_str() {
            "sources" => src = indices(&k, &v, n)?,
            "destinations" => dst = indices(&k, &v, n)?,
            "annotations" => {
                want_dur = false;
                want_dist = false;
                for a in v.split(',') {
                    match a {
                        "duration" => want_dur = true,
                        "distance" => want_dist = true,
                        _ => {
                            return Err(OsrmError::new(
                                "InvalidQuery",
                                format!("annotations '{a}' must be duration and/or distance"),
                            ));
                        }
                    }
                }
            }
            _ => return Err(unknown(&k)),
        }
    }
    let net = &s.engine.network;
    let (base, ch) = s.weights.base_ch(net, Metric::Time)?;
    let router = base.ch_router(net, &ch)?;
    let mut snaps = Vec::with_capacity(n);
    for (i, p) in pts.iter().enumerate() {
        snaps.push(router.snap(*p, c.radiuses[i]).map_err(|e| match e {
            Error::NoSegment { .. } => OsrmError::new(
                "NoSegment",
                format!("Could not find a matching segment for coordinate {i}"),
            ),
            e => e.into(),
        })?);
    }
    let a: Vec<Snap> = src.iter().map(|&i| snaps[i]).collect();
    let b: Vec<Snap> = dst.iter().map(|&i| snaps[i]).collect();
    let m = router.matrix_ch(&a, &b)?;
    let mut out = Map::new();
    out.insert("code".into(), "Ok".into());
    if want_dur {
        out.insert("durations".into(), json!(m.durations_s));
    }
    if want_dist {
        out.insert("distances".into(), json!(m.distances_m));
    }
    if !c.skip_waypoints {
        out.insert(
            "sources".into(),
            a.iter().map(|x| waypoint(net, x)).collect(),
        );
        out.insert(
            "destinations".into(),
            b.iter().map(|x| waypoint(net, x)).collect(),
        );
    }
    Ok(Json(Value::Object(out)).into_response())
}

/// OSRM nearest service.
#[utoipa::path(get, path = "/nearest/v1/{profile}/{coordinates}", tag = "osrm",
    params(("profile" = String, Path, description = "Any profile name"),
           ("coordinates" = String, Path, description = "One `lon,lat`"),
           ("number" = Option<usize>, Query, description = "How many roads (default 1)")),
    responses((status = 200, description = "OSRM nearest response: waypoints, nearest first"),
              (status = 400, description = "OSRM error code")))]
pub async fn nearest(
    State(s): State<AppState>,
    Path((_profile, coords)): Path<(String, String)>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    nearest_inner(&s, &coords, q).unwrap_or_else(|e| e.into_response())
}

fn nearest_inner(s: &AppState, coords: &str, q: Option<String>) -> OResult<Response> {
    let pts = parse_coordinates(coords)?;
    if pts.len() != 1 {
        return Err(OsrmError::new(
            "InvalidOptions",
            "Only one input coordinate is supported",
        ));
    }
    let mut c = Common {
        radiuses: vec![UNLIMITED_RADIUS_M],
        skip_waypoints: false,
    };
    let mut number = 1usize;
    for (k, v) in parse_query(q)? {
        if common_option(&mut c, &k, &v, 1)? {
            continue;
        }
        match k.as_str() {
            "number" => {
                number = match v.parse::<usize>() {
                    Ok(x) if x >= 1 => x,
                    _ => {
                        return Err(OsrmError::new(
                            "InvalidQuery",
                            format!("number '{v}' must be an integer >= 1"),
                        ));
                    }
                };
                if number > MAX_NEAREST_NUMBER {
                    return Err(OsrmError::new(
                        "TooBig",
                        format!("number {number}; at most {MAX_NEAREST_NUMBER}"),
                    ));
                }
            }
            _ => return Err(unknown(&k)),
        }
    }
    let net = &s.engine.network;
    let base = s.weights.base_prepared(net, Metric::Time)?;
    let router = base.router(net)?;
    let snaps = nearest_k(&router, pts[0], c.radiuses[0], number).map_err(|e| match e {
        Error::NoSegment { .. } => OsrmError::new(
            "NoSegment",
            "Could not find a matching segment for coordinate 0",
        ),
        e => e.into(),
    })?;
    let wps: Vec<Value> = snaps
        .iter()
        .map(|sn| {
            let mut w = waypoint(net, sn);
            let e = net.edge(sn.edge);
            w["nodes"] = json!([e.from.0, e.to.0]);
            w
        })
        .collect();
    Ok(Json(json!({"code": "Ok", "waypoints": wps})).into_response())
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(route))
        .routes(routes!(table))
        .routes(routes!(nearest))
}

#[cfg(test)]
mod tests {
    use super::*;

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
