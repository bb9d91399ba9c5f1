//! The web viewer in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
//! no console errors, our layers render, the route tool returns a route on a date and today.
//! Skips with a message only when Chromium is not installed. Set JZPLAN_SCREENSHOT=path to
//! save a screenshot (docs/viewer.png is made this way).

use serde_json::Value;

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
        "node failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("bad output ({e}): {stdout}"));
    assert!(r.get("fatal").is_none(), "{r:#}");
    assert_eq!(r["consoleErrors"], Value::Array(vec![]), "{r:#}");
    assert_eq!(r["pageErrors"], Value::Array(vec![]), "{r:#}");
    assert_eq!(r["mapErrors"], Value::Array(vec![]), "{r:#}");
    assert_eq!(
        r["external"],
        Value::Array(vec![]),
        "the viewer must run offline: {r:#}"
    );
    let c = &r["counts"];
    for layer in [
        "districts-fill",
        "rivers",
        "roads",
        "works-line",
        "closures",
    ] {
        assert!(
            c[layer].as_u64().unwrap_or(0) > 0,
            "{layer} rendered nothing: {r:#}"
        );
    }
    assert!(r["hotspotMarkers"].as_u64().unwrap_or(0) >= 1, "{r:#}");
    assert!(r["labels"].as_u64().unwrap_or(0) >= 4, "{r:#}");
    let route = &r["route"];
    assert!(route.get("error").is_none(), "{r:#}");
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
    assert_eq!(r["langAfterToggle"], "en");
}
