//! Logging set-up. Log lines carry ids and redacted numbers, never message bodies.

use tracing_subscriber::EnvFilter;

/// Logs to stderr, filtered by `RUST_LOG`. By default: info for aidline and warnings for libraries,
/// or only warnings when `quiet` (a terminal conversation, where log lines would get in the way).
pub fn init(quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        "info,sqlx=warn,tower_http=warn,hyper=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
