//! The analysis of one recorded event: timeline with latencies, the periods each area
//! was told to shelter, the J-Alert comparison and what went wrong or was late.

use crate::ReportError;
use crate::jalert;
use crate::record::{EventRecord, issued_at, seconds};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// What a timeline row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// The launch (the event's recorded launch time).
    Launch,
    /// The first report recorded for the event.
    FirstDetection,
    /// A CAP message (every message of the event, all-clear included).
    Message,
    /// A tracker phase change (boost, coast, re-entry).
    PhaseChange,
    /// A new object near a tracked one: staging, fairing separation or break-up.
    Separation,
    /// An abrupt change of acceleration (staging, engine cut-off or failure).
    AccelerationChange,
    /// A track went quiet while still flying (its estimates are extrapolations from
    /// here), or was measured again.
    TrackLost,
    /// The outcome the policy was told (impact, pass, lost).
    Outcome,
}

impl RowKind {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Launch => "launch",
            Self::FirstDetection => "first detection",
            Self::Message => "message",
            Self::PhaseChange => "phase change",
            Self::Separation => "separation / break-up",
            Self::AccelerationChange => "acceleration change",
            Self::TrackLost => "track lost / regained",
            Self::Outcome => "outcome",
        }
    }
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    /// When (for a message: when it was issued, trigger plus processing).
    pub at: DateTime<Utc>,
    /// Seconds after the launch (or after the reference time when no launch is known).
    pub since_t0_s: f64,
    /// What it is.
    pub kind: RowKind,
    /// The object concerned, if one.
    pub object: Option<String>,
    /// What happened, in words.
    pub what: String,
    /// For a message: index into [`EventRecord::alerts`].
    pub alert: Option<usize>,
    /// For a message: seconds from its triggering report to its issue (the measured
    /// processing time).
    pub since_trigger_s: Option<f64>,
    /// For a message: its triggering report, seconds after the launch.
    pub trigger_since_t0_s: Option<f64>,
}

/// A period during which one area was told to shelter, under one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertPeriod {
    /// Region code.
    pub code: String,
    /// The stage of the message that put it in this state.
    pub stage: String,
    /// From (issue time of that message).
    pub from: DateTime<Utc>,
    /// Until (issue time of the message that lifted it or changed its stage); `None`
    /// if no message ever did.
    pub to: Option<DateTime<Utc>>,
    /// Index of the message that started the period.
    pub alert: usize,
}

/// What went wrong or was late.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingKind {
    /// An area's call was lifted before the all-clear by an Update (a correction).
    Withdrawn,
    /// A message of type Cancel (a withdrawal of every area, or of a message).
    Cancelled,
    /// An area was first alerted after the time the object was expected over or into
    /// it (by the last assessment before the message).
    AlertAfterThreat,
    /// An area disappeared from the messages without any message lifting it.
    DroppedWithoutLift,
    /// A message had to be delivered more than once on a channel.
    DeliveryRetried,
}

impl FindingKind {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Withdrawn => "area withdrawn",
            Self::Cancelled => "message cancelled",
            Self::AlertAfterThreat => "alert after the threat passed",
            Self::DroppedWithoutLift => "area dropped without a lift",
            Self::DeliveryRetried => "delivery retried",
        }
    }
}

/// One finding, with the cause recorded with the message concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What.
    pub kind: FindingKind,
    /// When.
    pub at: DateTime<Utc>,
    /// Seconds after the launch.
    pub since_t0_s: f64,
    /// The areas concerned.
    pub codes: Vec<String>,
    /// The message concerned (CAP identifier).
    pub identifier: Option<String>,
    /// Computed detail ("42 s after it was expected over JP-47").
    pub detail: String,
    /// The cause recorded with the message (`StoredAlert::cause`).
    pub cause: String,
}

/// One attempt to deliver one message on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAttempt {
    /// CAP identifier.
    pub identifier: String,
    /// Channel (feed, push, webhook, siren...).
    pub channel: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Whether it was accepted.
    pub ok: bool,
    /// The error, for a failed attempt.
    pub error: Option<String>,
}

impl DeliveryAttempt {
    /// An attempt as the delivery log keeps it: `key` is the delivery's idempotency key
    /// (`<identifier>:<channel>:<target>`), shown as `<channel>:<target>` so retries
    /// group per subscription or region; `at_ms` is Unix milliseconds. `None` for a
    /// time out of range.
    pub fn from_log(
        identifier: &str,
        key: &str,
        at_ms: i64,
        ok: bool,
        error: Option<String>,
    ) -> Option<Self> {
        Some(Self {
            identifier: identifier.to_owned(),
            channel: key
                .strip_prefix(identifier)
                .and_then(|k| k.strip_prefix(':'))
                .unwrap_or(key)
                .to_owned(),
            at: DateTime::<Utc>::from_timestamp_millis(at_ms)?,
            ok,
            error,
        })
    }
}

