//! How an event ended, in the terms of J-Alert's messages: fell on land, fell into the
//! sea (inside or outside the territorial sea), or passed over toward somewhere.

use chrono::{DateTime, Utc};
use keiho_alert::policy::{AreaRisk, Outcome};
use keiho_geo::RegionSet;
use keiho_types::{CountryCode, GeoPoint};

/// A coarse name for the sea around a point, for "passed over ... toward {sea}".
///
/// The boxes are approximate (hand-drawn from the seas' usual extents around Japan,
/// not IHO limits); outside them the answer is "the sea". They only name a direction
/// in a message; nothing is decided on them.
pub fn sea_name(p: GeoPoint) -> &'static str {
    let (lat, lon) = (p.lat_deg(), p.lon_deg());
    if (33.0..41.0).contains(&lat) && (117.5..126.5).contains(&lon) {
        "the Yellow Sea"
    } else if (34.0..52.0).contains(&lat) && (127.0..142.5).contains(&lon) {
        "the Sea of Japan"
    } else if (24.0..33.0).contains(&lat) && (119.5..129.5).contains(&lon) {
        "the East China Sea"
    } else if (lon >= 122.0 || lon <= -100.0) && lat < 60.0 {
        "the Pacific Ocean"
    } else {
        "the sea"
    }
}

/// The outcome of an event whose objects are all down (or gone), from the final
/// impact point and the areas that were alerted.
pub(crate) fn outcome(
    impact: Option<(GeoPoint, DateTime<Utc>)>,
    alerted: &[AreaRisk],
    regions: &RegionSet,
    jurisdiction: &[CountryCode],
    now: DateTime<Utc>,
) -> Outcome {
    let Some((p, at)) = impact else {
        return Outcome::Lost { at: now };
    };
    if let Some(r) = regions.locate(p) {
        if jurisdiction.contains(&regions.region(r).country) {
            return Outcome::FellOnLand {
                code: regions.region(r).code.to_string(),
                lat_deg: p.lat_deg(),
                lon_deg: p.lon_deg(),
                at,
            };
        }
    }
    let inside = jurisdiction
        .iter()
        .any(|c| keiho_geo::maritime::in_territorial_sea(c.as_str(), p) == Some(true));
    // Nothing came down in the jurisdiction: everything alerted was passed over.
    let overflown: Vec<&AreaRisk> = alerted.iter().collect();
    if !inside && !overflown.is_empty() {
        let passed_at = overflown
            .iter()
            .filter_map(|a| a.expected_at)
            .min()
            .unwrap_or(at);
        return Outcome::PassedOver {
            codes: overflown.iter().map(|a| a.code.clone()).collect(),
            at: passed_at,
            toward: sea_name(p).to_owned(),
        };
    }
    let nearest_km = regions
        .regions()
        .iter()
        .enumerate()
        .filter(|(_, r)| jurisdiction.contains(&r.country))
        .map(|(i, _)| regions.distance_km(p, i))
        .fold(f64::INFINITY, f64::min);
    Outcome::FellIntoSea {
        lat_deg: p.lat_deg(),
        lon_deg: p.lon_deg(),
        at,
        inside_territorial_sea: inside,
        nearest_km,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seas_around_japan_are_named() {
        let p = |la, lo| GeoPoint::new(la, lo).unwrap();
        assert_eq!(sea_name(p(15.5, 128.0)), "the Pacific Ocean");
        assert_eq!(sea_name(p(40.0, 132.2)), "the Sea of Japan");
        assert_eq!(sea_name(p(36.0, 123.9)), "the Yellow Sea");
        assert_eq!(sea_name(p(31.0, 177.1)), "the Pacific Ocean");
    }
}
