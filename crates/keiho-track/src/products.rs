//! Prediction products for one tracked object: the current IIP with its 99% ellipse,
//! a Monte Carlo impact footprint with drag, the IIP trace and ground track, the
//! debris footprint should the object break up now, and the time of flight.
//!
//! Every product is a pure function of the filter estimate and [`PredictOptions`];
//! random sampling uses a seeded generator per sample, so results do not depend on how
//! rayon schedules the work.

use crate::TrackError;
use crate::filter::Ekf;
use crate::geo::{from_plane_km, to_plane_km};
use crate::phase::Phase;
use crate::tracker::{TrackCounts, TrackNote, Tracker, TrackerConfig, add_seconds};
use chrono::{DateTime, Utc};
use keiho_flight::integrate::Options;
use keiho_flight::{
    ForceModel, IipError, StateEcef, Thrust, iip_numeric_with, iip_vacuum, trajectory,
};
use nalgebra::{SMatrix, SVector, Vector3};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

/// Chi-square quantile, 2 dof, 99%: the scale of a 99% ellipse.
pub const CHI2_2_99: f64 = 9.210;

/// Settings of [`Tracker::predict`] and [`crate::predict_reports`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictOptions {
    /// Tracker tuning.
    pub tracker: TrackerConfig,
    /// Monte Carlo samples of the impact footprint with drag (0: no footprint).
    pub samples: usize,
    /// Samples of the break-up debris footprint (0: none).
    pub debris_samples: usize,
    /// Seed of every random draw.
    pub seed: u64,
    /// Ballistic coefficient range of the object itself, kg/m^2, sampled
    /// log-uniformly: from tumbling spent stages (hundreds) to dense bodies (10^4).
    pub beta_min_kg_m2: f64,
    /// See `beta_min_kg_m2`.
    pub beta_max_kg_m2: f64,
    /// Ballistic coefficient of the drawn ground track, kg/m^2.
    pub beta_nominal_kg_m2: f64,
    /// Debris ballistic coefficients, kg/m^2, log-uniform.
    pub debris_beta_min_kg_m2: f64,
    /// See `debris_beta_min_kg_m2`.
    pub debris_beta_max_kg_m2: f64,
    /// Largest break-up velocity increment, m/s (isotropic direction, magnitude
    /// uniform from zero).
    pub debris_dv_max_mps: f64,
    /// How far ahead powered flight is extrapolated with the estimated thrust, s.
    pub horizon_s: f64,
    /// IIP trace spacing, s.
    pub trace_step_s: f64,
    /// Ground track spacing, s.
    pub ground_step_s: f64,
    /// Longest flight searched for an impact, s.
    pub max_flight_s: f64,
    /// A track not updated for this long is reported as lost, s.
    pub lost_after_s: f64,
}

impl Default for PredictOptions {
    fn default() -> Self {
        Self {
            tracker: TrackerConfig::default(),
            samples: 1_000,
            debris_samples: 500,
            seed: 0x6b65_6968_6f00,
            beta_min_kg_m2: 300.0,
            beta_max_kg_m2: 10_000.0,
            beta_nominal_kg_m2: 2_000.0,
            debris_beta_min_kg_m2: 100.0,
            debris_beta_max_kg_m2: 10_000.0,
            debris_dv_max_mps: 50.0,
            horizon_s: 120.0,
            trace_step_s: 5.0,
            ground_step_s: 10.0,
            max_flight_s: 7_200.0,
            lost_after_s: 30.0,
        }
    }
}

/// An ellipse on the ground, drawn in the azimuthal equidistant plane about its
/// centre.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ellipse {
    /// Centre latitude, degrees.
    pub centre_lat_deg: f64,
    /// Centre longitude, degrees.
    pub centre_lon_deg: f64,
    /// Semi-major axis, km.
    pub semi_major_km: f64,
    /// Semi-minor axis, km.
    pub semi_minor_km: f64,
    /// Direction of the major axis, degrees clockwise from north, in [0, 180).
    pub orientation_deg: f64,
    /// Probability content (0.99).
    pub probability: f64,
}

