//! Passes over regions: when the sub-satellite point, or a nadir-pointing sensor's
//! ground footprint (a cone of given half-angle), covers any part of a region.
//!
//! The search is built to run a year of 1,000 objects over 47 regions in under a minute:
//!
//! 1. **Bounding caps.** Every target region, and every polygon part of it, gets a
//!    spherical cap (centre, angular radius) on a sphere of mean radius onto which
//!    geodetic lat/lon are mapped. Distances on that sphere are within 0.6% of WGS84
//!    geodesics, so every bound below adds a 1% + 2 km margin.
//! 2. **Safe skipping.** The sub-satellite point cannot move faster than a bound taken
//!    from the orbit (perigee speed over perigee radius, plus the Earth's rotation, plus
//!    10%). When it is farther from every region cap than the largest footprint, the
//!    search jumps ahead by the time it needs to get closer: no coverage can start in
//!    that time. Most of each orbit is crossed in a few jumps.
//!    A 0.5-degree grid around the targets holds, per cell, a lower bound of the
//!    distance to every polygon part, so the bound costs one lookup.
//! 3. **Near a region** the state is sampled every [`REGION_STEP_S`]. Each target is
//!    decided by its part caps when they suffice (footprint certainly touches, or
//!    certainly misses); only the uncertain ones go to the exact region engine:
//!    `RegionSet::locate` for the sub-satellite point, `RegionSet::hit` with a
//!    geodesic `Hazard::Circle` for a footprint.
//! 4. **Edges.** Between two samples, the first (entry) or last (exit) covered
//!    instant is found by scanning the step every [`FINE_STEP_S`] on the
//!    interpolated track, then bisection on the exact test to [`REGION_TOL_S`].
//! 5. **Brief episodes** that start and end between two near samples (a track
//!    clipping a corner or a small island) are caught by testing the step's swath
//!    exactly (`Hazard::Line`) and searching it every [`FINE_STEP_S`]; for a
//!    footprint, by scanning the step every [`FOOTPRINT_SCAN_S`].
//!
//! A footprint's exact test first bounds the distance to the region's boundary by its
//! nearest vertex (above) and that minus half the longest edge (below); only the band
//! between goes to `RegionSet::hit` with a geodesic `Hazard::Circle`.
//!
//! Passes of one object over one region less than [`MERGE_GAP_S`] apart are merged:
//! a pass runs from the first to the last coverage of one crossing.
//!
//! Limits, stated: an episode shorter than [`FINE_STEP_S`] (~4 km of ground track) can
//! be missed ([`FOOTPRINT_SCAN_S`] for a footprint, whose exact test is far dearer); between samples the track is interpolated along the great-circle arc,
//! while the real ground track departs from it by tens of metres over a 20 s step
//! (the Earth's rotation speed under the track changes with latitude), i.e. well
//! under 0.01 s; `tests/region_passes.rs` checks entries and exits against a 0.1 s
//! brute-force scan at 0.15 s. The footprint is a circle on the local sphere of the
//! sub-satellite point (error below 1% of its radius, plus the ellipsoid's
//! flattening); the whole search uses the sub-satellite point of the geodetic normal.
//!
//! Cost (BENCHMARKS.md): a year of 1,000 LEO objects over the 47 prefectures takes
//! about 80 s of CPU, ~40 s on this machine's two cores when they are free.

use crate::OrbitError;
use crate::elements::ElementSet;
use crate::passes::{check_window, window_warnings};
use crate::propagate::{Propagator, Track};
use chrono::{DateTime, Utc};
use keiho_geo::frames::{WGS84_A_M, WGS84_B_M, WGS84_E2};
use keiho_geo::{Hazard, RegionIndex, RegionSet};
use keiho_types::GeoPoint;
use rayon::prelude::*;
use serde::Serialize;

/// Sampling step near a region, s.
pub const REGION_STEP_S: f64 = 20.0;
/// Time tolerance of region entry and exit, s.
pub const REGION_TOL_S: f64 = 0.02;
/// Edge scan step for footprints, s (see [`FINE_STEP_S`] for the sub-satellite point).
pub const FOOTPRINT_SCAN_S: f64 = 5.0;
/// Passes of one object over one region closer than this are one pass, s.
pub const MERGE_GAP_S: f64 = 60.0;
/// Step of the search for a brief coverage inside one near step, s.
pub const FINE_STEP_S: f64 = 0.5;
/// Mean Earth radius of the bounding sphere, km.
const R_SPHERE_KM: f64 = 6371.0088;
/// Earth's rotation, rad/s.
const OMEGA_EARTH: f64 = 7.292_115e-5;

/// What has to cover a region.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Coverage {
    /// The sub-satellite point is inside the region.
    SubSatellitePoint,
    /// A nadir-pointing sensor with this cone half-angle sees part of the region.
    NadirCone {
        /// Half-angle of the cone at the satellite, degrees (0 < x < 90).
        half_angle_deg: f64,
    },
}

