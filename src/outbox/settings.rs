//! `[outbox]` in the settings: how often the worker looks for due texts, and how it retries.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxSettings {
    pub poll_interval_ms: u64,
    pub retry_base_ms: u64,
    pub max_delay_ms: u64,
    pub max_attempts: u32,
    pub send_timeout_ms: u64,
}

impl OutboxSettings {
    /// The key and the problem, when a value would leave texts unsent.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        if self.max_attempts == 0 {
            return Err(("outbox.max_attempts", "must be at least 1"));
        }
        Ok(())
    }
}
