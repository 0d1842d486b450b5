//! A generic staged vehicle and its flight: powered ascent, separations, break-up and
//! the ballistic fall of every piece.
//!
//! The vehicle is described only by what an observer on the ground could infer from a
//! track: per stage, a thrust acceleration magnitude that ramps linearly over the burn
//! and a commanded thrust direction (elevation and azimuth in the local East-North-Up
//! frame, as functions of time). There is deliberately no mass, propellant or engine
//! model: the numbers are tuned so that ground tracks and timings match public facts,
//! nothing more.

use crate::track::{Phase, Track, TrackSample};
use crate::truth::{EventKind, OrbitSummary};
use keiho_flight::gravity::GM_M3_S2;
use keiho_flight::integrate::{Options, Outcome, integrate_until};
use keiho_flight::{FlightError, ForceModel, StateEcef, propagate, trajectory};
use keiho_geo::frames::Geodetic;
use nalgebra::{SVector, Vector3};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thiserror::Error;

/// A piecewise-linear function of time, held constant before its first and after its
/// last point.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// (seconds, value) pairs in increasing time order.
    points: Vec<(f64, f64)>,
}

impl Schedule {
    /// A schedule through `points` = (seconds, value), sorted by time here.
    pub fn new(points: &[(f64, f64)]) -> Self {
        let mut points = points.to_vec();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self { points }
    }

    /// The same value at all times.
    pub fn constant(value: f64) -> Self {
        Self {
            points: vec![(0.0, value)],
        }
    }

    /// The value at `t_s`, linearly interpolated; 0 for an empty schedule.
    pub fn at(&self, t_s: f64) -> f64 {
        let Some(&(t_first, v_first)) = self.points.first() else {
            return 0.0;
        };
        if t_s <= t_first {
            return v_first;
        }
        let i = self.points.partition_point(|p| p.0 <= t_s);
        match (self.points.get(i - 1), self.points.get(i)) {
            (Some(&(t0, v0)), Some(&(t1, v1))) if t1 > t0 => {
                v0 + (v1 - v0) * (t_s - t0) / (t1 - t0)
            }
            (Some(&(_, v0)), _) => v0,
            _ => v_first,
        }
    }
}

/// One generic stage: how hard and in which direction it pushes, and how its spent
/// body falls.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// Object-id suffix of the spent stage, e.g. `STAGE1`.
    pub name: String,
    /// Unpowered gap between the previous stage's burnout and this ignition, seconds
    /// (ignored for the first stage, which ignites at lift-off).
    pub coast_before_s: f64,
    /// Burn duration, seconds.
    pub burn_s: f64,
    /// Thrust acceleration at ignition, m/s^2.
    pub accel_start_mps2: f64,
    /// Thrust acceleration at burnout, m/s^2 (linear in between).
    pub accel_end_mps2: f64,
    /// Commanded thrust elevation above the local horizon, degrees, against seconds
    /// after this stage's ignition (90 = straight up).
    pub elevation_deg: Schedule,
    /// Commanded thrust azimuth, degrees clockwise from true north, against seconds
    /// after this stage's ignition; a change over time is a dog-leg.
    pub azimuth_deg: Schedule,
    /// Ballistic coefficient of the spent stage, kg/m^2; `None` if it stays attached
    /// to the main object after burnout (a single-stage missile).
    pub spent_beta_kg_m2: Option<f64>,
}

/// The payload fairing: when it separates and how it falls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fairing {
    /// Separation time, seconds after launch.
    pub separation_s: f64,
    /// Ballistic coefficient of the fairing (light, large area), kg/m^2.
    pub beta_kg_m2: f64,
}

