//! Operators' actions. A manual alert with status Actual needs a second, different
//! person's approval (the rule adopted after Hawaii's false alert of 13 January
//! 2018); Exercise and Test go out at once, marked as such everywhere. Withdrawing a
//! wrong message is one action by one operator. Every action is in the audit log.

use crate::app::AppState;
use crate::auth::{Caller, NewToken, Role};
use crate::manual::ManualRequest;
use crate::problem::Problem;
use crate::routes::read::{AlertView, with_db};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use keiho_store::{Draft, ServiceLog};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn parse_json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        Problem::bad_request(format!(
            "the body is not the expected JSON: {e} (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

async fn record(
    state: &AppState,
    actor: &str,
    action: &'static str,
    detail: serde_json::Value,
) -> Result<(), Problem> {
    let at = state.clock.now();
    let actor = actor.to_owned();
    with_db(state, move |db| {
        db.audit(at, &actor, action, &detail.to_string())
            .map(|_| ())
            .map_err(|e| Problem::internal(&e))
    })
    .await
}

fn check_request(state: &AppState, r: &ManualRequest) -> Result<(), Problem> {
    if r.cap_status().is_none() {
        return Err(Problem::bad_request(format!(
            "status {:?}: must be `actual`, `exercise` or `test`",
            r.status
        )));
    }
    if r.regions.is_empty() {
        return Err(Problem::bad_request(
            "regions: name at least one region code (e.g. JP-47)",
        ));
    }
    let regions = keiho_geo::RegionSet::bundled().map_err(|e| Problem::internal(&e))?;
    for code in &r.regions {
        if regions.by_code(code).is_none() {
            return Err(Problem::bad_request(format!(
                "regions: {code:?} is not a known region code"
            )));
        }
    }
    if r.cause.trim().is_empty() {
        return Err(Problem::bad_request("cause: say why, in words"));
    }
    let _ = state;
    Ok(())
}

/// The result of a manual request.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ManualResult {
    /// The draft.
    draft_id: i64,
    /// `pending` (awaiting a second person) or `issued`.
    state: String,
    /// The message, once issued.
    alert: Option<AlertView>,
}

/// Draft a manual alert. Exercise and Test are issued at once; Actual waits for a
/// different approver.
#[utoipa::path(post, path = "/v1/manual", tag = "operator", request_body = ManualRequest,
    responses((status = 201, description = "Issued", body = ManualResult), (status = 202, description = "Drafted, awaiting approval", body = ManualResult),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("token" = [])))]
pub(crate) async fn post_manual(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let caller = state.auth.require(&headers, &[Role::Operator]).await?;
    let request: ManualRequest = parse_json(&body)?;
    check_request(&state, &request)?;
    let at = state.clock.now();
    let (by, status, text) = (
        caller.id.clone(),
        request.status.clone(),
        serde_json::to_string(&request).unwrap_or_default(),
    );
    let draft_id = with_db(&state, move |db| {
        db.draft_insert(&by, at, &status, &text)
            .map_err(|e| Problem::internal(&e))
    })
    .await?;
    record(
        &state,
        &caller.id,
        "draft.create",
        json!({"draft": draft_id, "request": request}),
    )
    .await?;
    if request.status == "actual" {
        return Ok((
            StatusCode::ACCEPTED,
            Json(ManualResult {
                draft_id,
                state: "pending".into(),
                alert: None,
            }),
        )
            .into_response());
    }
    let alert = issue_draft(&state, &caller, draft_id, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(ManualResult {
            draft_id,
            state: "issued".into(),
            alert: Some(alert),
        }),
    )
        .into_response())
}

async fn issue_draft(
    state: &AppState,
    approver: &Caller,
    draft_id: i64,
    request: ManualRequest,
) -> Result<AlertView, Problem> {
    let alert = state
        .engine
        .issue_manual(request, draft_id)
        .await
        .map_err(|e| match e {
            crate::engine::EngineError::Refused(why) => Problem::conflict(why),
            e => Problem::internal(&e),
        })?;
    let (by, identifier) = (approver.id.clone(), alert.identifier.clone());
    with_db(state, move |db| {
        db.draft_settle(draft_id, "issued", Some(&by), Some(&identifier))
            .map_err(|e| Problem::internal(&e))
    })
    .await?;
    record(
        state,
        &approver.id,
        "alert.issue",
        json!({"draft": draft_id, "identifier": alert.identifier, "status": alert.status}),
    )
    .await?;
    Ok(AlertView::of(&alert))
}

async fn pending_draft(state: &AppState, id: i64) -> Result<Draft, Problem> {
    let draft = with_db(state, move |db| {
        db.draft(id).map_err(|e| Problem::internal(&e))
    })
    .await?
    .ok_or_else(|| Problem::not_found(format!("no draft {id}")))?;
    if draft.state != "pending" {
        return Err(Problem::conflict(format!(
            "draft {id} is already {}",
            draft.state
        )));
    }
    Ok(draft)
}

/// Approve a pending Actual draft: a second person, not its author.
#[utoipa::path(post, path = "/v1/manual/{id}/approve", tag = "operator",
    params(("id" = i64, Path, description = "Draft id")),
    responses((status = 201, body = ManualResult), (status = 403, description = "The author cannot approve their own draft", body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
pub(crate) async fn approve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let caller = state.auth.require(&headers, &[Role::Approver]).await?;
    let draft = pending_draft(&state, id).await?;
    if draft.drafted_by == caller.id {
        record(
            &state,
            &caller.id,
            "draft.self_approval_refused",
            json!({"draft": id}),
        )
        .await?;
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "an Actual alert needs a second person: its author cannot approve it",
        ));
    }
    let request: ManualRequest =
        serde_json::from_str(&draft.body).map_err(|e| Problem::internal(&e))?;
    let alert = issue_draft(&state, &caller, id, request).await?;
    Ok((
        StatusCode::CREATED,
        Json(ManualResult {
            draft_id: id,
            state: "issued".into(),
            alert: Some(alert),
        }),
    )
        .into_response())
}

