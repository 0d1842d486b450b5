//! The live picture of each event for dashboards: the engine publishes an event's
//! picture ([`keiho_pipeline::live::LiveView`]) after each assessment; a new viewer
//! gets the latest picture of every event, then each change.
//!
//! Pictures are states, not deltas: a viewer that falls behind loses nothing by
//! skipping to the newest one, so the channel is small and lag is dropped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// The newest picture of every event, and the channel announcing changes.
#[derive(Debug)]
pub struct LiveBoard {
    latest: Mutex<BTreeMap<String, Arc<str>>>,
    changes: broadcast::Sender<Arc<str>>,
}

impl Default for LiveBoard {
    fn default() -> Self {
        Self {
            latest: Mutex::new(BTreeMap::new()),
            changes: broadcast::channel(256).0,
        }
    }
}

impl LiveBoard {
    /// Publish pictures (from the engine thread).
    pub(crate) fn publish(&self, views: Vec<keiho_pipeline::live::LiveView>) {
        for view in views {
            let json: Arc<str> = match serde_json::to_string(&view) {
                Ok(j) => j.into(),
                Err(e) => {
                    tracing::error!(event = %view.event, error = %e, "live picture not encoded");
                    continue;
                }
            };
            if let Ok(mut latest) = self.latest.lock() {
                latest.insert(view.event.clone(), json.clone());
            }
            // No receiver is not an error: nobody is watching.
            let _ = self.changes.send(json);
        }
    }

    /// A viewer's start: the changes from now on, and every event's latest picture
    /// (subscribed first, so nothing falls between the two).
    pub fn watch(&self) -> (broadcast::Receiver<Arc<str>>, Vec<Arc<str>>) {
        let rx = self.changes.subscribe();
        let snapshot = self
            .latest
            .lock()
            .map(|l| l.values().cloned().collect())
            .unwrap_or_default();
        (rx, snapshot)
    }
}
