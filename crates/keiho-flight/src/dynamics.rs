//! Equations of motion of a point mass in the rotating ECEF (WGS84) frame.
//!
//! The frame rotates with the Earth, so besides gravity the object feels the Coriolis
//! (-2 w x v) and centrifugal (-w x (w x r)) accelerations. Working here rather than in
//! an inertial frame keeps drag simple: the atmosphere co-rotates with the Earth, so the
//! ECEF velocity is the air-relative velocity (winds are ignored).

use crate::atmosphere::{ATMOSPHERE_TOP_M, density_kg_m3};
use crate::gravity::gravity_ecef_mps2;
use keiho_geo::frames::{EARTH_OMEGA_RAD_S, Geodetic, WGS84_A_M};
use nalgebra::{SVector, Vector3};
use thiserror::Error;

/// Position and velocity of an object in the rotating ECEF (WGS84) frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateEcef {
    /// Position, metres, ECEF.
    pub r_m: Vector3<f64>,
    /// Velocity relative to the rotating Earth, m/s, ECEF axes.
    pub v_mps: Vector3<f64>,
}

impl StateEcef {
    /// Whether every component is finite.
    pub fn is_finite(&self) -> bool {
        self.r_m
            .iter()
            .chain(self.v_mps.iter())
            .all(|c| c.is_finite())
    }

    /// Geodetic position (WGS84 latitude, longitude in degrees, height in metres).
    pub fn geodetic(&self) -> Geodetic {
        Geodetic::from_ecef(&self.r_m)
    }

    /// Velocity in an inertial frame that coincides with ECEF at this instant:
    /// v + w x r, m/s.
    pub fn inertial_velocity_mps(&self) -> Vector3<f64> {
        self.v_mps + omega().cross(&self.r_m)
    }

    /// The state as the integrator's 6-vector [r_m; v_mps].
    pub(crate) fn to_vector(self) -> SVector<f64, 6> {
        SVector::<f64, 6>::new(
            self.r_m.x,
            self.r_m.y,
            self.r_m.z,
            self.v_mps.x,
            self.v_mps.y,
            self.v_mps.z,
        )
    }

    /// The inverse of [`StateEcef::to_vector`].
    pub(crate) fn from_vector(y: &SVector<f64, 6>) -> Self {
        Self {
            r_m: Vector3::new(y[0], y[1], y[2]),
            v_mps: Vector3::new(y[3], y[4], y[5]),
        }
    }
}

/// A constant thrust acceleration, for extrapolating powered flight "assuming the
/// thrust continues as estimated" (the estimator fits it to the track).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thrust {
    /// Acceleration of constant magnitude along the ECEF (air-relative) velocity.
    AlongVelocity {
        /// Magnitude, m/s^2; negative values decelerate.
        accel_mps2: f64,
    },
    /// Constant acceleration vector in ECEF axes, m/s^2.
    Ecef(Vector3<f64>),
}

/// Which forces act on the object.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ForceModel {
    /// Include the J2 oblateness term of gravity (point mass only if false).
    pub j2: bool,
    /// Ballistic coefficient beta = m / (Cd A), kg/m^2; `None` for no drag.
    pub beta_kg_m2: Option<f64>,
    /// Constant thrust acceleration; `None` for ballistic (unpowered) flight.
    pub thrust: Option<Thrust>,
}

/// A force model that cannot be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum ModelError {
    /// beta must be finite and positive.
    #[error("ballistic coefficient {beta_kg_m2} kg/m^2 is not finite and positive")]
    BadBallisticCoefficient {
        /// The offending value, kg/m^2.
        beta_kg_m2: f64,
    },
    /// Thrust acceleration must be finite.
    #[error("thrust acceleration is not finite")]
    NonFiniteThrust,
}

impl ForceModel {
    /// Point-mass gravity only: the model the closed-form vacuum IIP solves exactly.
    pub const KEPLER: Self = Self {
        j2: false,
        beta_kg_m2: None,
        thrust: None,
    };

    /// J2 gravity with drag of ballistic coefficient `beta_kg_m2`, no thrust: the model
    /// for published predictions of unpowered objects.
    pub fn ballistic(beta_kg_m2: f64) -> Self {
        Self {
            j2: true,
            beta_kg_m2: Some(beta_kg_m2),
            thrust: None,
        }
    }

    /// Checks that every parameter can be evaluated.
    pub fn validate(&self) -> Result<(), ModelError> {
        if let Some(beta_kg_m2) = self.beta_kg_m2 {
            if !(beta_kg_m2.is_finite() && beta_kg_m2 > 0.0) {
                return Err(ModelError::BadBallisticCoefficient { beta_kg_m2 });
            }
        }
        let thrust_ok = match self.thrust {
            None => true,
            Some(Thrust::AlongVelocity { accel_mps2 }) => accel_mps2.is_finite(),
            Some(Thrust::Ecef(a)) => a.iter().all(|c| c.is_finite()),
        };
        if thrust_ok {
            Ok(())
        } else {
            Err(ModelError::NonFiniteThrust)
        }
    }

