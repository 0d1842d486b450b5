//! CCSDS Orbit Mean-Elements Messages (CCSDS 502.0-B-3) carrying SGP4 elements, in
//! key = value notation (KVN) and in XML (the NDM/XML schema CelesTrak and Space-Track
//! serve). Both are read into keyword/value/line triples, then into [`ElementSet`]s.

use crate::elements::{ElementSet, ElementsError, Field, SourceFormat};
use chrono::NaiveDateTime;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

/// One OMM's keywords in input order: (keyword, value, 1-based line).
type Record = Vec<(String, String, usize)>;

/// Parse one or more OMMs in KVN. Each message begins with `CCSDS_OMM_VERS`.
pub fn parse_omm_kvn(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    let mut records: Vec<Record> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim();
        if l.is_empty() || l.starts_with("COMMENT") {
            continue;
        }
        let Some((key, value)) = l.split_once('=') else {
            // Block markers of OMM covariance/user sections are bare words.
            if l.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                continue;
            }
            return Err(ElementsError::new(
                line,
                "OMM KVN",
                format!("expected `KEYWORD = value`, got {l:?}"),
            ));
        };
        let key = key.trim().to_owned();
        // Values may carry units in brackets: `MEAN_MOTION = 15.2 [rev/day]`.
        let value = value
            .split('[')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        if key == "CCSDS_OMM_VERS" {
            records.push(Vec::new());
        }
        match records.last_mut() {
            Some(r) => r.push((key, value, line)),
            None => {
                return Err(ElementsError::new(
                    line,
                    key,
                    "appears before CCSDS_OMM_VERS, which must open every OMM",
                ));
            }
        }
    }
    records
        .iter()
        .map(|r| from_record(r, SourceFormat::OmmKvn))
        .collect()
}

