//! SGP4/SDP4 propagation of an [`ElementSet`] (the `sgp4` crate, Vallado et al. 2006),
//! with WGS72 constants as the element sets are fitted with, and the Earth-fixed state.
//!
//! Time inside hot loops is `f64` seconds from a chosen base instant ([`Track`]); UTC
//! (chrono) lives at the edges.

use crate::elements::{ElementSet, ElementsError};
use crate::frames::{gmst_iau82_rad, julian_date, teme_to_ecef_m, teme_to_ecef_velocity_m_s};
use chrono::{DateTime, Utc};
use keiho_geo::frames::Geodetic;
use nalgebra::Vector3;
use serde::Serialize;

/// How SGP4 is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sgp4Mode {
    /// WGS72 constants, IAU 1982 sidereal time and the exact epoch: the "improved" mode
    /// of Vallado's code, python-sgp4 and Skyfield. The default.
    #[default]
    Improved,
    /// WGS72 constants with the AFSPC sidereal time and epoch expressions: what the
    /// published verification vectors (`tcppver.out`) were produced with.
    Afspc,
}

/// Why a propagation failed (the object has decayed, or the theory broke down).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("SGP4 failed for NORAD {norad_id} at {minutes_since_epoch:.1} min from epoch: {message}")]
pub struct PropagationError {
    /// The object.
    pub norad_id: u64,
    /// When, minutes from the epoch of its elements.
    pub minutes_since_epoch: f64,
    /// The `sgp4` crate's explanation.
    pub message: String,
}

/// Position and velocity in TEME (SGP4's frame: true equator, mean equinox of date).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TemeState {
    /// Position, km, TEME.
    pub position_km: [f64; 3],
    /// Velocity, km/s, TEME.
    pub velocity_km_s: [f64; 3],
}

/// A state in the Earth-fixed frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarthFixedState {
    /// Position, m, ECEF (WGS84; polar motion neglected).
    pub position_m: Vector3<f64>,
    /// Velocity relative to the rotating Earth, m/s, ECEF.
    pub velocity_m_s: Vector3<f64>,
    /// Geodetic position of the object (sub-satellite point and height).
    pub geodetic: Geodetic,
}

/// An initialised SGP4 propagator for one element set.
#[derive(Debug, Clone)]
pub struct Propagator {
    set: ElementSet,
    constants: sgp4::Constants,
    mode: Sgp4Mode,
}

pub(crate) fn constants_for(
    set: &ElementSet,
    mode: Sgp4Mode,
) -> Result<sgp4::Constants, sgp4::ElementsError> {
    let e = set.to_sgp4();
    let (sidereal, epoch): (fn(f64) -> f64, f64) = match mode {
        Sgp4Mode::Improved => (sgp4::iau_epoch_to_sidereal_time, e.epoch()),
        Sgp4Mode::Afspc => (
            sgp4::afspc_epoch_to_sidereal_time,
            e.epoch_afspc_compatibility_mode(),
        ),
    };
    let deg = std::f64::consts::PI / 180.0;
    Ok(sgp4::Constants::new(
        sgp4::WGS72,
        sidereal,
        epoch,
        e.drag_term,
        sgp4::Orbit::from_kozai_elements(
            &sgp4::WGS72,
            e.inclination * deg,
            e.right_ascension * deg,
            e.eccentricity,
            e.argument_of_perigee * deg,
            e.mean_anomaly * deg,
            e.mean_motion * (std::f64::consts::PI / 720.0),
        )?,
    )?)
}

impl Propagator {
    /// SGP4 in the default ([`Sgp4Mode::Improved`]) mode.
    pub fn new(set: &ElementSet) -> Result<Self, ElementsError> {
        Self::with_mode(set, Sgp4Mode::Improved)
    }

    /// SGP4 in a chosen mode.
    pub fn with_mode(set: &ElementSet, mode: Sgp4Mode) -> Result<Self, ElementsError> {
        let constants = constants_for(set, mode)
            .map_err(|e| ElementsError::new(0, format!("NORAD {}", set.norad_id), e.to_string()))?;
        Ok(Self {
            set: set.clone(),
            constants,
            mode,
        })
    }

    /// The element set.
    pub fn elements(&self) -> &ElementSet {
        &self.set
    }

