//! The tracker: one filter per object, its phase and break-up notes, and the grouping
//! of objects into launch events.
//!
//! Reports must arrive in time order per object (keiho_ingest::ReportBuffer does that);
//! the tracker refuses older ones rather than corrupting a filter. Every container is
//! ordered (BTreeMap, Vec in creation order), so the same reports always give the same
//! tracks, events and notes.

use crate::error::TrackError;
use crate::filter::{Ekf, RadarObservation, StateCovariance, StateVector, UpdateResult};
use crate::phase::{Phase, PhaseConfig, PhaseTracker};
use chrono::{DateTime, TimeDelta, Utc};
use keiho_geo::frames::Geodetic;
use keiho_ingest::{Measurement, RadarMeasurement, Report};
use nalgebra::{Matrix3, Vector3};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Tuning of the tracker. Defaults suit ballistic-missile and space-launch tracks
/// observed at 0.1-10 Hz with errors of tens of metres to a few kilometres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerConfig {
    /// Jerk spectral density in boost, m^2/s^5: thrust grows as propellant burns and
    /// turns with the pitch programme. Large enough that a burnout shows in the
    /// thrust estimate within seconds (0.5 took twice as long to leave boost); steps
    /// beyond what it follows are caught by the manoeuvre detection.
    pub q_boost_m2_s5: f64,
    /// Jerk spectral density in coast, m^2/s^5. Zero by default: in coast nothing but
    /// gravity acts, which the filter models exactly, and any positive value made it
    /// measurably pessimistic in the NEES test. What does change in coast (drag
    /// onset, break-up) is caught by the re-entry phase and the manoeuvre detection.
    pub q_coast_m2_s5: f64,
    /// Jerk spectral density in re-entry, m^2/s^5: drag grows from nothing to tens of
    /// g in a minute and the filter's acceleration state has to follow it.
    pub q_reentry_m2_s5: f64,
    /// Phase decision thresholds.
    pub phase: PhaseConfig,
    /// Launch detection: 1-sigma height of the vehicle at detection, metres (it is
    /// seen seconds after lift-off, somewhere in the first few kilometres).
    pub launch_alt_sigma_m: f64,
    /// Launch detection: 1-sigma velocity per axis, m/s.
    pub launch_vel_sigma_mps: f64,
    /// Launch detection: prior thrust acceleration, straight up, m/s^2, and its
    /// 1-sigma per axis.
    pub launch_accel_up_mps2: f64,
    /// See `launch_accel_up_mps2`.
    pub launch_accel_sigma_mps2: f64,
    /// First fix of an object with no parent: 1-sigma velocity per axis, m/s.
    pub unknown_vel_sigma_mps: f64,
    /// First fix of an object with no parent: 1-sigma acceleration per axis, m/s^2.
    pub unknown_accel_sigma_mps2: f64,
    /// First fix of an object seen near a tracked one (a stage, a fragment): 1-sigma
    /// velocity about the parent's, m/s (separation and break-up impulses are tens of
    /// m/s; more allows for a poor parent estimate).
    pub child_vel_sigma_mps: f64,
    /// Velocity noise assumed for position fixes that carry a velocity, m/s (the
    /// report format has no velocity sigma).
    pub fix_vel_sigma_mps: f64,
    /// Consecutive gated measurements that are taken as a manoeuvre (staging,
    /// burnout, break-up) rather than as outliers.
    pub manoeuvre_rejections: u32,
    /// Number of recent accepted updates whose NIS are summed to spot a drift away
    /// from the model that no single measurement shows; the sum is tested against the
    /// chi-square 99.9% point of its degrees of freedom (at 99% the boost phase shows
    /// false alarms every minute or so).
    pub nis_window: usize,
    /// Covariance added on a detected manoeuvre, 1-sigma: position m, velocity m/s,
    /// acceleration m/s^2.
    pub reset_r_m: f64,
    /// See `reset_r_m`.
    pub reset_v_mps: f64,
    /// See `reset_r_m`.
    pub reset_a_mps2: f64,
    /// A change of the estimated acceleration by more than this within
    /// `accel_step_window_s` is noted as an acceleration change (staging, burnout,
    /// ignition), m/s^2. Not applied in re-entry, where drag grows this fast anyway.
    pub accel_step_mps2: f64,
    /// See `accel_step_mps2`, seconds.
    pub accel_step_window_s: f64,
    /// Least time between two acceleration-change notes of one track, seconds: one
    /// staging shows in several detectors and over several updates.
    pub note_refractory_s: f64,
    /// A new object within this distance of a track's predicted position joins that
    /// track's event, metres.
    pub join_radius_m: f64,
    /// A new object whose ballistic back-propagation passes this close to a launch
    /// site joins that launch's event, metres. Generous, because back-propagating a
    /// coasting object ignores the powered flight that preceded it.
    pub backprop_radius_m: f64,
    /// Accepted updates before the back-propagation test is made (the velocity must
    /// have converged).
    pub backprop_after_updates: u32,
    /// Launch events older than this accept no new objects, seconds.
    pub event_window_s: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            q_boost_m2_s5: 2.0,
            q_coast_m2_s5: 0.0,
            q_reentry_m2_s5: 100.0,
            phase: PhaseConfig::default(),
            launch_alt_sigma_m: 3_000.0,
            launch_vel_sigma_mps: 300.0,
            launch_accel_up_mps2: 15.0,
            launch_accel_sigma_mps2: 15.0,
            unknown_vel_sigma_mps: 3_000.0,
            unknown_accel_sigma_mps2: 20.0,
            child_vel_sigma_mps: 300.0,
            fix_vel_sigma_mps: 50.0,
            manoeuvre_rejections: 2,
            nis_window: 4,
            reset_r_m: 100.0,
            reset_v_mps: 30.0,
            reset_a_mps2: 15.0,
            accel_step_mps2: 8.0,
            accel_step_window_s: 8.0,
            note_refractory_s: 10.0,
            join_radius_m: 50_000.0,
            backprop_radius_m: 200_000.0,
            backprop_after_updates: 8,
            event_window_s: 3_600.0,
        }
    }
}