impl Ellipse {
    /// The ellipse of probability content 0.99 of a 2-D Gaussian with covariance
    /// `cov` (east, north, km^2) centred `mean_km` from (`lat`, `lon`).
    pub(crate) fn from_covariance(
        lat: f64,
        lon: f64,
        mean_km: (f64, f64),
        cov: [[f64; 2]; 2],
    ) -> Option<Self> {
        let (a, b, c) = (cov[0][0], cov[0][1], cov[1][1]);
        let mid = 0.5 * (a + c);
        let rad = (0.25 * (a - c) * (a - c) + b * b).sqrt();
        let (l1, l2) = (mid + rad, (mid - rad).max(0.0));
        if !(l1.is_finite() && l2.is_finite()) {
            return None;
        }
        // Angle of the major axis from east, counter-clockwise.
        let theta = 0.5 * (2.0 * b).atan2(a - c);
        let orientation = (90.0 - theta.to_degrees()).rem_euclid(180.0);
        let (centre_lat_deg, centre_lon_deg) = from_plane_km(lat, lon, mean_km.0, mean_km.1);
        Some(Self {
            centre_lat_deg,
            centre_lon_deg,
            semi_major_km: (CHI2_2_99 * l1).sqrt(),
            semi_minor_km: (CHI2_2_99 * l2).sqrt(),
            orientation_deg: orientation,
            probability: 0.99,
        })
    }

    /// The outline as a closed ring of `n` + 1 (lon, lat) points, longitudes
    /// continuous across the antimeridian.
    pub fn ring(&self, n: usize) -> Vec<[f64; 2]> {
        let n = n.max(8);
        let az = self.orientation_deg.to_radians();
        // Unit vectors (east, north) of the major and minor axes.
        let major = (az.sin(), az.cos());
        let minor = (az.cos(), -az.sin());
        let mut out: Vec<[f64; 2]> = (0..n)
            .map(|k| {
                // k < n, a small count: exact.
                #[allow(clippy::cast_precision_loss)]
                let phi = std::f64::consts::TAU * k as f64 / n as f64;
                let (s, c) = phi.sin_cos();
                let e = self.semi_major_km * c * major.0 + self.semi_minor_km * s * minor.0;
                let nn = self.semi_major_km * c * major.1 + self.semi_minor_km * s * minor.1;
                let (lat, lon) = from_plane_km(self.centre_lat_deg, self.centre_lon_deg, e, nn);
                [lon, lat]
            })
            .collect();
        if let Some(first) = out.first().copied() {
            out.push(first);
        }
        crate::geo::unwrap_lon(&mut out);
        out
    }
}

/// The current instantaneous impact point with its uncertainty.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IipEstimate {
    /// Latitude of the IIP of the estimated state, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Time of flight from the prediction time, s.
    pub tof_s: f64,
    /// Impact time, UTC.
    pub impact_time: Option<DateTime<Utc>>,
    /// 1-sigma of the time of flight from the unscented transform, s.
    pub tof_sigma_s: Option<f64>,
    /// 99% ellipse from the unscented transform of the r/v covariance; `None` when a
    /// sigma point has no impact (an orbit is within the uncertainty).
    pub ellipse: Option<Ellipse>,
}

/// One Monte Carlo impact.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ImpactSample {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Time of flight, s.
    pub tof_s: f64,
    /// Ballistic coefficient of the sample, kg/m^2.
    pub beta_kg_m2: f64,
}

/// A Monte Carlo impact footprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Footprint {
    /// Samples drawn.
    pub samples: usize,
    /// Samples with no impact found (orbit, below ground, too long).
    pub failed: usize,
    /// Impacts, in sample order.
    pub impacts: Vec<ImpactSample>,
    /// 99% ellipse of the impacts (sample covariance).
    pub ellipse: Option<Ellipse>,
    /// Convex hull of the 99% of impacts nearest the mean (Mahalanobis), a closed
    /// ring of (lon, lat) with continuous longitudes.
    pub hull: Vec<[f64; 2]>,
    /// Earliest and latest time of flight, s.
    pub tof_min_s: Option<f64>,
    /// See `tof_min_s`.
    pub tof_max_s: Option<f64>,
}

