//! Subscribers (devices that receive push messages) and the fan-out of an alert to
//! them.
//!
//! # What is stored about a subscriber
//!
//! In `deliver_subscribers`: an id (`u32`), the opaque push token the device gave, the
//! ISO 3166-2 code of the region its location falls in (`NULL` if it is in none, at
//! sea for example: such a subscriber receives nothing), the 0.1-degree cell of that
//! location (`floor(lat * 10)`, `floor(lon * 10)`: a cell is about 11 km north-south
//! and 9 km east-west at 35°N), the registration time, and the latitude and
//! longitude themselves **only** if the subscriber opted in to precise location.
//! Nothing else: no name, no address, no history of locations.
//!
//! # Fan-out
//!
//! In memory, region code -> sorted subscriber ids (`Vec<u32>`, 4 bytes a subscriber),
//! loaded from the table at start. At alert time matching is a lookup per alerted
//! region. Queuing is one durable job row per (alert, region) in `deliver_fanout`,
//! written in the same transaction as the alert's other deliveries, with the number
//! of subscribers matched. A worker then walks the region's subscribers in id order
//! from the job's durable cursor, a batch at a time, hands each batch to the
//! [`PushSender`] and advances the cursor; a crash resends at most one batch.
//! Subscribers who register in the region before the walk reaches them are included,
//! and unregistered ones are skipped: the job is "everyone in the region", not a
//! frozen list. Per-device failures that may succeed later go to the outbox as
//! ordinary `push` deliveries with their own retries.
//!
//! Why not one outbox row per device: measured in `benches/fanout.rs` (figures in
//! `BENCHMARKS.md`), queuing 1,000,000 subscribers as job rows takes about 35 ms;
//! bulk-inserting 1,000,000 minimal 12-byte rows takes about 0.3 s, and real rows
//! (key, token, payload, state) would be several times larger, write tens of MB of
//! WAL per alert and need deleting afterwards. The job row loses nothing durable: the
//! subscriber table is the list, and the cursor says how far the walk got.

use crate::DeliverError;
use keiho_geo::RegionSet;
use keiho_types::GeoPoint;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;

/// A subscriber id.
pub type SubscriberId = u32;

/// A device to register.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscriber {
    /// Opaque push endpoint or token (platform-specific; never interpreted here).
    pub push_token: String,
    /// Where the device is.
    pub location: GeoPoint,
    /// Opt-in: store the location itself, not only its region and cell.
    pub precise: bool,
}

/// A 0.1-degree cell: `floor(lat * 10)`, `floor(lon * 10)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cell {
    /// `floor(lat_deg * 10)`.
    pub lat_tenths: i32,
    /// `floor(lon_deg * 10)`.
    pub lon_tenths: i32,
}

impl Cell {
    /// The cell containing a point.
    pub fn of(p: GeoPoint) -> Self {
        Self {
            lat_tenths: (p.lat_deg() * 10.0).floor() as i32,
            lon_tenths: (p.lon_deg() * 10.0).floor() as i32,
        }
    }
}

/// A subscriber as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    /// Id.
    pub id: SubscriberId,
    /// Push token.
    pub push_token: String,
    /// Region code, if the location is in a region.
    pub region: Option<String>,
    /// Coarse cell.
    pub cell: Cell,
    /// The location, only if the subscriber opted in.
    pub precise_location: Option<GeoPoint>,
    /// Registration time, ms since the epoch.
    pub created_at_ms: i64,
}

/// One push message for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// The device.
    pub subscriber: SubscriberId,
    /// Its push token.
    pub push_token: String,
    /// `{alert identifier}:push:{subscriber id}`: the same on every attempt.
    pub idempotency_key: String,
    /// The message (the same compact JSON as the MQTT alert payload).
    pub payload: std::sync::Arc<[u8]>,
}

/// What became of one push message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushResult {
    /// Accepted by the push service.
    Sent,
    /// Try again later.
    Retry(String),
    /// The token is dead (uninstalled app): the subscriber is removed.
    Gone(String),
}

/// Sends push messages to a platform push service.
///
/// Keiho ships no sender for a real platform service (Web Push, APNs, FCM): those
/// need credentials and the network. [`LogPushSender`] and [`MemoryPushSender`] are
/// what exists; a real sender implements this trait.
pub trait PushSender: Send + Sync {
    /// Send a batch; one result per message, in order.
    fn send(&self, batch: &[PushMessage]) -> Vec<PushResult>;
}

