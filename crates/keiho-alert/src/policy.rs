//! The alert policy: a state machine per event, modelled on J-Alert's published message
//! sequence (launch -> take shelter -> impact expected -> passed over / fell -> lifted).
//!
//! It is a pure function of the assessments it is fed and their times: no clock, no
//! I/O. Each call to [`EventPolicy::update`] returns the messages to issue now, as
//! [`Decision`]s; turning them into CAP is [`crate::compose`]'s job.
//!
//! Rules (issue 4, and the lessons of 2022-2023):
//! - Adding an area is immediate.
//! - Withdrawing an area needs the prediction to have excluded it for
//!   `withdraw_confirm_s`, and goes out as an explicit correction to that area.
//! - No evidence, no alert: until the evidence thresholds are met the event is
//!   `Pending`, visible to operators but not issued.
//! - No flapping: an area withdrawn less than `reissue_hold_s` ago is not alerted again
//!   unless the new risk is an expected impact in it (a cause that says so).
//! - The all-clear follows the outcome within `all_clear_delay_s` (at most 60 s).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Configuration of the policy. All durations in seconds.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// Consistent reports needed before anything is issued automatically.
    pub min_reports: u32,
    /// Distinct sensors needed.
    pub min_sensors: u32,
    /// Probability that an area is hit (impact or overflight) needed to alert it.
    pub min_probability: f64,
    /// How long the prediction must exclude an area before it is withdrawn.
    pub withdraw_confirm_s: f64,
    /// An area withdrawn less than this long ago is not re-alerted without a new cause.
    pub reissue_hold_s: f64,
    /// Delay between the outcome (down or gone) and the all-clear; at most 60.
    pub all_clear_delay_s: f64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            min_reports: 3,
            min_sensors: 1,
            min_probability: 0.01,
            withdraw_confirm_s: 20.0,
            reissue_hold_s: 300.0,
            all_clear_delay_s: 30.0,
        }
    }
}

/// How an area is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskKind {
    /// The object is expected to come down in the area.
    Impact,
    /// The object is expected to pass over the area.
    Overflight,
    /// A neighbour of an area at risk, alerted by policy (Japan since 2023).
    Neighbour,
}

/// An area the current prediction puts at risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaRisk {
    /// Region code (ISO 3166-2).
    pub code: String,
    /// How it is concerned.
    pub kind: RiskKind,
    /// Probability of impact or overflight, 0 to 1.
    pub probability: f64,
    /// When the object is expected over or into the area.
    pub expected_at: Option<DateTime<Utc>>,
}

/// What happened in the end.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// It fell on land in a region.
    FellOnLand {
        /// Region code.
        code: String,
        /// Impact point, degrees.
        lat_deg: f64,
        /// Impact point, degrees.
        lon_deg: f64,
        /// When.
        at: DateTime<Utc>,
    },
    /// It fell into the sea.
    FellIntoSea {
        /// Impact point, degrees.
        lat_deg: f64,
        /// Impact point, degrees.
        lon_deg: f64,
        /// When.
        at: DateTime<Utc>,
        /// Whether inside the deployment's territorial sea.
        inside_territorial_sea: bool,
        /// Distance to the nearest alerted or jurisdiction region, km.
        nearest_km: f64,
    },
    /// It passed over the alerted areas and came down (or went to orbit) far away.
    PassedOver {
        /// Regions it passed over.
        codes: Vec<String>,
        /// When it passed.
        at: DateTime<Utc>,
        /// Where it went, in words (e.g. "the Pacific Ocean").
        toward: String,
    },
    /// Tracking lost; nothing more is expected to reach the areas.
    Lost {
        /// When tracking was lost.
        at: DateTime<Utc>,
    },
}

/// The assessment of an event at one moment: the policy's whole input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Time of the report that produced this assessment.
    pub at: DateTime<Utc>,
    /// Launch time, when known.
    pub launch_at: Option<DateTime<Utc>>,
    /// Where the launch came from, in words (e.g. "North Korea").
    pub launched_from: String,
    /// Reports consistent with the event so far.
    pub consistent_reports: u32,
    /// Distinct sensors that reported it.
    pub sensors: u32,
    /// Areas at risk now (already filtered to the jurisdiction).
    pub areas: Vec<AreaRisk>,
    /// The outcome, once known.
    pub outcome: Option<Outcome>,
}

/// The stage of the message sequence a message belongs to (J-Alert's sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// "Missile launch ... take shelter".
    TakeShelter,
    /// "... expected to fall around X at about T".
    ImpactExpected,
    /// An area withdrawn: the call is lifted there because the prediction moved.
    Correction,
    /// "... appears to have passed over X toward Y".
    PassedOver,
    /// "... appears to have fallen around X".
    FellOnLand,
    /// "... appears to have fallen into the sea".
    FellIntoSea,
    /// "The call to take shelter is lifted."
    AllClear,
}

