//! Replaying a whole simulated scenario through the pipeline at full speed (issue 4:
//! a 20-minute scenario in under 2 s).

use criterion::{Criterion, criterion_group, criterion_main};
use keiho_alert::cap::Status;
use keiho_pipeline::{Pipeline, PipelineConfig, replay};
use keiho_store::SqliteStore;

fn bench(c: &mut Criterion) {
    let regions = keiho_geo::RegionSet::bundled().expect("regions");
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    for name in ["sohae-2023-08-24", "srbm-sea-of-japan"] {
        let scenario = keiho_sim::Scenario::by_name(name).expect("scenario");
        let sim = keiho_sim::simulate(&scenario, 1).expect("simulate");
        let reports: Vec<_> = sim
            .reports
            .iter()
            .map(|r| (r.clone(), serde_json::to_string(r).expect("json")))
            .collect();
        group.bench_function(name, |b| {
            b.iter(|| {
                let store = SqliteStore::in_memory().expect("store");
                let config = PipelineConfig::japan("keiho.bench", Status::Exercise);
                let mut p = Pipeline::new(config, regions, store);
                replay(&mut p, &reports, |_| {}, |_| {}).expect("replay")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
