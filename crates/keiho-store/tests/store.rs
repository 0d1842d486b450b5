//! The SQLite store: migrations, durability settings, round trips, bad files.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use keiho_store::{AlertLog, SqliteStore, StoreError, StoredAlert, StoredEvent};

fn alert(id: &str, seq: u32) -> StoredAlert {
    StoredAlert {
        identifier: id.into(),
        event_id: "E1".into(),
        sequence: seq,
        sent: "2023-08-24T03:54:10+09:00".into(),
        status: "Exercise".into(),
        msg_type: if seq == 1 {
            "Alert".into()
        } else {
            "Update".into()
        },
        stage: "TakeShelter".into(),
        regions: vec!["JP-47".into()],
        lifted: vec![],
        references: None,
        trigger_report_at: "2023-08-23T18:54:10Z".parse().unwrap(),
        processing_us: 1234,
        cause: "test".into(),
        xml: "<alert>沖縄県</alert>".into(),
    }
}

#[test]
fn alerts_and_events_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keiho.db");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        s.issue_alert(&alert("a-1", 1)).unwrap();
        s.issue_alert(&alert("a-2", 2)).unwrap();
        s.upsert_event(&StoredEvent {
            id: "E1".into(),
            launch_at: None,
            origin: "North Korea".into(),
            phase: "pending".into(),
            objects: vec!["T1".into()],
        })
        .unwrap();
        s.upsert_event(&StoredEvent {
            id: "E1".into(),
            launch_at: Some("2023-08-23T18:50:00Z".parse().unwrap()),
            origin: "North Korea".into(),
            phase: "closed".into(),
            objects: vec!["T1".into(), "T2".into()],
        })
        .unwrap();
        s.record_report(
            Some("E1"),
            "2023-08-23T18:50:12Z".parse().unwrap(),
            "T1",
            "{}",
        )
        .unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    let alerts = s.alerts().unwrap();
    assert_eq!(alerts, vec![alert("a-1", 1), alert("a-2", 2)]);
    let events = s.events().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].phase, "closed");
    assert_eq!(events[0].objects, vec!["T1", "T2"]);
    assert_eq!(s.report_count().unwrap(), 1);
}

#[test]
fn an_identifier_is_issued_once() {
    let mut s = SqliteStore::in_memory().unwrap();
    s.issue_alert(&alert("a-1", 1)).unwrap();
    assert!(matches!(
        s.issue_alert(&alert("a-1", 2)),
        Err(StoreError::Sqlite(_))
    ));
    assert_eq!(
        s.alerts().unwrap().len(),
        1,
        "the failed insert changed nothing"
    );
}

#[test]
fn a_database_from_a_newer_keiho_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = SqliteStore::open(&path).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("database schema version 99 is newer than this Keiho understands ("),
        "{text}"
    );
}

#[test]
fn the_journal_comes_back_in_time_order_and_a_unit_of_work_is_all_or_nothing() {
    use chrono::TimeZone;
    use keiho_store::JournalEntry;
    let mut s = SqliteStore::in_memory().unwrap();
    let t0 = chrono::Utc
        .with_ymd_and_hms(2023, 8, 23, 18, 50, 0)
        .unwrap();
    let entry = |secs: i64, kind: &str| JournalEntry {
        event_id: "E1".into(),
        t: t0 + chrono::Duration::milliseconds(secs * 1500),
        kind: kind.into(),
        object: Some("OBJ".into()),
        json: format!("{{\"n\":{secs}}}"),
    };
    // Written out of order (a note is dated at the update that confirmed it).
    for (secs, kind) in [(2, "prediction"), (1, "note"), (10, "prediction")] {
        s.record_journal(&entry(secs, kind)).unwrap();
    }
    s.begin().unwrap();
    s.record_journal(&entry(20, "prediction")).unwrap();
    s.rollback();
    let got: Vec<String> = s
        .journal("E1")
        .unwrap()
        .into_iter()
        .map(|e| e.json)
        .collect();
    assert_eq!(got, ["{\"n\":1}", "{\"n\":2}", "{\"n\":10}"]);
    assert!(s.journal("E2").unwrap().is_empty());
    s.begin().unwrap();
    s.begin().unwrap();
    s.record_journal(&entry(30, "outcome")).unwrap();
    s.commit().unwrap();
    s.commit().unwrap();
    assert_eq!(s.journal("E1").unwrap().len(), 4);
}

#[test]
fn a_file_that_is_not_a_database_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, b"this is not sqlite, just junk bytes that fill the header..........................................").unwrap();
    assert!(SqliteStore::open(&path).is_err());
}

/// The service writes through several connections (engine, operators, delivery). A
/// write that first reads (the audit chain reads its last hash) must wait for another
/// connection's transaction rather than fail with "database is locked": in WAL mode a
/// deferred transaction whose snapshot went stale cannot be upgraded to a writer and
/// SQLite returns SQLITE_BUSY at once, without the busy timeout. Found by the browser
/// test, where an operator's draft met the engine's unit of work.
#[test]
fn a_second_connection_waits_for_the_first_writer_instead_of_failing() {
    use keiho_store::ServiceLog;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keiho.db");
    let mut engine = SqliteStore::open(&path).unwrap();
    let mut operator = SqliteStore::open(&path).unwrap();
    let at = chrono::Utc::now();
    operator.audit(at, "setup", "first", "{}").unwrap();

    engine.begin().unwrap();
    engine.draft_insert("engine", at, "Exercise", "{}").unwrap();
    let waiting = std::thread::spawn(move || {
        let r = operator.audit(at, "operator", "second", "{}");
        (operator, r)
    });
    // Let the operator's write reach SQLite while the engine still holds its lock.
    std::thread::sleep(std::time::Duration::from_millis(300));
    engine.commit().unwrap();
    let (operator, written) = waiting.join().unwrap();
    let record = written.expect("the operator's write waits for the engine's, then succeeds");
    assert_eq!(record.seq, 2);
    assert_eq!(operator.audit_log().unwrap().len(), 2);
    assert_eq!(engine.drafts().unwrap().len(), 1);
}
