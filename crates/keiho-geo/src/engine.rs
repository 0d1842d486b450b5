//! The region engine: a spatial index over every polygon part of every region, with
//! exact point-in-polygon and hazard-intersection tests behind it.

use crate::geodesy::inverse_raw;
use crate::grid::LocateGrid;
use crate::hazard::{Hazard, HazardError, Piece};
use crate::prepared::PreparedPolygon;
use crate::region::{LoadError, Region, load_bundled};
use keiho_types::{CountryCode, GeoPoint};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::sync::OnceLock;

/// Index of a region within its [`RegionSet`].
pub type RegionIndex = usize;

type PartBox = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// A set of regions with a spatial index: load once, query from many threads.
pub struct RegionSet {
    regions: Vec<Region>,
    /// Every polygon of every region, prepared; `part_region[i]` owns `parts[i]`.
    parts: Vec<PreparedPolygon>,
    part_region: Vec<RegionIndex>,
    tree: RTree<PartBox>,
    /// Accelerates `locate`; the tree serves hazards and distances.
    grid: LocateGrid,
    /// Regions sharing a border with each region, computed on first use.
    neighbours: OnceLock<Vec<Vec<RegionIndex>>>,
}

/// A region near a point and its geodesic distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearby {
    /// The region.
    pub region: RegionIndex,
    /// Geodesic distance from the point to the region's boundary, km (0 inside).
    pub distance_km: f64,
}

impl std::fmt::Debug for RegionSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegionSet")
            .field("regions", &self.regions.len())
            .field("parts", &self.parts.len())
            .finish_non_exhaustive()
    }
}

