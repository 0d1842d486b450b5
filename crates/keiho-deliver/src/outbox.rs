//! The durable outbox: one row per (alert, channel, target), claimed under a lease,
//! retried with exponential backoff and full jitter until delivered or expired.
//!
//! The tables live in the same SQLite file as `keiho-store`'s alert log but are
//! created through this crate's own connection with `CREATE TABLE IF NOT EXISTS`, and
//! their version is kept in the table `deliver_schema`, not in `PRAGMA user_version`:
//! `keiho-store` owns `user_version` and counts its own migrations in it, so two
//! owners of one counter would corrupt each other's migrations.
//!
//! Guarantee: exactly one `delivered` row per idempotency key (the key is `UNIQUE` and
//! a row moves from `pending` to `delivered` once). On the wire delivery is
//! at-least-once: a worker may send and then die before it records the
//! acknowledgement, and the row is sent again when its lease runs out. Receivers
//! deduplicate on the idempotency key, which is the same for every attempt.
//!
//! All times are integer milliseconds since the Unix epoch (UTC), passed in by the
//! caller so tests control the clock.

use crate::DeliverError;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::time::Duration;

/// This crate's migrations, in order; `deliver_schema.version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: outbox, webhook subscriptions, subscribers, push fan-out jobs.
    "CREATE TABLE IF NOT EXISTS deliver_outbox (
        id INTEGER PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        target TEXT NOT NULL,
        payload BLOB NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        lease_until INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT,
        delivered_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS deliver_outbox_due
        ON deliver_outbox(state, next_attempt_at);
    CREATE TABLE IF NOT EXISTS deliver_webhooks (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL,
        regions TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE IF NOT EXISTS deliver_subscribers (
        id INTEGER PRIMARY KEY,
        push_token TEXT NOT NULL,
        region TEXT,
        cell_lat INTEGER NOT NULL,
        cell_lon INTEGER NOT NULL,
        lat REAL,
        lon REAL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS deliver_subscribers_region
        ON deliver_subscribers(region, id);
    CREATE TABLE IF NOT EXISTS deliver_fanout (
        id INTEGER PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        alert_identifier TEXT NOT NULL,
        region TEXT NOT NULL,
        payload BLOB NOT NULL,
        subscribers_at_enqueue INTEGER NOT NULL,
        cursor INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        lease_until INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'pending',
        done_at INTEGER
    );
    CREATE INDEX IF NOT EXISTS deliver_fanout_due ON deliver_fanout(state, id);",
    // 2: every attempt's end (acknowledged, refused, failed), for after-action
    // reports: the outbox row keeps only the last error.
    "CREATE TABLE IF NOT EXISTS deliver_attempts (
        id INTEGER PRIMARY KEY,
        outbox_id INTEGER NOT NULL,
        idempotency_key TEXT NOT NULL,
        channel TEXT NOT NULL,
        at INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX IF NOT EXISTS deliver_attempts_key ON deliver_attempts(idempotency_key);",
];

/// Log the end of one attempt on row `id` (same transaction as the row's update).
fn log_attempt(
    conn: &Connection,
    id: i64,
    now_ms: i64,
    ok: bool,
    error: Option<&str>,
) -> Result<(), DeliverError> {
    conn.prepare_cached(
        "INSERT INTO deliver_attempts (outbox_id, idempotency_key, channel, at, ok, error)
         SELECT id, idempotency_key, channel, ?2, ?3, ?4 FROM deliver_outbox WHERE id = ?1",
    )?
    .execute(params![id, now_ms, ok, error])?;
    Ok(())
}

/// The attempt log of a database file, read without changing it: `None` when the
/// file has no delivery tables (a `keiho replay` database never delivered anything).
pub fn attempts_in_file(
    path: &Path,
    key_prefix: &str,
) -> Result<Option<Vec<AttemptRow>>, DeliverError> {
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let has_log: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deliver_attempts')",
        [],
        |r| r.get(0),
    )?;
    if !has_log {
        return Ok(None);
    }
    Ok(Some(Outbox { conn }.attempts(key_prefix)?))
}

