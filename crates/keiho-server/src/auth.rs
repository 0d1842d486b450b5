//! API tokens and roles. A token is `keiho_<id>_<secret>`; only an argon2id hash of
//! the secret is stored. Verifying argon2 takes tens of milliseconds by design, so a
//! verified token is remembered in memory by the SHA-256 of the whole token (compared
//! in constant time) until it is revoked or the process restarts. The public feed and
//! streams need no token; everything that writes does.

use crate::problem::Problem;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use keiho_store::{ServiceLog, SqliteStore, StoreError, TokenRecord};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq as _;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Posts sensor reports.
    Sensor,
    /// Drafts and issues manual alerts, cancels messages.
    Operator,
    /// Approves an operator's Actual manual alert (the second person).
    Approver,
    /// Everything, including tokens.
    Admin,
    /// Reads the operators' views (drafts, audit is admin only).
    Viewer,
}

impl Role {
    /// Parse a role name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sensor" => Some(Self::Sensor),
            "operator" => Some(Self::Operator),
            "approver" => Some(Self::Approver),
            "admin" => Some(Self::Admin),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    /// The role's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sensor => "sensor",
            Self::Operator => "operator",
            Self::Approver => "approver",
            Self::Admin => "admin",
            Self::Viewer => "viewer",
        }
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Token id (public).
    pub id: String,
    /// Its role.
    pub role: Role,
}

/// A new token, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewToken {
    /// Public id.
    pub id: String,
    /// Holder.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The token itself: keep it; it is not stored and cannot be shown again.
    pub token: String,
}

/// Why a token could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Hashing failed.
    #[error("hashing the token: {0}")]
    Hash(String),
}

/// Make a token and store its hash.
pub fn create_token(
    store: &mut SqliteStore,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<NewToken, TokenError> {
    use rand::RngExt as _;
    let mut rng = rand::rng();
    let id: String = (0..12)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16usize)]))
        .collect();
    let secret: String = (0..40)
        .map(|_| {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            char::from(alphabet[rng.random_range(0..alphabet.len())])
        })
        .collect();
    let salt_bytes: [u8; 16] = rng.random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| TokenError::Hash(e.to_string()))?;
    let hash = argon2::Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| TokenError::Hash(e.to_string()))?
        .to_string();
    store.token_insert(&TokenRecord {
        id: id.clone(),
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        secret_hash: hash,
        created_at: now,
        revoked_at: None,
    })?;
    Ok(NewToken {
        token: format!("keiho_{id}_{secret}"),
        id,
        name: name.to_owned(),
        role,
    })
}

/// Verifies bearer tokens against the store, remembering verified ones.
#[derive(Clone)]
pub struct Authenticator {
    store: Arc<Mutex<SqliteStore>>,
    /// SHA-256 of a verified token -> the caller and when it was verified; kept for
    /// [`REVERIFY_AFTER`] so a revocation made elsewhere (`keiho token revoke`) takes
    /// effect within that time (at once when revoked through the API).
    verified: Arc<Mutex<HashMap<[u8; 32], Verified>>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

/// A token verified at an instant.
type Verified = (Caller, std::time::Instant);

/// How long a verified token is trusted without checking the store again.
const REVERIFY_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes()).into()
}

impl Authenticator {
    /// Over the service's store.
    pub fn new(store: Arc<Mutex<SqliteStore>>) -> Self {
        Self {
            store,
            verified: Arc::default(),
        }
    }

    /// Forget remembered verifications (after a revocation).
    pub fn forget(&self) {
        if let Ok(mut v) = self.verified.lock() {
            v.clear();
        }
    }

    /// The caller, if the request carries a valid token with one of `roles` (admin
    /// always passes). 401 without a valid token, 403 with the wrong role.
    pub async fn require(&self, headers: &HeaderMap, roles: &[Role]) -> Result<Caller, Problem> {
        let caller = self.authenticate(headers).await?;
        if caller.role == Role::Admin || roles.contains(&caller.role) {
            Ok(caller)
        } else {
            let wanted: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(Problem::new(
                StatusCode::FORBIDDEN,
                format!(
                    "a {} token cannot do this; it needs one of: {}",
                    caller.role.as_str(),
                    wanted.join(", ")
                ),
            ))
        }
    }

    /// The caller a request's bearer token names, whatever its role.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, Problem> {
        let unauthorized = |why: &str| {
            let mut p = Problem::new(StatusCode::UNAUTHORIZED, why.to_owned());
            p.title = "Unauthorized".into();
            p
        };
        let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
            unauthorized("this needs a token: send `Authorization: Bearer keiho_...`")
        })?;
        let text = value
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text"))?;
        let token = text
            .strip_prefix("Bearer ")
            .ok_or_else(|| unauthorized("the Authorization header must be `Bearer <token>`"))?
            .trim()
            .to_owned();
        let d = digest(&token);
        if let Ok(v) = self.verified.lock() {
            if let Some((k, (caller, at))) = v.get_key_value(&d) {
                if bool::from(k.ct_eq(&d)) && at.elapsed() < REVERIFY_AFTER {
                    return Ok(caller.clone());
                }
            }
        }
        let (id, secret) = parse_token(&token).ok_or_else(|| unauthorized("malformed token"))?;
        let store = self.store.clone();
        let id_owned = id.to_owned();
        let record = tokio::task::spawn_blocking(move || {
            store
                .lock()
                .map_err(|_| ())
                .and_then(|s| s.token(&id_owned).map_err(|_| ()))
        })
        .await
        .map_err(|e| Problem::internal(&e))?
        .map_err(|()| Problem::internal(&"token lookup failed"))?;
        let invalid = || unauthorized("unknown, revoked or wrong token");
        let record = record.ok_or_else(invalid)?;
        if record.revoked_at.is_some() {
            return Err(invalid());
        }
        let role = Role::parse(&record.role).ok_or_else(invalid)?;
        let secret = secret.to_owned();
        // argon2 verification is deliberately slow: off the async threads.
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&record.secret_hash).is_ok_and(|h| {
                argon2::Argon2::default()
                    .verify_password(secret.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
        .map_err(|e| Problem::internal(&e))?;
        if !ok {
            return Err(invalid());
        }
        let caller = Caller {
            id: id.to_owned(),
            role,
        };
        if let Ok(mut v) = self.verified.lock() {
            v.insert(d, (caller.clone(), std::time::Instant::now()));
        }
        Ok(caller)
    }
}

fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("keiho_")?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12 && !secret.is_empty()).then_some((id, secret))
}
