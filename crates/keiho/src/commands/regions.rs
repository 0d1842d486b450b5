//! `keiho regions ...`: the region engine on the command line.

use crate::cli::RegionsCommand;
use anyhow::{Context, bail};
use keiho_geo::geojson_input::hazards_from_geojson;
use keiho_geo::{Hazard, RegionSet};
use keiho_types::{CountryCode, GeoPoint};
use std::io::{BufRead, BufWriter, Read, Write};

pub(crate) fn run(cmd: RegionsCommand) -> anyhow::Result<()> {
    let set = RegionSet::bundled().context("loading the bundled regions")?;
    match cmd {
        RegionsCommand::List { country } => list(set, country.as_deref()),
        RegionsCommand::Locate => locate(set, std::io::stdin().lock(), std::io::stdout().lock()),
        RegionsCommand::Hit {
            geojson,
            buffer_km,
            country,
        } => {
            let text = if geojson.as_os_str() == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading GeoJSON from stdin")?;
                s
            } else {
                std::fs::read_to_string(&geojson)
                    .with_context(|| format!("reading {}", geojson.display()))?
            };
            let countries = parse_countries(&country)?;
            hit(set, &text, buffer_km, &countries)
                .with_context(|| format!("in {}", geojson.display()))
        }
        RegionsCommand::Near { lat, lon, km } => {
            let p = GeoPoint::new(lat, lon).context("--lat/--lon")?;
            if !(km.is_finite() && km >= 0.0) {
                bail!("--km must be a finite, non-negative distance, got {km}");
            }
            let mut out = BufWriter::new(std::io::stdout().lock());
            for n in set.near(p, km) {
                writeln!(out, "{},{:.3}", set.region(n.region).code, n.distance_km)?;
            }
            out.flush()?;
            Ok(())
        }
    }
}

fn parse_countries(list: &[String]) -> anyhow::Result<Vec<CountryCode>> {
    list.iter()
        .map(|c| CountryCode::parse(c.trim()).with_context(|| "--country"))
        .collect()
}

fn list(set: &RegionSet, country: Option<&str>) -> anyhow::Result<()> {
    let filter = country
        .map(CountryCode::parse)
        .transpose()
        .context("--country")?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(["code", "country", "name_en", "name_local"])?;
    for r in set
        .regions()
        .iter()
        .filter(|r| filter.is_none_or(|c| r.country == c))
    {
        out.write_record([
            r.code.as_str(),
            r.country.as_str(),
            &r.name_en,
            r.name_local(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

fn hit(
    set: &RegionSet,
    text: &str,
    buffer_km: f64,
    countries: &[CountryCode],
) -> anyhow::Result<()> {
    let hazards = hazards_from_geojson(text)?;
    let mut codes = Vec::new();
    for hazard in hazards {
        let hazard: Hazard = hazard.buffered(buffer_km)?;
        let mut hit = set.hit(&hazard)?;
        if !countries.is_empty() {
            hit = set.in_jurisdiction(&hit, countries);
        }
        codes.extend(hit.into_iter().map(|i| set.region(i).code.to_string()));
    }
    codes.sort();
    codes.dedup();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for c in codes {
        writeln!(out, "{c}")?;
    }
    out.flush()?;
    Ok(())
}

/// Lines are read and located in blocks so the work runs on every core while output
/// still streams in input order.
const BLOCK_LINES: usize = 65_536;

pub(crate) fn locate(
    set: &RegionSet,
    input: impl BufRead,
    output: impl Write,
) -> anyhow::Result<()> {
    use rayon::prelude::*;
    let mut out = BufWriter::new(output);
    let mut block: Vec<(String, String, GeoPoint)> = Vec::with_capacity(BLOCK_LINES);
    let flush = |block: &mut Vec<(String, String, GeoPoint)>,
                 out: &mut BufWriter<_>|
     -> anyhow::Result<()> {
        let found: Vec<_> = block
            .par_iter()
            .with_min_len(1024)
            .map(|(_, _, p)| set.locate(*p))
            .collect();
        for ((lon, lat, _), region) in block.iter().zip(found) {
            let code = region.map(|i| set.region(i).code.as_str()).unwrap_or("");
            writeln!(out, "{lon},{lat},{code}")?;
        }
        block.clear();
        Ok(())
    };
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line.with_context(|| format!("reading line {line_no}"))?;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        match parse_lon_lat(trimmed) {
            Ok((lon, lat, p)) => block.push((lon.to_owned(), lat.to_owned(), p)),
            Err(_) if line_no == 1 && is_header(trimmed) => {}
            Err(why) => {
                // Everything before the bad line has been accepted: write it first.
                flush(&mut block, &mut out)?;
                out.flush()?;
                bail!("line {line_no}: {why}: {trimmed:?}");
            }
        }
        if block.len() == BLOCK_LINES {
            flush(&mut block, &mut out)?;
        }
    }
    flush(&mut block, &mut out)?;
    out.flush()?;
    Ok(())
}

fn is_header(line: &str) -> bool {
    let first = line
        .split(',')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase();
    matches!(first.as_str(), "lon" | "lng" | "long" | "longitude" | "x")
}

fn parse_lon_lat(line: &str) -> Result<(&str, &str, GeoPoint), String> {
    let mut fields = line.split(',').map(str::trim);
    let (Some(lon), Some(lat), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err("expected two fields `lon,lat`".into());
    };
    let x: f64 = lon
        .parse()
        .map_err(|_| format!("longitude {lon:?} is not a number"))?;
    let y: f64 = lat
        .parse()
        .map_err(|_| format!("latitude {lat:?} is not a number"))?;
    let p = GeoPoint::new(y, x).map_err(|e| e.to_string())?;
    Ok((lon, lat, p))
}
