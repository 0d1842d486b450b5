//! Generic sensor models that turn the truth into noisy reports: an early-warning launch
//! detection, ground radars with horizon and range limits, and a fused position stream.
//!
//! The sites and figures are generic, chosen to give the pipeline realistic inputs; they
//! describe no real installation or its performance.

use crate::track::Track;
use chrono::{DateTime, TimeDelta, Utc};
use keiho_geo::frames::{Geodetic, range_az_el_from_enu};
use keiho_ingest::{
    LaunchDetection, MIN_ALT_M, Measurement, PositionFix, RadarMeasurement, RadarSigma, Report,
    SiteGeodetic,
};
use nalgebra::Vector3;
use rand::RngExt;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

/// An early-warning (infrared satellite) launch detection.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlyWarning {
    /// Sensor id.
    pub id: String,
    /// Delay from lift-off to the report, seconds (uniform in this range).
    pub delay_s: (f64, f64),
    /// 1-sigma horizontal error per axis (north, east), metres; reported as `sigma_m`.
    pub sigma_m: f64,
}

/// A ground radar site.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarSite {
    /// Sensor id.
    pub id: String,
    /// Where it stands.
    pub site: SiteGeodetic,
    /// Lowest elevation it reports, degrees. A mask at or above 0 also models Earth
    /// blockage: anything below the local horizon is behind the Earth's limb.
    pub el_mask_deg: f64,
    /// Largest slant range it reports, metres.
    pub max_range_m: f64,
    /// Time between looks at each object, seconds.
    pub interval_s: f64,
    /// 1-sigma measurement noise (also what it reports as `sigma`).
    pub sigma: RadarSigma,
    /// Probability that a look produces no report.
    pub dropout: f64,
}

/// A fusion centre's stream of 3-D positions per object.
#[derive(Debug, Clone, PartialEq)]
pub struct Fusion {
    /// Sensor id.
    pub id: String,
    /// Delay from launch to the first fix of the main object, seconds (uniform).
    pub first_fix_s: (f64, f64),
    /// Delay from an object's appearance (separation, break-up) to its first fix,
    /// seconds (uniform).
    pub pickup_s: (f64, f64),
    /// Objects below this height are not reported, metres.
    pub min_alt_m: f64,
    /// Interval between fixes of one object, seconds (each object gets one of these).
    pub intervals_s: Vec<f64>,
    /// Per-axis 1-sigma position error, metres (each object gets a value in this
    /// range; reported as `sigma_m`).
    pub sigma_m: (f64, f64),
    /// Probability that a fix carries a velocity.
    pub velocity_share: f64,
    /// Per-axis 1-sigma velocity error, m/s.
    pub velocity_sigma_mps: f64,
    /// Probability that a fix is missing.
    pub dropout: f64,
}

/// Every sensor of a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensors {
    /// Launch detection.
    pub early_warning: EarlyWarning,
    /// Radar sites.
    pub radars: Vec<RadarSite>,
    /// Fused positions.
    pub fusion: Fusion,
}

fn radar(id: &str, lat_deg: f64, lon_deg: f64, interval_s: f64) -> RadarSite {
    RadarSite {
        id: id.to_owned(),
        site: SiteGeodetic {
            lat_deg,
            lon_deg,
            alt_m: 50.0,
        },
        el_mask_deg: 2.0,
        max_range_m: 2_500_000.0,
        interval_s,
        sigma: RadarSigma {
            range_m: 100.0,
            angle_deg: 0.1,
        },
        dropout: 0.03,
    }
}