/// Writes one line per batch to standard error and reports every message as sent.
#[derive(Debug, Default)]
pub struct LogPushSender;

impl PushSender for LogPushSender {
    fn send(&self, batch: &[PushMessage]) -> Vec<PushResult> {
        if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
            eprintln!(
                "keiho-deliver: push (log only, no platform service) {} messages, subscribers {}..={}",
                batch.len(),
                first.subscriber,
                last.subscriber
            );
        }
        vec![PushResult::Sent; batch.len()]
    }
}

/// Keeps every message in memory (tests); can be told to fail some subscribers.
#[derive(Debug, Default)]
pub struct MemoryPushSender {
    /// Everything sent, in order.
    pub sent: std::sync::Mutex<Vec<PushMessage>>,
    /// Subscribers whose messages fail with `Retry` this many times each.
    pub fail_times: std::sync::Mutex<HashMap<SubscriberId, u32>>,
}

impl PushSender for MemoryPushSender {
    fn send(&self, batch: &[PushMessage]) -> Vec<PushResult> {
        let mut fail = self.fail_times.lock().unwrap_or_else(|e| e.into_inner());
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        batch
            .iter()
            .map(|m| match fail.get_mut(&m.subscriber) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    PushResult::Retry("simulated failure".into())
                }
                _ => {
                    sent.push(m.clone());
                    PushResult::Sent
                }
            })
            .collect()
    }
}

/// Region code -> sorted subscriber ids.
#[derive(Debug, Default)]
pub struct SubscriberIndex {
    by_region: HashMap<String, Vec<SubscriberId>>,
}

impl SubscriberIndex {
    /// Load from the table.
    pub(crate) fn load(conn: &Connection) -> Result<Self, DeliverError> {
        let mut index = Self::default();
        let mut stmt = conn.prepare(
            "SELECT region, id FROM deliver_subscribers WHERE region IS NOT NULL
             ORDER BY region, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut current: Option<(String, Vec<SubscriberId>)> = None;
        while let Some(r) = rows.next()? {
            let region: String = r.get(0)?;
            let id: SubscriberId = r.get(1)?;
            match &mut current {
                Some((code, ids)) if *code == region => ids.push(id),
                _ => {
                    if let Some((code, ids)) = current.take() {
                        index.by_region.insert(code, ids);
                    }
                    current = Some((region, vec![id]));
                }
            }
        }
        if let Some((code, ids)) = current {
            index.by_region.insert(code, ids);
        }
        Ok(index)
    }

    fn insert(&mut self, region: &str, id: SubscriberId) {
        let ids = self.by_region.entry(region.to_owned()).or_default();
        // Ids grow, so this is a push at the end almost always.
        match ids.last() {
            Some(&last) if last > id => {
                if let Err(pos) = ids.binary_search(&id) {
                    ids.insert(pos, id);
                }
            }
            _ => ids.push(id),
        }
    }

    fn remove(&mut self, region: &str, id: SubscriberId) {
        if let Some(ids) = self.by_region.get_mut(region)
            && let Ok(pos) = ids.binary_search(&id)
        {
            ids.remove(pos);
        }
    }

    /// Subscribers in a region.
    pub fn in_region(&self, region: &str) -> &[SubscriberId] {
        self.by_region.get(region).map_or(&[], Vec::as_slice)
    }

    /// Total subscribers with a region.
    pub fn len(&self) -> usize {
        self.by_region.values().map(Vec::len).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_region.values().all(Vec::is_empty)
    }
}

/// Register devices in one transaction; updates the index after the commit.
pub(crate) fn register(
    conn: &mut Connection,
    index: &mut SubscriberIndex,
    regions: &RegionSet,
    new: &[NewSubscriber],
    now_ms: i64,
) -> Result<Vec<Subscriber>, DeliverError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(new.len());
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO deliver_subscribers
                (push_token, region, cell_lat, cell_lon, lat, lon, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for n in new {
            if n.push_token.is_empty() {
                return Err(DeliverError::Invalid("empty push token".into()));
            }
            let region = regions
                .locate(n.location)
                .map(|i| regions.region(i).code.as_str().to_owned());
            let cell = Cell::of(n.location);
            let (lat, lon) = if n.precise {
                (Some(n.location.lat_deg()), Some(n.location.lon_deg()))
            } else {
                (None, None)
            };
            stmt.execute(params![
                n.push_token,
                region,
                cell.lat_tenths,
                cell.lon_tenths,
                lat,
                lon,
                now_ms
            ])?;
            let id = SubscriberId::try_from(tx.last_insert_rowid())
                .map_err(|_| DeliverError::Invalid("subscriber ids exhausted (u32)".into()))?;
            out.push(Subscriber {
                id,
                push_token: n.push_token.clone(),
                region,
                cell,
                precise_location: n.precise.then_some(n.location),
                created_at_ms: now_ms,
            });
        }
    }
    tx.commit()?;
    for s in &out {
        if let Some(r) = &s.region {
            index.insert(r, s.id);
        }
    }
    Ok(out)
}

