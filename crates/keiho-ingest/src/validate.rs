//! Physical plausibility checks and the JSON-lines entry points.
//!
//! The current time is injected through [`Validator::new`]; nothing here reads a clock,
//! so a replay of yesterday's log gives exactly yesterday's decisions.

use crate::error::{Reason, Rejection};
use crate::json::{Json, MAX_ID_LEN, report_from_json};
use crate::report::{Measurement, RadarMeasurement, Report, SiteGeodetic};
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// Lowest accepted altitude, metres above the WGS84 ellipsoid: below the Dead Sea shore
/// (about -430 m) and any geoid low, with margin.
pub const MIN_ALT_M: f64 = -500.0;
/// Highest accepted altitude, metres: above the apogee of any ballistic missile and of
/// the low orbits satellite launches reach, so nothing relevant to a warning is cut.
pub const MAX_ALT_M: f64 = 5_000_000.0;
/// Largest accepted position 1-sigma, metres: a sigma larger than the Earth's radius
/// says nothing, and is most likely a unit error (km sent as m).
pub const MAX_SIGMA_M: f64 = 6_378_137.0;
/// Largest accepted angle 1-sigma, degrees.
pub const MAX_SIGMA_ANGLE_DEG: f64 = 90.0;
/// Highest accepted speed, m/s: well above Earth escape velocity (11.2 km/s) and so
/// above any ballistic missile or launch vehicle near the Earth.
pub const MAX_SPEED_MPS: f64 = 20_000.0;
/// Default tolerance for report times ahead of the injected `now`: covers ordinary
/// clock offsets between sensors and the ingest host.
pub const DEFAULT_FUTURE_TOLERANCE: Duration = Duration::from_secs(5);

/// Parses and validates reports against an injected clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Validator {
    now: DateTime<Utc>,
    future_tolerance: TimeDelta,
}

impl Validator {
    /// A validator for reports arriving at `now`, with the default 5 s future tolerance.
    pub fn new(now: DateTime<Utc>) -> Self {
        // The default is a whole number of seconds, so the conversion is exact.
        Self {
            now,
            future_tolerance: TimeDelta::seconds(DEFAULT_FUTURE_TOLERANCE.as_secs() as i64),
        }
    }

    /// The same validator with another tolerance for report times ahead of `now`.
    /// Tolerances beyond chrono's range (about 292 million years) are clamped.
    pub fn with_future_tolerance(mut self, tolerance: Duration) -> Self {
        self.future_tolerance = TimeDelta::from_std(tolerance).unwrap_or(TimeDelta::MAX);
        self
    }

    /// The same validator at another current time, e.g. for each batch of a live feed.
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = now;
        self
    }

    /// The injected current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Parses and validates one JSON line. `line` is the 1-based line number reported
    /// in a rejection.
    pub fn parse_line(&self, line: usize, text: &str) -> Result<Report, Rejection> {
        self.parse_line_inner(text)
            .map_err(|reason| Rejection { line, reason })
    }

    fn parse_line_inner(&self, text: &str) -> Result<Report, Reason> {
        let tree: Json = serde_json::from_str(text).map_err(|e| {
            // serde_json appends " at line L column C"; the line is always 1 here and
            // the column goes in its own field, so strip it from the message.
            let full = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
            Reason::Syntax {
                column: e.column(),
                message,
            }
        })?;
        let report = report_from_json(&tree)?;
        self.validate(&report)?;
        Ok(report)
    }

    /// Parses a batch of JSON lines: one result per non-blank line, in input order.
    /// A bad line never affects the others. `\r\n` line ends are accepted.
    pub fn parse_lines(&self, input: &str) -> Vec<Result<Report, Rejection>> {
        input
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| self.parse_line(i + 1, l))
            .collect()
    }

    /// As [`Self::parse_lines`] for raw bytes: a line that is not UTF-8 is rejected on
    /// its own instead of failing the batch.
    pub fn parse_bytes(&self, input: &[u8]) -> Vec<Result<Report, Rejection>> {
        input
            .split(|&b| b == b'\n')
            .enumerate()
            .filter_map(|(i, raw)| {
                let line = i + 1;
                let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                match std::str::from_utf8(raw) {
                    Ok(text) if text.trim().is_empty() => None,
                    Ok(text) => Some(self.parse_line(line, text)),
                    Err(e) => Some(Err(Rejection {
                        line,
                        reason: Reason::NotUtf8 {
                            valid_up_to: e.valid_up_to(),
                        },
                    })),
                }
            })
            .collect()
    }

    /// Checks that a structurally sound report is physically possible and not from the
    /// future. Use it on reports built in code; the parse functions call it already.
    pub fn validate(&self, r: &Report) -> Result<(), Reason> {
        check_id("object", &r.object)?;
        check_id("sensor", &r.sensor)?;
        let ahead = r.t - self.now;
        if ahead > self.future_tolerance {
            return Err(Reason::InFuture {
                t: r.t,
                now: self.now,
                ahead_s: seconds(ahead),
                tolerance_s: seconds(self.future_tolerance),
            });
        }
        match &r.measurement {
            Measurement::Launch(l) => {
                check_lat("lat_deg", l.lat_deg)?;
                check_lon("lon_deg", l.lon_deg)?;
                check_sigma("sigma_m", l.sigma_m, MAX_SIGMA_M, "m")
            }
            Measurement::Position(p) => {
                check_lat("lat_deg", p.lat_deg)?;
                check_lon("lon_deg", p.lon_deg)?;
                check_alt("alt_m", p.alt_m)?;
                check_sigma("sigma_m", p.sigma_m, MAX_SIGMA_M, "m")?;
                match p.vel_ecef_mps {
                    Some(v) => check_velocity("vel_ecef_mps", v),
                    None => Ok(()),
                }
            }
            Measurement::Radar(m) => check_radar(m),
        }
    }
}

