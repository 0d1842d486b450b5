//! CCSDS TDM input: the two-radar fixture against its generating trajectory, and each
//! TDM-specific rejection.

use super::{time, validator};
use approx::assert_abs_diff_eq;
use keiho_ingest::{DEFAULT_TDM_SIGMA, Measurement, Report, SiteGeodetic, TdmContext};
use std::collections::HashMap;

const FIXTURE: &str = include_str!("../fixtures/two_radars.tdm");

/// Truth behind the fixture (written by the script that generated it): sensor, time,
/// and the target's geodetic latitude, longitude (degrees) and altitude (m).
const TRUTH: [(&str, &str, f64, f64, f64); 8] = [
    (
        "KEIHO-RDR-OKI",
        "2023-08-23T18:53:00.000Z",
        27.900,
        125.100,
        330_000.0,
    ),
    (
        "KEIHO-RDR-OKI",
        "2023-08-23T18:53:02.000Z",
        27.792,
        125.108,
        333_000.0,
    ),
    (
        "KEIHO-RDR-OKI",
        "2023-08-23T18:53:04.000Z",
        27.684,
        125.116,
        336_000.0,
    ),
    (
        "KEIHO-RDR-OKI",
        "2023-08-23T18:53:06.000Z",
        27.576,
        125.124,
        339_000.0,
    ),
    (
        "KEIHO-RDR-OKI",
        "2023-08-23T18:53:08.000Z",
        27.468,
        125.132,
        342_000.0,
    ),
    (
        "KEIHO-RDR-MYK",
        "2023-08-23T18:53:01.500Z",
        27.819,
        125.106,
        332_250.0,
    ),
    (
        "KEIHO-RDR-MYK",
        "2023-08-23T18:53:03.500Z",
        27.711,
        125.114,
        335_250.0,
    ),
    (
        "KEIHO-RDR-MYK",
        "2023-08-23T18:53:05.500Z",
        27.603,
        125.122,
        338_250.0,
    ),
];

const MIYAKO: SiteGeodetic = SiteGeodetic {
    lat_deg: 24.805,
    lon_deg: 125.281,
    alt_m: 60.0,
};

fn context() -> TdmContext {
    TdmContext {
        sites: HashMap::from([("KEIHO-RDR-MYK".to_owned(), MIYAKO)]),
        object_from_participant: HashMap::from([("DPRK-2023-08-23A".to_owned(), "T1".to_owned())]),
        ..TdmContext::default()
    }
}

#[test]
fn fixture_gives_the_generating_trajectory() {
    let results = validator().parse_tdm(FIXTURE, &context());
    let reports: Vec<Report> = results.into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(reports.len(), TRUTH.len());
    for (r, (sensor, t, lat, lon, alt)) in reports.iter().zip(TRUTH) {
        assert_eq!(r.sensor, sensor);
        assert_eq!(r.object, "T1", "renamed through object_from_participant");
        assert_eq!(r.t, time(t));
        let Measurement::Radar(m) = &r.measurement else {
            panic!("not radar")
        };
        assert_eq!(m.sigma, DEFAULT_TDM_SIGMA);
        assert!(
            (0.0..360.0).contains(&m.az_deg),
            "TDM azimuth wrapped: {}",
            m.az_deg
        );
        // Values are written to 1 mm (range) and 1e-8 deg (angles, 6 cm at 460 km);
        // 1e-5 deg is about 1 m, and 1 m in altitude.
        let g = r.position_geodetic().unwrap();
        assert_abs_diff_eq!(g.lat_deg, lat, epsilon = 1e-5);
        assert_abs_diff_eq!(g.lon_deg, lon, epsilon = 1e-5);
        assert_abs_diff_eq!(g.alt_m, alt, epsilon = 1.0);
    }
    // Miyako's azimuths are written negative in the fixture.
    assert!(FIXTURE.contains("ANGLE_1 = 2023-235T18:53:01.500 -"));
}

