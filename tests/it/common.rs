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
