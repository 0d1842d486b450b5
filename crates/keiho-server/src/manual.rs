//! Operators' own alerts (not the automatic pipeline's): composed with the same CAP
//! rules, signed, stored in the same log. Each is its own incident `manual-<draft>`;
//! correcting one is an Update of that incident, withdrawing one a Cancel that
//! references it.

use crate::engine::EngineError;
use chrono::{DateTime, FixedOffset, Utc};
use keiho_alert::cap::Status;
use keiho_alert::compose::{Issued, MessageContext, compose};
use keiho_alert::policy::{AreaRisk, Decision, RiskKind, Stage};
use keiho_pipeline::{Pipeline, PipelineError};
use keiho_store::{AlertLog, ServiceLog, SqliteStore, StoredAlert};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An operator's request for a manual alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualRequest {
    /// `actual` (needs a second person's approval), `exercise` or `test`.
    pub status: String,
    /// Regions told to take shelter (ISO 3166-2 codes).
    pub regions: Vec<String>,
    /// Why, in words (kept in the record and the message's note).
    pub cause: String,
    /// A manual message to correct: the new message updates its incident, telling
    /// `regions` to take shelter and lifting the call elsewhere (same status; an
    /// Actual correction needs a second person like any Actual message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

impl ManualRequest {
    /// The CAP status, if the text names one.
    pub fn cap_status(&self) -> Option<Status> {
        match self.status.as_str() {
            "actual" => Some(Status::Actual),
            "exercise" => Some(Status::Exercise),
            "test" => Some(Status::Test),
            _ => None,
        }
    }
}

/// Manual incidents and their messages (rebuilt from the log on start).
#[derive(Debug, Default)]
pub(crate) struct ManualState {
    incidents: BTreeMap<String, Incident>,
}

#[derive(Debug, Default)]
struct Incident {
    issued: Vec<Issued>,
    status: Option<Status>,
    regions: Vec<String>,
    closed: bool,
}

const PREFIX: &str = "manual-";

impl ManualState {
    /// From the alert log.
    pub(crate) fn from_log(
        store: &SqliteStore,
        expires_after: chrono::Duration,
    ) -> Result<Self, PipelineError> {
        let mut s = Self::default();
        for a in store.alerts()? {
            if !a.event_id.starts_with(PREFIX) {
                continue;
            }
            let sent =
                DateTime::parse_from_rfc3339(&a.sent).map_err(|e| PipelineError::Stored {
                    identifier: a.identifier.clone(),
                    problem: format!("sent {:?}: {e}", a.sent),
                })?;
            let inc = s.incidents.entry(a.event_id.clone()).or_default();
            inc.issued.push(Issued {
                identifier: a.identifier.clone(),
                sent,
                expires: sent + expires_after,
            });
            inc.status = status_of(&a.status);
            if a.msg_type == "Cancel" {
                inc.closed = true;
            } else {
                inc.regions = a.regions.clone();
            }
        }
        Ok(s)
    }

    /// Whether `identifier` is a manual message.
    pub(crate) fn owns(&self, identifier: &str) -> bool {
        self.incidents
            .values()
            .any(|i| i.issued.iter().any(|m| m.identifier == identifier))
    }

    /// Issue a manual alert, or a correction of one (`request.corrects`).
    pub(crate) fn issue(
        &mut self,
        pipeline: &mut Pipeline<SqliteStore>,
        request: &ManualRequest,
        draft_id: i64,
        now: DateTime<Utc>,
    ) -> Result<StoredAlert, EngineError> {
        let status = request
            .cap_status()
            .ok_or_else(|| EngineError::Refused(format!("unknown status {:?}", request.status)))?;
        let areas = request
            .regions
            .iter()
            .map(|code| AreaRisk {
                code: code.clone(),
                kind: RiskKind::Overflight,
                probability: 1.0,
                expected_at: None,
            })
            .collect();
        let (incident, decision) = match &request.corrects {
            None => (
                format!("{PREFIX}{draft_id}"),
                Decision {
                    at: now,
                    stage: Stage::TakeShelter,
                    areas,
                    lifted: Vec::new(),
                    cause: format!("manual alert: {}", request.cause),
                    outcome: None,
                },
            ),
            Some(target) => {
                let (incident, inc) = self.open_incident_of(target)?;
                if inc.status != Some(status) {
                    return Err(EngineError::Refused(format!(
                        "{target:?} is {}: a correction keeps its status, {:?} was asked",
                        inc.status.map_or("of unknown status", status_word),
                        request.status
                    )));
                }
                let lifted = inc
                    .regions
                    .iter()
                    .filter(|r| !request.regions.contains(r))
                    .cloned()
                    .collect();
                (
                    incident,
                    Decision {
                        at: now,
                        stage: Stage::Correction,
                        areas,
                        lifted,
                        cause: format!("corrected by an operator: {}", request.cause),
                        outcome: None,
                    },
                )
            }
        };
        let stored = self.put(pipeline, &incident, status, decision, now)?;
        let inc = self.incidents.entry(incident).or_default();
        inc.regions = request.regions.clone();
        Ok(stored)
    }

