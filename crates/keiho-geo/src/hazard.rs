//! Hazard geometries (polygons, corridors, ellipses, circles) and their conversion into
//! "pieces": simple lon/lat shapes whose union is the hazard, built geodesically.
//!
//! Every curved boundary is sampled on the ellipsoid with `geographiclib` and the
//! samples are pushed outward so the straight chords between them still enclose the
//! true shape: a hazard polygon errs on the side of covering more, never less.

use crate::geodesy::{destination_raw, ellipse_points, inverse_raw, unwrap_longitudes};
use keiho_types::GeoPoint;
use std::f64::consts::PI;

/// Vertices used for circles and ellipses. 36 vertices put the chords within 0.4% of
/// the radius; we circumscribe, so that 0.4% is extra cover, not a gap.
const CURVE_VERTICES: usize = 36;
/// Vertices of the round caps at a corridor's vertices. They only fill the joins
/// between straight stretches, and they are circumscribed (at most 2% wider than the
/// circle), so a coarse polygon costs coverage nothing and saves most of the geodesic
/// computations of a long, finely sampled track.
const CAP_VERTICES: usize = 16;
/// Longest step along a corridor's centre line; short steps keep the lon/lat chords of
/// the buffer within metres of the true offset curve.
const CORRIDOR_STEP_M: f64 = 20_000.0;

/// A hazard area on the ground. Distances in kilometres, azimuths in degrees clockwise
/// from true north, all on the WGS84 ellipsoid.
#[derive(Debug, Clone, PartialEq)]
pub enum Hazard {
    /// A single point (e.g. a predicted impact without uncertainty).
    Point(GeoPoint),
    /// A polyline (no width); use [`Hazard::Corridor`] for a buffered line.
    Line(Vec<GeoPoint>),
    /// A polygon: exterior ring then holes, edges straight in lon/lat as in GeoJSON.
    Polygon(Vec<Vec<GeoPoint>>),
    /// A polygon grown by `buffer_km` (geodesic) on every side.
    BufferedPolygon {
        /// Exterior ring then holes.
        rings: Vec<Vec<GeoPoint>>,
        /// Growth, km.
        buffer_km: f64,
    },
    /// A polyline buffered by `half_width_km` on each side, with round ends and joins.
    Corridor {
        /// The centre line; consecutive points are joined by geodesics.
        line: Vec<GeoPoint>,
        /// Distance from the centre line to the edge, km.
        half_width_km: f64,
    },
    /// A circle of `radius_km` (geodesic) around `centre`.
    Circle {
        /// Centre.
        centre: GeoPoint,
        /// Geodesic radius, km.
        radius_km: f64,
    },
    /// An ellipse in the local tangent plane of its centre (the shape of an impact
    /// uncertainty region).
    Ellipse {
        /// Centre.
        centre: GeoPoint,
        /// Semi-major axis, km.
        semi_major_km: f64,
        /// Semi-minor axis, km.
        semi_minor_km: f64,
        /// Azimuth of the major axis, degrees clockwise from true north.
        orientation_deg: f64,
    },
}

/// Why a hazard geometry cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HazardError {
    /// A distance was negative, zero where it must be positive, or not finite.
    #[error("{what} must be a finite, non-negative distance in km, got {value}")]
    BadDistance {
        /// Which distance.
        what: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A line or ring has too few points.
    #[error("{what} needs at least {min} points, got {got}")]
    TooFewPoints {
        /// Which geometry.
        what: &'static str,
        /// Minimum.
        min: usize,
        /// Given.
        got: usize,
    },
    /// The semi-minor axis exceeds the semi-major axis.
    #[error("ellipse semi-minor axis {minor} km exceeds its semi-major axis {major} km")]
    AxesSwapped {
        /// Semi-major, km.
        major: f64,
        /// Semi-minor, km.
        minor: f64,
    },
}

/// A simple shape in lon/lat degrees, longitudes unwrapped (they may leave [-180, 180]
/// when the shape crosses the antimeridian). `closed` pieces are areas (even-odd over
/// all rings); open ones are points or polylines.
#[derive(Debug, Clone)]
pub(crate) struct Piece {
    pub(crate) rings: Vec<Vec<(f64, f64)>>,
    pub(crate) closed: bool,
}