    /// Total acceleration in m/s^2, ECEF axes, of an object at `r_m` moving at `v_mps`
    /// relative to the rotating Earth.
    pub fn acceleration_ecef_mps2(&self, r_m: &Vector3<f64>, v_mps: &Vector3<f64>) -> Vector3<f64> {
        let w = EARTH_OMEGA_RAD_S;
        // -2 w x v and -w x (w x r) with w along +z, written out.
        let coriolis = Vector3::new(2.0 * w * v_mps.y, -2.0 * w * v_mps.x, 0.0);
        let centrifugal = Vector3::new(w * w * r_m.x, w * w * r_m.y, 0.0);
        let mut a = gravity_ecef_mps2(r_m, self.j2) + coriolis + centrifugal;
        if let Some(beta) = self.beta_kg_m2 {
            // Geodetic height is at least |r| - a, so this skips the geodetic conversion
            // wherever the atmosphere cannot reach.
            if r_m.norm() - WGS84_A_M <= ATMOSPHERE_TOP_M {
                let rho = density_kg_m3(Geodetic::from_ecef(r_m).alt_m);
                a -= (0.5 * rho * v_mps.norm() / beta) * v_mps;
            }
        }
        match self.thrust {
            None => {}
            Some(Thrust::AlongVelocity { accel_mps2 }) => {
                let speed = v_mps.norm();
                // Direction is undefined at rest; a launcher at rest has no estimate
                // of it either, so no thrust is applied there.
                if speed > 0.0 {
                    a += (accel_mps2 / speed) * v_mps;
                }
            }
            Some(Thrust::Ecef(t)) => a += t,
        }
        a
    }

    /// The state derivative [v; a] for the integrator.
    pub(crate) fn derivative(&self, y: &SVector<f64, 6>) -> SVector<f64, 6> {
        let s = StateEcef::from_vector(y);
        let a = self.acceleration_ecef_mps2(&s.r_m, &s.v_mps);
        SVector::<f64, 6>::new(s.v_mps.x, s.v_mps.y, s.v_mps.z, a.x, a.y, a.z)
    }
}

/// Earth's rotation vector, rad/s, ECEF.
pub(crate) fn omega() -> Vector3<f64> {
    Vector3::new(0.0, 0.0, EARTH_OMEGA_RAD_S)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    /// The written-out Coriolis and centrifugal terms equal the cross products (1e-15).
    #[test]
    fn rotating_frame_terms_match_cross_products() {
        let r = Vector3::new(-2.8e6, 4.0e6, 4.1e6);
        let v = Vector3::new(1200.0, -300.0, 2500.0);
        let a = ForceModel::KEPLER.acceleration_ecef_mps2(&r, &v);
        let w = omega();
        let expected = gravity_ecef_mps2(&r, false) - 2.0 * w.cross(&v) - w.cross(&w.cross(&r));
        assert_relative_eq!(a, expected, epsilon = 1e-15);
    }

    /// At 10 km (rho = 0.4135 kg/m^3), 300 m/s and beta 1000 kg/m^2, drag is
    /// 0.5 * 0.4135 * 300^2 / 1000 = 18.6 m/s^2 against the motion (1e-6 relative).
    #[test]
    fn drag_opposes_air_relative_velocity() {
        let site = Geodetic {
            lat_deg: 30.0,
            lon_deg: 130.0,
            alt_m: 10_000.0,
        };
        let r = site.to_ecef();
        let v = site.ecef_to_enu().transpose() * Vector3::new(300.0, 0.0, 0.0);
        let with = ForceModel {
            beta_kg_m2: Some(1000.0),
            ..ForceModel::KEPLER
        };
        let d =
            with.acceleration_ecef_mps2(&r, &v) - ForceModel::KEPLER.acceleration_ecef_mps2(&r, &v);
        let expected = 0.5 * density_kg_m3(10_000.0) * 300.0 * 300.0 / 1000.0;
        assert_relative_eq!(d.norm(), expected, max_relative = 1e-6);
        assert_relative_eq!(d.normalize().dot(&v.normalize()), -1.0, epsilon = 1e-12);
    }

    #[test]
    fn thrust_models_add_their_acceleration() {
        let r = Geodetic {
            lat_deg: 40.0,
            lon_deg: 125.0,
            alt_m: 50_000.0,
        }
        .to_ecef();
        let v = Vector3::new(0.0, 600.0, 800.0);
        let base = ForceModel::KEPLER.acceleration_ecef_mps2(&r, &v);
        let along = ForceModel {
            thrust: Some(Thrust::AlongVelocity { accel_mps2: 20.0 }),
            ..ForceModel::KEPLER
        };
        assert_relative_eq!(
            along.acceleration_ecef_mps2(&r, &v) - base,
            Vector3::new(0.0, 12.0, 16.0),
            epsilon = 1e-12
        );
        let t = Vector3::new(1.0, 2.0, 3.0);
        let fixed = ForceModel {
            thrust: Some(Thrust::Ecef(t)),
            ..ForceModel::KEPLER
        };
        assert_relative_eq!(
            fixed.acceleration_ecef_mps2(&r, &v) - base,
            t,
            epsilon = 1e-12
        );
    }

    #[test]
    fn validation_rejects_unusable_parameters() {
        assert!(ForceModel::ballistic(1000.0).validate().is_ok());
        for beta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(ForceModel::ballistic(beta).validate().is_err());
        }
        let bad = ForceModel {
            thrust: Some(Thrust::Ecef(Vector3::new(f64::NAN, 0.0, 0.0))),
            ..ForceModel::KEPLER
        };
        assert_eq!(bad.validate(), Err(ModelError::NonFiniteThrust));
    }
}
