//! Reading: events (with tracks and the latest prediction as GeoJSON), alerts, each
//! CAP message as issued, the Atom feed and the key that verifies the signatures.

use crate::app::AppState;
use crate::problem::Problem;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keiho_pipeline::journal;
use keiho_store::{AlertLog, SqliteStore, StoredAlert, StoredEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Run a read on the service's connection off the async threads.
pub(crate) async fn with_db<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut SqliteStore) -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = db
            .lock()
            .map_err(|_| Problem::internal(&"database connection poisoned"))?;
        f(&mut guard)
    })
    .await
    .map_err(|e| Problem::internal(&e))?
}

/// An alert without its XML, with a link to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AlertView {
    identifier: String,
    event_id: String,
    sequence: u32,
    sent: String,
    status: String,
    msg_type: String,
    stage: String,
    regions: Vec<String>,
    lifted: Vec<String>,
    references: Option<String>,
    cause: String,
    /// Processing time from the triggering report, microseconds.
    processing_us: u64,
    /// The CAP message.
    cap_url: String,
}

impl AlertView {
    pub(crate) fn of(a: &StoredAlert) -> Self {
        Self {
            identifier: a.identifier.clone(),
            event_id: a.event_id.clone(),
            sequence: a.sequence,
            sent: a.sent.clone(),
            status: a.status.clone(),
            msg_type: a.msg_type.clone(),
            stage: a.stage.clone(),
            regions: a.regions.clone(),
            lifted: a.lifted.clone(),
            references: a.references.clone(),
            cause: a.cause.clone(),
            processing_us: a.processing_us,
            cap_url: format!("/cap/alerts/{}.xml", a.identifier),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct EventView {
    id: String,
    launch_at: Option<String>,
    origin: String,
    phase: String,
    objects: Vec<String>,
}

impl EventView {
    fn of(e: &StoredEvent) -> Self {
        Self {
            id: e.id.clone(),
            launch_at: e.launch_at.map(|t| t.to_rfc3339()),
            origin: e.origin.clone(),
            phase: e.phase.clone(),
            objects: e.objects.clone(),
        }
    }
}

/// Every event.
#[utoipa::path(get, path = "/v1/events", tag = "read",
    responses((status = 200, body = [EventView])))]
pub(crate) async fn list_events(
    State(state): State<AppState>,
) -> Result<Json<Vec<EventView>>, Problem> {
    with_db(&state, |db| {
        Ok(db
            .events()
            .map_err(|e| Problem::internal(&e))?
            .iter()
            .map(EventView::of)
            .collect())
    })
    .await
    .map(Json)
}

/// One event: tracks, the latest prediction as GeoJSON, notes and the alert history.
#[utoipa::path(get, path = "/v1/events/{id}", tag = "read",
    params(("id" = String, Path, description = "Event id")),
    responses((status = 200, description = "The event", body = Object), (status = 404, body = Problem)))]
pub(crate) async fn get_event(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    with_db(&state, move |db| {
        let events = db.events().map_err(|e| Problem::internal(&e))?;
        let event = events.iter().find(|e| e.id == id).ok_or_else(|| {
            Problem::not_found(format!("no event {id:?}; GET /v1/events lists them"))
        })?;
        let alerts: Vec<AlertView> = db
            .alerts()
            .map_err(|e| Problem::internal(&e))?
            .iter()
            .filter(|a| a.event_id == id)
            .map(AlertView::of)
            .collect();
        let entries = db.journal(&id).map_err(|e| Problem::internal(&e))?;
        Ok(Json(event_document(event, &entries, alerts)))
    })
    .await
}

