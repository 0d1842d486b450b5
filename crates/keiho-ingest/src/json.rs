//! Structural decoding of one JSON report: types, required, unknown and repeated fields.
//!
//! We decode into a small tree of our own rather than deriving `Deserialize` on the
//! report types because serde's derived errors are free text without a field path,
//! `deny_unknown_fields` does not combine with the flattened `kind` tag, and
//! `serde_json::Value` silently keeps the last of two repeated keys.

use crate::error::Reason;
use crate::report::{
    LaunchDetection, Measurement, PositionFix, RadarMeasurement, RadarSigma, Report, SiteGeodetic,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

/// A parsed JSON value that keeps object entries in order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        // Precision loss above 2^53 is irrelevant: no accepted field is that large.
        Ok(Json::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Num(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            entries.push((k, v));
        }
        Ok(Json::Obj(entries))
    }
}

/// Longest `object` or `sensor` id accepted, bytes. Ids are short codes; a kilobyte id
/// is a framing error upstream, and it would end up in every log line and alert.
pub(crate) const MAX_ID_LEN: usize = 128;

const LAUNCH_FIELDS: &[&str] = &[
    "t", "object", "sensor", "kind", "lat_deg", "lon_deg", "sigma_m",
];
const POSITION_FIELDS: &[&str] = &[
    "t",
    "object",
    "sensor",
    "kind",
    "lat_deg",
    "lon_deg",
    "alt_m",
    "sigma_m",
    "vel_ecef_mps",
];
const RADAR_FIELDS: &[&str] = &[
    "t", "object", "sensor", "kind", "site", "range_m", "az_deg", "el_deg", "sigma",
];
const SITE_FIELDS: &[&str] = &["lat_deg", "lon_deg", "alt_m"];
const SIGMA_FIELDS: &[&str] = &["range_m", "angle_deg"];

/// Describes a value for "found ..." in messages, quoting short strings so that
/// `"NaN"` and `"12.5"` are recognisable.
fn describe(v: &Json) -> String {
    match v {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => format!("boolean {b}"),
        Json::Num(x) => format!("number {x:?}"),
        Json::Str(s) => {
            const MAX: usize = 32;
            if s.chars().count() > MAX {
                let head: String = s.chars().take(MAX).collect();
                format!("string {head:?}...")
            } else {
                format!("string {s:?}")
            }
        }
        Json::Arr(_) => "an array".to_owned(),
        Json::Obj(_) => "an object".to_owned(),
    }
}

/// An object's entries, with the path prefix used to name its fields in errors.
struct Obj<'a> {
    entries: &'a [(String, Json)],
    prefix: &'static str,
}

impl<'a> Obj<'a> {
    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn check_duplicates(&self) -> Result<(), Reason> {
        // A set, not pairwise comparison: a hostile line may carry thousands of keys.
        let mut seen = HashSet::with_capacity(self.entries.len());
        match self.entries.iter().find(|(k, _)| !seen.insert(k.as_str())) {
            Some((k, _)) => Err(Reason::DuplicateField {
                field: self.path(k),
            }),
            None => Ok(()),
        }
    }

    fn check_known(&self, allowed: &[&str]) -> Result<(), Reason> {
        match self
            .entries
            .iter()
            .find(|(k, _)| !allowed.contains(&k.as_str()))
        {
            Some((k, _)) => Err(Reason::UnknownField {
                field: self.path(k),
                expected: allowed.join(", "),
            }),
            None => Ok(()),
        }
    }

    fn get(&self, name: &str) -> Option<&'a Json> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn required(&self, name: &str) -> Result<&'a Json, Reason> {
        self.get(name).ok_or_else(|| Reason::MissingField {
            field: self.path(name),
        })
    }

