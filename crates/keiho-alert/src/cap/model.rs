//! The CAP 1.2 message model. Field order follows the schema's `sequence` order, which
//! the XML writer relies on (CAP enforces element order).

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The CAP 1.2 XML namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// A CAP `<alert>`: the message envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "alert")]
pub struct Alert {
    /// The XML namespace; always [`CAP_NAMESPACE`] when written.
    #[serde(rename = "@xmlns", default = "cap_namespace")]
    pub xmlns: String,
    /// Unique message identifier (no spaces, commas or restricted characters).
    pub identifier: String,
    /// Originator identifier (no spaces, commas or restricted characters).
    pub sender: String,
    /// Time sent, with a zone offset (CAP forbids `Z`).
    #[serde(with = "cap_time")]
    pub sent: DateTime<FixedOffset>,
    /// Actual, Exercise, System, Test or Draft.
    pub status: Status,
    /// Alert, Update, Cancel, Ack or Error.
    #[serde(rename = "msgType")]
    pub msg_type: MsgType,
    /// Source of the message (e.g. an operator's id).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    /// Public, Restricted or Private.
    pub scope: Scope,
    /// Rule for restricted messages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub restriction: Option<String>,
    /// Intended recipients of private messages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub addresses: Option<String>,
    /// Special handling codes (e.g. a profile).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub code: Vec<String>,
    /// Explanation (required by convention for Cancel, Exercise and Error).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    /// Earlier messages this one refers to: space-separated `sender,identifier,sent`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub references: Option<String>,
    /// Incident identifiers grouping related messages.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub incidents: Option<String>,
    /// One block per language.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub info: Vec<Info>,
}

fn cap_namespace() -> String {
    CAP_NAMESPACE.to_owned()
}

/// One `<info>` block: the alert in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// RFC 3066 language (`ja-JP`, `en-US`, `ko-KR`); CAP's default is `en-US`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub language: Option<String>,
    /// One or more categories.
    #[serde(deserialize_with = "enum_list")]
    pub category: Vec<Category>,
    /// The type of event, in words.
    pub event: String,
    /// What people should do.
    #[serde(
        rename = "responseType",
        skip_serializing_if = "Vec::is_empty",
        default,
        deserialize_with = "enum_list"
    )]
    pub response_type: Vec<ResponseType>,
    /// How soon to act.
    pub urgency: Urgency,
    /// How bad.
    pub severity: Severity,
    /// How sure.
    pub certainty: Certainty,
    /// Intended audience.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub audience: Option<String>,
    /// System-specific event codes.
    #[serde(rename = "eventCode", skip_serializing_if = "Vec::is_empty", default)]
    pub event_code: Vec<NamedValue>,
    /// When the information becomes effective.
    #[serde(
        with = "cap_time_opt",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub effective: Option<DateTime<FixedOffset>>,
    /// Expected onset of the event.
    #[serde(
        with = "cap_time_opt",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub onset: Option<DateTime<FixedOffset>>,
    /// When the information expires.
    #[serde(
        with = "cap_time_opt",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub expires: Option<DateTime<FixedOffset>>,
    /// Human-readable sender name.
    #[serde(
        rename = "senderName",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub sender_name: Option<String>,
    /// Short headline.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub headline: Option<String>,
    /// What is happening.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub instruction: Option<String>,
    /// Link to more information.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub web: Option<String>,
    /// Contact for follow-up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contact: Option<String>,
    /// System-specific parameters (Keiho: predicted impact time and point).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub parameter: Vec<NamedValue>,
    /// Attached resources.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub resource: Vec<Resource>,
    /// Areas concerned.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub area: Vec<Area>,
}

/// `<eventCode>`, `<parameter>` and `<geocode>`: a named value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedValue {
    /// The name (e.g. `ISO3166-2`).
    #[serde(rename = "valueName")]
    pub value_name: String,
    /// The value (e.g. `JP-47`).
    pub value: String,
}

impl NamedValue {
    /// A named value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            value_name: name.into(),
            value: value.into(),
        }
    }
}

/// `<resource>`: a file or link attached to the alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// What it is.
    #[serde(rename = "resourceDesc")]
    pub resource_desc: String,
    /// MIME type.
    #[serde(rename = "mimeType")]
    pub mime_type: String,
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub size: Option<u64>,
    /// Where it is.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uri: Option<String>,
    /// Base64 content.
    #[serde(rename = "derefUri", skip_serializing_if = "Option::is_none", default)]
    pub deref_uri: Option<String>,
    /// SHA-1 of the content.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
}

/// `<area>`: one area the alert concerns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// Names of the area.
    #[serde(rename = "areaDesc")]
    pub area_desc: String,
    /// Polygons: space-separated `lat,lon` pairs, closed, at least 4.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub polygon: Vec<String>,
    /// Circles: `lat,lon radius_km`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub circle: Vec<String>,
    /// Geographic codes (Keiho: `ISO3166-2` and, for Japan, `JIS-X-0401`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub geocode: Vec<NamedValue>,
    /// Altitude, feet above mean sea level (CAP's unit).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub altitude: Option<f64>,
    /// Ceiling, feet above mean sea level.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ceiling: Option<f64>,
}

