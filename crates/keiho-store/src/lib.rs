//! Keiho's durable store. The default backend is embedded SQLite (WAL); the pipeline
//! talks to it through the [`AlertLog`] trait so another backend (PostgreSQL) can come
//! later without touching the pipeline.
//!
//! Architecture invariant: an alert counts as issued only once its row is durable:
//! the alert log is written with `synchronous = FULL` in its own transaction, and
//! delivery starts after that.

mod service;
mod sqlite;

pub use service::{AuditRecord, Draft, InboxReport, ServiceLog, TokenRecord};
pub use sqlite::SqliteStore;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A stored CAP message with the facts needed to list, export and analyse it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAlert {
    /// CAP identifier.
    pub identifier: String,
    /// The event it belongs to.
    pub event_id: String,
    /// Sequence number within the event (1 for the first message).
    pub sequence: u32,
    /// CAP `sent` text, exactly as in the message.
    pub sent: String,
    /// CAP `status`.
    pub status: String,
    /// CAP `msgType`.
    pub msg_type: String,
    /// Policy stage (e.g. `TakeShelter`).
    pub stage: String,
    /// Region codes told to shelter by this message.
    pub regions: Vec<String>,
    /// Region codes this message lifts the call for.
    pub lifted: Vec<String>,
    /// CAP `references`, if any.
    pub references: Option<String>,
    /// Time of the report that triggered the message.
    pub trigger_report_at: DateTime<Utc>,
    /// Measured processing time from that report to the message, microseconds.
    pub processing_us: u64,
    /// Why, in words.
    pub cause: String,
    /// The exact CAP XML bytes as issued.
    pub xml: String,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// Stable event id.
    pub id: String,
    /// Launch time, when known.
    pub launch_at: Option<DateTime<Utc>>,
    /// Where it came from, in words.
    pub origin: String,
    /// Policy phase at the last update.
    pub phase: String,
    /// Object ids grouped into the event.
    pub objects: Vec<String>,
}

/// One entry of an event's journal: what the pipeline saw and predicted, in time
/// order, so an event can be shown live and analysed afterwards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JournalEntry {
    /// The event.
    pub event_id: String,
    /// Time the entry refers to (report or assessment time).
    pub t: DateTime<Utc>,
    /// What it is: `prediction`, `note`, `assessment` or `outcome` (see
    /// `keiho-pipeline`'s `journal` module for each body).
    pub kind: String,
    /// The object concerned, if one.
    pub object: Option<String>,
    /// The body, JSON.
    pub json: String,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value could not be decoded (the file was edited or is from the future).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database was written by a newer Keiho.
    #[error("database schema version {found} is newer than this Keiho understands ({supported})")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
}

/// The alert log: what the pipeline needs from storage.
pub trait AlertLog {
    /// Start a unit of work: everything written until [`AlertLog::commit`] becomes
    /// durable together, with one disk sync. Units nest; only the outermost commits.
    fn begin(&mut self) -> Result<(), StoreError>;
    /// End a unit of work; returns once it is durable.
    fn commit(&mut self) -> Result<(), StoreError>;
    /// Abandon the outermost unit of work (after an error).
    fn rollback(&mut self);
    /// Record a raw accepted report (JSON line) for an event.
    fn record_report(
        &mut self,
        event_id: Option<&str>,
        t: DateTime<Utc>,
        object: &str,
        json_line: &str,
    ) -> Result<(), StoreError>;
    /// Create or update an event.
    fn upsert_event(&mut self, event: &StoredEvent) -> Result<(), StoreError>;
    /// Durably record an issued alert (returns once the row is on disk).
    fn issue_alert(&mut self, alert: &StoredAlert) -> Result<(), StoreError>;
    /// Every alert, in issue order.
    fn alerts(&self) -> Result<Vec<StoredAlert>, StoreError>;
    /// Every event.
    fn events(&self) -> Result<Vec<StoredEvent>, StoreError>;
    /// Number of stored reports.
    fn report_count(&self) -> Result<u64, StoreError>;
    /// The alert with this identifier, if it was issued. Re-deriving an event after a
    /// restart finds its messages here and keeps them exactly as they went out.
    fn alert(&self, identifier: &str) -> Result<Option<StoredAlert>, StoreError>;
    /// Append to an event's journal.
    fn record_journal(&mut self, entry: &JournalEntry) -> Result<(), StoreError>;
    /// An event's journal in time order (entries of equal time in insertion order).
    fn journal(&self, event_id: &str) -> Result<Vec<JournalEntry>, StoreError>;
    /// The raw reports of an event in time order: (time, object, JSON line).
    fn reports(&self, event_id: &str) -> Result<Vec<(DateTime<Utc>, String, String)>, StoreError>;
}
