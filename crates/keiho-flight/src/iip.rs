//! The instantaneous impact point (IIP): where an object would land if all thrust
//! stopped now. Two ways: a closed-form vacuum solution fast enough to run on every
//! track update, and numerical integration with drag and J2 for the published
//! prediction.
//!
//! The closed form follows J. Ahn and W.-R. Roh, "Noniterative instantaneous impact
//! point prediction algorithm for launch operations", Journal of Guidance, Control, and
//! Dynamics 35(2):645-648, 2012: take the state to the inertial frame that coincides
//! with ECEF now, follow the Keplerian conic (point-mass gravity) to where it meets a
//! sphere whose radius is the ellipsoid's geocentric radius at the impact latitude,
//! get the time of flight from Kepler's equation, and turn the Earth under the impact
//! point by -w * tof.

use crate::dynamics::{ForceModel, StateEcef};
use crate::gravity::GM_M3_S2;
use crate::propagate::{FlightError, Impact, impact};
use keiho_geo::frames::{EARTH_OMEGA_RAD_S, WGS84_B_M, WGS84_E2};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};
use std::f64::consts::TAU;
use thiserror::Error;

/// An instantaneous impact point on the WGS84 ellipsoid (geodetic height 0).
///
/// Serialised as `{"lat_deg": .., "lon_deg": .., "tof_s": ..}` (the CLI's `keiho iip`
/// output).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Iip {
    /// Geodetic latitude, degrees (WGS84).
    pub lat_deg: f64,
    /// Longitude, degrees in (-180, 180].
    pub lon_deg: f64,
    /// Time of flight from the state to impact, seconds.
    pub tof_s: f64,
}

impl From<Impact> for Iip {
    fn from(i: Impact) -> Self {
        Self {
            lat_deg: i.lat_deg,
            lon_deg: i.lon_deg,
            tof_s: i.tof_s,
        }
    }
}

/// Why the closed-form IIP has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum IipError {
    /// The vacuum trajectory never meets the Earth: an orbit, or an escape (including
    /// a hyperbolic or parabolic state that is climbing).
    #[error("the vacuum trajectory does not reach the Earth")]
    NoImpact,
    /// The object is below the ellipsoid, or its whole orbit is.
    #[error("the object is below the Earth's surface")]
    BelowSurface,
    /// A NaN or infinite input component.
    #[error("state is not finite")]
    NonFinite,
    /// Finite input that f64 arithmetic cannot handle (magnitudes overflowing).
    #[error("state is numerically degenerate")]
    Degenerate,
}

/// Most radius refinements of the closed form. Each refinement takes the ellipsoid
/// radius at the latest impact latitude; it contracts fast (the radius changes by at
/// most 21 km from equator to pole), and stops early below a tenth of a millimetre.
const MAX_RADIUS_ITERATIONS: usize = 8;
const RADIUS_TOL_M: f64 = 1e-4;
/// Below this |1/a| * r the conic is treated as a parabola (Barker's equation): the
/// elliptic and hyperbolic Kepler equations lose digits as 1/a -> 0, and the parabola's
/// own error is of order |r/a|, so 1e-7 keeps both well under a millisecond.
const PARABOLIC_TOL: f64 = 1e-7;

