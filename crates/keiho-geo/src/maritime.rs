//! Territorial seas: whether a point at sea lies within a country's territorial sea
//! (about 12 nautical miles from its baselines), to say in an alert whether an object
//! fell inside Japan's (or Korea's) waters.
//!
//! Data: OpenStreetMap admin_level=2 boundaries, land plus territorial sea, for Japan
//! and South Korea (`data/maritime/`, ODbL). Not an EEZ: no usable EEZ data exists in
//! the repository (see `data/README.md`).

use crate::prepared::PreparedPolygon;
use keiho_types::GeoPoint;
use std::sync::OnceLock;

static SOURCE: &str = include_str!("../../../data/maritime/territorial_sea_jpn_kor_osm.geojson");

struct Country {
    iso_a3: String,
    parts: Vec<PreparedPolygon>,
}

fn countries() -> &'static [Country] {
    static DATA: OnceLock<Vec<Country>> = OnceLock::new();
    DATA.get_or_init(|| {
        // The file is compiled in and checked by tests; a parse failure leaves the
        // list empty, which callers see as "no data" rather than a wrong answer.
        let Ok(geojson::GeoJson::FeatureCollection(fc)) = SOURCE.parse::<geojson::GeoJson>() else {
            return Vec::new();
        };
        fc.features
            .iter()
            .filter_map(|f| {
                let iso_a3 = f.property("A3")?.as_str()?.to_owned();
                let polygons = match &f.geometry.as_ref()?.value {
                    geojson::GeometryValue::Polygon { coordinates } => vec![coordinates.clone()],
                    geojson::GeometryValue::MultiPolygon { coordinates } => coordinates.clone(),
                    _ => return None,
                };
                let parts = polygons
                    .iter()
                    .map(|rings| {
                        let rings: Vec<Vec<(f64, f64)>> = rings
                            .iter()
                            .map(|r| r.iter().map(|p| (p[0], p[1])).collect())
                            .collect();
                        PreparedPolygon::from_rings(&rings)
                    })
                    .collect();
                Some(Country { iso_a3, parts })
            })
            .collect()
    })
}

/// Whether `p` is on the land or in the territorial sea of the country (ISO 3166-1
/// alpha-2 `JP` or `KR`); `None` when there is no data for that country.
pub fn in_territorial_sea(country: &str, p: GeoPoint) -> Option<bool> {
    let iso_a3 = match country {
        "JP" => "JPN",
        "KR" => "KOR",
        _ => return None,
    };
    let c = countries().iter().find(|c| c.iso_a3 == iso_a3)?;
    Some(
        c.parts
            .iter()
            .any(|part| part.contains(p.lon_deg(), p.lat_deg())),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn both_countries_load() {
        assert_eq!(countries().len(), 2);
    }

    /// 5 km off Naha's coast is inside; the Okinawa-Miyako gap's middle, the Sea of
    /// Japan's middle and the Pacific 600 km east of the Philippines are outside.
    #[test]
    fn territorial_sea_around_okinawa() {
        assert_eq!(in_territorial_sea("JP", pt(26.21, 127.62)), Some(true));
        assert_eq!(in_territorial_sea("JP", pt(25.5, 126.3)), Some(false));
        assert_eq!(in_territorial_sea("JP", pt(40.0, 135.0)), Some(false));
        assert_eq!(in_territorial_sea("JP", pt(15.0, 130.0)), Some(false));
        assert_eq!(in_territorial_sea("KR", pt(37.5665, 126.978)), Some(true));
        assert_eq!(in_territorial_sea("TW", pt(25.0, 121.5)), None);
    }
}
