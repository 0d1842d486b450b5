//! JSON-lines parsing: acceptance, every rejection reason with its exact message,
//! batches and round trips.

use super::{LAUNCH, POSITION, RADAR, time, validator};
use approx::assert_abs_diff_eq;
use keiho_geo::frames::Geodetic;
use keiho_ingest::{Measurement, Reason, Report, ReportKind};
use std::time::Duration;

/// The message for `line` parsed as line 7 of a batch.
fn rejection(line: &str) -> String {
    match validator().parse_line(7, line) {
        Ok(r) => panic!("accepted {line}: {r:?}"),
        Err(e) => e.to_string(),
    }
}

fn edit(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "{from} not in {base}");
    base.replacen(from, to, 1)
}

#[test]
fn accepts_each_kind() {
    let v = validator();
    let launch = v.parse_line(1, LAUNCH).unwrap();
    assert_eq!(launch.kind(), ReportKind::Launch);
    assert_eq!(launch.t, time("2023-08-23T18:50:12.300Z"));
    assert!(
        launch.position_ecef().is_none(),
        "a launch point has no height"
    );
    let pos = v.parse_line(2, POSITION).unwrap();
    let Measurement::Position(p) = &pos.measurement else {
        panic!("not a position")
    };
    assert_eq!(p.vel_ecef_mps, Some([1200.0, -800.0, -1500.0]));
    let g = Geodetic {
        lat_deg: 38.2,
        lon_deg: 124.9,
        alt_m: 120_000.0,
    };
    assert_eq!(pos.position_ecef(), Some(g.to_ecef()));
    let radar = v.parse_line(3, RADAR).unwrap();
    // 900 km slant range at 20 degrees elevation: about 308 km straight up plus 56 km
    // of Earth curvature over 846 km; tolerance 5 km for this spherical estimate.
    let target = radar.position_geodetic().unwrap();
    assert_abs_diff_eq!(target.alt_m, 364_000.0, epsilon = 5_000.0);
    assert!(
        target.lat_deg > 26.2124 && target.lon_deg < 127.6809,
        "north-west of the site"
    );
}