/// Delivery attempts already read (from the service's outbox log), in time order.
#[derive(Debug, Clone, Default)]
pub struct AttemptLog(pub Vec<DeliveryAttempt>);

impl DeliveryRecords for AttemptLog {
    fn deliveries(&self, _event_id: &str) -> Result<Vec<DeliveryAttempt>, ReportError> {
        let mut v = self.0.clone();
        v.sort_by_key(|d| d.at);
        Ok(v)
    }
}

/// Where delivery attempts are recorded: the service's outbox log (`keiho-server`
/// adapts `keiho-deliver`'s attempts). A database written by `keiho replay` has none,
/// and its reports say so instead of listing retries.
pub trait DeliveryRecords {
    /// Every delivery attempt of the event's messages, in time order.
    fn deliveries(&self, event_id: &str) -> Result<Vec<DeliveryAttempt>, ReportError>;
}

/// The analysis of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    /// The reference time: the launch when recorded.
    pub t0: DateTime<Utc>,
    /// Whether `t0` is the recorded launch (else the first report).
    pub t0_is_launch: bool,
    /// Everything, in time order.
    pub timeline: Vec<TimelineRow>,
    /// First report, seconds after launch.
    pub first_detection_s: Option<f64>,
    /// First message, seconds after launch.
    pub first_alert_s: Option<f64>,
    /// The all-clear, seconds after launch.
    pub all_clear_s: Option<f64>,
    /// Per area, when it was told to shelter.
    pub periods: Vec<AlertPeriod>,
    /// What went wrong or was late, in time order.
    pub findings: Vec<Finding>,
    /// Delivery attempts, when delivery records exist (`None`: none are kept yet).
    pub deliveries: Option<Vec<DeliveryAttempt>>,
    /// The real J-Alert event of the same launch date, beside Keiho's.
    pub jalert: Option<jalert::Comparison>,
}

impl Analysis {
    /// Analyse `record`; `delivery` when delivery records exist.
    pub fn of(
        record: &EventRecord,
        delivery: Option<&dyn DeliveryRecords>,
    ) -> Result<Self, ReportError> {
        let t0 = record.t0();
        let since = |t: DateTime<Utc>| seconds(t - t0);
        let timeline = timeline(record);
        let first_alert_s = record.alerts.first().map(|a| since(issued_at(a)));
        let all_clear_s = record
            .alerts
            .iter()
            .find(|a| a.stage == "AllClear")
            .map(|a| since(issued_at(a)));
        let periods = periods(record);
        let mut findings = findings(record, &periods);
        let deliveries = match delivery {
            Some(d) => {
                let attempts = d.deliveries(&record.event.id)?;
                findings.extend(retries(record, &attempts));
                Some(attempts)
            }
            None => None,
        };
        findings.sort_by_key(|f| f.at);
        let t0_is_launch = record.event.launch_at.is_some();
        // The table ships with the binary; a bad edit is caught by its unit test, so a
        // read failure here only loses the comparison.
        let jalert = match record.event.launch_at {
            Some(launch) => {
                jalert::matching(launch)
                    .ok()
                    .flatten()
                    .map(|real| jalert::Comparison {
                        real,
                        keiho_first_alert_min: first_alert_s.map(|s| s / 60.0),
                        keiho_end_min: all_clear_s
                            .or_else(|| {
                                record
                                    .alerts
                                    .iter()
                                    .rev()
                                    .find(|a| !a.lifted.is_empty())
                                    .map(|a| since(issued_at(a)))
                            })
                            .map(|s| s / 60.0),
                    })
            }
            None => None,
        };
        Ok(Self {
            t0,
            t0_is_launch,
            timeline,
            first_detection_s: record.first_report.as_ref().map(|(t, _)| since(*t)),
            first_alert_s,
            all_clear_s,
            periods,
            findings,
            deliveries,
            jalert,
        })
    }
}

