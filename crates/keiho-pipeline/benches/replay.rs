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
        print_per_report_percentiles(name, regions, &reports);
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

/// Per-report processing time (everything one report triggers: tracking, prediction,
/// assessment, policy, CAP, storage), as percentiles over one replay. Criterion
/// reports means; the bar is a p99.
fn print_per_report_percentiles(
    name: &str,
    regions: &'static keiho_geo::RegionSet,
    reports: &[(keiho_ingest::Report, String)],
) {
    let store = SqliteStore::in_memory().expect("store");
    let mut p = Pipeline::new(
        PipelineConfig::japan("keiho.bench", Status::Exercise),
        regions,
        store,
    );
    let mut last = std::time::Instant::now();
    let mut us: Vec<u128> = Vec::with_capacity(reports.len());
    replay(
        &mut p,
        reports,
        |_| {},
        |_| {
            us.push(last.elapsed().as_micros());
            last = std::time::Instant::now();
        },
    )
    .expect("replay");
    us.sort_unstable();
    let q = |f: f64| us[((us.len() - 1) as f64 * f) as usize];
    println!(
        "replay/{name}: per-report processing over {} reports: p50 {} us, p99 {} us, p99.9 {} us, max {} us",
        us.len(),
        q(0.5),
        q(0.99),
        q(0.999),
        us.last().copied().unwrap_or(0)
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
