//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// Path of the `jzplan` binary built for these tests.
pub fn jzplan_bin() -> &'static str {
    env!("CARGO_BIN_EXE_jzplan")
}
