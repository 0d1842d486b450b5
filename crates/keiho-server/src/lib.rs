//! Keiho's service: sensors post reports, the pipeline runs on the live (or an
//! exercise) clock, alerts are durably logged, signed and pushed out: the CAP feed,
//! Server-Sent Events and WebSocket streams, and operators' actions with roles and
//! the two-person rule.
//!
//! Architecture invariants:
//! - One engine thread owns the pipeline and writes the database; handlers only send
//!   it commands ([`engine`]). Reads use their own connection.
//! - A report is acknowledged only once it is in the inbox on disk; an alert is
//!   announced only once it is in the alert log on disk.
//! - After a crash the inbox is replayed ([`recovery`]); nothing acknowledged is lost
//!   and no alert is issued twice.
//! - Every error response is an RFC 9457 problem document ([`problem`]).

mod app;
pub mod auth;
pub mod clock;
pub mod config;
mod delivery;
pub mod engine;
mod feed;
pub mod live;
pub mod manual;
pub mod metrics;
pub mod problem;
mod recovery;
mod routes;

pub use app::{AppState, Running, ServerError, build_state, pipeline_config, start};
pub use auth::{Role, create_token};
pub use clock::Clock;
pub use config::ServerConfig;
pub use routes::{ApiDoc, router};