#[test]
fn optional_velocity_may_be_absent_or_null() {
    let v = validator();
    let absent = edit(POSITION, r#","vel_ecef_mps":[1200,-800,-1500]"#, "");
    let null = edit(POSITION, "[1200,-800,-1500]", "null");
    for line in [absent, null] {
        let r = v.parse_line(1, &line).unwrap();
        let Measurement::Position(p) = r.measurement else {
            panic!("not a position")
        };
        assert_eq!(p.vel_ecef_mps, None);
    }
}

#[test]
fn time_offsets_are_converted_to_utc() {
    let line = edit(
        LAUNCH,
        "2023-08-23T18:50:12.300Z",
        "2023-08-24T03:50:12.300+09:00",
    );
    let r = validator().parse_line(1, &line).unwrap();
    assert_eq!(r.t, time("2023-08-23T18:50:12.300Z"));
}

/// Every rejection reason of the JSON path, with its exact message.
#[test]
fn each_rejection_has_a_precise_message() {
    let cases: Vec<(String, &str)> = vec![
        (
            r#"{"t":"#.into(),
            "line 7: invalid JSON at column 5: EOF while parsing a value",
        ),
        (
            edit(LAUNCH, "39.66", "1e400"),
            "line 7: invalid JSON at column 93: number out of range",
        ),
        (
            "[1,2]".into(),
            "line 7: a report must be a JSON object, found an array",
        ),
        (
            edit(
                LAUNCH,
                r#""sigma_m":2000"#,
                r#""sigma_m":2000,"lat_deg":40"#,
            ),
            "line 7: field `lat_deg` appears more than once",
        ),
        (
            edit(RADAR, r#""alt_m":85"#, r#""alt_m":85,"alt_m":86"#),
            "line 7: field `site.alt_m` appears more than once",
        ),
        (
            edit(LAUNCH, r#""kind":"launch","#, ""),
            "line 7: missing field `kind`",
        ),
        (
            edit(LAUNCH, r#","sigma_m":2000"#, ""),
            "line 7: missing field `sigma_m`",
        ),
        (
            edit(RADAR, r#","alt_m":85"#, ""),
            "line 7: missing field `site.alt_m`",
        ),
        (
            edit(LAUNCH, "39.66", r#""NaN""#),
            r#"line 7: field `lat_deg` must be a number, found string "NaN""#,
        ),
        (
            edit(LAUNCH, r#""2023-08-23T18:50:12.300Z""#, "1692816612"),
            "line 7: field `t` must be a string, found number 1692816612.0",
        ),
        (
            edit(LAUNCH, r#""T1""#, "null"),
            "line 7: field `object` must be a string, found null",
        ),
        (
            edit(RADAR, r#"{"range_m":50,"angle_deg":0.05}"#, "50"),
            "line 7: field `sigma` must be an object, found number 50.0",
        ),
        (
            edit(POSITION, "[1200,-800,-1500]", "[1200,-800]"),
            "line 7: field `vel_ecef_mps` must be an array of 3 numbers [vx, vy, vz] in m/s, found an array of 2 items",
        ),
        (
            edit(POSITION, "[1200,-800,-1500]", r#"[1200,"-800",-1500]"#),
            r#"line 7: field `vel_ecef_mps` must be an array of 3 numbers [vx, vy, vz] in m/s, found string "-800""#,
        ),
        (
            edit(LAUNCH, r#""launch""#, r#""cruise""#),
            r#"line 7: unknown kind "cruise"; expected one of "launch", "position", "radar""#,
        ),
        (
            edit(LAUNCH, r#""lat_deg""#, r#""lat""#),
            "line 7: unknown field `lat`; expected one of t, object, sensor, kind, lat_deg, lon_deg, sigma_m",
        ),
        (
            edit(LAUNCH, r#""sigma_m":2000"#, r#""sigma_m":2000,"alt_m":0"#),
            "line 7: unknown field `alt_m`; expected one of t, object, sensor, kind, lat_deg, lon_deg, sigma_m",
        ),
        (
            edit(RADAR, r#""alt_m":85"#, r#""height_m":85"#),
            "line 7: unknown field `site.height_m`; expected one of lat_deg, lon_deg, alt_m",
        ),
        (
            edit(LAUNCH, r#""T1""#, r#""  ""#),
            "line 7: field `object` must be a non-empty string of at most 128 bytes",
        ),
        (
            edit(LAUNCH, r#""EW-1""#, &format!("{:?}", "S".repeat(129))),
            "line 7: field `sensor` must be a non-empty string of at most 128 bytes",
        ),
        (
            edit(LAUNCH, "2023-08-23T18:50:12.300Z", "2023-08-23 18:50"),
            r#"line 7: field `t` = "2023-08-23 18:50" is not a valid time: premature end of input"#,
        ),
        (
            edit(LAUNCH, "2023-08-23T18:50:12.300Z", "2023-08-23T18:50:12"),
            r#"line 7: field `t` = "2023-08-23T18:50:12" is not a valid time: premature end of input"#,
        ),
        (
            edit(
                LAUNCH,
                "2023-08-23T18:50:12.300Z",
                "2023-08-23T18:54:05.500Z",
            ),
            "line 7: field `t` = 2023-08-23T18:54:05.500Z is 5.5 s after now (2023-08-23T18:54:00Z), beyond the 5 s tolerance",
        ),
        (
            edit(LAUNCH, "39.66", "91"),
            "line 7: field `lat_deg` = 91.0 is outside [-90, 90] degrees",
        ),
        (
            edit(LAUNCH, "124.705", "-180.5"),
            "line 7: field `lon_deg` = -180.5 is outside [-180, 180] degrees",
        ),
        (
            edit(RADAR, "26.2124", "1e300"),
            "line 7: field `site.lat_deg` = 1e300 is outside [-90, 90] degrees",
        ),
        (
            edit(LAUNCH, "2000", "0"),
            "line 7: field `sigma_m` = 0.0 m is not a usable 1-sigma: it must be > 0 and <= 6378137 m",
        ),
        (
            edit(POSITION, r#""sigma_m":500"#, r#""sigma_m":-3"#),
            "line 7: field `sigma_m` = -3.0 m is not a usable 1-sigma: it must be > 0 and <= 6378137 m",
        ),
        (
            edit(POSITION, r#""sigma_m":500"#, r#""sigma_m":1e9"#),
            "line 7: field `sigma_m` = 1000000000.0 m is not a usable 1-sigma: it must be > 0 and <= 6378137 m",
        ),
        (
            edit(RADAR, r#""angle_deg":0.05"#, r#""angle_deg":0"#),
            "line 7: field `sigma.angle_deg` = 0.0 deg is not a usable 1-sigma: it must be > 0 and <= 90 deg",
        ),
        (
            edit(RADAR, r#"{"range_m":50"#, r#"{"range_m":-50"#),
            "line 7: field `sigma.range_m` = -50.0 m is not a usable 1-sigma: it must be > 0 and <= 6378137 m",
        ),
        (
            edit(POSITION, "120000", "-600"),
            "line 7: field `alt_m` = -600.0 m is outside [-500 m, 5000 km] above the WGS84 ellipsoid",
        ),
        (
            edit(POSITION, "120000", "5000001"),
            "line 7: field `alt_m` = 5000001.0 m is outside [-500 m, 5000 km] above the WGS84 ellipsoid",
        ),
        (
            edit(RADAR, r#""alt_m":85"#, r#""alt_m":-501"#),
            "line 7: field `site.alt_m` = -501.0 m is outside [-500 m, 5000 km] above the WGS84 ellipsoid",
        ),
        (
            edit(RADAR, r#""el_deg":20"#, r#""el_deg":-30"#),
            "line 7: radar target altitude -398773.9 m (from site, range_m, az_deg and el_deg) is outside [-500 m, 5000 km] above the WGS84 ellipsoid",
        ),
        (
            // A range in km sent as m: 900,000 km puts the target far beyond 5,000 km.
            edit(RADAR, "900000", "900000000"),
            "line 7: radar target altitude 895823254.9 m (from site, range_m, az_deg and el_deg) is outside [-500 m, 5000 km] above the WGS84 ellipsoid",
        ),
        (
            edit(RADAR, r#""el_deg":20"#, r#""el_deg":90.5"#),
            "line 7: field `el_deg` = 90.5 is outside [-90, 90] degrees",
        ),
        (
            edit(RADAR, "320", "360"),
            "line 7: field `az_deg` = 360.0 is outside [0, 360) degrees",
        ),
        (
            edit(RADAR, "320", "-0.5"),
            "line 7: field `az_deg` = -0.5 is outside [0, 360) degrees",
        ),
        (
            edit(RADAR, "900000", "-1"),
            "line 7: field `range_m` = -1.0 m is negative",
        ),
        (
            edit(POSITION, "[1200,-800,-1500]", "[20000,1000,0]"),
            "line 7: field `vel_ecef_mps` has speed 20025.0 m/s, above the 20000 m/s limit",
        ),
    ];
    for (line, expected) in &cases {
        assert_eq!(&rejection(line), expected, "input: {line}");
    }
}

#[test]
fn rejections_name_the_field() {
    let e = validator()
        .parse_line(3, &edit(RADAR, "320", "400"))
        .unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.field(), Some("az_deg"));
    assert!(matches!(e.reason, Reason::Azimuth { value, .. } if value == 400.0));
}

#[test]
fn future_tolerance_is_configurable() {
    let line = edit(LAUNCH, "2023-08-23T18:50:12.300Z", "2023-08-23T18:54:08Z");
    assert!(validator().parse_line(1, &line).is_err());
    let lenient = validator().with_future_tolerance(Duration::from_secs(10));
    assert!(lenient.parse_line(1, &line).is_ok());
    let strict = validator().with_future_tolerance(Duration::ZERO);
    let just_now = edit(LAUNCH, "2023-08-23T18:50:12.300Z", "2023-08-23T18:54:00Z");
    assert!(
        strict.parse_line(1, &just_now).is_ok(),
        "exactly now is not the future"
    );
}

#[test]
fn batch_keeps_input_order_and_isolates_bad_lines() {
    let input = format!(
        "{LAUNCH}\n\n{{bad\r\n{POSITION}\r\n   \n{}\n{RADAR}",
        edit(RADAR, "320", "-1")
    );
    let results = validator().parse_lines(&input);
    assert_eq!(results.len(), 5, "blank lines give no result");
    assert_eq!(
        results[0].as_ref().map(Report::kind).ok(),
        Some(ReportKind::Launch)
    );
    assert_eq!(results[1].as_ref().unwrap_err().line, 3);
    assert_eq!(
        results[2].as_ref().map(Report::kind).ok(),
        Some(ReportKind::Position)
    );
    assert_eq!(results[3].as_ref().unwrap_err().line, 6);
    assert_eq!(
        results[4].as_ref().map(Report::kind).ok(),
        Some(ReportKind::Radar)
    );

    let mut bytes = input.clone().into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe{}\n");
    let results = validator().parse_bytes(&bytes);
    assert_eq!(results.len(), 6);
    assert_eq!(
        results[5].as_ref().unwrap_err().to_string(),
        "line 8: line is not valid UTF-8 (invalid byte at offset 0)"
    );
}

#[test]
fn written_json_parses_back_to_the_same_report() {
    let v = validator();
    for line in [
        LAUNCH,
        POSITION,
        RADAR,
        &edit(POSITION, r#","vel_ecef_mps":[1200,-800,-1500]"#, ""),
    ] {
        let report = v.parse_line(1, line).unwrap();
        let written = report.to_json_line();
        assert_eq!(v.parse_line(1, &written).unwrap(), report, "{written}");
        let via_serde: Report = serde_json::from_str(&written).unwrap();
        assert_eq!(via_serde, report);
    }
    // The written form is the documented line format, field for field.
    let launch = v.parse_line(1, LAUNCH).unwrap().to_json_line();
    assert_eq!(launch, LAUNCH.replace("2000", "2000.0"));
}

#[test]
fn serde_deserialize_applies_the_structural_rules() {
    let err =
        serde_json::from_str::<Report>(&edit(LAUNCH, r#""lat_deg""#, r#""lat""#)).unwrap_err();
    assert!(err.to_string().starts_with("unknown field `lat`"), "{err}");
}
