//! Prometheus metrics: reports, rejections, alerts, processing and delivery latency,
//! stream clients. Exposed at `/metrics` in the text format.

use keiho_store::StoredAlert;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabels {
    status: String,
    msg_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabel {
    channel: String,
}

/// The service's metrics (cheap to clone).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

struct Inner {
    registry: Registry,
    reports_accepted: Counter,
    reports_rejected: Family<ReasonLabel, Counter>,
    alerts: Family<AlertLabels, Counter>,
    processing: Histogram,
    stream_clients: Family<ChannelLabel, Gauge>,
    delivery_latency: Family<ChannelLabel, Histogram>,
    deliveries: Family<ChannelLabel, Counter>,
    outbox_depth: Gauge,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    [
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0,
    ]
    .into_iter()
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("keiho");
        let reports_accepted = Counter::default();
        registry.register(
            "reports_accepted",
            "Sensor reports accepted into the inbox",
            reports_accepted.clone(),
        );
        let reports_rejected = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "reports_rejected",
            "Sensor reports refused, by reason",
            reports_rejected.clone(),
        );
        let alerts = Family::<AlertLabels, Counter>::default();
        registry.register(
            "alerts_issued",
            "CAP messages issued (durable in the alert log)",
            alerts.clone(),
        );
        let processing = Histogram::new(latency_buckets());
        registry.register(
            "processing_seconds",
            "Time to process a batch of reports through the pipeline",
            processing.clone(),
        );
        let stream_clients = Family::<ChannelLabel, Gauge>::default();
        registry.register(
            "stream_clients",
            "Connected push clients (sse, ws)",
            stream_clients.clone(),
        );
        let delivery_latency = Family::<ChannelLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        registry.register(
            "delivery_latency_seconds",
            "From issue to delivery, per channel",
            delivery_latency.clone(),
        );
        let deliveries = Family::<ChannelLabel, Counter>::default();
        registry.register(
            "deliveries",
            "Deliveries made, per channel",
            deliveries.clone(),
        );
        let outbox_depth = Gauge::default();
        registry.register(
            "outbox_depth",
            "Deliveries waiting in the outbox",
            outbox_depth.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                registry,
                reports_accepted,
                reports_rejected,
                alerts,
                processing,
                stream_clients,
                delivery_latency,
                deliveries,
                outbox_depth,
            }),
        }
    }
}

impl Metrics {
    pub(crate) fn report_accepted(&self) {
        self.inner.reports_accepted.inc();
    }

    pub(crate) fn report_rejected(&self, reason: &str) {
        self.inner
            .reports_rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub(crate) fn alert_issued(&self, a: &StoredAlert) {
        self.inner
            .alerts
            .get_or_create(&AlertLabels {
                status: a.status.clone(),
                msg_type: a.msg_type.clone(),
            })
            .inc();
    }

    pub(crate) fn processing(&self, d: Duration) {
        self.inner.processing.observe(d.as_secs_f64());
    }

    /// A push client connected (+1) or left (-1).
    pub(crate) fn stream_client(&self, channel: &str, delta: i64) {
        self.inner
            .stream_clients
            .get_or_create(&ChannelLabel {
                channel: channel.to_owned(),
            })
            .inc_by(delta);
    }

    /// A delivery was made on `channel`, `latency` after the alert was issued.
    pub fn delivered(&self, channel: &str, latency: Duration) {
        let label = ChannelLabel {
            channel: channel.to_owned(),
        };
        self.inner.deliveries.get_or_create(&label).inc();
        self.inner
            .delivery_latency
            .get_or_create(&label)
            .observe(latency.as_secs_f64());
    }

    /// Deliveries waiting.
    pub fn set_outbox_depth(&self, depth: i64) {
        self.inner.outbox_depth.set(depth);
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.inner.registry).is_err() {
            out.clear();
        }
        out
    }
}