impl TrackerConfig {
    fn q_for(&self, phase: Phase) -> f64 {
        match phase {
            Phase::Boost => self.q_boost_m2_s5,
            Phase::Coast => self.q_coast_m2_s5,
            Phase::Reentry => self.q_reentry_m2_s5,
        }
    }
}

/// Something the tracker noticed about an object's flight, kept in time order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrackNote {
    /// The phase changed.
    PhaseChange {
        /// When (time of the update that confirmed it).
        t: DateTime<Utc>,
        /// Previous phase.
        from: Phase,
        /// New phase.
        to: Phase,
    },
    /// Innovations left the model: an abrupt change of acceleration (staging, burnout,
    /// ignition, break-up). The covariance was partly reset.
    AccelerationChange {
        /// When.
        t: DateTime<Utc>,
        /// What gave it away: "rejections" (consecutive gated measurements) or
        /// "innovation_drift" (fading NIS average).
        evidence: &'static str,
    },
    /// A new object appeared near this one: a separation (stage, fairing) or a
    /// break-up.
    NewObjectNearby {
        /// When.
        t: DateTime<Utc>,
        /// The new object's id.
        object: String,
        /// Distance from this track's predicted position, metres.
        distance_m: f64,
    },
}

/// One tracked object.
#[derive(Debug, Clone)]
pub struct ObjectTrack {
    id: String,
    event: String,
    parent: Option<String>,
    filter: Ekf,
    phase: PhaseTracker,
    first_t: DateTime<Utc>,
    last_t: DateTime<Utc>,
    accepted: u32,
    rejected: u32,
    degenerate: u32,
    consecutive_rejections: u32,
    /// Recent (nis, dof) of accepted updates.
    nis_recent: VecDeque<(f64, usize)>,
    notes: Vec<TrackNote>,
    backprop_done: bool,
    /// Recent (t_s, acceleration, its 1-sigma per axis) for the step detector.
    accel_history: VecDeque<(f64, Vector3<f64>, f64)>,
    last_change_note_s: f64,
}

/// Counters of a track, for products and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TrackCounts {
    /// Measurements used.
    pub accepted: u32,
    /// Measurements refused by the gate.
    pub rejected: u32,
    /// Measurements with degenerate geometry.
    pub degenerate: u32,
}

