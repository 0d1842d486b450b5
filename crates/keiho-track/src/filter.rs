//! The per-object extended Kalman filter: ECEF position, velocity and a
//! non-gravitational ("thrust") acceleration, with gated, Joseph-form updates.
//!
//! State x = [r_ecef_m (3), v_ecef_mps (3), a_thrust_ecef_mps2 (3)]. The dynamics are
//! keiho-flight's J2 gravity plus Coriolis and centrifugal terms (the frame rotates),
//! plus the estimated acceleration. That third block is a random walk whose process
//! noise the tracker sets per flight phase: large in boost so changing thrust is
//! followed, tiny in coast, large again in re-entry where it absorbs drag (the filter
//! has no drag model of its own because the ballistic coefficient is unknown).
//!
//! Why an EKF and not a UKF: the dynamics are smooth and nearly linear over one
//! update interval, position fixes are linear, and radar is mildly nonlinear at the
//! ranges involved (kilometres of cross-range against hundreds of kilometres of
//! range), so the EKF is consistent here (tested by NEES) at a fraction of the cost.

use keiho_flight::ForceModel;
use keiho_geo::frames::{EARTH_OMEGA_RAD_S, Geodetic, range_az_el_from_enu};
use nalgebra::{Matrix3, SMatrix, SVector, Vector3};
use std::f64::consts::PI;

/// Number of filter states.
pub const N_STATES: usize = 9;
/// A 9-vector of the filter state.
pub type StateVector = SVector<f64, N_STATES>;
/// A 9x9 state covariance.
pub type StateCovariance = SMatrix<f64, N_STATES, N_STATES>;

/// Longest single propagation sub-step, seconds. One RK4 step over 2 s of ballistic
/// flight errs by millimetres, far below any measurement noise, and the covariance
/// transition (second-order in F dt) stays accurate.
const MAX_SUBSTEP_S: f64 = 2.0;

/// Chi-square 99.9% quantiles by degrees of freedom (index = dof), used as gates.
const CHI2_999: [f64; 7] = [0.0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458];

/// Model used for the filter's own propagation: J2 gravity, no drag, no thrust (the
/// thrust is the filter's third state block and is added separately).
const GRAVITY_MODEL: ForceModel = ForceModel {
    j2: true,
    beta_kg_m2: None,
    thrust: None,
};

/// The filter's estimate at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Ekf {
    /// Seconds since the tracker's epoch.
    pub t_s: f64,
    /// State estimate.
    pub x: StateVector,
    /// State covariance (kept symmetric positive definite).
    pub p: StateCovariance,
}

/// Result of offering a measurement to the filter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpdateResult {
    /// Accepted; `nis` is the normalised innovation squared, `dof` its degrees of
    /// freedom.
    Accepted {
        /// Normalised innovation squared.
        nis: f64,
        /// Measurement dimension.
        dof: usize,
    },
    /// Refused by the Mahalanobis gate; the state is untouched.
    Gated {
        /// Normalised innovation squared.
        nis: f64,
        /// The gate it exceeded.
        gate: f64,
    },
    /// The innovation covariance could not be inverted or the measurement geometry is
    /// degenerate (e.g. the target at the radar site); the state is untouched.
    Degenerate,
}

impl Ekf {
    /// Position, metres, ECEF.
    pub fn r_ecef_m(&self) -> Vector3<f64> {
        self.x.fixed_rows::<3>(0).into_owned()
    }

    /// Velocity relative to the rotating Earth, m/s, ECEF axes.
    pub fn v_ecef_mps(&self) -> Vector3<f64> {
        self.x.fixed_rows::<3>(3).into_owned()
    }

    /// Estimated non-gravitational acceleration, m/s^2, ECEF axes.
    pub fn a_thrust_ecef_mps2(&self) -> Vector3<f64> {
        self.x.fixed_rows::<3>(6).into_owned()
    }

    /// Whether state and covariance are all finite.
    pub fn is_finite(&self) -> bool {
        self.x.iter().chain(self.p.iter()).all(|c| c.is_finite())
    }