/// One point of the IIP trace.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TracePoint {
    /// Seconds after the prediction time.
    pub t_s: f64,
    /// IIP latitude, degrees.
    pub lat_deg: f64,
    /// IIP longitude, degrees.
    pub lon_deg: f64,
    /// IIP time of flight from that point, s.
    pub tof_s: f64,
}

/// One point of the ground track (the sub-vehicle point).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroundPoint {
    /// Seconds after the prediction time.
    pub t_s: f64,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height, m.
    pub alt_m: f64,
}

/// The estimated state, in ECEF and geodetic terms.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StateReport {
    /// Position, m, ECEF.
    pub r_ecef_m: [f64; 3],
    /// Velocity relative to the Earth, m/s, ECEF axes.
    pub v_ecef_mps: [f64; 3],
    /// Estimated non-gravitational (thrust or drag) acceleration, m/s^2, ECEF axes.
    pub a_thrust_ecef_mps2: [f64; 3],
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the ellipsoid, m.
    pub alt_m: f64,
    /// Speed relative to the Earth, m/s.
    pub speed_mps: f64,
}

/// Everything predicted for one object at one time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Object id.
    pub object: String,
    /// Event id.
    pub event: String,
    /// The object it separated from, if known.
    pub parent: Option<String>,
    /// Time the products refer to.
    pub t: DateTime<Utc>,
    /// Time of the last measurement update.
    pub last_update: DateTime<Utc>,
    /// Whether the track has gone without updates for longer than
    /// [`PredictOptions::lost_after_s`] while still predicted to be flying.
    pub lost: bool,
    /// Flight phase.
    pub phase: Phase,
    /// State at `t`.
    pub state: StateReport,
    /// 9x9 covariance at `t` (r m, v m/s, a m/s^2), row-major.
    pub covariance: [[f64; 9]; 9],
    /// Measurement counters.
    pub counts: TrackCounts,
    /// Current vacuum IIP and its 99% ellipse.
    pub iip: Option<IipEstimate>,
    /// Time of flight to impact from `t` (vacuum IIP), s.
    pub tof_s: Option<f64>,
    /// Monte Carlo impact footprint with drag.
    pub footprint: Option<Footprint>,
    /// Footprint of the debris if the object broke up at `t`.
    pub debris: Option<Footprint>,
    /// IIP every few seconds while the estimated thrust continues (powered only).
    pub iip_trace: Vec<TracePoint>,
    /// Sub-vehicle points from `t` to impact (thrust continuing over the horizon in
    /// boost, then ballistic with the nominal drag).
    pub ground_track: Vec<GroundPoint>,
    /// Notes of the track (phase changes, acceleration changes, separations).
    pub notes: Vec<TrackNote>,
    /// Products that could not be made, and why.
    pub problems: Vec<String>,
}

