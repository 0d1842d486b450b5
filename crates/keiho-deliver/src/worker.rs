//! The worker loop: expire, claim due rows under a lease, attempt them (webhooks
//! concurrently, MQTT one at a time on one connection, push through the sender),
//! record each outcome; then advance push fan-outs a few batches at a time.
//!
//! SQLite calls are short and made without holding the lock across an `.await`.

use crate::mqtt::{self, MqttPublisher};
use crate::outbox::{Jitter, Retry};
use crate::subscribers::{self, PushMessage, PushResult};
use crate::webhook::{self, Attempt};
use crate::{Channel, DeliverError, DeliveryRow, Inner, NewDelivery, now_ms};
use std::sync::Arc;
use tokio::sync::watch;

/// Fan-out batches per loop turn, so outbox rows are not starved by a big fan-out.
const FANOUT_BATCHES_PER_TURN: usize = 20;

pub(crate) async fn run(inner: Arc<Inner>, mut shutdown: watch::Receiver<bool>) {
    let http = match webhook::http_client(inner.config.http_timeout) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keiho-deliver: workers not started: {e}");
            return;
        }
    };
    let mut mqtt: Option<MqttPublisher> = None;
    let mut jitter = Jitter::from_entropy();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let busy = match turn(&inner, &http, &mut mqtt, &mut jitter).await {
            Ok(busy) => busy,
            Err(e) => {
                eprintln!("keiho-deliver: {e}");
                false
            }
        };
        if busy {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            changed = shutdown.changed() => if changed.is_err() { return },
            _ = inner.wake.notified() => {}
            _ = tokio::time::sleep(inner.config.poll_interval) => {}
        }
    }
}

/// One turn; `true` if there is probably more to do at once.
async fn turn(
    inner: &Arc<Inner>,
    http: &reqwest::Client,
    mqtt: &mut Option<MqttPublisher>,
    jitter: &mut Jitter,
) -> Result<bool, DeliverError> {
    let now = now_ms();
    let (rows, expired) = {
        let mut db = inner.db();
        let expired = db.expire_due(now)?;
        let rows = db.claim(now, inner.config.claim_batch, inner.config.lease)?;
        (rows, expired)
    };
    inner.stats.expired(expired as u64);
    let full = rows.len() == inner.config.claim_batch;

    let mut outcomes = Vec::new();
    // After one failed publish, the turn's other MQTT rows wait for the next turn
    // rather than each waiting out the PUBACK timeout.
    let mut mqtt_failed = false;
    let mut webhooks = tokio::task::JoinSet::new();
    for row in rows {
        match row.channel {
            Channel::Webhook => {
                let sub = row
                    .target
                    .parse::<i64>()
                    .ok()
                    .map(|id| webhook::get(inner.db().conn(), id))
                    .transpose()?
                    .flatten();
                match sub {
                    Some(sub) if sub.active => {
                        let http = http.clone();
                        webhooks.spawn(async move {
                            let unix = now_ms().div_euclid(1000);
                            let body = row.payload.clone();
                            let outcome = webhook::post(
                                &http,
                                &sub,
                                body,
                                &row.idempotency_key,
                                row.attempts,
                                unix,
                            )
                            .await;
                            (row, outcome)
                        });
                    }
                    _ => outcomes.push((
                        row,
                        Attempt::Permanent("webhook subscription removed or inactive".into()),
                    )),
                }
            }
            Channel::Mqtt => {
                let outcome = match &inner.config.mqtt {
                    None => Attempt::Retry("MQTT is not configured".into()),
                    Some(_) if mqtt_failed => {
                        Attempt::Retry("MQTT: an earlier publish in this turn failed".into())
                    }
                    Some(cfg) => {
                        let publisher = mqtt.get_or_insert_with(|| MqttPublisher::connect(cfg));
                        let retain = mqtt::is_retained(&row.target);
                        match publisher
                            .publish_acked(&row.target, row.payload.clone(), retain)
                            .await
                        {
                            Ok(()) => Attempt::Acknowledged,
                            Err(e) => {
                                // Session state unknown: start afresh next time.
                                *mqtt = None;
                                mqtt_failed = true;
                                Attempt::Retry(e)
                            }
                        }
                    }
                };
                outcomes.push((row, outcome));
            }
            Channel::Push => {
                let subscriber = row
                    .idempotency_key
                    .rsplit(':')
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let msg = PushMessage {
                    subscriber,
                    push_token: row.target.clone(),
                    idempotency_key: row.idempotency_key.clone(),
                    payload: row.payload.clone().into(),
                };
                let outcome = match inner.push.send(std::slice::from_ref(&msg)).pop() {
                    Some(PushResult::Sent) => Attempt::Acknowledged,
                    Some(PushResult::Retry(e)) => Attempt::Retry(e),
                    Some(PushResult::Gone(e)) => Attempt::Permanent(e),
                    None => Attempt::Retry("push sender returned no result".into()),
                };
                outcomes.push((row, outcome));
            }
        }
    }
    while let Some(done) = webhooks.join_next().await {
        match done {
            Ok((row, outcome)) => outcomes.push((row, outcome)),
            // A panicked attempt is left leased; it is retried when the lease ends.
            Err(e) => eprintln!("keiho-deliver: webhook attempt panicked: {e}"),
        }
    }
    record_all(inner, outcomes, jitter)?;
    let more_fanout = fanout_turn(inner)?;
    Ok(full || more_fanout)
}

