//! Import/export benches on a generated 160 × 160 grid (25,600 nodes, 101,760 directed
//! edges): write and re-read GeoPackage and FlatGeobuf, and import the same grid as an OSM PBF
//! (320 ways, split at every crossing). Results: docs/performance.md, "Import and export".

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::io::gdal::{self, VectorFormat};
use jzplan::io::osm::{self, OsmOptions};
use jzplan::network::grid::{GridOptions, grid};
use jzplan::network::{RoadClass, RoadNetwork};
use std::hint::black_box;
use std::time::Duration;

#[path = "../tests/it/pbf.rs"]
mod pbf;

const SIDE: usize = 160;

/// The grid as OSM: one way per row and per column street, tagged like the grid's classes.
fn grid_pbf(net: &RoadNetwork) -> Vec<u8> {
    let nodes: Vec<(i64, f64, f64)> = net
        .nodes()
        .iter()
        .enumerate()
        .map(|(i, n)| (i as i64 + 1, n.lon, n.lat))
        .collect();
    let class_at = |a: usize, b: usize| {
        // The class of the edge between grid nodes a and b (ids are r * SIDE + c).
        net.out_edges(jzplan::network::NodeId::from_index(a))
            .iter()
            .map(|&e| net.edge(e))
            .find(|e| e.to.index() == b)
            .map_or(RoadClass::Residential, |e| e.class)
    };
    let mut ways = Vec::new();
    for r in 0..SIDE {
        let refs: Vec<i64> = (0..SIDE).map(|c| (r * SIDE + c) as i64 + 1).collect();
        let hw = class_at(r * SIDE, r * SIDE + 1).as_str();
        ways.push((r as i64 + 1, refs, hw));
    }
    for c in 0..SIDE {
        let refs: Vec<i64> = (0..SIDE).map(|r| (r * SIDE + c) as i64 + 1).collect();
        let hw = class_at(c, SIDE + c).as_str();
        ways.push((1_000 + c as i64, refs, hw));
    }
    let specs: Vec<pbf::WaySpec<'_>> = ways
        .into_iter()
        .map(|(id, refs, hw)| (id, refs, vec![("highway", hw), ("name", "Grid Street")]))
        .collect();
    pbf::write(&nodes, &specs)
}

fn io(c: &mut Criterion) {
    let net = grid(&GridOptions::jinzhou(SIDE, SIDE)).expect("grid");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = c.benchmark_group("io");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, file, fmt) in [
        ("gpkg", "grid.gpkg", VectorFormat::GeoPackage),
        ("fgb", "grid.fgb", VectorFormat::FlatGeobuf),
    ] {
        let path = dir.path().join(file);
        // Written once up front, so that the read bench also runs alone (`-- read_`).
        gdal::write_network(&net, &path, fmt).expect("write");
        g.bench_function(format!("write_{name}_101760_edges"), |b| {
            b.iter(|| gdal::write_network(black_box(&net), &path, fmt).expect("write"))
        });
        g.bench_function(format!("read_{name}_101760_edges"), |b| {
            b.iter(|| jzplan::io::read_network_file(black_box(&path)).expect("read"))
        });
    }
    let pbf_path = dir.path().join("grid.osm.pbf");
    std::fs::write(&pbf_path, grid_pbf(&net)).expect("write pbf");
    let imported = osm::read_osm_pbf(&pbf_path, &OsmOptions::default()).expect("import");
    assert_eq!(
        (imported.node_count(), imported.edge_count()),
        (net.node_count(), net.edge_count())
    );
    g.bench_function("osm_import_101760_edges", |b| {
        b.iter(|| osm::read_osm_pbf(black_box(&pbf_path), &OsmOptions::default()).expect("osm"))
    });
    g.finish();
}

criterion_group!(benches, io);
criterion_main!(benches);
