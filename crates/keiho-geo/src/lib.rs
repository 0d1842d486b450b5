//! Keiho's region engine and geodesy.
//!
//! Answers, fast and exactly, the two spatial questions a warning system asks:
//! which administrative areas does a hazard touch, and which area is a person in.
//! Regions are the bundled Natural Earth admin-1 set for the West Pacific (see
//! `data/README.md`), unsimplified, because alerts are computed on them.
//!
//! - [`RegionSet`]: the engine (locate, hit, near, jurisdiction filter).
//! - [`Hazard`]: hazard geometries, built geodesically on WGS84.
//! - [`geodesy`]: distances and destinations on the ellipsoid.
//! - [`frames`]: WGS84 geodetic, ECEF and ENU conversions.
//! - [`geojson_input`]: hazards read from GeoJSON with precise errors.

mod bundle_format;
pub mod display;
mod engine;
pub mod frames;
pub mod geodesy;
pub mod geojson_input;
mod grid;
mod hazard;
pub mod maritime;
mod prepared;
mod region;

pub use engine::{Nearby, RegionIndex, RegionSet};
pub use hazard::{Hazard, HazardError};
pub use region::{LoadError, Region};
