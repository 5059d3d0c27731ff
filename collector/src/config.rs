//! Configuration: defaults, then an optional TOML file, then `COLLECTOR_*`
//! environment variables, then command-line flags (later wins).
//!
//! ```text
//! Config::default ─► TOML file (unknown keys warned) ─► COLLECTOR_* / flags (main.rs) ─► validate ─► open
//! ```

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `collector serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Folder of the sled database.
    pub data: PathBuf,
    /// Folder of form JSON files published at start.
    pub forms: PathBuf,
    /// Folder of the built widget (`widget.js`, `assets/`).
    pub dist: PathBuf,
    /// Submissions per client per minute; 0 turns the limit off.
    pub rate_limit: u32,
    /// Honeypot and timing checks on the hosted no-JavaScript form.
    pub bot_checks: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Origins allowed to embed and post to every form, besides each form's own.
    pub allowed_origins: Vec<String>,
    /// Cells with fewer responses are suppressed in shared outputs.
    pub min_cell: u32,
    /// Layer the policing and community-safety lexicon over VADER.
    pub domain_lexicon: bool,
    /// A deployment's own lexicon additions (`phrase<TAB>valence` lines).
    pub lexicon: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("./data"),
            forms: PathBuf::from("examples/forms"),
            dist: PathBuf::from("dist"),
            rate_limit: 30,
            bot_checks: true,
            max_body_bytes: 64 * 1024,
            allowed_origins: Vec::new(),
            min_cell: 10,
            domain_lexicon: true,
            lexicon: None,
        }
    }
}

const KEYS: &[&str] = &[
    "addr",
    "data",
    "forms",
    "dist",
    "rate_limit",
    "bot_checks",
    "max_body_bytes",
    "allowed_origins",
    "min_cell",
    "domain_lexicon",
    "lexicon",
];

/// A configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The file is not valid TOML of the right shape.
    #[error("{0}: {1}")]
    Parse(PathBuf, String),
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Reads a TOML file over the defaults; returns the config and the
    /// unknown keys found (to be warned about).
    pub fn from_toml_file(path: &Path) -> Result<(Config, Vec<String>), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
        Self::from_toml_str(&text).map_err(|e| ConfigError::Parse(path.into(), e))
    }

    /// Parses TOML text over the defaults.
    pub fn from_toml_str(text: &str) -> Result<(Config, Vec<String>), String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let unknown = table
            .keys()
            .filter(|k| !KEYS.contains(&k.as_str()))
            .cloned()
            .collect();
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        Ok((config, unknown))
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid(
                "max_body_bytes must be at least 1024".into(),
            ));
        }
        if self.min_cell == 0 {
            return Err(ConfigError::Invalid("min_cell must be at least 1".into()));
        }
        for o in &self.allowed_origins {
            if !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/') {
                return Err(ConfigError::Invalid(format!(
                    "allowed origin '{o}' must look like https://partner.example (no trailing slash)"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_file_parses_with_no_unknown_keys() {
        let text = include_str!("../collector.example.toml");
        let (config, unknown) = Config::from_toml_str(text).unwrap();
        assert!(unknown.is_empty(), "unknown keys: {unknown:?}");
        config.validate().unwrap();
        assert_eq!(config.addr, "127.0.0.1:8080".parse().unwrap());
    }

    #[test]
    fn unknown_keys_are_reported_and_missing_ones_default() {
        let (config, unknown) = Config::from_toml_str("rate_limit = 5\nratelimit = 6\n").unwrap();
        assert_eq!(config.rate_limit, 5);
        assert_eq!(config.data, PathBuf::from("./data"));
        assert_eq!(unknown, vec!["ratelimit".to_string()]);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(Config::from_toml_str("addr = \"not an address\"").is_err());
        let c = Config {
            allowed_origins: vec!["partner.example/".into()],
            ..Config::default()
        };
        assert!(c.validate().is_err());
    }
}