pub(crate) fn get(conn: &Connection, id: SubscriberId) -> Result<Option<Subscriber>, DeliverError> {
    let row = conn
        .query_row(
            "SELECT id, push_token, region, cell_lat, cell_lon, lat, lon, created_at
             FROM deliver_subscribers WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, SubscriberId>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, i32>(3)?,
                    r.get::<_, i32>(4)?,
                    r.get::<_, Option<f64>>(5)?,
                    r.get::<_, Option<f64>>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((id, push_token, region, lat_tenths, lon_tenths, lat, lon, created_at_ms)) = row
    else {
        return Ok(None);
    };
    let precise_location = match (lat, lon) {
        (Some(lat), Some(lon)) => Some(
            GeoPoint::new(lat, lon)
                .map_err(|e| DeliverError::Corrupt(format!("subscriber {id} location: {e}")))?,
        ),
        _ => None,
    };
    Ok(Some(Subscriber {
        id,
        push_token,
        region,
        cell: Cell {
            lat_tenths,
            lon_tenths,
        },
        precise_location,
        created_at_ms,
    }))
}

pub(crate) fn unregister(
    conn: &Connection,
    index: &mut SubscriberIndex,
    id: SubscriberId,
) -> Result<bool, DeliverError> {
    let region: Option<Option<String>> = conn
        .query_row(
            "DELETE FROM deliver_subscribers WHERE id = ?1 RETURNING region",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    match region {
        None => Ok(false),
        Some(region) => {
            if let Some(r) = region {
                index.remove(&r, id);
            }
            Ok(true)
        }
    }
}

/// A fan-out job to queue: every subscriber of one region, for one alert.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewFanout {
    pub(crate) alert_identifier: String,
    pub(crate) region: String,
    pub(crate) payload: Vec<u8>,
    pub(crate) subscribers: usize,
    pub(crate) expires_at_ms: i64,
}

pub(crate) fn enqueue_fanout(
    conn: &Connection,
    job: &NewFanout,
    now_ms: i64,
) -> Result<bool, DeliverError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO deliver_fanout (idempotency_key, alert_identifier, region, payload,
            subscribers_at_enqueue, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(idempotency_key) DO NOTHING",
    )?;
    Ok(stmt.execute(params![
        format!("{}:push-region:{}", job.alert_identifier, job.region),
        job.alert_identifier,
        job.region,
        job.payload,
        job.subscribers as i64,
        now_ms,
        job.expires_at_ms
    ])? == 1)
}

/// A claimed fan-out job.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoutJob {
    /// Row id.
    pub id: i64,
    /// The alert.
    pub alert_identifier: String,
    /// The region.
    pub region: String,
    /// The push payload.
    pub payload: std::sync::Arc<[u8]>,
    /// Last subscriber id handed to the sender (0 before the first batch).
    pub cursor: SubscriberId,
    /// When it was queued, ms.
    pub created_at_ms: i64,
}

/// Fan-out progress for one alert: (jobs, jobs done, messages sent).
pub(crate) fn fanout_progress(
    conn: &Connection,
    alert_identifier: &str,
) -> Result<(u64, u64, u64), DeliverError> {
    Ok(conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(state = 'delivered'), 0), COALESCE(SUM(sent), 0)
         FROM deliver_fanout WHERE alert_identifier = ?1",
        [alert_identifier],
        |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        },
    )?)
}

