//! `keiho orbit add|list` (the element catalogue) and `keiho passes` (passes over
//! regions or a place).

use crate::cli::{OrbitCommand, PassesArgs};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use keiho_geo::RegionSet;
use keiho_orbit::{
    Catalogue, Coverage, ElementSet, Observer, RegionWatch, parse_elements, point_passes,
};
use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::path::Path;

fn read_text(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading element sets from stdin")?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
}

fn read_elements(path: &Path) -> anyhow::Result<Vec<ElementSet>> {
    let text = read_text(path)?;
    parse_elements(&text).with_context(|| format!("element sets in {}", path.display()))
}

pub(crate) fn run(cmd: OrbitCommand) -> anyhow::Result<()> {
    match cmd {
        OrbitCommand::Add { file, db } => {
            let sets = read_elements(&file)?;
            let mut cat =
                Catalogue::open(&db).with_context(|| format!("opening {}", db.display()))?;
            let outcome = cat.add(&sets, Utc::now())?;
            let objects: std::collections::BTreeSet<u64> =
                sets.iter().map(|s| s.norad_id).collect();
            eprintln!(
                "{} element set(s) added, {} already present, {} object(s), in {}",
                outcome.added,
                outcome.already_present,
                objects.len(),
                db.display()
            );
            Ok(())
        }
        OrbitCommand::List { db, json } => {
            if !db.exists() {
                anyhow::bail!("no database at {}", db.display());
            }
            let cat = Catalogue::open(&db).with_context(|| format!("opening {}", db.display()))?;
            let objects = cat.objects()?;
            let mut out = std::io::stdout().lock();
            if json {
                writeln!(out, "{}", serde_json::to_string_pretty(&objects)?)?;
            } else {
                writeln!(out, "NORAD\tNAME\tSETS\tFIRST_EPOCH\tLATEST_EPOCH")?;
                for o in &objects {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        o.norad_id,
                        o.name.as_deref().unwrap_or("-"),
                        o.element_sets,
                        o.first_epoch.format("%Y-%m-%dT%H:%M:%SZ"),
                        o.latest_epoch.format("%Y-%m-%dT%H:%M:%SZ"),
                    )?;
                }
            }
            Ok(())
        }
    }
}

/// RFC 3339, or a date / date-time without zone taken as UTC.
fn parse_time(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc());
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    anyhow::bail!("--from {s:?} is not a time like 2024-06-06T05:00:00Z or a date like 2024-06-06")
}

/// Per object, the set whose epoch is nearest `at`.
fn nearest_per_object(sets: Vec<ElementSet>, at: DateTime<Utc>) -> Vec<ElementSet> {
    let mut best: BTreeMap<u64, ElementSet> = BTreeMap::new();
    for s in sets {
        let gap = (s.epoch - at).abs();
        match best.get(&s.norad_id) {
            Some(b) if (b.epoch - at).abs() <= gap => {}
            _ => {
                best.insert(s.norad_id, s);
            }
        }
    }
    best.into_values().collect()
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

pub(crate) fn passes(args: &PassesArgs) -> anyhow::Result<()> {
    let from = parse_time(&args.from)?;
    if !(args.days.is_finite() && args.days > 0.0) {
        anyhow::bail!(
            "--days must be a positive number of days, got {}",
            args.days
        );
    }
    let to = from + chrono::Duration::milliseconds((args.days * 86_400_000.0).round() as i64);
    let mid = from + (to - from) / 2;
    let sets = nearest_per_object(read_elements(&args.elements)?, mid);
    let mut out = std::io::stdout().lock();
    if let (Some(lat), Some(lon)) = (args.lat, args.lon) {
        keiho_types::GeoPoint::new(lat, lon).context("--lat/--lon")?;
        let observer = Observer::new(lat, lon, args.alt_m);
        let mut passes = Vec::new();
        let mut warnings = Vec::new();
        for s in &sets {
            let r = point_passes(s, &observer, from, to, args.min_elevation)
                .with_context(|| format!("passes of NORAD {}", s.norad_id))?;
            passes.extend(r.passes);
            warnings.extend(r.warnings);
        }
        passes.sort_by_key(|p| p.culmination.time);
        if args.json {
            let doc = serde_json::json!({
                "observer": {"lat_deg": lat, "lon_deg": lon, "alt_m": args.alt_m},
                "from": from, "to": to, "min_elevation_deg": args.min_elevation,
                "passes": passes, "warnings": warnings,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        } else {
            for w in &warnings {
                eprintln!("keiho: warning: {w}");
            }
            writeln!(
                out,
                "{:<7} {:<16} {:<23} {:>6} {:<23} {:>5} {:<23} {:>6}",
                "NORAD", "NAME", "RISE (UTC)", "AZ", "CULMINATION (UTC)", "EL", "SET (UTC)", "AZ"
            )?;
            for p in &passes {
                let (rise, raz) = p.rise.as_ref().map_or(("-".into(), "-".into()), |e| {
                    (fmt_time(e.time), format!("{:.1}", e.azimuth_deg))
                });
                let (set, saz) = p.set.as_ref().map_or(("-".into(), "-".into()), |e| {
                    (fmt_time(e.time), format!("{:.1}", e.azimuth_deg))
                });
                writeln!(
                    out,
                    "{:<7} {:<16} {:<23} {:>6} {:<23} {:>5.1} {:<23} {:>6}",
                    p.norad_id,
                    p.name.as_deref().unwrap_or("-"),
                    rise,
                    raz,
                    fmt_time(p.culmination.time),
                    p.culmination.elevation_deg,
                    set,
                    saz
                )?;
            }
        }
        return Ok(());
    }
    let regions = RegionSet::bundled()?;
    let codes: Vec<&str> = args.region.iter().map(String::as_str).collect();
    let watch = RegionWatch::new(regions, &codes)?;
    let coverage = Coverage::from_half_angle(args.half_angle)?;
    let report = watch.passes_many(&sets, from, to, coverage)?;
    if args.json {
        let doc = serde_json::json!({
            "regions": args.region, "from": from, "to": to, "coverage": coverage,
            "passes": report.passes, "warnings": report.warnings,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for w in &report.warnings {
            eprintln!("keiho: warning: {w}");
        }
        writeln!(
            out,
            "{:<7} {:<16} {:<7} {:<23} {:<23} {:>9}",
            "NORAD", "NAME", "REGION", "START (UTC)", "END (UTC)", "SECONDS"
        )?;
        for p in &report.passes {
            writeln!(
                out,
                "{:<7} {:<16} {:<7} {:<23} {:<23} {:>9.1}",
                p.norad_id,
                p.name.as_deref().unwrap_or("-"),
                p.region,
                fmt_time(p.start),
                fmt_time(p.end),
                p.duration_s
            )?;
        }
    }
    Ok(())
}
