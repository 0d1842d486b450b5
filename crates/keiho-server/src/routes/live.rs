//! `GET /v1/live`: every event's live picture (position, IIP, ellipse, traces, areas
//! at risk) as Server-Sent Events, for dashboards. A viewer first gets each event's
//! latest picture, then every new one. No login: the public sees the same map.

use crate::app::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Pictures as `event: live` Server-Sent Events (JSON: event, t, phase, objects,
/// areas); a lagging viewer skips to the newest.
#[utoipa::path(get, path = "/v1/live", tag = "push",
    responses((status = 200, content_type = "text/event-stream", description = "Each event's latest picture, then each new one")))]
pub(crate) async fn live(State(state): State<AppState>) -> Response {
    let (rx, snapshot) = state.engine.live().watch();
    let closing = state.closing.subscribe();
    let changes = futures_util::stream::unfold((rx, closing), |(mut rx, mut closing)| async move {
        loop {
            tokio::select! {
                _ = closing.changed() => return None,
                got = rx.recv() => match got {
                    Ok(picture) => return Some((picture, (rx, closing))),
                    // Pictures are states: the next one makes up for the skipped.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    });
    let stream = futures_util::stream::iter(snapshot)
        .chain(changes)
        .map(|picture: Arc<str>| {
            Ok::<_, Infallible>(Event::default().event("live").data(&*picture))
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response()
}
