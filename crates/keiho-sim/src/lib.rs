//! Keiho's scenario simulator: test inputs for the warning pipeline, in the shape of
//! real flights.
//!
//! [`simulate`] flies a [`Scenario`] and returns a [`Simulation`]: sensor [`Report`]s
//! (what the pipeline ingests) and the truth behind them ([`TruthSample`] every second
//! per object, [`TruthEvent`]s for staging, break-up, impact and orbit insertion).
//! [`write_reports`] and [`write_truth`] write them as JSON lines.
//!
//! # What the physics is, and is not
//! Generic, on purpose. A vehicle is a list of stages, each a thrust acceleration
//! magnitude ramping linearly over its burn and a commanded direction (elevation and
//! azimuth against time); powered flight is integrated with keiho-flight's dynamics
//! (rotating WGS84 Earth, J2, standard-atmosphere drag). Every unpowered piece
//! (spent stage, fairing, fragment, payload) falls with its own ballistic coefficient.
//! The parameters are tuned only so that ground tracks, timings and fall areas match
//! public facts of past flights (see `scenario.rs` for each fact and what is invented);
//! there is no mass, engine or propellant model, and nothing here designs or improves a
//! vehicle.
//!
//! # Determinism
//! The truth depends only on the scenario (break-ups draw from a seed fixed in the
//! scenario). Sensor noise, delays and dropouts draw from a `StdRng` seeded with the
//! `seed` argument: the same scenario and seed give the same bytes on every run.
//!
//! # Architecture invariants
//! * No I/O except through the writer passed to [`write_reports`] / [`write_truth`]; no
//!   clock: every time is the scenario's launch time plus simulated seconds.
//! * Every report written parses back through `keiho_ingest::Validator`.

mod output;
mod scenario;
mod sensors;
mod track;
mod truth;
mod vehicle;

pub use output::{WriteError, write_reports, write_truth};
pub use scenario::{Scenario, UnknownScenario};
pub use sensors::{EarlyWarning, Fusion, RadarSite, Sensors};
pub use track::Phase;
pub use truth::{EventKind, OrbitSummary, TruthEvent, TruthSample};
pub use vehicle::{Ending, Failure, Fairing, Schedule, Stage, Vehicle};

use vehicle::FlyError;

use chrono::{DateTime, TimeDelta, Utc};
use keiho_flight::FlightError;
use keiho_ingest::Report;
use rand::SeedableRng;
use rand::rngs::StdRng;
use thiserror::Error;

/// Why a scenario could not be simulated.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum SimError {
    /// The vehicle has no stages.
    #[error("scenario {scenario:?} has a vehicle with no stages")]
    NoStages {
        /// Scenario name.
        scenario: &'static str,
    },
    /// The powered flight went below the ground: the vehicle is too weak or steered
    /// into the ground.
    #[error("scenario {scenario:?}: powered flight is below the ground at {t_s} s after launch")]
    BelowGround {
        /// Scenario name.
        scenario: &'static str,
        /// Seconds after launch.
        t_s: f64,
    },
    /// The flight could not be propagated (bad parameters, e.g. a non-positive
    /// ballistic coefficient).
    #[error("scenario {scenario:?}: flight propagation failed")]
    Flight {
        /// Scenario name.
        scenario: &'static str,
        /// The physics error.
        #[source]
        source: FlightError,
    },
}

/// The output of one simulation run.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    /// Scenario name.
    pub scenario: &'static str,
    /// Launch time, UTC.
    pub launch: DateTime<Utc>,
    /// Sensor reports in time order (ties by sensor, then object).
    pub reports: Vec<Report>,
    /// True states, every second per object (plus event instants), in time order.
    pub truth: Vec<TruthSample>,
    /// Events in time order.
    pub events: Vec<TruthEvent>,
}

impl Simulation {
    /// Ids of every simulated object, main object first.
    pub fn objects(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = Vec::new();
        for e in &self.events {
            if matches!(e.kind, EventKind::Launch | EventKind::Separation)
                && !seen.contains(&e.object.as_str())
            {
                seen.push(&e.object);
            }
        }
        seen
    }

    /// The truth samples of one object, in time order.
    pub fn track(&self, object: &str) -> Vec<&TruthSample> {
        self.truth.iter().filter(|s| s.object == object).collect()
    }

    /// Impact events, one per object that reached the ground.
    pub fn impacts(&self) -> Vec<&TruthEvent> {
        self.events
            .iter()
            .filter(|e| e.kind == EventKind::Impact)
            .collect()
    }

    /// The time of the last report or truth sample: a `now` after which every report
    /// is in the past.
    pub fn end(&self) -> DateTime<Utc> {
        let last_report = self.reports.last().map(|r| r.t);
        let last_truth = self.truth.last().map(|s| s.t);
        last_report.max(last_truth).unwrap_or(self.launch)
    }
}

fn at(launch: DateTime<Utc>, t_s: f64) -> DateTime<Utc> {
    // Whole milliseconds: the resolution of every time written. Flights last hours at
    // most, far inside i64.
    launch + TimeDelta::milliseconds((t_s * 1000.0).round() as i64)
}

/// Flies `scenario` and observes it with its sensors, noise drawn from `seed`.
pub fn simulate(scenario: &Scenario, seed: u64) -> Result<Simulation, SimError> {
    if scenario.vehicle.stages.is_empty() {
        return Err(SimError::NoStages {
            scenario: scenario.name,
        });
    }
    let flight = scenario
        .vehicle
        .fly(scenario.pad, &scenario.object_prefix, &scenario.main_object)
        .map_err(|e| match e {
            FlyError::Flight(source) => SimError::Flight {
                scenario: scenario.name,
                source,
            },
            FlyError::BelowGround { t_s } => SimError::BelowGround {
                scenario: scenario.name,
                t_s,
            },
        })?;
    let launch = scenario.launch;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut timed = scenario
        .sensors
        .observe(&flight.tracks, launch, scenario.pad, &mut rng);
    timed.sort_by(|a, b| {
        a.ms.cmp(&b.ms)
            .then_with(|| a.report.sensor.cmp(&b.report.sensor))
            .then_with(|| a.report.object.cmp(&b.report.object))
    });
    let reports = timed.into_iter().map(|t| t.report).collect();

    let mut truth: Vec<(f64, TruthSample)> = Vec::new();
    for track in &flight.tracks {
        for s in &track.samples {
            let g = s.state.geodetic();
            truth.push((
                s.t_s,
                TruthSample {
                    t: at(launch, s.t_s),
                    object: track.object.clone(),
                    phase: s.phase,
                    lat_deg: g.lat_deg,
                    lon_deg: g.lon_deg,
                    alt_m: g.alt_m,
                    r_ecef_m: s.state.r_m.into(),
                    v_ecef_mps: s.state.v_mps.into(),
                    accel_thrust_ecef_mps2: s.thrust_mps2.into(),
                },
            ));
        }
    }
    // Stable: objects keep their order (main object first) within an instant.
    truth.sort_by(|a, b| a.0.total_cmp(&b.0));
    let events = flight
        .events
        .into_iter()
        .map(|e| {
            let g = e.state.geodetic();
            TruthEvent {
                t: at(launch, e.t_s),
                t_after_launch_s: e.t_s,
                object: e.object,
                kind: e.kind,
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                alt_m: g.alt_m,
                speed_mps: e.state.v_mps.norm(),
                detail: e.detail,
                orbit: e.orbit,
            }
        })
        .collect();
    Ok(Simulation {
        scenario: scenario.name,
        launch,
        reports,
        truth: truth.into_iter().map(|(_, s)| s).collect(),
        events,
    })
}
