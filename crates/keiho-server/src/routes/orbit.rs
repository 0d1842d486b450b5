//! Orbit watch over HTTP: element sets in (`POST /v1/elements`: TLE or CCSDS OMM), and
//! passes out (`GET /v1/passes`: over a region or a place, from the catalogue), and
//! what the dashboard draws: the catalogue (`GET /v1/objects`) and an object's ground
//! track (`GET /v1/objects/{norad}/track`).

use crate::app::AppState;
use crate::auth::Role;
use crate::problem::Problem;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

/// Longest pass window one request may ask for, days (bounds the work per request).
const MAX_DAYS: f64 = 31.0;

/// Add element sets (TLE two/three-line, OMM KVN or XML) to the catalogue.
#[utoipa::path(post, path = "/v1/elements", tag = "orbit",
    request_body(content = String, description = "TLE or CCSDS OMM (KVN or XML) text"),
    responses((status = 201, description = "Added; warnings for stale epochs", body = Object), (status = 400, body = Problem)),
    security(("token" = [])))]
pub(crate) async fn post_elements(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    state
        .auth
        .require(&headers, &[Role::Sensor, Role::Operator])
        .await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| Problem::bad_request(format!("the body is not UTF-8: {e}")))?;
    let sets =
        keiho_orbit::parse_elements(text).map_err(|e| Problem::bad_request(e.to_string()))?;
    let now = state.clock.now();
    let warnings: Vec<String> = keiho_orbit::stale_warnings(&sets, now)
        .iter()
        .map(|w| w.message.clone())
        .collect();
    let catalogue = state.catalogue.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut c = catalogue
            .lock()
            .map_err(|_| Problem::internal(&"catalogue lock poisoned"))?;
        c.add(&sets, now).map_err(|e| Problem::internal(&e))
    })
    .await
    .map_err(|e| Problem::internal(&e))??;
    Ok((StatusCode::CREATED, Json(json!({"added": outcome.added, "already_present": outcome.already_present, "warnings": warnings}))).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct PassQuery {
    /// NORAD catalogue number of an object in the catalogue.
    norad: u64,
    /// Region codes, comma-separated (`JP-47,JP-46`), or:
    region: Option<String>,
    /// latitude and
    lat: Option<f64>,
    /// longitude of a place.
    lon: Option<f64>,
    /// Window start (RFC 3339; default now).
    from: Option<String>,
    /// Window length, days (default 1, at most 31).
    days: Option<f64>,
    /// Place: minimum elevation, degrees (default 10).
    min_elevation: Option<f64>,
    /// Region: sensor half-angle, degrees (default 0: the sub-satellite point).
    half_angle: Option<f64>,
}

/// Passes of a catalogued object over regions or a place.
#[utoipa::path(get, path = "/v1/passes", tag = "orbit", params(PassQuery),
    responses((status = 200, body = Object), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_passes(
    State(state): State<AppState>,
    Query(q): Query<PassQuery>,
) -> Result<Json<Value>, Problem> {
    let from: DateTime<Utc> = match &q.from {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| Problem::bad_request(format!("from {t:?}: {e}")))?
            .with_timezone(&Utc),
        None => state.clock.now(),
    };
    let days = q.days.unwrap_or(1.0);
    if !(days > 0.0 && days <= MAX_DAYS) {
        return Err(Problem::bad_request(format!(
            "days must be in (0, {MAX_DAYS}], got {days}"
        )));
    }
    let to = from + Duration::milliseconds((days * 86_400_000.0) as i64);
    let catalogue = state.catalogue.clone();
    tokio::task::spawn_blocking(move || {
        let elements = {
            let c = catalogue
                .lock()
                .map_err(|_| Problem::internal(&"catalogue lock poisoned"))?;
            c.nearest(q.norad, from + (to - from) / 2)
                .map_err(|e| Problem::internal(&e))?
        }
        .ok_or_else(|| {
            Problem::not_found(format!(
                "object {} is not in the catalogue; POST its elements to /v1/elements",
                q.norad
            ))
        })?;
        let bad = |e: keiho_orbit::OrbitError| Problem::bad_request(e.to_string());
        let value = match (&q.region, q.lat, q.lon) {
            (Some(codes), None, None) => {
                let codes: Vec<&str> = codes
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                let regions = keiho_geo::RegionSet::bundled().map_err(|e| Problem::internal(&e))?;
                let coverage = keiho_orbit::Coverage::from_half_angle(q.half_angle.unwrap_or(0.0))
                    .map_err(bad)?;
                let report =
                    keiho_orbit::region_passes(regions, &codes, &elements, from, to, coverage)
                        .map_err(bad)?;
                serde_json::to_value(report).map_err(|e| Problem::internal(&e))?
            }
            (None, Some(lat), Some(lon)) => {
                keiho_types::GeoPoint::new(lat, lon)
                    .map_err(|e| Problem::bad_request(format!("lat/lon: {e}")))?;
                let observer = keiho_orbit::Observer::new(lat, lon, 0.0);
                let report = keiho_orbit::point_passes(
                    &elements,
                    &observer,
                    from,
                    to,
                    q.min_elevation.unwrap_or(10.0),
                )
                .map_err(bad)?;
                serde_json::to_value(report).map_err(|e| Problem::internal(&e))?
            }
            _ => {
                return Err(Problem::bad_request(
                    "give either region=CODE[,CODE] or lat= and lon=",
                ));
            }
        };
        Ok(Json(value))
    })
    .await
    .map_err(|e| Problem::internal(&e))?
}

/// The objects in the catalogue: NORAD id, name, how many element sets, their epochs.
#[utoipa::path(get, path = "/v1/objects", tag = "orbit",
    responses((status = 200, body = Object)))]