/// A failure during a burn: the vehicle breaks into fragments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Failure {
    /// Index of the failing stage in [`Vehicle::stages`].
    pub stage: usize,
    /// Failure time, seconds after that stage's ignition.
    pub after_ignition_s: f64,
    /// Number of fragments.
    pub fragments: usize,
    /// Range of break-up velocity increments, m/s (uniform, random direction).
    pub dv_mps: (f64, f64),
    /// Range of fragment ballistic coefficients, kg/m^2 (log-uniform).
    pub beta_kg_m2: (f64, f64),
    /// Seed of the fragment draw. Fixed per scenario so that the truth does not depend
    /// on the sensor-noise seed.
    pub seed: u64,
}

/// How the flight of the main object ends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ending {
    /// Every stage burns out; the main object (re-entry vehicle or payload) falls.
    Ballistic,
    /// The vehicle breaks up during a burn.
    Failure(Failure),
    /// The last stage cuts off when the inertial speed reaches the circular speed at
    /// the current radius; the payload is then simulated for `coast_s` more seconds.
    Orbit {
        /// How long the payload is followed after insertion, seconds.
        coast_s: f64,
    },
}

/// A generic staged vehicle.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    /// Stages in firing order (at least one).
    pub stages: Vec<Stage>,
    /// Ballistic coefficient of the whole stack in powered flight, kg/m^2.
    pub stack_beta_kg_m2: f64,
    /// Ballistic coefficient of the main object once unpowered, kg/m^2.
    pub payload_beta_kg_m2: f64,
    /// The fairing, if any.
    pub fairing: Option<Fairing>,
    /// How the flight ends.
    pub ending: Ending,
}

/// A truth event before it is put on the calendar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawEvent {
    pub(crate) t_s: f64,
    pub(crate) object: String,
    pub(crate) kind: EventKind,
    pub(crate) state: StateEcef,
    pub(crate) detail: Option<String>,
    pub(crate) orbit: Option<OrbitSummary>,
}

/// Every object's track and every event of one flight.
#[derive(Debug, Clone)]
pub(crate) struct Flight {
    pub(crate) tracks: Vec<Track>,
    pub(crate) events: Vec<RawEvent>,
}

/// Why a vehicle could not be flown.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub(crate) enum FlyError {
    /// Propagation failed.
    #[error(transparent)]
    Flight(#[from] FlightError),
    /// The powered flight went below the ellipsoid.
    #[error("powered flight is below the ground at {t_s} s")]
    BelowGround {
        /// Seconds after launch.
        t_s: f64,
    },
}

/// Longest ballistic fall followed, seconds: beyond any suborbital flight here.
const MAX_FALL_S: f64 = 4_000.0;
/// Boundaries closer than this are the same instant, seconds.
const SAME_INSTANT_S: f64 = 1e-6;

/// A piece that leaves the stack, to be propagated after the powered flight.
struct Released {
    object: String,
    t_s: f64,
    state: StateEcef,
    beta_kg_m2: f64,
}

/// Unit thrust direction in ECEF for an elevation and azimuth in the ENU frame at `r_m`.
fn thrust_direction(r_m: &Vector3<f64>, el_deg: f64, az_deg: f64) -> Vector3<f64> {
    let g = Geodetic::from_ecef(r_m);
    let (sel, cel) = el_deg.to_radians().sin_cos();
    let (saz, caz) = az_deg.to_radians().sin_cos();
    g.ecef_to_enu().transpose() * Vector3::new(cel * saz, cel * caz, sel)
}

fn to_vec6(s: &StateEcef) -> SVector<f64, 6> {
    SVector::<f64, 6>::new(s.r_m.x, s.r_m.y, s.r_m.z, s.v_mps.x, s.v_mps.y, s.v_mps.z)
}

fn from_vec6(y: &SVector<f64, 6>) -> StateEcef {
    StateEcef {
        r_m: Vector3::new(y[0], y[1], y[2]),
        v_mps: Vector3::new(y[3], y[4], y[5]),
    }
}

