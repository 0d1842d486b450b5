//! Element sets: the SGP4 mean elements of one object at one epoch, checked before use,
//! whatever format they came in (TLE, OMM KVN, OMM XML).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

/// WGS72 equatorial radius, km: the radius SGP4's element sets are fitted with.
const EARTH_RADIUS_KM: f64 = 6378.135;
/// WGS72 gravitational parameter, km^3/s^2.
const MU_KM3_S2: f64 = 398_600.8;
/// How far below the surface a two-body perigee may be (re-entering objects), km.
const MAX_PERIGEE_BELOW_SURFACE_KM: f64 = 100.0;
/// How far an epoch may be from the time it is used before a warning, days.
pub const STALE_AFTER_DAYS: f64 = 30.0;

/// The format an element set was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Two- or three-line element set.
    Tle,
    /// CCSDS Orbit Mean-Elements Message, key = value notation.
    OmmKvn,
    /// CCSDS Orbit Mean-Elements Message, XML.
    OmmXml,
}

/// SGP4 mean elements of one object at one epoch (angles in degrees, TEME of epoch).
///
/// A value of this type has been checked: the orbit is closed (e < 1), the mean motion
/// positive, its two-body perigee no more than 100 km below the surface (re-entering
/// objects come close), every angle in range, and SGP4 accepts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementSet {
    /// NORAD catalogue number.
    pub norad_id: u64,
    /// Object name (third line of a 3LE, `OBJECT_NAME` of an OMM).
    pub name: Option<String>,
    /// International designator (COSPAR), e.g. `23179A` or `2023-179A`.
    pub international_designator: Option<String>,
    /// Classification letter (`U`, `C`, `S`).
    pub classification: char,
    /// Epoch of the elements, UTC.
    pub epoch: DateTime<Utc>,
    /// Mean motion, revolutions per day.
    pub mean_motion_rev_per_day: f64,
    /// Eccentricity (0 <= e < 1).
    pub eccentricity: f64,
    /// Inclination, degrees (0..=180).
    pub inclination_deg: f64,
    /// Right ascension of the ascending node, degrees.
    pub raan_deg: f64,
    /// Argument of perigee, degrees.
    pub arg_of_perigee_deg: f64,
    /// Mean anomaly, degrees.
    pub mean_anomaly_deg: f64,
    /// SGP4 drag term B*, 1/earth radii.
    pub bstar_per_er: f64,
    /// First derivative of mean motion divided by two, rev/day^2 (not used by SGP4).
    pub mean_motion_dot: f64,
    /// Second derivative of mean motion divided by six, rev/day^3 (not used by SGP4).
    pub mean_motion_ddot: f64,
    /// Element set number.
    pub element_set_number: u64,
    /// Revolution number at epoch.
    pub revolution_number: u64,
    /// Where it came from.
    pub source: SourceFormat,
}

/// A field of an element set, for errors that say where the problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Epoch,
    MeanMotion,
    Eccentricity,
    Inclination,
    Raan,
    ArgOfPerigee,
    MeanAnomaly,
    Bstar,
}

impl Field {
    /// The OMM keyword of the field.
    pub(crate) fn omm_key(self) -> &'static str {
        match self {
            Field::Epoch => "EPOCH",
            Field::MeanMotion => "MEAN_MOTION",
            Field::Eccentricity => "ECCENTRICITY",
            Field::Inclination => "INCLINATION",
            Field::Raan => "RA_OF_ASC_NODE",
            Field::ArgOfPerigee => "ARG_OF_PERICENTER",
            Field::MeanAnomaly => "MEAN_ANOMALY",
            Field::Bstar => "BSTAR",
        }
    }

    /// The TLE line (1 or 2) and columns (1-based, inclusive) of the field.
    pub(crate) fn tle_place(self) -> (usize, &'static str) {
        match self {
            Field::Epoch => (1, "epoch (columns 19-32)"),
            Field::Bstar => (1, "B* (columns 54-61)"),
            Field::Inclination => (2, "inclination (columns 9-16)"),
            Field::Raan => (2, "right ascension of the node (columns 18-25)"),
            Field::Eccentricity => (2, "eccentricity (columns 27-33)"),
            Field::ArgOfPerigee => (2, "argument of perigee (columns 35-42)"),
            Field::MeanAnomaly => (2, "mean anomaly (columns 44-51)"),
            Field::MeanMotion => (2, "mean motion (columns 53-63)"),
        }
    }
}

