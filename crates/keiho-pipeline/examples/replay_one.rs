//! Replays one simulated scenario through the pipeline (for profiling):
//! `cargo run --release -p keiho-pipeline --example replay_one -- sohae-2023-08-24`.

use keiho_alert::cap::Status;
use keiho_pipeline::{Pipeline, PipelineConfig, replay};
use keiho_store::SqliteStore;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sohae-2023-08-24".into());
    let sim = keiho_sim::simulate(&keiho_sim::Scenario::by_name(&name)?, 1)?;
    let reports: Vec<_> = sim
        .reports
        .iter()
        .map(|r| Ok((r.clone(), serde_json::to_string(r)?)))
        .collect::<Result<_, serde_json::Error>>()?;
    let mut p = Pipeline::new(
        PipelineConfig::japan("keiho.profile", Status::Exercise),
        keiho_geo::RegionSet::bundled()?,
        SqliteStore::in_memory()?,
    );
    let t0 = std::time::Instant::now();
    let alerts = replay(&mut p, &reports, |_| {}, |_| {})?;
    println!(
        "{name}: {} reports, {} alerts, {:?}",
        reports.len(),
        alerts.len(),
        t0.elapsed()
    );
    Ok(())
}
