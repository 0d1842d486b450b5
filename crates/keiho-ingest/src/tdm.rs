//! CCSDS Tracking Data Messages (503.0-B-2, KVN text form) turned into radar reports.
//!
//! Only what a skin-tracking radar produces is understood: `RANGE` plus `ANGLE_1` /
//! `ANGLE_2` with `ANGLE_TYPE = AZEL`, time-tagged in UTC. The three observables sharing
//! a time tag become one [`Measurement::Radar`] report. Other data keywords (Doppler,
//! frequencies, meteorology, ...) are skipped: they are legal TDM content that this
//! stage has no use for, and refusing them would refuse whole real-world files.
//!
//! Mapping:
//! - `sensor` = `PARTICIPANT_1` (the radar); `object` = `PARTICIPANT_2`, renamed
//!   through [`TdmContext::object_from_participant`] when listed there.
//! - The site is a `COMMENT SITE lat_deg lon_deg alt_m` line in the segment's metadata,
//!   or else [`TdmContext::sites`] keyed by `PARTICIPANT_1`.
//! - `RANGE` is in km (`RANGE_UNITS = km`, also the default). For a two-way `PATH`
//!   (`1,2,1`) it is taken as the round-trip distance and halved, unless
//!   [`TdmContext::two_way_range_is_round_trip`] says the producer wrote one-way range.
//! - `ANGLE_1` (azimuth) may be in TDM's [-180, 360) and is wrapped into [0, 360).
//! - TDM carries no noise figures, so sigma comes from [`TdmContext::sigma`].
//!
//! A problem in one segment's metadata rejects that segment (one rejection at the
//! offending line) and parsing resumes at the next `META_START`.

use crate::error::{Reason, Rejection};
use crate::report::{Measurement, RadarMeasurement, RadarSigma, Report, SiteGeodetic};
use crate::validate::Validator;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::HashMap;

/// What the caller knows that a TDM does not say.
#[derive(Debug, Clone, PartialEq)]
pub struct TdmContext {
    /// Radar sites by `PARTICIPANT_1` name, used when the metadata has no
    /// `COMMENT SITE` line.
    pub sites: HashMap<String, SiteGeodetic>,
    /// Track ids by `PARTICIPANT_2` name; unlisted participants are used as-is.
    pub object_from_participant: HashMap<String, String>,
    /// Measurement noise given to every report. Default: 50 m in range and 0.05 deg in
    /// angle, a deliberately modest figure; set it from the radar's specification.
    pub sigma: RadarSigma,
    /// Whether `RANGE` on a two-way path (`PATH = 1,2,1`) is the round-trip distance
    /// (halved to get slant range) or already one-way. Default `true`.
    pub two_way_range_is_round_trip: bool,
}

/// Default radar noise for TDM input; see [`TdmContext::sigma`].
pub const DEFAULT_TDM_SIGMA: RadarSigma = RadarSigma {
    range_m: 50.0,
    angle_deg: 0.05,
};

impl Default for TdmContext {
    fn default() -> Self {
        Self {
            sites: HashMap::new(),
            object_from_participant: HashMap::new(),
            sigma: DEFAULT_TDM_SIGMA,
            two_way_range_is_round_trip: true,
        }
    }
}

impl Validator {
    /// Parses a KVN TDM into radar reports, validated like JSON reports. Results come
    /// in input order (a report sits at the line of its first data line); a rejected
    /// measurement or segment never affects the others.
    pub fn parse_tdm(&self, text: &str, ctx: &TdmContext) -> Vec<Result<Report, Rejection>> {
        let mut parser = Parser {
            v: self,
            ctx,
            out: Vec::new(),
        };
        parser.run(text);
        let mut out = parser.out;
        out.sort_by_key(|(line, _)| *line);
        out.into_iter().map(|(_, r)| r).collect()
    }
}

/// Where in the KVN structure we are.
enum State {
    Header {
        saw_version: bool,
    },
    Between,
    Meta(MetaBuilder),
    AwaitData(Segment),
    Data(Segment),
    /// After a broken metadata block: skip its data up to the next segment.
    Skip,
}

