//! Delivery benchmarks: 1,000,000 subscribers matched and queued for one alert (and,
//! for comparison, the alternative of one durable row per subscriber); webhook HMAC
//! signing; outbox enqueue and claim throughput. On-disk SQLite with
//! `synchronous = FULL`, as in production.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keiho_deliver::webhook::sign;
use keiho_deliver::{
    AlertForDelivery, Channel, Delivery, DeliveryConfig, Headlines, MqttConfig, NewDelivery,
    NewSubscriber, NewWebhook, Outbox, verify_signature,
};
use keiho_types::GeoPoint;
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 1_000_000;

/// Deterministic points around Naha, Kagoshima, Miyazaki and Kumamoto (±0.05°),
/// keeping only those on land in a region, so every subscriber is matched.
fn points(n: usize) -> Vec<GeoPoint> {
    let regions = keiho_geo::RegionSet::bundled().expect("regions");
    let centres = [
        (26.2124, 127.6809),
        (31.5966, 130.5571),
        (31.9111, 131.4239),
        (32.8031, 130.7079),
    ];
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let dlat = ((x & 0xffff) as f64 / 65535.0 - 0.5) * 0.1;
        let dlon = (((x >> 16) & 0xffff) as f64 / 65535.0 - 0.5) * 0.1;
        let (lat, lon) = centres[i % centres.len()];
        i += 1;
        let p = GeoPoint::new(lat + dlat, lon + dlon).expect("valid point");
        if regions.locate(p).is_some() {
            out.push(p);
        }
    }
    out
}

fn fanout(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = DeliveryConfig {
        mqtt: Some(MqttConfig::new("127.0.0.1", 1883)), // rows are queued, never sent here
        ..DeliveryConfig::default()
    };
    let d = Delivery::open(&dir.path().join("keiho.db"), config).expect("open");
    for i in 0..3 {
        d.add_webhook(&NewWebhook {
            url: format!("http://127.0.0.1:9/hook{i}"),
            regions: vec!["JP".into()],
            secret: Some("s".into()),
        })
        .expect("webhook");
    }
    let t = Instant::now();
    let new: Vec<NewSubscriber> = points(SUBSCRIBERS)
        .into_iter()
        .enumerate()
        .map(|(i, location)| NewSubscriber {
            push_token: format!("https://push.example.invalid/{i:016x}"),
            location,
            precise: false,
        })
        .collect();
    let subs = d.register_subscribers(&new).expect("register");
    eprintln!(
        "setup: registered {} subscribers in one transaction in {:.2?}",
        subs.len(),
        t.elapsed()
    );
    let regions: BTreeSet<String> = subs.iter().filter_map(|s| s.region.clone()).collect();
    let matched: usize = subs.iter().filter(|s| s.region.is_some()).count();
    drop(subs);
    eprintln!("setup: {matched} subscribers in regions {regions:?}");

    let mut group = c.benchmark_group("fanout");
    group.sample_size(20);
    let mut n = 0u64;
    group.bench_function("match_and_queue_1M_subscribers_one_alert", |b| {
        b.iter(|| {
            n += 1;
            let alert = AlertForDelivery {
                identifier: format!("urn:keiho:bench:{n}"),
                event_id: "ev".into(),
                status: "Exercise".into(),
                msg_type: "Alert".into(),
                stage: "TakeShelter".into(),
                regions: regions.iter().cloned().collect(),
                lifted: vec![],
                xml: "<alert/>".repeat(400),
                sent: "2026-05-01T10:00:00+09:00".into(),
                headlines: Headlines::default(),
            };
            let q = d.deliver_alert(&alert).expect("queue");
            assert_eq!(q.subscribers, matched);
            assert_eq!(q.subscribers, SUBSCRIBERS);
            black_box(q)
        })
    });

    // The alternative: one durable row per subscriber, bulk-inserted in one
    // transaction (8-byte alert id + 4-byte subscriber id, no index but the rowid).
    group.sample_size(10);
    let conn = rusqlite::Connection::open(dir.path().join("rows.db")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE push_rows (alert INTEGER NOT NULL, subscriber INTEGER NOT NULL)",
    )
    .expect("table");
    let mut alert_no = 0i64;
    group.bench_function("alternative_bulk_insert_1M_rows", |b| {
        b.iter(|| {
            alert_no += 1;
            let tx = conn.unchecked_transaction().expect("tx");
            {
                let mut stmt = tx
                    .prepare_cached("INSERT INTO push_rows (alert, subscriber) VALUES (?1, ?2)")
                    .expect("prepare");
                for id in 1..=SUBSCRIBERS as i64 {
                    stmt.execute([alert_no, id]).expect("insert");
                }
            }
            tx.commit().expect("commit");
        })
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    let body = vec![b'x'; 8 * 1024]; // a CAP message in three languages, signed
    let header = sign("secret", 1_700_000_000, &body);
    let mut group = c.benchmark_group("hmac");
    group.bench_function("sign_8KiB", |b| {
        b.iter(|| black_box(sign("secret", 1_700_000_000, black_box(&body))))
    });
    group.bench_function("verify_8KiB", |b| {
        b.iter(|| {
            verify_signature(
                "secret",
                &header,
                &body,
                1_700_000_000,
                Duration::from_secs(300),
            )
            .expect("valid")
        })
    });
    group.finish();
}

fn outbox(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut outbox = Outbox::open(&dir.path().join("keiho.db")).expect("open");
    let mut next = 0u64;
    let mut rows = |n: usize| -> Vec<NewDelivery> {
        (0..n)
            .map(|_| {
                next += 1;
                NewDelivery {
                    idempotency_key: format!("urn:keiho:bench:{next}:webhook:1"),
                    channel: Channel::Webhook,
                    target: "1".into(),
                    payload: vec![b'x'; 4096],
                    expires_at_ms: i64::MAX,
                }
            })
            .collect()
    };
    let mut group = c.benchmark_group("outbox");
    group.sample_size(20);
    group.bench_function("enqueue_1000_rows_one_transaction", |b| {
        b.iter_batched(
            || rows(1000),
            |batch| outbox.enqueue_many(&batch, 0).expect("enqueue"),
            BatchSize::LargeInput,
        )
    });
    // A fresh file, so claims below see only their own rows.
    let mut outbox = Outbox::open(&dir.path().join("claims.db")).expect("open");
    let mut now = 10i64;
    group.bench_function("claim_64_then_mark_each_delivered", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                outbox.enqueue_many(&rows(64), now).expect("enqueue");
                now += 1;
                let t = Instant::now();
                let claimed = outbox
                    .claim(now, 64, Duration::from_secs(60))
                    .expect("claim");
                assert_eq!(claimed.len(), 64);
                for r in &claimed {
                    outbox.mark_delivered(r.id, now).expect("mark");
                }
                total += t.elapsed();
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, fanout, signing, outbox);
criterion_main!(benches);
