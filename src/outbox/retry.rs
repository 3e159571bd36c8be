//! When to try a failed send again.

use std::time::Duration;

use rand::Rng;

use super::OutboxSettings;

/// Doubling from `retry_base_ms` per attempt, capped at `max_delay_ms`, spread by ±20% so that
/// texts that failed together do not all retry together; never sooner than the gateway's
/// `Retry-After`.
pub fn delay(settings: &OutboxSettings, attempts: u32, retry_after: Option<Duration>) -> Duration {
    let exponent = attempts.saturating_sub(1).min(20);
    let base = settings
        .retry_base_ms
        .saturating_mul(1u64 << exponent)
        .min(settings.max_delay_ms);
    let jitter = rand::rng().random_range(0.8..=1.2);
    let backoff = Duration::from_millis((base as f64 * jitter) as u64);
    backoff.max(retry_after.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OutboxSettings {
        OutboxSettings {
            poll_interval_ms: 1000,
            retry_base_ms: 1000,
            max_delay_ms: 60_000,
            max_attempts: 8,
            send_timeout_ms: 1000,
        }
    }

    #[test]
    fn delays_double_with_jitter_and_stop_growing_at_the_cap() {
        let s = settings();
        for (attempt, base) in [(1, 1000u64), (2, 2000), (3, 4000), (10, 60_000)] {
            let d = delay(&s, attempt, None).as_millis() as u64;
            assert!(
                d >= base * 8 / 10 && d <= base * 12 / 10,
                "attempt {attempt}: {d}ms"
            );
        }
    }

    #[test]
    fn a_retry_after_from_the_gateway_is_honoured() {
        let d = delay(&settings(), 1, Some(Duration::from_secs(30)));
        assert!(d >= Duration::from_secs(30));
    }
}