fn timeline(record: &EventRecord) -> Vec<TimelineRow> {
    let t0 = record.t0();
    let row = |at: DateTime<Utc>, kind, object: Option<String>, what: String| TimelineRow {
        at,
        since_t0_s: seconds(at - t0),
        kind,
        object,
        what,
        alert: None,
        since_trigger_s: None,
        trigger_since_t0_s: None,
    };
    let mut rows = Vec::new();
    if let Some(launch) = record.event.launch_at {
        rows.push(row(
            launch,
            RowKind::Launch,
            None,
            format!("launch from {}", record.event.origin),
        ));
    }
    if let Some((t, object)) = &record.first_report {
        rows.push(row(
            *t,
            RowKind::FirstDetection,
            Some(object.clone()),
            format!("first report ({} reports in all)", record.report_count),
        ));
    }
    for (i, a) in record.alerts.iter().enumerate() {
        let at = issued_at(a);
        let mut what = format!("{} {}", a.msg_type, a.stage);
        if !a.regions.is_empty() {
            what.push_str(&format!(" [{}]", a.regions.join(" ")));
        }
        if !a.lifted.is_empty() {
            what.push_str(&format!(" lifted [{}]", a.lifted.join(" ")));
        }
        rows.push(TimelineRow {
            alert: Some(i),
            since_trigger_s: Some(seconds(at - a.trigger_report_at)),
            trigger_since_t0_s: Some(seconds(a.trigger_report_at - t0)),
            ..row(at, RowKind::Message, None, what)
        });
    }
    for n in &record.notes {
        let kind = match n.body.note.as_str() {
            "phase_change" => RowKind::PhaseChange,
            "new_object_nearby" => RowKind::Separation,
            _ => RowKind::AccelerationChange,
        };
        rows.push(row(n.t, kind, n.object.clone(), n.body.detail.clone()));
    }
    let mut lost: Vec<(&str, bool)> = Vec::new();
    for p in &record.predictions {
        let was = lost
            .iter()
            .find(|(o, _)| *o == p.object)
            .is_some_and(|(_, l)| *l);
        if p.body.lost != was {
            rows.push(row(
                p.t,
                RowKind::TrackLost,
                Some(p.object.clone()),
                if p.body.lost {
                    format!(
                        "track lost in {} (no measurement; estimates extrapolated from here)",
                        p.body.phase
                    )
                } else {
                    "measured again".to_owned()
                },
            ));
        }
        match lost.iter_mut().find(|(o, _)| *o == p.object) {
            Some((_, l)) => *l = p.body.lost,
            None => lost.push((&p.object, p.body.lost)),
        }
    }
    if let Some((t, o)) = &record.outcome {
        let mut what = o.kind.replace('_', " ");
        if !o.codes.is_empty() {
            what.push_str(&format!(" [{}]", o.codes.join(" ")));
        }
        if let Some(toward) = &o.toward {
            what.push_str(&format!(" toward {toward}"));
        }
        if let Some(p) = &o.impact {
            what.push_str(&format!(" at {:.2} N {:.2} E", p.lat_deg, p.lon_deg));
        }
        if let Some(km) = o.nearest_km {
            what.push_str(&format!(", {km:.0} km from the nearest alerted region"));
        }
        rows.push(row(*t, RowKind::Outcome, None, what));
    }
    // Stable: rows of equal time keep the order above (launch, detection, messages).
    rows.sort_by_key(|r| r.at);
    rows
}

fn periods(record: &EventRecord) -> Vec<AlertPeriod> {
    let mut open: BTreeMap<String, AlertPeriod> = BTreeMap::new();
    let mut done = Vec::new();
    for (i, a) in record.alerts.iter().enumerate() {
        let at = issued_at(a);
        let ends_all = a.stage == "AllClear" || a.msg_type == "Cancel";
        let still: Vec<String> = open
            .keys()
            .filter(|c| ends_all || a.lifted.contains(c) || !a.regions.contains(c))
            .cloned()
            .collect();
        for c in still {
            if let Some(mut p) = open.remove(&c) {
                p.to = Some(at);
                done.push(p);
            }
        }
        if ends_all {
            continue;
        }
        for c in &a.regions {
            if let Some(p) = open.get(c) {
                // A correction only lifts others: the areas it still lists stay in
                // their stage.
                if p.stage == a.stage || a.stage == "Correction" {
                    continue;
                }
            }
            if let Some(mut p) = open.remove(c) {
                p.to = Some(at);
                done.push(p);
            }
            open.insert(
                c.clone(),
                AlertPeriod {
                    code: c.clone(),
                    stage: a.stage.clone(),
                    from: at,
                    to: None,
                    alert: i,
                },
            );
        }
    }
    done.extend(open.into_values());
    done.sort_by(|a, b| (a.from, &a.code).cmp(&(b.from, &b.code)));
    done
}

