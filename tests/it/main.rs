//! Integration tests: one binary, one module per area.

mod api;
mod assignment;
mod browser;
mod ch;
mod common;
mod coordination;
mod data;
mod io;
mod linking;
mod ogc;
mod routing;
mod store;
mod works;