/// One logged attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRow {
    /// The delivery's idempotency key (`<CAP identifier>:<channel>:<target>`).
    pub idempotency_key: String,
    /// Channel name.
    pub channel: String,
    /// When the attempt ended, ms since the Unix epoch.
    pub at_ms: i64,
    /// Acknowledged.
    pub ok: bool,
    /// Why it failed.
    pub error: Option<String>,
}

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// HTTP POST to a webhook subscription.
    Webhook,
    /// MQTT publish (QoS 1) for siren and loudspeaker controllers.
    Mqtt,
    /// One push message to one device (retries of a fan-out's failures).
    Push,
}

impl Channel {
    /// The name stored in the table and used in idempotency keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Mqtt => "mqtt",
            Channel::Push => "push",
        }
    }

    fn parse(s: &str) -> Result<Self, DeliverError> {
        match s {
            "webhook" => Ok(Channel::Webhook),
            "mqtt" => Ok(Channel::Mqtt),
            "push" => Ok(Channel::Push),
            other => Err(DeliverError::Corrupt(format!("unknown channel {other:?}"))),
        }
    }

    /// Index into per-channel counters.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// Where a delivery is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for its next attempt (or being attempted under a lease).
    Pending,
    /// Acknowledged by the receiver.
    Delivered,
    /// Not acknowledged before `expires_at`.
    Expired,
    /// Refused permanently (e.g. HTTP 404) or superseded.
    Failed,
}

impl State {
    fn parse(s: &str) -> Result<Self, DeliverError> {
        match s {
            "pending" => Ok(State::Pending),
            "delivered" => Ok(State::Delivered),
            "expired" => Ok(State::Expired),
            "failed" => Ok(State::Failed),
            other => Err(DeliverError::Corrupt(format!("unknown state {other:?}"))),
        }
    }
}

/// A delivery to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDelivery {
    /// `{alert identifier}:{channel}:{target id}`; one row per key, ever.
    pub idempotency_key: String,
    /// The channel.
    pub channel: Channel,
    /// Webhook subscription id, MQTT topic or push token.
    pub target: String,
    /// The exact bytes to send.
    pub payload: Vec<u8>,
    /// Give up at this time (ms since the epoch).
    pub expires_at_ms: i64,
}

/// A delivery row as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRow {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Channel.
    pub channel: Channel,
    /// Target (see [`NewDelivery::target`]).
    pub target: String,
    /// Payload bytes.
    pub payload: Vec<u8>,
    /// Attempts started so far (a claim counts as an attempt).
    pub attempts: u32,
    /// When it was queued, ms.
    pub created_at_ms: i64,
    /// Earliest next attempt, ms.
    pub next_attempt_at_ms: i64,
    /// Expiry, ms.
    pub expires_at_ms: i64,
    /// State.
    pub state: State,
    /// Last error, if any attempt failed.
    pub last_error: Option<String>,
    /// When it was acknowledged, ms.
    pub delivered_at_ms: Option<i64>,
}

/// Exponential backoff with full jitter: attempt `n` (1-based) waits a uniformly
/// random time in `[0, min(cap, base * 2^(n-1))]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// Base delay (default 1 s).
    pub base: Duration,
    /// Upper bound of any single delay (default 5 min).
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The ceiling of the delay after `attempt` failed attempts (1-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(40);
        let base_ms = self.base.as_millis() as u64;
        let grown = base_ms.saturating_mul(1u64 << shift);
        Duration::from_millis(grown.min(self.cap.as_millis() as u64))
    }

    /// The delay after `attempt` failed attempts, `random` being a uniformly random
    /// 64-bit number (full jitter).
    pub fn delay(&self, attempt: u32, random: u64) -> Duration {
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        Duration::from_millis(random % (ceiling + 1))
    }
}

/// A small non-cryptographic generator (SplitMix64) for jitter: spreading retries
/// needs no secrecy, and this keeps `rand` out of the dependency tree.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeded from the clock and the address of a local (different per process).
    pub fn from_entropy() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let local = 0u8;
        Self(t ^ (&local as *const u8 as u64).rotate_left(32))
    }

    /// A fixed seed (tests).
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Tried again at this time, ms.
    At(i64),
    /// The next attempt would come after expiry: the row is `expired`.
    Expired,
}

/// The outbox and this crate's other tables, through one SQLite connection.
#[derive(Debug)]
pub struct Outbox {
    conn: Connection,
}

