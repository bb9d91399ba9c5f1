//! Deriving the network state of a date on the Jinzhou network with every work of the
//! catalogue (target ≤ 10 ms), and the analyses built on it.

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::engine::Engine;
use jzplan::network::Metric;
use jzplan::scenario::NetworkState;
use jzplan::store::{SqliteStore, Store};
use jzplan::works::catalogue::Catalogue;
use jzplan::works::{WorkFilter, parse_date};
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let cat = Catalogue::jinzhou().expect("catalogue");
    let net = jzplan::io::geojson::jinzhou_network().expect("network");
    let store = Arc::new(SqliteStore::open_in_memory().expect("store"));
    let engine = Engine::with_works(net, store, &cat).expect("engine");
    engine.seed(&cat).expect("seed");
    let works = engine.list_works(&WorkFilter::default()).expect("works");
    let effects = engine.resolved_effects().expect("effects");
    let date = parse_date("2022-07-01").expect("date");
    let mut g = c.benchmark_group("works");
    g.bench_function("state_on_date_overlay_only", |b| {
        b.iter(|| NetworkState::on_date(&engine.network, black_box(&works), &effects, date))
    });
    g.bench_function("state_on_date_engine_incl_store_read", |b| {
        b.iter(|| engine.state_on(black_box(date)).expect("state"))
    });
    let state = engine.state_on(date).expect("state");
    g.bench_function("state_weights_time", |b| {
        b.iter(|| black_box(&state).weights(Metric::Time))
    });
    let mut w = engine.network.weights(Metric::Time);
    g.bench_function("state_patch_weights_time", |b| {
        b.iter(|| black_box(&state).patch_weights(&mut w, Metric::Time))
    });
    g.bench_function("engine_with_works_augment_and_attach", |b| {
        b.iter(|| {
            let net = jzplan::io::geojson::jinzhou_network().expect("network");
            let store = Arc::new(SqliteStore::open_in_memory().expect("store"));
            store.seed(&cat).expect("seed");
            Engine::with_works(net, store, &cat).expect("engine")
        })
    });
    g.sample_size(10);
    g.bench_function("clashes_whole_catalogue", |b| {
        b.iter(|| engine.clashes(&Default::default()).expect("clashes"))
    });
    g.bench_function("detours_whole_catalogue", |b| {
        b.iter(|| engine.detours(None).expect("detours"))
    });
    g.bench_function("hotspot_demand_proxy", |b| {
        b.iter(|| jzplan::hotspot::demand_proxy_scores(&engine.network, 1000.0).expect("scores"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
