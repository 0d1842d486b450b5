//! Keiho's flight physics: where a falling object (a spent stage, debris, a vehicle
//! whose thrust has stopped) will land, for civil-protection warnings.
//!
//! Generic ballistic physics only: gravity, the standard atmosphere, numerical
//! propagation, and the instantaneous impact point (IIP).
//!
//! # Frames, units, time
//! * States are in ECEF (WGS84, Earth-centred, Earth-fixed, rotating with the Earth):
//!   position in metres, velocity in m/s relative to the rotating Earth
//!   ([`StateEcef`]). Geodetic positions use `keiho_geo::frames::Geodetic` (WGS84
//!   degrees and metres), the workspace's one definition of the ellipsoid.
//! * "Impact" means geodetic height 0 on the WGS84 ellipsoid, not terrain.
//! * Time is `f64` seconds relative to the epoch of the initial state. This crate
//!   never reads a clock or a calendar: callers who hold the epoch as a
//!   `chrono::DateTime<Utc>` (as the rest of Keiho does) add the returned seconds to it.
//!   Earth rotation is the constant WGS84 rate, so no UT1 or polar motion is needed.
//!
//! # Models and their precision
//! * [`gravity`]: point mass plus J2 (WGS84 constants). Neglected higher harmonics move
//!   a suborbital impact by metres.
//! * [`atmosphere`]: U.S. Standard Atmosphere 1976 density, 0-1,000 km. A standard,
//!   not the weather: real density differs by 10-20% near the ground and by a factor of
//!   several at 300+ km with solar activity, which (with the ballistic coefficient)
//!   dominates the error of any drag prediction.
//! * [`integrate`]: adaptive Dormand-Prince 5(4), rtol 1e-10: numerical error of
//!   propagated positions well below a metre over an hour; impact times located to a
//!   microsecond.
//! * [`dynamics`]: gravity, Coriolis, centrifugal, drag (ballistic coefficient,
//!   atmosphere co-rotating, no wind) and optional constant thrust, in ECEF.
//! * [`iip::iip_vacuum`]: closed-form vacuum IIP on a rotating WGS84 Earth with
//!   point-mass gravity (Ahn and Roh 2012), about a microsecond per call; exact for
//!   that model to well under a metre, so its error is the neglect of drag and J2
//!   (kilometres to tens of kilometres for re-entering debris).
//! * [`iip::iip_numeric`]: integrated IIP with J2 and drag, the published prediction.
//!
//! # Architecture invariants
//! * No I/O, no clock, no global state: every function is a pure function of its
//!   inputs, so predictions replay exactly.
//! * Nothing panics on finite or non-finite input; failures are typed errors.

pub mod atmosphere;
pub mod dynamics;
pub mod gravity;
pub mod iip;
pub mod integrate;
pub mod propagate;

pub use dynamics::{ForceModel, ModelError, StateEcef, Thrust};
pub use iip::{Iip, IipError, iip_numeric, iip_numeric_with, iip_vacuum};
pub use propagate::{
    FlightError, Impact, TrajectorySample, impact, impact_with, propagate, trajectory,
    trajectory_with,
};
