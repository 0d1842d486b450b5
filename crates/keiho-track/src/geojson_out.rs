//! GeoJSON rendering of a [`PredictionSet`]: one Feature per product, each with
//! properties {object, event, kind, time}.
//!
//! Antimeridian: each line and ring has continuous longitudes (e.g. 179 -> 181), which
//! draws it the short way in common viewers; points keep longitudes in [-180, 180].

use crate::geo::unwrap_lon;
use crate::predict::PredictionSet;
use crate::products::{Footprint, Prediction};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, JsonValue};

/// Points of an ellipse outline.
const ELLIPSE_POINTS: usize = 72;

/// The set as a GeoJSON FeatureCollection, in prediction order, then product order:
/// iip, iip_ellipse, iip_trace, ground_track, footprint_hull, footprint_ellipse,
/// footprint_impacts, debris_hull, debris_ellipse.
pub fn to_geojson(set: &PredictionSet) -> FeatureCollection {
    let mut features = Vec::new();
    for p in &set.predictions {
        prediction_features(p, &mut features);
    }
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

fn feature(p: &Prediction, kind: &str, value: GeometryValue) -> Feature {
    let mut props = JsonObject::new();
    props.insert("object".into(), JsonValue::from(p.object.clone()));
    props.insert("event".into(), JsonValue::from(p.event.clone()));
    props.insert("kind".into(), JsonValue::from(kind));
    props.insert("time".into(), JsonValue::from(p.t.to_rfc3339()));
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(value)),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

fn line(mut pts: Vec<[f64; 2]>) -> GeometryValue {
    unwrap_lon(&mut pts);
    GeometryValue::new_line_string(pts)
}

fn prediction_features(p: &Prediction, out: &mut Vec<Feature>) {
    if let Some(iip) = &p.iip {
        out.push(feature(
            p,
            "iip",
            GeometryValue::new_point([iip.lon_deg, iip.lat_deg]),
        ));
        if let Some(e) = &iip.ellipse {
            out.push(feature(
                p,
                "iip_ellipse",
                GeometryValue::new_polygon([e.ring(ELLIPSE_POINTS)]),
            ));
        }
    }
    if p.iip_trace.len() >= 2 {
        let pts = p.iip_trace.iter().map(|t| [t.lon_deg, t.lat_deg]).collect();
        out.push(feature(p, "iip_trace", line(pts)));
    }
    if p.ground_track.len() >= 2 {
        let pts = p
            .ground_track
            .iter()
            .map(|t| [t.lon_deg, t.lat_deg])
            .collect();
        out.push(feature(p, "ground_track", line(pts)));
    }
    if let Some(f) = &p.footprint {
        footprint_features(p, f, "footprint", out);
    }
    if let Some(f) = &p.debris {
        footprint_features(p, f, "debris", out);
    }
}

fn footprint_features(p: &Prediction, f: &Footprint, name: &str, out: &mut Vec<Feature>) {
    if f.hull.len() >= 4 {
        out.push(feature(
            p,
            &format!("{name}_hull"),
            GeometryValue::new_polygon([f.hull.clone()]),
        ));
    }
    if let Some(e) = &f.ellipse {
        out.push(feature(
            p,
            &format!("{name}_ellipse"),
            GeometryValue::new_polygon([e.ring(ELLIPSE_POINTS)]),
        ));
    }
    if name == "footprint" && !f.impacts.is_empty() {
        let pts: Vec<[f64; 2]> = f.impacts.iter().map(|i| [i.lon_deg, i.lat_deg]).collect();
        out.push(feature(
            p,
            &format!("{name}_impacts"),
            GeometryValue::new_multi_point(pts),
        ));
    }
}
