//! The on-disk (compiled-in) form of the bundled regions, shared by `build.rs`, which
//! writes it, and the loader, which reads it.
// build.rs includes this file directly, where the lints below would not apply.
#![allow(dead_code, unreachable_pub, missing_docs)]

use serde::{Deserialize, Serialize};

/// Coordinates are stored as integers in units of 1/COORD_SCALE degree.
pub const COORD_SCALE: f64 = 1e5;

#[derive(Serialize, Deserialize)]
pub struct BundledRegions {
    pub regions: Vec<BundledRegion>,
}

#[derive(Serialize, Deserialize)]
pub struct BundledRegion {
    pub code: String,
    pub country: String,
    pub name_en: String,
    pub name_ja: Option<String>,
    pub name_ko: Option<String>,
    pub jis_code: Option<String>,
    /// Polygons -> rings -> interleaved (lon, lat) deltas from the previous vertex of the
    /// ring (the first vertex from zero), in units of 1/COORD_SCALE degree.
    pub polygons: Vec<Vec<Vec<i32>>>,
}
