//! `keiho report`: after-action reports of recorded events as HTML files.

use crate::cli::ReportArgs;
use anyhow::{Context, bail};
use keiho_report::html::{self, IndexRow};
use keiho_report::{Analysis, EventRecord, Truth};
use keiho_store::{AlertLog, SqliteStore};
use std::path::Path;

pub(crate) fn run(args: &ReportArgs) -> anyhow::Result<()> {
    if !args.db.exists() {
        bail!("no database at {}", args.db.display());
    }
    let store =
        SqliteStore::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let truth = match &args.truth {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(Truth::parse(&text).with_context(|| format!("reading {}", path.display()))?)
        }
        None => None,
    };
    match (&args.event, args.all) {
        (Some(id), false) => {
            let (record, analysis) = load(&store, id)?;
            write(&args.out, &html::render(&record, &analysis, truth.as_ref()))?;
            eprintln!("report on event {id} written to {}", args.out.display());
        }
        (None, true) => {
            std::fs::create_dir_all(&args.out)
                .with_context(|| format!("creating {}", args.out.display()))?;
            let mut rows = Vec::new();
            for event in store.events()? {
                let (record, analysis) = load(&store, &event.id)?;
                let file = format!("event-{}.html", file_safe(&event.id));
                write(
                    &args.out.join(&file),
                    &html::render(&record, &analysis, truth.as_ref()),
                )?;
                rows.push(IndexRow::of(&record, &analysis, &file));
            }
            write(&args.out.join("index.html"), &html::index(&rows))?;
            eprintln!(
                "{} report(s) and index.html written to {}",
                rows.len(),
                args.out.display()
            );
        }
        // clap's argument group allows exactly one of them.
        _ => bail!("give either --event ID or --all"),
    }
    Ok(())
}

fn load(store: &SqliteStore, id: &str) -> anyhow::Result<(EventRecord, Analysis)> {
    let record = EventRecord::load(store, id)?;
    let analysis = Analysis::of(&record, None)?;
    Ok((record, analysis))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// An event id as a file name: letters, digits, `-` and `_` kept, the rest `_`.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