/// Inertial speed minus circular speed at the current radius, m/s: the orbit cut-off
/// condition is this reaching zero.
fn speed_deficit_mps(s: &StateEcef) -> f64 {
    let r = s.r_m.norm();
    (GM_M3_S2 / r).sqrt() - s.inertial_velocity_mps().norm()
}

impl Vehicle {
    /// Ignition and burnout times of every stage, seconds after launch.
    fn timeline(&self) -> Vec<(f64, f64)> {
        let mut t = 0.0;
        let mut out = Vec::with_capacity(self.stages.len());
        for (k, st) in self.stages.iter().enumerate() {
            if k > 0 {
                t += st.coast_before_s;
            }
            out.push((t, t + st.burn_s));
            t += st.burn_s;
        }
        out
    }

    /// Thrust acceleration of stage `k` (ignited at `ign_s`) at time `t_s`, ECEF m/s^2.
    fn thrust(&self, k: usize, ign_s: f64, t_s: f64, r_m: &Vector3<f64>) -> Vector3<f64> {
        let Some(st) = self.stages.get(k) else {
            return Vector3::zeros();
        };
        let tau = (t_s - ign_s).clamp(0.0, st.burn_s);
        let frac = if st.burn_s > 0.0 {
            tau / st.burn_s
        } else {
            0.0
        };
        let a = st.accel_start_mps2 + (st.accel_end_mps2 - st.accel_start_mps2) * frac;
        a * thrust_direction(r_m, st.elevation_deg.at(tau), st.azimuth_deg.at(tau))
    }

