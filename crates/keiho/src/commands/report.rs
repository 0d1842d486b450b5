//! `keiho report`: after-action reports of recorded events as HTML files.

use crate::cli::ReportArgs;
use anyhow::{Context, bail};
use keiho_report::html::{self, IndexRow};
use keiho_report::{Analysis, AttemptLog, DeliveryAttempt, EventRecord, Truth};
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
            let (record, analysis) = load(&store, &args.db, id)?;
            write(&args.out, &html::render(&record, &analysis, truth.as_ref()))?;
            eprintln!("report on event {id} written to {}", args.out.display());
        }
        (None, true) => {
            std::fs::create_dir_all(&args.out)
                .with_context(|| format!("creating {}", args.out.display()))?;
            let mut rows = Vec::new();
            for event in store.events()? {
                let (record, analysis) = load(&store, &args.db, &event.id)?;
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

/// The event, analysed with the delivery attempts when the database has them (the
/// service's database does; a `keiho replay` one does not, and the report says so).
fn load(store: &SqliteStore, db: &Path, id: &str) -> anyhow::Result<(EventRecord, Analysis)> {
    let record = EventRecord::load(store, id)?;
    let mut log: Option<Vec<DeliveryAttempt>> = None;
    for a in &record.alerts {
        let Some(rows) = keiho_deliver::attempts_in_file(db, &format!("{}:", a.identifier))
            .with_context(|| format!("reading delivery attempts in {}", db.display()))?
        else {
            break;
        };
        log.get_or_insert_with(Vec::new)
            .extend(rows.into_iter().filter_map(|x| {
                DeliveryAttempt::from_log(&a.identifier, &x.idempotency_key, x.at_ms, x.ok, x.error)
            }));
    }
    let records = log.map(AttemptLog);
    let analysis = Analysis::of(
        &record,
        records
            .as_ref()
            .map(|r| r as &dyn keiho_report::DeliveryRecords),
    )?;
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
