//! CAP XML in and out, through quick-xml's serde support.

use super::model::{Alert, CAP_NAMESPACE};

/// Why a CAP document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CapError {
    /// The XML does not map onto a CAP alert (missing element, bad value...).
    #[error("not a CAP 1.2 alert: {0}")]
    Parse(String),
    /// The root element is in another namespace (e.g. CAP 1.1).
    #[error("root element is not in the CAP 1.2 namespace {CAP_NAMESPACE}")]
    Namespace,
    /// Serialisation failed (a bug: every `Alert` should serialise).
    #[error("cannot write CAP XML: {0}")]
    Write(String),
}

/// The alert as a CAP 1.2 XML document (UTF-8, with an XML declaration).
pub fn to_xml(alert: &Alert) -> Result<String, CapError> {
    let mut alert = alert.clone();
    alert.xmlns = CAP_NAMESPACE.to_owned();
    let mut body = String::new();
    let mut ser = quick_xml::se::Serializer::new(&mut body);
    // Indented: operators read these files; whitespace between elements is insignificant.
    ser.indent(' ', 2);
    serde::Serialize::serialize(&alert, ser).map_err(|e| CapError::Write(e.to_string()))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}\n"
    ))
}

/// Read a CAP 1.2 alert. Namespace prefixes (`cap:alert`) are accepted; elements of
/// other namespaces inside the alert (an XML-DSig `Signature`) are ignored here and
/// checked by [`super::validate`].
pub fn from_xml(text: &str) -> Result<Alert, CapError> {
    if !super::validate::root_is_cap12(text) {
        return Err(CapError::Namespace);
    }
    quick_xml::de::from_str(text).map_err(|e| CapError::Parse(e.to_string()))
}
