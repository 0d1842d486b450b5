//! Recovery after a restart (or a crash): the inbox holds every accepted report and
//! operator action; the pipeline is deterministic, so replaying the inbox rebuilds
//! its state exactly. Derived tables are re-derived; issued alerts are kept as they
//! went out (the pipeline finds them by identifier and does not issue them twice);
//! an alert that was computed but not yet durable when the process died is issued
//! now, late rather than never.

use crate::engine::{EngineError, OperatorAction};
use crate::manual::ManualState;
use chrono::{DateTime, Duration, Utc};
use keiho_ingest::{Report, Validator};
use keiho_pipeline::Pipeline;
use keiho_store::{ServiceLog, SqliteStore};
use std::collections::HashSet;

enum Item {
    Report(Report, String),
    Withdraw { identifier: String, cause: String },
}

/// Rebuild the pipeline from the inbox; returns the manual incidents and the hashes
/// of the report lines seen (for duplicate detection).
pub(crate) fn recover(
    pipeline: &mut Pipeline<SqliteStore>,
    now: DateTime<Utc>,
) -> Result<(ManualState, HashSet<u64>), EngineError> {
    let expires_after = pipeline.config().deployment.expires_after;
    let manual = ManualState::from_log(pipeline.store(), expires_after)?;
    let inbox = pipeline.store().inbox()?;
    let mut seen = HashSet::new();
    if inbox.is_empty() {
        return Ok((manual, seen));
    }
    let started = std::time::Instant::now();
    pipeline.store_mut().reset_derived()?;
    let mut items: Vec<(DateTime<Utc>, Item)> = Vec::with_capacity(inbox.len());
    for row in &inbox {
        if row.json.starts_with("{\"keiho_operator\"") {
            match serde_json::from_str::<OperatorAction>(&row.json) {
                Ok(a) => items.push((
                    a.keiho_operator.at,
                    Item::Withdraw {
                        identifier: a.keiho_operator.withdraw,
                        cause: a.keiho_operator.cause,
                    },
                )),
                Err(e) => {
                    tracing::warn!(seq = row.seq, error = %e, "inbox: unreadable operator action skipped")
                }
            }
            continue;
        }
        // The same report stored twice (posted again before this fix, or by a
        // sender retrying across a crash) is processed once.
        if !seen.insert(crate::engine::line_hash(&row.json)) {
            continue;
        }
        // Validated as when it arrived (its age then, not now).
        let validator = Validator::new(row.received_at)
            .with_future_tolerance(std::time::Duration::from_secs(24 * 3600));
        match validator.parse_line(0, &row.json) {
            Ok(r) => items.push((r.t, Item::Report(r, row.json.clone()))),
            Err(e) => {
                tracing::warn!(seq = row.seq, error = %e, "inbox: report no longer valid, skipped")
            }
        }
    }
    // Time order, arrival order among equals (a stable sort).
    items.sort_by_key(|(t, _)| *t);
    let mut last: Option<DateTime<Utc>> = None;
    let mut batch: Vec<(Report, String)> = Vec::new();
    let flush = |pipeline: &mut Pipeline<SqliteStore>, batch: &mut Vec<(Report, String)>| {
        let out = pipeline.process_batch(batch.iter().map(|(r, l)| (r, l.as_str())));
        batch.clear();
        out.map(|_| ())
    };
    for (t, item) in items {
        // A new second: finish the batch, then let the clock pass the gap.
        if let Some(prev) = last {
            if t.timestamp() != prev.timestamp() {
                flush(pipeline, &mut batch)?;
                let mut tick = prev + Duration::seconds(1);
                while tick < t {
                    pipeline.tick(tick)?;
                    tick += Duration::seconds(1);
                }
            }
        }
        match item {
            Item::Report(r, line) => batch.push((r, line)),
            Item::Withdraw { identifier, cause } => {
                flush(pipeline, &mut batch)?;
                pipeline.withdraw(&identifier, t, &cause)?;
            }
        }
        last = Some(last.map_or(t, |l| l.max(t)));
    }
    flush(pipeline, &mut batch)?;
    // Let the clock catch up to now (at most ten minutes of it matter: all-clears
    // follow outcomes within a minute).
    if let Some(prev) = last {
        let mut tick = prev + Duration::seconds(1);
        let end = now.min(prev + Duration::minutes(10));
        while tick <= end {
            pipeline.tick(tick)?;
            tick += Duration::seconds(1);
        }
        if now > end {
            pipeline.tick(now)?;
        }
    }
    tracing::info!(
        reports = inbox.len(),
        ms = started.elapsed().as_millis() as u64,
        "recovered from the inbox"
    );
    Ok((manual, seen))
}
