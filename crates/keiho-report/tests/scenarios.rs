//! Every simulator scenario replayed into a SQLite store, reported on, and the report's
//! facts checked against the database: message count, first-alert latency, all-clear,
//! outcome, alerted areas, J-Alert match. The reports are left in `target/reports/`
//! for CI to keep as artefacts. The HTML structure of one report is snapshotted with
//! numbers stripped.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::{DateTime, Duration, Utc};
use keiho_alert::cap::Status;
use keiho_pipeline::journal::{self, OutcomeBody};
use keiho_pipeline::{LaunchNotice, Pipeline, PipelineConfig, replay};
use keiho_report::{Analysis, EventRecord, FindingKind, RowKind, Truth, html};
use keiho_sim::{Scenario, simulate};
use keiho_store::{AlertLog, SqliteStore, StoredAlert};
use keiho_types::GeoPoint;
use std::collections::BTreeSet;

/// Run a scenario as `crates/keiho-pipeline/tests/scenarios.rs` does (Sohae launches
/// with their launch notice) into a store; return the store and the truth.
fn run(name: &str) -> (SqliteStore, Truth) {
    let sim = simulate(&Scenario::by_name(name).unwrap(), 1).unwrap();
    let mut config = PipelineConfig::japan("keiho.test", Status::Exercise);
    if name.starts_with("sohae") {
        config.notices.push(LaunchNotice {
            site: GeoPoint::new(39.660, 124.705).unwrap(),
            radius_km: 50.0,
            from: sim.launch - Duration::hours(12),
            to: sim.launch + Duration::hours(12),
            max_burn_s: 720.0,
        });
    }
    let regions = keiho_geo::RegionSet::bundled().unwrap();
    let mut p = Pipeline::new(config, regions, SqliteStore::in_memory().unwrap());
    let reports: Vec<_> = sim
        .reports
        .iter()
        .map(|r| (r.clone(), serde_json::to_string(r).unwrap()))
        .collect();
    replay(&mut p, &reports, |_| {}, |_| {}).unwrap();
    let mut truth = Vec::new();
    keiho_sim::write_truth(&sim, &mut truth).unwrap();
    let truth = Truth::parse(&String::from_utf8(truth).unwrap()).unwrap();
    (p.into_store(), truth)
}

fn issued(a: &StoredAlert) -> DateTime<Utc> {
    a.trigger_report_at + Duration::microseconds(a.processing_us as i64)
}

fn secs(d: Duration) -> f64 {
    d.num_microseconds().unwrap() as f64 / 1e6
}

/// Write the report where CI collects it.
fn keep(name: &str, html: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/reports");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.html")), html).unwrap();
}