impl ObjectTrack {
    /// Object id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Id of the event the object belongs to.
    pub fn event(&self) -> &str {
        &self.event
    }
    /// The track it was first seen near, if any (its parent stage or body).
    pub fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }
    /// The filter at the last update (time in seconds from the tracker's epoch).
    pub fn filter(&self) -> &Ekf {
        &self.filter
    }
    /// Current phase.
    pub fn phase(&self) -> Phase {
        self.phase.phase
    }
    /// Time of the first report.
    pub fn first_t(&self) -> DateTime<Utc> {
        self.first_t
    }
    /// Time of the last update.
    pub fn last_t(&self) -> DateTime<Utc> {
        self.last_t
    }
    /// Measurement counters.
    pub fn counts(&self) -> TrackCounts {
        TrackCounts {
            accepted: self.accepted,
            rejected: self.rejected,
            degenerate: self.degenerate,
        }
    }
    /// Notes in time order.
    pub fn notes(&self) -> &[TrackNote] {
        &self.notes
    }
    /// Jerk spectral density the filter uses in the current phase, m^2/s^5.
    pub(crate) fn q(&self, config: &TrackerConfig) -> f64 {
        config.q_for(self.phase.phase)
    }
}

/// Where and when a launch was detected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LaunchSite {
    /// Detection time.
    pub t: DateTime<Utc>,
    /// Geodetic latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
}

/// One launch (or, until a launch is known, one unexplained object) and everything
/// that came from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// "E1", "E2", ... in order of creation.
    pub id: String,
    /// The launch, when one was detected.
    pub launch: Option<LaunchSite>,
    /// Objects in the order they joined.
    pub objects: Vec<String>,
    /// Time of the first report of the event.
    pub first_t: DateTime<Utc>,
}

/// What one report did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UpdateKind {
    /// The report started a track.
    Initialised,
    /// Used by the filter.
    Updated {
        /// Normalised innovation squared.
        nis: f64,
    },
    /// Refused by the gate and counted; the state is as predicted.
    Rejected {
        /// Normalised innovation squared.
        nis: f64,
        /// The gate.
        gate: f64,
    },
    /// After consecutive rejections, taken as a manoeuvre: the covariance was partly
    /// reset and the measurement used.
    ManoeuvreReset,
    /// Degenerate geometry; not used.
    Degenerate,
    /// A launch detection for an object already tracked carries nothing new.
    Ignored,
}

/// Result of [`Tracker::ingest`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IngestOutcome {
    /// The object.
    pub object: String,
    /// Its event.
    pub event: String,
    /// What happened.
    pub update: UpdateKind,
    /// Phase after the update.
    pub phase: Phase,
}

/// Per-object filters, phases and event grouping over a stream of reports.
#[derive(Debug, Clone)]
pub struct Tracker {
    config: TrackerConfig,
    epoch: Option<DateTime<Utc>>,
    tracks: BTreeMap<String, ObjectTrack>,
    events: Vec<Event>,
    next_event: u64,
}

