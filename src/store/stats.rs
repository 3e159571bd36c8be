//! How the network is doing, in counts and durations only: requests made per day and queue, how
//! long they waited to be claimed and delivered, and how long the open ones have waited. Nothing
//! here reads a name, a number, a code or a text.
//!
//! The rows are few (a group makes dozens of requests a day), so they are read plainly and
//! summed up here: medians need every duration anyway, and the same queries then run on both
//! databases.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{Conn, StoreError};
use crate::lifecycle::{EventKind, RequestStatus};

pub const HOUR_MS: i64 = 60 * 60 * 1000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The backlog's age groups: each holds open requests younger than its bound.
pub const AGE_GROUPS: [(&str, i64); 5] = [
    ("under 1 h", HOUR_MS),
    ("1–4 h", 4 * HOUR_MS),
    ("4–24 h", DAY_MS),
    ("1–3 days", 3 * DAY_MS),
    ("over 3 days", i64::MAX),
];

/// A request made in the window: when, on which queue, and when it was first claimed and first
/// delivered (a request dropped and claimed again counts from its first claim).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub queue: String,
    pub created_at: i64,
    pub claimed_at: Option<i64>,
    pub delivered_at: Option<i64>,
}

/// Every request made since `since` outside the `except` queue, with its first claim and
/// delivery.
pub async fn made_since(
    conn: &mut Conn,
    since: i64,
    except: &str,
) -> Result<Vec<Made>, StoreError> {
    let requests: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, queue, created_at FROM requests WHERE created_at >= $1 AND queue <> $2",
    )
    .bind(since)
    .bind(except)
    .fetch_all(&mut *conn)
    .await?;
    // A request's events come after it was made, so these are all the window's requests need.
    // A dispatcher's assignment puts it in a volunteer's hands as a claim by text does.
    let delivered = EventKind::Status(RequestStatus::Delivered);
    let events: Vec<(i64, EventKind, i64)> = sqlx::query_as(
        "SELECT request_id, kind, at FROM request_events \
         WHERE at >= $1 AND kind IN ($2, $3, $4)",
    )
    .bind(since)
    .bind(EventKind::Status(RequestStatus::Claimed))
    .bind(EventKind::Assigned)
    .bind(delivered)
    .fetch_all(&mut *conn)
    .await?;
    let mut firsts: HashMap<(i64, bool), i64> = HashMap::new();
    for (request_id, kind, at) in events {
        let first = firsts.entry((request_id, kind != delivered)).or_insert(at);
        *first = (*first).min(at);
    }
    Ok(requests
        .into_iter()
        .map(|(id, queue, created_at)| Made {
            queue,
            created_at,
            claimed_at: firsts.get(&(id, true)).copied(),
            delivered_at: firsts.get(&(id, false)).copied(),
        })
        .collect())
}

/// When each request still waiting to be delivered was made, outside the `except` queue.
pub async fn waiting(conn: &mut Conn, except: &str) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT created_at FROM requests \
         WHERE closed_at IS NULL AND status <> $1 AND queue <> $2",
    )
    .bind(RequestStatus::Delivered)
    .bind(except)
    .fetch_all(conn)
    .await?)
}

/// The middle value, or the mean of the two middle ones; none of nothing.
pub fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[mid]),
        _ => Some(values[mid - 1] + (values[mid] - values[mid - 1]) / 2),
    }
}

/// How long the requests of one queue (or of all, when `queue` is none) took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    pub queue: Option<String>,
    pub made: usize,
    pub claimed: usize,
    pub to_claim: Option<i64>,
    pub delivered: usize,
    pub to_delivery: Option<i64>,
}

