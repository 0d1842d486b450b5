//! Keiho's orbit watch: which satellites pass over a place or a region, and when.
//!
//! - [`parse_elements`]: element sets from TLEs (checksums verified), CCSDS OMM KVN or
//!   XML, each checked for physical sense; errors say which line, which field and why.
//! - [`Propagator`]: SGP4/SDP4 (the `sgp4` crate, WGS72 constants) and the Earth-fixed
//!   state; [`frames`] holds TEME -> ECEF (IAU 1982 GMST) and its error budget.
//! - [`point_passes`]: rise, culmination and set over a place.
//! - [`RegionWatch`] / [`region_passes`]: when the sub-satellite point or a sensor's
//!   footprint covers a region of the region engine (`keiho-geo`).
//! - [`ground_track`]: the sub-satellite points over a window, for maps.
//! - [`Catalogue`]: element sets with history per object, in SQLite.
//! - [`notice`]: the facts of an optional CAP notice for a region pass.
//!
//! Nothing here reads the clock: times come in as arguments.
//!
//! The server's entry points are [`parse_elements`] (`POST /v1/elements`, then
//! [`Catalogue::add`]) and [`point_passes`] / [`region_passes`] (`GET /v1/passes`);
//! every result type is `serde::Serialize`.

pub mod catalogue;
mod elements;
pub mod frames;
mod ground;
pub mod notice;
pub mod omm;
mod passes;
mod propagate;
mod region;
pub mod tle;

pub use catalogue::{AddOutcome, Catalogue, CatalogueEntry, CatalogueError};
pub use elements::{
    ElementSet, ElementsError, ElementsWarning, STALE_AFTER_DAYS, SourceFormat, parse_elements,
    stale_warnings,
};
pub use frames::{LookAngles, Observer};
pub use ground::{GroundPoint, MAX_TRACK_POINTS, ground_track};
pub use passes::{POINT_STEP_S, PassEvent, PointPass, PointPassReport, TIME_TOL_S, point_passes};
pub use propagate::{EarthFixedState, PropagationError, Propagator, Sgp4Mode, TemeState, Track};
pub use region::{
    Coverage, FINE_STEP_S, FOOTPRINT_SCAN_S, MERGE_GAP_S, REGION_STEP_S, REGION_TOL_S, RegionPass,
    RegionPassReport, RegionWatch, region_passes,
};

/// Any failure of an orbit computation.
#[derive(Debug, thiserror::Error)]
pub enum OrbitError {
    /// The elements are unusable.
    #[error(transparent)]
    Elements(#[from] ElementsError),
    /// SGP4 failed (decayed object, theory out of range).
    #[error(transparent)]
    Propagation(#[from] PropagationError),
    /// A bad request: window, elevation, half-angle.
    #[error("{0}")]
    Window(String),
    /// A region that does not exist or cannot be used.
    #[error("{0}")]
    Region(String),
}