/// A message to issue now.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// When (the assessment's time).
    pub at: DateTime<Utc>,
    /// Which stage.
    pub stage: Stage,
    /// Areas still told to shelter after this message, with how each is concerned.
    pub areas: Vec<AreaRisk>,
    /// Areas this message lifts the call for (corrections and the all-clear).
    pub lifted: Vec<String>,
    /// Why, in words, for the record and for the message's note.
    pub cause: String,
    /// The outcome, for outcome stages.
    pub outcome: Option<Outcome>,
}

/// Where the event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Nothing yet.
    Quiet,
    /// Something is seen but the evidence is not yet enough to alert (operators see it).
    Pending,
    /// Areas are told to shelter.
    Sheltering,
    /// The outcome is known; the all-clear is due.
    Concluding,
    /// All clear issued; the event is closed.
    Closed,
}

#[derive(Debug, Clone)]
struct Alerted {
    risk: AreaRisk,
    /// First time the prediction stopped covering the area, if it has.
    excluded_since: Option<DateTime<Utc>>,
}

/// The policy state of one event.
#[derive(Debug, Clone)]
pub struct EventPolicy {
    config: PolicyConfig,
    phase: Phase,
    alerted: BTreeMap<String, Alerted>,
    withdrawn_at: BTreeMap<String, DateTime<Utc>>,
    impact_announced: bool,
    outcome: Option<Outcome>,
    outcome_seen_at: Option<DateTime<Utc>>,
    log: Vec<Decision>,
}

impl EventPolicy {
    /// A new event with the given configuration.
    pub fn new(config: PolicyConfig) -> Self {
        Self {
            config,
            phase: Phase::Quiet,
            alerted: BTreeMap::new(),
            withdrawn_at: BTreeMap::new(),
            impact_announced: false,
            outcome: None,
            outcome_seen_at: None,
            log: Vec::new(),
        }
    }

    /// Where the event stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Codes of the areas told to shelter now.
    pub fn alerted_codes(&self) -> Vec<String> {
        self.alerted.keys().cloned().collect()
    }

    /// The areas told to shelter now, with how each is concerned.
    pub fn alerted(&self) -> Vec<AreaRisk> {
        self.current_areas()
    }

    /// An operator withdraws the event's messages (they were wrong): every area is
    /// lifted at once and the event closes, so no automatic message follows. `None`
    /// if nothing is out to withdraw.
    pub fn withdraw(&mut self, at: DateTime<Utc>, cause: &str) -> Option<Decision> {
        if self.log.is_empty() || self.phase == Phase::Closed {
            return None;
        }
        let lifted = self.alerted_codes();
        let d = Decision {
            at,
            stage: Stage::Correction,
            areas: Vec::new(),
            lifted,
            cause: cause.to_owned(),
            outcome: None,
        };
        self.alerted.clear();
        self.phase = Phase::Closed;
        self.log.push(d.clone());
        Some(d)
    }

    /// Every decision so far.
    pub fn decisions(&self) -> &[Decision] {
        &self.log
    }

    fn has_evidence(&self, a: &Assessment) -> bool {
        a.consistent_reports >= self.config.min_reports && a.sensors >= self.config.min_sensors
    }

    fn current_areas(&self) -> Vec<AreaRisk> {
        self.alerted.values().map(|a| a.risk.clone()).collect()
    }

    /// Feed one assessment; returns the messages to issue now (often none).
    pub fn update(&mut self, a: &Assessment) -> Vec<Decision> {
        let mut out = Vec::new();
        if self.phase == Phase::Closed {
            return out;
        }
        if let Some(outcome) = &a.outcome {
            self.conclude(a, outcome, &mut out);
        } else {
            self.track(a, &mut out);
        }
        // The all-clear, once the outcome has been out for the configured delay.
        if self.phase == Phase::Concluding {
            if let Some(seen) = self.outcome_seen_at {
                let delay = Duration::milliseconds(
                    (self.config.all_clear_delay_s.min(60.0) * 1000.0) as i64,
                );
                if a.at >= seen + delay {
                    let lifted = self.alerted_codes();
                    out.push(Decision {
                        at: a.at,
                        stage: Stage::AllClear,
                        areas: Vec::new(),
                        lifted,
                        cause: "the object is down or gone; nothing more is expected".into(),
                        outcome: self.outcome.clone(),
                    });
                    self.alerted.clear();
                    self.phase = Phase::Closed;
                }
            }
        }
        self.log.extend(out.iter().cloned());
        out
    }

    /// The clock moved on with no new report (e.g. a timer tick): lets the all-clear
    /// and withdrawals happen on time even when sensors fall silent.
    pub fn tick(&mut self, at: DateTime<Utc>) -> Vec<Decision> {
        match self.phase {
            Phase::Concluding => {
                let a = Assessment {
                    at,
                    launch_at: None,
                    launched_from: String::new(),
                    consistent_reports: 0,
                    sensors: 0,
                    areas: Vec::new(),
                    outcome: self.outcome.clone(),
                };
                self.update(&a)
            }
            _ => Vec::new(),
        }
    }

