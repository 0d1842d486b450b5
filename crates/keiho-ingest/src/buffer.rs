//! Reordering and de-duplication of validated reports before estimation.
//!
//! Sensors deliver late and twice: networks reorder, relays retransmit, two gateways
//! forward the same radar. The estimator wants each measurement once and, per object,
//! in time order. [`ReportBuffer`] holds reports for a reorder window behind the newest
//! time seen and releases them in order; it never reads a clock, so the same input
//! sequence always gives the same output.

use crate::report::{Report, ReportKind};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Tuning of a [`ReportBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferConfig {
    /// How long a report is held for stragglers: released once it is at least this
    /// much older than the newest report time seen (any object). Default 2 s.
    pub reorder_window: Duration,
    /// Reports of the same object, sensor and kind whose times differ by at most this
    /// are one measurement seen twice. Default 1 ms: retransmissions carry the same
    /// time, while distinct radar dwells are tens of milliseconds apart at least.
    pub duplicate_tolerance: Duration,
}

impl Default for BufferConfig {
    fn default() -> Self {
        Self {
            reorder_window: Duration::from_secs(2),
            duplicate_tolerance: Duration::from_millis(1),
        }
    }
}

/// Why the buffer refused a report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BufferRejection {
    /// The same measurement was already accepted; the first copy is kept.
    #[error(
        "duplicate: {kind} report of object {object:?} from sensor {sensor:?} at {t:?} repeats the one at {original_t:?}"
    )]
    Duplicate {
        /// The object.
        object: String,
        /// The sensor.
        sensor: String,
        /// The kind.
        kind: ReportKind,
        /// Time of the refused copy.
        t: DateTime<Utc>,
        /// Time of the kept copy.
        original_t: DateTime<Utc>,
    },
    /// Reports of this object up to a later time were already released, so accepting
    /// this one would hand the estimator time going backwards.
    #[error(
        "too late: {kind} report of object {object:?} from sensor {sensor:?} at {t:?} is older than {last_released:?}, already released for that object (reorder window {window_s} s)"
    )]
    TooLate {
        /// The object.
        object: String,
        /// The sensor.
        sensor: String,
        /// The kind.
        kind: ReportKind,
        /// Time of the refused report.
        t: DateTime<Utc>,
        /// Latest time released for the object.
        last_released: DateTime<Utc>,
        /// The configured reorder window, seconds.
        window_s: f64,
    },
}

/// Identity of a measurement for duplicate detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Source {
    object: String,
    sensor: String,
    kind: ReportKind,
}

impl Source {
    fn of(r: &Report) -> Self {
        Self {
            object: r.object.clone(),
            sensor: r.sensor.clone(),
            kind: r.kind(),
        }
    }
}

/// Holds reports for a reorder window and releases them in time order, per object,
/// with duplicates and hopelessly late reports refused.
///
/// Invariant: for each object, the times of released reports never decrease.
#[derive(Debug, Clone)]
pub struct ReportBuffer {
    window: TimeDelta,
    tolerance: TimeDelta,
    /// Held reports by (time, arrival number); the number keeps equal times in
    /// arrival order, which makes release deterministic.
    pending: BTreeMap<(DateTime<Utc>, u64), Report>,
    /// Recently released measurements, kept one more window so that a retransmission
    /// arriving after its original was released is still called a duplicate.
    released: BTreeMap<(DateTime<Utc>, u64), Source>,
    last_released: HashMap<String, DateTime<Utc>>,
    newest_seen: Option<DateTime<Utc>>,
    arrivals: u64,
}

impl ReportBuffer {
    /// An empty buffer.
    pub fn new(config: BufferConfig) -> Self {
        // Windows beyond chrono's range (about 292 million years) are clamped.
        let delta = |d: Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        Self {
            window: delta(config.reorder_window),
            tolerance: delta(config.duplicate_tolerance),
            pending: BTreeMap::new(),
            released: BTreeMap::new(),
            last_released: HashMap::new(),
            newest_seen: None,
            arrivals: 0,
        }
    }

    /// Offers a report. Accepted reports wait in the buffer until [`Self::release`].
    pub fn push(&mut self, report: Report) -> Result<(), BufferRejection> {
        let source = Source::of(&report);
        let (lo, hi) = (
            report
                .t
                .checked_sub_signed(self.tolerance)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            report
                .t
                .checked_add_signed(self.tolerance)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        );
        let range = (lo, 0)..=(hi, u64::MAX);
        // Duplicates first: a retransmission is better described as a duplicate than
        // as late, even when it is also late.
        let original = self
            .pending
            .range(range.clone())
            .find(|(_, r)| Source::of(r) == source)
            .map(|((t, _), _)| *t)
            .or_else(|| {
                self.released
                    .range(range)
                    .find(|(_, s)| **s == source)
                    .map(|((t, _), _)| *t)
            });
        if let Some(original_t) = original {
            return Err(BufferRejection::Duplicate {
                object: source.object,
                sensor: source.sensor,
                kind: source.kind,
                t: report.t,
                original_t,
            });
        }
        if let Some(&last_released) = self.last_released.get(&report.object)
            && report.t < last_released
        {
            return Err(BufferRejection::TooLate {
                object: source.object,
                sensor: source.sensor,
                kind: source.kind,
                t: report.t,
                last_released,
                window_s: self.window.num_milliseconds() as f64 / 1000.0,
            });
        }
        self.newest_seen = Some(self.newest_seen.map_or(report.t, |n| n.max(report.t)));
        self.pending.insert((report.t, self.arrivals), report);
        self.arrivals += 1;
        Ok(())
    }

    /// The time up to which held reports are released: newest time seen minus the
    /// reorder window. `None` before the first report.
    pub fn watermark(&self) -> Option<DateTime<Utc>> {
        self.newest_seen.map(|n| {
            n.checked_sub_signed(self.window)
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        })
    }

    /// Removes and returns, in time order, every held report at or before the
    /// watermark.
    pub fn release(&mut self) -> Vec<Report> {
        match self.watermark() {
            Some(w) => self.release_up_to(Some(w)),
            None => Vec::new(),
        }
    }

    /// Removes and returns every held report in time order, e.g. at end of input.
    pub fn flush(&mut self) -> Vec<Report> {
        self.release_up_to(None)
    }

    fn release_up_to(&mut self, limit: Option<DateTime<Utc>>) -> Vec<Report> {
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if limit.is_some_and(|w| entry.key().0 > w) {
                break;
            }
            let (key, report) = entry.remove_entry();
            let last = self
                .last_released
                .entry(report.object.clone())
                .or_insert(report.t);
            *last = (*last).max(report.t);
            self.released.insert(key, Source::of(&report));
            out.push(report);
        }
        self.forget_old_releases();
        out
    }

    /// Drops released-measurement memory older than two windows behind the newest
    /// time: a copy that late is refused as too late anyway, so memory stays bounded.
    fn forget_old_releases(&mut self) {
        let Some(w) = self.watermark() else { return };
        let keep = self
            .window
            .checked_add(&self.tolerance)
            .unwrap_or(TimeDelta::MAX);
        let horizon = w
            .checked_sub_signed(keep)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        self.released = self.released.split_off(&(horizon, 0));
    }

    /// Number of reports held.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Whether no report is held.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}