impl Tracker {
    /// The products for `object` at `at` (the filter is propagated from its last
    /// update, never backwards: an earlier `at` means the last update).
    pub fn predict(
        &self,
        object: &str,
        at: DateTime<Utc>,
        options: &PredictOptions,
    ) -> Result<Prediction, TrackError> {
        let track = self
            .object(object)
            .ok_or_else(|| TrackError::UnknownObject {
                object: object.to_owned(),
            })?;
        let mut problems = Vec::new();
        let mut filter = track.filter().clone();
        let at_s = self.seconds(at)?;
        let mut t = track.last_t();
        if at_s > filter.t_s {
            let mut ahead = filter.clone();
            ahead.predict(at_s, track.q(&options.tracker));
            if keiho_geo::frames::Geodetic::from_ecef(&ahead.r_ecef_m()).alt_m > 0.0
                && ahead.is_finite()
            {
                filter = ahead;
                t = at;
            } else {
                problems.push("predicted to be on the ground at the requested time; products are from the last update".to_owned());
            }
        }
        let stale_s = crate::tracker::seconds_between(track.last_t(), at).unwrap_or(0.0);
        let mut p = products(&filter, track.phase(), options, &mut problems);
        let lost = stale_s > options.lost_after_s
            && p.iip.as_ref().is_some_and(|i| i.tof_s > 0.0)
            && t == at;
        p.iip = p.iip.map(|mut i| {
            i.impact_time = add_seconds(t, i.tof_s);
            i
        });
        let g = keiho_geo::frames::Geodetic::from_ecef(&filter.r_ecef_m());
        let mut cov = [[0.0; 9]; 9];
        for (i, row) in cov.iter_mut().enumerate() {
            for (j, c) in row.iter_mut().enumerate() {
                *c = filter.p[(i, j)];
            }
        }
        Ok(Prediction {
            object: track.id().to_owned(),
            event: track.event().to_owned(),
            parent: track.parent().map(str::to_owned),
            t,
            last_update: track.last_t(),
            lost,
            phase: track.phase(),
            state: StateReport {
                r_ecef_m: filter.r_ecef_m().into(),
                v_ecef_mps: filter.v_ecef_mps().into(),
                a_thrust_ecef_mps2: filter.a_thrust_ecef_mps2().into(),
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                alt_m: g.alt_m,
                speed_mps: filter.v_ecef_mps().norm(),
            },
            covariance: cov,
            counts: track.counts(),
            tof_s: p.iip.as_ref().map(|i| i.tof_s),
            iip: p.iip,
            footprint: p.footprint,
            debris: p.debris,
            iip_trace: p.iip_trace,
            ground_track: p.ground_track,
            notes: track.notes().to_vec(),
            problems,
        })
    }
}

/// The state-dependent products, before the track's identity is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Products {
    /// See [`Prediction::iip`].
    pub iip: Option<IipEstimate>,
    /// See [`Prediction::footprint`].
    pub footprint: Option<Footprint>,
    /// See [`Prediction::debris`].
    pub debris: Option<Footprint>,
    /// See [`Prediction::iip_trace`].
    pub iip_trace: Vec<TracePoint>,
    /// See [`Prediction::ground_track`].
    pub ground_track: Vec<GroundPoint>,
}

/// All products of one filter estimate; failures are described in `problems`.
pub fn products(
    filter: &Ekf,
    phase: Phase,
    options: &PredictOptions,
    problems: &mut Vec<String>,
) -> Products {
    let (x6, p6) = rv(filter);
    let iip = match iip_unscented(&x6, &p6) {
        Ok(i) => Some(i),
        Err(e) => {
            problems.push(format!("iip: {e}"));
            None
        }
    };
    if iip.as_ref().is_some_and(|i| i.ellipse.is_none()) {
        problems
            .push("iip ellipse: a sigma point of the r/v uncertainty does not impact".to_owned());
    }
    let centre = iip.as_ref().map(|i| (i.lat_deg, i.lon_deg));
    let footprint = (options.samples > 0).then(|| {
        monte_carlo(
            &x6,
            &p6,
            &Scatter {
                beta_min_kg_m2: options.beta_min_kg_m2,
                beta_max_kg_m2: options.beta_max_kg_m2,
                dv_max_mps: 0.0,
            },
            options.samples,
            options.seed,
            options.max_flight_s,
            centre,
        )
    });
    let debris = (options.debris_samples > 0).then(|| {
        monte_carlo(
            &x6,
            &p6,
            &Scatter {
                beta_min_kg_m2: options.debris_beta_min_kg_m2,
                beta_max_kg_m2: options.debris_beta_max_kg_m2,
                dv_max_mps: options.debris_dv_max_mps,
            },
            options.debris_samples,
            options.seed ^ 0x00de_b715,
            options.max_flight_s,
            centre,
        )
    });
    let (iip_trace, ground_track) = trace(filter, phase, options, problems);
    Products {
        iip,
        footprint,
        debris,
        iip_trace,
        ground_track,
    }
}