impl Tracker {
    /// An empty tracker.
    pub fn new(config: TrackerConfig) -> Self {
        Self {
            config,
            epoch: None,
            tracks: BTreeMap::new(),
            events: Vec::new(),
            next_event: 1,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// Events in order of creation (merged-away events are gone).
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Tracks ordered by object id.
    pub fn objects(&self) -> impl Iterator<Item = &ObjectTrack> {
        self.tracks.values()
    }

    /// One track.
    pub fn object(&self, id: &str) -> Option<&ObjectTrack> {
        self.tracks.get(id)
    }

    /// Seconds from the tracker epoch to `t`.
    pub(crate) fn seconds(&self, t: DateTime<Utc>) -> Result<f64, TrackError> {
        let epoch = self.epoch.unwrap_or(t);
        seconds_between(epoch, t).ok_or(TrackError::TimeOutOfRange { t })
    }

    /// The UTC time `t_s` seconds after the epoch.
    pub(crate) fn time_at(&self, t_s: f64) -> Option<DateTime<Utc>> {
        let epoch = self.epoch?;
        add_seconds(epoch, t_s)
    }

    /// Feeds one report.
    pub fn ingest(&mut self, report: &Report) -> Result<IngestOutcome, TrackError> {
        check_report(report)?;
        if self.epoch.is_none() {
            self.epoch = Some(report.t);
        }
        let t_s = self.seconds(report.t)?;
        let Some(track) = self.tracks.get(&report.object) else {
            return self.start_track(report, t_s);
        };
        if report.t < track.last_t {
            return Err(TrackError::OutOfOrder {
                object: report.object.clone(),
                t: report.t,
                last_t: track.last_t,
            });
        }
        let config = self.config;
        let Some(track) = self.tracks.get_mut(&report.object) else {
            return Err(TrackError::UnknownObject {
                object: report.object.clone(),
            });
        };
        let update = update_track(track, report, t_s, &config);
        let outcome = IngestOutcome {
            object: track.id.clone(),
            event: track.event.clone(),
            update,
            phase: track.phase.phase,
        };
        if matches!(
            update,
            UpdateKind::Updated { .. } | UpdateKind::ManoeuvreReset
        ) {
            self.maybe_backpropagate(&report.object);
        }
        Ok(outcome)
    }

    fn start_track(&mut self, report: &Report, t_s: f64) -> Result<IngestOutcome, TrackError> {
        let c = self.config;
        let (filter, phase, event, parent) = match &report.measurement {
            Measurement::Launch(l) => {
                let g = Geodetic {
                    lat_deg: l.lat_deg,
                    lon_deg: l.lon_deg,
                    alt_m: 0.0,
                };
                let enu_to_ecef = g.ecef_to_enu().transpose();
                let mut x = StateVector::zeros();
                x.fixed_rows_mut::<3>(0).copy_from(&g.to_ecef());
                x.fixed_rows_mut::<3>(6)
                    .copy_from(&(enu_to_ecef * Vector3::new(0.0, 0.0, c.launch_accel_up_mps2)));
                let cov_r_enu = Matrix3::from_diagonal(&Vector3::new(
                    l.sigma_m * l.sigma_m,
                    l.sigma_m * l.sigma_m,
                    c.launch_alt_sigma_m * c.launch_alt_sigma_m,
                ));
                let mut p = StateCovariance::zeros();
                p.fixed_view_mut::<3, 3>(0, 0)
                    .copy_from(&(enu_to_ecef * cov_r_enu * enu_to_ecef.transpose()));
                set_block(&mut p, 1, c.launch_vel_sigma_mps);
                set_block(&mut p, 2, c.launch_accel_sigma_mps2);
                let site = LaunchSite {
                    t: report.t,
                    lat_deg: l.lat_deg,
                    lon_deg: l.lon_deg,
                };
                let event = self.launch_event(site, &report.object);
                (Ekf { t_s, x, p }, Phase::Boost, event, None)
            }
            Measurement::Position(pf) => {
                let r = Geodetic {
                    lat_deg: pf.lat_deg,
                    lon_deg: pf.lon_deg,
                    alt_m: pf.alt_m,
                }
                .to_ecef();
                let cov = Matrix3::identity() * pf.sigma_m * pf.sigma_m;
                let vel = pf
                    .vel_ecef_mps
                    .map(|v| (pf.sigma_m, Vector3::from(v), c.fix_vel_sigma_mps));
                self.start_from_fix(report, t_s, r, cov, vel)
            }
            Measurement::Radar(rm) => {
                let cov = radar_position_covariance(rm);
                self.start_from_fix(report, t_s, rm.target_ecef(), cov, None)
            }
        };
        let track = ObjectTrack {
            id: report.object.clone(),
            event: event.clone(),
            parent,
            filter,
            phase: PhaseTracker::new(phase),
            first_t: report.t,
            last_t: report.t,
            accepted: 1,
            rejected: 0,
            degenerate: 0,
            consecutive_rejections: 0,
            nis_recent: VecDeque::new(),
            notes: Vec::new(),
            backprop_done: false,
            accel_history: VecDeque::new(),
            last_change_note_s: f64::NEG_INFINITY,
        };
        self.tracks.insert(report.object.clone(), track);
        Ok(IngestOutcome {
            object: report.object.clone(),
            event,
            update: UpdateKind::Initialised,
            phase,
        })
    }

    /// A track started from a 3-D position (fix or radar) with covariance `cov_r`;
    /// `vel` = (position sigma, velocity, velocity sigma) when the fix carries one.
    fn start_from_fix(
        &mut self,
        report: &Report,
        t_s: f64,
        r_ecef_m: Vector3<f64>,
        cov_r: Matrix3<f64>,
        vel: Option<(f64, Vector3<f64>, f64)>,
    ) -> (Ekf, Phase, String, Option<String>) {
        let c = self.config;
        let near = self.nearest_track(&r_ecef_m, t_s);
        let mut x = StateVector::zeros();
        x.fixed_rows_mut::<3>(0).copy_from(&r_ecef_m);
        let mut p = StateCovariance::zeros();
        p.fixed_view_mut::<3, 3>(0, 0).copy_from(&cov_r);
        set_block(&mut p, 2, c.unknown_accel_sigma_mps2);
        let (event, parent) = match &near {
            Some((parent_id, parent_state, distance_m)) => {
                // A stage or fragment leaves with its parent's velocity plus an
                // impulse of tens of m/s: a far better prior than "unknown".
                x.fixed_rows_mut::<3>(3)
                    .copy_from(&parent_state.v_ecef_mps());
                set_block(&mut p, 1, c.child_vel_sigma_mps);
                let event = self
                    .tracks
                    .get(parent_id)
                    .map(|t| t.event.clone())
                    .unwrap_or_default();
                if let Some(pt) = self.tracks.get_mut(parent_id) {
                    pt.notes.push(TrackNote::NewObjectNearby {
                        t: report.t,
                        object: report.object.clone(),
                        distance_m: *distance_m,
                    });
                }
                if let Some(e) = self.events.iter_mut().find(|e| e.id == event) {
                    e.objects.push(report.object.clone());
                }
                (event, Some(parent_id.clone()))
            }
            None => {
                set_block(&mut p, 1, c.unknown_vel_sigma_mps);
                (self.new_event(None, &report.object, report.t), None)
            }
        };
        let mut filter = Ekf { t_s, x, p };
        if let Some((sigma_m, v, sigma_v)) = vel {
            // Ungated: there is nothing yet to gate against but the vague prior.
            let _ = filter.update_position(&r_ecef_m, sigma_m, Some((v, sigma_v)), false);
        }
        (filter, Phase::Coast, event, parent)
    }

    /// The event of a launch: an existing one if another object reported the same
    /// launch (within the join radius and a minute), otherwise a new one.
    fn launch_event(&mut self, site: LaunchSite, object: &str) -> String {
        let same = self.events.iter_mut().find(|e| {
            e.launch.is_some_and(|l| {
                (l.t - site.t).num_seconds().abs() <= 60
                    && ground_distance_m(l.lat_deg, l.lon_deg, site.lat_deg, site.lon_deg)
                        < self.config.join_radius_m
            })
        });
        if let Some(e) = same {
            e.objects.push(object.to_owned());
            return e.id.clone();
        }
        self.new_event(Some(site), object, site.t)
    }

    fn new_event(&mut self, launch: Option<LaunchSite>, object: &str, t: DateTime<Utc>) -> String {
        let id = format!("E{}", self.next_event);
        self.next_event += 1;
        self.events.push(Event {
            id: id.clone(),
            launch,
            objects: vec![object.to_owned()],
            first_t: t,
        });
        id
    }

    /// The track whose position predicted to `t_s` is nearest `r_ecef_m`, within the
    /// join radius, with that prediction and the distance. Ties go to the lower id.
    fn nearest_track(&self, r_ecef_m: &Vector3<f64>, t_s: f64) -> Option<(String, Ekf, f64)> {
        let mut best: Option<(String, Ekf, f64)> = None;
        for track in self.tracks.values() {
            let dt = t_s - track.filter.t_s;
            if !(0.0..=self.config.event_window_s).contains(&dt) {
                continue;
            }
            let mut f = track.filter.clone();
            f.predict(t_s, track.q(&self.config));
            let d = (f.r_ecef_m() - r_ecef_m).norm();
            if d < self.config.join_radius_m && best.as_ref().is_none_or(|b| d < b.2) {
                best = Some((track.id.clone(), f, d));
            }
        }
        best
    }

    /// For an object alone in an event with no launch: once its velocity has
    /// converged, back-propagate it ballistically and, if it passes near a launch
    /// site at or after that launch, move its event into the launch's.
    fn maybe_backpropagate(&mut self, object: &str) {
        let config = self.config;
        let Some(track) = self.tracks.get(object) else {
            return;
        };
        if track.backprop_done
            || track.accepted < config.backprop_after_updates
            || track.phase.phase == Phase::Boost
        {
            return;
        }
        let own_event = track.event.clone();
        let orphan = self
            .events
            .iter()
            .any(|e| e.id == own_event && e.launch.is_none());
        let filter = track.filter.clone();
        if let Some(t) = self.tracks.get_mut(object) {
            t.backprop_done = true;
        }
        if !orphan {
            return;
        }
        let now = self.time_at(filter.t_s);
        let mut best: Option<(usize, f64)> = None;
        for (i, e) in self.events.iter().enumerate() {
            let Some(l) = e.launch else { continue };
            let Some(now) = now else { continue };
            let Some(back_s) = seconds_between(l.t, now) else {
                continue;
            };
            if !(0.0..=config.event_window_s).contains(&back_s) {
                continue;
            }
            let d = backprop_miss_m(&mut filter.clone(), back_s, l.lat_deg, l.lon_deg);
            if d < config.backprop_radius_m && best.is_none_or(|b| d < b.1) {
                best = Some((i, d));
            }
        }
        let Some((target, _)) = best else { return };
        let target_id = self.events[target].id.clone();
        // Move every object of the orphan event into the launch event.
        let Some(pos) = self.events.iter().position(|e| e.id == own_event) else {
            return;
        };
        let orphan_event = self.events.remove(pos);
        for o in &orphan_event.objects {
            if let Some(t) = self.tracks.get_mut(o) {
                t.event = target_id.clone();
            }
        }
        if let Some(e) = self.events.iter_mut().find(|e| e.id == target_id) {
            e.objects.extend(orphan_event.objects);
        }
    }
}

/// Smallest ground distance between the launch site and the sub-points of the
/// ballistic back-propagation of `filter` over `back_s` seconds (stopping at the
/// ground), metres.
fn backprop_miss_m(filter: &mut Ekf, back_s: f64, lat_deg: f64, lon_deg: f64) -> f64 {
    const STEP_S: f64 = 10.0;
    filter.x.fixed_rows_mut::<3>(6).fill(0.0);
    let t_end = filter.t_s - back_s;
    let mut best = f64::INFINITY;
    loop {
        let g = Geodetic::from_ecef(&filter.r_ecef_m());
        best = best.min(ground_distance_m(g.lat_deg, g.lon_deg, lat_deg, lon_deg));
        if g.alt_m <= 0.0 || filter.t_s <= t_end {
            return best;
        }
        let next = (filter.t_s - STEP_S).max(t_end);
        filter.predict(next, 0.0);
    }
}

fn update_track(
    track: &mut ObjectTrack,
    report: &Report,
    t_s: f64,
    config: &TrackerConfig,
) -> UpdateKind {
    if let Measurement::Launch(_) = report.measurement {
        return UpdateKind::Ignored;
    }
    track.filter.predict(t_s, track.q(config));
    track.last_t = report.t;
    let result = measure(&mut track.filter, report, config, true);
    let kind = match result {
        UpdateResult::Accepted { nis, dof } => {
            track.accepted += 1;
            track.consecutive_rejections = 0;
            track.nis_recent.push_back((nis, dof));
            if track.nis_recent.len() > config.nis_window {
                track.nis_recent.pop_front();
            }
            let (sum, dofs) = track
                .nis_recent
                .iter()
                .fold((0.0, 0), |(s, d), (n, k)| (s + n, d + k));
            // Only once the window is full: the first updates of a track weigh a vague
            // prior and say little.
            if track.nis_recent.len() == config.nis_window && sum > chi2_999(dofs) {
                reset(track, config);
                note_change(track, report.t, "innovation_drift", config);
            }
            UpdateKind::Updated { nis }
        }
        UpdateResult::Gated { nis, gate } => {
            track.rejected += 1;
            track.consecutive_rejections += 1;
            if track.consecutive_rejections >= config.manoeuvre_rejections {
                reset(track, config);
                note_change(track, report.t, "rejections", config);
                match measure(&mut track.filter, report, config, false) {
                    UpdateResult::Accepted { .. } => {
                        track.accepted += 1;
                        UpdateKind::ManoeuvreReset
                    }
                    _ => {
                        track.degenerate += 1;
                        UpdateKind::Degenerate
                    }
                }
            } else {
                UpdateKind::Rejected { nis, gate }
            }
        }
        UpdateResult::Degenerate => {
            track.degenerate += 1;
            UpdateKind::Degenerate
        }
    };
    if matches!(
        kind,
        UpdateKind::Updated { .. } | UpdateKind::ManoeuvreReset
    ) {
        detect_step(track, report.t, config);
    }
    if let Some((from, to)) = track.phase.step(&track.filter, &config.phase) {
        track.notes.push(TrackNote::PhaseChange {
            t: report.t,
            from,
            to,
        });
    }
    kind
}

/// Chi-square 99.9% quantile for `dof` degrees of freedom (Wilson-Hilferty; within
/// 2% for the 8-24 dof used here).
fn chi2_999(dof: usize) -> f64 {
    // dof is a small count: exact in f64.
    #[allow(clippy::cast_precision_loss)]
    let k = dof as f64;
    let c = 2.0 / (9.0 * k);
    k * (1.0 - c + 3.090_232 * c.sqrt()).powi(3)
}

/// Notes an acceleration change unless one was noted within the refractory time.
fn note_change(
    track: &mut ObjectTrack,
    t: DateTime<Utc>,
    evidence: &'static str,
    config: &TrackerConfig,
) {
    let now = track.filter.t_s;
    if now - track.last_change_note_s >= config.note_refractory_s {
        track
            .notes
            .push(TrackNote::AccelerationChange { t, evidence });
        track.last_change_note_s = now;
    }
}

/// Compares the acceleration estimate with the one about `accel_step_window_s` ago;
/// a change counts only if it is also large against both estimates' uncertainty
/// (just after a launch detection the estimate moves a lot simply by converging).
fn detect_step(track: &mut ObjectTrack, t: DateTime<Utc>, config: &TrackerConfig) {
    let now = track.filter.t_s;
    let a = track.filter.a_thrust_ecef_mps2();
    let sigma = (track.filter.p.fixed_view::<3, 3>(6, 6).trace() / 3.0)
        .max(0.0)
        .sqrt();
    while track
        .accel_history
        .front()
        .is_some_and(|(t0, _, _)| now - t0 > config.accel_step_window_s)
    {
        track.accel_history.pop_front();
    }
    let stepped = track.accel_history.front().is_some_and(|(_, a0, s0)| {
        let d = (a - a0).norm();
        d > config.accel_step_mps2 && d > 3.0 * s0.hypot(sigma)
    });
    track.accel_history.push_back((now, a, sigma));
    if stepped && track.phase.phase != Phase::Reentry {
        note_change(track, t, "acceleration_step", config);
    }
}

fn reset(track: &mut ObjectTrack, config: &TrackerConfig) {
    track.filter.inflate(0, config.reset_r_m);
    track.filter.inflate(1, config.reset_v_mps);
    track.filter.inflate(2, config.reset_a_mps2);
    track.consecutive_rejections = 0;
    track.nis_recent.clear();
}

fn measure(f: &mut Ekf, report: &Report, config: &TrackerConfig, gate: bool) -> UpdateResult {
    match &report.measurement {
        Measurement::Launch(_) => UpdateResult::Degenerate,
        Measurement::Position(p) => {
            let r = Geodetic {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
                alt_m: p.alt_m,
            }
            .to_ecef();
            let v = p
                .vel_ecef_mps
                .map(|v| (Vector3::from(v), config.fix_vel_sigma_mps));
            f.update_position(&r, p.sigma_m, v, gate)
        }
        Measurement::Radar(r) => f.update_radar(&radar_observation(r), gate),
    }
}

pub(crate) fn radar_observation(r: &RadarMeasurement) -> RadarObservation {
    RadarObservation {
        site_lat_deg: r.site.lat_deg,
        site_lon_deg: r.site.lon_deg,
        site_alt_m: r.site.alt_m,
        range_m: r.range_m,
        az_deg: r.az_deg,
        el_deg: r.el_deg,
        sigma_range_m: r.sigma.range_m,
        sigma_angle_deg: r.sigma.angle_deg,
    }
}

/// ECEF covariance of a radar-derived position: the range/angle noise mapped through
/// the spherical-to-Cartesian Jacobian.
fn radar_position_covariance(r: &RadarMeasurement) -> Matrix3<f64> {
    let site = Geodetic::from(r.site);
    let (saz, caz) = r.az_deg.to_radians().sin_cos();
    let (sel, cel) = r.el_deg.to_radians().sin_cos();
    let rho = r.range_m;
    // Columns: d enu / d range, d az, d el.
    let j = Matrix3::new(
        cel * saz,
        rho * cel * caz,
        -rho * sel * saz,
        cel * caz,
        -rho * cel * saz,
        -rho * sel * caz,
        sel,
        0.0,
        rho * cel,
    );
    let sa = r.sigma.angle_deg.to_radians();
    let m = Matrix3::from_diagonal(&Vector3::new(
        r.sigma.range_m * r.sigma.range_m,
        sa * sa,
        sa * sa,
    ));
    let rot = site.ecef_to_enu().transpose();
    // A floor of 1 m^2 keeps the matrix positive definite at zero range.
    rot * j * m * j.transpose() * rot.transpose() + Matrix3::identity()
}

fn set_block(p: &mut StateCovariance, block: usize, sigma: f64) {
    for i in 0..3 {
        p[(3 * block + i, 3 * block + i)] = sigma * sigma;
    }
}

fn check_report(report: &Report) -> Result<(), TrackError> {
    let bad = |reason| TrackError::InvalidMeasurement {
        object: report.object.clone(),
        t: report.t,
        reason,
    };
    let finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());
    match &report.measurement {
        Measurement::Launch(l) => {
            if !finite(&[l.lat_deg, l.lon_deg, l.sigma_m]) {
                return Err(bad("non-finite value"));
            }
            if l.sigma_m <= 0.0 {
                return Err(bad("sigma_m must be positive"));
            }
        }
        Measurement::Position(p) => {
            if !finite(&[p.lat_deg, p.lon_deg, p.alt_m, p.sigma_m])
                || p.vel_ecef_mps.is_some_and(|v| !finite(&v))
            {
                return Err(bad("non-finite value"));
            }
            if p.sigma_m <= 0.0 {
                return Err(bad("sigma_m must be positive"));
            }
        }
        Measurement::Radar(r) => {
            if !finite(&[
                r.site.lat_deg,
                r.site.lon_deg,
                r.site.alt_m,
                r.range_m,
                r.az_deg,
                r.el_deg,
                r.sigma.range_m,
                r.sigma.angle_deg,
            ]) {
                return Err(bad("non-finite value"));
            }
            if r.sigma.range_m <= 0.0 || r.sigma.angle_deg <= 0.0 {
                return Err(bad("radar sigmas must be positive"));
            }
            if r.range_m <= 0.0 {
                return Err(bad("range must be positive"));
            }
        }
    }
    Ok(())
}

/// Seconds from `a` to `b` (negative if `b` is earlier), to the nanosecond.
pub(crate) fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> Option<f64> {
    let d = b.signed_duration_since(a);
    // i64 nanoseconds as f64: exact to a nanosecond over ±104 days, a microsecond
    // over centuries; either is far finer than any measurement.
    #[allow(clippy::cast_precision_loss)]
    d.num_nanoseconds()
        .map(|ns| ns as f64 * 1e-9)
        .or_else(|| Some(d.num_milliseconds() as f64 * 1e-3))
}

/// `t` plus `s` seconds, rounded to the microsecond.
pub(crate) fn add_seconds(t: DateTime<Utc>, s: f64) -> Option<DateTime<Utc>> {
    if !s.is_finite() || s.abs() > 1e15 {
        return None;
    }
    // |s| <= 1e15 s is 1e21 us: beyond i64, so check via chrono's checked add.
    #[allow(clippy::cast_possible_truncation)]
    let us = (s * 1e6).round() as i64;
    t.checked_add_signed(TimeDelta::microseconds(us))
}

/// Geodesic distance on WGS84, metres.
pub(crate) fn ground_distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    crate::geo::inverse(lat1, lon1, lat2, lon2).0
}
