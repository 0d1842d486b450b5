//! A CAP 1.2 validator: the schema's structure (element order, required and repeated
//! elements, enumerations, date-time pattern, no markup in text) plus the standard's
//! text rules the schema cannot express (closed polygons, coordinate ranges,
//! `references` triples, forbidden characters in identifiers).
//!
//! It reports every problem with its element path and line, rather than stopping at
//! the first, because an operator fixing a message wants the whole list. CI also checks
//! every message with `xmllint` against the official XSD, as an independent check.

use super::model::{
    CAP_NAMESPACE, Category, Certainty, MsgType, ResponseType, Scope, Severity, Status, Urgency,
};
use chrono::DateTime;
use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

const XMLDSIG_NAMESPACE: &str = "http://www.w3.org/2000/09/xmldsig#";

/// One problem in a CAP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Line in the document (1-based).
    pub line: usize,
    /// Element path, e.g. `/alert/info[1]/area[2]/polygon[1]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.path, self.message)
    }
}

/// A parsed element: enough of the document to check it.
struct Element {
    namespace: Option<String>,
    name: String,
    line: usize,
    text: String,
    children: Vec<Element>,
}

#[derive(Clone, Copy)]
enum Content {
    Complex(&'static [Child]),
    Text(TextType),
}

#[derive(Clone, Copy)]
enum TextType {
    String,
    DateTime,
    Enum(&'static [&'static str]),
    Language,
    Integer,
    Decimal,
}

struct Child {
    name: &'static str,
    min: usize,
    max: usize,
    content: Content,
}

const MANY: usize = usize::MAX;
const fn text(name: &'static str, min: usize, max: usize, t: TextType) -> Child {
    Child {
        name,
        min,
        max,
        content: Content::Text(t),
    }
}
const fn complex(name: &'static str, min: usize, max: usize, children: &'static [Child]) -> Child {
    Child {
        name,
        min,
        max,
        content: Content::Complex(children),
    }
}

use TextType::{DateTime as Dt, Decimal, Integer, Language, String as Str};

const NAMED_VALUE: &[Child] = &[text("valueName", 1, 1, Str), text("value", 1, 1, Str)];
const RESOURCE: &[Child] = &[
    text("resourceDesc", 1, 1, Str),
    text("mimeType", 1, 1, Str),
    text("size", 0, 1, Integer),
    text("uri", 0, 1, Str),
    text("derefUri", 0, 1, Str),
    text("digest", 0, 1, Str),
];
const AREA: &[Child] = &[
    text("areaDesc", 1, 1, Str),
    text("polygon", 0, MANY, Str),
    text("circle", 0, MANY, Str),
    complex("geocode", 0, MANY, NAMED_VALUE),
    text("altitude", 0, 1, Decimal),
    text("ceiling", 0, 1, Decimal),
];
const INFO: &[Child] = &[
    text("language", 0, 1, Language),
    text("category", 1, MANY, TextType::Enum(Category::ALL)),
    text("event", 1, 1, Str),
    text("responseType", 0, MANY, TextType::Enum(ResponseType::ALL)),
    text("urgency", 1, 1, TextType::Enum(Urgency::ALL)),
    text("severity", 1, 1, TextType::Enum(Severity::ALL)),
    text("certainty", 1, 1, TextType::Enum(Certainty::ALL)),
    text("audience", 0, 1, Str),
    complex("eventCode", 0, MANY, NAMED_VALUE),
    text("effective", 0, 1, Dt),
    text("onset", 0, 1, Dt),
    text("expires", 0, 1, Dt),
    text("senderName", 0, 1, Str),
    text("headline", 0, 1, Str),
    text("description", 0, 1, Str),
    text("instruction", 0, 1, Str),
    text("web", 0, 1, Str),
    text("contact", 0, 1, Str),
    complex("parameter", 0, MANY, NAMED_VALUE),
    complex("resource", 0, MANY, RESOURCE),
    complex("area", 0, MANY, AREA),
];
const ALERT: &[Child] = &[
    text("identifier", 1, 1, Str),
    text("sender", 1, 1, Str),
    text("sent", 1, 1, Dt),
    text("status", 1, 1, TextType::Enum(Status::ALL)),
    text("msgType", 1, 1, TextType::Enum(MsgType::ALL)),
    text("source", 0, 1, Str),
    text("scope", 1, 1, TextType::Enum(Scope::ALL)),
    text("restriction", 0, 1, Str),
    text("addresses", 0, 1, Str),
    text("code", 0, MANY, Str),
    text("note", 0, 1, Str),
    text("references", 0, 1, Str),
    text("incidents", 0, 1, Str),
    complex("info", 0, MANY, INFO),
];

