//! Settings: built-in defaults < `aidline.toml` (or `--config FILE`) < `AIDLINE_*` variables.
//!
//! Everything is checked here, before anything starts: an unknown key or a bad value stops start-up
//! with the key named, and secrets never appear in `Debug` output.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use reqwest::Url;
use secrecy::SecretString;
use serde::Deserialize;

use crate::phone::{Phone, Region};

const DEFAULTS: &str = include_str!("defaults.toml");
const ENV_KEYS: &[&str] = &[
    "bind",
    "database_url",
    "public_url",
    "flows_dir",
    "default_region",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Every problem the settings files and variables had, one per line.
    #[error("{}", .0.join("\n"))]
    Load(Vec<String>),
    #[error("{key}: {problem}")]
    Invalid { key: String, problem: String },
}

/// Turns figment's errors into one plain line each: the key, where it was set, what is wrong.
fn describe(error: figment::Error) -> ConfigError {
    ConfigError::Load(
        error
            .into_iter()
            .map(|e| {
                let key = e.path.join(".");
                let problem = match &e.kind {
                    figment::error::Kind::UnknownField(..) => {
                        "is not a setting aidline knows".to_string()
                    }
                    other => other.to_string(),
                };
                let source = match e.metadata.as_ref() {
                    Some(m) => match &m.source {
                        Some(file) => format!(" (in {file})"),
                        None => format!(" (from the {})", m.name),
                    },
                    None => String::new(),
                };
                format!("{key}{source}: {problem}")
            })
            .collect(),
    )
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

/// The settings as written, before they are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: SocketAddr,
    database_url: String,
    public_url: String,
    flows_dir: PathBuf,
    default_region: String,
    max_body_bytes: usize,
    outbox: OutboxSettings,
    lines: Vec<RawLine>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    number: String,
    gateway: String,
    flow: String,
    opt_out_replies: Option<OptOutReplies>,
    twilio: Option<RawTwilio>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTwilio {
    account_sid: String,
    auth_token: Option<SecretString>,
    /// The name of an environment variable holding the auth token, to keep it out of the file.
    auth_token_env: Option<String>,
    api_base: Option<String>,
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    pub public_url: Url,
    pub flows_dir: PathBuf,
    pub default_region: Region,
    pub max_body_bytes: usize,
    pub outbox: OutboxSettings,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub poll_interval_ms: u64,
    pub retry_base_ms: u64,
    pub max_delay_ms: u64,
    pub max_attempts: u32,
    pub send_timeout_ms: u64,
}

/// One phone number the group is reached on.
#[derive(Debug, Clone)]
pub struct Line {
    pub number: Phone,
    pub gateway: LineGateway,
    /// The flow a new conversation on this line starts in.
    pub flow: String,
    pub opt_out_replies: OptOutReplies,
}

/// Who answers STOP, START and HELP with a confirmation text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptOutReplies {
    /// The provider already replies on its own (Twilio does by default); we record and stay quiet.
    Gateway,
    /// We send the confirmation.
    Ours,
}

#[derive(Debug, Clone)]
pub enum LineGateway {
    Console,
    Twilio(TwilioCredentials),
}

#[derive(Debug, Clone)]
pub struct TwilioCredentials {
    pub account_sid: String,
    pub auth_token: SecretString,
    pub api_base: Url,
}

impl LineGateway {
    pub fn name(&self) -> &'static str {
        match self {
            LineGateway::Console => "console",
            LineGateway::Twilio(_) => "twilio",
        }
    }
}

impl Settings {
    /// Loads the layers. `file` is `--config`; without it `aidline.toml` is read when present.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        match file {
            Some(path) if !path.exists() => {
                return Err(invalid(
                    "--config",
                    format!("{} does not exist", path.display()),
                ));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            // Optional: the demo runs with no file at all.
            None => figment = figment.merge(Toml::file("aidline.toml")),
        }
        figment = figment.merge(Env::prefixed("AIDLINE_").only(ENV_KEYS));
        Self::from_figment(figment)
    }

    /// Loads settings from TOML text layered over the defaults (tests and tools use this).
    pub fn from_toml(text: &str) -> Result<Settings, ConfigError> {
        Self::from_figment(Figment::from(Toml::string(DEFAULTS)).merge(Toml::string(text)))
    }

    fn from_figment(figment: Figment) -> Result<Settings, ConfigError> {
        let raw: RawSettings = figment.extract().map_err(describe)?;
        raw.check()
    }

    pub fn line_by_number(&self, number: &Phone) -> Option<&Line> {
        self.lines.iter().find(|l| &l.number == number)
    }

    pub fn console_line(&self) -> Option<&Line> {
        self.lines
            .iter()
            .find(|l| matches!(l.gateway, LineGateway::Console))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

impl RawSettings {
    fn check(self) -> Result<Settings, ConfigError> {
        let default_region: Region = self
            .default_region
            .parse()
            .map_err(|e| invalid("default_region", format!("{e}")))?;
        let public_url = Url::parse(self.public_url.trim_end_matches('/'))
            .map_err(|e| invalid("public_url", format!("not a URL ({e})")))?;
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(invalid("public_url", "must start with http:// or https://"));
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres:")
            || self.database_url.starts_with("postgresql:"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite:// or postgres://",
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(invalid("max_body_bytes", "must be at least 1024"));
        }
        if self.outbox.max_attempts == 0 {
            return Err(invalid("outbox.max_attempts", "must be at least 1"));
        }
        if self.lines.is_empty() {
            return Err(invalid("lines", "at least one line is needed"));
        }
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, raw) in self.lines.into_iter().enumerate() {
            let line = raw.check(i, default_region)?;
            if !seen.insert(line.number.clone()) {
                return Err(invalid(format!("lines[{i}].number"), "listed twice"));
            }
            lines.push(line);
        }
        Ok(Settings {
            bind: self.bind,
            database_url: self.database_url,
            public_url,
            flows_dir: self.flows_dir,
            default_region,
            max_body_bytes: self.max_body_bytes,
            outbox: self.outbox,
            lines,
        })
    }
}

