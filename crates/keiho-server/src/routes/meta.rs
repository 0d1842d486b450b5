//! Health, readiness, metrics and the OpenAPI document.

use crate::app::AppState;
use crate::problem::Problem;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi as _;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "meta", responses((status = 200, body = String)))]
pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// The engine answers and the database is reachable.
#[utoipa::path(get, path = "/readyz", tag = "meta", responses((status = 200, body = String), (status = 503, body = Problem)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<&'static str, Problem> {
    let ping = tokio::time::timeout(std::time::Duration::from_secs(5), state.engine.ping()).await;
    match ping {
        Ok(Ok(())) => Ok("ready\n"),
        Ok(Err(e)) => Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {e}"),
        )),
        Err(_) => Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the engine did not answer within 5 s",
        )),
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "meta", responses((status = 200, content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut r = state.metrics.encode().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta", responses((status = 200, body = Object)))]
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::routes::ApiDoc::openapi())
}

pub(crate) async fn not_found() -> Problem {
    Problem::not_found("no such resource; see /openapi.json for the API")
}
