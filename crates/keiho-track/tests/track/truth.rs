//! Truth trajectories flown with keiho-flight and simulated sensor reports with known
//! noise, for the filter tests.

use chrono::{DateTime, TimeDelta, Utc};
use keiho_flight::{ForceModel, StateEcef, Thrust, trajectory};
use keiho_geo::frames::{Geodetic, range_az_el_from_enu};
use keiho_ingest::{
    LaunchDetection, Measurement, PositionFix, RadarMeasurement, RadarSigma, Report, SiteGeodetic,
};
use nalgebra::Vector3;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;

/// Sohae, the launch site of the scenarios.
pub(crate) const SITE_LAT_DEG: f64 = 39.66;
pub(crate) const SITE_LON_DEG: f64 = 124.705;

/// A radar on the Korean west coast that sees the southward flight.
pub(crate) const RADAR: SiteGeodetic = SiteGeodetic {
    lat_deg: 37.0,
    lon_deg: 126.3,
    alt_m: 100.0,
};

pub(crate) fn t0() -> DateTime<Utc> {
    "2023-08-23T18:50:00Z".parse().unwrap_or_default()
}

pub(crate) fn at(t_s: f64) -> DateTime<Utc> {
    #[allow(clippy::cast_possible_truncation)]
    let us = (t_s * 1e6).round() as i64;
    t0() + TimeDelta::microseconds(us)
}

/// One truth sample, seconds from t0.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TruthSample {
    pub(crate) t_s: f64,
    pub(crate) state: StateEcef,
    pub(crate) a_thrust: Vector3<f64>,
}

#[derive(Debug, Clone)]
pub(crate) struct Truth {
    pub(crate) samples: Vec<TruthSample>,
    /// Seconds from t0 at which each burn ends.
    pub(crate) burn_ends_s: Vec<f64>,
}

impl Truth {
    /// The sample at (the nearest whole second to) `t_s`.
    pub(crate) fn at(&self, t_s: f64) -> Option<&TruthSample> {
        self.samples
            .iter()
            .min_by(|a, b| (a.t_s - t_s).abs().total_cmp(&(b.t_s - t_s).abs()))
    }

    pub(crate) fn impact(&self) -> Option<&TruthSample> {
        self.samples.last()
    }
}

/// Flies from 100 m above Sohae (50 m/s at 80 degrees elevation towards azimuth
/// `az_deg`) through `burns` = [(duration s, thrust along velocity m/s^2)], then
/// ballistically (drag with `beta` if given, J2 always) to the ground, sampled every
/// second.
pub(crate) fn fly(az_deg: f64, burns: &[(f64, f64)], beta: Option<f64>) -> Truth {
    let g = Geodetic {
        lat_deg: SITE_LAT_DEG,
        lon_deg: SITE_LON_DEG,
        alt_m: 100.0,
    };
    let (sa, ca) = az_deg.to_radians().sin_cos();
    let (se, ce) = 80f64.to_radians().sin_cos();
    let v = g.ecef_to_enu().transpose() * Vector3::new(50.0 * ce * sa, 50.0 * ce * ca, 50.0 * se);
    let mut s = StateEcef {
        r_m: g.to_ecef(),
        v_mps: v,
    };
    let mut t = 0.0;
    let mut samples = Vec::new();
    let mut burn_ends_s = Vec::new();
    for &(dur, acc) in burns {
        // Thrust is net of drag in powered flight (real boosters have ballistic
        // coefficients of 10^4-10^5 kg/m^2 at lift-off); drag acts in coast only.
        let model = ForceModel {
            j2: true,
            beta_kg_m2: None,
            thrust: (acc > 0.0).then_some(Thrust::AlongVelocity { accel_mps2: acc }),
        };
        let traj = trajectory(&s, &model, 1.0, dur).unwrap_or_default();
        for smp in &traj[..traj.len().saturating_sub(1)] {
            samples.push(TruthSample {
                t_s: t + smp.t_s,
                state: smp.state,
                a_thrust: if acc > 0.0 {
                    smp.state.v_mps.normalize() * acc
                } else {
                    Vector3::zeros()
                },
            });
        }
        if let Some(last) = traj.last() {
            s = last.state;
        }
        t += dur;
        burn_ends_s.push(t);
    }
    let model = ForceModel {
        j2: true,
        beta_kg_m2: beta,
        thrust: None,
    };
    for smp in trajectory(&s, &model, 1.0, 5_000.0).unwrap_or_default() {
        samples.push(TruthSample {
            t_s: t + smp.t_s,
            state: smp.state,
            a_thrust: Vector3::zeros(),
        });
    }
    Truth {
        samples,
        burn_ends_s,
    }
}

