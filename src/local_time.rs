//! The group's own time zone (`time_zone` in the settings). Dispatchers on one shift read every
//! time on the pages, and every day in the stats and on a run sheet, as the clock on their wall
//! says it, whatever their browser or the server is set to. The stored times stay milliseconds
//! since the epoch, and the JSON API keeps UTC, so nothing depends on where a copy runs.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

#[derive(Debug, Clone)]
pub struct LocalTime {
    zone: TimeZone,
}

impl LocalTime {
    /// A zone by its IANA name, such as `America/Chicago` or `UTC`.
    pub fn parse(name: &str) -> Result<LocalTime, String> {
        TimeZone::get(name.trim())
            .map(|zone| LocalTime { zone })
            .map_err(|_| format!("`{name}` is not a time zone like America/Chicago"))
    }

    pub fn utc() -> LocalTime {
        LocalTime {
            zone: TimeZone::UTC,
        }
    }

    /// The zone's IANA name, as the settings gave it.
    pub fn name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }

    fn zoned(&self, ms: i64) -> Option<ZonedDateTime> {
        Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned_datetime(self.zone.clone()))
    }

    /// A moment to the minute, with the zone's abbreviation so that a printout or a screenshot
    /// passed to another group cannot be misread: `2026-12-05 09:14 CST`.
    pub fn minute(&self, ms: i64) -> String {
        self.format(ms, "%Y-%m-%d %H:%M %Z")
    }

    /// A moment in a strftime `format`, read in the group's zone.
    pub fn format(&self, ms: i64, format: &str) -> String {
        self.zoned(ms)
            .map(|z| z.strftime(format).to_string())
            .unwrap_or_default()
    }

    /// The day `ms` falls on, in the group's zone.
    pub fn date(&self, ms: i64) -> Option<Date> {
        self.zoned(ms).map(|z| z.date())
    }

    /// The first millisecond of `date` in the group's zone. A day is not always 24 hours long
    /// (daylight saving), so days are found by the calendar, not by dividing.
    pub fn start_of(&self, date: Date) -> i64 {
        date.to_zoned_datetime(self.zone.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or_default()
    }

    /// The starts of the last `days` days, today (the day of `now`) included, oldest first, and
    /// the start of tomorrow after them: `days + 1` boundaries.
    pub fn last_days(&self, now: i64, days: i64) -> Vec<i64> {
        let Some(today) = self.date(now) else {
            return Vec::new();
        };
        (0..=days)
            .map(|d| {
                today
                    .checked_add(jiff::Span::new().days(d - (days - 1)))
                    .map(|date| self.start_of(date))
                    .unwrap_or_default()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600 * 1000;

    #[test]
    fn a_time_reads_as_the_groups_wall_clock_says_it() {
        let chicago = LocalTime::parse("America/Chicago").unwrap();
        // 2026-12-05 15:30 UTC is 09:30 in Chicago, in winter.
        let at = 1_796_484_600_000;
        assert_eq!(LocalTime::utc().minute(at), "2026-12-05 15:30 UTC");
        assert_eq!(chicago.minute(at), "2026-12-05 09:30 CST");
    }

    #[test]
    fn an_unknown_zone_is_named_in_the_error() {
        let err = LocalTime::parse("Mars/Olympus").unwrap_err();
        assert!(err.contains("Mars/Olympus"), "{err}");
    }

    #[test]
    fn days_follow_the_calendar_through_a_change_of_clocks() {
        let new_york = LocalTime::parse("America/New_York").unwrap();
        // Noon on Monday 2026-11-02, the day after the clocks went back on Sunday 1 November.
        let monday_noon = new_york.start_of(jiff::civil::date(2026, 11, 2)) + 12 * HOUR;
        let days = new_york.last_days(monday_noon, 3);
        assert_eq!(days.len(), 4);
        let lengths: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]) / HOUR).collect();
        assert_eq!(lengths, [24, 25, 24], "Sunday had an extra hour");
        assert_eq!(
            new_york.format(days[0], "%a %-d %b %H:%M"),
            "Sat 31 Oct 00:00"
        );
    }
}
