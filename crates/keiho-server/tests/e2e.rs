//! End to end over real sockets: the service on 127.0.0.1, a sensor posting the Sohae
//! flight over HTTP, a real Server-Sent Events client reading the stream, and a real
//! webhook receiver checking each delivery's HMAC signature. The feed and every CAP
//! message are written to `target/feed/` for CI's third-party clients (Python
//! `feedparser` and `capparselib`).

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use chrono::Duration;
use keiho_server::{Clock, Role, ServerConfig};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};

/// Reads `event: alert` frames from a real SSE connection.
async fn sse_client(addr: std::net::SocketAddr, want: usize) -> Vec<(i64, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET /v1/stream HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut lines = BufReader::new(stream).lines();
    let mut out = Vec::new();
    let mut id = None;
    while out.len() < want {
        let Ok(Ok(Some(line))) =
            tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line()).await
        else {
            break;
        };
        // Chunked transfer: size lines are interleaved; SSE fields are what matter.
        if let Some(v) = line
            .strip_prefix("id: ")
            .or_else(|| line.strip_prefix("id:"))
        {
            id = v.trim().parse::<i64>().ok();
        } else if let Some(v) = line
            .strip_prefix("data: ")
            .or_else(|| line.strip_prefix("data:"))
        {
            let json: serde_json::Value = serde_json::from_str(v).unwrap();
            out.push((id.unwrap(), json["identifier"].as_str().unwrap().to_owned()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sensors_post_a_flight_and_stream_clients_and_webhooks_receive_every_alert() {
    let sim = keiho_sim::simulate(
        &keiho_sim::Scenario::by_name("sohae-2023-08-24").unwrap(),
        1,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        future_tolerance_ms: 3_600_000,
        notices: vec![keiho_server::config::NoticeConfig {
            lat: 39.660,
            lon: 124.705,
            radius_km: 50.0,
            from: sim.launch - Duration::hours(1),
            to: sim.launch + Duration::hours(1),
            max_burn_s: 720.0,
        }],
        ..ServerConfig::default()
    };
    let running = keiho_server::start(config, Clock::scaled(sim.reports[0].t, 1.0))
        .await
        .unwrap();
    let addr = running.addr;
    let base = format!("http://{addr}");
    let (sensor, operator) = {
        let mut db = running.state.db.lock().unwrap();
        let now = chrono::Utc::now();
        (
            keiho_server::create_token(&mut db, "radar", Role::Sensor, now)
                .unwrap()
                .token,
            keiho_server::create_token(&mut db, "ops", Role::Operator, now)
                .unwrap()
                .token,
        )
    };

    // A webhook receiver that checks every signature and counts deliveries per key.
    let received: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let secret = "e2e-webhook-secret";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_addr = listener.local_addr().unwrap();
    let sink = received.clone();
    // The receiver's first request meets an outage (503): that delivery is retried
    // from the outbox, and the after-action report must list the retry and its cause.
    let outage = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let sink = sink.clone();
                let outage = outage.clone();
                async move {
                    if outage.swap(false, std::sync::atomic::Ordering::SeqCst) {
                        return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                    }
                    let signature = headers["keiho-signature"].to_str().unwrap();
                    keiho_deliver::verify_signature(
                        secret,
                        signature,
                        &body,
                        chrono::Utc::now().timestamp(),
                        std::time::Duration::from_secs(300),
                    )
                    .unwrap();
                    let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                    sink.lock()
                        .unwrap()
                        .push((key, String::from_utf8(body.to_vec()).unwrap()));
                    axum::http::StatusCode::OK
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let client = keiho_deliver::webhook::http_client(std::time::Duration::from_secs(60)).unwrap();
    let r = client
        .post(format!("{base}/v1/webhooks"))
        .bearer_auth(&operator)
        .header("content-type", "application/json")
        .body(serde_json::json!({"url": format!("http://{hook_addr}/hook"), "regions": ["JP-47"], "secret": secret}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // The SSE client connects before anything is issued.
    let sse = tokio::spawn(sse_client(addr, 3));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // Sensors post the flight a second of reports at a time.
    let mut issued = Vec::new();
    for batch in sim
        .reports
        .chunk_by(|a, b| a.t.timestamp() == b.t.timestamp())
    {
        let body: String = batch.iter().map(|r| r.to_json_line() + "\n").collect();
        let r = client
            .post(format!("{base}/v1/reports"))
            .bearer_auth(&sensor)
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
        let v: serde_json::Value = r.json().await.unwrap();
        issued.extend(
            v["issued"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_owned()),
        );
    }
    assert!(
        issued.len() >= 2,
        "take shelter and passed over: {issued:?}"
    );
    let streamed = sse.await.unwrap();
    let ids: Vec<&str> = streamed.iter().map(|(_, i)| i.as_str()).collect();
    assert_eq!(
        &ids[..issued.len().min(ids.len())],
        &issued[..issued.len().min(ids.len())],
        "the stream carries the alerts in order"
    );
    assert!(streamed.windows(2).all(|w| w[0].0 < w[1].0), "ids increase");

    // Every Okinawa message reaches the webhook exactly once per key, signed.
    let pem = client
        .get(format!("{base}/cap/signing-key.pem"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if received.lock().unwrap().len() >= issued.len() || tokio::time::Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let got = received.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        issued.len(),
        "one delivery per alert: {:?}",
        got.iter().map(|g| &g.0).collect::<Vec<_>>()
    );
    let keys: std::collections::BTreeSet<&String> = got.iter().map(|(k, _)| k).collect();
    assert_eq!(keys.len(), got.len(), "no key delivered twice");
    for (_, xml) in &got {
        keiho_sign::verify_cap(xml, &pem).unwrap();
    }

    // The after-action report lists the refused attempt, its cause and the retry.
    let events: serde_json::Value = client
        .get(format!("{base}/v1/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let event = events[0]["id"].as_str().unwrap();
    let report = client
        .get(format!("{base}/events/{event}/report"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("delivery retried"),
        "the retry is a finding"
    );
    assert!(report.contains("HTTP 503"), "with its cause as recorded");
    assert!(
        !report.contains("No delivery records"),
        "the service has records"
    );

    // The feed and the messages, for the third-party clients in CI.
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/feed");
    std::fs::create_dir_all(&out).unwrap();
    let atom = client
        .get(format!("{base}/cap/feed.atom?all=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    std::fs::write(out.join("feed.atom"), &atom).unwrap();
    for id in &issued {
        let r = client
            .get(format!("{base}/cap/alerts/{id}.xml"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-type"], "application/cap+xml");
        std::fs::write(out.join(format!("{id}.xml")), r.text().await.unwrap()).unwrap();
    }
    std::fs::write(out.join("expected.txt"), issued.join("\n")).unwrap();
    // The service's public key, for CI's independent check of its signatures (xmlsec1).
    std::fs::write(out.join("signing-key.pem"), &pem).unwrap();
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_rate_limit_gets_429_problem_documents() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_owned(),
        ..ServerConfig::default()
    };
    config.limits.per_second = 1;
    config.limits.burst = 3;
    let running = keiho_server::start(config, Clock::real()).await.unwrap();
    let client = keiho_deliver::webhook::http_client(std::time::Duration::from_secs(60)).unwrap();
    let mut statuses = Vec::new();
    let mut last_body = String::new();
    for _ in 0..8 {
        let r = client
            .get(format!("http://{}/v1/alerts", running.addr))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = r.text().await.unwrap();
        if statuses.last() == Some(&429) {
            assert_eq!(ct, "application/problem+json", "{body}");
            last_body = body;
        }
    }
    assert_eq!(
        &statuses[..3],
        &[200, 200, 200],
        "the burst passes: {statuses:?}"
    );
    assert!(
        statuses[3..].contains(&429),
        "then the limit holds: {statuses:?}"
    );
    assert!(last_body.contains("too many requests"), "{last_body}");
    running.stop().await.unwrap();
}