    /// Propagates to `t_s` (forward or backward) with white-noise jerk of spectral
    /// density `q_jerk_m2_s5` on each acceleration axis.
    pub fn predict(&mut self, t_s: f64, q_jerk_m2_s5: f64) {
        let total = t_s - self.t_s;
        if total == 0.0 || !total.is_finite() {
            return;
        }
        // Whole sub-steps: at least one, each at most MAX_SUBSTEP_S.
        let n = (total.abs() / MAX_SUBSTEP_S).ceil().max(1.0);
        let h = total / n;
        // n is small and positive: the cast cannot truncate meaningfully.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        for _ in 0..(n as usize) {
            let phi = transition(&self.x, h);
            self.x = rk4_step(&self.x, h);
            self.p = phi * self.p * phi.transpose() + process_noise(h.abs(), q_jerk_m2_s5);
        }
        symmetrise(&mut self.p);
        self.t_s = t_s;
    }

    /// Position (and optionally velocity) fix in ECEF, isotropic sigmas. `gate` off
    /// (`false`) forces acceptance: used after a confirmed manoeuvre.
    pub fn update_position(
        &mut self,
        r_ecef_m: &Vector3<f64>,
        sigma_m: f64,
        velocity: Option<(Vector3<f64>, f64)>,
        gate: bool,
    ) -> UpdateResult {
        match velocity {
            None => {
                let mut h = SMatrix::<f64, 3, N_STATES>::zeros();
                h.fixed_view_mut::<3, 3>(0, 0)
                    .copy_from(&Matrix3::identity());
                let y = r_ecef_m - self.r_ecef_m();
                let r = Matrix3::identity() * sigma_m * sigma_m;
                self.update(&y, &h, &r, gate)
            }
            Some((v_ecef_mps, sigma_v_mps)) => {
                let mut h = SMatrix::<f64, 6, N_STATES>::zeros();
                h.fixed_view_mut::<6, 6>(0, 0)
                    .copy_from(&SMatrix::<f64, 6, 6>::identity());
                let mut y = SVector::<f64, 6>::zeros();
                y.fixed_rows_mut::<3>(0)
                    .copy_from(&(r_ecef_m - self.r_ecef_m()));
                y.fixed_rows_mut::<3>(3)
                    .copy_from(&(v_ecef_mps - self.v_ecef_mps()));
                let mut r = SMatrix::<f64, 6, 6>::zeros();
                for i in 0..3 {
                    r[(i, i)] = sigma_m * sigma_m;
                    r[(i + 3, i + 3)] = sigma_v_mps * sigma_v_mps;
                }
                self.update(&y, &h, &r, gate)
            }
        }
    }

    /// Radar range/azimuth/elevation from `site`. Angles in the measurement are in
    /// degrees, as reported; internally radians.
    pub fn update_radar(&mut self, radar: &RadarObservation, gate: bool) -> UpdateResult {
        let site = Geodetic {
            lat_deg: radar.site_lat_deg,
            lon_deg: radar.site_lon_deg,
            alt_m: radar.site_alt_m,
        };
        let rot = site.ecef_to_enu();
        let enu = rot * (self.r_ecef_m() - site.to_ecef());
        let (range_m, az_deg, el_deg) = range_az_el_from_enu(&enu);
        let horiz2 = enu.x * enu.x + enu.y * enu.y;
        let horiz = horiz2.sqrt();
        let range2 = range_m * range_m;
        if range_m < 1.0 {
            return UpdateResult::Degenerate;
        }
        let d_range = enu.transpose() / range_m;
        let d_el = Vector3::new(
            -enu.x * enu.z / (range2 * horiz),
            -enu.y * enu.z / (range2 * horiz),
            horiz / range2,
        )
        .transpose();
        let sr2 = radar.sigma_range_m * radar.sigma_range_m;
        let sa = radar.sigma_angle_deg.to_radians();
        // Near the zenith azimuth is undefined and its Jacobian blows up: use range and
        // elevation only (1 mrad of horizontal radius per metre of range).
        if horiz < 1e-3 * range_m {
            let mut h = SMatrix::<f64, 2, N_STATES>::zeros();
            h.fixed_view_mut::<1, 3>(0, 0).copy_from(&(d_range * rot));
            h.fixed_view_mut::<1, 3>(1, 0).copy_from(&(d_el * rot));
            let y = SVector::<f64, 2>::new(
                radar.range_m - range_m,
                (radar.el_deg - el_deg).to_radians(),
            );
            let r = SMatrix::<f64, 2, 2>::new(sr2, 0.0, 0.0, sa * sa);
            return self.update(&y, &h, &r, gate);
        }
        let d_az = Vector3::new(enu.y / horiz2, -enu.x / horiz2, 0.0).transpose();
        let mut h = SMatrix::<f64, 3, N_STATES>::zeros();
        h.fixed_view_mut::<1, 3>(0, 0).copy_from(&(d_range * rot));
        h.fixed_view_mut::<1, 3>(1, 0).copy_from(&(d_az * rot));
        h.fixed_view_mut::<1, 3>(2, 0).copy_from(&(d_el * rot));
        let y = Vector3::new(
            radar.range_m - range_m,
            wrap_pi((radar.az_deg - az_deg).to_radians()),
            (radar.el_deg - el_deg).to_radians(),
        );
        let r = Matrix3::from_diagonal(&Vector3::new(sr2, sa * sa, sa * sa));
        self.update(&y, &h, &r, gate)
    }

    /// The gated Joseph-form update shared by every measurement model.
    fn update<const M: usize>(
        &mut self,
        y: &SVector<f64, M>,
        h: &SMatrix<f64, M, N_STATES>,
        r: &SMatrix<f64, M, M>,
        gate: bool,
    ) -> UpdateResult {
        let ph_t = self.p * h.transpose();
        let s = h * ph_t + r;
        let Some(chol) = s.cholesky() else {
            return UpdateResult::Degenerate;
        };
        let s_inv = chol.inverse();
        let nis = (y.transpose() * s_inv * y)[(0, 0)];
        if !nis.is_finite() {
            return UpdateResult::Degenerate;
        }
        let threshold = CHI2_999.get(M).copied().unwrap_or(f64::INFINITY);
        if gate && nis > threshold {
            return UpdateResult::Gated {
                nis,
                gate: threshold,
            };
        }
        let k = ph_t * s_inv;
        let i_kh = StateCovariance::identity() - k * h;
        // Joseph form: stays symmetric positive definite even with a suboptimal gain
        // or rounding, which the short form (I - KH) P does not guarantee.
        let p = i_kh * self.p * i_kh.transpose() + k * r * k.transpose();
        let x = self.x + k * y;
        if !(x.iter().all(|c| c.is_finite()) && p.iter().all(|c| c.is_finite())) {
            return UpdateResult::Degenerate;
        }
        self.x = x;
        self.p = p;
        symmetrise(&mut self.p);
        UpdateResult::Accepted { nis, dof: M }
    }

    /// Adds `sigma^2` to the diagonal of a 3x3 block (0 = r, 1 = v, 2 = a): a partial
    /// reset after a detected manoeuvre, so new data outweighs a stale prior.
    pub fn inflate(&mut self, block: usize, sigma: f64) {
        for i in 0..3 {
            self.p[(3 * block + i, 3 * block + i)] += sigma * sigma;
        }
    }

    /// Significance of the estimated acceleration: a^T P_aa^-1 a (chi-square, 3 dof,
    /// if the true acceleration were zero).
    pub fn thrust_significance(&self) -> f64 {
        let a = self.a_thrust_ecef_mps2();
        let paa: Matrix3<f64> = self.p.fixed_view::<3, 3>(6, 6).into_owned();
        match paa.cholesky() {
            Some(c) => (a.transpose() * c.inverse() * a)[(0, 0)],
            None => 0.0,
        }
    }
}

