//! The OpenAPI document keeps the server's promises: every status and media type an operation
//! can answer is listed ([`complete`]), and the native API refuses query parameters its
//! operation does not declare ([`refuse_unknown_params`]).

use crate::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Media type of error answers of the native, OGC and tiles endpoints.
const PROBLEM: &str = crate::error::PROBLEM_JSON;

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { PROBLEM: { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

fn osrm_error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": { "type": "string", "description": "OSRM error code (InvalidQuery, \
                    InvalidValue, InvalidOptions, InvalidService, InvalidVersion, NoSegment, \
                    NoRoute, TooBig, …)" },
                "message": { "type": "string" }
            }
        } } }
    })
}

/// Lists in the document what every operation can answer besides what its handler declares:
/// errors as `application/problem+json` with the `Problem` schema (OSRM endpoints: OSRM's own
/// error object), 400 for a bad or unknown query parameter, 404 for an unknown path parameter,
/// 413/415 for request bodies, 500 for a failure of the server's store, 503 when a request
/// runs past the time limit; and a JSON media type on answers declared without one.
/// The result is JSON (utoipa's types cannot hold a schema that accepts any value).
pub fn complete(api: &utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(api).unwrap_or_default();
    complete_value(&mut doc);
    doc
}

/// [`complete`] on the document as JSON.
pub fn complete_value(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                continue;
            }
            let osrm = op["tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t == "osrm"));
            let params: Vec<Value> = op["parameters"].as_array().cloned().unwrap_or_default();
            let has_query = params.iter().any(|p| p["in"] == "query");
            let has_path = params.iter().any(|p| p["in"] == "path");
            let has_body = op.get("requestBody").is_some();
            let native = path.starts_with("/api/v1/");
            let html = params
                .iter()
                .any(|p| p["in"] == "query" && p["name"] == "f");
            let Some(responses) = op
                .as_object_mut()
                .map(|o| o.entry("responses").or_insert_with(|| json!({})))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            for (status, r) in responses.iter_mut() {
                let code: u16 = status.parse().unwrap_or(0);
                let description = r["description"].as_str().unwrap_or("").to_string();
                if code >= 400 {
                    *r = if osrm && code == 400 {
                        osrm_error(&description)
                    } else {
                        problem(&description)
                    };
                } else if (200..300).contains(&code)
                    && code != 204
                    && r.get("content")
                        .is_none_or(|c| c.as_object().is_none_or(|c| c.is_empty()))
                {
                    r["content"] = json!({ "application/json": { "schema": {} } });
                }
                if html && code == 200 {
                    r["content"]["text/html"] = json!({ "schema": { "type": "string" } });
                }
            }
            let mut add = |status: &str, v: Value| {
                responses.entry(status.to_string()).or_insert(v);
            };
            if osrm {
                add(
                    "400",
                    osrm_error("OSRM error (InvalidQuery, NoSegment, NoRoute, …)"),
                );
            } else if has_query || native {
                add(
                    "400",
                    problem("InvalidInput: a bad parameter, or one the operation does not take"),
                );
            }
            if has_path || (native && has_query) {
                add(
                    "404",
                    problem("NotFound: no such resource, or a work/scenario a parameter names"),
                );
            }
            if has_body {
                add(
                    "413",
                    problem("TooBig: the body is larger than the server accepts"),
                );
                add("415", problem("UnsupportedMediaType: the body is not JSON"));
            }
            add(
                "500",
                problem("StoreError, IoError: the server's own storage failed"),
            );
            add(
                "503",
                problem("Timeout: the request ran past the server's time limit"),
            );
        }
    }
}

/// The query parameters each operation of the native API (`/api/v1/…`) declares, by method and
/// path template.
#[derive(Debug, Default)]
pub struct DeclaredParams(HashMap<(String, String), Vec<String>>);

impl DeclaredParams {
    /// Reads them from the document.
    pub fn of(api: &utoipa::openapi::OpenApi) -> Self {
        let mut map = HashMap::new();
        let doc = serde_json::to_value(api).unwrap_or_default();
        if let Some(paths) = doc["paths"].as_object() {
            for (path, item) in paths {
                if !path.starts_with("/api/v1/") {
                    continue;
                }
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, op) in item {
                    let names = op["parameters"]
                        .as_array()
                        .map(|ps| {
                            ps.iter()
                                .filter(|p| p["in"] == "query")
                                .filter_map(|p| p["name"].as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default();
                    map.insert((method.to_ascii_uppercase(), path.clone()), names);
                }
            }
        }
        DeclaredParams(map)
    }
}

/// Middleware (a route layer, so the matched path template is known): a request to the native
/// API with a query parameter its operation does not declare is a 400 naming the parameter,
/// not a silent answer that ignores it (`?dat=2022-07-15`).
pub async fn refuse_unknown_params(
    State(declared): State<Arc<DeclaredParams>>,
    req: Request,
    next: Next,
) -> Response {
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    if let (Some(template), Some(query)) = (template, req.uri().query()) {
        let key = (req.method().as_str().to_string(), template);
        if let Some(names) = declared.0.get(&key) {
            for (k, _) in url_pairs(query) {
                if !names.contains(&k) {
                    let takes = if names.is_empty() {
                        "no query parameters".to_string()
                    } else {
                        names.join(", ")
                    };
                    return ApiError::invalid(format!(
                        "unknown query parameter '{k}' (this operation takes {takes})"
                    ))
                    .into_response();
                }
            }
        }
    }
    next.run(req).await
}

/// The decoded `key=value` pairs of a query string.
fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_pairs_decode_and_never_panic_on_broken_escapes() {
        assert_eq!(
            url_pairs("dat=2022-07-15&a%20b=%E4%B8%AD&c"),
            vec![
                ("dat".into(), "2022-07-15".into()),
                ("a b".into(), "中".into()),
                ("c".into(), "".into())
            ]
        );
        for q in ["%", "%4", "a=%zz", "%%%", "=&=&", "%E4%B8"] {
            let _ = url_pairs(q);
        }
    }
}
