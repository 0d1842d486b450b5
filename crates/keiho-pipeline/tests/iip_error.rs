//! IIP error against the simulator's truth, per scenario and over each flight (issue
//! 3's quality bar). For every object that reaches the ground, every 30 s of its
//! flight, the tracker's current vacuum IIP is compared with where the object really
//! fell. The table is printed and written to `target/iip-error.md`.
//!
//! Tolerance: once an object has been coasting for 60 s and is above 100 km, its
//! *vacuum* IIP is within 75 km of the true impact. The error is dominated by drag,
//! which the vacuum IIP ignores and whose ballistic coefficient the tracker does not
//! know: light fragments (beta ~100 kg/m²) fall up to ~60 km short of their vacuum
//! IIP in these scenarios (measured worst: 59.5 km over 213 checks); dense stages land
//! within a few km. The published footprint (Monte Carlo over beta 300-10,000) is what
//! covers that spread. Boost-phase errors are reported, not bounded: the IIP of a
//! powered vehicle moves by design.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use keiho_sim::{Phase, Scenario, simulate};
use keiho_track::{PredictOptions, Tracker};
use keiho_types::GeoPoint;
use std::fmt::Write as _;

const COAST_SETTLE_S: f64 = 60.0;
const COAST_TOLERANCE_KM: f64 = 75.0;

#[test]
fn iip_error_over_each_flight() {
    let mut table = String::from(
        "| scenario | object | t after launch (s) | truth phase | alt (km) | IIP error (km) |\n|---|---|---|---|---|---|\n",
    );
    let options = PredictOptions {
        samples: 0,
        debris_samples: 0,
        ..PredictOptions::default()
    };
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    for name in Scenario::names() {
        let sim = simulate(&Scenario::by_name(name).unwrap(), 1).unwrap();
        let impacts = sim.impacts();
        let mut tracker = Tracker::new(options.tracker);
        let mut next_check = sim.launch;
        for r in &sim.reports {
            let _ = tracker.ingest(r);
            if r.t < next_check {
                continue;
            }
            next_check = r.t + chrono::Duration::seconds(30);
            for imp in &impacts {
                let Ok(p) = tracker.predict(&imp.object, r.t, &options) else {
                    continue;
                };
                let Some(iip) = p.iip else { continue };
                if r.t >= imp.t {
                    continue;
                }
                let track = sim.track(&imp.object);
                let Some(truth_now) = track
                    .iter()
                    .min_by_key(|s| (s.t - r.t).num_milliseconds().abs())
                else {
                    continue;
                };
                // How long the truth has been unpowered.
                let coasting_s = track
                    .iter()
                    .rev()
                    .filter(|s| s.t <= r.t)
                    .take_while(|s| s.phase != Phase::Boost)
                    .count() as f64;
                let err_km = keiho_geo::geodesy::distance_km(
                    GeoPoint::wrapping(iip.lat_deg, iip.lon_deg).unwrap(),
                    GeoPoint::new(imp.lat_deg, imp.lon_deg).unwrap(),
                );
                let t_s = (r.t - sim.launch).num_milliseconds() as f64 / 1000.0;
                writeln!(
                    table,
                    "| {name} | {} | {t_s:.0} | {:?} | {:.0} | {err_km:.1} |",
                    imp.object.rsplit('/').next().unwrap_or(""),
                    truth_now.phase,
                    truth_now.alt_m / 1000.0
                )
                .unwrap();
                if coasting_s >= COAST_SETTLE_S && truth_now.alt_m > 100_000.0 {
                    checked += 1;
                    worst = worst.max(err_km);
                    assert!(
                        err_km < COAST_TOLERANCE_KM,
                        "{name} {} at T+{t_s:.0}s: vacuum IIP {err_km:.1} km from the true impact",
                        imp.object
                    );
                }
            }
        }
    }
    println!("{table}");
    println!("coast checks: {checked}, worst {worst:.1} km");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/iip-error.md");
    std::fs::write(out, &table).unwrap();
    assert!(
        checked >= 20,
        "only {checked} coast checks: the table is too thin to mean anything"
    );
}
