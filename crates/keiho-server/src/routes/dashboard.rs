//! The operator dashboard at `/`: a page, its script and style compiled into the
//! binary (it works on an isolated network: nothing is fetched from elsewhere), the
//! map's regions simplified once for drawing, and each alert's delivery counts for
//! the timeline.

use crate::app::AppState;
use crate::problem::Problem;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};

static INDEX_HTML: &str = include_str!("../../assets/index.html");
static APP_JS: &str = include_str!("../../assets/app.js");
static MAP_JS: &str = include_str!("../../assets/map.js");
static I18N_JS: &str = include_str!("../../assets/i18n.js");
static ORBIT_JS: &str = include_str!("../../assets/orbit.js");
static APP_CSS: &str = include_str!("../../assets/app.css");

/// Map outlines are simplified to about 2 km: finer than a pixel at the
/// scale of the whole West Pacific, coarse enough to load quickly.
const MAP_TOLERANCE_DEG: f64 = 0.02;

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The assets change only with the binary; a reload re-checks.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// The icon every page of the service shows (an SVG, which browsers take whatever
/// the name): without it each page load logs a failed request.
static FAVICON_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\">\
<path d=\"M8 1 15 14H1z\" fill=\"#c62828\"/><path d=\"M8 5v5M8 11.5v1.5\" stroke=\"#fff\" stroke-width=\"1.6\"/></svg>";

/// The icon.
pub(crate) async fn favicon() -> Response {
    asset("image/svg+xml", FAVICON_SVG)
}

/// The dashboard page.
pub(crate) async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// The dashboard's script and style.
pub(crate) async fn assets(Path(file): Path<String>) -> Result<Response, Problem> {
    match file.as_str() {
        "app.js" => Ok(asset("text/javascript; charset=utf-8", APP_JS)),
        "map.js" => Ok(asset("text/javascript; charset=utf-8", MAP_JS)),
        "i18n.js" => Ok(asset("text/javascript; charset=utf-8", I18N_JS)),
        "orbit.js" => Ok(asset("text/javascript; charset=utf-8", ORBIT_JS)),
        "app.css" => Ok(asset("text/css; charset=utf-8", APP_CSS)),
        _ => Err(Problem::not_found(format!("no asset {file:?}"))),
    }
}

/// The bundled regions, simplified for display, as GeoJSON (computed once).
#[utoipa::path(get, path = "/v1/map/regions", tag = "read",
    responses((status = 200, content_type = "application/geo+json", description = "Every region, simplified for drawing (not for deciding: alerts use the exact outlines)")))]
pub(crate) async fn map_regions() -> Result<Response, Problem> {
    static MAP: OnceLock<Arc<str>> = OnceLock::new();
    let body = match MAP.get() {
        Some(m) => m.clone(),
        None => {
            let made = tokio::task::spawn_blocking(|| {
                let regions = keiho_geo::RegionSet::bundled().map_err(|e| Problem::internal(&e))?;
                let fc = keiho_geo::display::simplified_regions(regions, MAP_TOLERANCE_DEG);
                Ok::<Arc<str>, Problem>(fc.to_string().into())
            })
            .await
            .map_err(|e| Problem::internal(&e))??;
            MAP.get_or_init(|| made).clone()
        }
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body.to_string(),
    )
        .into_response())
}

/// Where one alert's deliveries stand, per channel.
#[utoipa::path(get, path = "/v1/alerts/{identifier}/deliveries", tag = "read",
    params(("identifier" = String, Path, description = "A message identifier")),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub(crate) async fn alert_deliveries(
    State(state): State<AppState>,
    Path(identifier): Path<String>,
) -> Result<Response, Problem> {
    let id = identifier.clone();
    let known = crate::routes::read::with_db(&state, move |db| {
        keiho_store::AlertLog::alert(&*db, &id).map_err(|e| Problem::internal(&e))
    })
    .await?;
    if known.is_none() {
        return Err(Problem::not_found(format!("no alert {identifier:?}")));
    }
    let delivery = state.delivery.clone();
    let counts = tokio::task::spawn_blocking(move || delivery.counts_for(&identifier))
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|e| Problem::internal(&e))?;
    Ok(axum::Json(counts).into_response())
}
