//! The simulator's ground truth as it is written out: a state per object per second,
//! and the events (staging, break-up, impact, orbit insertion) that tests and replays
//! check a warning against.

use crate::track::Phase;
use chrono::{DateTime, Utc};
use keiho_flight::StateEcef;
use keiho_flight::gravity::GM_M3_S2;
use keiho_geo::frames::WGS84_A_M;
use nalgebra::Vector3;
use serde::Serialize;

/// The true state of one object at one instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthSample {
    /// Time, UTC (RFC 3339 in JSON).
    pub t: DateTime<Utc>,
    /// Object id, e.g. `SOHAE-2023-08-24/STAGE1`.
    pub object: String,
    /// Flight phase.
    pub phase: Phase,
    /// Geodetic latitude, degrees (WGS84).
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
    /// Position, ECEF (WGS84), metres.
    pub r_ecef_m: [f64; 3],
    /// Velocity relative to the rotating Earth, ECEF axes, m/s.
    pub v_ecef_mps: [f64; 3],
    /// Thrust acceleration acting from this instant, ECEF axes, m/s^2 (zero if
    /// unpowered).
    pub accel_thrust_ecef_mps2: [f64; 3],
}

impl TruthSample {
    /// The sample's ECEF state.
    pub fn state(&self) -> StateEcef {
        StateEcef {
            r_m: Vector3::from(self.r_ecef_m),
            v_mps: Vector3::from(self.v_ecef_mps),
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Lift-off of the main object.
    Launch,
    /// A later stage ignites (`detail`: which).
    Ignition,
    /// A stage burns out (`detail`: which).
    Burnout,
    /// A new object leaves the stack: spent stage, fairing or fragment (`object` is the
    /// new object).
    Separation,
    /// The main object breaks up; its fragments appear with `Separation` events.
    Breakup,
    /// The main object reaches orbit (`orbit` holds the osculating orbit).
    OrbitInsertion,
    /// An object reaches the ground (ellipsoid height 0).
    Impact,
    /// The simulation stops following an object that is still flying (in orbit).
    EndOfSimulation,
}

/// Perigee, apogee and inclination of an osculating orbit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OrbitSummary {
    /// Perigee height above the WGS84 equatorial radius, km.
    pub perigee_alt_km: f64,
    /// Apogee height above the WGS84 equatorial radius, km.
    pub apogee_alt_km: f64,
    /// Inclination, degrees.
    pub inclination_deg: f64,
}

impl OrbitSummary {
    /// The osculating two-body (point-mass) orbit of an ECEF state: the state is
    /// taken to an inertial frame coinciding with ECEF at that instant (v + w x r).
    /// Heights are above the equatorial radius, the usual convention for catalogue
    /// perigee and apogee. `None` for an escape trajectory or a non-finite state.
    pub fn from_ecef(r_ecef_m: &Vector3<f64>, v_ecef_mps: &Vector3<f64>) -> Option<Self> {
        let s = StateEcef {
            r_m: *r_ecef_m,
            v_mps: *v_ecef_mps,
        };
        let v = s.inertial_velocity_mps();
        let r = r_ecef_m.norm();
        let h = r_ecef_m.cross(&v);
        let inv_a = 2.0 / r - v.norm_squared() / GM_M3_S2;
        if !(inv_a > 0.0 && h.norm() > 0.0) {
            return None;
        }
        let a = 1.0 / inv_a;
        let e = (1.0 - h.norm_squared() / (GM_M3_S2 * a)).max(0.0).sqrt();
        Some(Self {
            perigee_alt_km: (a * (1.0 - e) - WGS84_A_M) / 1000.0,
            apogee_alt_km: (a * (1.0 + e) - WGS84_A_M) / 1000.0,
            inclination_deg: (h.z / h.norm()).clamp(-1.0, 1.0).acos().to_degrees(),
        })
    }
}

/// Something that happened to an object, with where it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthEvent {
    /// Time, UTC.
    pub t: DateTime<Utc>,
    /// Seconds after launch.
    pub t_after_launch_s: f64,
    /// The object concerned.
    pub object: String,
    /// What happened.
    pub kind: EventKind,
    /// Geodetic latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
    /// Speed relative to the ground, m/s.
    pub speed_mps: f64,
    /// Free-text detail (which stage, fragment count, ballistic coefficient).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The osculating orbit, for orbit insertion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orbit: Option<OrbitSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A circular equatorial orbit at 500 km, prograde: perigee = apogee = 500 km
    /// (1 m), inclination 0. Built in ECEF by removing the Earth's rotation.
    #[test]
    fn circular_equatorial_orbit() {
        let r = Vector3::new(WGS84_A_M + 500_000.0, 0.0, 0.0);
        let v_inertial = Vector3::new(0.0, (GM_M3_S2 / r.x).sqrt(), 0.0);
        let v_ecef = v_inertial - Vector3::new(0.0, 0.0, 7.292_115e-5).cross(&r);
        let o = OrbitSummary::from_ecef(&r, &v_ecef).unwrap();
        assert!((o.perigee_alt_km - 500.0).abs() < 1e-3);
        assert!((o.apogee_alt_km - 500.0).abs() < 1e-3);
        assert!(o.inclination_deg.abs() < 1e-9);
        let escape = Vector3::new(0.0, 20_000.0, 0.0);
        assert!(OrbitSummary::from_ecef(&r, &escape).is_none());
    }
}