#[derive(Default)]
struct MetaBuilder {
    keys: HashMap<String, (usize, String)>,
    site: Option<SiteGeodetic>,
    error: Option<Rejection>,
}

struct Segment {
    sensor: String,
    object: String,
    site: SiteGeodetic,
    /// Metres per TDM range unit, including halving of round-trip range.
    range_scale_m: f64,
    groups: Vec<Group>,
    by_time: HashMap<DateTime<Utc>, usize>,
}

struct Group {
    line: usize,
    timetag: String,
    t: DateTime<Utc>,
    range: Option<f64>,
    angle_1: Option<f64>,
    angle_2: Option<f64>,
}

struct Parser<'a> {
    v: &'a Validator,
    ctx: &'a TdmContext,
    out: Vec<(usize, Result<Report, Rejection>)>,
}

fn reject(line: usize, reason: Reason) -> Rejection {
    Rejection { line, reason }
}

fn syntax(line: usize, why: impl Into<String>) -> Rejection {
    reject(line, Reason::TdmSyntax { why: why.into() })
}

/// Splits `KEY = value`, trimming both.
fn key_value(s: &str) -> Option<(&str, &str)> {
    s.split_once('=').map(|(k, v)| (k.trim(), v.trim()))
}

fn is_comment(s: &str) -> bool {
    s == "COMMENT" || s.starts_with("COMMENT ") || s.starts_with("COMMENT\t")
}

