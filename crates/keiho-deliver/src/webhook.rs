//! Webhooks: subscriptions with a region filter, Stripe-style HMAC signatures, and
//! one signed HTTP POST of the exact CAP XML per delivery attempt.
//!
//! # Request
//!
//! `POST <url>` with body = the CAP 1.2 XML exactly as stored by `keiho-store` (signed
//! with XML-DSig when the server signs), `Content-Type: application/cap+xml`, and:
//!
//! - `Keiho-Signature: t=<unix seconds>,v1=<hex>` where `<hex>` is the lowercase hex
//!   HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes), of
//!   `"<t>.<body>"`. A receiver recomputes it, compares in constant time and refuses
//!   a `t` older than its tolerance (5 minutes is usual) to stop replays; see
//!   [`verify_signature`].
//! - `Idempotency-Key: <alert identifier>:webhook:<subscription id>`, the same on
//!   every attempt: deliveries are at-least-once, so receivers deduplicate on it.
//! - `Keiho-Delivery-Attempt: <n>`, 1 for the first attempt.
//!
//! CAP XML rather than a JSON envelope: it is the standard every alerting system
//! already parses, it carries its own signature, and everything in an envelope would
//! repeat what the message says.
//!
//! # Responses
//!
//! 2xx acknowledges. 408 and 429 and every 5xx, timeouts and connection errors are
//! retried with backoff. Every other status (4xx, 3xx: redirects are not followed) is
//! a permanent failure: the receiver said it will never take this message.

use crate::DeliverError;
use hmac::{KeyInit, Mac};
use rusqlite::{Connection, OptionalExtension, params};
use std::time::Duration;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// A webhook subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSubscription {
    /// Id (part of the idempotency key).
    pub id: i64,
    /// Where to POST.
    pub url: String,
    /// Region filter: ISO 3166-2 codes (`JP-47`) or country prefixes (`JP`); empty
    /// means every region.
    pub regions: Vec<String>,
    /// HMAC key for `Keiho-Signature`.
    pub secret: String,
    /// Creation time, ms since the epoch.
    pub created_at_ms: i64,
    /// Inactive subscriptions get nothing (pending deliveries to them fail).
    pub active: bool,
}

/// A subscription to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// `http://` or `https://` URL.
    pub url: String,
    /// Region filter (see [`WebhookSubscription::regions`]).
    pub regions: Vec<String>,
    /// Secret; `None` draws 32 random bytes (hex) from the operating system.
    pub secret: Option<String>,
}

impl WebhookSubscription {
    /// Whether an alert about these region codes (told to shelter or lifted) concerns
    /// this subscription.
    pub fn matches<'a>(&self, codes: impl IntoIterator<Item = &'a str>) -> bool {
        if !self.active {
            return false;
        }
        if self.regions.is_empty() {
            return true;
        }
        codes
            .into_iter()
            .any(|code| self.regions.iter().any(|f| filter_matches(f, code)))
    }
}

/// `JP-47` matches filter `JP-47` and filter `JP`; `JP-4` matches neither `JP-47`
/// nor `JP-40`.
fn filter_matches(filter: &str, code: &str) -> bool {
    code == filter
        || (code.len() > filter.len()
            && code.starts_with(filter)
            && code.as_bytes()[filter.len()] == b'-')
}

fn check_filter(f: &str) -> Result<(), DeliverError> {
    let ok = if f.contains('-') {
        keiho_types::RegionCode::parse(f).is_ok()
    } else {
        keiho_types::CountryCode::parse(f).is_ok()
    };
    if ok {
        Ok(())
    } else {
        Err(DeliverError::Invalid(format!(
            "region filter {f:?} is neither an ISO 3166-2 code nor a country code"
        )))
    }
}

