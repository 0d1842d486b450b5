//! Keiho's delivery stage: after an alert is durably stored, queue it for every
//! channel in one transaction, then deliver with retries until acknowledged or
//! expired.
//!
//! - [`outbox`]: the durable outbox (SQLite, same file as the alert log, its own
//!   tables and schema version), leases, exponential backoff with full jitter.
//! - [`webhook`]: subscriptions, region filters, `Keiho-Signature` (HMAC-SHA256,
//!   Stripe-style) and [`verify_signature`] for receivers.
//! - [`mqtt`]: `keiho/alerts/{region}` (QoS 1) and retained `keiho/state/{region}`
//!   for sirens.
//! - [`subscribers`]: devices by region (coarse location unless opted in) and
//!   fan-out to a [`PushSender`].
//! - [`stats`]: counters and latency histograms for metrics.
//!
//! Delivery guarantee: one `delivered` row per idempotency key
//! (`{alert identifier}:{channel}:{target id}`); at-least-once on the wire, with the
//! key sent along (webhook `Idempotency-Key` header; the CAP identifier in MQTT and
//! push payloads) so receivers deduplicate.
//!
//! ```no_run
//! # async fn f() -> Result<(), keiho_deliver::DeliverError> {
//! use keiho_deliver::{Delivery, DeliveryConfig};
//! let delivery = Delivery::open("keiho.db".as_ref(), DeliveryConfig::default())?;
//! let (stop, shutdown) = tokio::sync::watch::channel(false);
//! let workers = delivery.run_workers(shutdown);
//! // ... delivery.deliver_alert(&alert)? after each alert is stored ...
//! let _ = stop.send(true);
//! let _ = workers.await;
//! # Ok(()) }
//! ```

pub mod mqtt;
pub mod outbox;
pub mod stats;
pub mod subscribers;
pub mod webhook;
mod worker;

pub use mqtt::{Headlines, MqttConfig};
pub use outbox::{
    AttemptRow, Backoff, Channel, DeliveryRow, NewDelivery, Outbox, State, attempts_in_file,
};
pub use stats::{DeliveryStats, StatsSnapshot};
pub use subscribers::{
    LogPushSender, MemoryPushSender, NewSubscriber, PushMessage, PushResult, PushSender,
    Subscriber, SubscriberId,
};
pub use webhook::{NewWebhook, SignatureError, WebhookSubscription, verify_signature};

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

/// Why delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// SQLite said no.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored value could not be decoded.
    #[error("stored delivery data is corrupt: {0}")]
    Corrupt(String),
    /// This crate's tables were written by a newer Keiho.
    #[error("delivery schema version {found} is newer than this Keiho understands ({supported})")]
    SchemaTooNew {
        /// Version in the file.
        found: i64,
        /// Newest version this build knows.
        supported: i64,
    },
    /// Bad input from a caller (URL, region filter, push token...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The bundled region data did not load.
    #[error(transparent)]
    Regions(#[from] keiho_geo::LoadError),
}

/// Settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// Retry delays.
    pub backoff: Backoff,
    /// A delivery not acknowledged this long after it was queued expires.
    pub ttl: Duration,
    /// How long a claim hides a row from other workers; a worker that dies holding
    /// it delays the row by at most this.
    pub lease: Duration,
    /// How often workers look for due rows when nothing wakes them.
    pub poll_interval: Duration,
    /// Rows claimed at once.
    pub claim_batch: usize,
    /// Webhook request timeout.
    pub http_timeout: Duration,
    /// MQTT broker; `None`: no MQTT deliveries are queued.
    pub mqtt: Option<MqttConfig>,
    /// Push messages per [`PushSender::send`] call and per durable cursor step.
    pub push_batch: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            backoff: Backoff::default(),
            ttl: Duration::from_secs(3600),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_millis(250),
            claim_batch: 64,
            http_timeout: Duration::from_secs(10),
            mqtt: None,
            push_batch: 1000,
        }
    }
}

