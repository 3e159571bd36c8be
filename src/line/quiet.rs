//! Quiet hours: the part of the day a line sends nothing it started itself (offers, reminders).
//! A reply to someone who just texted is never held.

use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;

#[derive(Debug, Clone)]
pub struct QuietHours {
    from: Time,
    to: Time,
    time_zone: TimeZone,
}

impl QuietHours {
    /// `from` and `to` are local times such as "21:00" and "08:00" in an IANA time zone such as
    /// "America/Chicago"; a window may run past midnight.
    pub fn parse(from: &str, to: &str, time_zone: &str) -> Result<QuietHours, String> {
        let time = |s: &str| {
            s.parse::<Time>()
                .map_err(|_| format!("`{s}` is not a time of day like 21:00"))
        };
        let quiet = QuietHours {
            from: time(from)?,
            to: time(to)?,
            time_zone: TimeZone::get(time_zone)
                .map_err(|_| format!("`{time_zone}` is not a time zone like America/Chicago"))?,
        };
        if quiet.from == quiet.to {
            return Err("`from` and `to` are the same time".into());
        }
        Ok(quiet)
    }

    /// Whether `now_ms` (milliseconds since the Unix epoch) falls inside the window.
    pub fn is_quiet(&self, now_ms: i64) -> bool {
        let Ok(now) = Timestamp::from_millisecond(now_ms) else {
            return false;
        };
        let local = self.time_zone.to_datetime(now).time();
        if self.from < self.to {
            self.from <= local && local < self.to
        } else {
            local >= self.from || local < self.to
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> i64 {
        rfc3339.parse::<Timestamp>().unwrap().as_millisecond()
    }

    #[test]
    fn a_window_past_midnight_holds_the_night_in_the_lines_own_time_zone() {
        let quiet = QuietHours::parse("21:00", "08:00", "America/Chicago").unwrap();
        // 02:00 UTC in July is 21:00 in Chicago (CDT, UTC-5).
        assert!(quiet.is_quiet(at("2026-07-02T02:00:00Z")));
        assert!(quiet.is_quiet(at("2026-07-02T12:59:00Z")));
        assert!(!quiet.is_quiet(at("2026-07-02T13:00:00Z")));
        assert!(!quiet.is_quiet(at("2026-07-02T01:59:00Z")));
        // In January Chicago is UTC-6, so 02:30 UTC is 20:30 there.
        assert!(!quiet.is_quiet(at("2026-01-15T02:30:00Z")));
    }

    #[test]
    fn a_window_within_one_day_works_too() {
        let quiet = QuietHours::parse("12:00", "13:30", "UTC").unwrap();
        assert!(quiet.is_quiet(at("2026-03-01T12:00:00Z")));
        assert!(!quiet.is_quiet(at("2026-03-01T13:30:00Z")));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(
            QuietHours::parse("9pm", "08:00", "UTC")
                .unwrap_err()
                .contains("9pm")
        );
        assert!(
            QuietHours::parse("21:00", "08:00", "Mars/Olympus")
                .unwrap_err()
                .contains("Mars")
        );
        assert!(QuietHours::parse("08:00", "08:00", "UTC").is_err());
    }
}
