//! Earth's gravitational acceleration in ECEF: point mass plus the J2 oblateness term.
//!
//! J2 is the only zonal harmonic kept: over a suborbital flight of a few minutes the
//! higher terms move an impact point by metres, well below the uncertainty of the
//! tracked state that feeds a prediction.

use keiho_geo::frames::WGS84_A_M;
use nalgebra::Vector3;

/// WGS84 Earth gravitational constant GM (atmosphere included), m^3/s^2.
pub const GM_M3_S2: f64 = 3.986_004_418e14;

/// Second zonal harmonic of the Earth's gravity field, J2 (unnormalised, dimensionless).
/// WGS84 value (EGM96 C20 unnormalised and rounded).
pub const J2: f64 = 1.082_629_82e-3;

/// Gravitational acceleration (no centrifugal term) in m/s^2 at the ECEF position
/// `r_ecef_m` (metres). `j2` adds the oblateness term to the point mass.
///
/// The J2 field is symmetric about the rotation axis, so the same formula holds in
/// ECEF and in an inertial frame sharing its z-axis. Undefined (non-finite) at the
/// Earth's centre; callers never get there because flights end at the surface.
pub fn gravity_ecef_mps2(r_ecef_m: &Vector3<f64>, j2: bool) -> Vector3<f64> {
    let r2 = r_ecef_m.norm_squared();
    let r = r2.sqrt();
    let mu_r3 = GM_M3_S2 / (r2 * r);
    let mut g = -mu_r3 * r_ecef_m;
    if j2 {
        // Gradient of the J2 potential term -(GM/r) J2 (a/r)^2 P2(z/r).
        let k = 1.5 * J2 * WGS84_A_M * WGS84_A_M / r2;
        let z2_r2 = r_ecef_m.z * r_ecef_m.z / r2;
        let xy = k * (1.0 - 5.0 * z2_r2);
        let zz = k * (3.0 - 5.0 * z2_r2);
        g -= mu_r3 * Vector3::new(xy * r_ecef_m.x, xy * r_ecef_m.y, zz * r_ecef_m.z);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use keiho_geo::frames::WGS84_B_M;

    /// Normal gravity without the centrifugal part: 9.814 m/s^2 at the equator and
    /// 9.832 m/s^2 at the pole (WGS84 normal gravity 9.7803 / 9.8322 m/s^2, the
    /// equatorial value plus omega^2 a = 0.0339 m/s^2). Tolerance 0.1%, because J2 alone
    /// does not reproduce the full normal gravity formula.
    #[test]
    fn surface_gravity_matches_wgs84_normal_gravity() {
        let eq = gravity_ecef_mps2(&Vector3::new(WGS84_A_M, 0.0, 0.0), true);
        assert_relative_eq!(eq.norm(), 9.780_325 + 0.033_916, max_relative = 1e-3);
        let pole = gravity_ecef_mps2(&Vector3::new(0.0, 0.0, WGS84_B_M), true);
        assert_relative_eq!(pole.norm(), 9.832_185, max_relative = 1e-3);
    }

    /// The J2 field is conservative: the acceleration is the gradient of
    /// U = GM/r (1 - J2 (a/r)^2 P2(sin phi)). Finite differences of U agree to 1e-9.
    #[test]
    fn j2_is_the_gradient_of_its_potential() {
        let u = |r: &Vector3<f64>| {
            let rn = r.norm();
            let s = r.z / rn;
            let p2 = 0.5 * (3.0 * s * s - 1.0);
            GM_M3_S2 / rn * (1.0 - J2 * (WGS84_A_M / rn).powi(2) * p2)
        };
        let r = Vector3::new(-3.1e6, 4.4e6, 4.3e6);
        let g = gravity_ecef_mps2(&r, true);
        let h = 1.0;
        for i in 0..3 {
            let mut dr = Vector3::zeros();
            dr[i] = h;
            let d = (u(&(r + dr)) - u(&(r - dr))) / (2.0 * h);
            assert_relative_eq!(g[i], d, max_relative = 1e-7, epsilon = 1e-9);
        }
    }
}
