//! What an operator's map draws for an event, as of its latest assessment: each
//! object's position, IIP and 99% ellipse, the future IIP trace and ground track and
//! the debris footprint the assessment actually used, and the areas at risk by kind.
//!
//! It is a view for people, rebuilt at each assessment and never stored: the journal
//! keeps the record. The server pushes it to dashboards as it changes.

use chrono::{DateTime, Utc};
use keiho_alert::assess::ObjectHazard;
use keiho_alert::policy::AreaRisk;
use keiho_types::GeoPoint;
use serde::Serialize;

/// Longitude, latitude (GeoJSON order), degrees, rounded for display.
pub type LonLat = [f64; 2];

/// One event's picture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveView {
    /// Event id.
    pub event: String,
    /// Time of the assessment.
    pub t: DateTime<Utc>,
    /// The policy's phase (`pending`, `alerting`, ... `closed`).
    pub phase: String,
    /// Reports consistent with the event so far.
    pub reports: u32,
    /// Sensors that reported it.
    pub sensors: u32,
    /// Objects still flying (or just down), in track order.
    pub objects: Vec<LiveObject>,
    /// Areas at risk at this assessment.
    pub areas: Vec<LiveArea>,
}

/// One object's products.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveObject {
    /// Track id.
    pub object: String,
    /// `boost`, `coast`, `reentry`.
    pub phase: String,
    /// Quiet for too long while flying.
    pub lost: bool,
    /// Judged to be down.
    pub down: bool,
    /// Where it is.
    pub position: LonLat,
    /// Height, m.
    pub alt_m: f64,
    /// Ground-relative speed, m/s.
    pub speed_mps: f64,
    /// Where it would come down now.
    pub iip: Option<LonLat>,
    /// When, if it came down now.
    pub impact_at: Option<DateTime<Utc>>,
    /// The 99% impact ellipse the assessment used, as a closed ring.
    pub ellipse: Vec<LonLat>,
    /// Where the IIP is heading while thrust continues.
    pub iip_trace: Vec<LonLat>,
    /// The future ground track.
    pub ground_track: Vec<LonLat>,
    /// Debris footprint after a break-up, a closed ring.
    pub debris: Vec<LonLat>,
}

/// An area at risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveArea {
    /// ISO 3166-2 code.
    pub code: String,
    /// `impact`, `overflight` or `neighbour`.
    pub kind: String,
    /// Probability the assessment gives it.
    pub probability: f64,
}

/// Five decimals are about a metre: more would only make the stream longer.
fn round(v: f64) -> f64 {
    (v * 1e5).round() / 1e5
}

fn lon_lat(p: GeoPoint) -> LonLat {
    [round(p.lon_deg()), round(p.lat_deg())]
}

impl LiveObject {
    /// From one object's prediction and the hazard the assessment used (`None` for
    /// an object that is down or whose track is too young to assess).
    pub(crate) fn of(
        p: &keiho_track::Prediction,
        hazard: Option<&ObjectHazard>,
        down: bool,
    ) -> Self {
        let (lat, lon, alt_m, speed_mps) = (
            p.state.lat_deg,
            p.state.lon_deg,
            p.state.alt_m,
            p.state.speed_mps,
        );
        let ellipse = hazard
            .and_then(|h| h.impact_ellipse.as_ref())
            .map(|e| {
                keiho_geo::geodesy::ellipse_ring(
                    e.centre,
                    e.semi_major_km,
                    e.semi_minor_km,
                    e.orientation_deg,
                    48,
                )
                .into_iter()
                .map(lon_lat)
                .collect()
            })
            .unwrap_or_default();
        Self {
            object: p.object.clone(),
            phase: format!("{:?}", p.phase).to_lowercase(),
            lost: p.lost,
            down,
            position: [round(lon), round(lat)],
            alt_m: alt_m.round(),
            speed_mps: speed_mps.round(),
            iip: p.iip.as_ref().map(|i| [round(i.lon_deg), round(i.lat_deg)]),
            impact_at: p.iip.as_ref().and_then(|i| i.impact_time),
            ellipse,
            iip_trace: hazard
                .map(|h| h.iip_trace.iter().copied().map(lon_lat).collect())
                .unwrap_or_default(),
            ground_track: hazard
                .map(|h| h.ground_track.iter().map(|(g, _)| lon_lat(*g)).collect())
                .unwrap_or_default(),
            debris: hazard
                .and_then(|h| h.debris_footprint.as_ref())
                .map(|ring| ring.iter().copied().map(lon_lat).collect())
                .unwrap_or_default(),
        }
    }
}

impl LiveArea {
    pub(crate) fn of(a: &AreaRisk) -> Self {
        Self {
            code: a.code.clone(),
            kind: crate::pipeline::risk_kind_name(a.kind),
            probability: (a.probability * 1e3).round() / 1e3,
        }
    }
}
