//! The parsers never panic, whatever they are fed.

use super::{LAUNCH, POSITION, RADAR, validator};
use keiho_ingest::TdmContext;
use proptest::prelude::*;

const FIXTURE: &str = include_str!("../fixtures/two_radars.tdm");

/// A valid line with a few bytes overwritten, inserted or deleted.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6).prop_map(
        move |edits| {
            let mut bytes = base.as_bytes().to_vec();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len().max(1));
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i.min(bytes.len()), byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            bytes
        },
    )
}

proptest! {
    #[test]
    fn json_never_panics_on_strings(s in ".*") {
        let _ = validator().parse_lines(&s);
    }

    #[test]
    fn json_never_panics_on_bytes(b in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = validator().parse_bytes(&b);
    }

    #[test]
    fn json_never_panics_on_mutated_lines(
        b in prop_oneof![mutated(LAUNCH), mutated(POSITION), mutated(RADAR)],
    ) {
        let results = validator().parse_bytes(&b);
        prop_assert!(results.len() <= 2, "one line, or two if a newline was inserted");
    }

    #[test]
    fn tdm_never_panics(b in mutated(FIXTURE), s in "[A-Z_ =0-9.:T\n-]{0,200}") {
        let ctx = TdmContext::default();
        let _ = validator().parse_tdm(&String::from_utf8_lossy(&b), &ctx);
        let _ = validator().parse_tdm(&format!("CCSDS_TDM_VERS = 2.0\nMETA_START\n{s}"), &ctx);
    }

    /// Any structurally valid numbers survive writing and re-reading exactly.
    #[test]
    fn written_reports_parse_back(
        lat in -90.0f64..=90.0, lon in -180.0f64..=180.0, alt in -500.0f64..5e6,
        sigma in 1e-3f64..1e6, ms in 0i64..100_000,
    ) {
        let mut r = validator().parse_line(1, POSITION).unwrap();
        r.t -= chrono::TimeDelta::milliseconds(ms);
        if let keiho_ingest::Measurement::Position(p) = &mut r.measurement {
            (p.lat_deg, p.lon_deg, p.alt_m, p.sigma_m) = (lat, lon, alt, sigma);
        }
        let back = validator().parse_line(1, &r.to_json_line()).unwrap();
        prop_assert_eq!(back, r);
    }
}
