//! The engine: one thread owns the pipeline and its database connection, so every
//! write (inbox, journal, alerts) happens in one order with no lock held across an
//! `await`. Handlers talk to it through [`EngineHandle`]; it announces every alert it
//! has durably issued on a broadcast channel, in the order of the alert log.

use crate::clock::Clock;
use crate::manual::{ManualRequest, ManualState};
use chrono::{DateTime, Utc};
use keiho_ingest::{BufferConfig, BufferRejection, Report, ReportBuffer, Validator};
use keiho_pipeline::{Pipeline, PipelineError};
use keiho_store::{AlertLog, ServiceLog, SqliteStore, StoreError, StoredAlert};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::{broadcast, oneshot};

/// An alert as announced to streams and delivery, with its place in the log.
#[derive(Debug, Clone)]
pub struct Announced {
    /// Global sequence in the alert log (SSE event id).
    pub seq: i64,
    /// The alert as stored.
    pub alert: Arc<StoredAlert>,
    /// What streams send for it (JSON with the signed CAP), built once for all
    /// clients.
    pub payload: Arc<str>,
}

/// What happened to one report of a request.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReportVerdict {
    /// Durably in the inbox; it will be processed.
    Accepted {
        /// Inbox sequence.
        seq: i64,
    },
    /// Refused, with the reason.
    Rejected {
        /// Why.
        reason: String,
    },
}

/// An operator's action recorded in the inbox, so recovery replays it in place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OperatorAction {
    pub(crate) keiho_operator: WithdrawAction,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WithdrawAction {
    pub(crate) withdraw: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) cause: String,
    pub(crate) actor: String,
}

/// Why the engine could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The pipeline failed (the database, or a bug); nothing was issued.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine has stopped.
    #[error("the engine has stopped")]
    Stopped,
    /// The request names something that does not exist or cannot be done.
    #[error("{0}")]
    Refused(String),
}

type Reply<T> = oneshot::Sender<Result<T, EngineError>>;

/// The engine's answer to an ingest: a verdict per report (by its position in the
/// request) and the identifiers of the alerts issued meanwhile.
pub type IngestOutcome = (Vec<(usize, ReportVerdict)>, Vec<String>);

pub(crate) enum Command {
    Ingest {
        reports: Vec<(usize, Report)>,
        reply: Reply<IngestOutcome>,
    },
    Withdraw {
        identifier: String,
        cause: String,
        actor: String,
        reply: Reply<StoredAlert>,
    },
    Manual {
        request: ManualRequest,
        draft_id: i64,
        reply: Reply<StoredAlert>,
    },
    Ping {
        reply: Reply<()>,
    },
}

/// Talk to the engine.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
    alerts: broadcast::Sender<Announced>,
    alive: Arc<AtomicBool>,
    live: Arc<crate::live::LiveBoard>,
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle").finish_non_exhaustive()
    }
}

impl EngineHandle {
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Validated reports (with their position in the request) into the inbox and on
    /// through the pipeline. Returns a verdict per report and the identifiers of the
    /// alerts issued while handling them.
    pub async fn ingest(
        &self,
        reports: Vec<(usize, Report)>,
    ) -> Result<IngestOutcome, EngineError> {
        self.ask(|reply| Command::Ingest { reports, reply }).await
    }

    /// Withdraw the messages of the event that issued `identifier` (a CAP Cancel).
    pub async fn withdraw(
        &self,
        identifier: String,
        cause: String,
        actor: String,
    ) -> Result<StoredAlert, EngineError> {
        self.ask(|reply| Command::Withdraw {
            identifier,
            cause,
            actor,
            reply,
        })
        .await
    }

    /// Issue an operator's manual alert (already approved where approval is needed).
    pub async fn issue_manual(
        &self,
        request: ManualRequest,
        draft_id: i64,
    ) -> Result<StoredAlert, EngineError> {
        self.ask(|reply| Command::Manual {
            request,
            draft_id,
            reply,
        })
        .await
    }

    /// Whether the engine answers (readiness).
    pub async fn ping(&self) -> Result<(), EngineError> {
        self.ask(|reply| Command::Ping { reply }).await
    }

    /// Alerts as they are issued.
    pub fn subscribe(&self) -> broadcast::Receiver<Announced> {
        self.alerts.subscribe()
    }

    /// The events' live pictures (dashboards).
    pub fn live(&self) -> &crate::live::LiveBoard {
        &self.live
    }

    /// Whether the engine thread is running.
    pub fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }
}

/// Settings of the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long reports wait for stragglers before processing.
    pub reorder_window: Duration,
    /// Validation leniency for reports dated in the future.
    pub future_tolerance: Duration,
}