impl Coverage {
    /// From a half-angle in degrees (0: the sub-satellite point).
    pub fn from_half_angle(half_angle_deg: f64) -> Result<Self, OrbitError> {
        if half_angle_deg == 0.0 {
            Ok(Coverage::SubSatellitePoint)
        } else if half_angle_deg > 0.0 && half_angle_deg < 90.0 {
            Ok(Coverage::NadirCone { half_angle_deg })
        } else {
            Err(OrbitError::Window(format!(
                "half-angle {half_angle_deg} deg must be in [0, 90)"
            )))
        }
    }

    /// Ground radius of the footprint, km (geocentric arc on a sphere of radius
    /// `earth_km`), seen from height `alt_km`; limited by the horizon.
    pub fn radius_km(self, alt_km: f64, earth_km: f64) -> f64 {
        match self {
            Coverage::SubSatellitePoint => 0.0,
            Coverage::NadirCone { half_angle_deg } => {
                let eta = half_angle_deg.to_radians();
                let rs = earth_km + alt_km.max(0.0);
                let s = rs * eta.sin() / earth_km;
                let lambda = if s >= 1.0 {
                    (earth_km / rs).acos()
                } else {
                    s.asin() - eta
                };
                earth_km * lambda.max(0.0)
            }
        }
    }
}

/// An interval during which an object covers a region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionPass {
    /// The object.
    pub norad_id: u64,
    /// Its name, if known.
    pub name: Option<String>,
    /// Region code (ISO 3166-2, e.g. `JP-47`).
    pub region: String,
    /// Region name in English.
    pub region_name: String,
    /// Start of coverage (UTC).
    pub start: DateTime<Utc>,
    /// End of coverage (UTC).
    pub end: DateTime<Utc>,
    /// `end - start`, s.
    pub duration_s: f64,
    /// Coverage was already on at the start of the window.
    pub starts_before_window: bool,
    /// Coverage was still on at the end of the window.
    pub ends_after_window: bool,
    /// Footprint radius at the start of coverage, km (0 for the sub-satellite point).
    pub footprint_radius_km: f64,
}

/// Region passes with warnings about the elements used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionPassReport {
    /// Passes ordered by start time, then region code.
    pub passes: Vec<RegionPass>,
    /// Doubts (stale epochs, propagation that stopped early).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Cap {
    centre: [f64; 3],
    radius_rad: f64,
    /// cos and sin of the radius, for tests by dot product.
    cos_r: f64,
    sin_r: f64,
    /// A boundary vertex: a point that belongs to the region.
    vertex: [f64; 3],
}

#[derive(Debug, Clone)]
struct Target {
    region: RegionIndex,
    code: String,
    name: String,
    cap: Cap,
    parts: Vec<Cap>,
    /// Every boundary vertex of each part (all rings), for the footprint test.
    vertices: Vec<Vec<[f64; 3]>>,
    /// Half the longest edge of each part, radians: every boundary point is at most
    /// this far from a vertex.
    half_edge_rad: Vec<f64>,
}

/// Target regions prepared for pass searches; build once, use for many objects.
#[derive(Debug)]
pub struct RegionWatch<'a> {
    set: &'a RegionSet,
    targets: Vec<Target>,
    /// A cap around every target, for the first (cheapest) bound.
    all: Cap,
    /// Lower bounds of the distance to every target per lat/lon cell near them.
    grid: BoundGrid,
}

/// Cell size of [`BoundGrid`], degrees.
const GRID_DEG: f64 = 0.5;

/// A lat/lon grid over the box around the targets; each cell holds a lower bound of
/// the distance (km, bounding sphere) from any point of the cell to every target's
/// polygon parts. Outside the box, the cap around all targets gives the bound.
#[derive(Debug)]
struct BoundGrid {
    lat0: f64,
    lon0: f64,
    rows: usize,
    cols: usize,
    bound_km: Vec<f32>,
}

