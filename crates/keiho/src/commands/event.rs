//! `keiho event page`: the public page of a recorded event as static files.

use crate::cli::EventCommand;
use anyhow::{Context, bail};
use keiho_report::public::{Lang, Links, public_page_html};
use keiho_store::{AlertLog, SqliteStore};
use std::path::Path;

pub(crate) fn run(cmd: EventCommand) -> anyhow::Result<()> {
    match cmd {
        EventCommand::Page { db, event, out } => page(&db, &event, &out),
    }
}

fn page(db: &Path, event: &str, out: &Path) -> anyhow::Result<()> {
    if !db.exists() {
        bail!("no database at {}", db.display());
    }
    let store = SqliteStore::open(db).with_context(|| format!("opening {}", db.display()))?;
    let page_of = |l: Lang| format!("{}.html", l.tag());
    let cap = |identifier: &str| format!("cap/{}.xml", file_safe(identifier));
    let links = Links {
        lang: &page_of,
        cap: &cap,
    };
    // Every page is made before anything is written: an unknown event leaves no folder.
    let pages = Lang::ALL
        .iter()
        .map(|&lang| Ok((lang, public_page_html(&store, event, lang, &links)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let cap_dir = out.join("cap");
    std::fs::create_dir_all(&cap_dir).with_context(|| format!("creating {}", cap_dir.display()))?;
    for (lang, html) in &pages {
        write(&out.join(page_of(*lang)), html)?;
    }
    let mut copied = 0;
    for a in store.alerts()?.iter().filter(|a| a.event_id == event) {
        write(&out.join(cap(&a.identifier)), &a.xml)?;
        copied += 1;
    }
    write(&out.join("index.html"), &index(event))?;
    eprintln!(
        "public page of event {event} written to {} (ja.html, en.html, ko.html, index.html, {copied} CAP message(s) in cap/)",
        out.display()
    );
    Ok(())
}

/// Links to the three pages; a one-line script goes to the browser's language, and
/// without scripts the links still work.
fn index(event: &str) -> String {
    let id = keiho_report::html::escape(event);
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Keiho — {id}</title>\
         <script>const l=(navigator.language||'en').slice(0,2);\
         if(['ja','en','ko'].includes(l))location.replace(l+'.html');</script></head>\
         <body><ul><li><a href=\"ja.html\" lang=\"ja\">日本語</a></li>\
         <li><a href=\"en.html\" lang=\"en\">English</a></li>\
         <li><a href=\"ko.html\" lang=\"ko\">한국어</a></li></ul></body></html>"
    )
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// A CAP identifier as a file name: letters, digits, `-`, `_` and `.` kept, the rest `_`.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}