#[test]
fn missing_site_rejects_only_its_segment() {
    let results = validator().parse_tdm(FIXTURE, &TdmContext::default());
    assert_eq!(results.len(), 6);
    assert!(results[..5].iter().all(Result::is_ok));
    assert_eq!(
        results[5].as_ref().unwrap_err().to_string(),
        "line 50: no site position for TDM PARTICIPANT_1 \"KEIHO-RDR-MYK\": give a `COMMENT SITE lat_deg lon_deg alt_m` line in the metadata or an entry in TdmContext::sites"
    );
    assert_eq!(
        results[0].as_ref().unwrap().object,
        "DPRK-2023-08-23A",
        "unlisted names pass through"
    );
}

/// A one-segment TDM with the given metadata lines (after PARTICIPANT_2) and data.
/// Line numbers: the metadata lines start at line 7; `DATA_START` is two lines after
/// the last of them.
fn tdm(meta: &[&str], data: &[&str]) -> String {
    let mut s = String::from(
        "CCSDS_TDM_VERS = 2.0\nCREATION_DATE = 2023-08-23T18:54:00\nORIGINATOR = TEST\nMETA_START\nPARTICIPANT_1 = R1\nPARTICIPANT_2 = OBJ\n",
    );
    for m in meta {
        s += m;
        s += "\n";
    }
    s += "META_STOP\nDATA_START\n";
    for d in data {
        s += d;
        s += "\n";
    }
    s += "DATA_STOP\n";
    s
}

const GOOD_META: [&str; 5] = [
    "COMMENT SITE 26.2124 127.6809 85.0",
    "TIME_SYSTEM = UTC",
    "PATH = 1,2,1",
    "ANGLE_TYPE = AZEL",
    "RANGE_UNITS = km",
];
const GOOD_DATA: [&str; 3] = [
    "RANGE = 2023-08-23T18:53:00.000 926.373257",
    "ANGLE_1 = 2023-08-23T18:53:00.000 306.73044895",
    "ANGLE_2 = 2023-08-23T18:53:00.000 43.97639345",
];

fn messages(text: &str, ctx: &TdmContext) -> Vec<String> {
    validator()
        .parse_tdm(text, ctx)
        .into_iter()
        .map(|r| match r {
            Ok(r) => format!("ok {}", r.t),
            Err(e) => e.to_string(),
        })
        .collect()
}

fn with_meta(replace: &str, by: &str) -> String {
    let meta: Vec<&str> = GOOD_META
        .iter()
        .map(|m| if *m == replace { by } else { m })
        .collect();
    tdm(&meta, &GOOD_DATA)
}

#[test]
fn minimal_tdm_is_accepted_and_range_halved() {
    let results = validator().parse_tdm(&tdm(&GOOD_META, &GOOD_DATA), &TdmContext::default());
    let [Ok(r)] = results.as_slice() else {
        panic!("{results:?}")
    };
    let Measurement::Radar(m) = &r.measurement else {
        panic!("not radar")
    };
    assert_abs_diff_eq!(m.range_m, 463_186.628_5, epsilon = 1e-6);

    // A producer that writes one-way range on a two-way path.
    let ctx = TdmContext {
        two_way_range_is_round_trip: false,
        ..TdmContext::default()
    };
    let one_way = validator().parse_tdm(&tdm(&GOOD_META, &GOOD_DATA), &ctx);
    let Ok(Report {
        measurement: Measurement::Radar(m),
        ..
    }) = &one_way[0]
    else {
        panic!()
    };
    assert_abs_diff_eq!(m.range_m, 926_373.257, epsilon = 1e-6);
    // A one-way path is never halved.
    let one_way_path = validator().parse_tdm(
        &with_meta("PATH = 1,2,1", "PATH = 2,1"),
        &TdmContext::default(),
    );
    let Ok(Report {
        measurement: Measurement::Radar(m),
        ..
    }) = &one_way_path[0]
    else {
        panic!()
    };
    assert_abs_diff_eq!(m.range_m, 926_373.257, epsilon = 1e-6);
}

