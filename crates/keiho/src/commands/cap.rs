//! `keiho cap ...`: CAP 1.2 tools.

use crate::cli::CapCommand;
use anyhow::{Context, bail};
use keiho_alert::cap;
use std::io::Write as _;

pub(crate) fn run(cmd: CapCommand) -> anyhow::Result<()> {
    match cmd {
        CapCommand::Validate { files } => {
            let mut bad_files = 0;
            for file in &files {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let problems = cap::validate(&text);
                for p in &problems {
                    writeln!(
                        std::io::stdout().lock(),
                        "{}:{}: {}: {}",
                        file.display(),
                        p.line,
                        p.path,
                        p.message
                    )?;
                }
                if problems.is_empty() {
                    writeln!(
                        std::io::stdout().lock(),
                        "{}: valid CAP 1.2",
                        file.display()
                    )?;
                } else {
                    bad_files += 1;
                }
            }
            if bad_files > 0 {
                bail!(
                    "{bad_files} of {} file(s) are not valid CAP 1.2",
                    files.len()
                );
            }
            Ok(())
        }
    }
}
