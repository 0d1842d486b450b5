//! Flight phase of a tracked object (boost, coast, re-entry), decided from the
//! filter's estimate with hysteresis so that noise near a threshold does not flap.

use crate::filter::Ekf;
use keiho_geo::frames::Geodetic;
use serde::Serialize;

/// Flight phase of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Powered flight: a significant acceleration beyond gravity, along the motion.
    Boost,
    /// Ballistic flight above the sensible atmosphere.
    Coast,
    /// Descending through the atmosphere, where drag acts.
    Reentry,
}

/// Chi-square 3 dof quantiles for the thrust significance a^T P_aa^-1 a: enter boost
/// above the 99% point, leave below the 95% point (hysteresis in the statistic).
const CHI2_3_99: f64 = 11.345;
const CHI2_3_95: f64 = 7.815;

/// Thresholds of the phase decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseConfig {
    /// Least estimated acceleration that counts as thrust, m/s^2 (left below half of
    /// it). Real boosters give 10-60 m/s^2 (the filter's
    /// boost-phase noise alone gives estimates of 1-2 m/s^2); a floor stops tiny but statistically
    /// significant residuals (unmodelled drag, J2 errors) from looking like thrust.
    pub boost_min_accel_mps2: f64,
    /// Below this height a descending object is re-entering, metres (left above
    /// `reentry_alt_m` + 10 km).
    pub reentry_alt_m: f64,
    /// Consecutive updates that must agree on a new phase before it is taken.
    pub hold_updates: u32,
}

impl Default for PhaseConfig {
    fn default() -> Self {
        Self {
            boost_min_accel_mps2: 5.0,
            reentry_alt_m: 100_000.0,
            hold_updates: 3,
        }
    }
}

/// The phase decision with its hysteresis state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct PhaseTracker {
    /// Current phase.
    pub(crate) phase: Phase,
    candidate: Option<(Phase, u32)>,
}

impl PhaseTracker {
    /// Starts in `phase`.
    pub(crate) fn new(phase: Phase) -> Self {
        Self {
            phase,
            candidate: None,
        }
    }

    /// Phase the estimate suggests on its own, with thresholds depending on the
    /// current phase (harder to enter than to stay).
    pub(crate) fn classify(&self, f: &Ekf, config: &PhaseConfig) -> Phase {
        let r = f.r_ecef_m();
        let v = f.v_ecef_mps();
        let a = f.a_thrust_ecef_mps2();
        let g = Geodetic::from_ecef(&r);
        let up = g.ecef_to_enu().row(2).transpose();
        let v_up = v.dot(&up);
        let sigma_v_up = (up.transpose() * f.p.fixed_view::<3, 3>(3, 3) * up)[(0, 0)]
            .max(0.0)
            .sqrt();
        let sigma_a = (f.p.fixed_view::<3, 3>(6, 6).trace() / 3.0).max(0.0).sqrt();
        let speed = v.norm();
        let along = if speed > 0.0 {
            a.dot(&v) / speed
        } else {
            a.dot(&up)
        };
        let sig = f.thrust_significance();
        let min_a = config.boost_min_accel_mps2;
        // Drag points against the motion, thrust (nearly) along it.
        let thrusting = if self.phase == Phase::Boost {
            // Stay in boost unless the estimate is precise enough to say the thrust
            // has stopped: just after a launch detection the acceleration is still
            // unknown, and "not significant" then means nothing.
            !(sigma_a < min_a && (sig < CHI2_3_95 || a.norm() < 0.5 * min_a || along <= 0.0))
        } else {
            a.norm() > min_a && sig > CHI2_3_99 && along > 0.0
        };
        let reentry_ceiling = if self.phase == Phase::Reentry {
            config.reentry_alt_m + 10_000.0
        } else {
            config.reentry_alt_m
        };
        // Descending for certain, not just within the noise of a vertical climb.
        let descending = v_up < -100.0 && v_up + 3.0 * sigma_v_up < 0.0;
        if thrusting {
            Phase::Boost
        } else if descending && g.alt_m < reentry_ceiling {
            Phase::Reentry
        } else {
            Phase::Coast
        }
    }

    /// Feeds one update; returns `Some((from, to))` when the phase changes.
    pub(crate) fn step(&mut self, f: &Ekf, config: &PhaseConfig) -> Option<(Phase, Phase)> {
        let want = self.classify(f, config);
        if want == self.phase {
            self.candidate = None;
            return None;
        }
        let count = match self.candidate {
            Some((p, n)) if p == want => n + 1,
            _ => 1,
        };
        if count >= config.hold_updates {
            let from = self.phase;
            self.phase = want;
            self.candidate = None;
            Some((from, want))
        } else {
            self.candidate = Some((want, count));
            None
        }
    }
}