/// One entry of `<references>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Sender of the earlier message.
    pub sender: String,
    /// Its identifier.
    pub identifier: String,
    /// Its `sent` text, exactly as it appeared.
    pub sent: String,
}

impl Reference {
    /// Format a list of references as CAP's space-separated triples.
    pub fn join(refs: &[Reference]) -> String {
        refs.iter()
            .map(|r| format!("{},{},{}", r.sender, r.identifier, r.sent))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

macro_rules! cap_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }
        impl $name {
            /// The CAP text of this value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            /// Every value CAP allows, as text.
            pub const ALL: &'static [&'static str] = &[$($text),+];
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim() {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!("{other:?} is not one of {}", Self::ALL.join(", "))),
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

cap_enum!(
    /// `<status>`: the handling of the message.
    Status { /// Real.
        Actual = "Actual", /// A drill: do not act.
        Exercise = "Exercise", /// Network messages.
        System = "System", /// Technical test: discard.
        Test = "Test", /// A draft, not for issue.
        Draft = "Draft" }
);
cap_enum!(
    /// `<msgType>`.
    MsgType { /// First message of an incident.
        Alert = "Alert", /// Supersedes earlier messages.
        Update = "Update", /// Cancels earlier messages.
        Cancel = "Cancel", /// Acknowledges.
        Ack = "Ack", /// Rejects.
        Error = "Error" }
);
cap_enum!(
    /// `<scope>`.
    Scope { /// For everyone.
        Public = "Public", /// Restricted by `restriction`.
        Restricted = "Restricted", /// To `addresses`.
        Private = "Private" }
);
cap_enum!(
    /// `<category>`.
    Category { /// Geophysical.
        Geo = "Geo", /// Meteorological.
        Met = "Met", /// Safety.
        Safety = "Safety", /// Law enforcement, military, homeland security.
        Security = "Security", /// Rescue.
        Rescue = "Rescue", /// Fire.
        Fire = "Fire", /// Medical.
        Health = "Health", /// Pollution.
        Env = "Env", /// Transport.
        Transport = "Transport", /// Utilities.
        Infra = "Infra", /// CBRNE.
        Cbrne = "CBRNE", /// Other.
        Other = "Other" }
);
cap_enum!(
    /// `<responseType>`.
    ResponseType { /// Take shelter.
        Shelter = "Shelter", /// Evacuate.
        Evacuate = "Evacuate", /// Prepare.
        Prepare = "Prepare", /// Execute a plan.
        Execute = "Execute", /// Avoid the area.
        Avoid = "Avoid", /// Monitor.
        Monitor = "Monitor", /// Assess.
        Assess = "Assess", /// The event no longer poses a threat.
        AllClear = "AllClear", /// No action.
        None = "None" }
);
cap_enum!(
    /// `<urgency>`.
    Urgency { /// Act now.
        Immediate = "Immediate", /// Within the next hour.
        Expected = "Expected", /// In the near future.
        Future = "Future", /// No longer.
        Past = "Past", /// Unknown.
        Unknown = "Unknown" }
);
cap_enum!(
    /// `<severity>`.
    Severity { /// Extraordinary threat to life or property.
        Extreme = "Extreme", /// Significant threat.
        Severe = "Severe", /// Possible threat.
        Moderate = "Moderate", /// Minimal threat.
        Minor = "Minor", /// Unknown.
        Unknown = "Unknown" }
);
cap_enum!(
    /// `<certainty>`.
    Certainty { /// Determined to have occurred or be ongoing.
        Observed = "Observed", /// Likely (p > ~50%).
        Likely = "Likely", /// Possible but not likely.
        Possible = "Possible", /// Not expected.
        Unlikely = "Unlikely", /// Unknown.
        Unknown = "Unknown" }
);

/// CAP's dateTime form: `YYYY-MM-DDThh:mm:ss+hh:mm`, whole seconds, never `Z`.
pub(crate) fn format_cap_time(t: &DateTime<FixedOffset>) -> String {
    // chrono writes "+00:00" rather than "Z" when use_z is false.
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

mod cap_time {
    use super::*;
    pub(super) fn serialize<S: Serializer>(
        t: &DateTime<FixedOffset>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_cap_time(t))
    }
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<DateTime<FixedOffset>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(text.trim()).map_err(serde::de::Error::custom)
    }
}

mod cap_time_opt {
    use super::*;
    pub(super) fn serialize<S: Serializer>(
        t: &Option<DateTime<FixedOffset>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_cap_time(t)),
            None => s.serialize_none(),
        }
    }
    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| DateTime::parse_from_rfc3339(t.trim()).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// A repeated element whose text is an enumeration (`<category>`, `<responseType>`).
/// quick-xml would read the element name as the variant, so read text and parse it.
fn enum_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
}
