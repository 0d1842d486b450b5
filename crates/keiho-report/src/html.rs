//! The report as one self-contained HTML file: inline CSS and SVG, no script, nothing
//! fetched. Section ids and table headers are stable (the snapshot test pins them);
//! every latency cell carries its exact value in seconds in `data-s`.

use crate::analysis::{Analysis, RowKind};
use crate::figures::{self, mmss};
use crate::jalert::jst;
use crate::record::EventRecord;
use crate::truth::Truth;
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:sans-serif;margin:1.5em auto;max-width:1150px;color:#222;line-height:1.4}\
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}\
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
tr.message{background:#fff4e5;font-weight:600}tr.message td{font-weight:normal}\
tr.message td.what{font-weight:600}tr.outcome{background:#eef6ee}\
svg{max-width:100%;height:auto;display:block;margin:.5em 0}\
.note{color:#555;font-size:.9em}ul.findings li{margin:.3em 0}\
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}";

/// Seconds after launch as a table cell: `+m:ss.s`, exact seconds in `data-s`.
fn secs_cell(s: Option<f64>) -> String {
    match s {
        Some(s) => format!(
            r#"<td class="n" data-s="{s:.3}">{}{}.{}</td>"#,
            if s < 0.0 { "" } else { "+" },
            mmss(s.trunc()),
            ((s.abs().fract() * 10.0).floor() as i64).min(9)
        ),
        None => r#"<td class="n">—</td>"#.to_owned(),
    }
}

/// `HH:MM:SS.s` in JST (chrono has no one-decimal format).
fn jst_time(t: DateTime<Utc>) -> String {
    let j = t.with_timezone(&jst());
    format!(
        "{}.{}",
        j.format("%H:%M:%S"),
        j.timestamp_subsec_millis() / 100
    )
}

/// `YYYY-MM-DD HH:MM:SS.sss` in `tz`.
fn full_time<Tz: chrono::TimeZone>(t: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.with_timezone(tz)
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

fn min_cell(m: Option<f64>) -> String {
    match m {
        Some(m) => format!(r#"<td class="n" data-min="{m:.3}">{m:.1} min</td>"#),
        None => r#"<td class="n">—</td>"#.to_owned(),
    }
}

/// The whole report.
pub fn render(record: &EventRecord, analysis: &Analysis, truth: Option<&Truth>) -> String {
    let mut h = String::with_capacity(256 * 1024);
    let id = escape(&record.event.id);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Keiho after-action report: event {id}</title><style>{CSS}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>After-action report: event {id}</h1>");
    // The verdicts first, then the figures, then the full record.
    summary(&mut h, record, analysis, truth);
    findings(&mut h, analysis);
    jalert(&mut h, record, analysis, truth);
    figures_section(&mut h, record, analysis, truth);
    timeline(&mut h, record, analysis);
    delivery(&mut h, analysis);
    let _ = writeln!(
        h,
        "<h2 id=\"method\">How this was computed</h2><p class=\"note\">Every figure and \
number comes from the event's database: the alerts (issue time = triggering report + \
measured processing time; CAP <code>sent</code> is the same instant to the second), the \
event's journal (predictions, tracker notes, assessments, outcome) and its raw reports. \
Times are after the recorded launch{}. Positions, IIPs and ellipses are the pipeline's \
estimates at the time, not the truth{}; the figures leave out a lost track's \
extrapolated estimates (the timeline says when each track was lost). J-Alert's figures are from \
<code>data/jalert_timelines.csv</code> (public reporting, whole minutes).</p>",
        if analysis.t0_is_launch {
            ""
        } else {
            " (no launch was recorded: after the first report)"
        },
        if truth.is_some() {
            "; the simulator's truth is used only for the IIP error and the true impacts"
        } else {
            ""
        }
    );
    h.push_str("</body></html>\n");
    h
}

fn summary(h: &mut String, record: &EventRecord, a: &Analysis, truth: Option<&Truth>) {
    let mut launch = record
        .event
        .launch_at
        .map_or("not recorded".to_owned(), |t| {
            format!("{} UTC ({} JST)", full_time(t, &Utc), full_time(t, &jst()))
        });
    if let (Some(recorded), Some(real)) = (record.event.launch_at, truth.and_then(|t| t.launch)) {
        launch.push_str(&format!(
            "; the true launch (simulator) was {:.1} s earlier (times below are after the \
recorded launch)",
            crate::record::seconds(recorded - real)
        ));
    }
    let s = |v: Option<f64>| v.map_or("—".to_owned(), |s| format!("+{}", mmss(s)));
    let outcome = record
        .outcome
        .as_ref()
        .map_or("none recorded".to_owned(), |(_, o)| {
            let mut t = o.kind.replace('_', " ");
            if !o.codes.is_empty() {
                t.push_str(&format!(" ({})", o.codes.join(", ")));
            }
            t
        });
    let _ = writeln!(
        h,
        "<h2 id=\"summary\">Summary</h2><dl>\
<dt>Origin</dt><dd>{}</dd><dt>Launch</dt><dd>{}</dd>\
<dt>Objects</dt><dd>{}</dd><dt>Reports</dt><dd>{}</dd><dt>Messages</dt><dd>{}</dd>\
<dt>First detection</dt><dd>{}</dd><dt>First alert</dt><dd>{}</dd>\
<dt>All clear</dt><dd>{}</dd><dt>Outcome</dt><dd>{}</dd>\
<dt>Areas alerted</dt><dd>{}</dd><dt>Findings</dt><dd>{}</dd></dl>",
        escape(&record.event.origin),
        launch,
        record.event.objects.len(),
        record.report_count,
        record.alerts.len(),
        s(a.first_detection_s),
        s(a.first_alert_s),
        s(a.all_clear_s),
        escape(&outcome),
        {
            let mut codes: Vec<&str> = a.periods.iter().map(|p| p.code.as_str()).collect();
            codes.dedup();
            codes.sort_unstable();
            codes.dedup();
            if codes.is_empty() {
                "none".to_owned()
            } else {
                escape(&codes.join(", "))
            }
        },
        a.findings.len()
    );
}

fn timeline(h: &mut String, record: &EventRecord, a: &Analysis) {
    let _ = writeln!(
        h,
        "<h2 id=\"timeline\">Timeline</h2><table class=\"timeline\"><thead><tr>\
<th>time (JST)</th><th>after launch</th><th>kind</th><th>object</th><th>what</th>\
<th>triggering report (after launch)</th><th>report to issue</th><th>message</th>\
<th>cause</th></tr></thead><tbody>"
    );
    for r in &a.timeline {
        let alert = r.alert.and_then(|i| record.alerts.get(i));
        let class = match r.kind {
            RowKind::Message => "message",
            RowKind::Outcome => "outcome",
            _ => "event",
        };
        let _ = writeln!(
            h,
            "<tr class=\"{class}\"><td class=\"n\">{}</td>{}<td>{}</td><td>{}</td>\
<td class=\"what\">{}</td>{}{}<td>{}</td><td>{}</td></tr>",
            jst_time(r.at),
            secs_cell(Some(r.since_t0_s)),
            r.kind.label(),
            escape(
                r.object
                    .as_deref()
                    .map_or("", |o| o.rsplit('/').next().unwrap_or(o))
            ),
            escape(&r.what),
            if r.kind == RowKind::Message {
                secs_cell(r.trigger_since_t0_s)
            } else {
                "<td></td>".to_owned()
            },
            match r.since_trigger_s {
                Some(s) => format!(r#"<td class="n" data-s="{s:.6}">{:.1} ms</td>"#, s * 1e3),
                None => "<td></td>".to_owned(),
            },
            alert.map_or(String::new(), |a| format!(
                "#{} <code>{}</code>",
                a.sequence,
                escape(&a.identifier)
            )),
            escape(alert.map_or("", |a| a.cause.as_str())),
        );
    }
    h.push_str("</tbody></table>\n");
}

fn figures_section(h: &mut String, record: &EventRecord, a: &Analysis, truth: Option<&Truth>) {
    h.push_str("<h2 id=\"figures\">Figures</h2>\n");
    let _ = writeln!(
        h,
        "<h3 id=\"map\">Map: ground tracks, IIP trace, 99% ellipses, impact</h3>{}\
<p class=\"note\">Shaded orange: regions told to shelter by any message. Region \
outlines simplified for display only (alerts use the exact geometry).</p>",
        figures::map_svg(record, truth)
    );
    match truth {
        Some(t) => {
            let svg = figures::iip_error_svg(record, t).unwrap_or_else(|| {
                figures::message_svg(
                    900,
                    60,
                    "no predicted object has a true impact in the truth file",
                )
            });
            let _ = writeln!(
                h,
                "<h3 id=\"iip-error\">IIP error against the truth</h3>{svg}\
<p class=\"note\">Distance from each predicted IIP to the object's true impact \
(from the simulator's truth file); grey lines: messages.</p>"
            );
        }
        None => {
            h.push_str(
                "<h3 id=\"iip-error\">IIP error against the truth</h3><p class=\"note\">No \
truth file given (<code>--truth</code>): the error cannot be computed for a real event.</p>\n",
            );
        }
    }
    let _ = writeln!(
        h,
        "<h3 id=\"altitude-speed\">Altitude and speed</h3>{}\
<h3 id=\"alerted-areas\">Areas told to shelter over time</h3>{}",
        figures::altitude_speed_svg(record),
        figures::alerts_gantt_svg(record, a)
    );
}

fn jalert(h: &mut String, record: &EventRecord, a: &Analysis, truth: Option<&Truth>) {
    h.push_str("<h2 id=\"jalert\">Against J-Alert</h2>\n");
    // J-Alert counts from the true launch; Keiho records the launch when it is reported.
    // With the simulator's truth, Keiho is counted from the true launch too.
    let offset_s = match (record.event.launch_at, truth.and_then(|t| t.launch)) {
        (Some(recorded), Some(real)) => Some(crate::record::seconds(recorded - real)),
        _ => None,
    };
    let shifted = a.jalert.as_ref().map(|c| match offset_s {
        Some(s) => c.after_true_launch(s),
        None => c.clone(),
    });
    let Some(c) = &shifted else {
        h.push_str(
            "<p class=\"note\">No real J-Alert event on this launch date (JST) in \
<code>data/jalert_timelines.csv</code>.</p>\n",
        );
        return;
    };
    let r = &c.real;
    let ratio = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:.2}"));
    let diff = |v: Option<f64>| v.map_or("—".to_owned(), |v| format!("{v:+.1} min"));
    let _ = writeln!(
        h,
        "<p>Real event of {} (launch {} JST): {}. Areas: {}.</p>\
<table class=\"jalert\"><thead><tr><th>milestone</th><th>J-Alert</th><th>Keiho</th>\
<th>Keiho − J-Alert</th><th>Keiho / J-Alert</th></tr></thead><tbody>\
<tr><td>first alert</td>{}{}<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\
<tr><td>end of the call (J-Alert: {}; Keiho: all-clear or last lift)</td>{}{}<td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\
</tbody></table><p class=\"note\">Sources: {}. J-Alert's minutes are after the real \
launch as published (to the minute); Keiho's {}.</p>",
        r.event_date_jst,
        escape(&r.launch_jst),
        escape(&r.notes),
        escape(&r.areas),
        min_cell(Some(r.first_alert_min)),
        min_cell(c.keiho_first_alert_min),
        diff(c.first_alert_diff_min()),
        ratio(c.first_alert_ratio()),
        if r.end_message.is_empty() {
            "none published".to_owned()
        } else {
            escape(&r.end_message)
        },
        min_cell(r.end_min),
        min_cell(c.keiho_end_min),
        diff(c.end_diff_min()),
        ratio(c.end_ratio()),
        escape(&r.sources),
        match offset_s {
            Some(s) => format!(
                "after the true launch (simulator), which was {s:.1} s before the launch \
Keiho recorded"
            ),
            None => "after the launch it recorded (a real launch is reported after it \
happens, so this favours Keiho by the detection delay)"
                .to_owned(),
        }
    );
}

fn findings(h: &mut String, a: &Analysis) {
    h.push_str("<h2 id=\"findings\">What went wrong or was late</h2>\n");
    if a.findings.is_empty() {
        h.push_str(
            "<p>Nothing found: no area withdrawn, no cancel, no area first alerted after \
its expected time.</p>\n",
        );
        return;
    }
    h.push_str("<ul class=\"findings\">\n");
    for f in &a.findings {
        let _ = writeln!(
            h,
            "<li data-s=\"{:.3}\"><b>{}</b> at +{}: {}{} — recorded cause: <i>{}</i></li>",
            f.since_t0_s,
            f.kind.label(),
            mmss(f.since_t0_s),
            escape(&f.detail),
            f.identifier
                .as_deref()
                .map_or(String::new(), |i| format!(" (<code>{}</code>)", escape(i))),
            escape(&f.cause)
        );
    }
    h.push_str("</ul>\n");
}

fn delivery(h: &mut String, a: &Analysis) {
    h.push_str("<h2 id=\"delivery\">Delivery</h2>\n");
    match &a.deliveries {
        None => h.push_str(
            "<p class=\"note\">No delivery records: this report was made from the issued \
messages only (a <code>keiho replay</code> database, which delivers nothing). The \
service's own report (<code>/events/{id}/report</code>) lists every delivery attempt \
from its outbox; nothing is inferred here.</p>\n",
        ),
        Some(d) => {
            h.push_str(
                "<table class=\"delivery\"><thead><tr><th>message</th><th>channel</th>\
<th>time (JST)</th><th>accepted</th><th>error</th></tr></thead><tbody>\n",
            );
            for x in d {
                let _ = writeln!(
                    h,
                    "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&x.identifier),
                    escape(&x.channel),
                    jst_time(x.at),
                    if x.ok { "yes" } else { "no" },
                    escape(x.error.as_deref().unwrap_or(""))
                );
            }
            h.push_str("</tbody></table>\n");
        }
    }
}

/// One line of the index of a folder of reports.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    /// The report's file name, relative to the index.
    pub file: String,
    /// Event id.
    pub event_id: String,
    /// Recorded launch.
    pub launch: Option<DateTime<Utc>>,
    /// Origin in words.
    pub origin: String,
    /// Number of messages.
    pub messages: usize,
    /// First alert, seconds after launch.
    pub first_alert_s: Option<f64>,
    /// All-clear, seconds after launch.
    pub all_clear_s: Option<f64>,
    /// Outcome kind.
    pub outcome: Option<String>,
    /// Number of findings.
    pub findings: usize,
}

impl IndexRow {
    /// The row for one analysed event written to `file`.
    pub fn of(record: &EventRecord, analysis: &Analysis, file: &str) -> Self {
        Self {
            file: file.to_owned(),
            event_id: record.event.id.clone(),
            launch: record.event.launch_at,
            origin: record.event.origin.clone(),
            messages: record.alerts.len(),
            first_alert_s: analysis.first_alert_s,
            all_clear_s: analysis.all_clear_s,
            outcome: record
                .outcome
                .as_ref()
                .map(|(_, o)| o.kind.replace('_', " ")),
            findings: analysis.findings.len(),
        }
    }
}

/// The index page of a folder of reports.
pub fn index(rows: &[IndexRow]) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Keiho after-action reports</title><style>{CSS}</style></head><body>\
<h1>After-action reports</h1><table class=\"index\"><thead><tr><th>event</th>\
<th>launch (JST)</th><th>origin</th><th>messages</th><th>first alert</th>\
<th>all clear</th><th>outcome</th><th>findings</th></tr></thead><tbody>"
    );
    for r in rows {
        let _ = writeln!(
            h,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"n\">{}</td>{}{}<td>{}</td><td class=\"n\">{}</td></tr>",
            escape(&r.file),
            escape(&r.event_id),
            r.launch.map_or("—".to_owned(), |t| t
                .with_timezone(&jst())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()),
            escape(&r.origin),
            r.messages,
            secs_cell(r.first_alert_s),
            secs_cell(r.all_clear_s),
            escape(r.outcome.as_deref().unwrap_or("—")),
            r.findings
        );
    }
    h.push_str("</tbody></table></body></html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn seconds_cell_keeps_the_exact_value() {
        assert_eq!(
            secs_cell(Some(128.8123)),
            r#"<td class="n" data-s="128.812">+2:08.8</td>"#
        );
    }
}
