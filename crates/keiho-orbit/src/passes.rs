//! Passes over a place: rise, culmination and set above a minimum elevation.
//!
//! The elevation is sampled every [`POINT_STEP_S`] (at most a sixtieth of the period);
//! each local maximum of the samples is refined by golden-section search and kept if it
//! reaches the minimum elevation; rise and set are then bracketed by the samples and
//! refined by bisection. Times are refined to [`TIME_TOL_S`], far below a second; the
//! model error (SGP4, frames) is what limits accuracy (see `tests/skyfield.rs`).
//!
//! A pass is missed only if the elevation has two maxima within two sample steps, which
//! an orbit of a period above ten minutes cannot produce.

use crate::OrbitError;
use crate::elements::{ElementSet, ElementsWarning};
use crate::frames::{LookAngles, Observer};
use crate::propagate::{PropagationError, Propagator, Track};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Longest elevation sampling step, s.
pub const POINT_STEP_S: f64 = 60.0;
/// Time tolerance of the refined events, s.
pub const TIME_TOL_S: f64 = 1e-3;

/// One moment of a pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassEvent {
    /// When (UTC).
    pub time: DateTime<Utc>,
    /// Azimuth, degrees clockwise from true north.
    pub azimuth_deg: f64,
    /// Elevation above the geodetic horizon, degrees (no refraction).
    pub elevation_deg: f64,
    /// Slant range, km.
    pub range_km: f64,
}

/// A pass over a place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointPass {
    /// The object.
    pub norad_id: u64,
    /// Its name, if known.
    pub name: Option<String>,
    /// Crossing of the minimum elevation upwards; `None` if already up at the start of
    /// the window.
    pub rise: Option<PassEvent>,
    /// Highest elevation.
    pub culmination: PassEvent,
    /// Crossing of the minimum elevation downwards; `None` if still up at the end.
    pub set: Option<PassEvent>,
}

/// Passes over a place with the warnings about the elements used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointPassReport {
    /// Passes in time order.
    pub passes: Vec<PointPass>,
    /// Doubts about the elements (stale epochs) and propagation that stopped early.
    pub warnings: Vec<String>,
}

