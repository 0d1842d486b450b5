//! `keiho token`: create, list and revoke API tokens directly in a service's database
//! (the first admin token has to come from somewhere).

use crate::cli::TokenCommand;
use anyhow::{Context as _, bail};
use keiho_server::Role;
use keiho_store::{ServiceLog, SqliteStore};
use std::path::Path;

fn open(data_dir: &Path) -> anyhow::Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let path = data_dir.join("keiho.db");
    SqliteStore::open(&path).with_context(|| format!("opening {}", path.display()))
}

pub(crate) fn run(cmd: TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Create {
            data_dir,
            name,
            role,
        } => {
            let Some(role) = Role::parse(&role) else {
                bail!("--role {role:?}: must be sensor, operator, approver, admin or viewer");
            };
            if name.trim().is_empty() {
                bail!("--name: say who will hold the token");
            }
            let mut store = open(&data_dir)?;
            let now = chrono::Utc::now();
            let token = keiho_server::create_token(&mut store, &name, role, now)?;
            store.audit(
                now,
                "cli",
                "token.create",
                &serde_json::json!({"id": token.id, "name": name, "role": role.as_str()})
                    .to_string(),
            )?;
            eprintln!(
                "token {} ({}) for {name}: keep it, it cannot be shown again",
                token.id,
                role.as_str()
            );
            println!("{}", token.token);
        }
        TokenCommand::List { data_dir } => {
            let store = open(&data_dir)?;
            for t in store.tokens()? {
                println!(
                    "{}\t{}\t{}\t{}{}",
                    t.id,
                    t.role,
                    t.name,
                    t.created_at.to_rfc3339(),
                    t.revoked_at
                        .map(|r| format!("\trevoked {}", r.to_rfc3339()))
                        .unwrap_or_default()
                );
            }
        }
        TokenCommand::Revoke { data_dir, id } => {
            let mut store = open(&data_dir)?;
            let now = chrono::Utc::now();
            if !store.token_revoke(&id, now)? {
                bail!("no active token {id:?}");
            }
            store.audit(
                now,
                "cli",
                "token.revoke",
                &serde_json::json!({"id": id}).to_string(),
            )?;
            eprintln!("revoked {id}");
        }
    }
    Ok(())
}
