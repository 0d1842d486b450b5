//! Push fan-out end to end: subscribers matched by region, every one in the alerted
//! regions gets exactly one message through the `PushSender`, a device that fails
//! is retried through the outbox, and nobody outside the regions is told.

use keiho_deliver::{
    AlertForDelivery, Backoff, Delivery, DeliveryConfig, Headlines, MemoryPushSender,
    NewSubscriber, State as RowState,
};
use keiho_types::GeoPoint;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscriber_in_the_alerted_regions_gets_one_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let push = Arc::new(MemoryPushSender::default());
    let config = DeliveryConfig {
        push_batch: 7, // several batches and cursor steps
        poll_interval: Duration::from_millis(10),
        backoff: Backoff {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(100),
        },
        ..DeliveryConfig::default()
    };
    let d =
        Delivery::open_with_push(&dir.path().join("keiho.db"), config, push.clone()).expect("open");
    let naha = GeoPoint::new(26.2124, 127.6809).expect("point"); // JP-47
    let kagoshima = GeoPoint::new(31.5966, 130.5571).expect("point"); // JP-46
    let tokyo = GeoPoint::new(35.6895, 139.6917).expect("point"); // JP-13
    let sea = GeoPoint::new(30.0, 140.0).expect("point"); // no region
    let mut new = Vec::new();
    for i in 0..50 {
        let location = [naha, kagoshima, tokyo, sea][i % 4];
        new.push(NewSubscriber {
            push_token: format!("token-{i}"),
            location,
            precise: false,
        });
    }
    let subs = d.register_subscribers(&new).expect("register");
    assert_eq!(subs[3].region, None, "at sea: stored, never matched");
    let okinawa: Vec<u32> = subs
        .iter()
        .filter(|s| s.region.as_deref() == Some("JP-47"))
        .map(|s| s.id)
        .collect();
    let kagoshima_ids: Vec<u32> = subs
        .iter()
        .filter(|s| s.region.as_deref() == Some("JP-46"))
        .map(|s| s.id)
        .collect();
    // One Okinawa device fails twice, then accepts.
    push.fail_times.lock().expect("lock").insert(okinawa[0], 2);
    // One leaves before the alert.
    assert!(
        d.unregister_subscriber(kagoshima_ids[0])
            .expect("unregister")
    );

    let alert = AlertForDelivery {
        identifier: "urn:keiho:test:push:1".into(),
        event_id: "ev".into(),
        status: "Exercise".into(),
        msg_type: "Alert".into(),
        stage: "TakeShelter".into(),
        regions: vec!["JP-47".into()],
        lifted: vec!["JP-46".into()],
        xml: "<alert/>".into(),
        sent: "2026-05-01T10:00:00+09:00".into(),
        headlines: Headlines::default(),
    };
    let q = d.deliver_alert(&alert).expect("queue");
    assert_eq!(q.push_jobs, 2);
    assert_eq!(q.subscribers, okinawa.len() + kagoshima_ids.len() - 1);
    assert_eq!(q.mqtt, 0, "MQTT not configured");

    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let workers = d.run_workers(shutdown);
    let retry_key = format!("urn:keiho:test:push:1:push:{}", okinawa[0]);
    let start = Instant::now();
    loop {
        let (jobs, done, _) = d.fanout_progress(&alert.identifier).expect("progress");
        let retried = d
            .delivery(&retry_key)
            .expect("row")
            .is_some_and(|r| r.state == RowState::Delivered);
        if jobs == 2 && done == 2 && retried {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "fan-out did not finish"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(true).expect("stop");
    workers.await.expect("workers");

    let sent = push.sent.lock().expect("lock").clone();
    let mut got: Vec<u32> = sent.iter().map(|m| m.subscriber).collect();
    got.sort_unstable();
    let mut want: Vec<u32> = okinawa.iter().chain(&kagoshima_ids[1..]).copied().collect();
    want.sort_unstable();
    assert_eq!(
        got, want,
        "each matched subscriber exactly once, nobody else"
    );
    let m = sent
        .iter()
        .find(|m| m.subscriber == kagoshima_ids[1])
        .expect("sent");
    let json: serde_json::Value = serde_json::from_slice(&m.payload).expect("json");
    assert_eq!(json["action"], "stop", "lifted region told to stop");
    assert_eq!(
        m.idempotency_key,
        format!("urn:keiho:test:push:1:push:{}", kagoshima_ids[1])
    );
    let row = d.delivery(&retry_key).expect("row").expect("exists");
    assert_eq!(
        row.attempts, 2,
        "failed in the fan-out, once more in the outbox, then sent"
    );
}
