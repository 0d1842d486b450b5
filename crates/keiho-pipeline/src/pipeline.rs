//! The pipeline proper: one [`Pipeline`] per deployment, fed reports in time order.

use crate::journal;
use crate::live::{LiveArea, LiveObject, LiveView};
use crate::outcome::outcome;
use chrono::{DateTime, Duration, Utc};
use keiho_alert::assess::{AssessConfig, Ellipse, ObjectHazard, assess};
use keiho_alert::cap::{self, Status};
use keiho_alert::compose::{ComposeError, Deployment, ImpactZone, Issued, MessageContext, compose};
use keiho_alert::policy::{AreaRisk, Assessment, Decision, EventPolicy, PolicyConfig};
use keiho_geo::{HazardError, RegionSet};
use keiho_ingest::Report;
use keiho_store::{AlertLog, StoreError, StoredAlert, StoredEvent};
use keiho_track::{PredictOptions, Prediction, Tracker};
use keiho_types::GeoPoint;
use std::collections::BTreeMap;
use std::time::Instant;

/// Pipeline settings.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Hazard margins and the jurisdiction.
    pub assess: AssessConfig,
    /// The alert policy.
    pub policy: PolicyConfig,
    /// Prediction settings for the per-update assessment. Monte Carlo samples are
    /// off by default here: the unscented ellipse is the hot-loop product.
    pub predict: PredictOptions,
    /// Sender, zone, languages.
    pub deployment: Deployment,
    /// Actual, Exercise or Test.
    pub status: Status,
    /// Shortest interval between two assessments of one event, s of report time.
    pub assess_every_s: f64,
    /// An object not updated for this long whose predicted impact has passed (or that
    /// is below `down_alt_m`) counts as down, s.
    pub down_after_s: f64,
    /// Height under which a tracked object counts as down, m.
    pub down_alt_m: f64,
    /// How long an unannounced launch is assumed to keep burning, s from launch: the
    /// thrust extrapolation stops there (a short-range missile's burn is over in about
    /// a minute; assuming more alerts regions it cannot reach).
    pub default_max_burn_s: f64,
    /// Launches announced in advance (satellite launches are notified through NAVAREA
    /// warnings): within their window and near their site, the longer burn applies.
    pub notices: Vec<LaunchNotice>,
    /// Objects with fewer accepted measurements than this give no hazard yet: a track
    /// just started has a meaningless ellipse.
    pub min_track_updates: u32,
    /// The deployment's key: every message is signed (enveloped XML-DSig) before it is
    /// stored, when set.
    pub signing_key: Option<keiho_sign::SigningKey>,
}

/// A launch announced in advance (e.g. a NAVAREA warning for a satellite launch).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchNotice {
    /// Launch site.
    pub site: GeoPoint,
    /// How far from the site a detected launch still matches, km.
    pub radius_km: f64,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Expected powered flight, s from launch.
    pub max_burn_s: f64,
}

impl PipelineConfig {
    /// Japan's defaults for a deployment with this CAP sender.
    pub fn japan(sender: &str, status: Status) -> Self {
        let predict = PredictOptions {
            samples: 0,
            debris_samples: 0,
            ..PredictOptions::default()
        };
        Self {
            assess: AssessConfig::default(),
            policy: PolicyConfig::default(),
            predict,
            deployment: Deployment::japan(sender),
            status,
            assess_every_s: 2.0,
            down_after_s: 20.0,
            down_alt_m: 3_000.0,
            default_max_burn_s: 60.0,
            notices: Vec::new(),
            min_track_updates: 10,
            signing_key: None,
        }
    }
}