    /// Flies the vehicle from `pad` and returns every object's track (seconds after
    /// launch) and the events. Object ids are `{prefix}/{suffix}`.
    pub(crate) fn fly(
        &self,
        pad: Geodetic,
        prefix: &str,
        main_suffix: &str,
    ) -> Result<Flight, FlyError> {
        let main_id = format!("{prefix}/{main_suffix}");
        let timeline = self.timeline();
        let n = self.stages.len();
        let last_burnout_s = timeline.last().map_or(0.0, |t| t.1);
        let t_end_s = match self.ending {
            Ending::Failure(f) => timeline.get(f.stage).map_or(last_burnout_s, |&(ign, bo)| {
                (ign + f.after_ignition_s).min(bo)
            }),
            _ => last_burnout_s,
        };
        // Integration boundaries: whole seconds (the truth's sampling) and every
        // discontinuity of the thrust, so no step straddles one.
        let mut bounds: Vec<f64> = Vec::new();
        let mut whole = 1.0;
        while whole < t_end_s {
            bounds.push(whole);
            whole += 1.0;
        }
        for &(ign, bo) in &timeline {
            bounds.extend([ign, bo]);
        }
        if let Some(f) = self.fairing {
            bounds.push(f.separation_s);
        }
        bounds.push(t_end_s);
        bounds.retain(|&b| b > 0.0 && b <= t_end_s);
        bounds.sort_by(f64::total_cmp);
        bounds.dedup_by(|a, b| (*a - *b).abs() < SAME_INSTANT_S);

        let stack = ForceModel {
            j2: true,
            beta_kg_m2: Some(self.stack_beta_kg_m2),
            thrust: None,
        };
        let active_at = |t_s: f64| {
            timeline
                .iter()
                .position(|&(ign, bo)| ign <= t_s && t_s < bo)
        };
        let thrust_at = |t_s: f64, r: &Vector3<f64>| match active_at(t_s) {
            Some(k) => self.thrust(k, timeline[k].0, t_s, r),
            None => Vector3::zeros(),
        };

        let mut state = StateEcef {
            r_m: pad.to_ecef(),
            v_mps: Vector3::zeros(),
        };
        let mut events = vec![RawEvent {
            t_s: 0.0,
            object: main_id.clone(),
            kind: EventKind::Launch,
            state,
            detail: None,
            orbit: None,
        }];
        let mut main = vec![TrackSample {
            t_s: 0.0,
            state,
            thrust_mps2: thrust_at(0.0, &state.r_m),
            phase: Phase::Boost,
        }];
        let mut released: Vec<Released> = Vec::new();
        let mut inserted = false;
        let mut t0 = 0.0;
        for &t1 in &bounds {
            let mid = 0.5 * (t0 + t1);
            let stage = active_at(mid);
            let orbit_cutoff = matches!(self.ending, Ending::Orbit { .. }) && stage == Some(n - 1);
            let f = |t: f64, y: &SVector<f64, 6>| {
                let s = from_vec6(y);
                let mut a = stack.acceleration_ecef_mps2(&s.r_m, &s.v_mps);
                if let Some(k) = stage {
                    a += self.thrust(k, timeline[k].0, t, &s.r_m);
                }
                SVector::<f64, 6>::new(y[3], y[4], y[5], a.x, a.y, a.z)
            };
            let g = |_t: f64, y: &SVector<f64, 6>| {
                if orbit_cutoff {
                    speed_deficit_mps(&from_vec6(y))
                } else {
                    1.0
                }
            };
            let outcome =
                integrate_until(f, t0, to_vec6(&state), t1, Options::default(), g, |_| {})
                    .map_err(FlightError::from)?;
            let t_reached = match outcome {
                Outcome::Event(hit) => {
                    state = from_vec6(&hit.y);
                    inserted = true;
                    hit.t_s
                }
                Outcome::End { t_s, y } => {
                    state = from_vec6(&y);
                    t_s
                }
            };
            main.push(TrackSample {
                t_s: t_reached,
                state,
                thrust_mps2: if inserted || t_reached >= t_end_s - SAME_INSTANT_S {
                    Vector3::zeros()
                } else {
                    thrust_at(t_reached, &state.r_m)
                },
                phase: Phase::Boost,
            });
            if inserted {
                break;
            }
            // Lift-off may sag for an instant; later, a powered flight underground is a
            // scenario error, not a flight.
            if t1 > 10.0 && state.geodetic().alt_m < 0.0 {
                return Err(FlyError::BelowGround { t_s: t1 });
            }
            for (k, &(ign, bo)) in timeline.iter().enumerate() {
                if (ign - t1).abs() < SAME_INSTANT_S && k > 0 {
                    events.push(RawEvent {
                        t_s: t1,
                        object: main_id.clone(),
                        kind: EventKind::Ignition,
                        state,
                        detail: Some(self.stages[k].name.clone()),
                        orbit: None,
                    });
                }
                if (bo - t1).abs() < SAME_INSTANT_S && t1 < t_end_s + SAME_INSTANT_S {
                    events.push(RawEvent {
                        t_s: t1,
                        object: main_id.clone(),
                        kind: EventKind::Burnout,
                        state,
                        detail: Some(self.stages[k].name.clone()),
                        orbit: None,
                    });
                    let keeps_going = k + 1 < n || matches!(self.ending, Ending::Ballistic);
                    if let (Some(beta), true) = (self.stages[k].spent_beta_kg_m2, keeps_going) {
                        released.push(Released {
                            object: format!("{prefix}/{}", self.stages[k].name),
                            t_s: t1,
                            state,
                            beta_kg_m2: beta,
                        });
                    }
                }
            }
            if let Some(fairing) = self.fairing {
                if (fairing.separation_s - t1).abs() < SAME_INSTANT_S && t1 < t_end_s {
                    released.push(Released {
                        object: format!("{prefix}/FAIRING"),
                        t_s: t1,
                        state,
                        beta_kg_m2: fairing.beta_kg_m2,
                    });
                }
            }
            t0 = t1;
        }
        let t_stop_s = main.last().map_or(0.0, |s| s.t_s);

        let mut tracks = Vec::new();
        match self.ending {
            Ending::Ballistic => {
                let fall = fall(t_stop_s, &state, self.payload_beta_kg_m2, MAX_FALL_S)?;
                main.extend(fall.into_iter().skip(1));
            }
            Ending::Orbit { coast_s } => {
                if inserted {
                    events.push(RawEvent {
                        t_s: t_stop_s,
                        object: main_id.clone(),
                        kind: EventKind::OrbitInsertion,
                        state,
                        detail: None,
                        orbit: OrbitSummary::from_ecef(&state.r_m, &state.v_mps),
                    });
                }
                let fall = fall(t_stop_s, &state, self.payload_beta_kg_m2, coast_s)?;
                let start = main.len();
                main.extend(fall.into_iter().skip(1));
                if inserted {
                    for s in &mut main[start..] {
                        s.phase = Phase::Orbit;
                    }
                }
            }
            Ending::Failure(f) => {
                events.push(RawEvent {
                    t_s: t_stop_s,
                    object: main_id.clone(),
                    kind: EventKind::Breakup,
                    state,
                    detail: Some(format!("{} fragments", f.fragments)),
                    orbit: None,
                });
                let mut rng = StdRng::seed_from_u64(f.seed);
                for i in 0..f.fragments {
                    let dir = loop {
                        let d = Vector3::new(
                            rng.random_range(-1.0..1.0),
                            rng.random_range(-1.0..1.0),
                            rng.random_range(-1.0..1.0),
                        );
                        let norm = d.norm();
                        if norm > 0.05 && norm <= 1.0 {
                            break d / norm;
                        }
                    };
                    let dv = rng.random_range(f.dv_mps.0..=f.dv_mps.1);
                    let (lo, hi) = (f.beta_kg_m2.0.ln(), f.beta_kg_m2.1.ln());
                    let beta = rng.random_range(lo..=hi).exp();
                    released.push(Released {
                        object: format!("{prefix}/DEBRIS-{:02}", i + 1),
                        t_s: t_stop_s,
                        state: StateEcef {
                            r_m: state.r_m,
                            v_mps: state.v_mps + dv * dir,
                        },
                        beta_kg_m2: beta,
                    });
                }
            }
        }
        let main_track = finish(main_id.clone(), main, self.payload_beta_kg_m2);
        // A main object that broke up ends at the break-up event.
        if !matches!(self.ending, Ending::Failure(_)) {
            if let Some(last) = main_track.samples.last() {
                push_end_event(&mut events, &main_id, last, main_track.landed, inserted);
            }
        }
        tracks.push(main_track);

        for piece in released {
            events.push(RawEvent {
                t_s: piece.t_s,
                object: piece.object.clone(),
                kind: EventKind::Separation,
                state: piece.state,
                detail: Some(format!("beta {:.0} kg/m^2", piece.beta_kg_m2)),
                orbit: None,
            });
            let samples = fall(piece.t_s, &piece.state, piece.beta_kg_m2, MAX_FALL_S)?;
            let track = finish(piece.object.clone(), samples, piece.beta_kg_m2);
            if let Some(last) = track.samples.last() {
                push_end_event(&mut events, &piece.object, last, track.landed, false);
            }
            tracks.push(track);
        }
        events.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        Ok(Flight { tracks, events })
    }
}

