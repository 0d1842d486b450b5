//! Earth-fixed frames on the WGS84 ellipsoid: geodetic <-> ECEF, and local East-North-Up.
//!
//! Every later stage (ingest, estimation, prediction) converts through here so there is
//! one definition of the ellipsoid in the code base.

use nalgebra::{Matrix3, Vector3};

/// WGS84 semi-major axis, metres.
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis, metres.
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);
/// WGS84 first eccentricity squared.
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);
/// Earth's rotation rate (WGS84 / IERS), rad/s.
pub const EARTH_OMEGA_RAD_S: f64 = 7.292_115e-5;

/// A geodetic position: latitude and longitude in degrees, height above the WGS84
/// ellipsoid in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    /// Geodetic latitude, degrees, north positive.
    pub lat_deg: f64,
    /// Longitude, degrees, east positive.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
}

impl Geodetic {
    /// Earth-centred, Earth-fixed (ECEF, WGS84) position in metres.
    pub fn to_ecef(self) -> Vector3<f64> {
        let (lat, lon) = (self.lat_deg.to_radians(), self.lon_deg.to_radians());
        let (slat, clat) = lat.sin_cos();
        let (slon, clon) = lon.sin_cos();
        let n = WGS84_A_M / (1.0 - WGS84_E2 * slat * slat).sqrt();
        Vector3::new(
            (n + self.alt_m) * clat * clon,
            (n + self.alt_m) * clat * slon,
            (n * (1.0 - WGS84_E2) + self.alt_m) * slat,
        )
    }

    /// Geodetic coordinates of an ECEF position in metres.
    ///
    /// Bowring's method with two refinements: sub-millimetre from the centre of the
    /// Earth out to geostationary distance, with no iteration limit to tune.
    pub fn from_ecef(r: &Vector3<f64>) -> Self {
        let (x, y, z) = (r.x, r.y, r.z);
        let p = x.hypot(y);
        let lon = y.atan2(x);
        let ep2 = WGS84_E2 / (1.0 - WGS84_E2);
        // Initial parametric latitude, then Bowring's formula, refined twice.
        let mut beta = (z * WGS84_A_M).atan2(p * WGS84_B_M);
        let mut lat = 0.0;
        for _ in 0..3 {
            let (sb, cb) = beta.sin_cos();
            lat = (z + ep2 * WGS84_B_M * sb.powi(3)).atan2(p - WGS84_E2 * WGS84_A_M * cb.powi(3));
            beta = ((1.0 - WGS84_F) * lat.sin()).atan2(lat.cos());
        }
        let (slat, clat) = lat.sin_cos();
        let n = WGS84_A_M / (1.0 - WGS84_E2 * slat * slat).sqrt();
        let alt = if clat.abs() > 1e-9 {
            p / clat - n
        } else {
            z.abs() - WGS84_B_M
        };
        Self {
            lat_deg: lat.to_degrees(),
            lon_deg: lon.to_degrees(),
            alt_m: alt,
        }
    }

    /// Rotation taking ECEF vectors into the local East-North-Up frame at this place.
    /// Its transpose takes ENU back into ECEF.
    pub fn ecef_to_enu(self) -> Matrix3<f64> {
        let (slat, clat) = self.lat_deg.to_radians().sin_cos();
        let (slon, clon) = self.lon_deg.to_radians().sin_cos();
        Matrix3::new(
            -slon,
            clon,
            0.0,
            -slat * clon,
            -slat * slon,
            clat,
            clat * clon,
            clat * slon,
            slat,
        )
    }
}

/// ENU vector (metres) of a target seen from a site at `range_m`, azimuth `az_deg`
/// (from true north, clockwise) and elevation `el_deg` above the local horizon.
pub fn enu_from_range_az_el(range_m: f64, az_deg: f64, el_deg: f64) -> Vector3<f64> {
    let (saz, caz) = az_deg.to_radians().sin_cos();
    let (sel, cel) = el_deg.to_radians().sin_cos();
    Vector3::new(range_m * cel * saz, range_m * cel * caz, range_m * sel)
}

