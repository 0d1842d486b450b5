//! One event as the store holds it, with its journal bodies parsed.

use crate::ReportError;
use chrono::{DateTime, Utc};
use keiho_pipeline::journal::{self, AssessmentBody, NoteBody, OutcomeBody, PredictionBody};
use keiho_store::{AlertLog, StoredAlert, StoredEvent};

/// One object's prediction at one assessment.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Assessment time.
    pub t: DateTime<Utc>,
    /// Object id.
    pub object: String,
    /// The journal body.
    pub body: PredictionBody,
}

/// A tracker note (phase change, staging, break-up).
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// When.
    pub t: DateTime<Utc>,
    /// The object it concerns.
    pub object: Option<String>,
    /// The journal body.
    pub body: NoteBody,
}

/// Everything recorded about one event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// The event row.
    pub event: StoredEvent,
    /// Its alerts, in issue order.
    pub alerts: Vec<StoredAlert>,
    /// Number of raw reports recorded for it.
    pub report_count: usize,
    /// The first report: time and object.
    pub first_report: Option<(DateTime<Utc>, String)>,
    /// The last report's time.
    pub last_report_at: Option<DateTime<Utc>>,
    /// Predictions, in time order.
    pub predictions: Vec<Prediction>,
    /// Tracker notes, in time order.
    pub notes: Vec<Note>,
    /// Assessments whose result changed, in time order.
    pub assessments: Vec<(DateTime<Utc>, AssessmentBody)>,
    /// The outcome, if the event ended.
    pub outcome: Option<(DateTime<Utc>, OutcomeBody)>,
}

impl EventRecord {
    /// Load `event_id` from `log`.
    pub fn load<L: AlertLog + ?Sized>(log: &L, event_id: &str) -> Result<Self, ReportError> {
        let events = log.events()?;
        let Some(event) = events.iter().find(|e| e.id == event_id).cloned() else {
            let known: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
            return Err(ReportError::UnknownEvent {
                id: event_id.to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        };
        let alerts: Vec<StoredAlert> = log
            .alerts()?
            .into_iter()
            .filter(|a| a.event_id == event_id)
            .collect();
        let reports = log.reports(event_id)?;
        let mut record = Self {
            event,
            alerts,
            report_count: reports.len(),
            first_report: reports.first().map(|(t, o, _)| (*t, o.clone())),
            last_report_at: reports.last().map(|(t, _, _)| *t),
            predictions: Vec::new(),
            notes: Vec::new(),
            assessments: Vec::new(),
            outcome: None,
        };
        for e in log.journal(event_id)? {
            let bad = |source| ReportError::Journal {
                event: event_id.to_owned(),
                kind: e.kind.clone(),
                t: e.t,
                source,
            };
            match e.kind.as_str() {
                journal::PREDICTION => record.predictions.push(Prediction {
                    t: e.t,
                    object: e.object.clone().unwrap_or_default(),
                    body: journal::parse(&e).map_err(bad)?,
                }),
                journal::NOTE => record.notes.push(Note {
                    t: e.t,
                    object: e.object.clone(),
                    body: journal::parse(&e).map_err(bad)?,
                }),
                journal::ASSESSMENT => record
                    .assessments
                    .push((e.t, journal::parse(&e).map_err(bad)?)),
                // The first outcome is the one the policy acted on.
                journal::OUTCOME if record.outcome.is_none() => {
                    record.outcome = Some((e.t, journal::parse(&e).map_err(bad)?));
                }
                // A kind from a newer Keiho: not ours to interpret.
                _ => {}
            }
        }
        Ok(record)
    }

    /// Object ids with predictions: in the event's order (the main object, the one
    /// launched, first), then any other in order of appearance.
    pub fn objects(&self) -> Vec<&str> {
        let mut order: Vec<&str> = Vec::new();
        for p in &self.predictions {
            if !order.contains(&p.object.as_str()) {
                order.push(&p.object);
            }
        }
        let rank = |o: &str| {
            self.event
                .objects
                .iter()
                .position(|x| x == o)
                .unwrap_or(usize::MAX)
        };
        // Stable: objects the event does not list keep their order of appearance.
        order.sort_by_key(|o| rank(o));
        order
    }

    /// The reference time of the report: the launch when known, else the first report,
    /// else the first journal entry, else the first alert's trigger.
    pub fn t0(&self) -> DateTime<Utc> {
        self.event
            .launch_at
            .or(self.first_report.as_ref().map(|(t, _)| *t))
            .or(self.predictions.first().map(|p| p.t))
            .or(self.alerts.first().map(|a| a.trigger_report_at))
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    }

    /// Seconds from [`EventRecord::t0`] to `t`.
    pub fn since_t0_s(&self, t: DateTime<Utc>) -> f64 {
        seconds(t - self.t0())
    }
}

/// When an alert was issued, exactly: its triggering report's time plus the measured
/// processing time (the CAP `sent` is the same instant truncated to the second).
pub fn issued_at(a: &StoredAlert) -> DateTime<Utc> {
    a.trigger_report_at
        + chrono::Duration::microseconds(i64::try_from(a.processing_us).unwrap_or(i64::MAX))
}

/// A duration in seconds (microsecond resolution).
pub(crate) fn seconds(d: chrono::Duration) -> f64 {
    d.num_microseconds()
        .map_or(d.num_milliseconds() as f64 / 1e3, |us| us as f64 / 1e6)
}
