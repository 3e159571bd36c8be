//! Settings: built-in defaults < `aidline.toml` (or `--config FILE`) < `AIDLINE_*` variables.
//!
//! Everything is checked here, before anything starts: an unknown key or a bad value stops start-up
//! with the key named, and secrets never appear in `Debug` output. Each part's own settings are
//! types of the module that uses them; this module reads the layers into them and checks how they
//! fit together. Each line is built, gateway and all, by [`LineSettings::build`].

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use reqwest::Url;
use serde::Deserialize;

use crate::compliance::Compliance;
use crate::dispatch::DispatchSettings;
use crate::line::{Line, LineSettings};
use crate::local_time::LocalTime;
use crate::outbox::OutboxSettings;
use crate::phone::{Phone, Region};
use crate::safety::SafetySettings;
use crate::secret::Secret;
use crate::server::ServerSettings;
use crate::setting_error::{SettingError, invalid};
use crate::store::purge::Retention;
use crate::telemetry::LogFormat;
use crate::voice::VoiceSettings;
use crate::wind_down::WindDown;

const DEFAULTS: &str = include_str!("defaults.toml");
/// A secret a program sends to be let in must not be guessable.
const MIN_SECRET_CHARS: usize = 16;
const ENV_KEYS: &[&str] = &[
    "bind",
    "database_url",
    "database_listen_url",
    "public_url",
    "flows_dir",
    "default_region",
    "time_zone",
    "log_format",
];

/// The settings as written, before they are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: SocketAddr,
    database_url: String,
    database_listen_url: Option<String>,
    public_url: String,
    flows_dir: PathBuf,
    default_region: String,
    time_zone: String,
    log_format: LogFormat,
    max_body_bytes: usize,
    behind_proxy: bool,
    server: ServerSettings,
    console_texts: bool,
    reload_secret: Option<Secret>,
    metrics_token: Option<Secret>,
    outbox: OutboxSettings,
    compliance: Compliance,
    dispatch: figment::value::Value,
    voice: VoiceSettings,
    retention: Retention,
    safety: SafetySettings,
    #[serde(default)]
    wind_down: WindDown,
    lines: Vec<LineSettings>,
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: String,
    /// A direct connection to PostgreSQL for the one that listens for changes, when
    /// `database_url` goes through a pool (PgBouncer) that would drop a LISTEN.
    pub database_listen_url: Option<String>,
    pub public_url: Url,
    pub flows_dir: PathBuf,
    pub default_region: Region,
    /// The group's own time zone: every time and day on the pages is read in it.
    pub time_zone: LocalTime,
    /// How log lines are written: for a person reading a terminal, or for a log collector.
    pub log_format: LogFormat,
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
    pub voice: VoiceSettings,
    /// How long each kind of personal data is kept.
    pub retention: Retention,
    /// The per-number limit, the notice past it, and the key blocked numbers are hashed under.
    pub safety: SafetySettings,
    /// Set when the group stops taking requests.
    pub wind_down: WindDown,
    pub lines: Vec<Line>,
    /// Running as the demo: started with no settings file, on the built-in console line. Only
    /// then does start-up make a demo account and volunteer, and show the account's password.
    pub demo: bool,
}