/// Check a search window.
pub(crate) fn check_window(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<f64, OrbitError> {
    let span_s = (to - from).num_milliseconds() as f64 / 1000.0;
    if span_s <= 0.0 {
        return Err(OrbitError::Window(format!(
            "the window must end after it starts ({from} .. {to})"
        )));
    }
    if span_s > 366.0 * 86_400.0 * 2.0 {
        return Err(OrbitError::Window(format!(
            "a window of {:.0} days is longer than the 732 days allowed",
            span_s / 86_400.0
        )));
    }
    Ok(span_s)
}

/// Stale-epoch warnings for a window: the epoch is compared with both ends.
pub(crate) fn window_warnings(
    set: &ElementSet,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<ElementsWarning> {
    let a = set.staleness(from);
    let b = set.staleness(to);
    match (a, b) {
        (Some(a), Some(b)) => vec![if a.age_days.abs() >= b.age_days.abs() {
            a
        } else {
            b
        }],
        (a, b) => a.or(b).into_iter().collect(),
    }
}

/// Passes of one object over `observer` between `from` and `to` that reach
/// `min_elevation_deg`. Passes are kept when their culmination is inside the window.
pub fn point_passes(
    set: &ElementSet,
    observer: &Observer,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    min_elevation_deg: f64,
) -> Result<PointPassReport, OrbitError> {
    let span_s = check_window(from, to)?;
    if !(-90.0..=90.0).contains(&min_elevation_deg) {
        return Err(OrbitError::Window(format!(
            "minimum elevation {min_elevation_deg} deg is outside -90..90"
        )));
    }
    let prop = Propagator::new(set)?;
    let track = prop.track(from);
    let mut warnings: Vec<String> = window_warnings(set, from, to)
        .into_iter()
        .map(|w| w.message)
        .collect();
    let step = POINT_STEP_S.min(set.period_s() / 60.0);
    let n = (span_s / step).ceil().max(1.0) as usize;
    let mut times = Vec::with_capacity(n + 1);
    let mut els = Vec::with_capacity(n + 1);
    for k in 0..=n {
        let t = (k as f64 * step).min(span_s);
        match elevation(&track, observer, t) {
            Ok(el) => {
                times.push(t);
                els.push(el);
            }
            Err(e) => {
                warnings.push(format!("search stopped at {}: {e}", track.time(t)));
                break;
            }
        }
    }
    let el_at = |t: f64| elevation(&track, observer, t).unwrap_or(f64::NEG_INFINITY);
    let mut passes = Vec::new();
    for k in 1..times.len().saturating_sub(1) {
        if !(els[k - 1] < els[k] && els[k] >= els[k + 1]) {
            continue;
        }
        let tc = golden_max(&el_at, times[k - 1], times[k + 1]);
        let el_max = el_at(tc);
        if el_max < min_elevation_deg {
            continue;
        }
        let below = |t: f64| el_at(t) < min_elevation_deg;
        // Rise: the last sample before the culmination that is below the threshold.
        let rise = (0..=k)
            .rev()
            .find(|&j| times[j] < tc && els[j] < min_elevation_deg)
            .map(|j| {
                let hi = times.get(j + 1).copied().unwrap_or(tc).min(tc);
                bisect(&below, times[j], hi, true)
            });
        let set_t = (k..times.len())
            .find(|&j| times[j] > tc && els[j] < min_elevation_deg)
            .map(|j| {
                let lo = times[j - 1].max(tc);
                bisect(&below, lo, times[j], false)
            });
        let event = |t: f64| -> Result<PassEvent, PropagationError> {
            let look = look(&track, observer, t)?;
            Ok(PassEvent {
                time: track.time(t),
                azimuth_deg: look.azimuth_deg,
                elevation_deg: look.elevation_deg,
                range_km: look.range_km,
            })
        };
        passes.push(PointPass {
            norad_id: set.norad_id,
            name: set.name.clone(),
            rise: rise.map(event).transpose()?,
            culmination: event(tc)?,
            set: set_t.map(event).transpose()?,
        });
    }
    Ok(PointPassReport { passes, warnings })
}

fn look(track: &Track<'_>, observer: &Observer, t: f64) -> Result<LookAngles, PropagationError> {
    Ok(observer.look_at(&track.ecef_m(t)?))
}

fn elevation(track: &Track<'_>, observer: &Observer, t: f64) -> Result<f64, PropagationError> {
    look(track, observer, t).map(|l| l.elevation_deg)
}

/// Maximum of a unimodal function on [a, b] by golden-section search.
pub(crate) fn golden_max(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let inv_phi = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - inv_phi * (b - a);
    let mut d = a + inv_phi * (b - a);
    let (mut fc, mut fd) = (f(c), f(d));
    while b - a > TIME_TOL_S {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - inv_phi * (b - a);
            fc = f(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + inv_phi * (b - a);
            fd = f(d);
        }
    }
    (a + b) / 2.0
}

/// The time in [lo, hi] where `pred` changes: `pred(lo) == starts_true`, and
/// `pred(hi) != starts_true`. Returns the first time of the new state (within tolerance).
pub(crate) fn bisect(
    pred: &dyn Fn(f64) -> bool,
    mut lo: f64,
    mut hi: f64,
    starts_true: bool,
) -> f64 {
    while hi - lo > TIME_TOL_S {
        let mid = 0.5 * (lo + hi);
        if pred(mid) == starts_true {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_finds_a_parabola_top() {
        let t = golden_max(&|t: f64| -(t - 3.21).powi(2), 0.0, 10.0);
        // Tolerance: the search tolerance.
        assert!((t - 3.21).abs() < TIME_TOL_S, "{t}");
    }

    #[test]
    fn bisect_finds_a_step() {
        let t = bisect(&|t: f64| t < 4.5, 0.0, 10.0, true);
        assert!((t - 4.5).abs() < TIME_TOL_S, "{t}");
    }
}