    fn string(&self, name: &str) -> Result<&'a str, Reason> {
        match self.required(name)? {
            Json::Str(s) => Ok(s),
            other => Err(self.wrong(name, "a string", other)),
        }
    }

    fn number(&self, name: &str) -> Result<f64, Reason> {
        match self.required(name)? {
            Json::Num(x) => Ok(*x),
            other => Err(self.wrong(name, "a number", other)),
        }
    }

    fn object(
        &self,
        name: &str,
        prefix: &'static str,
        allowed: &[&str],
    ) -> Result<Obj<'a>, Reason> {
        match self.required(name)? {
            Json::Obj(entries) => {
                let inner = Obj { entries, prefix };
                inner.check_duplicates()?;
                inner.check_known(allowed)?;
                Ok(inner)
            }
            other => Err(self.wrong(name, "an object", other)),
        }
    }

    fn wrong(&self, name: &str, expected: &'static str, found: &Json) -> Reason {
        Reason::WrongType {
            field: self.path(name),
            expected,
            found: describe(found),
        }
    }
}

/// Parses an RFC 3339 time with any offset, returned in UTC.
fn parse_time(field: &str, s: &str) -> Result<DateTime<Utc>, Reason> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Reason::BadTime {
            field: field.to_owned(),
            value: s.to_owned(),
            why: e.to_string(),
        })
}

/// Decodes the structure of a report. Physical plausibility is checked separately by
/// [`crate::Validator::validate`].
pub(crate) fn report_from_json(v: &Json) -> Result<Report, Reason> {
    let entries = match v {
        Json::Obj(entries) => entries,
        other => {
            return Err(Reason::NotAnObject {
                found: describe(other),
            });
        }
    };
    let top = Obj {
        entries,
        prefix: "",
    };
    top.check_duplicates()?;
    let kind = top.string("kind")?;
    let allowed = match kind {
        "launch" => LAUNCH_FIELDS,
        "position" => POSITION_FIELDS,
        "radar" => RADAR_FIELDS,
        other => {
            return Err(Reason::UnknownKind {
                kind: other.to_owned(),
            });
        }
    };
    top.check_known(allowed)?;
    let t = parse_time("t", top.string("t")?)?;
    let object = top.string("object")?.to_owned();
    let sensor = top.string("sensor")?.to_owned();
    let measurement = match kind {
        "launch" => Measurement::Launch(LaunchDetection {
            lat_deg: top.number("lat_deg")?,
            lon_deg: top.number("lon_deg")?,
            sigma_m: top.number("sigma_m")?,
        }),
        "position" => Measurement::Position(PositionFix {
            lat_deg: top.number("lat_deg")?,
            lon_deg: top.number("lon_deg")?,
            alt_m: top.number("alt_m")?,
            sigma_m: top.number("sigma_m")?,
            vel_ecef_mps: velocity(&top)?,
        }),
        _ => {
            let site = top.object("site", "site", SITE_FIELDS)?;
            let site = SiteGeodetic {
                lat_deg: site.number("lat_deg")?,
                lon_deg: site.number("lon_deg")?,
                alt_m: site.number("alt_m")?,
            };
            let range_m = top.number("range_m")?;
            let az_deg = top.number("az_deg")?;
            let el_deg = top.number("el_deg")?;
            let sigma = top.object("sigma", "sigma", SIGMA_FIELDS)?;
            let sigma = RadarSigma {
                range_m: sigma.number("range_m")?,
                angle_deg: sigma.number("angle_deg")?,
            };
            Measurement::Radar(RadarMeasurement {
                site,
                range_m,
                az_deg,
                el_deg,
                sigma,
            })
        }
    };
    Ok(Report {
        t,
        object,
        sensor,
        measurement,
    })
}

/// The optional ECEF velocity; `null` counts as absent since many writers emit it for
/// a missing optional.
fn velocity(top: &Obj<'_>) -> Result<Option<[f64; 3]>, Reason> {
    const EXPECTED: &str = "an array of 3 numbers [vx, vy, vz] in m/s";
    let field = "vel_ecef_mps";
    match top.get(field) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Arr(items)) if items.len() == 3 => {
            let mut v = [0.0; 3];
            for (slot, item) in v.iter_mut().zip(items) {
                match item {
                    Json::Num(x) => *slot = *x,
                    other => return Err(top.wrong(field, EXPECTED, other)),
                }
            }
            Ok(Some(v))
        }
        Some(Json::Arr(items)) => Err(Reason::WrongType {
            field: field.to_owned(),
            expected: EXPECTED,
            found: format!("an array of {} items", items.len()),
        }),
        Some(other) => Err(top.wrong(field, EXPECTED, other)),
    }
}
