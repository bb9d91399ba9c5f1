//! Integration tests: one binary, one module per area.

mod api;
mod common;
mod ogc;