impl RegionSet {
    /// Build the engine over any regions (tests use small synthetic sets).
    pub fn new(regions: Vec<Region>) -> Self {
        let mut parts = Vec::new();
        let mut part_region = Vec::new();
        for (i, r) in regions.iter().enumerate() {
            for poly in &r.geometry {
                parts.push(PreparedPolygon::from_polygon(poly));
                part_region.push(i);
            }
        }
        let boxes = parts
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let [x0, y0, x1, y1] = p.bbox;
                GeomWithData::new(Rectangle::from_corners([x0, y0], [x1, y1]), i as u32)
            })
            .collect();
        let grid = LocateGrid::build(&parts, &part_region);
        Self {
            regions,
            parts,
            part_region,
            tree: RTree::bulk_load(boxes),
            grid,
            neighbours: OnceLock::new(),
        }
    }

    /// The West Pacific admin-1 regions compiled into the binary (see `data/README.md`).
    pub fn load_bundled() -> Result<Self, LoadError> {
        Ok(Self::new(load_bundled()?))
    }

    /// The bundled set, loaded on first use and shared for the life of the process.
    pub fn bundled() -> Result<&'static RegionSet, LoadError> {
        static SET: OnceLock<RegionSet> = OnceLock::new();
        if let Some(set) = SET.get() {
            return Ok(set);
        }
        let set = Self::load_bundled()?;
        Ok(SET.get_or_init(|| set))
    }

    /// All regions, in a stable order (the order of the source data).
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// One region.
    pub fn region(&self, index: RegionIndex) -> &Region {
        &self.regions[index]
    }

    /// Find a region by its code.
    pub fn by_code(&self, code: &str) -> Option<RegionIndex> {
        self.regions.iter().position(|r| r.code.as_str() == code)
    }

    /// The region containing a point, if any. Where regions overlap (they should not,
    /// but source data has slivers) the first in source order wins, deterministically.
    pub fn locate(&self, p: GeoPoint) -> Option<RegionIndex> {
        self.locate_xy(p.lon_deg(), p.lat_deg())
    }

    #[inline]
    fn locate_xy(&self, x: f64, y: f64) -> Option<RegionIndex> {
        self.grid.locate(x, y, &self.parts, &self.part_region)
    }

    /// `locate` through the R-tree alone (no grid): the index path the grid must agree
    /// with; kept for tests and benchmarks.
    pub fn locate_with_tree(&self, p: GeoPoint) -> Option<RegionIndex> {
        let (x, y) = (p.lon_deg(), p.lat_deg());
        let mut best: Option<RegionIndex> = None;
        for part in self.tree.locate_all_at_point(&[x, y]) {
            let i = part.data as usize;
            let region = self.part_region[i];
            if best.is_some_and(|b| b <= region) {
                continue;
            }
            if self.parts[i].contains(x, y) {
                best = Some(region);
            }
        }
        best
    }

    /// Locate many points on the current thread.
    pub fn locate_all(&self, points: &[GeoPoint]) -> Vec<Option<RegionIndex>> {
        points.iter().map(|p| self.locate(*p)).collect()
    }

    /// Locate many points on all cores (rayon); results in input order.
    pub fn locate_all_parallel(&self, points: &[GeoPoint]) -> Vec<Option<RegionIndex>> {
        points
            .par_iter()
            .with_min_len(4096)
            .map(|p| self.locate(*p))
            .collect()
    }

    /// The reference answer: test every region in order with `geo`'s own
    /// point-in-polygon. Slow; for tests that check the index against it.
    pub fn locate_brute_force(&self, p: GeoPoint) -> Option<RegionIndex> {
        use geo::Contains;
        let c = geo::Point::new(p.lon_deg(), p.lat_deg());
        self.regions.iter().position(|r| r.geometry.contains(&c))
    }

    /// Every region a hazard touches (sorted by index, no duplicates). Touching the
    /// border counts: a warning errs on the side of inclusion.
    pub fn hit(&self, hazard: &Hazard) -> Result<Vec<RegionIndex>, HazardError> {
        let pieces = hazard.pieces()?;
        let mut hit = vec![false; self.regions.len()];
        for piece in &pieces {
            for shifted in antimeridian_copies(piece) {
                self.mark_hits(&shifted, &mut hit);
            }
        }
        Ok(hit
            .iter()
            .enumerate()
            .filter_map(|(i, &h)| h.then_some(i))
            .collect())
    }

    fn mark_hits(&self, piece: &Piece, hit: &mut [bool]) {
        let [x0, y0, x1, y1] = piece.bbox();
        let envelope = AABB::from_corners([x0, y0], [x1, y1]);
        let piece_prepared = piece
            .closed
            .then(|| PreparedPolygon::from_rings(&piece.rings));
        for part in self.tree.locate_in_envelope_intersecting(&envelope) {
            let i = part.data as usize;
            let region = self.part_region[i];
            if !hit[region] && piece_touches_part(piece, piece_prepared.as_ref(), &self.parts[i]) {
                hit[region] = true;
            }
        }
    }

    /// Geodesic distance in km from a point to a region (0 when inside).
    ///
    /// The region's vertices are placed in an azimuthal equidistant frame centred on the
    /// point (exact geodesic distance and azimuth to every vertex); the distance to each
    /// edge is then measured in that frame. Edges in the data are about 1 km long, so
    /// the error from treating an edge as straight in that frame is metres.
    pub fn distance_km(&self, p: GeoPoint, region: RegionIndex) -> f64 {
        let (px, py) = (p.lon_deg(), p.lat_deg());
        let mut best = f64::INFINITY;
        for (i, part) in self.parts.iter().enumerate() {
            if self.part_region[i] != region {
                continue;
            }
            if part.contains(px, py) {
                return 0.0;
            }
            for e in part.edges() {
                let a = aeqd(py, px, e.y1, e.x1);
                let b = aeqd(py, px, e.y2, e.x2);
                best = best.min(distance_to_segment(a, b));
            }
        }
        best / 1000.0
    }

    /// Regions within `km` of a point, nearest first.
    pub fn near(&self, p: GeoPoint, km: f64) -> Vec<Nearby> {
        if !(km.is_finite() && km >= 0.0) {
            return Vec::new();
        }
        // A box certain to hold everything within `km`: a degree of latitude is at
        // least 110.5 km; a degree of longitude at least 111.3 km * cos(latitude).
        let dlat = km / 110.5 + 0.01;
        let far_lat = (p.lat_deg().abs() + dlat).min(90.0);
        let dlon = if far_lat >= 89.0 {
            180.0
        } else {
            km / (111.3 * far_lat.to_radians().cos()) + 0.01
        };
        let mut candidates = vec![false; self.regions.len()];
        for shift in [-360.0, 0.0, 360.0] {
            let (x0, x1) = (p.lon_deg() - dlon + shift, p.lon_deg() + dlon + shift);
            if x1 < -180.0 || x0 > 180.0 {
                continue;
            }
            let env = AABB::from_corners([x0, p.lat_deg() - dlat], [x1, p.lat_deg() + dlat]);
            for part in self.tree.locate_in_envelope_intersecting(&env) {
                candidates[self.part_region[part.data as usize]] = true;
            }
        }
        let mut out: Vec<Nearby> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| **c)
            .map(|(region, _)| Nearby {
                region,
                distance_km: self.distance_km(p, region),
            })
            .filter(|n| n.distance_km <= km)
            .collect();
        out.sort_by(|a, b| {
            a.distance_km
                .total_cmp(&b.distance_km)
                .then(a.region.cmp(&b.region))
        });
        out
    }

    /// Regions sharing a land border with `region` (sorted). Two regions are neighbours
    /// when their boundaries share at least two vertices, which is how adjacent regions
    /// meet in the bundled data (shared edges are stored identically on both sides).
    /// Regions across a strait are not neighbours.
    pub fn neighbours(&self, region: RegionIndex) -> &[RegionIndex] {
        let all = self
            .neighbours
            .get_or_init(|| shared_vertex_neighbours(&self.regions));
        all.get(region).map_or(&[], Vec::as_slice)
    }

    /// Keep only regions of the given countries (a deployment's jurisdiction).
    pub fn in_jurisdiction(
        &self,
        regions: &[RegionIndex],
        countries: &[CountryCode],
    ) -> Vec<RegionIndex> {
        regions
            .iter()
            .copied()
            .filter(|&r| countries.contains(&self.regions[r].country))
            .collect()
    }
}