impl Outbox {
    /// Open the database file (the alert log's, normally) and create or upgrade this
    /// crate's tables. Sets WAL, `synchronous = FULL` (an acknowledged enqueue is on
    /// disk) and a busy timeout, since `keiho-store` writes the same file.
    pub fn open(path: &Path) -> Result<Self, DeliverError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS deliver_schema (version INTEGER NOT NULL);",
        )?;
        let tx =
            rusqlite::Transaction::new_unchecked(&conn, rusqlite::TransactionBehavior::Immediate)?;
        let version: Option<i64> = tx
            .query_row("SELECT version FROM deliver_schema", [], |r| r.get(0))
            .optional()?;
        let version = match version {
            Some(v) => v,
            None => {
                tx.execute("INSERT INTO deliver_schema (version) VALUES (0)", [])?;
                0
            }
        };
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(DeliverError::SchemaTooNew {
                found: version,
                supported,
            });
        }
        for sql in MIGRATIONS.iter().skip(version as usize) {
            tx.execute_batch(sql)?;
        }
        tx.execute("UPDATE deliver_schema SET version = ?1", [supported])?;
        tx.commit()?;
        Ok(Self { conn })
    }

    /// The connection (the webhook and subscriber tables use it too).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection, mutably (transactions).
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Queue one delivery; returns `false` if its key was already queued (nothing
    /// changes then: enqueue is idempotent).
    pub fn enqueue(&self, d: &NewDelivery, now_ms: i64) -> Result<bool, DeliverError> {
        Ok(insert(&self.conn, d, now_ms)? == 1)
    }

    /// Queue many deliveries in one transaction (one disk sync); returns how many
    /// were new.
    pub fn enqueue_many(&mut self, ds: &[NewDelivery], now_ms: i64) -> Result<usize, DeliverError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut n = 0;
        for d in ds {
            n += insert(&tx, d, now_ms)?;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Claim up to `limit` due rows for `lease`: they are invisible to other claims
    /// until the lease runs out, so a worker that dies holding them only delays them.
    /// Each claim counts as an attempt.
    pub fn claim(
        &mut self,
        now_ms: i64,
        limit: usize,
        lease: Duration,
    ) -> Result<Vec<DeliveryRow>, DeliverError> {
        let lease_until = now_ms + lease.as_millis() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let rows = {
            let mut stmt = tx.prepare_cached(
                "UPDATE deliver_outbox SET lease_until = ?1, attempts = attempts + 1
                 WHERE id IN (
                    SELECT id FROM deliver_outbox
                    WHERE state = 'pending' AND next_attempt_at <= ?2
                      AND lease_until <= ?2 AND expires_at > ?2
                    ORDER BY next_attempt_at, id LIMIT ?3)
                 RETURNING id, idempotency_key, channel, target, payload, attempts,
                    created_at, next_attempt_at, expires_at, state, last_error, delivered_at",
            )?;
            let mapped = stmt.query_map(params![lease_until, now_ms, limit as i64], raw_row)?;
            mapped.collect::<Result<Vec<_>, _>>()?
        };
        tx.commit()?;
        let mut out = rows
            .into_iter()
            .map(RawRow::decode)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order guarantee.
        out.sort_by_key(|r| (r.next_attempt_at_ms, r.id));
        Ok(out)
    }

    /// Record the acknowledgement. Returns the row's enqueue time (for latency) if
    /// this call moved it to `delivered`, `None` if it was not pending any more.
    pub fn mark_delivered(&self, id: i64, now_ms: i64) -> Result<Option<i64>, DeliverError> {
        let created: Option<i64> = self
            .conn
            .query_row(
                "UPDATE deliver_outbox SET state = 'delivered', delivered_at = ?2,
                    lease_until = 0, last_error = NULL
                 WHERE id = ?1 AND state = 'pending' RETURNING created_at",
                params![id, now_ms],
                |r| r.get(0),
            )
            .optional()?;
        if created.is_some() {
            log_attempt(&self.conn, id, now_ms, true, None)?;
        }
        Ok(created)
    }

    /// Record a permanent refusal (no more attempts).
    pub fn mark_failed(&self, id: i64, now_ms: i64, error: &str) -> Result<bool, DeliverError> {
        let changed = self.conn.execute(
            "UPDATE deliver_outbox SET state = 'failed', lease_until = 0, last_error = ?2
             WHERE id = ?1 AND state = 'pending'",
            params![id, error],
        )? == 1;
        if changed {
            log_attempt(&self.conn, id, now_ms, false, Some(error))?;
        }
        Ok(changed)
    }

    /// Record a failed attempt: reschedule with backoff, or expire if the next attempt
    /// would be too late. `attempts` is the row's attempt count after its claim.
    pub fn retry_later(
        &self,
        id: i64,
        attempts: u32,
        now_ms: i64,
        error: &str,
        backoff: &Backoff,
        jitter: &mut Jitter,
    ) -> Result<Retry, DeliverError> {
        let at = now_ms + backoff.delay(attempts, jitter.next_u64()).as_millis() as i64;
        let expired = self.conn.execute(
            "UPDATE deliver_outbox SET state = 'expired', lease_until = 0, last_error = ?2
             WHERE id = ?1 AND state = 'pending' AND expires_at <= ?3",
            params![id, error, at],
        )?;
        if expired == 1 {
            log_attempt(&self.conn, id, now_ms, false, Some(error))?;
            return Ok(Retry::Expired);
        }
        let rescheduled = self.conn.execute(
            "UPDATE deliver_outbox SET next_attempt_at = ?3, lease_until = 0, last_error = ?2
             WHERE id = ?1 AND state = 'pending'",
            params![id, error, at],
        )?;
        if rescheduled == 1 {
            log_attempt(&self.conn, id, now_ms, false, Some(error))?;
        }
        Ok(Retry::At(at))
    }

    /// Move every pending row past its expiry to `expired`; returns how many.
    pub fn expire_due(&self, now_ms: i64) -> Result<usize, DeliverError> {
        Ok(self.conn.execute(
            "UPDATE deliver_outbox SET state = 'expired',
                last_error = COALESCE(last_error, 'expired before any attempt succeeded')
             WHERE state = 'pending' AND expires_at <= ?1",
            [now_ms],
        )?)
    }

    /// Mark older pending rows for the same target as failed ("superseded"): used for
    /// retained MQTT state, where only the newest state may be published.
    pub(crate) fn supersede(
        conn: &Connection,
        channel: Channel,
        target: &str,
        newer_key: &str,
    ) -> Result<usize, DeliverError> {
        Ok(conn.execute(
            "UPDATE deliver_outbox SET state = 'failed', last_error = 'superseded by ' || ?3
             WHERE channel = ?1 AND target = ?2 AND state = 'pending'
               AND idempotency_key <> ?3",
            params![channel.as_str(), target, newer_key],
        )?)
    }

    /// Every logged attempt of the deliveries whose key starts with `key_prefix`
    /// (`<CAP identifier>:` for one message), in time order.
    pub fn attempts(&self, key_prefix: &str) -> Result<Vec<AttemptRow>, DeliverError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT idempotency_key, channel, at, ok, error FROM deliver_attempts
             WHERE substr(idempotency_key, 1, length(?1)) = ?1 ORDER BY at, id",
        )?;
        let rows = stmt.query_map([key_prefix], |r| {
            Ok(AttemptRow {
                idempotency_key: r.get(0)?,
                channel: r.get(1)?,
                at_ms: r.get(2)?,
                ok: r.get(3)?,
                error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One row by idempotency key.
    pub fn by_key(&self, key: &str) -> Result<Option<DeliveryRow>, DeliverError> {
        self.conn
            .query_row(
                "SELECT id, idempotency_key, channel, target, payload, attempts,
                    created_at, next_attempt_at, expires_at, state, last_error, delivered_at
                 FROM deliver_outbox WHERE idempotency_key = ?1",
                [key],
                raw_row,
            )
            .optional()?
            .map(RawRow::decode)
            .transpose()
    }

    /// Number of rows with a key starting with `prefix` in each state:
    /// (pending, delivered, expired, failed).
    pub fn counts(&self, key_prefix: &str) -> Result<[u64; 4], DeliverError> {
        let mut stmt = self.conn.prepare(
            "SELECT state, COUNT(*) FROM deliver_outbox
             WHERE substr(idempotency_key, 1, length(?1)) = ?1 GROUP BY state",
        )?;
        let mut out = [0u64; 4];
        for row in stmt.query_map([key_prefix], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (state, n) = row?;
            let i = match State::parse(&state)? {
                State::Pending => 0,
                State::Delivered => 1,
                State::Expired => 2,
                State::Failed => 3,
            };
            out[i] = n as u64;
        }
        Ok(out)
    }
}

pub(crate) fn insert(
    conn: &Connection,
    d: &NewDelivery,
    now_ms: i64,
) -> Result<usize, DeliverError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO deliver_outbox
            (idempotency_key, channel, target, payload, created_at, next_attempt_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)
         ON CONFLICT(idempotency_key) DO NOTHING",
    )?;
    Ok(stmt.execute(params![
        d.idempotency_key,
        d.channel.as_str(),
        d.target,
        d.payload,
        now_ms,
        d.expires_at_ms
    ])?)
}

struct RawRow {
    id: i64,
    key: String,
    channel: String,
    target: String,
    payload: Vec<u8>,
    attempts: i64,
    created_at: i64,
    next_attempt_at: i64,
    expires_at: i64,
    state: String,
    last_error: Option<String>,
    delivered_at: Option<i64>,
}

fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        key: r.get(1)?,
        channel: r.get(2)?,
        target: r.get(3)?,
        payload: r.get(4)?,
        attempts: r.get(5)?,
        created_at: r.get(6)?,
        next_attempt_at: r.get(7)?,
        expires_at: r.get(8)?,
        state: r.get(9)?,
        last_error: r.get(10)?,
        delivered_at: r.get(11)?,
    })
}