/// A radar measurement in the filter's terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarObservation {
    /// Site geodetic latitude, degrees.
    pub site_lat_deg: f64,
    /// Site longitude, degrees.
    pub site_lon_deg: f64,
    /// Site height above the ellipsoid, metres.
    pub site_alt_m: f64,
    /// Slant range, metres.
    pub range_m: f64,
    /// Azimuth from north, clockwise, degrees.
    pub az_deg: f64,
    /// Elevation, degrees.
    pub el_deg: f64,
    /// Range noise (1 sigma), metres.
    pub sigma_range_m: f64,
    /// Angle noise (1 sigma), degrees.
    pub sigma_angle_deg: f64,
}

/// Wraps an angle to (-pi, pi]: azimuth residuals across north (359 vs 1 degree).
pub(crate) fn wrap_pi(x: f64) -> f64 {
    let y = (x + PI).rem_euclid(2.0 * PI) - PI;
    if y == -PI { PI } else { y }
}

fn symmetrise(p: &mut StateCovariance) {
    let t = p.transpose();
    *p = 0.5 * (*p + t);
}

/// State derivative: [v; g + Coriolis + centrifugal + a; 0].
fn derivative(x: &StateVector) -> StateVector {
    let r = Vector3::new(x[0], x[1], x[2]);
    let v = Vector3::new(x[3], x[4], x[5]);
    let a = GRAVITY_MODEL.acceleration_ecef_mps2(&r, &v) + Vector3::new(x[6], x[7], x[8]);
    StateVector::from_column_slice(&[v.x, v.y, v.z, a.x, a.y, a.z, 0.0, 0.0, 0.0])
}

fn rk4_step(x: &StateVector, h: f64) -> StateVector {
    let k1 = derivative(x);
    let k2 = derivative(&(x + k1 * (h / 2.0)));
    let k3 = derivative(&(x + k2 * (h / 2.0)));
    let k4 = derivative(&(x + k3 * h));
    x + (k1 + 2.0 * k2 + 2.0 * k3 + k4) * (h / 6.0)
}