    /// TEME state at `minutes` from the epoch of the elements.
    pub fn teme_at_minutes(&self, minutes: f64) -> Result<TemeState, PropagationError> {
        let t = sgp4::MinutesSinceEpoch(minutes);
        let p = match self.mode {
            Sgp4Mode::Improved => self.constants.propagate(t),
            Sgp4Mode::Afspc => self.constants.propagate_afspc_compatibility_mode(t),
        }
        .map_err(|e| PropagationError {
            norad_id: self.set.norad_id,
            minutes_since_epoch: minutes,
            message: e.to_string(),
        })?;
        Ok(TemeState {
            position_km: p.position,
            velocity_km_s: p.velocity,
        })
    }

    /// Minutes from the epoch of the elements to `t`.
    pub fn minutes_since_epoch(&self, t: DateTime<Utc>) -> f64 {
        let d = t - self.set.epoch;
        d.num_microseconds()
            .map_or(d.num_milliseconds() as f64 * 1e-3, |us| us as f64 * 1e-6)
            / 60.0
    }

    /// TEME state at a UTC time.
    pub fn teme_at(&self, t: DateTime<Utc>) -> Result<TemeState, PropagationError> {
        self.teme_at_minutes(self.minutes_since_epoch(t))
    }

    /// Earth-fixed state at a UTC time.
    pub fn earth_fixed_at(&self, t: DateTime<Utc>) -> Result<EarthFixedState, PropagationError> {
        self.track(t).earth_fixed(0.0)
    }

    /// A view of this propagator with time as seconds from `base` (for search loops).
    pub fn track(&self, base: DateTime<Utc>) -> Track<'_> {
        Track {
            prop: self,
            base,
            base_minutes: self.minutes_since_epoch(base),
            base_jd: julian_date(base),
        }
    }
}

/// A propagator with time measured in seconds from a base instant.
#[derive(Debug, Clone, Copy)]
pub struct Track<'a> {
    prop: &'a Propagator,
    base: DateTime<Utc>,
    base_minutes: f64,
    base_jd: f64,
}

impl Track<'_> {
    /// The base instant.
    pub fn base(&self) -> DateTime<Utc> {
        self.base
    }

    /// The UTC time `dt_s` seconds after the base (rounded to the microsecond).
    pub fn time(&self, dt_s: f64) -> DateTime<Utc> {
        self.base + chrono::Duration::microseconds((dt_s * 1e6).round() as i64)
    }

    /// ECEF position (m) `dt_s` seconds after the base.
    pub fn ecef_m(&self, dt_s: f64) -> Result<Vector3<f64>, PropagationError> {
        let s = self.prop.teme_at_minutes(self.base_minutes + dt_s / 60.0)?;
        Ok(teme_to_ecef_m(&s.position_km, self.gmst(dt_s)))
    }

    /// Full Earth-fixed state `dt_s` seconds after the base.
    pub fn earth_fixed(&self, dt_s: f64) -> Result<EarthFixedState, PropagationError> {
        let s = self.prop.teme_at_minutes(self.base_minutes + dt_s / 60.0)?;
        let gmst = self.gmst(dt_s);
        let position_m = teme_to_ecef_m(&s.position_km, gmst);
        Ok(EarthFixedState {
            velocity_m_s: teme_to_ecef_velocity_m_s(&s.velocity_km_s, &position_m, gmst),
            geodetic: Geodetic::from_ecef(&position_m),
            position_m,
        })
    }

    fn gmst(&self, dt_s: f64) -> f64 {
        gmst_iau82_rad(self.base_jd + dt_s / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_elements;

    #[test]
    fn malligyong_altitude_is_about_500_km() -> Result<(), Box<dyn std::error::Error>> {
        let sets = parse_elements(
            "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999\n\
             2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052\n",
        )?;
        let p = Propagator::new(&sets[0])?;
        for k in 0..20 {
            let s = p.track(sets[0].epoch).earth_fixed(f64::from(k) * 300.0)?;
            // Tolerance: data/README says 503-507 km; the ellipsoid adds +-10 km.
            assert!(
                (480e3..530e3).contains(&s.geodetic.alt_m),
                "{:?}",
                s.geodetic
            );
            // Ground-relative speed of a 500 km LEO object: ~7.2 km/s.
            assert!((6.5e3..8.0e3).contains(&s.velocity_m_s.norm()));
        }
        Ok(())
    }
}