pub(crate) fn insert(
    conn: &Connection,
    new: &NewWebhook,
    now_ms: i64,
) -> Result<WebhookSubscription, DeliverError> {
    let url = reqwest::Url::parse(&new.url)
        .map_err(|e| DeliverError::Invalid(format!("webhook URL {:?}: {e}", new.url)))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(DeliverError::Invalid(format!(
            "webhook URL {:?} is not http(s)",
            new.url
        )));
    }
    for f in &new.regions {
        check_filter(f)?;
    }
    let secret = match &new.secret {
        Some(s) if !s.is_empty() => s.clone(),
        Some(_) => return Err(DeliverError::Invalid("empty webhook secret".into())),
        None => random_secret()?,
    };
    conn.execute(
        "INSERT INTO deliver_webhooks (url, regions, secret, created_at, active)
         VALUES (?1, ?2, ?3, ?4, 1)",
        params![new.url, new.regions.join(" "), secret, now_ms],
    )?;
    Ok(WebhookSubscription {
        id: conn.last_insert_rowid(),
        url: new.url.clone(),
        regions: new.regions.clone(),
        secret,
        created_at_ms: now_ms,
        active: true,
    })
}

fn random_secret() -> Result<String, DeliverError> {
    use std::io::Read;
    let mut buf = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| DeliverError::Invalid(format!("no randomness for a secret: {e}")))?;
    Ok(hex::encode(buf))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookSubscription> {
    let regions: String = r.get(2)?;
    Ok(WebhookSubscription {
        id: r.get(0)?,
        url: r.get(1)?,
        regions: regions.split_whitespace().map(str::to_owned).collect(),
        secret: r.get(3)?,
        created_at_ms: r.get(4)?,
        active: r.get(5)?,
    })
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<WebhookSubscription>, DeliverError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, url, regions, secret, created_at, active FROM deliver_webhooks ORDER BY id",
    )?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<WebhookSubscription>, DeliverError> {
    Ok(conn
        .query_row(
            "SELECT id, url, regions, secret, created_at, active FROM deliver_webhooks
             WHERE id = ?1",
            [id],
            row,
        )
        .optional()?)
}

pub(crate) fn set_active(conn: &Connection, id: i64, active: bool) -> Result<bool, DeliverError> {
    Ok(conn.execute(
        "UPDATE deliver_webhooks SET active = ?2 WHERE id = ?1",
        params![id, active],
    )? == 1)
}

pub(crate) fn remove(conn: &Connection, id: i64) -> Result<bool, DeliverError> {
    Ok(conn.execute("DELETE FROM deliver_webhooks WHERE id = ?1", [id])? == 1)
}

/// The `Keiho-Signature` header value for `body` at `t_unix` seconds.
pub fn sign(secret: &str, t_unix: i64, body: &[u8]) -> String {
    format!("t={t_unix},v1={}", hex::encode(mac(secret, t_unix, body)))
}

fn mac(secret: &str, t_unix: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this never fails.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(t_unix.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not `t=<int>,v1=<hex>`.
    #[error("malformed Keiho-Signature header")]
    Malformed,
    /// `t` is further than the tolerance from now (replay or clock skew).
    #[error("signature timestamp outside the tolerance")]
    Stale,
    /// No `v1` value matches.
    #[error("signature does not match")]
    Mismatch,
}

/// Check a `Keiho-Signature` header as a receiver would: recompute HMAC-SHA256 of
/// `"<t>.<body>"` with the shared secret, compare in constant time, and refuse a `t`
/// more than `tolerance` away from `now_unix`. Several `v1=` entries are allowed
/// (any may match), as during a secret rotation.
///
/// This function has no dependency on the rest of Keiho beyond `hmac`, `sha2` and
/// `hex`, so receivers written in Rust can copy it.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => {
                candidates.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?)
            }
            Some(_) => {} // unknown schemes are ignored, as Stripe does
            None => return Err(SignatureError::Malformed),
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now_unix.abs_diff(t) > tolerance.as_secs() {
        return Err(SignatureError::Stale);
    }
    for c in &candidates {
        let mut m = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes())
            .map_err(|_| SignatureError::Malformed)?;
        m.update(t.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        // verify_slice compares in constant time.
        if m.verify_slice(c).is_ok() {
            return Ok(());
        }
    }
    Err(SignatureError::Mismatch)
}

/// What one HTTP attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// 2xx.
    Acknowledged,
    /// Try again later (5xx, 408, 429, timeout, connection error).
    Retry(String),
    /// Never try again (other 4xx, 3xx).
    Permanent(String),
}

/// Classify an HTTP status.
pub fn classify_status(status: u16) -> Attempt {
    match status {
        200..=299 => Attempt::Acknowledged,
        408 | 429 => Attempt::Retry(format!("HTTP {status}")),
        500..=599 => Attempt::Retry(format!("HTTP {status}")),
        _ => Attempt::Permanent(format!("HTTP {status}")),
    }
}

