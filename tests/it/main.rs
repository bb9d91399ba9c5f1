//! Integration tests: one binary, one module per area.

mod api;
mod api_routing;
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
mod imports;
mod io;
mod linking;
mod odme;
mod ogc;
mod osrm;
mod per_request;
mod prepared;
mod replicas;
mod routing;
mod store;
mod study;
mod works;
mod works_cli;