impl BoundGrid {
    fn build(targets: &[Target], all: &Cap, extra_km: f64) -> Self {
        let c = all.centre;
        let lat_c = c[2].clamp(-1.0, 1.0).asin().to_degrees();
        let lon_c = c[1].atan2(c[0]).to_degrees();
        let half_deg = (all.radius_rad + extra_km / R_SPHERE_KM).to_degrees();
        let lat0 = (lat_c - half_deg).max(-90.0);
        let lat1 = (lat_c + half_deg).min(90.0);
        let coslat = lat0.abs().max(lat1.abs()).min(89.0).to_radians().cos();
        let half_lon = (half_deg / coslat).min(180.0);
        let lon0 = lon_c - half_lon;
        let rows = ((lat1 - lat0) / GRID_DEG).ceil() as usize;
        let cols = ((2.0 * half_lon) / GRID_DEG).ceil() as usize;
        // Half-diagonal of a cell (at most, on the sphere), radians.
        let half_diag = (2.0f64).sqrt() * GRID_DEG.to_radians() / 2.0 + 1e-6;
        let parts: Vec<&Cap> = targets.iter().flat_map(|t| t.parts.iter()).collect();
        let bound_km = (0..rows * cols)
            .into_par_iter()
            .map(|k| {
                let (r, q) = (k / cols, k % cols);
                let lat = lat0 + (r as f64 + 0.5) * GRID_DEG;
                let lon = lon0 + (q as f64 + 0.5) * GRID_DEG;
                let u = unit(lat, lon);
                let d = parts
                    .iter()
                    .map(|p| p.distance_rad(&u))
                    .fold(f64::INFINITY, f64::min);
                // Round down: the value is a lower bound.
                ((d - half_diag) * R_SPHERE_KM).max(0.0) as f32 * 0.999
            })
            .collect();
        Self {
            lat0,
            lon0,
            rows,
            cols,
            bound_km,
        }
    }

    fn get(&self, lat: f64, lon: f64) -> Option<f64> {
        let r = ((lat - self.lat0) / GRID_DEG).floor();
        let mut dl = (lon - self.lon0).rem_euclid(360.0);
        if dl < 0.0 {
            dl = 0.0;
        }
        let q = (dl / GRID_DEG).floor();
        if r < 0.0 || q < 0.0 || r as usize >= self.rows || q as usize >= self.cols {
            return None;
        }
        self.bound_km
            .get(r as usize * self.cols + q as usize)
            .map(|&v| f64::from(v))
    }
}

fn unit(lat_deg: f64, lon_deg: f64) -> [f64; 3] {
    let (sl, cl) = lat_deg.to_radians().sin_cos();
    let (so, co) = lon_deg.to_radians().sin_cos();
    [cl * co, cl * so, sl]
}

fn angle(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let cx = a[1] * b[2] - a[2] * b[1];
    let cy = a[2] * b[0] - a[0] * b[2];
    let cz = a[0] * b[1] - a[1] * b[0];
    (cx * cx + cy * cy + cz * cz).sqrt().atan2(dot)
}

fn cap_of(points: &[[f64; 3]]) -> Option<Cap> {
    let first = *points.first()?;
    let mut c = [0.0; 3];
    for p in points {
        for k in 0..3 {
            c[k] += p[k];
        }
    }
    let n = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
    let centre = if n > 1e-9 {
        [c[0] / n, c[1] / n, c[2] / n]
    } else {
        first
    };
    let radius = points.iter().map(|p| angle(&centre, p)).fold(0.0, f64::max);
    // Edges are straight in lon/lat, not great circles: a little slack covers the bulge
    // of edges of a few km.
    Some(Cap::new(centre, radius + 1e-4, first))
}

impl Cap {
    fn new(centre: [f64; 3], radius_rad: f64, vertex: [f64; 3]) -> Self {
        Self {
            centre,
            radius_rad,
            cos_r: radius_rad.cos(),
            sin_r: radius_rad.sin(),
            vertex,
        }
    }

    /// Is `u` farther than `e` (given as cos, sin) from the cap? Dot products only.
    #[inline]
    fn beyond(&self, u: &[f64; 3], e: (f64, f64), e_rad: f64) -> bool {
        self.radius_rad + e_rad < std::f64::consts::PI
            && dot(u, &self.centre) < self.cos_r * e.0 - self.sin_r * e.1
    }

    /// Angular distance from `u` to the cap (negative inside).
    #[inline]
    fn distance_rad(&self, u: &[f64; 3]) -> f64 {
        dot(u, &self.centre).clamp(-1.0, 1.0).acos() - self.radius_rad
    }
}

/// cos and sin of an angle; series for the tiny reach of the sub-satellite point
/// (exact to 1e-16 below 1e-3 rad), the library otherwise.
#[inline]
fn small_angle_cos_sin(x: f64) -> (f64, f64) {
    if x < 1e-3 {
        let x2 = x * x;
        (
            1.0 - x2 / 2.0 + x2 * x2 / 24.0,
            x * (1.0 - x2 / 6.0 + x2 * x2 / 120.0),
        )
    } else {
        (x.cos(), x.sin())
    }
}

#[inline]
fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Two consecutive near samples and their times (s from the window start).
struct Segment<'s> {
    a: &'s Sample,
    b: &'s Sample,
    ta: f64,
    tb: f64,
}

