//! The sensor report as the rest of the pipeline sees it, in its JSON-lines shape.
//!
//! Serialising a [`Report`] writes exactly the line format ingest accepts, so stored
//! reports can be replayed through the same parser. Deserialising applies the same
//! structural rules as [`crate::Validator::parse_line`] (types, unknown and duplicate
//! fields) but not the physical checks, which need an injected clock.

use chrono::{DateTime, Utc};
use keiho_geo::frames::{Geodetic, enu_from_range_az_el};
use nalgebra::Vector3;
use serde::{Deserialize, Serialize};
use std::fmt;

/// One sensor report: when, which track, which sensor, and what was measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Measurement time, UTC.
    pub t: DateTime<Utc>,
    /// Track id of the object observed.
    pub object: String,
    /// Id of the sensor (or fusion centre) that reported.
    pub sensor: String,
    /// The measurement; serialised inline with its `kind` tag.
    #[serde(flatten)]
    pub measurement: Measurement,
}

/// What a report measured, tagged by `kind` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measurement {
    /// An early-warning detection of a launch.
    Launch(LaunchDetection),
    /// A fused 3-D position.
    Position(PositionFix),
    /// A range/azimuth/elevation measurement from a radar site.
    Radar(RadarMeasurement),
}

/// An early-warning (e.g. infrared satellite) detection of a launch: where on the ground.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LaunchDetection {
    /// Geodetic latitude of the launch point, degrees.
    pub lat_deg: f64,
    /// Longitude of the launch point, degrees.
    pub lon_deg: f64,
    /// 1-sigma horizontal uncertainty, metres.
    pub sigma_m: f64,
}

/// A fused position, e.g. from a sensor network's own tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PositionFix {
    /// Geodetic latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
    /// 1-sigma position uncertainty per axis, metres.
    pub sigma_m: f64,
    /// Velocity in ECEF (WGS84), m/s, when the source provides it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vel_ecef_mps: Option<[f64; 3]>,
}

/// A radar measurement of a target from a known site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RadarMeasurement {
    /// Where the radar is.
    pub site: SiteGeodetic,
    /// Slant range to the target (one-way), metres.
    pub range_m: f64,
    /// Azimuth from true north, clockwise, degrees in [0, 360).
    pub az_deg: f64,
    /// Elevation above the local (ellipsoid-normal) horizon, degrees.
    pub el_deg: f64,
    /// 1-sigma measurement noise.
    pub sigma: RadarSigma,
}

/// A sensor site on the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteGeodetic {
    /// Geodetic latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
}

/// 1-sigma radar measurement noise.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarSigma {
    /// Range noise, metres.
    pub range_m: f64,
    /// Angle noise (azimuth and elevation alike), degrees.
    pub angle_deg: f64,
}

/// Which kind of report; the JSON `kind` tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// [`Measurement::Launch`].
    Launch,
    /// [`Measurement::Position`].
    Position,
    /// [`Measurement::Radar`].
    Radar,
}

impl ReportKind {
    /// The JSON tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Launch => "launch",
            Self::Position => "position",
            Self::Radar => "radar",
        }
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<SiteGeodetic> for Geodetic {
    fn from(s: SiteGeodetic) -> Self {
        Geodetic {
            lat_deg: s.lat_deg,
            lon_deg: s.lon_deg,
            alt_m: s.alt_m,
        }
    }
}

impl RadarMeasurement {
    /// Target position in ECEF (WGS84), metres: the site plus the measured
    /// range/azimuth/elevation turned from the site's East-North-Up frame.
    pub fn target_ecef(&self) -> Vector3<f64> {
        let site = Geodetic::from(self.site);
        let enu = enu_from_range_az_el(self.range_m, self.az_deg, self.el_deg);
        site.to_ecef() + site.ecef_to_enu().transpose() * enu
    }

    /// Target position as geodetic latitude, longitude and ellipsoid height.
    pub fn target_geodetic(&self) -> Geodetic {
        Geodetic::from_ecef(&self.target_ecef())
    }
}

impl Report {
    /// The report's kind.
    pub fn kind(&self) -> ReportKind {
        match self.measurement {
            Measurement::Launch(_) => ReportKind::Launch,
            Measurement::Position(_) => ReportKind::Position,
            Measurement::Radar(_) => ReportKind::Radar,
        }
    }

    /// Measured 3-D position of the object in ECEF (WGS84), metres.
    ///
    /// `None` for launch detections: they fix a point on the ground but not its height,
    /// and inventing one would hide that from the estimator.
    pub fn position_ecef(&self) -> Option<Vector3<f64>> {
        match &self.measurement {
            Measurement::Launch(_) => None,
            Measurement::Position(p) => Some(
                Geodetic {
                    lat_deg: p.lat_deg,
                    lon_deg: p.lon_deg,
                    alt_m: p.alt_m,
                }
                .to_ecef(),
            ),
            Measurement::Radar(r) => Some(r.target_ecef()),
        }
    }

    /// Measured 3-D position as geodetic coordinates; `None` for launch detections.
    pub fn position_geodetic(&self) -> Option<Geodetic> {
        match &self.measurement {
            Measurement::Launch(_) => None,
            Measurement::Position(p) => Some(Geodetic {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                alt_m: p.alt_m,
            }),
            Measurement::Radar(r) => Some(r.target_geodetic()),
        }
    }

    /// The report as one JSON line (no trailing newline), the format ingest reads.
    pub fn to_json_line(&self) -> String {
        // Serialising plain structs of finite floats and strings cannot fail; should a
        // caller have built a report holding NaN, serde_json writes `null`, which the
        // parser then refuses, rather than this function panicking.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for Report {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tree = crate::json::Json::deserialize(d)?;
        crate::json::report_from_json(&tree).map_err(serde::de::Error::custom)
    }
}