    /// The open incident a manual message belongs to.
    fn open_incident_of(&self, identifier: &str) -> Result<(String, &Incident), EngineError> {
        let Some((incident, inc)) = self
            .incidents
            .iter()
            .find(|(_, i)| i.issued.iter().any(|m| m.identifier == identifier))
        else {
            return Err(EngineError::Refused(format!(
                "{identifier:?} is not a manual message: automatic alerts follow the \
                 prediction; withdraw them with a cancel instead"
            )));
        };
        if inc.closed {
            return Err(EngineError::Refused(format!(
                "{identifier:?} was already withdrawn"
            )));
        }
        Ok((incident.clone(), inc))
    }

    /// Withdraw a manual incident's messages (a Cancel).
    pub(crate) fn withdraw(
        &mut self,
        pipeline: &mut Pipeline<SqliteStore>,
        identifier: &str,
        cause: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredAlert, EngineError> {
        let (incident, inc) = self.open_incident_of(identifier)?;
        let status = inc.status.unwrap_or(Status::Exercise);
        let decision = Decision {
            at: now,
            stage: Stage::Correction,
            areas: Vec::new(),
            lifted: inc.regions.clone(),
            cause: format!("withdrawn by an operator: {cause}"),
            outcome: None,
        };
        let stored = self.put(pipeline, &incident, status, decision, now)?;
        if let Some(inc) = self.incidents.get_mut(&incident) {
            inc.closed = true;
        }
        Ok(stored)
    }

    fn put(
        &mut self,
        pipeline: &mut Pipeline<SqliteStore>,
        incident: &str,
        status: Status,
        decision: Decision,
        now: DateTime<Utc>,
    ) -> Result<StoredAlert, PipelineError> {
        let earlier = self
            .incidents
            .get(incident)
            .map(|i| i.issued.clone())
            .unwrap_or_default();
        let config = pipeline.config();
        let ctx = MessageContext {
            deployment: &config.deployment,
            status,
            event_id: incident,
            sequence: earlier.len() as u32 + 1,
            origin_country: None,
            earlier: &earlier,
            impact: None,
            regions: pipeline.regions(),
        };
        let alert = compose(&decision, &ctx)?;
        let expires: DateTime<FixedOffset> = alert.sent + config.deployment.expires_after;
        let stored =
            keiho_pipeline::to_stored(config, &alert, incident, ctx.sequence, &decision, now, 0)?;
        let store = pipeline.store_mut();
        store.begin()?;
        if let Err(e) = store.issue_alert(&stored) {
            store.rollback();
            return Err(e.into());
        }
        store.commit()?;
        // Best effort: the audit row for an automatic-path write is the caller's.
        let _ = store.audit(now, "system", "alert.issue", &stored.identifier);
        self.incidents
            .entry(incident.to_owned())
            .or_default()
            .issued
            .push(Issued {
                identifier: alert.identifier.clone(),
                sent: alert.sent,
                expires,
            });
        if let Some(inc) = self.incidents.get_mut(incident) {
            inc.status = Some(status);
        }
        Ok(stored)
    }
}

/// The status in the words of a request.
fn status_word(s: Status) -> &'static str {
    match s {
        Status::Actual => "actual",
        Status::Exercise => "exercise",
        Status::Test => "test",
        _ => "of another status",
    }
}

fn status_of(s: &str) -> Option<Status> {
    match s {
        "Actual" => Some(Status::Actual),
        "Exercise" => Some(Status::Exercise),
        "Test" => Some(Status::Test),
        _ => None,
    }
}