impl Piece {
    pub(crate) fn bbox(&self) -> [f64; 4] {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for &(x, y) in self.rings.iter().flatten() {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        b
    }

    pub(crate) fn shifted(&self, dx: f64) -> Piece {
        Piece {
            rings: self
                .rings
                .iter()
                .map(|r| r.iter().map(|&(x, y)| (x + dx, y)).collect())
                .collect(),
            closed: self.closed,
        }
    }
}

fn check_km(what: &'static str, value: f64) -> Result<f64, HazardError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(HazardError::BadDistance { what, value })
    }
}

fn xy(p: GeoPoint) -> (f64, f64) {
    (p.lon_deg(), p.lat_deg())
}

impl Hazard {
    /// The same hazard grown by `buffer_km` on every side (a point becomes a circle, a
    /// line a corridor, a polygon keeps its area and gains a band around its rings).
    pub fn buffered(self, buffer_km: f64) -> Result<Hazard, HazardError> {
        let b = check_km("buffer", buffer_km)?;
        if b == 0.0 {
            return Ok(self);
        }
        Ok(match self {
            Hazard::Point(centre) => Hazard::Circle {
                centre,
                radius_km: b,
            },
            Hazard::Line(line) => Hazard::Corridor {
                line,
                half_width_km: b,
            },
            Hazard::Corridor {
                line,
                half_width_km,
            } => Hazard::Corridor {
                line,
                half_width_km: half_width_km + b,
            },
            Hazard::Circle { centre, radius_km } => Hazard::Circle {
                centre,
                radius_km: radius_km + b,
            },
            Hazard::Ellipse {
                centre,
                semi_major_km,
                semi_minor_km,
                orientation_deg,
            } => Hazard::Ellipse {
                centre,
                semi_major_km: semi_major_km + b,
                semi_minor_km: semi_minor_km + b,
                orientation_deg,
            },
            // A polygon grown by b is the polygon plus corridors along its rings.
            Hazard::Polygon(rings) => Hazard::BufferedPolygon {
                rings,
                buffer_km: b,
            },
            Hazard::BufferedPolygon { rings, buffer_km } => Hazard::BufferedPolygon {
                rings,
                buffer_km: buffer_km + b,
            },
        })
    }

    /// The pieces whose union is this hazard.
    pub(crate) fn pieces(&self) -> Result<Vec<Piece>, HazardError> {
        match self {
            Hazard::Point(p) => Ok(vec![Piece {
                rings: vec![vec![xy(*p)]],
                closed: false,
            }]),
            Hazard::Line(line) => {
                if line.len() < 2 {
                    return Err(HazardError::TooFewPoints {
                        what: "line",
                        min: 2,
                        got: line.len(),
                    });
                }
                let mut ring: Vec<_> = line.iter().map(|p| xy(*p)).collect();
                unwrap_longitudes(&mut ring);
                Ok(vec![Piece {
                    rings: vec![ring],
                    closed: false,
                }])
            }
            Hazard::Polygon(rings) => {
                let mut out = Vec::with_capacity(rings.len());
                for r in rings {
                    if r.len() < 3 {
                        return Err(HazardError::TooFewPoints {
                            what: "polygon ring",
                            min: 3,
                            got: r.len(),
                        });
                    }
                    let mut ring: Vec<_> = r.iter().map(|p| xy(*p)).collect();
                    unwrap_longitudes(&mut ring);
                    out.push(ring);
                }
                align_rings(&mut out);
                Ok(vec![Piece {
                    rings: out,
                    closed: true,
                }])
            }
            Hazard::Circle { centre, radius_km } => {
                let r = check_km("circle radius", *radius_km)?;
                Ok(vec![ellipse_piece(*centre, r, r, 0.0, CURVE_VERTICES)])
            }
            Hazard::Ellipse {
                centre,
                semi_major_km,
                semi_minor_km,
                orientation_deg,
            } => {
                let a = check_km("ellipse semi-major axis", *semi_major_km)?;
                let b = check_km("ellipse semi-minor axis", *semi_minor_km)?;
                if b > a {
                    return Err(HazardError::AxesSwapped { major: a, minor: b });
                }
                if !orientation_deg.is_finite() {
                    return Err(HazardError::BadDistance {
                        what: "ellipse orientation",
                        value: *orientation_deg,
                    });
                }
                Ok(vec![ellipse_piece(
                    *centre,
                    a,
                    b,
                    *orientation_deg,
                    CURVE_VERTICES,
                )])
            }
            Hazard::Corridor {
                line,
                half_width_km,
            } => {
                let w = check_km("corridor half-width", *half_width_km)?;
                corridor_pieces(line, w)
            }
            Hazard::BufferedPolygon { rings, buffer_km } => {
                let mut pieces = Hazard::Polygon(rings.clone()).pieces()?;
                for ring in rings {
                    let mut closed = ring.clone();
                    if closed.first() != closed.last() {
                        closed.extend(closed.first().copied());
                    }
                    pieces.extend(corridor_pieces(&closed, *buffer_km)?);
                }
                Ok(pieces)
            }
        }
    }
}

