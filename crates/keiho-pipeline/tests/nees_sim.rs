//! Filter consistency on the scenario simulator (issue 3): the normalised estimation
//! error squared (NEES) of the tracker's position and velocity on the IRBM scenario,
//! over Monte Carlo runs (sensor-noise seeds), must sit inside its chi-square bounds.
//!
//! At fixed times of the coast (every 20 s from 90 s after burnout until the object
//! drops below 200 km) each run's NEES (6 dof) is computed against the truth,
//! propagated from the nearest earlier truth sample to the exact report time. The
//! average over N runs is chi-square with 6N dof divided by N when the filter is
//! consistent; its two-sided 95% interval for N = 20 is [4.58, 7.61]
//! (scipy.stats.chi2.ppf([0.025, 0.975], 120) / 20 = [4.579, 7.611]). The test requires
//! the average over all times inside that interval and at least 80% of the times
//! inside it (5% of times may fall outside by chance, and neighbouring times are
//! correlated).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use keiho_flight::{ForceModel, StateEcef, propagate};
use keiho_sim::{EventKind, Scenario, simulate};
use keiho_track::{PredictOptions, Tracker};
use nalgebra::{Matrix6, Vector3, Vector6};

const RUNS: u64 = 20;
const LOWER: f64 = 4.579;
const UPPER: f64 = 7.611;

#[test]
fn nees_of_the_irbm_coast_is_inside_its_chi_square_bounds() {
    let scenario = Scenario::by_name("irbm-2022-10-04").unwrap();
    let options = PredictOptions {
        samples: 0,
        debris_samples: 0,
        ..PredictOptions::default()
    };
    let mut per_time: Vec<Vec<f64>> = Vec::new();
    for seed in 1..=RUNS {
        let sim = simulate(&scenario, seed).unwrap();
        let object = "IRBM-2022-10-04/OBJ";
        let burnout = sim
            .events
            .iter()
            .filter(|e| e.object == object && e.kind == EventKind::Burnout)
            .map(|e| e.t)
            .max()
            .unwrap();
        let truth = sim.track(object);
        let low = truth
            .iter()
            .find(|s| {
                s.t > burnout
                    && s.alt_m < 200_000.0
                    && s.v_ecef_mps[0] * s.r_ecef_m[0]
                        + s.v_ecef_mps[1] * s.r_ecef_m[1]
                        + s.v_ecef_mps[2] * s.r_ecef_m[2]
                        < 0.0
            })
            .unwrap()
            .t;
        let targets: Vec<_> = (0..)
            .map(|k| burnout + chrono::Duration::seconds(90 + 20 * k))
            .take_while(|t| *t < low)
            .collect();
        let mut tracker = Tracker::new(options.tracker);
        let mut k = 0;
        let mut values = Vec::new();
        for r in &sim.reports {
            let _ = tracker.ingest(r);
            if k >= targets.len() || r.object != object || r.t < targets[k] {
                continue;
            }
            k += 1;
            let p = tracker.predict(object, r.t, &options).unwrap();
            let before = truth.iter().rev().find(|s| s.t <= r.t).unwrap();
            let dt = (r.t - before.t).num_microseconds().unwrap() as f64 / 1e6;
            let s0 = StateEcef {
                r_m: Vector3::from(before.r_ecef_m),
                v_mps: Vector3::from(before.v_ecef_mps),
            };
            let s = propagate(
                &s0,
                &ForceModel {
                    j2: true,
                    beta_kg_m2: None,
                    thrust: None,
                },
                dt,
            )
            .unwrap();
            let est = Vector6::new(
                p.state.r_ecef_m[0],
                p.state.r_ecef_m[1],
                p.state.r_ecef_m[2],
                p.state.v_ecef_mps[0],
                p.state.v_ecef_mps[1],
                p.state.v_ecef_mps[2],
            );
            let tru = Vector6::new(s.r_m.x, s.r_m.y, s.r_m.z, s.v_mps.x, s.v_mps.y, s.v_mps.z);
            let cov = Matrix6::from_fn(|i, j| p.covariance[i][j]);
            let e = est - tru;
            values.push((e.transpose() * cov.try_inverse().unwrap() * e)[(0, 0)]);
        }
        if per_time.is_empty() {
            per_time = vec![Vec::new(); values.len()];
        }
        for (i, v) in values.into_iter().enumerate().take(per_time.len()) {
            per_time[i].push(v);
        }
    }
    let averages: Vec<f64> = per_time
        .iter()
        .filter(|v| v.len() as u64 == RUNS)
        .map(|v| v.iter().sum::<f64>() / v.len() as f64)
        .collect();
    assert!(
        averages.len() >= 10,
        "only {} comparison times",
        averages.len()
    );
    let inside = averages
        .iter()
        .filter(|a| (LOWER..=UPPER).contains(*a))
        .count();
    let mean = averages.iter().sum::<f64>() / averages.len() as f64;
    println!(
        "ANEES over {RUNS} runs at {} times: {averages:.2?}; mean {mean:.2}; {inside} inside [{LOWER}, {UPPER}]",
        averages.len()
    );
    assert!(
        (LOWER..=UPPER).contains(&mean),
        "mean ANEES {mean:.2} outside [{LOWER}, {UPPER}]"
    );
    assert!(
        inside * 5 >= averages.len() * 4,
        "only {inside} of {} times inside the bounds",
        averages.len()
    );
}
