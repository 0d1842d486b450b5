//! A first-level administrative region and the loading of the bundled set.

use crate::bundle_format::{BundledRegions, COORD_SCALE};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use keiho_types::{CountryCode, RegionCode};
use serde::Serialize;

/// One first-level administrative region (a prefecture, province, state...).
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// Stable code, ISO 3166-2 where one exists (e.g. `JP-47` for Okinawa).
    pub code: RegionCode,
    /// ISO 3166-1 alpha-2 country (`XZ` for the few places with no owner in the data).
    pub country: CountryCode,
    /// English name.
    pub name_en: String,
    /// Japanese name, for Japan's prefectures.
    pub name_ja: Option<String>,
    /// Korean name, for South Korea's provinces and metropolitan cities.
    pub name_ko: Option<String>,
    /// JIS X 0401 prefecture code (`47` for Okinawa), for Japan only.
    pub jis_code: Option<String>,
    /// The region's exact boundary, WGS84 lon/lat degrees, unsimplified.
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

impl Region {
    /// The name people in the region would use: Japanese or Korean where known,
    /// English otherwise.
    pub fn name_local(&self) -> &str {
        self.name_ja
            .as_deref()
            .or(self.name_ko.as_deref())
            .unwrap_or(&self.name_en)
    }
}

/// Why the region data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The compiled-in data is corrupt (a build problem, not a user error).
    #[error("bundled region data is corrupt: {0}")]
    Corrupt(String),
}

/// The region data compiled into the binary by `build.rs` (see `data/README.md`).
static BUNDLED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/regions.postcard"));

/// Decode the bundled regions.
pub(crate) fn load_bundled() -> Result<Vec<Region>, LoadError> {
    let raw: BundledRegions =
        postcard::from_bytes(BUNDLED).map_err(|e| LoadError::Corrupt(e.to_string()))?;
    raw.regions
        .into_iter()
        .map(|r| {
            let code = RegionCode::parse(&r.code).map_err(|e| LoadError::Corrupt(e.to_string()))?;
            let country =
                CountryCode::parse(&r.country).map_err(|e| LoadError::Corrupt(e.to_string()))?;
            let polygons = r
                .polygons
                .iter()
                .map(|rings| decode_polygon(rings))
                .collect();
            Ok(Region {
                code,
                country,
                name_en: r.name_en,
                name_ja: r.name_ja,
                name_ko: r.name_ko,
                jis_code: r.jis_code,
                geometry: MultiPolygon(polygons),
            })
        })
        .collect()
}

fn decode_polygon(rings: &[Vec<i32>]) -> Polygon<f64> {
    let mut decoded = rings.iter().map(|deltas| {
        let (mut x, mut y) = (0i64, 0i64);
        let coords = deltas
            .chunks_exact(2)
            .map(|d| {
                x += i64::from(d[0]);
                y += i64::from(d[1]);
                Coord {
                    x: x as f64 / COORD_SCALE,
                    y: y as f64 / COORD_SCALE,
                }
            })
            .collect::<Vec<_>>();
        LineString(coords)
    });
    let exterior = decoded.next().unwrap_or_else(|| LineString(Vec::new()));
    Polygon::new(exterior, decoded.collect())
}
