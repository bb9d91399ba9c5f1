//! Several `jzplan serve` replicas on one PostgreSQL database: a write through one is seen
//! through the other at once (records, dated layers), a stale If-Match is refused by the other,
//! and a concurrent write/read mix across both loses and doubles nothing and answers no 5xx.
//! Also: the PostgreSQL store called from async handlers on a current-thread runtime.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const TOKEN: &str = "replica test token";

/// A `jzplan serve` process, killed when dropped.
struct Replica {
    child: Child,
    base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(db: &str, tokens: &std::path::Path) -> Replica {
    let mut child = Command::new(crate::common::jzplan_bin())
        .args(["--db", db, "serve", "--addr", "127.0.0.1:0", "--token-file"])
        .arg(tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("jzplan listening on ")
        .unwrap_or_else(|| panic!("replica did not start: {line:?}"))
        .trim_end_matches('/')
        .to_string();
    Replica { child, base }
}

async fn get_json(c: &reqwest::Client, url: &str) -> (u16, Option<String>, serde_json::Value) {
    let r = c.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, etag, r.json().await.unwrap_or_default())
}

async fn patch_dates(
    c: &reqwest::Client,
    base: &str,
    work: &str,
    etag: &str,
    end_day: u32,
    comment: &str,
) -> u16 {
    c.patch(format!("{base}/api/v1/works/{work}"))
        .bearer_auth(TOKEN)
        .header("if-match", etag)
        .json(&serde_json::json!({
            "planned_start": "2023-01-01",
            "planned_end": format!("2023-06-{end_day:02}"),
            "comment": comment,
        }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Works named in the closures layer of a day.
async fn closing_works(c: &reqwest::Client, base: &str, day: &str) -> HashSet<String> {
    let (s, _, j) = get_json(
        c,
        &format!("{base}/collections/closures/items?date={day}&limit=10000"),
    )
    .await;
    assert_eq!(s, 200, "{j}");
    j["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["works"].as_str())
        .flat_map(|w| w.split(',').map(|x| x.trim().to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_database_agree_at_once_and_lose_nothing() {
    let db = crate::common::pg_database();
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(
        &tokens,
        format!("tester {}\n", jzplan::api::auth::hash_hex(TOKEN)),
    )
    .unwrap();
    // Both start at once on the empty database: migrations and seeding are serialised by the
    // database, not by luck.
    let (a, b) = std::thread::scope(|s| {
        let ha = s.spawn(|| start_replica(&db, &tokens));
        let hb = s.spawn(|| start_replica(&db, &tokens));
        (ha.join().unwrap(), hb.join().unwrap())
    });
    let c = reqwest::Client::new();
    let (s, _, works) = get_json(&c, &format!("{}/api/v1/works", b.base)).await;
    assert_eq!(s, 200);
    let n = works.as_array().unwrap().len();
    let (_, _, works_a) = get_json(&c, &format!("{}/api/v1/works", a.base)).await;
    assert_eq!(
        works_a.as_array().unwrap().len(),
        n,
        "each work seeded once"
    );

    // A dated layer: P1 closes 锦州街 on 2022-06-01, through B (now cached there).
    assert!(
        closing_works(&c, &b.base, "2022-06-01")
            .await
            .contains("P1")
    );
    // A moves P1 to 2024; B's layer for that day no longer shows it, at once.
    let (_, etag_p1, _) = get_json(&c, &format!("{}/api/v1/works/P1", a.base)).await;
    let etag_p1 = etag_p1.unwrap();
    let r = c
        .patch(format!("{}/api/v1/works/P1", a.base))
        .bearer_auth(TOKEN)
        .header("if-match", &etag_p1)
        .json(
            &serde_json::json!({"planned_start": "2024-04-01", "planned_end": "2024-10-31",
                                  "comment": "moved through A"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        !closing_works(&c, &b.base, "2022-06-01")
            .await
            .contains("P1")
    );
    let (_, etag_b, detail) = get_json(&c, &format!("{}/api/v1/works/P1", b.base)).await;
    assert_ne!(etag_b.as_deref(), Some(etag_p1.as_str()));
    assert_eq!(detail["work"]["planned"]["start"], "2024-04-01", "{detail}");
    // B with the ETag A already moved past: 412, nothing changes.
    let stale = patch_dates(&c, &b.base, "P1", &etag_p1, 3, "stale through B").await;
    assert_eq!(stale, 412);

    // The mix: writers alternate replicas between read and write; readers read both.
    let (_, _, p10) = get_json(&c, &format!("{}/api/v1/works/P10", a.base)).await;
    let v0 = p10["work"]["version"].as_u64().unwrap();
    let (writers, rounds) = (4usize, 8usize);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (c, ra, rb) = (c.clone(), a.base.clone(), b.base.clone());
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut other = Vec::new();
            for i in 0..rounds {
                let (read, write) = if (w + i) % 2 == 0 {
                    (&ra, &rb)
                } else {
                    (&rb, &ra)
                };
                let (s, etag, _) = get_json(&c, &format!("{read}/api/v1/works/P10")).await;
                assert_eq!(s, 200);
                let tag = format!("mix-{w}-{i}");
                let day = 1 + ((w * rounds + i) % 28) as u32;
                let s = patch_dates(&c, write, "P10", &etag.unwrap(), day, &tag).await;
                if s == 200 {
                    acked.push(tag);
                } else {
                    other.push(s);
                }
            }
            (acked, other)
        }));
    }
    let mut readers = Vec::new();
    for r in 0..4usize {
        let (c, ra, rb) = (c.clone(), a.base.clone(), b.base.clone());
        readers.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for i in 0..8usize {
                let base = if (r + i) % 2 == 0 { &ra } else { &rb };
                let url = if i % 2 == 0 {
                    format!("{base}/collections/closures/items?date=2023-03-01&limit=10000")
                } else {
                    format!("{base}/api/v1/works")
                };
                statuses.push(c.get(url).send().await.unwrap().status().as_u16());
            }
            statuses
        }));
    }
    let mut acked = Vec::new();
    let mut refused = Vec::new();
    for t in tasks {
        let (a, o) = t.await.unwrap();
        acked.extend(a);
        refused.extend(o);
    }
    for r in readers {
        let st = r.await.unwrap();
        assert!(st.iter().all(|&s| s == 200), "reader statuses {st:?}");
    }
    // Losers of a race are told to reload (412 stale ETag, or 409 when the store saw the
    // race), never a 5xx.
    assert!(
        refused.iter().all(|&s| s == 412 || s == 409),
        "refused writes {refused:?}"
    );
    assert!(!acked.is_empty());
    assert_eq!(acked.len() + refused.len(), writers * rounds);
    // Every acknowledged write is in the history once; nothing else was written.
    let (_, _, hist) = get_json(&c, &format!("{}/api/v1/works/P10/history", b.base)).await;
    let mixed: Vec<String> = hist
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["comment"].as_str())
        .filter(|c| c.starts_with("mix-"))
        .map(str::to_string)
        .collect();
    let mut want = acked.clone();
    want.sort();
    let mut got = mixed.clone();
    got.sort();
    assert_eq!(got, want);
    let (_, etag, p10) = get_json(&c, &format!("{}/api/v1/works/P10", a.base)).await;
    assert_eq!(
        p10["work"]["version"].as_u64().unwrap(),
        v0 + acked.len() as u64
    );
    assert_eq!(etag.unwrap(), format!("\"v{}\"", v0 + acked.len() as u64));

    // The change feed is in the database: both replicas serve the same feed, the edit of P1
    // made through A is read through B, and every acknowledged write of the mix is there
    // once (its record event), nothing else.
    let fa = read_feed(&c, &a.base).await;
    let fb = read_feed(&c, &b.base).await;
    assert_eq!(fa, fb);
    assert!(
        fb.iter().any(|e| e["work"] == "P1"
            && e["kind"] == "edited"
            && e["data"]["comment"] == "moved through A"),
        "B does not show A's edit of P1"
    );
    let mut fed: Vec<String> = fb
        .iter()
        .filter(|e| e["work"] == "P10" && e["kind"] == "edited")
        .filter_map(|e| e["data"]["comment"].as_str())
        .filter(|c| c.starts_with("mix-"))
        .map(str::to_string)
        .collect();
    fed.sort();
    assert_eq!(fed, want);
}

/// The whole change feed of a replica, page by page.
async fn read_feed(c: &reqwest::Client, base: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let mut since = 0u64;
    loop {
        let (s, _, j) = get_json(c, &format!("{base}/api/v1/events?since={since}&limit=500")).await;
        assert_eq!(s, 200, "{j}");
        let page = j["events"].as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        since = j["next"].as_u64().unwrap();
        out.extend(page);
    }
}

/// The PostgreSQL store behind the API on a current-thread runtime (as `#[tokio::test]` runs
/// it): the handlers call the synchronous store, which must not start a runtime inside this
/// one.
#[tokio::test]
async fn postgres_store_serves_handlers_on_a_current_thread_runtime() {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let db = crate::common::pg_database();
    let store = jzplan::store::open(&db).unwrap();
    let cat = jzplan::works::catalogue::Catalogue::jinzhou().unwrap();
    let net = jzplan::io::geojson::jinzhou_network().unwrap();
    let engine = jzplan::engine::Engine::with_works(net, store, &cat).unwrap();
    engine.seed(&cat).unwrap();
    let mut tokens = jzplan::api::auth::TokenStore::default();
    tokens
        .add_hash("t", &jzplan::api::auth::hash_hex(TOKEN))
        .unwrap();
    let config = jzplan::api::ApiConfig {
        tokens,
        ..Default::default()
    };
    let app = jzplan::api::app(engine, config).unwrap();
    let r = app
        .clone()
        .oneshot(
            Request::get("/api/v1/works/P10")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let etag = r.headers()[header::ETAG].to_str().unwrap().to_string();
    let r = app
        .clone()
        .oneshot(
            Request::patch("/api/v1/works/P10")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .header(header::IF_MATCH, &etag)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    r#"{"planned_start":"2023-01-01","planned_end":"2023-05-01"}"#,
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .oneshot(
            Request::patch("/api/v1/works/P10")
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .header(header::IF_MATCH, &etag)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    r#"{"planned_start":"2023-01-01","planned_end":"2023-05-02"}"#,
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 412);
}
