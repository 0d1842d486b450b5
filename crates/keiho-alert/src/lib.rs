//! Keiho's alerting stages. Today: CAP 1.2 messages ([`cap`]): the model, XML
//! serialisation and parsing, and validation against the standard's structure and
//! text rules.
//!
//! Architecture invariant: this crate knows nothing of HTTP, storage or the clock.

pub mod assess;
pub mod cap;
pub mod compose;
pub mod policy;
