//! After-action analysis of a recorded event: everything is computed from what the
//! store holds (alerts, the event, its journal and reports), so the report can be
//! produced for any past event from its database alone.
//!
//! - [`EventRecord`] loads one event from any [`keiho_store::AlertLog`].
//! - [`Analysis`] is computed from it: the timeline with latencies, the periods each
//!   area was alerted, the comparison with the real J-Alert timeline of the same launch
//!   date ([`jalert`]) and the list of what went wrong or was late ([`Finding`]).
//! - [`figures`] draws the figures as SVG text (plotters' SVG backend): the map, the
//!   IIP error against the simulator's truth ([`Truth`]), altitude and speed, and the
//!   alerted areas over time. The dashboard can embed the same functions.
//! - [`html`] writes one self-contained HTML file (inline SVG and CSS, nothing fetched).
//! - [`public`] writes the public event page (ja, en, ko) with its computed FAQ.
//!
//! Architecture invariant: no number in a report is written by hand per event; the
//! only fixed data is the J-Alert table in `data/jalert_timelines.csv`, compiled in.

mod analysis;
pub mod figures;
pub mod html;
pub mod jalert;
pub mod public;
mod record;
mod truth;

pub use analysis::{
    AlertPeriod, Analysis, AttemptLog, DeliveryAttempt, DeliveryRecords, Finding, FindingKind,
    RowKind, TimelineRow,
};
pub use record::{EventRecord, Note, Prediction, issued_at};
pub use truth::{Truth, TruthImpact};

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] keiho_store::StoreError),
    /// No event with this id in the database.
    #[error("no event {id:?} in the database (events: {known})")]
    UnknownEvent {
        /// The id asked for.
        id: String,
        /// The ids the database holds, comma-separated (or "none").
        known: String,
    },
    /// A journal entry's body does not parse as its kind.
    #[error("event {event}: journal entry {kind} at {t} is not readable")]
    Journal {
        /// The event.
        event: String,
        /// Entry kind.
        kind: String,
        /// Entry time.
        t: chrono::DateTime<chrono::Utc>,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored alert's `sent` is not an RFC 3339 time.
    #[error("alert {identifier}: sent {sent:?} is not an RFC 3339 time")]
    BadSent {
        /// CAP identifier.
        identifier: String,
        /// The text.
        sent: String,
    },
    /// The bundled regions could not be loaded (names and distances on public pages).
    #[error("the bundled regions: {0}")]
    Regions(#[source] keiho_geo::LoadError),
    /// A line of the truth file is not readable.
    #[error("truth file line {line}: {source}")]
    Truth {
        /// 1-based line.
        line: usize,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
}

/// Load `event_id` from `log`, analyse it and write the HTML report (with the IIP
/// error figure when `truth` is given, and the delivery attempts and retries when
/// `delivery` holds them: the service's outbox does).
pub fn report_html<L: keiho_store::AlertLog + ?Sized>(
    log: &L,
    event_id: &str,
    truth: Option<&Truth>,
    delivery: Option<&dyn DeliveryRecords>,
) -> Result<String, ReportError> {
    let record = EventRecord::load(log, event_id)?;
    let analysis = Analysis::of(&record, delivery)?;
    Ok(html::render(&record, &analysis, truth))
}
