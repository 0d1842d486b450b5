//! `keiho alerts list|export`: what a database holds.

use crate::cli::AlertsCommand;
use anyhow::Context;
use keiho_store::{AlertLog, SqliteStore};
use std::io::Write as _;

pub(crate) fn run(cmd: AlertsCommand) -> anyhow::Result<()> {
    match cmd {
        AlertsCommand::List { db, json } => {
            let store = open_existing(&db)?;
            let alerts = store.alerts()?;
            let mut out = std::io::stdout().lock();
            if json {
                let rows: Vec<_> = alerts
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "identifier": a.identifier, "sent": a.sent, "status": a.status,
                            "msgType": a.msg_type, "stage": a.stage, "regions": a.regions,
                            "lifted": a.lifted, "references": a.references, "event": a.event_id,
                            "cause": a.cause,
                        })
                    })
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
            } else {
                for a in &alerts {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}\tlifted:{}\trefs:{}",
                        a.identifier,
                        a.sent,
                        a.status,
                        a.msg_type,
                        a.stage,
                        a.regions.join(" "),
                        a.lifted.join(" "),
                        a.references.as_deref().unwrap_or("")
                    )?;
                }
            }
            Ok(())
        }
        AlertsCommand::Export { db, dir } => {
            let store = open_existing(&db)?;
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let alerts = store.alerts()?;
            for a in &alerts {
                let path = dir.join(format!("{}.xml", a.identifier));
                std::fs::write(&path, &a.xml)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            eprintln!(
                "{} CAP message(s) written to {}",
                alerts.len(),
                dir.display()
            );
            Ok(())
        }
    }
}

fn open_existing(db: &std::path::Path) -> anyhow::Result<SqliteStore> {
    if !db.exists() {
        anyhow::bail!("no database at {}", db.display());
    }
    SqliteStore::open(db).with_context(|| format!("opening {}", db.display()))
}
