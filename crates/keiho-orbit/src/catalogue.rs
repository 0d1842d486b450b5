//! The element catalogue: every element set ever added, per object (NORAD id), in
//! SQLite. The crate owns its table (`orbit_elements`, created with `CREATE TABLE IF
//! NOT EXISTS`), so it can share a database file with the alert log without touching
//! `keiho-store`'s migrations.

use crate::elements::{ElementSet, SourceFormat};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::path::Path;

/// A catalogue error (SQLite, or a row that does not decode).
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// SQLite failed.
    #[error("catalogue database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row is not a valid element set (the file was edited by hand?).
    #[error("catalogue row {rowid}: {reason}")]
    BadRow {
        /// SQLite rowid.
        rowid: i64,
        /// What is wrong.
        reason: String,
    },
}

/// What [`Catalogue::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AddOutcome {
    /// New element sets stored.
    pub added: usize,
    /// Sets already present (same object and epoch), left as they were.
    pub already_present: usize,
}

/// One object in the catalogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CatalogueEntry {
    /// NORAD catalogue number.
    pub norad_id: u64,
    /// Latest known name.
    pub name: Option<String>,
    /// Number of element sets held.
    pub element_sets: usize,
    /// Epoch of the oldest set.
    pub first_epoch: DateTime<Utc>,
    /// Epoch of the newest set.
    pub latest_epoch: DateTime<Utc>,
}

/// The catalogue, on a SQLite connection.
#[derive(Debug)]
pub struct Catalogue {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS orbit_elements (
    norad_id INTEGER NOT NULL,
    epoch TEXT NOT NULL,
    name TEXT,
    intl_designator TEXT,
    classification TEXT NOT NULL,
    mean_motion_rev_per_day REAL NOT NULL,
    eccentricity REAL NOT NULL,
    inclination_deg REAL NOT NULL,
    raan_deg REAL NOT NULL,
    arg_of_perigee_deg REAL NOT NULL,
    mean_anomaly_deg REAL NOT NULL,
    bstar_per_er REAL NOT NULL,
    mean_motion_dot REAL NOT NULL,
    mean_motion_ddot REAL NOT NULL,
    element_set_number INTEGER NOT NULL,
    revolution_number INTEGER NOT NULL,
    source TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (norad_id, epoch)
);
CREATE INDEX IF NOT EXISTS orbit_elements_by_object ON orbit_elements (norad_id, epoch);
";

/// Epochs are stored as fixed-width UTC text so text order is time order.
fn epoch_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn parse_epoch(rowid: i64, s: &str) -> Result<DateTime<Utc>, CatalogueError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| CatalogueError::BadRow {
            rowid,
            reason: format!("epoch {s:?}: {e}"),
        })
}

const COLUMNS: &str = "rowid, norad_id, epoch, name, intl_designator, classification, \
    mean_motion_rev_per_day, eccentricity, inclination_deg, raan_deg, arg_of_perigee_deg, \
    mean_anomaly_deg, bstar_per_er, mean_motion_dot, mean_motion_ddot, element_set_number, \
    revolution_number, source";

impl Catalogue {
    /// Open (or create) the catalogue in a database file.
    pub fn open(path: &Path) -> Result<Self, CatalogueError> {
        Self::from_connection(Connection::open(path)?)
    }

    /// A catalogue in memory (tests, one-off runs).
    pub fn open_in_memory() -> Result<Self, CatalogueError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    /// Use an existing connection (e.g. the one the alert log holds).
    pub fn from_connection(conn: Connection) -> Result<Self, CatalogueError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    /// Add element sets in one transaction; sets already present are left untouched.
    pub fn add(
        &mut self,
        sets: &[ElementSet],
        now: DateTime<Utc>,
    ) -> Result<AddOutcome, CatalogueError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut added = 0;
        {
            let mut stmt = tx.prepare(
                "INSERT OR IGNORE INTO orbit_elements (norad_id, epoch, name, intl_designator, \
                 classification, mean_motion_rev_per_day, eccentricity, inclination_deg, raan_deg, \
                 arg_of_perigee_deg, mean_anomaly_deg, bstar_per_er, mean_motion_dot, \
                 mean_motion_ddot, element_set_number, revolution_number, source, added_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )?;
            for s in sets {
                added += stmt.execute(params![
                    s.norad_id as i64,
                    epoch_text(s.epoch),
                    s.name,
                    s.international_designator,
                    s.classification.to_string(),
                    s.mean_motion_rev_per_day,
                    s.eccentricity,
                    s.inclination_deg,
                    s.raan_deg,
                    s.arg_of_perigee_deg,
                    s.mean_anomaly_deg,
                    s.bstar_per_er,
                    s.mean_motion_dot,
                    s.mean_motion_ddot,
                    s.element_set_number as i64,
                    s.revolution_number as i64,
                    source_text(s.source),
                    epoch_text(now),
                ])?;
            }
        }
        tx.commit()?;
        Ok(AddOutcome {
            added,
            already_present: sets.len() - added,
        })
    }