fn seconds(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

fn check_id(field: &str, id: &str) -> Result<(), Reason> {
    if id.trim().is_empty() || id.len() > MAX_ID_LEN {
        return Err(Reason::BadId {
            field: field.to_owned(),
            max_len: MAX_ID_LEN,
        });
    }
    Ok(())
}

fn finite(field: &str, value: f64) -> Result<f64, Reason> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Reason::NotFinite {
            field: field.to_owned(),
            value,
        })
    }
}

fn check_lat(field: &str, value: f64) -> Result<(), Reason> {
    if !(-90.0..=90.0).contains(&finite(field, value)?) {
        return Err(Reason::Latitude {
            field: field.to_owned(),
            value,
        });
    }
    Ok(())
}

fn check_lon(field: &str, value: f64) -> Result<(), Reason> {
    if !(-180.0..=180.0).contains(&finite(field, value)?) {
        return Err(Reason::Longitude {
            field: field.to_owned(),
            value,
        });
    }
    Ok(())
}

fn check_alt(field: &str, value: f64) -> Result<(), Reason> {
    if !(MIN_ALT_M..=MAX_ALT_M).contains(&finite(field, value)?) {
        return Err(Reason::Altitude {
            field: field.to_owned(),
            value,
        });
    }
    Ok(())
}

fn check_sigma(field: &str, value: f64, max: f64, unit: &'static str) -> Result<(), Reason> {
    let v = finite(field, value)?;
    if !(v > 0.0 && v <= max) {
        return Err(Reason::Sigma {
            field: field.to_owned(),
            value,
            max,
            unit,
        });
    }
    Ok(())
}

fn check_velocity(field: &str, v: [f64; 3]) -> Result<(), Reason> {
    for x in v {
        finite(field, x)?;
    }
    let speed_mps = v[0].hypot(v[1]).hypot(v[2]);
    if speed_mps > MAX_SPEED_MPS {
        return Err(Reason::Speed {
            field: field.to_owned(),
            speed_mps,
            max_mps: MAX_SPEED_MPS,
        });
    }
    Ok(())
}

fn check_site(s: &SiteGeodetic) -> Result<(), Reason> {
    check_lat("site.lat_deg", s.lat_deg)?;
    check_lon("site.lon_deg", s.lon_deg)?;
    check_alt("site.alt_m", s.alt_m)
}

fn check_radar(m: &RadarMeasurement) -> Result<(), Reason> {
    check_site(&m.site)?;
    let range_m = finite("range_m", m.range_m)?;
    if range_m < 0.0 {
        return Err(Reason::NegativeRange {
            field: "range_m".to_owned(),
            value: range_m,
        });
    }
    let az = finite("az_deg", m.az_deg)?;
    if !(0.0..360.0).contains(&az) {
        return Err(Reason::Azimuth {
            field: "az_deg".to_owned(),
            value: az,
        });
    }
    let el = finite("el_deg", m.el_deg)?;
    if !(-90.0..=90.0).contains(&el) {
        return Err(Reason::Elevation {
            field: "el_deg".to_owned(),
            value: el,
        });
    }
    check_sigma("sigma.range_m", m.sigma.range_m, MAX_SIGMA_M, "m")?;
    check_sigma(
        "sigma.angle_deg",
        m.sigma.angle_deg,
        MAX_SIGMA_ANGLE_DEG,
        "deg",
    )?;
    // A radar cannot see through the Earth or into deep space; placing the target
    // catches unit errors (km as m) that each field alone would pass.
    let alt_m = m.target_geodetic().alt_m;
    if !(MIN_ALT_M..=MAX_ALT_M).contains(&alt_m) {
        return Err(Reason::TargetAltitude { alt_m });
    }
    Ok(())
}
