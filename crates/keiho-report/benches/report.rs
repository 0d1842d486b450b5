//! Generating one after-action report (analysis, figures, HTML) from a replayed
//! scenario's database.

use criterion::{Criterion, criterion_group, criterion_main};
use keiho_alert::cap::Status;
use keiho_pipeline::{Pipeline, PipelineConfig, replay};
use keiho_report::{Analysis, EventRecord, Truth, html};
use keiho_store::{AlertLog, SqliteStore};

fn bench(c: &mut Criterion) {
    let name = "sohae-2023-08-24";
    let sim = keiho_sim::simulate(&keiho_sim::Scenario::by_name(name).expect("scenario"), 1)
        .expect("simulate");
    let reports: Vec<_> = sim
        .reports
        .iter()
        .map(|r| (r.clone(), serde_json::to_string(r).expect("json")))
        .collect();
    let regions = keiho_geo::RegionSet::bundled().expect("regions");
    let config = PipelineConfig::japan("keiho.bench", Status::Exercise);
    let mut p = Pipeline::new(config, regions, SqliteStore::in_memory().expect("store"));
    replay(&mut p, &reports, |_| {}, |_| {}).expect("replay");
    let store = p.store();
    let id = store.events().expect("events")[0].id.clone();
    let mut truth_text = Vec::new();
    keiho_sim::write_truth(&sim, &mut truth_text).expect("truth");
    let truth = Truth::parse(&String::from_utf8(truth_text).expect("utf-8")).expect("truth");
    let mut group = c.benchmark_group("report");
    group.sample_size(20);
    group.bench_function(format!("{name} load+analyse+html"), |b| {
        b.iter(|| {
            let record = EventRecord::load(store, &id).expect("load");
            let analysis = Analysis::of(&record, None).expect("analysis");
            html::render(&record, &analysis, Some(&truth))
        })
    });
    let record = EventRecord::load(store, &id).expect("load");
    group.bench_function(format!("{name} map_svg"), |b| {
        b.iter(|| keiho_report::figures::map_svg(&record, Some(&truth)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