/// Closed-form vacuum IIP of an object at `r_ecef_m` (metres, ECEF) moving at
/// `v_ecef_mps` (m/s relative to the rotating Earth, ECEF axes), on a rotating
/// WGS84 Earth with point-mass gravity and no atmosphere.
///
/// Exact for that model to the radius iteration (sub-millimetre); against a
/// numerically integrated Keplerian rotating-Earth trajectory it agrees to metres
/// (see `tests/reference_iip.rs`). Against reality its error is dominated by the
/// neglected drag and J2: use [`iip_numeric`] for a published prediction. Does not
/// allocate; about a microsecond per call.
pub fn iip_vacuum(r_ecef_m: &Vector3<f64>, v_ecef_mps: &Vector3<f64>) -> Result<Iip, IipError> {
    if !r_ecef_m
        .iter()
        .chain(v_ecef_mps.iter())
        .all(|c| c.is_finite())
    {
        return Err(IipError::NonFinite);
    }
    let mu = GM_M3_S2;
    let sqrt_mu = mu.sqrt();
    let r0 = r_ecef_m.norm();
    // At the centre (r0 = 0) the direction, and so the surface radius, is undefined.
    if r0 == 0.0 || r0 < ellipsoid_radius_m(r_ecef_m.z / r0) {
        return Err(IipError::BelowSurface);
    }
    // The inertial frame coinciding with ECEF now: same position, v + w x r.
    let w = EARTH_OMEGA_RAD_S;
    let v = v_ecef_mps + Vector3::new(-w * r_ecef_m.y, w * r_ecef_m.x, 0.0);
    let u0 = r_ecef_m / r0;
    let sigma0 = r_ecef_m.dot(&v);
    let h2 = r_ecef_m.cross(&v).norm_squared();
    let p = h2 / mu; // semi-latus rectum, m
    let alpha = 2.0 / r0 - v.norm_squared() / mu; // 1/a, 1/m
    // e^2 - 1 = -p / a exactly; forming e - 1 from it keeps near-radial (e ~ 1) and
    // near-circular states accurate.
    let e2m1 = -p * alpha;
    let e = (1.0 + e2m1).max(0.0).sqrt();
    let em1 = e2m1 / (e + 1.0);
    if !(p.is_finite() && alpha.is_finite() && em1.is_finite()) {
        return Err(IipError::Degenerate);
    }
    // In-plane unit vector ahead of u0. For a radial state it is arbitrary: the
    // impact is then straight below and the angle travelled is zero.
    let v_perp = v - (v.dot(&u0)) * u0;
    let t_hat = if v_perp.norm() > 0.0 {
        v_perp.normalize()
    } else {
        any_perpendicular(&u0)
    };

    // True anomaly, written with e cos f and e sin f so it stays defined as e -> 0.
    let f0 = (sigma0 * p.sqrt() / (r0 * sqrt_mu)).atan2(p / r0 - 1.0);
    let climbing = sigma0 > 0.0;
    if alpha * r0 < PARABOLIC_TOL && climbing {
        // Parabolic or hyperbolic and going up: it escapes.
        return Err(IipError::NoImpact);
    }

    let mut radius = ellipsoid_radius_m(u0.z);
    let mut u_impact = u0;
    for _ in 0..MAX_RADIUS_ITERATIONS {
        // Where r = p / (1 + e cos f) meets the sphere, on the descending branch.
        let q_peri = e + 1.0 - p / radius; // < 0: periapsis above the sphere
        let q_apo = em1 + p / radius; // < 0: apoapsis below the sphere
        if q_peri < 0.0 {
            return Err(IipError::NoImpact);
        }
        if q_apo < 0.0 {
            return Err(IipError::BelowSurface);
        }
        let f_impact = (-(q_peri * q_apo).sqrt()).atan2(p / radius - 1.0);
        let df = (f_impact - f0).rem_euclid(TAU);
        let (s, c) = df.sin_cos();
        u_impact = c * u0 + s * t_hat;
        let next = ellipsoid_radius_m(u_impact.z);
        let done = (next - radius).abs() < RADIUS_TOL_M;
        radius = next;
        if done {
            break;
        }
    }

    let tof_s = time_of_flight_s(r0, sigma0, radius, p, alpha, e, em1)?;
    // The Earth turns under the falling object: the ECEF longitude of the impact is its
    // inertial longitude less w * tof. Latitude is unaffected.
    let lon = u_impact.y.atan2(u_impact.x) - w * tof_s;
    let lat = u_impact
        .z
        .atan2((1.0 - WGS84_E2) * u_impact.x.hypot(u_impact.y));
    let iip = Iip {
        lat_deg: lat.to_degrees(),
        lon_deg: normalize_lon_deg(lon.to_degrees()),
        tof_s,
    };
    if iip.lat_deg.is_finite() && iip.lon_deg.is_finite() && iip.tof_s.is_finite() {
        Ok(iip)
    } else {
        Err(IipError::Degenerate)
    }
}