fn findings(record: &EventRecord, periods: &[AlertPeriod]) -> Vec<Finding> {
    let t0 = record.t0();
    let mut out = Vec::new();
    let finding =
        |kind, at: DateTime<Utc>, codes: Vec<String>, a: &keiho_store::StoredAlert| Finding {
            kind,
            at,
            since_t0_s: seconds(at - t0),
            codes,
            identifier: Some(a.identifier.clone()),
            detail: String::new(),
            cause: a.cause.clone(),
        };
    for a in &record.alerts {
        let at = issued_at(a);
        if a.msg_type == "Cancel" {
            // CAP references are `sender,identifier,sent` triples.
            let cancelled: Vec<&str> = a
                .references
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .filter_map(|r| r.split(',').nth(1))
                .collect();
            let mut detail = format!("cancels {}", cancelled.join(", "));
            if !a.lifted.is_empty() {
                detail.push_str(&format!("; lifts {}", a.lifted.join(", ")));
            }
            out.push(Finding {
                detail,
                ..finding(FindingKind::Cancelled, at, a.lifted.clone(), a)
            });
        } else if a.stage != "AllClear" && !a.lifted.is_empty() {
            out.push(Finding {
                detail: format!(
                    "{} lifted by a {} message before the all-clear",
                    a.lifted.join(", "),
                    a.stage
                ),
                ..finding(FindingKind::Withdrawn, at, a.lifted.clone(), a)
            });
        }
    }
    // Areas dropped silently: a period that ended on a message that neither lifted the
    // area, nor listed it again, nor was an all-clear or a cancel.
    for p in periods {
        let Some(to) = p.to else { continue };
        let Some(ender) = record.alerts.iter().find(|a| issued_at(a) == to) else {
            continue;
        };
        let ended = ender.stage == "AllClear"
            || ender.msg_type == "Cancel"
            || ender.lifted.contains(&p.code)
            || ender.regions.contains(&p.code);
        if !ended {
            out.push(Finding {
                detail: format!("{} no longer listed by the {} message", p.code, ender.stage),
                ..finding(
                    FindingKind::DroppedWithoutLift,
                    to,
                    vec![p.code.clone()],
                    ender,
                )
            });
        }
    }
    // First alert of each area against when the threat was expected there.
    let mut seen: Vec<&str> = Vec::new();
    for p in periods {
        if seen.contains(&p.code.as_str()) {
            continue;
        }
        seen.push(&p.code);
        let Some(a) = record.alerts.get(p.alert) else {
            continue;
        };
        let expected = record
            .assessments
            .iter()
            .rev()
            .filter(|(t, _)| *t <= p.from)
            .find_map(|(_, body)| body.areas.iter().find(|x| x.code == p.code))
            .and_then(|x| x.expected_at);
        if let Some(expected) = expected {
            if p.from > expected {
                out.push(Finding {
                    detail: format!(
                        "{} first alerted {:.0} s after the object was expected over or into it",
                        p.code,
                        seconds(p.from - expected)
                    ),
                    ..finding(
                        FindingKind::AlertAfterThreat,
                        p.from,
                        vec![p.code.clone()],
                        a,
                    )
                });
            }
        }
    }
    out
}

