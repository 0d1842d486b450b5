//! A small XML tree and Exclusive XML Canonicalization 1.0 without comments
//! (<http://www.w3.org/2001/10/xml-exc-c14n#>) over it.
//!
//! Written here because no maintained pure-Rust canonicalizer was found that fits
//! (see the crate doc). It covers the subset Keiho's own CAP messages use: documents
//! with no DTD, no comments and no processing instructions, which the parser
//! rejects rather than canonicalize wrongly. No `InclusiveNamespaces` prefix list.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

/// The namespace bound to the `xml` prefix by definition.
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// Why a document could not be read into the tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed XML.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Well-formed, but uses a construct this canonicalizer does not handle.
    #[error("unsupported XML construct for signing: {0}")]
    Unsupported(&'static str),
    /// A prefix is used without a namespace declaration.
    #[error("undeclared namespace prefix `{0}`")]
    UndeclaredPrefix(String),
}

/// An element: its name as written, its namespace declarations, its other
/// attributes (values normalised as an XML parser must) and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) qname: String,
    /// `(prefix, uri)`; the default namespace has the prefix `""`.
    pub(crate) ns_decls: Vec<(String, String)>,
    /// `(qualified name, value)`, excluding namespace declarations.
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
}

/// Element content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Element(Element),
    /// Character data, unescaped, line ends normalised.
    Text(String),
}

/// A parsed document: the root element (nothing else survives canonicalization in
/// the subset read here).
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) root: Element,
}

impl Element {
    /// The prefix (`""` when none) and the local name.
    pub(crate) fn split_name(&self) -> (&str, &str) {
        split_qname(&self.qname)
    }

    /// The element children, in order.
    pub(crate) fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first descendant (or self) with this local name, depth first.
    pub(crate) fn find(&self, local: &str) -> Option<&Element> {
        if self.split_name().1 == local {
            return Some(self);
        }
        self.elements().find_map(|e| e.find(local))
    }

    /// The concatenated text children.
    pub(crate) fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

fn split_qname(qname: &str) -> (&str, &str) {
    qname.split_once(':').unwrap_or(("", qname))
}

/// The namespace a prefix is bound to in `scope` (declarations, innermost last).
/// `Some("")` for the default namespace when none is declared.
pub(crate) fn resolve<'a>(scope: &'a [(String, String)], prefix: &str) -> Option<&'a str> {
    if prefix == "xml" {
        return Some(XML_NS);
    }
    match scope.iter().rev().find(|(p, _)| p == prefix) {
        Some((_, uri)) => Some(uri),
        None if prefix.is_empty() => Some(""),
        None => None,
    }
}

/// Parse a whole document (UTF-8, XML 1.0).
pub(crate) fn parse(xml: &str) -> Result<Document, XmlError> {
    let mut reader = Reader::from_str(xml);
    let malformed = |e: &dyn std::fmt::Display| XmlError::Malformed(e.to_string());
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Document> = None;
    loop {
        let event = reader.read_event().map_err(|e| malformed(&e))?;
        match event {
            Event::Decl(d) => {
                let version = d.version().map_err(|e| malformed(&e))?;
                if version.as_ref() != "1.0" {
                    return Err(XmlError::Unsupported("XML versions other than 1.0"));
                }
                if let Some(enc) = d.encoding() {
                    let enc = enc.map_err(|e| malformed(&e))?;
                    if !enc.eq_ignore_ascii_case("utf-8") {
                        return Err(XmlError::Unsupported("encodings other than UTF-8"));
                    }
                }
            }
            Event::DocType(_) => return Err(XmlError::Unsupported("a DTD")),
            Event::Comment(_) => return Err(XmlError::Unsupported("comments")),
            Event::PI(_) => return Err(XmlError::Unsupported("processing instructions")),
            Event::Start(s) => {
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError::Malformed("more than one root element".into()));
                }
                stack.push(element(&s)?);
            }
            Event::Empty(s) => {
                let e = element(&s)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(e)),
                    None => return Err(XmlError::Malformed("empty root element".into())),
                }
            }
            Event::End(_) => {
                let e = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unmatched end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(e)),
                    None => root = Some(Document { root: e }),
                }
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => push_text(&mut stack, &c.xml10_content())?,
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| malformed(&e))? {
                    Some(c) => c,
                    None => match r.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => return Err(XmlError::Unsupported("entities other than XML's five")),
                    },
                };
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]))?;
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    let Some(parent) = stack.last_mut() else {
        if text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            return Ok(());
        }
        return Err(XmlError::Malformed("text outside the root element".into()));
    };
    match parent.children.last_mut() {
        Some(Node::Text(t)) => t.push_str(text),
        _ => parent.children.push(Node::Text(text.to_owned())),
    }
    Ok(())
}