impl RawRow {
    fn decode(self) -> Result<DeliveryRow, DeliverError> {
        Ok(DeliveryRow {
            id: self.id,
            idempotency_key: self.key,
            channel: Channel::parse(&self.channel)?,
            target: self.target,
            payload: self.payload,
            attempts: u32::try_from(self.attempts)
                .map_err(|_| DeliverError::Corrupt(format!("attempts {}", self.attempts)))?,
            created_at_ms: self.created_at,
            next_attempt_at_ms: self.next_attempt_at,
            expires_at_ms: self.expires_at,
            state: State::parse(&self.state)?,
            last_error: self.last_error,
            delivered_at_ms: self.delivered_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn open() -> (tempfile::TempDir, Outbox) {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = Outbox::open(&dir.path().join("keiho.db")).expect("open");
        (dir, outbox)
    }

    fn delivery(key: &str, expires_at_ms: i64) -> NewDelivery {
        NewDelivery {
            idempotency_key: key.to_owned(),
            channel: Channel::Webhook,
            target: "1".to_owned(),
            payload: b"<alert/>".to_vec(),
            expires_at_ms,
        }
    }

    #[test]
    fn enqueue_is_idempotent() {
        let (_dir, outbox) = open();
        assert!(
            outbox
                .enqueue(&delivery("a:webhook:1", 10_000), 0)
                .expect("enqueue")
        );
        assert!(
            !outbox
                .enqueue(&delivery("a:webhook:1", 99_000), 5)
                .expect("enqueue")
        );
        let row = outbox.by_key("a:webhook:1").expect("get").expect("row");
        assert_eq!(
            row.expires_at_ms, 10_000,
            "the second enqueue changed nothing"
        );
        assert_eq!(outbox.counts("a:").expect("counts"), [1, 0, 0, 0]);
    }

    #[test]
    fn reopening_keeps_rows_and_schema_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keiho.db");
        {
            let outbox = Outbox::open(&path).expect("open");
            outbox.enqueue(&delivery("k", 10), 0).expect("enqueue");
        }
        let outbox = Outbox::open(&path).expect("reopen");
        let v: i64 = outbox
            .conn()
            .query_row("SELECT version FROM deliver_schema", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, MIGRATIONS.len() as i64);
        let uv: i64 = outbox
            .conn()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version");
        assert_eq!(uv, 0, "keiho-store's user_version is left alone");
        assert!(outbox.by_key("k").expect("get").is_some());
    }

    #[test]
    fn a_claim_dropped_without_acknowledgement_is_retried_after_the_lease() {
        let (_dir, mut outbox) = open();
        outbox
            .enqueue(&delivery("a:webhook:1", 600_000), 0)
            .expect("enqueue");
        let lease = Duration::from_secs(30);
        let first = outbox.claim(1_000, 10, lease).expect("claim");
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].attempts, 1);
        // The worker dies here: neither mark_delivered nor retry_later is called.
        drop(first);
        assert!(
            outbox.claim(2_000, 10, lease).expect("claim").is_empty(),
            "leased"
        );
        assert!(
            outbox.claim(30_999, 10, lease).expect("claim").is_empty(),
            "still leased"
        );
        let again = outbox.claim(31_000, 10, lease).expect("claim");
        assert_eq!(again.len(), 1, "retried once the lease ran out");
        assert_eq!(again[0].attempts, 2);
        assert_eq!(
            outbox.mark_delivered(again[0].id, 31_500).expect("mark"),
            Some(0)
        );
        assert_eq!(
            outbox.mark_delivered(again[0].id, 31_600).expect("mark"),
            None
        );
        assert_eq!(outbox.counts("a:").expect("counts"), [0, 1, 0, 0]);
        // The log holds the attempts that ended: the acknowledged one, once. The
        // attempt whose worker died left no line (the row's count, 2, still says so).
        let log = outbox.attempts("a:").expect("attempts");
        assert_eq!(log.len(), 1, "{log:?}");
        assert!(log[0].ok && log[0].at_ms == 31_500 && log[0].channel == "webhook");
    }

