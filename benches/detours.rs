//! Detours on the Jinzhou network: every stretch closed on a date, on the network of that day
//! (what the `detours` layer serves), against each work alone; and the layer's cached answer.

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::engine::Engine;
use jzplan::layers::Layer;
use jzplan::layers::mvt::{TileId, encode_tile};
use jzplan::layers::works::DetoursLayer;
use jzplan::store::SqliteStore;
use jzplan::works::catalogue::Catalogue;
use jzplan::works::parse_date;
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let cat = Catalogue::jinzhou().expect("catalogue");
    let net = jzplan::io::geojson::jinzhou_network().expect("network");
    let store = Arc::new(SqliteStore::open_in_memory().expect("store"));
    let engine = Engine::with_works(net, store, &cat).expect("engine");
    engine.seed(&cat).expect("seed");
    let date = parse_date("2022-06-01").expect("date");
    let mut g = c.benchmark_group("detours");
    g.bench_function("detours_on_a_date_every_closure_in_force", |b| {
        b.iter(|| engine.detours_on(black_box(date)).expect("detours"))
    });
    g.bench_function("detours_each_work_alone", |b| {
        b.iter(|| engine.detours(None).expect("detours"))
    });
    let layer = DetoursLayer::new(engine.layer_data());
    layer.features(Some(date)).expect("features");
    g.bench_function("layer_features_cached_incl_works_version_read", |b| {
        b.iter(|| layer.features(black_box(Some(date))).expect("features"))
    });
    // The z13 tile over Jinzhou Street's bridge (121.105, 41.10), cache warm.
    let t = TileId::new(13, 6851, 3068).expect("tile");
    g.bench_function("tile_z13_detours_cached", |b| {
        b.iter(|| encode_tile(&[&layer], black_box(t), Some(date)).expect("tile"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
