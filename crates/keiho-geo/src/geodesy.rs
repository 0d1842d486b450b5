//! Geodesic computations on the WGS84 ellipsoid (through `geographiclib-rs`), never in
//! planar degrees: distances, destinations, and the offset points that hazard shapes
//! are built from.

use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use keiho_types::GeoPoint;
use std::sync::OnceLock;

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(Geodesic::wgs84)
}

/// Geodesic distance in metres and forward azimuth (degrees from north) from `a` to `b`.
pub fn distance_azimuth(a: GeoPoint, b: GeoPoint) -> (f64, f64) {
    inverse_raw(a.lat_deg(), a.lon_deg(), b.lat_deg(), b.lon_deg())
}

/// Geodesic distance in kilometres between two points.
pub fn distance_km(a: GeoPoint, b: GeoPoint) -> f64 {
    distance_azimuth(a, b).0 / 1000.0
}

pub(crate) fn inverse_raw(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = wgs84().inverse(lat1, lon1, lat2, lon2);
    (s12, azi1)
}

/// The point reached from `from` after `distance_m` metres along the geodesic leaving at
/// `azimuth_deg`, and the forward azimuth there.
pub fn destination(from: GeoPoint, azimuth_deg: f64, distance_m: f64) -> (GeoPoint, f64) {
    let (lat, lon, azi2) = destination_raw(from.lat_deg(), from.lon_deg(), azimuth_deg, distance_m);
    // geographiclib returns latitudes in [-90, 90] and longitudes in [-180, 180].
    let p = GeoPoint::wrapping(lat.clamp(-90.0, 90.0), lon).unwrap_or(from);
    (p, azi2)
}

pub(crate) fn destination_raw(lat: f64, lon: f64, azi: f64, s_m: f64) -> (f64, f64, f64) {
    wgs84().direct(lat, lon, azi, s_m)
}

/// Unwrap a sequence of longitudes so consecutive values never jump by more than 180
/// degrees: a shape crossing the antimeridian becomes continuous (e.g. 179 -> 181).
pub(crate) fn unwrap_longitudes(points: &mut [(f64, f64)]) {
    for i in 1..points.len() {
        let prev = points[i - 1].0;
        let mut x = points[i].0;
        while x - prev > 180.0 {
            x -= 360.0;
        }
        while x - prev < -180.0 {
            x += 360.0;
        }
        points[i].0 = x;
    }
}

/// A closed ring of `n` points (first = last) on an ellipse in the local tangent plane
/// of `centre` (semi-axes in km, major axis at `orientation_deg` from north), placed by
/// geodesic distance and azimuth: for display and transmission (CAP polygons).
pub fn ellipse_ring(
    centre: GeoPoint,
    semi_major_km: f64,
    semi_minor_km: f64,
    orientation_deg: f64,
    n: usize,
) -> Vec<GeoPoint> {
    let mut ring: Vec<GeoPoint> = ellipse_points(
        centre,
        semi_major_km,
        semi_minor_km,
        orientation_deg,
        n,
        1.0,
    )
    .into_iter()
    .map(|(lon, lat)| GeoPoint::wrapping(lat.clamp(-90.0, 90.0), lon).unwrap_or(centre))
    .collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    ring
}

/// `n` (at least 3) points, as (lon, lat), of an ellipse in the local tangent plane of
/// `centre`, sampled at equal parametric angles, scaled by `grow`, and placed on the
/// ellipsoid by geodesic distance and azimuth from the centre (an azimuthal equidistant
/// placement). Open: the first point is not repeated.
pub(crate) fn ellipse_points(
    centre: GeoPoint,
    semi_major_km: f64,
    semi_minor_km: f64,
    orientation_deg: f64,
    n: usize,
    grow: f64,
) -> Vec<(f64, f64)> {
    let n = n.max(3);
    (0..n)
        .map(|k| {
            let t = 2.0 * std::f64::consts::PI * k as f64 / n as f64;
            let (along, across) = (
                semi_major_km * t.cos() * grow,
                semi_minor_km * t.sin() * grow,
            );
            let az = orientation_deg + across.atan2(along).to_degrees();
            let (lat, lon, _) = destination_raw(
                centre.lat_deg(),
                centre.lon_deg(),
                az,
                along.hypot(across) * 1000.0,
            );
            (lon, lat)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// Reference: pyproj 3 `Geod(ellps="WGS84").inv(139.77, 35.68, 127.68, 26.21)`, which
    /// wraps the C GeographicLib: 1,558,672.9925 m, azimuth -128.998441 degrees.
    /// Tolerance 1 mm and 1e-6 degree.
    #[test]
    fn tokyo_to_naha_matches_the_c_library() {
        let tokyo = GeoPoint::new(35.68, 139.77).unwrap();
        let naha = GeoPoint::new(26.21, 127.68).unwrap();
        let (d, az) = distance_azimuth(tokyo, naha);
        assert_abs_diff_eq!(d, 1_558_672.992_517, epsilon = 1e-3);
        assert_abs_diff_eq!(az, -128.998_440_774, epsilon = 1e-6);
    }

    #[test]
    fn destination_inverts_distance() {
        let a = GeoPoint::new(39.66, 124.705).unwrap();
        let (b, _) = destination(a, 170.0, 1_000_000.0);
        let (d, az) = distance_azimuth(a, b);
        assert_abs_diff_eq!(d, 1_000_000.0, epsilon = 1e-6);
        assert_abs_diff_eq!(az, 170.0, epsilon = 1e-9);
    }

    #[test]
    fn unwrap_makes_antimeridian_continuous() {
        let mut pts = vec![(179.0, 0.0), (-179.0, 0.0), (-178.0, 1.0)];
        unwrap_longitudes(&mut pts);
        assert_eq!(pts, vec![(179.0, 0.0), (181.0, 0.0), (182.0, 1.0)]);
    }
}
