//! The change feed and its webhooks, through the API: every create, edit, status change and
//! cancellation with the findings it made appear or disappear, in order, paged with `next`,
//! the same as Server-Sent Events, unchanged after a restart on the same store; webhooks
//! delivered to a receiver on 127.0.0.1, signed, retried after a 500, in order, once — and
//! after a restart only what came after.

use super::api::{Resp, assert_problem, get, jinzhou_state_with, send};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hmac::{Hmac, KeyInit, Mac};
use jzplan::api::{self, ApiConfig};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const TOKEN: &str = "s3cret";

fn config() -> ApiConfig {
    let mut tokens = api::auth::TokenStore::default();
    tokens
        .add_hash("office-li", &api::auth::hash_hex(TOKEN))
        .unwrap();
    ApiConfig {
        tokens,
        events_poll: Duration::from_millis(50),
        keep_alive: Duration::from_millis(200),
        ..ApiConfig::default()
    }
}

async fn write(
    app: &axum::Router,
    method: &str,
    uri: &str,
    etag: Option<&str>,
    body: &str,
) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"));
    if let Some(t) = etag {
        b = b.header(header::IF_MATCH, t);
    }
    send(app, b.body(Body::from(body.to_string())).unwrap()).await
}

/// Two water-main works on 解放路 (Jiefang Road) at the same time: the second is a site
/// finding with the first.
fn main_work(id: &str, from: f64, to: f64) -> Value {
    json!({
        "id": id, "name_zh": "解放路供水管更新", "name_en": "Jiefang Road water main renewal",
        "kind": "pipe_renewal", "promoter": "water",
        "planned": {"start": "2027-04-01", "end": "2027-05-31"},
        "geometry": {"type": "LineString", "coordinates": [[from, 41.112], [to, 41.112]]},
        "effects": [{"phase": "construction", "action": {"kind": "close"}, "direction": "forward",
            "target": {"type": "street", "streets": ["解放路"], "from": [from, 41.112],
                       "to": [to, 41.112], "radius_m": 100}}],
    })
}

