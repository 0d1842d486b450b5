//! Japan's real J-Alert timelines (`data/jalert_timelines.csv`, compiled in; its
//! provenance is in `data/README.md`) and the comparison of a Keiho event with the
//! real event of the same launch date (JST).

use chrono::{DateTime, FixedOffset, NaiveDate, Offset as _, Utc};
use serde::Deserialize;

/// The table as shipped.
pub const TABLE_CSV: &str = include_str!("../../../data/jalert_timelines.csv");

/// One real event as J-Alert handled it. Minutes are after launch, as the sources
/// give them (whole minutes, the launch itself often known only to the minute).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct JAlertEvent {
    /// Launch date, JST.
    pub event_date_jst: NaiveDate,
    /// Launch time, JST, as published (`HH:MM` or `HH:MM:SS`).
    pub launch_jst: String,
    /// First alert, JST.
    pub first_alert_jst: String,
    /// First alert, minutes after launch.
    pub first_alert_min: f64,
    /// The message that ended it: `passed`, `lifted` (the all-clear, from Apr 2023), or
    /// empty when none was published.
    pub end_message: String,
    /// Its time, JST, if published.
    pub end_jst: Option<String>,
    /// Its time, minutes after launch.
    pub end_min: Option<f64>,
    /// Areas alerted, in words.
    pub areas: String,
    /// What else happened.
    pub notes: String,
    /// Where the facts come from.
    pub sources: String,
}

/// Why the table could not be read (a bad edit of the CSV; a test guards it).
#[derive(Debug, thiserror::Error)]
#[error("data/jalert_timelines.csv: {0}")]
pub struct TableError(#[from] csv::Error);

/// Every event in the table.
pub fn table() -> Result<Vec<JAlertEvent>, TableError> {
    csv::Reader::from_reader(TABLE_CSV.as_bytes())
        .deserialize()
        .collect::<Result<Vec<_>, _>>()
        .map_err(TableError)
}

/// Japan Standard Time (UTC+9).
pub fn jst() -> FixedOffset {
    // 9 h is a valid offset; the fallback is never taken.
    FixedOffset::east_opt(9 * 3600).unwrap_or(Utc.fix())
}

/// The real event launched on the same JST date as `launch`, if the table has one.
pub fn matching(launch: DateTime<Utc>) -> Result<Option<JAlertEvent>, TableError> {
    let date = launch.with_timezone(&jst()).date_naive();
    Ok(table()?.into_iter().find(|e| e.event_date_jst == date))
}

/// Keiho's event beside J-Alert's.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The real event.
    pub real: JAlertEvent,
    /// Keiho's first alert, minutes after its recorded launch.
    pub keiho_first_alert_min: Option<f64>,
    /// Keiho's end of the call (all-clear, or the last lift), minutes after launch.
    pub keiho_end_min: Option<f64>,
}

impl Comparison {
    /// The same comparison with Keiho counted from a launch `offset_s` seconds before
    /// the one it recorded (the true launch, when known).
    pub fn after_true_launch(&self, offset_s: f64) -> Self {
        let m = offset_s / 60.0;
        Self {
            real: self.real.clone(),
            keiho_first_alert_min: self.keiho_first_alert_min.map(|v| v + m),
            keiho_end_min: self.keiho_end_min.map(|v| v + m),
        }
    }

    /// Keiho's first alert minus J-Alert's, minutes (negative: Keiho earlier).
    pub fn first_alert_diff_min(&self) -> Option<f64> {
        Some(self.keiho_first_alert_min? - self.real.first_alert_min)
    }
    /// Keiho's first alert time over J-Alert's.
    pub fn first_alert_ratio(&self) -> Option<f64> {
        ratio(self.keiho_first_alert_min?, self.real.first_alert_min)
    }
    /// Keiho's end minus J-Alert's, minutes.
    pub fn end_diff_min(&self) -> Option<f64> {
        Some(self.keiho_end_min? - self.real.end_min?)
    }
    /// Keiho's end over J-Alert's.
    pub fn end_ratio(&self) -> Option<f64> {
        ratio(self.keiho_end_min?, self.real.end_min?)
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads_and_has_the_scenario_dates() {
        let t = table().expect("table parses");
        assert_eq!(t.len(), 8);
        for d in ["2022-10-04", "2023-05-31", "2023-08-24", "2023-11-21"] {
            assert!(
                t.iter().any(|e| e.event_date_jst.to_string() == d),
                "{d} missing"
            );
        }
    }

    #[test]
    fn matching_is_by_launch_date_in_japan() {
        // 18:50 UTC on 23 Aug is 03:50 JST on 24 Aug.
        let launch = DateTime::parse_from_rfc3339("2023-08-23T18:50:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let m = matching(launch).expect("table").expect("a match");
        assert_eq!(m.event_date_jst.to_string(), "2023-08-24");
        assert_eq!(m.end_min, Some(17.0));
    }
}
