//! The `keiho` binary as a user runs it: arguments, stdin, stdout, exit codes.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use assert_cmd::Command;

fn keiho() -> Command {
    Command::cargo_bin("keiho").unwrap()
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn regions_list_for_japan_has_47_prefectures_with_japanese_names() {
    let out = stdout_of(keiho().args(["regions", "list", "--country", "JP"]));
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines[0], "code,country,name_en,name_local");
    assert_eq!(lines.len(), 48);
    assert!(lines.contains(&"JP-47,JP,Okinawa Prefecture,沖縄県"));
}

#[test]
fn locate_streams_in_input_order_with_optional_header() {
    let input = "lon,lat\n127.6809,26.2124\n135.0,40.0\n126.9780,37.5665\n";
    let out = stdout_of(keiho().args(["regions", "locate"]).write_stdin(input));
    assert_eq!(
        out,
        "127.6809,26.2124,JP-47\n135.0,40.0,\n126.9780,37.5665,KR-11\n"
    );
}

#[test]
fn locate_names_the_bad_line_and_fails() {
    let input = "127.6809,26.2124\n127.0,95.0\n";
    let out = keiho()
        .args(["regions", "locate"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: latitude 95 is outside [-90, 90] degrees"),
        "{err}"
    );
    // What came before the bad line was still answered.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "127.6809,26.2124,JP-47\n"
    );
    for (bad, why) in [
        ("abc,1\n", "line 1: longitude \"abc\" is not a number"),
        ("1,2,3\n", "line 1: expected two fields"),
        ("181,0\n", "longitude 181 is outside"),
    ] {
        let out = keiho()
            .args(["regions", "locate"])
            .write_stdin(bad)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{bad:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn hit_reads_geojson_and_buffers_geodesically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gap.geojson");
    // A point in the sea between Okinawa Island and Miyako.
    std::fs::write(&path, r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[126.3,25.5]}}"#).unwrap();
    let p = path.to_str().unwrap();
    assert_eq!(
        stdout_of(keiho().args(["regions", "hit", "--geojson", p])),
        ""
    );
    assert_eq!(
        stdout_of(keiho().args(["regions", "hit", "--geojson", p, "--buffer-km", "160"])),
        "JP-47\n"
    );
}

#[test]
fn hit_reports_invalid_geojson_with_its_location() {
    let out = keiho()
        .args(["regions", "hit", "--geojson", "-"])
        .write_stdin(r#"{"type":"LineString","coordinates":[[127,26],[127,91]]}"#)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("geometry.coordinates[1]: latitude 91 is outside [-90, 90] degrees"),
        "{err}"
    );
    let out = keiho()
        .args(["regions", "hit", "--geojson", "/nonexistent.geojson"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("reading /nonexistent.geojson"));
}

#[test]
fn near_lists_regions_nearest_first_and_accepts_negative_values() {
    let out = stdout_of(keiho().args([
        "regions", "near", "--lat", "26.2124", "--lon", "127.6809", "--km", "300",
    ]));
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines[0], "JP-47,0.000");
    assert!(lines[1].starts_with("JP-46,"), "{out}");
    let out = keiho()
        .args(["regions", "near", "--lat", "-91", "--lon", "0", "--km", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("latitude -91 is outside"));
    let out = stdout_of(keiho().args([
        "regions", "near", "--lat", "51.9", "--lon", "-179.99", "--km", "300",
    ]));
    assert!(out.starts_with("US-AK,"), "{out}");
}

#[test]
fn cap_validate_prints_one_line_per_problem() {
    let samples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cap/samples");
    let good = samples.join("oasis-spec-example-homeland-security.xml");
    let out = stdout_of(keiho().args(["cap", "validate"]).arg(&good));
    assert!(out.ends_with("valid CAP 1.2\n"), "{out}");
    let bad = samples.join("invalid/google-cap-library-invalid-missing-scope.xml");
    let out = keiho()
        .args(["cap", "validate"])
        .arg(&good)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("/alert: required <scope> is missing"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 2 file(s) are not valid CAP 1.2"));
}

/// `keiho iip` on the first case of the independent Python/scipy reference
/// (`crates/keiho-flight/tests/reference/iip_cases.json`): vacuum within 100 m, drag
/// (beta 1000) within 1 km; both sign styles for negative components.
#[test]
fn iip_matches_the_independent_reference_from_the_command_line() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keiho-flight/tests/reference/iip_cases.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let case = &doc["cases"][0];
    let join = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap().to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let (r, v) = (join(&case["r_ecef_m"]), join(&case["v_ecef_mps"]));
    assert!(
        r.starts_with('-'),
        "the case exercises a negative first component"
    );
    let km_between = |out: &str, want: &serde_json::Value| {
        let got: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let (la1, lo1) = (
            got["lat_deg"].as_f64().unwrap(),
            got["lon_deg"].as_f64().unwrap(),
        );
        let (la2, lo2) = (
            want["lat_deg"].as_f64().unwrap(),
            want["lon_deg"].as_f64().unwrap(),
        );
        let a = keiho_types::GeoPoint::new(la1, lo1).unwrap();
        let b = keiho_types::GeoPoint::new(la2, lo2).unwrap();
        keiho_geo::geodesy::distance_km(a, b)
    };
    let out = stdout_of(keiho().args(["iip", "--ecef", &r, "--vel", &v]));
    assert!(km_between(&out, &case["vacuum"]) < 0.1, "{out}");
    let out = stdout_of(
        keiho()
            .arg("iip")
            .arg(format!("--ecef={r}"))
            .arg(format!("--vel={v}"))
            .args(["--beta", "1000"]),
    );
    assert!(km_between(&out, &case["drag"][1]) < 1.0, "{out}");
    let out = keiho()
        .args(["iip", "--ecef", "1,2", "--vel", "0,0,0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("expected three comma-separated numbers")
    );
    let out = keiho()
        .args(["iip", "--ecef", "7e6,0,0", "--vel", "0,8000,0"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "an orbit has no impact point");
}

#[test]
fn simulate_writes_reports_and_truth_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("srbm.jsonl");
    let out2 = dir.path().join("srbm2.jsonl");
    for path in [&out, &out2] {
        let o = keiho()
            .args([
                "simulate",
                "--scenario",
                "srbm-sea-of-japan",
                "--seed",
                "3",
                "--out",
            ])
            .arg(path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let a = std::fs::read(&out).unwrap();
    assert!(!a.is_empty());
    assert_eq!(a, std::fs::read(&out2).unwrap(), "same seed, same bytes");
    assert!(dir.path().join("srbm.truth.jsonl").exists());
    let o = keiho()
        .args(["simulate", "--scenario", "nope", "--out"])
        .arg(dir.path().join("x.jsonl"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown scenario \"nope\""));
}

#[test]
fn predict_reads_simulated_reports_and_writes_json_and_geojson() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("srbm.jsonl");
    let o = keiho()
        .args(["simulate", "--scenario", "srbm-sea-of-japan", "--out"])
        .arg(&reports)
        .output()
        .unwrap();
    assert!(o.status.success());
    // Mid-flight, after burnout: the IIP is in the Sea of Japan (truth: 40.0N 132.2E).
    let out = stdout_of(
        keiho()
            .args([
                "predict",
                "--samples",
                "50",
                "--at",
                "2024-01-14T00:03:00Z",
                "--tracks",
            ])
            .arg(&reports),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let p = v["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["object"].as_str().unwrap().ends_with("/OBJ"))
        .unwrap();
    let (lat, lon) = (
        p["iip"]["lat_deg"].as_f64().unwrap(),
        p["iip"]["lon_deg"].as_f64().unwrap(),
    );
    let miss = keiho_geo::geodesy::distance_km(
        keiho_types::GeoPoint::new(lat, lon).unwrap(),
        keiho_types::GeoPoint::new(40.04, 132.21).unwrap(),
    );
    assert!(
        miss < 50.0,
        "IIP {lat},{lon} is {miss:.0} km from the true impact"
    );
    assert_eq!(p["footprint"]["samples"].as_u64(), Some(50));
    let geo = stdout_of(
        keiho()
            .args([
                "predict",
                "--samples",
                "20",
                "--format",
                "geojson",
                "--tracks",
            ])
            .arg(&reports),
    );
    let g: serde_json::Value = serde_json::from_str(&geo).unwrap();
    assert_eq!(g["type"], "FeatureCollection");
    let kinds: Vec<&str> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"iip") && kinds.contains(&"ground_track"),
        "{kinds:?}"
    );
    // A bad line is named, and stops the run unless --skip-invalid.
    let bad = dir.path().join("bad.jsonl");
    let mut text = std::fs::read_to_string(&reports).unwrap();
    text.push_str(
        "{\"t\":\"2024-01-14T00:09:00Z\",\"object\":\"X\",\"sensor\":\"S\",\"kind\":\"warp\"}\n",
    );
    std::fs::write(&bad, text).unwrap();
    let o = keiho()
        .args(["predict", "--samples", "0", "--tracks"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 invalid report line(s)"));
    let o = keiho()
        .args(["predict", "--samples", "0", "--skip-invalid", "--tracks"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(o.status.success());
}

#[test]
fn replay_writes_the_alert_log_and_alerts_lists_and_exports_it() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("srbm.jsonl");
    assert!(
        keiho()
            .args(["simulate", "--scenario", "srbm-sea-of-japan", "--out"])
            .arg(&reports)
            .output()
            .unwrap()
            .status
            .success()
    );
    let db = dir.path().join("keiho.db");
    let o = keiho()
        .args(["replay", "--tracks"])
        .arg(&reports)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("512 reports replayed, 0 message(s) issued")
    );
    assert_eq!(
        stdout_of(keiho().args(["alerts", "list", "--json", "--db"]).arg(&db)).trim(),
        "[]"
    );
    let o = keiho()
        .args(["alerts", "export", "--dir"])
        .arg(dir.path().join("cap"))
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = keiho()
        .args(["replay", "--speed", "fast", "--tracks"])
        .arg(&reports)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("--speed must be `max` or a positive real-time factor")
    );
    let o = keiho()
        .args(["alerts", "list", "--db"])
        .arg(dir.path().join("missing.db"))
        .output()
        .unwrap();
    assert!(!o.status.success());
}