fn event_document(
    event: &StoredEvent,
    entries: &[keiho_store::JournalEntry],
    alerts: Vec<AlertView>,
) -> Value {
    let mut tracks: BTreeMap<String, Vec<[f64; 3]>> = BTreeMap::new();
    let mut latest: BTreeMap<String, (String, journal::PredictionBody)> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut areas = Value::Null;
    let mut outcome = Value::Null;
    for e in entries {
        match e.kind.as_str() {
            journal::PREDICTION => {
                if let (Some(object), Ok(p)) =
                    (&e.object, journal::parse::<journal::PredictionBody>(e))
                {
                    tracks
                        .entry(object.clone())
                        .or_default()
                        .push([p.lon_deg, p.lat_deg, p.alt_m]);
                    latest.insert(object.clone(), (e.t.to_rfc3339(), p));
                }
            }
            journal::NOTE => {
                if let Ok(n) = journal::parse::<journal::NoteBody>(e) {
                    notes.push(json!({"t": e.t.to_rfc3339(), "object": e.object, "note": n.note, "detail": n.detail}));
                }
            }
            journal::ASSESSMENT => {
                areas = serde_json::from_str(&e.json).unwrap_or(Value::Null);
            }
            journal::OUTCOME => {
                outcome = serde_json::from_str(&e.json).unwrap_or(Value::Null);
            }
            _ => {}
        }
    }
    let mut features = Vec::new();
    for (object, points) in &tracks {
        features.push(json!({
            "type": "Feature",
            "properties": {"kind": "track", "object": object},
            "geometry": {"type": "LineString", "coordinates": points.iter().map(|p| vec![p[0], p[1]]).collect::<Vec<_>>()}
        }));
    }
    for (object, (t, p)) in &latest {
        features.push(json!({
            "type": "Feature",
            "properties": {"kind": "position", "object": object, "t": t, "phase": p.phase, "alt_m": p.alt_m, "speed_mps": p.speed_mps, "down": p.down},
            "geometry": {"type": "Point", "coordinates": [p.lon_deg, p.lat_deg]}
        }));
        if let Some(iip) = &p.iip {
            features.push(json!({
                "type": "Feature",
                "properties": {"kind": "iip", "object": object, "impact_at": iip.at.map(|t| t.to_rfc3339())},
                "geometry": {"type": "Point", "coordinates": [iip.lon_deg, iip.lat_deg]}
            }));
        }
        if let Some(e) = &p.ellipse {
            if let Ok(centre) = keiho_types::GeoPoint::wrapping(e.lat_deg, e.lon_deg) {
                let ring = keiho_geo::geodesy::ellipse_ring(
                    centre,
                    e.semi_major_km,
                    e.semi_minor_km,
                    e.orientation_deg,
                    36,
                );
                let coords: Vec<[f64; 2]> =
                    ring.iter().map(|g| [g.lon_deg(), g.lat_deg()]).collect();
                features.push(json!({
                    "type": "Feature",
                    "properties": {"kind": "impact_ellipse_99", "object": object, "semi_major_km": e.semi_major_km, "semi_minor_km": e.semi_minor_km},
                    "geometry": {"type": "Polygon", "coordinates": [coords]}
                }));
            }
        }
    }
    json!({
        "event": EventView::of(event),
        "prediction": {"type": "FeatureCollection", "features": features},
        "areas_at_risk": areas,
        "notes": notes,
        "outcome": outcome,
        "alerts": alerts,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct AlertQuery {
    /// Only this event's alerts.
    event: Option<String>,
}

/// Every alert, in issue order (without the XML).
#[utoipa::path(get, path = "/v1/alerts", tag = "read", params(AlertQuery),
    responses((status = 200, body = [AlertView])))]
pub(crate) async fn list_alerts(
    State(state): State<AppState>,
    Query(q): Query<AlertQuery>,
) -> Result<Json<Vec<AlertView>>, Problem> {
    with_db(&state, move |db| {
        Ok(db
            .alerts()
            .map_err(|e| Problem::internal(&e))?
            .iter()
            .filter(|a| q.event.as_ref().is_none_or(|e| &a.event_id == e))
            .map(AlertView::of)
            .collect())
    })
    .await
    .map(Json)
}

/// One CAP message, byte for byte as issued (signed).
#[utoipa::path(get, path = "/cap/alerts/{file}", tag = "cap",
    params(("file" = String, Path, description = "`<identifier>.xml`")),
    responses((status = 200, content_type = "application/cap+xml", body = String), (status = 404, body = Problem)))]
