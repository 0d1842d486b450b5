//! The SQLite backend: one file, WAL journal, versioned migrations.

use crate::{AlertLog, JournalEntry, StoreError, StoredAlert, StoredEvent};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use std::path::Path;

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: reports, events and the alert log.
    "CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        event_id TEXT,
        t TEXT NOT NULL,
        object TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE INDEX reports_event ON reports(event_id, t);
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        launch_at TEXT,
        origin TEXT NOT NULL,
        phase TEXT NOT NULL,
        objects TEXT NOT NULL
    );
    CREATE TABLE alerts (
        seq_global INTEGER PRIMARY KEY,
        identifier TEXT NOT NULL UNIQUE,
        event_id TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        sent TEXT NOT NULL,
        status TEXT NOT NULL,
        msg_type TEXT NOT NULL,
        stage TEXT NOT NULL,
        regions TEXT NOT NULL,
        lifted TEXT NOT NULL,
        refs TEXT,
        trigger_report_at TEXT NOT NULL,
        processing_us INTEGER NOT NULL,
        cause TEXT NOT NULL,
        xml BLOB NOT NULL
    );
    CREATE INDEX alerts_event ON alerts(event_id, sequence);",
    // 2: the event journal (predictions, track notes, assessments, outcome).
    "CREATE TABLE journal (
        id INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        t TEXT NOT NULL,
        kind TEXT NOT NULL,
        object TEXT,
        json TEXT NOT NULL
    );
    CREATE INDEX journal_event ON journal(event_id, t, id);",
];

/// The embedded store.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    /// Depth of nested units of work ([`AlertLog::begin`]).
    depth: u32,
}

impl SqliteStore {
    /// Open (creating if needed) a database file and bring its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    /// An in-memory database (tests, benchmarks).
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: an alert is issued only once it is on disk (see the crate invariant).
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::TooNew {
                found: version,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn, depth: 0 })
    }

    /// Run many report inserts in one transaction (replays at full speed).
    pub fn in_transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn.execute_batch("BEGIN")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

/// Times are stored as fixed-width RFC 3339 (microseconds, `Z`) so that text order
/// is time order.
fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn split_codes(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl AlertLog for SqliteStore {
    fn begin(&mut self) -> Result<(), StoreError> {
        if self.depth == 0 {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
        }
        self.depth += 1;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        match self.depth {
            0 => Ok(()),
            1 => {
                self.conn.execute_batch("COMMIT")?;
                self.depth = 0;
                Ok(())
            }
            _ => {
                self.depth -= 1;
                Ok(())
            }
        }
    }

    fn rollback(&mut self) {
        if self.depth > 0 {
            // The error that led here matters more than a failed rollback.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.depth = 0;
        }
    }

    fn record_report(
        &mut self,
        event_id: Option<&str>,
        t: DateTime<Utc>,
        object: &str,
        json_line: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO reports (event_id, t, object, json) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![event_id, time_text(t), object, json_line])?;
        Ok(())
    }

    fn upsert_event(&mut self, e: &StoredEvent) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO events (id, launch_at, origin, phase, objects) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET launch_at = ?2, origin = ?3, phase = ?4, objects = ?5",
            )?
            .execute(params![e.id, e.launch_at.map(|t| t.to_rfc3339()), e.origin, e.phase, e.objects.join(" ")])?;
        Ok(())
    }

    fn issue_alert(&mut self, a: &StoredAlert) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO alerts (identifier, event_id, sequence, sent, status, msg_type, stage, regions,
                 lifted, refs, trigger_report_at, processing_us, cause, xml)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?
            .execute(params![
                a.identifier,
                a.event_id,
                a.sequence,
                a.sent,
                a.status,
                a.msg_type,
                a.stage,
                a.regions.join(" "),
                a.lifted.join(" "),
                a.references,
                a.trigger_report_at.to_rfc3339(),
                a.processing_us as i64,
                a.cause,
                a.xml.as_bytes(),
            ])?;
        Ok(())
    }

    fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT identifier, event_id, sequence, sent, status, msg_type, stage, regions, lifted, refs,
             trigger_report_at, processing_us, cause, xml FROM alerts ORDER BY seq_global",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, i64>(11)?,
                r.get::<_, String>(12)?,
                r.get::<_, Vec<u8>>(13)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                identifier,
                event_id,
                sequence,
                sent,
                status,
                msg_type,
                stage,
                regions,
                lifted,
                references,
                trig,
                us,
                cause,
                xml,
            ) = row?;
            out.push(StoredAlert {
                identifier,
                event_id,
                sequence,
                sent,
                status,
                msg_type,
                stage,
                regions: split_codes(&regions),
                lifted: split_codes(&lifted),
                references,
                trigger_report_at: parse_time(&trig)?,
                processing_us: u64::try_from(us)
                    .map_err(|_| StoreError::Corrupt(format!("processing time {us}")))?,
                cause,
                xml: String::from_utf8(xml)
                    .map_err(|e| StoreError::Corrupt(format!("CAP bytes: {e}")))?,
            });
        }
        Ok(out)
    }

    fn events(&self) -> Result<Vec<StoredEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, launch_at, origin, phase, objects FROM events ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, launch, origin, phase, objects) = row?;
            out.push(StoredEvent {
                id,
                launch_at: launch.as_deref().map(parse_time).transpose()?,
                origin,
                phase,
                objects: split_codes(&objects),
            });
        }
        Ok(out)
    }

    fn record_journal(&mut self, e: &JournalEntry) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO journal (event_id, t, kind, object, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                e.event_id,
                time_text(e.t),
                e.kind,
                e.object,
                e.json
            ])?;
        Ok(())
    }

    fn journal(&self, event_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t, kind, object, json FROM journal WHERE event_id = ?1 ORDER BY t, id",
        )?;
        let rows = stmt.query_map([event_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (t, kind, object, json) = row?;
            out.push(JournalEntry {
                event_id: event_id.to_owned(),
                t: parse_time(&t)?,
                kind,
                object,
                json,
            });
        }
        Ok(out)
    }

    fn reports(&self, event_id: &str) -> Result<Vec<(DateTime<Utc>, String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT t, object, json FROM reports WHERE event_id = ?1 ORDER BY t, id",
        )?;
        let rows = stmt.query_map([event_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (t, object, json) = row?;
            out.push((parse_time(&t)?, object, json));
        }
        Ok(out)
    }

    fn report_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }
}