/// An HTTP client for webhooks: rustls (ring), no redirects, with timeouts.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, DeliverError> {
    // Any provider already installed by the process is fine; ours otherwise.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("keiho-deliver/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DeliverError::Invalid(format!("HTTP client: {e}")))
}

/// POST one delivery attempt.
pub async fn post(
    client: &reqwest::Client,
    sub: &WebhookSubscription,
    body: Vec<u8>,
    idempotency_key: &str,
    attempt: u32,
    now_unix: i64,
) -> Attempt {
    let signature = sign(&sub.secret, now_unix, &body);
    let result = client
        .post(&sub.url)
        .header("Content-Type", "application/cap+xml")
        .header("Keiho-Signature", signature)
        .header("Idempotency-Key", idempotency_key)
        .header("Keiho-Delivery-Attempt", attempt.to_string())
        .body(body)
        .send()
        .await;
    match result {
        Ok(resp) => classify_status(resp.status().as_u16()),
        Err(e) if e.is_builder() => Attempt::Permanent(format!("request: {e}")),
        Err(e) => Attempt::Retry(format!("transport: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(regions: &[&str]) -> WebhookSubscription {
        WebhookSubscription {
            id: 1,
            url: "http://127.0.0.1/".into(),
            regions: regions.iter().map(|s| s.to_string()).collect(),
            secret: "s".into(),
            created_at_ms: 0,
            active: true,
        }
    }

    #[test]
    fn region_filters_match_codes_and_country_prefixes() {
        assert!(sub(&[]).matches(["KR-11"]));
        assert!(sub(&["JP-47"]).matches(["JP-46", "JP-47"]));
        assert!(sub(&["JP"]).matches(["JP-47"]));
        assert!(!sub(&["JP-4"]).matches(["JP-47"]));
        assert!(!sub(&["JP-47"]).matches(["JP-4"]));
        assert!(!sub(&["KR"]).matches(["JP-47"]));
        let mut inactive = sub(&[]);
        inactive.active = false;
        assert!(!inactive.matches(["JP-47"]));
    }

    #[test]
    fn signatures_verify_and_refuse_tampering_staleness_and_wrong_keys() {
        let body = b"<alert>x</alert>";
        let h = sign("secret", 1_700_000_000, body);
        let tol = Duration::from_secs(300);
        assert_eq!(
            verify_signature("secret", &h, body, 1_700_000_100, tol),
            Ok(())
        );
        assert_eq!(
            verify_signature("secret", &h, b"<alert>y</alert>", 1_700_000_100, tol),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("other", &h, body, 1_700_000_100, tol),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature("secret", &h, body, 1_700_000_301, tol),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature("secret", "v1=00", body, 1_700_000_000, tol),
            Err(SignatureError::Malformed)
        );
        // Rotation: an old and a new signature side by side.
        let both = format!("{h},v1={}", "ab".repeat(32));
        assert_eq!(
            verify_signature("secret", &both, body, 1_700_000_000, tol),
            Ok(())
        );
    }

    #[test]
    fn known_answer_for_the_documented_format() {
        // HMAC-SHA256(key "whsec", "1700000000.hello"), computed independently with
        // `printf '1700000000.hello' | openssl dgst -sha256 -hmac whsec`.
        assert_eq!(
            sign("whsec", 1_700_000_000, b"hello"),
            format!("t=1700000000,v1={}", KNOWN_HEX)
        );
    }

    const KNOWN_HEX: &str = "9499b343742dec164cd3d22098f598a85f645defe270c4d16d38750d1ede8514";

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify_status(200), Attempt::Acknowledged);
        assert_eq!(classify_status(204), Attempt::Acknowledged);
        assert!(matches!(classify_status(408), Attempt::Retry(_)));
        assert!(matches!(classify_status(429), Attempt::Retry(_)));
        assert!(matches!(classify_status(503), Attempt::Retry(_)));
        assert!(matches!(classify_status(404), Attempt::Permanent(_)));
        assert!(matches!(classify_status(410), Attempt::Permanent(_)));
        assert!(matches!(classify_status(301), Attempt::Permanent(_)));
    }
}