/// Generate the report of every event of `name` and check it against the store;
/// returns the main event's HTML (the one with the most messages).
fn check(name: &str) -> String {
    let (store, truth) = run(name);
    let events = store.events().unwrap();
    assert!(!events.is_empty(), "{name}: no event recorded");
    let mut main: Option<(usize, String)> = None;
    for event in &events {
        let record = EventRecord::load(&store, &event.id).unwrap();
        let analysis = Analysis::of(&record, None).unwrap();
        let page = html::render(&record, &analysis, Some(&truth));
        keep(&format!("{name}-event-{}", event.id), &page);
        let alerts: Vec<StoredAlert> = store
            .alerts()
            .unwrap()
            .into_iter()
            .filter(|a| a.event_id == event.id)
            .collect();
        let launch = event.launch_at.expect("the simulator reports the launch");

        // Every message listed once, in the table and the HTML.
        let rows: Vec<_> = analysis
            .timeline
            .iter()
            .filter(|r| r.kind == RowKind::Message)
            .collect();
        assert_eq!(rows.len(), alerts.len(), "{name}: messages in the timeline");
        assert_eq!(
            page.matches("<tr class=\"message\">").count(),
            alerts.len(),
            "{name}: message rows in the HTML"
        );
        for a in &alerts {
            assert!(
                page.contains(&a.identifier),
                "{name}: {} listed",
                a.identifier
            );
        }
        assert!(
            analysis.timeline.windows(2).all(|w| w[0].at <= w[1].at),
            "{name}: timeline in time order"
        );

        // First-alert latency: from the stored alert, to the microsecond, and as shown.
        match alerts.first() {
            Some(first) => {
                let expected = secs(issued(first) - launch);
                let got = analysis.first_alert_s.unwrap();
                assert!((got - expected).abs() < 1e-6, "{name}: {got} vs {expected}");
                assert_eq!(rows[0].since_t0_s, got);
                assert_eq!(
                    rows[0].since_trigger_s.unwrap(),
                    first.processing_us as f64 / 1e6,
                    "{name}: report-to-issue latency is the measured processing time"
                );
                let cell = format!("data-s=\"{expected:.3}\"");
                assert!(page.contains(&cell), "{name}: first alert cell {cell}");
                // `sent` agrees with the issue time to the second (CAP truncates).
                let sent = DateTime::parse_from_rfc3339(&first.sent).unwrap();
                let lag = secs(issued(first) - sent.with_timezone(&Utc));
                assert!((0.0..1.0).contains(&lag), "{name}: sent vs issue {lag}");
            }
            None => assert_eq!(analysis.first_alert_s, None),
        }

        // All-clear.
        let all_clear = alerts.iter().find(|a| a.stage == "AllClear");
        assert_eq!(
            analysis.all_clear_s,
            all_clear.map(|a| secs(issued(a) - launch)),
            "{name}: all-clear"
        );

        // Outcome, from the journal read independently.
        let outcome: Option<OutcomeBody> = store
            .journal(&event.id)
            .unwrap()
            .iter()
            .find(|e| e.kind == journal::OUTCOME)
            .map(|e| journal::parse(e).unwrap());
        let outcome_rows: Vec<_> = analysis
            .timeline
            .iter()
            .filter(|r| r.kind == RowKind::Outcome)
            .collect();
        match &outcome {
            Some(o) => {
                assert_eq!(outcome_rows.len(), 1, "{name}: one outcome row");
                assert!(outcome_rows[0].what.starts_with(&o.kind.replace('_', " ")));
                assert!(
                    page.contains(&format!("<dt>Outcome</dt><dd>{}", o.kind.replace('_', " ")))
                );
            }
            None => assert!(outcome_rows.is_empty()),
        }

        // Every alerted area has a period; every withdrawal is a finding.
        let alerted: BTreeSet<&str> = alerts
            .iter()
            .flat_map(|a| a.regions.iter().map(String::as_str))
            .collect();
        let periods: BTreeSet<&str> = analysis.periods.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(alerted, periods, "{name}: alerted areas");
        let withdrawals = alerts
            .iter()
            .filter(|a| a.stage != "AllClear" && !a.lifted.is_empty() || a.msg_type == "Cancel")
            .count();
        assert_eq!(
            analysis
                .findings
                .iter()
                .filter(|f| matches!(f.kind, FindingKind::Withdrawn | FindingKind::Cancelled))
                .count(),
            withdrawals,
            "{name}: withdrawals and cancels"
        );
        for f in &analysis.findings {
            let id = f.identifier.as_deref().unwrap();
            let a = alerts.iter().find(|a| a.identifier == id).unwrap();
            assert_eq!(
                f.cause, a.cause,
                "{name}: finding carries the recorded cause"
            );
        }

        // J-Alert: matched by the launch date in Japan.
        if let Some(c) = &analysis.jalert {
            let jst = chrono::FixedOffset::east_opt(9 * 3600).unwrap();
            assert_eq!(
                c.real.event_date_jst,
                launch.with_timezone(&jst).date_naive()
            );
            assert_eq!(
                c.keiho_first_alert_min,
                analysis.first_alert_s.map(|s| s / 60.0)
            );
            // The page counts Keiho from the true launch, as J-Alert counts.
            let true_launch = truth.launch.unwrap();
            if let Some(first) = alerts.first() {
                let min = secs(issued(first) - true_launch) / 60.0;
                let cell = format!("data-min=\"{min:.3}\"");
                assert!(page.contains(&cell), "{name}: J-Alert table {cell}");
            }
        }
        if main.as_ref().is_none_or(|(n, _)| alerts.len() > *n) {
            main = Some((alerts.len(), page));
        }
    }
    main.unwrap().1
}

#[test]
fn sohae_2023_08_24_report_matches_the_database_and_its_structure_is_stable() {
    let page = check("sohae-2023-08-24");
    assert!(page.contains("id=\"jalert\""));
    assert!(
        page.contains("<td>first alert</td>"),
        "J-Alert table present"
    );
    assert!(
        !page.contains("http://")
            || page.matches("http://").count()
                == page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "nothing fetched: the only URLs are SVG namespaces"
    );
    insta::assert_snapshot!(structure(&page));
}

#[test]
fn sohae_2023_11_21_report_matches_the_database() {
    check("sohae-2023-11-21");
}

#[test]
fn sohae_2023_05_31_report_lists_the_withdrawal() {
    let page = check("sohae-2023-05-31");
    assert!(
        page.contains("area withdrawn") || page.contains("message cancelled"),
        "the correction is a finding"
    );
}

#[test]
fn irbm_2022_10_04_report_matches_the_database() {
    let page = check("irbm-2022-10-04");
    assert!(page.contains("Real event of 2022-10-04"));
}

#[test]
fn srbm_sea_of_japan_report_matches_the_database() {
    check("srbm-sea-of-japan");
}

/// Headings with their ids, table headers and the number of figures, digits replaced
/// by `#`: what must not change by accident.
fn structure(page: &str) -> String {
    let mut out = Vec::new();
    let mut rest = page;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        let text_end = rest[end..].find('<').map_or(rest.len(), |e| e + end);
        let text = &rest[end..text_end];
        if tag.starts_with("<h1")
            || tag.starts_with("<h2")
            || tag.starts_with("<h3")
            || tag.starts_with("<th>")
        {
            out.push(format!("{tag}{text}"));
        } else if tag.starts_with("<table") || tag.starts_with("<svg") || tag.starts_with("<dt") {
            let name: String = tag.split_whitespace().next().unwrap_or("").into();
            out.push(if tag.starts_with("<svg") {
                name + ">"
            } else {
                format!("{tag}{text}")
            });
        }
        rest = &rest[end..];
    }
    out.join("\n")
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}
