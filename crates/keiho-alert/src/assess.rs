//! Hazard assessment: which regions an event's predicted flight puts at risk, and how.
//!
//! Pure functions of the predictions and the region engine: no I/O, no clock. An
//! event's hazard is the union over all its objects (main vehicle, stages, fragments),
//! so one event yields one list of areas and one message sequence.
//!
//! - Impact: regions the 99% impact ellipse (plus a margin) reaches, or where Monte
//!   Carlo impact samples fall; probability = share of samples in the region (at
//!   least a floor when only the ellipse reaches it).
//! - Overflight: regions under the predicted ground track (a corridor with a margin)
//!   and under the IIP trace while powered (where it would fall if the engine stopped).
//! - Debris: after a break-up, regions the debris footprint (plus a margin) reaches.

use crate::policy::{AreaRisk, RiskKind};
use chrono::{DateTime, Utc};
use keiho_geo::{Hazard, HazardError, RegionSet};
use keiho_types::{CountryCode, GeoPoint};
use std::collections::BTreeMap;

/// An impact ellipse in the local tangent plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ellipse {
    /// Centre.
    pub centre: GeoPoint,
    /// Semi-major axis, km.
    pub semi_major_km: f64,
    /// Semi-minor axis, km.
    pub semi_minor_km: f64,
    /// Azimuth of the major axis, degrees from north.
    pub orientation_deg: f64,
}

/// One object's predicted hazard at an update.
#[derive(Debug, Clone, Default)]
pub struct ObjectHazard {
    /// Track id.
    pub object: String,
    /// Still under thrust: its IIP is moving, so the regions its impact ellipse
    /// reaches are on the way (overflight), not where it is expected to fall.
    pub powered: bool,
    /// Predicted impact time, when it is coming down.
    pub impact_at: Option<DateTime<Utc>>,
    /// The 99% impact ellipse.
    pub impact_ellipse: Option<Ellipse>,
    /// Monte Carlo impact points (for probabilities).
    pub impact_samples: Vec<GeoPoint>,
    /// Future IIP trace while powered.
    pub iip_trace: Vec<GeoPoint>,
    /// Future ground track with times.
    pub ground_track: Vec<(GeoPoint, DateTime<Utc>)>,
    /// Debris footprint polygon (closed ring) after a break-up.
    pub debris_footprint: Option<Vec<GeoPoint>>,
}

/// Margins and the jurisdiction.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AssessConfig {
    /// Countries this deployment alerts (ISO 3166-1 alpha-2).
    pub jurisdiction: Vec<CountryCode>,
    /// Added around the 99% impact ellipse (debris dispersion), km.
    pub impact_margin_km: f64,
    /// Half-width of the overflight strip under the ground track, km. The default
    /// (150 km) reproduces J-Alert's practice of alerting a prefecture whose islands
    /// the flight path runs between (the Okinawa-Miyako gap is about 290 km wide) and
    /// covers debris scattered by a break-up at altitude; a deployment may narrow it.
    pub overflight_half_width_km: f64,
    /// Half-width of the corridor around the IIP trace while powered, km.
    pub iip_trace_half_width_km: f64,
    /// Added around a debris footprint, km.
    pub debris_margin_km: f64,
    /// Also alert the regions bordering each region at risk (Japan added neighbouring
    /// prefectures to its missile alerts in 2023). Off unless configured.
    pub alert_neighbours: bool,
    /// Probability given to a region only the ellipse reaches (no sample in it), for a
    /// compact ellipse. It shrinks with the ellipse's area (see [`ellipse_probability`]).
    pub ellipse_only_probability: f64,
}

impl Default for AssessConfig {
    fn default() -> Self {
        Self {
            jurisdiction: CountryCode::parse("JP").into_iter().collect(),
            impact_margin_km: 20.0,
            overflight_half_width_km: 150.0,
            iip_trace_half_width_km: 50.0,
            debris_margin_km: 30.0,
            ellipse_only_probability: 0.05,
            alert_neighbours: false,
        }
    }
}

