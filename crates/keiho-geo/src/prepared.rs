//! Prepared polygons: a polygon part with its edges bucketed into horizontal bands, so
//! point-in-polygon and edge-crossing tests touch only the few edges near a latitude
//! instead of every edge of a coastline with thousands of vertices.

use geo::Polygon;

/// One edge of a ring, planar in lon/lat degrees (as GeoJSON defines edges).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub(crate) x1: f64,
    pub(crate) y1: f64,
    pub(crate) x2: f64,
    pub(crate) y2: f64,
    /// dx/dy, precomputed for the crossing test (0 for horizontal edges, never used).
    dxdy: f64,
}

impl Edge {
    fn new(x1: f64, y1: f64, x2: f64, y2: f64) -> Self {
        let dxdy = if y2 != y1 { (x2 - x1) / (y2 - y1) } else { 0.0 };
        Self {
            x1,
            y1,
            x2,
            y2,
            dxdy,
        }
    }
}

/// Bounding box in lon/lat degrees: `[min_lon, min_lat, max_lon, max_lat]`.
pub(crate) type BBox = [f64; 4];

/// A polygon (exterior plus holes) with a band index over its edges.
#[derive(Debug, Clone)]
pub(crate) struct PreparedPolygon {
    pub(crate) bbox: BBox,
    y0: f64,
    band_height_inv: f64,
    /// `edges[band_start[b]..band_start[b + 1]]` are the edges overlapping band `b`.
    band_start: Vec<u32>,
    edges: Vec<Edge>,
    /// First vertex of the exterior ring: if it lies inside another shape and no edges
    /// cross, this whole polygon lies inside that shape.
    pub(crate) anchor: (f64, f64),
}

impl PreparedPolygon {
    /// Prepare rings of `(lon, lat)` vertices; the first ring is the exterior. Rings may
    /// be open or closed. The even-odd rule decides inside, so holes work as holes.
    pub(crate) fn from_rings(rings: &[Vec<(f64, f64)>]) -> Self {
        let mut all = Vec::new();
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for ring in rings {
            for (i, &(x1, y1)) in ring.iter().enumerate() {
                bbox = [
                    bbox[0].min(x1),
                    bbox[1].min(y1),
                    bbox[2].max(x1),
                    bbox[3].max(y1),
                ];
                let (x2, y2) = ring[(i + 1) % ring.len()];
                if (x1, y1) != (x2, y2) {
                    all.push(Edge::new(x1, y1, x2, y2));
                }
            }
        }
        let anchor = rings
            .first()
            .and_then(|r| r.first())
            .copied()
            .unwrap_or((f64::NAN, f64::NAN));
        // About two edges per band keeps the crossing loop short; the cap bounds memory
        // for the rare huge ring.
        let bands = (all.len() / 2).clamp(1, 4096);
        let height = (bbox[3] - bbox[1]).max(1e-9);
        let band_height_inv = bands as f64 / height;
        let band_of = |y: f64| (((y - bbox[1]) * band_height_inv) as usize).min(bands - 1);
        let mut per_band: Vec<Vec<Edge>> = vec![Vec::new(); bands];
        for e in &all {
            for band in &mut per_band[band_of(e.y1.min(e.y2))..=band_of(e.y1.max(e.y2))] {
                band.push(*e);
            }
        }
        let mut band_start = Vec::with_capacity(bands + 1);
        let mut edges = Vec::new();
        for band in per_band {
            band_start.push(edges.len() as u32);
            edges.extend(band);
        }
        band_start.push(edges.len() as u32);
        Self {
            bbox,
            y0: bbox[1],
            band_height_inv,
            band_start,
            edges,
            anchor,
        }
    }

    /// Prepare a `geo` polygon.
    pub(crate) fn from_polygon(p: &Polygon<f64>) -> Self {
        let ring = |ls: &geo::LineString<f64>| ls.coords().map(|c| (c.x, c.y)).collect::<Vec<_>>();
        let mut rings = vec![ring(p.exterior())];
        rings.extend(p.interiors().iter().map(ring));
        Self::from_rings(&rings)
    }

