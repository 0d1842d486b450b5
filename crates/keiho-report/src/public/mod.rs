//! The public event page: what happened, in plain words, in the reader's language
//! (ja, en, ko), with an FAQ computed from the recorded event.
//!
//! - [`lang`]: which language to answer in (`?lang=`, then `Accept-Language`).
//! - [`facts`]: the facts the page states, taken from the [`EventRecord`] and its
//!   [`Analysis`] (nothing written per event).
//! - [`page`]: the HTML (one self-contained page, inline SVG map, no scripts needed).
//!
//! Invariant: every event-specific sentence is filled from [`PublicFacts`]; a fact the
//! record lacks is said to be unknown, never guessed.

pub mod facts;
pub mod lang;
pub mod page;

pub use facts::{AreaFact, OutcomeFact, PublicFacts};
pub use lang::Lang;
pub use page::Links;

use crate::{Analysis, EventRecord, ReportError};

/// Load `event_id` from `log` and write its public page in `lang`, linking the other
/// languages and the CAP messages as `links` says (server paths, or files of an
/// export).
pub fn public_page_html<L: keiho_store::AlertLog + ?Sized>(
    log: &L,
    event_id: &str,
    lang: Lang,
    links: &Links<'_>,
) -> Result<String, ReportError> {
    let record = EventRecord::load(log, event_id)?;
    let analysis = Analysis::of(&record, None)?;
    let regions = keiho_geo::RegionSet::bundled().map_err(ReportError::Regions)?;
    let facts = PublicFacts::of(&record, &analysis, regions);
    Ok(page::render(
        &facts,
        lang,
        &crate::figures::map_svg(&record, None),
        links,
    ))
}