pub(crate) async fn list_objects(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    let catalogue = state.catalogue.clone();
    tokio::task::spawn_blocking(move || {
        let c = catalogue
            .lock()
            .map_err(|_| Problem::internal(&"catalogue lock poisoned"))?;
        let objects = c.objects().map_err(|e| Problem::internal(&e))?;
        Ok(Json(json!({ "objects": objects })))
    })
    .await
    .map_err(|e| Problem::internal(&e))?
}

/// Longest ground track one request may ask for, minutes (a day).
const MAX_TRACK_MINUTES: f64 = 1440.0;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct TrackQuery {
    /// Start (RFC 3339; default now).
    from: Option<String>,
    /// Length, minutes (default 100, about one low orbit; at most 1440).
    minutes: Option<f64>,
    /// Sampling step, seconds (default 30, at least 1).
    step_s: Option<f64>,
}

/// The ground track (sub-satellite points) of a catalogued object, from the element
/// set nearest the window's middle.
#[utoipa::path(get, path = "/v1/objects/{norad}/track", tag = "orbit",
    params(("norad" = u64, Path, description = "NORAD catalogue number"), TrackQuery),
    responses((status = 200, body = Object), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn object_track(
    State(state): State<AppState>,
    Path(norad): Path<String>,
    Query(q): Query<TrackQuery>,
) -> Result<Json<Value>, Problem> {
    let norad: u64 = norad
        .parse()
        .map_err(|_| Problem::bad_request(format!("{norad:?} is not a NORAD catalogue number")))?;
    let from: DateTime<Utc> = match &q.from {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| Problem::bad_request(format!("from {t:?}: {e}")))?
            .with_timezone(&Utc),
        None => state.clock.now(),
    };
    let minutes = q.minutes.unwrap_or(100.0);
    if !(minutes > 0.0 && minutes <= MAX_TRACK_MINUTES) {
        return Err(Problem::bad_request(format!(
            "minutes must be in (0, {MAX_TRACK_MINUTES}], got {minutes}"
        )));
    }
    let step_s = q.step_s.unwrap_or(30.0);
    if !(step_s >= 1.0 && step_s.is_finite()) {
        return Err(Problem::bad_request(format!(
            "step_s must be at least 1 second, got {step_s}"
        )));
    }
    let to = from + Duration::milliseconds((minutes * 60_000.0) as i64);
    let catalogue = state.catalogue.clone();
    tokio::task::spawn_blocking(move || {
        let elements = {
            let c = catalogue
                .lock()
                .map_err(|_| Problem::internal(&"catalogue lock poisoned"))?;
            c.nearest(norad, from + (to - from) / 2)
                .map_err(|e| Problem::internal(&e))?
        }
        .ok_or_else(|| {
            Problem::not_found(format!(
                "object {norad} is not in the catalogue; POST its elements to /v1/elements"
            ))
        })?;
        let points = keiho_orbit::ground_track(&elements, from, to, step_s)
            .map_err(|e| Problem::bad_request(e.to_string()))?;
        let warnings: Vec<String> = elements
            .staleness(from)
            .into_iter()
            .map(|w| w.message)
            .collect();
        Ok(Json(json!({
            "norad_id": norad,
            "name": elements.name,
            "epoch": elements.epoch,
            "points": points,
            "warnings": warnings,
        })))
    })
    .await
    .map_err(|e| Problem::internal(&e))?
}