fn timing<'a>(queue: Option<String>, made: impl Iterator<Item = &'a Made> + Clone) -> Timing {
    let after = |at: fn(&Made) -> Option<i64>| -> Vec<i64> {
        made.clone()
            .filter_map(|m| at(m).map(|t| t - m.created_at))
            .collect()
    };
    let to_claim = after(|m| m.claimed_at);
    let to_delivery = after(|m| m.delivered_at);
    Timing {
        queue,
        made: made.count(),
        claimed: to_claim.len(),
        to_claim: median(to_claim),
        delivered: to_delivery.len(),
        to_delivery: median(to_delivery),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// The window's days in the group's time zone, oldest first, as the millisecond each begins.
    pub days: Vec<i64>,
    /// Queues with a request in the window, in name order.
    pub queues: Vec<String>,
    /// Per day, the requests made on each of `queues`.
    pub per_day: Vec<Vec<u64>>,
    /// Per queue, then all queues together.
    pub timings: Vec<Timing>,
    /// Open requests per [`AGE_GROUPS`] entry.
    pub backlog: [u64; AGE_GROUPS.len()],
}

/// Sums up `made` (requests made since the window began) and `waiting` (when each open request
/// was made). `bounds` are the window's days: where each begins, then where the last one ends
/// (see [`LocalTime::last_days`](crate::local_time::LocalTime::last_days)).
pub fn summarise(made: &[Made], waiting: &[i64], now: i64, bounds: &[i64]) -> Stats {
    let days = bounds.len().saturating_sub(1);
    // Days are told apart by their bounds: around a change of clocks one is 23 or 25 hours long.
    let day_of = |at: i64| {
        let after = bounds.partition_point(|&b| b <= at);
        (1..=days).contains(&after).then(|| after - 1)
    };
    let made: Vec<(&Made, usize)> = made
        .iter()
        .filter_map(|m| Some((m, day_of(m.created_at)?)))
        .collect();
    let queues: Vec<String> = made
        .iter()
        .map(|(m, _)| m.queue.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let column: BTreeMap<&str, usize> = queues
        .iter()
        .enumerate()
        .map(|(i, q)| (q.as_str(), i))
        .collect();
    let mut per_day = vec![vec![0u64; queues.len()]; days];
    for (m, day) in &made {
        per_day[*day][column[m.queue.as_str()]] += 1;
    }
    let made: Vec<&Made> = made.into_iter().map(|(m, _)| m).collect();
    let mut timings: Vec<Timing> = queues
        .iter()
        .map(|q| {
            let of_queue = made.iter().copied().filter(move |m| &m.queue == q);
            timing(Some(q.clone()), of_queue)
        })
        .collect();
    timings.push(timing(None, made.iter().copied()));
    let mut backlog = [0; AGE_GROUPS.len()];
    for created_at in waiting {
        let age = now - created_at;
        let group = AGE_GROUPS
            .iter()
            .position(|(_, bound)| age < *bound)
            .unwrap_or(AGE_GROUPS.len() - 1);
        backlog[group] += 1;
    }
    Stats {
        days: bounds[..days].to_vec(),
        queues,
        per_day,
        timings,
        backlog,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local_time::LocalTime;

    const MIN: i64 = 60 * 1000;

    fn made(queue: &str, at: i64, claim: Option<i64>, deliver: Option<i64>) -> Made {
        Made {
            queue: queue.into(),
            created_at: at,
            claimed_at: claim.map(|m| at + m * MIN),
            delivered_at: deliver.map(|m| at + m * MIN),
        }
    }

    #[test]
    fn a_median_is_the_middle_value_or_between_the_two_middle_ones() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7]), Some(7));
        assert_eq!(median(vec![30, 10, 20]), Some(20));
        assert_eq!(median(vec![40, 10, 20, 90]), Some(30));
        assert_eq!(
            median(vec![1, 2]),
            Some(1),
            "whole milliseconds, rounded down"
        );
        assert_eq!(
            median(vec![5, 5, 5, 1000]),
            Some(5),
            "one slow request does not pull it"
        );
    }

    fn utc_days(now: i64, days: i64) -> Vec<i64> {
        LocalTime::utc().last_days(now, days)
    }

    #[test]
    fn the_window_is_whole_days_ending_today() {
        let now = 20 * DAY_MS + 5 * HOUR_MS;
        let days = utc_days(now, 14);
        assert_eq!((days[0], days[14]), (7 * DAY_MS, 21 * DAY_MS));
        assert_eq!(utc_days(20 * DAY_MS, 1), [20 * DAY_MS, 21 * DAY_MS]);
    }

    #[test]
    fn a_request_counts_on_the_day_it_was_made_where_the_group_lives() {
        // 2026-12-05 03:00 UTC is still the evening of 4 December in Chicago.
        let chicago = LocalTime::parse("America/Chicago").unwrap();
        let late_evening = 1_796_439_600_000;
        let now = late_evening + 12 * HOUR_MS;
        let stats = summarise(
            &[made("groceries", late_evening, None, None)],
            &[],
            now,
            &chicago.last_days(now, 2),
        );
        assert_eq!(stats.per_day, [[1], [0]]);
        assert_eq!(chicago.format(stats.days[0], "%-d %b"), "4 Dec");
    }

    #[test]
    fn requests_are_counted_per_day_and_queue_and_timed_per_queue_and_overall() {
        let now = 20 * DAY_MS + 5 * HOUR_MS;
        let today = 20 * DAY_MS;
        let rows = [
            made("groceries", today + HOUR_MS, Some(20), Some(60)),
            made("groceries", today - DAY_MS, Some(40), None),
            made("prescription", today + 2 * HOUR_MS, Some(10), Some(120)),
            made("groceries", 7 * DAY_MS, None, None),
            // Before the window: left out.
            made("other", 7 * DAY_MS - 1, Some(1), Some(1)),
        ];
        let stats = summarise(&rows, &[], now, &utc_days(now, 14));
        assert_eq!(stats.days.len(), 14);
        assert_eq!((stats.days[0], stats.days[13]), (7 * DAY_MS, today));
        assert_eq!(stats.queues, ["groceries", "prescription"]);
        assert_eq!(stats.per_day[13], [1, 1]);
        assert_eq!(stats.per_day[12], [1, 0]);
        assert_eq!(stats.per_day[0], [1, 0]);
        assert_eq!(stats.per_day[1..12].concat().iter().sum::<u64>(), 0);

        let [groceries, prescription, all] = &stats.timings[..] else {
            panic!("{:?}", stats.timings)
        };
        assert_eq!(groceries.queue.as_deref(), Some("groceries"));
        assert_eq!(
            (groceries.made, groceries.claimed, groceries.delivered),
            (3, 2, 1)
        );
        assert_eq!(groceries.to_claim, Some(30 * MIN));
        assert_eq!(groceries.to_delivery, Some(60 * MIN));
        assert_eq!(prescription.to_claim, Some(10 * MIN));
        assert_eq!(all.queue, None);
        assert_eq!(
            (all.made, all.to_claim, all.to_delivery),
            (4, Some(20 * MIN), Some(90 * MIN))
        );
    }

    #[test]
    fn nothing_made_leaves_empty_days_and_an_overall_row_without_medians() {
        let stats = summarise(&[], &[], 3 * DAY_MS, &utc_days(3 * DAY_MS, 14));
        assert!(stats.queues.is_empty());
        assert!(stats.per_day.iter().all(|day| day.is_empty()));
        assert_eq!(stats.timings.len(), 1);
        assert_eq!(
            (stats.timings[0].made, stats.timings[0].to_claim),
            (0, None)
        );
    }

    #[test]
    fn open_requests_fall_into_age_groups_by_how_long_they_have_waited() {
        let now = 10 * DAY_MS;
        let ages = [
            0,
            HOUR_MS - 1,
            HOUR_MS,
            5 * HOUR_MS,
            DAY_MS,
            3 * DAY_MS,
            9 * DAY_MS,
        ];
        let waiting: Vec<i64> = ages.iter().map(|age| now - age).collect();
        let stats = summarise(&[], &waiting, now, &utc_days(now, 14));
        assert_eq!(stats.backlog, [2, 1, 1, 1, 2]);
    }
}
