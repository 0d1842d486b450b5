//! Keiho's shared vocabulary: the small types every stage of the pipeline speaks.
//!
//! This crate is deliberately dependency-light (serde and thiserror only) so that
//! every other crate can depend on it without pulling in geometry, physics or I/O.

mod geodetic;
mod region_code;

pub use geodetic::{GeoPoint, InvalidCoordinate};
pub use region_code::{CountryCode, InvalidCode, RegionCode};