pub(crate) fn claim_fanout(
    conn: &Connection,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<FanoutJob>, DeliverError> {
    conn.execute(
        "UPDATE deliver_fanout SET state = 'expired' WHERE state = 'pending' AND expires_at <= ?1",
        [now_ms],
    )?;
    let job = conn
        .query_row(
            "UPDATE deliver_fanout SET lease_until = ?1 + ?2
             WHERE id = (SELECT id FROM deliver_fanout
                         WHERE state = 'pending' AND lease_until <= ?1 ORDER BY id LIMIT 1)
             RETURNING id, alert_identifier, region, payload, cursor, created_at",
            params![now_ms, lease_ms],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )
        .optional()?;
    job.map(
        |(id, alert_identifier, region, payload, cursor, created_at_ms)| {
            Ok(FanoutJob {
                id,
                alert_identifier,
                region,
                payload: payload.into(),
                cursor: SubscriberId::try_from(cursor)
                    .map_err(|_| DeliverError::Corrupt(format!("fan-out cursor {cursor}")))?,
                created_at_ms,
            })
        },
    )
    .transpose()
}

/// The next batch of (id, token) after the cursor.
pub(crate) fn next_batch(
    conn: &Connection,
    region: &str,
    after: SubscriberId,
    limit: usize,
) -> Result<Vec<(SubscriberId, String)>, DeliverError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, push_token FROM deliver_subscribers
         WHERE region = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![region, after, limit as i64], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Record a sent batch: advance the cursor and renew the lease.
pub(crate) fn advance(
    conn: &Connection,
    job: i64,
    cursor: SubscriberId,
    sent: usize,
    lease_until: i64,
) -> Result<(), DeliverError> {
    conn.execute(
        "UPDATE deliver_fanout SET cursor = ?2, sent = sent + ?3, lease_until = ?4 WHERE id = ?1",
        params![job, cursor, sent as i64, lease_until],
    )?;
    Ok(())
}

pub(crate) fn finish(conn: &Connection, job: i64, now_ms: i64) -> Result<(), DeliverError> {
    conn.execute(
        "UPDATE deliver_fanout SET state = 'delivered', done_at = ?2, lease_until = 0 WHERE id = ?1",
        params![job, now_ms],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_region_and_cell_are_stored_without_opt_in() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut outbox = crate::Outbox::open(&dir.path().join("k.db")).expect("open");
        let regions = RegionSet::bundled().expect("regions");
        let mut index = SubscriberIndex::default();
        let naha = GeoPoint::new(26.2124, 127.6809).expect("point");
        let subs = register(
            outbox.conn_mut(),
            &mut index,
            regions,
            &[
                NewSubscriber {
                    push_token: "a".into(),
                    location: naha,
                    precise: false,
                },
                NewSubscriber {
                    push_token: "b".into(),
                    location: naha,
                    precise: true,
                },
            ],
            5,
        )
        .expect("register");
        let a = get(outbox.conn(), subs[0].id).expect("get").expect("row");
        assert_eq!(a.region.as_deref(), Some("JP-47"));
        assert_eq!(
            a.cell,
            Cell {
                lat_tenths: 262,
                lon_tenths: 1276
            }
        );
        assert_eq!(a.precise_location, None);
        let (lat, lon): (Option<f64>, Option<f64>) = outbox
            .conn()
            .query_row(
                "SELECT lat, lon FROM deliver_subscribers WHERE id = ?1",
                [a.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("row");
        assert_eq!((lat, lon), (None, None), "no coordinates on disk");
        let b = get(outbox.conn(), subs[1].id).expect("get").expect("row");
        assert_eq!(b.precise_location, Some(naha));
        assert_eq!(index.in_region("JP-47"), &[a.id, b.id]);
        let reloaded = SubscriberIndex::load(outbox.conn()).expect("load");
        assert_eq!(reloaded.in_region("JP-47"), &[a.id, b.id]);
        assert!(unregister(outbox.conn(), &mut index, a.id).expect("unregister"));
        assert!(!unregister(outbox.conn(), &mut index, a.id).expect("unregister"));
        assert_eq!(index.in_region("JP-47"), &[b.id]);
        assert_eq!(get(outbox.conn(), a.id).expect("get"), None);
    }
}