impl Segment<'_> {
    /// The sample at `t` in the segment: interpolated along the great-circle arc
    /// between the ends (slerp; the ground track departs from that arc by well under
    /// 100 m over a near step, i.e. under 0.02 s), or propagated when the segment is
    /// a long jump.
    fn at(&self, track: &Track<'_>, coverage: Coverage, t: f64) -> Option<Sample> {
        let span = self.tb - self.ta;
        if span > 2.5 * REGION_STEP_S || span <= 0.0 {
            return sample(track, t, coverage).ok();
        }
        let f = ((t - self.ta) / span).clamp(0.0, 1.0);
        let (a, b) = (&self.a.u, &self.b.u);
        // Normalised linear interpolation: over a near step (< 2 deg of arc) its
        // departure from uniform motion along the arc is below 10 m.
        let m = [
            (1.0 - f) * a[0] + f * b[0],
            (1.0 - f) * a[1] + f * b[1],
            (1.0 - f) * a[2] + f * b[2],
        ];
        let n = dot(&m, &m).sqrt();
        if n < 1e-9 {
            return sample(track, t, coverage).ok();
        }
        let u = [m[0] / n, m[1] / n, m[2] / n];
        Some(Sample {
            lat: u[2].clamp(-1.0, 1.0).asin().to_degrees(),
            lon: u[1].atan2(u[0]).to_degrees(),
            u,
            footprint_km: self.a.footprint_km + f * (self.b.footprint_km - self.a.footprint_km),
        })
    }
}

/// Where the object is at one sample.
#[derive(Debug, Clone, Copy)]
struct Sample {
    lat: f64,
    lon: f64,
    u: [f64; 3],
    footprint_km: f64,
}

impl<'a> RegionWatch<'a> {
    /// Prepare regions given by code (e.g. `JP-47`); unknown codes are an error.
    pub fn new(set: &'a RegionSet, codes: &[&str]) -> Result<Self, OrbitError> {
        let mut targets = Vec::with_capacity(codes.len());
        for code in codes {
            let region = set
                .by_code(code)
                .ok_or_else(|| OrbitError::Region(format!("no region with code {code:?}")))?;
            let r = set.region(region);
            let mut parts = Vec::new();
            let mut vertices = Vec::new();
            let mut half_edge_rad = Vec::new();
            let mut all = Vec::new();
            for poly in &r.geometry {
                let pts: Vec<[f64; 3]> = poly.exterior().coords().map(|c| unit(c.y, c.x)).collect();
                if let Some(cap) = cap_of(&pts) {
                    let mut verts = pts.clone();
                    for hole in poly.interiors() {
                        verts.extend(hole.coords().map(|c| unit(c.y, c.x)));
                    }
                    let half = std::iter::once(poly.exterior())
                        .chain(poly.interiors())
                        .flat_map(|ring| {
                            ring.lines().map(|l| {
                                angle(&unit(l.start.y, l.start.x), &unit(l.end.y, l.end.x))
                            })
                        })
                        .fold(0.0, f64::max)
                        / 2.0;
                    parts.push(cap);
                    vertices.push(verts);
                    half_edge_rad.push(half);
                }
                all.extend(pts);
            }
            let cap = cap_of(&all)
                .ok_or_else(|| OrbitError::Region(format!("region {code} has no geometry")))?;
            targets.push(Target {
                region,
                code: r.code.as_str().to_owned(),
                name: r.name_en.clone(),
                cap,
                parts,
                vertices,
                half_edge_rad,
            });
        }
        let centres: Vec<[f64; 3]> = targets.iter().map(|t| t.cap.centre).collect();
        let centre =
            cap_of(&centres).ok_or_else(|| OrbitError::Region("no target regions".to_owned()))?;
        let radius = targets
            .iter()
            .map(|t| angle(&centre.centre, &t.cap.centre) + t.cap.radius_rad)
            .fold(0.0, f64::max);
        let all = Cap::new(centre.centre, radius, centre.vertex);
        // The box reaches 3,000 km beyond the targets: farther out, the all-targets cap
        // is nearly as tight and jumps are long anyway.
        let grid = BoundGrid::build(&targets, &all, 3_000.0);
        Ok(Self {
            set,
            targets,
            all,
            grid,
        })
    }

    /// A lower bound of the distance (km, on the bounding sphere) from `u` to every
    /// target. Bounds below `near_km` are tightened with the polygon parts' caps.
    fn lower_bound_km(&self, u: &[f64; 3], near_km: f64) -> f64 {
        let global = R_SPHERE_KM * self.all.distance_rad(u);
        if global > near_km {
            return global;
        }
        let near_rad = near_km / R_SPHERE_KM;
        let near = near_rad.sin_cos();
        let near = (near.1, near.0);
        // The nearest target cap maximises cos(angle - radius): one acos, not one each.
        let mut best_key = f64::NEG_INFINITY;
        let mut inside = false;
        for tg in &self.targets {
            let c = dot(u, &tg.cap.centre);
            inside |= c >= tg.cap.cos_r;
            let key = c * tg.cap.cos_r + (1.0 - c * c).max(0.0).sqrt() * tg.cap.sin_r;
            best_key = best_key.max(key);
        }
        let nearest_cap_km = if inside {
            0.0
        } else {
            R_SPHERE_KM * best_key.clamp(-1.0, 1.0).acos()
        };
        if nearest_cap_km > near_km {
            return nearest_cap_km;
        }
        let mut best = f64::INFINITY;
        for tg in &self.targets {
            if tg.cap.beyond(u, near, near_rad) {
                best = best.min(near_km);
                continue;
            }
            for p in &tg.parts {
                // A part beyond `near` is at least `near` away: enough for the bound.
                let dp = if p.beyond(u, near, near_rad) {
                    near_km
                } else {
                    R_SPHERE_KM * p.distance_rad(u)
                };
                best = best.min(dp);
            }
        }
        best
    }

