//! Integration tests: one binary, one module per area.

mod api;
mod assignment;
mod browser;
mod ch;
mod common;
mod data;
mod equilibrium;
mod io;
mod linking;
mod ogc;
mod routing;
mod store;
mod works;
