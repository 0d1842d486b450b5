//! The HTTP API without a socket (`tower::ServiceExt::oneshot`): every endpoint, every
//! role, the error format, the two-person rule, signatures, resume and recovery.

#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt as _;
use keiho_server::{AppState, Clock, Role, ServerConfig, build_state, router};
use serde_json::{Value, json};
use std::sync::OnceLock;
use tower::ServiceExt as _;

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    tokens: std::collections::HashMap<&'static str, String>,
}

fn sohae() -> &'static keiho_sim::Simulation {
    static SIM: OnceLock<keiho_sim::Simulation> = OnceLock::new();
    SIM.get_or_init(|| {
        keiho_sim::simulate(
            &keiho_sim::Scenario::by_name("sohae-2023-08-24").unwrap(),
            1,
        )
        .unwrap()
    })
}

fn config(dir: &std::path::Path) -> ServerConfig {
    let sim = sohae();
    ServerConfig {
        data_dir: dir.to_owned(),
        // The whole flight is posted at once: allow reports up to an hour ahead.
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
    }
}

fn fixture_in(dir: tempfile::TempDir) -> Fixture {
    let start = sohae().reports[0].t;
    let state = build_state(config(dir.path()), Clock::scaled(start, 1.0)).unwrap();
    let mut tokens = std::collections::HashMap::new();
    {
        let mut db = state.db.lock().unwrap();
        for (name, role) in [
            ("sensor", Role::Sensor),
            ("operator", Role::Operator),
            ("operator2", Role::Operator),
            ("approver", Role::Approver),
            ("admin", Role::Admin),
            ("viewer", Role::Viewer),
        ] {
            let t = keiho_server::create_token(&mut db, name, role, Utc::now()).unwrap();
            tokens.insert(name, t.token);
        }
    }
    Fixture {
        _dir: dir,
        state,
        tokens,
    }
}

fn fixture() -> Fixture {
    fixture_in(tempfile::tempdir().unwrap())
}

impl Fixture {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, String, String) {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.tokens[t]));
        }
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        let response = router(self.state.clone())
            .oneshot(b.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let ct = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, ct, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn get(&self, uri: &str, token: Option<&str>) -> (StatusCode, String, String) {
        self.call("GET", uri, token, None, Body::empty()).await
    }

    async fn post_json(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, b) = self
            .call(
                "POST",
                uri,
                Some(token),
                Some("application/json"),
                body.to_string(),
            )
            .await;
        (s, serde_json::from_str(&b).unwrap_or(Value::Null))
    }

    /// Post the whole Sohae flight as JSON lines; returns the answer.
    async fn post_flight(&self) -> Value {
        let body: String = sohae()
            .reports
            .iter()
            .map(|r| r.to_json_line() + "\n")
            .collect();
        let (s, _, b) = self
            .call(
                "POST",
                "/v1/reports",
                Some("sensor"),
                Some("application/x-ndjson"),
                body,
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        serde_json::from_str(&b).unwrap()
    }

    async fn alerts(&self) -> Vec<Value> {
        let (s, _, b) = self.get("/v1/alerts", None).await;
        assert_eq!(s, StatusCode::OK);
        serde_json::from_str(&b).unwrap()
    }
}

