//! Replaying recorded reports through the pipeline with a simulated clock.

use crate::pipeline::{IssuedAlert, Pipeline, PipelineError};
use chrono::{DateTime, Duration, Utc};
use keiho_ingest::Report;
use keiho_store::AlertLog;

/// How long after the last report the simulated clock keeps running, so objects are
/// seen to be down and all-clears go out (the policy's delay is at most 60 s).
pub const REPLAY_TAIL_S: i64 = 180;

/// Feed reports (already validated, in time order) and run the clock on to the end.
/// `on_alert` sees every issued alert as it happens (progress, printing).
pub fn replay<S: AlertLog>(
    pipeline: &mut Pipeline<S>,
    reports: &[(Report, String)],
    mut on_alert: impl FnMut(&IssuedAlert),
    mut on_report: impl FnMut(usize),
) -> Result<Vec<IssuedAlert>, PipelineError> {
    let mut all = Vec::new();
    let mut last: Option<DateTime<Utc>> = None;
    let mut done = 0;
    // Reports are processed a simulated second at a time, each second one unit of
    // work (one disk sync), as the server commits one request at a time.
    for batch in reports.chunk_by(|a, b| a.0.t.timestamp() == b.0.t.timestamp()) {
        let Some((first, _)) = batch.first() else {
            continue;
        };
        // Seconds with no report still pass on the simulated clock.
        if let Some(prev) = last {
            let mut t = prev + Duration::seconds(1);
            while t < first.t {
                for a in pipeline.tick(t)? {
                    on_alert(&a);
                    all.push(a);
                }
                t += Duration::seconds(1);
            }
        }
        for a in pipeline.process_batch(batch.iter().map(|(r, l)| (r, l.as_str())))? {
            on_alert(&a);
            all.push(a);
        }
        for (report, _) in batch {
            last = Some(last.map_or(report.t, |l| l.max(report.t)));
        }
        done += batch.len();
        on_report(done);
    }
    if let Some(end) = last {
        for s in 1..=REPLAY_TAIL_S {
            for a in pipeline.tick(end + Duration::seconds(s))? {
                on_alert(&a);
                all.push(a);
            }
        }
    }
    Ok(all)
}