    /// Every Japanese prefecture (JP-01 .. JP-47).
    pub fn japan_prefectures(set: &'a RegionSet) -> Result<Self, OrbitError> {
        let codes: Vec<String> = (1..=47).map(|i| format!("JP-{i:02}")).collect();
        let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
        Self::new(set, &refs)
    }

    /// Number of target regions.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True when there are no targets.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Passes of many objects, in parallel (rayon). Objects whose propagation fails
    /// contribute a warning, not an error.
    pub fn passes_many(
        &self,
        sets: &[ElementSet],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        coverage: Coverage,
    ) -> Result<RegionPassReport, OrbitError> {
        check_window(from, to)?;
        let reports: Vec<Result<RegionPassReport, OrbitError>> = sets
            .par_iter()
            .map(|s| self.passes(s, from, to, coverage))
            .collect();
        let mut passes = Vec::new();
        let mut warnings = Vec::new();
        for (s, r) in sets.iter().zip(reports) {
            match r {
                Ok(r) => {
                    passes.extend(r.passes);
                    warnings.extend(r.warnings);
                }
                Err(e) => warnings.push(format!("NORAD {}: skipped: {e}", s.norad_id)),
            }
        }
        sort_passes(&mut passes);
        Ok(RegionPassReport { passes, warnings })
    }

    /// Passes of one object over the target regions between `from` and `to`.
    pub fn passes(
        &self,
        elements: &ElementSet,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        coverage: Coverage,
    ) -> Result<RegionPassReport, OrbitError> {
        let span_s = check_window(from, to)?;
        let prop = Propagator::new(elements)?;
        let track = prop.track(from);
        let mut warnings: Vec<String> = window_warnings(elements, from, to)
            .into_iter()
            .map(|w| w.message)
            .collect();
        let n = self.targets.len();
        // Bounds from the orbit: largest footprint, fastest sub-satellite point.
        let r_fp_max = coverage.radius_km(elements.apogee_alt_km() * 1.05 + 50.0, R_SPHERE_KM);
        let margin_km = 1.01 * r_fp_max + 2.0;
        let a = elements.semi_major_axis_km();
        let e = elements.eccentricity;
        let rp = (a * (1.0 - e)).max(6_300.0);
        let vp = (398_600.8 * (1.0 + e) / rp).sqrt();
        let v_max_km_s = 1.1 * R_SPHERE_KM * (vp / rp + OMEGA_EARTH);

        let mut passes = Vec::new();
        let mut open: Vec<Option<(f64, f64)>> = vec![None; n];
        let mut prev_state = vec![false; n];
        let mut state = vec![false; n];
        let mut prev_t = 0.0;
        let mut t = 0.0;
        let mut first = true;
        let mut prev_near = false;
        let mut prev_sample: Option<Sample> = None;
        loop {
            let s = match sample(&track, t, coverage) {
                Ok(s) => s,
                Err(e) => {
                    warnings.push(format!("search stopped at {}: {e}", track.time(t)));
                    break;
                }
            };
            let d_min = self.grid.get(s.lat, s.lon).unwrap_or_else(|| {
                self.lower_bound_km(&s.u, margin_km + v_max_km_s * REGION_STEP_S)
            });
            let gap_km = d_min - margin_km;
            let far = gap_km > v_max_km_s * REGION_STEP_S;
            if far {
                state.iter_mut().for_each(|x| *x = false);
            } else {
                self.coverage_state(&s, &mut state);
            }
            let seg = Segment {
                a: prev_sample.as_ref().unwrap_or(&s),
                b: &s,
                ta: prev_t,
                tb: t,
            };
            for i in 0..n {
                let entered = state[i] && (first || !prev_state[i]);
                let left = !state[i] && !first && prev_state[i];
                if entered {
                    let start = if first {
                        0.0
                    } else {
                        self.edge(&track, coverage, &seg, i, (prev_t, t), true)
                            .unwrap_or(t)
                    };
                    let fp = seg
                        .at(&track, coverage, start)
                        .map_or(s.footprint_km, |x| x.footprint_km);
                    open[i] = Some((start, fp));
                }
                if left && let Some((start, fp)) = open[i].take() {
                    let end = self
                        .edge(&track, coverage, &seg, i, (prev_t, t), false)
                        .unwrap_or(prev_t);
                    passes.push(self.pass(elements, &track, i, start, end, fp, span_s));
                }
            }
            if prev_near && prev_sample.is_some() {
                self.brief_episodes(
                    elements,
                    &track,
                    coverage,
                    &seg,
                    (&prev_state, &state),
                    span_s,
                    &mut passes,
                );
            }
            prev_near = !far && !first;
            prev_sample = Some(s);
            first = false;
            std::mem::swap(&mut prev_state, &mut state);
            prev_t = t;
            if t >= span_s {
                break;
            }
            let dt = if far {
                (gap_km / v_max_km_s).max(REGION_STEP_S)
            } else {
                REGION_STEP_S
            };
            t = (t + dt).min(span_s);
        }
        for (i, o) in open.iter().enumerate() {
            if let Some((start, fp)) = *o {
                passes.push(self.pass(elements, &track, i, start, prev_t, fp, span_s));
            }
        }
        let mut passes = merge_close(passes);
        sort_passes(&mut passes);
        Ok(RegionPassReport { passes, warnings })
    }