fn assert_problem(
    status: StatusCode,
    content_type: &str,
    body: &str,
    expected: StatusCode,
) -> Value {
    assert_eq!(status, expected, "{body}");
    assert_eq!(content_type, "application/problem+json", "{body}");
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["status"], expected.as_u16());
    assert!(
        v["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_metrics_and_the_openapi_document() {
    let f = fixture();
    assert_eq!(f.get("/healthz", None).await.0, StatusCode::OK);
    assert_eq!(f.get("/readyz", None).await.0, StatusCode::OK);
    let (s, _, text) = f.get("/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/v1/reports",
        "/v1/events",
        "/v1/events/{id}",
        "/v1/alerts",
        "/v1/alerts/{identifier}/cancel",
        "/cap/alerts/{file}",
        "/cap/feed.atom",
        "/cap/signing-key.pem",
        "/v1/stream",
        "/v1/ws",
        "/v1/manual",
        "/v1/manual/{id}/approve",
        "/v1/manual/{id}/reject",
        "/v1/tokens",
        "/v1/tokens/{id}",
        "/v1/audit",
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    f.post_flight().await;
    let (_, ct, metrics) = f.get("/metrics", None).await;
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let accepted = metrics
        .lines()
        .find(|l| l.starts_with("keiho_reports_accepted_total"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<usize>().ok());
    assert_eq!(accepted, Some(sohae().reports.len()), "{metrics}");
    assert!(
        metrics.contains("keiho_alerts_issued_total{status=\"Exercise\",msg_type=\"Alert\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_needs_a_sensor_token_and_answers_per_report() {
    let f = fixture();
    let line = sohae().reports[0].to_json_line();
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            None,
            Some("application/json"),
            line.clone(),
        )
        .await;
    assert_problem(s, &ct, &b, StatusCode::UNAUTHORIZED);
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("viewer"),
            Some("application/json"),
            line.clone(),
        )
        .await;
    let p = assert_problem(s, &ct, &b, StatusCode::FORBIDDEN);
    assert!(p["detail"].as_str().unwrap().contains("sensor"), "{p}");
    let mut b = Request::builder()
        .method("POST")
        .uri("/v1/reports")
        .header(header::AUTHORIZATION, "Bearer keiho_000000000000_wrong");
    b = b.header(header::CONTENT_TYPE, "application/json");
    let r = router(f.state.clone())
        .oneshot(b.body(Body::from(line.clone())).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A batch with a good line, a bad line and a duplicate.
    let second = sohae().reports[1].to_json_line();
    let body = format!("{line}\n{{\"kind\":\"position\"}}\n{second}\n{line}\n");
    let (s, _, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("sensor"),
            Some("application/x-ndjson"),
            body,
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(2), Some(2)),
        "{v}"
    );
    let statuses: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["accepted", "rejected", "accepted", "rejected"],
        "{v}"
    );
    assert_eq!(v["results"][1]["line"], 2, "{v}");
    assert!(
        v["results"][3]["reason"]
            .as_str()
            .unwrap()
            .contains("duplicate"),
        "{v}"
    );

    // Nothing acceptable: 422 with the reason.
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("sensor"),
            Some("application/json"),
            "{\"t\": 5}",
        )
        .await;
    let p = assert_problem(s, &ct, &b, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p["detail"].as_str().unwrap().starts_with("line 1"), "{p}");
    // Wrong content type, empty body, too large a body.
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("sensor"),
            Some("application/xml"),
            line.clone(),
        )
        .await;
    assert_problem(s, &ct, &b, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("sensor"),
            Some("application/x-ndjson"),
            "\n",
        )
        .await;
    assert_problem(s, &ct, &b, StatusCode::UNPROCESSABLE_ENTITY);
    let huge = "x".repeat(5 << 20);
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("sensor"),
            Some("application/x-ndjson"),
            huge,
        )
        .await;
    assert_problem(s, &ct, &b, StatusCode::PAYLOAD_TOO_LARGE);
    // A TDM without site positions: rejected with the reason, nothing accepted.
    let tdm = "CCSDS_TDM_VERS = 2.0\nCREATION_DATE = 2023-08-23T18:50:00\nORIGINATOR = TEST\nMETA_START\nTIME_SYSTEM = UTC\nPARTICIPANT_1 = R1\nPARTICIPANT_2 = OBJ\nMODE = SEQUENTIAL\nPATH = 1,2,1\nANGLE_TYPE = AZEL\nMETA_STOP\nDATA_START\nANGLE_1 = 2023-08-23T18:50:30 10.0\nDATA_STOP\n";
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/reports",
            Some("sensor"),
            Some("text/plain"),
            tdm,
        )
        .await;
    assert_problem(s, &ct, &b, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_are_problem_documents() {
    let f = fixture();
    let (s, ct, b) = f.get("/v2/nothing", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);
    let (s, ct, b) = f
        .call("DELETE", "/v1/alerts", None, None, Body::empty())
        .await;
    assert_problem(s, &ct, &b, StatusCode::METHOD_NOT_ALLOWED);
    let (s, ct, b) = f.get("/v1/events/E99", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);
    let (s, ct, b) = f.get("/cap/alerts/nothing.xml", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flight_alerts_okinawa_with_signed_cap_an_event_document_and_a_feed() {
    let f = fixture();
    let answer = f.post_flight().await;
    let issued: Vec<&str> = answer["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let alerts = f.alerts().await;
    assert!(!alerts.is_empty());
    assert_eq!(
        issued.len(),
        alerts.len(),
        "every alert issued while posting is acknowledged"
    );
    let first = &alerts[0];
    assert_eq!(first["stage"], "TakeShelter");
    assert_eq!(first["status"], "Exercise");
    assert!(
        first["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "JP-47"),
        "{first}"
    );

    // The CAP message as issued, signed with the deployment's key.
    let (s, ct, xml) = f.get(first["cap_url"].as_str().unwrap(), None).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/cap+xml"));
    let (_, _, pem) = f.get("/cap/signing-key.pem", None).await;
    keiho_sign::verify_cap(&xml, &pem).unwrap();
    assert!(
        keiho_sign::verify_cap(&xml.replace("JP-47", "JP-46"), &pem).is_err(),
        "tampering shows"
    );
    assert!(keiho_alert::cap::validate(&xml).is_empty());

    // The event: tracks, the latest prediction as GeoJSON, notes and its alerts.
    let (s, _, b) = f
        .get(
            &format!("/v1/events/{}", first["event_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let event: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(event["prediction"]["type"], "FeatureCollection");
    let kinds: Vec<&str> = event["prediction"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"track") && kinds.contains(&"position"),
        "{kinds:?}"
    );
    assert!(!event["notes"].as_array().unwrap().is_empty());
    assert_eq!(event["alerts"].as_array().unwrap().len(), alerts.len());
    let (_, _, list) = f.get("/v1/events", None).await;
    assert!(list.contains(first["event_id"].as_str().unwrap()));
    // Its after-action page, public.
    let (s, ct, page) = f
        .get(
            &format!("/events/{}/report", first["event_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(
        page.contains("<svg") && page.contains(first["identifier"].as_str().unwrap()),
        "the page shows figures and the messages"
    );
    let (s, ct, b) = f.get("/events/E99/report", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);

    // The Atom feed: the newest message of the incident, linking to its CAP.
    let (s, ct, atom) = f.get("/cap/feed.atom?all=1", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("application/atom+xml"));
    assert_eq!(atom.matches("<entry>").count(), alerts.len(), "{atom}");
    assert!(atom.contains("type=\"application/cap+xml\""));
    assert!(
        atom.contains("[EXERCISE]"),
        "Exercise is visibly different: {atom}"
    );
    let (_, _, current) = f.get("/cap/feed.atom", None).await;
    assert_eq!(
        current.matches("<entry>").count(),
        1,
        "one incident, its newest message: {current}"
    );
}

/// Read SSE frames from a response body until `n` events or a timeout.
async fn sse_events(body: Body, n: usize) -> Vec<(i64, Value)> {
    let mut body = body;
    let mut buffer = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while out.len() < n {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await;
        let Ok(Some(Ok(frame))) = frame else { break };
        if let Ok(data) = frame.into_data() {
            buffer.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let id = block
                .lines()
                .find_map(|l| l.strip_prefix("id:"))
                .map(|v| v.trim().parse::<i64>().unwrap());
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data:"))
                .map(|v| serde_json::from_str::<Value>(v.trim()).unwrap());
            if let (Some(id), Some(data)) = (id, data) {
                out.push((id, data));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_resumes_after_last_event_id_and_carries_live_alerts() {
    let f = fixture();
    f.post_flight().await;
    let alerts = f.alerts().await;
    assert!(alerts.len() >= 2, "{alerts:?}");
    // Resume after the first: the rest from the log, in order.
    let r = router(f.state.clone())
        .oneshot(
            Request::get("/v1/stream")
                .header("Last-Event-ID", "1")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
    let got = sse_events(r.into_body(), alerts.len() - 1).await;
    let ids: Vec<i64> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (2..=alerts.len() as i64).collect::<Vec<_>>());
    assert_eq!(got[0].1["identifier"], alerts[1]["identifier"]);
    assert!(got[0].1["xml"].as_str().unwrap().contains("<Signature"));
    // A live alert reaches a client that has caught up.
    let r = router(f.state.clone())
        .oneshot(
            Request::get(format!("/v1/stream?after={}", alerts.len()))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let reader = tokio::spawn(sse_events(r.into_body(), 1));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (s, v) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "test", "regions": ["JP-13"], "cause": "stream test"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let live = reader.await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].1["identifier"], v["alert"]["identifier"]);
    assert_eq!(live[0].1["status"], "Test");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actual_manual_alert_needs_a_second_different_person() {
    let f = fixture();
    let request = json!({"status": "actual", "regions": ["JP-47", "JP-46"], "cause": "launch reported by phone"});
    // Roles: a viewer or a sensor cannot draft.
    for who in ["viewer", "sensor"] {
        let (s, _, _) = f
            .call(
                "POST",
                "/v1/manual",
                Some(who),
                Some("application/json"),
                request.to_string(),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}");
    }
    let (s, v) = f.post_json("/v1/manual", "operator", request.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["state"], "pending");
    let id = v["draft_id"].as_i64().unwrap();
    assert!(
        f.alerts().await.is_empty(),
        "nothing goes out before approval"
    );
    // Another operator is not an approver.
    let (s, _, _) = f
        .call(
            "POST",
            &format!("/v1/manual/{id}/approve"),
            Some("operator2"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // An admin drafting cannot approve their own draft.
    let (s, own) = f.post_json("/v1/manual", "admin", request.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, ct, b) = f
        .call(
            "POST",
            &format!("/v1/manual/{}/approve", own["draft_id"]),
            Some("admin"),
            None,
            Body::empty(),
        )
        .await;
    let p = assert_problem(s, &ct, &b, StatusCode::FORBIDDEN);
    assert!(
        p["detail"].as_str().unwrap().contains("second person"),
        "{p}"
    );
    // The approver: issued, Actual.
    let (s, _, b) = f
        .call(
            "POST",
            &format!("/v1/manual/{id}/approve"),
            Some("approver"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["alert"]["status"], "Actual");
    assert_eq!(v["alert"]["msg_type"], "Alert");
    // Twice: conflict.
    let (s, _, _) = f
        .call(
            "POST",
            &format!("/v1/manual/{id}/approve"),
            Some("approver"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Rejecting the admin's own draft.
    let (s, _, _) = f
        .call(
            "POST",
            &format!("/v1/manual/{}/reject", own["draft_id"]),
            Some("approver"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Withdrawn in one action by one operator: a Cancel referencing it.
    let identifier = v["alert"]["identifier"].as_str().unwrap();
    let (s, c) = f
        .post_json(
            &format!("/v1/alerts/{identifier}/cancel"),
            "operator2",
            json!({"cause": "false alarm"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["msg_type"], "Cancel");
    assert!(c["references"].as_str().unwrap().contains(identifier));
    assert_eq!(c["lifted"], json!(["JP-47", "JP-46"]));
    let (s, _) = f
        .post_json(
            &format!("/v1/alerts/{identifier}/cancel"),
            "operator",
            json!({"cause": "again"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Drafts list and the audit log with an intact chain.
    let (s, _, b) = f.get("/v1/manual", Some("viewer")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&b)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (s, _, _) = f.get("/v1/audit", Some("operator")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, b) = f.get("/v1/audit", Some("admin")).await;
    assert_eq!(s, StatusCode::OK);
    let audit: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(audit["intact"], true);
    let actions: Vec<&str> = audit["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for a in [
        "draft.create",
        "draft.self_approval_refused",
        "alert.issue",
        "draft.reject",
        "alert.cancel",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_withdraws_an_automatic_event_and_bad_requests_are_explained() {
    let f = fixture();
    f.post_flight().await;
    let first = f.alerts().await[0]["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, c) = f
        .post_json(
            &format!("/v1/alerts/{first}/cancel"),
            "operator",
            json!({"cause": "test of the cancel path"}),
        )
        .await;
    // The event may already be over (all clear): then the cancel is refused clearly.
    if s == StatusCode::CREATED {
        assert_eq!(c["msg_type"], "Cancel");
    } else {
        assert_eq!(s, StatusCode::CONFLICT, "{c}");
        assert!(c["detail"].as_str().unwrap().contains("closed"), "{c}");
    }
    let (s, p) = f
        .post_json("/v1/alerts/nope/cancel", "operator", json!({"cause": "x"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, p) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "actual", "regions": ["XX-99"], "cause": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(p["detail"].as_str().unwrap().contains("XX-99"), "{p}");
    let (s, p) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "real", "regions": ["JP-47"], "cause": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/manual",
            Some("operator"),
            Some("application/json"),
            "{\"status\": ",
        )
        .await;
    let p = assert_problem(s, &ct, &b, StatusCode::BAD_REQUEST);
    assert!(p["detail"].as_str().unwrap().contains("line 1"), "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_created_listed_without_secrets_and_revoked() {
    let f = fixture();
    let (s, v) = f
        .post_json(
            "/v1/tokens",
            "operator",
            json!({"name": "x", "role": "sensor"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = f
        .post_json(
            "/v1/tokens",
            "admin",
            json!({"name": "radar 2", "role": "sensor"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    let id = v["id"].as_str().unwrap().to_owned();
    let (_, _, list) = f.get("/v1/tokens", Some("admin")).await;
    assert!(
        list.contains("radar 2") && !list.contains("argon2") && !list.contains(&token[18..]),
        "{list}"
    );
    let use_token = |t: String| {
        let state = f.state.clone();
        async move {
            router(state)
                .oneshot(
                    Request::post("/v1/reports")
                        .header(header::AUTHORIZATION, format!("Bearer {t}"))
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(sohae().reports[0].to_json_line()))
                        .unwrap(),
                )
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(use_token(token.clone()).await, StatusCode::ACCEPTED);
    let (s, _, _) = f
        .call(
            "DELETE",
            &format!("/v1/tokens/{id}"),
            Some("admin"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        use_token(token).await,
        StatusCode::UNAUTHORIZED,
        "a revoked token is refused at once"
    );
    let (s, _, _) = f
        .call(
            "DELETE",
            &format!("/v1/tokens/{id}"),
            Some("admin"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_rebuilds_the_event_from_the_inbox_and_issues_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let f = fixture_in(dir);
    f.post_flight().await;
    let before = f.alerts().await;
    let (_, _, event_before) = f.get("/v1/events", None).await;
    let Fixture {
        _dir,
        state,
        tokens: _,
    } = f;
    drop(state);
    // The engine thread ends when its last handle is gone; give it a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let start: DateTime<Utc> = sohae().reports.last().unwrap().t;
    let state = build_state(config(&path), Clock::scaled(start, 1.0)).unwrap();
    let f2 = Fixture {
        _dir,
        state,
        tokens: Default::default(),
    };
    let after = f2.alerts().await;
    assert_eq!(after.len(), before.len(), "no alert issued twice or lost");
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(a["identifier"], b["identifier"]);
        assert_eq!(a["sent"], b["sent"], "kept exactly as it went out");
    }
    let (_, _, event_after) = f2.get("/v1/events", None).await;
    assert_eq!(
        event_before, event_after,
        "the event is derived again the same"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn element_sets_in_and_passes_over_okinawa_out() {
    let f = fixture();
    let tle = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/tle/malligyong-1_norad58400_2024-06.tle"
    ))
    .unwrap();
    let (s, _, b) = f
        .call(
            "POST",
            "/v1/elements",
            Some("operator"),
            Some("text/plain"),
            tle.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(v["added"].as_u64().unwrap() >= 1, "{v}");
    // A corrupted checksum is refused with the line.
    let bad = tle.replacen("1 58400U", "1 58401U", 1);
    let (s, ct, b) = f
        .call(
            "POST",
            "/v1/elements",
            Some("operator"),
            Some("text/plain"),
            bad,
        )
        .await;
    assert_problem(s, &ct, &b, StatusCode::BAD_REQUEST);
    let (s, _, b) = f
        .get(
            "/v1/passes?norad=58400&region=JP-47&from=2024-06-15T00:00:00Z&days=7&half_angle=30",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert!(
        b.contains("JP-47"),
        "a 30-degree footprint from a 500 km sun-synchronous orbit covers Okinawa within a week: {v}"
    );
    let (s, _, b) = f
        .get(
            "/v1/passes?norad=58400&lat=26.2&lon=127.7&from=2024-06-15T00:00:00Z&days=1",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, ct, b) = f.get("/v1/passes?norad=1&region=JP-47", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);

    // The catalogue, and the ground track the dashboard draws: over a sub-satellite
    // pass of Hokkaido, the middle of the track lies over Hokkaido (its box: 41.3-45.6
    // N, 139.3-148.9 E, with a 0.5 deg margin), so the map shows the pass where the
    // pass search found it.
    let (s, _, b) = f.get("/v1/objects", None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let v: Value = serde_json::from_str(&b).unwrap();
    assert_eq!(v["objects"][0]["norad_id"], 58400, "{v}");
    assert_eq!(v["objects"][0]["name"], "MALLIGYONG-1", "{v}");
    let (s, _, b) = f
        .get(
            "/v1/passes?norad=58400&region=JP-01&from=2024-06-10T00:00:00Z&days=7",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let passes: Value = serde_json::from_str(&b).unwrap();
    let pass = &passes["passes"][0];
    let (start, end) = (
        pass["start"].as_str().unwrap(),
        pass["end"].as_str().unwrap(),
    );
    let start_t = chrono::DateTime::parse_from_rfc3339(start).unwrap();
    let end_t = chrono::DateTime::parse_from_rfc3339(end).unwrap();
    let minutes = (end_t - start_t).num_milliseconds() as f64 / 60_000.0;
    let (s, _, b) = f
        .get(
            &format!(
                "/v1/objects/58400/track?from={}&minutes={minutes}&step_s=1",
                start.replace('+', "%2B")
            ),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let track: Value = serde_json::from_str(&b).unwrap();
    let points = track["points"].as_array().unwrap();
    assert!(points.len() >= 2, "{track}");
    let mid = &points[points.len() / 2];
    let (lat, lon) = (
        mid["lat_deg"].as_f64().unwrap(),
        mid["lon_deg"].as_f64().unwrap(),
    );
    assert!(
        (40.8..=46.1).contains(&lat) && (138.8..=149.4).contains(&lon),
        "middle of the pass at {lat:.2}, {lon:.2}: not over Hokkaido ({pass})"
    );
    let (s, ct, b) = f.get("/v1/objects/58400/track?minutes=5000", None).await;
    assert_problem(s, &ct, &b, StatusCode::BAD_REQUEST);
    let (s, ct, b) = f.get("/v1/objects/58400/track?step_s=0", None).await;
    assert_problem(s, &ct, &b, StatusCode::BAD_REQUEST);
    let (s, ct, b) = f.get("/v1/objects/abc/track", None).await;
    assert_problem(s, &ct, &b, StatusCode::BAD_REQUEST);
    let (s, ct, b) = f.get("/v1/objects/1/track", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);
    let (s, ct, b) = f
        .get("/v1/passes?norad=58400&region=JP-47&days=400", None)
        .await;
    assert_problem(s, &ct, &b, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_and_subscribers_keep_only_what_they_should() {
    let f = fixture();
    let (s, v) = f
        .post_json(
            "/v1/webhooks",
            "operator",
            json!({"url": "http://127.0.0.1:9/hook", "regions": ["JP-47"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(
        v["secret"].as_str().is_some_and(|s| s.len() >= 16),
        "a secret is generated and shown once: {v}"
    );
    let (_, _, list) = f.get("/v1/webhooks", Some("viewer")).await;
    assert!(
        list.contains("127.0.0.1:9") && !list.contains(v["secret"].as_str().unwrap()),
        "{list}"
    );
    let (s, p) = f
        .post_json("/v1/webhooks", "operator", json!({"url": "ftp://x"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    // Naha, not precise: only the region and a 0.1-degree cell are kept.
    let (s, v) = f
        .post_json(
            "/v1/subscribers",
            "viewer",
            json!({"push_token": "device-1", "lat": 26.2124, "lon": 127.6809}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["region"], "JP-47");
    assert_eq!(v["precise_location"], Value::Null);
    let cell = (
        v["cell"]["lat"].as_f64().unwrap(),
        v["cell"]["lon"].as_f64().unwrap(),
    );
    assert!(
        (cell.0 - 26.2).abs() < 0.11 && (cell.1 - 127.6).abs() < 0.11,
        "{v}"
    );
    let id = v["id"].as_u64().unwrap();
    let (s, _, b) = f
        .get(&format!("/v1/subscribers/{id}"), Some("viewer"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !b.contains("26.2124"),
        "the precise location is not stored: {b}"
    );
    let (s, v) = f
        .post_json(
            "/v1/subscribers",
            "viewer",
            json!({"push_token": "device-2", "lat": 126.0, "lon": 127.0}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, _, _) = f
        .call(
            "DELETE",
            &format!("/v1/subscribers/{id}"),
            Some("viewer"),
            None,
            Body::empty(),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = f
        .call(
            "POST",
            "/v1/subscribers",
            None,
            Some("application/json"),
            "{}",
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// The `data:` of the first `n` `event: live` blocks of a stream.
async fn live_pictures(body: Body, n: usize) -> Vec<Value> {
    let mut body = body;
    let mut buffer = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while out.len() < n {
        let frame = tokio::time::timeout_at(deadline, body.frame()).await;
        let Ok(Some(Ok(frame))) = frame else { break };
        if let Ok(data) = frame.into_data() {
            buffer.push_str(&String::from_utf8_lossy(&data));
        }
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: live") {
                let data = block.lines().find_map(|l| l.strip_prefix("data:")).unwrap();
                out.push(serde_json::from_str::<Value>(data.trim()).unwrap());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_its_assets_map_and_live_pictures_are_served() {
    let f = fixture();
    let (s, ct, page) = f.get("/", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct, "text/html; charset=utf-8");
    assert!(page.contains("/assets/app.js"), "{page}");
    for (file, ct_want, needle) in [
        (
            "app.js",
            "text/javascript; charset=utf-8",
            "EventSource(\"/v1/live\")",
        ),
        (
            "map.js",
            "text/javascript; charset=utf-8",
            "export class WarningMap",
        ),
        ("i18n.js", "text/javascript; charset=utf-8", "警報"),
        (
            "orbit.js",
            "text/javascript; charset=utf-8",
            "export class OrbitWatch",
        ),
        ("app.css", "text/css; charset=utf-8", "--impact"),
    ] {
        let (s, ct, body) = f.get(&format!("/assets/{file}"), None).await;
        assert_eq!((s, ct.as_str()), (StatusCode::OK, ct_want), "{file}");
        assert!(body.contains(needle), "{file} lacks {needle:?}");
    }
    let (s, ct, body) = f.get("/favicon.ico", None).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(body.starts_with("<svg"), "{body}");
    let (s, ct, body) = f.get("/assets/../Cargo.toml", None).await;
    assert_ne!(s, StatusCode::OK, "{ct} {body}");
    let (s, ct, body) = f.get("/assets/secret.js", None).await;
    assert_problem(s, &ct, &body, StatusCode::NOT_FOUND);

    // The map: every Japanese prefecture, simplified, with its names.
    let (s, ct, body) = f.get("/v1/map/regions", None).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/geo+json"));
    let map: Value = serde_json::from_str(&body).unwrap();
    let features = map["features"].as_array().unwrap();
    let okinawa = features
        .iter()
        .find(|f| f["properties"]["code"] == "JP-47")
        .unwrap();
    assert_eq!(okinawa["properties"]["name_ja"], "沖縄県");
    assert_eq!(okinawa["geometry"]["type"], "MultiPolygon");
    let japan = features
        .iter()
        .filter(|f| f["properties"]["country"] == "JP")
        .count();
    assert_eq!(japan, 47);

    // Live pictures: a viewer arriving after the flight gets its latest picture.
    f.post_flight().await;
    let r = router(f.state.clone())
        .oneshot(Request::get("/v1/live").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
    let pictures = live_pictures(r.into_body(), 1).await;
    assert_eq!(pictures.len(), 1, "one event, one picture");
    let p = &pictures[0];
    let events: Value = serde_json::from_str(&f.get("/v1/events", None).await.2).unwrap();
    assert_eq!(p["event"], events[0]["id"]);
    assert!(p["reports"].as_u64().unwrap() > 100, "{p}");
    let objects = p["objects"].as_array().unwrap();
    assert!(!objects.is_empty());
    for o in objects {
        let [lon, lat] = [
            o["position"][0].as_f64().unwrap(),
            o["position"][1].as_f64().unwrap(),
        ];
        // Somewhere between Sohae and the Philippine Sea, never a default 0, 0.
        assert!(
            (115.0..140.0).contains(&lon) && (10.0..42.0).contains(&lat),
            "{o}"
        );
    }

    // Delivery counts per message: known messages answer, unknown ones are 404.
    let alerts = f.alerts().await;
    let id = alerts[0]["identifier"].as_str().unwrap();
    let (s, _, body) = f.get(&format!("/v1/alerts/{id}/deliveries"), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let counts: Value = serde_json::from_str(&body).unwrap();
    assert!(counts["webhook"]["delivered"].is_u64(), "{counts}");
    assert!(counts["push_sent"].is_u64(), "{counts}");
    let (s, ct, body) = f.get("/v1/alerts/nope/deliveries", None).await;
    assert_problem(s, &ct, &body, StatusCode::NOT_FOUND);

    // Who am I: the dashboard offers the actions the role allows.
    let (s, _, body) = f.get("/v1/whoami", Some("approver")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["role"],
        "approver"
    );
    let (s, ct, body) = f.get("/v1/whoami", None).await;
    assert_problem(s, &ct, &body, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_message_is_corrected_in_one_action_under_the_same_rules() {
    let f = fixture();
    let (s, first) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "exercise", "regions": ["JP-47"], "cause": "drill"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let first_id = first["alert"]["identifier"].as_str().unwrap().to_owned();
    // Okinawa was wrong: Kagoshima instead.
    let (s, fixed) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "exercise", "regions": ["JP-46"], "cause": "wrong prefecture", "corrects": first_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{fixed}");
    let a = &fixed["alert"];
    assert_eq!(a["event_id"], first["alert"]["event_id"], "same incident");
    assert_eq!(a["msg_type"], "Update");
    assert_eq!(a["sequence"], 2);
    assert_eq!(a["regions"], json!(["JP-46"]));
    assert_eq!(a["lifted"], json!(["JP-47"]));
    assert!(a["references"].as_str().unwrap().contains(&first_id), "{a}");
    // The status is kept: an Exercise is not corrected into an Actual.
    let (s, v) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "test", "regions": ["JP-46"], "cause": "x", "corrects": first_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("keeps its status"),
        "{v}"
    );
    // Automatic alerts follow the prediction: they are withdrawn, not hand-edited.
    f.post_flight().await;
    let automatic = f
        .alerts()
        .await
        .into_iter()
        .find(|a| !a["event_id"].as_str().unwrap().starts_with("manual-"))
        .unwrap();
    let (s, v) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "exercise", "regions": ["JP-46"], "cause": "x", "corrects": automatic["identifier"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .contains("not a manual message"),
        "{v}"
    );
    // After a withdrawal there is nothing left to correct.
    let (s, v) = f
        .post_json(
            &format!("/v1/alerts/{first_id}/cancel"),
            "operator",
            json!({"cause": "drill over"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = f
        .post_json(
            "/v1/manual",
            "operator",
            json!({"status": "exercise", "regions": ["JP-46"], "cause": "x", "corrects": first_id}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_event_page_speaks_the_browsers_language() {
    let f = fixture();
    f.post_flight().await;
    let events: Value = serde_json::from_str(&f.get("/v1/events", None).await.2).unwrap();
    let id = events[0]["id"].as_str().unwrap().to_owned();
    let page = |uri: String, accept: Option<&'static str>| {
        let state = f.state.clone();
        async move {
            let mut b = Request::builder().uri(uri);
            if let Some(a) = accept {
                b = b.header(header::ACCEPT_LANGUAGE, a);
            }
            let r = router(state)
                .oneshot(b.body(Body::empty()).unwrap())
                .await
                .unwrap();
            let headers = r.headers().clone();
            let bytes = r.into_body().collect().await.unwrap().to_bytes();
            (headers, String::from_utf8(bytes.to_vec()).unwrap())
        }
    };
    // No token needed; the browser's language decides, the query overrides it.
    let (h, body) = page(format!("/events/{id}"), Some("ja-JP,ja;q=0.9,en;q=0.8")).await;
    assert_eq!(h[header::CONTENT_LANGUAGE], "ja");
    assert_eq!(h[header::VARY], "Accept-Language");
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(
        body.contains("<html lang=\"ja\">") && body.contains("沖縄県"),
        "{body}"
    );
    assert!(body.contains("訓練"), "the exercise is marked");
    let (h, body) = page(format!("/events/{id}?lang=en"), Some("ja")).await;
    assert_eq!(h[header::CONTENT_LANGUAGE], "en");
    assert!(body.contains("Okinawa Prefecture was told to take shelter"));
    // Links work on the server: the other languages and each CAP message.
    assert!(body.contains(&format!("href=\"/events/{id}?lang=ko\"")));
    let cap = body
        .split("href=\"/cap/alerts/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let (s, ct, _) = f.get(&format!("/cap/alerts/{cap}"), None).await;
    assert_eq!(s, StatusCode::OK, "{cap}");
    assert!(ct.contains("cap+xml") || ct.contains("xml"), "{ct}");
    let (h, _) = page(format!("/events/{id}"), Some("ko-KR")).await;
    assert_eq!(h[header::CONTENT_LANGUAGE], "ko");
    let (h, _) = page(format!("/events/{id}"), None).await;
    assert_eq!(h[header::CONTENT_LANGUAGE], "en");
    let (s, ct, b) = f.get("/events/nope", None).await;
    assert_problem(s, &ct, &b, StatusCode::NOT_FOUND);
    let (_, _, doc) = f.get("/openapi.json", None).await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    assert!(doc["paths"]["/events/{id}"]["get"].is_object());
    assert!(doc["paths"]["/v1/objects/{norad}/track"]["get"].is_object());
}