/// State transition matrix over `h`, exp(F h) to third order, with F the Jacobian of
/// the dynamics at `x`. The gravity gradient is point-mass only: J2 changes it by
/// 0.1%, far below what matters over a few seconds.
fn transition(x: &StateVector, h: f64) -> StateCovariance {
    let r = Vector3::new(x[0], x[1], x[2]);
    let rn = r.norm();
    let mu_r3 = keiho_flight::gravity::GM_M3_S2 / (rn * rn * rn);
    let u = r / rn;
    let w = EARTH_OMEGA_RAD_S;
    let grad = mu_r3 * (3.0 * u * u.transpose() - Matrix3::identity())
        + Matrix3::from_diagonal(&Vector3::new(w * w, w * w, 0.0));
    let coriolis = Matrix3::new(0.0, 2.0 * w, 0.0, -2.0 * w, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut f = StateCovariance::zeros();
    f.fixed_view_mut::<3, 3>(0, 3)
        .copy_from(&Matrix3::identity());
    f.fixed_view_mut::<3, 3>(3, 0).copy_from(&grad);
    f.fixed_view_mut::<3, 3>(3, 3).copy_from(&coriolis);
    f.fixed_view_mut::<3, 3>(3, 6)
        .copy_from(&Matrix3::identity());
    let fh = f * h;
    let fh2 = fh * fh;
    // The third-order term carries the Coriolis coupling of acceleration into
    // position (2 w h^3 / 6), which is not negligible against the others.
    StateCovariance::identity() + fh + 0.5 * fh2 + fh2 * fh / 6.0
}

/// Discrete process noise of white jerk (spectral density q, m^2/s^5) through the
/// acceleration -> velocity -> position chain, per axis (the standard "Wiener process
/// acceleration" model).
fn process_noise(h: f64, q: f64) -> StateCovariance {
    let (h2, h3) = (h * h, h * h * h);
    let blocks = [
        [h2 * h3 / 20.0, h2 * h2 / 8.0, h3 / 6.0],
        [h2 * h2 / 8.0, h3 / 3.0, h2 / 2.0],
        [h3 / 6.0, h2 / 2.0, h],
    ];
    let mut qm = StateCovariance::zeros();
    for (bi, row) in blocks.iter().enumerate() {
        for (bj, &val) in row.iter().enumerate() {
            for axis in 0..3 {
                qm[(3 * bi + axis, 3 * bj + axis)] = q * val;
            }
        }
    }
    qm
}

#[cfg(test)]
mod tests {
    use super::*;
    use keiho_flight::{StateEcef, propagate};

    fn sample() -> Ekf {
        let g = Geodetic {
            lat_deg: 38.0,
            lon_deg: 125.0,
            alt_m: 200_000.0,
        };
        let v = g.ecef_to_enu().transpose() * Vector3::new(100.0, -2_000.0, 500.0);
        let mut x = StateVector::zeros();
        x.fixed_rows_mut::<3>(0).copy_from(&g.to_ecef());
        x.fixed_rows_mut::<3>(3).copy_from(&v);
        Ekf {
            t_s: 0.0,
            x,
            p: StateCovariance::identity() * 100.0,
        }
    }

    /// RK4 with 2 s sub-steps against keiho-flight's Dormand-Prince over 60 s of
    /// coast: agreement within 1 m (the filter's own propagation error must be far
    /// below measurement noise of hundreds of metres).
    #[test]
    fn propagation_matches_keiho_flight() {
        let mut f = sample();
        let s = StateEcef {
            r_m: f.r_ecef_m(),
            v_mps: f.v_ecef_mps(),
        };
        f.predict(60.0, 0.0);
        let truth = propagate(&s, &GRAVITY_MODEL, 60.0).expect("propagates");
        assert!((f.r_ecef_m() - truth.r_m).norm() < 1.0);
        assert!((f.v_ecef_mps() - truth.v_mps).norm() < 0.01);
    }

    /// The linearised transition against finite differences of the RK4 map over 2 s:
    /// columns agree to 1e-4 relative (third-order truncation of exp(F h)).
    #[test]
    fn transition_matches_finite_differences() {
        let f = sample();
        let h = 2.0;
        let phi = transition(&f.x, h);
        for j in 0..N_STATES {
            let mut dx = StateVector::zeros();
            let eps = if j < 3 { 10.0 } else { 0.1 };
            dx[j] = eps;
            let col = (rk4_step(&(f.x + dx), h) - rk4_step(&(f.x - dx), h)) / (2.0 * eps);
            for i in 0..N_STATES {
                assert!(
                    (phi[(i, j)] - col[i]).abs() < 1e-4 * (1.0 + col[i].abs()),
                    "phi[{i},{j}] = {} vs {}",
                    phi[(i, j)],
                    col[i]
                );
            }
        }
    }

    #[test]
    fn azimuth_residual_wraps_across_north() {
        let d = wrap_pi(359f64.to_radians() - 1f64.to_radians());
        assert!((d + 2f64.to_radians()).abs() < 1e-12);
        assert!((wrap_pi(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-12);
    }
}
