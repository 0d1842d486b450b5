//! The CAP feed after OASIS "CAP Feeds" practice: an Atom 1.0 index with one entry per
//! current message, each linking to the full message as `application/cap+xml`.
//! "Current" means: the newest message of each incident, while it has not expired.

use chrono::{DateTime, FixedOffset, Utc};
use keiho_store::StoredAlert;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::writer::Writer;
use std::collections::BTreeMap;

/// The newest message of each incident that has not expired at `now` (or every
/// message when `all`), newest first.
pub(crate) fn current(
    alerts: &[StoredAlert],
    now: DateTime<Utc>,
    expires_after: chrono::Duration,
    all: bool,
) -> Vec<&StoredAlert> {
    let mut latest: BTreeMap<&str, &StoredAlert> = BTreeMap::new();
    let mut out: Vec<&StoredAlert> = Vec::new();
    for a in alerts {
        if all {
            out.push(a);
        } else {
            latest.insert(a.event_id.as_str(), a);
        }
    }
    if !all {
        out = latest
            .into_values()
            .filter(|a| sent(a).is_some_and(|s| s + expires_after > now))
            .collect();
    }
    out.sort_by_key(|a| std::cmp::Reverse(sent(a)));
    out
}

fn sent(a: &StoredAlert) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(&a.sent).ok()
}

/// The first `<headline>` of the message in the given language, or any.
pub(crate) fn headline(xml: &str, lang: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut current_lang = String::new();
    let mut in_lang = false;
    let mut in_headline = false;
    let mut first: Option<String> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => match e.local_name().as_ref() {
                "language" => in_lang = true,
                "headline" => in_headline = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "language" => in_lang = false,
                "headline" => in_headline = false,
                _ => {}
            },
            Event::Text(t) => {
                let text = t.into_inner().into_owned();
                if in_lang {
                    current_lang = text;
                } else if in_headline {
                    if current_lang.starts_with(lang) {
                        return Some(text);
                    }
                    first.get_or_insert(text);
                }
            }
            Event::Eof => return first,
            _ => {}
        }
    }
}

/// The Atom document.
pub(crate) fn atom(
    alerts: &[&StoredAlert],
    base_url: &str,
    sender: &str,
    now: DateTime<Utc>,
) -> Result<String, quick_xml::Error> {
    let base = base_url.trim_end_matches('/');
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut feed = BytesStart::new("feed");
    feed.push_attribute(("xmlns", "http://www.w3.org/2005/Atom"));
    w.write_event(Event::Start(feed))?;
    let text = |w: &mut Writer<Vec<u8>>, name: &str, value: &str| -> Result<(), quick_xml::Error> {
        w.write_event(Event::Start(BytesStart::new(name)))?;
        w.write_event(Event::Text(BytesText::new(value)))?;
        w.write_event(Event::End(BytesEnd::new(name)))?;
        Ok(())
    };
    text(&mut w, "id", &format!("{base}/cap/feed.atom"))?;
    text(&mut w, "title", &format!("Keiho CAP alerts from {sender}"))?;
    let updated = alerts
        .iter()
        .filter_map(|a| sent(a))
        .max()
        .map_or_else(|| now.to_rfc3339(), |t| t.to_rfc3339());
    text(&mut w, "updated", &updated)?;
    w.write_event(Event::Start(BytesStart::new("author")))?;
    text(&mut w, "name", sender)?;
    w.write_event(Event::End(BytesEnd::new("author")))?;
    let mut link = BytesStart::new("link");
    link.push_attribute(("rel", "self"));
    link.push_attribute(("href", format!("{base}/cap/feed.atom").as_str()));
    w.write_event(Event::Empty(link))?;
    for a in alerts {
        let url = format!("{base}/cap/alerts/{}.xml", a.identifier);
        w.write_event(Event::Start(BytesStart::new("entry")))?;
        text(&mut w, "id", &url)?;
        let title = headline(&a.xml, "en").unwrap_or_else(|| format!("{} {}", a.msg_type, a.stage));
        let marker = if a.status == "Actual" {
            String::new()
        } else {
            format!("[{}] ", a.status.to_uppercase())
        };
        text(&mut w, "title", &format!("{marker}{title}"))?;
        text(&mut w, "updated", &a.sent)?;
        let mut link = BytesStart::new("link");
        link.push_attribute(("rel", "alternate"));
        link.push_attribute(("type", "application/cap+xml"));
        link.push_attribute(("href", url.as_str()));
        w.write_event(Event::Empty(link))?;
        let areas = if a.regions.is_empty() {
            "none".to_owned()
        } else {
            a.regions.join(" ")
        };
        text(
            &mut w,
            "summary",
            &format!(
                "{} {} ({}): areas {areas}{}",
                a.status,
                a.msg_type,
                a.stage,
                if a.lifted.is_empty() {
                    String::new()
                } else {
                    format!("; lifted {}", a.lifted.join(" "))
                }
            ),
        )?;
        w.write_event(Event::End(BytesEnd::new("entry")))?;
    }
    w.write_event(Event::End(BytesEnd::new("feed")))?;
    Ok(String::from_utf8_lossy(&w.into_inner()).into_owned())
}
