//! JSON-lines writers for a simulation: the reports exactly as ingest reads them, and
//! the truth (samples and events) for tests and replays.

use crate::Simulation;
use crate::truth::{TruthEvent, TruthSample};
use serde::Serialize;
use std::io::{self, Write};
use thiserror::Error;

/// Why writing failed.
#[derive(Debug, Error)]
pub enum WriteError {
    /// The writer refused the bytes.
    #[error("write failed at line {line}")]
    Io {
        /// 1-based line being written.
        line: usize,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A record could not be serialised (a non-finite number).
    #[error("line {line} could not be serialised")]
    Json {
        /// 1-based line being written.
        line: usize,
        /// The serialisation error.
        #[source]
        source: serde_json::Error,
    },
}

fn write_line<W: Write, T: Serialize>(
    out: &mut W,
    line: usize,
    value: &T,
) -> Result<(), WriteError> {
    serde_json::to_writer(&mut *out, value).map_err(|source| WriteError::Json { line, source })?;
    out.write_all(b"\n")
        .map_err(|source| WriteError::Io { line, source })
}

/// Writes the reports as JSON lines, one [`keiho_ingest::Report`] per line, in time
/// order: the format `keiho_ingest::Validator::parse_lines` reads.
pub fn write_reports(sim: &Simulation, out: impl Write) -> Result<(), WriteError> {
    let mut out = io::BufWriter::new(out);
    for (i, r) in sim.reports.iter().enumerate() {
        write_line(&mut out, i + 1, r)?;
    }
    out.flush().map_err(|source| WriteError::Io {
        line: sim.reports.len(),
        source,
    })
}

/// One line of the truth file, tagged by `record`.
#[derive(Serialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum TruthLine<'a> {
    Sample(&'a TruthSample),
    Event(&'a TruthEvent),
}

/// Writes the truth as JSON lines in time order: `{"record":"sample",...}` for each
/// [`TruthSample`] and `{"record":"event",...}` for each [`TruthEvent`]; at one instant
/// events come after the samples.
pub fn write_truth(sim: &Simulation, out: impl Write) -> Result<(), WriteError> {
    let mut out = io::BufWriter::new(out);
    let mut events = sim.events.iter().peekable();
    let mut line = 0;
    for s in &sim.truth {
        while let Some(e) = events.next_if(|e| e.t < s.t) {
            line += 1;
            write_line(&mut out, line, &TruthLine::Event(e))?;
        }
        line += 1;
        write_line(&mut out, line, &TruthLine::Sample(s))?;
    }
    for e in events {
        line += 1;
        write_line(&mut out, line, &TruthLine::Event(e))?;
    }
    out.flush()
        .map_err(|source| WriteError::Io { line, source })
}