impl RawLine {
    fn check(self, i: usize, region: Region) -> Result<Line, ConfigError> {
        let key = |k: &str| format!("lines[{i}].{k}");
        let number = Phone::parse(&self.number, region)
            .map_err(|e| invalid(key("number"), format!("`{}` {e}", self.number)))?;
        let gateway = match (self.gateway.as_str(), self.twilio) {
            ("console", None) => LineGateway::Console,
            ("twilio", Some(t)) => LineGateway::Twilio(t.check(&key("twilio"))?),
            ("twilio", None) => {
                return Err(invalid(
                    key("twilio"),
                    "a twilio line needs [lines.twilio] with account_sid and auth_token_env",
                ));
            }
            ("console", Some(_)) => {
                return Err(invalid(key("twilio"), "only a twilio line takes these"));
            }
            (other, _) => {
                return Err(invalid(
                    key("gateway"),
                    format!("unknown gateway `{other}` (known: console, twilio)"),
                ));
            }
        };
        let opt_out_replies = self.opt_out_replies.unwrap_or(match gateway {
            LineGateway::Twilio(_) => OptOutReplies::Gateway,
            LineGateway::Console => OptOutReplies::Ours,
        });
        Ok(Line {
            number,
            gateway,
            flow: self.flow,
            opt_out_replies,
        })
    }
}

impl RawTwilio {
    fn check(self, key: &str) -> Result<TwilioCredentials, ConfigError> {
        let auth_token = match (self.auth_token, self.auth_token_env) {
            (Some(token), None) => token,
            (None, Some(var)) => std::env::var(&var).map(SecretString::from).map_err(|_| {
                invalid(
                    format!("{key}.auth_token_env"),
                    format!("the environment variable {var} is not set"),
                )
            })?,
            _ => {
                return Err(invalid(
                    key,
                    "give exactly one of auth_token or auth_token_env",
                ));
            }
        };
        let base = self
            .api_base
            .unwrap_or_else(|| "https://api.twilio.com".to_string());
        let api_base = Url::parse(base.trim_end_matches('/'))
            .map_err(|e| invalid(format!("{key}.api_base"), format!("not a URL ({e})")))?;
        Ok(TwilioCredentials {
            account_sid: self.account_sid,
            auth_token,
            api_base,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_no_file_the_demo_runs_on_sqlite_with_a_console_line() {
        let s = Settings::from_toml("").unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert!(s.is_sqlite());
        assert!(s.console_line().is_some());
    }

    #[test]
    fn an_unknown_key_stops_start_up_and_is_named() {
        let err = Settings::from_toml("bnid = \"0.0.0.0:1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
    }

    #[test]
    fn a_bad_value_is_named_with_its_key() {
        let err = Settings::from_toml("default_region = \"Atlantis\"")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("default_region:"), "{err}");
        let err = Settings::from_toml(
            "[[lines]]\nnumber = \"+15550100100\"\ngateway = \"carrier-pigeon\"\nflow = \"intake\"",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("lines[0].gateway:"), "{err}");
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Settings::from_toml(
            "[[lines]]\nnumber = \"+15550100100\"\ngateway = \"twilio\"\nflow = \"intake\"\n\
             [lines.twilio]\naccount_sid = \"AC1\"\nauth_token = \"hunter2-secret\"",
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("hunter2-secret"));
    }

    #[test]
    fn a_token_named_by_an_unset_variable_is_reported() {
        let err = Settings::from_toml(
            "[[lines]]\nnumber = \"+15550100100\"\ngateway = \"twilio\"\nflow = \"intake\"\n\
             [lines.twilio]\naccount_sid = \"AC1\"\nauth_token_env = \"AIDLINE_NO_SUCH_VARIABLE\"",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("AIDLINE_NO_SUCH_VARIABLE is not set"), "{err}");
    }
}