#[derive(Default)]
struct Acc {
    kind: Option<RiskKind>,
    probability: f64,
    expected_at: Option<DateTime<Utc>>,
}

impl Acc {
    fn add(&mut self, kind: RiskKind, probability: f64, at: Option<DateTime<Utc>>) {
        // Strongest kind wins: Impact < Overflight < Neighbour in the enum order.
        self.kind = Some(self.kind.map_or(kind, |k| k.min(kind)));
        self.probability = self.probability.max(probability);
        self.expected_at = match (self.expected_at, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Bounding boxes (min lon, min lat, max lon, max lat) of the given regions, grown by
/// `km` converted to degrees generously enough never to cut anything off.
fn boxes_around(regions: &RegionSet, hit: &[usize], km: f64) -> Vec<[f64; 4]> {
    use geo::BoundingRect;
    hit.iter()
        .filter_map(|&r| regions.region(r).geometry.bounding_rect())
        .map(|b| {
            let dlat = km / 110.0 + 0.05;
            let far_lat = (b.min().y.abs().max(b.max().y.abs()) + dlat).min(89.0);
            let dlon = km / (111.0 * far_lat.to_radians().cos()) + 0.05;
            [
                b.min().x - dlon,
                b.min().y - dlat,
                b.max().x + dlon,
                b.max().y + dlat,
            ]
        })
        .collect()
}

/// Whether a segment's lon/lat box meets `b` (longitudes compared on both sides of the
/// antimeridian).
fn segment_may_touch(b: &[f64; 4], p: GeoPoint, q: GeoPoint) -> bool {
    let (y0, y1) = (p.lat_deg().min(q.lat_deg()), p.lat_deg().max(q.lat_deg()));
    if y1 < b[1] || y0 > b[3] {
        return false;
    }
    let (mut x0, mut x1) = (p.lon_deg().min(q.lon_deg()), p.lon_deg().max(q.lon_deg()));
    if x1 - x0 > 180.0 {
        // The short way round crosses the antimeridian: test it whole.
        (x0, x1) = (-180.0, 180.0);
    }
    [-360.0, 0.0, 360.0]
        .iter()
        .any(|s| x1 + s >= b[0] && x0 + s <= b[2])
}

/// Area of land (km²) the probability `base` stands for: about a prefecture's coast.
const REFERENCE_AREA_KM2: f64 = 2_000.0;

/// Probability that an impact somewhere in a 99% ellipse falls in one given region the
/// ellipse reaches, when no samples say better: `base` for an ellipse no larger than
/// [`REFERENCE_AREA_KM2`], falling in proportion to its area beyond that (the impact
/// density thins out as the ellipse grows). A 2,600 x 100 km ellipse late in powered
/// flight is thus no evidence against any one prefecture.
pub fn ellipse_probability(e: &Ellipse, base: f64) -> f64 {
    let area = std::f64::consts::PI * e.semi_major_km * e.semi_minor_km;
    if area <= REFERENCE_AREA_KM2 {
        base
    } else {
        base * REFERENCE_AREA_KM2 / area
    }
}

/// The areas in the jurisdiction an event's objects put at risk, sorted by code.
pub fn assess(
    objects: &[ObjectHazard],
    regions: &RegionSet,
    cfg: &AssessConfig,
) -> Result<Vec<AreaRisk>, HazardError> {
    let mut acc: BTreeMap<usize, Acc> = BTreeMap::new();
    let keep = |hit: Vec<usize>| regions.in_jurisdiction(&hit, &cfg.jurisdiction);
    for o in objects {
        // Impact: samples give probabilities; the ellipse guarantees coverage.
        let mut in_region: BTreeMap<usize, usize> = BTreeMap::new();
        for p in &o.impact_samples {
            if let Some(r) = regions.locate(*p) {
                *in_region.entry(r).or_default() += 1;
            }
        }
        let n = o.impact_samples.len().max(1) as f64;
        for r in keep(in_region.keys().copied().collect()) {
            acc.entry(r)
                .or_default()
                .add(RiskKind::Impact, in_region[&r] as f64 / n, o.impact_at);
        }
        if let Some(e) = o.impact_ellipse {
            let grown = Hazard::Ellipse {
                centre: e.centre,
                semi_major_km: e.semi_major_km,
                semi_minor_km: e.semi_minor_km.min(e.semi_major_km),
                orientation_deg: e.orientation_deg,
            }
            .buffered(cfg.impact_margin_km)?;
            let p = ellipse_probability(&e, cfg.ellipse_only_probability);
            let kind = if o.powered {
                RiskKind::Overflight
            } else {
                RiskKind::Impact
            };
            for r in keep(regions.hit(&grown)?) {
                acc.entry(r).or_default().add(kind, p, o.impact_at);
            }
        }
        // Overflight: first the whole strip at once; only if it reaches the
        // jurisdiction, segment by segment, so each region gets the time it is reached.
        // (Most tracks reach nothing: one query instead of one per segment.)
        let strip_hits = if o.ground_track.len() >= 2 {
            let line = o.ground_track.iter().map(|(p, _)| *p).collect();
            let strip = Hazard::Corridor {
                line,
                half_width_km: cfg.overflight_half_width_km,
            };
            keep(regions.hit(&strip)?)
        } else {
            Vec::new()
        };
        // Segments that cannot reach any region the whole strip reached are skipped:
        // a box around the regions, grown by the strip's half-width in degrees (a
        // degree is at least 110 km of latitude and 111 km x cos(lat) of longitude).
        let reach = boxes_around(regions, &strip_hits, cfg.overflight_half_width_km);
        for pair in o
            .ground_track
            .windows(2)
            .filter(|w| reach.iter().any(|b| segment_may_touch(b, w[0].0, w[1].0)))
        {
            let corridor = Hazard::Corridor {
                line: vec![pair[0].0, pair[1].0],
                half_width_km: cfg.overflight_half_width_km,
            };
            for r in keep(regions.hit(&corridor)?) {
                acc.entry(r)
                    .or_default()
                    .add(RiskKind::Overflight, 1.0, Some(pair[0].1));
            }
        }
        if o.iip_trace.len() >= 2 {
            let corridor = Hazard::Corridor {
                line: o.iip_trace.clone(),
                half_width_km: cfg.iip_trace_half_width_km,
            };
            for r in keep(regions.hit(&corridor)?) {
                acc.entry(r)
                    .or_default()
                    .add(RiskKind::Overflight, 0.5, o.impact_at);
            }
        }
        if let Some(ring) = &o.debris_footprint {
            if ring.len() >= 4 {
                let debris = Hazard::Polygon(vec![ring.clone()]).buffered(cfg.debris_margin_km)?;
                for r in keep(regions.hit(&debris)?) {
                    acc.entry(r).or_default().add(
                        RiskKind::Impact,
                        cfg.ellipse_only_probability,
                        o.impact_at,
                    );
                }
            }
        }
    }
    if cfg.alert_neighbours {
        let at_risk: Vec<(usize, f64, Option<DateTime<Utc>>)> = acc
            .iter()
            .map(|(r, a)| (*r, a.probability, a.expected_at))
            .collect();
        for (r, p, at) in at_risk {
            for n in keep(regions.neighbours(r).to_vec()) {
                acc.entry(n).or_default().add(RiskKind::Neighbour, p, at);
            }
        }
    }
    let mut areas: Vec<AreaRisk> = acc
        .into_iter()
        .filter_map(|(r, a)| {
            Some(AreaRisk {
                code: regions.region(r).code.to_string(),
                kind: a.kind?,
                probability: a.probability,
                expected_at: a.expected_at,
            })
        })
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(areas)
}