    fn band_range(&self, y_min: f64, y_max: f64) -> std::ops::Range<usize> {
        let bands = self.band_start.len() - 1;
        let band_of =
            |y: f64| (((y - self.y0) * self.band_height_inv).max(0.0) as usize).min(bands - 1);
        let (first, last) = (band_of(y_min), band_of(y_max));
        self.band_start[first] as usize..self.band_start[last + 1] as usize
    }

    /// Point-in-polygon by the crossing-number rule. A point on an edge shared by two
    /// polygons belongs to exactly one of them, so a border never yields two answers.
    #[inline]
    pub(crate) fn contains(&self, x: f64, y: f64) -> bool {
        let [x0, y0, x1, y1] = self.bbox;
        if !(x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            return false;
        }
        let mut inside = false;
        for e in &self.edges[self.band_range(y, y)] {
            if (e.y1 > y) != (e.y2 > y) && x < e.x1 + (y - e.y1) * e.dxdy {
                inside = !inside;
            }
        }
        inside
    }

    /// Whether the segment `a`-`b` touches or crosses any edge of this polygon.
    pub(crate) fn segment_crosses_boundary(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (sx0, sx1) = (a.0.min(b.0), a.0.max(b.0));
        let (sy0, sy1) = (a.1.min(b.1), a.1.max(b.1));
        let [x0, y0, x1, y1] = self.bbox;
        if sx1 < x0 || sx0 > x1 || sy1 < y0 || sy0 > y1 {
            return false;
        }
        self.edges[self.band_range(sy0.max(y0), sy1.min(y1))]
            .iter()
            .any(|e| {
                e.x1.max(e.x2) >= sx0
                    && e.x1.min(e.x2) <= sx1
                    && e.y1.max(e.y2) >= sy0
                    && e.y1.min(e.y2) <= sy1
                    && segments_intersect(a, b, (e.x1, e.y1), (e.x2, e.y2))
            })
    }

    /// Every edge, once per band it overlaps (callers must not rely on uniqueness).
    pub(crate) fn edges(&self) -> impl Iterator<Item = &Edge> {
        self.edges.iter()
    }
}

fn orient(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

fn on_segment(a: (f64, f64), b: (f64, f64), p: (f64, f64)) -> bool {
    p.0 >= a.0.min(b.0) && p.0 <= a.0.max(b.0) && p.1 >= a.1.min(b.1) && p.1 <= a.1.max(b.1)
}

/// Closed-segment intersection (touching counts): a hazard that touches a region's
/// border is treated as reaching it, erring on the side of warning.
pub(crate) fn segments_intersect(
    p1: (f64, f64),
    p2: (f64, f64),
    q1: (f64, f64),
    q2: (f64, f64),
) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(q1, q2, p1))
        || (d2 == 0.0 && on_segment(q1, q2, p2))
        || (d3 == 0.0 && on_segment(p1, p2, q1))
        || (d4 == 0.0 && on_segment(p1, p2, q2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square_with_hole() -> PreparedPolygon {
        PreparedPolygon::from_rings(&[
            vec![
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ],
            vec![(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)],
        ])
    }

    #[test]
    fn holes_are_outside() {
        let p = square_with_hole();
        assert!(p.contains(1.0, 1.0));
        assert!(!p.contains(5.0, 5.0));
        assert!(!p.contains(11.0, 5.0));
        assert!(!p.contains(-0.5, 5.0));
    }

    #[test]
    fn shared_border_belongs_to_one_side() {
        let left =
            PreparedPolygon::from_rings(&[vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]]);
        let right =
            PreparedPolygon::from_rings(&[vec![(1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0)]]);
        for y in [0.1, 0.5, 0.9] {
            assert!(left.contains(1.0, y) ^ right.contains(1.0, y), "y = {y}");
        }
    }

    #[test]
    fn crossings_detect_a_strip_through_a_triangle() {
        // A thin horizontal strip crossing a triangle: no vertex of either is inside the
        // other; only the horizontal edges cross.
        let strip = PreparedPolygon::from_rings(&[vec![
            (-10.0, 1.0),
            (10.0, 1.0),
            (10.0, 1.1),
            (-10.0, 1.1),
        ]]);
        assert!(strip.segment_crosses_boundary((0.0, 0.0), (0.5, 3.0)));
        assert!(!strip.segment_crosses_boundary((0.0, 2.0), (0.5, 3.0)));
    }
}
