//! `keiho predict`: tracks and prediction products from a report file.

use crate::cli::PredictFormat;
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use keiho_ingest::Validator;
use keiho_track::{PredictOptions, predict_reports, to_geojson};
use std::io::Read;
use std::io::Write as _;
use std::path::Path;

pub(crate) fn run(
    tracks: &Path,
    at: Option<&str>,
    samples: usize,
    format: PredictFormat,
    skip_invalid: bool,
) -> anyhow::Result<()> {
    let at: Option<DateTime<Utc>> = at
        .map(|s| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)))
        .transpose()
        .context("--at must be an RFC 3339 time, e.g. 2023-08-23T18:55:00Z")?;
    let mut bytes = Vec::new();
    if tracks.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading reports from stdin")?;
    } else {
        bytes = std::fs::read(tracks).with_context(|| format!("reading {}", tracks.display()))?;
    }
    // Recorded files are judged against the wall clock: only reports from the
    // future are refused on time grounds.
    let validator = Validator::new(Utc::now());
    let mut reports = Vec::new();
    let mut bad = 0;
    for result in validator.parse_bytes(&bytes) {
        match result {
            Ok(r) => reports.push(r),
            Err(rejection) => {
                bad += 1;
                eprintln!("{}: {rejection}", tracks.display());
            }
        }
    }
    if bad > 0 && !skip_invalid {
        bail!(
            "{bad} invalid report line(s) in {} (use --skip-invalid to predict from the rest)",
            tracks.display()
        );
    }
    if reports.is_empty() {
        bail!("no reports in {}", tracks.display());
    }
    let options = PredictOptions {
        samples,
        ..PredictOptions::default()
    };
    let set = predict_reports(&reports, at, &options);
    for r in &set.refused {
        eprintln!("refused: {r:?}");
    }
    let out = match format {
        PredictFormat::Json => serde_json::to_string_pretty(&set)?,
        PredictFormat::Geojson => serde_json::to_string_pretty(&to_geojson(&set))?,
    };
    writeln!(std::io::stdout().lock(), "{out}")?;
    Ok(())
}
