//! Why a report was refused: a typed reason plus the input line it came from.
//!
//! Messages are written for the operator reading the ingest log at 3 a.m.: each names
//! the field (or TDM keyword), the offending value and the rule it broke.

use chrono::{DateTime, Utc};

/// A refused input line (JSON) or measurement group (TDM), with where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct Rejection {
    /// 1-based line number in the input. For a TDM measurement group, the line of its
    /// first data line; for a TDM metadata problem, the offending metadata line.
    pub line: usize,
    /// What was wrong.
    pub reason: Reason,
}

impl Rejection {
    /// The field (JSON path such as `site.lat_deg`) or TDM keyword at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        self.reason.field()
    }
}

/// What was wrong with a report. Field names are JSON paths (`sigma.range_m`,
/// `vel_ecef_mps`) or, for TDM input, the KVN keyword (`ANGLE_1`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// The line is not UTF-8.
    #[error("line is not valid UTF-8 (invalid byte at offset {valid_up_to})")]
    NotUtf8 {
        /// Length of the valid UTF-8 prefix in bytes.
        valid_up_to: usize,
    },
    /// The line is not JSON, or holds a number no 64-bit float can represent.
    #[error("invalid JSON at column {column}: {message}")]
    Syntax {
        /// 1-based column where the JSON parser gave up.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// The line is JSON but not an object.
    #[error("a report must be a JSON object, found {found}")]
    NotAnObject {
        /// What was found instead.
        found: String,
    },
    /// The same key appears twice in one object; which one was meant is ambiguous.
    #[error("field `{field}` appears more than once")]
    DuplicateField {
        /// The repeated field.
        field: String,
    },
    /// A required field is absent.
    #[error("missing field `{field}`")]
    MissingField {
        /// The absent field.
        field: String,
    },
    /// A field has the wrong JSON type (this includes numbers sent as strings, `"NaN"`).
    #[error("field `{field}` must be {expected}, found {found}")]
    WrongType {
        /// The field.
        field: String,
        /// The type wanted.
        expected: &'static str,
        /// What was found, with a short excerpt of strings.
        found: String,
    },
    /// `kind` is not one this version understands.
    #[error("unknown kind {kind:?}; expected one of \"launch\", \"position\", \"radar\"")]
    UnknownKind {
        /// The kind given.
        kind: String,
    },
    /// A field this kind of report does not have; refused rather than ignored, since a
    /// misspelt optional field would otherwise vanish silently.
    #[error("unknown field `{field}`; expected one of {expected}")]
    UnknownField {
        /// The unexpected field.
        field: String,
        /// The fields allowed here, comma-separated.
        expected: String,
    },
    /// An identifier (`object`, `sensor`) that is blank or absurdly long.
    #[error("field `{field}` must be a non-empty string of at most {max_len} bytes")]
    BadId {
        /// The field.
        field: String,
        /// The length limit in bytes.
        max_len: usize,
    },
    /// A time that does not parse.
    #[error("field `{field}` = {value:?} is not a valid time: {why}")]
    BadTime {
        /// The field (`t`, or `time tag` in TDM).
        field: String,
        /// The text given.
        value: String,
        /// The parser's reason.
        why: String,
    },
    /// NaN or infinite (reachable from TDM text, e.g. `NaN`, `inf`, `1e999`).
    #[error("field `{field}` is not a finite number ({value:?})")]
    NotFinite {
        /// The field.
        field: String,
        /// The value.
        value: f64,
    },
    /// Latitude outside [-90, 90] degrees.
    #[error("field `{field}` = {value:?} is outside [-90, 90] degrees")]
    Latitude {
        /// The field.
        field: String,
        /// The value, degrees.
        value: f64,
    },
    /// Longitude outside [-180, 180] degrees.
    #[error("field `{field}` = {value:?} is outside [-180, 180] degrees")]
    Longitude {
        /// The field.
        field: String,
        /// The value, degrees.
        value: f64,
    },
    /// A 1-sigma that is zero, negative or too large to carry information.
    #[error(
        "field `{field}` = {value:?} {unit} is not a usable 1-sigma: it must be > 0 and <= {max} {unit}"
    )]
    Sigma {
        /// The field.
        field: String,
        /// The value.
        value: f64,
        /// The largest accepted value.
        max: f64,
        /// `m` or `deg`.
        unit: &'static str,
    },
    /// Altitude outside [-500 m, 5,000 km] above the WGS84 ellipsoid.
    #[error("field `{field}` = {value:?} m is outside [-500 m, 5000 km] above the WGS84 ellipsoid")]
    Altitude {
        /// The field.
        field: String,
        /// The value, metres.
        value: f64,
    },
    /// The radar target, placed from site, range, azimuth and elevation, is outside
    /// [-500 m, 5,000 km] above the WGS84 ellipsoid.
    #[error(
        "radar target altitude {alt_m:.1} m (from site, range_m, az_deg and el_deg) is outside [-500 m, 5000 km] above the WGS84 ellipsoid"
    )]
    TargetAltitude {
        /// The computed geodetic altitude of the target, metres.
        alt_m: f64,
    },
    /// Elevation outside [-90, 90] degrees.
    #[error("field `{field}` = {value:?} is outside [-90, 90] degrees")]
    Elevation {
        /// The field.
        field: String,
        /// The value, degrees.
        value: f64,
    },
    /// Azimuth outside [0, 360) degrees.
    #[error("field `{field}` = {value:?} is outside [0, 360) degrees")]
    Azimuth {
        /// The field.
        field: String,
        /// The value, degrees.
        value: f64,
    },
    /// A negative range.
    #[error("field `{field}` = {value:?} m is negative")]
    NegativeRange {
        /// The field.
        field: String,
        /// The value, metres.
        value: f64,
    },
    /// A velocity faster than anything ballistic.
    #[error("field `{field}` has speed {speed_mps:.1} m/s, above the {max_mps} m/s limit")]
    Speed {
        /// The field.
        field: String,
        /// The speed, m/s.
        speed_mps: f64,
        /// The limit, m/s.
        max_mps: f64,
    },
    /// A time further in the future than clock error can explain.
    #[error(
        "field `t` = {t:?} is {ahead_s} s after now ({now:?}), beyond the {tolerance_s} s tolerance"
    )]
    InFuture {
        /// The report time.
        t: DateTime<Utc>,
        /// The injected current time.
        now: DateTime<Utc>,
        /// How far ahead, seconds.
        ahead_s: f64,
        /// The tolerance, seconds.
        tolerance_s: f64,
    },
    /// A TDM that does not follow the KVN structure.
    #[error("malformed TDM: {why}")]
    TdmSyntax {
        /// What is wrong.
        why: String,
    },
    /// A TDM keyword whose value we understand but cannot convert.
    #[error("TDM {keyword} = {value} is not supported: {why}")]
    TdmUnsupported {
        /// The keyword.
        keyword: String,
        /// Its value.
        value: String,
        /// Why not.
        why: &'static str,
    },
    /// Required TDM metadata is absent.
    #[error("TDM metadata has no {keyword}: {why}")]
    TdmMissing {
        /// The keyword.
        keyword: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// No position for the tracking site.
    #[error(
        "no site position for TDM PARTICIPANT_1 {participant:?}: give a `COMMENT SITE lat_deg lon_deg alt_m` line in the metadata or an entry in TdmContext::sites"
    )]
    TdmNoSite {
        /// PARTICIPANT_1.
        participant: String,
    },
    /// A TDM data value that is not a number.
    #[error("TDM {keyword} value {value:?} is not a number")]
    TdmBadNumber {
        /// The keyword.
        keyword: String,
        /// The text given.
        value: String,
    },
    /// The same observable twice at one time tag.
    #[error("TDM {keyword} appears twice for time tag {timetag}")]
    TdmRepeated {
        /// The keyword.
        keyword: String,
        /// The time tag as written.
        timetag: String,
    },
    /// A time tag lacking one of the three observables a radar report needs.
    #[error(
        "TDM time tag {timetag} has no {missing}; a radar report needs RANGE, ANGLE_1 and ANGLE_2 at the same time tag"
    )]
    TdmIncomplete {
        /// The time tag as written.
        timetag: String,
        /// The absent keywords, comma-separated.
        missing: String,
    },
}