/// Why an element set was refused: what, where (line and field) and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {field}: {reason}")]
pub struct ElementsError {
    /// 1-based line of the input where the problem is (0: the input as a whole).
    pub line: usize,
    /// The field or part of the input concerned.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl ElementsError {
    pub(crate) fn new(line: usize, field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            line,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A warning about elements that are usable but doubtful (e.g. a stale epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElementsWarning {
    /// The object.
    pub norad_id: u64,
    /// Epoch of its elements.
    pub epoch: DateTime<Utc>,
    /// Days between the epoch and the time of use (positive: the epoch is earlier).
    pub age_days: f64,
    /// A sentence for people.
    pub message: String,
}

impl ElementSet {
    /// Check physical sense. `place` maps a field to `(line, label)` for the error.
    pub(crate) fn check(
        &self,
        place: &dyn Fn(Field) -> (usize, String),
    ) -> Result<(), ElementsError> {
        let fail = |field: Field, reason: String| {
            let (line, label) = place(field);
            Err(ElementsError::new(line, label, reason))
        };
        let e = self.eccentricity;
        if !e.is_finite() || !(0.0..1.0).contains(&e) {
            return fail(
                Field::Eccentricity,
                format!("eccentricity {e} is impossible for an orbit: it must be in [0, 1)"),
            );
        }
        let n = self.mean_motion_rev_per_day;
        if !n.is_finite() || n <= 0.0 {
            return fail(
                Field::MeanMotion,
                format!("mean motion {n} rev/day must be positive"),
            );
        }
        let i = self.inclination_deg;
        if !i.is_finite() || !(0.0..=180.0).contains(&i) {
            return fail(
                Field::Inclination,
                format!("inclination {i} deg is outside 0..180 deg"),
            );
        }
        for (field, value, what) in [
            (Field::Raan, self.raan_deg, "right ascension of the node"),
            (
                Field::ArgOfPerigee,
                self.arg_of_perigee_deg,
                "argument of perigee",
            ),
            (Field::MeanAnomaly, self.mean_anomaly_deg, "mean anomaly"),
        ] {
            if !value.is_finite() || !(0.0..=360.0).contains(&value) {
                return fail(field, format!("{what} {value} deg is outside 0..360 deg"));
            }
        }
        if !self.bstar_per_er.is_finite() {
            return fail(Field::Bstar, "B* is not a finite number".into());
        }
        // Two-body perigee from the Kozai mean motion. Re-entering objects legitimately
        // have a perigee at or a little below the surface in these terms (Vallado's test
        // set has one 49 km below); deeper than that is not an orbit.
        let perigee_km = self.semi_major_axis_km() * (1.0 - e);
        if perigee_km < EARTH_RADIUS_KM - MAX_PERIGEE_BELOW_SURFACE_KM {
            return fail(
                Field::MeanMotion,
                format!(
                    "mean motion {n} rev/day and eccentricity {e} put the perigee {:.0} km \
                     below the Earth's surface (more than {MAX_PERIGEE_BELOW_SURFACE_KM} km \
                     below is not an orbit)",
                    EARTH_RADIUS_KM - perigee_km
                ),
            );
        }
        let year = chrono::Datelike::year(&self.epoch);
        if !(1957..=2100).contains(&year) {
            return fail(
                Field::Epoch,
                format!("epoch year {year} is outside 1957..2100"),
            );
        }
        if let Err(e) = crate::propagate::constants_for(self, crate::propagate::Sgp4Mode::Improved)
        {
            return fail(Field::MeanMotion, format!("SGP4 refuses the elements: {e}"));
        }
        Ok(())
    }

    /// Semi-major axis from the mean motion (two-body, WGS72), km.
    pub fn semi_major_axis_km(&self) -> f64 {
        let n_rad_s = self.mean_motion_rev_per_day * std::f64::consts::TAU / 86_400.0;
        (MU_KM3_S2 / (n_rad_s * n_rad_s)).cbrt()
    }

    /// Perigee altitude above the WGS72 equatorial radius, km.
    pub fn perigee_alt_km(&self) -> f64 {
        self.semi_major_axis_km() * (1.0 - self.eccentricity) - EARTH_RADIUS_KM
    }

    /// Apogee altitude above the WGS72 equatorial radius, km.
    pub fn apogee_alt_km(&self) -> f64 {
        self.semi_major_axis_km() * (1.0 + self.eccentricity) - EARTH_RADIUS_KM
    }

    /// Orbital period from the mean motion, seconds.
    pub fn period_s(&self) -> f64 {
        86_400.0 / self.mean_motion_rev_per_day
    }

    /// A warning when the epoch is more than [`STALE_AFTER_DAYS`] from `at`.
    pub fn staleness(&self, at: DateTime<Utc>) -> Option<ElementsWarning> {
        let age_days = (at - self.epoch).num_milliseconds() as f64 / 86_400_000.0;
        (age_days.abs() > STALE_AFTER_DAYS).then(|| ElementsWarning {
            norad_id: self.norad_id,
            epoch: self.epoch,
            age_days,
            message: format!(
                "elements of NORAD {} have epoch {} which is {:.1} days {} {}; SGP4 errors grow \
                 by kilometres per day, so predictions may be far off",
                self.norad_id,
                self.epoch.format("%Y-%m-%dT%H:%M:%SZ"),
                age_days.abs(),
                if age_days >= 0.0 { "before" } else { "after" },
                at.format("%Y-%m-%dT%H:%M:%SZ"),
            ),
        })
    }

    /// The same elements in the `sgp4` crate's type.
    pub(crate) fn to_sgp4(&self) -> sgp4::Elements {
        sgp4::Elements {
            object_name: self.name.clone(),
            international_designator: self.international_designator.clone(),
            norad_id: self.norad_id,
            classification: match self.classification {
                'C' => sgp4::Classification::Classified,
                'S' => sgp4::Classification::Secret,
                _ => sgp4::Classification::Unclassified,
            },
            datetime: self.epoch.naive_utc(),
            mean_motion_dot: self.mean_motion_dot,
            mean_motion_ddot: self.mean_motion_ddot,
            drag_term: self.bstar_per_er,
            element_set_number: self.element_set_number,
            inclination: self.inclination_deg,
            right_ascension: self.raan_deg,
            eccentricity: self.eccentricity,
            argument_of_perigee: self.arg_of_perigee_deg,
            mean_anomaly: self.mean_anomaly_deg,
            mean_motion: self.mean_motion_rev_per_day,
            revolution_number: self.revolution_number,
            ephemeris_type: 0,
        }
    }

    /// From the `sgp4` crate's type (not yet checked).
    pub(crate) fn from_sgp4(e: &sgp4::Elements, source: SourceFormat) -> Self {
        Self {
            norad_id: e.norad_id,
            name: e.object_name.clone(),
            international_designator: e.international_designator.clone(),
            classification: match e.classification {
                sgp4::Classification::Unclassified => 'U',
                sgp4::Classification::Classified => 'C',
                sgp4::Classification::Secret => 'S',
            },
            epoch: naive_to_utc(e.datetime),
            mean_motion_rev_per_day: e.mean_motion,
            eccentricity: e.eccentricity,
            inclination_deg: e.inclination,
            raan_deg: e.right_ascension,
            arg_of_perigee_deg: e.argument_of_perigee,
            mean_anomaly_deg: e.mean_anomaly,
            bstar_per_er: e.drag_term,
            mean_motion_dot: e.mean_motion_dot,
            mean_motion_ddot: e.mean_motion_ddot,
            element_set_number: e.element_set_number,
            revolution_number: e.revolution_number,
            source,
        }
    }
}

/// A naive UTC time as `DateTime<Utc>`.
pub(crate) fn naive_to_utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// Read element sets in any supported format: CCSDS OMM XML (starts with `<`), OMM KVN
/// (has `CCSDS_OMM_VERS`), otherwise TLEs (two-line, or three-line with names).
///
/// Every set is checked ([`ElementSet`]'s invariant); the first bad one is the error.
pub fn parse_elements(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let sets = if trimmed.starts_with('<') {
        crate::omm::parse_omm_xml(text)?
    } else if text.contains("CCSDS_OMM_VERS") {
        crate::omm::parse_omm_kvn(text)?
    } else {
        crate::tle::parse_tles(text)?
    };
    if sets.is_empty() {
        return Err(ElementsError::new(
            0,
            "input",
            "no element sets found (expected TLEs or a CCSDS OMM in KVN or XML)",
        ));
    }
    Ok(sets)
}

/// Warnings for every set whose epoch is more than [`STALE_AFTER_DAYS`] from `at`.
pub fn stale_warnings(sets: &[ElementSet], at: DateTime<Utc>) -> Vec<ElementsWarning> {
    sets.iter().filter_map(|s| s.staleness(at)).collect()
}