/// Time from radius `r0` (radial rate sign from `sigma0` = r . v) down to `radius` on
/// the conic with semi-latus rectum `p`, inverse semi-major axis `alpha`, and
/// eccentricity `e` (with `em1` = e - 1 computed without cancellation).
///
/// Eccentric (hyperbolic) anomalies are formed from e cos E = 1 - r/a and
/// e sin E = r . v / sqrt(mu a), which stay defined for circular and radial orbits.
fn time_of_flight_s(
    r0: f64,
    sigma0: f64,
    radius: f64,
    p: f64,
    alpha: f64,
    e: f64,
    em1: f64,
) -> Result<f64, IipError> {
    let mu = GM_M3_S2;
    let sqrt_mu = mu.sqrt();
    if alpha.abs() * r0 < PARABOLIC_TOL {
        // Barker's equation with D = r . v / sqrt(mu) = sqrt(p) tan(f/2):
        // sqrt(mu) t = (p D + D^3 / 3) / 2.
        let d0 = sigma0 / sqrt_mu;
        let di = -(2.0 * radius - p).max(0.0).sqrt();
        let t = (p * (di - d0) + (di.powi(3) - d0.powi(3)) / 3.0) / (2.0 * sqrt_mu);
        return if t >= 0.0 {
            Ok(t)
        } else {
            Err(IipError::NoImpact)
        };
    }
    if alpha > 0.0 {
        let sa = alpha.sqrt();
        let (ecos0, esin0) = (1.0 - r0 * alpha, sigma0 * sa / sqrt_mu);
        let ecosi = 1.0 - radius * alpha;
        // e^2 - (e cos E)^2 = (e - e cos E)(e + e cos E), with e - 1 taken exactly.
        let esini = -((em1 + radius * alpha) * (e + ecosi)).max(0.0).sqrt();
        let de = (esini.atan2(ecosi) - esin0.atan2(ecos0)).rem_euclid(TAU);
        let dm = de - (esini - esin0);
        return Ok(dm / (mu * alpha.powi(3)).sqrt());
    }
    // Hyperbola: e cosh H = 1 - r/a, e sinh H = r . v / sqrt(-mu a).
    let sa = (-alpha).sqrt();
    let esinh0 = sigma0 * sa / sqrt_mu;
    let ecoshi = 1.0 - radius * alpha;
    let esinhi = -((ecoshi - e) * (ecoshi + e)).max(0.0).sqrt();
    let (h0, hi) = ((esinh0 / e).asinh(), (esinhi / e).asinh());
    let dm = (esinhi - esinh0) - (hi - h0);
    let t = dm / (mu * (-alpha).powi(3)).sqrt();
    if t >= 0.0 {
        Ok(t)
    } else {
        Err(IipError::NoImpact)
    }
}

/// Distance from the Earth's centre to the WGS84 ellipsoid, metres, in the direction
/// whose z-component (sine of geocentric latitude) is `sin_lat_c`.
fn ellipsoid_radius_m(sin_lat_c: f64) -> f64 {
    let cos2 = 1.0 - sin_lat_c * sin_lat_c;
    WGS84_B_M / (1.0 - WGS84_E2 * cos2).sqrt()
}

fn any_perpendicular(u: &Vector3<f64>) -> Vector3<f64> {
    let other = if u.x.abs() < 0.9 {
        Vector3::x()
    } else {
        Vector3::y()
    };
    u.cross(&other).normalize()
}

fn normalize_lon_deg(lon_deg: f64) -> f64 {
    let l = (lon_deg + 180.0).rem_euclid(360.0) - 180.0;
    if l == -180.0 { 180.0 } else { l }
}

/// Numerically integrated IIP of `state` under `model` (normally
/// [`ForceModel::ballistic`]: J2 and drag), on geodetic height 0, within `max_s`
/// seconds. This is the published prediction; its numerical error is below a metre,
/// so its accuracy is that of the state, the ballistic coefficient and the atmosphere.
pub fn iip_numeric(state: &StateEcef, model: &ForceModel, max_s: f64) -> Result<Iip, FlightError> {
    impact(state, model, max_s).map(Iip::from)
}