/// Range (m), azimuth (degrees from north, clockwise, in [0, 360)) and elevation (degrees)
/// of an ENU vector.
pub fn range_az_el_from_enu(enu: &Vector3<f64>) -> (f64, f64, f64) {
    let range = enu.norm();
    let az = enu.x.atan2(enu.y).to_degrees().rem_euclid(360.0);
    let el = enu.z.atan2(enu.x.hypot(enu.y)).to_degrees();
    (range, az, el)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn equator_and_pole_match_the_ellipsoid_axes() {
        let e = Geodetic {
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 0.0,
        }
        .to_ecef();
        assert_abs_diff_eq!(e.x, WGS84_A_M, epsilon = 1e-6);
        let n = Geodetic {
            lat_deg: 90.0,
            lon_deg: 0.0,
            alt_m: 0.0,
        }
        .to_ecef();
        assert_abs_diff_eq!(n.z, WGS84_B_M, epsilon = 1e-6);
    }

    /// Reference values from PROJ 9 through pyproj, `Transformer.from_crs("EPSG:4979",
    /// "EPSG:4978")`: Naha at 0 m and Sohae at 1,000 m. Tolerance 1 mm.
    #[test]
    fn matches_proj_to_a_millimetre() {
        let naha = Geodetic {
            lat_deg: 26.2124,
            lon_deg: 127.6809,
            alt_m: 0.0,
        }
        .to_ecef();
        assert_abs_diff_eq!(naha.x, -3_500_073.602_229_8, epsilon = 1e-3);
        assert_abs_diff_eq!(naha.y, 4_531_687.424_353_6, epsilon = 1e-3);
        assert_abs_diff_eq!(naha.z, 2_800_192.943_543_4, epsilon = 1e-3);
        let sohae = Geodetic {
            lat_deg: 39.66,
            lon_deg: 124.705,
            alt_m: 1000.0,
        }
        .to_ecef();
        assert_abs_diff_eq!(sohae.x, -2_799_874.334_284_6, epsilon = 1e-3);
        assert_abs_diff_eq!(sohae.y, 4_042_778.210_522_6, epsilon = 1e-3);
        assert_abs_diff_eq!(sohae.z, 4_049_633.288_438_7, epsilon = 1e-3);
    }

    #[test]
    fn round_trip_is_sub_millimetre_from_ground_to_geo() {
        for &(lat, lon, alt) in &[
            (39.66, 124.705, 0.0),
            (-33.0, -70.0, 1_000_000.0),
            (89.9999, 10.0, 35_786_000.0),
            (0.0, 179.9, -400.0),
            (-89.0, -179.0, 5_000_000.0),
        ] {
            let g = Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                alt_m: alt,
            };
            let back = Geodetic::from_ecef(&g.to_ecef());
            assert_abs_diff_eq!(back.lat_deg, lat, epsilon = 1e-9);
            assert_abs_diff_eq!(back.lon_deg, lon, epsilon = 1e-9);
            assert_abs_diff_eq!(back.alt_m, alt, epsilon = 1e-3);
        }
    }

    #[test]
    fn range_az_el_round_trip() {
        let enu = enu_from_range_az_el(1000.0, 135.0, 30.0);
        let (r, az, el) = range_az_el_from_enu(&enu);
        assert_abs_diff_eq!(r, 1000.0, epsilon = 1e-9);
        assert_abs_diff_eq!(az, 135.0, epsilon = 1e-9);
        assert_abs_diff_eq!(el, 30.0, epsilon = 1e-9);
        // Up at the site maps to the ellipsoid normal in ECEF.
        let site = Geodetic {
            lat_deg: 0.0,
            lon_deg: 90.0,
            alt_m: 0.0,
        };
        let up_ecef = site.ecef_to_enu().transpose() * Vector3::new(0.0, 0.0, 1.0);
        assert_abs_diff_eq!(up_ecef.y, 1.0, epsilon = 1e-12);
    }
}