/// Start the engine on its own thread: recover from the inbox, then serve commands
/// and tick every second. Returns the clock as it runs after recovery (an exercise
/// clock starts once recovery is over; see [`Clock::started_now`]); the rest of the
/// service must read that one.
pub(crate) fn start(
    mut pipeline: Pipeline<SqliteStore>,
    clock: Clock,
    config: EngineConfig,
    metrics: crate::metrics::Metrics,
) -> Result<(EngineHandle, Clock, std::thread::JoinHandle<()>), EngineError> {
    // An exercise clock reads its start time when the service is ready: recovery
    // catches up to that reading (start-up before it is not exercise time either),
    // and the clock starts running once recovery is over. So a restarted drill
    // resumes exactly where it was told to, never ahead of its reports.
    let (manual, seen) = crate::recovery::recover(&mut pipeline, clock.started_now().now())?;
    let clock = clock.started_now();
    let live = Arc::new(crate::live::LiveBoard::default());
    live.publish(pipeline.take_live());
    let last_seq = pipeline
        .store()
        .alerts_after(0, u32::MAX)?
        .last()
        .map_or(0, |(s, _)| *s);
    let (tx, rx) = mpsc::channel();
    let (alerts, _) = broadcast::channel(4096);
    let alive = Arc::new(AtomicBool::new(true));
    let handle = EngineHandle {
        tx,
        alerts: alerts.clone(),
        alive: alive.clone(),
        live: live.clone(),
    };
    let mut engine = Engine {
        pipeline,
        clock,
        buffer: ReportBuffer::new(BufferConfig {
            reorder_window: config.reorder_window,
            ..BufferConfig::default()
        }),
        last_arrival: std::time::Instant::now(),
        config,
        alerts,
        last_seq,
        manual,
        metrics,
        seen,
        live,
    };
    let thread = std::thread::Builder::new()
        .name("keiho-engine".into())
        .spawn(move || {
            engine.run(rx);
            alive.store(false, Ordering::Relaxed);
        })
        .map_err(|e| EngineError::Refused(format!("cannot start the engine thread: {e}")))?;
    Ok((handle, clock, thread))
}

struct Engine {
    pipeline: Pipeline<SqliteStore>,
    clock: Clock,
    buffer: ReportBuffer,
    last_arrival: std::time::Instant,
    config: EngineConfig,
    alerts: broadcast::Sender<Announced>,
    last_seq: i64,
    manual: ManualState,
    metrics: crate::metrics::Metrics,
    /// Hashes of every report line in the inbox: a report posted again (a sender
    /// retrying after a lost answer, even across a restart) is refused as a duplicate.
    seen: std::collections::HashSet<u64>,
    live: Arc<crate::live::LiveBoard>,
}

/// The hash identifying a report line in the inbox.
pub(crate) fn line_hash(line: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    line.hash(&mut h);
    h.finish()
}

impl Engine {
    fn run(&mut self, rx: mpsc::Receiver<Command>) {
        let tick = Duration::from_millis(250);
        let mut next_tick = std::time::Instant::now() + tick;
        loop {
            let wait = next_tick.saturating_duration_since(std::time::Instant::now());
            let command = match rx.recv_timeout(wait) {
                Ok(c) => Some(c),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
            if let Some(command) = command {
                self.handle(command);
            }
            if std::time::Instant::now() >= next_tick {
                next_tick += tick;
                if let Err(e) = self.tick() {
                    tracing::error!(error = %e, "engine tick failed");
                }
            }
        }
        // Shutting down: what is buffered is in the inbox already and is processed
        // on the next start.
        tracing::info!(buffered = self.buffer.len(), "engine stopped");
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Ingest { reports, reply } => {
                let result = self.ingest(reports);
                let _ = reply.send(result);
            }
            Command::Withdraw {
                identifier,
                cause,
                actor,
                reply,
            } => {
                let result = self.withdraw(&identifier, &cause, &actor);
                let _ = reply.send(result);
            }
            Command::Manual {
                request,
                draft_id,
                reply,
            } => {
                let now = self.clock.now();
                let result = self
                    .manual
                    .issue(&mut self.pipeline, &request, draft_id, now);
                self.announce();
                let _ = reply.send(result);
            }
            Command::Ping { reply } => {
                let result = self.pipeline.store().report_count().map(|_| ());
                let _ = reply.send(result.map_err(EngineError::from));
            }
        }
    }