impl Reason {
    /// The field or TDM keyword at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::DuplicateField { field }
            | Self::MissingField { field }
            | Self::WrongType { field, .. }
            | Self::UnknownField { field, .. }
            | Self::BadId { field, .. }
            | Self::BadTime { field, .. }
            | Self::NotFinite { field, .. }
            | Self::Latitude { field, .. }
            | Self::Longitude { field, .. }
            | Self::Sigma { field, .. }
            | Self::Altitude { field, .. }
            | Self::Elevation { field, .. }
            | Self::Azimuth { field, .. }
            | Self::NegativeRange { field, .. }
            | Self::Speed { field, .. } => Some(field),
            Self::UnknownKind { .. } => Some("kind"),
            Self::InFuture { .. } => Some("t"),
            Self::TdmUnsupported { keyword, .. }
            | Self::TdmBadNumber { keyword, .. }
            | Self::TdmRepeated { keyword, .. } => Some(keyword),
            Self::TdmMissing { keyword, .. } => Some(keyword),
            Self::TdmNoSite { .. } => Some("PARTICIPANT_1"),
            Self::NotUtf8 { .. }
            | Self::Syntax { .. }
            | Self::NotAnObject { .. }
            | Self::TargetAltitude { .. }
            | Self::TdmSyntax { .. }
            | Self::TdmIncomplete { .. } => None,
        }
    }
}
