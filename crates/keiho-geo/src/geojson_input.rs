//! Hazards read from GeoJSON (RFC 7946): a geometry, a feature, or a collection of
//! them, with errors that say what is wrong and where.

use crate::hazard::Hazard;
use geojson::{GeoJson, Geometry, GeometryValue, Position};
use keiho_types::GeoPoint;

/// Why a GeoJSON document cannot be used as a hazard.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    /// Not GeoJSON at all (syntax or structure).
    #[error("not valid GeoJSON: {0}")]
    Parse(String),
    /// A feature without a geometry.
    #[error("{at}: feature has no geometry")]
    NoGeometry {
        /// Where, e.g. `features[3]`.
        at: String,
    },
    /// A position that is not a valid WGS84 lon/lat.
    #[error("{at}: {why}")]
    BadPosition {
        /// Where, e.g. `features[0].geometry.coordinates[0][5]`.
        at: String,
        /// Why.
        why: String,
    },
    /// A ring or line with too few positions.
    #[error("{at}: {what} needs at least {min} positions, has {got}")]
    TooShort {
        /// Where.
        at: String,
        /// What kind of geometry.
        what: &'static str,
        /// Minimum.
        min: usize,
        /// Actual.
        got: usize,
    },
}

/// Parse GeoJSON text into hazards, one per simple geometry (multi-geometries and
/// collections are flattened).
pub fn hazards_from_geojson(text: &str) -> Result<Vec<Hazard>, GeoJsonError> {
    let doc: GeoJson = text
        .parse()
        .map_err(|e: geojson::Error| GeoJsonError::Parse(e.to_string()))?;
    let mut out = Vec::new();
    match doc {
        GeoJson::Geometry(g) => collect(&g, "geometry", &mut out)?,
        GeoJson::Feature(f) => {
            let g = f
                .geometry
                .as_ref()
                .ok_or_else(|| GeoJsonError::NoGeometry {
                    at: "feature".into(),
                })?;
            collect(g, "feature.geometry", &mut out)?;
        }
        GeoJson::FeatureCollection(fc) => {
            for (i, f) in fc.features.iter().enumerate() {
                let at = format!("features[{i}]");
                let g = f
                    .geometry
                    .as_ref()
                    .ok_or_else(|| GeoJsonError::NoGeometry { at: at.clone() })?;
                collect(g, &format!("{at}.geometry"), &mut out)?;
            }
        }
    }
    Ok(out)
}

fn collect(g: &Geometry, at: &str, out: &mut Vec<Hazard>) -> Result<(), GeoJsonError> {
    let c = format!("{at}.coordinates");
    match &g.value {
        GeometryValue::Point { coordinates } => out.push(Hazard::Point(point(coordinates, &c)?)),
        GeometryValue::MultiPoint { coordinates } => {
            for (i, p) in coordinates.iter().enumerate() {
                out.push(Hazard::Point(point(p, &format!("{c}[{i}]"))?));
            }
        }
        GeometryValue::LineString { coordinates } => out.push(Hazard::Line(line(coordinates, &c)?)),
        GeometryValue::MultiLineString { coordinates } => {
            for (i, l) in coordinates.iter().enumerate() {
                out.push(Hazard::Line(line(l, &format!("{c}[{i}]"))?));
            }
        }
        GeometryValue::Polygon { coordinates } => {
            out.push(Hazard::Polygon(polygon(coordinates, &c)?))
        }
        GeometryValue::MultiPolygon { coordinates } => {
            for (i, p) in coordinates.iter().enumerate() {
                out.push(Hazard::Polygon(polygon(p, &format!("{c}[{i}]"))?));
            }
        }
        GeometryValue::GeometryCollection { geometries } => {
            for (i, g) in geometries.iter().enumerate() {
                collect(g, &format!("{at}.geometries[{i}]"), out)?;
            }
        }
    }
    Ok(())
}

fn point(p: &Position, at: &str) -> Result<GeoPoint, GeoJsonError> {
    let s = p.as_slice();
    if s.len() < 2 {
        return Err(GeoJsonError::BadPosition {
            at: at.into(),
            why: format!("a position needs [lon, lat], got {} numbers", s.len()),
        });
    }
    // GeoJSON order is [longitude, latitude].
    GeoPoint::new(s[1], s[0]).map_err(|e| GeoJsonError::BadPosition {
        at: at.into(),
        why: e.to_string(),
    })
}

fn line(ps: &[Position], at: &str) -> Result<Vec<GeoPoint>, GeoJsonError> {
    if ps.len() < 2 {
        return Err(GeoJsonError::TooShort {
            at: at.into(),
            what: "a LineString",
            min: 2,
            got: ps.len(),
        });
    }
    ps.iter()
        .enumerate()
        .map(|(i, p)| point(p, &format!("{at}[{i}]")))
        .collect()
}

fn polygon(rings: &[Vec<Position>], at: &str) -> Result<Vec<Vec<GeoPoint>>, GeoJsonError> {
    if rings.is_empty() {
        return Err(GeoJsonError::TooShort {
            at: at.into(),
            what: "a Polygon",
            min: 1,
            got: 0,
        });
    }
    rings
        .iter()
        .enumerate()
        .map(|(r, ring)| {
            let at = format!("{at}[{r}]");
            // RFC 7946: a linear ring is closed and has at least four positions.
            if ring.len() < 4 {
                return Err(GeoJsonError::TooShort {
                    at,
                    what: "a linear ring",
                    min: 4,
                    got: ring.len(),
                });
            }
            if ring.first().map(Position::as_slice) != ring.last().map(Position::as_slice) {
                return Err(GeoJsonError::BadPosition {
                    at,
                    why: "linear ring is not closed (first position differs from last)".into(),
                });
            }
            ring.iter()
                .enumerate()
                .map(|(i, p)| point(p, &format!("{at}[{i}]")))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_where() {
        let e = hazards_from_geojson(r#"{"type":"LineString","coordinates":[[127,26],[200,26]]}"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "geometry.coordinates[1]: longitude 200 is outside [-180, 180] degrees"
        );
        let e = hazards_from_geojson(r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "features[0].geometry.coordinates[0]: linear ring is not closed (first position differs from last)"
        );
        assert!(matches!(
            hazards_from_geojson("{"),
            Err(GeoJsonError::Parse(_))
        ));
    }

    #[test]
    fn flattens_collections() {
        let h = hazards_from_geojson(r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[127.68,26.21]},{"type":"MultiPoint","coordinates":[[0,0],[1,1]]}]}"#).unwrap();
        assert_eq!(h.len(), 3);
    }
}