/// Record a turn's outcomes in one transaction (one disk sync for all of them).
/// If it fails, the rows stay leased and are attempted again when the lease ends.
fn record_all(
    inner: &Inner,
    outcomes: Vec<(DeliveryRow, Attempt)>,
    jitter: &mut Jitter,
) -> Result<(), DeliverError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    enum Counted {
        Delivered(Channel, i64),
        Retried(Channel),
        Expired,
        Failed(Channel),
    }
    let now = now_ms();
    let db = inner.db();
    db.conn().execute_batch("BEGIN IMMEDIATE")?;
    let mut counted = Vec::with_capacity(outcomes.len());
    let result = (|| {
        for (row, outcome) in &outcomes {
            match outcome {
                Attempt::Acknowledged => {
                    if let Some(created) = db.mark_delivered(row.id, now)? {
                        counted.push(Counted::Delivered(row.channel, now - created));
                    }
                }
                Attempt::Retry(e) => {
                    match db.retry_later(
                        row.id,
                        row.attempts,
                        now,
                        e,
                        &inner.config.backoff,
                        jitter,
                    )? {
                        Retry::At(_) => counted.push(Counted::Retried(row.channel)),
                        Retry::Expired => counted.push(Counted::Expired),
                    }
                }
                Attempt::Permanent(e) => {
                    if db.mark_failed(row.id, now, e)? {
                        counted.push(Counted::Failed(row.channel));
                    }
                }
            }
        }
        db.conn().execute_batch("COMMIT")?;
        Ok::<(), DeliverError>(())
    })();
    if let Err(e) = result {
        // The original error matters more than a failed rollback.
        let _ = db.conn().execute_batch("ROLLBACK");
        return Err(e);
    }
    drop(db);
    for c in counted {
        match c {
            Counted::Delivered(ch, latency) => inner.stats.delivered(ch, latency),
            Counted::Retried(ch) => inner.stats.retried(ch),
            Counted::Expired => inner.stats.expired(1),
            Counted::Failed(ch) => inner.stats.failed(ch),
        }
    }
    Ok(())
}

/// Advance one fan-out job by a few batches; `true` if it has more.
fn fanout_turn(inner: &Inner) -> Result<bool, DeliverError> {
    let lease_ms = inner.config.lease.as_millis() as i64;
    let Some(job) = subscribers::claim_fanout(inner.db().conn(), now_ms(), lease_ms)? else {
        return Ok(false);
    };
    let expires = now_ms() + inner.config.ttl.as_millis() as i64;
    let mut cursor = job.cursor;
    for _ in 0..FANOUT_BATCHES_PER_TURN {
        let batch = subscribers::next_batch(
            inner.db().conn(),
            &job.region,
            cursor,
            inner.config.push_batch,
        )?;
        let Some(&(last, _)) = batch.last() else {
            subscribers::finish(inner.db().conn(), job.id, now_ms())?;
            inner
                .stats
                .delivered(Channel::Push, now_ms() - job.created_at_ms);
            return Ok(true); // maybe another job is waiting
        };
        let messages: Vec<PushMessage> = batch
            .into_iter()
            .map(|(id, token)| PushMessage {
                subscriber: id,
                push_token: token,
                idempotency_key: format!("{}:push:{id}", job.alert_identifier),
                payload: job.payload.clone(),
            })
            .collect();
        let results = inner.push.send(&messages);
        let mut sent = 0usize;
        let mut retries = Vec::new();
        let mut gone = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            match results.get(i) {
                Some(PushResult::Sent) => sent += 1,
                Some(PushResult::Gone(_)) => gone.push(m.subscriber),
                Some(PushResult::Retry(_)) | None => retries.push(NewDelivery {
                    idempotency_key: m.idempotency_key.clone(),
                    channel: Channel::Push,
                    target: m.push_token.clone(),
                    payload: m.payload.to_vec(),
                    expires_at_ms: expires,
                }),
            }
        }
        let now = now_ms();
        {
            let mut db = inner.db();
            let tx = db
                .conn_mut()
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut queued = 0;
            for d in &retries {
                queued += crate::outbox::insert(&tx, d, now)?;
            }
            subscribers::advance(&tx, job.id, last, sent, now + lease_ms)?;
            tx.commit()?;
            inner.stats.queued(Channel::Push, queued as u64);
        }
        if !gone.is_empty() {
            let db = inner.db();
            let mut index = inner.index.write().unwrap_or_else(|e| e.into_inner());
            for id in gone {
                subscribers::unregister(db.conn(), &mut index, id)?;
            }
        }
        inner.stats.push_fanout_sent(sent as u64);
        cursor = last;
    }
    // Let other work and other workers in; the next turn continues from the cursor.
    subscribers::advance(inner.db().conn(), job.id, cursor, 0, 0)?;
    Ok(true)
}
