//! `GET /route/v1/{profile}/{coordinates}`: OSRM's route service (legs, optional steps and
//! annotations, overview geometry; one route, no alternatives).

use super::*;

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
pub(super) fn bearing(a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (p1, p2) = (a.y.to_radians(), b.y.to_radians());
    let dl = (b.x - a.x).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

pub(super) fn modifier(before: f64, after: f64) -> &'static str {
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
                // The piece's own length shared out, so that the annotations add up to the
                // leg's distance (edge lengths) as their durations add up to its duration.
                dist.push(p.distance * share);
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
           ("radiuses" = Option<String>, Query, description = "Per-coordinate snapping radius: metres in (0, 50000], `unlimited` (= 50000) or empty (= 1000, the default)"),
           ("date" = Option<String>, Query, description = "jzplan extension: route on the network of this day, `YYYY-MM-DD` (works in force)"),
           ("scenario" = Option<String>, Query, description = "jzplan extension: route on the network of a stored what-if scenario")),
    responses((status = 200, description = "OSRM route response, code Ok"),
              (status = 400, description = "OSRM error: InvalidUrl, InvalidQuery, InvalidValue, InvalidOptions, NoSegment, NoRoute, TooBig")))]
pub async fn route(
    State(s): State<AppState>,
    Path((_profile, coords)): Path<(String, String)>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    // A dated or scenario route may customize the hierarchy for its state: off the workers.
    run(names_state(&q), move || route_inner(&s, &coords, q)).await
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
    let mut c = Common::new(n);
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
    let metric = Metric::Time;
    // The base network routes on its hierarchy, kept for the server's life; a date or a
    // scenario on the customizable hierarchy customized for its weights (once, then kept), as
    // /api/v1/route does.
    let plan = c.plan(s, QueryUse::Route(Algorithm::Ch))?;
    let net = plan.network();
    let router = plan.router()?;
    let w = router.weights();
    let snaps = snap_all(&router, &pts, &c.radiuses)?;
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
