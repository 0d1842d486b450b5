//! The bridge from the alert log to delivery: every alert the engine announces is
//! queued in `keiho-deliver`'s durable outbox (webhooks, MQTT sirens, subscribers'
//! devices), whose workers then deliver it. On start every alert in the log is queued
//! again: queueing is idempotent per delivery key, so an alert whose queueing a crash
//! interrupted is delivered, and none twice.

use crate::metrics::Metrics;
use keiho_deliver::{AlertForDelivery, Delivery, Headlines};
use keiho_store::StoredAlert;
use std::sync::Arc;

/// The alert in delivery's terms.
pub(crate) fn for_delivery(a: &StoredAlert) -> AlertForDelivery {
    AlertForDelivery {
        identifier: a.identifier.clone(),
        event_id: a.event_id.clone(),
        status: a.status.clone(),
        msg_type: a.msg_type.clone(),
        stage: a.stage.clone(),
        regions: a.regions.clone(),
        lifted: a.lifted.clone(),
        xml: a.xml.clone(),
        sent: a.sent.clone(),
        headlines: Headlines {
            ja: crate::feed::headline(&a.xml, "ja"),
            en: crate::feed::headline(&a.xml, "en"),
        },
    }
}

/// Queue `alert` (blocking: SQLite), logging failures: the next start queues it again.
pub(crate) fn queue(delivery: &Delivery, alert: &StoredAlert, now_ms: i64) {
    match delivery.deliver_alert_at(&for_delivery(alert), now_ms) {
        Ok(counts) => tracing::info!(
            identifier = %alert.identifier,
            webhooks = counts.webhooks,
            mqtt = counts.mqtt,
            subscribers = counts.subscribers,
            "alert queued for delivery"
        ),
        Err(e) => {
            tracing::error!(identifier = %alert.identifier, error = %e, "queueing for delivery failed")
        }
    }
}

/// Queue every announced alert as it comes; export delivery figures as metrics.
pub(crate) fn spawn(
    delivery: Arc<Delivery>,
    mut alerts: tokio::sync::broadcast::Receiver<crate::engine::Announced>,
    backlog: Vec<StoredAlert>,
    metrics: Metrics,
    closing: tokio::sync::watch::Receiver<bool>,
) {
    let workers = delivery.run_workers(closing.clone());
    let d = delivery.clone();
    tokio::spawn(async move {
        // Alerts issued before this start (or whose queueing a crash cut short).
        let d2 = d.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let now = chrono::Utc::now().timestamp_millis();
            for a in &backlog {
                queue(&d2, a, now);
            }
        })
        .await;
        let mut closing = closing;
        loop {
            tokio::select! {
                _ = closing.changed() => break,
                got = alerts.recv() => match got {
                    Ok(a) => {
                        let d2 = d.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            queue(&d2, &a.alert, chrono::Utc::now().timestamp_millis());
                        }).await;
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(missed = n, "delivery fell behind; the missed alerts are queued on the next start");
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        }
        let _ = workers.await;
    });
    // Outbox figures for /metrics.
    tokio::spawn(async move {
        let mut last = keiho_deliver::StatsSnapshot::default();
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            let s = delivery.stats();
            for (i, channel) in ["webhook", "mqtt", "push"].iter().enumerate() {
                let fresh = s.delivered[i].saturating_sub(last.delivered[i]);
                let mean = if s.delivered[i] > 0 {
                    s.latency_sum_s[i] / s.delivered[i] as f64
                } else {
                    0.0
                };
                for _ in 0..fresh {
                    metrics.delivered(channel, std::time::Duration::from_secs_f64(mean.max(0.0)));
                }
            }
            let queued: u64 = s.queued.iter().sum();
            let done: u64 =
                s.delivered.iter().sum::<u64>() + s.failed.iter().sum::<u64>() + s.expired;
            metrics.set_outbox_depth(queued.saturating_sub(done) as i64);
            last = s;
        }
    });
}
