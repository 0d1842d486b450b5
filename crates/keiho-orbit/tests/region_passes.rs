//! Region passes against brute force: the sub-satellite point located every 0.1 s with
//! the region engine, no bounding caps, no skipping, no interpolation.
//!
//! Brute-force episodes of one region closer than `MERGE_GAP_S` are merged as the
//! library merges them. Tolerances: every merged episode is found, its start and end
//! within 0.15 s (the brute-force step plus interpolation error) unless the first or
//! last piece is shorter than `FINE_STEP_S` (0.5 s), which the library may step over;
//! every pass found overlaps a brute-force episode.

use chrono::{DateTime, Duration, Utc};
use keiho_geo::RegionSet;
use keiho_orbit::{Coverage, FINE_STEP_S, MERGE_GAP_S, Propagator, RegionWatch, parse_elements};

const TLE: &str = "MALLIGYONG-1
1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999
2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052
";

#[derive(Debug)]
struct Episode {
    region: String,
    start: f64,
    end: f64,
}

fn brute_force(
    regions: &RegionSet,
    codes: &[String],
    prop: &Propagator,
    from: DateTime<Utc>,
    span_s: f64,
) -> Vec<Episode> {
    let track = prop.track(from);
    let step = 0.1;
    let n = (span_s / step) as usize;
    let mut out = Vec::new();
    let mut open: Option<(String, f64)> = None;
    for k in 0..=n {
        let t = k as f64 * step;
        let s = track.earth_fixed(t).expect("propagates");
        let p = keiho_types::GeoPoint::wrapping(s.geodetic.lat_deg, s.geodetic.lon_deg)
            .expect("valid point");
        let here = regions
            .locate(p)
            .map(|i| regions.region(i).code.as_str().to_owned())
            .filter(|c| codes.contains(c));
        let same = match (&open, &here) {
            (Some((a, _)), Some(b)) => a == b,
            (None, None) => true,
            _ => false,
        };
        if !same {
            if let Some((region, start)) = open.take() {
                out.push(Episode {
                    region,
                    start,
                    end: t - step / 2.0,
                });
            }
            if let Some(code) = here {
                open = Some((code, if k == 0 { 0.0 } else { t - step / 2.0 }));
            }
        }
    }
    out
}

#[test]
fn sub_satellite_passes_match_brute_force() {
    let set = &parse_elements(TLE).expect("parses")[0];
    let regions = RegionSet::bundled().expect("bundled regions");
    let codes: Vec<String> = (1..=47).map(|i| format!("JP-{i:02}")).collect();
    let from = set.epoch;
    let days = 3;
    let to = from + Duration::days(days);
    let watch = RegionWatch::japan_prefectures(regions).expect("prefectures");
    let ours = watch
        .passes(set, from, to, Coverage::SubSatellitePoint)
        .expect("passes");
    let prop = Propagator::new(set).expect("propagator");
    let brute = brute_force(regions, &codes, &prop, from, days as f64 * 86_400.0);
    assert!(
        brute.len() >= 10,
        "only {} brute-force episodes",
        brute.len()
    );
    let secs = |t: DateTime<Utc>| (t - from).num_microseconds().expect("small") as f64 * 1e-6;
    // Merge as the library does: one region, gaps under MERGE_GAP_S.
    let mut merged: Vec<(Episode, f64, f64)> = Vec::new();
    let mut sorted = brute;
    sorted.sort_by(|a, b| a.region.cmp(&b.region).then(a.start.total_cmp(&b.start)));
    for e in sorted {
        let len = e.end - e.start;
        if let Some((last, _, last_len)) = merged.last_mut()
            && last.region == e.region
            && e.start - last.end < MERGE_GAP_S
        {
            last.end = e.end;
            *last_len = len;
            continue;
        }
        merged.push((e, len, len));
    }
    for (e, first_len, last_len) in &merged {
        let found = ours.passes.iter().any(|p| {
            p.region == e.region
                && ((secs(p.start) - e.start).abs() < 0.15 || *first_len < FINE_STEP_S)
                && ((secs(p.end) - e.end).abs() < 0.15 || *last_len < FINE_STEP_S)
                && secs(p.start) < e.end + 0.15
                && secs(p.end) > e.start - 0.15
        });
        assert!(
            found || e.end - e.start < FINE_STEP_S,
            "brute-force episode {e:?} not found in {:#?}",
            ours.passes
        );
    }
    for p in &ours.passes {
        let (s, e) = (secs(p.start), secs(p.end));
        let known = merged
            .iter()
            .any(|(b, _, _)| b.region == p.region && b.start < e + 0.15 && b.end > s - 0.15);
        assert!(known, "pass {p:?} is not a brute-force episode");
    }
    eprintln!(
        "{} passes, {} merged brute-force episodes",
        ours.passes.len(),
        merged.len()
    );
}