fn push_end_event(
    events: &mut Vec<RawEvent>,
    object: &str,
    last: &TrackSample,
    landed: bool,
    in_orbit: bool,
) {
    let kind = if landed {
        EventKind::Impact
    } else {
        EventKind::EndOfSimulation
    };
    events.push(RawEvent {
        t_s: last.t_s,
        object: object.to_owned(),
        kind,
        state: last.state,
        detail: in_orbit.then(|| "still in orbit".to_owned()),
        orbit: None,
    });
}

/// Ballistic flight from (`t0_s`, `s0`) with ballistic coefficient `beta_kg_m2`, sampled
/// at whole seconds after launch, until impact or `max_s` seconds later. The first
/// sample is the start itself; the last is the impact (height 0) if there is one.
fn fall(
    t0_s: f64,
    s0: &StateEcef,
    beta_kg_m2: f64,
    max_s: f64,
) -> Result<Vec<TrackSample>, FlightError> {
    let model = ForceModel::ballistic(beta_kg_m2);
    let unpowered = |t_s: f64, state: StateEcef| TrackSample {
        t_s,
        state,
        thrust_mps2: Vector3::zeros(),
        phase: Phase::Coast,
    };
    let mut out = vec![unpowered(t0_s, *s0)];
    let next_whole = t0_s.floor() + 1.0;
    let (t_start, s_start) = if next_whole - t0_s > SAME_INSTANT_S && next_whole - t0_s < 1.0 {
        let s = propagate(s0, &model, next_whole - t0_s)?;
        out.push(unpowered(next_whole, s));
        (next_whole, s)
    } else {
        (t0_s, *s0)
    };
    let remaining = max_s - (t_start - t0_s);
    if remaining > 0.0 {
        let samples = trajectory(&s_start, &model, 1.0, remaining)?;
        out.extend(
            samples
                .into_iter()
                .skip(1)
                .map(|s| unpowered(t_start + s.t_s, s.state)),
        );
    }
    Ok(out)
}