/// Make every ring's longitudes continuous with the exterior's (a hole near the
/// antimeridian must be shifted the same way as its exterior).
fn align_rings(rings: &mut [Vec<(f64, f64)>]) {
    let Some(x0) = rings.first().and_then(|r| r.first()).map(|p| p.0) else {
        return;
    };
    for ring in rings.iter_mut().skip(1) {
        if let Some(first) = ring.first().map(|p| p.0) {
            let shift = ((x0 - first) / 360.0).round() * 360.0;
            ring.iter_mut().for_each(|p| p.0 += shift);
        }
    }
}

/// An ellipse (or circle) as a circumscribing polygon: parametric samples in the local
/// tangent plane, scaled out by 1/cos(pi/n) so the polygon's edges are tangent to (not
/// inside) the ellipse, then placed on the ellipsoid by geodesic distance and azimuth
/// from the centre (an azimuthal equidistant placement).
fn ellipse_piece(
    centre: GeoPoint,
    a_km: f64,
    b_km: f64,
    orientation_deg: f64,
    vertices: usize,
) -> Piece {
    if a_km == 0.0 {
        return Piece {
            rings: vec![vec![xy(centre)]],
            closed: false,
        };
    }
    let grow = 1.0 / (PI / vertices as f64).cos();
    let mut ring = ellipse_points(centre, a_km, b_km, orientation_deg, vertices, grow);
    ring.push(ring[0]);
    unwrap_longitudes(&mut ring);
    Piece {
        rings: vec![ring],
        closed: true,
    }
}

/// A corridor as quadrilaterals along densified geodesic segments plus a round cap at
/// every vertex. Consecutive quadrilaterals share an edge exactly (same point, same
/// azimuth), so the union has no gaps; caps fill the joins.
/// What covers the join of two corridor segments at vertex `v`, given the azimuth
/// arriving and the azimuth leaving. The quadrilaterals on either side leave a wedge
/// open on the outside of the turn; it is covered, on both sides (the inner one is
/// harmless overlap), by a kite from the vertex through both offset points to where
/// their tangents meet, which contains the arc between them. Sharp turns (over 60
/// degrees) and zero-length segments get a full round cap instead.
fn join_pieces(v: GeoPoint, az_in: Option<f64>, az_out: Option<f64>, w_km: f64) -> Vec<Piece> {
    let (Some(az_in), Some(az_out)) = (az_in, az_out) else {
        return vec![ellipse_piece(v, w_km, w_km, 0.0, CAP_VERTICES)];
    };
    let turn = (az_out - az_in + 540.0).rem_euclid(360.0) - 180.0;
    if turn.abs() > 60.0 {
        return vec![ellipse_piece(v, w_km, w_km, 0.0, CAP_VERTICES)];
    }
    if turn == 0.0 {
        return Vec::new();
    }
    let w_m = w_km * 1000.0;
    let at = |az: f64, d_m: f64| {
        let (lat, lon, _) = destination_raw(v.lat_deg(), v.lon_deg(), az, d_m);
        (lon, lat)
    };
    let bisector = az_in + turn / 2.0;
    let apex_m = w_m / (turn.to_radians() / 2.0).cos();
    [-90.0, 90.0]
        .iter()
        .map(|side| {
            let mut ring = vec![
                (v.lon_deg(), v.lat_deg()),
                at(az_in + side, w_m),
                at(bisector + side, apex_m),
                at(az_out + side, w_m),
                (v.lon_deg(), v.lat_deg()),
            ];
            unwrap_longitudes(&mut ring);
            Piece {
                rings: vec![ring],
                closed: true,
            }
        })
        .collect()
}

