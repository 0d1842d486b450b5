//! Property tests: parsing never panics on any input; a TLE with any one digit changed
//! is refused by its checksum; footprint passes contain the sub-satellite passes;
//! the CAP facts of a notice follow the pass.

use chrono::Duration;
use keiho_geo::RegionSet;
use keiho_orbit::{Coverage, RegionWatch, notice::overflight_notice, parse_elements};
use proptest::prelude::*;

const L1: &str = "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999";
const L2: &str = "2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsing_never_panics(text in "\\PC{0,400}") {
        let _ = parse_elements(&text);
    }

    #[test]
    fn parsing_never_panics_on_damaged_tles(pos in 0usize..138, c in proptest::char::any()) {
        let mut chars: Vec<char> = format!("{L1}\n{L2}").chars().collect();
        if pos < chars.len() {
            chars[pos] = c;
        }
        let text: String = chars.into_iter().collect();
        let _ = parse_elements(&text);
    }

    #[test]
    fn any_changed_digit_fails_the_checksum(line in 0usize..2, col in 2usize..68, d in 0u32..10) {
        let mut lines = [L1.to_owned(), L2.to_owned()];
        let old = lines[line].as_bytes()[col];
        prop_assume!(old.is_ascii_digit());
        let new = char::from_digit(d, 10).unwrap_or('0');
        prop_assume!(new as u8 != old);
        lines[line].replace_range(col..col + 1, &new.to_string());
        let err = parse_elements(&format!("{}\n{}\n", lines[0], lines[1]));
        let msg = err.err().map(|e| e.to_string()).unwrap_or_default();
        prop_assert!(msg.contains("checksum"), "{}", msg);
        let expected_line = format!("line {}:", line + 1);
        prop_assert!(msg.starts_with(&expected_line), "{}", msg);
    }
}

#[test]
fn footprint_passes_contain_sub_satellite_passes_and_notices_follow_them() {
    let sets = parse_elements(&format!("MALLIGYONG-1\n{L1}\n{L2}\n")).expect("parses");
    let set = &sets[0];
    let regions = RegionSet::bundled().expect("regions");
    let watch = RegionWatch::japan_prefectures(regions).expect("prefectures");
    let (from, to) = (set.epoch, set.epoch + Duration::days(4));
    let point = watch
        .passes(set, from, to, Coverage::SubSatellitePoint)
        .expect("passes");
    let cone = Coverage::from_half_angle(20.0).expect("half-angle");
    let wide = watch.passes(set, from, to, cone).expect("passes");
    assert!(!point.passes.is_empty());
    assert!(wide.passes.len() >= point.passes.len());
    for p in &point.passes {
        // Tolerance: edges are refined to 0.02 s each.
        let inside = wide.passes.iter().any(|w| {
            w.region == p.region
                && w.start <= p.start + Duration::milliseconds(50)
                && w.end + Duration::milliseconds(50) >= p.end
        });
        assert!(inside, "{p:?} not inside a footprint pass");
    }
    let n = overflight_notice(&wide.passes[0]);
    assert_eq!(
        (n.category, n.urgency, n.severity),
        ("Security", "Future", "Minor")
    );
    assert_eq!(
        (n.onset, n.expires),
        (wide.passes[0].start, wide.passes[0].end)
    );
    assert!(n.headline.contains("MALLIGYONG-1"));
}