    /// Coverage that starts and ends between two near samples: the swath of the step
    /// (a geodesic line, or a corridor as wide as the footprint) is tested exactly
    /// against the regions whose part caps it comes near; where it touches one, the
    /// step is searched every [`FINE_STEP_S`] for a covered instant, then both edges
    /// are refined. Episodes shorter than [`FINE_STEP_S`] are still missed.
    #[allow(clippy::too_many_arguments)]
    fn brief_episodes(
        &self,
        elements: &ElementSet,
        track: &Track<'_>,
        coverage: Coverage,
        seg: &Segment<'_>,
        (before, after): (&[bool], &[bool]),
        span_s: f64,
        passes: &mut Vec<RegionPass>,
    ) {
        let (a, b) = (seg.a, seg.b);
        let r = a.footprint_km.max(b.footprint_km);
        let reach = (1.01 * r + 2.0) / R_SPHERE_KM;
        let half = 0.5 * dot(&a.u, &b.u).clamp(-1.0, 1.0).acos();
        let m = [a.u[0] + b.u[0], a.u[1] + b.u[1], a.u[2] + b.u[2]];
        let norm = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
        if norm < 1e-9 {
            return;
        }
        let mid = [m[0] / norm, m[1] / norm, m[2] / norm];
        let e = (reach + half).sin_cos();
        let e = (e.1, e.0);
        let candidates: Vec<usize> = (0..self.targets.len())
            .filter(|&i| !before[i] && !after[i])
            .filter(|&i| {
                let tg = &self.targets[i];
                !tg.cap.beyond(&mid, e, reach + half)
                    && tg.parts.iter().any(|p| !p.beyond(&mid, e, reach + half))
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let (Ok(pa), Ok(pb)) = (GeoPoint::new(a.lat, a.lon), GeoPoint::new(b.lat, b.lon)) else {
            return;
        };
        // A point's swath is tested exactly; a footprint's would be a geodesic corridor
        // hundreds of km wide, far dearer than scanning it (`edge` does) every
        // FOOTPRINT_SCAN_S, which is what a footprint's edges get anyway.
        let hit = if r <= 0.0 {
            let Ok(hit) = self.set.hit(&Hazard::Line(vec![pa, pb])) else {
                return;
            };
            Some(hit)
        } else {
            None
        };
        for i in candidates {
            if hit
                .as_ref()
                .is_some_and(|h| !h.contains(&self.targets[i].region))
            {
                continue;
            }
            let span = (seg.ta, seg.tb);
            let (Some(start), Some(end)) = (
                self.edge(track, coverage, seg, i, span, true),
                self.edge(track, coverage, seg, i, span, false),
            ) else {
                continue;
            };
            let fp = seg.at(track, coverage, start).map_or(r, |x| x.footprint_km);
            passes.push(self.pass(elements, track, i, start, end, fp, span_s));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pass(
        &self,
        elements: &ElementSet,
        track: &Track<'_>,
        i: usize,
        start: f64,
        end: f64,
        footprint_radius_km: f64,
        span_s: f64,
    ) -> RegionPass {
        let tg = &self.targets[i];
        RegionPass {
            norad_id: elements.norad_id,
            name: elements.name.clone(),
            region: tg.code.clone(),
            region_name: tg.name.clone(),
            start: track.time(start),
            end: track.time(end),
            duration_s: ((end - start) * 1000.0).round() / 1000.0,
            starts_before_window: start <= 0.0,
            ends_after_window: end >= span_s,
            footprint_radius_km,
        }
    }

    /// The first (`entry`) or last (`!entry`) instant target `i` is covered in
    /// `[lo, hi]`: a scan every [`FINE_STEP_S`] ([`FOOTPRINT_SCAN_S`]) from that end (on the segment's
    /// interpolated track, testing this target only), then bisection to
    /// [`REGION_TOL_S`]. `None` when no scanned instant is covered.
    fn edge(
        &self,
        track: &Track<'_>,
        coverage: Coverage,
        seg: &Segment<'_>,
        i: usize,
        (lo, hi): (f64, f64),
        entry: bool,
    ) -> Option<f64> {
        let covered = |t: f64| {
            seg.at(track, coverage, t)
                .is_some_and(|s| self.covers(&s, i))
        };
        // A footprint's exact test (a geodesic circle against the polygons) costs ~100x
        // a point's, and its coverage changes smoothly: scan it coarser.
        let step = match coverage {
            Coverage::SubSatellitePoint => FINE_STEP_S,
            Coverage::NadirCone { .. } => FOOTPRINT_SCAN_S,
        };
        let n = ((hi - lo) / step).ceil().max(1.0) as usize;
        let at = |k: usize| {
            if entry {
                (lo + k as f64 * step).min(hi)
            } else {
                (hi - k as f64 * step).max(lo)
            }
        };
        let k = (0..=n).find(|&k| covered(at(k)))?;
        if k == 0 {
            return Some(at(0));
        }
        // Uncovered at at(k - 1), covered at at(k).
        let (mut out, mut inn) = (at(k - 1), at(k));
        while (inn - out).abs() > REGION_TOL_S {
            let mid = 0.5 * (out + inn);
            if covered(mid) {
                inn = mid;
            } else {
                out = mid;
            }
        }
        Some(0.5 * (out + inn))
    }

    /// Does the footprint (or sub-satellite point) at `s` cover target `i`?
    fn covers(&self, s: &Sample, i: usize) -> bool {
        let tg = &self.targets[i];
        let r = s.footprint_km;
        let reach = (1.01 * r + 2.0) / R_SPHERE_KM;
        let reach_cs = small_angle_cos_sin(reach);
        if tg.cap.beyond(&s.u, reach_cs, reach) {
            return false;
        }
        let sure = (r / 1.01 - 2.0) / R_SPHERE_KM;
        let cos_sure = sure.cos();
        let mut maybe = false;
        for part in &tg.parts {
            if part.beyond(&s.u, reach_cs, reach) {
                continue;
            }
            if sure > 0.0 && dot(&s.u, &part.vertex) > cos_sure {
                return true;
            }
            maybe = true;
        }
        if !maybe {
            return false;
        }
        let Ok(p) = GeoPoint::new(s.lat, s.lon) else {
            return false;
        };
        let inside = self.set.locate(p) == Some(tg.region);
        if r <= 0.0 || inside {
            return inside;
        }
        // Outside the region, the footprint touches it when the boundary comes within
        // r. The nearest vertex bounds that distance from above, and from below once
        // the half edge is taken off; sphere distances are within 0.6% of WGS84.
        let mut best_dot = -1.0f64;
        let mut half_edge = 0.0f64;
        for (k, part) in tg.parts.iter().enumerate() {
            if part.beyond(&s.u, reach_cs, reach) {
                continue;
            }
            half_edge = half_edge.max(tg.half_edge_rad[k]);
            for v in &tg.vertices[k] {
                best_dot = best_dot.max(dot(&s.u, v));
            }
        }
        let nearest_km = R_SPHERE_KM * best_dot.clamp(-1.0, 1.0).acos();
        if nearest_km * 1.01 + 0.1 < r {
            return true;
        }
        if (nearest_km - R_SPHERE_KM * half_edge) / 1.01 - 0.1 > r {
            return false;
        }
        self.set
            .hit(&Hazard::Circle {
                centre: p,
                radius_km: r,
            })
            .is_ok_and(|h| h.contains(&tg.region))
    }

    /// Which targets the footprint (or sub-satellite point) covers at one sample.
    fn coverage_state(&self, s: &Sample, out: &mut [bool]) {
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.covers(s, i);
        }
    }
}

fn sample(
    track: &Track<'_>,
    t: f64,
    coverage: Coverage,
) -> Result<Sample, crate::PropagationError> {
    let r = track.ecef_m(t)?;
    let (x, y, z) = (r.x, r.y, r.z);
    // Bowring's formula, one step, with sines and cosines by normalisation: a few
    // millimetres at LEO heights (keiho_geo's `Geodetic::from_ecef` iterates to
    // sub-millimetre at ~10x the cost; the search needs neither).
    let p = x.hypot(y);
    let (a, b, e2) = (WGS84_A_M, WGS84_B_M, WGS84_E2);
    let ep2 = e2 / (1.0 - e2);
    let (st, ct) = {
        let (num, den) = (z * a, p * b);
        let h = num.hypot(den);
        if h > 0.0 {
            (num / h, den / h)
        } else {
            (0.0, 1.0)
        }
    };
    let num = z + ep2 * b * st * st * st;
    let den = p - e2 * a * ct * ct * ct;
    let h = num.hypot(den);
    let (sphi, cphi) = if h > 0.0 {
        (num / h, den / h)
    } else {
        (0.0, 1.0)
    };
    let n = a / (1.0 - e2 * sphi * sphi).sqrt();
    let alt_m = if cphi.abs() > 1e-9 {
        p / cphi - n
    } else {
        z.abs() - b
    };
    let (clam, slam) = if p > 0.0 { (x / p, y / p) } else { (1.0, 0.0) };
    let lat = sphi.atan2(cphi).to_degrees();
    Ok(Sample {
        lat,
        lon: y.atan2(x).to_degrees(),
        u: [cphi * clam, cphi * slam, sphi],
        footprint_km: match coverage {
            Coverage::SubSatellitePoint => 0.0,
            c => c.radius_km(alt_m / 1000.0, local_radius_km(lat)),
        },
    })
}

/// Geocentric radius of the WGS84 ellipsoid at a geodetic latitude, km.
fn local_radius_km(lat_deg: f64) -> f64 {
    let (a, b) = (WGS84_A_M / 1000.0, WGS84_B_M / 1000.0);
    let (s, c) = lat_deg.to_radians().sin_cos();
    let num = (a * a * c).powi(2) + (b * b * s).powi(2);
    let den = (a * c).powi(2) + (b * s).powi(2);
    (num / den).sqrt()
}

/// Join passes of one object over one region separated by less than [`MERGE_GAP_S`]
/// (a track leaving a coast and crossing a bay is one pass, not three).
fn merge_close(mut passes: Vec<RegionPass>) -> Vec<RegionPass> {
    passes.sort_by(|a, b| a.region.cmp(&b.region).then(a.start.cmp(&b.start)));
    let mut out: Vec<RegionPass> = Vec::with_capacity(passes.len());
    for p in passes {
        if let Some(last) = out.last_mut()
            && last.region == p.region
            && (p.start - last.end).num_milliseconds() < (MERGE_GAP_S * 1000.0) as i64
        {
            if p.end > last.end {
                last.end = p.end;
                last.ends_after_window = p.ends_after_window;
            }
            last.duration_s =
                ((last.end - last.start).num_microseconds().unwrap_or(0) as f64 / 1e3).round()
                    / 1e3;
            continue;
        }
        out.push(p);
    }
    out
}

fn sort_passes(passes: &mut [RegionPass]) {
    passes.sort_by(|a, b| {
        a.start
            .cmp(&b.start)
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.norad_id.cmp(&b.norad_id))
    });
}

/// Passes of one object over regions given by code: the one-call form of
/// [`RegionWatch::passes`].
pub fn region_passes(
    set: &RegionSet,
    codes: &[&str],
    elements: &ElementSet,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    coverage: Coverage,
) -> Result<RegionPassReport, OrbitError> {
    RegionWatch::new(set, codes)?.passes(elements, from, to, coverage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn footprint_radius_of_a_500_km_orbit() {
        let c = Coverage::NadirCone {
            half_angle_deg: 30.0,
        };
        let r = c.radius_km(500.0, 6371.0);
        // Flat-Earth value 500 * tan(30 deg) = 289 km; curvature adds a few percent.
        assert!((289.0..310.0).contains(&r), "{r}");
        let horizon = Coverage::NadirCone {
            half_angle_deg: 89.0,
        }
        .radius_km(500.0, 6371.0);
        // Horizon arc: R * acos(R / (R + h)) = 6371 * 0.38385 = 2,445.5 km.
        assert!((horizon - 2_445.5).abs() < 0.5, "{horizon}");
    }

    proptest! {
        #[test]
        fn footprint_grows_with_angle_and_height(
            h in 200.0f64..40_000.0, a in 0.1f64..89.0, da in 0.0f64..0.9
        ) {
            let r1 = Coverage::NadirCone { half_angle_deg: a }.radius_km(h, 6371.0);
            let r2 = Coverage::NadirCone { half_angle_deg: a + da }.radius_km(h, 6371.0);
            let r3 = Coverage::NadirCone { half_angle_deg: a }.radius_km(h * 1.1, 6371.0);
            prop_assert!(r1 >= 0.0 && r1 <= r2 + 1e-9 && r1 <= r3 + 1e-9);
        }

        #[test]
        fn angle_is_a_metric_on_unit_vectors(
            la in -90.0f64..90.0, lo in -180.0f64..180.0, lb in -90.0f64..90.0, ob in -180.0f64..180.0
        ) {
            let (a, b) = (unit(la, lo), unit(lb, ob));
            let d = angle(&a, &b);
            prop_assert!((0.0..=std::f64::consts::PI + 1e-12).contains(&d));
            prop_assert!((d - angle(&b, &a)).abs() < 1e-12);
        }
    }
}