    #[test]
    fn failed_attempts_back_off_then_expire() {
        let (_dir, mut outbox) = open();
        let backoff = Backoff::default();
        let mut jitter = Jitter::seeded(7);
        outbox
            .enqueue(&delivery("e:webhook:1", 20_000), 0)
            .expect("enqueue");
        let mut now = 0;
        let mut expired = false;
        for _ in 0..100 {
            let claimed = outbox
                .claim(now, 10, Duration::from_secs(30))
                .expect("claim");
            if claimed.is_empty() {
                now += 100;
                continue;
            }
            let row = &claimed[0];
            match outbox
                .retry_later(row.id, row.attempts, now, "HTTP 503", &backoff, &mut jitter)
                .expect("retry")
            {
                Retry::At(at) => {
                    let ceiling = backoff.ceiling(row.attempts).as_millis() as i64;
                    assert!(
                        at >= now && at <= now + ceiling,
                        "{at} within [{now}, +{ceiling}]"
                    );
                    now = at;
                }
                Retry::Expired => {
                    expired = true;
                    break;
                }
            }
        }
        assert!(expired);
        let row = outbox.by_key("e:webhook:1").expect("get").expect("row");
        assert_eq!(row.state, State::Expired);
        assert_eq!(row.last_error.as_deref(), Some("HTTP 503"));
        // Every attempt is logged with its cause, one per claim, in time order.
        let log = outbox.attempts("e:").expect("attempts");
        assert_eq!(log.len() as u32, row.attempts, "{log:?}");
        assert!(
            log.iter()
                .all(|a| !a.ok && a.error.as_deref() == Some("HTTP 503"))
        );
        assert!(log.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
        assert!(outbox.attempts("f:").expect("attempts").is_empty());
        assert!(
            outbox
                .claim(now, 10, Duration::from_secs(1))
                .expect("claim")
                .is_empty()
        );
    }

    #[test]
    fn rows_past_expiry_are_never_claimed() {
        let (_dir, mut outbox) = open();
        outbox
            .enqueue(&delivery("x:webhook:1", 1_000), 0)
            .expect("enqueue");
        assert!(
            outbox
                .claim(1_000, 10, Duration::from_secs(1))
                .expect("claim")
                .is_empty()
        );
        assert_eq!(outbox.expire_due(1_000).expect("expire"), 1);
        let row = outbox.by_key("x:webhook:1").expect("get").expect("row");
        assert_eq!(row.state, State::Expired);
    }

    proptest! {
        #[test]
        fn backoff_stays_within_full_jitter_bounds(
            base_ms in 1u64..5_000,
            cap_ms in 1u64..600_000,
            attempt in 1u32..200,
            random in any::<u64>(),
        ) {
            let b = Backoff { base: Duration::from_millis(base_ms), cap: Duration::from_millis(cap_ms) };
            let ceiling = b.ceiling(attempt);
            let expected = (base_ms as u128 * (1u128 << (attempt - 1).min(40))).min(cap_ms as u128);
            prop_assert_eq!(ceiling.as_millis(), expected);
            let d = b.delay(attempt, random);
            prop_assert!(d <= ceiling);
            prop_assert!(d <= b.cap);
            // Ceilings never shrink as attempts grow.
            prop_assert!(b.ceiling(attempt + 1) >= ceiling);
        }
    }
}