fn rv(filter: &Ekf) -> (SVector<f64, 6>, SMatrix<f64, 6, 6>) {
    (
        filter.x.fixed_rows::<6>(0).into_owned(),
        filter.p.fixed_view::<6, 6>(0, 0).into_owned(),
    )
}

fn state_of(x: &SVector<f64, 6>) -> StateEcef {
    StateEcef {
        r_m: Vector3::new(x[0], x[1], x[2]),
        v_mps: Vector3::new(x[3], x[4], x[5]),
    }
}

/// A lower-triangular square root of a covariance: Cholesky, or, for a matrix that
/// rounding left semi-definite, the symmetric square root with negative eigenvalues
/// clipped to zero.
fn sqrt_cov(p: &SMatrix<f64, 6, 6>) -> SMatrix<f64, 6, 6> {
    if let Some(c) = p.cholesky() {
        return c.l();
    }
    let eig = p.symmetric_eigen();
    let d = SMatrix::<f64, 6, 6>::from_diagonal(&eig.eigenvalues.map(|l| l.max(0.0).sqrt()));
    eig.eigenvectors * d
}

/// Vacuum IIP of the mean with an ellipse from the unscented transform of the 6x6 r/v
/// covariance (13 sigma points, alpha 1, beta 2, kappa 0).
pub fn iip_unscented(
    x6: &SVector<f64, 6>,
    p6: &SMatrix<f64, 6, 6>,
) -> Result<IipEstimate, IipError> {
    let s = state_of(x6);
    let centre = iip_vacuum(&s.r_m, &s.v_mps)?;
    let l = sqrt_cov(p6) * 6f64.sqrt();
    // alpha = 1, kappa = 0: lambda = 0, so the centre has no weight in the mean and
    // weight beta = 2 in the covariance; each of the 12 others weighs 1/12.
    let (w_i, w0_c) = (1.0 / 12.0, 2.0);
    let mut pts = [(0.0, 0.0, 0.0); 12];
    for j in 0..6 {
        for (k, sign) in [1.0, -1.0].into_iter().enumerate() {
            let xs = x6 + sign * l.column(j);
            let st = state_of(&xs);
            let Ok(i) = iip_vacuum(&st.r_m, &st.v_mps) else {
                return Ok(IipEstimate {
                    lat_deg: centre.lat_deg,
                    lon_deg: centre.lon_deg,
                    tof_s: centre.tof_s,
                    impact_time: None,
                    tof_sigma_s: None,
                    ellipse: None,
                });
            };
            let (e, n) = to_plane_km(centre.lat_deg, centre.lon_deg, i.lat_deg, i.lon_deg);
            pts[2 * j + k] = (e, n, i.tof_s);
        }
    }
    let mean = pts.iter().fold((0.0, 0.0, 0.0), |m, p| {
        (m.0 + w_i * p.0, m.1 + w_i * p.1, m.2 + w_i * p.2)
    });
    let mut cov = [[0.0; 2]; 2];
    let mut var_t = 0.0;
    let centre_pt = (0.0, 0.0, centre.tof_s);
    for (w, p) in std::iter::once((w0_c, &centre_pt)).chain(pts.iter().map(|p| (w_i, p))) {
        let (de, dn, dt) = (p.0 - mean.0, p.1 - mean.1, p.2 - mean.2);
        cov[0][0] += w * de * de;
        cov[0][1] += w * de * dn;
        cov[1][1] += w * dn * dn;
        var_t += w * dt * dt;
    }
    cov[1][0] = cov[0][1];
    Ok(IipEstimate {
        lat_deg: centre.lat_deg,
        lon_deg: centre.lon_deg,
        tof_s: centre.tof_s,
        impact_time: None,
        tof_sigma_s: Some(var_t.sqrt()),
        ellipse: Ellipse::from_covariance(centre.lat_deg, centre.lon_deg, (mean.0, mean.1), cov),
    })
}

