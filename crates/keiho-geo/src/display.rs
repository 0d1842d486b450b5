//! The regions simplified for drawing (a dashboard's map, a public page's sketch):
//! Ramer-Douglas-Peucker per ring, with rings too small to see at the tolerance left
//! out. Only for display: alerts are always computed on the exact geometry.

use crate::RegionSet;
use geo::{Area as _, Simplify as _};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, Position};

/// Every region as a GeoJSON feature collection (properties: `code`, `country`,
/// `name_en`, `name_ja`, `name_ko`), simplified to `tolerance_deg` and rounded to
/// a thousandth of a degree (about 100 m, well under the tolerance).
pub fn simplified_regions(regions: &RegionSet, tolerance_deg: f64) -> FeatureCollection {
    let round = |v: f64| (v * 1e3).round() / 1e3;
    // A ring smaller than a tolerance-sized square would be a dot.
    let min_area = tolerance_deg * tolerance_deg;
    let features = regions
        .regions()
        .iter()
        .filter_map(|r| {
            let polygons: Vec<Vec<Vec<Position>>> = r
                .geometry
                .0
                .iter()
                .filter(|p| p.unsigned_area() >= min_area)
                .map(|p| {
                    let p = p.simplify(tolerance_deg);
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .filter(|ring| ring.0.len() >= 4)
                        .map(|ring| {
                            ring.0
                                .iter()
                                .map(|c| Position::from([round(c.x), round(c.y)]))
                                .collect()
                        })
                        .collect::<Vec<Vec<Position>>>()
                })
                .filter(|rings| !rings.is_empty())
                .collect();
            if polygons.is_empty() {
                return None;
            }
            let mut properties = JsonObject::new();
            properties.insert("code".into(), r.code.to_string().into());
            properties.insert("country".into(), r.country.to_string().into());
            properties.insert("name_en".into(), r.name_en.clone().into());
            if let Some(n) = &r.name_ja {
                properties.insert("name_ja".into(), n.clone().into());
            }
            if let Some(n) = &r.name_ko {
                properties.insert("name_ko".into(), n.clone().into());
            }
            Some(Feature {
                bbox: None,
                geometry: Some(Geometry::new(GeometryValue::MultiPolygon {
                    coordinates: polygons,
                })),
                id: None,
                properties: Some(properties),
                foreign_members: None,
            })
        })
        .collect();
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplified_regions_keep_every_japanese_prefecture_and_shrink() {
        let Ok(regions) = RegionSet::bundled() else {
            panic!("bundled regions");
        };
        let fc = simplified_regions(regions, 0.02);
        let codes: Vec<String> = fc
            .features
            .iter()
            .filter_map(|f| f.property("code")?.as_str().map(str::to_owned))
            .collect();
        // All 47 prefectures, Okinawa's islands included, survive simplification.
        let japan = codes.iter().filter(|c| c.starts_with("JP-")).count();
        assert_eq!(japan, 47, "{codes:?}");
        assert!(codes.iter().any(|c| c == "KR-11"));
        let exact: usize = regions
            .regions()
            .iter()
            .map(|r| {
                r.geometry
                    .0
                    .iter()
                    .map(|p| p.exterior().0.len())
                    .sum::<usize>()
            })
            .sum();
        let drawn: usize = fc
            .features
            .iter()
            .filter_map(|f| match &f.geometry.as_ref()?.value {
                GeometryValue::MultiPolygon { coordinates } => {
                    Some(coordinates.iter().map(|p| p[0].len()).sum::<usize>())
                }
                _ => None,
            })
            .sum();
        // Simplification must matter for a phone on a slow link: at least 3x fewer
        // points than the exact outlines.
        assert!(drawn * 3 < exact, "{drawn} points drawn of {exact}");
    }
}
