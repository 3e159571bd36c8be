//! Logging set-up. Log lines carry ids and redacted numbers, never message bodies.

use serde::Deserialize;
use tracing_subscriber::EnvFilter;

/// How log lines are written: `text` for a person at a terminal, `json` (one object a line) for a
/// log collector, which then need not parse prose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Logs to stderr, filtered by `RUST_LOG`. By default: info for aidline and warnings for libraries,
/// or only warnings when `quiet` (a terminal conversation, where log lines would get in the way).
pub fn init(quiet: bool, format: LogFormat) {
    let default = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,tower_http=warn,hyper=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // Already set (a test harness that set its own) is fine: the first one stays.
    let _ = match format {
        LogFormat::Text => logs.try_init(),
        LogFormat::Json => logs.json().flatten_event(true).try_init(),
    };
}
