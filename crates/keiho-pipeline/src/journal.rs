//! The event journal: what the pipeline saw and predicted, written to the store as it
//! happens, so the dashboard can draw an event live and the after-action report can
//! analyse it later from the database alone. Each body here is the JSON of one
//! `JournalEntry` kind; readers deserialize the same types.

use chrono::{DateTime, Utc};
use keiho_store::JournalEntry;
use serde::{Deserialize, Serialize};

/// Journal kind of [`PredictionBody`].
pub const PREDICTION: &str = "prediction";
/// Journal kind of [`NoteBody`].
pub const NOTE: &str = "note";
/// Journal kind of [`AssessmentBody`].
pub const ASSESSMENT: &str = "assessment";
/// Journal kind of [`OutcomeBody`].
pub const OUTCOME: &str = "outcome";

/// One object's estimate and impact prediction at one assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionBody {
    /// Flight phase (`boost`, `coast`, `reentry`).
    pub phase: String,
    /// The track has gone quiet while still flying.
    pub lost: bool,
    /// The object is judged to be down.
    pub down: bool,
    /// Measurements the filter accepted so far.
    pub accepted: u32,
    /// Estimated position, degrees and metres.
    pub lat_deg: f64,
    /// See `lat_deg`.
    pub lon_deg: f64,
    /// Height above the ellipsoid, m.
    pub alt_m: f64,
    /// Speed relative to the Earth, m/s.
    pub speed_mps: f64,
    /// Instantaneous impact point now, if the object would come down.
    pub iip: Option<PointAt>,
    /// The 99% impact ellipse used for the assessment (Monte Carlo with drag when
    /// available, else the unscented vacuum one).
    pub ellipse: Option<EllipseBody>,
}

/// A point with an optional time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PointAt {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// When (impact time for an IIP).
    pub at: Option<DateTime<Utc>>,
}

/// A ground ellipse.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EllipseBody {
    /// Centre latitude, degrees.
    pub lat_deg: f64,
    /// Centre longitude, degrees.
    pub lon_deg: f64,
    /// Semi-major axis, km.
    pub semi_major_km: f64,
    /// Semi-minor axis, km.
    pub semi_minor_km: f64,
    /// Major axis direction, degrees clockwise from north.
    pub orientation_deg: f64,
}

/// Something the tracker noticed (phase change, staging, separation, break-up).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteBody {
    /// `phase_change`, `acceleration_change` or `new_object_nearby`.
    pub note: String,
    /// Human-readable detail ("boost -> coast", "STAGE-2 at 1.2 km").
    pub detail: String,
    /// The other object, for a separation or break-up.
    pub other: Option<String>,
}

/// The areas at risk after an assessment whose result changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentBody {
    /// Areas at risk now.
    pub areas: Vec<AreaBody>,
}

/// One area at risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaBody {
    /// Region code.
    pub code: String,
    /// `impact`, `overflight` or `neighbour`.
    pub kind: String,
    /// Probability, 0 to 1.
    pub probability: f64,
    /// When the object is expected over or into it.
    pub expected_at: Option<DateTime<Utc>>,
}

/// How the event ended, as the policy was told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeBody {
    /// `fell_on_land`, `fell_into_sea`, `passed_over` or `lost`.
    pub kind: String,
    /// Where it came down, if known.
    pub impact: Option<PointAt>,
    /// The region it fell in (`fell_on_land`) or passed over (`passed_over`).
    pub codes: Vec<String>,
    /// For a fall into the sea: inside the deployment's territorial sea.
    pub inside_territorial_sea: Option<bool>,
    /// For a fall into the sea: distance to the nearest alerted or jurisdiction
    /// region, km.
    pub nearest_km: Option<f64>,
    /// For a pass: where it went, in words.
    pub toward: Option<String>,
}

impl OutcomeBody {
    pub(crate) fn from_outcome(o: &keiho_alert::policy::Outcome) -> Self {
        use keiho_alert::policy::Outcome;
        let blank = |kind: &str| Self {
            kind: kind.to_owned(),
            impact: None,
            codes: Vec::new(),
            inside_territorial_sea: None,
            nearest_km: None,
            toward: None,
        };
        match o {
            Outcome::FellOnLand {
                code,
                lat_deg,
                lon_deg,
                at,
            } => Self {
                impact: Some(PointAt {
                    lat_deg: *lat_deg,
                    lon_deg: *lon_deg,
                    at: Some(*at),
                }),
                codes: vec![code.clone()],
                ..blank("fell_on_land")
            },
            Outcome::FellIntoSea {
                lat_deg,
                lon_deg,
                at,
                inside_territorial_sea,
                nearest_km,
            } => Self {
                impact: Some(PointAt {
                    lat_deg: *lat_deg,
                    lon_deg: *lon_deg,
                    at: Some(*at),
                }),
                inside_territorial_sea: Some(*inside_territorial_sea),
                nearest_km: Some(*nearest_km),
                ..blank("fell_into_sea")
            },
            Outcome::PassedOver { codes, toward, .. } => Self {
                codes: codes.clone(),
                toward: Some(toward.clone()),
                ..blank("passed_over")
            },
            Outcome::Lost { .. } => blank("lost"),
        }
    }
}

/// A journal entry with a serialisable body.
pub(crate) fn entry<B: Serialize>(
    event_id: &str,
    t: DateTime<Utc>,
    kind: &str,
    object: Option<&str>,
    body: &B,
) -> JournalEntry {
    JournalEntry {
        event_id: event_id.to_owned(),
        t,
        kind: kind.to_owned(),
        object: object.map(str::to_owned),
        // Plain structs of numbers and strings: serialising them cannot fail.
        json: serde_json::to_string(body).unwrap_or_else(|_| "{}".to_owned()),
    }
}

/// Parse a journal body of the expected type.
pub fn parse<B: for<'de> Deserialize<'de>>(entry: &JournalEntry) -> Result<B, serde_json::Error> {
    serde_json::from_str(&entry.json)
}
