//! `keiho report` as a user runs it: a database made with `keiho simulate` and
//! `keiho replay`, reports on one event and on all, and the errors a user can make.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use assert_cmd::Command;
use std::path::Path;

fn keiho() -> Command {
    Command::cargo_bin("keiho").unwrap()
}

/// Run and return stderr, asserting the exit status.
fn run(cmd: &mut Command, ok: bool) -> String {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.success(), ok, "stderr: {err}");
    err
}

/// The short SRBM scenario simulated and replayed into `dir/s.db`.
fn database(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let tracks = dir.join("s.jsonl");
    let db = dir.join("s.db");
    run(
        keiho()
            .args(["simulate", "--scenario", "srbm-sea-of-japan", "--out"])
            .arg(&tracks),
        true,
    );
    run(
        keiho()
            .arg("replay")
            .arg("--tracks")
            .arg(&tracks)
            .arg("--db")
            .arg(&db),
        true,
    );
    (db, dir.join("s.truth.jsonl"))
}

#[test]
fn report_on_one_event_and_on_all() {
    let dir = tempfile::tempdir().unwrap();
    let (db, truth) = database(dir.path());
    let out = dir.path().join("r.html");
    run(
        keiho()
            .args(["report", "--event", "E1", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out)
            .arg("--truth")
            .arg(&truth),
        true,
    );
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    for id in [
        "summary",
        "timeline",
        "map",
        "iip-error",
        "jalert",
        "findings",
        "delivery",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(!page.contains("<script"), "no script");

    let all = dir.path().join("all");
    let err = run(
        keiho()
            .args(["report", "--all", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&all),
        true,
    );
    assert!(err.contains("index.html"), "{err}");
    let index = std::fs::read_to_string(all.join("index.html")).unwrap();
    assert!(index.contains("href=\"event-E1.html\""), "{index}");
    assert!(all.join("event-E1.html").exists());
}

#[test]
fn unknown_event_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = database(dir.path());
    let out = dir.path().join("r.html");
    let err = run(
        keiho()
            .args(["report", "--event", "E99", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out),
        false,
    );
    assert!(
        err.contains("no event \"E99\" in the database (events: E1)"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn bad_database_path_and_bad_arguments_fail() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let err = run(
        keiho()
            .args(["report", "--event", "E1", "--db"])
            .arg(&missing)
            .arg("--out")
            .arg(dir.path().join("r.html")),
        false,
    );
    assert!(err.contains("no database at"), "{err}");
    assert!(!missing.exists(), "a missing database is not created");

    // A file that is not a database.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not sqlite").unwrap();
    let err = run(
        keiho()
            .args(["report", "--all", "--db"])
            .arg(&junk)
            .arg("--out")
            .arg(dir.path().join("out")),
        false,
    );
    assert!(err.contains("junk.db"), "{err}");

    // Neither --event nor --all; or both.
    run(
        keiho().args(["report", "--db", "x.db", "--out", "r.html"]),
        false,
    );
    run(
        keiho().args([
            "report", "--db", "x.db", "--out", "r.html", "--all", "--event", "E1",
        ]),
        false,
    );
}
