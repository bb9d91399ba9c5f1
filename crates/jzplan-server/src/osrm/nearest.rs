//! `GET /nearest/v1/{profile}/{coordinates}`: OSRM's nearest service.

use super::*;

/// OSRM nearest service.
#[utoipa::path(get, path = "/nearest/v1/{profile}/{coordinates}", tag = "osrm",
    params(("profile" = String, Path, description = "Any profile name"),
           ("coordinates" = String, Path, description = "One `lon,lat`"),
           ("number" = Option<usize>, Query, description = "How many roads (default 1)"),
           ("radiuses" = Option<String>, Query, description = "Snapping radius: metres in (0, 50000], `unlimited` (= 50000) or empty (= 1000, the default)"),
           ("date" = Option<String>, Query, description = "jzplan extension: roads open on this day, `YYYY-MM-DD`"),
           ("scenario" = Option<String>, Query, description = "jzplan extension: roads open in a stored what-if scenario")),
    responses((status = 200, description = "OSRM nearest response: waypoints, nearest first"),
              (status = 400, description = "OSRM error code")))]
pub async fn nearest(
    State(s): State<AppState>,
    Path((_profile, coords)): Path<(String, String)>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Response {
    run(names_state(&q), move || nearest_inner(&s, &coords, q)).await
}

fn nearest_inner(s: &AppState, coords: &str, q: Option<String>) -> OResult<Response> {
    let pts = parse_coordinates(coords)?;
    if pts.len() != 1 {
        return Err(OsrmError::new(
            "InvalidOptions",
            "Only one input coordinate is supported",
        ));
    }
    let mut c = Common::new(1);
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
    // Roads open on the state asked for (the base network without date or scenario).
    let plan = c.plan(s, QueryUse::Plain)?;
    let net = plan.network();
    let router = plan.router()?;
    let r = c.radiuses[0];
    let snaps = nearest_k(&router, pts[0], r, number).map_err(|e| match e {
        Error::NoSegment { .. } => OsrmError::new(
            "NoSegment",
            format!("Could not find a matching segment for coordinate 0 within {r} m"),
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
