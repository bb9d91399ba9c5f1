//! A closure study on Jinzhou end to end: the P1 site (Jinzhou Street bridge) closed from May
//! to October 2022 — inputs gathered from the engine (works, effects, demand, choke points),
//! the period assignments (AM, PM, off-peak; baseline and with the closure), detours,
//! conflicts and the 12-start mitigation scan; with the inputs ready, by Algorithm B (the
//! study's algorithm, `STUDY_ALGORITHM`) and by biconjugate Frank-Wolfe.

use criterion::{Criterion, criterion_group, criterion_main};
use jzplan::analysis::study::{ClosureSpec, StudyInputs, StudyRequest, check_request, run_study};
use jzplan::assignment::Algorithm;
use jzplan::engine::Engine;
use jzplan::store::SqliteStore;
use jzplan::works::catalogue::Catalogue;
use jzplan::works::{DateRange, parse_date};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let cat = Catalogue::jinzhou().expect("catalogue");
    let net = jzplan::io::geojson::jinzhou_network().expect("network");
    let store = Arc::new(SqliteStore::open_in_memory().expect("store"));
    let engine = Engine::with_works(net, store, &cat).expect("engine");
    engine.seed(&cat).expect("seed");
    let req = StudyRequest {
        closures: vec![ClosureSpec {
            work: Some("P1".into()),
            ..Default::default()
        }],
        window: DateRange::new(
            parse_date("2022-05-01").expect("date"),
            parse_date("2022-10-31").expect("date"),
        )
        .expect("window"),
        hours: None,
        flow_threshold_vph: None,
    };
    let mut g = c.benchmark_group("study");
    // Under `cargo test` (no `--bench`) benches run once as a smoke test, in a debug build
    // where one study takes a minute: only the request check and the inputs run there.
    if !std::env::args().any(|a| a == "--bench") {
        g.bench_function("inputs_p1", |b| {
            b.iter(|| {
                check_request(black_box(&req)).expect("request");
                StudyInputs::from_parts(&engine.network, &engine.works).expect("inputs")
            })
        });
        g.finish();
        return;
    }
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("p1_may_oct_2022_end_to_end", |b| {
        b.iter(|| engine.study(black_box(&req)).expect("study"))
    });
    let inputs = StudyInputs::from_parts(&engine.network, &engine.works).expect("inputs");
    g.bench_function("p1_may_oct_2022_inputs_ready", |b| {
        b.iter(|| run_study(&inputs, black_box(&req)).expect("study"))
    });
    let mut other = StudyInputs::from_parts(&engine.network, &engine.works).expect("inputs");
    other.demand.opts.algorithm = match inputs.demand.opts.algorithm {
        Algorithm::AlgB => Algorithm::Bfw,
        _ => Algorithm::AlgB,
    };
    let name = format!(
        "p1_may_oct_2022_inputs_ready_{}",
        format!("{:?}", other.demand.opts.algorithm).to_lowercase()
    );
    g.bench_function(name, |b| {
        b.iter(|| run_study(&other, black_box(&req)).expect("study"))
    });
    g.bench_function("inputs_p1", |b| {
        b.iter(|| StudyInputs::from_parts(&engine.network, &engine.works).expect("inputs"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