impl Parser<'_> {
    fn fail(&mut self, r: Rejection) {
        self.out.push((r.line, Err(r)));
    }

    fn run(&mut self, text: &str) {
        let mut state = State::Header { saw_version: false };
        let mut last_line = 0;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            last_line = line;
            let s = raw.trim().trim_start_matches('\u{feff}');
            if s.is_empty() {
                continue;
            }
            state = match self.step(state, line, s) {
                Ok(next) => next,
                Err(StepEnd::Stop) => return,
            };
        }
        self.finish(state, last_line.max(1));
    }

    fn step(&mut self, state: State, line: usize, s: &str) -> Result<State, StepEnd> {
        Ok(match state {
            State::Header { saw_version: false } => match key_value(s) {
                Some(("CCSDS_TDM_VERS", v)) if v.starts_with("1.") || v.starts_with("2.") => {
                    State::Header { saw_version: true }
                }
                Some(("CCSDS_TDM_VERS", v)) => {
                    self.fail(reject(
                        line,
                        Reason::TdmUnsupported {
                            keyword: "CCSDS_TDM_VERS".to_owned(),
                            value: v.to_owned(),
                            why: "only TDM versions 1.x and 2.x are known",
                        },
                    ));
                    return Err(StepEnd::Stop);
                }
                _ => {
                    // Not a TDM at all: one rejection says so better than one per line.
                    self.fail(syntax(line, "a TDM must start with `CCSDS_TDM_VERS = ...`"));
                    return Err(StepEnd::Stop);
                }
            },
            State::Header { saw_version: true } | State::Between => {
                if s == "META_START" {
                    State::Meta(MetaBuilder::default())
                } else if is_comment(s)
                    || (matches!(state, State::Header { .. }) && key_value(s).is_some())
                {
                    state
                } else {
                    self.fail(syntax(line, format!("expected META_START, found {s:?}")));
                    state
                }
            }
            State::Meta(mut meta) => {
                if s == "META_STOP" {
                    match self.finish_meta(meta, line) {
                        Ok(seg) => State::AwaitData(seg),
                        Err(r) => {
                            self.fail(r);
                            State::Skip
                        }
                    }
                } else {
                    meta.add(line, s);
                    State::Meta(meta)
                }
            }
            State::AwaitData(seg) => {
                if s == "DATA_START" {
                    State::Data(seg)
                } else if is_comment(s) {
                    State::AwaitData(seg)
                } else {
                    self.fail(syntax(
                        line,
                        format!("expected DATA_START after META_STOP, found {s:?}"),
                    ));
                    State::Skip
                }
            }
            State::Data(mut seg) => {
                if s == "DATA_STOP" {
                    self.flush(seg);
                    State::Between
                } else if s == "META_START" {
                    self.fail(syntax(
                        line,
                        "META_START inside a data section (missing DATA_STOP)",
                    ));
                    self.flush(seg);
                    State::Meta(MetaBuilder::default())
                } else {
                    if !is_comment(s)
                        && let Err(r) = seg.add(line, s)
                    {
                        self.fail(r);
                    }
                    State::Data(seg)
                }
            }
            State::Skip => match s {
                "META_START" => State::Meta(MetaBuilder::default()),
                "DATA_STOP" => State::Between,
                _ => State::Skip,
            },
        })
    }

    fn finish(&mut self, state: State, last_line: usize) {
        match state {
            State::Header { saw_version } => {
                let why = if saw_version {
                    "no META_START: the message has no data segment"
                } else {
                    "empty input: a TDM must start with `CCSDS_TDM_VERS = ...`"
                };
                self.fail(syntax(last_line, why));
            }
            State::Meta(_) | State::AwaitData(_) => {
                self.fail(syntax(
                    last_line,
                    "the message ends inside a segment's metadata",
                ));
            }
            State::Data(seg) => {
                // The complete measurement groups are still sound; keep them.
                self.fail(syntax(last_line, "the message ends without DATA_STOP"));
                self.flush(seg);
            }
            State::Between | State::Skip => {}
        }
    }

    fn finish_meta(&self, meta: MetaBuilder, stop_line: usize) -> Result<Segment, Rejection> {
        if let Some(r) = meta.error {
            return Err(r);
        }
        let get = |k: &str| meta.keys.get(k).map(|(l, v)| (*l, v.as_str()));
        let unsupported = |line: usize, keyword: &str, value: &str, why: &'static str| {
            reject(
                line,
                Reason::TdmUnsupported {
                    keyword: keyword.to_owned(),
                    value: value.to_owned(),
                    why,
                },
            )
        };
        let missing = |keyword: &'static str, why: &'static str| {
            reject(stop_line, Reason::TdmMissing { keyword, why })
        };

        match get("TIME_SYSTEM") {
            None => {
                return Err(missing(
                    "TIME_SYSTEM",
                    "time tags cannot be placed on a time scale",
                ));
            }
            Some((_, "UTC")) => {}
            Some((l, v)) => {
                return Err(unsupported(
                    l,
                    "TIME_SYSTEM",
                    v,
                    "only UTC time tags are accepted; converting TAI, GPS or TT needs a leap-second table this stage does not carry",
                ));
            }
        }
        if let Some((l, v)) = get("MODE")
            && v != "SEQUENTIAL"
        {
            return Err(unsupported(
                l,
                "MODE",
                v,
                "differenced data carry no site-to-target geometry",
            ));
        }
        let (_, sensor) = get("PARTICIPANT_1")
            .ok_or_else(|| missing("PARTICIPANT_1", "it names the radar (the report's sensor)"))?;
        let (_, participant_2) = get("PARTICIPANT_2")
            .ok_or_else(|| missing("PARTICIPANT_2", "it names the tracked object"))?;
        let two_way = match get("PATH") {
            None => {
                return Err(missing(
                    "PATH",
                    "it says whether RANGE is one-way or two-way",
                ));
            }
            Some((l, v)) => match v.replace(' ', "").as_str() {
                "1,2,1" => true,
                "1,2" | "2,1" => false,
                _ => {
                    return Err(unsupported(
                        l,
                        "PATH",
                        v,
                        "only paths between PARTICIPANT_1 (the radar) and PARTICIPANT_2 (the object) are understood",
                    ));
                }
            },
        };
        match get("ANGLE_TYPE") {
            None => {
                return Err(missing(
                    "ANGLE_TYPE",
                    "ANGLE_1 and ANGLE_2 cannot be interpreted without it",
                ));
            }
            Some((_, "AZEL")) => {}
            Some((l, v)) => {
                return Err(unsupported(
                    l,
                    "ANGLE_TYPE",
                    v,
                    "only AZEL (azimuth, elevation) angles can be placed from a ground site without an orientation model",
                ));
            }
        }
        match get("RANGE_UNITS") {
            None | Some((_, "km")) => {}
            Some((l, v @ ("s" | "RU"))) => {
                return Err(unsupported(
                    l,
                    "RANGE_UNITS",
                    v,
                    "range in seconds or range units needs light-time and ranging-code metadata (RANGE_MODE, RANGE_MODULUS, turnaround ratios) to become metres; send km",
                ));
            }
            Some((l, v)) => {
                return Err(unsupported(
                    l,
                    "RANGE_UNITS",
                    v,
                    "TDM range units are km, s or RU",
                ));
            }
        }
        let has_corrections = [
            "CORRECTION_RANGE",
            "CORRECTION_ANGLE_1",
            "CORRECTION_ANGLE_2",
        ]
        .iter()
        .any(|k| meta.keys.contains_key(*k));
        if has_corrections {
            match get("CORRECTIONS_APPLIED") {
                Some((_, "YES")) => {}
                other => {
                    let (l, v) = other.unwrap_or((stop_line, "(absent)"));
                    return Err(unsupported(
                        l,
                        "CORRECTIONS_APPLIED",
                        v,
                        "CORRECTION_* values are given but not applied; apply them upstream so that the report is the corrected measurement",
                    ));
                }
            }
        }
        let site = match meta.site.or_else(|| self.ctx.sites.get(sensor).copied()) {
            Some(site) => site,
            None => {
                let line = get("PARTICIPANT_1").map_or(stop_line, |(l, _)| l);
                return Err(reject(
                    line,
                    Reason::TdmNoSite {
                        participant: sensor.to_owned(),
                    },
                ));
            }
        };
        let object = self
            .ctx
            .object_from_participant
            .get(participant_2)
            .cloned()
            .unwrap_or_else(|| participant_2.to_owned());
        let round_trip = two_way && self.ctx.two_way_range_is_round_trip;
        Ok(Segment {
            sensor: sensor.to_owned(),
            object,
            site,
            range_scale_m: if round_trip { 500.0 } else { 1000.0 },
            groups: Vec::new(),
            by_time: HashMap::new(),
        })
    }

    /// Turns a segment's measurement groups into reports.
    fn flush(&mut self, seg: Segment) {
        for g in seg.groups {
            let (Some(range), Some(a1), Some(a2)) = (g.range, g.angle_1, g.angle_2) else {
                let missing: Vec<&str> = [
                    ("RANGE", g.range.is_none()),
                    ("ANGLE_1", g.angle_1.is_none()),
                    ("ANGLE_2", g.angle_2.is_none()),
                ]
                .iter()
                .filter(|(_, absent)| *absent)
                .map(|(k, _)| *k)
                .collect();
                self.fail(reject(
                    g.line,
                    Reason::TdmIncomplete {
                        timetag: g.timetag,
                        missing: missing.join(", "),
                    },
                ));
                continue;
            };
            // TDM angles lie in [-180, 360); ours in [0, 360).
            let az_deg = if (-180.0..0.0).contains(&a1) {
                a1 + 360.0
            } else {
                a1
            };
            let report = Report {
                t: g.t,
                object: seg.object.clone(),
                sensor: seg.sensor.clone(),
                measurement: Measurement::Radar(RadarMeasurement {
                    site: seg.site,
                    range_m: range * seg.range_scale_m,
                    az_deg,
                    el_deg: a2,
                    sigma: self.ctx.sigma,
                }),
            };
            let result = self
                .v
                .validate(&report)
                .map(|()| report)
                .map_err(|reason| reject(g.line, reason));
            self.out.push((g.line, result));
        }
    }
}

