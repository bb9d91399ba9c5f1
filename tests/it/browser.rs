//! The web viewer: its label glyphs served offline (`/fonts`), and the page in headless
//! Chromium (Debian's /usr/bin/chromium driven by playwright-core, tests/browser/viewer.mjs):
//! no console or HTTP errors, every layer renders (label symbol layers included), works follow
//! the date slider (choke points with the works that open them), the route tool returns a
//! route on a date and today. The Chromium test
//! skips with a message only when Chromium is not installed. Set JZPLAN_SCREENSHOT=path to
//! save a screenshot (scripts/screenshot.sh makes docs/viewer.png this way).

use super::api::{assert_problem, get, test_app};
use serde_json::Value;

/// One field of a protobuf message: (field number, varint value or length-delimited bytes).
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = b[*i];
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
    }
    v
}

/// The fields of a message (the glyph PBF uses only wire types 0 and 2).
fn fields(b: &[u8]) -> Vec<(u64, Field<'_>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i);
        match key & 7 {
            0 => out.push((key >> 3, Field::Varint(varint(b, &mut i)))),
            2 => {
                let n = varint(b, &mut i) as usize;
                out.push((key >> 3, Field::Bytes(&b[i..i + n])));
                i += n;
            }
            w => panic!("unexpected wire type {w}"),
        }
    }
    out
}

fn bytes<'a>(fs: &[(u64, Field<'a>)], n: u64) -> Vec<&'a [u8]> {
    fs.iter()
        .filter_map(|(k, f)| match f {
            Field::Bytes(b) if *k == n => Some(*b),
            _ => None,
        })
        .collect()
}