/// Why the pipeline failed. Bad reports are not errors: they are rejected upstream
/// (ingest) or by the tracker and counted.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store failed; the alert was not issued.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A hazard geometry was invalid (a bug in prediction products).
    #[error("hazard geometry: {0}")]
    Hazard(#[from] HazardError),
    /// A message could not be composed.
    #[error(transparent)]
    Compose(#[from] ComposeError),
    /// A composed message failed CAP validation (a bug; it is not issued).
    #[error("composed message {identifier} is not valid CAP 1.2: {problems}")]
    InvalidCap {
        /// The message.
        identifier: String,
        /// What is wrong.
        problems: String,
    },
    /// Serialising CAP failed.
    #[error(transparent)]
    Cap(#[from] cap::CapError),
    /// Signing a message failed; it is not issued.
    #[error(transparent)]
    Sign(#[from] keiho_sign::SignError),
    /// A stored message could not be read back (the database was edited).
    #[error("stored message {identifier}: {problem}")]
    Stored {
        /// The message.
        identifier: String,
        /// What is wrong.
        problem: String,
    },
}

/// An alert issued (committed to the store), for delivery.
#[derive(Debug, Clone)]
pub struct IssuedAlert {
    /// The stored row, with the exact CAP bytes.
    pub stored: StoredAlert,
    /// The policy decision behind it.
    pub decision: Decision,
}

/// Measures processing time; the one place the wall clock is read (see crate docs).
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Start measuring.
    pub fn start() -> Self {
        Self(Instant::now())
    }
    /// Microseconds since start.
    pub fn elapsed_us(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

#[derive(Debug)]
struct EventState {
    policy: EventPolicy,
    issued: Vec<Issued>,
    last_assessed: Option<DateTime<Utc>>,
    /// Areas alerted so far with their kinds (for the outcome).
    alerted: BTreeMap<String, AreaRisk>,
    /// Latest predicted impact (point, time) per object.
    impacts: BTreeMap<String, (GeoPoint, DateTime<Utc>)>,
    /// The last trustworthy extrapolation per object and when it was made.
    last_reliable: BTreeMap<String, (ObjectHazard, DateTime<Utc>)>,
    /// Debris footprint (closed ring) and the time its last piece lands, per object
    /// that broke up, computed once when the break-up is seen.
    debris: BTreeMap<String, (Vec<GeoPoint>, DateTime<Utc>)>,
    /// Objects seen to be down (no more predictions needed).
    down: std::collections::BTreeSet<String>,
    last_zone: Option<ImpactZone>,
    sensors: std::collections::BTreeSet<String>,
    reports: u32,
    concluded: bool,
    /// Track notes already written to the journal, per object.
    notes_journaled: BTreeMap<String, usize>,
    /// The areas (code, kind) of the last assessment written to the journal.
    last_journaled_areas: Vec<(String, String)>,
}

/// The pipeline over one store.
pub struct Pipeline<S: AlertLog> {
    config: PipelineConfig,
    regions: &'static RegionSet,
    tracker: Tracker,
    events: BTreeMap<String, EventState>,
    /// The latest picture of each event, and the events whose picture changed since
    /// [`Pipeline::take_live`] was last called.
    live: BTreeMap<String, LiveView>,
    live_changed: std::collections::BTreeSet<String>,
    store: S,
    rejected: u64,
}

impl<S: AlertLog> std::fmt::Debug for Pipeline<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("events", &self.events.len())
            .field("rejected", &self.rejected)
            .finish_non_exhaustive()
    }
}

impl<S: AlertLog> Pipeline<S> {
    /// A pipeline writing to `store`.
    pub fn new(config: PipelineConfig, regions: &'static RegionSet, store: S) -> Self {
        let tracker = Tracker::new(config.predict.tracker);
        Self {
            config,
            regions,
            tracker,
            events: BTreeMap::new(),
            live: BTreeMap::new(),
            live_changed: Default::default(),
            store,
            rejected: 0,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to write beside the pipeline (the service's inbox and tokens).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The deployment's settings.
    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// The region set.
    pub fn regions(&self) -> &'static RegionSet {
        self.regions
    }

    /// Give the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Reports the tracker refused (gated, inconsistent, unknown).
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Process one accepted report (reports must arrive in time order per object; the
    /// ingest buffer guarantees that). Returns the alerts issued because of it.
    ///
    /// Everything it writes (the report, the journal, any alert) is committed together
    /// before it returns.
    pub fn process(
        &mut self,
        report: &Report,
        json_line: &str,
    ) -> Result<Vec<IssuedAlert>, PipelineError> {
        self.in_unit(|p| p.process_one(report, json_line))
    }

    /// Process reports in order as one unit of work (one disk sync for the batch: a
    /// server request, or one second of a replay). The alerts are returned only once
    /// the whole batch is durable.
    pub fn process_batch<'a>(
        &mut self,
        reports: impl IntoIterator<Item = (&'a Report, &'a str)>,
    ) -> Result<Vec<IssuedAlert>, PipelineError> {
        self.in_unit(|p| {
            let mut out = Vec::new();
            for (report, line) in reports {
                out.extend(p.process_one(report, line)?);
            }
            Ok(out)
        })
    }

    fn in_unit(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<Vec<IssuedAlert>, PipelineError>,
    ) -> Result<Vec<IssuedAlert>, PipelineError> {
        self.store.begin()?;
        match f(self) {
            Ok(issued) => {
                self.store.commit()?;
                Ok(issued)
            }
            Err(e) => {
                self.store.rollback();
                Err(e)
            }
        }
    }

    fn process_one(
        &mut self,
        report: &Report,
        json_line: &str,
    ) -> Result<Vec<IssuedAlert>, PipelineError> {
        let watch = Stopwatch::start();
        let outcome = match self.tracker.ingest(report) {
            Ok(o) => o,
            Err(_) => {
                self.rejected += 1;
                self.store
                    .record_report(None, report.t, &report.object, json_line)?;
                return Ok(Vec::new());
            }
        };
        self.store
            .record_report(Some(&outcome.event), report.t, &report.object, json_line)?;
        let policy = self.config.policy.clone();
        let state = self
            .events
            .entry(outcome.event.clone())
            .or_insert_with(|| EventState {
                policy: EventPolicy::new(policy),
                issued: Vec::new(),
                last_assessed: None,
                alerted: BTreeMap::new(),
                impacts: BTreeMap::new(),
                down: Default::default(),
                last_reliable: BTreeMap::new(),
                debris: BTreeMap::new(),
                last_zone: None,
                sensors: Default::default(),
                reports: 0,
                concluded: false,
                notes_journaled: BTreeMap::new(),
                last_journaled_areas: Vec::new(),
            });
        state.reports += 1;
        state.sensors.insert(report.sensor.clone());
        let due = state.last_assessed.is_none_or(|t| {
            (report.t - t).num_milliseconds() as f64 / 1000.0 >= self.config.assess_every_s
        });
        let mut issued = Vec::new();
        if due {
            issued.extend(self.assess_event(&outcome.event, report.t, watch)?);
        }
        // Other events may have gone quiet: let their clocks move too.
        issued.extend(self.tick_others(&outcome.event, report.t, watch)?);
        Ok(issued)
    }

    /// An operator withdraws the messages of the event that issued `identifier`
    /// (one action, prepared in advance): a CAP Cancel referencing every unexpired
    /// message goes out and the event closes. `Ok(None)` if no open event issued it.
    pub fn withdraw(
        &mut self,
        identifier: &str,
        now: DateTime<Utc>,
        cause: &str,
    ) -> Result<Option<IssuedAlert>, PipelineError> {
        let watch = Stopwatch::start();
        let Some(event_id) = self
            .events
            .iter()
            .find(|(_, s)| s.issued.iter().any(|i| i.identifier == identifier))
            .map(|(id, _)| id.clone())
        else {
            return Ok(None);
        };
        let Some(event) = self
            .tracker
            .events()
            .iter()
            .find(|e| e.id == event_id)
            .cloned()
        else {
            return Ok(None);
        };
        let Some(state) = self.events.get_mut(&event_id) else {
            return Ok(None);
        };
        let Some(decision) = state.policy.withdraw(now, cause) else {
            return Ok(None);
        };
        state.concluded = true;
        self.store.begin()?;
        let result = issue(
            &self.config,
            self.regions,
            &mut self.store,
            &event_id,
            state,
            &event,
            None,
            decision,
            now,
            watch,
        );
        match result {
            Ok(a) => {
                self.store.commit()?;
                Ok(Some(a))
            }
            Err(e) => {
                self.store.rollback();
                Err(e)
            }
        }
    }

    /// The pictures of the events assessed since the last call (for the dashboard's
    /// live map), each event once, in id order.
    pub fn take_live(&mut self) -> Vec<LiveView> {
        std::mem::take(&mut self.live_changed)
            .into_iter()
            .filter_map(|id| self.live.get(&id).cloned())
            .collect()
    }

    /// The latest picture of every event assessed so far.
    pub fn live(&self) -> impl Iterator<Item = &LiveView> {
        self.live.values()
    }

    /// Move the clock on with no report (e.g. every second in the server, and at the
    /// end of a replay): down objects are noticed and all-clears go out on time.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Result<Vec<IssuedAlert>, PipelineError> {
        self.in_unit(|p| p.tick_others("", now, Stopwatch::start()))
    }

    fn tick_others(
        &mut self,
        except: &str,
        now: DateTime<Utc>,
        watch: Stopwatch,
    ) -> Result<Vec<IssuedAlert>, PipelineError> {
        let ids: Vec<String> = self
            .events
            .keys()
            .filter(|k| k.as_str() != except)
            .cloned()
            .collect();
        let mut out = Vec::new();
        for id in ids {
            let Some(state) = self.events.get(&id) else {
                continue;
            };
            if state.policy.phase() == keiho_alert::policy::Phase::Closed {
                continue;
            }
            let due = state.last_assessed.is_none_or(|t| {
                (now - t).num_milliseconds() as f64 / 1000.0 >= self.config.assess_every_s
            });
            if due {
                out.extend(self.assess_event(&id, now, watch)?);
            }
        }
        Ok(out)
    }

    /// Predict every object of the event at `now`, assess, run the policy, issue.
    fn assess_event(
        &mut self,
        event_id: &str,
        now: DateTime<Utc>,
        watch: Stopwatch,
    ) -> Result<Vec<IssuedAlert>, PipelineError> {
        let Some(event) = self
            .tracker
            .events()
            .iter()
            .find(|e| e.id == event_id)
            .cloned()
        else {
            return Ok(Vec::new());
        };
        let mut hazards = Vec::new();
        let mut all_down = !event.objects.is_empty();
        let mut impacts = Vec::new();
        let mut newly_down = Vec::new();
        let mut reliable = Vec::new();
        let known_down = self
            .events
            .get(event_id)
            .map(|s| s.down.clone())
            .unwrap_or_default();
        let known_notes = self
            .events
            .get(event_id)
            .map(|s| s.notes_journaled.clone())
            .unwrap_or_default();
        let mut journal = Vec::new();
        let mut live_objects = Vec::new();
        let mut options = self.config.predict;
        options.horizon_s = self.extrapolation_horizon_s(&event, now);
        for object in &event.objects {
            if known_down.contains(object) {
                continue;
            }
            let Ok(p) = self.tracker.predict(object, now, &options) else {
                continue;
            };
            let down = self.is_down(&p, now);
            if down {
                newly_down.push(object.clone());
            }
            // What the map shows: the hazard the assessment used, once it is known.
            let shown_without_hazard = down || p.counts.accepted < self.config.min_track_updates;
            if shown_without_hazard {
                live_objects.push(LiveObject::of(&p, None, down));
            }
            journal.extend(journal_prediction(
                event_id,
                object,
                &p,
                down,
                now,
                &known_notes,
            ));
            if p.counts.accepted < self.config.min_track_updates && !down {
                all_down = false;
                continue;
            }
            if let Some(iip) = &p.iip {
                if let (Ok(g), Some(at)) = (
                    GeoPoint::wrapping(iip.lat_deg, iip.lon_deg),
                    iip.impact_time,
                ) {
                    impacts.push((object.clone(), g, at));
                }
            }
            if down {
                continue;
            }
            all_down = false;
            let mut h = object_hazard(&p);
            h.debris_footprint = self.debris_footprint(event_id, object, &p, now, &options);
            // Separated pieces (stages, fairings, fragments) do not thrust: an
            // acceleration their filter shows is the transient of separation, so their
            // thrust-extrapolated products are dropped (their ballistic ones are kept).
            let bogus_thrust = p.parent.is_some() && p.phase == keiho_track::Phase::Boost;
            if p.lost || bogus_thrust {
                // A lost track gives no trustworthy extrapolation: keep only its impact
                // ellipse.
                h.ground_track.clear();
                h.iip_trace.clear();
            } else if thrust_estimate_is_reliable(&p) {
                reliable.push((object.clone(), h.clone()));
            } else {
                // Just after staging the thrust estimate is unsettled for a few tens of
                // seconds: no news is not evidence that an area is safe, so the last
                // trustworthy extrapolation (its future part) stands in, for a while.
                let held = self
                    .events
                    .get(event_id)
                    .and_then(|s| s.last_reliable.get(object))
                    .filter(|(_, t)| now - *t <= Duration::seconds(HOLD_EXTRAPOLATION_S));
                match held {
                    Some((old, _)) => {
                        h.ground_track = old
                            .ground_track
                            .iter()
                            .filter(|(_, t)| *t >= now)
                            .copied()
                            .collect();
                        h.iip_trace = old.iip_trace.clone();
                    }
                    None => {
                        h.ground_track.clear();
                        h.iip_trace.clear();
                    }
                }
            }
            live_objects.push(LiveObject::of(&p, Some(&h), false));
            hazards.push(h);
        }
        let areas = assess(&hazards, self.regions, &self.config.assess)?;
        let Some(state) = self.events.get_mut(event_id) else {
            return Ok(Vec::new());
        };
        for entry in &journal {
            if entry.kind == journal::NOTE {
                if let Some(object) = &entry.object {
                    *state.notes_journaled.entry(object.clone()).or_default() += 1;
                }
            }
        }
        let area_keys: Vec<(String, String)> = areas
            .iter()
            .map(|a| (a.code.clone(), risk_kind_name(a.kind)))
            .collect();
        if area_keys != state.last_journaled_areas {
            let body = journal::AssessmentBody {
                areas: areas
                    .iter()
                    .map(|a| journal::AreaBody {
                        code: a.code.clone(),
                        kind: risk_kind_name(a.kind),
                        probability: a.probability,
                        expected_at: a.expected_at,
                    })
                    .collect(),
            };
            journal.push(journal::entry(
                event_id,
                now,
                journal::ASSESSMENT,
                None,
                &body,
            ));
            state.last_journaled_areas = area_keys;
        }
        for entry in &journal {
            self.store.record_journal(entry)?;
        }
        state.last_assessed = Some(now);
        state.down.extend(newly_down);
        for (object, h) in reliable {
            state.last_reliable.insert(object, (h, now));
        }
        for (object, g, at) in impacts {
            state.impacts.insert(object, (g, at));
        }
        // The impact zone of the most threatening object: the earliest impact.
        state.last_zone = hazards
            .iter()
            .filter_map(|h| Some((h.impact_ellipse?, h.impact_at?)))
            .min_by_key(|(_, at)| *at)
            .map(|(e, at)| zone_of(e, at));
        // Every alerted area passed, nothing ahead in the jurisdiction, the remaining
        // impacts outside it: the object has passed over (J-Alert's "passed" message),
        // even if it has not come down yet.
        let alerted_now = state.policy.alerted();
        let grace = Duration::seconds(30);
        let all_passed = !alerted_now.is_empty()
            && areas.is_empty()
            && alerted_now
                .iter()
                .all(|a| a.expected_at.is_some_and(|t| t + grace <= now));
        let outcome = if (all_down || all_passed) && !state.concluded {
            state.concluded = true;
            // The final impact: the latest-landing object's (the last piece down).
            let last = state.impacts.values().max_by_key(|(_, at)| *at).copied();
            let alerted: Vec<AreaRisk> = state.alerted.values().cloned().collect();
            Some(outcome(
                last,
                &alerted,
                self.regions,
                &self.config.assess.jurisdiction,
                now,
            ))
        } else {
            None
        };
        // Where the launch came from, located once for the policy's words, the
        // messages' origin country and the stored event.
        let launch_region = event
            .launch
            .as_ref()
            .and_then(|l| GeoPoint::new(l.lat_deg, l.lon_deg).ok())
            .and_then(|p| self.regions.locate(p))
            .map(|i| self.regions.region(i));
        let origin = launch_region
            .map(|r| format!("{} ({})", r.name_en, r.code))
            .unwrap_or_else(|| "unknown".into());
        let origin_country = launch_region.map(|r| r.country.to_string());
        if let Some(o) = &outcome {
            let body = journal::OutcomeBody::from_outcome(o);
            self.store.record_journal(&journal::entry(
                event_id,
                now,
                journal::OUTCOME,
                None,
                &body,
            ))?;
        }
        let live_areas: Vec<LiveArea> = areas.iter().map(LiveArea::of).collect();
        let assessment = Assessment {
            at: now,
            launch_at: event.launch.as_ref().map(|l| l.t),
            launched_from: origin.clone(),
            consistent_reports: state.reports,
            sensors: state.sensors.len() as u32,
            areas,
            outcome,
        };
        let mut decisions = state.policy.update(&assessment);
        if decisions.is_empty() {
            decisions = state.policy.tick(now);
        }
        let mut issued = Vec::new();
        for d in decisions {
            for a in &d.areas {
                state.alerted.insert(a.code.clone(), a.clone());
            }
            issued.push(issue(
                &self.config,
                self.regions,
                &mut self.store,
                event_id,
                state,
                &event,
                origin_country.as_deref(),
                d,
                now,
                watch,
            )?);
        }
        let phase = format!("{:?}", state.policy.phase()).to_lowercase();
        self.live.insert(
            event_id.to_owned(),
            LiveView {
                event: event_id.to_owned(),
                t: now,
                phase: phase.clone(),
                reports: state.reports,
                sensors: state.sensors.len() as u32,
                objects: live_objects,
                areas: live_areas,
            },
        );
        self.live_changed.insert(event_id.to_owned());
        self.store.upsert_event(&StoredEvent {
            id: event_id.to_owned(),
            launch_at: event.launch.as_ref().map(|l| l.t),
            origin,
            phase,
            objects: event.objects.clone(),
        })?;
        Ok(issued)
    }

    /// How far ahead thrust may be extrapolated now: up to the end of the expected
    /// burn (announced launches: the notice's; others: the default), never more than
    /// the configured horizon.
    fn extrapolation_horizon_s(&self, event: &keiho_track::Event, now: DateTime<Utc>) -> f64 {
        let Some(launch) = &event.launch else {
            return self.config.predict.horizon_s;
        };
        let site = GeoPoint::new(launch.lat_deg, launch.lon_deg).ok();
        let max_burn = self
            .config
            .notices
            .iter()
            .find(|n| {
                launch.t >= n.from
                    && launch.t <= n.to
                    && site
                        .is_some_and(|s| keiho_geo::geodesy::distance_km(s, n.site) <= n.radius_km)
            })
            .map_or(self.config.default_max_burn_s, |n| n.max_burn_s);
        let elapsed = (now - launch.t).num_milliseconds() as f64 / 1000.0;
        (max_burn - elapsed).clamp(0.0, self.config.predict.horizon_s)
    }

    /// The debris footprint of an object that broke up: computed once, when two or
    /// more new objects have appeared beside it (a break-up, not a single separation),
    /// and used until its last piece should be down.
    fn debris_footprint(
        &mut self,
        event_id: &str,
        object: &str,
        p: &Prediction,
        now: DateTime<Utc>,
        options: &PredictOptions,
    ) -> Option<Vec<GeoPoint>> {
        let state = self.events.get_mut(event_id)?;
        if let Some((ring, until)) = state.debris.get(object) {
            return (now <= *until).then(|| ring.clone());
        }
        let pieces = p
            .notes
            .iter()
            .filter(|n| matches!(n, keiho_track::TrackNote::NewObjectNearby { .. }))
            .count();
        if pieces < 2 {
            return None;
        }
        let debris_options = PredictOptions {
            debris_samples: DEBRIS_SAMPLES,
            ..*options
        };
        let footprint = self
            .tracker
            .predict(object, now, &debris_options)
            .ok()?
            .debris?;
        let ring: Vec<GeoPoint> = footprint
            .hull
            .iter()
            .filter_map(|c| GeoPoint::wrapping(c[1], c[0]).ok())
            .collect();
        let until = now + Duration::seconds(footprint.tof_max_s.unwrap_or(0.0) as i64 + 60);
        state
            .debris
            .insert(object.to_owned(), (ring.clone(), until));
        (ring.len() >= 4).then_some(ring)
    }

    fn is_down(&self, p: &Prediction, now: DateTime<Utc>) -> bool {
        // A track that has never been seen descending unpowered (a launch detection,
        // an object in boost) is not down, however quiet it is.
        let descended = p.phase != keiho_track::Phase::Boost && p.counts.accepted >= 5;
        if !descended {
            return false;
        }
        if p.state.alt_m < self.config.down_alt_m {
            return true;
        }
        let quiet_s = (now - p.last_update).num_milliseconds() as f64 / 1000.0;
        let impact_passed = p
            .iip
            .as_ref()
            .and_then(|i| i.impact_time)
            .is_some_and(|t| t <= now);
        quiet_s >= self.config.down_after_s && (impact_passed || p.lost)
    }
}

pub(crate) fn risk_kind_name(kind: keiho_alert::policy::RiskKind) -> String {
    format!("{kind:?}").to_lowercase()
}

/// The journal entries of one object's prediction: the prediction itself and the
/// track notes not yet written.
fn journal_prediction(
    event_id: &str,
    object: &str,
    p: &Prediction,
    down: bool,
    now: DateTime<Utc>,
    known_notes: &BTreeMap<String, usize>,
) -> Vec<keiho_store::JournalEntry> {
    let ellipse = p
        .footprint
        .as_ref()
        .and_then(|f| f.ellipse)
        .or_else(|| p.iip.as_ref().and_then(|i| i.ellipse))
        .map(|e| journal::EllipseBody {
            lat_deg: e.centre_lat_deg,
            lon_deg: e.centre_lon_deg,
            semi_major_km: e.semi_major_km,
            semi_minor_km: e.semi_minor_km,
            orientation_deg: e.orientation_deg,
        });
    let body = journal::PredictionBody {
        phase: format!("{:?}", p.phase).to_lowercase(),
        lost: p.lost,
        down,
        accepted: p.counts.accepted,
        lat_deg: p.state.lat_deg,
        lon_deg: p.state.lon_deg,
        alt_m: p.state.alt_m,
        speed_mps: p.state.speed_mps,
        iip: p.iip.as_ref().map(|i| journal::PointAt {
            lat_deg: i.lat_deg,
            lon_deg: i.lon_deg,
            at: i.impact_time,
        }),
        ellipse,
    };
    let mut out = vec![journal::entry(
        event_id,
        now,
        journal::PREDICTION,
        Some(object),
        &body,
    )];
    let seen = known_notes.get(object).copied().unwrap_or(0);
    for note in p.notes.iter().skip(seen) {
        let (t, body) = match note {
            keiho_track::TrackNote::PhaseChange { t, from, to } => (
                *t,
                journal::NoteBody {
                    note: "phase_change".into(),
                    detail: format!("{from:?} -> {to:?}").to_lowercase(),
                    other: None,
                },
            ),
            keiho_track::TrackNote::AccelerationChange { t, evidence } => (
                *t,
                journal::NoteBody {
                    note: "acceleration_change".into(),
                    detail: format!("abrupt change of acceleration ({evidence})"),
                    other: None,
                },
            ),
            keiho_track::TrackNote::NewObjectNearby {
                t,
                object: other,
                distance_m,
            } => (
                *t,
                journal::NoteBody {
                    note: "new_object_nearby".into(),
                    detail: format!("{other} appeared {:.1} km away", distance_m / 1000.0),
                    other: Some(other.clone()),
                },
            ),
        };
        out.push(journal::entry(
            event_id,
            t,
            journal::NOTE,
            Some(object),
            &body,
        ));
    }
    out
}

/// Samples of a break-up's debris footprint (computed once per break-up).
const DEBRIS_SAMPLES: usize = 200;

/// How long the last trustworthy extrapolation of a powered object stands in while its
/// thrust estimate re-settles (after staging), s.
const HOLD_EXTRAPOLATION_S: i64 = 60;

/// Whether the estimated thrust is known well enough to extrapolate: either there is
/// no significant thrust, or its 1-sigma is under 30% of its magnitude plus 2 m/s².
fn thrust_estimate_is_reliable(p: &Prediction) -> bool {
    if p.phase != keiho_track::Phase::Boost {
        return true;
    }
    let a = p.state.a_thrust_ecef_mps2;
    let magnitude = (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
    let sigma = (p.covariance[6][6] + p.covariance[7][7] + p.covariance[8][8])
        .max(0.0)
        .sqrt();
    sigma <= 0.3 * magnitude + 2.0
}

fn zone_of(e: Ellipse, at: DateTime<Utc>) -> ImpactZone {
    let ring = keiho_geo::geodesy::ellipse_ring(
        e.centre,
        e.semi_major_km,
        e.semi_minor_km,
        e.orientation_deg,
        36,
    );
    ImpactZone {
        lat_deg: e.centre.lat_deg(),
        lon_deg: e.centre.lon_deg(),
        at,
        ellipse: ring.iter().map(|p| (p.lat_deg(), p.lon_deg())).collect(),
        radius_km: e.semi_major_km.max(1.0),
    }
}

fn object_hazard(p: &Prediction) -> ObjectHazard {
    let ellipse = p
        .footprint
        .as_ref()
        .and_then(|f| f.ellipse)
        .or_else(|| p.iip.as_ref().and_then(|i| i.ellipse))
        .and_then(|e| {
            Some(Ellipse {
                centre: GeoPoint::wrapping(e.centre_lat_deg, e.centre_lon_deg).ok()?,
                semi_major_km: e.semi_major_km,
                semi_minor_km: e.semi_minor_km,
                orientation_deg: e.orientation_deg,
            })
        });
    let pt = |lat: f64, lon: f64| GeoPoint::wrapping(lat, lon).ok();
    ObjectHazard {
        object: p.object.clone(),
        powered: p.phase == keiho_track::Phase::Boost,
        impact_at: p.iip.as_ref().and_then(|i| i.impact_time),
        impact_ellipse: ellipse,
        impact_samples: p
            .footprint
            .as_ref()
            .map(|f| {
                f.impacts
                    .iter()
                    .filter_map(|s| pt(s.lat_deg, s.lon_deg))
                    .collect()
            })
            .unwrap_or_default(),
        iip_trace: p
            .iip_trace
            .iter()
            .filter_map(|t| pt(t.lat_deg, t.lon_deg))
            .collect(),
        ground_track: p
            .ground_track
            .iter()
            .filter_map(|g| {
                Some((
                    pt(g.lat_deg, g.lon_deg)?,
                    p.t + Duration::milliseconds((g.t_s * 1000.0) as i64),
                ))
            })
            .collect(),
        debris_footprint: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn issue<S: AlertLog>(
    config: &PipelineConfig,
    regions: &RegionSet,
    store: &mut S,
    event_id: &str,
    state: &mut EventState,
    event: &keiho_track::Event,
    origin_country: Option<&str>,
    decision: Decision,
    now: DateTime<Utc>,
    watch: Stopwatch,
) -> Result<IssuedAlert, PipelineError> {
    let incident = format!("{}-{}", event.first_t.format("%Y%m%dT%H%M%SZ"), event_id);
    // `sent` = the triggering report's time plus the measured processing time.
    let processing_us = watch.elapsed_us();
    let mut decision = decision;
    decision.at = now + Duration::microseconds(i64::try_from(processing_us).unwrap_or(i64::MAX));
    let ctx = MessageContext {
        deployment: &config.deployment,
        status: config.status,
        event_id: &incident,
        sequence: state.issued.len() as u32 + 1,
        origin_country,
        earlier: &state.issued,
        impact: state.last_zone.as_ref(),
        regions,
    };
    let alert = compose(&decision, &ctx)?;
    // Re-deriving an event after a restart: a message already issued stands exactly
    // as it went out (its bytes, its `sent`), and later messages reference it so.
    if let Some(stored) = store.alert(&alert.identifier)? {
        let sent =
            DateTime::parse_from_rfc3339(&stored.sent).map_err(|e| PipelineError::Stored {
                identifier: stored.identifier.clone(),
                problem: format!("sent {:?}: {e}", stored.sent),
            })?;
        let expires = alert
            .info
            .first()
            .and_then(|i| i.expires)
            .unwrap_or(sent + config.deployment.expires_after);
        state.issued.push(Issued {
            identifier: stored.identifier.clone(),
            sent,
            expires,
        });
        return Ok(IssuedAlert { stored, decision });
    }
    let stored = to_stored(
        config,
        &alert,
        event_id,
        ctx.sequence,
        &decision,
        now,
        processing_us,
    )?;
    store.issue_alert(&stored)?;
    let expires = alert
        .info
        .first()
        .and_then(|i| i.expires)
        .unwrap_or(alert.sent + config.deployment.expires_after);
    state.issued.push(Issued {
        identifier: alert.identifier.clone(),
        sent: alert.sent,
        expires,
    });
    Ok(IssuedAlert { stored, decision })
}

/// A composed message as it is stored and sent: serialised, checked against CAP 1.2
/// (an invalid message is a bug and is not issued), signed when the deployment has a
/// key. Automatic and manual messages both go through here.
pub fn to_stored(
    config: &PipelineConfig,
    alert: &keiho_alert::cap::Alert,
    event_id: &str,
    sequence: u32,
    decision: &Decision,
    trigger_report_at: DateTime<Utc>,
    processing_us: u64,
) -> Result<StoredAlert, PipelineError> {
    let xml = cap::to_xml(alert)?;
    let problems = cap::validate(&xml);
    if !problems.is_empty() {
        let problems = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(PipelineError::InvalidCap {
            identifier: alert.identifier.clone(),
            problems,
        });
    }
    let xml = match &config.signing_key {
        Some(key) => keiho_sign::sign_cap(&xml, key)?,
        None => xml,
    };
    Ok(StoredAlert {
        identifier: alert.identifier.clone(),
        event_id: event_id.to_owned(),
        sequence,
        sent: cap::format_sent(alert),
        status: alert.status.to_string(),
        msg_type: alert.msg_type.to_string(),
        stage: format!("{:?}", decision.stage),
        regions: decision.areas.iter().map(|a| a.code.clone()).collect(),
        lifted: decision.lifted.clone(),
        references: alert.references.clone(),
        trigger_report_at,
        processing_us,
        cause: decision.cause.clone(),
        xml,
    })
}
