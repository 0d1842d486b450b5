//! TEME (SGP4's output frame) to Earth-fixed WGS84, and look angles from a place.
//!
//! TEME -> ECEF is a rotation about Z by the Greenwich mean sidereal time of IAU 1982
//! (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., eq. 3-47; the
//! "TEME -> PEF" step of Vallado et al. 2006, AIAA 2006-6753), with UTC standing in for
//! UT1. Neglected, each with the error it gives at LEO distances (~7,000 km):
//!
//! - polar motion (PEF -> ITRF): up to ~0.5 arcsec, i.e. **up to ~15 m** at the
//!   satellite, ~10 m on the ground;
//! - UT1 - UTC (|dUT1| < 0.9 s by definition, ~0.01-0.1 s in 2020-2026): Earth rotation
//!   of 0.9 s is 66 µrad, i.e. **up to ~450 m** along the equator at the satellite in the
//!   worst case, ~70 m for dUT1 = 0.15 s;
//! - the equation of the equinoxes is *not* needed: TEME is already referred to the
//!   mean equinox, which is why GMST rather than GAST is the right angle here.
//!
//! These are far below SGP4's own error (about 1 km at epoch growing 1-3 km per day for
//! LEO) and below 0.1 s of along-track motion, which is what pass times care about.
//! ECEF -> geodetic uses `keiho_geo::frames::Geodetic` (sub-millimetre).

use keiho_geo::frames::{EARTH_OMEGA_RAD_S, Geodetic, range_az_el_from_enu};
use nalgebra::Vector3;
use std::f64::consts::TAU;

/// Julian date of J2000.0 (2000-01-01T12:00:00 TT, used here on the UT1 scale as
/// IAU 1982 GMST does).
pub const JD_J2000: f64 = 2_451_545.0;

/// Greenwich mean sidereal time, IAU 1982 (Vallado eq. 3-47), radians in [0, 2π).
/// `jd_ut1` is the Julian date on the UT1 scale (UTC here; see the module docs).
pub fn gmst_iau82_rad(jd_ut1: f64) -> f64 {
    let t = (jd_ut1 - JD_J2000) / 36_525.0;
    let seconds = 67_310.548_41 + (876_600.0 * 3_600.0 + 8_640_184.812_866) * t + 0.093_104 * t * t
        - 6.2e-6 * t * t * t;
    (seconds * (TAU / 86_400.0)).rem_euclid(TAU)
}

/// Julian date of a UTC time.
pub fn julian_date(t: chrono::DateTime<chrono::Utc>) -> f64 {
    // 1970-01-01T00:00:00Z is JD 2440587.5.
    let ms = t.timestamp_millis() as f64 + f64::from(t.timestamp_subsec_nanos() % 1_000_000) * 1e-6;
    2_440_587.5 + ms / 86_400_000.0
}

/// Position TEME (km) -> ECEF (m) at Greenwich sidereal angle `gmst_rad`.
pub fn teme_to_ecef_m(r_teme_km: &[f64; 3], gmst_rad: f64) -> Vector3<f64> {
    let (s, c) = gmst_rad.sin_cos();
    let [x, y, z] = *r_teme_km;
    Vector3::new(c * x + s * y, -s * x + c * y, z) * 1000.0
}

/// Velocity TEME (km/s) -> ECEF (m/s): rotated, minus the Earth's rotation ω × r.
pub fn teme_to_ecef_velocity_m_s(
    v_teme_km_s: &[f64; 3],
    r_ecef_m: &Vector3<f64>,
    gmst_rad: f64,
) -> Vector3<f64> {
    let rotated = teme_to_ecef_m(v_teme_km_s, gmst_rad);
    let omega = Vector3::new(0.0, 0.0, EARTH_OMEGA_RAD_S);
    rotated - omega.cross(r_ecef_m)
}

/// A place on the ground (or above it) that looks at the sky.
#[derive(Debug, Clone, Copy)]
pub struct Observer {
    geodetic: Geodetic,
    ecef_m: Vector3<f64>,
    to_enu: nalgebra::Matrix3<f64>,
}

/// Azimuth, elevation and range of a satellite seen from an [`Observer`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookAngles {
    /// Azimuth, degrees clockwise from true north.
    pub azimuth_deg: f64,
    /// Elevation above the WGS84 ellipsoid's tangent plane (geodetic horizon), degrees;
    /// no refraction.
    pub elevation_deg: f64,
    /// Slant range, km.
    pub range_km: f64,
}

impl Observer {
    /// An observer at geodetic latitude/longitude (degrees) and height above the WGS84
    /// ellipsoid (m).
    pub fn new(lat_deg: f64, lon_deg: f64, alt_m: f64) -> Self {
        let geodetic = Geodetic {
            lat_deg,
            lon_deg,
            alt_m,
        };
        Self {
            geodetic,
            ecef_m: geodetic.to_ecef(),
            to_enu: geodetic.ecef_to_enu(),
        }
    }

    /// Where the observer is.
    pub fn geodetic(&self) -> Geodetic {
        self.geodetic
    }

    /// Look angles to an ECEF position in metres.
    pub fn look_at(&self, sat_ecef_m: &Vector3<f64>) -> LookAngles {
        let enu = self.to_enu * (sat_ecef_m - self.ecef_m);
        let (range_m, azimuth_deg, elevation_deg) = range_az_el_from_enu(&enu);
        LookAngles {
            azimuth_deg,
            elevation_deg,
            range_km: range_m / 1000.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmst_matches_vallado_example_3_5() {
        // Vallado 4th ed. Example 3-5: 1992-08-20 12:14:00 UT1 -> GMST 152.578787886 deg.
        let jd = 2_448_855.009_722_2;
        let gmst_deg = gmst_iau82_rad(jd).to_degrees();
        // Tolerance: the example's JD is given to 1e-7 day (0.0086 s, 3.6e-5 deg).
        assert!((gmst_deg - 152.578_787_886).abs() < 1e-4, "{gmst_deg}");
    }

    #[test]
    fn julian_date_of_j2000() {
        let t = chrono::DateTime::parse_from_rfc3339("2000-01-01T12:00:00Z")
            .map(|t| t.to_utc())
            .ok();
        assert_eq!(t.map(julian_date), Some(JD_J2000));
    }

    #[test]
    fn rotation_keeps_length_and_z() {
        let r = [6778.0, 1234.5, -432.1];
        let e = teme_to_ecef_m(&r, 1.234);
        let n = (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]).sqrt() * 1000.0;
        // Tolerance: rounding only.
        assert!((e.norm() - n).abs() < 1e-6);
        assert!((e.z - r[2] * 1000.0).abs() < 1e-9);
    }
}