fn retries(record: &EventRecord, attempts: &[DeliveryAttempt]) -> Vec<Finding> {
    let t0 = record.t0();
    let mut by: BTreeMap<(&str, &str), Vec<&DeliveryAttempt>> = BTreeMap::new();
    for d in attempts {
        by.entry((&d.identifier, &d.channel)).or_default().push(d);
    }
    by.into_iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|((id, channel), v)| {
            let alert = record.alerts.iter().find(|a| a.identifier == id);
            let errors: Vec<&str> = v.iter().filter_map(|d| d.error.as_deref()).collect();
            let last = v.last().map_or(t0, |d| d.at);
            Finding {
                kind: FindingKind::DeliveryRetried,
                at: last,
                since_t0_s: seconds(last - t0),
                codes: alert.map(|a| a.regions.clone()).unwrap_or_default(),
                identifier: Some(id.to_owned()),
                detail: format!(
                    "{} attempts on {channel}{}: {}",
                    v.len(),
                    if v.iter().any(|d| d.ok) {
                        ""
                    } else {
                        ", none accepted"
                    },
                    errors.join("; ")
                ),
                cause: alert.map(|a| a.cause.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use keiho_pipeline::journal::{AreaBody, AssessmentBody};
    use keiho_store::{StoredAlert, StoredEvent};

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(1_700_000_000 + s)
    }

    fn alert(seq: u32, at_s: i64, stage: &str, regions: &[&str], lifted: &[&str]) -> StoredAlert {
        StoredAlert {
            identifier: format!("X-{seq}"),
            event_id: "E1".into(),
            sequence: seq,
            sent: String::new(),
            status: "Exercise".into(),
            msg_type: if seq == 1 { "Alert" } else { "Update" }.into(),
            stage: stage.into(),
            regions: regions.iter().map(|s| (*s).to_owned()).collect(),
            lifted: lifted.iter().map(|s| (*s).to_owned()).collect(),
            references: None,
            trigger_report_at: t(at_s),
            processing_us: 2_000,
            cause: format!("cause {seq}"),
            xml: String::new(),
        }
    }

    fn record() -> EventRecord {
        let area = |code: &str, expected_s: i64| AreaBody {
            code: code.into(),
            kind: "overflight".into(),
            probability: 1.0,
            expected_at: Some(t(expected_s)),
        };
        EventRecord {
            event: StoredEvent {
                id: "E1".into(),
                launch_at: Some(t(0)),
                origin: "test".into(),
                phase: "closed".into(),
                objects: vec!["A".into()],
            },
            alerts: vec![
                alert(1, 100, "TakeShelter", &["JP-01", "JP-02"], &[]),
                // JP-03 expected at 150 s, alerted at 200 s: late. JP-02 silently gone.
                alert(2, 200, "TakeShelter", &["JP-01", "JP-03"], &[]),
                alert(3, 300, "Correction", &["JP-03"], &["JP-01"]),
                alert(4, 400, "AllClear", &[], &["JP-03"]),
            ],
            report_count: 1,
            first_report: Some((t(5), "A".into())),
            last_report_at: Some(t(500)),
            predictions: Vec::new(),
            notes: Vec::new(),
            assessments: vec![(
                t(190),
                AssessmentBody {
                    areas: vec![area("JP-01", 900), area("JP-03", 150)],
                },
            )],
            outcome: None,
        }
    }

    struct Retried;
    impl DeliveryRecords for Retried {
        fn deliveries(&self, _: &str) -> Result<Vec<DeliveryAttempt>, ReportError> {
            let d = |s, ok| DeliveryAttempt {
                identifier: "X-1".into(),
                channel: "push".into(),
                at: t(s),
                ok,
                error: (!ok).then(|| "timeout".to_owned()),
            };
            Ok(vec![d(101, false), d(103, true)])
        }
    }

    #[test]
    fn findings_name_withdrawals_late_alerts_silent_drops_and_retries() {
        let r = record();
        let a = Analysis::of(&r, Some(&Retried)).expect("analysis");
        let kinds: Vec<(FindingKind, Vec<String>)> = a
            .findings
            .iter()
            .map(|f| (f.kind, f.codes.clone()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (
                    FindingKind::DeliveryRetried,
                    vec!["JP-01".into(), "JP-02".into()]
                ),
                (FindingKind::DroppedWithoutLift, vec!["JP-02".into()]),
                (FindingKind::AlertAfterThreat, vec!["JP-03".into()]),
                (FindingKind::Withdrawn, vec!["JP-01".into()]),
            ]
        );
        let late = &a.findings[2];
        assert_eq!(late.cause, "cause 2");
        // Issued at 200 s + 2 ms; expected at 150 s.
        assert!(
            late.detail.contains("first alerted 50 s after"),
            "{}",
            late.detail
        );
        assert_eq!(a.findings[3].cause, "cause 3");
        assert!(a.findings[0].detail.contains("2 attempts on push"));
        // Latencies: issue = trigger + processing.
        assert_eq!(a.first_alert_s, Some(100.002));
        assert_eq!(a.all_clear_s, Some(400.002));
        // Periods: the correction lifting JP-01 leaves JP-03 in its stage.
        let jp03: Vec<&str> = a
            .periods
            .iter()
            .filter(|p| p.code == "JP-03")
            .map(|p| p.stage.as_str())
            .collect();
        assert_eq!(jp03, ["TakeShelter"]);
        assert!(
            a.periods.iter().all(|p| p.to.is_some()),
            "all lifted by the end"
        );
    }

    #[test]
    fn no_delivery_records_means_none_not_an_empty_list() {
        let a = Analysis::of(&record(), None).expect("analysis");
        assert_eq!(a.deliveries, None);
        assert!(
            a.findings
                .iter()
                .all(|f| f.kind != FindingKind::DeliveryRetried)
        );
    }
}