/// Classifies the samples of an object into phases and wraps them as a track.
fn finish(object: String, mut samples: Vec<TrackSample>, beta_kg_m2: f64) -> Track {
    /// Above this height a descending object is still "coasting", metres: the
    /// conventional entry interface.
    const REENTRY_ALT_M: f64 = 100_000.0;
    /// An object this close to the ellipsoid at its last sample has landed, metres.
    const LANDED_ALT_M: f64 = 1.0;
    let n = samples.len();
    let mut landed = false;
    for (i, s) in samples.iter_mut().enumerate() {
        if s.phase != Phase::Coast {
            continue;
        }
        let alt_m = s.state.geodetic().alt_m;
        let climbing = s.state.v_mps.dot(&s.state.r_m) > 0.0;
        s.phase = if i + 1 == n && alt_m.abs() < LANDED_ALT_M {
            landed = true;
            Phase::Landed
        } else if climbing || alt_m > REENTRY_ALT_M {
            Phase::Coast
        } else {
            Phase::Reentry
        };
    }
    // Thrust decides boost; a boost sample with no thrust (coast between stages, or
    // the instant of burnout) is coast.
    for s in &mut samples {
        if s.phase == Phase::Boost && s.thrust_mps2 == Vector3::zeros() {
            s.phase = Phase::Coast;
        }
    }
    Track {
        object,
        samples,
        beta_kg_m2,
        landed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_interpolates_and_holds_its_ends() {
        let s = Schedule::new(&[(10.0, 90.0), (20.0, 50.0), (40.0, 30.0)]);
        assert_eq!(s.at(0.0), 90.0);
        assert_eq!(s.at(15.0), 70.0);
        assert_eq!(s.at(30.0), 40.0);
        assert_eq!(s.at(100.0), 30.0);
        assert_eq!(Schedule::constant(7.0).at(-5.0), 7.0);
        assert_eq!(Schedule::new(&[]).at(1.0), 0.0);
    }

    /// Straight up at the equator is +x in ECEF; 45 degrees elevation due north leans
    /// half into +z (1e-12).
    #[test]
    fn thrust_direction_follows_the_local_horizon() {
        let r = Geodetic {
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 0.0,
        }
        .to_ecef();
        let up = thrust_direction(&r, 90.0, 0.0);
        assert!((up - Vector3::new(1.0, 0.0, 0.0)).norm() < 1e-12);
        let ne = thrust_direction(&r, 45.0, 0.0);
        assert!((ne - Vector3::new(0.5_f64.sqrt(), 0.0, 0.5_f64.sqrt())).norm() < 1e-12);
    }
}