/// Reject a pending draft.
#[utoipa::path(post, path = "/v1/manual/{id}/reject", tag = "operator",
    params(("id" = i64, Path, description = "Draft id")),
    responses((status = 200, body = ManualResult), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
pub(crate) async fn reject(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<ManualResult>, Problem> {
    let caller = state
        .auth
        .require(&headers, &[Role::Approver, Role::Operator])
        .await?;
    pending_draft(&state, id).await?;
    let by = caller.id.clone();
    with_db(&state, move |db| {
        db.draft_settle(id, "rejected", Some(&by), None)
            .map_err(|e| Problem::internal(&e))
    })
    .await?;
    record(&state, &caller.id, "draft.reject", json!({"draft": id})).await?;
    Ok(Json(ManualResult {
        draft_id: id,
        state: "rejected".into(),
        alert: None,
    }))
}

/// Drafts, newest first.
#[utoipa::path(get, path = "/v1/manual", tag = "operator",
    responses((status = 200, body = Object)), security(("token" = [])))]
pub(crate) async fn list_drafts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Draft>>, Problem> {
    state
        .auth
        .require(&headers, &[Role::Operator, Role::Approver, Role::Viewer])
        .await?;
    with_db(&state, |db| db.drafts().map_err(|e| Problem::internal(&e)))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CancelRequest {
    /// Why, in words.
    cause: String,
}

/// Withdraw a wrong message and every message of its event: one action, one
/// operator; a CAP Cancel goes out at once.
#[utoipa::path(post, path = "/v1/alerts/{identifier}/cancel", tag = "operator", request_body = CancelRequest,
    params(("identifier" = String, Path, description = "A message of the event to withdraw")),
    responses((status = 201, body = AlertView), (status = 409, body = Problem)), security(("token" = [])))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(identifier): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let caller = state.auth.require(&headers, &[Role::Operator]).await?;
    let request: CancelRequest = parse_json(&body)?;
    if request.cause.trim().is_empty() {
        return Err(Problem::bad_request("cause: say why, in words"));
    }
    let alert = state
        .engine
        .withdraw(identifier.clone(), request.cause.clone(), caller.id.clone())
        .await
        .map_err(|e| match e {
            crate::engine::EngineError::Refused(why) => Problem::conflict(why),
            e => Problem::internal(&e),
        })?;
    record(
        &state,
        &caller.id,
        "alert.cancel",
        json!({"withdrawn": identifier, "cancel": alert.identifier, "cause": request.cause}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(AlertView::of(&alert))).into_response())
}

/// Who the caller's token says they are (the dashboard shows it and offers only the
/// actions the role allows).
#[utoipa::path(get, path = "/v1/whoami", tag = "operator",
    responses((status = 200, body = Object), (status = 401, body = Problem)), security(("token" = [])))]
pub(crate) async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, Problem> {
    let caller = state.auth.authenticate(&headers).await?;
    Ok(Json(json!({"id": caller.id, "role": caller.role.as_str()})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    /// Who or what will hold it.
    name: String,
    /// Its role.
    role: Role,
}

/// Create a token (admin). The token is shown once.
#[utoipa::path(post, path = "/v1/tokens", tag = "admin", request_body = TokenRequest,
    responses((status = 201, body = NewToken)), security(("token" = [])))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let caller = state.auth.require(&headers, &[Role::Admin]).await?;
    let request: TokenRequest = parse_json(&body)?;
    if request.name.trim().is_empty() {
        return Err(Problem::bad_request("name: say who will hold the token"));
    }
    let at = state.clock.now();
    let (name, role) = (request.name.clone(), request.role);
    let token = with_db(&state, move |db| {
        crate::auth::create_token(db, &name, role, at).map_err(|e| Problem::internal(&e))
    })
    .await?;
    record(
        &state,
        &caller.id,
        "token.create",
        json!({"id": token.id, "name": token.name, "role": token.role}),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(token)).into_response())
}

/// Tokens (ids, holders, roles; never secrets).
#[utoipa::path(get, path = "/v1/tokens", tag = "admin", responses((status = 200, body = Object)), security(("token" = [])))]
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<keiho_store::TokenRecord>>, Problem> {
    state.auth.require(&headers, &[Role::Admin]).await?;
    with_db(&state, |db| db.tokens().map_err(|e| Problem::internal(&e)))
        .await
        .map(Json)
}

/// Revoke a token.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "admin",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = Problem)), security(("token" = [])))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    let caller = state.auth.require(&headers, &[Role::Admin]).await?;
    let at = state.clock.now();
    let id2 = id.clone();
    let revoked = with_db(&state, move |db| {
        db.token_revoke(&id2, at).map_err(|e| Problem::internal(&e))
    })
    .await?;
    if !revoked {
        return Err(Problem::not_found(format!("no active token {id:?}")));
    }
    state.auth.forget();
    record(&state, &caller.id, "token.revoke", json!({"id": id})).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log, and whether its hash chain is intact.
#[utoipa::path(get, path = "/v1/audit", tag = "admin", responses((status = 200, body = Object)), security(("token" = [])))]
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, Problem> {
    state.auth.require(&headers, &[Role::Admin]).await?;
    with_db(&state, |db| {
        let rows = db.audit_log().map_err(|e| Problem::internal(&e))?;
        let broken = db.audit_verify().map_err(|e| Problem::internal(&e))?;
        Ok(Json(
            json!({"intact": broken.is_none(), "first_broken": broken, "rows": rows}),
        ))
    })
    .await
}
