//! A checked point on the WGS84 ellipsoid, in degrees.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A geodetic position on the WGS84 ellipsoid: latitude and longitude in degrees.
///
/// Construct with [`GeoPoint::new`], which rejects NaN and out-of-range values, so a
/// `GeoPoint` that exists is always a real place. Longitude is kept in [-180, 180].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGeoPoint", into = "RawGeoPoint")]
pub struct GeoPoint {
    lat_deg: f64,
    lon_deg: f64,
}

/// Why a coordinate was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidCoordinate {
    /// Latitude is not a finite number in [-90, 90].
    #[error("latitude {0} is outside [-90, 90] degrees")]
    Latitude(f64),
    /// Longitude is not a finite number in [-180, 180].
    #[error("longitude {0} is outside [-180, 180] degrees")]
    Longitude(f64),
}

impl GeoPoint {
    /// A point from latitude and longitude in degrees; both must be finite and in range.
    pub fn new(lat_deg: f64, lon_deg: f64) -> Result<Self, InvalidCoordinate> {
        if !(lat_deg.is_finite() && (-90.0..=90.0).contains(&lat_deg)) {
            return Err(InvalidCoordinate::Latitude(lat_deg));
        }
        if !(lon_deg.is_finite() && (-180.0..=180.0).contains(&lon_deg)) {
            return Err(InvalidCoordinate::Longitude(lon_deg));
        }
        Ok(Self { lat_deg, lon_deg })
    }

    /// A point whose longitude may be any finite value (e.g. 190 or -200): it is wrapped
    /// into [-180, 180]. Latitude must still be in range.
    pub fn wrapping(lat_deg: f64, lon_deg: f64) -> Result<Self, InvalidCoordinate> {
        if !lon_deg.is_finite() {
            return Err(InvalidCoordinate::Longitude(lon_deg));
        }
        let mut lon = (lon_deg + 180.0).rem_euclid(360.0) - 180.0;
        if lon == -180.0 && lon_deg > 0.0 {
            lon = 180.0;
        }
        Self::new(lat_deg, lon)
    }

    /// Geodetic latitude in degrees, north positive.
    pub fn lat_deg(self) -> f64 {
        self.lat_deg
    }

    /// Longitude in degrees, east positive, in [-180, 180].
    pub fn lon_deg(self) -> f64 {
        self.lon_deg
    }
}

impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:.5}, {:.5})", self.lat_deg, self.lon_deg)
    }
}

#[derive(Serialize, Deserialize)]
struct RawGeoPoint {
    lat_deg: f64,
    lon_deg: f64,
}

impl TryFrom<RawGeoPoint> for GeoPoint {
    type Error = InvalidCoordinate;
    fn try_from(raw: RawGeoPoint) -> Result<Self, Self::Error> {
        GeoPoint::new(raw.lat_deg, raw.lon_deg)
    }
}

impl From<GeoPoint> for RawGeoPoint {
    fn from(p: GeoPoint) -> Self {
        RawGeoPoint {
            lat_deg: p.lat_deg,
            lon_deg: p.lon_deg,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert_eq!(
            GeoPoint::new(91.0, 0.0),
            Err(InvalidCoordinate::Latitude(91.0))
        );
        assert_eq!(
            GeoPoint::new(0.0, -180.5),
            Err(InvalidCoordinate::Longitude(-180.5))
        );
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        assert!(GeoPoint::new(0.0, f64::INFINITY).is_err());
        assert!(GeoPoint::new(-90.0, 180.0).is_ok());
    }

    #[test]
    fn wrapping_brings_longitude_into_range() {
        let p = GeoPoint::wrapping(10.0, 190.0).unwrap();
        assert!((p.lon_deg() - -170.0).abs() < 1e-12);
        let p = GeoPoint::wrapping(10.0, -200.0).unwrap();
        assert!((p.lon_deg() - 160.0).abs() < 1e-12);
        assert_eq!(GeoPoint::wrapping(0.0, 180.0).unwrap().lon_deg(), 180.0);
    }

    #[test]
    fn serde_refuses_bad_points() {
        let bad = serde_json::from_str::<GeoPoint>(r#"{"lat_deg":100,"lon_deg":0}"#);
        assert!(bad.is_err());
        let good: GeoPoint = serde_json::from_str(r#"{"lat_deg":26.2,"lon_deg":127.7}"#).unwrap();
        assert_eq!(good.lat_deg(), 26.2);
    }
}
