//! What the running service stores beside the alert log: the ingest inbox (every
//! accepted report, durable before it is acknowledged), API tokens, operators' drafts
//! of manual alerts, and the append-only audit log whose rows are hash-chained so
//! that any edit or deletion shows.

use crate::{StoreError, StoredAlert};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An accepted report as received, in arrival order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InboxReport {
    /// Arrival sequence (1, 2, ...).
    pub seq: i64,
    /// When the service accepted it.
    pub received_at: DateTime<Utc>,
    /// The report as one JSON line.
    pub json: String,
}

/// An API token as stored: only an argon2 hash of its secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenRecord {
    /// Public id (the part of the token before the secret).
    pub id: String,
    /// Who or what holds it.
    pub name: String,
    /// `sensor`, `operator`, `approver`, `admin` or `viewer`.
    pub role: String,
    /// argon2id PHC string of the secret.
    #[serde(skip)]
    pub secret_hash: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An operator's manual alert awaiting approval, or its fate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Draft {
    /// Draft id.
    pub id: i64,
    /// Token id of the operator who drafted it.
    pub drafted_by: String,
    /// When.
    pub drafted_at: DateTime<Utc>,
    /// CAP status it will carry (`Actual`, `Exercise`, `Test`).
    pub status: String,
    /// The request, JSON.
    pub body: String,
    /// `pending`, `issued` or `rejected`.
    pub state: String,
    /// Token id of the approver, once approved.
    pub approved_by: Option<String>,
    /// The CAP identifier it went out as.
    pub identifier: Option<String>,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Sequence (1, 2, ...).
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (token id, or `system`).
    pub actor: String,
    /// What (`token.create`, `alert.issue`, `draft.approve`, ...).
    pub action: String,
    /// Details, JSON.
    pub detail: String,
    /// SHA-256 (hex) of the previous row's hash and this row's fields.
    pub hash: String,
}

/// The service's storage, beside [`crate::AlertLog`].
pub trait ServiceLog {
    /// Durably add accepted reports to the inbox (one disk sync for the batch);
    /// returns their sequence numbers.
    fn inbox_append(
        &mut self,
        received_at: DateTime<Utc>,
        json_lines: &[String],
    ) -> Result<Vec<i64>, StoreError>;
    /// The whole inbox in arrival order (recovery after a restart).
    fn inbox(&self) -> Result<Vec<InboxReport>, StoreError>;
    /// Forget what is derived from the inbox (reports, journal, events) before it is
    /// derived again; issued alerts are kept.
    fn reset_derived(&mut self) -> Result<(), StoreError>;
    /// Alerts issued after global sequence `after`, in order, with their sequence.
    fn alerts_after(&self, after: i64, limit: u32) -> Result<Vec<(i64, StoredAlert)>, StoreError>;

    /// Store a new token.
    fn token_insert(&mut self, token: &TokenRecord) -> Result<(), StoreError>;
    /// A token by id.
    fn token(&self, id: &str) -> Result<Option<TokenRecord>, StoreError>;
    /// Every token.
    fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;
    /// Revoke a token; false if there is no such token.
    fn token_revoke(&mut self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Store a draft; returns its id.
    fn draft_insert(
        &mut self,
        drafted_by: &str,
        at: DateTime<Utc>,
        status: &str,
        body: &str,
    ) -> Result<i64, StoreError>;
    /// A draft by id.
    fn draft(&self, id: i64) -> Result<Option<Draft>, StoreError>;
    /// Drafts, newest first.
    fn drafts(&self) -> Result<Vec<Draft>, StoreError>;
    /// Settle a pending draft (`issued` with the approver and identifier, or
    /// `rejected`); false if it was not pending.
    fn draft_settle(
        &mut self,
        id: i64,
        state: &str,
        approved_by: Option<&str>,
        identifier: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Append to the audit log.
    fn audit(
        &mut self,
        at: DateTime<Utc>,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<AuditRecord, StoreError>;
    /// The audit log in order.
    fn audit_log(&self) -> Result<Vec<AuditRecord>, StoreError>;
    /// Check the chain; the first broken row's sequence, if any.
    fn audit_verify(&self) -> Result<Option<i64>, StoreError> {
        let mut prev = String::new();
        for r in self.audit_log()? {
            if audit_hash(&prev, r.seq, r.at, &r.actor, &r.action, &r.detail) != r.hash {
                return Ok(Some(r.seq));
            }
            prev = r.hash;
        }
        Ok(None)
    }
}

/// The hash of an audit row: SHA-256 over the previous hash and the row's fields,
/// each length-prefixed so no two rows can be confused.
pub(crate) fn audit_hash(
    prev: &str,
    seq: i64,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    detail: &str,
) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    let at = crate::sqlite::time_text(at);
    let seq = seq.to_string();
    for field in [prev, seq.as_str(), at.as_str(), actor, action, detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
