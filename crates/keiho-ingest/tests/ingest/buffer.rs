//! Report buffer: duplicates, reordering within the window, too-late reports.

use super::{RADAR, time, validator};
use keiho_ingest::{BufferConfig, BufferRejection, Report, ReportBuffer};
use proptest::prelude::*;
use std::collections::HashMap;

fn radar(object: &str, sensor: &str, t: &str) -> Report {
    let mut r = validator()
        .parse_line(1, RADAR)
        .expect("RADAR is a valid report");
    r.object = object.to_owned();
    r.sensor = sensor.to_owned();
    r.t = time(t);
    r
}

fn times(reports: &[Report]) -> Vec<String> {
    reports
        .iter()
        .map(|r| format!("{}@{}", r.object, r.t.format("%S%.3f")))
        .collect()
}

#[test]
fn reorders_within_the_window() {
    let mut b = ReportBuffer::new(BufferConfig::default());
    b.push(radar("A", "R1", "2023-08-23T18:50:01Z")).unwrap();
    b.push(radar("A", "R1", "2023-08-23T18:50:00Z")).unwrap();
    b.push(radar("B", "R1", "2023-08-23T18:50:00.500Z"))
        .unwrap();
    assert!(
        b.release().is_empty(),
        "nothing is 2 s behind the newest yet"
    );
    b.push(radar("A", "R1", "2023-08-23T18:50:02.500Z"))
        .unwrap();
    assert_eq!(times(&b.release()), ["A@00.000", "B@00.500"]);
    assert_eq!(b.watermark(), Some(time("2023-08-23T18:50:00.500Z")));
    assert_eq!(b.len(), 2);
    assert_eq!(times(&b.flush()), ["A@01.000", "A@02.500"]);
    assert!(b.is_empty());
}

#[test]
fn duplicates_are_dropped_and_reported() {
    let mut b = ReportBuffer::new(BufferConfig::default());
    b.push(radar("A", "R1", "2023-08-23T18:50:00Z")).unwrap();
    let dup = b
        .push(radar("A", "R1", "2023-08-23T18:50:00.0005Z"))
        .unwrap_err();
    assert_eq!(
        dup.to_string(),
        "duplicate: radar report of object \"A\" from sensor \"R1\" at 2023-08-23T18:50:00.000500Z repeats the one at 2023-08-23T18:50:00Z"
    );
    // Another sensor at the same instant is a second measurement, not a duplicate.
    b.push(radar("A", "R2", "2023-08-23T18:50:00Z")).unwrap();
    // Beyond the 1 ms tolerance it is a new measurement.
    b.push(radar("A", "R1", "2023-08-23T18:50:00.002Z"))
        .unwrap();
    // Still a duplicate after the original has been released.
    b.push(radar("A", "R1", "2023-08-23T18:50:03Z")).unwrap();
    assert_eq!(b.release().len(), 3);
    let late_dup = b
        .push(radar("A", "R1", "2023-08-23T18:50:00.002Z"))
        .unwrap_err();
    assert!(
        matches!(late_dup, BufferRejection::Duplicate { .. }),
        "{late_dup}"
    );
}

#[test]
fn reports_behind_the_released_time_are_too_late() {
    let mut b = ReportBuffer::new(BufferConfig::default());
    b.push(radar("A", "R1", "2023-08-23T18:50:00Z")).unwrap();
    b.push(radar("A", "R1", "2023-08-23T18:50:05Z")).unwrap();
    assert_eq!(b.release().len(), 1);
    let late = b
        .push(radar("A", "R2", "2023-08-23T18:49:59.900Z"))
        .unwrap_err();
    assert_eq!(
        late.to_string(),
        "too late: radar report of object \"A\" from sensor \"R2\" at 2023-08-23T18:49:59.900Z is older than 2023-08-23T18:50:00Z, already released for that object (reorder window 2 s)"
    );
    // Another object has released nothing, so an old report of it is still accepted.
    b.push(radar("B", "R2", "2023-08-23T18:49:59.900Z"))
        .unwrap();
    assert_eq!(times(&b.release()), ["B@59.900"]);
}

proptest! {
    /// Whatever the arrival order, each object's released times never decrease, and
    /// every accepted report is released exactly once.
    #[test]
    fn per_object_release_is_ordered(arrivals in prop::collection::vec((0u8..3, 0u32..20_000), 1..60)) {
        let mut b = ReportBuffer::new(BufferConfig::default());
        let mut accepted = 0usize;
        let mut released = Vec::new();
        for (obj, ms) in arrivals {
            let mut r = radar(&format!("O{obj}"), "R1", "2023-08-23T18:50:00Z");
            r.t += chrono::TimeDelta::milliseconds(i64::from(ms));
            if b.push(r).is_ok() {
                accepted += 1;
            }
            released.extend(b.release());
        }
        released.extend(b.flush());
        prop_assert_eq!(released.len(), accepted);
        let mut last: HashMap<String, chrono::DateTime<chrono::Utc>> = HashMap::new();
        for r in &released {
            if let Some(prev) = last.insert(r.object.clone(), r.t) {
                prop_assert!(prev <= r.t, "{} went back from {} to {}", r.object, prev, r.t);
            }
        }
    }
}