fn element(start: &BytesStart<'_>) -> Result<Element, XmlError> {
    let mut e = Element {
        qname: start.name().as_ref().to_owned(),
        ns_decls: Vec::new(),
        attrs: Vec::new(),
        children: Vec::new(),
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|err| XmlError::Malformed(err.to_string()))?;
        let key = attr.key.as_ref().to_owned();
        let value = attr
            .normalized_value(XmlVersion::Explicit1_0)
            .map_err(|err| XmlError::Malformed(err.to_string()))?
            .into_owned();
        if key == "xmlns" {
            e.ns_decls.push((String::new(), value));
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            if value.is_empty() {
                return Err(XmlError::Malformed(format!(
                    "empty namespace for `{prefix}`"
                )));
            }
            e.ns_decls.push((prefix.to_owned(), value));
        } else {
            e.attrs.push((key, value));
        }
    }
    Ok(e)
}

/// The exclusive canonical form of `el` and its subtree, `scope` being the namespace
/// declarations of its ancestors (outermost first).
pub(crate) fn canonicalize(el: &Element, scope: &[(String, String)]) -> Result<String, XmlError> {
    let mut out = String::new();
    let mut scope = scope.to_vec();
    let mut rendered = Vec::new();
    write_element(el, &mut scope, &mut rendered, &mut out)?;
    Ok(out)
}