fn uint(fs: &[(u64, Field<'_>)], n: u64) -> u64 {
    fs.iter()
        .find_map(|(k, f)| match f {
            Field::Varint(v) if *k == n => Some(*v),
            _ => None,
        })
        .unwrap_or_else(|| panic!("field {n} missing"))
}

#[tokio::test]
async fn glyphs_are_sdf_pbfs_and_missing_ones_are_404_problems() {
    let app = test_app();
    let r = get(&app, "/fonts/Noto%20Sans%20Regular/0-255.pbf").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type(), "application/x-protobuf");
    let top = fields(&r.body);
    let stacks = bytes(&top, 1);
    assert_eq!(stacks.len(), 1);
    let stack = fields(stacks[0]);
    assert_eq!(bytes(&stack, 1), vec![b"Noto Sans Regular".as_slice()]);
    assert_eq!(bytes(&stack, 2), vec![b"0-255".as_slice()]);
    let glyphs: Vec<_> = bytes(&stack, 3).into_iter().map(fields).collect();
    let ids: Vec<u64> = glyphs.iter().map(|g| uint(g, 1)).collect();
    assert!(ids.iter().all(|&c| c <= 255), "{ids:?}");
    for c in [' ', 'A', 'z', '0', '·', 'ü', '×'] {
        assert!(ids.contains(&(c as u64)), "{c} missing");
    }
    // 'l' is a vertical bar: its SDF bitmap is (width + 6) × (height + 6), inside the stem
    // (centre) past the outline value 191, falling off outwards (the border is 3 px of the
    // 6 px that the field spans outside the outline).
    let i = glyphs.iter().find(|g| uint(g, 1) == 'l' as u64).unwrap();
    let (w, h) = (uint(i, 3) as usize, uint(i, 4) as usize);
    assert!((2..=4).contains(&w) && (16..=20).contains(&h), "{w}×{h}");
    let bm = bytes(i, 2)[0];
    assert_eq!(bm.len(), (w + 6) * (h + 6));
    let at = |x: usize, y: usize| bm[y * (w + 6) + x];
    assert!(
        at((w + 6) / 2, (h + 6) / 2) > 191,
        "{}",
        at(3 + w / 2, 3 + h / 2)
    );
    let mid = 3 + h / 2;
    assert!(at(0, 0) < 128 && at(0, mid) < at(2, mid) && at(2, mid) < at(3 + w / 2, mid));
    // The space has an advance and no bitmap.
    let sp = glyphs.iter().find(|g| uint(g, 1) == 32).unwrap();
    assert!(bytes(sp, 2).is_empty() && uint(sp, 7) > 0);

    // A stack of several fonts is answered by the first one served.
    let r = get(
        &app,
        "/fonts/Noto%20Sans%20Bold,Arial%20Unicode%20MS/8192-8447.pbf",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = get(&app, "/fonts/Arial,Noto%20Sans%20Regular/256-511.pbf").await;
    assert_eq!(r.status, 200);

    for bad in [
        "/fonts/Noto%20Sans%20Regular/19968-20223.pbf", // CJK: drawn by the browser
        "/fonts/Open%20Sans%20Regular/0-255.pbf",
        "/fonts/Noto%20Sans%20Regular/0-300.pbf",
        "/fonts/Noto%20Sans%20Regular/1-256.pbf",
        "/fonts/Noto%20Sans%20Regular/4294967040-4294967295.pbf",
        "/fonts/Noto%20Sans%20Regular/99999999999-0.pbf",
        "/fonts/Noto%20Sans%20Regular/0-255",
        "/fonts/Noto%20Sans%20Regular/x.pbf",
    ] {
        let r = get(&app, bad).await;
        assert_problem(&r, 404, "NotFound");
    }
}

fn count(r: &Value, key: &str, layer: &str) -> u64 {
    r[key][layer].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_renders_layers_and_routes_in_chromium() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        eprintln!("SKIPPED: {chromium} is not installed (scripts/setup.sh installs chromium)");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    assert!(
        std::path::Path::new(root)
            .join("node_modules/playwright-core")
            .exists(),
        "node_modules/playwright-core is missing: run `npm ci` (scripts/setup.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let base = super::api::spawn(jzplan::api::app_with_state(state)).await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(root)
        .arg("tests/browser/viewer.mjs")
        .arg(&base)
        .env("CHROMIUM", &chromium);
    if let Ok(shot) = std::env::var("JZPLAN_SCREENSHOT") {
        cmd.arg(shot);
    }
    let out = cmd.output().await.expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node failed ({}): {stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("bad output ({e}): {stdout}"));
    assert!(r.get("fatal").is_none(), "{r:#}");
    let none = Value::Array(vec![]);
    for key in [
        "consoleErrors",
        "pageErrors",
        "mapErrors",
        "requestsFailed",
        "httpErrors",
    ] {
        assert_eq!(r[key], none, "{key}: {r:#}");
    }
    assert_eq!(r["external"], none, "the viewer must run offline: {r:#}");

    // Labels are symbol layers drawn with our glyphs: the Latin ranges were fetched (the
    // choke-point numbers and road names need them) and every fetch succeeded.
    let glyphs: Vec<&str> = r["glyphs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        glyphs.contains(&"200 /fonts/Noto Sans Bold/0-255.pbf")
            && glyphs.contains(&"200 /fonts/Noto Sans Regular/0-255.pbf"),
        "{r:#}"
    );
    assert!(glyphs.iter().all(|g| g.starts_with("200 ")), "{r:#}");
    assert_eq!(r["htmlMarkers"], 0, "labels are no HTML markers: {r:#}");

    // 2022-06-15, Chinese labels.
    for layer in [
        "districts-fill",
        "rivers",
        "roads",
        "works-line",
        "works-point",
        "closures",
        "road-labels",
        "river-labels",
        "poi-labels",
        "district-labels",
    ] {
        assert!(
            count(&r, "counts", layer) > 0,
            "{layer} rendered nothing: {r:#}"
        );
    }
    if r["hasDetours"] == true {
        let drawn = count(&r, "counts", "detours") + count(&r, "counts", "detours-none");
        assert!(
            drawn > 0,
            "closures on 2022-06-15 but no detour drawn: {r:#}"
        );
    }
    assert!(r["workLabelsZoomed"].as_u64().unwrap_or(0) > 0, "{r:#}");
    // Choke points follow the work that opens each (P6-01…15, April to September 2022): on
    // 2022-06-15 some are open, some being opened, some still congested; by 2030 all are open.
    let hs = |v: &Value, s: &str| v[s].as_u64().unwrap_or(0);
    let on = &r["hotspotStates"];
    assert_eq!(
        hs(on, "opened") + hs(on, "being_opened") + hs(on, "congested"),
        15,
        "{r:#}"
    );
    for s in ["opened", "being_opened", "congested"] {
        assert!(hs(on, s) > 0, "no choke point {s} on 2022-06-15: {r:#}");
    }
    assert_eq!(
        hs(&r["works"]["2030-12-31"]["hotspots"], "opened"),
        15,
        "{r:#}"
    );
    let numbers: Vec<u64> = (1..=15).collect();
    assert_eq!(r["hotspotNumbers"], serde_json::json!(numbers), "{r:#}");
    assert_eq!(r["hotspotsRendered"], 15, "{r:#}");

    // Popups by a click: a choke point with its state on the date and the work that opens it;
    // a work with its catalogued status, state on the date, dates and source.
    let hp = r["hotspotPopup"].as_str().unwrap_or("");
    assert!(
        hp.contains("堵点") && hp.contains("2022-06-15") && hp.contains("P6-"),
        "{r:#}"
    );
    let wp = r["workPopup"].as_str().unwrap_or("");
    for part in ["工程", "登记状态", "2022-06-15", "来源"] {
        assert!(wp.contains(part), "work popup lacks {part}: {r:#}");
    }
    let dp = r["detourPopup"].as_str().unwrap_or("");
    for part in ["绕行", "多用时", "min", "model:"] {
        assert!(dp.contains(part), "detour popup lacks {part}: {r:#}");
    }
    // Works follow the slider: on 2023-01-01 some are on site and some not started yet (the
    // 2023 bridges and the 2023–2025 ring road, from the catalogue's dates); by 2030-12-31
    // every scheduled work is done and the planned links are open.
    let early = &r["works"]["2023-01-01"];
    let late = &r["works"]["2030-12-31"];
    assert_eq!(early["shown"], "2023-01-01", "{r:#}");
    assert_eq!(late["shown"], "2030-12-31", "{r:#}");
    assert_eq!(early["paintUsesDate"], true, "{r:#}");
    assert_eq!(late["paintUsesDate"], true, "{r:#}");
    let n = |d: &Value, s: &str| d["byState"][s].as_u64().unwrap_or(0);
    assert!(n(early, "under_construction") > 0, "{r:#}");
    assert!(n(early, "not_started") > 0, "{r:#}");
    assert_eq!(n(late, "under_construction"), 0, "{r:#}");
    assert_eq!(n(late, "not_started"), 0, "{r:#}");
    assert!(n(late, "completed") > n(early, "completed"), "{r:#}");
    assert!(
        late["newLinks"].as_u64() > early["newLinks"].as_u64(),
        "{r:#}"
    );
    // P5 moves Nanguang Road south (2024–2025): by 2030 the old alignment is drawn as removed
    // (grey), not as a red closure; in 2023 it is still an ordinary road.
    assert_eq!(early["removed"], 0, "{r:#}");
    assert!(late["removed"].as_u64().unwrap_or(0) > 0, "{r:#}");

    let route = &r["route"];
    assert!(route["error"].is_null(), "{r:#}");
    assert!(
        route["onDate"]["distance_m"].as_f64().unwrap() > 1000.0,
        "{r:#}"
    );
    assert!(
        route["today"]["duration_s"].as_f64().unwrap() > 0.0,
        "{r:#}"
    );
    assert!(route["detour_s"].as_f64().is_some(), "{r:#}");
    assert!(r["routeRendered"].as_u64().unwrap() > 0, "{r:#}");

    // The language toggle switches the label field, and labels still render.
    assert_eq!(r["labelFieldBefore"], "name_zh", "{r:#}");
    assert_eq!(r["langAfterToggle"], "en");
    assert_eq!(r["labelFieldAfter"], "name_en", "{r:#}");
    for layer in ["road-labels", "district-labels", "hotspot-numbers"] {
        assert!(count(&r, "countsEn", layer) > 0, "{layer} (en): {r:#}");
    }
}

/// The "Study a closure" panel: P1 typed in, dates picked, Run; the map draws the closure,
/// detours, the flow difference (red and blue), choke points and conflicts; the panel lists
/// the streets and the conflicts and links the HTML report; the flows toggle draws traffic.
/// The study itself is computed once beforehand (the server's cache answers the panel's POST
/// exactly as it answers a repeated request), so that the browser waits for the map, not for
/// a debug build's assignments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_study_panel_runs_a_study_and_draws_it() {
    use jzplan::analysis::study::{ClosureSpec, StudyRequest};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        eprintln!("SKIPPED: {chromium} is not installed (scripts/setup.sh installs chromium)");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempfile::tempdir().unwrap();
    let state = super::api::jinzhou_state(dir.path());
    let req = StudyRequest {
        closures: vec![ClosureSpec {
            work: Some("P1".into()),
            ..Default::default()
        }],
        window: jzplan::works::DateRange::new(
            jzplan::works::parse_date("2022-05-01").unwrap(),
            jzplan::works::parse_date("2022-10-31").unwrap(),
        )
        .unwrap(),
        hours: None,
        flow_threshold_vph: None,
    };
    let (engine0, cache0) = (state.engine.clone(), state.studies.clone());
    let id = tokio::task::spawn_blocking(move || {
        let (engine, cache) = (engine0, cache0);
        let s = std::sync::Arc::new(engine.study(&req).unwrap());
        cache.put(s.clone());
        s.id.clone()
    })
    .await
    .unwrap();
    let (engine, cache) = (state.engine.clone(), state.studies.clone());
    let base = super::api::spawn(jzplan::api::app_with_state(state)).await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.current_dir(root)
        .arg("tests/browser/study.mjs")
        .arg(&base)
        .env("CHROMIUM", &chromium)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if let Ok(shot) = std::env::var("JZPLAN_STUDY_SCREENSHOT") {
        cmd.arg(shot);
    }
    let mut child = cmd.spawn().expect("node runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // The panel draws a stretch and says which study it will ask for; that study is computed
    // here into the server's cache (as for P1 above), then the panel runs it.
    let mut stdout = String::new();
    let mut stretch_req: Option<StudyRequest> = None;
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(body) = line.strip_prefix("STRETCH ") {
            let req: StudyRequest = serde_json::from_str(body)
                .unwrap_or_else(|e| panic!("the panel's request does not parse ({e}): {body}"));
            stretch_req = Some(req.clone());
            let (engine, cache) = (engine.clone(), cache.clone());
            let computed = tokio::task::spawn_blocking(move || {
                engine
                    .study(&req)
                    .map(|s| cache.put(std::sync::Arc::new(s)))
            })
            .await
            .unwrap();
            if let Err(e) = computed {
                eprintln!("the drawn stretch's study failed: {e}");
            }
            stdin.write_all(b"go\n").await.unwrap();
            stdin.flush().await.unwrap();
            stdin.shutdown().await.unwrap();
        } else {
            stdout.push_str(&line);
            stdout.push('\n');
        }
    }
    let out = child.wait_with_output().await.expect("node runs");
    assert!(
        out.status.success(),
        "node failed ({}): {stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("bad output ({e}): {stdout}"));
    assert!(r.get("fatal").is_none(), "{r:#}");
    let none = Value::Array(vec![]);
    for key in ["consoleErrors", "pageErrors", "httpErrors", "external"] {
        assert_eq!(r[key], none, "{key}: {r:#}");
    }
    assert!(r["studyError"].is_null(), "{r:#}");
    let s = &r["study"];
    assert_eq!(
        s["id"],
        id.as_str(),
        "the panel's request is the same study: {r:#}"
    );
    for layer in [
        "diffUp", "diffDown", "closure", "detour", "choke", "conflict",
    ] {
        assert!(s[layer].as_u64().unwrap_or(0) > 0, "{layer}: {r:#}");
    }
    let streets = s["streets"].as_array().unwrap();
    assert!(!streets.is_empty(), "{r:#}");
    assert!(streets[0].as_str().unwrap().contains("士英街"), "{r:#}");
    assert!(
        s["conflicts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("P8-03")),
        "{r:#}"
    );
    assert!(
        s["vht"].as_str().unwrap().contains("veh-h") || s["vht"].as_str().unwrap().contains("车")
    );
    assert_eq!(r["reportStatus"], 200, "{r:#}");
    assert_eq!(r["reportHasMap"], true, "{r:#}");
    assert!(r["flows"].as_u64().unwrap_or(0) > 0, "{r:#}");

    // The drawn stretch: two clicks on 锦州街 give the street and both points; the panel
    // posts them as {street, from, to}, and the study closes that stretch only.
    assert!(
        r["stretchHalf"].as_str().unwrap().contains("锦州街"),
        "{r:#}"
    );
    let drawn = &r["stretchDrawn"];
    assert_eq!(drawn["target"], "锦州街", "{r:#}");
    assert_eq!(drawn["kind"], "street", "{r:#}");
    assert_eq!(drawn["ends"], 2, "{r:#}");
    assert!(drawn["line"].as_u64().unwrap() > 0, "{r:#}");
    let posted = &r["stretchPosted"];
    let c = &posted["closures"][0];
    assert_eq!(c["street"], "锦州街", "{r:#}");
    for (key, lat) in [("from", 41.1125), ("to", 41.1275)] {
        let p = c[key].as_array().unwrap();
        assert!((p[0].as_f64().unwrap() - 121.105).abs() < 1e-3, "{r:#}");
        assert!((p[1].as_f64().unwrap() - lat).abs() < 1e-3, "{r:#}");
    }
    assert_eq!(posted["hours"], "22-06", "{r:#}");
    let req = stretch_req.expect("the panel printed its request");
    let posted_req: StudyRequest = serde_json::from_value(posted.clone()).unwrap();
    assert_eq!(posted_req, req, "the request printed is the request posted");
    let st = &r["stretch"];
    assert!(st["error"].is_null(), "{r:#}");
    assert_eq!(st["newStudy"], true, "{r:#}");
    assert!(
        st["closures"][0]
            .as_str()
            .unwrap()
            .starts_with("锦州街 121.10"),
        "{r:#}"
    );
    // A stretch, not the whole street.
    let edges = st["edges"].as_u64().unwrap();
    assert!((2..40).contains(&edges), "{r:#}");
    assert!(st["closure"].as_u64().unwrap() > 0, "{r:#}");
    assert!(st["diff"].as_u64().unwrap() > 0, "{r:#}");
}
