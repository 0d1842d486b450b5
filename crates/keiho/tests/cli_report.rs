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

/// A database the service wrote holds the delivery attempt log beside the alerts; the
/// report lists each attempt and turns a retried delivery into a finding with the
/// recorded cause. The log is written here through `keiho-deliver`'s own outbox, as
/// its worker does: a webhook refused with HTTP 503, then acknowledged.
#[test]
fn a_service_database_reports_its_delivery_attempts_and_retries() {
    use keiho_deliver::outbox::{Jitter, Retry};
    use keiho_deliver::{Backoff, Channel, NewDelivery, Outbox};
    use keiho_store::AlertLog as _;
    let dir = tempfile::tempdir().unwrap();
    // The Sohae launch of 24 August 2023: Okinawa is alerted, so there is a message.
    let tracks = dir.path().join("aug.jsonl");
    let db = dir.path().join("aug.db");
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
    let first = keiho_store::SqliteStore::open(&db)
        .unwrap()
        .alerts()
        .unwrap()[0]
        .identifier
        .clone();
    {
        let mut outbox = Outbox::open(&db).unwrap();
        let key = format!("{first}:webhook:7");
        outbox
            .enqueue(
                &NewDelivery {
                    idempotency_key: key,
                    channel: Channel::Webhook,
                    target: "7".into(),
                    payload: b"<alert/>".to_vec(),
                    expires_at_ms: 1_900_000_000_000,
                },
                1_692_816_000_000,
            )
            .unwrap();
        let lease = std::time::Duration::from_secs(30);
        let row = outbox.claim(1_692_816_001_000, 1, lease).unwrap().remove(0);
        let retry = outbox
            .retry_later(
                row.id,
                row.attempts,
                1_692_816_001_000,
                "HTTP 503",
                &Backoff::default(),
                &mut Jitter::seeded(1),
            )
            .unwrap();
        let Retry::At(at) = retry else {
            panic!("retried, not expired")
        };
        let row = outbox.claim(at, 1, lease).unwrap().remove(0);
        outbox.mark_delivered(row.id, at + 200).unwrap().unwrap();
    }
    let out = dir.path().join("r.html");
    run(
        keiho()
            .args(["report", "--event", "E1", "--db"])
            .arg(&db)
            .arg("--out")
            .arg(&out),
        true,
    );
    let page = std::fs::read_to_string(&out).unwrap();
    assert!(
        !page.contains("No delivery records"),
        "the service's log is read"
    );
    assert!(page.contains("delivery retried"), "the retry is a finding");
    assert!(
        page.contains("2 attempts on webhook:7: HTTP 503"),
        "with its cause"
    );
    assert_eq!(
        page.matches("<td>webhook:7</td>").count(),
        2,
        "both attempts in the delivery table"
    );

    // A replay database has no log, and the report says so.
    let replay_dir = dir.path().join("replay");
    std::fs::create_dir_all(&replay_dir).unwrap();
    let (replay_db, _) = database(&replay_dir);
    let out = dir.path().join("r2.html");
    run(
        keiho()
            .args(["report", "--event", "E1", "--db"])
            .arg(&replay_db)
            .arg("--out")
            .arg(&out),
        true,
    );
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("No delivery records")
    );
}
