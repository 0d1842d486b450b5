//! Two- and three-line element sets: line pairing, checksums (verified here so the error
//! can say which line and what the checksum should be), then the `sgp4` crate's field
//! parser, then [`ElementSet`]'s checks.

use crate::elements::{ElementSet, ElementsError, Field, SourceFormat};

/// Length of a TLE data line.
const TLE_LINE_LEN: usize = 69;

/// The modulo-10 checksum of a TLE line's first 68 characters: digits count their value,
/// a minus sign counts 1, everything else 0.
pub fn tle_checksum(line: &str) -> u32 {
    line.chars()
        .take(TLE_LINE_LEN - 1)
        .map(|c| match c {
            '-' => 1,
            c => c.to_digit(10).unwrap_or(0),
        })
        .sum::<u32>()
        % 10
}

fn is_data_line(line: &str, first: char) -> bool {
    let mut chars = line.chars();
    chars.next() == Some(first) && chars.next() == Some(' ')
}

fn check_line(line: &str, number: usize, which: u8) -> Result<(), ElementsError> {
    let what = format!("TLE line {which}");
    if !line.is_ascii() {
        return Err(ElementsError::new(
            number,
            what,
            "contains non-ASCII characters",
        ));
    }
    if line.len() != TLE_LINE_LEN {
        return Err(ElementsError::new(
            number,
            what,
            format!(
                "has {} characters; a TLE line has exactly {TLE_LINE_LEN}",
                line.len()
            ),
        ));
    }
    let expected = tle_checksum(line);
    let last = line.chars().last().unwrap_or(' ');
    match last.to_digit(10) {
        Some(actual) if actual == expected => Ok(()),
        Some(actual) => Err(ElementsError::new(
            number,
            format!("{what} checksum (column 69)"),
            format!(
                "checksum is {actual} but the line's digits give {expected}: the line is corrupt"
            ),
        )),
        None => Err(ElementsError::new(
            number,
            format!("{what} checksum (column 69)"),
            format!("{last:?} is not a digit (the line's digits give {expected})"),
        )),
    }
}

/// Parse every TLE in `text` (two-line sets, or three-line with a name line before
/// each; `0 NAME` name lines are accepted). Blank lines are ignored.
pub fn parse_tles(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut name: Option<(usize, String)> = None;
    while i < lines.len() {
        let (n1, l1) = lines[i];
        if is_data_line(l1, '1') && l1.len() == TLE_LINE_LEN {
            let Some(&(n2, l2)) = lines.get(i + 1) else {
                return Err(ElementsError::new(
                    n1,
                    "TLE line 1",
                    "is not followed by a line 2",
                ));
            };
            if !is_data_line(l2, '2') {
                return Err(ElementsError::new(
                    n2,
                    "TLE line 2",
                    format!("expected a line starting with \"2 \" after line 1 (line {n1})"),
                ));
            }
            check_line(l1, n1, 1)?;
            check_line(l2, n2, 2)?;
            let object_name = name.take().map(|(_, s)| s);
            let parsed = sgp4::Elements::from_tle(object_name, l1.as_bytes(), l2.as_bytes())
                .map_err(|e| {
                    ElementsError::new(n1, format!("TLE lines {n1}-{n2}"), e.to_string())
                })?;
            let set = ElementSet::from_sgp4(&parsed, SourceFormat::Tle);
            set.check(&|f: Field| {
                let (which, label) = f.tle_place();
                (
                    if which == 1 { n1 } else { n2 },
                    format!("TLE line {which} {label}"),
                )
            })?;
            out.push(set);
            i += 2;
        } else if is_data_line(l1, '2') && l1.len() == TLE_LINE_LEN {
            return Err(ElementsError::new(
                n1,
                "TLE line 2",
                "has no line 1 before it",
            ));
        } else if is_data_line(l1, '1') && l1.len() != TLE_LINE_LEN && looks_like_data(l1) {
            return Err(ElementsError::new(
                n1,
                "TLE line 1",
                format!(
                    "has {} characters; a TLE line has exactly {TLE_LINE_LEN}",
                    l1.len()
                ),
            ));
        } else {
            if let Some((n, _)) = &name {
                return Err(ElementsError::new(
                    *n,
                    "TLE name line",
                    format!("is followed by line {n1}, which is not a TLE line 1"),
                ));
            }
            let s = l1.strip_prefix("0 ").unwrap_or(l1).trim();
            if s.len() > 80 {
                return Err(ElementsError::new(
                    n1,
                    "TLE name line",
                    "is longer than 80 characters: this does not look like TLE input",
                ));
            }
            name = Some((n1, s.to_owned()));
            i += 1;
        }
    }
    if let Some((n, _)) = name {
        return Err(ElementsError::new(
            n,
            "TLE name line",
            "is not followed by a TLE",
        ));
    }
    Ok(out)
}

/// A short line starting `1 ` that has the shape of a data line (a NORAD number next).
fn looks_like_data(line: &str) -> bool {
    line.len() > 20
        && line
            .get(2..7)
            .is_some_and(|s| s.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L1: &str = "1 58400U 23179A   24158.19566690  .00000871  00000-0  41535-4 0  9999";
    const L2: &str = "2 58400  97.4052  45.2326 0002221 305.1745  54.9283 15.21704003 30052";

    #[test]
    fn checksums_of_the_fixture_lines() {
        assert_eq!(tle_checksum(L1), 9);
        assert_eq!(tle_checksum(L2), 2);
    }

    #[test]
    fn three_line_set_parses() -> Result<(), ElementsError> {
        let sets = parse_tles(&format!("MALLIGYONG-1\n{L1}\n{L2}\n"))?;
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].norad_id, 58400);
        assert_eq!(sets[0].name.as_deref(), Some("MALLIGYONG-1"));
        // Tolerance: the TLE field has 4 decimals.
        assert!((sets[0].inclination_deg - 97.4052).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn bad_checksum_names_line_and_both_values() {
        let bad = format!("{}3", &L2[..68]);
        let err = parse_tles(&format!("X\n{L1}\n{bad}\n")).err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("checksum is 3"), "{err}");
        assert!(err.contains("give 2"), "{err}");
    }

    #[test]
    fn eccentricity_out_of_range_is_refused() {
        // Mean motion 1 rev/day with e = 0.9999999: perigee inside the Earth.
        let l2 = "2 58400  97.4052  45.2326 9999999 305.1745  54.9283  1.00000000 3005";
        let l2 = format!("{l2}{}", tle_checksum(&format!("{l2}0")));
        let err = parse_tles(&format!("{L1}\n{l2}\n")).err();
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("perigee"), "{err}");
    }

    #[test]
    fn orphan_lines_are_errors() {
        assert!(parse_tles(L2).is_err());
        assert!(parse_tles(L1).is_err());
        assert!(parse_tles("NAME ONLY\n").is_err());
    }
}