enum StepEnd {
    Stop,
}

impl MetaBuilder {
    fn add(&mut self, line: usize, s: &str) {
        if self.error.is_some() {
            return;
        }
        if is_comment(s) {
            let words: Vec<&str> = s.split_whitespace().collect();
            if words.get(1) == Some(&"SITE") {
                match parse_site(&words[2..]) {
                    Some(site) if self.site.is_none() => self.site = Some(site),
                    Some(_) => {
                        self.error = Some(syntax(
                            line,
                            "more than one `COMMENT SITE` line in one segment",
                        ));
                    }
                    None => {
                        self.error = Some(syntax(
                            line,
                            "`COMMENT SITE` must be followed by three numbers: lat_deg lon_deg alt_m",
                        ));
                    }
                }
            }
            return;
        }
        match key_value(s) {
            Some((k, v)) => {
                if self.keys.contains_key(k) {
                    self.error = Some(syntax(line, format!("metadata keyword {k} given twice")));
                } else {
                    self.keys.insert(k.to_owned(), (line, v.to_owned()));
                }
            }
            None => {
                self.error = Some(syntax(
                    line,
                    format!("expected `KEYWORD = value` in metadata, found {s:?}"),
                ));
            }
        }
    }
}

fn parse_site(words: &[&str]) -> Option<SiteGeodetic> {
    match words {
        [lat, lon, alt] => Some(SiteGeodetic {
            lat_deg: lat.parse().ok()?,
            lon_deg: lon.parse().ok()?,
            alt_m: alt.parse().ok()?,
        }),
        _ => None,
    }
}

