//! MQTT end to end with real subscribers: against the broker named by
//! `KEIHO_TEST_MQTT` (CI runs Mosquitto at 127.0.0.1:1883), else against an embedded
//! `rumqttd` broker started here on a free port. Both paths run the same checks;
//! neither is ever skipped.

use keiho_deliver::{
    AlertForDelivery, Backoff, Delivery, DeliveryConfig, Headlines, MqttConfig, State as RowState,
};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The broker to use: `KEIHO_TEST_MQTT` or an embedded one.
fn broker() -> SocketAddr {
    if let Ok(addr) = std::env::var("KEIHO_TEST_MQTT") {
        return addr
            .parse()
            .unwrap_or_else(|e| panic!("KEIHO_TEST_MQTT={addr:?} is not host:port: {e}"));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let listen: SocketAddr = ([127, 0, 0, 1], port).into();
    let server = rumqttd::ServerSettings {
        name: "v4-test".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 5000,
            max_payload_size: 64 * 1024,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    let config = rumqttd::Config {
        id: 0,
        router: rumqttd::RouterConfig {
            max_connections: 100,
            max_outgoing_packet_count: 200,
            max_segment_size: 1024 * 1024,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
        v4: Some(HashMap::from([("1".to_owned(), server)])),
        ..Default::default()
    };
    std::thread::spawn(move || {
        let mut broker = rumqttd::Broker::new(config);
        if let Err(e) = broker.start() {
            eprintln!("embedded broker stopped: {e}");
        }
    });
    let start = Instant::now();
    while std::net::TcpStream::connect(listen).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "embedded broker did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    listen
}

fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos()
    )
}

/// A subscriber that collects (topic, retain flag, JSON) for `filters`.
async fn subscriber(
    addr: SocketAddr,
    id: &str,
    filters: &[String],
) -> tokio::sync::mpsc::UnboundedReceiver<(String, bool, serde_json::Value)> {
    let mut opts = MqttOptions::new(id, addr.ip().to_string(), addr.port());
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut eventloop) = AsyncClient::new(opts, 16);
    for f in filters {
        client
            .subscribe(f.clone(), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
    }
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
    let mut subscribed_tx = Some(subscribed_tx);
    let mut acks = 0;
    let want = filters.len();
    tokio::spawn(async move {
        let _client = client; // keep the connection open
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    acks += 1;
                    if acks == want
                        && let Some(t) = subscribed_tx.take()
                    {
                        let _ = t.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let json =
                        serde_json::from_slice(&p.payload).unwrap_or(serde_json::Value::Null);
                    if tx.send((p.topic.clone(), p.retain, json)).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("test subscriber: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), subscribed_rx)
        .await
        .expect("SUBACK in time")
        .expect("subscriber alive");
    rx
}

/// Wait for a message on `topic` whose `identifier` is `identifier`.
async fn next_for(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, bool, serde_json::Value)>,
    topic: &str,
    identifier: &str,
) -> (bool, serde_json::Value) {
    let wait = async {
        while let Some((t, retain, json)) = rx.recv().await {
            if t == topic && json["identifier"] == identifier {
                return (retain, json);
            }
        }
        panic!("subscriber stopped");
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("no message for {identifier} on {topic}"))
}

fn alert(identifier: &str, regions: &[&str], lifted: &[&str], stage: &str) -> AlertForDelivery {
    AlertForDelivery {
        identifier: identifier.to_owned(),
        event_id: "ev".into(),
        status: "Exercise".into(),
        msg_type: if lifted.is_empty() { "Alert" } else { "Update" }.into(),
        stage: stage.into(),
        regions: regions.iter().map(|s| s.to_string()).collect(),
        lifted: lifted.iter().map(|s| s.to_string()).collect(),
        xml: "<alert/>".into(),
        sent: "2026-05-01T10:00:00+09:00".into(),
        headlines: Headlines {
            ja: Some("ミサイル".into()),
            en: Some("Missile".into()),
        },
    }
}

async fn wait_delivered(d: &Delivery, key: &str) {
    let start = Instant::now();
    loop {
        let row = d.delivery(key).expect("row");
        if row.as_ref().is_some_and(|r| r.state == RowState::Delivered) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{key}: {row:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sirens_get_alerts_and_a_late_subscriber_gets_the_retained_state() {
    let addr = broker();
    let run = unique();
    let id1 = format!("urn:keiho:test:mqtt:{run}:1");
    let id2 = format!("urn:keiho:test:mqtt:{run}:2");
    let mut live = subscriber(
        addr,
        &format!("live-{run}"),
        &["keiho/alerts/JP-47".into(), "keiho/alerts/JP-46".into()],
    )
    .await;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut mqtt = MqttConfig::new(addr.ip().to_string(), addr.port());
    mqtt.client_id = format!("keiho-deliver-{run}");
    let config = DeliveryConfig {
        mqtt: Some(mqtt),
        poll_interval: Duration::from_millis(10),
        backoff: Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(500),
        },
        ..DeliveryConfig::default()
    };
    let d = Delivery::open(&dir.path().join("keiho.db"), config).expect("open");
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let workers = d.run_workers(shutdown);

    let q = d
        .deliver_alert(&alert(&id1, &["JP-47", "JP-46"], &[], "TakeShelter"))
        .expect("queue");
    assert_eq!(q.mqtt, 4, "alert and state for two regions");
    let (retain, m) = next_for(&mut live, "keiho/alerts/JP-47", &id1).await;
    assert!(!retain);
    assert_eq!(m["action"], "sound");
    assert_eq!(m["stage"], "TakeShelter");
    assert_eq!(m["msgType"], "Alert");
    assert_eq!(m["status"], "Exercise");
    assert_eq!(m["region"], "JP-47");
    assert_eq!(m["headline"]["en"], "Missile");
    assert_eq!(m["sent"], "2026-05-01T10:00:00+09:00");
    next_for(&mut live, "keiho/alerts/JP-46", &id1).await;
    for topic in ["keiho/state/JP-47", "keiho/state/JP-46"] {
        wait_delivered(&d, &format!("{id1}:mqtt:{topic}")).await;
    }

    // The call is lifted for Okinawa only.
    d.deliver_alert(&alert(&id2, &[], &["JP-47"], "AllClear"))
        .expect("queue");
    let (_, m) = next_for(&mut live, "keiho/alerts/JP-47", &id2).await;
    assert_eq!(m["action"], "stop");
    wait_delivered(&d, &format!("{id2}:mqtt:keiho/state/JP-47")).await;

    // A controller that connects now learns the state of each region.
    let mut late = subscriber(
        addr,
        &format!("late-{run}"),
        &["keiho/state/JP-47".into(), "keiho/state/JP-46".into()],
    )
    .await;
    let (retain, m) = next_for(&mut late, "keiho/state/JP-47", &id2).await;
    assert!(retain, "state is retained");
    assert_eq!(m["state"], "clear");
    let (retain, m) = next_for(&mut late, "keiho/state/JP-46", &id1).await;
    assert!(retain);
    assert_eq!(m["state"], "TakeShelter");

    stop.send(true).expect("stop");
    workers.await.expect("workers");
    let stats = d.stats();
    assert_eq!(
        stats.delivered[1], 6,
        "every MQTT message acknowledged by PUBACK"
    );
}