/// The standard two-phase flight: 100 s at 30 m/s^2 then coast.
pub(crate) fn standard(beta: Option<f64>) -> Truth {
    fly(170.0, &[(100.0, 30.0)], beta)
}

pub(crate) struct Sensors {
    pub(crate) fix_sigma_m: f64,
    pub(crate) radar_range_sigma_m: f64,
    pub(crate) radar_angle_sigma_deg: f64,
    /// Every how many seconds each sensor reports.
    pub(crate) every_s: usize,
}

impl Default for Sensors {
    fn default() -> Self {
        Self {
            fix_sigma_m: 150.0,
            radar_range_sigma_m: 30.0,
            radar_angle_sigma_deg: 0.05,
            every_s: 1,
        }
    }
}

/// A launch report at t0 plus, from 1 s on, a position fix and (when the target is
/// more than 1 degree above the radar's horizon) a radar report every `every_s`
/// seconds, until the object comes back below 1 km.
pub(crate) fn reports(truth: &Truth, object: &str, sensors: &Sensors, seed: u64) -> Vec<Report> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut n = || -> f64 { rng.sample(StandardNormal) };
    let mut out = vec![Report {
        t: t0(),
        object: object.to_owned(),
        sensor: "EW".to_owned(),
        measurement: Measurement::Launch(LaunchDetection {
            lat_deg: SITE_LAT_DEG,
            lon_deg: SITE_LON_DEG,
            sigma_m: 2_000.0,
        }),
    }];
    let radar_site = Geodetic::from(RADAR);
    for s in truth.samples.iter().skip(1).step_by(sensors.every_s) {
        // Sensors see the object from lift-off until it is back below 1 km.
        if s.state.geodetic().alt_m < 1_000.0 && s.state.v_mps.dot(&s.state.r_m) < 0.0 {
            break;
        }
        let noisy = s.state.r_m + Vector3::new(n(), n(), n()) * sensors.fix_sigma_m;
        let g = Geodetic::from_ecef(&noisy);
        out.push(Report {
            t: at(s.t_s),
            object: object.to_owned(),
            sensor: "FUSE".to_owned(),
            measurement: Measurement::Position(PositionFix {
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                alt_m: g.alt_m,
                sigma_m: sensors.fix_sigma_m,
                vel_ecef_mps: None,
            }),
        });
        let enu = radar_site.ecef_to_enu() * (s.state.r_m - radar_site.to_ecef());
        let (range, az, el) = range_az_el_from_enu(&enu);
        if el > 1.0 {
            out.push(Report {
                t: at(s.t_s),
                object: object.to_owned(),
                sensor: "RADAR".to_owned(),
                measurement: Measurement::Radar(RadarMeasurement {
                    site: RADAR,
                    range_m: range + n() * sensors.radar_range_sigma_m,
                    az_deg: (az + n() * sensors.radar_angle_sigma_deg).rem_euclid(360.0),
                    el_deg: el + n() * sensors.radar_angle_sigma_deg,
                    sigma: RadarSigma {
                        range_m: sensors.radar_range_sigma_m,
                        angle_deg: sensors.radar_angle_sigma_deg,
                    },
                }),
            });
        }
    }
    out
}

/// A position fix of `object` at `t_s` exactly at `r_ecef_m`.
pub(crate) fn fix(object: &str, t_s: f64, r_ecef_m: &Vector3<f64>, sigma_m: f64) -> Report {
    let g = Geodetic::from_ecef(r_ecef_m);
    Report {
        t: at(t_s),
        object: object.to_owned(),
        sensor: "FUSE".to_owned(),
        measurement: Measurement::Position(PositionFix {
            lat_deg: g.lat_deg,
            lon_deg: g.lon_deg,
            alt_m: g.alt_m,
            sigma_m,
            vel_ecef_mps: None,
        }),
    }
}

/// Wilson-Hilferty approximation of the chi-square quantile with `k` dof at the
/// standard normal quantile `z` (relative error < 1e-3 for k > 30).
pub(crate) fn chi2_quantile(k: f64, z: f64) -> f64 {
    let c = 2.0 / (9.0 * k);
    k * (1.0 - c + z * c.sqrt()).powi(3)
}
