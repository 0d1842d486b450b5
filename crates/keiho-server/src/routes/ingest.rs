//! `POST /v1/reports`: one JSON report, JSON lines, or a CCSDS TDM (KVN), answered
//! per report: accepted (durably in the inbox) or rejected with the reason.

use crate::app::AppState;
use crate::auth::Role;
use crate::engine::ReportVerdict;
use crate::problem::Problem;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keiho_ingest::TdmContext;
use serde::Serialize;

/// The answer to a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct IngestResult {
    /// Reports accepted.
    accepted: usize,
    /// Reports rejected.
    rejected: usize,
    /// One entry per report, in the order of the request: `index` counts reports
    /// from 0; a rejection also gives its `line` in the body.
    results: Vec<LineVerdict>,
    /// Alerts issued while handling this request (their CAP identifiers).
    issued: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct LineVerdict {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(flatten)]
    verdict: ReportVerdict,
}

/// Post sensor reports.
#[utoipa::path(
    post, path = "/v1/reports", tag = "ingest",
    request_body(content = String, description = "`application/json` (one report), `application/x-ndjson` or `application/jsonl` (one report per line), or `text/plain` (a CCSDS TDM in KVN; sites from `COMMENT SITE lat lon alt` lines)"),
    responses(
        (status = 202, description = "At least one report accepted; per-report results", body = IngestResult),
        (status = 422, description = "No report accepted; per-report results in `results`", body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 415, body = Problem)
    ),
    security(("token" = []))
)]
pub(crate) async fn post_reports(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    state.auth.require(&headers, &[Role::Sensor]).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let validator = crate::engine::validator(&state.clock, &state.engine_config);
    let parsed = match content_type.as_str() {
        "application/json" => {
            let text = std::str::from_utf8(&body)
                .map_err(|e| Problem::bad_request(format!("the body is not UTF-8: {e}")))?;
            vec![validator.parse_line(1, text.trim())]
        }
        "application/x-ndjson" | "application/jsonl" | "application/json-lines" => {
            validator.parse_bytes(&body)
        }
        "text/plain" => {
            let text = std::str::from_utf8(&body)
                .map_err(|e| Problem::bad_request(format!("the TDM is not UTF-8: {e}")))?;
            validator.parse_tdm(text, &TdmContext::default())
        }
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "content type {other:?} is not accepted: use application/json (one report), application/x-ndjson (JSON lines) or text/plain (CCSDS TDM)"
                ),
            ));
        }
    };
    let mut results = Vec::with_capacity(parsed.len());
    let mut valid = Vec::new();
    for (i, r) in parsed.into_iter().enumerate() {
        match r {
            Ok(report) => valid.push((i, report)),
            Err(rejection) => {
                state.metrics.report_rejected(rejection_reason(&rejection));
                results.push((
                    i,
                    LineVerdict {
                        index: i,
                        line: Some(rejection.line),
                        verdict: ReportVerdict::Rejected {
                            reason: rejection.to_string(),
                        },
                    },
                ));
            }
        }
    }
    if results.is_empty() && valid.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body holds no report",
        ));
    }
    let (verdicts, issued) = if valid.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        state
            .engine
            .ingest(valid)
            .await
            .map_err(|e| Problem::internal(&e))?
    };
    for (i, verdict) in verdicts {
        results.push((
            i,
            LineVerdict {
                index: i,
                line: None,
                verdict,
            },
        ));
    }
    results.sort_by_key(|(i, _)| *i);
    let results: Vec<LineVerdict> = results.into_iter().map(|(_, v)| v).collect();
    let accepted = results
        .iter()
        .filter(|r| matches!(r.verdict, ReportVerdict::Accepted { .. }))
        .count();
    let rejected = results.len() - accepted;
    let answer = IngestResult {
        accepted,
        rejected,
        results,
        issued,
    };
    if accepted == 0 {
        let extra = serde_json::to_value(&answer).unwrap_or_default();
        let detail = match answer.results.first() {
            Some(LineVerdict {
                line: Some(line),
                verdict: ReportVerdict::Rejected { reason },
                ..
            }) if answer.results.len() == 1 => {
                format!("line {line}: {reason}")
            }
            _ => format!("all {rejected} reports were rejected; see `results`"),
        };
        return Err(Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail).with(extra));
    }
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

fn rejection_reason(r: &keiho_ingest::Rejection) -> &'static str {
    r.reason.field().map_or("invalid", |_| "invalid_field")
}
