//! Counters and latency histograms for the server to export (Prometheus or other):
//! lock-free atomics, read as a [`StatsSnapshot`].

use crate::outbox::Channel;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Upper bounds of the latency buckets, seconds (from enqueue to acknowledgement).
pub const LATENCY_BUCKETS_S: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
];

/// Per-channel counters, indexed webhook, mqtt, push.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    queued: [AtomicU64; 3],
    delivered: [AtomicU64; 3],
    retried: [AtomicU64; 3],
    failed: [AtomicU64; 3],
    expired: AtomicU64,
    push_fanout_sent: AtomicU64,
    /// Non-cumulative bucket counts; the last slot is "above every bound".
    latency_buckets: [[AtomicU64; LATENCY_BUCKETS_S.len() + 1]; 3],
    latency_sum_ms: [AtomicU64; 3],
}

/// A copy of the counters at one moment. Counters only grow while the process runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsSnapshot {
    /// New deliveries queued, per channel (webhook, mqtt, push).
    pub queued: [u64; 3],
    /// Acknowledged deliveries, per channel.
    pub delivered: [u64; 3],
    /// Failed attempts that were rescheduled, per channel.
    pub retried: [u64; 3],
    /// Permanent failures, per channel.
    pub failed: [u64; 3],
    /// Deliveries that expired.
    pub expired: u64,
    /// Push messages accepted by the [`crate::PushSender`] during fan-outs.
    pub push_fanout_sent: u64,
    /// Enqueue-to-acknowledgement latency per channel: non-cumulative counts per
    /// bucket of [`LATENCY_BUCKETS_S`], plus one for anything slower.
    pub latency_buckets: [[u64; LATENCY_BUCKETS_S.len() + 1]; 3],
    /// Sum of those latencies per channel, seconds.
    pub latency_sum_s: [f64; 3],
}

impl DeliveryStats {
    pub(crate) fn queued(&self, c: Channel, n: u64) {
        self.queued[c.index()].fetch_add(n, Relaxed);
    }
    pub(crate) fn retried(&self, c: Channel) {
        self.retried[c.index()].fetch_add(1, Relaxed);
    }
    pub(crate) fn failed(&self, c: Channel) {
        self.failed[c.index()].fetch_add(1, Relaxed);
    }
    pub(crate) fn expired(&self, n: u64) {
        self.expired.fetch_add(n, Relaxed);
    }
    pub(crate) fn push_fanout_sent(&self, n: u64) {
        self.push_fanout_sent.fetch_add(n, Relaxed);
    }
    /// One acknowledged delivery and its latency.
    pub(crate) fn delivered(&self, c: Channel, latency_ms: i64) {
        let i = c.index();
        self.delivered[i].fetch_add(1, Relaxed);
        let ms = latency_ms.max(0) as u64;
        self.latency_sum_ms[i].fetch_add(ms, Relaxed);
        let s = ms as f64 / 1000.0;
        let b = LATENCY_BUCKETS_S
            .iter()
            .position(|&bound| s <= bound)
            .unwrap_or(LATENCY_BUCKETS_S.len());
        self.latency_buckets[i][b].fetch_add(1, Relaxed);
    }

    /// Read every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        let load3 =
            |a: &[AtomicU64; 3]| [a[0].load(Relaxed), a[1].load(Relaxed), a[2].load(Relaxed)];
        let mut latency_buckets = [[0; LATENCY_BUCKETS_S.len() + 1]; 3];
        for (c, row) in latency_buckets.iter_mut().enumerate() {
            for (b, v) in row.iter_mut().enumerate() {
                *v = self.latency_buckets[c][b].load(Relaxed);
            }
        }
        let sums = load3(&self.latency_sum_ms);
        StatsSnapshot {
            queued: load3(&self.queued),
            delivered: load3(&self.delivered),
            retried: load3(&self.retried),
            failed: load3(&self.failed),
            expired: self.expired.load(Relaxed),
            push_fanout_sent: self.push_fanout_sent.load(Relaxed),
            latency_buckets,
            latency_sum_s: sums.map(|ms| ms as f64 / 1000.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_land_in_their_buckets() {
        let s = DeliveryStats::default();
        s.delivered(Channel::Mqtt, 40);
        s.delivered(Channel::Mqtt, 1_000);
        s.delivered(Channel::Mqtt, 10_000_000);
        let snap = s.snapshot();
        assert_eq!(snap.delivered, [0, 3, 0]);
        assert_eq!(snap.latency_buckets[1][0], 1);
        assert_eq!(snap.latency_buckets[1][4], 1, "1 s is in the 1 s bucket");
        assert_eq!(snap.latency_buckets[1][LATENCY_BUCKETS_S.len()], 1);
        assert!((snap.latency_sum_s[1] - 10_001.04).abs() < 1e-9);
    }
}
