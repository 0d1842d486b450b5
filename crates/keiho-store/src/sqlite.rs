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
    // 3: the service: ingest inbox, tokens, drafts of manual alerts, audit log.
    "CREATE TABLE inbox (
        seq INTEGER PRIMARY KEY,
        received_at TEXT NOT NULL,
        json TEXT NOT NULL
    );
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        drafted_by TEXT NOT NULL,
        drafted_at TEXT NOT NULL,
        status TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        approved_by TEXT,
        identifier TEXT
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    -- Append-only: the chain shows tampering, and these make it take intent.
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
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
        // The service reads and writes through several connections.
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::TooNew {
                found: version,
                supported,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = rusqlite::Transaction::new_unchecked(
                &conn,
                rusqlite::TransactionBehavior::Immediate,
            )?;
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
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
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

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

/// Times are stored as fixed-width RFC 3339 (microseconds, `Z`) so that text order
/// is time order.
pub(crate) fn time_text(t: DateTime<Utc>) -> String {
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

    fn alert(&self, identifier: &str) -> Result<Option<StoredAlert>, StoreError> {
        Ok(self
            .select_alerts("WHERE identifier = ?1", rusqlite::params![identifier])?
            .into_iter()
            .next()
            .map(|(_, a)| a))
    }

    fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError> {
        Ok(self
            .select_alerts("", rusqlite::params![])?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
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

impl SqliteStore {
    /// Alerts with their global sequence, filtered by `filter` (a WHERE clause).
    pub(crate) fn select_alerts(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<(i64, StoredAlert)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT identifier, event_id, sequence, sent, status, msg_type, stage, regions, lifted, refs,
             trigger_report_at, processing_us, cause, xml, seq_global FROM alerts {filter} ORDER BY seq_global"
        ))?;
        let rows = stmt.query_map(params, |r| {
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
                r.get::<_, i64>(14)?,
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
                seq_global,
            ) = row?;
            out.push((
                seq_global,
                StoredAlert {
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
                },
            ));
        }
        Ok(out)
    }
}

impl crate::ServiceLog for SqliteStore {
    fn inbox_append(
        &mut self,
        received_at: DateTime<Utc>,
        json_lines: &[String],
    ) -> Result<Vec<i64>, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let mut seqs = Vec::with_capacity(json_lines.len());
        {
            let mut stmt =
                tx.prepare_cached("INSERT INTO inbox (received_at, json) VALUES (?1, ?2)")?;
            let at = time_text(received_at);
            for line in json_lines {
                stmt.execute(params![at, line])?;
                seqs.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(seqs)
    }

    fn inbox(&self) -> Result<Vec<crate::InboxReport>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, received_at, json FROM inbox ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, json) = row?;
            out.push(crate::InboxReport {
                seq,
                received_at: parse_time(&at)?,
                json,
            });
        }
        Ok(out)
    }

    fn reset_derived(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "BEGIN; DELETE FROM reports; DELETE FROM journal; DELETE FROM events; COMMIT;",
        )?;
        Ok(())
    }

    fn alerts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, StoredAlert)>, StoreError> {
        let mut all = self.select_alerts("WHERE seq_global > ?1", params![after])?;
        all.truncate(limit as usize);
        Ok(all)
    }

    fn token_insert(&mut self, t: &crate::TokenRecord) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO tokens (id, name, role, secret_hash, created_at, revoked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                t.id,
                t.name,
                t.role,
                t.secret_hash,
                time_text(t.created_at),
                t.revoked_at.map(time_text)
            ])?;
        Ok(())
    }

    fn token(&self, id: &str) -> Result<Option<crate::TokenRecord>, StoreError> {
        Ok(self
            .select_tokens("WHERE id = ?1", params![id])?
            .into_iter()
            .next())
    }

    fn tokens(&self) -> Result<Vec<crate::TokenRecord>, StoreError> {
        self.select_tokens("", params![])
    }

    fn token_revoke(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            )?
            .execute(params![id, time_text(at)])?;
        Ok(n == 1)
    }

    fn draft_insert(
        &mut self,
        drafted_by: &str,
        at: DateTime<Utc>,
        status: &str,
        body: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO drafts (drafted_by, drafted_at, status, body) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![drafted_by, time_text(at), status, body])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn draft(&self, id: i64) -> Result<Option<crate::Draft>, StoreError> {
        Ok(self
            .select_drafts("WHERE id = ?1", params![id])?
            .into_iter()
            .next())
    }

    fn drafts(&self) -> Result<Vec<crate::Draft>, StoreError> {
        self.select_drafts("", params![])
    }

    fn draft_settle(
        &mut self,
        id: i64,
        state: &str,
        approved_by: Option<&str>,
        identifier: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE drafts SET state = ?2, approved_by = ?3, identifier = ?4
                 WHERE id = ?1 AND state = 'pending'",
            )?
            .execute(params![id, state, approved_by, identifier])?;
        Ok(n == 1)
    }

    fn audit(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<crate::AuditRecord, StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let (seq, prev): (i64, String) = tx
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok((0, String::new())),
                e => Err(e),
            })?;
        let seq = seq + 1;
        let hash = crate::service::audit_hash(&prev, seq, at, actor, action, detail);
        tx.prepare_cached(
            "INSERT INTO audit (seq, at, actor, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![seq, time_text(at), actor, action, detail, hash])?;
        tx.commit()?;
        Ok(crate::AuditRecord {
            seq,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            detail: detail.to_owned(),
            hash,
        })
    }

    fn audit_log(&self) -> Result<Vec<crate::AuditRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, at, actor, action, detail, hash FROM audit ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, at, actor, action, detail, hash) = row?;
            out.push(crate::AuditRecord {
                seq,
                at: parse_time(&at)?,
                actor,
                action,
                detail,
                hash,
            });
        }
        Ok(out)
    }
}

impl SqliteStore {
    fn select_tokens(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<crate::TokenRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, name, role, secret_hash, created_at, revoked_at FROM tokens {filter} ORDER BY created_at, id"
        ))?;
        let rows = stmt.query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role, secret_hash, created, revoked) = row?;
            out.push(crate::TokenRecord {
                id,
                name,
                role,
                secret_hash,
                created_at: parse_time(&created)?,
                revoked_at: revoked.as_deref().map(parse_time).transpose()?,
            });
        }
        Ok(out)
    }

    fn select_drafts(
        &self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<crate::Draft>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, drafted_by, drafted_at, status, body, state, approved_by, identifier
             FROM drafts {filter} ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, drafted_by, at, status, body, state, approved_by, identifier) = row?;
            out.push(crate::Draft {
                id,
                drafted_by,
                drafted_at: parse_time(&at)?,
                status,
                body,
                state,
                approved_by,
                identifier,
            });
        }
        Ok(out)
    }
}