/// How Monte Carlo samples are scattered beyond the state covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scatter {
    /// Ballistic coefficient range, kg/m^2, log-uniform.
    pub beta_min_kg_m2: f64,
    /// See `beta_min_kg_m2`.
    pub beta_max_kg_m2: f64,
    /// Largest velocity increment (isotropic), m/s; 0 for none.
    pub dv_max_mps: f64,
}

/// A deterministic per-sample seed (SplitMix64 of seed and index), so each sample's
/// draws are independent of thread scheduling.
fn sample_seed(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Monte Carlo impacts with J2 and drag: states drawn from N(x6, p6), ballistic
/// coefficients and velocity increments from `scatter`, each flown to the ground with
/// keiho-flight's integrator at Monte Carlo tolerances, in parallel. `centre` is the
/// plane's centre for the ellipse and hull (the first impact if `None`).
pub fn monte_carlo(
    x6: &SVector<f64, 6>,
    p6: &SMatrix<f64, 6, 6>,
    scatter: &Scatter,
    n: usize,
    seed: u64,
    max_flight_s: f64,
    centre: Option<(f64, f64)>,
) -> Footprint {
    let l = sqrt_cov(p6);
    let (ln_lo, ln_hi) = (
        scatter.beta_min_kg_m2.max(1e-3).ln(),
        scatter
            .beta_max_kg_m2
            .max(scatter.beta_min_kg_m2)
            .max(1e-3)
            .ln(),
    );
    let results: Vec<Option<ImpactSample>> = (0..n as u64)
        .into_par_iter()
        .map(|i| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(sample_seed(seed, i));
            let z = SVector::<f64, 6>::from_fn(|_, _| rng.sample(StandardNormal));
            let mut x = x6 + l * z;
            if scatter.dv_max_mps > 0.0 {
                let d = Vector3::<f64>::from_fn(|_, _| rng.sample(StandardNormal));
                let d = if d.norm() > 0.0 {
                    d.normalize()
                } else {
                    Vector3::z()
                };
                let dv = d * scatter.dv_max_mps * rng.random::<f64>();
                for k in 0..3 {
                    x[3 + k] += dv[k];
                }
            }
            let beta = (ln_lo + (ln_hi - ln_lo) * rng.random::<f64>()).exp();
            let model = ForceModel::ballistic(beta);
            iip_numeric_with(&state_of(&x), &model, max_flight_s, mc_options())
                .ok()
                .map(|i| ImpactSample {
                    lat_deg: i.lat_deg,
                    lon_deg: i.lon_deg,
                    tof_s: i.tof_s,
                    beta_kg_m2: beta,
                })
        })
        .collect();
    let impacts: Vec<ImpactSample> = results.iter().flatten().copied().collect();
    let failed = n - impacts.len();
    let tof_min_s = impacts.iter().map(|i| i.tof_s).reduce(f64::min);
    let tof_max_s = impacts.iter().map(|i| i.tof_s).reduce(f64::max);
    let (ellipse, hull) = match centre.or_else(|| impacts.first().map(|i| (i.lat_deg, i.lon_deg))) {
        Some((clat, clon)) if impacts.len() >= 3 => spread(&impacts, clat, clon),
        _ => (None, Vec::new()),
    };
    Footprint {
        samples: n,
        failed,
        impacts,
        ellipse,
        hull,
        tof_min_s,
        tof_max_s,
    }
}

