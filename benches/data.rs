//! Data benches: the embedded Jinzhou network (JSON parse and network assembly), the full
//! dataset build from `data/jinzhou/source/`, and network GeoJSON write/read of a generated
//! grid of about 100k directed edges (how the format scales).

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::io::geojson::{
    JINZHOU_NETWORK_GEOJSON, jinzhou_network, network_to_geojson, parse_network,
};
use jzplan::network::{EdgeSpec, NetworkBuilder, NodeId, RoadClass, RoadNetwork};
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// An n×n grid of two-way residential streets, 100 m apart (4·n·(n−1) directed edges).
fn grid(n: usize) -> RoadNetwork {
    let mut b = NetworkBuilder::new("bench-grid");
    let s = b.add_street("grid", "网格路", "Grid Road");
    for i in 0..n {
        for j in 0..n {
            b.add_node(121.0 + j as f64 * 0.0012, 41.0 + i as f64 * 0.0009)
                .unwrap();
        }
    }
    let id = |i: usize, j: usize| NodeId::from_index(i * n + j);
    for i in 0..n {
        for j in 0..n {
            for (a, c) in [(i, j + 1), (i + 1, j)] {
                if a < n && c < n {
                    let spec =
                        EdgeSpec::new(id(i, j), id(a, c), s, RoadClass::Residential, "model:grid");
                    b.add_road(spec, false).unwrap();
                }
            }
        }
    }
    b.build().unwrap()
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("data");
    g.sample_size(20);
    let _ = jinzhou_network().unwrap(); // parse once
    g.bench_function("jinzhou_network (assemble, JSON already parsed)", |b| {
        b.iter(|| black_box(jinzhou_network().unwrap()))
    });
    g.bench_function("parse embedded network.geojson", |b| {
        b.iter(|| black_box(parse_network(JINZHOU_NETWORK_GEOJSON, Path::new("embedded")).unwrap()))
    });
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jinzhou/source");
    g.bench_function("build dataset from source", |b| {
        b.iter(|| black_box(jzplan::dataset::build_dataset(&source).unwrap()))
    });
    let net = grid(159); // 100,488 directed edges
    let text = network_to_geojson(&net);
    eprintln!(
        "grid: {} nodes, {} edges, GeoJSON {:.1} MB",
        net.node_count(),
        net.edge_count(),
        text.len() as f64 / 1e6
    );
    g.sample_size(10);
    g.bench_function("write 100k-edge grid GeoJSON", |b| {
        b.iter(|| black_box(network_to_geojson(&net)))
    });
    g.bench_function("read 100k-edge grid GeoJSON", |b| {
        b.iter(|| black_box(parse_network(&text, Path::new("grid")).unwrap()))
    });
    g.finish();
}

criterion_group!(data, benches);
criterion_main!(data);
