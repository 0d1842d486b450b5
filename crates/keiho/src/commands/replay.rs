//! `keiho replay`: recorded reports through the whole pipeline into a database.

use crate::cli::{CapStatus, ReplayArgs};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use keiho_alert::cap::Status;
use keiho_alert::compose::Language;
use keiho_ingest::Validator;
use keiho_pipeline::{LaunchNotice, Pipeline, PipelineConfig, replay};
use keiho_store::SqliteStore;
use keiho_types::{CountryCode, GeoPoint};
use std::io::IsTerminal as _;

pub(crate) fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    let speed: Option<f64> = match args.speed.as_str() {
        "max" => None,
        s => match s.parse::<f64>() {
            Ok(v) if v.is_finite() && v > 0.0 => Some(v),
            _ => bail!("--speed must be `max` or a positive real-time factor, got {s:?}"),
        },
    };
    let status = match args.status {
        CapStatus::Actual => Status::Actual,
        CapStatus::Exercise => Status::Exercise,
        CapStatus::Test => Status::Test,
    };
    let mut config = PipelineConfig::japan(&args.sender, status);
    config.assess.alert_neighbours = args.neighbours;
    config.assess.jurisdiction = args
        .jurisdiction
        .iter()
        .map(|c| CountryCode::parse(c.trim()))
        .collect::<Result<_, _>>()
        .context("--jurisdiction")?;
    if config
        .assess
        .jurisdiction
        .iter()
        .any(|c| c.as_str() == "KR")
    {
        config.deployment.languages.push(Language::Ko);
    }
    for n in &args.notice {
        config
            .notices
            .push(parse_notice(n).with_context(|| format!("--notice {n:?}"))?);
    }
    let bytes = std::fs::read(&args.tracks)
        .with_context(|| format!("reading {}", args.tracks.display()))?;
    let validator = Validator::new(Utc::now());
    let mut reports = Vec::new();
    let mut bad = 0;
    for (result, line) in validator.parse_bytes(&bytes).into_iter().zip(lines(&bytes)) {
        match result {
            Ok(r) => reports.push((r, line)),
            Err(rejection) => {
                bad += 1;
                eprintln!("{}: {rejection}", args.tracks.display());
            }
        }
    }
    if bad > 0 {
        bail!(
            "{bad} invalid report line(s) in {}: nothing replayed",
            args.tracks.display()
        );
    }
    reports.sort_by_key(|(r, _)| r.t);
    let store =
        SqliteStore::open(&args.db).with_context(|| format!("opening {}", args.db.display()))?;
    let regions = keiho_geo::RegionSet::bundled()?;
    let mut pipeline = Pipeline::new(config, regions, store);
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(reports.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} reports {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let start_wall = std::time::Instant::now();
    let first_t = reports.first().map(|(r, _)| r.t);
    let mut issued = 0;
    replay(
        &mut pipeline,
        &reports,
        |a| {
            issued += 1;
            let line = format!(
                "{} {} {} {} [{}]{}",
                a.stored.sent,
                a.stored.msg_type,
                a.stored.stage,
                a.stored.identifier,
                a.stored.regions.join(" "),
                if a.stored.lifted.is_empty() {
                    String::new()
                } else {
                    format!(" lifted [{}]", a.stored.lifted.join(" "))
                }
            );
            match &bar {
                Some(b) => b.println(line),
                None => println!("{line}"),
            }
        },
        |done| {
            if let Some(b) = &bar {
                b.set_position(done as u64);
            }
            if let (Some(speed), Some(t0)) = (speed, first_t) {
                pace(start_wall, t0, reports[done - 1].0.t, speed);
            }
        },
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    eprintln!(
        "{} reports replayed, {issued} message(s) issued into {}",
        reports.len(),
        args.db.display()
    );
    Ok(())
}

/// Sleep so that simulated time advances `speed` times faster than the wall clock.
fn pace(start: std::time::Instant, t0: DateTime<Utc>, t: DateTime<Utc>, speed: f64) {
    let sim_s = (t - t0).num_milliseconds() as f64 / 1000.0;
    let due = std::time::Duration::from_secs_f64((sim_s / speed).max(0.0));
    if let Some(wait) = due.checked_sub(start.elapsed()) {
        std::thread::sleep(wait);
    }
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes
        .split(|b| *b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim().to_owned())
        .filter(|l| !l.is_empty())
}

fn parse_notice(s: &str) -> anyhow::Result<LaunchNotice> {
    let f: Vec<&str> = s.split(',').map(str::trim).collect();
    let [lat, lon, from, to, burn] = f.as_slice() else {
        bail!("expected LAT,LON,FROM,TO,MAX_BURN_S");
    };
    let time = |t: &str| {
        DateTime::parse_from_rfc3339(t)
            .map(|t| t.with_timezone(&Utc))
            .with_context(|| format!("{t:?} is not an RFC 3339 time"))
    };
    let burn: f64 = burn.parse().context("MAX_BURN_S is not a number")?;
    if !(burn.is_finite() && burn > 0.0) {
        bail!("MAX_BURN_S must be positive");
    }
    Ok(LaunchNotice {
        site: GeoPoint::new(lat.parse()?, lon.parse()?)?,
        radius_km: 50.0,
        from: time(from)?,
        to: time(to)?,
        max_burn_s: burn,
    })
}