#[test]
fn each_tdm_rejection_has_a_precise_message() {
    let ctx = TdmContext::default();
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "hello\nworld".into(),
            vec!["line 1: malformed TDM: a TDM must start with `CCSDS_TDM_VERS = ...`"],
        ),
        (
            "".into(),
            vec![
                "line 1: malformed TDM: empty input: a TDM must start with `CCSDS_TDM_VERS = ...`",
            ],
        ),
        (
            tdm(&GOOD_META, &GOOD_DATA).replace("VERS = 2.0", "VERS = 3.0"),
            vec![
                "line 1: TDM CCSDS_TDM_VERS = 3.0 is not supported: only TDM versions 1.x and 2.x are known",
            ],
        ),
        (
            with_meta("TIME_SYSTEM = UTC", "TIME_SYSTEM = TAI"),
            vec![
                "line 8: TDM TIME_SYSTEM = TAI is not supported: only UTC time tags are accepted; converting TAI, GPS or TT needs a leap-second table this stage does not carry",
            ],
        ),
        (
            with_meta("TIME_SYSTEM = UTC", "COMMENT no time system"),
            vec![
                "line 12: TDM metadata has no TIME_SYSTEM: time tags cannot be placed on a time scale",
            ],
        ),
        (
            with_meta("RANGE_UNITS = km", "RANGE_UNITS = RU"),
            vec![
                "line 11: TDM RANGE_UNITS = RU is not supported: range in seconds or range units needs light-time and ranging-code metadata (RANGE_MODE, RANGE_MODULUS, turnaround ratios) to become metres; send km",
            ],
        ),
        (
            with_meta("RANGE_UNITS = km", "RANGE_UNITS = s"),
            vec![
                "line 11: TDM RANGE_UNITS = s is not supported: range in seconds or range units needs light-time and ranging-code metadata (RANGE_MODE, RANGE_MODULUS, turnaround ratios) to become metres; send km",
            ],
        ),
        (
            with_meta("ANGLE_TYPE = AZEL", "ANGLE_TYPE = RADEC"),
            vec![
                "line 10: TDM ANGLE_TYPE = RADEC is not supported: only AZEL (azimuth, elevation) angles can be placed from a ground site without an orientation model",
            ],
        ),
        (
            with_meta("PATH = 1,2,1", "COMMENT no path"),
            vec!["line 12: TDM metadata has no PATH: it says whether RANGE is one-way or two-way"],
        ),
        (
            with_meta("PATH = 1,2,1", "PATH = 1,2,3"),
            vec![
                "line 9: TDM PATH = 1,2,3 is not supported: only paths between PARTICIPANT_1 (the radar) and PARTICIPANT_2 (the object) are understood",
            ],
        ),
        (
            with_meta("PATH = 1,2,1", "MODE = SINGLE_DIFF"),
            vec![
                "line 9: TDM MODE = SINGLE_DIFF is not supported: differenced data carry no site-to-target geometry",
            ],
        ),
        (
            with_meta("RANGE_UNITS = km", "CORRECTION_RANGE = 0.012"),
            vec![
                "line 12: TDM CORRECTIONS_APPLIED = (absent) is not supported: CORRECTION_* values are given but not applied; apply them upstream so that the report is the corrected measurement",
            ],
        ),
        (
            with_meta(
                "COMMENT SITE 26.2124 127.6809 85.0",
                "COMMENT SITE 26.2124 127.6809",
            ),
            vec![
                "line 7: malformed TDM: `COMMENT SITE` must be followed by three numbers: lat_deg lon_deg alt_m",
            ],
        ),
        (
            with_meta("RANGE_UNITS = km", "TIME_SYSTEM = UTC"),
            vec!["line 11: malformed TDM: metadata keyword TIME_SYSTEM given twice"],
        ),
        (
            with_meta("RANGE_UNITS = km", "RANGE_UNITS km"),
            vec![
                "line 11: malformed TDM: expected `KEYWORD = value` in metadata, found \"RANGE_UNITS km\"",
            ],
        ),
        (
            with_meta(
                "COMMENT SITE 26.2124 127.6809 85.0",
                "COMMENT SITE 96.2124 127.6809 85.0",
            ),
            vec!["line 14: field `site.lat_deg` = 96.2124 is outside [-90, 90] degrees"],
        ),
        (
            tdm(&GOOD_META, &GOOD_DATA[..2]),
            vec![
                "line 14: TDM time tag 2023-08-23T18:53:00.000 has no ANGLE_2; a radar report needs RANGE, ANGLE_1 and ANGLE_2 at the same time tag",
            ],
        ),
        (
            tdm(
                &GOOD_META,
                &[
                    GOOD_DATA[0],
                    GOOD_DATA[1],
                    GOOD_DATA[2],
                    "RANGE = 2023-08-23T18:53:00.000 926.4",
                ],
            ),
            vec![
                "ok 2023-08-23 18:53:00 UTC",
                "line 17: TDM RANGE appears twice for time tag 2023-08-23T18:53:00.000",
            ],
        ),
        (
            tdm(
                &GOOD_META,
                &[
                    GOOD_DATA[0],
                    GOOD_DATA[1],
                    "ANGLE_2 = 2023-08-23T18:53:00.000 NaN",
                ],
            ),
            vec![
                "line 14: TDM time tag 2023-08-23T18:53:00.000 has no ANGLE_2; a radar report needs RANGE, ANGLE_1 and ANGLE_2 at the same time tag",
                "line 16: field `ANGLE_2` is not a finite number (NaN)",
            ],
        ),
        (
            tdm(
                &GOOD_META,
                &[
                    GOOD_DATA[0],
                    "ANGLE_1 = 2023-08-23T18:53:00.000 3o6.7",
                    GOOD_DATA[2],
                ],
            ),
            vec![
                "line 14: TDM time tag 2023-08-23T18:53:00.000 has no ANGLE_1; a radar report needs RANGE, ANGLE_1 and ANGLE_2 at the same time tag",
                "line 15: TDM ANGLE_1 value \"3o6.7\" is not a number",
            ],
        ),
        (
            tdm(&GOOD_META, &["RANGE = 2023-08-23T25:53:00.000 926.373257"]),
            vec![
                "line 14: field `time tag` = \"2023-08-23T25:53:00.000\" is not a valid time: input is out of range",
            ],
        ),
        (
            tdm(&GOOD_META, &["RANGE = 2023-08-23T18:53:00.000"]),
            vec![
                "line 14: malformed TDM: RANGE must be `RANGE = timetag value`, found \"2023-08-23T18:53:00.000\"",
            ],
        ),
        (
            tdm(&GOOD_META, &["RANGE 2023-08-23T18:53:00.000 926.4"]),
            vec![
                "line 14: malformed TDM: expected `KEYWORD = timetag value` in data, found \"RANGE 2023-08-23T18:53:00.000 926.4\"",
            ],
        ),
        (
            tdm(&GOOD_META, &GOOD_DATA).replace("DATA_STOP\n", ""),
            vec![
                "ok 2023-08-23 18:53:00 UTC",
                "line 16: malformed TDM: the message ends without DATA_STOP",
            ],
        ),
        (
            tdm(&GOOD_META, &GOOD_DATA).replace("DATA_START\n", ""),
            vec![
                "line 13: malformed TDM: expected DATA_START after META_STOP, found \"RANGE = 2023-08-23T18:53:00.000 926.373257\"",
            ],
        ),
        (
            // Elevation below the horizon by enough to put the target underground.
            tdm(
                &GOOD_META,
                &[
                    GOOD_DATA[0],
                    GOOD_DATA[1],
                    "ANGLE_2 = 2023-08-23T18:53:00.000 -43.97639345",
                ],
            ),
            vec![
                "line 14: radar target altitude -312357.5 m (from site, range_m, az_deg and el_deg) is outside [-500 m, 5000 km] above the WGS84 ellipsoid",
            ],
        ),
    ];
    for (text, expected) in &cases {
        assert_eq!(&messages(text, &ctx), expected, "input:\n{text}");
    }
}

#[test]
fn broken_segment_does_not_poison_the_next() {
    let bad = with_meta("TIME_SYSTEM = UTC", "TIME_SYSTEM = GPS");
    let good = tdm(&GOOD_META, &GOOD_DATA);
    let good_segment = &good[good.find("META_START").unwrap()..];
    let text = format!("{bad}{good_segment}");
    let results = validator().parse_tdm(&text, &TdmContext::default());
    assert_eq!(results.len(), 2);
    assert!(results[0].is_err());
    assert!(results[1].is_ok());
}
