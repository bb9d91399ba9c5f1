//! `GET /table/v1/{profile}/{coordinates}`: OSRM's table service (durations and distances).

use super::*;

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
           ("annotations" = Option<String>, Query, description = "duration (default), distance, or duration,distance"),
           ("radiuses" = Option<String>, Query, description = "Per-coordinate snapping radius: metres in (0, 50000], `unlimited` (= 50000) or empty (= 1000, the default)"),
           ("date" = Option<String>, Query, description = "jzplan extension: the network of this day, `YYYY-MM-DD` (works in force)"),
           ("scenario" = Option<String>, Query, description = "jzplan extension: the network of a stored what-if scenario")),
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
    let mut c = Common::new(n);
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
    // Many-to-many on a contraction hierarchy: the base network's, or the state's own
    // (prepared once per state and kept with its weights), as POST /api/v1/matrix does.
    let plan = c.plan(s, QueryUse::Matrix)?;
    let net = plan.network();
    let router = plan.router()?;
    let snaps = snap_all(&router, &pts, &c.radiuses)?;
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
