//! Settings: built-in defaults < `aidline.toml` (or `--config FILE`) < `AIDLINE_*` variables.
//!
//! Everything is checked here, before anything starts: an unknown key or a bad value stops start-up
//! with the key named, and secrets never appear in `Debug` output.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::compliance::Compliance;
use crate::dispatch::DispatchSettings;
use crate::gateway::{self, Gateway};
use crate::outbox::QuietHours;
use crate::phone::{Phone, Region};
use crate::server::ServerSettings;

const DEFAULTS: &str = include_str!("defaults.toml");
/// A secret a program sends to be let in must not be guessable.
const MIN_SECRET_CHARS: usize = 16;
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

pub fn invalid(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
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
    behind_proxy: bool,
    server: ServerSettings,
    console_texts: bool,
    reload_secret: Option<Secret>,
    metrics_token: Option<Secret>,
    outbox: OutboxSettings,
    compliance: Compliance,
    dispatch: figment::value::Value,
    lines: Vec<RawLine>,
}

#[derive(Debug, Deserialize)]
struct RawLine {
    number: String,
    gateway: String,
    flow: String,
    opt_out_replies: Option<OptOutReplies>,
    segments_per_second: Option<RawRate>,
    quiet_hours: Option<RawQuietHours>,
    /// The provider's own table, `[lines.PROVIDER]`; anything else here is a mistake.
    #[serde(flatten)]
    rest: BTreeMap<String, figment::value::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawRate {
    PerSecond(f64),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuietHours {
    from: String,
    to: String,
    time_zone: String,
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
    /// Requests arrive through a reverse proxy, which names the client in X-Forwarded-For.
    pub behind_proxy: bool,
    /// Connection limits: how long a client may take, how many may be connected.
    pub server: ServerSettings,
    /// The console line takes texts (from this machine, and from the phone simulator page).
    /// Whoever can post one can text as any number, so it stays shut unless asked for; the demo
    /// opens it itself (see [`Settings::open_console_line`]).
    pub console_texts: bool,
    /// Sent as a bearer token, lets a program reload the flows.
    pub reload_secret: Option<Secret>,
    /// Sent as a bearer token, lets a program elsewhere read `/metrics`.
    pub metrics_token: Option<Secret>,
    pub outbox: OutboxSettings,
    pub compliance: Compliance,
    pub dispatch: DispatchSettings,
    pub lines: Vec<Line>,
    /// Running as the demo: started with no settings file, on the built-in console line. Only
    /// then does start-up make a demo account and volunteer, and show the account's password.
    pub demo: bool,
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
    pub gateway: Arc<dyn Gateway>,
    /// The flow a new conversation on this line starts in.
    pub flow: String,
    pub opt_out_replies: OptOutReplies,
    /// How fast the outbox may send on this line; `None` when we set no limit.
    pub segments_per_second: Option<f64>,
    /// When offers and reminders wait (replies to someone who just texted never do).
    pub quiet_hours: Option<QuietHours>,
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

/// A line's `[lines.PROVIDER]` table, handed to that provider to read.
pub struct ProviderTable {
    /// Where the table is, for error messages: `lines[0].twilio`.
    pub key: String,
    /// The line's own number, for a provider whose webhooks cannot be trusted to name it.
    pub line: Phone,
    provider: &'static str,
    value: Option<figment::value::Value>,
}

impl ProviderTable {
    /// Reads the table into the provider's settings; a missing table is an error naming it.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let Some(value) = &self.value else {
            return Err(invalid(
                &self.key,
                format!(
                    "a {0} line needs a [lines.{0}] table with its credentials",
                    self.provider
                ),
            ));
        };
        value.deserialize().map_err(|e| {
            let mut error = describe(e);
            if let ConfigError::Load(problems) = &mut error {
                for p in problems.iter_mut() {
                    *p = format!("{}.{p}", self.key);
                }
            }
            error
        })
    }

    /// For a provider that takes no settings.
    pub fn expect_none(&self) -> Result<(), ConfigError> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(invalid(&self.key, "this provider takes no settings")),
        }
    }
}

/// A secret setting: the value itself, or `{ env = "NAME" }` to keep it out of the file and read
/// it from the environment. Never shown by `Debug`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[secret]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Value(String),
            FromEnv { env: String },
        }
        match Raw::deserialize(d)? {
            Raw::Value(v) => Ok(Secret(v.into())),
            Raw::FromEnv { env } => std::env::var(&env).map(|v| Secret(v.into())).map_err(|_| {
                serde::de::Error::custom(format!("the environment variable {env} is not set"))
            }),
        }
    }
}

