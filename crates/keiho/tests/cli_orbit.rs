//! `keiho orbit add|list` and `keiho passes` as a user runs them (issue 8).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use assert_cmd::Command;

/// The two MALLIGYONG-1 sets of `shared/data/tle/` (see data/README.md there).
const TLE: &str = "MALLIGYONG-1
1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999
2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052
MALLIGYONG-1
1 58400U 23179A   24164.24788005  .00007135  00000+0  32465-3 0  9998
2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973
";

fn keiho() -> Command {
    Command::cargo_bin("keiho").unwrap()
}

fn run(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "stderr: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn fail(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "expected failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn orbit_add_keeps_history_and_ignores_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("m.tle");
    std::fs::write(&tle, TLE).unwrap();
    let db = dir.path().join("k.db");
    let (_, err) = run(keiho()
        .arg("orbit")
        .arg("add")
        .arg(&tle)
        .arg("--db")
        .arg(&db));
    assert!(
        err.contains("2 element set(s) added, 0 already present"),
        "{err}"
    );
    let (_, err) = run(keiho()
        .arg("orbit")
        .arg("add")
        .arg(&tle)
        .arg("--db")
        .arg(&db));
    assert!(
        err.contains("0 element set(s) added, 2 already present"),
        "{err}"
    );
    let (out, _) = run(keiho().args(["orbit", "list", "--db"]).arg(&db));
    assert_eq!(
        out.lines().nth(1),
        Some("58400\tMALLIGYONG-1\t2\t2024-06-06T04:41:45Z\t2024-06-12T05:56:56Z")
    );
    let (json, _) = run(keiho().args(["orbit", "list", "--json", "--db"]).arg(&db));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["element_sets"], 2);
}

#[test]
fn orbit_add_reports_a_bad_checksum_with_line_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("bad.tle");
    std::fs::write(&tle, TLE.replace("30052", "30053")).unwrap();
    let err = fail(
        keiho()
            .arg("orbit")
            .arg("add")
            .arg(&tle)
            .arg("--db")
            .arg(dir.path().join("k.db")),
    );
    assert!(err.contains("line 3: TLE line 2 checksum"), "{err}");
    assert!(
        err.contains("checksum is 3 but the line's digits give 2"),
        "{err}"
    );
}

#[test]
fn passes_over_naha_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("m.tle");
    std::fs::write(&tle, TLE).unwrap();
    let args = |json: bool| {
        let mut c = keiho();
        c.arg("passes").arg("--elements").arg(&tle).args([
            "--lat",
            "26.2124",
            "--lon",
            "127.6809",
            "--from",
            "2024-06-06T05:00:00Z",
            "--days",
            "1",
        ]);
        if json {
            c.arg("--json");
        }
        c
    };
    let (table, _) = run(&mut args(false));
    assert!(table.starts_with("NORAD"), "{table}");
    // Skyfield (tests/reference in keiho-orbit) has the first pass culminate at
    // 13:15:53.018; the table prints milliseconds.
    assert!(table.contains("2024-06-06 13:15:53.0"), "{table}");
    let (json, _) = run(&mut args(true));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let passes = v["passes"].as_array().unwrap();
    assert_eq!(passes.len(), 2);
    assert!(passes[0]["culmination"]["elevation_deg"].as_f64().unwrap() > 10.0);
}

#[test]
fn passes_over_a_region_warn_about_stale_elements() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("m.tle");
    std::fs::write(&tle, TLE).unwrap();
    let (out, err) = run(keiho().arg("passes").arg("--elements").arg(&tle).args([
        "--region",
        "JP-47",
        "--from",
        "2024-09-01",
        "--days",
        "2",
        "--half-angle",
        "30",
    ]));
    assert!(out.starts_with("NORAD"), "{out}");
    assert!(out.contains("JP-47"), "{out}");
    assert!(
        err.contains("warning") && err.contains("days before"),
        "{err}"
    );
}

#[test]
fn passes_needs_a_region_or_a_place_and_known_codes() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("m.tle");
    std::fs::write(&tle, TLE).unwrap();
    let err = fail(
        keiho()
            .arg("passes")
            .arg("--elements")
            .arg(&tle)
            .args(["--from", "2024-06-06"]),
    );
    assert!(
        err.contains("--region") || err.contains("required"),
        "{err}"
    );
    let err = fail(keiho().arg("passes").arg("--elements").arg(&tle).args([
        "--region",
        "XX-99",
        "--from",
        "2024-06-06",
    ]));
    assert!(err.contains("XX-99"), "{err}");
}