impl Sensors {
    /// Generic sites in southern and western Japan: near Okinawa (26.3 N 127.8 E),
    /// Kyushu (32.0 N 130.2 E), the Sea of Japan coast (35.5 N 133.0 E) and Aomori
    /// (40.9 N 140.3 E). Round-number positions, not real installations.
    pub fn default_sites() -> Self {
        Self {
            early_warning: EarlyWarning {
                id: "EW-SAT".to_owned(),
                delay_s: (15.0, 20.0),
                sigma_m: 2_000.0,
            },
            radars: vec![
                radar("RADAR-OKINAWA", 26.3, 127.8, 1.0),
                radar("RADAR-KYUSHU", 32.0, 130.2, 1.5),
                radar("RADAR-SEA-OF-JAPAN", 35.5, 133.0, 2.0),
                radar("RADAR-AOMORI", 40.9, 140.3, 1.5),
            ],
            fusion: Fusion {
                id: "FUSION".to_owned(),
                first_fix_s: (30.0, 60.0),
                pickup_s: (5.0, 15.0),
                min_alt_m: 10_000.0,
                intervals_s: vec![1.0, 2.0],
                sigma_m: (300.0, 1_000.0),
                velocity_share: 0.5,
                velocity_sigma_mps: 30.0,
                dropout: 0.03,
            },
        }
    }
}

/// A report with its time in milliseconds after launch, for sorting.
pub(crate) struct Timed {
    pub(crate) ms: i64,
    pub(crate) report: Report,
}

fn normal(rng: &mut StdRng) -> f64 {
    StandardNormal.sample(rng)
}

fn uniform(rng: &mut StdRng, (lo, hi): (f64, f64)) -> f64 {
    if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    }
}

/// Milliseconds after launch, rounded: every report time is a whole millisecond so the
/// time stamp and the state it describes agree exactly.
fn to_ms(t_s: f64) -> i64 {
    // Flights last hours at most: far inside i64.
    (t_s * 1000.0).round() as i64
}

fn at(launch: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    launch + TimeDelta::milliseconds(ms)
}

/// Moves a geodetic point by `north_m` and `east_m` (small offsets, local sphere).
fn offset(lat_deg: f64, lon_deg: f64, north_m: f64, east_m: f64) -> (f64, f64) {
    const M_PER_DEG: f64 = 111_320.0;
    let lat = (lat_deg + north_m / M_PER_DEG).clamp(-90.0, 90.0);
    let lon = lon_deg + east_m / (M_PER_DEG * lat_deg.to_radians().cos().max(1e-6));
    (lat, (lon + 180.0).rem_euclid(360.0) - 180.0)
}

impl Sensors {
    /// Every report the sensors make of `tracks` (the first is the main object).
    pub(crate) fn observe(
        &self,
        tracks: &[Track],
        launch: DateTime<Utc>,
        pad: Geodetic,
        rng: &mut StdRng,
    ) -> Vec<Timed> {
        let mut out = Vec::new();
        if let Some(main) = tracks.first() {
            self.early_warning(main, launch, pad, rng, &mut out);
        }
        for site in &self.radars {
            site.observe(tracks, launch, rng, &mut out);
        }
        self.fusion.observe(tracks, launch, rng, &mut out);
        out
    }

    fn early_warning(
        &self,
        main: &Track,
        launch: DateTime<Utc>,
        pad: Geodetic,
        rng: &mut StdRng,
        out: &mut Vec<Timed>,
    ) {
        let ew = &self.early_warning;
        let ms = to_ms(uniform(rng, ew.delay_s));
        let (lat_deg, lon_deg) = offset(
            pad.lat_deg,
            pad.lon_deg,
            ew.sigma_m * normal(rng),
            ew.sigma_m * normal(rng),
        );
        out.push(Timed {
            ms,
            report: Report {
                t: at(launch, ms),
                object: main.object.clone(),
                sensor: ew.id.clone(),
                measurement: Measurement::Launch(LaunchDetection {
                    lat_deg,
                    lon_deg,
                    sigma_m: ew.sigma_m,
                }),
            },
        });
    }
}

