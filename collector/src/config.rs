//! Configuration: defaults, then an optional TOML file, then `COLLECTOR_*`
//! environment variables, then command-line flags (later wins).
//!
//! ```text
//! Config::default ─► TOML file (unknown keys warned) ─► COLLECTOR_* / flags (main.rs) ─► validate ─► open
//! ```

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
    /// Submissions per second across all clients; 0 turns the cap off.
    pub global_rate_limit: u32,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name
    /// the client (addresses or CIDR ranges); empty: the peer is the client.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// The header the trusted proxies write the client into; the other is
    /// never read (a client could send it through them).
    pub forwarded_header: ForwardedHeader,
    /// Clients that may read `/metrics` (addresses or CIDR ranges, the
    /// client as the rate limit reads it); others get 403. What it counts
    /// (how many answers were set aside as a bot's, and why) would tell a
    /// bot whether it got through.
    pub metrics_from: Vec<TrustedProxy>,
    /// Longest a request may take, from its headers to the response's; and
    /// longest a client may take to send its headers.
    pub request_timeout_secs: u64,
    /// Longest a client may leave the request body waiting for its next bytes.
    pub body_timeout_secs: u64,
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
    /// Label sentiment with the model learned from the development
    /// comments (`analysis::ShippedLabel`) on top of the lexicon, and
    /// flag mixed and actionable comments with `analysis::ShippedFlags`
    /// (off: the rules, `analysis::signals`); the compound score stays
    /// the lexicon's.
    pub sentiment_model: bool,
    /// Code with the shipped theme model (trained on the development
    /// comments, `analysis::theme_model`) beside each codebook's phrases,
    /// for the codebook themes it knows: it gives what it finds, and
    /// overrules a phrase where it is sure the theme is absent; off: the
    /// phrases alone.
    pub theme_model: bool,
    /// A deployment's own lexicon additions (`phrase<TAB>valence` lines).
    pub lexicon: Option<PathBuf>,
    /// A deployment's own safeguarding phrase lists: a JSON file of form
    /// id → `{"version", "phrases", "contacts"?}` that replaces those
    /// forms' lists (and numbers, if given) when the collector starts.
    pub safeguarding_phrases: Option<PathBuf>,
    /// The register of places (sectors, clusters, wards, sites) as JSON;
    /// none: `places.json` beside the forms folder, if there is one. It
    /// is loaded when it changed since the last start; admins' edits
    /// (`PUT /api/v1/places`) are kept until it does.
    pub places: Option<PathBuf>,
    /// Folder that `POST /api/v1/backup` writes its copies into; without
    /// it the route answers 503.
    pub backup_dir: Option<PathBuf>,
    /// Seconds between runs of the retention service (erasing free text
    /// older than each form's `retention_days`), which also runs at start;
    /// 0 turns the schedule off.
    pub retention_interval_secs: u64,
    /// Seconds a form's theme model stays in use before analysts' newer
    /// codes train the next one (`POST /api/v1/forms/{form}/models`
    /// retrains at once); 0 retrains within a second of each change.
    pub retrain_after_secs: u64,
    /// The address people and staff reach this collector at
    /// (`https://feedback.example.police.uk`): invitation links, QR codes
    /// and the case links in alerts are built on it. None: the address
    /// the request came to.
    pub public_url: Option<String>,
    /// Let webhooks target loopback, link-local and private addresses
    /// (refused by default: a hook must not reach into the force's own
    /// network). Tests turn it on for their own receiver.
    pub allow_private_webhooks: bool,
    /// The wait after a webhook delivery's first failed attempt, in ms;
    /// each later wait is five times the one before (with ±20 % jitter).
    pub webhook_retry_base_ms: u64,
    /// Attempts before a webhook delivery becomes a dead letter.
    pub webhook_attempts: u32,
    /// Longest a webhook attempt may take, connecting included, in ms.
    pub webhook_timeout_ms: u64,
    /// Case attributes an invitation may carry (never a name, a phone
    /// number or a crime reference).
    pub invitation_attributes: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("./data"),
            forms: PathBuf::from("examples/forms"),
            dist: PathBuf::from("dist"),
            // One address is often many people: phones on a carrier's NAT
            // share a few public addresses, and so does every office on its
            // Wi-Fi. Dozens scanning the same poster at a station entrance
            // within a minute must all get through, so the per-client limit
            // is generous (two a second, sustained) and only stops one
            // client hammering the form; the global cap protects the store.
            rate_limit: 120,
            // A small share of what the store commits on this 2-core
            // machine (12,000-14,800 durable submissions a second at 64
            // connections, README benchmarks), far above a city's real
            // peak: a flood is refused
            // with 429 before it fills the disk or starves analysts' reads.
            global_rate_limit: 500,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::XForwardedFor,
            // Loopback and the private ranges, where a Prometheus server
            // scrapes from.
            metrics_from: [
                "127.0.0.0/8",
                "::1",
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "fc00::/7",
            ]
            .iter()
            .map(|r| r.parse().expect("a range"))
            .collect(),
            // A submission is acknowledged within milliseconds of its body
            // (the group commit takes a few); these only cut off clients
            // that hold a connection open without finishing their request.
            request_timeout_secs: 30,
            body_timeout_secs: 10,
            bot_checks: true,
            max_body_bytes: 64 * 1024,
            allowed_origins: Vec::new(),
            min_cell: 10,
            domain_lexicon: true,
            sentiment_model: true,
            theme_model: true,
            lexicon: None,
            safeguarding_phrases: None,
            places: None,
            backup_dir: None,
            retention_interval_secs: 3600,
            retrain_after_secs: 60,
            public_url: None,
            allow_private_webhooks: false,
            // 5 s, 25 s, 2 min, 10 min, 52 min, 4 h 20, 21 h 42: eight
            // attempts over about 27 hours (Standard Webhooks suggests a
            // schedule over a day or more).
            webhook_retry_base_ms: 5_000,
            webhook_attempts: 8,
            // The specification's advice: 15 to 30 s.
            webhook_timeout_ms: 15_000,
            invitation_attributes: crate::service::invitations::DEFAULT_ATTRIBUTES
                .map(String::from)
                .to_vec(),
        }
    }
}