/// What the delivery stage needs to know about a stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertForDelivery {
    /// CAP identifier.
    pub identifier: String,
    /// Event id.
    pub event_id: String,
    /// CAP status (`Actual`, `Exercise`, ...).
    pub status: String,
    /// CAP msgType.
    pub msg_type: String,
    /// Policy stage (e.g. `TakeShelter`).
    pub stage: String,
    /// Region codes told to shelter.
    pub regions: Vec<String>,
    /// Region codes whose call this message lifts.
    pub lifted: Vec<String>,
    /// The exact CAP XML as stored.
    pub xml: String,
    /// CAP sent.
    pub sent: String,
    /// Headlines for MQTT and push payloads.
    pub headlines: Headlines,
}

/// How many deliveries one alert queued (new ones: a repeated call queues nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueuedCounts {
    /// Webhook deliveries (one per matching active subscription).
    pub webhooks: usize,
    /// MQTT messages (alert and retained state, per region).
    pub mqtt: usize,
    /// Push fan-out jobs (one per region with subscribers).
    pub push_jobs: usize,
    /// Subscribers matched in those regions.
    pub subscribers: usize,
}

/// One channel's deliveries of an alert, by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChannelCounts {
    /// Waiting for an attempt or being attempted.
    pub pending: u64,
    /// Acknowledged.
    pub delivered: u64,
    /// Not acknowledged before the alert expired.
    pub expired: u64,
    /// Refused for good.
    pub failed: u64,
}

/// Where one alert's deliveries stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AlertDeliveryCounts {
    /// Webhook deliveries.
    pub webhook: ChannelCounts,
    /// MQTT publications (alert and retained state topics).
    pub mqtt: ChannelCounts,
    /// Subscriber fan-out jobs queued.
    pub push_jobs: u64,
    /// Of which finished.
    pub push_jobs_done: u64,
    /// Push messages sent.
    pub push_sent: u64,
}