impl RadarSite {
    fn observe(
        &self,
        tracks: &[Track],
        launch: DateTime<Utc>,
        rng: &mut StdRng,
        out: &mut Vec<Timed>,
    ) {
        // Also refuses NaN: a site with no usable interval reports nothing.
        if self.interval_s.is_nan() || self.interval_s <= 0.0 {
            return;
        }
        let site = Geodetic::from(self.site);
        let (site_ecef, to_enu) = (site.to_ecef(), site.ecef_to_enu());
        let end_s = tracks.iter().map(Track::end_s).fold(0.0, f64::max);
        // Each site looks on its own clock.
        let mut t_s = uniform(rng, (0.0, self.interval_s));
        while t_s <= end_s {
            let ms = to_ms(t_s);
            let exact_s = ms as f64 / 1000.0;
            for track in tracks {
                let Some(state) = track.state_at(exact_s) else {
                    continue;
                };
                if state.geodetic().alt_m <= 0.0 {
                    continue;
                }
                let enu = to_enu * (state.r_m - site_ecef);
                let (range_m, az_deg, el_deg) = range_az_el_from_enu(&enu);
                if el_deg < self.el_mask_deg || range_m > self.max_range_m {
                    continue;
                }
                if rng.random_bool(self.dropout.clamp(0.0, 1.0)) {
                    continue;
                }
                let mut az = (az_deg + self.sigma.angle_deg * normal(rng)).rem_euclid(360.0);
                if az >= 360.0 {
                    az = 0.0;
                }
                let m = RadarMeasurement {
                    site: self.site,
                    range_m: (range_m + self.sigma.range_m * normal(rng)).max(0.0),
                    az_deg: az,
                    el_deg: (el_deg + self.sigma.angle_deg * normal(rng)).clamp(-90.0, 90.0),
                    sigma: self.sigma,
                };
                // Noise can put a low target underground; ingest would refuse it.
                if m.target_geodetic().alt_m < MIN_ALT_M {
                    continue;
                }
                out.push(Timed {
                    ms,
                    report: Report {
                        t: at(launch, ms),
                        object: track.object.clone(),
                        sensor: self.id.clone(),
                        measurement: Measurement::Radar(m),
                    },
                });
            }
            t_s += self.interval_s;
        }
    }
}

impl Fusion {
    fn observe(
        &self,
        tracks: &[Track],
        launch: DateTime<Utc>,
        rng: &mut StdRng,
        out: &mut Vec<Timed>,
    ) {
        for (i, track) in tracks.iter().enumerate() {
            let delay = if i == 0 {
                self.first_fix_s
            } else {
                self.pickup_s
            };
            let mut t_s = track.start_s() + uniform(rng, delay);
            let interval_s = match self.intervals_s.len() {
                0 => 1.0,
                n => self.intervals_s[rng.random_range(0..n)],
            };
            let sigma_m = uniform(rng, self.sigma_m);
            while t_s <= track.end_s() {
                let ms = to_ms(t_s);
                t_s += interval_s;
                let Some(state) = track.state_at(ms as f64 / 1000.0) else {
                    continue;
                };
                let g = state.geodetic();
                if g.alt_m < self.min_alt_m || rng.random_bool(self.dropout.clamp(0.0, 1.0)) {
                    continue;
                }
                let noise = Vector3::new(normal(rng), normal(rng), normal(rng)) * sigma_m;
                let fix = Geodetic::from_ecef(&(state.r_m + noise));
                let vel_ecef_mps =
                    rng.random_bool(self.velocity_share.clamp(0.0, 1.0))
                        .then(|| {
                            let dv = Vector3::new(normal(rng), normal(rng), normal(rng))
                                * self.velocity_sigma_mps;
                            let v = state.v_mps + dv;
                            [v.x, v.y, v.z]
                        });
                out.push(Timed {
                    ms,
                    report: Report {
                        t: at(launch, ms),
                        object: track.object.clone(),
                        sensor: self.id.clone(),
                        measurement: Measurement::Position(PositionFix {
                            lat_deg: fix.lat_deg,
                            lon_deg: fix.lon_deg,
                            alt_m: fix.alt_m,
                            sigma_m,
                            vel_ecef_mps,
                        }),
                    },
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_wrap_longitude() {
        let (lat, lon) = offset(10.0, 179.99, 0.0, 10_000.0);
        assert!((lat - 10.0).abs() < 1e-12);
        assert!(lon < -179.0);
    }
}