    fn track(&mut self, a: &Assessment, out: &mut Vec<Decision>) {
        let at_risk: Vec<&AreaRisk> = a
            .areas
            .iter()
            // Neighbours carry the probability of the area they border.
            .filter(|r| r.probability >= self.config.min_probability)
            .collect();
        if !self.has_evidence(a) {
            if self.phase == Phase::Quiet {
                self.phase = Phase::Pending;
            }
            return;
        }
        // Areas to add: new ones, unless withdrawn recently without a new cause.
        let mut added = Vec::new();
        for r in &at_risk {
            if let Some(existing) = self.alerted.get_mut(&r.code) {
                existing.excluded_since = None;
                // Keep the strongest kind seen (impact over overflight over neighbour).
                if r.kind < existing.risk.kind {
                    existing.risk.kind = r.kind;
                }
                existing.risk.probability = r.probability;
                existing.risk.expected_at = r.expected_at.or(existing.risk.expected_at);
                continue;
            }
            let held = self.withdrawn_at.get(&r.code).is_some_and(|w| {
                (a.at - *w).num_milliseconds() as f64 / 1000.0 < self.config.reissue_hold_s
            });
            if held && r.kind != RiskKind::Impact {
                continue;
            }
            self.alerted.insert(
                r.code.clone(),
                Alerted {
                    risk: (*r).clone(),
                    excluded_since: None,
                },
            );
            added.push(r.code.clone());
        }
        // Areas the prediction no longer covers: start or continue their confirmation.
        let mut withdrawn = Vec::new();
        for (code, alerted) in self.alerted.iter_mut() {
            if at_risk.iter().any(|r| &r.code == code) {
                continue;
            }
            // Dropping out of the prediction because the object has already passed is
            // not a correction: the area stays alerted until the outcome message.
            if alerted.risk.expected_at.is_some_and(|t| t <= a.at) {
                continue;
            }
            let since = *alerted.excluded_since.get_or_insert(a.at);
            if (a.at - since).num_milliseconds() as f64 / 1000.0 >= self.config.withdraw_confirm_s {
                withdrawn.push(code.clone());
            }
        }
        for code in &withdrawn {
            self.alerted.remove(code);
            self.withdrawn_at.insert(code.clone(), a.at);
        }
        if !added.is_empty() {
            let first = self.phase != Phase::Sheltering;
            self.phase = Phase::Sheltering;
            out.push(Decision {
                at: a.at,
                stage: Stage::TakeShelter,
                areas: self.current_areas(),
                lifted: Vec::new(),
                cause: if first {
                    format!(
                        "launch from {} predicted to reach {}",
                        a.launched_from,
                        added.join(", ")
                    )
                } else {
                    format!("prediction now also reaches {}", added.join(", "))
                },
                outcome: None,
            });
        }
        let impact_areas: Vec<String> = self
            .alerted
            .values()
            .filter(|x| x.risk.kind == RiskKind::Impact)
            .map(|x| x.risk.code.clone())
            .collect();
        if !impact_areas.is_empty() && !self.impact_announced {
            self.impact_announced = true;
            out.push(Decision {
                at: a.at,
                stage: Stage::ImpactExpected,
                areas: self.current_areas(),
                lifted: Vec::new(),
                cause: format!("impact predicted in {}", impact_areas.join(", ")),
                outcome: None,
            });
        }
        if !withdrawn.is_empty() {
            out.push(Decision {
                at: a.at,
                stage: Stage::Correction,
                areas: self.current_areas(),
                lifted: withdrawn.clone(),
                cause: format!(
                    "correction: the prediction has excluded {} for {:.0} s",
                    withdrawn.join(", "),
                    self.config.withdraw_confirm_s
                ),
                outcome: None,
            });
            if self.alerted.is_empty() {
                // Nothing left at risk: the correction itself lifted every call. The
                // event stays open (pending) until its outcome: a new threat is alerted
                // again, and the end closes it without another message.
                self.phase = Phase::Pending;
            }
        }
    }

    fn conclude(&mut self, a: &Assessment, outcome: &Outcome, out: &mut Vec<Decision>) {
        if self.outcome_seen_at.is_some() {
            return;
        }
        self.outcome = Some(outcome.clone());
        self.outcome_seen_at = Some(a.at);
        if self.alerted.is_empty() {
            // Nothing was ever issued: nothing to lift, nothing to say publicly.
            self.phase = Phase::Closed;
            return;
        }
        self.phase = Phase::Concluding;
        let stage = match outcome {
            Outcome::FellOnLand { .. } => Stage::FellOnLand,
            Outcome::FellIntoSea { .. } => Stage::FellIntoSea,
            Outcome::PassedOver { .. } => Stage::PassedOver,
            // Nothing to report but the end: the all-clear says it.
            Outcome::Lost { .. } => return,
        };
        out.push(Decision {
            at: a.at,
            stage,
            areas: self.current_areas(),
            lifted: Vec::new(),
            cause: "outcome observed".into(),
            outcome: Some(outcome.clone()),
        });
    }
}
