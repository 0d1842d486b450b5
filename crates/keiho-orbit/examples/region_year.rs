//! A year of region passes for many objects over Japan's 47 prefectures, timed: the
//! figure in BENCHMARKS.md ("Orbit watch").
//!
//! `cargo run --release -p keiho-orbit --example region_year -- [OBJECTS] [HALF_ANGLE_DEG] [DAYS]`
//!
//! 1,000 distinct real element sets are not in the repository (Space-Track's terms
//! limit redistribution), so the objects are generated deterministically: plausible
//! LEO orbits (perigee 400-1,200 km, e < 0.02, inclination 20-100 deg, B* 1e-5,
//! angles uniform) from a fixed-seed generator, written as CCSDS OMM KVN and read back
//! through `parse_elements` like any input.

use chrono::{DateTime, Duration, Utc};
use keiho_geo::RegionSet;
use keiho_orbit::{Coverage, RegionWatch, parse_elements};
use std::fmt::Write as _;
use std::time::Instant;

/// SplitMix64: a tiny deterministic generator, enough for spreading orbits.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` synthetic LEO element sets as one OMM KVN text, epoch `epoch`.
fn synthetic_omm(n: usize, epoch: DateTime<Utc>) -> String {
    let mut rng = SplitMix(20_240_606);
    let mut out = String::new();
    for i in 0..n {
        let alt_km = 400.0 + 800.0 * rng.next_f64();
        let e = 0.02 * rng.next_f64();
        let a = (6378.135 + alt_km) / (1.0 - e);
        let n_rev_day = (398_600.8 / (a * a * a)).sqrt() * 86_400.0 / std::f64::consts::TAU;
        let _ = write!(
            out,
            "CCSDS_OMM_VERS = 2.0\nOBJECT_NAME = SYNTH-{i:04}\nOBJECT_ID = 2024-000A\n\
             CENTER_NAME = EARTH\nREF_FRAME = TEME\nTIME_SYSTEM = UTC\nMEAN_ELEMENT_THEORY = SGP4\n\
             EPOCH = {}\nMEAN_MOTION = {n_rev_day:.8}\nECCENTRICITY = {e:.7}\n\
             INCLINATION = {:.4}\nRA_OF_ASC_NODE = {:.4}\nARG_OF_PERICENTER = {:.4}\n\
             MEAN_ANOMALY = {:.4}\nNORAD_CAT_ID = {}\nBSTAR = 1.0E-5\n\
             MEAN_MOTION_DOT = 0\nMEAN_MOTION_DDOT = 0\n",
            epoch.format("%Y-%m-%dT%H:%M:%S%.6f"),
            20.0 + 80.0 * rng.next_f64(),
            360.0 * rng.next_f64(),
            360.0 * rng.next_f64(),
            360.0 * rng.next_f64(),
            90_000 + i,
        );
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let objects: usize = args.first().map_or(Ok(1000), |s| s.parse())?;
    let half_angle: f64 = args.get(1).map_or(Ok(0.0), |s| s.parse())?;
    let days: i64 = args.get(2).map_or(Ok(365), |s| s.parse())?;
    let epoch = DateTime::parse_from_rfc3339("2024-06-01T00:00:00Z")?.to_utc();
    let sets = parse_elements(&synthetic_omm(objects, epoch))?;
    let regions = RegionSet::bundled()?;
    let prepared = Instant::now();
    let watch = RegionWatch::japan_prefectures(regions)?;
    let prepare_s = prepared.elapsed().as_secs_f64();
    let coverage = Coverage::from_half_angle(half_angle)?;
    let started = Instant::now();
    let report = watch.passes_many(&sets, epoch, epoch + Duration::days(days), coverage)?;
    let elapsed = started.elapsed().as_secs_f64();
    let regions_hit: std::collections::BTreeSet<&str> =
        report.passes.iter().map(|p| p.region.as_str()).collect();
    println!(
        "{objects} objects x {} regions x {days} days, half-angle {half_angle} deg, {} threads: \
         {elapsed:.2} s (regions prepared in {prepare_s:.2} s); {} passes over {} regions; \
         {} warnings",
        watch.len(),
        rayon::current_num_threads(),
        report.passes.len(),
        regions_hit.len(),
        report.warnings.len(),
    );
    Ok(())
}
