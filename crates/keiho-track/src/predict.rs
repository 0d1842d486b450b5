//! The library entry of `keiho predict`: reports in, products for every object out.

use crate::products::{PredictOptions, Prediction};
use crate::tracker::{Event, Tracker};
use chrono::{DateTime, Utc};
use keiho_ingest::{BufferConfig, Report, ReportBuffer};
use serde::Serialize;

/// A report the tracker or the reorder buffer refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    /// Object of the report.
    pub object: String,
    /// Report time.
    pub t: DateTime<Utc>,
    /// Why, in words.
    pub reason: String,
}

/// Products for every object at one time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictionSet {
    /// The time predicted for; `None` when there were no reports.
    pub at: Option<DateTime<Utc>>,
    /// Events in order of creation.
    pub events: Vec<Event>,
    /// One prediction per object, ordered by object id.
    pub predictions: Vec<Prediction>,
    /// Reports not used (duplicates, out of order, unusable values), in input order.
    pub refused: Vec<Refusal>,
}

/// Runs the tracker over `reports` up to `at` (default: the last report's time) and
/// returns every object's products at `at`.
///
/// Reports after `at` are ignored; the rest go through a `ReportBuffer` (duplicates
/// dropped, time order restored per object) before the tracker sees them, so input
/// order does not matter.
pub fn predict_reports(
    reports: &[Report],
    at: Option<DateTime<Utc>>,
    options: &PredictOptions,
) -> PredictionSet {
    let at = at.or_else(|| reports.iter().map(|r| r.t).max());
    let mut refused = Vec::new();
    let mut buffer = ReportBuffer::new(BufferConfig::default());
    for r in reports {
        if at.is_some_and(|at| r.t > at) {
            continue;
        }
        if let Err(e) = buffer.push(r.clone()) {
            refused.push(Refusal {
                object: r.object.clone(),
                t: r.t,
                reason: e.to_string(),
            });
        }
    }
    let mut released = buffer.flush();
    // Reports of equal time leave the buffer in arrival order; sorting them by
    // object, sensor and kind makes the result independent of input order.
    released.sort_by(|a, b| {
        (a.t, &a.object, &a.sensor, a.kind()).cmp(&(b.t, &b.object, &b.sensor, b.kind()))
    });
    let mut tracker = Tracker::new(options.tracker);
    for r in released {
        if let Err(e) = tracker.ingest(&r) {
            refused.push(Refusal {
                object: r.object.clone(),
                t: r.t,
                reason: e.to_string(),
            });
        }
    }
    let predictions = match at {
        Some(at) => tracker
            .objects()
            .filter_map(|o| tracker.predict(o.id(), at, options).ok())
            .collect(),
        None => Vec::new(),
    };
    PredictionSet {
        at,
        events: tracker.events().to_vec(),
        predictions,
        refused,
    }
}