/// The piece itself plus copies shifted by 360 degrees where it reaches past the
/// antimeridian, so they meet regions stored in [-180, 180].
fn antimeridian_copies(piece: &Piece) -> Vec<Piece> {
    let [x0, _, x1, _] = piece.bbox();
    let mut out = Vec::with_capacity(2);
    for shift in [-360.0, 0.0, 360.0] {
        if x1 + shift >= -180.0 && x0 + shift <= 180.0 {
            out.push(if shift == 0.0 {
                piece.clone()
            } else {
                piece.shifted(shift)
            });
        }
    }
    out
}

/// Exact test: does a hazard piece touch a region part?
fn piece_touches_part(
    piece: &Piece,
    piece_prepared: Option<&PreparedPolygon>,
    part: &PreparedPolygon,
) -> bool {
    // A piece vertex inside the part.
    if piece
        .rings
        .iter()
        .flatten()
        .any(|&(x, y)| part.contains(x, y))
    {
        return true;
    }
    // The part lies wholly inside an area piece.
    if let Some(prepared) = piece_prepared {
        if prepared.contains(part.anchor.0, part.anchor.1) {
            return true;
        }
    }
    // Otherwise they meet only if edges cross.
    piece.rings.iter().any(|ring| {
        let n = ring.len();
        let segments = if piece.closed { n } else { n.saturating_sub(1) };
        (0..segments).any(|i| part.segment_crosses_boundary(ring[i], ring[(i + 1) % n]))
    })
}

/// Azimuthal equidistant coordinates (metres east, north) of a vertex seen from the
/// centre: exact geodesic distance and azimuth.
fn aeqd(lat0: f64, lon0: f64, lat: f64, lon: f64) -> (f64, f64) {
    let (s, az) = inverse_raw(lat0, lon0, lat, lon);
    let (saz, caz) = az.to_radians().sin_cos();
    (s * saz, s * caz)
}

/// Distance from the origin to segment a-b in a plane.
fn distance_to_segment(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a.0 + t * dx).hypot(a.1 + t * dy)
}

fn shared_vertex_neighbours(regions: &[Region]) -> Vec<Vec<RegionIndex>> {
    use std::collections::HashMap;
    // Coordinates are on a 1e-5 degree grid: scaled integers compare exactly.
    let key = |c: &geo::Coord<f64>| ((c.x * 1e5).round() as i64, (c.y * 1e5).round() as i64);
    let mut owners: HashMap<(i64, i64), Vec<RegionIndex>> = HashMap::new();
    for (i, r) in regions.iter().enumerate() {
        for poly in &r.geometry {
            for c in poly.exterior().coords() {
                let v = owners.entry(key(c)).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
        }
    }
    let mut shared: HashMap<(RegionIndex, RegionIndex), u32> = HashMap::new();
    for v in owners.values() {
        for (a, &i) in v.iter().enumerate() {
            for &j in &v[a + 1..] {
                if i != j {
                    *shared.entry((i.min(j), i.max(j))).or_default() += 1;
                }
            }
        }
    }
    let mut out = vec![Vec::new(); regions.len()];
    for ((i, j), n) in shared {
        if n >= 2 {
            out[i].push(j);
            out[j].push(i);
        }
    }
    for v in &mut out {
        v.sort_unstable();
        v.dedup();
    }
    out
}
