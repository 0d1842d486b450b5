//! Issue 4's acceptance on the simulator's five scenarios, replayed through the whole
//! pipeline with a simulated clock. The three Sohae launches are run with the launch
//! notice Japan had for each (a NAVAREA XI warning of a satellite launch from Sohae),
//! the two missiles without one.
//!
//! "The first report that fixes the direction of flight" is taken as the first report
//! placing the main object 50 km or more from the launch site: from there its heading
//! is known to a few degrees with kilometre-level sensor errors.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

#[path = "../../keiho-alert/tests/support/cap_out.rs"]
mod cap_out;
use cap_out::write_for_xmllint;

use chrono::{DateTime, Duration, Utc};
use keiho_alert::cap::{self, Status};
use keiho_geo::RegionSet;
use keiho_ingest::Measurement;
use keiho_pipeline::journal;
use keiho_pipeline::{IssuedAlert, LaunchNotice, Pipeline, PipelineConfig, replay};
use keiho_sim::{EventKind, Scenario, Simulation, simulate};
use keiho_store::{AlertLog, JournalEntry, SqliteStore};
use keiho_types::GeoPoint;
use std::collections::BTreeSet;

const SOHAE: (f64, f64) = (39.660, 124.705);

fn run(name: &str) -> (Simulation, Vec<IssuedAlert>, Vec<JournalEntry>) {
    let sim = simulate(&Scenario::by_name(name).unwrap(), 1).unwrap();
    let mut config = PipelineConfig::japan("keiho.test", Status::Exercise);
    if name.starts_with("sohae") {
        config.notices.push(LaunchNotice {
            site: GeoPoint::new(SOHAE.0, SOHAE.1).unwrap(),
            radius_km: 50.0,
            from: sim.launch - Duration::hours(12),
            to: sim.launch + Duration::hours(12),
            max_burn_s: 720.0,
        });
    }
    let regions = RegionSet::bundled().unwrap();
    let mut p = Pipeline::new(config, regions, SqliteStore::in_memory().unwrap());
    let reports: Vec<_> = sim
        .reports
        .iter()
        .map(|r| (r.clone(), serde_json::to_string(r).unwrap()))
        .collect();
    let alerts = replay(&mut p, &reports, |_| {}, |_| {}).unwrap();
    for (i, a) in alerts.iter().enumerate() {
        assert_eq!(cap::validate(&a.stored.xml), vec![], "{name} message {i}");
        write_for_xmllint(&format!("replay-{name}-{i}"), &a.stored.xml);
    }
    let journal = alerts
        .first()
        .map(|a| p.store().journal(&a.stored.event_id).unwrap())
        .unwrap_or_default();
    (sim, alerts, journal)
}

fn sent(a: &IssuedAlert) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&a.stored.sent)
        .unwrap()
        .with_timezone(&Utc)
}

fn direction_fixed_at(sim: &Simulation, main: &str) -> DateTime<Utc> {
    let pad = GeoPoint::new(SOHAE.0, SOHAE.1).unwrap();
    sim.reports
        .iter()
        .filter(|r| r.object == main)
        .find(|r| {
            let g = match &r.measurement {
                Measurement::Position(p) => GeoPoint::new(p.lat_deg, p.lon_deg).ok(),
                Measurement::Radar(m) => {
                    let g = m.target_geodetic();
                    GeoPoint::new(g.lat_deg, g.lon_deg).ok()
                }
                Measurement::Launch(_) => None,
            };
            g.is_some_and(|g| keiho_geo::geodesy::distance_km(pad, g) >= 50.0)
        })
        .map(|r| r.t)
        .unwrap()
}

#[test]
fn sohae_2023_08_24_alerts_okinawa_says_it_passed_and_lifts() {
    let (sim, alerts, journal) = run("sohae-2023-08-24");
    let fixed = direction_fixed_at(&sim, "SOHAE-2023-08-24/PAYLOAD");
    let first = alerts
        .iter()
        .find(|a| a.stored.regions.contains(&"JP-47".to_owned()))
        .expect("Okinawa alerted");
    assert!(
        sent(first) <= fixed + Duration::seconds(30),
        "Okinawa alerted at {} but the direction was fixed at {fixed}",
        first.stored.sent
    );
    assert!(
        alerts
            .iter()
            .any(|a| a.stored.stage == "PassedOver"
                && a.stored.regions.contains(&"JP-47".to_owned())),
        "no 'passed over' message"
    );
    let last_impact = sim.impacts().iter().map(|e| e.t).max().unwrap();
    let all_clear = alerts
        .iter()
        .find(|a| a.stored.stage == "AllClear")
        .expect("an all-clear");
    assert!(
        sent(all_clear) <= last_impact + Duration::seconds(60),
        "lifted at {}, debris down at {last_impact}",
        all_clear.stored.sent
    );
    // The journal holds what the dashboard and the after-action report need.
    let kinds = |k: &str| journal.iter().filter(|e| e.kind == k).count();
    assert!(kinds(journal::PREDICTION) > 100, "predictions journaled");
    let notes: Vec<journal::NoteBody> = journal
        .iter()
        .filter(|e| e.kind == journal::NOTE)
        .map(|e| journal::parse(e).unwrap())
        .collect();
    assert!(
        notes.iter().any(|n| n.detail == "boost -> coast"),
        "burnout noted: {notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.note == "new_object_nearby"),
        "staging noted"
    );
    let okinawa_assessed = journal
        .iter()
        .filter(|e| e.kind == journal::ASSESSMENT)
        .map(|e| journal::parse::<journal::AssessmentBody>(e).unwrap())
        .any(|a| a.areas.iter().any(|r| r.code == "JP-47"));
    assert!(okinawa_assessed, "an assessment put Okinawa at risk");
    assert_eq!(kinds(journal::OUTCOME), 1, "one outcome");
    assert!(
        journal.windows(2).all(|w| w[0].t <= w[1].t),
        "journal in time order"
    );
    println!(
        "direction fixed {fixed}; first alert {}; all clear {}; last debris {last_impact}",
        first.stored.sent, all_clear.stored.sent
    );
}