/// [`iip_numeric`] with chosen integration tolerances; Monte Carlo footprints use
/// [`crate::integrate::Options::monte_carlo`].
pub fn iip_numeric_with(
    state: &StateEcef,
    model: &ForceModel,
    max_s: f64,
    options: crate::integrate::Options,
) -> Result<Iip, FlightError> {
    crate::propagate::impact_with(state, model, max_s, options).map(Iip::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use keiho_geo::frames::Geodetic;

    fn state(lat: f64, lon: f64, alt_m: f64, enu_mps: [f64; 3]) -> StateEcef {
        let g = Geodetic {
            lat_deg: lat,
            lon_deg: lon,
            alt_m,
        };
        let v = g.ecef_to_enu().transpose() * Vector3::from(enu_mps);
        StateEcef {
            r_m: g.to_ecef(),
            v_mps: v,
        }
    }

    /// The serialised field names are the CLI's contract.
    #[test]
    fn serialises_with_unit_suffixed_names() {
        let j = serde_json::to_string(&Iip {
            lat_deg: 1.5,
            lon_deg: -2.0,
            tof_s: 3.0,
        });
        assert_eq!(
            j.ok().as_deref(),
            Some(r#"{"lat_deg":1.5,"lon_deg":-2.0,"tof_s":3.0}"#)
        );
    }

    /// A short hop agrees with the integrated Keplerian trajectory to 1 m and 1 ms
    /// (the full comparison is in tests/reference_iip.rs).
    #[test]
    fn agrees_with_integration_on_a_short_hop() {
        let s = state(39.66, 124.705, 60_000.0, [300.0, -1_200.0, 900.0]);
        let closed = iip_vacuum(&s.r_m, &s.v_mps).expect("impacts");
        let num = iip_numeric(&s, &ForceModel::KEPLER, 3_600.0).expect("impacts");
        let geod = geographic_distance_m(closed, num);
        assert!(
            geod < 1.0,
            "closed form {closed:?} vs numeric {num:?}: {geod} m"
        );
        assert_relative_eq!(closed.tof_s, num.tof_s, epsilon = 1e-3);
    }

    /// Rough great-circle distance, metres: enough for a 1 m check.
    fn geographic_distance_m(a: Iip, b: Iip) -> f64 {
        let ga = Geodetic {
            lat_deg: a.lat_deg,
            lon_deg: a.lon_deg,
            alt_m: 0.0,
        }
        .to_ecef();
        let gb = Geodetic {
            lat_deg: b.lat_deg,
            lon_deg: b.lon_deg,
            alt_m: 0.0,
        }
        .to_ecef();
        (ga - gb).norm()
    }

    #[test]
    fn classifies_states_without_an_impact() {
        // Circular orbit at 400 km (inertial speed 7,669 m/s eastward at the equator).
        let r = 6_778_137.0;
        let v_circ = (GM_M3_S2 / r).sqrt() - EARTH_OMEGA_RAD_S * r;
        let orbit = iip_vacuum(&Vector3::new(r, 0.0, 0.0), &Vector3::new(0.0, v_circ, 0.0));
        assert_eq!(orbit, Err(IipError::NoImpact));
        let escape = iip_vacuum(
            &Vector3::new(r, 0.0, 0.0),
            &Vector3::new(12_000.0, 0.0, 0.0),
        );
        assert_eq!(escape, Err(IipError::NoImpact));
        let under = iip_vacuum(&Vector3::new(6.0e6, 0.0, 0.0), &Vector3::zeros());
        assert_eq!(under, Err(IipError::BelowSurface));
        let nan = iip_vacuum(&Vector3::new(f64::NAN, 0.0, 0.0), &Vector3::zeros());
        assert_eq!(nan, Err(IipError::NonFinite));
        let huge = iip_vacuum(
            &Vector3::new(1e300, 1e300, 0.0),
            &Vector3::new(1e300, 0.0, 0.0),
        );
        assert!(huge.is_err());
    }

    /// Dropped from rest at the pole (a radial orbit, angular momentum exactly zero):
    /// lands at the pole after the free-fall time from Kepler's radial equation,
    /// checked against integration to 1 ms.
    #[test]
    fn handles_radial_fall() {
        let s = StateEcef {
            r_m: Vector3::new(0.0, 0.0, WGS84_B_M + 200_000.0),
            v_mps: Vector3::zeros(),
        };
        let closed = iip_vacuum(&s.r_m, &s.v_mps).expect("falls");
        let num = iip_numeric(&s, &ForceModel::KEPLER, 3_600.0).expect("falls");
        assert_relative_eq!(closed.lat_deg, 90.0, epsilon = 1e-9);
        assert_relative_eq!(closed.tof_s, num.tof_s, epsilon = 1e-3);
    }

    /// Straight down from 100 km over the equator at 1 km/s relative to the ground
    /// (inertially it also moves east with the Earth): checked against integration to
    /// 1 m and 1 ms.
    #[test]
    fn handles_vertical_descent() {
        let s = state(0.0, 150.0, 100_000.0, [0.0, 0.0, -1_000.0]);
        let closed = iip_vacuum(&s.r_m, &s.v_mps).expect("falls");
        let num = iip_numeric(&s, &ForceModel::KEPLER, 3_600.0).expect("falls");
        assert!(geographic_distance_m(closed, num) < 1.0);
        assert_relative_eq!(closed.tof_s, num.tof_s, epsilon = 1e-3);
    }

    #[test]
    fn longitude_is_normalised() {
        assert_eq!(normalize_lon_deg(-180.0), 180.0);
        assert_relative_eq!(normalize_lon_deg(181.0), -179.0, epsilon = 1e-12);
        assert_relative_eq!(normalize_lon_deg(-540.5), 179.5, epsilon = 1e-12);
    }
}
