//! `GET /stats`: how the network is doing over the last two weeks, for everyone signed in:
//! requests per day and queue, the median times to a claim and to delivery, and how long open
//! requests have waited. Counts and durations only, so the page tells nothing about anyone.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::chart::{self, Chart, Column};
use super::queue::age;
use super::{Who, page};
use crate::dispatch::SIGN_UP_QUEUE;
use crate::local_time::LocalTime;
use crate::store::stats::{self, AGE_GROUPS, Stats, Timing};
use crate::web::session::SignedIn;
use crate::web::{AppState, WebError};

/// The window, in the group's days, today included.
const DAYS: i64 = 14;

/// How a day is named in tooltips and tables: `Tue 24 Nov`.
const DAY_NAME: &str = "%a %-d %b";

/// A median duration in words; a dash when nothing was timed.
fn took(ms: Option<i64>) -> String {
    match ms {
        None => "–".into(),
        Some(ms) if ms < 60 * 1000 => "under a minute".into(),
        Some(ms) => age(ms).0,
    }
}

fn per_day_chart(stats: &Stats, zone: &LocalTime) -> Chart {
    let day = |ms, format| zone.format(ms, format);
    let columns: Vec<Column> = stats
        .days
        .iter()
        .zip(&stats.per_day)
        .enumerate()
        .map(|(i, (&start, counts))| {
            let date = day(start, "%-d");
            // The month under the first day and under each 1st.
            let month = if i == 0 || date == "1" {
                day(start, "%b")
            } else {
                String::new()
            };
            Column {
                label: date,
                sublabel: month,
                title: day(start, DAY_NAME),
                values: counts.clone(),
            }
        })
        .collect();
    chart::stacked(&columns, &stats.queues)
}

fn backlog_chart(stats: &Stats) -> Chart {
    let columns: Vec<Column> = AGE_GROUPS
        .iter()
        .zip(stats.backlog)
        .map(|((words, _), count)| Column {
            label: words.to_string(),
            sublabel: String::new(),
            title: format!("Waiting {words}"),
            values: vec![count],
        })
        .collect();
    chart::stacked(&columns, &["open requests".to_string()])
}

struct DayRow {
    day: String,
    counts: Vec<u64>,
    total: u64,
}

struct TimingRow {
    /// Empty for the row of all queues.
    queue: String,
    made: usize,
    claimed: usize,
    to_claim: String,
    delivered: usize,
    to_delivery: String,
}

impl From<&Timing> for TimingRow {
    fn from(t: &Timing) -> Self {
        TimingRow {
            queue: t.queue.clone().unwrap_or_default(),
            made: t.made,
            claimed: t.claimed,
            to_claim: took(t.to_claim),
            delivered: t.delivered,
            to_delivery: took(t.to_delivery),
        }
    }
}

#[derive(Template)]
#[template(path = "stats.html")]
struct StatsPage {
    who: Option<Who>,
    /// The time zone the days are counted in.
    zone: String,
    first_day: String,
    last_day: String,
    queues: Vec<String>,
    per_day: Chart,
    days: Vec<DayRow>,
    timings: Vec<TimingRow>,
    backlog: Chart,
    ages: Vec<(&'static str, u64)>,
    open: u64,
}

/// `GET /stats`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    let now = state.clock.now_ms();
    let zone = &state.settings.time_zone;
    let day = |ms, format| zone.format(ms, format);
    let bounds = zone.last_days(now, DAYS);
    let mut conn = state.db.acquire().await?;
    // Volunteers' sign-ups are not requests for help.
    let made = stats::made_since(&mut conn, bounds[0], SIGN_UP_QUEUE).await?;
    let waiting = stats::waiting(&mut conn, SIGN_UP_QUEUE).await?;
    let stats = stats::summarise(&made, &waiting, now, &bounds);
    let days = stats
        .days
        .iter()
        .zip(&stats.per_day)
        .map(|(&start, counts)| DayRow {
            day: day(start, DAY_NAME),
            counts: counts.clone(),
            total: counts.iter().sum(),
        })
        .collect();
    page(&StatsPage {
        who: Some(Who::from(&signed_in)),
        zone: zone.name().to_string(),
        first_day: day(stats.days[0], DAY_NAME),
        last_day: day(stats.days[stats.days.len() - 1], DAY_NAME),
        per_day: per_day_chart(&stats, zone),
        backlog: backlog_chart(&stats),
        days,
        timings: stats.timings.iter().map(TimingRow::from).collect(),
        ages: AGE_GROUPS
            .iter()
            .zip(stats.backlog)
            .map(|((words, _), count)| (*words, count))
            .collect(),
        open: stats.backlog.iter().sum(),
        queues: stats.queues,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stats::{DAY_MS, HOUR_MS, Made};

    #[test]
    fn medians_read_in_minutes_hours_or_days() {
        assert_eq!(took(None), "–");
        assert_eq!(took(Some(20 * 1000)), "under a minute");
        assert_eq!(took(Some(25 * 60 * 1000)), "25 min");
        assert_eq!(took(Some(90 * 60 * 1000)), "1 h 30 min");
    }

    #[test]
    fn days_are_numbered_with_the_month_under_the_first_and_under_each_first() {
        // 2026-11-26 05:00 UTC: the window runs from 13 November to 26 November.
        let now = 1_795_669_200_000;
        let made = [Made {
            queue: "groceries".into(),
            created_at: now - DAY_MS,
            claimed_at: None,
            delivered_at: None,
        }];
        let zone = LocalTime::utc();
        let stats = stats::summarise(&made, &[now - 2 * HOUR_MS], now, &zone.last_days(now, DAYS));
        let chart = per_day_chart(&stats, &zone);
        let labels: Vec<(&str, &str)> = chart
            .bars
            .iter()
            .map(|b| (b.label.as_str(), b.sublabel.as_str()))
            .collect();
        assert_eq!(labels[0], ("13", "Nov"));
        assert_eq!(labels[1], ("14", ""));
        assert_eq!(labels[13], ("26", ""));
        assert_eq!(chart.bars[12].segments[0].title, "Wed 25 Nov, groceries: 1");
        let backlog = backlog_chart(&stats);
        assert_eq!(
            backlog.bars[1].segments[0].title,
            "Waiting 1–4 h, open requests: 1"
        );
    }
}