impl Segment {
    fn add(&mut self, line: usize, s: &str) -> Result<(), Rejection> {
        let Some((keyword, rest)) = key_value(s) else {
            return Err(syntax(
                line,
                format!("expected `KEYWORD = timetag value` in data, found {s:?}"),
            ));
        };
        if !matches!(keyword, "RANGE" | "ANGLE_1" | "ANGLE_2") {
            return Ok(());
        }
        let mut words = rest.split_whitespace();
        let (Some(timetag), Some(value), None) = (words.next(), words.next(), words.next()) else {
            return Err(syntax(
                line,
                format!("{keyword} must be `{keyword} = timetag value`, found {rest:?}"),
            ));
        };
        let t = parse_timetag(timetag).map_err(|why| {
            reject(
                line,
                Reason::BadTime {
                    field: "time tag".to_owned(),
                    value: timetag.to_owned(),
                    why,
                },
            )
        })?;
        let x: f64 = value.parse().map_err(|_| {
            reject(
                line,
                Reason::TdmBadNumber {
                    keyword: keyword.to_owned(),
                    value: value.to_owned(),
                },
            )
        })?;
        if !x.is_finite() {
            return Err(reject(
                line,
                Reason::NotFinite {
                    field: keyword.to_owned(),
                    value: x,
                },
            ));
        }
        let idx = *self.by_time.entry(t).or_insert_with(|| {
            self.groups.push(Group {
                line,
                timetag: timetag.to_owned(),
                t,
                range: None,
                angle_1: None,
                angle_2: None,
            });
            self.groups.len() - 1
        });
        let group = &mut self.groups[idx];
        let slot = match keyword {
            "RANGE" => &mut group.range,
            "ANGLE_1" => &mut group.angle_1,
            _ => &mut group.angle_2,
        };
        if slot.is_some() {
            return Err(reject(
                line,
                Reason::TdmRepeated {
                    keyword: keyword.to_owned(),
                    timetag: timetag.to_owned(),
                },
            ));
        }
        *slot = Some(x);
        Ok(())
    }
}

/// Parses a TDM time tag, `YYYY-MM-DDThh:mm:ss[.f]` or day-of-year
/// `YYYY-DDDThh:mm:ss[.f]`, with an optional trailing `Z`, as UTC.
pub(crate) fn parse_timetag(s: &str) -> Result<DateTime<Utc>, String> {
    let body = s.strip_suffix('Z').unwrap_or(s);
    let date = body.split('T').next().unwrap_or("");
    let format = match date.matches('-').count() {
        2 => "%Y-%m-%dT%H:%M:%S%.f",
        1 => "%Y-%jT%H:%M:%S%.f",
        _ => return Err("expected YYYY-MM-DDThh:mm:ss or YYYY-DDDThh:mm:ss".to_owned()),
    };
    NaiveDateTime::parse_from_str(body, format)
        .map(|t| t.and_utc())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_tags_in_both_forms() {
        let a = parse_timetag("2023-08-23T18:50:12.300").unwrap();
        let b = parse_timetag("2023-235T18:50:12.3Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(
            parse_timetag("2023-235T18:50:12")
                .unwrap()
                .timestamp_subsec_millis(),
            0
        );
        assert!(
            parse_timetag("2023-366T00:00:00").is_err(),
            "2023 is not a leap year"
        );
        assert!(parse_timetag("23:00").is_err());
    }
}