/// Check a CAP 1.2 document; an empty list means it is valid.
pub fn validate(xml: &str) -> Vec<Problem> {
    let root = match parse_tree(xml) {
        Ok(root) => root,
        Err(p) => return vec![p],
    };
    let mut problems = Vec::new();
    if root.name != "alert" || root.namespace.as_deref() != Some(CAP_NAMESPACE) {
        problems.push(Problem {
            line: root.line,
            path: format!("/{}", root.name),
            message: format!(
                "root must be <alert> in namespace {CAP_NAMESPACE}, found <{}> in {}",
                root.name,
                root.namespace.as_deref().unwrap_or("no namespace")
            ),
        });
        return problems;
    }
    check_complex(&root, "/alert", ALERT, true, &mut problems);
    check_text_rules(&root, &mut problems);
    problems
}

/// Whether the document's root is a CAP 1.2 `alert` (cheap pre-check for parsing).
pub(crate) fn root_is_cap12(xml: &str) -> bool {
    parse_tree(xml)
        .is_ok_and(|r| r.name == "alert" && r.namespace.as_deref() == Some(CAP_NAMESPACE))
}

fn line_of(xml: &str, pos: usize) -> usize {
    xml.as_bytes()[..pos.min(xml.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn parse_tree(xml: &str) -> Result<Element, Problem> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    let bad = |pos: usize, msg: String| Problem {
        line: line_of(xml, pos),
        path: "/".into(),
        message: msg,
    };
    loop {
        let pos = reader.buffer_position() as usize;
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| bad(pos, format!("not well-formed XML: {e}")))?;
        let namespace = match resolved {
            ResolveResult::Bound(ns) => Some(AsRef::<str>::as_ref(&ns).to_owned()),
            _ => None,
        };
        match event {
            Event::Start(e) => stack.push(Element {
                namespace,
                name: AsRef::<str>::as_ref(&e.local_name()).to_owned(),
                line: line_of(xml, pos),
                text: String::new(),
                children: Vec::new(),
            }),
            Event::Empty(e) => {
                let el = Element {
                    namespace,
                    name: AsRef::<str>::as_ref(&e.local_name()).to_owned(),
                    line: line_of(xml, pos),
                    text: String::new(),
                    children: Vec::new(),
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    // Entity references arrive as separate `GeneralRef` events.
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = AsRef::<str>::as_ref(&r).to_owned();
                    let resolved = match name.as_str() {
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "amp" => "&".to_owned(),
                        "apos" => "'".to_owned(),
                        "quot" => "\"".to_owned(),
                        _ => match r.resolve_char_ref() {
                            Ok(Some(c)) => c.to_string(),
                            _ => return Err(bad(pos, format!("unknown entity &{name};"))),
                        },
                    };
                    top.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(bad(pos, "unbalanced end tag".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Eof => {
                return Err(bad(
                    pos,
                    "document ends before the root element closes".into(),
                ));
            }
            _ => {}
        }
    }
}

fn check_complex(
    el: &Element,
    path: &str,
    model: &[Child],
    is_alert: bool,
    problems: &mut Vec<Problem>,
) {
    if !el.text.trim().is_empty() {
        problems.push(Problem {
            line: el.line,
            path: path.into(),
            message: "text is not allowed here".into(),
        });
    }
    let mut next = 0; // index into the model
    let mut count = 0; // occurrences of model[next] so far
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for child in &el.children {
        let index = seen.entry(child.name.as_str()).or_insert(0);
        *index += 1;
        let child_path = format!("{path}/{}[{}]", child.name, index);
        if is_alert && child.namespace.as_deref() == Some(XMLDSIG_NAMESPACE) {
            // <any namespace="xmldsig"> ends the alert's sequence: nothing CAP may follow.
            next = model.len();
            count = 0;
            continue;
        }
        if child.namespace.as_deref() != Some(CAP_NAMESPACE) {
            problems.push(Problem {
                line: child.line,
                path: child_path,
                message: format!("element <{}> is not in the CAP 1.2 namespace", child.name),
            });
            continue;
        }
        // Advance through the sequence to this child's slot.
        let Some(slot) = (next..model.len()).find(|&i| model[i].name == child.name) else {
            let known = model.iter().any(|c| c.name == child.name);
            problems.push(Problem {
                line: child.line,
                path: child_path,
                message: if known {
                    format!(
                        "<{}> is out of order (CAP fixes the element order)",
                        child.name
                    )
                } else {
                    format!("<{}> is not allowed in <{}>", child.name, el.name)
                },
            });
            continue;
        };
        if slot != next {
            for skipped in &model[next..slot] {
                let already = if std::ptr::eq(skipped, &model[next]) {
                    count
                } else {
                    0
                };
                if already < skipped.min {
                    problems.push(Problem {
                        line: child.line,
                        path: path.into(),
                        message: format!(
                            "required <{}> is missing before <{}>",
                            skipped.name, child.name
                        ),
                    });
                }
            }
            next = slot;
            count = 0;
        }
        count += 1;
        if count > model[slot].max {
            problems.push(Problem {
                line: child.line,
                path: child_path.clone(),
                message: format!(
                    "<{}> may appear at most {} time(s)",
                    child.name, model[slot].max
                ),
            });
        }
        match model[slot].content {
            Content::Complex(sub) => check_complex(child, &child_path, sub, false, problems),
            Content::Text(t) => check_text(child, &child_path, t, problems),
        }
    }
    for (i, c) in model.iter().enumerate().skip(next) {
        let have = if i == next { count } else { 0 };
        if have < c.min {
            problems.push(Problem {
                line: el.line,
                path: path.into(),
                message: format!("required <{}> is missing", c.name),
            });
        }
    }
}

fn check_text(el: &Element, path: &str, t: TextType, problems: &mut Vec<Problem>) {
    let mut problem = |message: String| {
        problems.push(Problem {
            line: el.line,
            path: path.into(),
            message,
        })
    };
    if let Some(child) = el.children.first() {
        problem(format!(
            "element content is not allowed: <{}> inside <{}> (escape markup as text)",
            child.name, el.name
        ));
        return;
    }
    // XML Schema collapses whitespace for these types before checking them.
    let v = el.text.trim();
    match t {
        TextType::String => {}
        TextType::Enum(allowed) => {
            if !allowed.contains(&v) {
                problem(format!("{v:?} is not one of {}", allowed.join(", ")));
            }
        }
        TextType::DateTime => {
            if let Err(why) = check_cap_datetime(v) {
                problem(why);
            }
        }
        TextType::Language => {
            let ok = !v.is_empty()
                && v.split('-').enumerate().all(|(i, part)| {
                    (1..=8).contains(&part.len())
                        && part.chars().all(|c| {
                            if i == 0 {
                                c.is_ascii_alphabetic()
                            } else {
                                c.is_ascii_alphanumeric()
                            }
                        })
                });
            if !ok {
                problem(format!("{v:?} is not a language tag (e.g. ja-JP)"));
            }
        }
        TextType::Integer => {
            if v.parse::<i128>().is_err() {
                problem(format!("{v:?} is not an integer"));
            }
        }
        TextType::Decimal => {
            if v.parse::<f64>().map_or(true, |x| !x.is_finite()) || v.contains(['e', 'E']) {
                problem(format!("{v:?} is not a decimal number"));
            }
        }
    }
}

/// CAP's dateTime: `YYYY-MM-DDThh:mm:ss` then `+hh:mm` or `-hh:mm` (no `Z`, no
/// fractional seconds), and a real date.
fn check_cap_datetime(v: &str) -> Result<(), String> {
    let b = v.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let shape_ok = b.len() == 25
        && [
            0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24,
        ]
        .iter()
        .all(|&i| digit(i))
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && (b[19] == b'+' || b[19] == b'-')
        && b[22] == b':';
    if !shape_ok {
        return Err(format!(
            "{v:?} is not of the form YYYY-MM-DDThh:mm:ss+hh:mm (CAP forbids \"Z\" and fractions)"
        ));
    }
    DateTime::parse_from_rfc3339(v)
        .map(|_| ())
        .map_err(|e| format!("{v:?} is not a valid date-time: {e}"))
}

/// Rules from the CAP 1.2 text that the schema does not enforce.
fn check_text_rules(alert: &Element, problems: &mut Vec<Problem>) {
    fn find<'a>(el: &'a Element, name: &str) -> Vec<(usize, &'a Element)> {
        el.children
            .iter()
            .filter(|c| c.name == name)
            .enumerate()
            .map(|(i, c)| (i + 1, c))
            .collect()
    }
    for name in ["identifier", "sender"] {
        for (_, el) in find(alert, name) {
            let v = el.text.trim();
            if v.is_empty() || v.contains([' ', ',', '<', '&']) {
                problems.push(Problem {
                    line: el.line,
                    path: format!("/alert/{name}[1]"),
                    message: format!("{v:?} must be non-empty with no spaces, commas, '<' or '&'"),
                });
            }
        }
    }
    for (_, el) in find(alert, "references") {
        for triple in el.text.split_whitespace() {
            let parts: Vec<&str> = triple.split(',').collect();
            let ok = parts.len() == 3
                && !parts[0].is_empty()
                && !parts[1].is_empty()
                && check_cap_datetime(parts[2]).is_ok();
            if !ok {
                problems.push(Problem {
                    line: el.line,
                    path: "/alert/references[1]".into(),
                    message: format!("{triple:?} is not a sender,identifier,sent triple"),
                });
            }
        }
    }
    for (i, info) in find(alert, "info") {
        for (j, area) in find(info, "area") {
            let base = format!("/alert/info[{i}]/area[{j}]");
            for (k, poly) in find(area, "polygon") {
                if let Err(why) = check_polygon(&poly.text) {
                    problems.push(Problem {
                        line: poly.line,
                        path: format!("{base}/polygon[{k}]"),
                        message: why,
                    });
                }
            }
            for (k, circle) in find(area, "circle") {
                if let Err(why) = check_circle(&circle.text) {
                    problems.push(Problem {
                        line: circle.line,
                        path: format!("{base}/circle[{k}]"),
                        message: why,
                    });
                }
            }
            let altitude = !find(area, "altitude").is_empty();
            if let Some((_, c)) = find(area, "ceiling").first() {
                if !altitude {
                    problems.push(Problem {
                        line: c.line,
                        path: format!("{base}/ceiling[1]"),
                        message: "<ceiling> needs <altitude>".into(),
                    });
                }
            }
        }
    }
}

fn parse_point(pair: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = pair
        .split_once(',')
        .ok_or_else(|| format!("{pair:?} is not a lat,lon pair"))?;
    let lat: f64 = lat
        .parse()
        .map_err(|_| format!("latitude {lat:?} is not a number"))?;
    let lon: f64 = lon
        .parse()
        .map_err(|_| format!("longitude {lon:?} is not a number"))?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(format!("latitude {lat} is outside [-90, 90]"));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(format!("longitude {lon} is outside [-180, 180]"));
    }
    Ok((lat, lon))
}

fn check_polygon(text: &str) -> Result<(), String> {
    let points = text
        .split_whitespace()
        .map(parse_point)
        .collect::<Result<Vec<_>, _>>()?;
    if points.len() < 4 {
        return Err(format!(
            "a polygon needs at least 4 points, has {}",
            points.len()
        ));
    }
    if points.first() != points.last() {
        return Err("polygon is not closed (first point differs from last)".into());
    }
    Ok(())
}

fn check_circle(text: &str) -> Result<(), String> {
    let mut parts = text.split_whitespace();
    let (Some(centre), Some(radius), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("{:?} is not \"lat,lon radius_km\"", text.trim()));
    };
    parse_point(centre)?;
    match radius.parse::<f64>() {
        Ok(r) if r.is_finite() && r >= 0.0 => Ok(()),
        _ => Err(format!(
            "radius {radius:?} is not a non-negative number of km"
        )),
    }
}