/// The delivery stage: cheap to clone, shareable between tasks.
#[derive(Clone)]
pub struct Delivery {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) db: Mutex<Outbox>,
    pub(crate) index: RwLock<subscribers::SubscriberIndex>,
    pub(crate) config: DeliveryConfig,
    pub(crate) stats: DeliveryStats,
    pub(crate) push: Arc<dyn PushSender>,
    pub(crate) wake: tokio::sync::Notify,
    pub(crate) regions: &'static keiho_geo::RegionSet,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Inner {
    pub(crate) fn db(&self) -> MutexGuard<'_, Outbox> {
        // A panic while holding the lock cannot leave SQLite inconsistent (the
        // transaction rolls back), so a poisoned lock is still usable.
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Delivery {
    /// Open (creating this crate's tables in) the database file, with push messages
    /// going to [`LogPushSender`].
    pub fn open(db_path: &Path, config: DeliveryConfig) -> Result<Self, DeliverError> {
        Self::open_with_push(db_path, config, Arc::new(LogPushSender))
    }

    /// Open with a given push sender.
    pub fn open_with_push(
        db_path: &Path,
        config: DeliveryConfig,
        push: Arc<dyn PushSender>,
    ) -> Result<Self, DeliverError> {
        let outbox = Outbox::open(db_path)?;
        let index = subscribers::SubscriberIndex::load(outbox.conn())?;
        Ok(Self {
            inner: Arc::new(Inner {
                db: Mutex::new(outbox),
                index: RwLock::new(index),
                config,
                stats: DeliveryStats::default(),
                push,
                wake: tokio::sync::Notify::new(),
                regions: keiho_geo::RegionSet::bundled()?,
            }),
        })
    }

    /// Queue an alert for every matching webhook subscription, every MQTT region
    /// (when MQTT is configured) and every subscriber in its regions, in one
    /// transaction (one disk sync). Idempotent per alert identifier.
    pub fn deliver_alert(&self, alert: &AlertForDelivery) -> Result<QueuedCounts, DeliverError> {
        self.deliver_alert_at(alert, now_ms())
    }

    /// [`Delivery::deliver_alert`] with the clock given (tests, replays).
    pub fn deliver_alert_at(
        &self,
        alert: &AlertForDelivery,
        now_ms: i64,
    ) -> Result<QueuedCounts, DeliverError> {
        let inner = &self.inner;
        let expires = now_ms + inner.config.ttl.as_millis() as i64;
        let codes: Vec<&str> = alert
            .regions
            .iter()
            .chain(&alert.lifted)
            .map(String::as_str)
            .collect();
        let mut counts = QueuedCounts::default();
        let mut db = inner.db();
        let subs = webhook::all(db.conn())?;
        let index = inner.index.read().unwrap_or_else(|e| e.into_inner());
        let tx = db
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for sub in subs.iter().filter(|s| s.matches(codes.iter().copied())) {
            let d = NewDelivery {
                idempotency_key: format!("{}:webhook:{}", alert.identifier, sub.id),
                channel: Channel::Webhook,
                target: sub.id.to_string(),
                payload: alert.xml.clone().into_bytes(),
                expires_at_ms: expires,
            };
            counts.webhooks += outbox::insert(&tx, &d, now_ms)?;
        }
        let mut seen = std::collections::HashSet::new();
        for (code, lifted) in alert
            .regions
            .iter()
            .map(|c| (c, false))
            .chain(alert.lifted.iter().map(|c| (c, true)))
        {
            if !seen.insert(code.as_str()) {
                continue; // a region both alerted and lifted: the alert wins
            }
            let payload = serde_json::to_vec(&mqtt::AlertPayload {
                identifier: &alert.identifier,
                status: &alert.status,
                msg_type: &alert.msg_type,
                stage: &alert.stage,
                action: if lifted { "stop" } else { "sound" },
                region: code,
                headline: &alert.headlines,
                sent: &alert.sent,
            })
            .map_err(|e| DeliverError::Invalid(format!("payload: {e}")))?;
            if inner.config.mqtt.is_some() {
                let topic = mqtt::alert_topic(code);
                counts.mqtt += outbox::insert(
                    &tx,
                    &NewDelivery {
                        idempotency_key: format!("{}:mqtt:{topic}", alert.identifier),
                        channel: Channel::Mqtt,
                        target: topic,
                        payload: payload.clone(),
                        expires_at_ms: expires,
                    },
                    now_ms,
                )?;
                let topic = mqtt::state_topic(code);
                let key = format!("{}:mqtt:{topic}", alert.identifier);
                let state = serde_json::to_vec(&mqtt::StatePayload {
                    region: code,
                    state: if lifted { "clear" } else { &alert.stage },
                    identifier: &alert.identifier,
                    sent: &alert.sent,
                })
                .map_err(|e| DeliverError::Invalid(format!("payload: {e}")))?;
                let new = outbox::insert(
                    &tx,
                    &NewDelivery {
                        idempotency_key: key.clone(),
                        channel: Channel::Mqtt,
                        target: topic.clone(),
                        payload: state,
                        expires_at_ms: expires,
                    },
                    now_ms,
                )?;
                if new == 1 {
                    // An older state still waiting must not overwrite this one.
                    Outbox::supersede(&tx, Channel::Mqtt, &topic, &key)?;
                }
                counts.mqtt += new;
            }
            let n = index.in_region(code).len();
            if n > 0
                && subscribers::enqueue_fanout(
                    &tx,
                    &subscribers::NewFanout {
                        alert_identifier: alert.identifier.clone(),
                        region: code.clone(),
                        payload,
                        subscribers: n,
                        expires_at_ms: expires,
                    },
                    now_ms,
                )?
            {
                counts.push_jobs += 1;
                counts.subscribers += n;
            }
        }
        tx.commit()?;
        drop(index);
        drop(db);
        inner.stats.queued(Channel::Webhook, counts.webhooks as u64);
        inner.stats.queued(Channel::Mqtt, counts.mqtt as u64);
        inner.stats.queued(Channel::Push, counts.subscribers as u64);
        inner.wake.notify_one();
        Ok(counts)
    }

    /// Start the workers on the current tokio runtime; they stop when `shutdown`
    /// becomes `true` (or its sender is dropped), after finishing the attempts in
    /// hand.
    pub fn run_workers(
        &self,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(worker::run(self.inner.clone(), shutdown))
    }

    /// Add a webhook subscription.
    pub fn add_webhook(&self, new: &NewWebhook) -> Result<WebhookSubscription, DeliverError> {
        webhook::insert(self.inner.db().conn(), new, now_ms())
    }

    /// Every webhook subscription.
    pub fn webhooks(&self) -> Result<Vec<WebhookSubscription>, DeliverError> {
        webhook::all(self.inner.db().conn())
    }

    /// One webhook subscription.
    pub fn webhook(&self, id: i64) -> Result<Option<WebhookSubscription>, DeliverError> {
        webhook::get(self.inner.db().conn(), id)
    }

    /// Pause or resume a subscription; `false` if there is no such id.
    pub fn set_webhook_active(&self, id: i64, active: bool) -> Result<bool, DeliverError> {
        webhook::set_active(self.inner.db().conn(), id, active)
    }

    /// Delete a subscription (its pending deliveries then fail); `false` if none.
    pub fn remove_webhook(&self, id: i64) -> Result<bool, DeliverError> {
        webhook::remove(self.inner.db().conn(), id)
    }

    /// Register one device.
    pub fn register_subscriber(&self, new: &NewSubscriber) -> Result<Subscriber, DeliverError> {
        let mut v = self.register_subscribers(std::slice::from_ref(new))?;
        v.pop()
            .ok_or_else(|| DeliverError::Corrupt("registration returned nothing".into()))
    }

    /// Register many devices in one transaction.
    pub fn register_subscribers(
        &self,
        new: &[NewSubscriber],
    ) -> Result<Vec<Subscriber>, DeliverError> {
        let mut db = self.inner.db();
        let mut index = self.inner.index.write().unwrap_or_else(|e| e.into_inner());
        subscribers::register(db.conn_mut(), &mut index, self.inner.regions, new, now_ms())
    }

    /// Remove a device; `false` if there is no such id.
    pub fn unregister_subscriber(&self, id: SubscriberId) -> Result<bool, DeliverError> {
        let db = self.inner.db();
        let mut index = self.inner.index.write().unwrap_or_else(|e| e.into_inner());
        subscribers::unregister(db.conn(), &mut index, id)
    }

    /// One device, as stored.
    pub fn subscriber(&self, id: SubscriberId) -> Result<Option<Subscriber>, DeliverError> {
        subscribers::get(self.inner.db().conn(), id)
    }

    /// Number of subscribers with a region.
    pub fn subscriber_count(&self) -> usize {
        self.inner
            .index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// A delivery row by idempotency key (inspection, tests).
    pub fn delivery(&self, idempotency_key: &str) -> Result<Option<DeliveryRow>, DeliverError> {
        self.inner.db().by_key(idempotency_key)
    }

    /// Push fan-out progress of one alert: (jobs, jobs finished, messages sent).
    pub fn fanout_progress(&self, alert_identifier: &str) -> Result<(u64, u64, u64), DeliverError> {
        subscribers::fanout_progress(self.inner.db().conn(), alert_identifier)
    }

    /// Where one alert's deliveries stand, per channel (the dashboard's timeline).
    pub fn counts_for(&self, alert_identifier: &str) -> Result<AlertDeliveryCounts, DeliverError> {
        let state = |c: [u64; 4]| ChannelCounts {
            pending: c[0],
            delivered: c[1],
            expired: c[2],
            failed: c[3],
        };
        // The outbox lock is released before the fan-out query takes it again.
        let (webhook, mqtt) = {
            let db = self.inner.db();
            (
                state(db.counts(&format!("{alert_identifier}:webhook:"))?),
                state(db.counts(&format!("{alert_identifier}:mqtt:"))?),
            )
        };
        let (jobs, jobs_done, sent) = self.fanout_progress(alert_identifier)?;
        Ok(AlertDeliveryCounts {
            webhook,
            mqtt,
            push_jobs: jobs,
            push_jobs_done: jobs_done,
            push_sent: sent,
        })
    }

    /// Every logged delivery attempt of one message (webhooks, MQTT, push retries),
    /// in time order.
    pub fn attempts_for(&self, alert_identifier: &str) -> Result<Vec<AttemptRow>, DeliverError> {
        self.inner.db().attempts(&format!("{alert_identifier}:"))
    }

    /// Counters and latencies since this process opened the database.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }
}
