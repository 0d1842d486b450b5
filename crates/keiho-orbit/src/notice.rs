//! The facts of an optional CAP notice for a region pass: "an object of interest will
//! pass over this region". Off by default: nothing calls this unless a deployment asks
//! for such notices. The CAP values are the ones issue 8 fixes: urgency `Future`,
//! severity `Minor`, category `Security`, certainty `Likely` (SGP4 predictions over
//! days are good to a few seconds of timing, not exact).

use crate::region::RegionPass;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a CAP composer needs to write an overflight notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverflightNoticeFacts {
    /// CAP `category`.
    pub category: &'static str,
    /// CAP `urgency`.
    pub urgency: &'static str,
    /// CAP `severity`.
    pub severity: &'static str,
    /// CAP `certainty`.
    pub certainty: &'static str,
    /// CAP `event`.
    pub event: String,
    /// CAP `onset`: start of coverage.
    pub onset: DateTime<Utc>,
    /// CAP `expires`: end of coverage.
    pub expires: DateTime<Utc>,
    /// The region (ISO 3166-2) for `area/geocode`.
    pub region: String,
    /// English headline.
    pub headline: String,
    /// English description.
    pub description: String,
}

/// The facts of a notice for one region pass.
pub fn overflight_notice(pass: &RegionPass) -> OverflightNoticeFacts {
    let object = match &pass.name {
        Some(n) => format!("{n} (NORAD {})", pass.norad_id),
        None => format!("NORAD {}", pass.norad_id),
    };
    OverflightNoticeFacts {
        category: "Security",
        urgency: "Future",
        severity: "Minor",
        certainty: "Likely",
        event: "Satellite overflight".to_owned(),
        onset: pass.start,
        expires: pass.end,
        region: pass.region.clone(),
        headline: format!("{object} passes over {}", pass.region_name),
        description: format!(
            "{object} is predicted to pass over {} ({}) from {} to {} UTC. No action is needed.",
            pass.region_name,
            pass.region,
            pass.start.format("%Y-%m-%d %H:%M:%S"),
            pass.end.format("%H:%M:%S"),
        ),
    }
}
