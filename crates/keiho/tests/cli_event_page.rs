//! `keiho event page` as a user runs it: a database made with `keiho simulate` and
//! `keiho replay` (the 24 August 2023 Sohae launch), the public page written as a
//! folder that works offline, and the errors a user can make.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use assert_cmd::Command;
use std::path::{Path, PathBuf};

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

fn database(dir: &Path) -> PathBuf {
    let tracks = dir.join("aug.jsonl");
    let db = dir.join("aug.db");
    run(
        keiho()
            .args(["simulate", "--scenario", "sohae-2023-08-24", "--out"])
            .arg(&tracks),
        true,
    );
    run(
        keiho()
            .arg("replay")
            .arg("--tracks")
            .arg(&tracks)
            .arg("--db")
            .arg(&db)
            .args([
                "--notice",
                "39.66,124.705,2023-08-23T12:00:00Z,2023-08-24T00:00:00Z,720",
            ]),
        true,
    );
    db
}

#[test]
fn the_public_page_is_written_in_three_languages_with_its_messages() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let out = dir.path().join("page");
    let said = run(
        keiho()
            .args(["event", "page", "--event", "E1", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out),
        true,
    );
    assert!(said.contains("ja.html, en.html, ko.html"), "{said}");
    for (file, lang, okinawa) in [
        ("ja.html", "ja", "沖縄県"),
        ("en.html", "en", "Okinawa Prefecture"),
        ("ko.html", "ko", "Okinawa Prefecture"),
    ] {
        let page = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{file}");
        assert!(page.contains(okinawa), "{file}");
        // Every CAP link points at a file that was written beside it.
        let links: Vec<&str> = page
            .split("href=\"cap/")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        assert_eq!(
            links.len(),
            3,
            "{file}: the three messages of the Sohae replay"
        );
        for l in links {
            let xml = std::fs::read_to_string(out.join("cap").join(l)).unwrap();
            assert!(xml.contains("<alert") && xml.contains("urn:oasis:names:tc:emergency:cap:1.2"));
        }
    }
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for f in ["ja.html", "en.html", "ko.html"] {
        assert!(index.contains(&format!("href=\"{f}\"")), "index links {f}");
    }
}

#[test]
fn an_unknown_event_or_database_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let out = dir.path().join("none");
    let said = run(
        keiho()
            .args(["event", "page", "--event", "E404", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out),
        false,
    );
    assert!(said.contains("E404") && said.contains("E1"), "{said}");
    assert!(!out.exists(), "nothing written for an unknown event");
    let said = run(
        keiho()
            .args(["event", "page", "--event", "E1", "--db"])
            .arg(dir.path().join("missing.db"))
            .arg("--out")
            .arg(&out),
        false,
    );
    assert!(said.contains("no database at"), "{said}");
}
