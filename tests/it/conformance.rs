//! The server against its own OpenAPI document: requests generated from `/openapi.json` (every
//! operation, its declared parameters filled with valid, borderline and garbage values, and
//! now and then a parameter it does not declare) must get no 5xx, only statuses and media
//! types the document lists for that operation, and bodies valid against the listed schemas.

use super::api::{Resp, jinzhou_state, send};
use axum::body::Body;
use axum::http::{Request, header};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// Requests per operation (each a fresh draw of parameters).
const CASES: usize = 40;

fn pick<'a>(rng: &mut StdRng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

/// A value for a parameter: by its name where that says what it is, else by its schema type.
fn value_for(rng: &mut StdRng, name: &str, schema: &Value) -> String {
    let garbage = [
        "",
        "x",
        "-1",
        "1e400",
        "NaN",
        "%E4%B8%AD",
        "0,0",
        "..",
        "null",
    ];
    if rng.random_bool(0.2) {
        return pick(rng, &garbage).to_string();
    }
    let coord = |rng: &mut StdRng| {
        format!(
            "{:.4},{:.4}",
            121.05 + rng.random_range(0.0..0.15),
            41.05 + rng.random_range(0.0..0.12)
        )
    };
    match name {
        "from" | "to" | "point" => coord(rng),
        "coordinates" => {
            let n = rng.random_range(1..4);
            (0..n).map(|_| coord(rng)).collect::<Vec<_>>().join(";")
        }
        "date" | "datetime" => pick(
            rng,
            &[
                "2022-06-01",
                "2024-06-01",
                "2022-02-30",
                "2099-01-01",
                "1999-12-31",
                "today",
            ],
        )
        .to_string(),
        "bbox" | "avoid_bbox" => pick(
            rng,
            &["121.0,41.0,121.3,41.2", "121.1,41.1,121.0,41.0", "1,2,3"],
        )
        .to_string(),
        "id" | "featureId" => {
            pick(rng, &["P1", "P4-01", "P10", "E3", "H1", "P99", "0", "3"]).to_string()
        }
        "collectionId" | "tilejson" | "layers" => pick(
            rng,
            &[
                "works",
                "roads",
                "hotspots",
                "closures",
                "detours",
                "flows",
                "nope",
                "all",
                "roads.json",
                "works.json",
            ],
        )
        .to_string(),
        "profile" => pick(rng, &["driving", "car", "walking"]).to_string(),
        "z" => rng.random_range(0..16).to_string(),
        "x" | "y" => rng.random_range(0..40000).to_string(),
        "status" => pick(rng, &["design", "completed", "under_construction", "bogus"]).to_string(),
        "kind" => pick(rng, &["bridge", "new_road", "wetland", "bogus"]).to_string(),
        "metric" => pick(rng, &["time", "distance", "speed"]).to_string(),
        "f" => pick(rng, &["json", "html", "xml"]).to_string(),
        _ => match schema["type"].as_str() {
            Some("integer") => pick(rng, &["0", "1", "5", "100", "100000", "-3"]).to_string(),
            Some("number") => pick(rng, &["0", "0.5", "300", "1500", "1e9", "-1"]).to_string(),
            Some("boolean") => pick(rng, &["true", "false", "maybe"]).to_string(),
            _ => pick(rng, &["a", "P1", "time", "true", "1"]).to_string(),
        },
    }
}

fn resolve<'a>(doc: &'a Value, mut s: &'a Value) -> &'a Value {
    while let Some(r) = s["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        s = &doc["components"]["schemas"][name];
    }
    s
}

