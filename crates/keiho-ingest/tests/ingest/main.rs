//! Integration tests for keiho-ingest: one test binary, one module per concern.

mod buffer;
mod fuzz;
mod json;
mod tdm;

use chrono::{DateTime, Utc};
use keiho_ingest::Validator;

/// The injected "now" for every test: a minute after the first report of the
/// 2023-08-23 scenario the fixtures follow.
pub(crate) fn now() -> DateTime<Utc> {
    time("2023-08-23T18:54:00Z")
}

pub(crate) fn time(s: &str) -> DateTime<Utc> {
    s.parse().expect("test times are valid RFC 3339")
}

pub(crate) fn validator() -> Validator {
    Validator::new(now())
}

pub(crate) const LAUNCH: &str = r#"{"t":"2023-08-23T18:50:12.300Z","object":"T1","sensor":"EW-1","kind":"launch","lat_deg":39.66,"lon_deg":124.705,"sigma_m":2000}"#;
pub(crate) const POSITION: &str = r#"{"t":"2023-08-23T18:50:40Z","object":"T1","sensor":"FUSE","kind":"position","lat_deg":38.2,"lon_deg":124.9,"alt_m":120000,"sigma_m":500,"vel_ecef_mps":[1200,-800,-1500]}"#;
pub(crate) const RADAR: &str = r#"{"t":"2023-08-23T18:50:50Z","object":"T1","sensor":"RDR-OKI","kind":"radar","site":{"lat_deg":26.2124,"lon_deg":127.6809,"alt_m":85},"range_m":900000,"az_deg":320,"el_deg":20,"sigma":{"range_m":50,"angle_deg":0.05}}"#;
