//! Webhook subscriptions and subscribers' devices. A webhook's secret is shown once,
//! when it is created; a device's location is kept only as its region and a coarse
//! cell unless the subscriber opts in to precise location.

use crate::app::AppState;
use crate::auth::Role;
use crate::problem::Problem;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Problem::internal(&e))?
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(body)
        .map_err(|e| Problem::bad_request(format!("the body is not the expected JSON: {e}")))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookRequest {
    /// Where to POST each CAP message (http or https).
    url: String,
    /// Region codes (`JP-47`) or country prefixes (`JP`); empty: every region.
    #[serde(default)]
    regions: Vec<String>,
    /// HMAC secret; generated when absent.
    secret: Option<String>,
}

/// Subscribe a URL to alerts (CAP XML bodies signed with HMAC-SHA256 in
/// `Keiho-Signature: t=<unix>,v1=<hex>`; retried with backoff until acknowledged).
#[utoipa::path(post, path = "/v1/webhooks", tag = "delivery", request_body = WebhookRequest,
    responses((status = 201, description = "Created; the secret is shown only now", body = Object), (status = 400, body = Problem)),
    security(("token" = [])))]
pub(crate) async fn create_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    state.auth.require(&headers, &[Role::Operator]).await?;
    let r: WebhookRequest = parse(&body)?;
    if !(r.url.starts_with("http://") || r.url.starts_with("https://")) {
        return Err(Problem::bad_request(format!(
            "url {:?}: must be http:// or https://",
            r.url
        )));
    }
    let d = state.delivery.clone();
    let w = blocking(move || {
        d.add_webhook(&keiho_deliver::NewWebhook {
            url: r.url,
            regions: r.regions,
            secret: r.secret,
        })
        .map_err(|e| Problem::bad_request(e.to_string()))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": w.id, "url": w.url, "regions": w.regions, "secret": w.secret, "active": w.active})))
        .into_response())
}

/// Webhook subscriptions (without their secrets).
#[utoipa::path(get, path = "/v1/webhooks", tag = "delivery", responses((status = 200, body = Object)), security(("token" = [])))]
pub(crate) async fn list_webhooks(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    state
        .auth
        .require(&headers, &[Role::Operator, Role::Viewer])
        .await?;
    let d = state.delivery.clone();
    let all = blocking(move || d.webhooks().map_err(|e| Problem::internal(&e))).await?;
    Ok(Json(Value::Array(
        all.iter()
            .map(|w| json!({"id": w.id, "url": w.url, "regions": w.regions, "active": w.active}))
            .collect(),
    )))
}

/// Remove a webhook subscription.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "delivery", params(("id" = i64, Path, description = "Subscription id")),
    responses((status = 204), (status = 404, body = Problem)), security(("token" = [])))]
pub(crate) async fn delete_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<StatusCode, Problem> {
    state.auth.require(&headers, &[Role::Operator]).await?;
    let d = state.delivery.clone();
    let removed = blocking(move || d.remove_webhook(id).map_err(|e| Problem::internal(&e))).await?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found(format!("no webhook {id}")))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubscriberRequest {
    /// The device's push endpoint or token (opaque).
    push_token: String,
    /// Latitude, degrees.
    lat: f64,
    /// Longitude, degrees.
    lon: f64,
    /// Keep the precise location (default: only the region and a 0.1-degree cell).
    #[serde(default)]
    precise: bool,
}

fn subscriber_json(s: &keiho_deliver::Subscriber) -> Value {
    json!({
        "id": s.id,
        "region": s.region,
        "cell": {"lat": f64::from(s.cell.lat_tenths) / 10.0, "lon": f64::from(s.cell.lon_tenths) / 10.0},
        "precise_location": s.precise_location.map(|p| json!({"lat": p.lat_deg(), "lon": p.lon_deg()})),
    })
}

/// Register a device to be told when its area is alerted.
#[utoipa::path(post, path = "/v1/subscribers", tag = "delivery", request_body = SubscriberRequest,
    responses((status = 201, description = "Registered: what is stored", body = Object), (status = 400, body = Problem)), security(("token" = [])))]
pub(crate) async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    state
        .auth
        .require(
            &headers,
            &[Role::Viewer, Role::Operator, Role::Sensor, Role::Approver],
        )
        .await?;
    let r: SubscriberRequest = parse(&body)?;
    let location = keiho_types::GeoPoint::new(r.lat, r.lon)
        .map_err(|e| Problem::bad_request(format!("lat/lon: {e}")))?;
    if r.push_token.trim().is_empty() {
        return Err(Problem::bad_request(
            "push_token: give the device's push endpoint or token",
        ));
    }
    let d = state.delivery.clone();
    let s = blocking(move || {
        d.register_subscriber(&keiho_deliver::NewSubscriber {
            push_token: r.push_token,
            location,
            precise: r.precise,
        })
        .map_err(|e| Problem::internal(&e))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(subscriber_json(&s))).into_response())
}

/// What is stored about a device.
#[utoipa::path(get, path = "/v1/subscribers/{id}", tag = "delivery", params(("id" = u32, Path, description = "Subscriber id")),
    responses((status = 200, body = Object), (status = 404, body = Problem)), security(("token" = [])))]
pub(crate) async fn get_subscriber(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Result<Json<Value>, Problem> {
    state
        .auth
        .require(
            &headers,
            &[Role::Viewer, Role::Operator, Role::Sensor, Role::Approver],
        )
        .await?;
    let d = state.delivery.clone();
    let s = blocking(move || d.subscriber(id).map_err(|e| Problem::internal(&e))).await?;
    s.map(|s| Json(subscriber_json(&s)))
        .ok_or_else(|| Problem::not_found(format!("no subscriber {id}")))
}

/// Forget a device.
#[utoipa::path(delete, path = "/v1/subscribers/{id}", tag = "delivery", params(("id" = u32, Path, description = "Subscriber id")),
    responses((status = 204), (status = 404, body = Problem)), security(("token" = [])))]
pub(crate) async fn unregister(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<u32>,
) -> Result<StatusCode, Problem> {
    state
        .auth
        .require(
            &headers,
            &[Role::Viewer, Role::Operator, Role::Sensor, Role::Approver],
        )
        .await?;
    let d = state.delivery.clone();
    let gone = blocking(move || {
        d.unregister_subscriber(id)
            .map_err(|e| Problem::internal(&e))
    })
    .await?;
    if gone {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::not_found(format!("no subscriber {id}")))
    }
}
