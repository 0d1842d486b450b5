//! Push: Server-Sent Events at `/v1/stream` and a WebSocket at `/v1/ws`. Each alert
//! carries its place in the alert log as its id; a client that reconnects with
//! `Last-Event-ID` (or `?after=`) first gets every alert it missed from the log, then
//! the live ones, with none twice.

use crate::app::AppState;
use crate::engine::Announced;
use crate::problem::Problem;
use crate::routes::read::AlertView;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use keiho_store::{ServiceLog, StoredAlert};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct StreamQuery {
    /// Resume after this alert sequence (as `Last-Event-ID`).
    after: Option<i64>,
}

/// What a stream carries per alert.
#[derive(Debug, Serialize)]
struct StreamAlert<'a> {
    seq: i64,
    #[serde(flatten)]
    alert: AlertView,
    /// The signed CAP message.
    xml: &'a str,
}

pub(crate) fn payload(seq: i64, a: &StoredAlert) -> String {
    serde_json::to_string(&StreamAlert {
        seq,
        alert: AlertView::of(a),
        xml: &a.xml,
    })
    .unwrap_or_default()
}

/// Alerts read from the log per query when a client catches up.
const BACKLOG_PAGE: usize = 10_000;

/// The alerts after `after`: first those in the log, then live ones, in order, none
/// twice. Subscribing before reading the log closes the gap between the two.
fn alerts_after(
    state: &AppState,
    after: i64,
) -> impl futures_util::Stream<Item = (i64, Arc<str>)> + use<> {
    let live = state.engine.subscribe();
    let db = state.db.clone();
    let closing = state.closing.subscribe();
    futures_util::stream::unfold(
        (
            after,
            live,
            None::<std::vec::IntoIter<(i64, StoredAlert)>>,
            db,
            closing,
            false,
        ),
        |(mut last, mut live, mut backlog, db, mut closing, mut caught_up)| async move {
            loop {
                if !caught_up {
                    if backlog.is_none() {
                        let db2 = db.clone();
                        let from = last;
                        let rows = tokio::task::spawn_blocking(move || {
                            db2.lock()
                                .ok()
                                .and_then(|s| s.alerts_after(from, BACKLOG_PAGE as u32).ok())
                        })
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                        if rows.is_empty() {
                            caught_up = true;
                        } else {
                            backlog = Some(rows.into_iter());
                        }
                    }
                    if let Some(it) = backlog.as_mut() {
                        if let Some((seq, a)) = it.next() {
                            last = seq;
                            let p: Arc<str> = payload(seq, &a).into();
                            return Some(((seq, p), (last, live, backlog, db, closing, caught_up)));
                        }
                        // This page is done; the log may hold more (pages are bounded).
                        backlog = None;
                        continue;
                    }
                }
                tokio::select! {
                    _ = closing.changed() => return None,
                    got = live.recv() => match got {
                        Ok(Announced { seq, payload, .. }) => {
                            if seq <= last {
                                continue;
                            }
                            last = seq;
                            return Some(((seq, payload), (last, live, backlog, db, closing, caught_up)));
                        }
                        // Fell behind the broadcast buffer: read the log again.
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            backlog = None;
                            caught_up = false;
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        },
    )
}

fn resume_point(headers: &HeaderMap, q: &StreamQuery) -> Result<i64, Problem> {
    if let Some(v) = headers.get("last-event-id") {
        let text = v
            .to_str()
            .map_err(|_| Problem::bad_request("Last-Event-ID is not text"))?;
        return text.trim().parse::<i64>().map_err(|_| {
            Problem::bad_request(format!(
                "Last-Event-ID {text:?} is not an alert sequence number"
            ))
        });
    }
    Ok(q.after.unwrap_or(0))
}

/// Alerts as Server-Sent Events (`event: alert`, `id:` the alert's sequence).
#[utoipa::path(get, path = "/v1/stream", tag = "push", params(StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this alert")),
    responses((status = 200, content_type = "text/event-stream", description = "Alerts, then live alerts; a comment every 15 s keeps the connection open")))]
pub(crate) async fn sse(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StreamQuery>,
) -> Result<Response, Problem> {
    let after = resume_point(&headers, &q)?;
    let metrics = state.metrics.clone();
    metrics.stream_client("sse", 1);
    let guard = ClientGuard {
        metrics,
        channel: "sse",
    };
    let stream = alerts_after(&state, after).map(move |(seq, a)| {
        let _keep = &guard;
        Ok::<_, Infallible>(
            Event::default()
                .event("alert")
                .id(seq.to_string())
                .data(&*a),
        )
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response())
}

/// Alerts over a WebSocket: one JSON text message per alert (with `seq`).
#[utoipa::path(get, path = "/v1/ws", tag = "push", params(StreamQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol")))]
pub(crate) async fn ws(
    State(state): State<AppState>,
    Query(q): Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let after = q.after.unwrap_or(0);
    upgrade.on_upgrade(move |socket| websocket(socket, state, after))
}

async fn websocket(mut socket: WebSocket, state: AppState, after: i64) {
    state.metrics.stream_client("ws", 1);
    let _guard = ClientGuard {
        metrics: state.metrics.clone(),
        channel: "ws",
    };
    let stream = alerts_after(&state, after);
    futures_util::pin_mut!(stream);
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some((seq, a)) => {
                    let _ = seq;
                    if socket.send(Message::Text(a.to_string().into())).await.is_err() {
                        return;
                    }
                }
                None => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
            },
            incoming = socket.recv() => match incoming {
                // The client says nothing we need; a close or an error ends it.
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    }
}

struct ClientGuard {
    metrics: crate::metrics::Metrics,
    channel: &'static str,
}

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.metrics.stream_client(self.channel, -1);
    }
}