/// Reads a provider's API address setting, or its default.
pub fn url_setting(key: &str, value: Option<&str>, default: &str) -> Result<Url, ConfigError> {
    Url::parse(value.unwrap_or(default).trim_end_matches('/'))
        .map_err(|e| invalid(key, format!("not a URL ({e})")))
}

impl Settings {
    /// Loads the layers. `file` is `--config`; without it `aidline.toml` is read when present.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let here = Path::new("aidline.toml");
        let file = match file {
            Some(path) if !path.exists() => {
                return Err(invalid(
                    "--config",
                    format!("{} does not exist", path.display()),
                ));
            }
            Some(path) => Some(path),
            // Only this directory's: figment's `Toml::file` would search every parent directory
            // too, and a command run in a subfolder would act on another service's database.
            // Optional: the demo runs with no file at all.
            None => here.is_file().then_some(here),
        };
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed("AIDLINE_").only(ENV_KEYS));
        let mut settings = Self::from_figment(figment)?;
        settings.demo = file.is_none() && settings.console_line().is_some();
        Ok(settings)
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
        self.lines.iter().find(|l| l.gateway.name() == "console")
    }

    /// The console line, when it takes texts: in the demo, or with `console_texts = true`.
    pub fn open_console_line(&self) -> Option<&Line> {
        (self.demo || self.console_texts)
            .then(|| self.console_line())
            .flatten()
    }

    /// The lines whose gateway is the provider called `name`.
    pub fn lines_using<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Line> + 'a {
        self.lines.iter().filter(move |l| l.gateway.name() == name)
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
        self.server
            .check()
            .map_err(|(key, problem)| invalid(key, problem))?;
        if self.outbox.max_attempts == 0 {
            return Err(invalid("outbox.max_attempts", "must be at least 1"));
        }
        if self.lines.is_empty() {
            return Err(invalid("lines", "at least one line is needed"));
        }
        for (key, secret) in [
            ("reload_secret", &self.reload_secret),
            ("metrics_token", &self.metrics_token),
        ] {
            if secret
                .as_ref()
                .is_some_and(|s| s.expose().chars().count() < MIN_SECRET_CHARS)
            {
                return Err(invalid(
                    key,
                    format!("use at least {MIN_SECRET_CHARS} characters"),
                ));
            }
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
        if self.console_texts && !lines.iter().any(|l| l.gateway.name() == "console") {
            return Err(invalid(
                "console_texts",
                "there is no console line (gateway = \"console\") to take them",
            ));
        }
        Ok(Settings {
            bind: self.bind,
            database_url: self.database_url,
            public_url,
            flows_dir: self.flows_dir,
            default_region,
            max_body_bytes: self.max_body_bytes,
            behind_proxy: self.behind_proxy,
            server: self.server,
            console_texts: self.console_texts,
            reload_secret: self.reload_secret,
            metrics_token: self.metrics_token,
            outbox: self.outbox,
            compliance: self
                .compliance
                .check()
                .map_err(|(key, problem)| invalid(key, problem))?,
            dispatch: DispatchSettings::from_raw(&self.dispatch, default_region)
                .map_err(|(key, problem)| invalid(key, problem))?,
            lines,
            demo: false,
        })
    }
}

