//! The dispatcher's view of open requests: what is waiting, filtered and sorted.
//!
//! A group has dozens, at most a few hundred, open requests, so they are read in one query and
//! filtered here: the counts per status and the choices offered in the filters come from the same
//! pass, and the zone lives inside the JSON `fields`, which the two databases query differently.
//! The neighbour's phone number is never read.

use std::collections::{BTreeMap, BTreeSet};

use super::{Conn, StoreError};
use crate::lifecycle::RequestStatus;

/// Requests a flow handed to a person land on this queue; they get a lane of their own.
pub const HANDOFF: &str = "handoff";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub code: String,
    pub queue: String,
    pub status: RequestStatus,
    pub zone: Option<String>,
    /// The name the neighbour asked to be called.
    pub name_to_use: Option<String>,
    pub priority: i64,
    pub created_at: i64,
}

#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub queue: Option<String>,
    pub status: Option<String>,
    pub zone: Option<String>,
    /// Only requests at most this old.
    pub max_age_ms: Option<i64>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Oldest first: whoever has waited longest.
    #[default]
    Age,
    /// Most urgent first, then oldest.
    Priority,
}

#[derive(Debug, Default)]
pub struct Queue {
    /// Open requests outside the handoff lane that pass the filter.
    pub requests: Vec<OpenItem>,
    /// Handed off to a person; the queue filter does not apply, the others do.
    pub handoff: Vec<OpenItem>,
    /// Per status, over every open request the filter would show if it named no status.
    pub counts: BTreeMap<String, usize>,
    /// What the filters can choose from: the values among open requests.
    pub queues: BTreeSet<String>,
    pub statuses: BTreeSet<String>,
    pub zones: BTreeSet<String>,
}

/// Every open request, oldest first.
pub async fn open(conn: &mut Conn) -> Result<Vec<OpenItem>, StoreError> {
    let rows: Vec<(String, String, RequestStatus, String, i64, i64)> = sqlx::query_as(
        "SELECT code, queue, status, fields, priority, created_at FROM requests \
         WHERE closed_at IS NULL ORDER BY created_at, id",
    )
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(code, queue, status, fields, priority, created_at)| {
            let mut fields: BTreeMap<String, String> = serde_json::from_str(&fields)
                .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))?;
            Ok(OpenItem {
                zone: fields.remove("zone"),
                name_to_use: fields.remove("name_to_use"),
                code,
                queue,
                status,
                priority,
                created_at,
            })
        })
        .collect()
}

/// Sorts `items` (oldest first, as [`open`] returns them) into the page's lanes.
pub fn arrange(items: Vec<OpenItem>, filter: &Filter, sort: Sort, now: i64) -> Queue {
    let mut queue = Queue::default();
    for item in items {
        queue.queues.insert(item.queue.clone());
        queue.statuses.insert(item.status.to_string());
        queue.zones.extend(item.zone.clone());
        let handoff = item.queue == HANDOFF;
        let shown = filter
            .max_age_ms
            .is_none_or(|max| now - item.created_at <= max)
            && filter
                .zone
                .as_ref()
                .is_none_or(|z| item.zone.as_ref() == Some(z))
            && (handoff || filter.queue.as_ref().is_none_or(|q| &item.queue == q));
        if !shown {
            continue;
        }
        *queue.counts.entry(item.status.to_string()).or_default() += 1;
        if filter
            .status
            .as_ref()
            .is_some_and(|s| item.status.as_str() != s)
        {
            continue;
        }
        if handoff {
            queue.handoff.push(item);
        } else {
            queue.requests.push(item);
        }
    }
    if sort == Sort::Priority {
        // A stable sort keeps the oldest first among equals.
        queue
            .requests
            .sort_by_key(|r| std::cmp::Reverse(r.priority));
        queue.handoff.sort_by_key(|r| std::cmp::Reverse(r.priority));
    }
    queue
}

/// Changes whenever a request is made or changes, or a volunteer texts a code not offered to them
/// (the page alerts dispatchers to those): how many there are, and the latest time of each.
pub async fn fingerprint(conn: &mut Conn) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM requests) + (SELECT COUNT(*) FROM code_misses), \
         (SELECT COALESCE(MAX(updated_at), 0) FROM requests) \
         + (SELECT COALESCE(MAX(at), 0) FROM code_misses)",
    )
    .fetch_one(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, queue: &str, status: &str, zone: &str, priority: i64, at: i64) -> OpenItem {
        OpenItem {
            code: code.into(),
            queue: queue.into(),
            status: status.parse().unwrap(),
            zone: Some(zone.into()),
            name_to_use: None,
            priority,
            created_at: at,
        }
    }

    fn codes(items: &[OpenItem]) -> Vec<&str> {
        items.iter().map(|i| i.code.as_str()).collect()
    }

    fn sample() -> Vec<OpenItem> {
        vec![
            item("A2", "groceries", "new", "northside", 0, 0),
            item("C3", "handoff", "new", "northside", 0, 10),
            item("D4", "medicine", "claimed", "southside", 2, 20),
            item("E5", "groceries", "offered", "southside", 1, 30),
        ]
    }

    #[test]
    fn handed_off_requests_have_their_own_lane_and_the_rest_wait_oldest_first() {
        let queue = arrange(sample(), &Filter::default(), Sort::Age, 40);
        assert_eq!(codes(&queue.requests), ["A2", "D4", "E5"]);
        assert_eq!(codes(&queue.handoff), ["C3"]);
        assert_eq!(queue.counts["new"], 2);
        assert_eq!(queue.zones.len(), 2);
        let by_priority = arrange(sample(), &Filter::default(), Sort::Priority, 40);
        assert_eq!(codes(&by_priority.requests), ["D4", "E5", "A2"]);
    }

    #[test]
    fn filters_narrow_both_lanes_and_counts_ignore_only_the_status_filter() {
        let filter = Filter {
            zone: Some("southside".into()),
            status: Some("offered".into()),
            ..Filter::default()
        };
        let queue = arrange(sample(), &filter, Sort::Age, 40);
        assert_eq!(codes(&queue.requests), ["E5"]);
        assert!(queue.handoff.is_empty());
        assert_eq!(queue.counts.len(), 2, "{:?}", queue.counts);

        let recent = Filter {
            max_age_ms: Some(15),
            queue: Some("groceries".into()),
            ..Filter::default()
        };
        let queue = arrange(sample(), &recent, Sort::Age, 40);
        assert_eq!(codes(&queue.requests), ["E5"]);
        assert!(queue.handoff.is_empty(), "too old");
        assert_eq!(queue.queues.len(), 3, "every choice stays offered");
    }
}
