//! The public event page (`GET /events/{id}`, no login): what happened, in the
//! reader's language (`?lang=ja|en|ko`, else `Accept-Language`), with the FAQ
//! computed from the recorded event (`keiho_report::public`).

use super::read::with_db;
use crate::app::AppState;
use crate::problem::Problem;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keiho_report::public::{Lang, Links, public_page_html};
use keiho_store::AlertLog;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct PageQuery {
    /// `ja`, `en` or `ko`; without it the browser's `Accept-Language` decides.
    lang: Option<String>,
}

/// An event explained to the public, in Japanese, English or Korean.
#[utoipa::path(get, path = "/events/{id}", tag = "read",
    params(("id" = String, Path, description = "Event id"), PageQuery),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = Problem)))]
pub(crate) async fn event_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = Lang::negotiate(q.lang.as_deref(), accept);
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
        let page_of = |l: Lang| format!("/events/{}?lang={}", encode(&id), l.tag());
        let cap = |identifier: &str| format!("/cap/alerts/{}.xml", encode(identifier));
        let links = Links {
            lang: &page_of,
            cap: &cap,
        };
        public_page_html(&*db, &id, lang, &links).map_err(|e| Problem::internal(&e))
    })
    .await?;
    let mut r = html.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    // Caches must keep one copy per language.
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    Ok(r)
}

/// Percent-encode a path segment (ids are ours, but never trust that in a link).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
