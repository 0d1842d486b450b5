//! `keiho simulate`: scenario reports and truth to files.

use anyhow::Context;
use keiho_sim::{Scenario, simulate, write_reports, write_truth};
use std::io::Write as _;
use std::path::{Path, PathBuf};

pub(crate) fn run(
    scenario: Option<String>,
    out: Option<PathBuf>,
    seed: u64,
    list: bool,
) -> anyhow::Result<()> {
    if list {
        for name in Scenario::names() {
            writeln!(std::io::stdout().lock(), "{name}")?;
        }
        return Ok(());
    }
    let (Some(name), Some(out)) = (scenario, out) else {
        anyhow::bail!("--scenario and --out are required");
    };
    let scenario = Scenario::by_name(&name)?;
    let sim = simulate(&scenario, seed).with_context(|| format!("simulating {name}"))?;
    let truth_path = truth_path(&out);
    let reports =
        std::fs::File::create(&out).with_context(|| format!("creating {}", out.display()))?;
    write_reports(&sim, reports).with_context(|| format!("writing {}", out.display()))?;
    let truth = std::fs::File::create(&truth_path)
        .with_context(|| format!("creating {}", truth_path.display()))?;
    write_truth(&sim, truth).with_context(|| format!("writing {}", truth_path.display()))?;
    eprintln!(
        "{name} (seed {seed}): {} reports -> {}, truth -> {}",
        sim.reports.len(),
        out.display(),
        truth_path.display()
    );
    Ok(())
}

/// `x.jsonl` -> `x.truth.jsonl`; any other name gets `.truth.jsonl` appended.
fn truth_path(out: &Path) -> PathBuf {
    let s = out.to_string_lossy();
    match s.strip_suffix(".jsonl") {
        Some(stem) => PathBuf::from(format!("{stem}.truth.jsonl")),
        None => PathBuf::from(format!("{s}.truth.jsonl")),
    }
}
