//! Hazard assessment on the bundled regions: real geography, stated margins.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, Utc};
use keiho_alert::assess::{AssessConfig, Ellipse, ObjectHazard, assess, ellipse_probability};
use keiho_alert::policy::RiskKind;
use keiho_geo::RegionSet;
use keiho_types::{CountryCode, GeoPoint};

fn pt(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).unwrap()
}

fn at(s: i64) -> DateTime<Utc> {
    "2023-08-23T18:50:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s)
}

fn track(points: &[(f64, f64)]) -> Vec<(GeoPoint, DateTime<Utc>)> {
    points
        .iter()
        .enumerate()
        .map(|(i, &(la, lo))| (pt(la, lo), at(60 * i as i64)))
        .collect()
}

#[test]
fn a_track_over_okinawa_island_alerts_okinawa_with_the_time_it_arrives() {
    let regions = RegionSet::bundled().unwrap();
    let o = ObjectHazard {
        object: "T1".into(),
        ground_track: track(&[(30.0, 127.0), (28.0, 127.5), (26.5, 127.9), (24.0, 128.5)]),
        ..Default::default()
    };
    let areas = assess(&[o], regions, &AssessConfig::default()).unwrap();
    let codes: Vec<_> = areas.iter().map(|a| a.code.as_str()).collect();
    assert!(codes.contains(&"JP-47"), "{codes:?}");
    let okinawa = areas.iter().find(|a| a.code == "JP-47").unwrap();
    assert_eq!(okinawa.kind, RiskKind::Overflight);
    // The track reaches Okinawa prefecture's waters' islands in its second segment
    // (28.0N) at the latest: not before the first sample, not after the third.
    assert!(
        okinawa.expected_at.unwrap() <= at(120),
        "{:?}",
        okinawa.expected_at
    );
}

#[test]
fn a_narrow_strip_through_the_okinawa_miyako_gap_alerts_nothing_but_a_wide_one_does() {
    let regions = RegionSet::bundled().unwrap();
    let o = ObjectHazard {
        object: "T1".into(),
        ground_track: track(&[(27.5, 126.0), (25.5, 126.3), (22.0, 127.0)]),
        ..Default::default()
    };
    let narrow = AssessConfig {
        overflight_half_width_km: 30.0,
        ..AssessConfig::default()
    };
    assert!(
        assess(std::slice::from_ref(&o), regions, &narrow)
            .unwrap()
            .is_empty()
    );
    let wide = AssessConfig {
        overflight_half_width_km: 160.0,
        ..AssessConfig::default()
    };
    let areas = assess(&[o], regions, &wide).unwrap();
    assert_eq!(
        areas.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        vec!["JP-47"]
    );
}

#[test]
fn impact_probability_is_the_share_of_samples_in_the_region() {
    let regions = RegionSet::bundled().unwrap();
    // 3 of 4 samples on Okinawa Island (Naha, Nago, Okinawa City), one at sea.
    let samples = vec![
        pt(26.2124, 127.6809),
        pt(26.5916, 127.9774),
        pt(26.3344, 127.8056),
        pt(25.5, 126.3),
    ];
    let o = ObjectHazard {
        object: "T1".into(),
        impact_samples: samples,
        impact_at: Some(at(900)),
        ..Default::default()
    };
    let areas = assess(&[o], regions, &AssessConfig::default()).unwrap();
    assert_eq!(areas.len(), 1);
    assert_eq!(areas[0].kind, RiskKind::Impact);
    assert!((areas[0].probability - 0.75).abs() < 1e-12);
    assert_eq!(areas[0].expected_at, Some(at(900)));
}