const KEYS: &[&str] = &[
    "addr",
    "data",
    "forms",
    "dist",
    "rate_limit",
    "global_rate_limit",
    "trusted_proxies",
    "forwarded_header",
    "metrics_from",
    "request_timeout_secs",
    "body_timeout_secs",
    "bot_checks",
    "max_body_bytes",
    "allowed_origins",
    "min_cell",
    "domain_lexicon",
    "sentiment_model",
    "theme_model",
    "lexicon",
    "safeguarding_phrases",
    "places",
    "backup_dir",
    "retention_interval_secs",
    "retrain_after_secs",
    "public_url",
    "allow_private_webhooks",
    "webhook_retry_base_ms",
    "webhook_attempts",
    "webhook_timeout_ms",
    "invitation_attributes",
];

/// Longest interval between retention runs: one day.
const MAX_RETENTION_INTERVAL_SECS: u64 = 24 * 60 * 60;

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
        if self.request_timeout_secs == 0 || self.body_timeout_secs == 0 {
            return Err(ConfigError::Invalid(
                "request_timeout_secs and body_timeout_secs must be at least 1".into(),
            ));
        }
        if self.min_cell == 0 {
            return Err(ConfigError::Invalid("min_cell must be at least 1".into()));
        }
        // A day's erasing late is the most a period in days can need; a
        // longer interval would only overflow the timer.
        if self.retention_interval_secs > MAX_RETENTION_INTERVAL_SECS {
            return Err(ConfigError::Invalid(format!(
                "retention_interval_secs must be at most {MAX_RETENTION_INTERVAL_SECS} (one day), or 0 for off"
            )));
        }
        if !(1..=3_600_000).contains(&self.webhook_retry_base_ms) {
            return Err(ConfigError::Invalid(
                "webhook_retry_base_ms must be from 1 to 3600000 (an hour)".into(),
            ));
        }
        if self.retrain_after_secs > 86_400 {
            return Err(ConfigError::Invalid(
                "retrain_after_secs must be at most 86400 (a day)".into(),
            ));
        }
        if !(1..=20).contains(&self.webhook_attempts) {
            return Err(ConfigError::Invalid(
                "webhook_attempts must be from 1 to 20".into(),
            ));
        }
        if !(100..=120_000).contains(&self.webhook_timeout_ms) {
            return Err(ConfigError::Invalid(
                "webhook_timeout_ms must be from 100 to 120000".into(),
            ));
        }
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) || u.ends_with('/') {
                return Err(ConfigError::Invalid(format!(
                    "public_url '{u}' must look like https://feedback.example (no trailing slash)"
                )));
            }
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

