//! MQTT for sirens and loudspeaker controllers: one QoS 1 message per alerted region,
//! and a retained state per region so a controller that reconnects learns where
//! things stand.
//!
//! # Topics
//!
//! - `keiho/alerts/{region_code}` (QoS 1, not retained): every message concerning the
//!   region, e.g. `keiho/alerts/JP-47`.
//! - `keiho/state/{region_code}` (QoS 1, retained): the region's current state.
//!
//! # Payloads (compact JSON, UTF-8)
//!
//! Alert:
//! ```json
//! {"identifier":"urn:oid:...","status":"Actual","msgType":"Alert","stage":"TakeShelter",
//!  "action":"sound","region":"JP-47","headline":{"ja":"...","en":"..."},
//!  "sent":"2026-05-01T10:00:00+09:00"}
//! ```
//! `action` is `sound` when the message tells the region to shelter and `stop` when
//! it lifts the call. State:
//! ```json
//! {"region":"JP-47","state":"TakeShelter","identifier":"urn:oid:...","sent":"..."}
//! ```
//! `state` is the policy stage, or `clear` once lifted.
//!
//! A publish counts as delivered when the broker's PUBACK arrives. Publishes go one
//! at a time per connection, so each PUBACK is matched to its own publish.

use serde::Serialize;
use std::time::Duration;
use tokio::sync::mpsc;

/// The topic of a region's alert messages.
pub fn alert_topic(region: &str) -> String {
    format!("keiho/alerts/{region}")
}

/// The topic of a region's retained state.
pub fn state_topic(region: &str) -> String {
    format!("keiho/state/{region}")
}

/// Whether messages on `topic` are retained (the state topics).
pub fn is_retained(topic: &str) -> bool {
    topic.starts_with("keiho/state/")
}

/// Headlines in the languages controllers announce.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Headlines {
    /// Japanese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ja: Option<String>,
    /// English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

/// The alert payload (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertPayload<'a> {
    /// CAP identifier.
    pub identifier: &'a str,
    /// CAP status.
    pub status: &'a str,
    /// CAP msgType.
    pub msg_type: &'a str,
    /// Policy stage.
    pub stage: &'a str,
    /// `sound` or `stop`.
    pub action: &'a str,
    /// The region this message is for.
    pub region: &'a str,
    /// Headlines.
    pub headline: &'a Headlines,
    /// CAP sent.
    pub sent: &'a str,
}

/// The retained state payload (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatePayload<'a> {
    /// The region.
    pub region: &'a str,
    /// Stage, or `clear`.
    pub state: &'a str,
    /// The CAP message that set it.
    pub identifier: &'a str,
    /// Its CAP sent.
    pub sent: &'a str,
}

/// Where the broker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MqttConfig {
    /// Host name or address.
    pub host: String,
    /// Port (1883 for plain MQTT).
    pub port: u16,
    /// Client id; one per server process.
    pub client_id: String,
    /// Keep-alive interval.
    pub keep_alive: Duration,
    /// How long to wait for a PUBACK before retrying through the outbox.
    pub ack_timeout: Duration,
}

impl MqttConfig {
    /// Defaults for a broker at `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            port,
            client_id: "keiho-deliver".into(),
            keep_alive: Duration::from_secs(30),
            ack_timeout: Duration::from_secs(10),
        }
    }
}

enum Seen {
    Sent(u16),
    Acked(u16),
    Error(String),
}

/// A connection that publishes one message at a time and waits for its PUBACK.
/// A background task drives the client's event loop (pings, reconnects).
pub struct MqttPublisher {
    client: rumqttc::AsyncClient,
    events: mpsc::UnboundedReceiver<Seen>,
    driver: tokio::task::JoinHandle<()>,
    ack_timeout: Duration,
}

impl std::fmt::Debug for MqttPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttPublisher").finish_non_exhaustive()
    }
}

impl Drop for MqttPublisher {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl MqttPublisher {
    /// Start connecting (inside a tokio runtime); the connection is made by the
    /// first publish.
    pub fn connect(config: &MqttConfig) -> Self {
        let mut opts = rumqttc::MqttOptions::new(&config.client_id, &config.host, config.port);
        opts.set_keep_alive(config.keep_alive);
        opts.set_clean_session(true);
        let (client, mut eventloop) = rumqttc::AsyncClient::new(opts, 16);
        let (tx, events) = mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                let seen = match eventloop.poll().await {
                    Ok(rumqttc::Event::Outgoing(rumqttc::Outgoing::Publish(pkid))) => {
                        Some(Seen::Sent(pkid))
                    }
                    Ok(rumqttc::Event::Incoming(rumqttc::Packet::PubAck(ack))) => {
                        Some(Seen::Acked(ack.pkid))
                    }
                    Ok(_) => None,
                    Err(e) => Some(Seen::Error(e.to_string())),
                };
                let failed = matches!(seen, Some(Seen::Error(_)));
                if let Some(s) = seen
                    && tx.send(s).is_err()
                {
                    return; // the publisher is gone
                }
                if failed {
                    // Reconnect on the next poll, without spinning.
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        });
        Self {
            client,
            events,
            driver,
            ack_timeout: config.ack_timeout,
        }
    }

    /// Publish at QoS 1 and wait for the PUBACK. An error means the message may or
    /// may not have reached the broker; the caller retries (and should drop this
    /// publisher, whose session state is then unknown).
    pub async fn publish_acked(
        &mut self,
        topic: &str,
        payload: Vec<u8>,
        retain: bool,
    ) -> Result<(), String> {
        while self.events.try_recv().is_ok() {} // stale events of earlier publishes
        self.client
            .publish(topic, rumqttc::QoS::AtLeastOnce, retain, payload)
            .await
            .map_err(|e| format!("MQTT publish: {e}"))?;
        let wait = async {
            let mut pkid = None;
            while let Some(seen) = self.events.recv().await {
                match seen {
                    Seen::Sent(p) if pkid.is_none() => pkid = Some(p),
                    Seen::Acked(p) if Some(p) == pkid => return Ok(()),
                    Seen::Error(e) => return Err(format!("MQTT connection: {e}")),
                    _ => {}
                }
            }
            Err("MQTT event loop stopped".to_owned())
        };
        tokio::time::timeout(self.ack_timeout, wait)
            .await
            .map_err(|_| format!("no PUBACK within {:?}", self.ack_timeout))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_the_documented_json() {
        let h = Headlines {
            ja: Some("ミサイル発射".into()),
            en: Some("Missile launch".into()),
        };
        let p = AlertPayload {
            identifier: "urn:x:1",
            status: "Actual",
            msg_type: "Alert",
            stage: "TakeShelter",
            action: "sound",
            region: "JP-47",
            headline: &h,
            sent: "2026-05-01T10:00:00+09:00",
        };
        assert_eq!(
            serde_json::to_string(&p).expect("json"),
            r#"{"identifier":"urn:x:1","status":"Actual","msgType":"Alert","stage":"TakeShelter","action":"sound","region":"JP-47","headline":{"ja":"ミサイル発射","en":"Missile launch"},"sent":"2026-05-01T10:00:00+09:00"}"#
        );
        let s = StatePayload {
            region: "JP-47",
            state: "clear",
            identifier: "urn:x:2",
            sent: "t",
        };
        assert_eq!(
            serde_json::to_string(&s).expect("json"),
            r#"{"region":"JP-47","state":"clear","identifier":"urn:x:2","sent":"t"}"#
        );
        assert!(is_retained(&state_topic("JP-47")));
        assert!(!is_retained(&alert_topic("JP-47")));
    }
}