/// `(kind, work)` of each event, and whether the cursors grow.
fn kinds(events: &[Value]) -> Vec<(String, String)> {
    let cursors: Vec<u64> = events
        .iter()
        .map(|e| e["cursor"].as_u64().unwrap())
        .collect();
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");
    events
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["work"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn feed(app: &axum::Router, since: u64) -> (Vec<Value>, u64) {
    let r = get(app, &format!("/api/v1/events?since={since}&limit=1000")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let j = r.json();
    (
        j["events"].as_array().unwrap().clone(),
        j["next"].as_u64().unwrap(),
    )
}

/// [`four_writes`], then the cursors of the events they made.
async fn four_writes_cursors(app: &axum::Router) -> Vec<u64> {
    let start = four_writes(app).await;
    let (events, _) = feed(app, start).await;
    events
        .iter()
        .map(|e| e["cursor"].as_u64().unwrap())
        .collect()
}

/// Creates A, creates B beside it (a site finding), moves B's dates a year on (the finding is
/// resolved, an opportunity appears or not), cancels A. Returns the cursor before the writes.
async fn four_writes(app: &axum::Router) -> u64 {
    let (_, start) = feed(app, 0).await;
    let r = write(
        app,
        "POST",
        "/api/v1/works",
        None,
        &main_work("W-A", 121.160, 121.170).to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = write(
        app,
        "POST",
        "/api/v1/works",
        None,
        &main_work("W-B", 121.163, 121.169).to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let check = r.json()["check"].clone();
    assert!(
        check
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "site"),
        "{check}"
    );
    let r = write(
        app,
        "PATCH",
        "/api/v1/works/W-B",
        Some("\"v1\""),
        r#"{"planned_start": "2029-04-01", "planned_end": "2029-05-31"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = write(
        app,
        "PATCH",
        "/api/v1/works/W-A",
        Some("\"v1\""),
        r#"{"status": "cancelled", "comment": "withdrawn"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    start
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_holds_every_write_and_its_findings_in_order_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let app = api::app_with_state(jinzhou_state_with(dir.path(), config()));
    // The seeded catalogue is in the feed: one `created` per work.
    let (seeded, _) = feed(&app, 0).await;
    let n_works = get(&app, "/api/v1/works")
        .await
        .json()
        .as_array()
        .unwrap()
        .len();
    assert_eq!(seeded.len(), n_works);
    assert!(
        seeded
            .iter()
            .all(|e| e["kind"] == "created" && e["actor"] == "seed")
    );

    let start = four_writes(&app).await;
    let (events, next) = feed(&app, start).await;
    let k = kinds(&events);
    let ab = |kind: &str| (kind.to_string(), "W-B".to_string());
    // Every write has its record event, in order, each followed by its findings.
    let records: Vec<(String, String)> = k
        .iter()
        .filter(|(kind, _)| !kind.starts_with("finding_"))
        .cloned()
        .collect();
    assert_eq!(
        records,
        [
            ("created".into(), "W-A".into()),
            ("created".into(), "W-B".into()),
            ab("edited"),
            ("cancelled".into(), "W-A".into())
        ]
    );
    // B's creation made the site finding A×B appear; moving B a year on resolved it.
    let site = |e: &Value| e["data"]["kind"] == "site" && e["works"] == json!(["W-A", "W-B"]);
    let at = |kind: &str| {
        events
            .iter()
            .position(|e| e["kind"] == kind && site(e))
            .unwrap_or_else(|| panic!("no {kind} site A×B in {k:?}"))
    };
    let created_b = k
        .iter()
        .position(|x| *x == ("created".into(), "W-B".into()))
        .unwrap();
    let edited_b = k.iter().position(|x| *x == ab("edited")).unwrap();
    assert!(created_b < at("finding_new") && at("finding_new") < edited_b);
    assert!(edited_b < at("finding_resolved"));
    // Each finding event belongs to the write before it (same work, same version).
    for (i, e) in events.iter().enumerate() {
        if e["kind"].as_str().unwrap().starts_with("finding_") {
            let rec = events[..i]
                .iter()
                .rev()
                .find(|r| !r["kind"].as_str().unwrap().starts_with("finding_"))
                .unwrap();
            assert_eq!(e["work"], rec["work"]);
            assert_eq!(e["version"], rec["version"]);
        }
    }
    assert_eq!(next, events.last().unwrap()["cursor"].as_u64().unwrap());

    // Paging: one at a time with `next` reads the same events.
    let mut paged = Vec::new();
    let mut c = start;
    loop {
        let j = get(&app, &format!("/api/v1/events?since={c}&limit=1"))
            .await
            .json();
        let page = j["events"].as_array().unwrap().clone();
        if page.is_empty() {
            assert_eq!(j["next"].as_u64().unwrap(), c);
            break;
        }
        c = j["next"].as_u64().unwrap();
        paged.extend(page);
    }
    assert_eq!(paged, events);
    // Filters.
    let j = get(
        &app,
        &format!("/api/v1/events?since={start}&work=W-A&kind=cancelled,created"),
    )
    .await
    .json();
    assert_eq!(
        kinds(j["events"].as_array().unwrap()),
        [
            ("created".into(), "W-A".into()),
            ("cancelled".into(), "W-A".into())
        ]
    );
    // Bad parameters: 400, as everywhere in the native API.
    // …and so is a cursor after the last event, also one beyond i64 that would wrap to 1.
    let after = format!("since={}", feed(&app, 0).await.1 + 1);
    for q in [
        "since=-1",
        "since=x",
        after.as_str(),
        "since=999999999",
        "since=9223372036854775808",
        "since=18446744073709551615",
        "limit=0",
        "limit=1001",
        "kind=castle",
        "work=a%20b",
        "colour=red",
    ] {
        assert_problem(
            &get(&app, &format!("/api/v1/events?{q}")).await,
            400,
            "InvalidInput",
        );
    }

    // Restart: a new server on the same database file reads the same feed from cursor 0.
    let (all_before, _) = feed(&app, 0).await;
    drop(app);
    let app = api::app_with_state(jinzhou_state_with(dir.path(), config()));
    let (all_after, _) = feed(&app, 0).await;
    assert_eq!(all_after, all_before);
    // …and goes on from there.
    let r = write(
        &app,
        "PATCH",
        "/api/v1/works/W-B",
        Some("\"v2\""),
        r#"{"start_verified": true}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (more, _) = feed(&app, next).await;
    assert_eq!(kinds(&more)[0], ab("edited"));
    assert!(more[0]["cursor"].as_u64().unwrap() > next);
}

/// Reads Server-Sent Events from a streaming response until `n` events came.
async fn sse_events(r: &mut reqwest::Response, n: usize) -> Vec<(String, String, Value)> {
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(20), r.chunk())
            .await
            .expect("no event within 20 s")
            .unwrap()
            .expect("stream ended");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (String::new(), String::new(), String::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().into();
                } else if let Some(v) = line.strip_prefix("event:") {
                    kind = v.trim().into();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim());
                }
            }
            if !id.is_empty() {
                out.push((id, kind, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    out
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_streams_as_server_sent_events_and_resumes_after_last_event_id() {
    let dir = tempfile::tempdir().unwrap();
    let app = api::app_with_state(jinzhou_state_with(dir.path(), config()));
    let base = serve(app.clone()).await;
    let client = reqwest::Client::new();
    // A JSON client is told where the JSON feed is.
    let r = client
        .get(format!("{base}/api/v1/events/stream"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    // From now on: the stream waits (keep-alive comments) until the writes come.
    let mut s = client
        .get(format!("{base}/api/v1/events/stream"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(s.status().as_u16(), 200);
    assert!(
        s.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let start = four_writes(&app).await;
    let (events, _) = feed(&app, start).await;
    let got = sse_events(&mut s, events.len()).await;
    let want: Vec<(String, String, Value)> = events
        .iter()
        .map(|e| {
            (
                e["cursor"].to_string(),
                e["kind"].as_str().unwrap().to_string(),
                e.clone(),
            )
        })
        .collect();
    assert_eq!(got, want);
    drop(s);
    // A client that saw the first two reconnects with Last-Event-ID and gets the rest.
    let mut s = client
        .get(format!("{base}/api/v1/events/stream?since=0"))
        .header("accept", "text/event-stream")
        .header("last-event-id", &want[1].0)
        .send()
        .await
        .unwrap();
    let rest = sse_events(&mut s, want.len() - 2).await;
    assert_eq!(rest, want[2..]);
    drop(s);
    // A cursor after the last event (or beyond i64, which would wrap to 1) is refused.
    let newest = &want.last().unwrap().0;
    for (query, id) in [
        ("", "18446744073709551615"),
        ("", "9223372036854775808"),
        ("", "999999999"),
        ("?since=999999999", newest.as_str()),
    ] {
        let r = client
            .get(format!("{base}/api/v1/events/stream{query}"))
            .header("accept", "text/event-stream")
            .header("last-event-id", id)
            .send()
            .await
            .unwrap();
        if query.is_empty() {
            assert_eq!(r.status().as_u16(), 400, "{id}");
            let p: Value = r.json().await.unwrap();
            assert_eq!(p["code"], "InvalidInput");
            assert_eq!(
                p["detail"],
                format!("Last-Event-ID: {id} is after the last event ({newest})")
            );
        } else {
            // Last-Event-ID wins over since: it is the last event, so the stream opens.
            assert_eq!(r.status().as_u16(), 200);
        }
    }
    let r = client
        .get(format!("{base}/api/v1/events/stream?since=999999999"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

/// What the receiver got: (headers we check, body).
type Received = Arc<Mutex<Vec<(String, String, String, Vec<u8>)>>>;

/// A webhook receiver on 127.0.0.1 that answers 500 to its first request, then 200.
async fn receiver() -> (String, Received) {
    use axum::extract::State;
    use axum::http::HeaderMap;
    let got: Received = Arc::default();
    async fn hook(
        State(got): State<Received>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> StatusCode {
        let h = |k: &str| {
            headers
                .get(k)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        let mut g = got.lock().unwrap();
        g.push((
            h("x-jzplan-signature"),
            h("x-jzplan-event"),
            h("x-jzplan-attempt"),
            body.to_vec(),
        ));
        if g.len() == 1 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::OK
        }
    }
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state(got.clone());
    (format!("{}/hook", serve(app).await), got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_after_a_500_in_order_and_delivered_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = jinzhou_state_with(dir.path(), config());
    let app = api::app_with_state(state.clone());
    let (url, received) = receiver().await;

    // Subscriptions need a token; bad URLs and filters are refused.
    let r = send(
        &app,
        Request::post("/api/v1/subscriptions")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"url": url}).to_string()))
            .unwrap(),
    )
    .await;
    assert_problem(&r, 401, "Unauthorized");
    for bad in [
        json!({"url": "ftp://x/"}),
        json!({"url": url, "kinds": ["castle"]}),
        json!({"url": url, "works": ["a b"]}),
        json!({"url": url, "colour": "red"}),
        json!({"url": url, "since": 1_000_000_000}),
    ] {
        let r = write(
            &app,
            "POST",
            "/api/v1/subscriptions",
            None,
            &bad.to_string(),
        )
        .await;
        assert_problem(&r, 400, "InvalidInput");
    }
    // Everything about W-A and W-B (their records and their findings).
    let r = write(
        &app,
        "POST",
        "/api/v1/subscriptions",
        None,
        &json!({"url": url, "works": ["W-A", "W-B"]}).to_string(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let sub = r.json();
    let id = sub["id"].as_str().unwrap().to_string();
    let secret = sub["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    // The secret is shown once.
    let listed = send(
        &app,
        Request::get("/api/v1/subscriptions")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("secret").is_none(), "{listed}");

    let want = four_writes_cursors(&app).await;

    let delivery = api::webhooks::spawn(
        state.engine.clone(),
        api::webhooks::DeliveryOptions {
            poll: Duration::from_millis(50),
            backoff_base: Duration::from_millis(200),
            owner: "replica-1".into(),
            ..Default::default()
        },
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let ok = received.lock().unwrap().len();
        if ok > want.len() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {ok} deliveries");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate the time to show up if there were one.
    tokio::time::sleep(Duration::from_millis(600)).await;
    delivery.abort();
    let got = received.lock().unwrap().clone();
    // The first attempt got a 500 and was retried (attempt 2) before anything else.
    assert_eq!(got[0].1, want[0].to_string());
    assert_eq!((got[0].2.as_str(), got[1].2.as_str()), ("1", "2"));
    assert_eq!(got[0].1, got[1].1);
    // After the retry: every event once, in order, each signed with the secret.
    let delivered: Vec<u64> = got[1..].iter().map(|g| g.1.parse().unwrap()).collect();
    assert_eq!(delivered, want);
    for (sig, cursor, _, body) in &got {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(*sig, format!("sha256={hex}"));
        let ev: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(ev["cursor"].to_string(), *cursor);
    }
    // The delivery log: the 500, then every success; the cursor is at the last event.
    let log = send(
        &app,
        Request::get(format!("/api/v1/subscriptions/{id}/deliveries"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), want.len() + 1);
    let first = log.last().unwrap();
    assert_eq!(
        (first["status"].as_u64(), first["ok"].as_bool()),
        (Some(500), Some(false))
    );
    assert!(
        log[..want.len()]
            .iter()
            .all(|d| d["ok"] == true && d["status"] == 200)
    );
    let one = send(
        &app,
        Request::get(format!("/api/v1/subscriptions/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .json();
    assert!(one["cursor"].as_u64().unwrap() >= *want.last().unwrap());
    // Restart (the same replica: same owner, so it takes its lease back at once): a new server
    // on the same store delivers what came after, and nothing again.
    let state = jinzhou_state_with(dir.path(), config());
    let app = api::app_with_state(state.clone());
    let r = write(
        &app,
        "PATCH",
        "/api/v1/works/W-B",
        Some("\"v2\""),
        r#"{"start_verified": true}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (more, _) = feed(&app, *want.last().unwrap()).await;
    let more: Vec<u64> = more.iter().map(|e| e["cursor"].as_u64().unwrap()).collect();
    assert!(!more.is_empty());
    let delivery = api::webhooks::spawn(
        state.engine.clone(),
        api::webhooks::DeliveryOptions {
            poll: Duration::from_millis(50),
            owner: "replica-1".into(),
            ..Default::default()
        },
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().len() < got.len() + more.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    delivery.abort();
    let after: Vec<u64> = received.lock().unwrap()[got.len()..]
        .iter()
        .map(|g| g.1.parse().unwrap())
        .collect();
    assert_eq!(after, more);

    // Deleted: gone, with its log.
    let r = send(
        &app,
        Request::delete(format!("/api/v1/subscriptions/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = send(
        &app,
        Request::get(format!("/api/v1/subscriptions/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&r, 404, "NotFound");
}

/// A webhook receiver on 127.0.0.1 that notes the cursor of each request, then answers 200
/// after `delay`.
async fn slow_receiver(delay: Duration) -> (String, Arc<Mutex<Vec<u64>>>) {
    use axum::extract::State;
    use axum::http::HeaderMap;
    type Seen = (Arc<Mutex<Vec<u64>>>, Duration);
    async fn hook(State((seen, delay)): State<Seen>, headers: HeaderMap) -> StatusCode {
        let cursor = headers["x-jzplan-event"].to_str().unwrap().parse().unwrap();
        seen.lock().unwrap().push(cursor);
        tokio::time::sleep(delay).await;
        StatusCode::OK
    }
    let seen: Arc<Mutex<Vec<u64>>> = Arc::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(hook))
        .with_state((seen.clone(), delay));
    (format!("{}/hook", serve(app).await), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unresponsive_receiver_does_not_hold_up_the_other_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let state = jinzhou_state_with(dir.path(), config());
    let app = api::app_with_state(state.clone());
    let (hung_url, hung) = slow_receiver(Duration::from_secs(300)).await;
    let (url, seen) = slow_receiver(Duration::ZERO).await;
    let subscribe = |url: String, since: u64| {
        let app = app.clone();
        async move {
            let body = json!({"url": url, "since": since}).to_string();
            let r = write(&app, "POST", "/api/v1/subscriptions", None, &body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
    };
    let start = feed(&app, 0).await.1;
    subscribe(hung_url, start).await;
    let want = four_writes_cursors(&app).await;
    // The receiver never answers within the 60 s timeout.
    let delivery = api::webhooks::spawn(
        state.engine.clone(),
        api::webhooks::DeliveryOptions {
            poll: Duration::from_millis(50),
            timeout: Duration::from_secs(60),
            owner: "replica-1".into(),
            ..Default::default()
        },
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while hung.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no delivery started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // While the first receiver keeps its first event waiting, a second subscription gets every
    // event, in order, within seconds.
    subscribe(url, start).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < want.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "held up behind the unresponsive receiver: {:?}",
            seen.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    delivery.abort();
    assert_eq!(*seen.lock().unwrap(), want);
    // The unresponsive one got its first event once (it is still waiting for the answer).
    assert_eq!(hung.lock().unwrap().len(), 1);
}
