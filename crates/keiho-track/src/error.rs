//! Typed errors of the estimate and predict stages, carrying the object and time.

use chrono::{DateTime, Utc};
use thiserror::Error;

/// Why the tracker refused a report or could not predict.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TrackError {
    /// A report older than the object's last update: time order is the caller's
    /// job (keiho_ingest::ReportBuffer), and a filter cannot run backwards.
    #[error("report of object {object:?} at {t} is older than its last update at {last_t}")]
    OutOfOrder {
        /// The object.
        object: String,
        /// Time of the refused report.
        t: DateTime<Utc>,
        /// Time of the object's last update.
        last_t: DateTime<Utc>,
    },
    /// A measurement that no model can use (non-finite value, non-positive sigma).
    #[error("report of object {object:?} at {t} is unusable: {reason}")]
    InvalidMeasurement {
        /// The object.
        object: String,
        /// Report time.
        t: DateTime<Utc>,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No track of that id.
    #[error("no track for object {object:?}")]
    UnknownObject {
        /// The object asked for.
        object: String,
    },
    /// The time is too far from the tracker's epoch for f64 seconds or chrono.
    #[error("time {t} cannot be represented relative to the tracker epoch")]
    TimeOutOfRange {
        /// The offending time.
        t: DateTime<Utc>,
    },
}