/// Checks `v` against the subset of JSON Schema utoipa writes; returns what does not fit.
fn validate(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let s = resolve(doc, schema);
    if let Some(all) = s["allOf"].as_array() {
        for sub in all {
            validate(doc, sub, v, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(any) = s[key].as_array()
            && !any.iter().any(|sub| validate(doc, sub, v, at).is_ok())
        {
            return Err(format!("{at}: matches none of {key}"));
        }
    }
    if v.is_null() && (s["nullable"] == true) {
        return Ok(());
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() {
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => true,
        });
        if !ok {
            return Err(format!("{at}: {v} is not of type {types:?}"));
        }
    }
    if let Some(e) = s["enum"].as_array()
        && !e.contains(v)
    {
        return Err(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(o) = v.as_object() {
        if let Some(req) = s["required"].as_array() {
            for r in req.iter().filter_map(Value::as_str) {
                if !o.contains_key(r) {
                    return Err(format!("{at}: required member '{r}' is missing"));
                }
            }
        }
        if let Some(props) = s["properties"].as_object() {
            for (k, sub) in props {
                if let Some(x) = o.get(k) {
                    validate(doc, sub, x, &format!("{at}.{k}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            validate(doc, items, x, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks one answer against the operation's documented responses.
fn check(doc: &Value, op: &Value, what: &str, r: &Resp) -> Result<(), String> {
    let status = r.status.as_u16();
    if status >= 500 {
        return Err(format!("{what}: {status} {}", r.text()));
    }
    let responses = &op["responses"];
    let documented = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))
        .ok_or_else(|| format!("{what}: status {status} is not documented: {}", r.text()))?;
    let ct = r
        .content_type()
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let content = documented["content"].as_object();
    match content {
        None | Some(_) if r.body.is_empty() && ct.is_empty() => Ok(()),
        None => Err(format!("{what}: {status} documents no body, got {ct}")),
        Some(c) => {
            let media = c.get(&ct).ok_or_else(|| {
                format!("{what}: {status} {ct} is not documented ({:?})", c.keys())
            })?;
            if ct.contains("json") {
                let v: Value = serde_json::from_slice(&r.body)
                    .map_err(|e| format!("{what}: {status} {ct} is not JSON: {e}"))?;
                validate(doc, &media["schema"], &v, "body")
                    .map_err(|e| format!("{what}: {status}: {e}"))?;
            }
            Ok(())
        }
    }
}

#[tokio::test]
async fn generated_requests_get_only_documented_answers() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(jinzhou_state(dir.path()));
    let doc = super::api::get(&app, "/openapi.json").await.json();
    let mut rng = StdRng::seed_from_u64(16);
    let mut failures = Vec::new();
    let mut sent = 0usize;
    let paths = doc["paths"].as_object().unwrap().clone();
    for (path, item) in &paths {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "patch"].contains(&method.as_str()) {
                continue;
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for case in 0..CASES {
                let mut uri = path.clone();
                let mut query = Vec::new();
                // An empty path segment matches no route (404 before any parameter is read).
                let mut routed = true;
                for p in &params {
                    let name = p["name"].as_str().unwrap();
                    let v = value_for(&mut rng, name, &p["schema"]);
                    if p["in"] == "path" {
                        routed &= !v.is_empty();
                        let enc = v.replace('%', "%25").replace(' ', "%20");
                        uri = uri.replace(&format!("{{{name}}}"), &enc);
                    } else if p["in"] == "query" && (p["required"] == true || rng.random_bool(0.5))
                    {
                        query.push(format!(
                            "{name}={}",
                            v.replace('%', "%25").replace('&', "%26")
                        ));
                    }
                }
                let unknown = case % 7 == 6 && path.starts_with("/api/v1/");
                if unknown {
                    query.push("dat=2022-07-15".into());
                }
                if !query.is_empty() {
                    uri = format!("{uri}?{}", query.join("&"));
                }
                let body = match op.get("requestBody") {
                    Some(_) => pick(
                        &mut rng,
                        &[
                            r#"{"coordinates":[[121.1,41.1],[121.12,41.12]]}"#,
                            r#"{"sources":[[121.1,41.1]],"destinations":[[121.12,41.12]]}"#,
                            r#"{"status":"completed","date":"2022-06-01"}"#,
                            "{}",
                            "[",
                        ],
                    ),
                    None => "",
                };
                let req = Request::builder()
                    .method(method.to_ascii_uppercase().as_str())
                    .uri(&uri)
                    .header(header::ACCEPT, "application/json")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                let r = send(&app, req).await;
                sent += 1;
                let what = format!("{} {uri}", method.to_ascii_uppercase());
                if let Err(e) = check(&doc, op, &what, &r) {
                    failures.push(e);
                }
                if unknown && routed && r.status.as_u16() != 400 {
                    failures.push(format!("{what}: an unknown parameter got {}", r.status));
                }
            }
        }
    }
    assert!(sent > 500, "{sent}");
    assert!(
        failures.is_empty(),
        "{} of {sent} requests broke the document:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_400_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = jzplan::api::app_with_state(jinzhou_state(dir.path()));
    for uri in [
        "/api/v1/works?dat=2022-07-15",
        "/api/v1/hotspots?dat=2022-07-15",
        "/api/v1/route?from=121.10,41.10&to=121.12,41.12&dat=2022-07-15",
    ] {
        let r = super::api::get(&app, uri).await;
        super::api::assert_problem(&r, 400, "InvalidInput");
        assert!(r.text().contains("'dat'"), "{uri}: {}", r.text());
    }
    // Declared parameters still pass.
    let r = super::api::get(&app, "/api/v1/works?date=2022-07-15").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text());
}

#[test]
fn docs_errors_table_agrees_with_the_server_and_the_cli() {
    use jzplan::Error;
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md")).unwrap();
    let io = || std::io::Error::other("x");
    let samples = [
        Error::invalid("x"),
        Error::file("f", "l", "m"),
        Error::not_found("work", "P99"),
        Error::NoSegment {
            lon: 0.0,
            lat: 0.0,
            max_m: 1.0,
        },
        Error::NoRoute("x".into()),
        Error::Conflict("x".into()),
        Error::TooBig("x".into()),
        Error::EmptyNetwork("x".into()),
        Error::NotConverged("x".into()),
        Error::Store("x".into()),
        Error::Gdal("x".into()),
        Error::io("p", io()),
    ];
    for e in samples {
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", e.code())))
            .unwrap_or_else(|| panic!("{} has no row in docs/errors.md", e.code()));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells[2], e.exit_code().to_string(), "{row}");
        let http: u16 = cells[3].split_whitespace().next().unwrap().parse().unwrap();
        assert_eq!(http, jzplan::api::error::status_of(&e).as_u16(), "{row}");
    }
}