#[test]
fn srbm_into_the_sea_of_japan_alerts_no_japanese_region() {
    let (_, alerts, _) = run("srbm-sea-of-japan");
    assert!(
        alerts.is_empty(),
        "{:?}",
        alerts
            .iter()
            .map(|a| (&a.stored.stage, &a.stored.regions))
            .collect::<Vec<_>>()
    );
}

#[test]
fn sohae_2023_05_31_withdraws_japanese_areas_within_60_s_of_the_failure() {
    let (sim, alerts, _) = run("sohae-2023-05-31");
    let failure = sim
        .events
        .iter()
        .find(|e| e.kind == EventKind::Breakup)
        .expect("a break-up")
        .t;
    let alerted: BTreeSet<String> = alerts
        .iter()
        .flat_map(|a| a.stored.regions.clone())
        .collect();
    for code in &alerted {
        let lifted = alerts
            .iter()
            .find(|a| a.stored.lifted.contains(code))
            .unwrap_or_else(|| panic!("{code} never lifted"));
        assert!(
            sent(lifted) <= failure + Duration::seconds(60),
            "{code} lifted at {}, failure at {failure}",
            lifted.stored.sent
        );
        assert_eq!(
            lifted.stored.stage, "Correction",
            "a withdrawal goes out as a correction"
        );
    }
    // The correction that leaves nothing alerted withdraws the earlier messages
    // outright: a Cancel that names them.
    let last_lift = alerts
        .iter()
        .rev()
        .find(|a| !a.stored.lifted.is_empty())
        .expect("a withdrawal");
    assert!(last_lift.stored.regions.is_empty());
    assert_eq!(last_lift.stored.msg_type, "Cancel");
    assert!(last_lift.stored.references.is_some());
}

/// Every scenario but 31 May 2023. There the two rules of issue 4 conflict: a
/// notified satellite launch heading south is alerted for Okinawa before its second
/// stage fails at T+158 s (as Japan did on the day), and the failed flight never comes
/// within 500 km of Okinawa. That scenario is held to the other rule instead: the
/// area is withdrawn by correction within 60 s of the failure
/// (`sohae_2023_05_31_withdraws_japanese_areas_within_60_s_of_the_failure`).
#[test]
fn no_scenario_alerts_a_region_more_than_500_km_from_the_truth() {
    let regions = RegionSet::bundled().unwrap();
    for name in Scenario::names()
        .iter()
        .filter(|n| **n != "sohae-2023-05-31")
    {
        let (sim, alerts, _) = run(name);
        let alerted: BTreeSet<String> = alerts
            .iter()
            .flat_map(|a| a.stored.regions.clone())
            .collect();
        if alerted.is_empty() {
            continue;
        }
        // Regions within 500 km of the true ground track or the true IIP trace.
        let mut near = BTreeSet::new();
        for s in sim.truth.iter().step_by(10) {
            let mut points = vec![GeoPoint::wrapping(s.lat_deg, s.lon_deg).unwrap()];
            if let Ok(iip) = keiho_flight::iip_vacuum(&vector(s.r_ecef_m), &vector(s.v_ecef_mps)) {
                points.push(GeoPoint::wrapping(iip.lat_deg, iip.lon_deg).unwrap());
            }
            for p in points {
                for n in regions.near(p, 500.0) {
                    near.insert(regions.region(n.region).code.to_string());
                }
            }
        }
        let far: Vec<_> = alerted.difference(&near).collect();
        assert!(
            far.is_empty(),
            "{name}: alerted {far:?}, more than 500 km from the truth"
        );
    }
}

fn vector(v: [f64; 3]) -> nalgebra::Vector3<f64> {
    nalgebra::Vector3::new(v[0], v[1], v[2])
}