/// Which header trusted proxies name the client in: `x-forwarded-for`
/// (nginx, HAProxy, most load balancers) or `forwarded` (RFC 7239).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For`.
    XForwardedFor,
    /// `Forwarded: for=`.
    Forwarded,
}

impl FromStr for ForwardedHeader {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            other => Err(format!(
                "forwarded_header: '{other}' is not x-forwarded-for or forwarded"
            )),
        }
    }
}

/// A trusted reverse proxy: one address (`10.0.0.5`, `::1`) or a CIDR
/// range (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrustedProxy(IpNet);

impl TrustedProxy {
    /// Whether `ip` is this proxy (or in its range). An IPv4 address
    /// written as IPv6 (`::ffff:10.0.0.5`) is compared as IPv4.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        s.parse::<IpNet>()
            .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
            .map(|net| TrustedProxy(net.trunc()))
            .map_err(|_| format!("'{s}' is not an IP address or a CIDR range (10.0.0.0/8)"))
    }
}

impl TryFrom<String> for TrustedProxy {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<TrustedProxy> for String {
    fn from(p: TrustedProxy) -> String {
        p.0.to_string()
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
    fn example_file_shows_the_defaults() {
        let text = include_str!("../collector.example.toml");
        let (config, _) = Config::from_toml_str(text).unwrap();
        assert_eq!(config, Config::default());
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
        let c = Config {
            body_timeout_secs: 0,
            ..Config::default()
        };
        assert!(c.validate().is_err());
        assert!(Config::from_toml_str("trusted_proxies = [\"10.0.0.0/33\"]").is_err());
        for c in [
            Config {
                webhook_attempts: 0,
                ..Config::default()
            },
            Config {
                webhook_retry_base_ms: 0,
                ..Config::default()
            },
            Config {
                webhook_timeout_ms: 10,
                ..Config::default()
            },
        ] {
            assert!(c.validate().is_err(), "{c:?}");
        }
    }

    #[test]
    fn retention_interval_is_off_or_at_most_a_day() {
        let with = |secs| Config {
            retention_interval_secs: secs,
            ..Config::default()
        };
        assert!(with(0).validate().is_ok());
        assert!(with(86_400).validate().is_ok());
        assert!(with(86_401).validate().is_err());
        assert!(with(u64::MAX).validate().is_err());
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() {
        let (config, _) =
            Config::from_toml_str("trusted_proxies = [\"10.1.2.3\", \"192.168.0.0/16\", \"::1\"]")
                .unwrap();
        let [one, range, v6] = config.trusted_proxies[..] else {
            panic!("three proxies: {:?}", config.trusted_proxies);
        };
        assert!(one.contains("10.1.2.3".parse().unwrap()));
        assert!(!one.contains("10.1.2.4".parse().unwrap()));
        assert!(range.contains("192.168.40.7".parse().unwrap()));
        assert!(range.contains("::ffff:192.168.40.7".parse().unwrap()));
        assert!(!range.contains("192.169.0.1".parse().unwrap()));
        assert!(v6.contains("::1".parse().unwrap()));
        assert_eq!(String::from(range), "192.168.0.0/16");
        // The header they name the client in: X-Forwarded-For unless said.
        assert_eq!(config.forwarded_header, ForwardedHeader::XForwardedFor);
        let (config, unknown) = Config::from_toml_str("forwarded_header = \"forwarded\"").unwrap();
        assert_eq!(config.forwarded_header, ForwardedHeader::Forwarded);
        assert!(unknown.is_empty());
        assert!(Config::from_toml_str("forwarded_header = \"via\"").is_err());
    }
}
