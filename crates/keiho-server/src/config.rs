//! `keiho.toml`: where the service listens and keeps its data, who it speaks as and
//! for whom, and its limits. Every field has a default, so an empty file works; an
//! unknown field is an error (a typo must not silently fall back to a default).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The service's configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Folder for the database and the signing key (created if missing).
    pub data_dir: PathBuf,
    /// Base URL the service is reached at (links in the Atom feed).
    pub public_url: String,
    /// CAP sender (e.g. `keiho@city.example.jp`).
    pub sender: String,
    /// CAP status of automatic messages: `actual`, `exercise` or `test`.
    pub status: String,
    /// Countries whose regions are alerted (ISO 3166-1 alpha-2).
    pub jurisdiction: Vec<String>,
    /// Alert the neighbours of areas at risk (Japan's practice since 2023).
    pub neighbours: bool,
    /// How long reports wait for stragglers before processing, ms.
    pub reorder_window_ms: u64,
    /// How far ahead of the clock a report may be dated, ms.
    pub future_tolerance_ms: u64,
    /// Request limits.
    pub limits: Limits,
    /// Launches announced in advance (NAVAREA warnings).
    pub notices: Vec<NoticeConfig>,
    /// Delivery to other systems.
    pub delivery: DeliverySettings,
}

/// Delivery settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    /// MQTT broker for loudspeaker controllers, `host:port` (none: no MQTT).
    pub mqtt: Option<String>,
}

/// Request limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, bytes.
    pub body_bytes: usize,
    /// Requests per second per client address (sustained).
    pub per_second: u64,
    /// Burst of requests per client address.
    pub burst: u32,
}

/// A launch notice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeConfig {
    /// Launch site latitude, degrees.
    pub lat: f64,
    /// Launch site longitude, degrees.
    pub lon: f64,
    /// Match radius, km.
    pub radius_km: f64,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Expected powered flight, s.
    pub max_burn_s: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 4 << 20,
            per_second: 200,
            burst: 400,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("keiho-data"),
            public_url: "http://127.0.0.1:8080".into(),
            sender: "keiho@localhost".into(),
            status: "exercise".into(),
            jurisdiction: vec!["JP".into()],
            neighbours: true,
            reorder_window_ms: 500,
            future_tolerance_ms: 5_000,
            limits: Limits::default(),
            notices: Vec::new(),
            delivery: DeliverySettings::default(),
        }
    }
}

/// Why the configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a wrong field (the message gives the line).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What and where.
        message: String,
    },
    /// A value is out of range.
    #[error("{path}: {field}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field.
        field: &'static str,
        /// Why.
        message: String,
    },
}

impl ServerConfig {
    /// Read and check a `keiho.toml`.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parse and check TOML text (`path` names it in errors).
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field, message: &str| ConfigError::Invalid {
            path: path.to_owned(),
            field,
            message: message.to_owned(),
        };
        if !matches!(self.status.as_str(), "actual" | "exercise" | "test") {
            return Err(invalid("status", "must be `actual`, `exercise` or `test`"));
        }
        if self.jurisdiction.is_empty() {
            return Err(invalid("jurisdiction", "name at least one country"));
        }
        for c in &self.jurisdiction {
            if keiho_types::CountryCode::parse(c).is_err() {
                return Err(invalid(
                    "jurisdiction",
                    &format!("{c:?} is not an ISO 3166-1 alpha-2 code"),
                ));
            }
        }
        if self.limits.body_bytes < 1024 {
            return Err(invalid("limits.body_bytes", "must be at least 1024"));
        }
        if self.limits.per_second == 0 || self.limits.burst == 0 {
            return Err(invalid("limits", "per_second and burst must be positive"));
        }
        if self.sender.trim().is_empty() || self.sender.contains(char::is_whitespace) {
            return Err(invalid(
                "sender",
                "must be one word with no spaces (CAP sender)",
            ));
        }
        if let Some(m) = &self.delivery.mqtt {
            let ok = m
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                return Err(invalid(
                    "delivery.mqtt",
                    "must be host:port, e.g. 127.0.0.1:1883",
                ));
            }
        }
        for n in &self.notices {
            if keiho_types::GeoPoint::new(n.lat, n.lon).is_err()
                || n.radius_km.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
                || n.max_burn_s.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
                || n.to < n.from
            {
                return Err(invalid(
                    "notices",
                    "each needs a valid lat/lon, a positive radius_km and max_burn_s, and from <= to",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_the_defaults_and_a_typo_is_an_error_with_its_line() {
        let p = Path::new("keiho.toml");
        let c = ServerConfig::from_toml("", p).map_err(|e| e.to_string());
        assert_eq!(c.map(|c| c.listen.port()), Ok(8080));
        let e = ServerConfig::from_toml("listen = \"127.0.0.1:9\"\nstatuss = \"actual\"\n", p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("statuss") && e.contains("line 2"), "{e}");
        let e = ServerConfig::from_toml("status = \"real\"", p)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("status: must be"), "{e}");
    }
}

#[cfg(test)]
mod example {
    #[test]
    fn the_example_configuration_in_the_repository_is_valid() {
        let path = std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../keiho.example.toml"
        ));
        let text = std::fs::read_to_string(path).unwrap_or_default();
        assert!(!text.is_empty(), "keiho.example.toml is missing");
        let c = super::ServerConfig::from_toml(&text, path).map_err(|e| e.to_string());
        assert_eq!(c.map(|c| c.limits.per_second), Ok(200));
    }
}
