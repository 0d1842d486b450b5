//! Compiles the bundled GeoJSON region data into a compact binary form at build time,
//! so the program never parses GeoJSON at start-up (loading must take well under 200 ms).
//!
//! Output (postcard): regions with codes and names, rings as delta-encoded integer
//! coordinates in units of 1e-5 degree. The source data is rounded to 5 decimals
//! (see `data/README.md`), so the encoding is exact; the build fails if it is not.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[path = "src/bundle_format.rs"]
mod bundle_format;
use bundle_format::{BundledRegion, BundledRegions, COORD_SCALE};

fn main() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/regions");
    let admin1 = data.join("ne_10m_admin1_west_pacific.geojson");
    let japan = data.join("japan_prefectures_ne10m.geojson");
    let korea = data.join("south_korea_provinces_osm.geojson");
    let corrections_path = data.join("japan_island_corrections.csv");
    for p in [&admin1, &japan, &korea, &corrections_path] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-changed=src/bundle_format.rs");

    let japan_names = names_by_code(&japan, "name_en", "name_ja", Some("jis_code"));
    let korea_names = names_by_code(&korea, "label_en", "label_ko", None);

    let collection = read_collection(&admin1);
    let mut unnamed = 0;
    let mut regions = Vec::new();
    for (index, feature) in collection.features.iter().enumerate() {
        let prop = |k: &str| -> String {
            feature
                .property(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let ne_code = prop("iso_3166_2");
        let name = prop("name");
        let (code, country) = stable_code(&ne_code, &prop("iso_a2"), &name, &mut unnamed);
        let mut region = BundledRegion {
            code: code.clone(),
            country,
            name_en: if name.is_empty() {
                format!("Unnamed area {code}")
            } else {
                name
            },
            name_ja: None,
            name_ko: None,
            jis_code: None,
            polygons: Vec::new(),
        };
        if let Some(n) = japan_names.get(&code) {
            region.name_en = n.0.clone();
            region.name_ja = Some(n.1.clone());
            region.jis_code = n.2.clone();
        }
        if let Some(n) = korea_names.get(&code) {
            region.name_en = n.0.clone();
            region.name_ko = Some(n.1.clone());
        }
        let geometry = feature
            .geometry
            .as_ref()
            .unwrap_or_else(|| panic!("feature {index} ({code}) has no geometry"));
        region.polygons = match &geometry.value {
            geojson::GeometryValue::Polygon { coordinates } => {
                vec![encode_polygon(coordinates, &code)]
            }
            geojson::GeometryValue::MultiPolygon { coordinates } => coordinates
                .iter()
                .map(|p| encode_polygon(p, &code))
                .collect(),
            other => panic!(
                "feature {index} ({code}) is a {}, not a polygon",
                other.type_name()
            ),
        };
        regions.push(region);
    }
    apply_corrections(&mut regions, &read_corrections(&corrections_path));
    let japan_count = regions.iter().filter(|r| r.country == "JP").count();
    assert_eq!(japan_count, 47, "expected Japan's 47 prefectures");
    let bytes = postcard::to_stdvec(&BundledRegions { regions }).expect("encode regions");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("regions.postcard");
    std::fs::write(&out, bytes).expect("write regions.postcard");
}

fn read_collection(path: &Path) -> geojson::FeatureCollection {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.parse::<geojson::GeoJson>()
        .unwrap_or_else(|e| panic!("{} is not GeoJSON: {e}", path.display()))
        .try_into()
        .unwrap_or_else(|e| panic!("{} is not a FeatureCollection: {e}", path.display()))
}

/// (English name, local name, JIS X 0401 code) keyed by ISO 3166-2 code.
fn names_by_code(
    path: &Path,
    en: &str,
    local: &str,
    jis: Option<&str>,
) -> HashMap<String, (String, String, Option<String>)> {
    let get =
        |f: &geojson::Feature, k: &str| f.property(k).and_then(|v| v.as_str()).map(str::to_owned);
    read_collection(path)
        .features
        .iter()
        .filter_map(|f| {
            let code = get(f, "iso_3166_2")?;
            let names = (get(f, en)?, get(f, local)?, jis.and_then(|k| get(f, k)));
            Some((code, names))
        })
        .collect()
}

/// A stable code for every region. Natural Earth leaves a few without an ISO 3166-2
/// code or with a placeholder (`GU-X01~`); we drop the `~` and give the pieces with no
/// owner the user-assigned country `XZ`, numbered in file order.
fn stable_code(ne_code: &str, iso_a2: &str, name: &str, unnamed: &mut u32) -> (String, String) {
    if name == "Spratly Islands" {
        return ("XZ-SPRATLY".into(), "XZ".into());
    }
    if ne_code.is_empty() {
        *unnamed += 1;
        return (format!("XZ-U{unnamed}"), "XZ".into());
    }
    let code = ne_code.trim_end_matches('~').to_owned();
    assert_eq!(
        &code[..2],
        iso_a2,
        "code {code} does not start with its country {iso_a2}"
    );
    (code, iso_a2.to_owned())
}

fn encode_polygon(rings: &[Vec<geojson::Position>], code: &str) -> Vec<Vec<i32>> {
    rings
        .iter()
        .map(|ring| {
            let mut out = Vec::with_capacity(ring.len() * 2);
            let (mut px, mut py) = (0i64, 0i64);
            for pos in ring {
                let (x, y) = (to_fixed(pos[0], code), to_fixed(pos[1], code));
                out.push(i32::try_from(x - px).expect("delta fits i32"));
                out.push(i32::try_from(y - py).expect("delta fits i32"));
                (px, py) = (x, y);
            }
            out
        })
        .collect()
}

fn to_fixed(deg: f64, code: &str) -> i64 {
    let fixed = (deg * COORD_SCALE).round();
    assert!(
        (fixed / COORD_SCALE - deg).abs() < 1e-9,
        "{code}: coordinate {deg} is not on the 1e-5 degree grid"
    );
    fixed as i64
}

/// A polygon part Natural Earth gives to the wrong region (see
/// `data/regions/find_japan_corrections.py`), identified by its bounding box.
struct Correction {
    from: String,
    bbox: [i64; 4],
    to: String,
}

fn read_corrections(path: &Path) -> Vec<Correction> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert!(f.len() >= 6, "bad correction line {line:?}");
            let num = |s: &str| to_fixed(s.parse::<f64>().expect("number"), "corrections");
            Correction {
                from: f[0].to_owned(),
                bbox: [num(f[1]), num(f[2]), num(f[3]), num(f[4])],
                to: f[5].to_owned(),
            }
        })
        .collect()
}

fn part_bbox(rings: &[Vec<i32>]) -> [i64; 4] {
    let (mut x, mut y) = (0i64, 0i64);
    let mut b = [i64::MAX, i64::MAX, i64::MIN, i64::MIN];
    for d in rings[0].chunks_exact(2) {
        x += i64::from(d[0]);
        y += i64::from(d[1]);
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    b
}

/// Move each listed part to its correct region; every correction must apply exactly once,
/// so a change in the source data cannot silently void one.
fn apply_corrections(regions: &mut [BundledRegion], corrections: &[Correction]) {
    for c in corrections {
        let from = regions
            .iter()
            .position(|r| r.code == c.from)
            .expect("correction source region");
        let to = regions
            .iter()
            .position(|r| r.code == c.to)
            .expect("correction target region");
        let matching: Vec<usize> = (0..regions[from].polygons.len())
            .filter(|&i| part_bbox(&regions[from].polygons[i]) == c.bbox)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "correction {} {:?} matched {} parts",
            c.from,
            c.bbox,
            matching.len()
        );
        let part = regions[from].polygons.remove(matching[0]);
        regions[to].polygons.push(part);
    }
}