/// 99% ellipse (sample covariance) and the hull of the 99% innermost impacts.
fn spread(impacts: &[ImpactSample], clat: f64, clon: f64) -> (Option<Ellipse>, Vec<[f64; 2]>) {
    let pts: Vec<(f64, f64)> = impacts
        .iter()
        .map(|i| to_plane_km(clat, clon, i.lat_deg, i.lon_deg))
        .collect();
    // Counts of at most a few hundred thousand: exact in f64.
    #[allow(clippy::cast_precision_loss)]
    let nf = pts.len() as f64;
    let me = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let mn = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let mut cov = [[0.0; 2]; 2];
    for p in &pts {
        let (de, dn) = (p.0 - me, p.1 - mn);
        cov[0][0] += de * de / (nf - 1.0);
        cov[0][1] += de * dn / (nf - 1.0);
        cov[1][1] += dn * dn / (nf - 1.0);
    }
    cov[1][0] = cov[0][1];
    let ellipse = Ellipse::from_covariance(clat, clon, (me, mn), cov);
    // Mahalanobis distance of each point; keep the innermost 99%.
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[0][1];
    let mut ranked: Vec<(f64, (f64, f64))> = pts
        .iter()
        .map(|p| {
            let (de, dn) = (p.0 - me, p.1 - mn);
            let d2 = if det > 0.0 {
                (cov[1][1] * de * de - 2.0 * cov[0][1] * de * dn + cov[0][0] * dn * dn) / det
            } else {
                de * de + dn * dn
            };
            (d2, *p)
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    // 99% of a count, rounded up: the cast is of a small non-negative value.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let keep = ((0.99 * nf).ceil() as usize).clamp(3.min(pts.len()), pts.len());
    let inner: Vec<(f64, f64)> = ranked[..keep].iter().map(|r| r.1).collect();
    let mut ring: Vec<[f64; 2]> = convex_hull(&inner)
        .into_iter()
        .map(|(e, n)| {
            let (lat, lon) = from_plane_km(clat, clon, e, n);
            [lon, lat]
        })
        .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    crate::geo::unwrap_lon(&mut ring);
    (ellipse, ring)
}

/// Convex hull (Andrew's monotone chain), counter-clockwise, without repeating the
/// first point.
pub(crate) fn convex_hull(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut p: Vec<(f64, f64)> = points.to_vec();
    p.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    p.dedup();
    if p.len() < 3 {
        return p;
    }
    let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| {
        (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
    };
    let mut hull: Vec<(f64, f64)> = Vec::with_capacity(2 * p.len());
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &(f64, f64)>> = if pass == 0 {
            Box::new(p.iter())
        } else {
            Box::new(p.iter().rev())
        };
        for &q in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0.0
            {
                hull.pop();
            }
            hull.push(q);
        }
        hull.pop();
    }
    hull
}

/// The IIP trace (powered only) and the ground track to impact.
fn trace(
    filter: &Ekf,
    phase: Phase,
    options: &PredictOptions,
    problems: &mut Vec<String>,
) -> (Vec<TracePoint>, Vec<GroundPoint>) {
    let s = StateEcef {
        r_m: filter.r_ecef_m(),
        v_mps: filter.v_ecef_mps(),
    };
    let mut iip_trace = Vec::new();
    let mut ground = Vec::new();
    let mut start = s;
    let mut t0 = 0.0;
    if phase == Phase::Boost {
        let model = ForceModel {
            j2: true,
            beta_kg_m2: None,
            thrust: Some(thrust_model(&filter.a_thrust_ecef_mps2(), &s.v_mps)),
        };
        match trajectory(&s, &model, options.trace_step_s, options.horizon_s) {
            Ok(samples) => {
                for smp in &samples {
                    ground.push(GroundPoint {
                        t_s: smp.t_s,
                        lat_deg: smp.geodetic.lat_deg,
                        lon_deg: smp.geodetic.lon_deg,
                        alt_m: smp.geodetic.alt_m,
                    });
                    if let Ok(i) = iip_vacuum(&smp.state.r_m, &smp.state.v_mps) {
                        iip_trace.push(TracePoint {
                            t_s: smp.t_s,
                            lat_deg: i.lat_deg,
                            lon_deg: i.lon_deg,
                            tof_s: i.tof_s,
                        });
                    }
                }
                if let Some(last) = samples.last() {
                    start = last.state;
                    t0 = last.t_s;
                    ground.pop();
                }
            }
            Err(e) => problems.push(format!("iip trace: {e}")),
        }
    }
    if start.geodetic().alt_m > 0.0 {
        // Monte Carlo tolerances: the track is drawn to tens of metres, plenty for an
        // overflight strip kilometres wide, at a third of the cost.
        match keiho_flight::trajectory_with(
            &start,
            &ForceModel::ballistic(options.beta_nominal_kg_m2),
            options.ground_step_s,
            options.max_flight_s,
            keiho_flight::integrate::Options::monte_carlo(),
        ) {
            Ok(samples) => ground.extend(samples.iter().map(|smp| GroundPoint {
                t_s: t0 + smp.t_s,
                lat_deg: smp.geodetic.lat_deg,
                lon_deg: smp.geodetic.lon_deg,
                alt_m: smp.geodetic.alt_m,
            })),
            Err(e) => problems.push(format!("ground track: {e}")),
        }
    }
    (iip_trace, ground)
}

/// The estimated thrust as keiho-flight's constant-thrust model: along the velocity
/// when it is nearly so (a pitch programme turns the thrust with the velocity, so
/// that extrapolates better), otherwise a fixed ECEF vector.
fn thrust_model(a: &Vector3<f64>, v: &Vector3<f64>) -> Thrust {
    let (an, vn) = (a.norm(), v.norm());
    if an > 0.0 && vn > 0.0 && a.dot(v) / (an * vn) > 30f64.to_radians().cos() {
        Thrust::AlongVelocity { accel_mps2: an }
    } else {
        Thrust::Ecef(*a)
    }
}

/// Integration tolerances of the Monte Carlo samples: keiho-flight's Monte Carlo
/// setting loosened tenfold. Against `Options::monte_carlo()` impacts move by under
/// 2 m (test below, asserted < 100 m), far below any footprint's spread, for a third
/// less time (1,000 samples: 112 -> 76 ms on one core).
fn mc_options() -> Options {
    Options {
        rtol: 1e-6,
        atol: 1e-2,
        ..Options::monte_carlo()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_of_a_square_with_interior_points() {
        let pts = [
            (0.0, 0.0),
            (1.0, 0.0),
            (1.0, 1.0),
            (0.0, 1.0),
            (0.5, 0.5),
            (0.2, 0.7),
        ];
        let h = convex_hull(&pts);
        assert_eq!(h, vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
    }

    /// A covariance elongated north-east gives orientation 45 degrees and the 99%
    /// semi-axes sqrt(9.21 * eigenvalue) (to 1e-9).
    #[test]
    fn ellipse_axes_and_orientation() {
        let cov = [[5.0, 4.0], [4.0, 5.0]]; // eigenvalues 9 and 1
        let e = Ellipse::from_covariance(30.0, 130.0, (0.0, 0.0), cov).expect("ellipse");
        assert!((e.semi_major_km - (CHI2_2_99 * 9.0).sqrt()).abs() < 1e-9);
        assert!((e.semi_minor_km - CHI2_2_99.sqrt()).abs() < 1e-9);
        assert!((e.orientation_deg - 45.0).abs() < 1e-9);
    }

    /// The loosened Monte Carlo tolerances against keiho-flight's own: impacts within
    /// 100 m for dense and light objects from a coast state at 190 km.
    #[test]
    fn loosened_tolerances_move_impacts_little() {
        let g = keiho_geo::frames::Geodetic {
            lat_deg: 36.6,
            lon_deg: 125.2,
            alt_m: 190_000.0,
        };
        let s = StateEcef {
            r_m: g.to_ecef(),
            v_mps: g.ecef_to_enu().transpose() * Vector3::new(100.0, -1_500.0, -300.0),
        };
        for beta in [100.0, 300.0, 2_000.0, 10_000.0] {
            let m = ForceModel::ballistic(beta);
            let a = iip_numeric_with(&s, &m, 7_200.0, mc_options()).expect("impacts");
            let b = iip_numeric_with(&s, &m, 7_200.0, Options::monte_carlo()).expect("impacts");
            let (d, _) = crate::geo::inverse(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg);
            assert!(d < 100.0, "beta {beta}: {d} m");
        }
    }

    #[test]
    fn sample_seeds_differ() {
        assert_ne!(sample_seed(1, 0), sample_seed(1, 1));
        assert_ne!(sample_seed(1, 0), sample_seed(2, 0));
    }
}
