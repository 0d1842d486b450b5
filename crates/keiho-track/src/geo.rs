//! Geodesics on WGS84 for the products: the local plane (azimuthal equidistant about
//! a centre) in which ellipses and hulls are computed, and the way back to lat/lon.
//!
//! Azimuthal equidistant rather than a flat ENU tangent plane because early in a
//! flight an IIP ellipse can be thousands of kilometres long; distances and azimuths
//! from the centre stay exact at any size.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use std::sync::OnceLock;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Distance (m) and forward azimuth (degrees from north) from point 1 to point 2.
pub(crate) fn inverse(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = wgs84().inverse(lat1, lon1, lat2, lon2);
    (s12, azi1)
}

/// (east, north) in km of a point in the azimuthal equidistant plane about a centre.
pub(crate) fn to_plane_km(c_lat: f64, c_lon: f64, lat: f64, lon: f64) -> (f64, f64) {
    let (s, az) = inverse(c_lat, c_lon, lat, lon);
    let (sa, ca) = az.to_radians().sin_cos();
    (s * sa / 1000.0, s * ca / 1000.0)
}

/// The inverse of [`to_plane_km`]: (lat, lon) degrees, longitude in [-180, 180].
pub(crate) fn from_plane_km(c_lat: f64, c_lon: f64, east_km: f64, north_km: f64) -> (f64, f64) {
    let s = east_km.hypot(north_km) * 1000.0;
    if s == 0.0 {
        return (c_lat, c_lon);
    }
    let az = east_km.atan2(north_km).to_degrees();
    let (lat, lon, _azi2): (f64, f64, f64) = wgs84().direct(c_lat, c_lon, az, s);
    (lat, lon)
}

/// Longitudes made continuous along a sequence (consecutive steps never exceed 180
/// degrees), so a line or ring crossing the antimeridian is drawn the short way
/// (179 -> 181 rather than 179 -> -179). Input pairs are (lon, lat).
pub(crate) fn unwrap_lon(points: &mut [[f64; 2]]) {
    for i in 1..points.len() {
        let prev = points[i - 1][0];
        let mut x = points[i][0];
        x += 360.0 * ((prev - x) / 360.0).round();
        points[i][0] = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plane round trip is exact to a millimetre even 2,000 km out.
    #[test]
    fn plane_round_trip() {
        let (e, n) = to_plane_km(30.0, 130.0, 12.0, 141.0);
        let (lat, lon) = from_plane_km(30.0, 130.0, e, n);
        assert!((lat - 12.0).abs() < 1e-8 && (lon - 141.0).abs() < 1e-8);
    }

    #[test]
    fn unwrap_crosses_antimeridian_the_short_way() {
        let mut p = [[179.0, 0.0], [-179.0, 1.0], [-178.0, 2.0], [179.5, 3.0]];
        unwrap_lon(&mut p);
        assert_eq!(p.map(|q| q[0]), [179.0, 181.0, 182.0, 179.5]);
    }
}
