//! Codes naming countries (ISO 3166-1 alpha-2) and their first-level regions (ISO 3166-2).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCode {
    /// Not two ASCII capital letters.
    #[error("country code {0:?} is not two capital letters (ISO 3166-1 alpha-2)")]
    Country(String),
    /// Not `CC-XXX` with a valid country prefix and 1 to 8 capital letters or digits.
    #[error("region code {0:?} is not of the form CC-X (ISO 3166-2, e.g. JP-47)")]
    Region(String),
}

/// An ISO 3166-1 alpha-2 country code such as `JP`. `XZ` (user-assigned in ISO 3166-1)
/// marks places with no admin-1 owner in the bundled data, such as the Spratly Islands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parse two ASCII capital letters.
    pub fn parse(s: &str) -> Result<Self, InvalidCode> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Self([*a, *b])),
            _ => Err(InvalidCode::Country(s.to_owned())),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Both bytes were checked to be ASCII capitals when constructed.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for CountryCode {
    type Error = InvalidCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CountryCode> for String {
    fn from(c: CountryCode) -> Self {
        c.as_str().to_owned()
    }
}

impl std::str::FromStr for CountryCode {
    type Err = InvalidCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A first-level administrative region code in ISO 3166-2 form, e.g. `JP-47` (Okinawa).
///
/// Where ISO has no code (Guam's villages, unnamed islets), the bundled data uses
/// Natural Earth's placeholder suffix, e.g. `GU-X01`; see `data/README.md`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    /// Parse `CC-X` where `CC` is a country code and `X` is 1 to 8 capitals or digits.
    pub fn parse(s: &str) -> Result<Self, InvalidCode> {
        let bad = || InvalidCode::Region(s.to_owned());
        let (country, sub) = s.split_once('-').ok_or_else(bad)?;
        CountryCode::parse(country).map_err(|_| bad())?;
        let sub_ok = (1..=8).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !sub_ok {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country part of the code (`JP` for `JP-47`).
    pub fn country(&self) -> CountryCode {
        // The prefix was validated when the code was constructed.
        CountryCode::parse(&self.0[..2]).unwrap_or(CountryCode(*b"XZ"))
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = InvalidCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> Self {
        c.0
    }
}

impl std::str::FromStr for RegionCode {
    type Err = InvalidCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_codes() {
        let okinawa = RegionCode::parse("JP-47").unwrap();
        assert_eq!(okinawa.country().as_str(), "JP");
        assert!(RegionCode::parse("TW-TPE").is_ok());
        assert!(RegionCode::parse("GU-X01").is_ok());
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "JP",
            "JP-",
            "jp-47",
            "JP-47~",
            "J-47",
            "JP-123456789",
            "JPN-47",
        ] {
            assert!(
                RegionCode::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(CountryCode::parse("jp").is_err());
        assert!(CountryCode::parse("JPN").is_err());
    }
}
