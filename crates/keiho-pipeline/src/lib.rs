//! Keiho's pipeline: every accepted report flows through estimate -> predict -> assess
//! -> policy -> CAP -> store, and the alerts it issues come back to the caller for
//! delivery. `keiho replay` drives it with a simulated clock; the server will drive it
//! with the real one.
//!
//! Architecture invariants:
//! - The clock is injected: report times drive the policy; `tick` moves time on when
//!   sensors fall silent. The only wall-clock reading is the measured processing time
//!   added to a message's `sent` (the rule), isolated in [`Stopwatch`].
//! - An alert is returned only after the store has committed it.

pub mod journal;
pub mod live;
mod outcome;
mod pipeline;
mod replay;

pub use outcome::sea_name;
pub use pipeline::{
    IssuedAlert, LaunchNotice, Pipeline, PipelineConfig, PipelineError, Stopwatch, to_stored,
};
pub use replay::{REPLAY_TAIL_S, replay};
