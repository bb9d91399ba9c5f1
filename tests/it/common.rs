//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// Path of the `jzplan` binary built for these tests.
pub fn jzplan_bin() -> &'static str {
    env!("CARGO_BIN_EXE_jzplan")
}

/// The throwaway PostgreSQL cluster shared by every test of this binary run (started on first
/// use; stopped and removed when the test process ends). No server is a test failure.
pub fn pg() -> &'static jzplan::store::pg_cluster::TempCluster {
    static PG: std::sync::OnceLock<jzplan::store::pg_cluster::TempCluster> =
        std::sync::OnceLock::new();
    PG.get_or_init(|| {
        jzplan::store::pg_cluster::TempCluster::start()
            .unwrap_or_else(|e| panic!("the PostgreSQL tests need a server: {e}"))
    })
}

/// A new empty PostGIS database on the shared cluster; its URL.
pub fn pg_database() -> String {
    pg().new_database().unwrap()
}

/// Runs `jzplan --db DB args…` (no network of the environment); (exit code, stdout, stderr).
pub fn cli(db: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let mut full: Vec<&std::ffi::OsStr> = vec!["--db".as_ref(), db.as_os_str()];
    full.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
    run(&full)
}

/// Runs `jzplan args…` (no network of the environment); (exit code, stdout, stderr).
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (i32, String, String) {
    let out = std::process::Command::new(jzplan_bin())
        .args(args)
        .env_remove("JZPLAN_NETWORK")
        .output()
        .expect("jzplan runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An engine on `net` with exactly these works (as JSON records), seeded into an in-memory
/// store.
pub fn engine_with_works(
    net: jzplan::network::RoadNetwork,
    works: Vec<serde_json::Value>,
) -> jzplan::engine::Engine {
    let works: Vec<jzplan::works::Work> = works
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let cat = jzplan::works::catalogue::Catalogue {
        works,
        ..Default::default()
    };
    let store = std::sync::Arc::new(jzplan::store::SqliteStore::open_in_memory().unwrap());
    let e = jzplan::engine::Engine::with_works(net, store, &cat).unwrap();
    e.seed(&cat).unwrap();
    e
}
