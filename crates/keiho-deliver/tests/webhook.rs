//! Webhooks end to end against a real HTTP receiver on 127.0.0.1: retries with
//! backoff, signatures checked by the receiver, a constant idempotency key, exactly
//! one delivered row, permanent failures and expiry.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use keiho_deliver::{
    AlertForDelivery, Backoff, Delivery, DeliveryConfig, Headlines, NewWebhook, State as RowState,
    verify_signature,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Received {
    at: Instant,
    idempotency_key: String,
    attempt: u32,
    content_type: String,
    signature_ok: bool,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Receiver {
    secret: String,
    /// Status to answer for the first `fail_first` requests.
    fail_status: StatusCode,
    fail_first: usize,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn handle(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    // What a receiver does: check the signature before trusting anything.
    let signature_ok = verify_signature(
        &r.secret,
        &h("keiho-signature"),
        &body,
        now,
        Duration::from_secs(300),
    )
    .is_ok();
    let mut received = r.received.lock().expect("lock");
    received.push(Received {
        at: Instant::now(),
        idempotency_key: h("idempotency-key"),
        attempt: h("keiho-delivery-attempt").parse().unwrap_or(0),
        content_type: h("content-type"),
        signature_ok,
        body: body.to_vec(),
    });
    if !signature_ok {
        StatusCode::UNAUTHORIZED
    } else if received.len() <= r.fail_first {
        r.fail_status
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn start_receiver(r: Receiver) -> String {
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(handle))
        .with_state(r);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hook")
}

fn fast_config() -> DeliveryConfig {
    DeliveryConfig {
        backoff: Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
        },
        poll_interval: Duration::from_millis(10),
        http_timeout: Duration::from_secs(5),
        ..DeliveryConfig::default()
    }
}

fn alert(identifier: &str, regions: &[&str]) -> AlertForDelivery {
    AlertForDelivery {
        identifier: identifier.to_owned(),
        event_id: "ev-1".into(),
        status: "Exercise".into(),
        msg_type: "Alert".into(),
        stage: "TakeShelter".into(),
        regions: regions.iter().map(|s| s.to_string()).collect(),
        lifted: vec![],
        xml: format!("<alert><identifier>{identifier}</identifier></alert>"),
        sent: "2026-05-01T10:00:00+09:00".into(),
        headlines: Headlines {
            ja: Some("ミサイル".into()),
            en: Some("Missile".into()),
        },
    }
}

async fn wait_for_state(d: &Delivery, key: &str, want: RowState, within: Duration) {
    let start = Instant::now();
    loop {
        let row = d.delivery(key).expect("read row");
        if row.as_ref().is_some_and(|r| r.state == want) {
            return;
        }
        assert!(
            start.elapsed() < within,
            "{key} not {want:?} within {within:?}: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_with_backoff_until_acknowledged_then_delivered_exactly_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Arc::new(Mutex::new(Vec::new()));
    let url = start_receiver(Receiver {
        secret: "s3cret".into(),
        fail_status: StatusCode::SERVICE_UNAVAILABLE,
        fail_first: 3,
        received: received.clone(),
    })
    .await;
    let d = Delivery::open(&dir.path().join("keiho.db"), fast_config()).expect("open");
    let sub = d
        .add_webhook(&NewWebhook {
            url: url.clone(),
            regions: vec!["JP".into()],
            secret: Some("s3cret".into()),
        })
        .expect("subscribe");
    // Filters that do not match get nothing.
    d.add_webhook(&NewWebhook {
        url,
        regions: vec!["KR".into()],
        secret: Some("other".into()),
    })
    .expect("subscribe");

    let a = alert("urn:keiho:test:1", &["JP-47"]);
    let queued = d.deliver_alert(&a).expect("queue");
    assert_eq!(queued.webhooks, 1);
    assert_eq!(
        d.deliver_alert(&a).expect("again").webhooks,
        0,
        "idempotent"
    );

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let workers = d.run_workers(shutdown);
    let key = format!("urn:keiho:test:1:webhook:{}", sub.id);
    wait_for_state(&d, &key, RowState::Delivered, Duration::from_secs(20)).await;
    // Give a wrongly repeated delivery the chance to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(true).expect("stop");
    workers.await.expect("workers");

    let received = received.lock().expect("lock").clone();
    assert_eq!(received.len(), 4, "3 failures then one acknowledgement");
    for (i, r) in received.iter().enumerate() {
        assert!(
            r.signature_ok,
            "attempt {i}: signature verified by the receiver"
        );
        assert_eq!(r.idempotency_key, key, "same key on every attempt");
        assert_eq!(r.attempt, i as u32 + 1);
        assert_eq!(r.content_type, "application/cap+xml");
        assert_eq!(r.body, a.xml.as_bytes());
    }
    let row = d.delivery(&key).expect("row").expect("exists");
    assert_eq!(row.attempts, 4);
    assert!(row.delivered_at_ms.is_some());
    let stats = d.stats();
    assert_eq!(stats.delivered[0], 1, "exactly one delivered webhook");
    assert_eq!(stats.retried[0], 3);
    // Backoff: the gap before attempt n is at most min(cap, base * 2^(n-1)) plus
    // scheduling slack (the lower bound of full jitter is 0, so only the upper bound
    // is checked; the property test checks the distribution's bounds).
    for w in received.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap < Duration::from_millis(400 + 1000), "gap {gap:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_is_a_permanent_failure_and_a_dead_receiver_expires() {
    let dir = tempfile::tempdir().expect("tempdir");
    let received = Arc::new(Mutex::new(Vec::new()));
    let gone_url = start_receiver(Receiver {
        secret: "k".into(),
        fail_status: StatusCode::GONE,
        fail_first: usize::MAX,
        received: received.clone(),
    })
    .await;
    // A port nobody listens on: connection refused, retried until expiry.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}/hook", dead.local_addr().expect("addr"));
    drop(dead);
    let config = DeliveryConfig {
        ttl: Duration::from_millis(800),
        ..fast_config()
    };
    let d = Delivery::open(&dir.path().join("keiho.db"), config).expect("open");
    let gone = d
        .add_webhook(&NewWebhook {
            url: gone_url,
            regions: vec![],
            secret: Some("k".into()),
        })
        .expect("subscribe");
    let dead = d
        .add_webhook(&NewWebhook {
            url: dead_url,
            regions: vec!["JP-47".into()],
            secret: None,
        })
        .expect("subscribe");
    assert_eq!(
        dead.secret.len(),
        64,
        "a generated secret is 32 random bytes, hex"
    );
    d.deliver_alert(&alert("urn:keiho:test:2", &["JP-47"]))
        .expect("queue");
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let workers = d.run_workers(shutdown);
    let gone_key = format!("urn:keiho:test:2:webhook:{}", gone.id);
    let dead_key = format!("urn:keiho:test:2:webhook:{}", dead.id);
    wait_for_state(&d, &gone_key, RowState::Failed, Duration::from_secs(10)).await;
    wait_for_state(&d, &dead_key, RowState::Expired, Duration::from_secs(10)).await;
    stop.send(true).expect("stop");
    workers.await.expect("workers");
    assert_eq!(
        received.lock().expect("lock").len(),
        1,
        "410 is not retried"
    );
    let dead_row = d.delivery(&dead_key).expect("row").expect("exists");
    assert!(
        dead_row.attempts >= 2,
        "retried before expiring: {dead_row:?}"
    );
    assert!(
        dead_row
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("transport")),
        "{dead_row:?}"
    );
    let stats = d.stats();
    assert_eq!(stats.failed[0], 1);
    assert!(stats.expired >= 1);
}
