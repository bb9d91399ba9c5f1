//! Integration tests: one binary, one module per area.

mod api;
mod assignment;
mod browser;
mod calibration;
mod ch;
mod cli;
mod common;
mod conformance;
mod coordination;
mod data;
mod equilibrium;
mod feeds;
mod io;
mod linking;
mod ogc;
mod per_request;
mod replicas;
mod routing;
mod store;
mod study;
mod works;
