//! The simulator's truth file (`keiho simulate` writes it beside the reports as
//! `OUT.truth.jsonl`; see `keiho-sim`'s `output.rs`): only what the report compares
//! against, the true impact point of each object, is read.

use crate::ReportError;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Where and when one object truly came down.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthImpact {
    /// Object id (the same ids the sensors report).
    pub object: String,
    /// Impact time.
    pub t: DateTime<Utc>,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
}

/// What the report uses of the truth.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Truth {
    /// The true launch time, if the file has a `launch` event.
    pub launch: Option<DateTime<Utc>>,
    /// One impact per object that reached the ground.
    pub impacts: Vec<TruthImpact>,
}

#[derive(Deserialize)]
struct Line {
    record: String,
    t: DateTime<Utc>,
    object: String,
    #[serde(default)]
    kind: Option<String>,
    lat_deg: f64,
    lon_deg: f64,
}

impl Truth {
    /// Parse the truth file's JSON lines (samples are skipped after a syntax check).
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let mut truth = Self::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let l: Line = serde_json::from_str(line).map_err(|source| ReportError::Truth {
                line: i + 1,
                source,
            })?;
            if l.record != "event" {
                continue;
            }
            match l.kind.as_deref() {
                Some("launch") if truth.launch.is_none() => truth.launch = Some(l.t),
                Some("impact") => truth.impacts.push(TruthImpact {
                    object: l.object,
                    t: l.t,
                    lat_deg: l.lat_deg,
                    lon_deg: l.lon_deg,
                }),
                _ => {}
            }
        }
        Ok(truth)
    }

    /// The true impact of `object`, if it came down.
    pub fn impact(&self, object: &str) -> Option<&TruthImpact> {
        self.impacts.iter().find(|i| i.object == object)
    }
}
