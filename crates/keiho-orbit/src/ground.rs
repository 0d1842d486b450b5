//! The ground track: where an object is over the Earth, sampled in time, for drawing
//! its passes on a map. Same propagation and frames as the pass search
//! ([`Propagator`], TEME -> ECEF by IAU 1982 GMST, WGS84 geodetic), so a track drawn
//! for a pass lies over the region the pass was found for.

use crate::{ElementSet, OrbitError, Propagator};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// At most this many points in one track: bounds the work of one request (a day at
/// 30 s is 2,880 points).
pub const MAX_TRACK_POINTS: usize = 20_000;

/// One sample of the ground track.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroundPoint {
    /// UTC.
    pub t: DateTime<Utc>,
    /// Geodetic latitude of the sub-satellite point, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees east, in [-180, 180].
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, km.
    pub alt_km: f64,
}

/// The sub-satellite points of `set` from `from` to `to` (both included) every
/// `step_s` seconds.
///
/// Errors: an empty or reversed window, a step that is not positive and finite, more
/// than [`MAX_TRACK_POINTS`] points, or SGP4 failing (a decayed object).
pub fn ground_track(
    set: &ElementSet,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step_s: f64,
) -> Result<Vec<GroundPoint>, OrbitError> {
    if !(step_s.is_finite() && step_s > 0.0) {
        return Err(OrbitError::Window(format!(
            "the track step must be a positive number of seconds, got {step_s}"
        )));
    }
    if to <= from {
        return Err(OrbitError::Window(format!(
            "the track window is empty: {from} is not before {to}"
        )));
    }
    let span_s = (to - from).num_milliseconds() as f64 / 1000.0;
    let samples = (span_s / step_s).floor() as usize + 1;
    if samples > MAX_TRACK_POINTS {
        return Err(OrbitError::Window(format!(
            "{samples} track points asked for ({span_s} s every {step_s} s); at most {MAX_TRACK_POINTS}"
        )));
    }
    let prop = Propagator::new(set)?;
    let track = prop.track(from);
    let mut out = Vec::with_capacity(samples + 1);
    for i in 0..samples {
        let dt = i as f64 * step_s;
        out.push(point(&track, dt)?);
    }
    // The window's end is always drawn, even when the step does not divide it.
    if out.last().is_some_and(|p| p.t < to) {
        out.push(point(&track, span_s)?);
    }
    Ok(out)
}

fn point(track: &crate::Track<'_>, dt_s: f64) -> Result<GroundPoint, OrbitError> {
    let s = track.earth_fixed(dt_s)?;
    Ok(GroundPoint {
        t: track.time(dt_s),
        lat_deg: s.geodetic.lat_deg,
        lon_deg: s.geodetic.lon_deg,
        alt_km: s.geodetic.alt_m / 1000.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_elements;
    use chrono::Duration;

    // Malligyong-1 (NORAD 58400), epoch 2024-06-06: the first of the two element sets
    // quoted in the shared test data (its README, section TLE, gives the provenance).
    const TLE: &str = "MALLIGYONG-1
1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999
2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052
";

    fn set() -> ElementSet {
        parse_elements(TLE).expect("fixture parses").remove(0)
    }

    #[test]
    fn a_day_of_track_reaches_the_latitude_the_inclination_allows_and_no_further() {
        let s = set();
        let from = s.epoch;
        let track = ground_track(&s, from, from + Duration::days(1), 30.0).expect("track");
        assert_eq!(track.len(), 2_881);
        let max_lat = track.iter().map(|p| p.lat_deg.abs()).fold(0.0, f64::max);
        // A 97.4 deg orbit reaches geocentric latitude 180 - 97.4 = 82.6 deg; geodetic
        // latitude there is ~0.05 deg more (WGS84 flattening), and 30 s sampling (about
        // 1.9 deg of arc) can miss the summit by up to ~0.1 deg.
        assert!(
            (82.4..=82.8).contains(&max_lat),
            "highest latitude {max_lat:.3} deg"
        );
        for p in &track {
            assert!((-180.0..=180.0).contains(&p.lon_deg));
            // Perigee/apogee ~500 km over an ellipsoid whose radius varies by 21 km.
            assert!(
                (480.0..=540.0).contains(&p.alt_km),
                "height {} km",
                p.alt_km
            );
        }
    }

    #[test]
    fn consecutive_points_are_as_far_apart_as_the_orbital_speed_says() {
        let s = set();
        let track =
            ground_track(&s, s.epoch, s.epoch + Duration::minutes(20), 10.0).expect("track");
        // Ground speed of a circular orbit at ~505 km: v = sqrt(mu / a) scaled to the
        // surface by R / a, i.e. about 7.6 km/s * 6371 / 6876 = 7.05 km/s, give or take
        // the Earth's rotation (up to 0.46 km/s at the equator, mostly across a
        // near-polar track) and the sampling.
        let geod = geographiclib_rs::Geodesic::wgs84();
        for w in track.windows(2) {
            let d_m: f64 = geographiclib_rs::InverseGeodesic::inverse(
                &geod,
                w[0].lat_deg,
                w[0].lon_deg,
                w[1].lat_deg,
                w[1].lon_deg,
            );
            let v = d_m / 10.0 / 1000.0;
            assert!((6.8..=7.3).contains(&v), "ground speed {v:.3} km/s");
        }
    }

    #[test]
    fn bad_windows_and_steps_are_refused_with_the_reason() {
        let s = set();
        let t = s.epoch;
        let msg = |r: Result<Vec<GroundPoint>, OrbitError>| {
            r.err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(msg(ground_track(&s, t, t, 30.0)).contains("empty"));
        assert!(msg(ground_track(&s, t, t + Duration::hours(1), 0.0)).contains("positive"));
        assert!(msg(ground_track(&s, t, t + Duration::hours(1), f64::NAN)).contains("positive"));
        assert!(msg(ground_track(&s, t, t + Duration::days(30), 1.0)).contains("at most"));
        let end = ground_track(&s, t, t + Duration::seconds(95), 30.0).expect("track");
        assert_eq!(end.len(), 5, "0, 30, 60, 90 s and the window's end");
        assert_eq!(end[4].t, t + Duration::seconds(95));
    }
}
