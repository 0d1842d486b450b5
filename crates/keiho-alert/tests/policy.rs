//! The alert policy on hand-made assessment sequences: each rule of issue 4 pinned.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, Utc};
use keiho_alert::policy::{
    AreaRisk, Assessment, EventPolicy, Outcome, Phase, PolicyConfig, RiskKind, Stage,
};

fn t0() -> DateTime<Utc> {
    "2023-08-23T18:50:00Z".parse().unwrap()
}

fn at(s: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(s)
}

fn risk(code: &str, kind: RiskKind) -> AreaRisk {
    AreaRisk {
        code: code.into(),
        kind,
        probability: 0.5,
        expected_at: Some(at(600)),
    }
}

fn assess(s: i64, reports: u32, areas: Vec<AreaRisk>) -> Assessment {
    Assessment {
        at: at(s),
        launch_at: Some(t0()),
        launched_from: "North Korea".into(),
        consistent_reports: reports,
        sensors: 2,
        areas,
        outcome: None,
    }
}

fn stages(d: &[keiho_alert::policy::Decision]) -> Vec<Stage> {
    d.iter().map(|d| d.stage).collect()
}

#[test]
fn no_evidence_no_alert_but_pending() {
    let mut p = EventPolicy::new(PolicyConfig::default());
    assert!(
        p.update(&assess(20, 1, vec![risk("JP-47", RiskKind::Overflight)]))
            .is_empty()
    );
    assert_eq!(p.phase(), Phase::Pending);
    let d = p.update(&assess(25, 3, vec![risk("JP-47", RiskKind::Overflight)]));
    assert_eq!(stages(&d), vec![Stage::TakeShelter]);
    assert_eq!(d[0].areas[0].code, "JP-47");
    assert_eq!(p.phase(), Phase::Sheltering);
}

#[test]
fn the_full_overflight_sequence_ends_with_an_all_clear_within_60_s() {
    let mut p = EventPolicy::new(PolicyConfig::default());
    p.update(&assess(30, 5, vec![risk("JP-47", RiskKind::Overflight)]));
    let mut passed = assess(700, 50, vec![]);
    passed.outcome = Some(Outcome::PassedOver {
        codes: vec!["JP-47".into()],
        at: at(600),
        toward: "the Pacific Ocean".into(),
    });
    assert_eq!(stages(&p.update(&passed)), vec![Stage::PassedOver]);
    assert!(
        p.tick(at(710)).is_empty(),
        "all-clear waits for the configured delay"
    );
    let d = p.tick(at(730));
    assert_eq!(stages(&d), vec![Stage::AllClear]);
    assert_eq!(d[0].lifted, vec!["JP-47"]);
    assert_eq!(p.phase(), Phase::Closed);
    assert!(
        p.update(&assess(740, 60, vec![risk("JP-47", RiskKind::Overflight)]))
            .is_empty(),
        "a closed event stays closed"
    );
}

#[test]
fn adding_is_immediate_and_withdrawing_waits_for_confirmation() {
    let cfg = PolicyConfig {
        withdraw_confirm_s: 20.0,
        ..PolicyConfig::default()
    };
    let mut p = EventPolicy::new(cfg);
    p.update(&assess(30, 5, vec![risk("JP-47", RiskKind::Overflight)]));
    let d = p.update(&assess(
        31,
        6,
        vec![
            risk("JP-47", RiskKind::Overflight),
            risk("JP-46", RiskKind::Overflight),
        ],
    ));
    assert_eq!(
        stages(&d),
        vec![Stage::TakeShelter],
        "a new area goes out at once"
    );
    assert_eq!(p.alerted_codes(), vec!["JP-46", "JP-47"]);
    // JP-46 drops out of the prediction: not withdrawn until 20 s of exclusion.
    assert!(
        p.update(&assess(32, 7, vec![risk("JP-47", RiskKind::Overflight)]))
            .is_empty()
    );
    assert!(
        p.update(&assess(45, 8, vec![risk("JP-47", RiskKind::Overflight)]))
            .is_empty()
    );
    let d = p.update(&assess(52, 9, vec![risk("JP-47", RiskKind::Overflight)]));
    assert_eq!(stages(&d), vec![Stage::Correction]);
    assert_eq!(d[0].lifted, vec!["JP-46"]);
    assert!(d[0].cause.starts_with("correction:"));
}