    fn ingest(&mut self, reports: Vec<(usize, Report)>) -> Result<IngestOutcome, EngineError> {
        let mut verdicts = Vec::with_capacity(reports.len());
        let mut lines = Vec::new();
        let mut positions = Vec::new();
        let mut hashes = Vec::new();
        for (position, report) in reports {
            let line = report.to_json_line();
            let hash = line_hash(&line);
            if self.seen.contains(&hash) || hashes.contains(&hash) {
                self.metrics.report_rejected("duplicate");
                verdicts.push((
                    position,
                    ReportVerdict::Rejected {
                        reason: format!(
                            "duplicate: report of object {:?} from sensor {:?} at {:?} was already accepted",
                            report.object, report.sensor, report.t
                        ),
                    },
                ));
                continue;
            }
            match self.buffer.push(report) {
                Ok(()) => {
                    lines.push(line);
                    positions.push(position);
                    hashes.push(hash);
                }
                Err(e) => {
                    self.metrics.report_rejected(rejection_kind(&e));
                    verdicts.push((
                        position,
                        ReportVerdict::Rejected {
                            reason: e.to_string(),
                        },
                    ));
                }
            }
        }
        if !lines.is_empty() {
            // Durable before it is acknowledged: a crash after this loses nothing.
            let seqs = match self
                .pipeline
                .store_mut()
                .inbox_append(self.clock.now(), &lines)
            {
                Ok(seqs) => seqs,
                Err(e) => {
                    // Not durable, so not accepted: drop them from the buffer again by
                    // rebuilding it is not possible; the sender must retry, and the
                    // buffer's duplicate check would refuse the retry. Flush instead
                    // so the buffer holds nothing unacknowledged.
                    // The buffer now also holds this request's reports, which are not
                    // acknowledged; processing everything buffered keeps the earlier,
                    // acknowledged ones from being lost (the sender retries the rest).
                    tracing::error!(error = %e, "inbox write failed; reports not accepted");
                    let buffered = self.buffer.flush();
                    if let Err(e2) = self.process(buffered) {
                        tracing::error!(error = %e2, "processing buffered reports failed");
                    }
                    return Err(e.into());
                }
            };
            self.seen.extend(hashes);
            for (position, seq) in positions.into_iter().zip(seqs) {
                self.metrics.report_accepted();
                verdicts.push((position, ReportVerdict::Accepted { seq }));
            }
            self.last_arrival = std::time::Instant::now();
        }
        verdicts.sort_by_key(|(p, _)| *p);
        let released = self.buffer.release();
        let before = self.last_seq;
        self.process(released)?;
        let issued = self.announce();
        let issued = issued
            .into_iter()
            .filter(|(s, _)| *s > before)
            .map(|(_, id)| id)
            .collect();
        Ok((verdicts, issued))
    }

    fn process(&mut self, released: Vec<Report>) -> Result<(), EngineError> {
        if released.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = released.iter().map(Report::to_json_line).collect();
        let start = std::time::Instant::now();
        self.pipeline
            .process_batch(released.iter().zip(lines.iter().map(String::as_str)))?;
        self.metrics.processing(start.elapsed());
        Ok(())
    }

    fn tick(&mut self) -> Result<(), EngineError> {
        // Stragglers wait at most the reorder window (wall clock) once sensors fall
        // quiet; then the clock moves on.
        let released = if self.last_arrival.elapsed() >= self.config.reorder_window {
            self.buffer.flush()
        } else {
            self.buffer.release()
        };
        self.process(released)?;
        self.pipeline.tick(self.clock.now())?;
        self.announce();
        Ok(())
    }

    fn withdraw(
        &mut self,
        identifier: &str,
        cause: &str,
        actor: &str,
    ) -> Result<StoredAlert, EngineError> {
        let now = self.clock.now();
        if self.manual.owns(identifier) {
            let alert = self
                .manual
                .withdraw(&mut self.pipeline, identifier, cause, now)?;
            self.announce();
            return Ok(alert);
        }
        // Recorded first, so a restart replays the withdrawal in its place.
        let action = OperatorAction {
            keiho_operator: WithdrawAction {
                withdraw: identifier.to_owned(),
                at: now,
                cause: cause.to_owned(),
                actor: actor.to_owned(),
            },
        };
        let line = serde_json::to_string(&action)
            .map_err(|e| EngineError::Refused(format!("encoding the action: {e}")))?;
        self.pipeline.store_mut().inbox_append(now, &[line])?;
        match self.pipeline.withdraw(identifier, now, cause)? {
            Some(issued) => {
                self.announce();
                Ok(issued.stored)
            }
            None => Err(EngineError::Refused(format!(
                "no open event issued {identifier:?}: it is unknown, or its event is already closed"
            ))),
        }
    }

    /// Broadcast every alert issued since the last announcement, in log order, and
    /// the events' new pictures.
    fn announce(&mut self) -> Vec<(i64, String)> {
        self.live.publish(self.pipeline.take_live());
        let fresh = match self.pipeline.store().alerts_after(self.last_seq, 10_000) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "reading the alert log failed");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (seq, alert) in fresh {
            self.last_seq = seq;
            self.metrics.alert_issued(&alert);
            tracing::info!(
                identifier = %alert.identifier,
                status = %alert.status,
                msg_type = %alert.msg_type,
                stage = %alert.stage,
                regions = %alert.regions.join(" "),
                "alert issued"
            );
            out.push((seq, alert.identifier.clone()));
            // No receiver is not an error: nobody is listening yet.
            let payload: Arc<str> = crate::routes::stream_payload(seq, &alert).into();
            let _ = self.alerts.send(Announced {
                seq,
                alert: Arc::new(alert),
                payload,
            });
        }
        out
    }
}

fn rejection_kind(e: &BufferRejection) -> &'static str {
    match e {
        BufferRejection::Duplicate { .. } => "duplicate",
        BufferRejection::TooLate { .. } => "too_late",
        #[allow(unreachable_patterns)]
        _ => "buffer",
    }
}

/// A validator at the engine's clock.
pub(crate) fn validator(clock: &Clock, config: &EngineConfig) -> Validator {
    Validator::new(clock.now()).with_future_tolerance(config.future_tolerance)
}
