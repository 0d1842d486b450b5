//! The HTTP API: which path does what, and the OpenAPI document generated from the
//! handlers' annotations.

mod dashboard;
mod deliver;
mod ingest;
mod live;
mod meta;
mod operator;
mod orbit;
mod public;
mod read;
mod stream;

pub(crate) use stream::payload as stream_payload;

use crate::app::AppState;
use axum::Router;
use axum::routing::{delete, get, post};
use utoipa::OpenApi;

/// The OpenAPI 3.1 description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Keiho",
        description = "Real-time public warning for rocket and missile overflights: ingest, alerts (CAP 1.2), push and operators' actions. Errors are RFC 9457 problem documents.",
        license(name = "Apache-2.0")
    ),
    paths(
        ingest::post_reports,
        read::list_events,
        read::get_event,
        read::list_alerts,
        read::event_report,
        public::event_page,
        read::cap_message,
        read::cap_feed,
        read::public_key,
        stream::sse,
        stream::ws,
        live::live,
        dashboard::map_regions,
        dashboard::alert_deliveries,
        operator::whoami,
        operator::post_manual,
        operator::approve,
        operator::reject,
        operator::list_drafts,
        operator::cancel,
        operator::create_token,
        operator::list_tokens,
        operator::revoke_token,
        operator::audit_log,
        deliver::create_webhook,
        deliver::list_webhooks,
        deliver::delete_webhook,
        deliver::register,
        deliver::get_subscriber,
        deliver::unregister,
        orbit::post_elements,
        orbit::get_passes,
        orbit::list_objects,
        orbit::object_track,
        meta::healthz,
        meta::readyz,
        meta::metrics,
        meta::openapi,
    ),
    components(schemas(crate::problem::Problem, crate::engine::ReportVerdict, crate::manual::ManualRequest, crate::auth::Role, crate::auth::NewToken)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "token",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// The API without per-address rate limits (tests drive it without a socket).
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.body_bytes;
    Router::new()
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::assets))
        .route("/favicon.ico", get(dashboard::favicon))
        .route("/v1/map/regions", get(dashboard::map_regions))
        .route("/v1/live", get(live::live))
        .route(
            "/v1/alerts/{identifier}/deliveries",
            get(dashboard::alert_deliveries),
        )
        .route("/v1/whoami", get(operator::whoami))
        .route("/v1/reports", post(ingest::post_reports))
        .route("/v1/events", get(read::list_events))
        .route("/v1/events/{id}", get(read::get_event))
        .route("/v1/alerts", get(read::list_alerts))
        .route("/events/{id}", get(public::event_page))
        .route("/events/{id}/report", get(read::event_report))
        .route("/v1/alerts/{identifier}/cancel", post(operator::cancel))
        .route("/cap/alerts/{file}", get(read::cap_message))
        .route("/cap/feed.atom", get(read::cap_feed))
        .route("/cap/signing-key.pem", get(read::public_key))
        .route("/v1/stream", get(stream::sse))
        .route("/v1/ws", get(stream::ws))
        .route(
            "/v1/manual",
            post(operator::post_manual).get(operator::list_drafts),
        )
        .route("/v1/manual/{id}/approve", post(operator::approve))
        .route("/v1/manual/{id}/reject", post(operator::reject))
        .route(
            "/v1/tokens",
            post(operator::create_token).get(operator::list_tokens),
        )
        .route("/v1/tokens/{id}", delete(operator::revoke_token))
        .route("/v1/audit", get(operator::audit_log))
        .route(
            "/v1/webhooks",
            post(deliver::create_webhook).get(deliver::list_webhooks),
        )
        .route("/v1/webhooks/{id}", delete(deliver::delete_webhook))
        .route("/v1/elements", post(orbit::post_elements))
        .route("/v1/passes", get(orbit::get_passes))
        .route("/v1/objects", get(orbit::list_objects))
        .route("/v1/objects/{norad}/track", get(orbit::object_track))
        .route("/v1/subscribers", post(deliver::register))
        .route(
            "/v1/subscribers/{id}",
            get(deliver::get_subscriber).delete(deliver::unregister),
        )
        .route("/healthz", get(meta::healthz))
        .route("/readyz", get(meta::readyz))
        .route("/metrics", get(meta::metrics))
        .route("/openapi.json", get(meta::openapi))
        .fallback(meta::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(
            crate::problem::problems_everywhere,
        ))
        .with_state(state)
}

/// The API with per-address rate limits, for a real socket.
pub(crate) fn router_with_limits(state: AppState) -> Router {
    use tower_governor::GovernorLayer;
    use tower_governor::governor::GovernorConfigBuilder;
    let limits = state.config.limits.clone();
    let period_ns = (1_000_000_000 / limits.per_second.max(1)).max(1);
    let governor = GovernorConfigBuilder::default()
        .per_nanosecond(period_ns)
        .burst_size(limits.burst)
        .finish()
        .map(std::sync::Arc::new);
    let app = router(state);
    match governor {
        Some(config) => app
            .layer(GovernorLayer::new(config))
            .layer(axum::middleware::from_fn(
                crate::problem::problems_everywhere,
            )),
        None => app,
    }
}
