//! The simulator's own record of each object's true flight, sampled every second,
//! and interpolation between samples for sensors that look at other instants.

use keiho_flight::StateEcef;
use nalgebra::Vector3;
use serde::Serialize;

/// Flight phase of an object at a truth sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// A stage is thrusting.
    Boost,
    /// Unpowered, climbing or above 100 km.
    Coast,
    /// Unpowered, descending below 100 km.
    Reentry,
    /// The last sample of an object that reached the ground (ellipsoid height 0).
    Landed,
    /// In orbit after insertion.
    Orbit,
}

/// One true state of one object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TrackSample {
    /// Seconds after launch.
    pub(crate) t_s: f64,
    /// ECEF state.
    pub(crate) state: StateEcef,
    /// Thrust acceleration acting from this instant, ECEF m/s^2 (zero if unpowered).
    pub(crate) thrust_mps2: Vector3<f64>,
    /// Flight phase.
    pub(crate) phase: Phase,
}

/// The true flight of one object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Track {
    /// Full object id, e.g. `SOHAE-2023-08-24/STAGE1`.
    pub(crate) object: String,
    /// Samples in time order: whole seconds after launch, plus the instants of events.
    pub(crate) samples: Vec<TrackSample>,
    /// Ballistic coefficient once unpowered, kg/m^2.
    pub(crate) beta_kg_m2: f64,
    /// Whether the last sample is an impact.
    pub(crate) landed: bool,
}

impl Track {
    /// When the object comes into being, seconds after launch.
    pub(crate) fn start_s(&self) -> f64 {
        self.samples.first().map_or(f64::INFINITY, |s| s.t_s)
    }

    /// When its record ends, seconds after launch.
    pub(crate) fn end_s(&self) -> f64 {
        self.samples.last().map_or(f64::NEG_INFINITY, |s| s.t_s)
    }

    /// State at `t_s` by cubic Hermite interpolation of position and velocity between
    /// the neighbouring samples; `None` outside the record. With samples a second
    /// apart and accelerations of tens of m/s^2, the error is centimetres, far below
    /// any sensor noise simulated here.
    pub(crate) fn state_at(&self, t_s: f64) -> Option<StateEcef> {
        if !(t_s >= self.start_s() && t_s <= self.end_s()) {
            return None;
        }
        let i = self.samples.partition_point(|s| s.t_s <= t_s);
        let (a, b) = match (self.samples.get(i.wrapping_sub(1)), self.samples.get(i)) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => return Some(a.state),
            _ => return None,
        };
        let h = b.t_s - a.t_s;
        if h <= 0.0 {
            return Some(a.state);
        }
        let s = (t_s - a.t_s) / h;
        let (s2, s3) = (s * s, s * s * s);
        let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
        let h10 = s3 - 2.0 * s2 + s;
        let h01 = -2.0 * s3 + 3.0 * s2;
        let h11 = s3 - s2;
        let (p0, p1) = (a.state.r_m, b.state.r_m);
        let (m0, m1) = (a.state.v_mps * h, b.state.v_mps * h);
        let r_m = h00 * p0 + h10 * m0 + h01 * p1 + h11 * m1;
        let d00 = 6.0 * s2 - 6.0 * s;
        let d10 = 3.0 * s2 - 4.0 * s + 1.0;
        let d01 = -6.0 * s2 + 6.0 * s;
        let d11 = 3.0 * s2 - 2.0 * s;
        let v_mps = (d00 * p0 + d10 * m0 + d01 * p1 + d11 * m1) / h;
        Some(StateEcef { r_m, v_mps })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform acceleration is a cubic (in fact quadratic) in time, so Hermite
    /// interpolation reproduces it exactly (1e-6 m, 1e-9 m/s).
    #[test]
    fn hermite_is_exact_for_uniform_acceleration() {
        let a = Vector3::new(3.0, -2.0, 9.0);
        let v0 = Vector3::new(100.0, 50.0, -20.0);
        let at = |t: f64| TrackSample {
            t_s: t,
            state: StateEcef {
                r_m: v0 * t + 0.5 * a * t * t,
                v_mps: v0 + a * t,
            },
            thrust_mps2: Vector3::zeros(),
            phase: Phase::Coast,
        };
        let track = Track {
            object: "X".into(),
            samples: vec![at(0.0), at(1.0), at(2.0)],
            beta_kg_m2: 1.0,
            landed: false,
        };
        let s = track.state_at(1.3).unwrap();
        let e = at(1.3).state;
        assert!((s.r_m - e.r_m).norm() < 1e-6);
        assert!((s.v_mps - e.v_mps).norm() < 1e-9);
        assert!(track.state_at(2.5).is_none());
        assert!(track.state_at(-0.1).is_none());
        assert_eq!(track.state_at(2.0).unwrap(), at(2.0).state);
    }
}