impl RawLine {
    fn check(mut self, i: usize, region: Region) -> Result<Line, ConfigError> {
        let key = |k: &str| format!("lines[{i}].{k}");
        let number = Phone::parse(&self.number, region)
            .map_err(|e| invalid(key("number"), format!("`{}` {e}", self.number)))?;
        let Some(provider) = gateway::provider(&self.gateway) else {
            let known: Vec<&str> = gateway::PROVIDERS.iter().map(|p| p.name).collect();
            return Err(invalid(
                key("gateway"),
                format!(
                    "unknown gateway `{}` (known: {})",
                    self.gateway,
                    known.join(", ")
                ),
            ));
        };
        let table = self.rest.remove(provider.name);
        if let Some(other) = self.rest.keys().next() {
            let problem = if gateway::provider(other).is_some() {
                format!("only a {other} line takes these")
            } else {
                "is not a setting aidline knows".to_string()
            };
            return Err(invalid(key(other), problem));
        }
        let gateway = (provider.configure)(ProviderTable {
            key: key(provider.name),
            line: number.clone(),
            provider: provider.name,
            value: table,
        })?;
        let opt_out_replies = self
            .opt_out_replies
            .unwrap_or_else(|| gateway.default_opt_out_replies());
        let segments_per_second = match self.segments_per_second {
            None => gateway.default_segments_per_second(),
            Some(RawRate::Word(w)) if w == "unlimited" => None,
            Some(RawRate::PerSecond(n)) if n > 0.0 && n.is_finite() => Some(n),
            Some(_) => {
                return Err(invalid(
                    key("segments_per_second"),
                    "must be a number above 0, or \"unlimited\"",
                ));
            }
        };
        let quiet_hours = self
            .quiet_hours
            .map(|q| {
                QuietHours::parse(&q.from, &q.to, &q.time_zone)
                    .map_err(|problem| invalid(key("quiet_hours"), problem))
            })
            .transpose()?;
        Ok(Line {
            number,
            gateway,
            flow: self.flow,
            opt_out_replies,
            segments_per_second,
            quiet_hours,
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
    fn what_lets_a_program_in_is_never_open_by_accident() {
        let err = Settings::from_toml("metrics_token = \"short\"").unwrap_err();
        assert_eq!(err.to_string(), "metrics_token: use at least 16 characters");
        let s = Settings::from_toml("").unwrap();
        assert!(
            s.open_console_line().is_none(),
            "a console line, shut outside the demo"
        );
        let open = Settings::from_toml("console_texts = true").unwrap();
        assert!(open.open_console_line().is_some());
        let err = Settings::from_toml(&format!(
            "console_texts = true\n[[lines]]\nnumber = \"+15550100100\"\ngateway = \"twilio\"\n\
             flow = \"intake\"\n{TWILIO}"
        ))
        .unwrap_err();
        assert!(err.to_string().starts_with("console_texts:"), "{err}");
    }

    #[test]
    fn a_token_named_by_an_unset_variable_is_reported() {
        let err = Settings::from_toml(
            "[[lines]]\nnumber = \"+15550100100\"\ngateway = \"twilio\"\nflow = \"intake\"\n\
             [lines.twilio]\naccount_sid = \"AC1\"\nauth_token = { env = \"AIDLINE_NO_SUCH_VARIABLE\" }",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("AIDLINE_NO_SUCH_VARIABLE is not set"), "{err}");
    }

    fn line(extra: &str) -> Result<Settings, ConfigError> {
        Settings::from_toml(&format!(
            "[[lines]]\nnumber = \"+15550100100\"\ngateway = \"twilio\"\nflow = \"intake\"\n{extra}"
        ))
    }

    const TWILIO: &str = "[lines.twilio]\naccount_sid = \"AC1\"\nauth_token = \"t\"";

    #[test]
    fn a_line_without_its_providers_table_is_told_which_table_it_needs() {
        let err = line("").unwrap_err().to_string();
        assert!(err.contains("needs a [lines.twilio] table"), "{err}");
    }

    #[test]
    fn another_providers_table_on_a_line_is_refused() {
        let err = line(&format!("{TWILIO}\n[lines.telnyx]\napi_key = \"k\""))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "lines[0].telnyx: only a telnyx line takes these");
    }

    #[test]
    fn a_lines_pace_defaults_to_its_provider_and_can_be_lifted_or_set() {
        let paced = |extra: &str| {
            line(&format!("{extra}\n{TWILIO}")).map(|s| s.lines[0].segments_per_second)
        };
        assert_eq!(paced("").unwrap(), Some(1.0));
        assert_eq!(paced("segments_per_second = 100").unwrap(), Some(100.0));
        assert_eq!(paced("segments_per_second = \"unlimited\"").unwrap(), None);
        let err = paced("segments_per_second = 0").unwrap_err().to_string();
        assert!(err.starts_with("lines[0].segments_per_second:"), "{err}");
    }

    #[test]
    fn quiet_hours_mistakes_name_the_key() {
        let err = line(&format!(
            "quiet_hours = {{ from = \"21:00\", to = \"8am\", time_zone = \"UTC\" }}\n{TWILIO}"
        ))
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("lines[0].quiet_hours:"), "{err}");
        assert!(err.contains("8am"), "{err}");
    }
}
