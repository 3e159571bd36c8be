//! The service's notion of "now", in milliseconds since the Unix epoch.
//!
//! Every timestamp written to the database comes from here. The service runs on real time
//! ([`Clock::default`]); a test runs on a [`Clock::manual`] one, which moves only when the test
//! says, so an outbox retry comes due or a conversation expires exactly when the test decides and
//! never because the machine was slow.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Clone, Default, Debug)]
pub struct Clock {
    /// Added to real time; for a manual clock, the whole reading.
    offset_ms: Arc<AtomicI64>,
    manual: bool,
}

impl Clock {
    /// A clock that stands at the moment it was made and moves only with [`Clock::advance`].
    pub fn manual() -> Clock {
        Clock {
            offset_ms: Arc::new(AtomicI64::new(real_ms())),
            manual: true,
        }
    }

    pub fn now_ms(&self) -> i64 {
        let base = if self.manual { 0 } else { real_ms() };
        base + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

fn real_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_move_with_it() {
        let clock = Clock::manual();
        let clone = clock.clone();
        let (start, real_start) = (clock.now_ms(), real_ms());
        while real_ms() == real_start {
            std::hint::spin_loop();
        }
        assert_eq!(
            clock.now_ms(),
            start,
            "real time moved on, this clock did not"
        );
        clock.advance(Duration::from_secs(2));
        assert_eq!(clone.now_ms(), start + 2000);
    }

    #[test]
    fn the_service_clock_is_real_time() {
        let before = real_ms();
        let now = Clock::default().now_ms();
        assert!(now >= before && now <= real_ms());
    }
}