fn write_element(
    el: &Element,
    scope: &mut Vec<(String, String)>,
    rendered: &mut Vec<(String, String)>,
    out: &mut String,
) -> Result<(), XmlError> {
    let scope_len = scope.len();
    let rendered_len = rendered.len();
    scope.extend(el.ns_decls.iter().cloned());

    // Namespaces visibly utilised: the element's prefix (or the default) and those of
    // its prefixed attributes; `xml` is never declared.
    let mut used: Vec<&str> = vec![el.split_name().0];
    for (name, _) in &el.attrs {
        let (prefix, _) = split_qname(name);
        if !prefix.is_empty() && prefix != "xml" {
            used.push(prefix);
        }
    }
    used.sort_unstable();
    used.dedup();

    let mut decls = Vec::new();
    for prefix in used {
        if prefix == "xml" {
            continue;
        }
        let uri = resolve(scope, prefix)
            .ok_or_else(|| XmlError::UndeclaredPrefix(prefix.to_owned()))?
            .to_owned();
        // An output ancestor already declared it with this value: not repeated. The
        // default namespace is "" until an output ancestor declares another.
        if resolve(rendered, prefix) != Some(uri.as_str()) {
            decls.push((prefix.to_owned(), uri));
        }
    }

    let mut attrs = Vec::with_capacity(el.attrs.len());
    for (name, value) in &el.attrs {
        let (prefix, local) = split_qname(name);
        let uri = if prefix.is_empty() {
            ""
        } else {
            resolve(scope, prefix).ok_or_else(|| XmlError::UndeclaredPrefix(prefix.to_owned()))?
        };
        attrs.push(((uri, local), name, value));
    }
    attrs.sort_by(|a, b| a.0.cmp(&b.0));

    out.push('<');
    out.push_str(&el.qname);
    for (prefix, uri) in &decls {
        if prefix.is_empty() {
            out.push_str(" xmlns=\"");
        } else {
            out.push_str(" xmlns:");
            out.push_str(prefix);
            out.push_str("=\"");
        }
        escape_attr(uri, out);
        out.push('"');
    }
    for (_, name, value) in attrs {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_attr(value, out);
        out.push('"');
    }
    out.push('>');
    rendered.extend(decls);

    for child in &el.children {
        match child {
            Node::Text(t) => escape_text(t, out),
            Node::Element(e) => write_element(e, scope, rendered, out)?,
        }
    }
    out.push_str("</");
    out.push_str(&el.qname);
    out.push('>');

    scope.truncate(scope_len);
    rendered.truncate(rendered_len);
    Ok(())
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attr(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the failure report

    use super::*;

    fn c14n(xml: &str) -> String {
        canonicalize(&parse(xml).unwrap().root, &[]).unwrap()
    }

    #[test]
    fn declaration_dropped_empty_elements_expanded_attributes_sorted() {
        assert_eq!(
            c14n("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a  z='1' b=\"2\"><e/></a>\n"),
            "<a b=\"2\" z=\"1\"><e></e></a>"
        );
    }

    #[test]
    fn text_and_attributes_escaped_as_the_recommendation_says() {
        assert_eq!(
            c14n(
                "<a t=\"&quot;&lt;&amp;&#9;&#10;&#13;'>\">&lt;&amp;&gt;&quot;&apos;&#13;<![CDATA[<x>]]></a>"
            ),
            "<a t=\"&quot;&lt;&amp;&#x9;&#xA;&#xD;'>\">&lt;&amp;&gt;\"'&#xD;&lt;x&gt;</a>"
        );
        // Literal tabs and newlines in attribute values are normalised to spaces;
        // CR LF line ends in text to LF.
        assert_eq!(
            c14n("<a t=\"x\ty\nz\">1\r\n2</a>"),
            "<a t=\"x y z\">1\n2</a>"
        );
    }

    #[test]
    fn only_visibly_utilised_namespaces_are_rendered_once() {
        // The recommendation's own idea: unused `xmlns:u` dropped, the default not
        // repeated, a prefix declared where first used, attributes sorted by URI.
        let xml =
            r#"<a xmlns="urn:a" xmlns:u="urn:u" xmlns:p="urn:p"><b p:y="1" x="2"><p:c/></b></a>"#;
        assert_eq!(
            c14n(xml),
            r#"<a xmlns="urn:a"><b xmlns:p="urn:p" x="2" p:y="1"><p:c></p:c></b></a>"#
        );
        // A subtree inherits declarations from outside; an empty default is rendered
        // only to undo a rendered non-empty one.
        let doc = parse(r#"<r xmlns="urn:r"><s xmlns=""><t/></s></r>"#).unwrap();
        assert_eq!(
            canonicalize(&doc.root, &[]).unwrap(),
            r#"<r xmlns="urn:r"><s xmlns=""><t></t></s></r>"#
        );
        let Node::Element(s) = &doc.root.children[0] else {
            panic!()
        };
        assert_eq!(
            canonicalize(s, &doc.root.ns_decls).unwrap(),
            "<s><t></t></s>"
        );
    }

    #[test]
    fn constructs_outside_the_subset_are_refused() {
        assert_eq!(
            parse("<a><!-- c --></a>").unwrap_err(),
            XmlError::Unsupported("comments")
        );
        assert_eq!(
            parse("<?pi x?><a/>").unwrap_err(),
            XmlError::Unsupported("processing instructions")
        );
        assert!(matches!(
            parse("<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>").unwrap_err(),
            XmlError::Unsupported(_)
        ));
        assert!(matches!(parse("<a><b></a>"), Err(XmlError::Malformed(_))));
        let undeclared = parse("<x><p:a></p:a></x>").unwrap().root;
        assert_eq!(
            canonicalize(&undeclared, &[]).unwrap_err(),
            XmlError::UndeclaredPrefix("p".into())
        );
    }
}