fn corridor_pieces(line: &[GeoPoint], w_km: f64) -> Result<Vec<Piece>, HazardError> {
    if line.is_empty() {
        return Err(HazardError::TooFewPoints {
            what: "corridor",
            min: 1,
            got: 0,
        });
    }
    if w_km == 0.0 {
        return Hazard::Line(line.to_vec()).pieces();
    }
    let w_m = w_km * 1000.0;
    // Round caps at the two ends; the joins in between get wedges (below).
    let mut pieces: Vec<Piece> = vec![ellipse_piece(line[0], w_km, w_km, 0.0, CAP_VERTICES)];
    if line.len() > 1 {
        pieces.push(ellipse_piece(
            line[line.len() - 1],
            w_km,
            w_km,
            0.0,
            CAP_VERTICES,
        ));
    }
    // Forward azimuth at the start and at the end of each segment (None: zero length).
    let mut azimuths: Vec<Option<(f64, f64)>> = Vec::with_capacity(line.len());
    for pair in line.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (s12, azi1) = inverse_raw(a.lat_deg(), a.lon_deg(), b.lat_deg(), b.lon_deg());
        let steps = (s12 / CORRIDOR_STEP_M).ceil().max(1.0) as usize;
        // Points along the geodesic and the forward azimuth at each.
        let samples: Vec<(f64, f64, f64)> = (0..=steps)
            .map(|i| {
                destination_raw(
                    a.lat_deg(),
                    a.lon_deg(),
                    azi1,
                    s12 * i as f64 / steps as f64,
                )
            })
            .collect();
        azimuths.push((s12 > 0.0).then(|| (azi1, samples[samples.len() - 1].2)));
        let offset = |&(lat, lon, az): &(f64, f64, f64), side: f64| {
            let (olat, olon, _) = destination_raw(lat, lon, az + side * 90.0, w_m);
            (olon, olat)
        };
        for seg in samples.windows(2) {
            let mut ring = vec![
                offset(&seg[0], -1.0),
                offset(&seg[1], -1.0),
                offset(&seg[1], 1.0),
                offset(&seg[0], 1.0),
            ];
            ring.push(ring[0]);
            unwrap_longitudes(&mut ring);
            pieces.push(Piece {
                rings: vec![ring],
                closed: true,
            });
        }
    }
    for (j, v) in line
        .iter()
        .enumerate()
        .take(line.len().saturating_sub(1))
        .skip(1)
    {
        pieces.extend(join_pieces(
            *v,
            azimuths[j - 1].map(|a| a.1),
            azimuths[j].map(|a| a.0),
            w_km,
        ));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesy::destination;
    use crate::prepared::PreparedPolygon;

    /// Every point within 99% of the half-width of a corridor's turning vertex, in every
    /// direction, is inside one of its pieces (the joins leave no gap), for turns both
    /// ways, gentle and sharp.
    #[test]
    fn corridor_joins_leave_no_gap() {
        let v = GeoPoint::new(30.0, 130.0).unwrap();
        for turn in [-120.0, -45.0, -5.0, 0.5, 20.0, 59.0, 61.0, 150.0] {
            let (a, _) = destination(v, 180.0, 200_000.0);
            let (b, _) = destination(v, turn, 200_000.0);
            let pieces = corridor_pieces(&[a, v, b], 50.0).unwrap();
            let prepared: Vec<_> = pieces
                .iter()
                .map(|p| PreparedPolygon::from_rings(&p.rings))
                .collect();
            for k in 0..360 {
                let (p, _) = destination(v, k as f64, 49_500.0);
                let inside = prepared
                    .iter()
                    .any(|pp| pp.contains(p.lon_deg(), p.lat_deg()));
                assert!(inside, "turn {turn}: point at azimuth {k} not covered");
            }
        }
    }
}
