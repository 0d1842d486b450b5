//! Keiho's estimate and predict stages: sensor reports become per-object tracks,
//! tracks become predictions of where and when each object comes down.
//!
//! - [`Tracker`]: one extended Kalman filter per object ([`filter`]: ECEF position,
//!   velocity and thrust acceleration), gating of outliers, flight [`Phase`] with
//!   hysteresis, detection of staging and break-up ([`TrackNote`]), and the grouping of
//!   objects into launch [`Event`]s.
//! - [`Tracker::predict`]: a [`Prediction`] per object: the IIP and its 99% ellipse
//!   (unscented transform), a Monte Carlo footprint with drag, the IIP trace and
//!   ground track while powered, the debris footprint of a break-up now, the time of
//!   flight.
//! - [`predict_reports`] and [`to_geojson`]: the entry for `keiho predict`.
//!
//! Frames and units: ECEF (WGS84) metres and m/s inside; geodetic degrees at the
//! edges. Time is `chrono::DateTime<Utc>` at the edges and f64 seconds from the
//! tracker's epoch (its first report) inside.
//!
//! # Architecture invariants
//! * No I/O and no clock: every result is a function of the reports and options, and
//!   Monte Carlo draws are seeded per sample, so replays give identical products.
//! * A refused measurement (gated, degenerate, out of order) never changes a state.
//! * Covariances stay symmetric positive definite (Joseph-form updates).
//!
//! Civil protection only: this estimates where objects fall, to warn people under
//! them; nothing here guides or improves a vehicle.

mod error;
pub mod filter;
mod geo;
mod geojson_out;
mod phase;
mod predict;
mod products;
mod tracker;

pub use error::TrackError;
pub use geojson_out::to_geojson;
pub use phase::{Phase, PhaseConfig};
pub use predict::{PredictionSet, Refusal, predict_reports};
pub use products::{
    CHI2_2_99, Ellipse, Footprint, GroundPoint, IipEstimate, ImpactSample, PredictOptions,
    Prediction, Products, Scatter, StateReport, TracePoint, iip_unscented, monte_carlo, products,
};
pub use tracker::{
    Event, IngestOutcome, LaunchSite, ObjectTrack, TrackCounts, TrackNote, Tracker, TrackerConfig,
    UpdateKind,
};
