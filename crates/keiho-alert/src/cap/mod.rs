//! CAP 1.2 (OASIS Common Alerting Protocol, 2010): the message model, XML in and out,
//! and a validator for the schema's structure plus the standard's text rules.

mod model;
pub(crate) use model::format_cap_time;
mod validate;
mod xml;

pub use model::{
    Alert, Area, CAP_NAMESPACE, Category, Certainty, Info, MsgType, NamedValue, Reference,
    Resource, ResponseType, Scope, Severity, Status, Urgency,
};
pub use validate::{Problem, validate};
pub use xml::{CapError, from_xml, to_xml};

/// An alert's `sent` as CAP text (`YYYY-MM-DDThh:mm:ss+hh:mm`).
pub fn format_sent(alert: &Alert) -> String {
    format_cap_time(&alert.sent)
}
