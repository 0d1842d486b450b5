//! The service's clock: the real one, or an exercise clock that starts at a chosen
//! time and may run faster (demos, drills, replays of past events through the live
//! path). Everything in the service reads time from here, never from the system.

use chrono::{DateTime, Utc};
use std::time::Instant;

/// A clock.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Real,
    Scaled {
        start: DateTime<Utc>,
        at: Instant,
        speed: f64,
    },
}

impl Clock {
    /// The system clock (UTC).
    pub fn real() -> Self {
        Self { kind: Kind::Real }
    }

    /// An exercise clock reading `start` now and running `speed` times faster than
    /// real time. A speed that is not positive and finite is taken as 1.
    pub fn scaled(start: DateTime<Utc>, speed: f64) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            1.0
        };
        Self {
            kind: Kind::Scaled {
                start,
                at: Instant::now(),
                speed,
            },
        }
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        match self.kind {
            Kind::Real => Utc::now(),
            Kind::Scaled { start, at, speed } => {
                let elapsed_us = at.elapsed().as_secs_f64() * speed * 1e6;
                start + chrono::Duration::microseconds(elapsed_us as i64)
            }
        }
    }

    /// The same clock, with an exercise clock's start moved to this instant: it
    /// reads the start time again now. The service does this once it has recovered,
    /// so the seconds spent rebuilding from the inbox (minutes at exercise speed) are
    /// not exercise time, and a restarted drill resumes where it was told to.
    /// The real clock is returned unchanged.
    pub fn started_now(self) -> Self {
        match self.kind {
            Kind::Real => self,
            Kind::Scaled { start, speed, .. } => Self {
                kind: Kind::Scaled {
                    start,
                    at: Instant::now(),
                    speed,
                },
            },
        }
    }

    /// How many times faster than real time it runs.
    pub fn speed(&self) -> f64 {
        match self.kind {
            Kind::Real => 1.0,
            Kind::Scaled { speed, .. } => speed,
        }
    }

    /// Whether this is the system clock.
    pub fn is_real(&self) -> bool {
        matches!(self.kind, Kind::Real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exercise_clock_starts_where_told_and_runs_at_its_speed() {
        let start = DateTime::parse_from_rfc3339("2023-08-23T18:50:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let c = Clock::scaled(start, 100.0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let elapsed = (c.now() - start).num_milliseconds();
        // 50 ms of real time at 100x is 5 s; sleeping may overshoot, never undershoot.
        assert!((5_000..=15_000).contains(&elapsed), "{elapsed} ms");
        assert_eq!(Clock::scaled(start, f64::NAN).speed(), 1.0);
    }

    #[test]
    fn a_restarted_exercise_clock_reads_its_start_again() {
        let start = DateTime::parse_from_rfc3339("2023-08-23T18:50:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let c = Clock::scaled(start, 100.0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(c.now() - start >= chrono::Duration::seconds(5));
        let restarted = c.started_now();
        // Read straight away: well under the 5 s the old anchor had run (100x).
        let elapsed = (restarted.now() - start).num_milliseconds();
        assert!((0..2_000).contains(&elapsed), "{elapsed} ms");
        assert_eq!(restarted.speed(), 100.0);
        assert!(Clock::real().started_now().is_real());
    }
}
