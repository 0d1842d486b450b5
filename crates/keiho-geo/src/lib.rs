//! Keiho's region engine and geodesy.
//!
//! Answers, fast and exactly, the two spatial questions a warning system asks:
//! which administrative areas does a hazard touch, and which area is a person in.
//! Regions are the bundled Natural Earth admin-1 set for the West Pacific (see
//! `data/README.md`), unsimplified, because alerts are computed on them.

pub mod frames;
