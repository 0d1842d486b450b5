//! The facts a public page states, all taken from the recorded event.

use crate::{Analysis, EventRecord};
use chrono::{DateTime, Utc};
use keiho_geo::RegionSet;
use keiho_types::GeoPoint;

/// One area that was told to take shelter.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaFact {
    /// Region code (ISO 3166-2).
    pub code: String,
    /// Names: English, Japanese and Korean when the bundled data has them.
    pub name_en: String,
    /// Japanese name.
    pub name_ja: Option<String>,
    /// Korean name.
    pub name_ko: Option<String>,
    /// The first message that named it was issued at.
    pub told_at: DateTime<Utc>,
    /// The message that lifted it (the last, if it was told more than once); `None`
    /// while the call stands.
    pub lifted_at: Option<DateTime<Utc>>,
    /// The stage of its first call (`Launch`, `Overflight`, `Impact`…).
    pub stage: String,
}

/// How the flight ended, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeFact {
    /// `fell_on_land`, `fell_into_sea`, `passed_over` or `lost`.
    pub kind: String,
    /// When the pipeline concluded it.
    pub decided_at: DateTime<Utc>,
    /// Where it came down: the recorded impact point, or else the last predicted
    /// impact point of the launched object (then `point_is_last_prediction`).
    pub point: Option<(f64, f64)>,
    /// The point is the last prediction, not a recorded impact.
    pub point_is_last_prediction: bool,
    /// When it came down, when recorded or predicted.
    pub at: Option<DateTime<Utc>>,
    /// Regions it fell in or passed over.
    pub codes: Vec<String>,
    /// Their names: English, Japanese, Korean (the code when unknown).
    pub names: Vec<(String, Option<String>, Option<String>)>,
    /// Inside the territorial sea, as the pipeline decided.
    pub inside_territorial_sea: Option<bool>,
    /// Geodesic distance from the point to the nearest land of Japan, km.
    pub nearest_japan_km: Option<f64>,
    /// The same for South Korea, km.
    pub nearest_korea_km: Option<f64>,
}

/// Everything the public page says about one event.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicFacts {
    /// Event id.
    pub event_id: String,
    /// `Actual`, `Exercise` or `Test`: the status of its messages (the least real
    /// one if they differ, so an exercise is never shown as real).
    pub status: Option<String>,
    /// Launch time, if recorded.
    pub launch_at: Option<DateTime<Utc>>,
    /// Where it was launched from, in English as recorded (`North Pyongan (KP-03)`).
    pub origin_en: String,
    /// The launch region's Japanese and Korean names, when its code is known.
    pub origin_ja: Option<String>,
    /// See `origin_ja`.
    pub origin_ko: Option<String>,
    /// Areas told to take shelter, in the order they were told.
    pub areas: Vec<AreaFact>,
    /// The all-clear message, if any.
    pub all_clear_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: Option<OutcomeFact>,
    /// Each message: identifier, `sent`, type and stage.
    pub messages: Vec<(String, String, String, String)>,
}

impl PublicFacts {
    /// Take the facts from `record` and `analysis`; names and distances from `regions`.
    pub fn of(record: &EventRecord, analysis: &Analysis, regions: &RegionSet) -> Self {
        let names = |code: &str| {
            regions.by_code(code).map(|i| {
                let r = regions.region(i);
                (r.name_en.clone(), r.name_ja.clone(), r.name_ko.clone())
            })
        };
        let mut areas: Vec<AreaFact> = Vec::new();
        for p in &analysis.periods {
            if let Some(a) = areas.iter_mut().find(|a| a.code == p.code) {
                // Told again: the call is lifted when the last period ends.
                a.lifted_at = match (a.lifted_at, p.to) {
                    (Some(x), Some(y)) => Some(x.max(y)),
                    _ => None,
                };
                continue;
            }
            let (name_en, name_ja, name_ko) =
                names(&p.code).unwrap_or_else(|| (p.code.clone(), None, None));
            areas.push(AreaFact {
                code: p.code.clone(),
                name_en,
                name_ja,
                name_ko,
                told_at: p.from,
                lifted_at: p.to,
                stage: p.stage.clone(),
            });
        }
        let origin_code = record
            .event
            .origin
            .rsplit_once('(')
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .map(str::to_owned);
        let (origin_ja, origin_ko) = origin_code
            .as_deref()
            .and_then(names)
            .map_or((None, None), |(_, ja, ko)| (ja, ko));
        // The least real status wins: one Exercise message makes the page an exercise.
        let status = ["Exercise", "Test", "Actual"]
            .into_iter()
            .find(|s| record.alerts.iter().any(|a| a.status == *s))
            .map(str::to_owned);
        let all_clear_at = record
            .alerts
            .iter()
            .find(|a| a.stage == "AllClear")
            .map(crate::issued_at);
        Self {
            event_id: record.event.id.clone(),
            status,
            launch_at: record.event.launch_at,
            origin_en: record.event.origin.clone(),
            origin_ja,
            origin_ko,
            areas,
            all_clear_at,
            outcome: outcome(record, regions),
            messages: record
                .alerts
                .iter()
                .map(|a| {
                    (
                        a.identifier.clone(),
                        a.sent.clone(),
                        a.msg_type.clone(),
                        a.stage.clone(),
                    )
                })
                .collect(),
        }
    }
}

fn outcome(record: &EventRecord, regions: &RegionSet) -> Option<OutcomeFact> {
    let (decided_at, body) = record.outcome.as_ref()?;
    let main = record.objects().first().map(|s| (*s).to_owned());
    let last_iip = record
        .predictions
        .iter()
        .rev()
        .filter(|p| Some(&p.object) == main.as_ref())
        .find_map(|p| p.body.iip);
    let (point, at, from_prediction) = match (body.impact, last_iip) {
        (Some(i), _) => (Some((i.lat_deg, i.lon_deg)), i.at, false),
        (None, Some(i)) => (Some((i.lat_deg, i.lon_deg)), i.at, true),
        (None, None) => (None, None, false),
    };
    let nearest = |country: &str| {
        let p = point.and_then(|(lat, lon)| GeoPoint::new(lat, lon).ok())?;
        regions
            .regions()
            .iter()
            .filter(|r| r.country.as_str() == country)
            .filter_map(|r| regions.by_code(r.code.as_str()))
            .map(|i| regions.distance_km(p, i))
            .min_by(f64::total_cmp)
    };
    Some(OutcomeFact {
        kind: body.kind.clone(),
        decided_at: *decided_at,
        point,
        point_is_last_prediction: from_prediction,
        at,
        codes: body.codes.clone(),
        names: body
            .codes
            .iter()
            .map(|c| match regions.by_code(c) {
                Some(i) => {
                    let r = regions.region(i);
                    (r.name_en.clone(), r.name_ja.clone(), r.name_ko.clone())
                }
                None => (c.clone(), None, None),
            })
            .collect(),
        inside_territorial_sea: body.inside_territorial_sea,
        nearest_japan_km: nearest("JP"),
        nearest_korea_km: nearest("KR"),
    })
}