impl Settings {
    /// Loads the layers. `file` is `--config`; without it `aidline.toml` is read when present.
    pub fn load(file: Option<&Path>) -> Result<Settings, SettingError> {
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
    pub fn from_toml(text: &str) -> Result<Settings, SettingError> {
        Self::from_figment(Figment::from(Toml::string(DEFAULTS)).merge(Toml::string(text)))
    }

    fn from_figment(figment: Figment) -> Result<Settings, SettingError> {
        let raw: RawSettings = figment.extract()?;
        raw.check()
    }

    /// The demo's address is wherever it could listen (`AIDLINE_BIND=127.0.0.1:0` picks any free
    /// port). Its `public_url` names this machine, and the addresses it hands out must reach the
    /// copy that is running, so it takes the port actually bound. Outside the demo the
    /// `public_url` is what providers call, often a proxy's, and is left as written.
    pub fn follow_demo_address(&mut self, bound: SocketAddr) {
        let host = self.public_url.host_str().unwrap_or_default();
        let local = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if self.demo && local {
            let _ = self.public_url.set_port(Some(bound.port()));
        }
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
    fn check(self) -> Result<Settings, SettingError> {
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
        let listen_url = self.database_listen_url.as_deref();
        if listen_url.is_some_and(|u| !(u.starts_with("postgres:") || u.starts_with("postgresql:")))
        {
            return Err(invalid(
                "database_listen_url",
                "must start with postgres:// (it is only used with PostgreSQL)",
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(invalid("max_body_bytes", "must be at least 1024"));
        }
        self.server
            .check()
            .map_err(|(key, problem)| invalid(key, problem))?;
        self.outbox
            .check()
            .map_err(|(key, problem)| invalid(key, problem))?;
        self.retention
            .check()
            .map_err(|(key, problem)| invalid(key, problem))?;
        self.wind_down
            .check()
            .map_err(|(key, problem)| invalid(key, problem))?;
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
        self.safety
            .check(MIN_SECRET_CHARS)
            .map_err(|(key, problem)| invalid(key, problem))?;
        let mut seen = HashSet::new();
        let mut lines = Vec::with_capacity(self.lines.len());
        for (i, raw) in self.lines.into_iter().enumerate() {
            let line = raw.build(i, default_region)?;
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
            database_listen_url: self.database_listen_url,
            public_url,
            flows_dir: self.flows_dir,
            default_region,
            time_zone: LocalTime::parse(&self.time_zone).map_err(|e| invalid("time_zone", e))?,
            log_format: self.log_format,
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
            voice: self.voice,
            retention: self.retention,
            safety: self.safety,
            wind_down: self.wind_down,
            lines,
            demo: false,
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
    fn the_groups_time_zone_is_checked_at_start_up() {
        let s = Settings::from_toml("time_zone = \"America/Chicago\"").unwrap();
        assert_eq!(s.time_zone.format(0, "%Z"), "CST");
        let err = Settings::from_toml("time_zone = \"Central\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("time_zone") && err.contains("Central"),
            "{err}"
        );
    }

    #[test]
    fn the_demos_public_url_follows_the_port_it_bound_and_a_real_one_stays() {
        let mut demo = Settings::from_toml("").unwrap();
        demo.demo = true;
        demo.follow_demo_address("127.0.0.1:40123".parse().unwrap());
        assert_eq!(demo.public_url.as_str(), "http://127.0.0.1:40123/");
        let mut real = Settings::from_toml("public_url = \"https://aid.example.org\"").unwrap();
        real.demo = true;
        real.follow_demo_address("127.0.0.1:40123".parse().unwrap());
        assert_eq!(real.public_url.as_str(), "https://aid.example.org/");
    }

    #[test]
    fn an_unknown_key_stops_start_up_and_is_named() {
        let err = Settings::from_toml("bnid = \"0.0.0.0:1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("bnid"), "{err}");
    }

    #[test]
    fn an_offer_that_would_tell_volunteers_the_neighbours_notes_before_a_claim_is_refused() {
        let err =
            Settings::from_toml("[dispatch.texts.es]\noffer = \"{need}: {notes}. SI {code}\"")
                .unwrap_err()
                .to_string();
        assert!(err.starts_with("dispatch.texts.es.offer:"), "{err}");
        assert!(
            err.contains("`{notes}` would reach volunteers before"),
            "{err}"
        );
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
    fn the_limits_and_the_block_key_are_checked_at_start_up() {
        let s = Settings::from_toml("").unwrap();
        assert_eq!((s.safety.texts.most, s.safety.texts.minutes), (30, 10));
        assert!(s.safety.block_key.is_none());
        let err = Settings::from_toml("[safety]\nblock_key = \"short\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "safety.block_key: use at least 16 characters"
        );
        let err = Settings::from_toml("[safety]\ncalls = { most = 0, minutes = 60 }").unwrap_err();
        assert!(err.to_string().starts_with("safety.calls:"), "{err}");
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

    fn line(extra: &str) -> Result<Settings, SettingError> {
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