#[test]
fn an_area_that_comes_back_before_confirmation_is_not_withdrawn() {
    let mut p = EventPolicy::new(PolicyConfig::default());
    p.update(&assess(30, 5, vec![risk("JP-47", RiskKind::Overflight)]));
    assert!(p.update(&assess(35, 6, vec![])).is_empty());
    assert!(
        p.update(&assess(40, 7, vec![risk("JP-47", RiskKind::Overflight)]))
            .is_empty()
    );
    assert!(
        p.update(&assess(60, 8, vec![risk("JP-47", RiskKind::Overflight)]))
            .is_empty()
    );
    assert_eq!(p.alerted_codes(), vec!["JP-47"]);
}

#[test]
fn no_flapping_without_a_cause_but_an_impact_prediction_overrides() {
    let mut p = EventPolicy::new(PolicyConfig::default());
    p.update(&assess(
        30,
        5,
        vec![
            risk("JP-47", RiskKind::Overflight),
            risk("JP-46", RiskKind::Overflight),
        ],
    ));
    p.update(&assess(31, 6, vec![risk("JP-47", RiskKind::Overflight)]));
    assert_eq!(
        stages(&p.update(&assess(60, 7, vec![risk("JP-47", RiskKind::Overflight)]))),
        vec![Stage::Correction]
    );
    // Overflight of JP-46 predicted again within the hold: not re-alerted.
    assert!(
        p.update(&assess(
            90,
            8,
            vec![
                risk("JP-47", RiskKind::Overflight),
                risk("JP-46", RiskKind::Overflight)
            ]
        ))
        .is_empty()
    );
    // An impact predicted in JP-46 is a cause that says so: alerted again, and announced.
    let d = p.update(&assess(
        95,
        9,
        vec![
            risk("JP-47", RiskKind::Overflight),
            risk("JP-46", RiskKind::Impact),
        ],
    ));
    assert_eq!(stages(&d), vec![Stage::TakeShelter, Stage::ImpactExpected]);
}

#[test]
fn withdrawing_every_area_lifts_them_and_keeps_the_event_open_until_its_end() {
    // The 31 May 2023 shape: alerted, then the failure takes every area out.
    let mut p = EventPolicy::new(PolicyConfig::default());
    p.update(&assess(180, 5, vec![risk("JP-47", RiskKind::Overflight)]));
    assert!(p.update(&assess(300, 6, vec![])).is_empty());
    let d = p.update(&assess(321, 7, vec![]));
    assert_eq!(stages(&d), vec![Stage::Correction]);
    assert_eq!(d[0].lifted, vec!["JP-47"]);
    assert_eq!(
        p.phase(),
        Phase::Pending,
        "the event is not over: pieces are still falling"
    );
    assert!(p.tick(at(400)).is_empty());
    // The pieces come down in the Yellow Sea: nothing is alerted, so nothing more is said.
    let mut end = assess(500, 9, vec![]);
    end.outcome = Some(Outcome::FellIntoSea {
        lat_deg: 36.0,
        lon_deg: 123.9,
        at: at(490),
        inside_territorial_sea: false,
        nearest_km: 700.0,
    });
    assert!(p.update(&end).is_empty());
    assert_eq!(p.phase(), Phase::Closed);
}

#[test]
fn an_event_that_never_threatened_the_jurisdiction_issues_nothing() {
    let mut p = EventPolicy::new(PolicyConfig::default());
    for s in (20..400).step_by(10) {
        assert!(p.update(&assess(s, 50, vec![])).is_empty());
    }
    let mut end = assess(400, 60, vec![]);
    end.outcome = Some(Outcome::FellIntoSea {
        lat_deg: 40.0,
        lon_deg: 132.0,
        at: at(400),
        inside_territorial_sea: false,
        nearest_km: 350.0,
    });
    assert!(p.update(&end).is_empty());
    assert!(p.tick(at(500)).is_empty());
    assert_eq!(p.phase(), Phase::Closed);
    assert!(p.decisions().is_empty());
}
