//! Keiho's ingest stage: sensor reports parsed, validated and put in order.
//!
//! Input is JSON lines (one [`Report`] per line, `kind` = `launch`, `position` or
//! `radar`) or CCSDS TDM text (range and azimuth/elevation, turned into radar reports).
//! Every input line ends up either as an accepted report or as a [`Rejection`] naming
//! the line, the field and the rule broken; one bad line never affects another.
//! Accepted reports then pass through a [`ReportBuffer`] that drops duplicates and
//! releases reports per object in time order.
//!
//! Architecture invariant: nothing here reads the clock or does I/O. "Now" is injected
//! through [`Validator::new`], so replays are deterministic.
//!
//! ```
//! use keiho_ingest::Validator;
//! let now = "2023-08-23T18:50:15Z".parse().unwrap();
//! let line = r#"{"t":"2023-08-23T18:50:12.300Z","object":"T1","sensor":"EW-1","kind":"launch","lat_deg":39.66,"lon_deg":124.705,"sigma_m":2000}"#;
//! let report = Validator::new(now).parse_line(1, line).unwrap();
//! assert_eq!(report.object, "T1");
//! ```

mod buffer;
mod error;
mod json;
mod report;
mod tdm;
mod validate;

pub use buffer::{BufferConfig, BufferRejection, ReportBuffer};
pub use error::{Reason, Rejection};
pub use report::{
    LaunchDetection, Measurement, PositionFix, RadarMeasurement, RadarSigma, Report, ReportKind,
    SiteGeodetic,
};
pub use tdm::{DEFAULT_TDM_SIGMA, TdmContext};
pub use validate::{
    DEFAULT_FUTURE_TOLERANCE, MAX_ALT_M, MAX_SIGMA_ANGLE_DEG, MAX_SIGMA_M, MAX_SPEED_MPS,
    MIN_ALT_M, Validator,
};