pub(crate) async fn cap_message(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, Problem> {
    let identifier = file
        .strip_suffix(".xml")
        .ok_or_else(|| Problem::not_found("CAP messages are at /cap/alerts/<identifier>.xml"))?
        .to_owned();
    let alert = with_db(&state, move |db| {
        db.alert(&identifier).map_err(|e| Problem::internal(&e))
    })
    .await?
    .ok_or_else(|| Problem::not_found(format!("no CAP message {file:?}")))?;
    let mut r = alert.xml.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/cap+xml"),
    );
    Ok(r)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct FeedQuery {
    /// `1`: every message ever issued, not only the current ones.
    all: Option<u8>,
}

/// The Atom index of current CAP messages (OASIS CAP Feeds practice).
#[utoipa::path(get, path = "/cap/feed.atom", tag = "cap", params(FeedQuery),
    responses((status = 200, content_type = "application/atom+xml", body = String)))]
pub(crate) async fn cap_feed(
    State(state): State<AppState>,
    Query(q): Query<FeedQuery>,
) -> Result<Response, Problem> {
    let now = state.clock.now();
    let config = state.config.clone();
    let all = q.all == Some(1);
    let expires_after = crate::app::pipeline_config(&config)
        .map(|p| p.deployment.expires_after)
        .map_err(|e| Problem::internal(&e))?;
    let xml = with_db(&state, move |db| {
        let alerts = db.alerts().map_err(|e| Problem::internal(&e))?;
        let current = crate::feed::current(&alerts, now, expires_after, all);
        crate::feed::atom(&current, &config.public_url, &config.sender, now)
            .map_err(|e| Problem::internal(&e))
    })
    .await?;
    let mut r = xml.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok(r)
}

/// The public key that verifies this deployment's CAP signatures (PEM).
#[utoipa::path(get, path = "/cap/signing-key.pem", tag = "cap",
    responses((status = 200, content_type = "application/x-pem-file", body = String)))]
pub(crate) async fn public_key(State(state): State<AppState>) -> Response {
    let mut r = state.public_key_pem.to_string().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-pem-file"),
    );
    r
}

/// The after-action report of an event: one self-contained HTML page (timeline with
/// latencies, map and figures, comparison with J-Alert, what went wrong or was late).
#[utoipa::path(get, path = "/events/{id}/report", tag = "read",
    params(("id" = String, Path, description = "Event id")),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = Problem)))]
pub(crate) async fn event_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let delivery = state.delivery.clone();
    let html = with_db(&state, move |db| {
        let known = db
            .events()
            .map_err(|e| Problem::internal(&e))?
            .iter()
            .any(|e| e.id == id);
        if !known {
            return Err(Problem::not_found(format!(
                "no event {id:?}; GET /v1/events lists them"
            )));
        }
        let records = outbox_records(&delivery, &*db, &id)?;
        keiho_report::report_html(&*db, &id, None, Some(&records))
            .map_err(|e| Problem::internal(&e))
    })
    .await?;
    let mut r = html.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(r)
}

/// The delivery attempts of an event's messages, from the outbox's attempt log, for the
/// after-action report (retries and their causes).
fn outbox_records(
    delivery: &keiho_deliver::Delivery,
    db: &SqliteStore,
    event_id: &str,
) -> Result<keiho_report::AttemptLog, Problem> {
    let mut out = Vec::new();
    for a in db
        .alerts()
        .map_err(|e| Problem::internal(&e))?
        .iter()
        .filter(|a| a.event_id == event_id)
    {
        for x in delivery
            .attempts_for(&a.identifier)
            .map_err(|e| Problem::internal(&e))?
        {
            out.extend(keiho_report::DeliveryAttempt::from_log(
                &a.identifier,
                &x.idempotency_key,
                x.at_ms,
                x.ok,
                x.error,
            ));
        }
    }
    Ok(keiho_report::AttemptLog(out))
}