    /// Every object, by NORAD id.
    pub fn objects(&self) -> Result<Vec<CatalogueEntry>, CatalogueError> {
        let mut stmt = self.conn.prepare(
            "SELECT norad_id, COUNT(*), MIN(epoch), MAX(epoch), \
             (SELECT name FROM orbit_elements i WHERE i.norad_id = o.norad_id \
              ORDER BY epoch DESC LIMIT 1) \
             FROM orbit_elements o GROUP BY norad_id ORDER BY norad_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, count, first, latest, name) = row?;
            out.push(CatalogueEntry {
                norad_id: id as u64,
                name,
                element_sets: count as usize,
                first_epoch: parse_epoch(id, &first)?,
                latest_epoch: parse_epoch(id, &latest)?,
            });
        }
        Ok(out)
    }

    /// Every element set of one object, oldest first.
    pub fn history(&self, norad_id: u64) -> Result<Vec<ElementSet>, CatalogueError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM orbit_elements WHERE norad_id = ?1 ORDER BY epoch"
        ))?;
        let rows = stmt.query_map([norad_id as i64], raw_row)?;
        rows.map(|r| decode(r?)).collect()
    }

    /// The set of one object whose epoch is closest to `at` (the best one to propagate
    /// to `at`), if the object is known.
    pub fn nearest(
        &self,
        norad_id: u64,
        at: DateTime<Utc>,
    ) -> Result<Option<ElementSet>, CatalogueError> {
        let at = epoch_text(at);
        let before = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM orbit_elements WHERE norad_id = ?1 AND epoch <= ?2 \
                     ORDER BY epoch DESC LIMIT 1"
                ),
                params![norad_id as i64, at],
                raw_row,
            )
            .optional()?
            .map(decode)
            .transpose()?;
        let after = self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM orbit_elements WHERE norad_id = ?1 AND epoch > ?2 \
                     ORDER BY epoch ASC LIMIT 1"
                ),
                params![norad_id as i64, at],
                raw_row,
            )
            .optional()?
            .map(decode)
            .transpose()?;
        let at = parse_epoch(0, &at)?;
        Ok(match (before, after) {
            (Some(b), Some(a)) => Some(if (at - b.epoch) <= (a.epoch - at) {
                b
            } else {
                a
            }),
            (b, a) => b.or(a),
        })
    }
}

fn source_text(s: SourceFormat) -> &'static str {
    match s {
        SourceFormat::Tle => "tle",
        SourceFormat::OmmKvn => "omm_kvn",
        SourceFormat::OmmXml => "omm_xml",
    }
}

type RawRow = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    String,
    [f64; 9],
    i64,
    i64,
    String,
);

fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRow> {
    let mut f = [0.0; 9];
    for (k, v) in f.iter_mut().enumerate() {
        *v = r.get(6 + k)?;
    }
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        f,
        r.get(15)?,
        r.get(16)?,
        r.get(17)?,
    ))
}

fn decode(row: RawRow) -> Result<ElementSet, CatalogueError> {
    let (rowid, norad, epoch, name, intl, class, f, esn, rev, source) = row;
    let bad = |reason: String| CatalogueError::BadRow { rowid, reason };
    let set = ElementSet {
        norad_id: u64::try_from(norad).map_err(|_| bad(format!("NORAD id {norad}")))?,
        name,
        international_designator: intl,
        classification: class.chars().next().unwrap_or('U'),
        epoch: parse_epoch(rowid, &epoch)?,
        mean_motion_rev_per_day: f[0],
        eccentricity: f[1],
        inclination_deg: f[2],
        raan_deg: f[3],
        arg_of_perigee_deg: f[4],
        mean_anomaly_deg: f[5],
        bstar_per_er: f[6],
        mean_motion_dot: f[7],
        mean_motion_ddot: f[8],
        element_set_number: u64::try_from(esn).unwrap_or(0),
        revolution_number: u64::try_from(rev).unwrap_or(0),
        source: match source.as_str() {
            "omm_kvn" => SourceFormat::OmmKvn,
            "omm_xml" => SourceFormat::OmmXml,
            _ => SourceFormat::Tle,
        },
    };
    set.check(&|f| (0, f.omm_key().to_owned()))
        .map_err(|e| bad(e.to_string()))?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_elements;

    const TLES: &str = "MALLIGYONG-1
1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999
2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052
MALLIGYONG-1
1 58400U 23179A   24164.24788005  .00007135  00000+0  32465-3 0  9998
2 58400  97.4040  51.1823 0001996 152.6365 207.4976 15.21013721 30973
";

    #[test]
    fn history_round_trips_and_duplicates_are_ignored() -> Result<(), Box<dyn std::error::Error>> {
        let sets = parse_elements(TLES)?;
        let mut cat = Catalogue::open_in_memory()?;
        let now = sets[1].epoch;
        assert_eq!(cat.add(&sets, now)?.added, 2);
        let again = cat.add(&sets, now)?;
        assert_eq!((again.added, again.already_present), (0, 2));
        let history = cat.history(58400)?;
        assert_eq!(history, sets);
        let objects = cat.objects()?;
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].element_sets, 2);
        let near_first = cat.nearest(58400, sets[0].epoch + chrono::Duration::days(1))?;
        assert_eq!(near_first.map(|s| s.epoch), Some(sets[0].epoch));
        let near_second = cat.nearest(58400, sets[1].epoch + chrono::Duration::days(40))?;
        assert_eq!(near_second.map(|s| s.epoch), Some(sets[1].epoch));
        assert_eq!(cat.nearest(1, now)?, None);
        Ok(())
    }
}