#[test]
fn an_ellipse_reaching_land_counts_even_without_samples_there() {
    let regions = RegionSet::bundled().unwrap();
    let e = Ellipse {
        centre: pt(25.5, 126.3),
        semi_major_km: 130.0,
        semi_minor_km: 10.0,
        orientation_deg: 55.0,
    };
    let o = ObjectHazard {
        object: "T1".into(),
        impact_ellipse: Some(e),
        ..Default::default()
    };
    let cfg = AssessConfig {
        impact_margin_km: 0.0,
        ..AssessConfig::default()
    };
    let areas = assess(&[o], regions, &cfg).unwrap();
    assert_eq!(areas.len(), 1);
    assert_eq!(
        (areas[0].code.as_str(), areas[0].kind),
        ("JP-47", RiskKind::Impact)
    );
    // 130 x 10 km: about 4,100 km², twice the reference area, so half the base.
    let expected = ellipse_probability(&e, cfg.ellipse_only_probability);
    assert!(
        (expected - cfg.ellipse_only_probability * 2000.0 / (std::f64::consts::PI * 1300.0)).abs()
            < 1e-12
    );
    assert!((areas[0].probability - expected).abs() < 1e-12);
}

#[test]
fn the_union_over_objects_keeps_the_strongest_kind_and_the_jurisdiction_filters() {
    let regions = RegionSet::bundled().unwrap();
    let over_korea = ObjectHazard {
        object: "STAGE1".into(),
        ground_track: track(&[(37.6, 126.0), (37.5, 128.5)]),
        ..Default::default()
    };
    let on_naha = ObjectHazard {
        object: "T1".into(),
        impact_samples: vec![pt(26.2124, 127.6809)],
        ground_track: track(&[(27.0, 127.5), (26.0, 127.7)]),
        ..Default::default()
    };
    let japan = assess(
        &[over_korea.clone(), on_naha.clone()],
        regions,
        &AssessConfig {
            overflight_half_width_km: 30.0,
            ..AssessConfig::default()
        },
    )
    .unwrap();
    assert_eq!(
        japan
            .iter()
            .map(|a| (a.code.as_str(), a.kind))
            .collect::<Vec<_>>(),
        vec![("JP-47", RiskKind::Impact)]
    );
    let cfg = AssessConfig {
        jurisdiction: vec![
            CountryCode::parse("JP").unwrap(),
            CountryCode::parse("KR").unwrap(),
        ],
        overflight_half_width_km: 30.0,
        ..AssessConfig::default()
    };
    let both = assess(&[over_korea, on_naha], regions, &cfg).unwrap();
    assert!(
        both.iter()
            .any(|a| a.code == "KR-11" && a.kind == RiskKind::Overflight),
        "{both:?}"
    );
}

#[test]
fn neighbours_are_added_only_when_configured_and_only_land_neighbours() {
    let regions = RegionSet::bundled().unwrap();
    // An expected impact in Tokyo's 23 wards (Shinjuku).
    let o = ObjectHazard {
        object: "T1".into(),
        impact_samples: vec![pt(35.6895, 139.6917)],
        ..Default::default()
    };
    let plain = assess(std::slice::from_ref(&o), regions, &AssessConfig::default()).unwrap();
    assert_eq!(
        plain.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        vec!["JP-13"]
    );
    let cfg = AssessConfig {
        alert_neighbours: true,
        ..AssessConfig::default()
    };
    let with = assess(&[o], regions, &cfg).unwrap();
    let neighbours: Vec<&str> = with
        .iter()
        .filter(|a| a.kind == RiskKind::Neighbour)
        .map(|a| a.code.as_str())
        .collect();
    // Tokyo borders Saitama (JP-11), Chiba (JP-12), Kanagawa (JP-14) and Yamanashi (JP-19).
    assert_eq!(neighbours, vec!["JP-11", "JP-12", "JP-14", "JP-19"]);
    assert!(
        with.iter().all(|a| a.probability == 1.0),
        "neighbours carry the source's probability"
    );
    // Okinawa has no land neighbour.
    let naha = ObjectHazard {
        object: "T2".into(),
        impact_samples: vec![pt(26.2124, 127.6809)],
        ..Default::default()
    };
    assert_eq!(assess(&[naha], regions, &cfg).unwrap().len(), 1);
}