/// Parse one or more OMMs in XML (`<omm>` elements, alone or inside an `<ndm>`).
pub fn parse_omm_xml(text: &str) -> Result<Vec<ElementSet>, ElementsError> {
    let mut reader = Reader::from_str(text);
    let mut records: Vec<Record> = Vec::new();
    let mut in_omm = false;
    // The innermost open element and the line it opened on.
    let mut current: Option<(String, usize)> = None;
    let mut text_buf = String::new();
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let line = line_of(text, pos);
        let event = reader.read_event().map_err(|e| {
            ElementsError::new(line, "OMM XML", format!("not well-formed XML: {e}"))
        })?;
        match event {
            Event::Start(e) => {
                let name = AsRef::<str>::as_ref(&e.local_name()).to_owned();
                if name == "omm" {
                    in_omm = true;
                    records.push(Vec::new());
                }
                current = Some((name, line));
                text_buf.clear();
            }
            Event::Text(t) => {
                text_buf.push_str(&t.xml10_content());
            }
            Event::CData(t) => {
                text_buf.push_str(&t.xml10_content());
            }
            Event::End(e) => {
                let name = AsRef::<str>::as_ref(&e.local_name()).to_owned();
                if name == "omm" {
                    in_omm = false;
                } else if let Some((open, open_line)) = current.take()
                    && open == name
                    && in_omm
                    && name.chars().all(|c| c.is_ascii_uppercase() || c == '_')
                    && let Some(r) = records.last_mut()
                {
                    r.push((name, text_buf.trim().to_owned(), open_line));
                }
                text_buf.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    records
        .iter()
        .map(|r| from_record(r, SourceFormat::OmmXml))
        .collect()
}

fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(byte)
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn from_record(r: &Record, source: SourceFormat) -> Result<ElementSet, ElementsError> {
    let first_line = r.first().map_or(0, |(_, _, l)| *l);
    let get = |key: &str| r.iter().find(|(k, _, _)| k == key);
    let required = |key: &str| {
        get(key).ok_or_else(|| {
            ElementsError::new(
                first_line,
                key,
                format!("missing from the OMM that starts on line {first_line}"),
            )
        })
    };
    let number = |key: &str| -> Result<f64, ElementsError> {
        let (_, v, line) = required(key)?;
        parse_number(v)
            .ok_or_else(|| ElementsError::new(*line, key, format!("{v:?} is not a number")))
    };
    let optional_number = |key: &str| -> Result<f64, ElementsError> {
        match get(key) {
            None => Ok(0.0),
            Some((_, v, line)) => parse_number(v)
                .ok_or_else(|| ElementsError::new(*line, key, format!("{v:?} is not a number"))),
        }
    };
    let integer = |key: &str, default: Option<u64>| -> Result<u64, ElementsError> {
        match (get(key), default) {
            (None, Some(d)) => Ok(d),
            (None, None) => required(key).map(|_| 0),
            (Some((_, v, line)), _) => v.trim().parse::<u64>().map_err(|_| {
                ElementsError::new(*line, key, format!("{v:?} is not a non-negative integer"))
            }),
        }
    };
    for (key, allowed) in [
        ("MEAN_ELEMENT_THEORY", &["SGP4", "SGP/SGP4", "SGP4-XP"][..]),
        ("REF_FRAME", &["TEME"][..]),
        ("TIME_SYSTEM", &["UTC"][..]),
        ("CENTER_NAME", &["EARTH"][..]),
    ] {
        if let Some((_, v, line)) = get(key)
            && !allowed.iter().any(|a| a.eq_ignore_ascii_case(v))
        {
            return Err(ElementsError::new(
                *line,
                key,
                format!(
                    "{v:?} is not supported: SGP4 elements need {}",
                    allowed.join(" or ")
                ),
            ));
        }
    }
    let (_, epoch_text, epoch_line) = required("EPOCH")?;
    let epoch = parse_epoch(epoch_text).ok_or_else(|| {
        ElementsError::new(
            *epoch_line,
            "EPOCH",
            format!("{epoch_text:?} is not a time like 2024-06-06T04:41:45.620160"),
        )
    })?;
    let classification = match get("CLASSIFICATION_TYPE") {
        None => 'U',
        Some((_, v, line)) => match v.as_str() {
            "U" | "C" | "S" => v.chars().next().unwrap_or('U'),
            _ => {
                return Err(ElementsError::new(
                    *line,
                    "CLASSIFICATION_TYPE",
                    format!("{v:?} is not U, C or S"),
                ));
            }
        },
    };
    let set = ElementSet {
        norad_id: integer("NORAD_CAT_ID", None)?,
        name: get("OBJECT_NAME").map(|(_, v, _)| v.clone()),
        international_designator: get("OBJECT_ID").map(|(_, v, _)| v.clone()),
        classification,
        epoch: crate::elements::naive_to_utc(epoch),
        mean_motion_rev_per_day: number("MEAN_MOTION")?,
        eccentricity: number("ECCENTRICITY")?,
        inclination_deg: number("INCLINATION")?,
        raan_deg: number("RA_OF_ASC_NODE")?,
        arg_of_perigee_deg: number("ARG_OF_PERICENTER")?,
        mean_anomaly_deg: number("MEAN_ANOMALY")?,
        bstar_per_er: number("BSTAR")?,
        mean_motion_dot: optional_number("MEAN_MOTION_DOT")?,
        mean_motion_ddot: optional_number("MEAN_MOTION_DDOT")?,
        element_set_number: integer("ELEMENT_SET_NO", Some(0))?,
        revolution_number: integer("REV_AT_EPOCH", Some(0))?,
        source,
    };
    set.check(&|f: Field| {
        let key = f.omm_key();
        (get(key).map_or(first_line, |(_, _, l)| *l), key.to_owned())
    })?;
    Ok(set)
}

fn parse_number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// OMM epochs: calendar (`2024-06-06T04:41:45.62`) or day-of-year (`2024-158T04:41:45.62`),
/// optionally with a trailing `Z`.
fn parse_epoch(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim().trim_end_matches('Z');
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%jT%H:%M:%S%.f"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const KVN: &str = "CCSDS_OMM_VERS = 2.0
CREATION_DATE = 2024-06-06T12:00:00
ORIGINATOR = TEST
OBJECT_NAME = MALLIGYONG-1
OBJECT_ID = 2023-179A
CENTER_NAME = EARTH
REF_FRAME = TEME
TIME_SYSTEM = UTC
MEAN_ELEMENT_THEORY = SGP4
EPOCH = 2024-06-06T04:41:45.620160
MEAN_MOTION = 15.21704003 [rev/day]
ECCENTRICITY = .0002221
INCLINATION = 97.4052 [deg]
RA_OF_ASC_NODE = 45.2326
ARG_OF_PERICENTER = 305.1745
MEAN_ANOMALY = 54.9283
EPHEMERIS_TYPE = 0
CLASSIFICATION_TYPE = U
NORAD_CAT_ID = 58400
ELEMENT_SET_NO = 999
REV_AT_EPOCH = 3005
BSTAR = .41535E-4
MEAN_MOTION_DOT = .871E-5
MEAN_MOTION_DDOT = 0
";

    #[test]
    fn kvn_parses() -> Result<(), ElementsError> {
        let sets = parse_omm_kvn(KVN)?;
        assert_eq!(sets.len(), 1);
        assert_eq!(sets[0].norad_id, 58400);
        // Tolerance: exact decimal copies of the text.
        assert!((sets[0].mean_motion_rev_per_day - 15.21704003).abs() < 1e-12);
        assert_eq!(sets[0].revolution_number, 3005);
        Ok(())
    }

    #[test]
    fn kvn_negative_mean_motion_names_its_line() {
        let bad = KVN.replace("MEAN_MOTION = 15.21704003", "MEAN_MOTION = -15.2");
        let err = parse_omm_kvn(&bad).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.starts_with("line 11: MEAN_MOTION"), "{err}");
        assert!(err.contains("positive"), "{err}");
    }

    #[test]
    fn kvn_inclination_out_of_range() {
        let bad = KVN.replace("INCLINATION = 97.4052", "INCLINATION = 197.4");
        let err = parse_omm_kvn(&bad).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.starts_with("line 13: INCLINATION"), "{err}");
    }

    #[test]
    fn kvn_missing_bstar() {
        let bad = KVN.replace("BSTAR = .41535E-4\n", "");
        let err = parse_omm_kvn(&bad).err().map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("BSTAR"));
    }

    #[test]
    fn xml_parses_and_matches_kvn() -> Result<(), ElementsError> {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ndm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<omm id="CCSDS_OMM_VERS" version="2.0">
<header><CREATION_DATE/><ORIGINATOR/></header>
<body><segment>
<metadata><OBJECT_NAME>MALLIGYONG-1</OBJECT_NAME><OBJECT_ID>2023-179A</OBJECT_ID>
<CENTER_NAME>EARTH</CENTER_NAME><REF_FRAME>TEME</REF_FRAME><TIME_SYSTEM>UTC</TIME_SYSTEM>
<MEAN_ELEMENT_THEORY>SGP4</MEAN_ELEMENT_THEORY></metadata>
<data><meanElements><EPOCH>2024-06-06T04:41:45.620160</EPOCH>
<MEAN_MOTION>15.21704003</MEAN_MOTION><ECCENTRICITY>.0002221</ECCENTRICITY>
<INCLINATION>97.4052</INCLINATION><RA_OF_ASC_NODE>45.2326</RA_OF_ASC_NODE>
<ARG_OF_PERICENTER>305.1745</ARG_OF_PERICENTER><MEAN_ANOMALY>54.9283</MEAN_ANOMALY></meanElements>
<tleParameters><EPHEMERIS_TYPE>0</EPHEMERIS_TYPE><CLASSIFICATION_TYPE>U</CLASSIFICATION_TYPE>
<NORAD_CAT_ID>58400</NORAD_CAT_ID><ELEMENT_SET_NO>999</ELEMENT_SET_NO><REV_AT_EPOCH>3005</REV_AT_EPOCH>
<BSTAR>.41535E-4</BSTAR><MEAN_MOTION_DOT>.871E-5</MEAN_MOTION_DOT><MEAN_MOTION_DDOT>0</MEAN_MOTION_DDOT></tleParameters>
</data></segment></body></omm></ndm>"#;
        let from_xml = parse_omm_xml(xml)?;
        let mut from_kvn = parse_omm_kvn(KVN)?;
        from_kvn[0].source = SourceFormat::OmmXml;
        assert_eq!(from_xml, from_kvn);
        let bad = xml.replace("<ECCENTRICITY>.0002221", "<ECCENTRICITY>1.2");
        let err = parse_omm_xml(&bad).err().map(|e| e.to_string());
        let err = err.unwrap_or_default();
        assert!(err.starts_with("line 10: ECCENTRICITY"), "{err}");
        Ok(())
    }

    #[test]
    fn day_of_year_epoch() {
        assert_eq!(
            parse_epoch("2024-158T04:41:45.62Z"),
            parse_epoch("2024-06-06T04:41:45.62")
        );
    }
}
